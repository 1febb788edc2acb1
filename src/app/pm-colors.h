/* pm-colors.h — a stable colour per model, shared by the timeline and the savings chart
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gdk/gdk.h>

G_BEGIN_DECLS

void  pm_model_color        (const char *model,
                             GdkRGBA    *color);
/* "<span foreground='#rrggbb'>■</span> model" */
char *pm_model_legend_markup (const char *model);

G_END_DECLS
