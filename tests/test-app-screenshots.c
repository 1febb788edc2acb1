/* test-app-screenshots.c — a PNG of each main view, written into the build directory
 * (PM_BUILD_DIR/screenshots/NAME.png); fails when a view renders blank.
 *
 * With the routing core, the bundled demo runs first through the real proxy against the
 * simulated upstream so the views show data. Skips without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>
#include <glib/gstdio.h>

#include "pm-application.h"
#include "pm-test-utils.h"
#include "pm-window.h"

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
spin (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;
  guint id = g_timeout_add (10, tick, NULL);

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static char *
screenshot_dir (void)
{
  const char *build = g_getenv ("PM_BUILD_DIR");
  char *dir = g_build_filename (build ? build : ".", "screenshots", NULL);

  g_mkdir_with_parents (dir, 0755);
  return dir;
}

/* Distinct colours and the share of pixels that differ from the most common one. */
static void
measure_texture (GdkTexture *texture,
                 guint      *n_colors,
                 double     *non_background)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = width * 4;
  g_autofree guchar *data = g_malloc (stride * height);
  g_autoptr(GHashTable) colors = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint32 background = 0;
  guint best = 0;
  gsize different = 0;

  gdk_texture_download (texture, data, stride);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 px;
        guint count;

        memcpy (&px, data + y * stride + x * 4, 4);
        count = GPOINTER_TO_UINT (g_hash_table_lookup (colors, GUINT_TO_POINTER (px))) + 1;
        g_hash_table_insert (colors, GUINT_TO_POINTER (px), GUINT_TO_POINTER (count));
        if (count > best)
          {
            best = count;
            background = px;
          }
      }
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 px;

        memcpy (&px, data + y * stride + x * 4, 4);
        if (px != background)
          different++;
      }

  *n_colors = g_hash_table_size (colors);
  *non_background = (double) different / ((double) width * height);
}

static void
shoot (GtkWidget  *window,
       const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *dir = screenshot_dir ();
  g_autofree char *file = g_strdup_printf ("%s.png", name);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);
  guint n_colors;
  double non_background;

  gtk_test_widget_wait_for_draw (window);
  spin (450);   /* let CSS transitions (the view switcher) finish */
  g_assert_cmpint (width, >, 100);
  g_assert_cmpint (height, >, 100);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_nonnull (texture);
  g_assert_true (gdk_texture_save_to_png (texture, path));

  measure_texture (texture, &n_colors, &non_background);
  g_test_message ("%s: %dx%d, %u colours, %.1f %% non-background", path, width, height,
                  n_colors, 100 * non_background);
  /* A blank (or nearly blank) view has a handful of colours and almost no foreground. */
  g_assert_cmpuint (n_colors, >, 32);
  g_assert_cmpfloat (non_background, >, 0.02);
}

static gboolean demo_ready (PmApplication *app, guint steps);

static void
test_screenshots (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmApplication) app = NULL;
  g_autofree char *tmp = pm_test_make_tmpdir ();
  g_autofree char *config_path = g_build_filename (tmp, "config.json", NULL);
  static const char *pages[] = { "requests", "objective", "savings", "providers", "setup" };
  PmWindow *window;

  app = pm_application_new_for_testing (config_path, NULL);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
#if PM_APP_HAVE_CORE
  g_assert_true (pm_application_start_proxy (app, &error));
  g_assert_no_error (error);
#endif

  window = pm_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));

  shoot (GTK_WIDGET (window), "empty");

#if PM_APP_HAVE_CORE
  {
    g_autoptr(GBytes) bytes = g_resources_lookup_data ("/io/github/pointsman/Pointsman/demo-session.json", 0, NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();
    guint steps;
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

    g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));
    steps = json_array_get_length (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "steps"));
    g_assert_true (pm_application_start_demo (app, &error));
    g_assert_no_error (error);
    while (!demo_ready (app, steps) && g_get_monotonic_time () < deadline)
      spin (50);
    g_assert_true (demo_ready (app, steps));
    spin (400);

    /* Select a main-agent step for the why-pane. */
    {
      PmRequestList *list = pm_window_get_request_list (window);
      GListModel *shown = G_LIST_MODEL (pm_request_list_get_selection (list));

      for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
        {
          g_autoptr(PmRecord) r = g_list_model_get_item (shown, i);

          if (g_strcmp0 (pm_record_get_kind (r), "main") == 0)
            {
              gtk_selection_model_select_item (GTK_SELECTION_MODEL (shown), i, TRUE);
              break;
            }
        }
    }
  }
#endif

  /* The demo's toast has said its piece; the published views go without it. */
  pm_window_dismiss_toasts (window);
  spin (400);

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      pm_window_show_page (window, pages[i]);
      if (g_str_equal (pages[i], "objective"))
        {
          /* Show the what-if moving: the slider towards cost, after the demo ran at 0.5. */
          gtk_range_set_value (pm_objective_page_get_tradeoff (pm_window_get_objective_page (window)), 0.85);
          pm_objective_page_update_what_if (pm_window_get_objective_page (window));
        }
      if (g_str_equal (pages[i], "savings"))
        pm_savings_chart_set_hover (pm_window_get_savings_chart (window), 0.6);
      shoot (GTK_WIDGET (window), pages[i]);
    }

  /* Dark style. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  pm_window_show_page (window, "requests");
  spin (300);
  shoot (GTK_WIDGET (window), "requests-dark");
  pm_window_show_page (window, "savings");
  shoot (GTK_WIDGET (window), "savings-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  pm_application_stop_demo (app);
  gtk_window_destroy (GTK_WINDOW (window));
  pm_application_stop_proxy (app);
  spin (50);
}

static gboolean
demo_ready (PmApplication *app,
            guint          steps)
{
#if PM_APP_HAVE_CORE
  GListModel *log = pm_application_get_log (app);
  guint n = g_list_model_get_n_items (log);
  g_autoptr(PmRecord) last = NULL;

  if (pm_application_get_demo_progress (app) < steps || n < steps)
    return FALSE;
  last = g_list_model_get_item (log, n - 1);
  return pm_record_get_state (last) >= PM_RECORD_DONE;
#else
  return TRUE;
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("POINTSMAN_DEMO_DELAY_MS", "0", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display (run under ./build-aux/test.sh or xvfb-run)\n");
      return 0;
    }
  adw_init ();

  g_test_add_func ("/app/screenshots", test_screenshots);

  return g_test_run ();
}
