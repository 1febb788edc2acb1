/* pm-session-timeline.h — one session's requests as bars: model colour, prompt size, cache part
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "pm-app-core.h"

G_BEGIN_DECLS

#define PM_TYPE_SESSION_TIMELINE (pm_session_timeline_get_type ())
G_DECLARE_FINAL_TYPE (PmSessionTimeline, pm_session_timeline, PM, SESSION_TIMELINE, GtkWidget)

GtkWidget *pm_session_timeline_new         (void);
/* Shows the records of record's session found in log (a GListModel of PmRecord). */
void       pm_session_timeline_set_record  (PmSessionTimeline *self,
                                            GListModel        *log,
                                            PmRecord          *record);
guint      pm_session_timeline_get_n_steps (PmSessionTimeline *self);
/* A plain-words summary (also the accessible description). */
const char *pm_session_timeline_get_summary (PmSessionTimeline *self);

G_END_DECLS
