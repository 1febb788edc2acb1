/* pm-proxy.h — the local HTTP proxy: accept, decide, rewrite, forward, relay, record
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pm-types.h"
#include "pm-guard.h"
#include "pm-request-log.h"

G_BEGIN_DECLS

#define PM_TYPE_PROXY (pm_proxy_get_type ())
G_DECLARE_FINAL_TYPE (PmProxy, pm_proxy, PM, PROXY, GObject)

/* Properties: "running" bool, "port" uint, "log" PmRequestLog, "n-active" uint (requests in
 * flight). Signal "request-routed" (PmRecord *record, PmRequest *request): emitted in the
 * proxy's thread (the one that called pm_proxy_start) right after the router decided and the
 * record joined the log, with the parsed request (ref it with pm_request_ref to keep it). Endpoints: POST /v1/messages (?beta=true ignored), /v1/messages/count_tokens,
 * /v1/chat/completions, /chat/completions, /v1/responses, /responses, /v1/responses/compact,
 * /responses/compact; GET /v1/models,
 * /pointsman/v1/health, /pointsman/v1/requests?limit=N.
 *
 * store may be NULL (no durable log). The proxy reads the objective from the router. */
PmProxy      *pm_proxy_new          (PmConfig     *config,
                                     PmCatalog    *catalog,
                                     PmRouter     *router,
                                     PmKeyring    *keyring,
                                     PmStore      *store);
/* Listens on the configured host and port (port 0 = any free port). */
gboolean      pm_proxy_start        (PmProxy      *self,
                                     GError      **error);
void          pm_proxy_stop         (PmProxy      *self);
gboolean      pm_proxy_is_running   (PmProxy      *self);
guint         pm_proxy_get_port     (PmProxy      *self);
/* "http://127.0.0.1:PORT" */
char         *pm_proxy_dup_url      (PmProxy      *self);
PmRequestLog *pm_proxy_get_log      (PmProxy      *self);
PmConfig     *pm_proxy_get_config   (PmProxy      *self);
PmRouter     *pm_proxy_get_router   (PmProxy      *self);
PmStore      *pm_proxy_get_store    (PmProxy      *self);
/* Localhost security and limits (pm-guard.h), owned by the proxy: set a token or limits here. */
PmGuard      *pm_proxy_get_guard    (PmProxy      *self);

G_END_DECLS
