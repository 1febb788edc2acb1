/* pm-colors.c — a stable colour per model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-colors"

#include "config.h"

#include "pm-colors.h"

/* GNOME palette (HIG), mid tones: readable on light and dark backgrounds. */
static const char *palette[] = {
  "#3584e4", "#33d17a", "#f6d32d", "#ff7800", "#e01b24",
  "#9141ac", "#986a44", "#26a269", "#1c71d8", "#c061cb",
};

void
pm_model_color (const char *model,
                GdkRGBA    *color)
{
  guint h = model != NULL ? g_str_hash (model) : 0;

  gdk_rgba_parse (color, palette[h % G_N_ELEMENTS (palette)]);
}

char *
pm_model_legend_markup (const char *model)
{
  GdkRGBA c;
  g_autofree char *escaped = g_markup_escape_text (model ? model : "?", -1);

  pm_model_color (model, &c);
  return g_strdup_printf ("<span foreground='#%02x%02x%02x'>■</span> %s",
                          (guint) (c.red * 255), (guint) (c.green * 255), (guint) (c.blue * 255),
                          escaped);
}
