/* pm-upstream.h — the proxy's HTTP/1.1 client for providers and gateways
 *
 * One request per connection at a time; connections are kept alive and reused (per scheme, host
 * and port). A request goes out in one write (headers and body together) and its answer is
 * parsed as it is read: the body is a pollable stream whose framing (Content-Length, chunked or
 * up to the connection's end) is undone as it is read. A request that finds a kept-alive
 * connection closed by the server (nothing of the answer read) is sent again on a new one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define PM_TYPE_UPSTREAM (pm_upstream_get_type ())
G_DECLARE_FINAL_TYPE (PmUpstream, pm_upstream, PM, UPSTREAM, GObject)

#define PM_TYPE_UPSTREAM_BODY (pm_upstream_body_get_type ())
G_DECLARE_FINAL_TYPE (PmUpstreamBody, pm_upstream_body, PM, UPSTREAM_BODY, GInputStream)

PmUpstream         *pm_upstream_new              (guint                idle_timeout);
gboolean            pm_upstream_can_send_to      (GUri                *uri);
void                pm_upstream_send_async       (PmUpstream          *self,
                                                  const char          *method,
                                                  GUri                *uri,
                                                  SoupMessageHeaders  *headers,
                                                  GBytes              *body,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PmUpstreamBody     *pm_upstream_send_finish      (PmUpstream          *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void                pm_upstream_set_tls_database (PmUpstream          *self,
                                                  GTlsDatabase        *database);
guint               pm_upstream_get_n_idle       (PmUpstream          *self);
guint               pm_upstream_get_n_connected  (PmUpstream          *self);
void                pm_upstream_close_idle       (PmUpstream          *self);

guint               pm_upstream_body_get_status  (PmUpstreamBody      *self);
const char         *pm_upstream_body_get_reason  (PmUpstreamBody      *self);
SoupMessageHeaders *pm_upstream_body_get_headers (PmUpstreamBody      *self);
gboolean            pm_upstream_body_get_reused  (PmUpstreamBody      *self);

G_END_DECLS
