/* pm-sim-upstream.h — a scripted upstream that speaks Anthropic Messages, Chat Completions and
 * Responses faithfully (streaming event sequences, usage with cache fields, errors). Used by the
 * tests, the benchmarks and the app's clearly labelled demo.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

#define PM_TYPE_SIM_UPSTREAM (pm_sim_upstream_get_type ())
G_DECLARE_FINAL_TYPE (PmSimUpstream, pm_sim_upstream, PM, SIM_UPSTREAM, GObject)

PmSimUpstream *pm_sim_upstream_new        (void);
/* Listens on 127.0.0.1 (port 0 = any). */
gboolean       pm_sim_upstream_start      (PmSimUpstream *self,
                                           guint          port,
                                           GError       **error);
guint          pm_sim_upstream_get_port   (PmSimUpstream *self);
char          *pm_sim_upstream_dup_url    (PmSimUpstream *self);

G_END_DECLS
