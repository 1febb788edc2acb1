/* pm-demo.h — "Demo — simulated upstream": a bundled session through a real proxy
 *
 * The demo starts a PmSimUpstream and a second PmProxy (its own log, a memory keyring, every
 * provider pointed at the simulated upstream, the app's live objective) and sends the bundled
 * Claude Code session (resource demo-session.json) to it over loopback HTTP, one request after
 * another, so the dashboard fills as it would with a real agent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pm-app-core.h"
#include "pm-what-if.h"

G_BEGIN_DECLS

#define PM_TYPE_DEMO (pm_demo_get_type ())
G_DECLARE_FINAL_TYPE (PmDemo, pm_demo, PM, DEMO, GObject)

PmDemo       *pm_demo_new          (PmConfig     *config,
                                    PmCatalog    *catalog,
                                    PmObjective  *objective,
                                    PmWhatIf     *what_if);
/* Milliseconds between requests (default 600; env POINTSMAN_DEMO_DELAY_MS overrides). */
void          pm_demo_set_delay    (PmDemo       *self,
                                    guint         delay_ms);
gboolean      pm_demo_start        (PmDemo       *self,
                                    GError      **error);
void          pm_demo_stop         (PmDemo       *self);
PmRequestLog *pm_demo_get_log      (PmDemo       *self);
char         *pm_demo_dup_url      (PmDemo       *self);
/* Requests answered so far, and in the session. */
guint         pm_demo_get_progress (PmDemo       *self);
guint         pm_demo_get_n_steps  (PmDemo       *self);
/* Set when a request failed (the demo stops there). */
const char   *pm_demo_get_error    (PmDemo       *self);

G_END_DECLS
