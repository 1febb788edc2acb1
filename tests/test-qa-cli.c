/* test-qa-cli.c — pointsman-cli as a user runs it on a fresh machine (acceptance findings).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-test-qa-cli"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>

#include "pm-test-utils.h"

static char *
cli_path (void)
{
  const char *build = g_getenv ("PM_BUILD_DIR");

  g_assert_nonnull (build);
  return g_build_filename (build, "src", "cli", "pointsman-cli", NULL);
}

/* Runs pointsman-cli with ARGS (NULL-terminated) in ENV; returns its exit status. */
static int
run_cli (char **out,
         char **err,
         GStrv  env,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, cli_path ());
  va_start (args, env);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, env);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, "", NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

/* README's first run: a user stores a key and checks it before the first `serve` has written
 * a configuration. `keys status` reports on the defaults that serve would write (anthropic from
 * the keyring, openai from $OPENAI_API_KEY) instead of failing on the missing file, and leaves
 * the file for serve to write. */
static void
test_keys_status_before_first_run (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *config_home = g_build_filename (dir, "config", NULL);
  g_autofree char *data_home = g_build_filename (dir, "data", NULL);
  g_autofree char *config = g_build_filename (config_home, "pointsman", "config.json", NULL);
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  env = g_environ_setenv (env, "XDG_CONFIG_HOME", config_home, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", data_home, TRUE);
  env = g_environ_setenv (env, "OPENAI_API_KEY", "test-key-not-real-qa-1234", TRUE);

  status = run_cli (&out, &err, env, "keys", "status", NULL);
  g_test_message ("status %d\nstdout:\n%s\nstderr:\n%s", status, out, err);
  g_assert_null (strstr (err, "Failed to open"));
  g_assert_true (g_str_has_prefix (out, "anthropic"));
  g_assert_nonnull (strstr (out, "\nopenai "));
  g_assert_nonnull (strstr (out, "env:OPENAI_API_KEY"));
  g_assert_null (strstr (out, "test-key-not-real-qa-1234"));
  g_assert_null (strstr (err, "test-key-not-real-qa-1234"));
  /* anthropic's keyring key is missing (or the keyring is unreachable): exit 1, not a crash */
  g_assert_cmpint (status, ==, 1);
  g_assert_false (g_file_test (config, G_FILE_TEST_EXISTS));

  /* an explicit --config that does not exist is still an error naming the file */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = run_cli (&out, &err, env, "keys", "status", "--config", config, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, config));
  g_assert_false (g_file_test (config, G_FILE_TEST_EXISTS));
}

/* A mistyped dataset is named in the error, and the usage goes to standard error with it
 * (not half to standard output); `eval --help` is the only success. */
static void
test_eval_unknown_dataset (void)
{
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (&out, &err, env, "eval", "swebnech", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "swebnech"));
  g_assert_nonnull (strstr (err, "swebench"));
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (&out, &err, env, "eval", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "transcripts"));
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (&out, &err, env, "eval", "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "routerbench"));
  g_assert_cmpstr (err, ==, "");
}

/* `catalog import` of a JSON object that is not a LiteLLM price file (say, the config) is an
 * error and writes nothing, instead of "Updated 0 of N models" and a user catalog that then
 * shadows the shipped prices. The real price file still imports. */
static void
test_catalog_import_not_prices (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *input = g_build_filename (dir, "config.json", NULL);
  g_autofree char *output = g_build_filename (dir, "catalog.json", NULL);
  g_autofree char *prices = g_build_filename (pm_test_shared_data (),
                                              "litellm_model_prices_and_context_window.json", NULL);
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  env = g_environ_setenv (env, "XDG_DATA_HOME", dir, TRUE);
  g_assert_true (g_file_set_contents (input, "{\"listen\": {\"port\": 8787}, \"models\": []}", -1, NULL));
  g_assert_cmpint (run_cli (&out, &err, env, "catalog", "import", input, "--output", output, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "not a LiteLLM price file"));
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  if (!g_file_test (prices, G_FILE_TEST_EXISTS))
    {
      g_test_message ("no %s: the real price file is not checked", prices);
      return;
    }
  g_assert_cmpint (run_cli (&out, &err, env, "catalog", "import", prices, "--output", output, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Updated "));
  g_assert_true (g_file_test (output, G_FILE_TEST_EXISTS));
}

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GError **error = user_data;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &out, &err, error);
  g_object_set_data_full (source, "qa-out", g_steal_pointer (&out), g_free);
  g_object_set_data_full (source, "qa-err", g_steal_pointer (&err), g_free);
  g_object_set_data (source, "qa-done", GINT_TO_POINTER (TRUE));
}

/* `serve` with a bad option must exit at once: a serve that starts listening instead would run
 * until killed, so it is given a generous deadline and then killed as a failure (a hang guard,
 * not a timing assertion). */
static void
test_serve_negative_port (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autofree char *cli = cli_path ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  const char *err;

  g_assert_true (g_file_set_contents (config, "{\"listen\": {\"port\": 0}}", -1, NULL));
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                              cli, "serve", "--config", config, "--no-store", "--port", "-1", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, "", NULL, communicated_cb, &error);
  while (g_object_get_data (G_OBJECT (process), "qa-done") == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  if (g_object_get_data (G_OBJECT (process), "qa-done") == NULL)
    {
      g_subprocess_force_exit (process);
      g_test_fail_printf ("serve --port -1 did not exit: it started serving");
      while (g_object_get_data (G_OBJECT (process), "qa-done") == NULL)
        g_main_context_iteration (NULL, TRUE);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
  err = g_object_get_data (G_OBJECT (process), "qa-err");
  g_assert_nonnull (strstr (err, "--port must be"));
  g_assert_null (strstr (g_object_get_data (G_OBJECT (process), "qa-out"), "listening"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qa-cli/keys-status-before-first-run", test_keys_status_before_first_run);
  g_test_add_func ("/qa-cli/eval-unknown-dataset", test_eval_unknown_dataset);
  g_test_add_func ("/qa-cli/catalog-import-not-prices", test_catalog_import_not_prices);
  g_test_add_func ("/qa-cli/serve-negative-port", test_serve_negative_port);

  return g_test_run ();
}
