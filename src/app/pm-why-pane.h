/* pm-why-pane.h — why the selected request went where it went
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "pm-app-core.h"

#include "pm-session-timeline.h"

G_BEGIN_DECLS

#define PM_TYPE_WHY_PANE (pm_why_pane_get_type ())
G_DECLARE_FINAL_TYPE (PmWhyPane, pm_why_pane, PM, WHY_PANE, GtkWidget)

GtkWidget  *pm_why_pane_new              (void);
/* log: the list the record is in (for the session timeline). record may be NULL. */
void        pm_why_pane_set_record       (PmWhyPane  *self,
                                          GListModel *log,
                                          PmRecord   *record);
PmRecord   *pm_why_pane_get_record       (PmWhyPane  *self);
guint       pm_why_pane_get_n_candidates (PmWhyPane  *self);
guint       pm_why_pane_get_n_reasons    (PmWhyPane  *self);
PmSessionTimeline *pm_why_pane_get_timeline (PmWhyPane *self);
/* Everything the pane shows, as plain text, one item a line (tests, copy). */
char       *pm_why_pane_dup_text         (PmWhyPane  *self);

G_END_DECLS
