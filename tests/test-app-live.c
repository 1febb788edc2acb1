/* test-app-live.c — the app and the core together on live traffic: the what-if fed by the
 * proxy's "request-routed" signal, the daily spend kept across a restart, the objective written
 * to and read from config.json, and the request list re-sorting while records stream.
 *
 * Runs inside ./build-aux/test.sh (Xvfb, D-Bus). Skips without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gtk/gtk.h>
#include <libsoup/soup.h>

#include "pm-application.h"
#include "pm-request-list.h"
#include "pm-test-utils.h"
#include "pm-what-if.h"
#include "pm-window.h"

#if PM_APP_HAVE_CORE

typedef gboolean (*CondFunc) (gpointer data);

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

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
  PmSimUpstream *sim;
  char          *sim_url;
  char          *tmpdir;
  char          *config_path;
} Fixture;

static void
open_app (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  PmConfig *config;

  f->app = pm_application_new_for_testing (f->config_path, NULL);
  g_assert_true (g_application_register (G_APPLICATION (f->app), NULL, &error));
  g_assert_no_error (error);

  /* The scripted upstream stands in for every provider (as in the demo), so that whichever
   * model the router picks is served on 127.0.0.1. */
  config = pm_application_get_config (f->app);
  g_assert_nonnull (pm_config_lookup_provider (config, "anthropic"));
  {
    GPtrArray *providers = pm_config_get_providers (config);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < providers->len; i++)
      g_ptr_array_add (ids, g_strdup (((PmProviderConfig *) g_ptr_array_index (providers, i))->id));
    for (guint i = 0; i < ids->len; i++)
      {
        PmProviderConfig *p = pm_config_lookup_provider (config, g_ptr_array_index (ids, i));
        g_autofree char *base_url = NULL;
        g_autofree char *id = NULL;
        PmProviderConfig copy;

        if (p == NULL)
          continue;
        base_url = p->api == PM_API_ANTHROPIC ? g_strdup (f->sim_url) : g_strconcat (f->sim_url, "/v1", NULL);
        id = g_strdup (p->id);
        copy = *p;
        copy.id = id;
        copy.base_url = base_url;
        copy.key = (char *) "none";
        pm_config_set_provider (config, &copy);
      }
  }

  g_assert_true (pm_application_start_proxy (f->app, &error));
  g_assert_no_error (error);

  f->window = pm_window_new (f->app);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->window));
}

static void
close_app (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  pm_application_stop_proxy (f->app);
  spin (50);
  g_clear_object (&f->app);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.pointsman.Pointsman");

  /* The memory settings backend outlives an app: start each test from the defaults. */
  g_settings_reset (settings, "tradeoff");
  g_settings_reset (settings, "daily-budget");
  g_settings_reset (settings, "quality-floor");

  f->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (f->sim, 0, &error));
  g_assert_no_error (error);
  f->sim_url = pm_sim_upstream_dup_url (f->sim);
  f->tmpdir = pm_test_make_tmpdir ();
  f->config_path = g_build_filename (f->tmpdir, "config.json", NULL);
  open_app (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->app != NULL)
    close_app (f);
  pm_sim_upstream_stop (f->sim);
  g_clear_object (&f->sim);
  g_free (f->sim_url);
  g_free (f->config_path);
  g_free (f->tmpdir);
}

/* --- live requests --------------------------------------------------------------------------- */

typedef struct
{
  gboolean  done;
  guint     status;
  GBytes   *body;
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
log_all_finished (gpointer data)
{
  GListModel *log = data;
  guint n = g_list_model_get_n_items (log);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PmRecord) r = g_list_model_get_item (log, i);

      if (pm_record_get_state (r) < PM_RECORD_DONE)
        return FALSE;
    }
  return n > 0;
}

/* A Claude Code-shaped streaming request of one session, with `turns` turns of history, to the
 * proxy at proxy_url. */
static void
post_request (const char *proxy_url,
              const char *session_id,
              guint       turns)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *endpoint = g_strconcat (proxy_url, "/v1/messages", NULL);
  g_autoptr(GString) json = g_string_new (NULL);
  Reply reply = { 0 };

  g_string_append (json, "{\"model\":\"pointsman/auto\",\"max_tokens\":2048,\"stream\":true,"
                         "\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.\"}],"
                         "\"messages\":[");
  for (guint i = 0; i < turns; i++)
    {
      g_string_append_printf (json, "{\"role\":\"user\",\"content\":\"Step %u: refactor the parser module so that "
                                    "every error carries its line and column, then update the tests.\"},", i);
      g_string_append_printf (json, "{\"role\":\"assistant\",\"content\":\"Done with step %u: I changed "
                                    "parse.py and test_parse.py; all tests pass.\"},", i);
    }
  g_string_append (json, "{\"role\":\"user\",\"content\":\"Now design the new plugin architecture for the "
                         "whole project and migrate the three existing backends to it.\"}]}");

  msg = soup_message_new ("POST", endpoint);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "anthropic-version", "2023-06-01");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "user-agent", "claude-cli/2.1.90 (external, cli)");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "x-claude-code-session-id", session_id);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "x-api-key", "test-key-not-real-1234");
  body = g_bytes_new (json->str, json->len);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &reply);

  g_assert_true (wait_until (reply_done, &reply, 30000));
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_nonnull (strstr (g_bytes_get_data (reply.body, NULL), "message_stop"));
  g_bytes_unref (reply.body);
}

static void
send_request (Fixture    *f,
              const char *session_id,
              guint       turns)
{
  g_autofree char *proxy_url = pm_application_dup_url (f->app);

  post_request (proxy_url, session_id, turns);
  g_assert_true (wait_until (log_all_finished, pm_application_get_log (f->app), 10000));
}

static gboolean
page_settled (gpointer data)
{
  return !pm_objective_page_get_pending (data);
}

/* Live requests through the app's proxy reach the what-if (proxy "request-routed"), and its
 * figures move with the slider. */
static void
test_live_what_if (Fixture       *f,
                   gconstpointer  data)
{
  PmObjectivePage *page = pm_window_get_objective_page (f->window);
  PmWhatIf *what_if = pm_application_get_what_if (f->app);
  GtkRange *tradeoff = pm_objective_page_get_tradeoff (page);
  GListModel *log = pm_application_get_log (f->app);
  const PmWhatIfResult *r;
  double actual = 0, quality_first, cost_first;
  guint n_quality_first;
  const guint n_sent = 6;

  g_assert_cmpuint (pm_what_if_get_n_items (what_if), ==, 0);
  for (guint i = 0; i < n_sent; i++)
    send_request (f, i % 2 ? "live-what-if-b" : "live-what-if-a", 2 + i * 3);
  g_assert_cmpuint (g_list_model_get_n_items (log), ==, n_sent);

  /* Each live request joined the what-if ring, with its record. */
  g_assert_cmpuint (pm_what_if_get_n_items (what_if), ==, n_sent);
  for (guint i = 0; i < n_sent; i++)
    {
      g_autoptr(PmRecord) rec = g_list_model_get_item (log, i);

      actual += pm_record_get_cost (rec);
    }
  g_assert_cmpfloat (actual, >, 0);

  pm_window_show_page (f->window, "objective");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->window));

  gtk_range_set_value (tradeoff, 0.0);
  g_assert_true (wait_until (page_settled, page, 5000));
  r = pm_objective_page_get_result (page);
  g_assert_cmpuint (r->n_requests, ==, n_sent);
  g_assert_cmpfloat_with_epsilon (r->actual_cost, actual, 1e-9);
  quality_first = r->what_if_cost;
  n_quality_first = r->n_changed;
  g_test_message ("quality first:\n%s", pm_objective_page_get_what_if_text (page));

  gtk_range_set_value (tradeoff, 1.0);
  g_assert_true (wait_until (page_settled, page, 5000));
  r = pm_objective_page_get_result (page);
  g_assert_cmpuint (r->n_requests, ==, n_sent);
  cost_first = r->what_if_cost;
  g_test_message ("cost first:\n%s", pm_objective_page_get_what_if_text (page));
  g_test_message ("live what-if: actual %.6f, quality first %.6f (%u changed), cost first %.6f (%u changed)",
                  actual, quality_first, n_quality_first, cost_first, r->n_changed);

  /* The figures move with the slider: cost first is cheaper than quality first. */
  g_assert_cmpfloat (cost_first, <, quality_first);
  /* What happened does not move. */
  g_assert_cmpfloat_with_epsilon (r->actual_cost, actual, 1e-9);
}

/* --- the daily budget across a restart ------------------------------------------------------ */

static void
test_spend_restart (Fixture       *f,
                    gconstpointer  data)
{
  GListModel *log;
  double cost;
  gint64 now = g_get_real_time ();

  g_assert_cmpfloat (pm_router_get_spend_today (pm_application_get_router (f->app), now), ==, 0.0);
  send_request (f, "spend-restart", 3);
  log = pm_application_get_log (f->app);
  {
    g_autoptr(PmRecord) rec = g_list_model_get_item (log, 0);

    cost = pm_record_get_cost (rec);
  }
  g_assert_cmpfloat (cost, >, 0);
  g_assert_cmpfloat_with_epsilon (pm_router_get_spend_today (pm_application_get_router (f->app), now),
                                  cost, 1e-9);

  /* Quit and start again: the router's daily budget still counts what today cost. */
  close_app (f);
  open_app (f);
  now = g_get_real_time ();
  g_assert_cmpuint (g_list_model_get_n_items (pm_application_get_log (f->app)), ==, 1);
  g_assert_cmpfloat_with_epsilon (pm_application_get_spend_today (f->app), cost, 1e-9);
  g_assert_cmpfloat_with_epsilon (pm_router_get_spend_today (pm_application_get_router (f->app), now),
                                  cost, 1e-9);
}

/* The seeded spend counts against the daily budget: with a budget of exactly what today already
 * cost, every candidate but the cheapest is over it on the first request after the restart. */
static void
test_budget_after_restart (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GListModel *log;
  JsonArray *candidates;
  double cost;
  guint n_over = 0, n_fit = 0, n_over_by_seed = 0;

  /* Spend something today: a session with a long history. */
  for (guint i = 0; i < 4; i++)
    send_request (f, "budget-restart", 20 + 20 * i);
  log = pm_application_get_log (f->app);
  cost = 0;
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(PmRecord) rec = g_list_model_get_item (log, i);

      cost += pm_record_get_cost (rec);
    }
  g_assert_cmpfloat (cost, >, 0);

  close_app (f);
  open_app (f);
  /* No quality floor: the cheap models stay candidates, and only the budget can exclude them. */
  g_settings_set_double (pm_application_get_settings (f->app), "quality-floor", 0.0);
  g_settings_set_double (pm_application_get_settings (f->app), "daily-budget", cost);
  g_assert_cmpfloat_with_epsilon (pm_objective_get_daily_budget (pm_application_get_objective (f->app)), cost, 1e-12);

  /* A small request of a new session: some models would fit in the budget on their own. */
  send_request (f, "budget-restart-2", 0);
  log = pm_application_get_log (f->app);
  g_assert_cmpuint (g_list_model_get_n_items (log), ==, 5);
  {
    g_autoptr(PmRecord) rec = g_list_model_get_item (log, 4);

    g_assert_true (json_parser_load_from_data (parser, pm_record_get_explanation (rec), -1, &error));
    g_assert_no_error (error);
  }
  candidates = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "candidates");
  g_assert_nonnull (candidates);
  for (guint i = 0; i < json_array_get_length (candidates); i++)
    {
      JsonObject *c = json_array_get_object_element (candidates, i);
      const char *excluded = json_object_get_string_member_with_default (c, "excluded", NULL);

      g_test_message ("candidate %s %s step %.5f: %s", json_object_get_string_member_with_default (c, "model", ""), json_object_get_string_member_with_default (c, "effort", ""), json_object_get_double_member_with_default (c, "step_cost", -1), excluded ? excluded : "fits");

      if (g_strcmp0 (excluded, "over the daily budget") == 0)
        {
          n_over++;
          /* Over only because of what was spent before the restart. */
          if (json_object_get_double_member_with_default (c, "step_cost", G_MAXDOUBLE) < cost)
            n_over_by_seed++;
        }
      else if (excluded == NULL)
        n_fit++;
    }
  g_test_message ("after the restart: %u candidates over the budget ($%.4f), %u of them cheaper than it, %u left",
                  n_over, cost, n_over_by_seed, n_fit);
  g_assert_cmpuint (n_over, >, 0);
  g_assert_cmpuint (n_over_by_seed, >, 0);
  /* Only the cheapest stays (the router keeps one so that the agent is not cut off). */
  g_assert_cmpuint (n_fit, <=, 1);
}

typedef struct
{
  const char *path;
  double      tradeoff;
} FileWait;

static gboolean
file_has_tradeoff (gpointer data)
{
  FileWait *w = data;
  g_autoptr(PmConfig) config = pm_config_load (w->path, FALSE, NULL);

  return config != NULL && ABS (pm_objective_get_tradeoff (pm_config_get_objective (config)) - w->tradeoff) < 1e-9;
}

/* --- `pointsman-cli serve` after the app ---------------------------------------------------- */

typedef struct
{
  char     *line;
  gboolean  done;
} Line;

static void
line_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Line *l = user_data;

  l->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL, NULL);
  l->done = TRUE;
}

static gboolean
line_done (gpointer data)
{
  return ((Line *) data)->done;
}

static JsonNode *
get_json (const char *url)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = soup_session_send_and_read (session, msg, NULL, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_nonnull (bytes);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));
  return json_parser_steal_root (parser);
}

static gboolean
proc_done (gpointer data)
{
  return *(gboolean *) data;
}

static void
proc_wait_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* The serve child must never outlive the test: a failed assertion aborts this process, and a
 * leftover `pointsman-cli serve` holding the test's pipes keeps meson waiting. The kernel kills
 * the child when this process dies (PR_SET_PDEATHSIG); on a normal return the cleanup below
 * kills it if it still runs. */
static void
die_with_parent (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (127);
}

static void
kill_and_unref_child (GSubprocess **process)
{
  if (*process == NULL)
    return;
  if (g_subprocess_get_identifier (*process) != NULL)
    {
      g_subprocess_force_exit (*process);
      g_subprocess_wait (*process, NULL, NULL);
    }
  g_clear_object (process);
}

/* The objective set in the app and today's spend in its database reach `pointsman-cli serve`:
 * it reads the objective from config.json and seeds its daily budget from the database. */
static void
test_serve_after_app (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  __attribute__ ((cleanup (kill_and_unref_child))) GSubprocess *process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *cli = g_build_filename (g_getenv ("PM_BUILD_DIR"), "src", "cli", "pointsman-cli", NULL);
  g_autofree char *db = g_build_filename (f->tmpdir, "requests.db", NULL);
  g_autofree char *xdg = g_build_filename (f->tmpdir, "xdg", NULL);
  g_autofree char *url = NULL, *requests_url = NULL;
  GListModel *log;
  JsonArray *requests, *candidates;
  JsonObject *last;
  FileWait w = { f->config_path, 0 };
  Line line = { 0 };
  gboolean exited = FALSE;
  double cost = 0;
  guint n_over_by_seed = 0;

  if (g_getenv ("PM_BUILD_DIR") == NULL)
    {
      g_test_skip ("PM_BUILD_DIR is not set (run through meson test)");
      return;
    }

  for (guint i = 0; i < 4; i++)
    send_request (f, "serve-after-app", 20 + 20 * i);
  log = pm_application_get_log (f->app);
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(PmRecord) rec = g_list_model_get_item (log, i);

      cost += pm_record_get_cost (rec);
    }
  g_assert_cmpfloat (cost, >, 0);

  /* Set in the app: no quality floor, a budget of what today cost. The providers (here: the
   * scripted upstream) are saved as the providers page does. */
  g_settings_set_double (pm_application_get_settings (f->app), "quality-floor", 0.0);
  g_settings_set_double (pm_application_get_settings (f->app), "daily-budget", cost);
  g_assert_true (pm_application_save_config (f->app, &error));
  g_assert_no_error (error);
  w.tradeoff = pm_objective_get_tradeoff (pm_application_get_objective (f->app));
  g_assert_true (wait_until (file_has_tradeoff, &w, 5000));
  close_app (f);
  {
    g_autoptr(PmConfig) saved = pm_config_load (f->config_path, FALSE, &error);

    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (pm_objective_get_daily_budget (pm_config_get_objective (saved)), cost, 1e-12);
    g_assert_cmpfloat_with_epsilon (pm_objective_get_quality_floor (pm_config_get_objective (saved)), 0.0, 1e-12);
  }

  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", xdg, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", xdg, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, GINT_TO_POINTER (getpid ()), NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, cli, "serve", "--config", f->config_path,
                                         "--port", "0", "--db", db, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, line_cb, &line);
  g_assert_true (wait_until (line_done, &line, 20000));
  g_assert_nonnull (line.line);
  g_assert_true (g_str_has_prefix (line.line, "Pointsman listening on "));
  url = g_strdup (line.line + strlen ("Pointsman listening on "));
  g_free (line.line);

  post_request (url, "serve-after-app-2", 0);
  requests_url = g_strconcat (url, "/pointsman/v1/requests?limit=1", NULL);
  root = get_json (requests_url);
  requests = json_object_get_array_member (json_node_get_object (root), "requests");
  g_assert_cmpuint (json_array_get_length (requests), >=, 1);
  last = json_array_get_object_element (requests, json_array_get_length (requests) - 1);
  g_assert_true (json_object_has_member (last, "explanation"));
  candidates = json_object_get_array_member (json_node_get_object (json_object_get_member (last, "explanation")),
                                             "candidates");
  g_assert_nonnull (candidates);
  for (guint i = 0; i < json_array_get_length (candidates); i++)
    {
      JsonObject *c = json_array_get_object_element (candidates, i);
      const char *excluded = json_object_get_string_member_with_default (c, "excluded", NULL);

      g_assert_cmpstr (excluded, !=, "below the quality floor");
      if (g_strcmp0 (excluded, "over the daily budget") == 0 &&
          json_object_get_double_member_with_default (c, "step_cost", G_MAXDOUBLE) < cost)
        n_over_by_seed++;
    }
  g_test_message ("serve: %u candidates over the budget ($%.4f) only because of the app's spend",
                  n_over_by_seed, cost);
  g_assert_cmpuint (n_over_by_seed, >, 0);

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, proc_wait_cb, &exited);
  g_assert_true (wait_until (proc_done, &exited, 20000));
}

/* --- the objective: config.json is the source of truth -------------------------------------- */

static void
test_objective_config_file (Fixture       *f,
                            gconstpointer  data)
{
  PmObjectivePage *page = pm_window_get_objective_page (f->window);
  GSettings *settings = pm_application_get_settings (f->app);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) edited = NULL;
  g_autofree char *contents = NULL;
  FileWait w = { f->config_path, 0.8 };
  guint port_in_file;

  /* What the file says about the port before the app writes to it (the app listens elsewhere). */
  {
    g_autoptr(PmConfig) before = pm_config_load (f->config_path, FALSE, &error);

    g_assert_no_error (error);
    port_in_file = pm_config_get_listen_port (before);
  }

  /* A slider move lands in config.json, where `pointsman-cli serve` reads it. */
  gtk_range_set_value (pm_objective_page_get_tradeoff (page), 0.8);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "tradeoff"), 0.8, 1e-9);
  g_assert_true (wait_until (file_has_tradeoff, &w, 5000));
  {
    g_autoptr(PmConfig) after = pm_config_load (f->config_path, FALSE, &error);

    g_assert_no_error (error);
    /* Only the objective changed: the app's own port never lands in the file. */
    g_assert_cmpuint (pm_config_get_listen_port (after), ==, port_in_file);
    g_assert_cmpstr (pm_config_get_database (after), !=, NULL);
  }

  close_app (f);

  /* Edit the file while the app is closed (as a user or `pointsman-cli` would). */
  edited = pm_config_load (f->config_path, FALSE, &error);
  g_assert_no_error (error);
  pm_objective_set_tradeoff (pm_config_get_objective (edited), 0.2);
  g_assert_true (pm_config_save (edited, f->config_path, &error));
  g_assert_no_error (error);

  /* The settings still remember 0.8, but the file wins. */
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "tradeoff"), 0.8, 1e-9);
  open_app (f);
  settings = pm_application_get_settings (f->app);
  g_assert_cmpfloat_with_epsilon (pm_objective_get_tradeoff (pm_application_get_objective (f->app)), 0.2, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "tradeoff"), 0.2, 1e-9);
  g_assert_cmpfloat_with_epsilon (gtk_range_get_value (pm_objective_page_get_tradeoff (pm_window_get_objective_page (f->window))),
                                  0.2, 1e-9);
  g_assert_true (g_file_get_contents (f->config_path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"objective\""));
}

/* --- the request list re-sorts streaming records --------------------------------------------- */

static PmRecord *
streaming_record (const char *id,
                  double      cost)
{
  PmRecord *record = pm_record_new (id, g_get_real_time ());
  PmUsage usage;

  pm_usage_init (&usage);
  pm_record_set_request (record, "resort-session", PM_AGENT_CLAUDE_CODE, PM_KIND_MAIN,
                         PM_API_ANTHROPIC, "pointsman/auto");
  pm_record_set_decision (record, "claude-sonnet-4-6", "medium", "anthropic", TRUE, "a test", NULL);
  pm_record_set_state (record, PM_RECORD_STREAMING, 0, NULL);
  pm_record_set_usage (record, &usage, cost, cost);

  return record;
}

static void
set_cost (PmRecord *record,
          double    cost)
{
  PmUsage usage;

  pm_record_get_usage (record, &usage);
  pm_record_set_usage (record, &usage, cost, pm_record_get_baseline_cost (record));
}

static const char *
first_shown_id (PmRequestList *list)
{
  g_autoptr(PmRecord) first = g_list_model_get_item (G_LIST_MODEL (pm_request_list_get_selection (list)), 0);
  static char id[64];

  g_strlcpy (id, first != NULL ? pm_record_get_id (first) : "", sizeof id);
  return id;
}

static gboolean
sorted (gpointer data)
{
  GtkSortListModel *model = GTK_SORT_LIST_MODEL (gtk_single_selection_get_model (pm_request_list_get_selection (data)));

  return gtk_sort_list_model_get_pending (model) == 0;
}

/* Let the coalesced checks run, then any sort they started finish. */
static void
settle (PmRequestList *list,
        guint          ms)
{
  spin (ms);
  g_assert_true (wait_until (sorted, list, 10000));
}

static void
test_list_resort_streaming (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (100);
  g_autoptr(PmRecord) a = streaming_record ("req-a", 0.10);
  g_autoptr(PmRecord) b = streaming_record ("req-b", 0.20);
  g_autoptr(PmRecord) c = streaming_record ("req-c", 0.30);
  GtkWidget *window = gtk_window_new ();
  PmRequestList *list = PM_REQUEST_LIST (pm_request_list_new ());
  GtkColumnView *view = pm_request_list_get_column_view (list);
  GListModel *columns = gtk_column_view_get_columns (view);
  GtkColumnViewColumn *cost_column = NULL, *model_column = NULL;

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (list));
  gtk_window_present (GTK_WINDOW (window));
  pm_request_log_append (log, a);
  pm_request_log_append (log, b);
  pm_request_log_append (log, c);
  pm_request_list_set_model (list, G_LIST_MODEL (log));

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) col = g_list_model_get_item (columns, i);

      if (g_strcmp0 (gtk_column_view_column_get_title (col), "Cost") == 0)
        cost_column = col;
      if (g_strcmp0 (gtk_column_view_column_get_title (col), "Model") == 0)
        model_column = col;
    }
  g_assert_nonnull (cost_column);
  g_assert_nonnull (model_column);
  gtk_column_view_sort_by_column (view, cost_column, GTK_SORT_DESCENDING);
  settle (list, 100);
  g_assert_cmpstr (first_shown_id (list), ==, "req-c");
  g_assert_cmpuint (pm_request_list_get_n_resorts (list), ==, 0);

  /* The cheapest request streams on and becomes the dearest: the list follows. */
  set_cost (a, 0.50);
  settle (list, 600);
  g_assert_cmpstr (first_shown_id (list), ==, "req-a");
  g_assert_cmpuint (pm_request_list_get_n_resorts (list), ==, 1);

  /* A change that keeps the order re-sorts nothing; nor does one of a column not sorted on. */
  set_cost (a, 0.60);
  pm_record_set_timing (b, 120.0, 0.0);
  settle (list, 600);
  g_assert_cmpuint (pm_request_list_get_n_resorts (list), ==, 1);

  /* Sorted by model, a cost change is no reason to look twice. */
  gtk_column_view_sort_by_column (view, model_column, GTK_SORT_ASCENDING);
  settle (list, 100);
  set_cost (b, 0.90);
  settle (list, 600);
  g_assert_cmpuint (pm_request_list_get_n_resorts (list), ==, 1);

  /* A finished record is no longer watched; the final value still counts. */
  gtk_column_view_sort_by_column (view, cost_column, GTK_SORT_DESCENDING);
  settle (list, 100);
  g_assert_cmpstr (first_shown_id (list), ==, "req-b");
  set_cost (c, 1.00);
  pm_record_set_state (c, PM_RECORD_DONE, 200, NULL);
  settle (list, 600);
  g_assert_cmpstr (first_shown_id (list), ==, "req-c");
  g_assert_cmpuint (pm_request_list_get_n_resorts (list), ==, 2);

  gtk_window_destroy (GTK_WINDOW (window));
}

#endif

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display (run under ./build-aux/test.sh or xvfb-run)\n");
      return 0;
    }
  adw_init ();

#if !PM_APP_HAVE_CORE
  g_print ("1..0 # SKIP the app is built without the routing core\n");
  return 0;
#else
  g_test_add ("/app/live/what-if", Fixture, NULL, fixture_setup, test_live_what_if, fixture_teardown);
  g_test_add ("/app/live/spend-restart", Fixture, NULL, fixture_setup, test_spend_restart, fixture_teardown);
  g_test_add ("/app/live/budget-after-restart", Fixture, NULL, fixture_setup, test_budget_after_restart, fixture_teardown);
  g_test_add ("/app/live/serve-after-app", Fixture, NULL, fixture_setup, test_serve_after_app, fixture_teardown);
  g_test_add ("/app/live/objective-config-file", Fixture, NULL, fixture_setup, test_objective_config_file, fixture_teardown);
  g_test_add_func ("/app/list/resort-streaming", test_list_resort_streaming);

  return g_test_run ();
#endif
}
