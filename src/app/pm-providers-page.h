/* pm-providers-page.h — providers (API family, base URL) and their keys
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "pm-application.h"

G_BEGIN_DECLS

#define PM_TYPE_PROVIDERS_PAGE (pm_providers_page_get_type ())
G_DECLARE_FINAL_TYPE (PmProvidersPage, pm_providers_page, PM, PROVIDERS_PAGE, GtkWidget)

GtkWidget  *pm_providers_page_new              (void);
void        pm_providers_page_bind             (PmProvidersPage *self,
                                                PmApplication   *app);
/* What the "Add Provider" dialog does on "Add"; also edits an existing id. */
gboolean    pm_providers_page_set_provider     (PmProvidersPage *self,
                                                const char      *id,
                                                PmApi            api,
                                                const char      *base_url,
                                                GError         **error);
/* What the key entry does on apply: stores asynchronously, then refreshes the status. */
void        pm_providers_page_store_key        (PmProvidersPage *self,
                                                const char      *provider,
                                                const char      *key);
void        pm_providers_page_remove_key       (PmProvidersPage *self,
                                                const char      *provider);
/* Re-read which providers have a key (async). */
void        pm_providers_page_refresh_keys     (PmProvidersPage *self);
/* Pending keyring operations. */
guint       pm_providers_page_get_busy         (PmProvidersPage *self);
/* The status line of a provider's key as shown, e.g. "Key stored in the keyring". */
const char *pm_providers_page_get_key_status   (PmProvidersPage *self,
                                                const char      *provider);
/* The keyring status line; NULL while checking. */
const char *pm_providers_page_get_keyring_status (PmProvidersPage *self);
guint       pm_providers_page_get_n_providers  (PmProvidersPage *self);

G_END_DECLS
