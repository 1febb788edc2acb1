/* pm-application.h — the app: owns the core (config, catalog, router, keyring, store, proxy)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "pm-types.h"

G_BEGIN_DECLS

#define PM_TYPE_APPLICATION (pm_application_get_type ())
G_DECLARE_FINAL_TYPE (PmApplication, pm_application, PM, APPLICATION, AdwApplication)

typedef struct _PmWhatIf PmWhatIf;

/* The real app: configuration from $XDG_CONFIG_HOME/pointsman/config.json, the Secret Service. */
PmApplication *pm_application_new               (void);
/* Tests: a non-unique app on the given configuration (may be NULL: defaults) and keyring
 * (NULL: the Secret Service). No durable store. */
PmApplication *pm_application_new_for_testing   (const char     *config_path,
                                                 PmKeyring      *keyring);

GSettings     *pm_application_get_settings      (PmApplication  *self);
PmConfig      *pm_application_get_config        (PmApplication  *self);
PmCatalog     *pm_application_get_catalog       (PmApplication  *self);
PmObjective   *pm_application_get_objective     (PmApplication  *self);
PmKeyring     *pm_application_get_keyring       (PmApplication  *self);
PmProxy       *pm_application_get_proxy         (PmApplication  *self);
PmRouter      *pm_application_get_router        (PmApplication  *self);
PmWhatIf      *pm_application_get_what_if       (PmApplication  *self);
/* The request log shown: the proxy's, or the demo's while the demo runs. */
GListModel    *pm_application_get_log           (PmApplication  *self);
/* Start or stop listening; errors go to the "proxy-error" property. */
gboolean       pm_application_start_proxy       (PmApplication  *self,
                                                 GError        **error);
void           pm_application_stop_proxy        (PmApplication  *self);
gboolean       pm_application_get_proxy_running (PmApplication *self);
/* "http://127.0.0.1:PORT" or NULL when stopped. */
char          *pm_application_dup_url           (PmApplication  *self);
const char    *pm_application_get_proxy_error   (PmApplication  *self);
/* Demo — a bundled session replayed through a second, real proxy against PmSimUpstream. */
gboolean       pm_application_start_demo        (PmApplication  *self,
                                                 GError        **error);
void           pm_application_stop_demo         (PmApplication  *self);
gboolean       pm_application_get_demo_running  (PmApplication  *self);
/* Why the demo stopped early, or NULL. */
const char    *pm_application_get_demo_error    (PmApplication  *self);
/* Requests the demo has finished (for tests). */
guint          pm_application_get_demo_progress (PmApplication  *self);
/* Spent today (the UTC day, as the router's budget), from the request database when there is one, else from the log. */
double         pm_application_get_spend_today   (PmApplication  *self);
/* Writes the objective into config.json (only that member; the file is created if missing).
 * The app does this by itself shortly after each change. */
gboolean       pm_application_save_objective    (PmApplication  *self,
                                                 GError        **error);
/* The local access token (pm-guard.h): required when config.json says "listen": {"token": true}
 * (or the proxy listens beyond loopback). The app loads it from the keyring off the main thread
 * (generated and stored on first use) and hands it to the proxy; until then the proxy refuses
 * every request. "token" is NULL until loaded; "token-loading" while the keyring works. */
gboolean       pm_application_get_token_required (PmApplication *self);
const char    *pm_application_get_token          (PmApplication *self);
gboolean       pm_application_get_token_loading  (PmApplication *self);
const char    *pm_application_get_token_error    (PmApplication *self);
/* The switch: sets the proxy's guard, loads the token when needed and writes only
 * "listen": {"token"} into config.json. */
gboolean       pm_application_set_token_required (PmApplication  *self,
                                                  gboolean        required,
                                                  GError        **error);
/* Writes the providers into config.json (only that member: the app's overrides such as the
 * port from the preferences stay out of the file). The providers page calls it. */
gboolean       pm_application_save_config       (PmApplication  *self,
                                                 GError        **error);

G_END_DECLS
