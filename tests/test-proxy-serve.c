/* test-proxy-serve.c — the real `pointsman-cli serve` binary, streaming to a scripted upstream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "pm-sim-upstream.h"
#include "pm-store.h"
#include "pm-test-utils.h"
#include "test-proxy-common.h"

#define SERVE_KEY "test-key-not-real-serve-4321"

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  GString          *output;
  char             *url;
} Serve;

static char *
cli_path (void)
{
  const char *build = g_getenv ("PM_BUILD_DIR");

  return g_build_filename (build != NULL ? build : ".", "src", "cli", "pointsman-cli", NULL);
}

/* In the child, before exec: the kernel kills it when the test process dies, so a failed
 * assertion (an abort) does not leave serve holding the test's stderr until meson's timeout. The
 * flag survives serve's re-exec of itself; the test may have died before it was set. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != (pid_t) GPOINTER_TO_INT (user_data))
    _exit (1);
}

static void
line_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  char **line = user_data;
  g_autoptr(GError) error = NULL;
  char *text = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL, &error);

  /* EOF (or an error) reads as the sentinel "\x04". */
  *line = text != NULL ? text : g_strdup ("\x04");
}

static char *
read_line (Serve *serve)
{
  char *line = NULL;

  g_data_input_stream_read_line_async (serve->out, G_PRIORITY_DEFAULT, NULL, line_cb, &line);
  while (line == NULL)
    g_main_context_iteration (NULL, TRUE);
  return line;
}

static Serve *
serve_start (const char         *dir,
             const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *xdg_config = g_build_filename (dir, "xdg-config", NULL);
  g_autofree char *xdg_data = g_build_filename (dir, "xdg-data", NULL);
  g_autoptr(GError) error = NULL;
  Serve *serve = g_new0 (Serve, 1);

  g_subprocess_launcher_setenv (launcher, "PM_TEST_SERVE_KEY", SERVE_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", xdg_config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", xdg_data, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "G_SLICE");
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, GINT_TO_POINTER (getpid ()), NULL);

  g_ptr_array_add (argv, cli_path ());
  g_ptr_array_add (argv, g_strdup ("serve"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  serve->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  serve->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (serve->process));
  serve->output = g_string_new (NULL);

  return serve;
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *done = TRUE;
}

/* Reads what is left of stdout and waits for the exit. */
static void
serve_finish (Serve *serve)
{
  gboolean done = FALSE;

  for (;;)
    {
      g_autofree char *line = read_line (serve);

      if (g_str_equal (line, "\x04"))
        break;
      g_string_append_printf (serve->output, "%s\n", line);
    }

  g_subprocess_wait_async (serve->process, NULL, wait_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
serve_free (Serve *serve)
{
  g_clear_object (&serve->out);
  g_clear_object (&serve->process);
  g_string_free (serve->output, TRUE);
  g_free (serve->url);
  g_free (serve);
}

static char *
write_config (const char *dir,
              const char *sim_url)
{
  g_autofree char *json = NULL;
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autoptr(GError) error = NULL;

  json = g_strdup_printf ("{\n"
                          "  \"listen\": {\"host\": \"127.0.0.1\", \"port\": 8787},\n"
                          "  \"providers\": [\n"
                          "    {\"id\": \"sim\", \"api\": \"anthropic\", \"base_url\": \"%s\", \"key\": \"env:PM_TEST_SERVE_KEY\"},\n"
                          "    {\"id\": \"sim-chat\", \"api\": \"openai-chat\", \"base_url\": \"%s/v1\", \"key\": \"env:PM_TEST_SERVE_KEY\"}\n"
                          "  ],\n"
                          "  \"models\": [\n"
                          "    {\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim\"},\n"
                          "    {\"id\": \"claude-haiku-4-5\", \"provider\": \"sim\"},\n"
                          "    {\"id\": \"gpt-5-mini\", \"provider\": \"sim-chat\"}\n"
                          "  ],\n"
                          "  \"default_model\": \"claude-sonnet-4-5\"\n"
                          "}\n", sim_url, sim_url);
  g_file_set_contents (path, json, -1, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  char **out = user_data;
  g_autoptr(GError) error = NULL;
  char *stdout_text = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &stdout_text, NULL, &error);
  g_assert_no_error (error);
  *out = stdout_text != NULL ? stdout_text : g_strdup ("");
}

static void
test_serve_streams (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "requests.db", NULL);
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Streaming through the real serve binary.");
  g_autoptr(GError) error = NULL;
  g_autofree char *sim_url = NULL;
  g_autofree char *config = NULL;
  g_autofree char *first = NULL;
  g_autofree char *text = NULL;
  const char *headers[] = { "x-api-key", "client-key-must-not-leak", "anthropic-version", "2023-06-01", NULL };
  const char *body = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,\"stream\":true,"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
  Serve *serve;

  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  g_assert_no_error (error);
  pm_sim_upstream_set_required_key (sim, SERVE_KEY);
  sim_url = pm_sim_upstream_dup_url (sim);
  config = write_config (dir, sim_url);

  serve = serve_start (dir, (const char *[]) { "--config", config, "--port", "0", "--db", db, NULL });
  first = read_line (serve);
  g_assert_true (g_str_has_prefix (first, "Pointsman listening on http://127.0.0.1:"));
  serve->url = g_strdup (first + strlen ("Pointsman listening on "));

  /* serve runs on plain malloc, not GLib 2.74's GSlice slabs (it restarts itself once with
   * G_SLICE=always-malloc; the launcher above leaves G_SLICE unset). */
  {
    g_autofree char *path = g_strdup_printf ("/proc/%s/environ", g_subprocess_get_identifier (serve->process));
    g_autofree char *environ_data = NULL;
    gsize length = 0;
    gboolean found = FALSE;

    g_assert_true (g_file_get_contents (path, &environ_data, &length, NULL));
    for (gsize at = 0; at < length; at += strlen (environ_data + at) + 1)
      found |= g_str_equal (environ_data + at, "G_SLICE=always-malloc");
    g_assert_true (found);
  }

  /* A GIO client: the first event arrives before the upstream has sent its last. */
  pm_sim_reply_set_delays (reply, 0, 40);
  pm_sim_upstream_push_reply (sim, reply);
  {
    g_autoptr(TestResponse) r = test_post (serve->url, "/v1/messages?beta=true", body, sim, headers);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "x-pointsman-model"), ==, "claude-haiku-4-5");
    g_assert_cmpint (r->streams_done_at_first_event, ==, 0);
    text = test_stream_text (r);
    g_assert_cmpstr (text, ==, "Streaming through the real serve binary.");
    g_assert_cmpstr (pm_sim_upstream_get_last_header (sim, "x-api-key"), ==, SERVE_KEY);
  }

  /* curl -N, as the README says. */
  {
    g_autofree char *curl = g_find_program_in_path ("curl");

    if (curl != NULL)
      {
        g_autofree char *url = g_strconcat (serve->url, "/v1/chat/completions", NULL);
        g_autoptr(GSubprocess) process = NULL;
        g_autofree char *out = NULL;

        process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                    curl, "-sN", url, "-H", "content-type: application/json",
                                    "-H", "authorization: Bearer client-key-must-not-leak",
                                    "-d", "{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                    NULL);
        g_assert_no_error (error);
        g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, &out);
        while (out == NULL)
          g_main_context_iteration (NULL, TRUE);
        g_assert_nonnull (strstr (out, "data: {\"id\":\"chatcmpl-sim"));
        g_assert_true (g_str_has_suffix (out, "data: [DONE]\n\n"));
        g_assert_null (strstr (out, "\"usage\""));
        g_assert_cmpstr (pm_sim_upstream_get_last_header (sim, "authorization"), ==, "Bearer " SERVE_KEY);
      }
  }

  /* The records as the endpoint serves them. */
  {
    g_autoptr(TestResponse) r = test_get (serve->url, "/pointsman/v1/requests?limit=10");
    g_autoptr(JsonNode) node = test_response_json (r);
    JsonArray *requests = json_object_get_array_member (json_node_get_object (node), "requests");
    JsonObject *last = json_array_get_object_element (requests, json_array_get_length (requests) - 1);

    g_assert_cmpuint (json_array_get_length (requests), >=, 1);
    g_assert_cmpstr (json_object_get_string_member (last, "model"), ==, "claude-haiku-4-5");
    g_assert_cmpstr (json_object_get_string_member (last, "state"), ==, "done");
    g_assert_cmpfloat (json_object_get_double_member (last, "cost"), >, 0.0);
  }

  g_subprocess_send_signal (serve->process, SIGTERM);
  serve_finish (serve);
  g_assert_true (g_subprocess_get_if_exited (serve->process));
  g_assert_cmpint (g_subprocess_get_exit_status (serve->process), ==, 0);
  g_assert_nonnull (strstr (serve->output->str, "claude-haiku-4-5 → claude-haiku-4-5"));
  g_assert_nonnull (strstr (serve->output->str, "Pointsman stopped"));
  g_assert_null (strstr (serve->output->str, SERVE_KEY));

  /* Flushed to SQLite on the way out. */
  {
    g_autoptr(PmStore) store = pm_store_open (db, &error);
    g_autoptr(JsonArray) rows = NULL;
    g_autofree char *dump = NULL;
    g_autofree char *curl = NULL;
    g_autoptr(JsonNode) array = NULL;

    g_assert_no_error (error);
    rows = pm_store_list_recent (store, 10, &error);
    g_assert_no_error (error);
    curl = g_find_program_in_path ("curl");
    g_assert_cmpuint (json_array_get_length (rows), ==, curl != NULL ? 2 : 1);
    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *row = json_array_get_object_element (rows, i);

        g_assert_cmpstr (json_object_get_string_member (row, "state"), ==, "done");
        g_assert_true (json_object_get_boolean_member (json_object_get_object_member (row, "usage"), "seen"));
      }
    array = json_node_init_array (json_node_alloc (), rows);
    dump = json_to_string (array, FALSE);
    g_assert_null (strstr (dump, SERVE_KEY));
    g_assert_null (strstr (dump, "client-key-must-not-leak"));
  }

  serve_free (serve);
}

/* Outcomes the router judges (here: a tool run that failed after the model's step) are kept in
 * router.db beside the request log, so they survive a restart of serve (issue 3 item 4). */
static void
test_serve_keeps_outcomes (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "requests.db", NULL);
  g_autofree char *outcomes_db = g_build_filename (dir, "router.db", NULL);
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sim_url = NULL;
  g_autofree char *config = NULL;
  g_autofree char *first = NULL;
  const char *headers[] = { "x-api-key", "client-key", "anthropic-version", "2023-06-01", NULL };
  const char *step1 = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,"
                      "\"system\":\"You are a coding agent.\","
                      "\"messages\":[{\"role\":\"user\",\"content\":\"Run the test suite and fix what fails.\"}]}";
  const char *step2 = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,"
                      "\"system\":\"You are a coding agent.\","
                      "\"messages\":[{\"role\":\"user\",\"content\":\"Run the test suite and fix what fails.\"},"
                      "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{\"command\":\"make test\"}}]},"
                      "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"is_error\":true,"
                      "\"content\":\"Traceback (most recent call last):\\n  File \\\"t.py\\\", line 3\\nAssertionError\\nFAILED tests/test_a.py::test_x\\nexit code 1\"}]}]}";
  Serve *serve;
  sqlite3 *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 judged = 0;

  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  g_assert_no_error (error);
  sim_url = pm_sim_upstream_dup_url (sim);
  config = write_config (dir, sim_url);

  serve = serve_start (dir, (const char *[]) { "--config", config, "--port", "0", "--db", db, NULL });
  first = read_line (serve);
  g_assert_true (g_str_has_prefix (first, "Pointsman listening on http://127.0.0.1:"));
  serve->url = g_strdup (first + strlen ("Pointsman listening on "));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(PmSimReply) reply = pm_sim_reply_new ("ok");
      g_autoptr(TestResponse) r = NULL;

      pm_sim_upstream_push_reply (sim, reply);
      r = test_post (serve->url, "/v1/messages", i == 0 ? step1 : step2, sim, headers);
      g_assert_cmpuint (r->status, ==, 200);
    }

  g_subprocess_send_signal (serve->process, SIGTERM);
  serve_finish (serve);
  g_assert_cmpint (g_subprocess_get_exit_status (serve->process), ==, 0);
  serve_free (serve);

  g_assert_true (g_file_test (outcomes_db, G_FILE_TEST_EXISTS));
  g_assert_cmpint (sqlite3_open_v2 (outcomes_db, &sql, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (sql, "SELECT SUM(successes + failures) FROM router_outcomes",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  judged = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (sql);
  g_assert_cmpint (judged, >=, 1);
}

static void
test_serve_first_run (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *config = g_build_filename (dir, "fresh", "config.json", NULL);
  g_autofree char *db = g_build_filename (dir, "fresh.db", NULL);
  g_autofree char *first = NULL;
  g_autofree char *contents = NULL;
  Serve *serve;

  serve = serve_start (dir, (const char *[]) { "--config", config, "--port", "0", "--db", db, "--quiet", NULL });
  first = read_line (serve);
  g_assert_true (g_str_has_prefix (first, "Pointsman listening on http://127.0.0.1:"));
  serve->url = g_strdup (first + strlen ("Pointsman listening on "));

  /* Defaults were written, and they parse. */
  g_assert_true (g_file_get_contents (config, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"providers\""));
  {
    g_autoptr(TestResponse) r = test_get (serve->url, "/pointsman/v1/health");

    g_assert_cmpuint (r->status, ==, 200);
  }

  g_subprocess_send_signal (serve->process, SIGINT);
  serve_finish (serve);
  g_assert_cmpint (g_subprocess_get_exit_status (serve->process), ==, 0);
  serve_free (serve);
}

static void
test_serve_bad_config (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *config = g_build_filename (dir, "broken.json", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cli = cli_path ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_file_set_contents (config, "{\n  \"listen\": {\"port\": \"eighty\"}\n}\n", -1, NULL));
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                              cli, "serve", "--config", config, "--port", "0", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_null (strstr (out, "listening"));
  g_assert_nonnull (strstr (err, "broken.json"));
  g_assert_nonnull (strstr (err, "listen.port"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/serve/streams", test_serve_streams);
  g_test_add_func ("/pm/serve/first-run", test_serve_first_run);
  g_test_add_func ("/pm/serve/keeps-outcomes", test_serve_keeps_outcomes);
  g_test_add_func ("/pm/serve/bad-config", test_serve_bad_config);

  return g_test_run ();
}
