/* eval-plot.c — draw the PNG charts of docs/EVALUATION.md from `pointsman-cli eval … --json`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Build and run through build-aux/eval-charts.sh (one command for every chart):
 *   cc -O2 -o eval-plot bench/eval-plot.c $(pkg-config --cflags --libs cairo json-glib-1.0) -lm
 *   eval-plot frontier IN.json OUT.png "Title" [FAMILY-INDEX]
 *   eval-plot transcripts IN.json OUT.png "Title"
 * Nothing is invented here: every mark is a number read from the JSON the CLI printed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <json-glib/json-glib.h>

#define W 960
#define H 640
#define ML 80
#define MR 240
#define MT 50
#define MB 60

typedef struct
{
  double xmax, ymin, ymax;
} Axes;

static double
px (const Axes *a, double x)
{
  return ML + (W - ML - MR) * (x / a->xmax);
}

static double
py (const Axes *a, double y)
{
  return H - MB - (H - MT - MB) * ((y - a->ymin) / (a->ymax - a->ymin));
}

static void
text (cairo_t *cr, double x, double y, double size, const char *s)
{
  cairo_set_font_size (cr, size);
  cairo_move_to (cr, x, y);
  cairo_show_text (cr, s);
}

static double
num (JsonObject *o, const char *name)
{
  return json_object_has_member (o, name) ? json_object_get_double_member (o, name) : NAN;
}

static void
legend (cairo_t *cr, int row, double r, double g, double b, const char *label, int shape)
{
  double x = W - MR + 20, y = MT + 20 + row * 22;

  cairo_set_source_rgb (cr, r, g, b);
  if (shape == 0)
    {
      cairo_arc (cr, x + 6, y - 4, 4, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  else
    {
      cairo_set_line_width (cr, 2.5);
      cairo_move_to (cr, x, y - 4);
      cairo_line_to (cr, x + 14, y - 4);
      cairo_stroke (cr);
    }
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  text (cr, x + 22, y, 12, label);
}

static void
polyline (cairo_t *cr, const Axes *a, JsonArray *pts, double r, double g, double b, double width,
          gboolean dots)
{
  cairo_set_source_rgb (cr, r, g, b);
  cairo_set_line_width (cr, width);
  for (guint i = 0; i < json_array_get_length (pts); i++)
    {
      JsonObject *p = json_array_get_object_element (pts, i);
      double x = px (a, num (p, "cost")), y = py (a, num (p, "quality"));

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);
  if (dots)
    for (guint i = 0; i < json_array_get_length (pts); i++)
      {
        JsonObject *p = json_array_get_object_element (pts, i);

        cairo_arc (cr, px (a, num (p, "cost")), py (a, num (p, "quality")), 3.5, 0, 2 * G_PI);
        cairo_fill (cr);
      }
}

static int
frontier (JsonObject *o, const char *out, const char *title)
{
  JsonArray *singles = json_object_get_array_member (o, "single_models");
  JsonArray *hull = json_object_get_array_member (o, "hull");
  JsonArray *router = json_object_get_array_member (o, "router");
  JsonArray *text_router = json_object_has_member (o, "router_text_only")
                           ? json_object_get_array_member (o, "router_text_only") : NULL;
  JsonArray *cascades = json_object_has_member (o, "router_cascades")
                        ? json_object_get_array_member (o, "router_cascades") : NULL;
  JsonArray *escalation = json_object_has_member (o, "router_escalation")
                          ? json_object_get_array_member (o, "router_escalation") : NULL;
  JsonArray *priors = json_object_has_member (o, "router_priors_only")
                      ? json_object_get_array_member (o, "router_priors_only") : NULL;
  JsonArray *ver = json_object_has_member (o, "simulated_verifier_cascades")
                   ? json_object_get_array_member (o, "simulated_verifier_cascades") : NULL;
  JsonObject *oracle = json_object_get_object_member (o, "oracle");
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W, H);
  cairo_t *cr = cairo_create (s);
  Axes a = { 0, 1, 0 };
  int row = 0;
  char buf[128];

  for (guint i = 0; i < json_array_get_length (singles); i++)
    {
      JsonObject *p = json_array_get_object_element (singles, i);

      a.xmax = MAX (a.xmax, num (p, "cost"));
      a.ymin = MIN (a.ymin, num (p, "quality"));
      a.ymax = MAX (a.ymax, num (p, "quality"));
    }
  for (guint i = 0; i < json_array_get_length (router); i++)
    a.xmax = MAX (a.xmax, num (json_array_get_object_element (router, i), "cost"));
  a.ymax = MAX (a.ymax, num (oracle, "quality"));
  a.xmax *= 1.05;
  a.ymin = 0;
  a.ymax = MIN (1.0, ceil (a.ymax * 10 + 0.5) / 10);

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

  /* Grid and axes. */
  cairo_set_line_width (cr, 1);
  for (int i = 0; i <= 10; i++)
    {
      double y = a.ymin + (a.ymax - a.ymin) * i / 10.0;
      double x = a.xmax * i / 10.0;

      cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
      cairo_move_to (cr, ML, py (&a, y));
      cairo_line_to (cr, W - MR, py (&a, y));
      cairo_move_to (cr, px (&a, x), MT);
      cairo_line_to (cr, px (&a, x), H - MB);
      cairo_stroke (cr);
      cairo_set_source_rgb (cr, 0.3, 0.3, 0.3);
      snprintf (buf, sizeof buf, "%.0f%%", 100 * y);
      text (cr, ML - 45, py (&a, y) + 4, 11, buf);
      snprintf (buf, sizeof buf, a.xmax < 0.05 ? "%.4f" : a.xmax < 5 ? "%.2f" : "%.0f", x);
      text (cr, px (&a, x) - 14, H - MB + 18, 11, buf);
    }
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  text (cr, ML, MT - 20, 16, title);
  text (cr, ML + (W - ML - MR) / 2 - 60, H - 15, 13,
        json_object_has_member (o, "cost_label") ? json_object_get_string_member (o, "cost_label")
                                                 : "cost per task");
  cairo_save (cr);
  cairo_move_to (cr, 22, MT + (H - MT - MB) / 2 + 40);
  cairo_rotate (cr, -G_PI / 2);
  cairo_set_font_size (cr, 13);
  cairo_show_text (cr, "quality (resolved / pass@1)");
  cairo_restore (cr);

  /* Hull, singles, router, text router, verifier, oracle. */
  polyline (cr, &a, hull, 0.2, 0.4, 0.8, 2.5, FALSE);
  legend (cr, row++, 0.2, 0.4, 0.8, "single-model hull", 1);
  for (guint i = 0; i < json_array_get_length (singles); i++)
    {
      JsonObject *p = json_array_get_object_element (singles, i);
      const char *name = json_object_get_string_member (p, "name");

      cairo_set_source_rgb (cr, 0.45, 0.45, 0.45);
      cairo_arc (cr, px (&a, num (p, "cost")), py (&a, num (p, "quality")), 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
      if (json_array_get_length (singles) <= 12 || num (p, "quality") > 0.6)
        text (cr, px (&a, num (p, "cost")) + 5, py (&a, num (p, "quality")) - 4, 9, name);
    }
  legend (cr, row++, 0.45, 0.45, 0.45, "single models", 0);
  if (text_router != NULL)
    {
      polyline (cr, &a, text_router, 0.95, 0.6, 0.1, 1.5, TRUE);
      legend (cr, row++, 0.95, 0.6, 0.1, "text-only router (CV)", 1);
    }
  if (cascades != NULL)
    {
      polyline (cr, &a, cascades, 0.1, 0.6, 0.6, 1.5, TRUE);
      legend (cr, row++, 0.1, 0.6, 0.6, "observable cascades (CV)", 1);
    }
  if (priors != NULL)
    {
      polyline (cr, &a, priors, 0.9, 0.5, 0.7, 1.5, TRUE);
      legend (cr, row++, 0.9, 0.5, 0.7, "router, priors only", 1);
    }
  if (escalation != NULL)
    {
      polyline (cr, &a, escalation, 0.45, 0.25, 0.1, 1.5, TRUE);
      legend (cr, row++, 0.45, 0.25, 0.1, "router + escalation (CV)", 1);
    }
  polyline (cr, &a, router, 0.85, 0.1, 0.1, 2, TRUE);
  legend (cr, row++, 0.85, 0.1, 0.1, priors != NULL ? "router (pm_router_decide)" : "router sweep", 1);
  if (ver != NULL)
    {
      for (guint i = 0; i < json_array_get_length (ver); i++)
        {
          JsonObject *p = json_array_get_object_element (ver, i);
          double x = px (&a, num (p, "cost")), y = py (&a, num (p, "quality"));

          cairo_set_source_rgb (cr, 0.55, 0.2, 0.7);
          cairo_move_to (cr, x, y - 6);
          cairo_line_to (cr, x + 5, y + 4);
          cairo_line_to (cr, x - 5, y + 4);
          cairo_close_path (cr);
          cairo_fill (cr);
          snprintf (buf, sizeof buf, "%.0f%%/%.0f%%", 100 * num (p, "recall"), 100 * num (p, "false_alarm"));
          text (cr, x + 7, y + 4, 9, buf);
        }
      legend (cr, row++, 0.55, 0.2, 0.7, "SIMULATED verifier", 0);
      legend (cr, row++, 1, 1, 1, "(recall/false alarm assumed)", 0);
    }
  cairo_set_source_rgb (cr, 0.1, 0.6, 0.2);
  cairo_arc (cr, px (&a, num (oracle, "cost")), py (&a, num (oracle, "quality")), 6, 0, 2 * G_PI);
  cairo_fill (cr);
  legend (cr, row++, 0.1, 0.6, 0.2, "oracle", 0);

  cairo_surface_write_to_png (s, out);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  return 0;
}

static int
transcripts (JsonObject *o, const char *out, const char *title)
{
  JsonArray *sessions = json_object_get_array_member (o, "sessions");
  JsonObject *s = json_array_get_object_element (sessions, 0);
  JsonArray *pol;
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W, H * 6 / 10);
  cairo_t *cr = cairo_create (surf);
  double vmax = 0;
  char buf[160];

  /* The session with the most requests. */
  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      JsonObject *c = json_array_get_object_element (sessions, i);

      if (json_object_get_int_member (c, "requests") > json_object_get_int_member (s, "requests"))
        s = c;
    }
  pol = json_array_new ();
  {
    JsonArray *own = json_object_get_array_member (s, "policies");
    JsonArray *pm = json_object_has_member (s, "pointsman") ? json_object_get_array_member (s, "pointsman") : NULL;

    for (guint i = 0; i < json_array_get_length (own); i++)
      json_array_add_element (pol, json_node_copy (json_array_get_element (own, i)));
    for (guint i = 0; pm != NULL && i < json_array_get_length (pm); i++)
      {
        JsonObject *row = json_object_ref (json_array_get_object_element (pm, i));
        char name[96];

        snprintf (name, sizeof name, "Pointsman, tradeoff %.2f (replay's billing)", num (row, "tradeoff"));
        json_object_set_string_member (row, "name", name);
        json_array_add_object_element (pol, row);
      }
  }
  for (guint i = 0; i < json_array_get_length (pol); i++)
    vmax = MAX (vmax, num (json_array_get_object_element (pol, i), "usd"));

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  snprintf (buf, sizeof buf, "%s — %s, %" G_GINT64_FORMAT " requests", title,
            json_object_get_string_member (s, "file"), json_object_get_int_member (s, "requests"));
  text (cr, 20, 30, 15, buf);
  for (guint i = 0; i < json_array_get_length (pol); i++)
    {
      JsonObject *p = json_array_get_object_element (pol, i);
      double y = 50 + i * 44;
      double w = (W - 560) * num (p, "usd") / vmax;

      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      text (cr, 20, y + 22, 12, json_object_get_string_member (p, "name"));
      if (g_str_has_prefix (json_object_get_string_member (p, "name"), "Pointsman"))
        cairo_set_source_rgb (cr, 0.85, 0.1, 0.1);
      else
        cairo_set_source_rgb (cr, 0.2, 0.4, 0.8);
      cairo_rectangle (cr, 330, y + 5, w, 26);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      snprintf (buf, sizeof buf, "$%.2f, %" G_GINT64_FORMAT " switches", num (p, "usd"),
                json_object_get_int_member (p, "switches"));
      text (cr, 336 + w, y + 22, 12, buf);
    }

  cairo_surface_write_to_png (surf, out);
  cairo_destroy (cr);
  cairo_surface_destroy (surf);
  json_array_unref (pol);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;

  if (argc < 5)
    {
      fprintf (stderr, "usage: %s frontier|transcripts IN.json OUT.png TITLE [FAMILY-INDEX]\n", argv[0]);
      return 2;
    }
  if (!json_parser_load_from_file (parser, argv[2], &error))
    {
      fprintf (stderr, "%s: %s\n", argv[2], error->message);
      return 1;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  if (strcmp (argv[1], "transcripts") == 0)
    return transcripts (o, argv[3], argv[4]);
  if (json_object_has_member (o, "families"))
    o = json_array_get_object_element (json_object_get_array_member (o, "families"),
                                       argc > 5 ? atoi (argv[5]) : 0);
  return frontier (o, argv[3], argv[4]);
}
