/* pm-keyring.h — provider keys in the system keyring (libsecret), or in memory for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "pm-types.h"

G_BEGIN_DECLS

#define PM_TYPE_KEYRING (pm_keyring_get_type ())
G_DECLARE_FINAL_TYPE (PmKeyring, pm_keyring, PM, KEYRING, GObject)

/* The Secret Service keyring (schema "io.github.pointsman.Pointsman.ProviderKey", attribute
 * "provider"). */
PmKeyring *pm_keyring_new             (void);
/* An in-memory double with the same behaviour, for tests and for "no keyring" fallbacks. */
PmKeyring *pm_keyring_new_memory      (void);
gboolean   pm_keyring_is_memory       (PmKeyring     *self);
/* The schema keys are stored under (one static instance). */
const SecretSchema *pm_keyring_get_schema (void);
/* Seconds after which an operation that has not completed (a locked keyring waiting on a
 * prompt) is cancelled with PM_ERROR_KEYRING. Default 25, or $PM_KEYRING_TIMEOUT. */
void       pm_keyring_set_timeout     (PmKeyring     *self,
                                       guint          seconds);

char      *pm_keyring_lookup_sync     (PmKeyring     *self,
                                       const char    *provider,
                                       GCancellable  *cancellable,
                                       GError       **error);   /* NULL + no error: no key */
gboolean   pm_keyring_store_sync      (PmKeyring     *self,
                                       const char    *provider,
                                       const char    *secret,
                                       GCancellable  *cancellable,
                                       GError       **error);
gboolean   pm_keyring_remove_sync     (PmKeyring     *self,
                                       const char    *provider,
                                       GCancellable  *cancellable,
                                       GError       **error);
/* Provider ids that have a key. */
GStrv      pm_keyring_list_sync       (PmKeyring     *self,
                                       GCancellable  *cancellable,
                                       GError       **error);

void       pm_keyring_lookup_async    (PmKeyring           *self,
                                       const char          *provider,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
char      *pm_keyring_lookup_finish   (PmKeyring           *self,
                                       GAsyncResult        *result,
                                       GError             **error);
void       pm_keyring_store_async     (PmKeyring           *self,
                                       const char          *provider,
                                       const char          *secret,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean   pm_keyring_store_finish    (PmKeyring           *self,
                                       GAsyncResult        *result,
                                       GError             **error);
void       pm_keyring_remove_async    (PmKeyring           *self,
                                       const char          *provider,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean   pm_keyring_remove_finish   (PmKeyring           *self,
                                       GAsyncResult        *result,
                                       GError             **error);
void       pm_keyring_list_async      (PmKeyring           *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GStrv      pm_keyring_list_finish     (PmKeyring           *self,
                                       GAsyncResult        *result,
                                       GError             **error);

/* The key for a configured provider from its key source: "keyring" (this keyring, by
 * provider id), "env:NAME" (the environment) or "none" (returns ""). Missing keys are errors
 * (PM_ERROR_KEYRING) whose messages never contain any key. */
char      *pm_keyring_resolve_sync    (PmKeyring     *self,
                                       const char    *provider,
                                       const char    *key_spec,
                                       GCancellable  *cancellable,
                                       GError       **error);
void       pm_keyring_resolve_async   (PmKeyring           *self,
                                       const char          *provider,
                                       const char          *key_spec,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
char      *pm_keyring_resolve_finish  (PmKeyring           *self,
                                       GAsyncResult        *result,
                                       GError             **error);

G_END_DECLS
