/* pm-window.h — the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "pm-application.h"
#include "pm-objective-page.h"
#include "pm-providers-page.h"
#include "pm-request-list.h"
#include "pm-savings-chart.h"
#include "pm-setup-page.h"
#include "pm-why-pane.h"

G_BEGIN_DECLS

#define PM_TYPE_WINDOW (pm_window_get_type ())
G_DECLARE_FINAL_TYPE (PmWindow, pm_window, PM, WINDOW, AdwApplicationWindow)

PmWindow        *pm_window_new                (PmApplication *app);
void             pm_window_show_page          (PmWindow      *self,
                                               const char    *name);
AdwViewStack    *pm_window_get_stack          (PmWindow      *self);
GtkPaned        *pm_window_get_requests_paned (PmWindow      *self);
PmRequestList   *pm_window_get_request_list   (PmWindow      *self);
PmWhyPane       *pm_window_get_why_pane       (PmWindow      *self);
PmObjectivePage *pm_window_get_objective_page (PmWindow      *self);
PmSavingsChart  *pm_window_get_savings_chart  (PmWindow      *self);
PmProvidersPage *pm_window_get_providers_page (PmWindow      *self);
PmSetupPage     *pm_window_get_setup_page     (PmWindow      *self);
const char      *pm_window_get_status_text    (PmWindow      *self);
/* The status bar's totals ("N requests · $x spent · …"), kept per record as it finishes. */
const char      *pm_window_get_totals_text    (PmWindow      *self);
void             pm_window_add_toast          (PmWindow      *self,
                                               const char    *message);
void             pm_window_dismiss_toasts     (PmWindow      *self);
/* Show another request log than the application's (benchmarks, tests); the application's
 * next "notify::log" (demo start/stop) replaces it again. */
void             pm_window_set_log            (PmWindow      *self,
                                               GListModel    *log);

G_END_DECLS
