/* test-eval-cli.c — `pointsman-cli eval …` and `train` end to end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real binary on the hand-made fixtures (numbers worked out by hand) and on slices of
 * the public data in ../shared/data (PM_SHARED_DATA), read at test time and never copied into
 * the repository. The public-data cases check invariants that must hold for any data.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "pm-catalog.h"
#include "pm-eval.h"
#include "pm-quality-model.h"
#include "pm-test-utils.h"

#define EPS 1e-9

static char *
cli_path (void)
{
  const char *build = g_getenv ("PM_BUILD_DIR");

  return g_build_filename (build ? build : ".", "src", "cli", "pointsman-cli", NULL);
}

/* Runs pointsman-cli with the NULL-terminated arguments; returns stdout, asserts success. */
static char *
run_cli (const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;
  va_list ap;

  g_ptr_array_add (argv, cli_path ());
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("pointsman-cli failed: %s", err);
  return out;
}

static JsonObject *
parse_object (const char *text,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

static double
pt_cost (JsonArray *a,
         guint      i)
{
  return json_object_get_double_member (json_array_get_object_element (a, i), "cost");
}

static double
pt_quality (JsonArray *a,
            guint      i)
{
  return json_object_get_double_member (json_array_get_object_element (a, i), "quality");
}

/* Invariants of any frontier report: the hull starts at (0,0), rises and is concave; the oracle
 * is at least as good as every single model; router points are real outcomes. */
static void
check_report (JsonObject *o)
{
  JsonArray *singles = json_object_get_array_member (o, "single_models");
  JsonArray *hull = json_object_get_array_member (o, "hull");
  JsonArray *router = json_object_get_array_member (o, "router");
  JsonObject *oracle = json_object_get_object_member (o, "oracle");
  double best_single = 0;

  g_assert_cmpuint (json_array_get_length (singles), >, 0);
  g_assert_cmpuint (json_array_get_length (hull), >=, 2);
  g_assert_cmpuint (json_array_get_length (router), >, 0);
  g_assert_cmpfloat (pt_cost (hull, 0), ==, 0.0);
  g_assert_cmpfloat (pt_quality (hull, 0), ==, 0.0);
  for (guint i = 1; i < json_array_get_length (hull); i++)
    {
      g_assert_cmpfloat (pt_cost (hull, i), >, pt_cost (hull, i - 1));
      g_assert_cmpfloat (pt_quality (hull, i), >, pt_quality (hull, i - 1));
      if (i >= 2)
        {
          double s1 = (pt_quality (hull, i - 1) - pt_quality (hull, i - 2)) /
                      (pt_cost (hull, i - 1) - pt_cost (hull, i - 2));
          double s2 = (pt_quality (hull, i) - pt_quality (hull, i - 1)) /
                      (pt_cost (hull, i) - pt_cost (hull, i - 1));

          g_assert_cmpfloat (s2, <, s1);
        }
    }
  for (guint i = 0; i < json_array_get_length (singles); i++)
    best_single = MAX (best_single, pt_quality (singles, i));
  g_assert_cmpfloat (json_object_get_double_member (oracle, "quality"), >=, best_single);
  g_assert_cmpfloat_with_epsilon (pt_quality (hull, json_array_get_length (hull) - 1), best_single, EPS);

  for (guint i = 0; i < json_array_get_length (router); i++)
    {
      JsonObject *p = json_array_get_object_element (router, i);
      JsonArray *ci = json_object_get_array_member (p, "delta_ci95");

      g_assert_cmpfloat (json_object_get_double_member (p, "quality"), >=, 0.0);
      g_assert_cmpfloat (json_object_get_double_member (p, "quality"), <=,
                         json_object_get_double_member (oracle, "quality") + EPS);
      g_assert_cmpfloat (json_array_get_double_element (ci, 0), <=,
                         json_object_get_double_member (p, "delta_vs_hull") + EPS);
      g_assert_cmpfloat (json_array_get_double_element (ci, 1), >=,
                         json_object_get_double_member (p, "delta_vs_hull") - EPS);
    }
  g_assert_true (isfinite (json_object_get_double_member (o, "area_vs_hull")));
  g_assert_cmpint (json_object_get_int_member (o, "points_above_hull"), <=,
                   json_array_get_length (router));
}

static gboolean
have_shared (const char *name)
{
  g_autofree char *p = g_build_filename (pm_test_shared_data (), name, NULL);

  if (!g_file_test (p, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("public data not found (PM_SHARED_DATA)");
      return FALSE;
    }
  return TRUE;
}

/* ---- swebench ---------------------------------------------------------------------------- */

static void
test_swebench_fixture (void)
{
  g_autofree char *res = pm_test_fixture_path ("eval/swebench-results.csv");
  g_autofree char *prob = pm_test_fixture_path ("eval/swebench-problems.jsonl");
  g_autofree char *out = run_cli ("eval", "swebench", "--train-problems", prob, "--train-results", res,
                                  "--folds", "2", "--bootstrap", "50", "--l2", "0.01", "--json",
                                  "--verifier-first", "cheap-model", "--verifier-second", "strong-model",
                                  NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_object (out, parser);
  JsonArray *hull = json_object_get_array_member (o, "hull");
  JsonArray *ver = json_object_get_array_member (o, "simulated_verifier_cascades");
  JsonObject *oracle = json_object_get_object_member (o, "oracle");
  JsonObject *perfect;

  check_report (o);
  g_assert_cmpstr (json_object_get_string_member (o, "mode"), ==, "cross-validation");
  g_assert_cmpint (json_object_get_int_member (o, "n_tasks"), ==, 4);
  /* Hand-computed (see test-eval.c): every single model is on the hull. */
  g_assert_cmpuint (json_array_get_length (hull), ==, 4);
  g_assert_cmpfloat_with_epsilon (pt_cost (hull, 1), 0.025, EPS);
  g_assert_cmpfloat_with_epsilon (pt_quality (hull, 3), 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (oracle, "quality"), 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (oracle, "cost"), 0.1625, EPS);
  /* Perfect verifier, cheap → strong: 75 % at $0.45. */
  g_assert_cmpuint (json_array_get_length (ver), ==, 3);
  perfect = json_array_get_object_element (ver, 0);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (perfect, "quality"), 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (perfect, "cost"), 0.45, EPS);
}

/* Writes the rows of the first @n_tasks instances (in file order) to a temporary CSV. */
static char *
slice_results (const char *dir,
               const char *name,
               guint       skip_tasks,
               guint       n_tasks)
{
  g_autofree char *src = g_build_filename (pm_test_shared_data (),
                                           "swebench_verified_bash_only_per_instance.csv", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_get_contents (src, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  g_string_append_printf (out, "%s\n", lines[0]);
  /* Instance ids sorted, so the slice does not depend on the file's row order. */
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *comma = strchr (lines[i], ',');
      char *id;

      if (comma == NULL)
        continue;
      id = g_strndup (lines[i], comma - lines[i]);
      if (!g_hash_table_contains (ids, id))
        {
          g_hash_table_add (ids, id);
          g_ptr_array_add (order, id);
        }
      else
        g_free (id);
    }
  {
    g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
    g_autoptr(GHashTable) keep = g_hash_table_new (g_str_hash, g_str_equal);

    for (guint i = 0; i < order->len; i++)
      g_ptr_array_add (sorted, g_ptr_array_index (order, i));
    for (guint i = 1; i < sorted->len; i++)
      for (guint k = i; k > 0 && g_strcmp0 (g_ptr_array_index (sorted, k - 1),
                                            g_ptr_array_index (sorted, k)) > 0; k--)
        {
          gpointer t = sorted->pdata[k];
          sorted->pdata[k] = sorted->pdata[k - 1];
          sorted->pdata[k - 1] = t;
        }
    for (guint i = skip_tasks; i < MIN (skip_tasks + n_tasks, sorted->len); i++)
      g_hash_table_add (keep, g_ptr_array_index (sorted, i));
    for (guint i = 1; lines[i] != NULL; i++)
      {
        const char *comma = strchr (lines[i], ',');
        g_autofree char *id = comma ? g_strndup (lines[i], comma - lines[i]) : NULL;

        if (id && g_hash_table_contains (keep, id))
          g_string_append_printf (out, "%s\n", lines[i]);
      }
  }
  g_assert_true (g_file_set_contents (path, out->str, out->len, NULL));
  return path;
}

static void
test_swebench_public_slice (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *train = NULL, *test = NULL, *prob = NULL, *out = NULL, *text = NULL;
  g_autofree char *json_out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonArray *ver, *pool, *router;

  if (!have_shared ("swebench_verified_bash_only_per_instance.csv"))
    return;
  dir = pm_test_make_tmpdir ();
  train = slice_results (dir, "train.csv", 0, 60);
  test = slice_results (dir, "test.csv", 60, 25);
  prob = g_build_filename (pm_test_shared_data (), "swebench_verified_problems.jsonl", NULL);

  out = run_cli ("eval", "swebench", "--train-problems", prob, "--train-results", train,
                 "--test-problems", prob, "--test-results", test, "--bootstrap", "100",
                 "--l2", "0.01", "--sweep-steps", "20", "--json", NULL);
  o = parse_object (out, parser);
  check_report (o);
  g_assert_cmpstr (json_object_get_string_member (o, "mode"), ==, "train-test");
  g_assert_cmpint (json_object_get_int_member (o, "n_tasks"), ==, 25);
  /* 25 submissions, the broken Claude 3.7 one excluded. */
  g_assert_cmpint (json_object_get_int_member (o, "n_models"), ==, 24);
  /* The router's own curve: pm_router_decide over the models the catalog knows. */
  pool = json_object_get_array_member (o, "router_pool");
  g_assert_cmpuint (json_array_get_length (pool), >=, 5);
  g_assert_true (json_object_has_member (o, "router_priors_only"));
  g_assert_true (json_object_has_member (o, "router_escalation"));
  g_assert_true (json_object_has_member (o, "router_cascades"));
  g_assert_true (json_object_has_member (o, "router_text_only"));
  router = json_object_get_array_member (o, "router");
  for (guint i = 0; i < json_array_get_length (router); i++)
    {
      const char *policy = json_object_get_string_member (json_array_get_object_element (router, i), "policy");
      gboolean names_pool_model = FALSE;

      for (guint k = 0; k < json_array_get_length (pool); k++)
        names_pool_model |= g_str_has_prefix (policy, json_array_get_string_element (pool, k));
      g_assert_true (names_pool_model);
    }
  /* Moving the trade-off toward cost never makes the router spend more at the far end. */
  g_assert_cmpfloat (pt_cost (router, 0), >=, pt_cost (router, json_array_get_length (router) - 1));
  ver = json_object_get_array_member (o, "simulated_verifier_cascades");
  g_assert_cmpuint (json_array_get_length (ver), ==, 3);
  /* A perfect verifier never resolves less than the recall-0.7 one. */
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (ver, 0), "quality"), >=,
                     json_object_get_double_member (json_array_get_object_element (ver, 2), "quality"));

  /* The human-readable report says which mode ran and labels the verifier table; --json-out
   * writes the JSON report in the same run. */
  json_out = g_build_filename (dir, "report.json", NULL);
  text = run_cli ("eval", "swebench", "--train-problems", prob, "--train-results", train,
                  "--folds", "3", "--bootstrap", "50", "--l2", "0.01", "--sweep-steps", "10",
                  "--json-out", json_out, NULL);
  {
    g_autoptr(JsonParser) p2 = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *o2;

    g_assert_true (json_parser_load_from_file (p2, json_out, &error));
    g_assert_no_error (error);
    o2 = json_node_get_object (json_parser_get_root (p2));
    check_report (o2);
    g_assert_cmpstr (json_object_get_string_member (o2, "mode"), ==, "cross-validation");
    g_assert_cmpint (json_object_get_int_member (o2, "folds"), ==, 3);
  }
  g_assert_nonnull (strstr (text, "3-fold cross-validation"));
  g_assert_nonnull (strstr (text, "SIMULATED VERIFIER"));
  g_assert_nonnull (strstr (text, "area vs the hull"));
  g_assert_nonnull (strstr (text, "pm_router_decide"));
}

/* ---- livecodebench, routerbench ------------------------------------------------------------ */

static void
test_livecodebench (void)
{
  g_autofree char *data = NULL, *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonArray *families;

  if (!have_shared ("livecodebench_generation_2025-04-28.csv"))
    return;
  data = g_build_filename (pm_test_shared_data (), "livecodebench_generation_2025-04-28.csv", NULL);
  out = run_cli ("eval", "livecodebench", "--data", data, "--bootstrap", "100", "--json", NULL);
  o = parse_object (out, parser);
  families = json_object_get_array_member (o, "families");
  /* O3-Mini and O4-Mini each come in Low / Medium / High. */
  g_assert_cmpuint (json_array_get_length (families), >=, 2);
  for (guint i = 0; i < json_array_get_length (families); i++)
    {
      JsonObject *f = json_array_get_object_element (families, i);
      JsonArray *router = json_object_get_array_member (f, "router");
      JsonArray *singles = json_object_get_array_member (f, "single_models");
      double lo = INFINITY, hi = 0;

      check_report (f);
      for (guint j = 0; j < json_array_get_length (singles); j++)
        {
          lo = MIN (lo, pt_cost (singles, j));
          hi = MAX (hi, pt_cost (singles, j));
        }
      /* Per-problem effort choice spends between the cheapest and the dearest effort. */
      for (guint j = 0; j < json_array_get_length (router); j++)
        {
          g_assert_cmpfloat (pt_cost (router, j), >=, lo - EPS);
          g_assert_cmpfloat (pt_cost (router, j), <=, hi + EPS);
        }
    }
}

static void
test_routerbench (void)
{
  g_autofree char *train = NULL, *test = NULL, *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PmEvalMatrix) m = NULL;
  JsonObject *o;

  if (!have_shared ("routerbench_mbpp_train.csv"))
    return;
  train = g_build_filename (pm_test_shared_data (), "routerbench_mbpp_train.csv", NULL);
  test = g_build_filename (pm_test_shared_data (), "routerbench_mbpp_test.csv", NULL);
  out = run_cli ("eval", "routerbench", "--train", train, "--test", test, "--bootstrap", "100",
                 "--l2", "0.01", "--json", NULL);
  o = parse_object (out, parser);
  check_report (o);
  m = pm_eval_load_routerbench (test, NULL);
  g_assert_nonnull (m);
  g_assert_cmpint (json_object_get_int_member (o, "n_test"), ==, m->n_tasks);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "single_models")), ==, 11);
}

/* ---- transcripts --------------------------------------------------------------------------- */

static double
billed (const PmModelInfo *i,
        double input, double read, double w5m, double w1h, double out)
{
  return input * i->input + read * i->cache_read + w5m * i->cache_write_5m + w1h * i->cache_write_1h +
         out * i->output;
}

static JsonObject *
policy (JsonObject *session,
        const char *name)
{
  JsonArray *p = json_object_get_array_member (session, "policies");

  for (guint i = 0; i < json_array_get_length (p); i++)
    {
      JsonObject *o = json_array_get_object_element (p, i);

      if (g_str_equal (json_object_get_string_member (o, "name"), name))
        return o;
    }
  g_assert_not_reached ();
}

static void
test_transcripts_fixture (void)
{
  g_autofree char *path = pm_test_fixture_path ("eval/transcript.jsonl");
  g_autofree char *out = run_cli ("eval", "transcripts", "--json", "--tradeoff", "0.1", "--tradeoff", "0.9",
                                  path, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PmCatalog) catalog = pm_catalog_new_default (NULL);
  const PmModelInfo *opus, *haiku;
  JsonObject *o, *s;
  double expect_recorded, expect_strong;

  g_assert_nonnull (catalog);
  opus = pm_catalog_lookup (catalog, "claude-opus-4-6");
  haiku = pm_catalog_lookup (catalog, "claude-haiku-4-5");
  g_assert_nonnull (opus);
  g_assert_nonnull (haiku);

  /* req_A and req_B on Opus with 1-hour writes, req_C (sub-agent) on Haiku with a 5-min write. */
  expect_recorded = billed (opus, 3, 1000, 0, 200, 50) + billed (opus, 1, 1200, 0, 100, 20) +
                    billed (haiku, 10, 0, 500, 0, 7);
  /* Always Opus: the sub-agent's chain starts cold on Opus, so its 500 tokens are written. */
  expect_strong = billed (opus, 3, 1000, 0, 200, 50) + billed (opus, 1, 1200, 0, 100, 20) +
                  billed (opus, 10, 0, 500, 0, 7);

  o = parse_object (out, parser);
  s = json_array_get_object_element (json_object_get_array_member (o, "sessions"), 0);
  g_assert_cmpint (json_object_get_int_member (s, "requests"), ==, 3);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (s, "recorded_billed_usd"), expect_recorded, 1e-12);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (policy (s, "recorded choices"), "usd"),
                                  expect_recorded, 1e-12);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (policy (s, "always strong"), "usd"),
                                  expect_strong, 1e-12);
  g_assert_cmpint (json_object_get_int_member (policy (s, "always strong"), "switches"), ==, 0);
  /* Pointsman rows come from the router's replay path, one per trade-off asked for. */
  {
    JsonArray *pm = json_object_get_array_member (s, "pointsman");

    g_assert_cmpuint (json_array_get_length (pm), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        JsonObject *row = json_array_get_object_element (pm, i);

        g_assert_cmpfloat (json_object_get_double_member (row, "usd"), >, 0.0);
        g_assert_cmpfloat (json_object_get_double_member (row, "replay_recorded_usd"), >, 0.0);
        g_assert_cmpint (json_object_get_int_member (row, "switches"), >=, 0);
      }
    g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (pm, 1), "tradeoff"), ==, 0.9);
  }
  /* The complexity rule keeps Opus for the instruction and the error, Haiku for the sub-agent:
   * the recorded choices exactly. */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (policy (s, "complexity router (ignores cache)"), "usd"),
                                  expect_recorded, 1e-12);
}

static void
test_transcripts_public (void)
{
  g_autofree char *path = NULL, *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *s;

  if (!have_shared ("claude_code_transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl"))
    return;
  path = g_build_filename (pm_test_shared_data (), "claude_code_transcripts",
                           "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", NULL);
  out = run_cli ("eval", "transcripts", "--json", "--no-pointsman", path, NULL);
  s = json_array_get_object_element (json_object_get_array_member (parse_object (out, parser),
                                                                   "sessions"), 0);
  /* The cache simulation reproduces the bill of the recorded choices. */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (policy (s, "recorded choices"), "usd"),
                                  json_object_get_double_member (s, "recorded_billed_usd"), 1e-9);
  /* The recording switched Opus → Haiku → Opus. */
  g_assert_cmpint (json_object_get_int_member (policy (s, "recorded choices"), "switches"), ==, 2);
  /* Moving the Haiku stretch to Opus costs more; the per-request rule flips model often. */
  g_assert_cmpfloat (json_object_get_double_member (policy (s, "always strong"), "usd"), >,
                     json_object_get_double_member (policy (s, "recorded choices"), "usd"));
  g_assert_cmpint (json_object_get_int_member (policy (s, "complexity router (ignores cache)"), "switches"), >, 2);
}

/* ---- train --------------------------------------------------------------------------------- */

static void
test_train (void)
{
  g_autofree char *res = pm_test_fixture_path ("eval/swebench-results.csv");
  g_autofree char *prob = pm_test_fixture_path ("eval/swebench-problems.jsonl");
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *weights = g_build_filename (dir, "w.bin", NULL);
  g_autofree char *out = run_cli ("train", "--problems", prob, "--results", res, "--folds", "2",
                                  "--hash-bits", "8", "-o", weights, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmQualityModel) qm = pm_quality_model_new_from_file (weights, &error);
  double p;

  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "Wrote"));
  g_assert_cmpuint (pm_quality_model_get_n_models (qm), ==, 3);
  g_assert_cmpuint (pm_quality_model_get_hash_bits (qm), ==, 8);
  g_assert_cmpint (pm_quality_model_find_model (qm, "strong-model"), >=, 0);
  /* Strong solved 3 of 4, cheap 1 of 4: the trained model ranks them so on a new task. */
  p = pm_quality_model_predict (qm, "acme/widgets\nSomething else broke", "strong-model");
  g_assert_cmpfloat (p, >, pm_quality_model_predict (qm, "acme/widgets\nSomething else broke",
                                                     "cheap-model"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/eval-cli/swebench-fixture", test_swebench_fixture);
  g_test_add_func ("/pm/eval-cli/swebench-public-slice", test_swebench_public_slice);
  g_test_add_func ("/pm/eval-cli/livecodebench", test_livecodebench);
  g_test_add_func ("/pm/eval-cli/routerbench", test_routerbench);
  g_test_add_func ("/pm/eval-cli/transcripts-fixture", test_transcripts_fixture);
  g_test_add_func ("/pm/eval-cli/transcripts-public", test_transcripts_public);
  g_test_add_func ("/pm/eval-cli/train", test_train);

  return g_test_run ();
}
