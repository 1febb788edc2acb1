/* test-app-window.c — the desktop app under a display: demo through the real proxy, the request
 * list, the why-pane, the objective sliders and their what-if, the savings chart, providers and
 * keys in the real keyring.
 *
 * Runs inside ./build-aux/test.sh (Xvfb, D-Bus, unlocked gnome-keyring). Skips without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>
#include <libsoup/soup.h>

#include "pm-application.h"
#include "pm-test-utils.h"
#include "pm-what-if.h"
#include "pm-window.h"

#define TEST_KEY "test-key-not-real-1234"

#if PM_APP_HAVE_CORE

typedef gboolean (*CondFunc) (gpointer data);

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterate the main loop until cond is true or timeout_ms passed. */
static gboolean
wait_until (CondFunc cond,
            gpointer data,
            guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  guint id = g_timeout_add (20, tick, NULL);
  gboolean ok;

  while (!(ok = cond (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);

  return ok;
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

typedef struct
{
  PmApplication *app;
  PmWindow      *window;
  char          *tmpdir;
} Fixture;

static gboolean
demo_done (gpointer data)
{
  Fixture *f = data;
  GListModel *log = pm_application_get_log (f->app);
  guint n = g_list_model_get_n_items (log);

  if (pm_application_get_demo_progress (f->app) == 0 || n < pm_application_get_demo_progress (f->app))
    return FALSE;
  /* and the last record is finished */
  {
    g_autoptr(PmRecord) last = g_list_model_get_item (log, n - 1);

    return pm_record_get_state (last) == PM_RECORD_DONE || pm_record_get_state (last) == PM_RECORD_FAILED;
  }
}

static guint demo_steps;

static gboolean
demo_finished (gpointer data)
{
  Fixture *f = data;

  return pm_application_get_demo_progress (f->app) >= demo_steps && demo_done (f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = NULL;

  f->tmpdir = pm_test_make_tmpdir ();
  config_path = g_build_filename (f->tmpdir, "config.json", NULL);
  f->app = pm_application_new_for_testing (config_path, NULL);
  g_assert_true (g_application_register (G_APPLICATION (f->app), NULL, &error));
  g_assert_no_error (error);

  g_assert_true (pm_application_start_proxy (f->app, &error));
  g_assert_no_error (error);

  f->window = pm_window_new (f->app);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  pm_application_stop_demo (f->app);
  gtk_window_destroy (GTK_WINDOW (f->window));
  pm_application_stop_proxy (f->app);
  spin (50);
  /* A registered GApplication that never ran stays exported on the bus (not finalized). */
  g_clear_object (&f->app);
  g_free (f->tmpdir);
}

static void
run_demo (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pm_application_start_demo (f->app, &error));
  g_assert_no_error (error);
  g_assert_true (pm_application_get_demo_running (f->app));
  g_assert_true (wait_until (demo_finished, f, 60000));
  spin (300);   /* the list's and the chart's coalesced updates */
}

static void
test_proxy_state (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *url = pm_application_dup_url (f->app);
  const char *status = pm_window_get_status_text (f->window);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  guint port;

  /* The window shows the address the in-process proxy listens on, and it accepts connections. */
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
  g_assert_nonnull (strstr (status, url));
  port = pm_proxy_get_port (pm_application_get_proxy (f->app));
  g_assert_cmpuint (port, >, 0);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&conn);

  /* The setup snippets carry the live address. */
  g_assert_nonnull (strstr (pm_setup_page_get_snippet (pm_window_get_setup_page (f->window), "claude-code"), url));
  g_assert_nonnull (strstr (pm_setup_page_get_snippet (pm_window_get_setup_page (f->window), "codex"), url));
  /* With a local access token ("listen": {"token": true}) the snippets carry it as the key. */
  {
    PmSetupPage *page = pm_window_get_setup_page (f->window);
    const char *token = "pm-local-test-token-not-real-4242";

    pm_setup_page_set_token (page, token);
    g_assert_nonnull (strstr (pm_setup_page_get_snippet (page, "claude-code"), "ANTHROPIC_AUTH_TOKEN=pm-local-test-token-not-real-4242"));
    g_assert_nonnull (strstr (pm_setup_page_get_snippet (page, "aider"), token));
    g_assert_null (strstr (pm_setup_page_get_snippet (page, "opencode"), "pointsman-local"));
    g_assert_nonnull (strstr (pm_setup_page_get_snippet (page, "claude-code"), url));
    pm_setup_page_set_token (page, NULL);
    g_assert_null (strstr (pm_setup_page_get_snippet (page, "claude-code"), token));
    g_assert_nonnull (strstr (pm_setup_page_get_snippet (page, "claude-code"), "pointsman-local"));
  }

  /* Stop: the window says so and the port refuses. */
  pm_application_stop_proxy (f->app);
  g_assert_false (pm_application_get_proxy_running (f->app));
  g_assert_null (strstr (pm_window_get_status_text (f->window), url));
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_null (conn);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);

  g_assert_true (pm_application_start_proxy (f->app, &error));
  g_assert_no_error (error);

  /* The port preference: the proxy moves to the new port at once. */
  {
    g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autofree char *expect = NULL;
    g_autofree char *new_url = NULL;
    guint free_port;

    g_assert_true (g_socket_bind (probe, any, TRUE, &error));
    bound = g_socket_get_local_address (probe, &error);
    free_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_socket_close (probe, NULL);

    g_settings_set_uint (pm_application_get_settings (f->app), "listen-port", free_port);
    g_assert_true (pm_application_get_proxy_running (f->app));
    g_assert_cmpuint (pm_proxy_get_port (pm_application_get_proxy (f->app)), ==, free_port);
    new_url = pm_application_dup_url (f->app);
    expect = g_strdup_printf ("http://127.0.0.1:%u", free_port);
    g_assert_cmpstr (new_url, ==, expect);
    g_assert_nonnull (strstr (pm_window_get_status_text (f->window), expect));
    g_assert_nonnull (strstr (pm_setup_page_get_snippet (pm_window_get_setup_page (f->window), "aider"), expect));
    conn = g_socket_client_connect_to_host (client, "127.0.0.1", free_port, NULL, &error);
    g_assert_no_error (error);
    g_clear_object (&conn);
    g_settings_reset (pm_application_get_settings (f->app), "listen-port");
    g_assert_true (pm_application_get_proxy_running (f->app));
  }
}

static void
test_demo_list_and_why (Fixture       *f,
                        gconstpointer  data)
{
  PmRequestList *list = pm_window_get_request_list (f->window);
  PmWhyPane *why = pm_window_get_why_pane (f->window);
  GListModel *log;
  GtkSingleSelection *selection;
  g_autoptr(PmRecord) chosen = NULL;
  g_autofree char *text = NULL;
  gint64 cache_read_total = 0;
  guint n, pos = GTK_INVALID_LIST_POSITION;

  run_demo (f);

  log = pm_application_get_log (f->app);
  n = g_list_model_get_n_items (log);
  g_assert_cmpuint (n, ==, demo_steps);
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, n);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PmRecord) r = g_list_model_get_item (log, i);
      PmUsage usage;

      g_assert_cmpint (pm_record_get_state (r), ==, PM_RECORD_DONE);
      g_assert_cmpuint (pm_record_get_status (r), ==, 200);
      g_assert_nonnull (pm_record_get_model (r));
      pm_record_get_usage (r, &usage);
      g_assert_cmpint (pm_usage_prompt_total (&usage), >, 0);
      cache_read_total += usage.cache_read;
    }
  /* The session re-sends its prefix: the simulated upstream reports cache reads. */
  g_assert_cmpint (cache_read_total, >, 0);

  /* Select the last main-agent step of the session (the list sorts newest first). */
  selection = pm_request_list_get_selection (list);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (selection)); i++)
    {
      g_autoptr(PmRecord) r = g_list_model_get_item (G_LIST_MODEL (selection), i);

      if (g_strcmp0 (pm_record_get_kind (r), pm_kind_to_string (PM_KIND_MAIN)) == 0)
        {
          pos = i;
          break;
        }
    }
  g_assert_cmpuint (pos, !=, GTK_INVALID_LIST_POSITION);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (selection), pos, TRUE);
  chosen = g_object_ref (pm_request_list_get_selected (list));
  g_assert_true (pm_why_pane_get_record (why) == chosen);
  spin (50);

  text = pm_why_pane_dup_text (why);
  g_test_message ("why-pane:\n%s", text);
  /* The pane names the model the record went to and its cost, and shows the router's summary. */
  g_assert_nonnull (strstr (text, pm_record_get_model (chosen)));
  if (pm_record_get_summary (chosen) != NULL && *pm_record_get_summary (chosen) != '\0')
    g_assert_nonnull (strstr (text, pm_record_get_summary (chosen)));
  {
    g_autofree char *cost = pm_format_cost (pm_record_get_cost (chosen));

    g_assert_nonnull (strstr (text, cost));
  }
  /* Every candidate and reason in the explanation is rendered. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    const char *expl = pm_record_get_explanation (chosen);
    guint want_candidates = 0, want_reasons = 0;

    if (expl != NULL && json_parser_load_from_data (parser, expl, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
      {
        JsonObject *o = json_node_get_object (json_parser_get_root (parser));

        if (json_object_has_member (o, "candidates"))
          want_candidates = MIN (json_array_get_length (json_object_get_array_member (o, "candidates")), 12);
        if (json_object_has_member (o, "reasons"))
          {
            JsonArray *reasons = json_object_get_array_member (o, "reasons");

            want_reasons = json_array_get_length (reasons);
            for (guint i = 0; i < want_reasons; i++)
              if (JSON_NODE_HOLDS_VALUE (json_array_get_element (reasons, i)))
                g_assert_nonnull (strstr (text, json_array_get_string_element (reasons, i)));
          }
      }
    g_assert_cmpuint (pm_why_pane_get_n_candidates (why), ==, want_candidates);
    g_assert_cmpuint (pm_why_pane_get_n_reasons (why), ==, want_reasons);
  }
  /* The session timeline covers all requests of the session. */
  {
    g_autofree char *expect = NULL;
    guint in_session = 0;

    for (guint i = 0; i < n; i++)
      {
        g_autoptr(PmRecord) r = g_list_model_get_item (log, i);

        if (g_strcmp0 (pm_record_get_session (r), pm_record_get_session (chosen)) == 0)
          in_session++;
      }
    g_assert_cmpuint (in_session, >, 1);
    expect = g_strdup_printf ("%u requests in this session", in_session);

    g_assert_nonnull (strstr (text, expect));
  }

  /* Unselect: the pane goes back to its placeholder. */
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
  g_assert_null (pm_why_pane_get_record (why));
}

static void
test_list_filter_sort (Fixture       *f,
                       gconstpointer  data)
{
  PmRequestList *list = pm_window_get_request_list (f->window);
  GtkColumnView *view = pm_request_list_get_column_view (list);
  GListModel *columns = gtk_column_view_get_columns (view);
  GListModel *shown = G_LIST_MODEL (pm_request_list_get_selection (list));
  GListModel *log;
  g_autoptr(PmRecord) first = NULL;
  GtkColumnViewColumn *cost_column = NULL;
  guint n, claude = 0;

  run_demo (f);
  log = pm_application_get_log (f->app);
  n = g_list_model_get_n_items (log);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PmRecord) r = g_list_model_get_item (log, i);

      if (g_strcmp0 (pm_record_get_agent (r), pm_agent_to_string (PM_AGENT_CLAUDE_CODE)) == 0)
        claude++;
    }
  g_assert_cmpuint (claude, >, 0);

  pm_request_list_set_agent_filter (list, pm_agent_to_string (PM_AGENT_CLAUDE_CODE));
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, claude);
  pm_request_list_set_agent_filter (list, "no-such-agent");
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, 0);
  pm_request_list_set_agent_filter (list, NULL);
  first = g_list_model_get_item (log, 0);
  pm_request_list_set_session_filter (list, pm_record_get_session (first));
  g_assert_cmpuint (pm_request_list_get_n_shown (list), >, 0);
  pm_request_list_set_session_filter (list, "no-such-session");
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, 0);
  pm_request_list_set_session_filter (list, NULL);
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, n);

  /* Sort by cost, descending: numeric order, not text order. */
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);

      if (g_strcmp0 (gtk_column_view_column_get_title (c), "Cost") == 0)
        cost_column = c;
    }
  g_assert_nonnull (cost_column);
  gtk_column_view_sort_by_column (view, cost_column, GTK_SORT_DESCENDING);
  {
    GtkSortListModel *sorted = GTK_SORT_LIST_MODEL (gtk_single_selection_get_model (pm_request_list_get_selection (list)));

    g_assert_true (gtk_sort_list_model_get_sorter (sorted) == gtk_column_view_get_sorter (view));
    while (gtk_sort_list_model_get_pending (sorted) > 0)
      spin (10);
  }
  for (guint i = 1; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(PmRecord) a = g_list_model_get_item (shown, i - 1);
      g_autoptr(PmRecord) b = g_list_model_get_item (shown, i);

      g_assert_cmpfloat (pm_record_get_cost (a), >=, pm_record_get_cost (b));
    }
}

static gboolean
page_settled (gpointer data)
{
  return !pm_objective_page_get_pending (data);
}

static void
test_what_if_sliders (Fixture       *f,
                      gconstpointer  data)
{
  PmObjectivePage *page = pm_window_get_objective_page (f->window);
  PmObjective *objective = pm_application_get_objective (f->app);
  GSettings *settings = pm_application_get_settings (f->app);
  GtkRange *tradeoff = pm_objective_page_get_tradeoff (page);
  const PmWhatIfResult *r;
  double actual, quality_first, cost_first;
  guint changed_quality_first;
  g_autofree char *expected = NULL;

  run_demo (f);
  pm_window_show_page (f->window, "objective");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->window));

  pm_objective_page_update_what_if (page);
  r = pm_objective_page_get_result (page);
  g_assert_cmpuint (r->n_requests, ==, demo_steps);
  actual = r->actual_cost;
  g_assert_cmpfloat (actual, >, 0);

  /* The actual figure is the sum of what the log recorded. */
  {
    GListModel *log = pm_application_get_log (f->app);
    double sum = 0;

    for (guint i = 0; i < g_list_model_get_n_items (log); i++)
      {
        g_autoptr(PmRecord) rec = g_list_model_get_item (log, i);

        sum += pm_record_get_cost (rec);
      }
    g_assert_cmpfloat_with_epsilon (actual, sum, 1e-9);
  }

  /* Move the slider: settings and the live objective follow (the next request uses it). */
  gtk_range_set_value (tradeoff, 0.0);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "tradeoff"), 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (pm_objective_get_tradeoff (objective), 0.0, 1e-9);
  /* The page re-runs the what-if shortly after the move. */
  g_assert_true (pm_objective_page_get_pending (page));
  g_assert_true (wait_until (page_settled, page, 5000));
  r = pm_objective_page_get_result (page);
  quality_first = r->what_if_cost;
  changed_quality_first = r->n_changed;
  g_test_message ("quality first:\n%s", pm_objective_page_get_what_if_text (page));
  g_assert_cmpuint (r->n_requests, ==, demo_steps);
  g_assert_cmpfloat (quality_first, >, 0);
  expected = pm_format_cost (quality_first);
  g_assert_nonnull (strstr (pm_objective_page_get_what_if_text (page), expected));
  g_clear_pointer (&expected, g_free);

  gtk_range_set_value (tradeoff, 1.0);
  g_assert_cmpfloat_with_epsilon (pm_objective_get_tradeoff (objective), 1.0, 1e-9);
  g_assert_true (pm_objective_page_get_pending (page));
  g_assert_true (wait_until (page_settled, page, 5000));
  r = pm_objective_page_get_result (page);
  cost_first = r->what_if_cost;
  g_test_message ("cost first:\n%s", pm_objective_page_get_what_if_text (page));
  expected = pm_format_cost (cost_first);
  g_assert_nonnull (strstr (pm_objective_page_get_what_if_text (page), expected));
  g_test_message ("what-if: actual %.6f, quality first %.6f, cost first %.6f", actual, quality_first, cost_first);

  /* The figures move with the slider: cost first routes a different set of requests. */
  {
    PmWhatIf *what_if = pm_application_get_what_if (f->app);
    g_autoptr(PmObjective) copy = pm_objective_copy (objective);
    PmWhatIfResult again = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_cmpuint (r->n_changed, !=, changed_quality_first);

    /* What the page shows is the what-if under the objective as the slider set it. */
    g_assert_true (pm_what_if_run (what_if, copy, &again, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (again.n_requests, ==, r->n_requests);
    g_assert_cmpuint (again.n_changed, ==, r->n_changed);
    g_assert_cmpfloat_with_epsilon (again.what_if_cost, r->what_if_cost, 1e-12);
    pm_what_if_result_clear (&again);

    /* Put back a quality-first objective in the copy: the same figures as before. */
    pm_objective_set_tradeoff (copy, 0.0);

    g_assert_true (pm_what_if_run (what_if, copy, &again, &error));
    g_assert_cmpfloat_with_epsilon (again.what_if_cost, quality_first, 1e-12);
    g_assert_cmpuint (again.n_changed, ==, changed_quality_first);
    pm_what_if_result_clear (&again);
  }
  /* The actual figure does not move. */
  g_assert_cmpfloat_with_epsilon (r->actual_cost, actual, 1e-12);
}

static void
test_what_if_pool (Fixture       *f,
                   gconstpointer  data)
{
  PmObjectivePage *page = pm_window_get_objective_page (f->window);
  PmObjective *objective = pm_application_get_objective (f->app);
  GSettings *settings = pm_application_get_settings (f->app);
  const PmWhatIfResult *r;
  g_auto(GStrv) disabled = NULL;
  GHashTableIter iter;
  gpointer key, value;
  const char *most = NULL;
  guint most_count = 0;

  run_demo (f);
  pm_objective_page_update_what_if (page);
  r = pm_objective_page_get_result (page);
  g_assert_cmpuint (pm_objective_page_get_n_pool_rows (page), >, 1);

  g_hash_table_iter_init (&iter, r->what_if_models);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (GPOINTER_TO_UINT (value) > most_count)
      {
        most = key;
        most_count = GPOINTER_TO_UINT (value);
      }
  g_assert_nonnull (most);
  most = g_intern_string (most);

  /* Switching a model off goes to the settings and the live objective, and the what-if stops
   * using it. */
  pm_objective_set_model_enabled (objective, most, FALSE);
  disabled = g_settings_get_strv (settings, "disabled-models");
  g_assert_true (g_strv_contains ((const char * const *) disabled, most));
  g_assert_true (wait_until (page_settled, page, 5000));
  r = pm_objective_page_get_result (page);
  g_assert_cmpuint (r->n_requests, ==, demo_steps);
  g_assert_false (g_hash_table_contains (r->what_if_models, most));
}

typedef struct
{
  PmWindow   *window;
  const char *text;
} TotalsWait;

static gboolean
totals_say (gpointer data)
{
  TotalsWait *wait = data;

  return strstr (pm_window_get_totals_text (wait->window), wait->text) != NULL;
}

static void
test_savings_chart (Fixture       *f,
                    gconstpointer  data)
{
  PmSavingsChart *chart = pm_window_get_savings_chart (f->window);
  PmSavingsSeries *series = pm_savings_chart_get_series (chart);
  GListModel *log;
  double actual = 0, baseline = 0;
  PmSavingsPoint last, point, prev;
  g_autofree char *a = NULL, *b = NULL;
  guint n, recomputes;

  run_demo (f);
  pm_window_show_page (f->window, "savings");
  /* The series followed the demo's requests as they finished, without a full recompute since
   * the demo's log was set; the next main-loop iteration has it. */
  recomputes = pm_savings_series_get_n_recomputes (series);
  g_main_context_iteration (NULL, FALSE);

  log = pm_application_get_log (f->app);
  n = g_list_model_get_n_items (log);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PmRecord) r = g_list_model_get_item (log, i);

      actual += pm_record_get_cost (r);
      baseline += pm_record_get_baseline_cost (r);
    }

  g_assert_cmpuint (pm_savings_series_get_n_points (series), ==, n);
  g_assert_true (pm_savings_series_get_point (series, n - 1, &last));
  g_assert_cmpfloat_with_epsilon (last.actual, actual, 1e-9);
  g_assert_cmpfloat_with_epsilon (last.baseline, baseline, 1e-9);
  /* cumulative: never decreasing */
  for (guint i = 1; i < n; i++)
    {
      g_assert_true (pm_savings_series_get_point (series, i, &point));
      g_assert_true (pm_savings_series_get_point (series, i - 1, &prev));
      g_assert_cmpfloat (point.actual, >=, prev.actual);
    }
  g_assert_cmpuint (pm_savings_series_get_n_recomputes (series), ==, recomputes);
  /* The status bar's totals, kept per record, say the same (once its coalescing timer, 250 ms
   * after the last record finished, has run: a loaded machine can be later than run_demo's
   * spin). */
  {
    g_autofree char *count = g_strdup_printf ("%u requests", n);
    g_autofree char *spent = pm_format_cost (actual);
    TotalsWait wait = { f->window, count };

    g_assert_true (wait_until (totals_say, &wait, 5000));
    g_assert_nonnull (strstr (pm_window_get_totals_text (f->window), count));
    g_assert_nonnull (strstr (pm_window_get_totals_text (f->window), spent));
  }
  /* A full recompute finds the same. */
  pm_savings_series_update (series);
  g_assert_true (pm_savings_series_get_point (series, n - 1, &point));
  g_assert_cmpfloat_with_epsilon (point.actual, last.actual, 1e-9);
  g_assert_cmpfloat_with_epsilon (point.baseline, last.baseline, 1e-9);

  /* Hovering at the right end shows the final totals. */
  pm_savings_chart_set_hover (chart, 1.0);
  a = pm_format_cost (actual);
  b = pm_format_cost (baseline);
  g_assert_nonnull (pm_savings_chart_get_hover_text (chart));
  g_assert_nonnull (strstr (pm_savings_chart_get_hover_text (chart), a));
  g_assert_nonnull (strstr (pm_savings_chart_get_hover_text (chart), b));
  pm_savings_chart_set_hover (chart, -1);
  g_assert_null (pm_savings_chart_get_hover_text (chart));
}

/* --- providers and keys -------------------------------------------------------------------- */

static gboolean
providers_idle (gpointer data)
{
  return pm_providers_page_get_busy (data) == 0;
}

static void
collect_text (GtkWidget *widget,
              GString   *out)
{
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  if (GTK_IS_EDITABLE (widget))
    g_string_append_printf (out, "%s\n", gtk_editable_get_text (GTK_EDITABLE (widget)));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_text (c, out);
}

static void
test_providers_keys (Fixture       *f,
                     gconstpointer  data)
{
  PmProvidersPage *page = pm_window_get_providers_page (f->window);
  PmKeyring *keyring = pm_application_get_keyring (f->app);
  PmConfig *config = pm_application_get_config (f->app);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) reloaded = NULL;
  g_autoptr(GString) all_text = g_string_new (NULL);
  g_autofree char *stored = NULL;
  g_autofree char *provider_id = g_strdup_printf ("test-gateway-%d", g_random_int_range (0, 1 << 30));
  PmProviderConfig *p;
  guint before;

  pm_window_show_page (f->window, "providers");
  g_assert_true (wait_until (providers_idle, page, 10000));
  if (!g_str_has_prefix (pm_providers_page_get_keyring_status (page), "Keys are kept"))
    {
      g_test_skip (pm_providers_page_get_keyring_status (page));
      return;
    }

  /* Add a provider: it is listed, in the configuration and saved to the file. */
  before = pm_providers_page_get_n_providers (page);
  g_assert_false (pm_providers_page_set_provider (page, "bad id", PM_API_OPENAI_CHAT,
                                                  "http://127.0.0.1:9/v1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (pm_providers_page_set_provider (page, provider_id, PM_API_OPENAI_CHAT,
                                                  "ftp://example", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (pm_providers_page_set_provider (page, provider_id, PM_API_OPENAI_CHAT,
                                                 "http://127.0.0.1:9/v1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pm_providers_page_get_n_providers (page), ==, before + 1);
  p = pm_config_lookup_provider (config, provider_id);
  g_assert_nonnull (p);
  g_assert_cmpint (p->api, ==, PM_API_OPENAI_CHAT);
  g_assert_cmpstr (p->base_url, ==, "http://127.0.0.1:9/v1");
  reloaded = pm_config_load (pm_config_get_path (config), FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pm_config_lookup_provider (reloaded, provider_id));
  g_assert_true (wait_until (providers_idle, page, 10000));
  g_assert_cmpstr (pm_providers_page_get_key_status (page, provider_id), ==, "No key stored");

  /* Edit it: same row, new API family and URL, saved. */
  g_assert_true (pm_providers_page_set_provider (page, provider_id, PM_API_OPENAI_RESPONSES,
                                                 "http://127.0.0.1:9/gateway/v1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pm_providers_page_get_n_providers (page), ==, before + 1);
  p = pm_config_lookup_provider (config, provider_id);
  g_assert_cmpint (p->api, ==, PM_API_OPENAI_RESPONSES);
  g_assert_cmpstr (p->base_url, ==, "http://127.0.0.1:9/gateway/v1");
  g_clear_object (&reloaded);
  reloaded = pm_config_load (pm_config_get_path (config), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pm_config_lookup_provider (reloaded, provider_id)->base_url, ==, "http://127.0.0.1:9/gateway/v1");

  /* Store a key through the page (async): the real keyring has it, the UI says so. */
  pm_providers_page_store_key (page, provider_id, TEST_KEY);
  g_assert_true (wait_until (providers_idle, page, 20000));
  g_assert_cmpstr (pm_providers_page_get_key_status (page, provider_id), ==, "Key stored in the keyring");
  stored = pm_keyring_lookup_sync (keyring, provider_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, TEST_KEY);

  /* The key is never shown: no label or entry anywhere in the window carries it. */
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->window));
  collect_text (GTK_WIDGET (f->window), all_text);
  g_assert_null (strstr (all_text->str, TEST_KEY));

  /* Remove it again. */
  pm_providers_page_remove_key (page, provider_id);
  g_assert_true (wait_until (providers_idle, page, 20000));
  g_assert_cmpstr (pm_providers_page_get_key_status (page, provider_id), ==, "No key stored");
  g_clear_pointer (&stored, g_free);
  stored = pm_keyring_lookup_sync (keyring, provider_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (stored);
}

/* --- a real client through the app's own proxy ------------------------------------------ */

typedef struct
{
  gboolean done;
  guint    status;
  GBytes  *body;
} Reply;

static void
read_all_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Reply *reply = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (object), result, &error);
  g_assert_no_error (error);
  reply->body = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (object));
  reply->done = TRUE;
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reply *reply = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  g_assert_no_error (error);
  reply->status = soup_message_get_status (soup_session_get_async_result_message (SOUP_SESSION (object), result));
  g_output_stream_splice_async (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, NULL, read_all_cb, reply);
}

static gboolean
reply_done (gpointer data)
{
  return ((Reply *) data)->done;
}

static gboolean
log_has_finished (gpointer data)
{
  GListModel *log = data;
  guint n = g_list_model_get_n_items (log);
  g_autoptr(PmRecord) last = n ? g_list_model_get_item (log, n - 1) : NULL;

  return last != NULL && pm_record_get_state (last) >= PM_RECORD_DONE;
}

static void
test_agent_live_and_history (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sim_url = NULL, *proxy_url = NULL, *endpoint = NULL, *config_path = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(PmRecord) record = NULL;
  g_autofree char *record_id = NULL;
  PmConfig *config = pm_application_get_config (f->app);
  PmProviderConfig *anthropic = pm_config_lookup_provider (config, "anthropic");
  PmProviderConfig copy;
  GListModel *log = pm_application_get_log (f->app);
  PmRequestList *list = pm_window_get_request_list (f->window);
  Reply reply = { 0 };
  const char *json =
    "{\"model\":\"pointsman/auto\",\"max_tokens\":1024,\"stream\":true,"
    "\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.\"}],"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Fix the failing test in parse.py\"}]}";

  /* The user's provider is a gateway; here the scripted upstream stands in for it. */
  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  g_assert_no_error (error);
  sim_url = pm_sim_upstream_dup_url (sim);
  g_assert_nonnull (anthropic);
  copy = *anthropic;
  copy.base_url = sim_url;
  copy.key = (char *) "none";
  pm_config_set_provider (config, &copy);

  g_assert_cmpuint (g_list_model_get_n_items (log), ==, 0);

  /* A Claude Code-shaped request to the address the window shows. */
  proxy_url = pm_application_dup_url (f->app);
  endpoint = g_strconcat (proxy_url, "/v1/messages", NULL);
  msg = soup_message_new ("POST", endpoint);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "anthropic-version", "2023-06-01");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "user-agent", "claude-cli/2.1.90 (external, cli)");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "x-claude-code-session-id", "app-test-session-1");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "x-api-key", "test-key-not-real-1234");
  body = g_bytes_new_static (json, strlen (json));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &reply);

  /* It appears in the list while it is in flight or right after. */
  g_assert_true (wait_until (reply_done, &reply, 30000));
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_nonnull (strstr (g_bytes_get_data (reply.body, NULL), "message_stop"));
  g_assert_true (wait_until (log_has_finished, log, 10000));
  g_assert_cmpuint (g_list_model_get_n_items (log), ==, 1);
  spin (100);
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, 1);
  record = g_list_model_get_item (log, 0);
  record_id = g_strdup (pm_record_get_id (record));
  g_assert_cmpstr (pm_record_get_session (record), ==, "app-test-session-1");
  g_assert_cmpstr (pm_record_get_agent (record), ==, pm_agent_to_string (PM_AGENT_CLAUDE_CODE));
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  g_assert_nonnull (pm_record_get_model (record));
  g_assert_cmpfloat (pm_record_get_cost (record), >, 0);
  g_bytes_unref (reply.body);

  /* The status bar counts it; the provider shows healthy. */
  spin (400);
  g_assert_nonnull (strstr (pm_window_get_status_text (f->window), proxy_url));

  /* A restart of the app shows it again, from the request database. */
  config_path = g_build_filename (f->tmpdir, "config.json", NULL);
  gtk_window_destroy (GTK_WINDOW (f->window));
  pm_application_stop_proxy (f->app);
  spin (50);
  g_clear_object (&f->app);

  f->app = pm_application_new_for_testing (config_path, NULL);
  g_assert_true (g_application_register (G_APPLICATION (f->app), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pm_application_start_proxy (f->app, &error));
  f->window = pm_window_new (f->app);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->window));
  log = pm_application_get_log (f->app);
  g_assert_cmpuint (g_list_model_get_n_items (log), ==, 1);
  {
    g_autoptr(PmRecord) again = g_list_model_get_item (log, 0);

    g_assert_cmpstr (pm_record_get_id (again), ==, record_id);
    g_assert_cmpstr (pm_record_get_session (again), ==, "app-test-session-1");
  }
  g_assert_cmpuint (pm_request_list_get_n_shown (pm_window_get_request_list (f->window)), ==, 1);
}

/* Without a Secret Service the page says so plainly, and stores nothing. */
static void
test_providers_no_secret_service (void)
{
  if (g_test_subprocess ())
    {
      Fixture fx = { 0 };
      Fixture *f = &fx;
      PmProvidersPage *page;

      fixture_setup (f, NULL);
      page = pm_window_get_providers_page (f->window);
      g_assert_true (wait_until (providers_idle, page, 20000));
      g_print ("KEYRING-STATUS: %s\n", pm_providers_page_get_keyring_status (page));
      g_print ("KEY-STATUS: %s\n", pm_providers_page_get_key_status (page, "anthropic"));
      fixture_teardown (f, NULL);
      return;
    }

  {
    /* The child runs on a private session bus (its own dbus-daemon, no service files) on which
     * nothing provides org.freedesktop.secrets. Set before it starts: GTK connects at init. */
    g_autofree char *tmp = pm_test_make_tmpdir ();
    g_autofree char *conf = g_build_filename (tmp, "bus.conf", NULL);
    g_autofree char *conf_text = g_strdup_printf (
      "<busconfig><type>session</type><listen>unix:dir=%s</listen>"
      "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
      "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>", tmp);
    g_autofree char *old = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
    g_autoptr(GSubprocess) daemon = NULL;
    g_autoptr(GDataInputStream) out = NULL;
    g_autofree char *address = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (g_file_set_contents (conf, conf_text, -1, &error));
    daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                               "dbus-daemon", "--config-file", conf, "--nofork", "--print-address=1", NULL);
    g_assert_no_error (error);
    out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon));
    address = g_data_input_stream_read_line (out, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (address);

    g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
    g_setenv ("GTK_A11Y", "none", TRUE);
    g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_unsetenv ("GTK_A11Y");
    if (old != NULL)
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", old, TRUE);
    g_subprocess_force_exit (daemon);
    g_subprocess_wait (daemon, NULL, NULL);
    g_test_trap_assert_passed ();
    g_test_trap_assert_stdout ("*KEYRING-STATUS: No Secret Service is available*");
    g_test_trap_assert_stdout ("*KEY-STATUS: Keyring unavailable*");
  }
}

/* --- window chrome ------------------------------------------------------------------------ */

static void
test_window_state (Fixture       *f,
                   gconstpointer  data)
{
  GSettings *settings = pm_application_get_settings (f->app);
  g_autofree char *page = NULL;
  int width, height;

  /* Pane position and page are remembered as they change. */
  gtk_paned_set_position (pm_window_get_requests_paned (f->window), 555);
  g_assert_cmpint (g_settings_get_int (settings, "requests-pane-position"), ==, 555);
  pm_window_show_page (f->window, "savings");
  page = g_settings_get_string (settings, "last-page");
  g_assert_cmpstr (page, ==, "savings");

  /* The size is saved on close. */
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 640);
  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 640);

  /* A new window comes back the same. */
  f->window = pm_window_new (f->app);
  gtk_window_get_default_size (GTK_WINDOW (f->window), &width, &height);
  g_assert_cmpint (width, ==, 900);
  g_assert_cmpint (height, ==, 640);
  g_assert_cmpint (gtk_paned_get_position (pm_window_get_requests_paned (f->window)), ==, 555);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (pm_window_get_stack (f->window)), ==, "savings");
  gtk_window_present (GTK_WINDOW (f->window));

  /* Keyboard: Alt+number pages go through the window action. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.page", "s", "providers"));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (pm_window_get_stack (f->window)), ==, "providers");

  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
  g_settings_reset (settings, "requests-pane-position");
  g_settings_reset (settings, "last-page");
}

static void
test_about_shortcuts_style (Fixture       *f,
                            gconstpointer  data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* transfer none */
  g_auto(GStrv) accels = NULL;
  AdwAboutWindow *about = NULL;

  /* The shortcuts window is the app's help overlay, on Ctrl+?. */
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f->window)));
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "win.show-help-overlay");
  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>question"));
  g_clear_pointer (&accels, g_strfreev);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "app.demo");
  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>d"));

  /* About. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "about", NULL);
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_ABOUT_WINDOW (w))
        about = ADW_ABOUT_WINDOW (w);
    }
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  g_assert_cmpstr (adw_about_window_get_application_name (about), ==, "Pointsman");
  gtk_window_destroy (GTK_WINDOW (about));

  /* Dark style from the menu's action. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "color-scheme", g_variant_new_string ("dark"));
  g_assert_cmpint (adw_style_manager_get_color_scheme (adw_style_manager_get_default ()), ==, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "color-scheme", g_variant_new_string ("default"));
  g_assert_cmpint (adw_style_manager_get_color_scheme (adw_style_manager_get_default ()), ==, ADW_COLOR_SCHEME_DEFAULT);
}

#endif /* PM_APP_HAVE_CORE */

/* --- the local access token and the configuration file ---------------------------------- */

static gboolean
token_settled (gpointer data)
{
  PmApplication *app = data;

  return !pm_application_get_token_loading (app);
}

static char *
read_config (const char *path)
{
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return g_steal_pointer (&contents);
}

/* POST a Claude Code-shaped request to the app's proxy, with the given x-api-key (or none). */
static guint
post_message (PmApplication *app,
              const char    *api_key)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *proxy_url = pm_application_dup_url (app);
  g_autofree char *endpoint = g_strconcat (proxy_url, "/v1/messages", NULL);
  Reply reply = { 0 };
  const char *json =
    "{\"model\":\"pointsman/auto\",\"max_tokens\":1024,\"stream\":true,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Fix the failing test in parse.py\"}]}";

  msg = soup_message_new ("POST", endpoint);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "anthropic-version", "2023-06-01");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "user-agent", "claude-cli/2.1.90 (external, cli)");
  if (api_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-api-key", api_key);
  body = g_bytes_new_static (json, strlen (json));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &reply);
  g_assert_true (wait_until (reply_done, &reply, 30000));
  g_bytes_unref (reply.body);
  return reply.status;
}

#define PROVIDER_KEY "sk-ant-fake-provider-key-for-the-token-test-0123456789"

/* With "listen": {"token": true} the app loads the token from the real keyring (off the main
 * thread), gives it to its proxy and puts it in the snippets: a client without it gets 401, one
 * with it gets through. The switch turns it off and writes only listen.token to config.json.
 * The provider key appears nowhere in the window or the file. */
static void
test_access_token (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autoptr(GString) all_text = g_string_new (NULL);
  g_autofree char *tmpdir = pm_test_make_tmpdir ();
  g_autofree char *config_path = g_build_filename (tmpdir, "config.json", NULL);
  g_autofree char *sim_url = NULL, *contents = NULL, *stored = NULL;
  g_autofree char *token = NULL;
  PmApplication *app;
  PmWindow *window;
  PmSetupPage *page;
  PmProviderConfig *anthropic, copy;
  PmKeyring *keyring;
  const char *snippets[] = { "claude-code", "codex", "opencode", "aider" };

  /* The user's file: the defaults (providers included), a port of their own, the token on. */
  {
    g_autoptr(PmConfig) defaults = pm_config_new_default ();

    pm_config_set_listen_port (defaults, 18999);
    pm_config_set_listen_token (defaults, TRUE);
    g_assert_true (pm_config_save (defaults, config_path, &error));
    g_assert_no_error (error);
  }
  app = pm_application_new_for_testing (config_path, NULL);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pm_application_start_proxy (app, &error));
  g_assert_no_error (error);
  window = pm_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  page = pm_window_get_setup_page (window);
  keyring = pm_application_get_keyring (app);

  g_assert_true (pm_application_get_token_required (app));
  g_assert_true (gtk_switch_get_active (pm_setup_page_get_token_switch (page)));
  g_assert_true (wait_until (token_settled, app, 30000));
  if (pm_application_get_token (app) == NULL)
    {
      /* Without a Secret Service the proxy stays closed and the page says why. */
      g_assert_nonnull (strstr (pm_setup_page_get_token_status (page), "refuses every request"));
      g_test_skip (pm_application_get_token_error (app));
      goto out;
    }
  token = g_strdup (pm_application_get_token (app));
  g_assert_true (g_str_has_prefix (token, "pm-local-"));
  stored = pm_keyring_lookup_sync (keyring, PM_GUARD_TOKEN_PROVIDER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, token);
  for (guint i = 0; i < G_N_ELEMENTS (snippets); i++)
    g_assert_nonnull (strstr (pm_setup_page_get_snippet (page, snippets[i]), token));

  /* The provider: the scripted upstream, its key in the keyring. */
  g_assert_true (pm_keyring_store_sync (keyring, "anthropic", PROVIDER_KEY, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  g_assert_no_error (error);
  sim_url = pm_sim_upstream_dup_url (sim);
  anthropic = pm_config_lookup_provider (pm_application_get_config (app), "anthropic");
  g_assert_nonnull (anthropic);
  copy = *anthropic;
  copy.base_url = sim_url;
  copy.key = (char *) "keyring";
  pm_config_set_provider (pm_application_get_config (app), &copy);

  g_assert_cmpuint (post_message (app, NULL), ==, 401);
  g_assert_cmpuint (post_message (app, "pm-local-wrong-token-of-the-same-length-000000000000"), ==, 401);
  g_assert_cmpuint (post_message (app, token), ==, 200);

  /* Nothing in the window shows the provider key; the token is there, in the snippets. */
  pm_window_show_page (window, "setup");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  collect_text (GTK_WIDGET (window), all_text);
  g_assert_null (strstr (all_text->str, PROVIDER_KEY));
  g_assert_nonnull (strstr (all_text->str, token));

  /* Off, from the switch: config.json says so (the rest of "listen" as written, no override
   * of the app's, no key), clients need no token, the snippets carry none. */
  gtk_switch_set_active (pm_setup_page_get_token_switch (page), FALSE);
  g_assert_false (pm_application_get_token_required (app));
  contents = read_config (config_path);
  g_assert_nonnull (strstr (contents, "\"token\" : false"));
  g_assert_nonnull (strstr (contents, "18999"));
  {
    g_autofree char *test_db = g_build_filename (tmpdir, "requests.db", NULL);

    g_assert_null (strstr (contents, test_db));   /* the test's database, an override */
  }
  g_assert_null (strstr (contents, PROVIDER_KEY));
  g_assert_null (strstr (contents, token));
  g_assert_cmpuint (post_message (app, NULL), ==, 200);
  for (guint i = 0; i < G_N_ELEMENTS (snippets); i++)
    g_assert_null (strstr (pm_setup_page_get_snippet (page, snippets[i]), token));

  /* On again: the same token (from the keyring), required at once. */
  gtk_switch_set_active (pm_setup_page_get_token_switch (page), TRUE);
  g_assert_true (wait_until (token_settled, app, 30000));
  g_assert_cmpstr (pm_application_get_token (app), ==, token);
  g_clear_pointer (&contents, g_free);
  contents = read_config (config_path);
  g_assert_nonnull (strstr (contents, "\"token\" : true"));
  g_assert_cmpuint (post_message (app, NULL), ==, 401);
  g_assert_nonnull (strstr (pm_setup_page_get_snippet (page, "aider"), token));

  g_assert_true (pm_keyring_remove_sync (keyring, "anthropic", NULL, &error));
  g_assert_no_error (error);

out:
  gtk_window_destroy (GTK_WINDOW (window));
  pm_application_stop_proxy (app);
  spin (50);
  g_object_unref (app);
}

/* The providers page writes the providers to config.json, and only them: not the port the
 * app runs on (the preferences' or, here, a test's 0), not a test's database. */
static void
test_providers_save_only_edits (Fixture       *f,
                                gconstpointer  data)
{
  PmProvidersPage *page = pm_window_get_providers_page (f->window);
  PmConfig *config = pm_application_get_config (f->app);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *provider_id = g_strdup_printf ("test-saved-%d", g_random_int_range (0, 1 << 30));
  const char *path = pm_config_get_path (config);
  JsonObject *root, *listen;

  /* The user's file: a port of their own and a member the app does not know. */
  g_assert_true (g_file_set_contents (path,
                                      "{\n  \"listen\": {\"port\": 18998},\n  \"x-note\": \"kept\"\n}\n",
                                      -1, NULL));
  g_assert_cmpuint (pm_config_get_listen_port (config), !=, 18998);   /* the app's override */

  g_assert_true (pm_providers_page_set_provider (page, provider_id, PM_API_OPENAI_CHAT,
                                                 "http://127.0.0.1:9/v1", &error));
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  listen = json_object_get_object_member (root, "listen");
  g_assert_cmpint (json_object_get_int_member (listen, "port"), ==, 18998);
  g_assert_cmpstr (json_object_get_string_member (root, "x-note"), ==, "kept");
  g_assert_false (json_object_has_member (root, "database"));
  g_assert_true (json_object_has_member (root, "providers"));
  {
    g_autoptr(PmConfig) reloaded = pm_config_load (path, FALSE, &error);

    g_assert_no_error (error);
    g_assert_nonnull (pm_config_lookup_provider (reloaded, provider_id));
    g_assert_cmpuint (pm_config_get_listen_port (reloaded), ==, 18998);
  }
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

#if !PM_APP_HAVE_CORE
  g_print ("1..0 # SKIP the core has no proxy or simulated upstream yet\n");
  return 0;
#else
  {
    g_autoptr(GBytes) bytes = g_resources_lookup_data ("/io/github/pointsman/Pointsman/demo-session.json", 0, NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_nonnull (bytes);
    g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));
    demo_steps = json_array_get_length (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "steps"));
  }

  g_test_add ("/app/proxy-state", Fixture, NULL, fixture_setup, test_proxy_state, fixture_teardown);
  g_test_add ("/app/agent/live-and-history", Fixture, NULL, fixture_setup, test_agent_live_and_history, fixture_teardown);
  g_test_add ("/app/demo/list-and-why", Fixture, NULL, fixture_setup, test_demo_list_and_why, fixture_teardown);
  g_test_add ("/app/list/filter-sort", Fixture, NULL, fixture_setup, test_list_filter_sort, fixture_teardown);
  g_test_add ("/app/objective/what-if-sliders", Fixture, NULL, fixture_setup, test_what_if_sliders, fixture_teardown);
  g_test_add ("/app/objective/what-if-pool", Fixture, NULL, fixture_setup, test_what_if_pool, fixture_teardown);
  g_test_add ("/app/savings/chart", Fixture, NULL, fixture_setup, test_savings_chart, fixture_teardown);
  g_test_add ("/app/window/state", Fixture, NULL, fixture_setup, test_window_state, fixture_teardown);
  g_test_add ("/app/window/about-shortcuts-style", Fixture, NULL, fixture_setup, test_about_shortcuts_style, fixture_teardown);
  g_test_add_func ("/app/providers/no-secret-service", test_providers_no_secret_service);
  g_test_add ("/app/providers/keys", Fixture, NULL, fixture_setup, test_providers_keys, fixture_teardown);
  g_test_add ("/app/providers/save-only-edits", Fixture, NULL, fixture_setup, test_providers_save_only_edits, fixture_teardown);
  g_test_add_func ("/app/access-token", test_access_token);

  return g_test_run ();
#endif
}
