/* pm-savings-chart.h — cumulative actual vs default-model cost, and each model's share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "pm-savings-series.h"

G_BEGIN_DECLS

#define PM_TYPE_SAVINGS_CHART (pm_savings_chart_get_type ())
G_DECLARE_FINAL_TYPE (PmSavingsChart, pm_savings_chart, PM, SAVINGS_CHART, GtkWidget)

GtkWidget       *pm_savings_chart_new             (void);
void             pm_savings_chart_set_model       (PmSavingsChart *self,
                                                   GListModel     *model);
PmSavingsSeries *pm_savings_chart_get_series      (PmSavingsChart *self);
/* Hover at a normalised x (0..1) of the plot, as the pointer does; < 0 clears. */
void             pm_savings_chart_set_hover       (PmSavingsChart *self,
                                                   double          x);
/* The values shown for the hovered point, or NULL. */
const char      *pm_savings_chart_get_hover_text  (PmSavingsChart *self);

G_END_DECLS
