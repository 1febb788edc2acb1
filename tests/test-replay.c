/* test-replay.c — `pointsman-cli explain` and `replay` end to end, as subprocesses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "pm-config.h"
#include "pm-objective.h"
#include "pm-test-utils.h"

static char *
cli_path (void)
{
  const char *build = g_getenv ("PM_BUILD_DIR");

  return g_build_filename (build != NULL ? build : ".", "src", "cli", "pointsman-cli", NULL);
}

/* A configuration file with the default providers and models, and the given trade-off. */
static char *
write_config (double tradeoff)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *db = g_build_filename (dir, "pointsman.db", NULL);
  g_autoptr(PmConfig) config = pm_config_new_default ();
  g_autoptr(GError) error = NULL;

  pm_objective_set_tradeoff (pm_config_get_objective (config), tradeoff);
  pm_config_set_database (config, db);
  g_assert_true (pm_config_save (config, path, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

static int
run (char       **out,
     char       **err,
     const char  *first,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp_home = pm_test_make_tmpdir ();
  va_list args;
  const char *arg;

  g_ptr_array_add (argv, cli_path ());
  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* Never read the user's own configuration. */
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", tmp_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", tmp_home, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err, &error);
  g_assert_no_error (error);

  return g_subprocess_get_exit_status (proc);
}

static void
test_explain_json (void)
{
  g_autofree char *config = write_config (0.5);
  g_autofree char *fixture = pm_test_fixture_path ("requests/claude-code-title.json");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  JsonArray *cands;
  double min_cost = G_MAXDOUBLE;
  const char *model = NULL;
  int status;

  status = run (&out, &err, "explain", "--config", config, "--json", fixture, NULL);
  g_assert_cmpint (status, ==, 0);
  root = json_from_string (out, &error);
  g_assert_no_error (error);
  o = json_node_get_object (root);

  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "features"), "kind"), ==, "background");
  g_assert_true (json_object_get_boolean_member (o, "routed"));
  g_assert_nonnull (strstr (json_object_get_string_member (o, "summary"), "cheapest capable"));
  cands = json_object_get_array_member (o, "candidates");
  g_assert_cmpint (json_array_get_length (cands), >, 3);
  for (guint i = 0; i < json_array_get_length (cands); i++)
    {
      JsonObject *c = json_array_get_object_element (cands, i);

      if (!json_object_has_member (c, "excluded"))
        min_cost = MIN (min_cost, json_object_get_double_member (c, "cost"));
      if (json_object_get_boolean_member_with_default (c, "chosen", FALSE))
        model = json_object_get_string_member (c, "model");
    }
  g_assert_cmpstr (model, ==, json_object_get_string_member (o, "model"));
  g_assert_cmpfloat (json_object_get_double_member (o, "expected_cost_usd"), <=,
                     json_object_get_double_member (o, "baseline_cost_usd"));
  g_assert_cmpfloat (min_cost, >, 0);
}

static void
test_explain_text (void)
{
  g_autofree char *config = write_config (0.5);
  g_autofree char *fixture = pm_test_fixture_path ("requests/claude-code-error.json");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = run (&out, &err, "explain", "--config", config, fixture, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "decision"));
  g_assert_nonnull (strstr (out, "error-recovery"));
  g_assert_nonnull (strstr (out, "claude-code"));
  g_assert_nonnull (strstr (out, "candidate"));
  g_assert_nonnull (strstr (out, "1 tool error in a row"));
}

static void
test_explain_errors (void)
{
  g_autofree char *config = write_config (0.5);
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *bad = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run (&out, &err, "explain", "--config", config, "/nonexistent/request.json", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "request.json"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_true (g_file_set_contents (bad, "{\"model\": \"x\"}", -1, NULL));
  g_assert_cmpint (run (&out, &err, "explain", "--config", config, bad, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "messages"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run (&out, &err, "explain", NULL), ==, 2);
}

/* Returns the number of request lines; checks their fields and that the totals add up. */
static guint
check_replay_output (const char *out,
                     double     *total_out,
                     double     *baseline_out)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  double sum = 0;
  double base = 0;
  guint n = 0;
  gboolean totals = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *o;

      if (*lines[i] == '\0')
        continue;
      node = json_from_string (lines[i], &error);
      g_assert_no_error (error);
      o = json_node_get_object (node);
      if (json_object_has_member (o, "total_cost_usd"))
        {
          g_assert_false (totals);
          totals = TRUE;
          g_assert_cmpfloat (fabs (json_object_get_double_member (o, "total_cost_usd") - sum), <, 1e-9);
          g_assert_cmpfloat (fabs (json_object_get_double_member (o, "baseline_cost_usd") - base), <, 1e-9);
          g_assert_true (json_object_has_member (o, "switches"));
          *total_out = sum;
          *baseline_out = base;
          continue;
        }
      g_assert_false (totals);
      g_assert_cmpint (json_object_get_int_member (o, "i"), ==, n);
      g_assert_nonnull (json_object_get_string_member (o, "session"));
      g_assert_nonnull (json_object_get_string_member (o, "kind"));
      g_assert_nonnull (json_object_get_string_member (o, "model"));
      g_assert_true (json_object_has_member (o, "effort"));
      g_assert_cmpint (json_object_get_int_member (o, "cached_tokens"), >=, 0);
      g_assert_cmpfloat (json_object_get_double_member (o, "cost_usd"), >, 0);
      g_assert_cmpfloat (json_object_get_double_member (o, "baseline_cost_usd"), >, 0);
      g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "reasons")), >=, 1);
      sum += json_object_get_double_member (o, "cost_usd");
      base += json_object_get_double_member (o, "baseline_cost_usd");
      n++;
    }
  g_assert_true (totals);

  return n;
}

static void
test_replay_trace (void)
{
  g_autofree char *config = write_config (0.5);
  g_autofree char *fixture = pm_test_fixture_path ("requests/trace-session.jsonl");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *text = NULL;
  double total = 0, baseline = 0;

  g_assert_cmpint (run (&out, &err, "replay", "--config", config, "--json", fixture, NULL), ==, 0);
  g_assert_cmpuint (check_replay_output (out, &total, &baseline), ==, 6);
  /* the error in the trace shows up as an error-recovery step */
  g_assert_nonnull (strstr (out, "\"step\":\"error-recovery\""));
  g_clear_pointer (&err, g_free);

  /* human output: one line per request and the totals */
  g_assert_cmpint (run (&text, &err, "replay", "--config", config, fixture, NULL), ==, 0);
  g_assert_nonnull (strstr (text, "6 requests"));
}

static void
test_replay_transcript (void)
{
  g_autofree char *config = write_config (0.5);
  g_autofree char *path = g_build_filename (pm_test_shared_data (), "claude_code_transcripts", "tool_heavy.jsonl", NULL);
  g_autofree char *big = g_build_filename (pm_test_shared_data (), "claude_code_transcripts",
                                           "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  double total = 0, baseline = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("claude_code_transcripts not found (PM_SHARED_DATA)");
      return;
    }

  g_assert_cmpint (run (&out, &err, "replay", "--config", config, "--json", "--format", "claude-transcript", path, NULL), ==, 0);
  /* tool_heavy.jsonl holds 4 API requests (lines deduplicated by requestId) */
  g_assert_cmpuint (check_replay_output (out, &total, &baseline), ==, 4);
  g_assert_nonnull (strstr (out, "\"recorded_model\":\"claude-opus-4-6\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* the long session: 217 requests. Simple steps go to a cheap model. A single failing tool
   * result (10 of its 14 error-recovery steps) is an ordinary step of an agent loop and does not
   * switch; a switch's re-prefill is weighed against its Q gain, so at the default trade-off no
   * escalation of this ~130k-token session pays, and at 0.3 the loop of one failing call repeated
   * escalates to a stronger model (see docs/ROUTING.md §7). Either way: no flip-flopping — no
   * model is left and then returned to within three steps. (It has no outcomes: which choice
   * was right is not measurable here, so no cost claim is made.) */
  for (guint k = 0; k < 2; k++)
    {
      g_autofree char *cfg = write_config (k == 0 ? 0.5 : 0.3);
      g_auto(GStrv) lines = NULL;
      guint cheap_tool_steps = 0, strong_recovery_steps = 0, recovery_steps = 0, switches = 0;
      guint flip_flops = 0, n = 0;
      g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_free);

      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run (&out, &err, "replay", "--config", cfg, "--json", "--format", "claude-transcript", big, NULL), ==, 0);
      g_assert_cmpuint (check_replay_output (out, &total, &baseline), ==, 217);
      lines = g_strsplit (out, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_autoptr(JsonNode) node = *lines[i] != '\0' ? json_from_string (lines[i], NULL) : NULL;
          JsonObject *o = node != NULL ? json_node_get_object (node) : NULL;
          const char *model;
          const char *step;

          if (o == NULL)
            continue;
          if (json_object_has_member (o, "switches"))
            {
              switches = json_object_get_int_member (o, "switches");
              continue;
            }
          if (!g_str_equal (json_object_get_string_member (o, "session"), "ae4a77f8-aedd-4bc1-888f-c94edc91af04"))
            continue;
          model = json_object_get_string_member (o, "model");
          step = json_object_get_string_member (o, "step");
          g_ptr_array_add (models, g_strdup (model));
          n++;
          if (g_str_equal (step, "tool-result") && (strstr (model, "mini") != NULL || strstr (model, "haiku") != NULL))
            cheap_tool_steps++;
          if (g_str_equal (step, "error-recovery"))
            {
              recovery_steps++;
              if (strstr (model, "mini") == NULL && strstr (model, "haiku") == NULL)
                strong_recovery_steps++;
            }
        }
      /* A → B → A with B kept fewer than three steps */
      for (guint i = 1; i < models->len; i++)
        if (!g_str_equal (models->pdata[i], models->pdata[i - 1]))
          for (guint j = i + 1; j < MIN (i + 3, models->len); j++)
            if (g_str_equal (models->pdata[j], models->pdata[i - 1]))
              {
                flip_flops++;
                break;
              }
      g_test_message ("trade-off %.1f, 217 steps: %u tool results on a cheap model, %u of %u error recoveries on a "
                      "stronger one, %u switches, %u flip-flops, $%.2f routed vs $%.2f always-default",
                      k == 0 ? 0.5 : 0.3, cheap_tool_steps, strong_recovery_steps, recovery_steps, switches,
                      flip_flops, total, baseline);
      g_assert_cmpuint (n, >, 200);
      g_assert_cmpuint (cheap_tool_steps, >=, 217 / 3);
      g_assert_cmpuint (recovery_steps, >, 0);
      g_assert_cmpuint (flip_flops, ==, 0);
      g_assert_cmpuint (switches, <, 217 / 20);
      if (k == 0)
        g_assert_cmpfloat (total, <, baseline);
      else
        g_assert_cmpuint (strong_recovery_steps, >, 0);
    }
}

/* With the recorded model the only choice, the replay bills what the recording says it cost:
 * the cache reads of prefixes written before the file starts, the 1 h writes Claude Code asks
 * for, the recorded output. Pointsman, always-default and the recording agree to the cent. */
static void
test_replay_same_model_billing (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *config = g_build_filename (dir, "opus.json", NULL);
  g_autofree char *db = g_build_filename (dir, "pointsman.db", NULL);
  g_autofree char *json = g_strdup_printf (
    "{\"providers\":[{\"id\":\"anthropic\",\"api\":\"anthropic\",\"base_url\":\"http://127.0.0.1:9\",\"key\":\"none\"}],"
    "\"models\":[{\"id\":\"claude-opus-4-6\",\"provider\":\"anthropic\"}],"
    "\"default_model\":\"claude-opus-4-6\",\"objective\":{\"tradeoff\":0.5,\"quality_floor\":0.9,\"max_effort\":\"high\"},"
    "\"database\":\"%s\"}", db);
  const char *files[] = { "short.jsonl", "tool_heavy.jsonl" };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (config, json, -1, &error));
  g_assert_no_error (error);

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *path = g_build_filename (pm_test_shared_data (), "claude_code_transcripts", files[f], NULL);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_auto(GStrv) lines = NULL;
      double total = 0, baseline = 0;
      guint n = 0;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_test_skip ("claude_code_transcripts not found (PM_SHARED_DATA)");
          return;
        }
      g_assert_cmpint (run (&out, &err, "replay", "--config", config, "--json", "--format", "claude-transcript", path, NULL), ==, 0);
      g_assert_cmpuint (check_replay_output (out, &total, &baseline), >=, 1);
      lines = g_strsplit (out, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_autoptr(JsonNode) node = *lines[i] != '\0' ? json_from_string (lines[i], NULL) : NULL;
          JsonObject *o = node != NULL ? json_node_get_object (node) : NULL;
          double recorded;

          if (o == NULL || !json_object_has_member (o, "recorded_cost_usd") || json_object_has_member (o, "total_cost_usd"))
            continue;
          g_assert_cmpstr (json_object_get_string_member (o, "recorded_model"), ==, "claude-opus-4-6");
          g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "claude-opus-4-6");
          recorded = json_object_get_double_member (o, "recorded_cost_usd");
          g_test_message ("%s #%u: recorded $%.4f, replay $%.4f, always-default $%.4f", files[f], n, recorded,
                          json_object_get_double_member (o, "cost_usd"), json_object_get_double_member (o, "baseline_cost_usd"));
          g_assert_cmpfloat (fabs (json_object_get_double_member (o, "cost_usd") - recorded), <, 1e-9);
          g_assert_cmpfloat (fabs (json_object_get_double_member (o, "baseline_cost_usd") - recorded), <, 1e-9);
          n++;
        }
      g_assert_cmpuint (n, >=, 1);
      g_assert_cmpfloat (fabs (total - baseline), <, 1e-9);
    }
}

static void
test_replay_errors (void)
{
  g_autofree char *config = write_config (0.5);
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *bad = g_build_filename (dir, "bad.jsonl", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_file_set_contents (bad, "{\"t\":0,\"api\":\"anthropic\",\"body\":{\"model\":\"pointsman/auto\","
                                      "\"max_tokens\":5,\"messages\":[]}}\nnot json\n", -1, NULL));
  g_assert_cmpint (run (&out, &err, "replay", "--config", config, "--json", bad, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "bad.jsonl:2"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run (&out, &err, "replay", "--format", "nope", bad, NULL), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/cli/explain-json", test_explain_json);
  g_test_add_func ("/pm/cli/explain-text", test_explain_text);
  g_test_add_func ("/pm/cli/explain-errors", test_explain_errors);
  g_test_add_func ("/pm/cli/replay-trace", test_replay_trace);
  g_test_add_func ("/pm/cli/replay-transcript", test_replay_transcript);
  g_test_add_func ("/pm/cli/replay-same-model-billing", test_replay_same_model_billing);
  g_test_add_func ("/pm/cli/replay-errors", test_replay_errors);

  return g_test_run ();
}
