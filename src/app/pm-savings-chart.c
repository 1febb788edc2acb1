/* pm-savings-chart.c — cumulative actual vs default-model cost, and each model's share
 *
 * Layers, bottom to top (Sysprof's chart layers in one widget): grid and axis labels; the
 * saving as a filled band between the two cumulative curves; the default-model curve; the
 * actual curve; the model-share bar under the plot (gtk_snapshot_append_color); the hover
 * guide with its values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-savings-chart"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-colors.h"
#include "pm-request-list.h"
#include "pm-savings-chart.h"

#define MARGIN_LEFT   64
#define MARGIN_RIGHT  16
#define MARGIN_TOP    12
#define AXIS_HEIGHT   22
#define SHARE_HEIGHT  14
#define LEGEND_HEIGHT 44

struct _PmSavingsChart
{
  GtkWidget        parent_instance;

  PmSavingsSeries *series;
  double           hover_x;      /* normalised, < 0 = none */
  int              hover_index;
  char            *hover_text;
};

G_DEFINE_FINAL_TYPE (PmSavingsChart, pm_savings_chart, GTK_TYPE_WIDGET)

static void
get_plot (PmSavingsChart  *self,
          graphene_rect_t *plot)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  graphene_rect_init (plot, MARGIN_LEFT, MARGIN_TOP,
                      MAX (1, width - MARGIN_LEFT - MARGIN_RIGHT),
                      MAX (1, height - MARGIN_TOP - AXIS_HEIGHT - SHARE_HEIGHT - LEGEND_HEIGHT - 8));
}

static void
update_hover_text (PmSavingsChart *self)
{
  PmSavingsPoint point;
  const PmSavingsPoint *p = &point;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *when = NULL, *a = NULL, *b = NULL, *s = NULL;

  g_clear_pointer (&self->hover_text, g_free);
  self->hover_index = -1;

  if (self->hover_x < 0 || pm_savings_series_get_n_points (self->series) == 0)
    return;

  self->hover_index = pm_savings_series_lookup (self->series, self->hover_x);
  if (self->hover_index < 0)
    return;

  if (!pm_savings_series_get_point (self->series, self->hover_index, &point))
    return;
  dt = g_date_time_new_from_unix_local (p->time_us / G_USEC_PER_SEC);
  when = g_date_time_format (dt, "%H:%M:%S");
  a = pm_format_cost (p->actual);
  b = pm_format_cost (p->baseline);
  s = pm_format_saving (p->baseline - p->actual);
  self->hover_text = g_strdup_printf (_("%s, request %d (%s)\nactual %s · default model %s · %s"),
                                      when, self->hover_index + 1, p->model, a, b, s);
}

static void
on_series_changed (PmSavingsChart *self)
{
  g_autofree char *description = NULL;
  guint n = pm_savings_series_get_n_points (self->series);

  if (self->hover_x >= 0)
    update_hover_text (self);

  if (n > 0)
    {
      PmSavingsPoint last;
      g_autofree char *a = NULL, *b = NULL;

      pm_savings_series_get_point (self->series, n - 1, &last);
      a = pm_format_cost (last.actual);
      b = pm_format_cost (last.baseline);

      description = g_strdup_printf (_("%u requests: %s actual against %s with the default model"), n, a, b);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description ? description : _("No finished requests yet"), -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
draw_text (GtkWidget   *widget,
           GtkSnapshot *snapshot,
           const char  *text,
           float        x,
           float        y,
           float        xalign,
           const GdkRGBA *color)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x - xalign * w, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
pm_savings_chart_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  PmSavingsChart *self = PM_SAVINGS_CHART (widget);
  guint n = pm_savings_series_get_n_points (self->series);
  graphene_rect_t plot;
  GdkRGBA fg, grid, accent, saved_fill, lost_fill, baseline_color;
  double max = pm_savings_series_get_max (self->series);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  gtk_style_context_get_color (style, &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  get_plot (self, &plot);
  grid = fg; grid.alpha = 0.12f;
  baseline_color = fg; baseline_color.alpha = 0.55f;
  gdk_rgba_parse (&accent, "#3584e4");
  gdk_rgba_parse (&saved_fill, "#33d17a");
  saved_fill.alpha = 0.25f;
  gdk_rgba_parse (&lost_fill, "#e01b24");
  lost_fill.alpha = 0.18f;

  /* grid + y labels */
  for (int i = 0; i <= 4; i++)
    {
      float y = plot.origin.y + plot.size.height * (1.0f - i / 4.0f);
      g_autofree char *label = pm_format_cost (max * i / 4.0);
      GdkRGBA dim = fg;

      dim.alpha = 0.6f;
      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (plot.origin.x, y, plot.size.width, 1));
      draw_text (widget, snapshot, label, plot.origin.x - 6, y - 8, 1.0f, &dim);
    }

  if (n == 0)
    {
      GdkRGBA dim = fg;

      dim.alpha = 0.6f;
      draw_text (widget, snapshot, _("No finished requests yet"),
                 plot.origin.x + plot.size.width / 2, plot.origin.y + plot.size.height / 2 - 8, 0.5f, &dim);
      return;
    }

  /* x labels: begin and end time */
  {
    g_autoptr(GDateTime) b = g_date_time_new_from_unix_local ((pm_savings_series_get_begin (self->series)) / G_USEC_PER_SEC);
    g_autoptr(GDateTime) e = g_date_time_new_from_unix_local ((pm_savings_series_get_end (self->series)) / G_USEC_PER_SEC);
    g_autofree char *bs = g_date_time_format (b, "%H:%M:%S");
    g_autofree char *es = g_date_time_format (e, "%H:%M:%S");
    GdkRGBA dim = fg;

    dim.alpha = 0.6f;
    draw_text (widget, snapshot, bs, plot.origin.x, plot.origin.y + plot.size.height + 4, 0.0f, &dim);
    draw_text (widget, snapshot, es, plot.origin.x + plot.size.width, plot.origin.y + plot.size.height + 4, 1.0f, &dim);
  }

  /* the curves (cairo; GskPath needs GTK 4.14) */
  {
    cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &plot);
    g_autoptr(GArray) shown = g_array_sized_new (FALSE, FALSE, sizeof (guint), MIN (n, (guint) plot.size.width * 2 + 2));
    double x, ya, yb;
    int last_column = G_MININT;

#define PX(v) (plot.origin.x + (v) * plot.size.width)
#define PY(v) (plot.origin.y + (1.0 - (v)) * plot.size.height)

    /* Both curves only rise: at most the first and the last point of each pixel column change
     * the picture, so thousands of points draw as a few hundred (the redraw stays flat). */
    for (guint i = 0; i < n; i++)
      {
        int column;

        pm_savings_series_normalize (self->series, i, &x, &ya, &yb);
        column = (int) PX (x);
        if (column != last_column || i + 1 == n)
          {
            guint prev = i > 0 ? i - 1 : 0;

            if (i > 0 && shown->len > 0 && g_array_index (shown, guint, shown->len - 1) != prev)
              g_array_append_val (shown, prev);
            g_array_append_val (shown, i);
            last_column = column;
          }
      }

    /* the band between the curves: green where routing saved, red where it cost more */
    for (guint k = 0; k < shown->len; k++)
      {
        guint i = g_array_index (shown, guint, k);
        double x0, ya0, yb0, x1, ya1, yb1;

        if (k == 0)
          {
            x0 = 0;
            pm_savings_series_normalize (self->series, i, &x0, &ya0, &yb0);
            ya0 = yb0 = 0;
          }
        else
          pm_savings_series_normalize (self->series, g_array_index (shown, guint, k - 1), &x0, &ya0, &yb0);
        pm_savings_series_normalize (self->series, i, &x1, &ya1, &yb1);
        cairo_new_path (cr);
        cairo_move_to (cr, PX (x0), PY (yb0));
        cairo_line_to (cr, PX (x1), PY (yb1));
        cairo_line_to (cr, PX (x1), PY (ya1));
        cairo_line_to (cr, PX (x0), PY (ya0));
        cairo_close_path (cr);
        gdk_cairo_set_source_rgba (cr, yb0 + yb1 >= ya0 + ya1 ? &saved_fill : &lost_fill);
        cairo_fill (cr);
      }

    cairo_set_line_width (cr, 2.0);
    cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
    for (int curve = 0; curve < 2; curve++)
      {
        cairo_new_path (cr);
        for (guint k = 0; k < shown->len; k++)
          {
            pm_savings_series_normalize (self->series, g_array_index (shown, guint, k), &x, &ya, &yb);
            if (k == 0)
              cairo_move_to (cr, PX (x), PY (0));
            cairo_line_to (cr, PX (x), PY (curve == 0 ? yb : ya));
          }
        if (curve == 0)
          {
            static const double dash[] = { 6.0, 4.0 };

            cairo_set_dash (cr, dash, 2, 0);
            gdk_cairo_set_source_rgba (cr, &baseline_color);
          }
        else
          {
            cairo_set_dash (cr, NULL, 0, 0);
            gdk_cairo_set_source_rgba (cr, &accent);
          }
        cairo_stroke (cr);
      }

    if (self->hover_index >= 0 && (guint) self->hover_index < n)
      {
        pm_savings_series_normalize (self->series, self->hover_index, &x, &ya, &yb);
        cairo_set_dash (cr, NULL, 0, 0);
        cairo_set_line_width (cr, 1.0);
        gdk_cairo_set_source_rgba (cr, &baseline_color);
        cairo_move_to (cr, PX (x) + 0.5, plot.origin.y);
        cairo_line_to (cr, PX (x) + 0.5, plot.origin.y + plot.size.height);
        cairo_stroke (cr);
        gdk_cairo_set_source_rgba (cr, &accent);
        cairo_arc (cr, PX (x), PY (ya), 4, 0, 2 * G_PI);
        cairo_fill (cr);
        gdk_cairo_set_source_rgba (cr, &baseline_color);
        cairo_arc (cr, PX (x), PY (yb), 4, 0, 2 * G_PI);
        cairo_fill (cr);
      }
#undef PX
#undef PY
    cairo_destroy (cr);
  }

  /* model share bar + legend */
  {
    GArray *shares = pm_savings_series_get_shares (self->series);
    double total = 0, xpos = plot.origin.x;
    float bar_y = plot.origin.y + plot.size.height + AXIS_HEIGHT;

    for (guint i = 0; i < shares->len; i++)
      total += g_array_index (shares, PmModelShare, i).cost;
    for (guint i = 0; i < shares->len; i++)
      {
        const PmModelShare *s = &g_array_index (shares, PmModelShare, i);
        double w = total > 0 ? plot.size.width * s->cost / total : plot.size.width / shares->len;
        GdkRGBA c;

        pm_model_color (s->model, &c);
        gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT (xpos, bar_y, MAX (w, 1), SHARE_HEIGHT));
        xpos += w;
      }
    {
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
      g_autoptr(GString) markup = g_string_new (NULL);

      for (guint i = 0; i < shares->len; i++)
        {
          const PmModelShare *s = &g_array_index (shares, PmModelShare, i);
          g_autofree char *item = pm_model_legend_markup (s->model);

          g_string_append_printf (markup, "%s%s %.0f %%", i ? "    " : "", item,
                                  total > 0 ? 100.0 * s->cost / total : 0.0);
        }
      g_string_append_printf (markup, "    <span alpha='60%%'>%s</span>",
                              _("— actual (solid) · default model (dashed) · saved (green) · cost more (red)"));
      pango_layout_set_markup (layout, markup->str, -1);
      pango_layout_set_width (layout, plot.size.width * PANGO_SCALE);
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (plot.origin.x, bar_y + SHARE_HEIGHT + 4));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
    }
  }

  /* hover values */
  if (self->hover_text != NULL)
    {
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, self->hover_text);
      int w, h;
      GdkRGBA bg;
      float bx, by = plot.origin.y + 6;
      double x, ya, yb;

      pm_savings_series_normalize (self->series, self->hover_index, &x, &ya, &yb);
      pango_layout_get_pixel_size (layout, &w, &h);
      bx = plot.origin.x + x * plot.size.width + 10;
      if (bx + w + 12 > plot.origin.x + plot.size.width)
        bx = plot.origin.x + x * plot.size.width - w - 22;
      bx = MAX (bx, plot.origin.x);
      gdk_rgba_parse (&bg, "rgba(0,0,0,0.75)");
      {
        GskRoundedRect rr;
        GdkRGBA white = { 1, 1, 1, 1 };

        gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (bx, by, w + 12, h + 8), 6);
        gtk_snapshot_push_rounded_clip (snapshot, &rr);
        gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (bx, by, w + 12, h + 8));
        gtk_snapshot_pop (snapshot);
        gtk_snapshot_save (snapshot);
        gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (bx + 6, by + 4));
        gtk_snapshot_append_layout (snapshot, layout, &white);
        gtk_snapshot_restore (snapshot);
      }
    }
}

void
pm_savings_chart_set_hover (PmSavingsChart *self,
                            double          x)
{
  g_return_if_fail (PM_IS_SAVINGS_CHART (self));

  self->hover_x = x < 0 ? -1 : CLAMP (x, 0, 1);
  update_hover_text (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
pm_savings_chart_get_hover_text (PmSavingsChart *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_CHART (self), NULL);
  return self->hover_text;
}

static void
on_motion (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           PmSavingsChart           *self)
{
  graphene_rect_t plot;

  get_plot (self, &plot);
  if (x < plot.origin.x || x > plot.origin.x + plot.size.width)
    pm_savings_chart_set_hover (self, -1);
  else
    pm_savings_chart_set_hover (self, (x - plot.origin.x) / plot.size.width);
}

static void
on_leave (GtkEventControllerMotion *motion,
          PmSavingsChart           *self)
{
  pm_savings_chart_set_hover (self, -1);
}

void
pm_savings_chart_set_model (PmSavingsChart *self,
                            GListModel     *model)
{
  g_return_if_fail (PM_IS_SAVINGS_CHART (self));

  pm_savings_series_set_model (self->series, model);
}

PmSavingsSeries *
pm_savings_chart_get_series (PmSavingsChart *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_CHART (self), NULL);
  return self->series;
}

static void
pm_savings_chart_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 600;
    }
  else
    {
      *minimum = 200;
      *natural = 400;
    }
}

static void
pm_savings_chart_dispose (GObject *object)
{
  PmSavingsChart *self = PM_SAVINGS_CHART (object);

  if (self->series != NULL)
    g_signal_handlers_disconnect_by_func (self->series, on_series_changed, self);
  g_clear_object (&self->series);

  G_OBJECT_CLASS (pm_savings_chart_parent_class)->dispose (object);
}

static void
pm_savings_chart_finalize (GObject *object)
{
  PmSavingsChart *self = PM_SAVINGS_CHART (object);

  g_free (self->hover_text);

  G_OBJECT_CLASS (pm_savings_chart_parent_class)->finalize (object);
}

static void
pm_savings_chart_class_init (PmSavingsChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pm_savings_chart_dispose;
  object_class->finalize = pm_savings_chart_finalize;
  widget_class->snapshot = pm_savings_chart_snapshot;
  widget_class->measure = pm_savings_chart_measure;
  gtk_widget_class_set_css_name (widget_class, "pmsavingschart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pm_savings_chart_init (PmSavingsChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->hover_x = -1;
  self->hover_index = -1;
  self->series = pm_savings_series_new ();
  g_signal_connect_swapped (self->series, "changed", G_CALLBACK (on_series_changed), self);

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}

GtkWidget *
pm_savings_chart_new (void)
{
  return g_object_new (PM_TYPE_SAVINGS_CHART, NULL);
}
