/* bench-app-memory.c — the app's memory with 10,000 requests in its live list
 *
 *   xvfb-run -a dbus-run-session build-perf/bench/bench-app-memory [--records 10000]
 *
 * Builds the real application (pm_application_new_for_testing, an in-memory keyring, a
 * temporary configuration), starts its proxy, opens the main window, then appends N finished
 * PmRecords (request, decision with a 12-candidate explanation, usage, timing) to the proxy's
 * request log — the GListModel the live list shows — iterating the main loop as it goes, and
 * reads its own VmRSS / VmHWM before and after. Prints a Markdown table. Not a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("— the app's RSS with N rows in the live list");
  int records = 10000;
  GOptionEntry entries[] = {
    { "records", 'n', 0, G_OPTION_ARG_INT, &records, "Records to append (10000)", "N" },
    { NULL }
  };
  g_autofree char *dir = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(JsonNode) explanation = NULL;
  PmApplication *app;
  PmWindow *window;
  PmRequestLog *log;
  GListModel *shown;
  long rss_window, hwm_window, rss_after, hwm_after;
  gint64 t0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
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
  gtk_window_present (GTK_WINDOW (window));
  spin (1500);
  rss_window = status_kb ("VmRSS:");
  hwm_window = status_kb ("VmHWM:");

  log = pm_proxy_get_log (pm_application_get_proxy (app));
  explanation = make_explanation ();
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < records; i++)
    {
      g_autofree char *id = g_strdup_printf ("pm-bench-%08d", i);
      g_autofree char *session = g_strdup_printf ("bench-session-%d", i / 200);
      g_autoptr(PmRecord) record = pm_record_new (id, g_get_real_time () - (gint64) (records - i) * 1000000);
      PmUsage usage = { 0 };

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
      pm_request_log_append (log, record);
      if (i % 100 == 99)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  spin (2000);
  rss_after = status_kb ("VmRSS:");
  hwm_after = status_kb ("VmHWM:");
  shown = pm_application_get_log (app);

  printf ("| state | rows in the live list | VmRSS (MiB) | VmHWM (MiB) |\n");
  printf ("|---|---|---|---|\n");
  printf ("| window open, proxy started, empty list | 0 | %.1f | %.1f |\n", rss_window / 1024.0, hwm_window / 1024.0);
  printf ("| after appending %d records (%.1f s) | %u | %.1f | %.1f |\n", records,
          (g_get_monotonic_time () - t0) / 1e6, g_list_model_get_n_items (shown), rss_after / 1024.0, hwm_after / 1024.0);

  gtk_window_destroy (GTK_WINDOW (window));
  pm_application_stop_proxy (app);
  spin (100);
  g_object_unref (app);
  g_unlink (config_path);
  g_rmdir (dir);
  return 0;
}
