/* bench-app-memory.c — the app with 10,000 requests in its live list: memory, append cost,
 * frame times while scrolling
 *
 *   NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR=BUILD/data GSK_RENDERER=cairo \
 *     xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session BUILD/bench/bench-app-memory [--records 10000]
 *
 * Builds the real application (pm_application_new_for_testing, an in-memory keyring, a
 * temporary configuration), starts its proxy, opens the main window, then appends N finished
 * PmRecords (request, decision with a 12-candidate explanation, usage, timing) to a request log
 * of N records (--capacity: fewer, so that each append drops the oldest) that the window shows
 * (pm_window_set_log; --proxy-log appends to the proxy's own log instead, which keeps
 * DEFAULT_LOG_ITEMS), running the main loop until the window painted a frame every 100
 * appends, and
 * reads its own VmRSS / VmHWM before and after. Each tenth of the appends is timed (wall clock
 * and this thread's CPU time of the append and the main-loop work; making the records is not
 * counted). Then it scrolls the live list between frames, as input events do (a quarter page a
 * frame, then a jump to a random row every frame) and redraws the savings chart, timing each
 * frame from the frame clock's before-paint to its after-paint (the main thread's work for the
 * frame) and between frames. Prints Markdown tables. Not a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>

#include "pm-app-core.h"
#include "pm-application.h"
#include "pm-keyring.h"
#include "pm-proxy.h"
#include "pm-record.h"
#include "pm-request-log.h"
#include "pm-window.h"

static long
status_kb (const char *field)
{
  g_autofree char *contents = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return -1;
  p = strstr (contents, field);
  return p != NULL ? strtol (p + strlen (field), NULL, 10) : -1;
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static guint n_painted;

static void
count_paint (void)
{
  n_painted++;
}

/* Run the main loop until the window has painted a frame (at most 200 ms): records arriving
 * faster than frames, as with a busy agent, a hundred per frame here. */
static void
drain_frame (void)
{
  guint before = n_painted;
  gint64 deadline = g_get_monotonic_time () + 200000;

  drain ();
  while (n_painted == before && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
}

static JsonNode *
make_explanation (void)
{
  static const char *models[] = { "claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5", "gpt-5-mini",
                                  "gemini-2.5-pro", "gemini-2.5-flash", "deepseek-chat" };
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "objective");
  json_builder_add_string_value (b, "balanced");
  json_builder_set_member_name (b, "candidates");
  json_builder_begin_array (b);
  for (guint i = 0; i < 12; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, models[i % G_N_ELEMENTS (models)]);
      json_builder_set_member_name (b, "effort");
      json_builder_add_string_value (b, i % 3 == 0 ? "high" : i % 3 == 1 ? "medium" : "low");
      json_builder_set_member_name (b, "expected_cost");
      json_builder_add_double_value (b, 0.0123 * (i + 1));
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, 0.9 - i * 0.03);
      json_builder_set_member_name (b, "cache_read_tokens");
      json_builder_add_int_value (b, 40000 + i * 1000);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, "cache warm for this session; expected cost against the default model's");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* --- frame timing ------------------------------------------------------------------------ */

typedef enum { SCROLL_STEP, SCROLL_JUMP, REDRAW } FrameMode;

typedef struct
{
  FrameMode      mode;
  GtkWidget     *widget;
  GtkAdjustment *adj;
  guint          frames;      /* frames to time */
  guint          done;
  GArray        *busy_us;     /* before-paint → after-paint, per frame */
  GArray        *interval_us; /* before-paint → next before-paint */
  GArray        *cpu_us;      /* thread CPU time of the frame */
  gint64         begin;
  gint64         begin_cpu;
  gint64         last_begin;
  GRand         *rand;
} Frames;

static void
on_before_paint (GdkFrameClock *clock,
                 Frames        *f)
{
  gint64 now = g_get_monotonic_time ();

  if (f->last_begin > 0 && f->done < f->frames)
    {
      gint64 d = now - f->last_begin;

      g_array_append_val (f->interval_us, d);
    }
  f->last_begin = now;
  f->begin = now;
  f->begin_cpu = thread_cpu_us ();
}

static void
on_after_paint (GdkFrameClock *clock,
                Frames        *f)
{
  gint64 busy, cpu;

  if (f->begin == 0 || f->done >= f->frames)
    return;
  busy = g_get_monotonic_time () - f->begin;
  cpu = thread_cpu_us () - f->begin_cpu;
  g_array_append_val (f->busy_us, busy);
  g_array_append_val (f->cpu_us, cpu);
  f->done++;
}

/* Between frames, as input events come: the next scroll step or redraw. */
static void
frame_step (Frames *f)
{
  switch (f->mode)
    {
    case SCROLL_STEP:
      {
        double v = gtk_adjustment_get_value (f->adj) + gtk_adjustment_get_page_size (f->adj) / 4;
        double max = gtk_adjustment_get_upper (f->adj) - gtk_adjustment_get_page_size (f->adj);

        gtk_adjustment_set_value (f->adj, v > max ? 1 : v);
      }
      break;
    case SCROLL_JUMP:
      gtk_adjustment_set_value (f->adj, g_rand_double_range (f->rand, 1, gtk_adjustment_get_upper (f->adj) -
                                                                          gtk_adjustment_get_page_size (f->adj)));
      break;
    case REDRAW:
    default:
      gtk_widget_queue_draw (f->widget);
      break;
    }
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *values,
               double  p)
{
  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_int64);
  return g_array_index (values, gint64, MIN (values->len - 1, (guint) (p * values->len))) / 1000.0;
}

static double
mean_ms (GArray *values)
{
  double sum = 0;

  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, gint64, i);
  return values->len > 0 ? sum / values->len / 1000.0 : 0;
}

static void
time_frames (const char    *what,
             FrameMode      mode,
             GtkWidget     *widget,
             GtkAdjustment *adj,
             guint          frames)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  Frames f = { 0 };
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gulong before, after;

  if (clock == NULL)
    {
      printf ("| %s | (not mapped) | | | | | |\n", what);
      return;
    }
  f.mode = mode;
  f.widget = widget;
  f.adj = adj;
  f.frames = frames;
  f.busy_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  f.interval_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  f.cpu_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  f.rand = g_rand_new_with_seed (42);
  before = g_signal_connect (clock, "before-paint", G_CALLBACK (on_before_paint), &f);
  after = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &f);
  while (f.done < f.frames && g_get_monotonic_time () < deadline)
    {
      guint done = f.done;

      frame_step (&f);
      while (f.done == done && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
    }
  g_signal_handler_disconnect (clock, before);
  g_signal_handler_disconnect (clock, after);

  printf ("| %s | %u | %.2f | %.2f | %.2f | %.2f | %.1f |\n", what, f.done,
          mean_ms (f.busy_us), percentile_ms (f.busy_us, 0.5), percentile_ms (f.busy_us, 0.95),
          percentile_ms (f.busy_us, 1.0), mean_ms (f.interval_us) > 0 ? 1000.0 / mean_ms (f.interval_us) : 0.0);
  g_array_unref (f.busy_us);
  g_array_unref (f.interval_us);
  g_array_unref (f.cpu_us);
  g_rand_free (f.rand);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("— the app with N rows in the live list");
  int records = 10000;
  gboolean proxy_log = FALSE;
  int frames = 300;
  int capacity = 0;
  GOptionEntry entries[] = {
    { "records", 'n', 0, G_OPTION_ARG_INT, &records, "Records to append (10000)", "N" },
    { "proxy-log", 0, 0, G_OPTION_ARG_NONE, &proxy_log, "Append to the proxy's own log (keeps DEFAULT_LOG_ITEMS)", NULL },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames to time in each scroll run (300)", "N" },
    { "capacity", 0, 0, G_OPTION_ARG_INT, &capacity, "Records the bench's log keeps (default: --records); fewer drops the oldest on each append", "N" },
    { NULL }
  };
  g_autofree char *dir = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(JsonNode) explanation = NULL;
  g_autoptr(PmRequestLog) own_log = NULL;
  PmApplication *app;
  PmWindow *window;
  PmRequestLog *log;
  GListModel *shown;
  GtkWidget *view;
  GtkAdjustment *vadj;
  long rss_window, hwm_window, rss_after, hwm_after;
  gint64 t0, c0, tb, cb, total_wall, total_cpu, make_wall, app_wall, app_cpu;
  double tenth_wall[10] = { 0 }, tenth_cpu[10] = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (records < 10)
    records = 10;
  gtk_init ();
  adw_init ();

  dir = g_dir_make_tmp ("pointsman-bench-app-XXXXXX", &error);
  if (dir == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  config_path = g_build_filename (dir, "config.json", NULL);
  keyring = pm_keyring_new_memory ();
  app = pm_application_new_for_testing (config_path, keyring);
  if (!g_application_register (G_APPLICATION (app), NULL, &error) ||
      !pm_application_start_proxy (app, &error))
    {
      g_printerr ("bench-app-memory: %s\n", error->message);
      return 1;
    }
  window = pm_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 760);
  pm_window_show_page (window, "requests");
  gtk_window_present (GTK_WINDOW (window));
  if (proxy_log)
    log = pm_proxy_get_log (pm_application_get_proxy (app));
  else
    {
      own_log = pm_request_log_new (capacity > 0 ? capacity : records);
      log = own_log;
      pm_window_set_log (window, G_LIST_MODEL (log));
    }
  spin (1500);
  g_signal_connect_swapped (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint", G_CALLBACK (count_paint), NULL);
  rss_window = status_kb ("VmRSS:");
  hwm_window = status_kb ("VmHWM:");

  /* Each record is made just before its append (the log then holds the only reference, as
   * with the proxy); only the app's part — the append and the main loop — is timed. */
  explanation = make_explanation ();
  app_wall = app_cpu = make_wall = 0;
  for (int i = 0; i < records; i++)
    {
      g_autofree char *id = g_strdup_printf ("pm-bench-%08d", i);
      g_autofree char *session = g_strdup_printf ("bench-session-%d", i / 200);
      g_autoptr(PmRecord) record = NULL;
      PmUsage usage = { 0 };
      gint64 m0 = g_get_monotonic_time ();

      record = pm_record_new (id, g_get_real_time () - (gint64) (records - i) * 1000000);
      usage.input = 1200 + i % 500;
      usage.cache_read = 40000 + (i % 97) * 100;
      usage.output = 300 + i % 700;
      usage.seen = TRUE;
      usage.reported_cost = -1;
      pm_record_set_request (record, session, PM_AGENT_CLAUDE_CODE, i % 10 == 0 ? PM_KIND_BACKGROUND : PM_KIND_MAIN,
                             PM_API_ANTHROPIC, "pointsman/auto");
      pm_record_set_decision (record, i % 3 ? "claude-sonnet-4-5" : "claude-haiku-4-5", "medium", "anthropic", TRUE,
                              "cache warm: stay on the session's model", explanation);
      pm_record_set_usage (record, &usage, 0.021 + (i % 13) * 0.001, 0.034);
      pm_record_set_timing (record, 420.0 + i % 100, 3100.0 + i % 900);
      pm_record_set_state (record, PM_RECORD_DONE, 200, NULL);
      make_wall += g_get_monotonic_time () - m0;

      t0 = g_get_monotonic_time ();
      c0 = thread_cpu_us ();
      pm_request_log_append (log, record);
      if (i % 100 == 99)
        drain_frame ();
      tb = g_get_monotonic_time () - t0;
      cb = thread_cpu_us () - c0;
      app_wall += tb;
      app_cpu += cb;
      tenth_wall[i / (records / 10) < 10 ? i / (records / 10) : 9] += tb;
      tenth_cpu[i / (records / 10) < 10 ? i / (records / 10) : 9] += cb;
    }
  for (int k = 0; k < 10; k++)
    {
      tenth_wall[k] /= records / 10;
      tenth_cpu[k] /= records / 10;
    }
  t0 = g_get_monotonic_time ();
  c0 = thread_cpu_us ();
  drain ();
  total_wall = app_wall + g_get_monotonic_time () - t0;
  total_cpu = app_cpu + thread_cpu_us () - c0;
  spin (2000);
  rss_after = status_kb ("VmRSS:");
  hwm_after = status_kb ("VmHWM:");
  shown = G_LIST_MODEL (pm_request_list_get_selection (pm_window_get_request_list (window)));

  printf ("| state | rows in the live list | VmRSS (MiB) | VmHWM (MiB) |\n");
  printf ("|---|---|---|---|\n");
  printf ("| window open, proxy started, empty list | 0 | %.1f | %.1f |\n", rss_window / 1024.0, hwm_window / 1024.0);
  printf ("| after appending %d records (%.1f s) | %u | %.1f | %.1f |\n", records,
          total_wall / 1e6, g_list_model_get_n_items (shown), rss_after / 1024.0, hwm_after / 1024.0);
  printf ("\n");
  printf ("| appends | wall µs/append | main-thread CPU µs/append |\n");
  printf ("|---|---|---|\n");
  for (int k = 0; k < 10; k++)
    printf ("| %d–%d | %.0f | %.0f |\n", k * (records / 10) + 1, (k + 1) * (records / 10), tenth_wall[k], tenth_cpu[k]);
  printf ("| all %d | %.0f (%.1f s) | %.0f (%.1f s) |\n", records, (double) total_wall / records, total_wall / 1e6,
          (double) total_cpu / records, total_cpu / 1e6);
  printf ("\n(making the %d records, not counted above: %.1f s)\n", records, make_wall / 1e6);
  printf ("\n");
  fflush (stdout);

  view = GTK_WIDGET (pm_request_list_get_column_view (pm_window_get_request_list (window)));
  vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  printf ("| frames (%s, %u rows, list %.0f px, page %.0f px) | frames | mean ms | p50 ms | p95 ms | max ms | frames/s |\n",
          g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default renderer",
          g_list_model_get_n_items (shown), gtk_adjustment_get_upper (vadj), gtk_adjustment_get_page_size (vadj));
  printf ("|---|---|---|---|---|---|---|\n");
  time_frames ("live list: scroll a quarter page a frame", SCROLL_STEP, view, vadj, frames);
  time_frames ("live list: jump to a random row every frame", SCROLL_JUMP, view, vadj, frames / 3);
  pm_window_show_page (window, "savings");
  spin (300);
  time_frames ("savings chart: redraw every frame", REDRAW, GTK_WIDGET (pm_window_get_savings_chart (window)), NULL, 60);
  fflush (stdout);

  gtk_window_destroy (GTK_WINDOW (window));
  pm_application_stop_proxy (app);
  spin (100);
  g_object_unref (app);
  g_unlink (config_path);
  g_rmdir (dir);
  return 0;
}
