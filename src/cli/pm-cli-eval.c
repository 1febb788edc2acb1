/* pm-cli-eval.c — `pointsman-cli eval`: routing quality on public data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-cli-eval"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pm-cli.h"
#include "pm-eval.h"
#include "pm-catalog.h"
#include "pm-objective.h"
#include "pm-quality-model.h"
#include "pm-request.h"
#include "pm-router.h"

static int eval_livecodebench (int argc, char **argv);
static int eval_routerbench   (int argc, char **argv);
static int eval_transcripts   (int argc, char **argv);

/* ---- shared helpers -------------------------------------------------------------------------- */

/* The trade-off sweep: the objective's own mapping from the slider (0..1) to λ. */
static GArray *
pm_cli_eval_lambdas (guint n_steps)
{
  g_autoptr(PmObjective) objective = pm_objective_new ();
  GArray *out = g_array_new (FALSE, FALSE, sizeof (double) * 2);

  for (guint i = 0; i <= n_steps; i++)
    {
      double pair[2];

      pair[0] = (double) i / n_steps;
      pm_objective_set_tradeoff (objective, pair[0]);
      pair[1] = pm_objective_get_lambda (objective);
      g_array_append_vals (out, pair, 1);
    }

  return out;
}

static void
pm_cli_eval_add_point (JsonBuilder *b,
                       const char  *name,
                       double       cost,
                       double       quality)
{
  json_builder_begin_object (b);
  if (name)
    {
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
    }
  json_builder_set_member_name (b, "cost");
  json_builder_add_double_value (b, cost);
  json_builder_set_member_name (b, "quality");
  json_builder_add_double_value (b, quality);
  json_builder_end_object (b);
}

static void
pm_cli_eval_print_json (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = NULL;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

/* Per-task quality of the hull's random mix at @cost (vertex 0 is "do nothing"). */
static void
pm_cli_eval_hull_mix_per_task (const PmEvalMatrix *m,
                               const PmEvalPoint  *hull,
                               const int          *hull_model,
                               guint               n_hull,
                               double              cost,
                               double             *out)
{
  guint seg = n_hull - 1;
  double p = 1.0;

  for (guint i = 1; i < n_hull; i++)
    {
      if (cost <= hull[i].cost)
        {
          seg = i;
          p = (cost - hull[i - 1].cost) / (hull[i].cost - hull[i - 1].cost);
          break;
        }
    }
  p = CLAMP (p, 0.0, 1.0);
  for (guint t = 0; t < m->n_tasks; t++)
    {
      double qa = hull_model[seg - 1] >= 0 ? PM_EVAL_AT (m, quality, t, hull_model[seg - 1]) : 0.0;
      double qb = hull_model[seg] >= 0 ? PM_EVAL_AT (m, quality, t, hull_model[seg]) : 0.0;

      out[t] = (1 - p) * qa + p * qb;
    }
}

/* Which model each hull vertex is (-1 for "do nothing"). */
static int *
pm_cli_eval_hull_models (const PmEvalPoint *singles,
                         guint              n_models,
                         const PmEvalPoint *hull,
                         guint              n_hull)
{
  int *out = g_new (int, n_hull);

  for (guint i = 0; i < n_hull; i++)
    {
      out[i] = -1;
      for (guint j = 0; j < n_models; j++)
        if (singles[j].cost == hull[i].cost && singles[j].quality == hull[i].quality)
          out[i] = (int) j;
    }
  return out;
}

/* Utility choice used by the text-only policies: argmax Q − λ·C (first best wins). */
static guint
pm_cli_eval_pick (const double *q,
                  const double *c,
                  guint         n,
                  double        lambda)
{
  guint best = 0;
  double best_u = -INFINITY;

  for (guint j = 0; j < n; j++)
    {
      double u = q[j] - lambda * c[j];

      if (u > best_u + 1e-12)
        {
          best_u = u;
          best = j;
        }
    }
  return best;
}

/* ---- the router itself on SWE-bench: pm_router_decide () on the first user message ---------- */

typedef struct
{
  PmCatalog  *catalog;
  const char **pool;         /* catalog ids, NULL-terminated */
  int        *column_of;     /* per pool entry: matrix column */
  guint       n_pool;
  const char *strongest;
} RouterSetup;

static void
router_setup_init (RouterSetup        *rs,
                   PmCatalog          *catalog,
                   const PmEvalMatrix *m)
{
  double best = -1;

  rs->catalog = catalog;
  rs->pool = g_new0 (const char *, m->n_models + 1);
  rs->column_of = g_new0 (int, m->n_models + 1);
  rs->n_pool = 0;
  for (guint j = 0; j < m->n_models; j++)
    {
      const char *id = pm_eval_catalog_id (catalog, m->model_ids[j]);
      gboolean dup = FALSE;

      if (id == NULL)
        continue;
      for (guint k = 0; k < rs->n_pool; k++)
        dup |= g_str_equal (rs->pool[k], id);
      if (dup)
        continue;
      rs->pool[rs->n_pool] = id;
      rs->column_of[rs->n_pool] = (int) j;
      rs->n_pool++;
      if (pm_eval_single_model (m, j).quality > best)
        {
          best = pm_eval_single_model (m, j).quality;
          rs->strongest = id;
        }
    }
}

static void
router_setup_clear (RouterSetup *rs)
{
  g_clear_pointer (&rs->pool, g_free);
  g_clear_pointer (&rs->column_of, g_free);
}

static PmRequest *
first_message_request (const char  *session_id,
                       const char  *text,
                       GError     **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GHashTable) headers = g_hash_table_new (g_str_hash, g_str_equal);

  /* What a coding agent sends first: the task as the user's message, tools available. */
  g_hash_table_insert (headers, (gpointer) "x-claude-code-session-id", (gpointer) session_id);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, "pointsman/auto");
  json_builder_set_member_name (b, "max_tokens");
  json_builder_add_int_value (b, 32000);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "user");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, text ? text : "");
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);

  return pm_request_new (PM_API_ANTHROPIC, headers, body, error);
}

/* Runs the real router on each test task's first message at every trade-off; @weights is the
 * learned model trained on the training part (NULL: the router's published priors alone). */
static gboolean
router_decide_fold (const RouterSetup  *rs,
                    const PmEvalMatrix *test,
                    const guint        *test_rows,
                    GArray             *lambdas,
                    const char         *weights,
                    double             *out_q,
                    double             *out_c,
                    guint               n_result,
                    GHashTable         *chosen,      /* "tradeoff\tmodel" → count */
                    GError            **error)
{
  g_autoptr(PmObjective) objective = pm_objective_new ();
  g_autoptr(PmRouter) router = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("PM_QUALITY_MODEL"));

  pm_objective_set_quality_floor (objective, 0.0);
  pm_objective_set_pin_policy (objective, PM_PIN_ROUTE_ALL);
  /* The router loads its learned model when it is created. */
  g_setenv ("PM_QUALITY_MODEL", weights ? weights : "/nonexistent/pointsman-eval-no-model", TRUE);
  router = pm_router_new (rs->catalog, objective, rs->pool, rs->strongest);
  if (saved)
    g_setenv ("PM_QUALITY_MODEL", saved, TRUE);
  else
    g_unsetenv ("PM_QUALITY_MODEL");

  for (guint li = 0; li < lambdas->len; li++)
    {
      pm_objective_set_tradeoff (objective, ((const double *) lambdas->data)[2 * li]);
      for (guint t = 0; t < test->n_tasks; t++)
        {
          g_autofree char *sid = g_strdup_printf ("eval-%s-%u", test->task_ids[t], li);
          g_autoptr(PmRequest) req = first_message_request (sid, test->task_texts[t], error);
          g_autoptr(PmDecision) d = NULL;
          gsize row = (gsize) li * n_result + test_rows[t];
          int col = -1;

          if (req == NULL)
            return FALSE;
          d = pm_router_decide (router, req, g_get_real_time (), error);
          if (d == NULL)
            return FALSE;
          for (guint k = 0; k < rs->n_pool; k++)
            if (g_str_equal (rs->pool[k], d->model))
              col = rs->column_of[k];
          if (col < 0)
            {
              g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "The router chose %s, outside the pool",
                           d->model);
              return FALSE;
            }
          out_q[row] = PM_EVAL_AT (test, quality, t, col);
          out_c[row] = PM_EVAL_AT (test, cost, t, col);
          if (chosen)
            {
              char *key = g_strdup_printf ("%u\t%s", li, d->model);
              guint count = GPOINTER_TO_UINT (g_hash_table_lookup (chosen, key)) + 1;

              g_hash_table_replace (chosen, key, GUINT_TO_POINTER (count));
            }
        }
      pm_router_reset (router);
    }

  return TRUE;
}

/* ---- swebench -------------------------------------------------------------------------------- */

/* The cascade grid: k = 0 is "first alone"; then step limits, then spend limits (USD). */
typedef struct
{
  double steps;
  double spend;
} Trigger;

static const Trigger trigger_grid[] = {
  { 0, 0 },
  { 10, 0 }, { 15, 0 }, { 20, 0 }, { 25, 0 }, { 30, 0 }, { 40, 0 }, { 50, 0 }, { 60, 0 },
  { 80, 0 }, { 100, 0 }, { 150, 0 },
  { 0, 0.005 }, { 0, 0.01 }, { 0, 0.015 }, { 0, 0.02 }, { 0, 0.025 }, { 0, 0.03 }, { 0, 0.04 },
  { 0, 0.05 }, { 0, 0.075 }, { 0, 0.1 }, { 0, 0.15 }, { 0, 0.2 }, { 0, 0.3 },
};

/* Train-fold statistics of every cascade (first, second, trigger). */
static void
cascade_stats (const PmEvalMatrix *train,
               double             *mq,
               double             *mc)
{
  guint nm = train->n_models;
  guint nk = G_N_ELEMENTS (trigger_grid);
  g_autofree PmEvalPoint *single = g_new (PmEvalPoint, nm);

  for (guint j = 0; j < nm; j++)
    single[j] = pm_eval_single_model (train, j);

  for (guint f = 0; f < nm; f++)
    for (guint s = 0; s < nm; s++)
      for (guint k = 0; k < nk; k++)
        {
          PmEvalCascade cas = { f, s, trigger_grid[k].steps, trigger_grid[k].spend };
          gsize idx = ((gsize) f * nm + s) * nk + k;
          double q = 0, c = 0;

          /* Escalation only goes up: to a model both stronger and dearer on the training set. */
          if ((k == 0 && s != 0) ||
              (k > 0 && (single[s].quality <= single[f].quality || single[s].cost <= single[f].cost)))
            {
              mq[idx] = NAN;
              continue;
            }
          for (guint t = 0; t < train->n_tasks; t++)
            {
              double tq, tc;

              pm_eval_cascade_task (train, t, &cas, &tq, &tc);
              q += tq;
              c += tc;
            }
          mq[idx] = q / train->n_tasks;
          mc[idx] = c / train->n_tasks;
        }
}

static void
best_cascade (const double  *mq,
              const double  *mc,
              guint          nm,
              double         lambda,
              PmEvalCascade *out)
{
  guint nk = G_N_ELEMENTS (trigger_grid);
  double best_u = -INFINITY;

  for (guint f = 0; f < nm; f++)
    for (guint s = 0; s < nm; s++)
      for (guint k = 0; k < nk; k++)
        {
          gsize idx = ((gsize) f * nm + s) * nk + k;
          double u;

          if (isnan (mq[idx]))
            continue;
          u = mq[idx] - lambda * mc[idx];
          if (u > best_u + 1e-12)
            {
              best_u = u;
              out->first = f;
              out->second = s;
              out->max_steps = trigger_grid[k].steps;
              out->max_spend = trigger_grid[k].spend;
            }
        }
}

typedef struct
{
  gboolean  json;
  guint     folds;
  guint     seed;
  guint     boot;
  guint     steps;
  double    l2;
  guint     bits;
  char     *verifier_first;
  char     *verifier_second;
  gboolean  escalation;     /* swebench: the router-with-escalation curve */
} EvalOptions;

static const double l2_grid[] = { 1e-3, 1e-2, 1e-1 };

static double *
labels_of (const PmEvalMatrix *m)
{
  double *labels = g_new (double, (gsize) m->n_tasks * m->n_models);

  for (gsize i = 0; i < (gsize) m->n_tasks * m->n_models; i++)
    labels[i] = m->quality[i] >= 0.5 ? 1.0 : 0.0;
  return labels;
}

enum
{
  CURVE_ROUTER,
  CURVE_ROUTER_ESCALATION,
  CURVE_ROUTER_PRIORS,
  CURVE_CASCADES,
  CURVE_TEXT,
  N_CURVES
};

typedef struct
{
  const char *key;
  const char *title;
  double     *q;            /* n_lambda × n_result */
  double     *c;
  GPtrArray  *policies;     /* per λ: char* or NULL */
  GHashTable *chosen;       /* router curves: "λ-index\tmodel" → tasks */
  gboolean    filled;
} Curve;

/* The same session after the agent's commands kept failing: the task, then @n_errors tool calls
 * whose results are errors. This is how the eval tells the router "this run is in trouble". */
static PmRequest *
trouble_request (const char  *session_id,
                 const char  *text,
                 guint        n_errors,
                 GError     **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GHashTable) headers = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (headers, (gpointer) "x-claude-code-session-id", (gpointer) session_id);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, "pointsman/auto");
  json_builder_set_member_name (b, "max_tokens");
  json_builder_add_int_value (b, 32000);
  json_builder_set_member_name (b, "tools");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "bash");
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, "Run a shell command");
  json_builder_set_member_name (b, "input_schema");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "object");
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "user");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, text ? text : "");
  json_builder_end_object (b);
  for (guint i = 0; i < n_errors; i++)
    {
      g_autofree char *id = g_strdup_printf ("toolu_eval_%u", i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, "assistant");
      json_builder_set_member_name (b, "content");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "tool_use");
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, "bash");
      json_builder_set_member_name (b, "input");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "command");
      json_builder_add_string_value (b, i % 2 ? "python -m pytest -x" : "python reproduce.py");
      json_builder_end_object (b);
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, "user");
      json_builder_set_member_name (b, "content");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "tool_result");
      json_builder_set_member_name (b, "tool_use_id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "is_error");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, "Traceback (most recent call last):\n  ...\nAssertionError: still failing");
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);

  return pm_request_new (PM_API_ANTHROPIC, headers, body, error);
}

static int
pool_column (const RouterSetup *rs,
             const char        *model)
{
  for (guint k = 0; k < rs->n_pool; k++)
    if (g_str_equal (rs->pool[k], model))
      return rs->column_of[k];
  return -1;
}

/* For every task of @m and every trade-off: the router's first choice and the model it moves
 * to once the session shows trouble (columns of @m; n_lambda × n_tasks each). */
static gboolean
router_first_and_escalation (const RouterSetup  *rs,
                             const PmEvalMatrix *m,
                             GArray             *lambdas,
                             const char         *weights,
                             const char         *tag,
                             int                *first,
                             int                *escalate,
                             GError            **error)
{
  g_autoptr(PmObjective) objective = pm_objective_new ();
  g_autoptr(PmRouter) router = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("PM_QUALITY_MODEL"));

  pm_objective_set_quality_floor (objective, 0.0);
  pm_objective_set_pin_policy (objective, PM_PIN_ROUTE_ALL);
  g_setenv ("PM_QUALITY_MODEL", weights ? weights : "/nonexistent/pointsman-eval-no-model", TRUE);
  router = pm_router_new (rs->catalog, objective, rs->pool, rs->strongest);
  if (saved)
    g_setenv ("PM_QUALITY_MODEL", saved, TRUE);
  else
    g_unsetenv ("PM_QUALITY_MODEL");

  for (guint li = 0; li < lambdas->len; li++)
    {
      pm_objective_set_tradeoff (objective, ((const double *) lambdas->data)[2 * li]);
      for (guint t = 0; t < m->n_tasks; t++)
        {
          g_autofree char *sid = g_strdup_printf ("eval-esc-%s-%s-%u", tag, m->task_ids[t], li);
          g_autofree char *sid2 = g_strdup_printf ("eval-esc-trouble-%s-%s-%u", tag, m->task_ids[t], li);
          g_autoptr(PmRequest) r1 = first_message_request (sid, m->task_texts[t], error);
          g_autoptr(PmRequest) r2 = NULL;
          g_autoptr(PmDecision) d1 = NULL;
          g_autoptr(PmDecision) d2 = NULL;
          gint64 now = g_get_real_time ();
          gsize cell = (gsize) li * m->n_tasks + t;

          /* The troubled request goes in a session of its own: in the same session the router
           * would record the first model's failure in its outcome memory, and that memory would
           * carry over to the next tasks. The history in the request alone carries the trouble. */
          if (r1 == NULL || (d1 = pm_router_decide (router, r1, now, error)) == NULL)
            return FALSE;
          if ((r2 = trouble_request (sid2, m->task_texts[t], 2, error)) == NULL ||
              (d2 = pm_router_decide (router, r2, now, error)) == NULL)
            return FALSE;
          first[cell] = pool_column (rs, d1->model);
          escalate[cell] = pool_column (rs, d2->model);
          if (first[cell] < 0 || escalate[cell] < 0)
            {
              g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "The router chose a model outside the pool");
              return FALSE;
            }
        }
      pm_router_reset (router);
    }

  return TRUE;
}

static const double escalation_steps[] = { 10, 20, 30, 40, 50, 60, 80, 100, 150, 0 };

static void
escalation_outcome (const PmEvalMatrix *m,
                    guint               t,
                    int                 first,
                    int                 escalate,
                    double              k,
                    double             *q,
                    double             *c)
{
  PmEvalCascade cas = { (guint) first, (guint) escalate, k, 0 };

  pm_eval_cascade_task (m, t, &cas, q, c);
}

/* The router decides the first model and where to escalate; the eval says when the run is in
 * trouble (past k steps), with k chosen per trade-off on the training part. */
static gboolean
router_escalation_fold (const RouterSetup  *rs,
                        const PmEvalMatrix *train,
                        const PmEvalMatrix *test,
                        const guint        *test_rows,
                        GArray             *lambdas,
                        const char         *weights,
                        Curve              *curve,
                        guint               n_result,
                        GError            **error)
{
  gsize ntr = (gsize) lambdas->len * train->n_tasks;
  gsize nte = (gsize) lambdas->len * test->n_tasks;
  g_autofree int *tr_first = g_new (int, MAX (ntr, 1));
  g_autofree int *tr_esc = g_new (int, MAX (ntr, 1));
  g_autofree int *te_first = g_new (int, MAX (nte, 1));
  g_autofree int *te_esc = g_new (int, MAX (nte, 1));

  if (!router_first_and_escalation (rs, train, lambdas, weights, "train", tr_first, tr_esc, error) ||
      !router_first_and_escalation (rs, test, lambdas, weights, "test", te_first, te_esc, error))
    return FALSE;

  for (guint li = 0; li < lambdas->len; li++)
    {
      double lambda = ((const double *) lambdas->data)[2 * li + 1];
      double best_u = -INFINITY, best_k = 0;

      for (guint ki = 0; ki < G_N_ELEMENTS (escalation_steps); ki++)
        {
          double sq = 0, sc = 0, u;

          for (guint t = 0; t < train->n_tasks; t++)
            {
              gsize cell = (gsize) li * train->n_tasks + t;
              double q, c;

              escalation_outcome (train, t, tr_first[cell], tr_esc[cell], escalation_steps[ki], &q, &c);
              sq += q;
              sc += c;
            }
          u = (sq - lambda * sc) / train->n_tasks;
          if (u > best_u + 1e-12)
            {
              best_u = u;
              best_k = escalation_steps[ki];
            }
        }
      for (guint t = 0; t < test->n_tasks; t++)
        {
          gsize cell = (gsize) li * test->n_tasks + t;
          gsize row = (gsize) li * n_result + test_rows[t];
          char *key;

          escalation_outcome (test, t, te_first[cell], te_esc[cell], best_k, &curve->q[row], &curve->c[row]);
          key = g_strdup_printf ("%u\t%s → %s%s", li, test->model_ids[te_first[cell]],
                                 test->model_ids[te_esc[cell]],
                                 best_k > 0 && te_esc[cell] != te_first[cell] ? "" : " (never)");
          g_hash_table_replace (curve->chosen, key,
                                GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (curve->chosen, key)) + 1));
        }
      if (g_ptr_array_index (curve->policies, li) == NULL)
        g_ptr_array_index (curve->policies, li) = best_k > 0 ? g_strdup_printf ("k=%g", best_k) : g_strdup ("k=∞");
    }

  return TRUE;
}

/* One train/test split: fills the test rows of every curve. */
static gboolean
swe_fold (const PmEvalMatrix *train,
          const PmEvalMatrix *test,
          const guint        *test_rows,   /* row in the result arrays of each test task */
          GArray             *lambdas,
          const EvalOptions  *opt,
          const RouterSetup  *rs,          /* NULL: no catalog, skip the router curves */
          Curve              *curves,
          double             *pred,        /* n_result × n_models */
          guint               n_result,
          double             *l2_used,
          GError            **error)
{
  g_autoptr(PmQualityModel) qm = NULL;
  g_autofree double *labels = labels_of (train);
  g_autofree double *est_cost = g_new0 (double, train->n_models);
  g_autofree double *mq = NULL;
  g_autofree double *mc = NULL;
  g_autofree double *q = g_new (double, train->n_models);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  PmQualityTrainParams params = PM_QUALITY_TRAIN_PARAMS_INIT;
  gsize n_cas = (gsize) train->n_models * train->n_models * G_N_ELEMENTS (trigger_grid);
  gboolean have_text = train->task_texts[0] != NULL && test->task_texts[0] != NULL;

  for (guint j = 0; j < train->n_models; j++)
    est_cost[j] = pm_eval_single_model (train, j).cost;

  /* The learned model names its columns as the router knows them: catalog ids where the
   * catalog has the model. */
  for (guint j = 0; j < train->n_models; j++)
    {
      const char *id = train->model_ids[j];

      for (guint k = 0; rs != NULL && k < rs->n_pool; k++)
        if (rs->column_of[k] == (int) j)
          id = rs->pool[k];
      g_ptr_array_add (ids, (gpointer) id);
    }
  g_ptr_array_add (ids, NULL);

  if (have_text)
    {
      params.l2 = opt->l2 > 0 ? opt->l2
                              : pm_quality_model_tune_l2 ((const char * const *) ids->pdata,
                                                          opt->bits,
                                                          (const char * const *) train->task_texts,
                                                          train->n_tasks, labels, l2_grid,
                                                          G_N_ELEMENTS (l2_grid), 3, opt->seed + 1);
      *l2_used = params.l2;
      qm = pm_quality_model_new ((const char * const *) ids->pdata, opt->bits);
      if (!pm_quality_model_train (qm, (const char * const *) train->task_texts, train->n_tasks,
                                   labels, &params, error))
        return FALSE;
    }

  /* Cascades on observable signals, chosen per λ on the training part. */
  mq = g_new (double, n_cas);
  mc = g_new (double, n_cas);
  cascade_stats (train, mq, mc);
  for (guint li = 0; li < lambdas->len; li++)
    {
      const double *pair = (const double *) lambdas->data + 2 * li;
      PmEvalCascade ch = { 0, 0, 0, 0 };
      GPtrArray *policies = curves[CURVE_CASCADES].policies;

      best_cascade (mq, mc, train->n_models, pair[1], &ch);
      if (g_ptr_array_index (policies, li) == NULL)
        {
          if (ch.max_spend > 0)
            g_ptr_array_index (policies, li) =
              g_strdup_printf ("%s, past $%g spent → %s", train->model_ids[ch.first], ch.max_spend,
                               train->model_ids[ch.second]);
          else if (ch.max_steps > 0)
            g_ptr_array_index (policies, li) =
              g_strdup_printf ("%s, past %g steps → %s", train->model_ids[ch.first], ch.max_steps,
                               train->model_ids[ch.second]);
          else
            g_ptr_array_index (policies, li) = g_strdup (train->model_ids[ch.first]);
        }

      for (guint t = 0; t < test->n_tasks; t++)
        {
          PmEvalCascade cas = ch;
          gsize row = (gsize) li * n_result + test_rows[t];

          pm_eval_cascade_task (test, t, &cas, &curves[CURVE_CASCADES].q[row],
                                &curves[CURVE_CASCADES].c[row]);
        }
    }
  curves[CURVE_CASCADES].filled = TRUE;

  /* Text only: argmax Q̂ − λ·mean cost. */
  for (guint t = 0; t < test->n_tasks; t++)
    {
      if (have_text)
        pm_quality_model_predict_all (qm, test->task_texts[t], q);
      else
        for (guint j = 0; j < train->n_models; j++)
          q[j] = pm_eval_single_model (train, j).quality;
      for (guint j = 0; j < train->n_models; j++)
        pred[(gsize) test_rows[t] * train->n_models + j] = q[j];
      for (guint li = 0; li < lambdas->len; li++)
        {
          const double *pair = (const double *) lambdas->data + 2 * li;
          guint j = pm_cli_eval_pick (q, est_cost, train->n_models, pair[1]);
          gsize row = (gsize) li * n_result + test_rows[t];

          curves[CURVE_TEXT].q[row] = PM_EVAL_AT (test, quality, t, j);
          curves[CURVE_TEXT].c[row] = PM_EVAL_AT (test, cost, t, j);
        }
    }
  curves[CURVE_TEXT].filled = TRUE;

  /* The router itself, with the learned model of this training part and with its priors alone. */
  if (rs != NULL && rs->n_pool > 0 && have_text)
    {
      g_autofree char *dir = g_dir_make_tmp ("pointsman-eval-XXXXXX", error);
      g_autofree char *weights = NULL;
      gboolean ok;

      if (dir == NULL)
        return FALSE;
      weights = g_build_filename (dir, "quality-model.bin", NULL);
      ok = pm_quality_model_save (qm, weights, error) &&
           router_decide_fold (rs, test, test_rows, lambdas, weights, curves[CURVE_ROUTER].q,
                               curves[CURVE_ROUTER].c, n_result, curves[CURVE_ROUTER].chosen, error) &&
           router_decide_fold (rs, test, test_rows, lambdas, NULL, curves[CURVE_ROUTER_PRIORS].q,
                               curves[CURVE_ROUTER_PRIORS].c, n_result,
                               curves[CURVE_ROUTER_PRIORS].chosen, error);
      g_unlink (weights);
      g_rmdir (dir);
      if (!ok)
        return FALSE;
      curves[CURVE_ROUTER].filled = TRUE;
      curves[CURVE_ROUTER_PRIORS].filled = TRUE;
      if (opt->escalation)
        {
          /* Weights again: the file was removed above. */
          g_autofree char *dir2 = g_dir_make_tmp ("pointsman-eval-XXXXXX", error);
          g_autofree char *weights2 = NULL;

          if (dir2 == NULL)
            return FALSE;
          weights2 = g_build_filename (dir2, "quality-model.bin", NULL);
          ok = pm_quality_model_save (qm, weights2, error) &&
               router_escalation_fold (rs, train, test, test_rows, lambdas, weights2,
                                       &curves[CURVE_ROUTER_ESCALATION], n_result, error);
          g_unlink (weights2);
          g_rmdir (dir2);
          if (!ok)
            return FALSE;
          curves[CURVE_ROUTER_ESCALATION].filled = TRUE;
        }
    }

  return TRUE;
}

/* "claude-opus-4-5 80 %, gemini-3-pro 20 %" for each λ from the decision counts. */
static void
describe_choices (Curve *curve,
                  guint  n_lambda,
                  guint  n_tasks)
{
  for (guint li = 0; li < n_lambda; li++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      g_autoptr(GPtrArray) models = g_ptr_array_new ();
      g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autofree char *prefix = g_strdup_printf ("%u\t", li);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, curve->chosen);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (g_str_has_prefix (key, prefix))
          {
            guint n = GPOINTER_TO_UINT (value);
            guint pos = 0;

            while (pos < counts->len && g_array_index (counts, guint, pos) >= n)
              pos++;
            g_ptr_array_insert (models, pos, (char *) key + strlen (prefix));
            g_array_insert_val (counts, pos, n);
          }
      for (guint k = 0; k < MIN (models->len, 3); k++)
        g_string_append_printf (s, "%s%s %.0f%%", k ? ", " : "", (char *) g_ptr_array_index (models, k),
                                100.0 * g_array_index (counts, guint, k) / n_tasks);
      g_free (g_ptr_array_index (curve->policies, li));
      g_ptr_array_index (curve->policies, li) = g_string_free (g_steal_pointer (&s), FALSE);
    }
}

static gboolean
same_models (const PmEvalMatrix *a,
             const PmEvalMatrix *b)
{
  if (a->n_models != b->n_models)
    return FALSE;
  for (guint j = 0; j < a->n_models; j++)
    if (!g_str_equal (a->model_ids[j], b->model_ids[j]))
      return FALSE;
  return TRUE;
}

typedef struct
{
  double tradeoff, lambda, cost, quality, hull_q, delta, lo, hi;
  const char *policy;
} RouterPoint;

/* Points of a policy curve (one per λ, consecutive duplicates merged), with paired bootstrap
 * against the single-model hull mix at the same cost. */
static GArray *
curve_points (const PmEvalMatrix *test,
              GArray             *lambdas,
              const double       *pq,
              const double       *pc,
              GPtrArray          *policies,
              const PmEvalPoint  *hull,
              const int          *hull_model,
              guint               n_hull,
              const EvalOptions   *opt)
{
  GArray *pts = g_array_new (FALSE, FALSE, sizeof (RouterPoint));
  g_autofree double *mix = g_new (double, test->n_tasks);
  guint n = test->n_tasks;

  for (guint li = 0; li < lambdas->len; li++)
    {
      const double *pair = (const double *) lambdas->data + 2 * li;
      RouterPoint p = { pair[0], pair[1], 0, 0, 0, 0, 0, 0, NULL };

      for (guint t = 0; t < n; t++)
        {
          p.quality += pq[(gsize) li * n + t];
          p.cost += pc[(gsize) li * n + t];
        }
      p.quality /= n;
      p.cost /= n;
      if (pts->len > 0)
        {
          RouterPoint *last = &g_array_index (pts, RouterPoint, pts->len - 1);

          if (fabs (last->quality - p.quality) < 1e-12 && fabs (last->cost - p.cost) < 1e-12)
            continue;
        }
      p.policy = policies ? g_ptr_array_index (policies, li) : NULL;
      p.hull_q = pm_eval_frontier_at (hull, n_hull, p.cost);
      pm_cli_eval_hull_mix_per_task (test, hull, hull_model, n_hull, p.cost, mix);
      pm_eval_paired_bootstrap (pq + (gsize) li * n, mix, n, opt->boot, opt->seed,
                                &p.delta, &p.lo, &p.hi);
      g_array_append_val (pts, p);
    }

  return pts;
}

static GArray *
frontier_of (GArray *pts)
{
  g_autofree PmEvalPoint *v = g_new (PmEvalPoint, MAX (pts->len, 1));

  for (guint i = 0; i < pts->len; i++)
    {
      v[i].cost = g_array_index (pts, RouterPoint, i).cost;
      v[i].quality = g_array_index (pts, RouterPoint, i).quality;
    }
  return pm_eval_hull (v, pts->len);
}

static void
json_curve (JsonBuilder *b,
            const char  *name,
            GArray      *pts)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < pts->len; i++)
    {
      RouterPoint *p = &g_array_index (pts, RouterPoint, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "tradeoff");
      json_builder_add_double_value (b, p->tradeoff);
      json_builder_set_member_name (b, "lambda");
      json_builder_add_double_value (b, p->lambda);
      json_builder_set_member_name (b, "cost");
      json_builder_add_double_value (b, p->cost);
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, p->quality);
      json_builder_set_member_name (b, "hull_quality_at_cost");
      json_builder_add_double_value (b, p->hull_q);
      json_builder_set_member_name (b, "delta_vs_hull");
      json_builder_add_double_value (b, p->delta);
      json_builder_set_member_name (b, "delta_ci95");
      json_builder_begin_array (b);
      json_builder_add_double_value (b, p->lo);
      json_builder_add_double_value (b, p->hi);
      json_builder_end_array (b);
      if (p->policy)
        {
          json_builder_set_member_name (b, "policy");
          json_builder_add_string_value (b, p->policy);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_curve (const char *title,
             GArray     *pts)
{
  printf ("\n%s\n", title);
  printf ("  %-8s %9s %9s %9s %9s  %-19s %s\n", "tradeoff", "lambda", "resolved", "$/task",
          "hull@$", "Δ vs hull [95% CI]", "policy");
  for (guint i = 0; i < pts->len; i++)
    {
      RouterPoint *p = &g_array_index (pts, RouterPoint, i);
      g_autofree char *ci = g_strdup_printf ("%+.1f [%+.1f, %+.1f]", 100 * p->delta,
                                             100 * p->lo, 100 * p->hi);

      printf ("  %-8.3f %9.3f %8.1f%% %9.5f %8.1f%%  %-19s %s\n", p->tradeoff, p->lambda,
              100 * p->quality, p->cost, 100 * p->hull_q, ci, p->policy ? p->policy : "");
    }
}

static guint
count_above (GArray  *pts,
             guint   *significant)
{
  guint n = 0, s = 0;

  for (guint i = 0; i < pts->len; i++)
    {
      RouterPoint *p = &g_array_index (pts, RouterPoint, i);

      if (p->quality > p->hull_q + 1e-9)
        n++;
      if (p->lo > 0)
        s++;
    }
  if (significant)
    *significant = s;
  return n;
}

static int
eval_swebench (int argc, char **argv)
{
  g_autofree char *train_problems = NULL, *train_results = NULL;
  g_autofree char *test_problems = NULL, *test_results = NULL;
  g_autofree char *catalog_path = NULL;
  g_auto(GStrv) exclude = NULL;
  EvalOptions opt = { FALSE, 5, 1, 1000, 100, 0, PM_QUALITY_MODEL_DEFAULT_HASH_BITS, NULL, NULL };
  int folds = 5, seed = 1, boot = 1000, bits = PM_QUALITY_MODEL_DEFAULT_HASH_BITS;
  gboolean no_router = FALSE;
  gboolean no_escalation = FALSE;
  g_autofree char *json_out = NULL;
  g_autofree char *verifier_first = NULL, *verifier_second = NULL;
  int sweep = 100;
  GOptionEntry entries[] = {
    { "json-out", 0, 0, G_OPTION_ARG_FILENAME, &json_out, "Also write the JSON report to FILE (one run for both)", "FILE" },
    { "sweep-steps", 0, 0, G_OPTION_ARG_INT, &sweep, "Trade-off values swept from 0 to 1 (default 100)", "N" },
    { "train-problems", 0, 0, G_OPTION_ARG_FILENAME, &train_problems, "Problems JSONL for training", "FILE" },
    { "train-results", 0, 0, G_OPTION_ARG_FILENAME, &train_results, "Per-instance results CSV for training", "FILE" },
    { "test-problems", 0, 0, G_OPTION_ARG_FILENAME, &test_problems, "Problems JSONL to report on (default: the training file)", "FILE" },
    { "test-results", 0, 0, G_OPTION_ARG_FILENAME, &test_results, "Per-instance results CSV to report on (default: the training file)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt.json, "Print JSON", NULL },
    { "folds", 0, 0, G_OPTION_ARG_INT, &folds, "Cross-validation folds when test = train (default 5)", "K" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed for folds and bootstrap (default 1)", "N" },
    { "bootstrap", 0, 0, G_OPTION_ARG_INT, &boot, "Bootstrap resamples (default 1000)", "N" },
    { "l2", 0, 0, G_OPTION_ARG_DOUBLE, &opt.l2, "L2 strength of the quality model (default: chosen by inner 3-fold CV)", "X" },
    { "hash-bits", 0, 0, G_OPTION_ARG_INT, &bits, "Feature hash bits (default 12)", "B" },
    { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exclude, "Skip submissions containing this (default: claude-3-7-sonnet, whose per-instance data is broken)", "TEXT" },
    { "catalog", 0, 0, G_OPTION_ARG_FILENAME, &catalog_path, "Model catalog for the router (default: the installed one)", "FILE" },
    { "no-router", 0, 0, G_OPTION_ARG_NONE, &no_router, "Skip the curves of the router itself (pm_router_decide)", NULL },
    { "no-escalation", 0, 0, G_OPTION_ARG_NONE, &no_escalation, "Skip the router-with-escalation curve (the slowest)", NULL },
    { "verifier-first", 0, 0, G_OPTION_ARG_STRING, &verifier_first, "Cheap model of the simulated-verifier table (default deepseek-v3.2-reasoner)", "MODEL" },
    { "verifier-second", 0, 0, G_OPTION_ARG_STRING, &verifier_second, "Strong model of the simulated-verifier table (default gemini-3-pro-preview)", "MODEL" },
    { NULL }
  };
  static const struct { const char *key, *title; } curve_info[N_CURVES] = {
    { "router", "Router (pm_router_decide on the task as the session's first message, learned model of the\n"
                "training part plugged in; trade-off swept through PmObjective, quality floor 0; the policy column\n"
                "shows its choices across tasks)" },
    { "router_escalation", "Router with escalation: pm_router_decide at session start; once the run passes k steps (k chosen\n"
                           "per λ on the training part), the eval asks the router again with the task followed by two\n"
                           "failing tool results and runs the model it picks from scratch (first run charged pro rata)" },
    { "router_priors_only", "Router with its published priors alone (no learned model)" },
    { "router_cascades", "Cascades on observable signals (eval simulation, not the router's code): per λ the policy\n"
                         "with the best mean Q − λ·C on the training part among single models and cascades that\n"
                         "escalate on steps so far or dollars spent so far (policy column: first fold's choice)" },
    { "router_text_only", "Text-only choice: argmax Q̂(model | issue text) − λ·mean training cost (learned model alone)" },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- session-start routing and cascades on SWE-bench Verified");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmEvalMatrix) train = NULL;
  g_autoptr(PmEvalMatrix) test = NULL;
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(GArray) lambdas = NULL;
  g_autoptr(GArray) hull = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree PmEvalPoint *singles = NULL;
  g_autofree int *hull_model = NULL;
  g_autofree double *pred = NULL;
  const char *default_exclude[] = { "claude-3-7-sonnet", NULL };
  RouterSetup rs = { 0 };
  Curve curves[N_CURVES] = { { 0 } };
  GArray *pts[N_CURVES] = { NULL };
  double area[N_CURVES] = { 0 };
  guint above[N_CURVES] = { 0 }, above_sig[N_CURVES] = { 0 };
  double goal_q[N_CURVES] = { 0 }, goal_c[N_CURVES] = { 0 };
  gboolean cv;
  PmEvalPoint oracle;
  double l2_used = NAN, cost_max;
  guint n, nm, cheapest = 0;
  int ret = 1;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  /* The option strings stay owned by the g_autofree locals above. */
  opt.verifier_first = verifier_first;
  opt.verifier_second = verifier_second;
  if (train_results == NULL)
    {
      fprintf (stderr, "eval swebench: --train-results is required (and --train-problems for text features)\n");
      return 2;
    }
  opt.folds = MAX (folds, 2);
  opt.seed = seed;
  opt.boot = MAX (boot, 10);
  opt.bits = CLAMP (bits, 4, 20);
  opt.steps = CLAMP (sweep, 2, 1000);
  opt.escalation = !no_escalation;

  cv = (test_results == NULL || g_str_equal (test_results, train_results)) &&
       (test_problems == NULL || g_strcmp0 (test_problems, train_problems) == 0);

  train = pm_eval_load_swebench (train_problems, train_results,
                                 exclude ? (const char * const *) exclude : default_exclude, &error);
  if (train == NULL)
    goto out;
  if (!cv)
    {
      test = pm_eval_load_swebench (test_problems, test_results,
                                    exclude ? (const char * const *) exclude : default_exclude,
                                    &error);
      if (test == NULL)
        goto out;
      if (!same_models (train, test))
        {
          g_set_error (&error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                       "The training and test files do not hold the same submissions");
          goto out;
        }
    }
  else
    {
      g_autofree guint *all = g_new (guint, train->n_tasks);

      for (guint t = 0; t < train->n_tasks; t++)
        all[t] = t;
      test = pm_eval_matrix_subset (train, all, train->n_tasks);
    }

  if (!no_router)
    {
      catalog = catalog_path ? pm_catalog_new_from_file (catalog_path, &error)
                             : pm_catalog_new_default (&error);
      if (catalog == NULL)
        goto out;
      router_setup_init (&rs, catalog, train);
    }

  n = test->n_tasks;
  nm = test->n_models;
  lambdas = pm_cli_eval_lambdas (opt.steps);
  for (guint k = 0; k < N_CURVES; k++)
    {
      curves[k].key = curve_info[k].key;
      curves[k].title = curve_info[k].title;
      curves[k].q = g_new0 (double, (gsize) lambdas->len * n);
      curves[k].c = g_new0 (double, (gsize) lambdas->len * n);
      curves[k].policies = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_set_size (curves[k].policies, lambdas->len);
      curves[k].chosen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }
  pred = g_new0 (double, (gsize) n * nm);

  if (cv)
    {
      g_autofree guint *fold_of = g_new (guint, n);

      if (n < opt.folds)
        {
          g_set_error (&error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "Too few tasks (%u) for %u folds",
                       n, opt.folds);
          goto out;
        }
      pm_quality_model_fold_assignment (n, opt.folds, opt.seed, fold_of);
      for (guint f = 0; f < opt.folds; f++)
        {
          g_autoptr(GArray) tr = g_array_new (FALSE, FALSE, sizeof (guint));
          g_autoptr(GArray) te = g_array_new (FALSE, FALSE, sizeof (guint));
          g_autoptr(PmEvalMatrix) mtr = NULL;
          g_autoptr(PmEvalMatrix) mte = NULL;

          for (guint t = 0; t < n; t++)
            g_array_append_val (fold_of[t] == f ? te : tr, t);
          mtr = pm_eval_matrix_subset (train, (guint *) tr->data, tr->len);
          mte = pm_eval_matrix_subset (train, (guint *) te->data, te->len);
          if (!swe_fold (mtr, mte, (guint *) te->data, lambdas, &opt, no_router ? NULL : &rs,
                         curves, pred, n, &l2_used, &error))
            goto out;
        }
    }
  else
    {
      g_autofree guint *rows = g_new (guint, n);

      for (guint t = 0; t < n; t++)
        rows[t] = t;
      if (!swe_fold (train, test, rows, lambdas, &opt, no_router ? NULL : &rs, curves, pred, n,
                     &l2_used, &error))
        goto out;
    }
  describe_choices (&curves[CURVE_ROUTER], lambdas->len, n);
  if (curves[CURVE_ROUTER_ESCALATION].filled)
    {
      /* "k=40: a → b 60 %, …" */
      g_autoptr(GPtrArray) ks = g_ptr_array_new_with_free_func (g_free);

      for (guint li = 0; li < lambdas->len; li++)
        g_ptr_array_add (ks, g_strdup (g_ptr_array_index (curves[CURVE_ROUTER_ESCALATION].policies, li)));
      describe_choices (&curves[CURVE_ROUTER_ESCALATION], lambdas->len, n);
      for (guint li = 0; li < lambdas->len; li++)
        {
          char *joined = g_strdup_printf ("%s (first fold): %s", (char *) g_ptr_array_index (ks, li),
                                          (char *) g_ptr_array_index (curves[CURVE_ROUTER_ESCALATION].policies, li));

          g_free (g_ptr_array_index (curves[CURVE_ROUTER_ESCALATION].policies, li));
          g_ptr_array_index (curves[CURVE_ROUTER_ESCALATION].policies, li) = joined;
        }
    }
  describe_choices (&curves[CURVE_ROUTER_PRIORS], lambdas->len, n);

  /* Baselines on the report set. */
  singles = g_new (PmEvalPoint, nm);
  for (guint j = 0; j < nm; j++)
    {
      singles[j] = pm_eval_single_model (test, j);
      if (pm_eval_single_model (train, j).cost < pm_eval_single_model (train, cheapest).cost)
        cheapest = j;
    }
  hull = pm_eval_hull (singles, nm);
  hull_model = pm_cli_eval_hull_models (singles, nm, (PmEvalPoint *) hull->data, hull->len);
  oracle = pm_eval_oracle (test, NULL, NULL);

  cost_max = g_array_index (hull, PmEvalPoint, hull->len - 1).cost;
  for (guint k = 0; k < N_CURVES; k++)
    {
      if (!curves[k].filled)
        continue;
      pts[k] = curve_points (test, lambdas, curves[k].q, curves[k].c, curves[k].policies,
                             (PmEvalPoint *) hull->data, hull_model, hull->len, &opt);
      for (guint i = 0; i < pts[k]->len; i++)
        cost_max = MAX (cost_max, g_array_index (pts[k], RouterPoint, i).cost);
    }
  for (guint k = 0; k < N_CURVES; k++)
    {
      g_autoptr(GArray) front = NULL;

      if (pts[k] == NULL)
        continue;
      front = frontier_of (pts[k]);
      area[k] = pm_eval_area_between ((PmEvalPoint *) front->data, front->len,
                                      (PmEvalPoint *) hull->data, hull->len, cost_max);
      above[k] = count_above (pts[k], &above_sig[k]);
      for (guint i = 0; i < pts[k]->len; i++)
        {
          RouterPoint *p = &g_array_index (pts[k], RouterPoint, i);

          if (p->cost <= 0.35 && p->quality > goal_q[k])
            {
              goal_q[k] = p->quality;
              goal_c[k] = p->cost;
            }
        }
    }

  {
    g_autofree double *aucs = g_new (double, nm);
    g_autofree double *scores = g_new (double, n);
    g_autofree gboolean *labels = g_new (gboolean, n);
    guint n_auc = 0;
    guint step_counts[PM_STEP_LAST] = { 0 };
    g_autofree double *obs_auc = NULL;
    int vf, vs;
    struct { double recall, fa; } vrates[] = { { 1.0, 0.0 }, { 0.85, 0.10 }, { 0.70, 0.10 } };

    for (guint j = 0; j < nm; j++)
      {
        double a;

        for (guint t = 0; t < n; t++)
          {
            scores[t] = pred[(gsize) t * nm + j];
            labels[t] = PM_EVAL_AT (test, quality, t, j) >= 0.5;
          }
        a = pm_eval_auc (scores, labels, n);
        if (!isnan (a))
          aucs[n_auc++] = a;
      }
    for (guint i = 1; i < n_auc; i++)
      for (guint k = i; k > 0 && aucs[k - 1] > aucs[k]; k--)
        {
          double tmp = aucs[k];

          aucs[k] = aucs[k - 1];
          aucs[k - 1] = tmp;
        }

    /* How the request parser classifies each task's first message (the router's input). */
    if (test->task_texts[0] != NULL)
      for (guint t = 0; t < n; t++)
        {
          g_autoptr(PmRequest) req = first_message_request ("eval-step-kind", test->task_texts[t], NULL);

          if (req != NULL)
            step_counts[pm_request_get_step (req)]++;
        }
    /* What a session can observe about a run: fewer steps / less spent ⇒ success? AUC per model. */
    obs_auc = g_new (double, 2 * nm);
    for (guint j = 0; j < nm; j++)
      {
        for (guint t = 0; t < n; t++)
          {
            scores[t] = -PM_EVAL_AT (test, steps, t, j);
            labels[t] = PM_EVAL_AT (test, quality, t, j) >= 0.5;
          }
        obs_auc[2 * j] = pm_eval_auc (scores, labels, n);
        for (guint t = 0; t < n; t++)
          scores[t] = -PM_EVAL_AT (test, cost, t, j);
        obs_auc[2 * j + 1] = pm_eval_auc (scores, labels, n);
      }

    vf = pm_eval_matrix_find_model (test, opt.verifier_first ? opt.verifier_first : "deepseek-v3.2-reasoner");
    vs = pm_eval_matrix_find_model (test, opt.verifier_second ? opt.verifier_second : "gemini-3-pro-preview");

    if (opt.json || json_out != NULL)
      {
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "dataset");
        json_builder_add_string_value (b, "swebench-verified-bash-only");
        json_builder_set_member_name (b, "cost_label");
        json_builder_add_string_value (b, "USD per task (whole agent run)");
        json_builder_set_member_name (b, "mode");
        json_builder_add_string_value (b, cv ? "cross-validation" : "train-test");
        json_builder_set_member_name (b, "folds");
        json_builder_add_int_value (b, cv ? opt.folds : 1);
        json_builder_set_member_name (b, "n_tasks");
        json_builder_add_int_value (b, n);
        json_builder_set_member_name (b, "n_models");
        json_builder_add_int_value (b, nm);
        if (!no_router)
          {
            json_builder_set_member_name (b, "router_pool");
            json_builder_begin_array (b);
            for (guint k = 0; k < rs.n_pool; k++)
              json_builder_add_string_value (b, rs.pool[k]);
            json_builder_end_array (b);
          }
        for (guint k = 0; k < N_CURVES; k++)
          {
            g_autofree char *area_key = NULL;
            g_autofree char *above_key = NULL;

            if (pts[k] == NULL)
              continue;
            json_curve (b, curves[k].key, pts[k]);
            area_key = k == CURVE_ROUTER ? g_strdup ("area_vs_hull")
                                         : g_strdup_printf ("area_vs_hull_%s", curves[k].key + strlen ("router_"));
            above_key = k == CURVE_ROUTER ? g_strdup ("points_above_hull")
                                          : g_strdup_printf ("points_above_hull_%s", curves[k].key + strlen ("router_"));
            json_builder_set_member_name (b, area_key);
            json_builder_add_double_value (b, area[k]);
            json_builder_set_member_name (b, above_key);
            json_builder_add_int_value (b, above[k]);
          }
        if (pts[CURVE_ROUTER] == NULL)
          {
            /* Without the router, the cascade curve stands in for the required members. */
            json_curve (b, "router", pts[CURVE_CASCADES]);
            json_builder_set_member_name (b, "area_vs_hull");
            json_builder_add_double_value (b, area[CURVE_CASCADES]);
            json_builder_set_member_name (b, "points_above_hull");
            json_builder_add_int_value (b, above[CURVE_CASCADES]);
          }
        json_builder_set_member_name (b, "single_models");
        json_builder_begin_array (b);
        for (guint j = 0; j < nm; j++)
          pm_cli_eval_add_point (b, test->model_ids[j], singles[j].cost, singles[j].quality);
        json_builder_end_array (b);
        json_builder_set_member_name (b, "hull");
        json_builder_begin_array (b);
        for (guint i = 0; i < hull->len; i++)
          pm_cli_eval_add_point (b, hull_model[i] >= 0 ? test->model_ids[hull_model[i]] : "do nothing",
                                 g_array_index (hull, PmEvalPoint, i).cost,
                                 g_array_index (hull, PmEvalPoint, i).quality);
        json_builder_end_array (b);
        json_builder_set_member_name (b, "oracle");
        pm_cli_eval_add_point (b, "oracle", oracle.cost, oracle.quality);
        json_builder_set_member_name (b, "always_cheapest");
        pm_cli_eval_add_point (b, test->model_ids[cheapest], singles[cheapest].cost,
                               singles[cheapest].quality);
        json_builder_set_member_name (b, "random_mixes");
        json_builder_begin_array (b);
        for (guint i = 1; i < hull->len; i++)
          {
            g_autofree char *name = g_strdup_printf ("50/50 %s + %s",
                                                     hull_model[i - 1] >= 0 ? test->model_ids[hull_model[i - 1]] : "do nothing",
                                                     test->model_ids[hull_model[i]]);
            PmEvalPoint a = g_array_index (hull, PmEvalPoint, i - 1);
            PmEvalPoint c = g_array_index (hull, PmEvalPoint, i);

            pm_cli_eval_add_point (b, name, 0.5 * (a.cost + c.cost), 0.5 * (a.quality + c.quality));
          }
        {
          double uq = 0, uc = 0;

          for (guint j = 0; j < nm; j++)
            {
              uq += singles[j].quality / nm;
              uc += singles[j].cost / nm;
            }
          pm_cli_eval_add_point (b, "uniform over all models", uc, uq);
        }
        json_builder_end_array (b);
        json_builder_set_member_name (b, "area_cost_max");
        json_builder_add_double_value (b, cost_max);
        json_builder_set_member_name (b, "goal_77_at_035");
        json_builder_begin_object (b);
        for (guint k = 0; k < N_CURVES; k++)
          if (pts[k] != NULL)
            {
              json_builder_set_member_name (b, curves[k].key);
              pm_cli_eval_add_point (b, goal_q[k] >= 0.77 ? "met" : "not met", goal_c[k], goal_q[k]);
            }
        json_builder_end_object (b);
        json_builder_set_member_name (b, "first_message_steps");
        json_builder_begin_object (b);
        for (guint k = 0; k < PM_STEP_LAST; k++)
          {
            json_builder_set_member_name (b, pm_step_to_string (k));
            json_builder_add_int_value (b, step_counts[k]);
          }
        json_builder_end_object (b);
        json_builder_set_member_name (b, "observable_signal_auc");
        json_builder_begin_array (b);
        for (guint j = 0; j < nm; j++)
          {
            json_builder_begin_object (b);
            json_builder_set_member_name (b, "model");
            json_builder_add_string_value (b, test->model_ids[j]);
            json_builder_set_member_name (b, "fewer_steps");
            json_builder_add_double_value (b, isnan (obs_auc[2 * j]) ? 0.5 : obs_auc[2 * j]);
            json_builder_set_member_name (b, "less_spent");
            json_builder_add_double_value (b, isnan (obs_auc[2 * j + 1]) ? 0.5 : obs_auc[2 * j + 1]);
            json_builder_end_object (b);
          }
        json_builder_end_array (b);
        json_builder_set_member_name (b, "quality_model");
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "l2");
        json_builder_add_double_value (b, isnan (l2_used) ? 0 : l2_used);
        json_builder_set_member_name (b, "hash_bits");
        json_builder_add_int_value (b, opt.bits);
        if (n_auc > 0)
          {
            json_builder_set_member_name (b, "auc_median");
            json_builder_add_double_value (b, aucs[n_auc / 2]);
            json_builder_set_member_name (b, "auc_min");
            json_builder_add_double_value (b, aucs[0]);
            json_builder_set_member_name (b, "auc_max");
            json_builder_add_double_value (b, aucs[n_auc - 1]);
          }
        json_builder_end_object (b);
        if (vf >= 0 && vs >= 0)
          {
            json_builder_set_member_name (b, "simulated_verifier_cascades");
            json_builder_begin_array (b);
            for (guint i = 0; i < G_N_ELEMENTS (vrates); i++)
              {
                PmEvalPoint p = pm_eval_verifier_cascade (test, vf, vs, vrates[i].recall, vrates[i].fa);

                json_builder_begin_object (b);
                json_builder_set_member_name (b, "first");
                json_builder_add_string_value (b, test->model_ids[vf]);
                json_builder_set_member_name (b, "second");
                json_builder_add_string_value (b, test->model_ids[vs]);
                json_builder_set_member_name (b, "recall");
                json_builder_add_double_value (b, vrates[i].recall);
                json_builder_set_member_name (b, "false_alarm");
                json_builder_add_double_value (b, vrates[i].fa);
                json_builder_set_member_name (b, "cost");
                json_builder_add_double_value (b, p.cost);
                json_builder_set_member_name (b, "quality");
                json_builder_add_double_value (b, p.quality);
                json_builder_set_member_name (b, "hull_quality_at_cost");
                json_builder_add_double_value (b, pm_eval_frontier_at ((PmEvalPoint *) hull->data, hull->len, p.cost));
                json_builder_end_object (b);
              }
            json_builder_end_array (b);
          }
        json_builder_end_object (b);
        if (json_out != NULL)
          {
            g_autoptr(JsonGenerator) gen = json_generator_new ();
            g_autoptr(JsonNode) root = json_builder_get_root (b);

            json_generator_set_root (gen, root);
            json_generator_set_pretty (gen, TRUE);
            if (!json_generator_to_file (gen, json_out, &error))
              goto out;
          }
        if (opt.json)
          {
            pm_cli_eval_print_json (b);
            ret = 0;
            goto out;
          }
      }

    printf ("SWE-bench Verified, mini-SWE-agent bash-only: %u tasks × %u models; %s\n", n, nm,
            cv ? "test = train files, so every number below is out-of-fold" : "trained on the training files, reported on the test files");
    if (cv)
      printf ("  %u-fold cross-validation (seed %u): the learned model and the cascade choice are fitted on k−1 folds,\n"
              "  scored on the held-out fold\n", opt.folds, opt.seed);
    if (!no_router)
      {
        printf ("  router pool (the models the catalog knows):");
        for (guint k = 0; k < rs.n_pool; k++)
          printf (" %s", rs.pool[k]);
        printf ("\n");
      }
    printf ("\nSingle models (report set)\n  %-32s %9s %9s\n", "model", "resolved", "$/task");
    for (guint j = 0; j < nm; j++)
      printf ("  %-32s %8.1f%% %9.3f\n", test->model_ids[j], 100 * singles[j].quality, singles[j].cost);
    printf ("\nConvex hull of single models (with do nothing at 0 %%, $0)\n");
    for (guint i = 0; i < hull->len; i++)
      printf ("  %-32s %8.1f%% %9.3f\n", hull_model[i] >= 0 ? test->model_ids[hull_model[i]] : "do nothing",
              100 * g_array_index (hull, PmEvalPoint, i).quality, g_array_index (hull, PmEvalPoint, i).cost);
    printf ("\nBaselines\n");
    printf ("  %-44s %8.1f%% %9.3f\n", "oracle (cheapest model that solves)", 100 * oracle.quality, oracle.cost);
    {
      g_autofree char *name = g_strdup_printf ("always cheapest (%s)", test->model_ids[cheapest]);

      printf ("  %-44s %8.1f%% %9.3f\n", name, 100 * singles[cheapest].quality, singles[cheapest].cost);
    }
    for (guint i = 1; i < hull->len; i++)
      {
        PmEvalPoint a = g_array_index (hull, PmEvalPoint, i - 1);
        PmEvalPoint c = g_array_index (hull, PmEvalPoint, i);
        g_autofree char *name = g_strdup_printf ("random 50/50 %s + %s",
                                                 hull_model[i - 1] >= 0 ? test->model_ids[hull_model[i - 1]] : "nothing",
                                                 test->model_ids[hull_model[i]]);

        printf ("  %-44s %8.1f%% %9.3f\n", name, 50 * (a.quality + c.quality), 0.5 * (a.cost + c.cost));
      }

    for (guint k = 0; k < N_CURVES; k++)
      {
        if (pts[k] == NULL)
          continue;
        print_curve (curves[k].title, pts[k]);
        printf ("  area vs the hull over [$0, $%.3f]: %+.4f resolved·$ (mean gap %+.2f points); above the hull at\n"
                "  %u of %u points (bootstrap 95 %% CI above zero at %u); best at ≤ $0.35: %.1f %% at $%.3f\n",
                cost_max, area[k], 100 * area[k] / cost_max, above[k], pts[k]->len, above_sig[k],
                100 * goal_q[k], goal_c[k]);
      }
    printf ("\nGoal ≥ 77 %% resolved at ≤ $0.35/task: %s\n",
            (goal_q[CURVE_ROUTER] >= 0.77 || goal_q[CURVE_CASCADES] >= 0.77) ? "met" : "NOT met by any curve above");
    if (n_auc > 0)
      printf ("Learned quality model (text only, %s): AUC median %.3f (min %.3f, max %.3f) over %u models; L2 %g\n",
              cv ? "out-of-fold" : "on the test set", aucs[n_auc / 2], aucs[0], aucs[n_auc - 1], n_auc,
              l2_used);

    printf ("First messages as the request parser classifies them:");
    for (guint k = 0; k < PM_STEP_LAST; k++)
      if (step_counts[k] > 0)
        printf (" %s %u", pm_step_to_string (k), step_counts[k]);
    printf ("\nObservable signals (AUC of fewer steps / less spent for the run's own success), models under $0.10/task:\n");
    for (guint j = 0; j < nm; j++)
      if (singles[j].cost < 0.10)
        printf ("  %-32s steps %.3f  spend %.3f\n", test->model_ids[j], obs_auc[2 * j], obs_auc[2 * j + 1]);

    if (vf >= 0 && vs >= 0)
      {
        printf ("\nSIMULATED VERIFIER — not routing on observable inputs. %s, redone on %s when a verifier\n"
                "flags the run; the verifier's recall and false-alarm rates are ASSUMED, not measured.\n",
                test->model_ids[vf], test->model_ids[vs]);
        printf ("  %-8s %-11s %9s %9s %9s\n", "recall", "false alarm", "resolved", "$/task", "hull@$");
        for (guint i = 0; i < G_N_ELEMENTS (vrates); i++)
          {
            PmEvalPoint p = pm_eval_verifier_cascade (test, vf, vs, vrates[i].recall, vrates[i].fa);

            printf ("  %-8.2f %-11.2f %8.1f%% %9.3f %8.1f%%\n", vrates[i].recall, vrates[i].fa,
                    100 * p.quality, p.cost,
                    100 * pm_eval_frontier_at ((PmEvalPoint *) hull->data, hull->len, p.cost));
          }
      }
  }
  ret = 0;

out:
  if (error != NULL)
    fprintf (stderr, "eval swebench: %s\n", error->message);
  for (guint k = 0; k < N_CURVES; k++)
    {
      g_free (curves[k].q);
      g_free (curves[k].c);
      g_clear_pointer (&curves[k].policies, g_ptr_array_unref);
      g_clear_pointer (&curves[k].chosen, g_hash_table_unref);
      g_clear_pointer (&pts[k], g_array_unref);
    }
  router_setup_clear (&rs);
  return ret;
}

/* ---- generic report over an outcome matrix --------------------------------------------------- */

static void
report_matrix (const char        *dataset,
               const char        *cost_unit,
               const PmEvalMatrix *test,
               GArray            *lambdas,
               const double      *pq,
               const double      *pc,
               GPtrArray         *policies,
               const EvalOptions *opt,
               JsonBuilder       *b)   /* open object when JSON, else NULL */
{
  guint nm = test->n_models;
  g_autofree PmEvalPoint *singles = g_new (PmEvalPoint, nm);
  g_autoptr(GArray) hull = NULL;
  g_autoptr(GArray) pts = NULL;
  g_autoptr(GArray) front = NULL;
  g_autofree int *hull_model = NULL;
  PmEvalPoint oracle;
  double cost_max, area;
  guint above, above_sig;

  for (guint j = 0; j < nm; j++)
    singles[j] = pm_eval_single_model (test, j);
  hull = pm_eval_hull (singles, nm);
  hull_model = pm_cli_eval_hull_models (singles, nm, (PmEvalPoint *) hull->data, hull->len);
  oracle = pm_eval_oracle (test, NULL, NULL);
  pts = curve_points (test, lambdas, pq, pc, policies, (PmEvalPoint *) hull->data, hull_model,
                      hull->len, opt);
  front = frontier_of (pts);
  cost_max = g_array_index (hull, PmEvalPoint, hull->len - 1).cost;
  for (guint i = 0; i < pts->len; i++)
    cost_max = MAX (cost_max, g_array_index (pts, RouterPoint, i).cost);
  area = pm_eval_area_between ((PmEvalPoint *) front->data, front->len,
                               (PmEvalPoint *) hull->data, hull->len, cost_max);
  above = count_above (pts, &above_sig);

  if (b != NULL)
    {
      json_curve (b, "router", pts);
      json_builder_set_member_name (b, "single_models");
      json_builder_begin_array (b);
      for (guint j = 0; j < nm; j++)
        pm_cli_eval_add_point (b, test->model_ids[j], singles[j].cost, singles[j].quality);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "hull");
      json_builder_begin_array (b);
      for (guint i = 0; i < hull->len; i++)
        pm_cli_eval_add_point (b, hull_model[i] >= 0 ? test->model_ids[hull_model[i]] : "do nothing",
                               g_array_index (hull, PmEvalPoint, i).cost,
                               g_array_index (hull, PmEvalPoint, i).quality);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "oracle");
      pm_cli_eval_add_point (b, "oracle", oracle.cost, oracle.quality);
      json_builder_set_member_name (b, "area_vs_hull");
      json_builder_add_double_value (b, area);
      json_builder_set_member_name (b, "area_cost_max");
      json_builder_add_double_value (b, cost_max);
      json_builder_set_member_name (b, "points_above_hull");
      json_builder_add_int_value (b, above);
      json_builder_set_member_name (b, "points_above_hull_ci_excludes_zero");
      json_builder_add_int_value (b, above_sig);
      return;
    }

  printf ("\n%s: %u tasks × %u choices (cost unit: %s)\n", dataset, test->n_tasks, nm, cost_unit);
  printf ("  %-40s %9s %10s\n", "single choice", "quality", "cost");
  for (guint j = 0; j < nm; j++)
    printf ("  %-40s %8.1f%% %10.5f\n", test->model_ids[j], 100 * singles[j].quality, singles[j].cost);
  printf ("  hull:");
  for (guint i = 0; i < hull->len; i++)
    printf (" %s (%.1f%%, %.5f)%s", hull_model[i] >= 0 ? test->model_ids[hull_model[i]] : "nothing",
            100 * g_array_index (hull, PmEvalPoint, i).quality,
            g_array_index (hull, PmEvalPoint, i).cost, i + 1 < hull->len ? " →" : "");
  printf ("\n  %-40s %8.1f%% %10.5f\n", "oracle", 100 * oracle.quality, oracle.cost);
  print_curve ("Router sweep (λ from PmObjective)", pts);
  printf ("Area between the router's frontier and the hull over [0, %.5f]: %+.6f (mean gap %+.2f points)\n",
          cost_max, area, 100 * area / cost_max);
  printf ("Router points above the hull: %u of %u (bootstrap CI above zero: %u)\n", above, pts->len,
          above_sig);
}

/* ---- livecodebench --------------------------------------------------------------------------- */

/* Published per-effort spend of one reasoning model on one benchmark: Aider polyglot leaderboard
 * (aider/website/_data/polyglot_leaderboard.yml, Apache-2.0), GPT-5 low / medium / high on the
 * 225 exercises: $10.3713 / $17.6930 / $29.0829. Relative to medium. */
static const struct
{
  const char *suffix[3];
  double      ratio;
} effort_costs[] = {
  { { "(Low)", NULL, NULL }, 10.3713 / 17.6930 },
  { { "(Med)", "(Medium)", NULL }, 1.0 },
  { { "(High)", NULL, NULL }, 29.0829 / 17.6930 },
};

static int
effort_of (const char *model,
           char      **family)
{
  for (guint e = 0; e < G_N_ELEMENTS (effort_costs); e++)
    for (guint k = 0; k < 3 && effort_costs[e].suffix[k]; k++)
      if (g_str_has_suffix (model, effort_costs[e].suffix[k]))
        {
          *family = g_strstrip (g_strndup (model, strlen (model) - strlen (effort_costs[e].suffix[k])));
          return (int) e;
        }
  return -1;
}

static int
eval_livecodebench (int argc, char **argv)
{
  g_autofree char *data = NULL;
  EvalOptions opt = { FALSE, 5, 1, 1000, 100, 0, 0, NULL, NULL };
  int folds = 5, seed = 1, boot = 1000;
  GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, "LiveCodeBench generation CSV", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt.json, "Print JSON", NULL },
    { "folds", 0, 0, G_OPTION_ARG_INT, &folds, "Cross-validation folds (default 5)", "K" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed (default 1)", "N" },
    { "bootstrap", 0, 0, G_OPTION_ARG_INT, &boot, "Bootstrap resamples (default 1000)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- reasoning-effort choice per problem on LiveCodeBench");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmEvalMatrix) all = NULL;
  g_autoptr(GHashTable) families = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) family_list = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = NULL;
  guint n_reported = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (data == NULL)
    {
      fprintf (stderr, "eval livecodebench: --data FILE is required\n");
      return 2;
    }
  opt.folds = MAX (folds, 2);
  opt.seed = seed;
  opt.boot = MAX (boot, 10);

  if (!(all = pm_eval_load_livecodebench (data, &error)))
    {
      fprintf (stderr, "eval livecodebench: %s\n", error->message);
      return 1;
    }

  /* Families with at least two effort levels. */
  for (guint j = 0; j < all->n_models; j++)
    {
      g_autofree char *fam = NULL;
      int e = effort_of (all->model_ids[j], &fam);
      guint mask;

      if (e < 0)
        continue;
      mask = GPOINTER_TO_UINT (g_hash_table_lookup (families, fam));
      if (mask == 0)
        g_ptr_array_add (family_list, g_strdup (fam));
      g_hash_table_replace (families, g_strdup (fam), GUINT_TO_POINTER (mask | (1u << e)));
    }

  if (opt.json)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dataset");
      json_builder_add_string_value (b, "livecodebench");
      json_builder_set_member_name (b, "effort_cost_source");
      json_builder_add_string_value (b, "Aider polyglot leaderboard, GPT-5 low/medium/high: $10.37/$17.69/$29.08 (relative to medium)");
      json_builder_set_member_name (b, "families");
      json_builder_begin_array (b);
    }
  else
    printf ("LiveCodeBench: effort choice per problem from its difficulty (easy/medium/hard), %u-fold CV.\n"
            "Per-effort cost = relative reasoning spend, medium = 1, from the published Aider polyglot figures\n"
            "for GPT-5 low/medium/high ($10.37 / $17.69 / $29.08 for 225 exercises): %.3f / 1 / %.3f.\n",
            opt.folds, effort_costs[0].ratio, effort_costs[2].ratio);

  for (guint fi = 0; fi < family_list->len; fi++)
    {
      const char *fam = g_ptr_array_index (family_list, fi);
      guint mask = GPOINTER_TO_UINT (g_hash_table_lookup (families, fam));
      g_autoptr(GArray) cols = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr(PmEvalMatrix) m = NULL;
      g_autoptr(GArray) lambdas = pm_cli_eval_lambdas (opt.steps);
      g_autoptr(GPtrArray) policies = g_ptr_array_new_with_free_func (g_free);
      g_autofree double *pq = NULL, *pc = NULL;
      g_autofree guint *fold_of = NULL;
      g_autofree double *ratio = NULL;
      static const char *groups[] = { "easy", "medium", "hard" };
      g_autofree char *title = NULL;

      if (__builtin_popcount (mask) < 2)
        continue;

      /* A matrix with this family's effort columns only, in effort order. */
      for (guint e = 0; e < G_N_ELEMENTS (effort_costs); e++)
        for (guint j = 0; j < all->n_models; j++)
          {
            g_autofree char *f2 = NULL;

            if (effort_of (all->model_ids[j], &f2) == (int) e && g_str_equal (f2, fam))
              g_array_append_val (cols, j);
          }
      m = pm_eval_matrix_new (all->n_tasks, cols->len);
      ratio = g_new (double, cols->len);
      for (guint k = 0; k < cols->len; k++)
        {
          guint j = g_array_index (cols, guint, k);
          g_autofree char *f2 = NULL;

          m->model_ids[k] = g_strdup (all->model_ids[j]);
          ratio[k] = effort_costs[effort_of (all->model_ids[j], &f2)].ratio;
        }
      for (guint t = 0; t < all->n_tasks; t++)
        {
          m->task_ids[t] = g_strdup (all->task_ids[t]);
          m->task_groups[t] = g_strdup (all->task_groups[t]);
          for (guint k = 0; k < cols->len; k++)
            {
              PM_EVAL_AT (m, quality, t, k) = PM_EVAL_AT (all, quality, t, g_array_index (cols, guint, k));
              PM_EVAL_AT (m, cost, t, k) = ratio[k];
            }
        }

      /* k-fold: per difficulty, the effort with the best mean pass − λ·cost on the other folds. */
      pq = g_new0 (double, (gsize) lambdas->len * m->n_tasks);
      pc = g_new0 (double, (gsize) lambdas->len * m->n_tasks);
      g_ptr_array_set_size (policies, lambdas->len);
      fold_of = g_new (guint, m->n_tasks);
      pm_quality_model_fold_assignment (m->n_tasks, opt.folds, opt.seed, fold_of);
      for (guint f = 0; f < opt.folds; f++)
        {
          double sum[3][8] = { { 0 } };
          double cnt[3] = { 0 };

          for (guint t = 0; t < m->n_tasks; t++)
            {
              int g = 1;

              if (fold_of[t] == f)
                continue;
              for (guint k = 0; k < 3; k++)
                if (g_strcmp0 (m->task_groups[t], groups[k]) == 0)
                  g = (int) k;
              cnt[g]++;
              for (guint k = 0; k < m->n_models && k < 8; k++)
                sum[g][k] += PM_EVAL_AT (m, quality, t, k);
            }
          for (guint li = 0; li < lambdas->len; li++)
            {
              double lambda = ((const double *) lambdas->data)[2 * li + 1];
              guint choice[3];

              for (guint g = 0; g < 3; g++)
                {
                  double q[8];

                  for (guint k = 0; k < m->n_models && k < 8; k++)
                    q[k] = cnt[g] > 0 ? sum[g][k] / cnt[g] : 0;
                  choice[g] = pm_cli_eval_pick (q, ratio, MIN (m->n_models, 8), lambda);
                }
              if (g_ptr_array_index (policies, li) == NULL)
                g_ptr_array_index (policies, li) =
                  g_strdup_printf ("easy→%s medium→%s hard→%s", m->model_ids[choice[0]] + strlen (fam),
                                   m->model_ids[choice[1]] + strlen (fam),
                                   m->model_ids[choice[2]] + strlen (fam));
              for (guint t = 0; t < m->n_tasks; t++)
                {
                  int g = 1;

                  if (fold_of[t] != f)
                    continue;
                  for (guint k = 0; k < 3; k++)
                    if (g_strcmp0 (m->task_groups[t], groups[k]) == 0)
                      g = (int) k;
                  pq[(gsize) li * m->n_tasks + t] = PM_EVAL_AT (m, quality, t, choice[g]);
                  pc[(gsize) li * m->n_tasks + t] = ratio[choice[g]];
                }
            }
        }

      title = g_strdup_printf ("LiveCodeBench %s", fam);
      if (b)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "family");
          json_builder_add_string_value (b, fam);
          json_builder_set_member_name (b, "n_tasks");
          json_builder_add_int_value (b, m->n_tasks);
          json_builder_set_member_name (b, "cost_label");
          json_builder_add_string_value (b, "relative reasoning spend (medium = 1)");
          report_matrix (title, "relative reasoning spend", m, lambdas, pq, pc, policies, &opt, b);
          json_builder_end_object (b);
        }
      else
        report_matrix (title, "relative reasoning spend, medium = 1", m, lambdas, pq, pc, policies, &opt, NULL);
      n_reported++;
    }

  if (b)
    {
      json_builder_end_array (b);
      json_builder_end_object (b);
      pm_cli_eval_print_json (b);
    }
  if (n_reported == 0)
    {
      fprintf (stderr, "eval livecodebench: no model family with two or more effort levels in %s\n", data);
      return 1;
    }
  return 0;
}

/* ---- routerbench ----------------------------------------------------------------------------- */

static int
eval_routerbench (int argc, char **argv)
{
  g_autofree char *train_path = NULL, *test_path = NULL;
  EvalOptions opt = { FALSE, 5, 1, 1000, 100, 0, PM_QUALITY_MODEL_DEFAULT_HASH_BITS, NULL, NULL };
  int seed = 1, boot = 1000, bits = PM_QUALITY_MODEL_DEFAULT_HASH_BITS;
  GOptionEntry entries[] = {
    { "train", 0, 0, G_OPTION_ARG_FILENAME, &train_path, "RouterBench CSV to train on", "FILE" },
    { "test", 0, 0, G_OPTION_ARG_FILENAME, &test_path, "RouterBench CSV to report on", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt.json, "Print JSON", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed (default 1)", "N" },
    { "bootstrap", 0, 0, G_OPTION_ARG_INT, &boot, "Bootstrap resamples (default 1000)", "N" },
    { "l2", 0, 0, G_OPTION_ARG_DOUBLE, &opt.l2, "L2 strength (default: chosen by 3-fold CV on the training file)", "X" },
    { "hash-bits", 0, 0, G_OPTION_ARG_INT, &bits, "Feature hash bits (default 12)", "B" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- per-prompt model choice on RouterBench MBPP");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmEvalMatrix) train = NULL;
  g_autoptr(PmEvalMatrix) test = NULL;
  g_autoptr(PmQualityModel) qm = NULL;
  g_autoptr(GArray) lambdas = NULL;
  g_autofree double *labels = NULL, *est_cost = NULL, *q = NULL, *pq = NULL, *pc = NULL;
  g_autofree double *scores = NULL;
  g_autofree gboolean *lab = NULL;
  PmQualityTrainParams params = PM_QUALITY_TRAIN_PARAMS_INIT;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(GArray) aucs = g_array_new (FALSE, FALSE, sizeof (double));
  double auc_mean = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (train_path == NULL || test_path == NULL)
    {
      fprintf (stderr, "eval routerbench: --train FILE and --test FILE are required\n");
      return 2;
    }
  opt.seed = seed;
  opt.boot = MAX (boot, 10);
  opt.bits = CLAMP (bits, 4, 20);

  if (!(train = pm_eval_load_routerbench (train_path, &error)) ||
      !(test = pm_eval_load_routerbench (test_path, &error)))
    {
      fprintf (stderr, "eval routerbench: %s\n", error->message);
      return 1;
    }
  if (!same_models (train, test))
    {
      fprintf (stderr, "eval routerbench: the two files do not hold the same models\n");
      return 1;
    }

  labels = labels_of (train);
  params.l2 = opt.l2 > 0 ? opt.l2
                         : pm_quality_model_tune_l2 ((const char * const *) train->model_ids, opt.bits,
                                                     (const char * const *) train->task_texts,
                                                     train->n_tasks, labels, l2_grid,
                                                     G_N_ELEMENTS (l2_grid), 3, opt.seed);
  qm = pm_quality_model_new ((const char * const *) train->model_ids, opt.bits);
  if (!pm_quality_model_train (qm, (const char * const *) train->task_texts, train->n_tasks, labels,
                               &params, &error))
    {
      fprintf (stderr, "eval routerbench: %s\n", error->message);
      return 1;
    }

  est_cost = g_new (double, train->n_models);
  for (guint j = 0; j < train->n_models; j++)
    est_cost[j] = pm_eval_single_model (train, j).cost;
  lambdas = pm_cli_eval_lambdas (opt.steps);
  q = g_new (double, (gsize) test->n_tasks * test->n_models);
  pq = g_new (double, (gsize) lambdas->len * test->n_tasks);
  pc = g_new (double, (gsize) lambdas->len * test->n_tasks);
  for (guint t = 0; t < test->n_tasks; t++)
    {
      double *qt = q + (gsize) t * test->n_models;

      pm_quality_model_predict_all (qm, test->task_texts[t], qt);
      for (guint li = 0; li < lambdas->len; li++)
        {
          guint j = pm_cli_eval_pick (qt, est_cost, test->n_models,
                                      ((const double *) lambdas->data)[2 * li + 1]);

          pq[(gsize) li * test->n_tasks + t] = PM_EVAL_AT (test, quality, t, j);
          pc[(gsize) li * test->n_tasks + t] = PM_EVAL_AT (test, cost, t, j);
        }
    }

  scores = g_new (double, test->n_tasks);
  lab = g_new (gboolean, test->n_tasks);
  for (guint j = 0; j < test->n_models; j++)
    {
      double a;

      for (guint t = 0; t < test->n_tasks; t++)
        {
          scores[t] = q[(gsize) t * test->n_models + j];
          lab[t] = PM_EVAL_AT (test, quality, t, j) >= 0.5;
        }
      a = pm_eval_auc (scores, lab, test->n_tasks);
      if (!isnan (a))
        {
          g_array_append_val (aucs, a);
          auc_mean += a;
        }
    }
  if (aucs->len > 0)
    auc_mean /= aucs->len;

  if (opt.json)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dataset");
      json_builder_add_string_value (b, "routerbench-mbpp");
      json_builder_set_member_name (b, "cost_label");
      json_builder_add_string_value (b, "USD per prompt");
      json_builder_set_member_name (b, "n_train");
      json_builder_add_int_value (b, train->n_tasks);
      json_builder_set_member_name (b, "n_test");
      json_builder_add_int_value (b, test->n_tasks);
      json_builder_set_member_name (b, "l2");
      json_builder_add_double_value (b, params.l2);
      json_builder_set_member_name (b, "quality_model_auc_mean");
      json_builder_add_double_value (b, auc_mean);
      report_matrix ("RouterBench MBPP", "USD per prompt", test, lambdas, pq, pc, NULL, &opt, b);
      json_builder_end_object (b);
      pm_cli_eval_print_json (b);
      return 0;
    }

  printf ("RouterBench MBPP (0-shot): quality model trained on %u prompts (L2 %g, chosen by 3-fold CV on them),\n"
          "reported on %u held-out prompts. Router: argmax Q̂(model | prompt) − λ·mean training cost.\n"
          "Quality-model AUC on the test prompts: mean %.3f over %u models.\n",
          train->n_tasks, params.l2, test->n_tasks, auc_mean, aucs->len);
  report_matrix ("RouterBench MBPP", "USD per prompt", test, lambdas, pq, pc, NULL, &opt, NULL);
  return 0;
}

/* ---- transcripts ----------------------------------------------------------------------------- */

typedef struct
{
  const PmModelInfo *info[2];   /* 0 = cheap, 1 = strong */
} TwoModels;

typedef struct
{
  gint64 prefix;                /* tokens of the cached prefix */
  gint64 at_us;
} CacheSlot;

typedef struct
{
  const char *name;
  double      dollars;
  guint       switches;
  guint       requests;
} PolicyResult;

/* Bills one request on @info given the cache slot of that model in this chain. */
static double
bill (const PmModelInfo *info,
      const PmEvalTurn  *turn,
      CacheSlot         *slot,
      gboolean           one_hour)
{
  gint64 prompt = turn->input_tokens + turn->cache_read_tokens + turn->cache_write_5m_tokens +
                  turn->cache_write_1h_tokens;
  gint64 ttl_us = (gint64) (one_hour ? 3600 : 300) * G_USEC_PER_SEC;
  gint64 cached = 0, uncached, written;
  double write_price = one_hour ? info->cache_write_1h : info->cache_write_5m;

  if (slot->prefix > 0 && (turn->timestamp_us == 0 || turn->timestamp_us - slot->at_us <= ttl_us))
    cached = MIN (slot->prefix, prompt);
  uncached = MIN (turn->input_tokens, prompt - cached);
  written = MAX (0, prompt - cached - uncached);
  if (write_price <= 0)
    write_price = info->input;
  slot->prefix = prompt;
  slot->at_us = turn->timestamp_us;

  return uncached * info->input + cached * info->cache_read + written * write_price +
         turn->output_tokens * info->output;
}

static double
billed_as_recorded (const PmModelInfo *info,
                    const PmEvalTurn  *turn)
{
  return turn->input_tokens * info->input + turn->cache_read_tokens * info->cache_read +
         turn->cache_write_5m_tokens * (info->cache_write_5m > 0 ? info->cache_write_5m : info->input) +
         turn->cache_write_1h_tokens * (info->cache_write_1h > 0 ? info->cache_write_1h : info->input) +
         turn->output_tokens * info->output;
}

/* The per-request complexity rule (ignores the cache): strong for a new user instruction or
 * right after a failing tool, cheap otherwise. Sub-agent calls are always cheap. */
static gboolean
wants_strong (const PmEvalTurn *turn)
{
  if (turn->sidechain)
    return FALSE;
  return turn->after_tool_error || turn->user_text_chars > 0;
}

typedef enum
{
  POLICY_RECORDED,
  POLICY_STRONG,
  POLICY_COMPLEXITY,
  POLICY_CACHE_AWARE,
  N_POLICIES
} Policy;

static const char *policy_names[] = {
  "recorded choices",
  "always strong",
  "complexity router (ignores cache)",
  "cache-aware complexity rule (eval baseline)",
};

static gboolean
simulate (PmCatalog         *catalog,
          GPtrArray         *turns,
          Policy             policy,
          const TwoModels   *two,
          guint              horizon,
          PolicyResult      *out,
          GError           **error)
{
  /* Cache slots per chain (0 main, 1 sidechain) and model (by pointer). */
  g_autoptr(GHashTable) slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const PmModelInfo *current[2] = { NULL, NULL };
  const PmModelInfo *last_recorded[2] = { NULL, NULL };
  gboolean started[2] = { FALSE, FALSE };

  for (guint i = 0; i < turns->len; i++)
    {
      PmEvalTurn *turn = g_ptr_array_index (turns, i);
      guint chain = turn->sidechain ? 1 : 0;
      const PmModelInfo *pick = NULL;
      const PmModelInfo *recorded;
      g_autofree char *key = NULL;
      CacheSlot *slot;
      gboolean one_hour = turn->cache_write_1h_tokens > 0;

      switch (policy)
        {
        case POLICY_RECORDED:
          pick = pm_catalog_lookup (catalog, turn->model);
          if (pick == NULL)
            {
              g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "Model %s is not in the catalog", turn->model);
              return FALSE;
            }
          break;
        case POLICY_STRONG:
          pick = two->info[1];
          break;
        case POLICY_COMPLEXITY:
          pick = two->info[wants_strong (turn) ? 1 : 0];
          break;
        case POLICY_CACHE_AWARE:
        case N_POLICIES:
        default:
          {
            const PmModelInfo *want = two->info[wants_strong (turn) ? 1 : 0];
            gint64 prompt = turn->input_tokens + turn->cache_read_tokens +
                            turn->cache_write_5m_tokens + turn->cache_write_1h_tokens;

            pick = want;
            if (current[chain] != NULL && want != current[chain] && want == two->info[0])
              {
                /* Moving down: re-prefill now vs. savings over the expected remaining steps. */
                const PmModelInfo *cur = current[chain];
                double reprefill = prompt * (one_hour ? want->cache_write_1h : want->cache_write_5m);
                double per_step = prompt * (cur->cache_read - want->cache_read) +
                                  MAX (turn->output_tokens, 200) * (cur->output - want->output);

                if (per_step * horizon < reprefill)
                  pick = cur;
              }
          }
          break;
        }

      recorded = pm_catalog_lookup (catalog, turn->model);
      if (recorded == NULL)
        {
          g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "Model %s is not in the catalog", turn->model);
          return FALSE;
        }
      if (current[chain] != NULL && current[chain] != pick)
        out->switches++;
      key = g_strdup_printf ("%u\t%s", chain, pick->id);
      slot = g_hash_table_lookup (slots, key);
      if (slot == NULL)
        {
          slot = g_new0 (CacheSlot, 1);
          g_hash_table_insert (slots, g_steal_pointer (&key), slot);
        }
      if (!started[chain] && pick == recorded)
        {
          /* What the recording found warm at its start (system prompt, tools) was warm. */
          slot->prefix = turn->cache_read_tokens;
          slot->at_us = turn->timestamp_us;
        }
      if (pick == recorded && (!started[chain] || last_recorded[chain] == current[chain]))
        {
          /* Same model as recorded, after the same model as recorded: the recorded split. */
          out->dollars += billed_as_recorded (pick, turn);
          slot->prefix = turn->input_tokens + turn->cache_read_tokens +
                         turn->cache_write_5m_tokens + turn->cache_write_1h_tokens;
          slot->at_us = turn->timestamp_us;
        }
      else
        out->dollars += bill (pick, turn, slot, one_hour);
      started[chain] = TRUE;
      last_recorded[chain] = recorded;
      current[chain] = pick;
      out->requests++;
    }

  return TRUE;
}

/* Pointsman itself on a transcript: the router's replay path (`pointsman-cli replay --format
 * claude-transcript --json`), run as a child of this very binary with a configuration whose pool
 * is the strong and the cheap model. Returns the replay's totals object (caller frees). */
static JsonNode *
replay_totals (const char  *transcript,
               const char  *config_path,
               GError     **error)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) lines = NULL;
  const char *last = NULL;
  int status = 0;
  const char *argv[] = { NULL, "replay", "--config", config_path, "--format", "claude-transcript",
                         "--json", transcript, NULL };

  if (self_exe == NULL)
    return NULL;
  argv[0] = self_exe;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, error))
    return NULL;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "replay failed: %s", err ? g_strstrip (err) : "");
      return NULL;
    }
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*g_strstrip (lines[i]) != '\0')
      last = lines[i];
  if (last == NULL || !json_parser_load_from_data (parser, last, -1, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ||
      !json_object_has_member (json_node_get_object (json_parser_get_root (parser)), "total_cost_usd"))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "replay printed no totals");
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

static void
cleanup_tmpdir (const char *dir)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (dir == NULL || (d = g_dir_open (dir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

static char *
write_replay_config (const char         *dir,
                     const TwoModels    *two,
                     double              tradeoff,
                     GError            **error)
{
  g_autofree char *text = NULL;
  char *path = g_strdup_printf ("%s/config-%.2f.json", dir, tradeoff);

  text = g_strdup_printf ("{\n"
                          "  \"providers\": [{\"id\": \"anthropic\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:9\", \"key\": \"none\"}],\n"
                          "  \"models\": [{\"id\": \"%s\", \"provider\": \"anthropic\"}, {\"id\": \"%s\", \"provider\": \"anthropic\"}],\n"
                          "  \"default_model\": \"%s\",\n"
                          "  \"objective\": {\"tradeoff\": %.2f},\n"
                          "  \"database\": \"%s/requests.db\"\n"
                          "}\n",
                          two->info[1]->id, two->info[0]->id, two->info[1]->id, tradeoff, dir);
  if (!g_file_set_contents (path, text, -1, error))
    {
      g_free (path);
      return NULL;
    }
  return path;
}

static int
eval_transcripts (int argc, char **argv)
{
  g_autofree char *strong = NULL, *cheap = NULL, *catalog_path = NULL;
  g_auto(GStrv) files = NULL;
  gboolean json = FALSE;
  int horizon = 10;
  g_auto(GStrv) tradeoffs = NULL;
  gboolean no_pointsman = FALSE;
  g_autofree char *tmpdir = NULL;
  g_autoptr(GPtrArray) configs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) tradeoff_values = g_array_new (FALSE, FALSE, sizeof (double));
  GOptionEntry entries[] = {
    { "strong", 0, 0, G_OPTION_ARG_STRING, &strong, "Strong model (default claude-opus-4-6)", "MODEL" },
    { "cheap", 0, 0, G_OPTION_ARG_STRING, &cheap, "Cheap model (default claude-haiku-4-5)", "MODEL" },
    { "catalog", 0, 0, G_OPTION_ARG_FILENAME, &catalog_path, "Model catalog (default: the installed one)", "FILE" },
    { "horizon", 0, 0, G_OPTION_ARG_INT, &horizon, "Remaining steps the cache-aware rule amortises a switch over (default 10)", "N" },
    { "tradeoff", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tradeoffs, "Trade-off of a Pointsman row (repeatable; default 0.25, 0.5 and 0.75)", "X" },
    { "no-pointsman", 0, 0, G_OPTION_ARG_NONE, &no_pointsman, "Skip the Pointsman rows (the router's replay)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE.jsonl…" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- cache economics on Claude Code transcripts");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  TwoModels two;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (files == NULL || files[0] == NULL)
    {
      fprintf (stderr, "eval transcripts: give one or more transcript files (.jsonl)\n");
      return 2;
    }

  catalog = catalog_path ? pm_catalog_new_from_file (catalog_path, &error)
                         : pm_catalog_new_default (&error);
  if (catalog == NULL)
    goto fail;
  two.info[1] = pm_catalog_lookup (catalog, strong ? strong : "claude-opus-4-6");
  two.info[0] = pm_catalog_lookup (catalog, cheap ? cheap : "claude-haiku-4-5");
  if (two.info[0] == NULL || two.info[1] == NULL)
    {
      g_set_error (&error, PM_ERROR, PM_ERROR_CONFIG, "The strong or cheap model is not in the catalog");
      goto fail;
    }

  if (!no_pointsman)
    {
      const char *defaults[] = { "0.25", "0.5", "0.75", NULL };
      const char * const *list = tradeoffs ? (const char * const *) tradeoffs : defaults;

      tmpdir = g_dir_make_tmp ("pointsman-eval-XXXXXX", &error);
      if (tmpdir == NULL)
        goto fail;
      for (guint i = 0; list[i] != NULL; i++)
        {
          double x = g_ascii_strtod (list[i], NULL);
          char *path;

          x = CLAMP (x, 0.0, 1.0);
          if (!(path = write_replay_config (tmpdir, &two, x, &error)))
            goto fail;
          g_ptr_array_add (configs, path);
          g_array_append_val (tradeoff_values, x);
        }
    }

  if (json)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dataset");
      json_builder_add_string_value (b, "claude-code-transcripts");
      json_builder_set_member_name (b, "strong");
      json_builder_add_string_value (b, two.info[1]->id);
      json_builder_set_member_name (b, "cheap");
      json_builder_add_string_value (b, two.info[0]->id);
      json_builder_set_member_name (b, "sessions");
      json_builder_begin_array (b);
    }
  else
    printf ("Cache economics on recorded Claude Code sessions (strong %s, cheap %s; prices from the catalog).\n"
            "Token counts are the recorded ones; every policy is billed by one cache simulation\n"
            "(per chain and model: the prefix seen last is cached within its TTL, 5 min or 1 h as recorded).\n",
            two.info[1]->id, two.info[0]->id);

  for (guint f = 0; files[f] != NULL; f++)
    {
      g_autoptr(GPtrArray) turns = pm_eval_load_transcript (files[f], &error);
      g_autofree char *base = NULL;
      double billed = 0;
      PolicyResult res[N_POLICIES] = { { 0 } };
      g_autoptr(GString) pointsman_text = NULL;
      g_autoptr(GPtrArray) totals = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

      if (turns == NULL)
        goto fail;
      base = g_path_get_basename (files[f]);
      for (guint i = 0; i < turns->len; i++)
        {
          PmEvalTurn *turn = g_ptr_array_index (turns, i);
          const PmModelInfo *info = pm_catalog_lookup (catalog, turn->model);

          if (info == NULL)
            {
              g_set_error (&error, PM_ERROR, PM_ERROR_CONFIG, "%s: model %s is not in the catalog",
                           base, turn->model);
              goto fail;
            }
          billed += billed_as_recorded (info, turn);
        }
      for (guint p = 0; p < N_POLICIES; p++)
        {
          res[p].name = policy_names[p];
          if (!simulate (catalog, turns, p, &two, MAX (horizon, 1), &res[p], &error))
            goto fail;
        }

      /* Pointsman: the router's own replay of this file, once per trade-off. */
      for (guint k = 0; k < configs->len; k++)
        {
          JsonNode *node = replay_totals (files[f], g_ptr_array_index (configs, k), &error);

          if (node == NULL)
            goto fail;
          g_ptr_array_add (totals, node);
        }
      if (b == NULL && totals->len > 0)
        {
          JsonObject *t0 = json_node_get_object (g_ptr_array_index (totals, 0));

          pointsman_text = g_string_new (NULL);
          g_string_append_printf (pointsman_text,
                                  "  Pointsman, the router's replay (its own cache simulation; it bills the recorded\n"
                                  "  choices at $%.4f and always-%s at $%.4f):\n",
                                  json_object_get_double_member_with_default (t0, "recorded_cost_usd", 0),
                                  two.info[1]->id,
                                  json_object_get_double_member_with_default (t0, "baseline_cost_usd", 0));
          for (guint k = 0; k < totals->len; k++)
            {
              JsonObject *t = json_node_get_object (g_ptr_array_index (totals, k));
              g_autofree char *name = g_strdup_printf ("Pointsman, tradeoff %.2f",
                                                       g_array_index (tradeoff_values, double, k));

              g_string_append_printf (pointsman_text, "  %-46s %10.4f %9" G_GINT64_FORMAT "\n", name,
                                      json_object_get_double_member (t, "total_cost_usd"),
                                      json_object_get_int_member (t, "switches"));
            }
        }

      if (b)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "file");
          json_builder_add_string_value (b, base);
          json_builder_set_member_name (b, "requests");
          json_builder_add_int_value (b, turns->len);
          json_builder_set_member_name (b, "recorded_billed_usd");
          json_builder_add_double_value (b, billed);
          json_builder_set_member_name (b, "policies");
          json_builder_begin_array (b);
          for (guint p = 0; p < N_POLICIES; p++)
            {
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "name");
              json_builder_add_string_value (b, res[p].name);
              json_builder_set_member_name (b, "usd");
              json_builder_add_double_value (b, res[p].dollars);
              json_builder_set_member_name (b, "switches");
              json_builder_add_int_value (b, res[p].switches);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_set_member_name (b, "pointsman");
          json_builder_begin_array (b);
          for (guint k = 0; k < totals->len; k++)
            {
              JsonObject *t = json_node_get_object (g_ptr_array_index (totals, k));

              json_builder_begin_object (b);
              json_builder_set_member_name (b, "tradeoff");
              json_builder_add_double_value (b, g_array_index (tradeoff_values, double, k));
              json_builder_set_member_name (b, "usd");
              json_builder_add_double_value (b, json_object_get_double_member (t, "total_cost_usd"));
              json_builder_set_member_name (b, "switches");
              json_builder_add_int_value (b, json_object_get_int_member (t, "switches"));
              json_builder_set_member_name (b, "replay_recorded_usd");
              json_builder_add_double_value (b, json_object_get_double_member_with_default (t, "recorded_cost_usd", 0));
              json_builder_set_member_name (b, "replay_default_model_usd");
              json_builder_add_double_value (b, json_object_get_double_member_with_default (t, "baseline_cost_usd", 0));
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      else
        {
          printf ("\n%s: %u API requests; recorded usage billed as reported: $%.4f\n", base, turns->len, billed);
          printf ("  %-46s %10s %9s\n", "policy", "USD", "switches");
          for (guint p = 0; p < N_POLICIES; p++)
            printf ("  %-46s %10.4f %9u\n", res[p].name, res[p].dollars, res[p].switches);
          if (pointsman_text != NULL)
            printf ("%s", pointsman_text->str);
        }
    }

  if (b)
    {
      json_builder_end_array (b);
      json_builder_end_object (b);
      pm_cli_eval_print_json (b);
    }
  cleanup_tmpdir (tmpdir);
  return 0;

fail:
  cleanup_tmpdir (tmpdir);
  fprintf (stderr, "eval transcripts: %s\n", error->message);
  return 1;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int
pm_cli_eval (int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*func) (int, char **);
    const char *summary;
  } subs[] = {
    { "livecodebench", eval_livecodebench, "Effort choice per problem (pass@1 vs reasoning spend)" },
    { "routerbench", eval_routerbench, "MBPP, 11 models, per-prompt costs: train on train, report on test" },
    { "swebench", eval_swebench, "The router (pm_router_decide), escalation and cascades vs single models, hull, oracle" },
    { "transcripts", eval_transcripts, "Cache economics on recorded Claude Code sessions" },
  };

  if (argc >= 2)
    for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
      if (g_str_equal (argv[1], subs[i].name))
        {
          g_autofree char *argv0 = g_strdup_printf ("%s %s", argv[0], subs[i].name);
          char *saved = argv[1];
          int ret;

          argv[1] = argv0;
          ret = subs[i].func (argc - 1, argv + 1);
          argv[1] = saved;
          return ret;
        }

  {
    gboolean help = argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"));
    FILE *out = help ? stdout : stderr;

    if (argc >= 2 && !help)
      fprintf (stderr, "%s: unknown dataset “%s”\n", argv[0], argv[1]);
    fprintf (out, "Usage: %s DATASET [OPTIONS…]\n\nDatasets:\n", argv[0]);
    for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
      fprintf (out, "  %-14s %s\n", subs[i].name, subs[i].summary);
    return help ? 0 : 2;
  }
}
