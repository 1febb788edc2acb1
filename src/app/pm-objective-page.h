/* pm-objective-page.h — the objective sliders and the what-if next to them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "pm-application.h"
#include "pm-what-if.h"

G_BEGIN_DECLS

#define PM_TYPE_OBJECTIVE_PAGE (pm_objective_page_get_type ())
G_DECLARE_FINAL_TYPE (PmObjectivePage, pm_objective_page, PM, OBJECTIVE_PAGE, GtkWidget)

GtkWidget            *pm_objective_page_new              (void);
void                  pm_objective_page_bind             (PmObjectivePage *self,
                                                          PmApplication   *app);
GtkRange             *pm_objective_page_get_tradeoff     (PmObjectivePage *self);
GtkRange             *pm_objective_page_get_floor        (PmObjectivePage *self);
/* The last what-if computed (n_requests 0 when none), and the figures shown. */
const PmWhatIfResult *pm_objective_page_get_result       (PmObjectivePage *self);
const char           *pm_objective_page_get_what_if_text (PmObjectivePage *self);
/* Recompute now instead of on the next idle (tests). */
void                  pm_objective_page_update_what_if   (PmObjectivePage *self);
/* A what-if update is queued (the page recomputes shortly after a change). */
gboolean              pm_objective_page_get_pending      (PmObjectivePage *self);
guint                 pm_objective_page_get_n_pool_rows  (PmObjectivePage *self);

G_END_DECLS
