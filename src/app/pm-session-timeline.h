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
/* Shows the records of record's session found in log (a GListModel of PmRecord). The log is
 * read only when log, record or its session differ from the last call; otherwise (the record
 * changed while streaming) only the session's steps are read again. */
void       pm_session_timeline_set_record  (PmSessionTimeline *self,
                                            GListModel        *log,
                                            PmRecord          *record);
guint      pm_session_timeline_get_n_steps (PmSessionTimeline *self);
/* A plain-words summary (also the accessible description). */
const char *pm_session_timeline_get_summary (PmSessionTimeline *self);
/* The session's models, in order of first use (NULL-terminated). */
const char * const *pm_session_timeline_get_models (PmSessionTimeline *self);
/* How often the log was read (tests). */
guint       pm_session_timeline_get_n_scans (PmSessionTimeline *self);

G_END_DECLS
