/* test-eval.c — frontier metrics, loaders, cascades and the quality model on hand-made fixtures
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every expected number here is worked out by hand in the comments next to it.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "pm-catalog.h"
#include "pm-eval.h"
#include "pm-quality-model.h"
#include "pm-test-utils.h"

#define EPS 1e-9

/* ---- frontier metrics ------------------------------------------------------------------- */

static void
test_hull (void)
{
  /* (0.5, 0.1) lies under the line (0,0)→(1,0.5); (2, 0.6) under (1,0.5)→(3,0.9); (4, 0.8)
   * and (2, 0.4) are dominated. Expected: (0,0) → (1,0.5) → (3,0.9). */
  PmEvalPoint pts[] = {
    { 2, 0.6 }, { 0.5, 0.1 }, { 4, 0.8 }, { 1, 0.5 }, { 3, 0.9 }, { 2, 0.4 }, { NAN, 1.0 },
  };
  g_autoptr(GArray) hull = pm_eval_hull (pts, G_N_ELEMENTS (pts));
  PmEvalPoint *h = (PmEvalPoint *) hull->data;

  g_assert_cmpuint (hull->len, ==, 3);
  g_assert_cmpfloat_with_epsilon (h[0].cost, 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (h[0].quality, 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (h[1].cost, 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (h[1].quality, 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (h[2].cost, 3.0, EPS);
  g_assert_cmpfloat_with_epsilon (h[2].quality, 0.9, EPS);

  /* Linear in between, flat past the end. 0.5 + (2−1)/(3−1)·0.4 = 0.7. */
  g_assert_cmpfloat_with_epsilon (pm_eval_frontier_at (h, hull->len, 0.5), 0.25, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_frontier_at (h, hull->len, 2.0), 0.7, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_frontier_at (h, hull->len, 5.0), 0.9, EPS);

  /* No input: "do nothing" alone. */
  {
    g_autoptr(GArray) empty = pm_eval_hull (NULL, 0);

    g_assert_cmpuint (empty->len, ==, 1);
  }
}

static void
test_area (void)
{
  /* A(c) = min(c, 1), B(c) = c/2 on [0, 2]: ∫₀¹ c/2 dc + ∫₁² (1 − c/2) dc = 0.25 + 0.25. */
  PmEvalPoint a[] = { { 0, 0 }, { 1, 1 } };
  PmEvalPoint b[] = { { 0, 0 }, { 2, 1 } };

  g_assert_cmpfloat_with_epsilon (pm_eval_area_between (a, 2, b, 2, 2.0), 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_area_between (b, 2, a, 2, 2.0), -0.5, EPS);
  /* Only up to c = 1: ∫₀¹ c/2 dc = 0.25. */
  g_assert_cmpfloat_with_epsilon (pm_eval_area_between (a, 2, b, 2, 1.0), 0.25, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_area_between (a, 2, a, 2, 2.0), 0.0, EPS);
}

static void
test_bootstrap (void)
{
  double a[] = { 1, 0, 1, 0, 1, 1, 0, 1 };
  double b[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
  double c[] = { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 };
  double mean, lo, hi, mean2, lo2, hi2;

  /* Mean difference 5/8; the interval brackets it and stays inside [0, 1]. */
  pm_eval_paired_bootstrap (a, b, 8, 2000, 7, &mean, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (mean, 0.625, EPS);
  g_assert_cmpfloat (lo, <, mean);
  g_assert_cmpfloat (hi, >, mean);
  g_assert_cmpfloat (lo, >=, 0.0);
  g_assert_cmpfloat (hi, <=, 1.0);

  /* Deterministic for one seed. */
  pm_eval_paired_bootstrap (a, b, 8, 2000, 7, &mean2, &lo2, &hi2);
  g_assert_cmpfloat (lo, ==, lo2);
  g_assert_cmpfloat (hi, ==, hi2);

  /* A constant difference has a degenerate interval: paired, not two independent samples. */
  pm_eval_paired_bootstrap (c, b, 8, 500, 1, &mean, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (mean, 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (lo, 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (hi, 0.5, EPS);
}

static void
test_auc (void)
{
  /* Positives 0.35, 0.8; negatives 0.1, 0.4: pairs won 0.35>0.1, 0.8>0.1, 0.8>0.4 = 3 of 4. */
  double s[] = { 0.1, 0.4, 0.35, 0.8 };
  gboolean y[] = { FALSE, FALSE, TRUE, TRUE };
  double tie[] = { 0.3, 0.3, 0.3, 0.3 };
  gboolean one_class[] = { TRUE, TRUE, TRUE, TRUE };

  g_assert_cmpfloat_with_epsilon (pm_eval_auc (s, y, 4), 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_auc (tie, y, 4), 0.5, EPS);
  g_assert_true (isnan (pm_eval_auc (s, one_class, 4)));
}

static void
test_csv (void)
{
  const char *text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\nthere\"\n\n2,,3";
  g_autoptr(GPtrArray) rows = pm_eval_parse_csv (text, strlen (text));
  char **r;

  g_assert_cmpuint (rows->len, ==, 3);
  r = g_ptr_array_index (rows, 1);
  g_assert_cmpuint (g_strv_length (r), ==, 3);
  g_assert_cmpstr (r[1], ==, "x, y");
  g_assert_cmpstr (r[2], ==, "say \"hi\"\nthere");
  r = g_ptr_array_index (rows, 2);
  g_assert_cmpuint (g_strv_length (r), ==, 3);
  g_assert_cmpstr (r[1], ==, "");
  g_assert_cmpstr (r[2], ==, "3");
}

static void
test_short_names (void)
{
  static const char *cases[][2] = {
    { "20251124_mini-v1.16.0_claude-opus-4-5-20251101", "claude-opus-4-5" },
    { "20251120_mini-v1.15.0_gpt-5.1-2025-11-13", "gpt-5.1" },
    { "20250720_mini-v0.0.0-Llama-4-Maverick-17B-Instruct", "llama-4-maverick-17b-instruct" },
    { "20251201_mini-v1.17.1_deepseek-v3.2-reasoner", "deepseek-v3.2-reasoner" },
    { "plain-model", "plain-model" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = pm_eval_short_model_name (cases[i][0]);

      g_assert_cmpstr (s, ==, cases[i][1]);
    }
}

static void
test_catalog_ids (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmCatalog) catalog = pm_catalog_new_default (&error);

  g_assert_no_error (error);
  /* SWE-bench names → the catalog ids the router asks the learned model about. */
  g_assert_cmpstr (pm_eval_catalog_id (catalog, "claude-opus-4-5"), ==, "claude-opus-4-5");
  g_assert_cmpstr (pm_eval_catalog_id (catalog, "sonnet-4-5"), ==, "claude-sonnet-4-5");
  g_assert_cmpstr (pm_eval_catalog_id (catalog, "kimi-k2-instruct"), ==, "kimi-k2");
  g_assert_null (pm_eval_catalog_id (catalog, "llama-4-maverick-17b-instruct"));
}

/* ---- loaders and baselines on the hand-made SWE-bench fixture ------------------------------- */

static PmEvalMatrix *
load_fixture_swebench (void)
{
  g_autofree char *res = pm_test_fixture_path ("eval/swebench-results.csv");
  g_autofree char *prob = pm_test_fixture_path ("eval/swebench-problems.jsonl");
  const char *exclude[] = { "claude-3-7-sonnet", NULL };
  g_autoptr(GError) error = NULL;
  PmEvalMatrix *m = pm_eval_load_swebench (prob, res, exclude, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static void
test_swebench_loader (void)
{
  g_autoptr(PmEvalMatrix) m = load_fixture_swebench ();
  int cheap, mid, strong;

  /* t5 only has the cheap model and claude-3-7 is excluded: 4 tasks × 3 models. */
  g_assert_cmpuint (m->n_tasks, ==, 4);
  g_assert_cmpuint (m->n_models, ==, 3);
  g_assert_cmpstr (m->task_ids[0], ==, "t1");
  g_assert_cmpstr (m->task_ids[3], ==, "t4");
  g_assert_true (g_str_has_prefix (m->task_texts[0], "acme/widgets\nWidget.render crashes"));
  g_assert_cmpstr (m->task_groups[2], ==, "1-4 hours");

  cheap = pm_eval_matrix_find_model (m, "cheap-model");
  mid = pm_eval_matrix_find_model (m, "mid-model");
  strong = pm_eval_matrix_find_model (m, "strong-model");
  g_assert_cmpint (cheap, >=, 0);
  g_assert_cmpint (mid, >=, 0);
  g_assert_cmpint (strong, >=, 0);
  g_assert_cmpint (pm_eval_matrix_find_model (m, "model"), ==, -1);   /* ambiguous */
  g_assert_cmpfloat_with_epsilon (PM_EVAL_AT (m, steps, 2, cheap), 60, EPS);

  /* cheap: 1/4 at (0.01+0.02+0.03+0.04)/4; mid 2/4 at 0.8/4; strong 3/4 at 2.2/4. */
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, cheap).quality, 0.25, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, cheap).cost, 0.025, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, mid).quality, 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, mid).cost, 0.2, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, strong).quality, 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, strong).cost, 0.55, EPS);
}

static void
test_oracle (void)
{
  g_autoptr(PmEvalMatrix) m = load_fixture_swebench ();
  double q[4], c[4];
  PmEvalPoint o = pm_eval_oracle (m, q, c);

  /* t1 cheap $0.01, t2 mid $0.20, t3 strong $0.40, t4 nobody: failed at the cheapest $0.04. */
  g_assert_cmpfloat_with_epsilon (o.quality, 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (o.cost, 0.1625, EPS);
  g_assert_cmpfloat_with_epsilon (c[1], 0.20, EPS);
  g_assert_cmpfloat_with_epsilon (q[3], 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (c[3], 0.04, EPS);
}

static void
test_cascades (void)
{
  g_autoptr(PmEvalMatrix) m = load_fixture_swebench ();
  guint cheap = pm_eval_matrix_find_model (m, "cheap-model");
  guint strong = pm_eval_matrix_find_model (m, "strong-model");
  PmEvalCascade by_steps = { cheap, strong, 30, 0 };
  PmEvalCascade by_spend = { cheap, strong, 0, 0.025 };
  PmEvalCascade never = { cheap, strong, 0, 0 };
  double expect_steps[4][2] = {
    { 1, 0.01 },                      /* 10 steps ≤ 30: cheap's own result */
    { 1, 0.02 * 30 / 40 + 0.60 },     /* stopped at 30 of 40 steps, then strong */
    { 1, 0.03 * 30 / 60 + 0.40 },
    { 0, 0.04 * 30 / 80 + 0.70 },
  };
  double expect_spend[4][2] = {
    { 1, 0.01 }, { 0, 0.02 },         /* both spent ≤ $0.025: kept, right or wrong */
    { 1, 0.025 + 0.40 }, { 0, 0.025 + 0.70 },
  };
  PmEvalPoint v;

  for (guint t = 0; t < 4; t++)
    {
      double q, c;

      pm_eval_cascade_task (m, t, &by_steps, &q, &c);
      g_assert_cmpfloat_with_epsilon (q, expect_steps[t][0], EPS);
      g_assert_cmpfloat_with_epsilon (c, expect_steps[t][1], EPS);
      pm_eval_cascade_task (m, t, &by_spend, &q, &c);
      g_assert_cmpfloat_with_epsilon (q, expect_spend[t][0], EPS);
      g_assert_cmpfloat_with_epsilon (c, expect_spend[t][1], EPS);
      pm_eval_cascade_task (m, t, &never, &q, &c);
      g_assert_cmpfloat_with_epsilon (c, PM_EVAL_AT (m, cost, t, cheap), EPS);
    }

  /* Perfect verifier: every cheap failure redone on strong.
   * q = (1 + 1 + 1 + 0)/4; c = (0.01 + 0.62 + 0.43 + 0.74)/4 = 0.45. */
  v = pm_eval_verifier_cascade (m, cheap, strong, 1.0, 0.0);
  g_assert_cmpfloat_with_epsilon (v.quality, 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (v.cost, 0.45, EPS);
  /* Coin-flip verifier (recall 0.5, false alarms 0.5):
   * q = (1 + 0.5 + 0.5 + 0)/4 = 0.5; c = (0.26 + 0.32 + 0.23 + 0.39)/4 = 0.3. */
  v = pm_eval_verifier_cascade (m, cheap, strong, 0.5, 0.5);
  g_assert_cmpfloat_with_epsilon (v.quality, 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (v.cost, 0.3, EPS);
}

static void
test_routerbench_loader (void)
{
  g_autofree char *path = pm_test_fixture_path ("eval/routerbench.csv");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmEvalMatrix) m = pm_eval_load_routerbench (path, &error);
  PmEvalPoint o;

  g_assert_no_error (error);
  /* The row with a missing cost is dropped. */
  g_assert_cmpuint (m->n_tasks, ==, 3);
  g_assert_cmpuint (m->n_models, ==, 2);
  g_assert_cmpstr (m->model_ids[0], ==, "small");
  g_assert_cmpstr (m->task_texts[1], ==, "Write a function that parses \"quoted\" text\nover two lines.");
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, 1).cost, 0.003, EPS);
  /* p1 small $0.0001, p2 big $0.004, p3 nobody (cheapest $0.0003). */
  o = pm_eval_oracle (m, NULL, NULL);
  g_assert_cmpfloat_with_epsilon (o.quality, 2.0 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (o.cost, 0.0044 / 3, EPS);
}

static void
test_livecodebench_loader (void)
{
  g_autofree char *path = pm_test_fixture_path ("eval/livecodebench.csv");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmEvalMatrix) m = pm_eval_load_livecodebench (path, &error);

  g_assert_no_error (error);
  /* q4 only has the Low run. */
  g_assert_cmpuint (m->n_tasks, ==, 3);
  g_assert_cmpuint (m->n_models, ==, 3);
  g_assert_cmpstr (m->task_groups[2], ==, "hard");
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, 1).quality, 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (pm_eval_single_model (m, 2).quality, 2.3 / 3, EPS);
  g_assert_true (isnan (PM_EVAL_AT (m, cost, 0, 0)));
}

static void
test_transcript_loader (void)
{
  g_autofree char *path = pm_test_fixture_path ("eval/transcript.jsonl");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) turns = pm_eval_load_transcript (path, &error);
  PmEvalTurn *a, *b, *c;

  g_assert_no_error (error);
  /* req_A twice (split response), req_B, req_C; the progress line and <synthetic> skipped. */
  g_assert_cmpuint (turns->len, ==, 3);
  a = g_ptr_array_index (turns, 0);
  b = g_ptr_array_index (turns, 1);
  c = g_ptr_array_index (turns, 2);
  g_assert_cmpstr (a->request_id, ==, "req_A");
  g_assert_cmpint (a->output_tokens, ==, 50);
  g_assert_cmpint (a->cache_read_tokens, ==, 1000);
  g_assert_cmpint (a->cache_write_1h_tokens, ==, 200);
  g_assert_cmpuint (a->n_tool_uses, ==, 1);
  g_assert_cmpuint (a->user_text_chars, ==, strlen ("Fix the bug please"));
  g_assert_false (a->after_tool_error);
  g_assert_true (b->after_tool_error);
  g_assert_cmpuint (b->user_text_chars, ==, 0);
  g_assert_cmpint (b->timestamp_us - a->timestamp_us, ==, 10 * G_USEC_PER_SEC);
  g_assert_true (c->sidechain);
  g_assert_cmpstr (c->model, ==, "claude-haiku-4-5");
  g_assert_cmpint (c->cache_write_5m_tokens, ==, 500);
}

/* ---- the quality model ---------------------------------------------------------------------- */

static void
synthetic_data (GPtrArray *texts,
                GArray    *labels)
{
  static const char *topics[] = { "parser", "cache", "socket", "render", "locale" };

  /* "alpha" tasks: model A succeeds, B fails; "beta" tasks the other way round. */
  for (guint i = 0; i < 40; i++)
    {
      gboolean alpha = i % 2 == 0;
      double y[2] = { alpha ? 1.0 : 0.0, alpha ? 0.0 : 1.0 };

      g_ptr_array_add (texts, g_strdup_printf ("%s issue in the %s module, case %u",
                                               alpha ? "alpha" : "beta", topics[i % 5], i));
      g_array_append_vals (labels, y, 2);
    }
}

static void
test_quality_model (void)
{
  const char *ids[] = { "model-a", "model-b", NULL };
  g_autoptr(PmQualityModel) qm = pm_quality_model_new (ids, 10);
  g_autoptr(PmQualityModel) loaded = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "weights.bin", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.bin", NULL);
  g_autoptr(GBytes) bytes = NULL;
  PmQualityTrainParams params = PM_QUALITY_TRAIN_PARAMS_INIT;
  double before[2], after[2];

  /* Untrained: a coin. */
  g_assert_cmpfloat_with_epsilon (pm_quality_model_predict (qm, "anything", "model-a"), 0.5, EPS);
  g_assert_cmpfloat (pm_quality_model_predict (qm, "anything", "model-z"), ==, -1.0);

  synthetic_data (texts, labels);
  params.l2 = 1e-4;
  g_assert_true (pm_quality_model_train (qm, (const char * const *) texts->pdata, texts->len,
                                         (double *) labels->data, &params, &error));
  g_assert_no_error (error);

  /* Unseen texts with the telling word. */
  g_assert_cmpfloat (pm_quality_model_predict (qm, "alpha issue in the network code", "model-a"), >, 0.75);
  g_assert_cmpfloat (pm_quality_model_predict (qm, "alpha issue in the network code", "model-b"), <, 0.25);
  g_assert_cmpfloat (pm_quality_model_predict (qm, "beta issue in the network code", "model-b"), >, 0.75);

  /* Save (creating the directory) and load: the same predictions. */
  g_assert_true (pm_quality_model_save (qm, path, &error));
  g_assert_no_error (error);
  loaded = pm_quality_model_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm_quality_model_get_n_models (loaded), ==, 2);
  g_assert_cmpstr (pm_quality_model_get_model_id (loaded, 1), ==, "model-b");
  g_assert_cmpuint (pm_quality_model_get_hash_bits (loaded), ==, 10);
  pm_quality_model_predict_all (qm, "beta trouble with the locale", before);
  pm_quality_model_predict_all (loaded, "beta trouble with the locale", after);
  g_assert_cmpfloat_with_epsilon (before[0], after[0], 1e-6);
  g_assert_cmpfloat_with_epsilon (before[1], after[1], 1e-6);

  /* A truncated file is refused, not half-read. */
  bytes = pm_quality_model_to_bytes (qm);
  g_assert_true (g_file_set_contents (bad, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes) - 4, NULL));
  g_assert_null (pm_quality_model_new_from_file (bad, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
}

static void
test_quality_cv (void)
{
  const char *ids[] = { "model-a", "model-b", NULL };
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree double *oof = g_new (double, 80);
  g_autofree double *scores = g_new (double, 40);
  g_autofree gboolean *y = g_new (gboolean, 40);
  g_autoptr(GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) val = g_array_new (FALSE, FALSE, sizeof (float));
  guint fold_of[40], count[4] = { 0 };
  double loss, norm = 0;
  const double grid[] = { 1e-4, 10.0 };

  synthetic_data (texts, labels);

  /* Balanced folds. */
  pm_quality_model_fold_assignment (40, 4, 3, fold_of);
  for (guint i = 0; i < 40; i++)
    count[fold_of[i]]++;
  for (guint f = 0; f < 4; f++)
    g_assert_cmpuint (count[f], ==, 10);

  /* Out-of-fold predictions separate the classes: AUC 1 for model A. */
  loss = pm_quality_model_cross_validate (ids, 10, (const char * const *) texts->pdata, 40,
                                          (double *) labels->data, NULL, 4, 3, oof);
  g_assert_cmpfloat (loss, <, log (2.0));
  for (guint t = 0; t < 40; t++)
    {
      scores[t] = oof[t * 2];
      y[t] = g_array_index (labels, double, t * 2) > 0.5;
    }
  g_assert_cmpfloat_with_epsilon (pm_eval_auc (scores, y, 40), 1.0, EPS);

  /* Heavy L2 flattens everything to the base rate: the light one wins. */
  g_assert_cmpfloat (pm_quality_model_tune_l2 (ids, 10, (const char * const *) texts->pdata, 40,
                                               (double *) labels->data, grid, 2, 4, 3), ==, 1e-4);

  /* Features: n-gram part unit-norm, structure features at the top of the index range. */
  pm_quality_model_featurize (10, "alpha beta alpha", idx, val);
  g_assert_cmpuint (idx->len, >, PM_QUALITY_MODEL_N_STRUCT);
  for (guint k = 0; k < idx->len - PM_QUALITY_MODEL_N_STRUCT; k++)
    {
      g_assert_cmpuint (g_array_index (idx, guint, k), <, 1u << 10);
      norm += g_array_index (val, float, k) * g_array_index (val, float, k);
    }
  g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
  g_assert_cmpuint (g_array_index (idx, guint, idx->len - 1), ==,
                    (1u << 10) + PM_QUALITY_MODEL_N_STRUCT - 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/eval/hull", test_hull);
  g_test_add_func ("/pm/eval/area", test_area);
  g_test_add_func ("/pm/eval/bootstrap", test_bootstrap);
  g_test_add_func ("/pm/eval/auc", test_auc);
  g_test_add_func ("/pm/eval/csv", test_csv);
  g_test_add_func ("/pm/eval/short-names", test_short_names);
  g_test_add_func ("/pm/eval/catalog-ids", test_catalog_ids);
  g_test_add_func ("/pm/eval/swebench-loader", test_swebench_loader);
  g_test_add_func ("/pm/eval/oracle", test_oracle);
  g_test_add_func ("/pm/eval/cascades", test_cascades);
  g_test_add_func ("/pm/eval/routerbench-loader", test_routerbench_loader);
  g_test_add_func ("/pm/eval/livecodebench-loader", test_livecodebench_loader);
  g_test_add_func ("/pm/eval/transcript-loader", test_transcript_loader);
  g_test_add_func ("/pm/eval/quality-model", test_quality_model);
  g_test_add_func ("/pm/eval/quality-cv", test_quality_cv);

  return g_test_run ();
}
