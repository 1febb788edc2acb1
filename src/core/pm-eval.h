/* pm-eval.h — measuring routing: frontier metrics, baselines and public-data loaders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here is plain computation over per-task × per-model outcome matrices. The data
 * files themselves (SWE-bench per-instance results, LiveCodeBench, RouterBench) are read at run
 * time from wherever the user keeps them; nothing of them is compiled in.
 */
#pragma once

#include <glib.h>

#include "pm-catalog.h"

G_BEGIN_DECLS

/* One operating point: mean cost per task (USD or any cost unit) and mean quality (0..1). */
typedef struct
{
  double cost;
  double quality;
} PmEvalPoint;

/* ---- frontier metrics ------------------------------------------------------------------- */

/* Upper concave frontier of @points together with "do nothing" at (0, 0): the points reachable
 * by randomly mixing the inputs. Returned sorted by cost, starting at (0, 0), strictly
 * increasing in both cost and quality. GArray of PmEvalPoint. */
GArray     *pm_eval_hull                (const PmEvalPoint *points,
                                         guint              n_points);
/* Quality of a frontier (as returned by pm_eval_hull) at @cost: linear between vertices,
 * flat after the last one. */
double      pm_eval_frontier_at         (const PmEvalPoint *frontier,
                                         guint              n_frontier,
                                         double             cost);
/* ∫₀^cost_max (A(c) − B(c)) dc for two frontiers (exact for piecewise-linear curves).
 * Positive when A lies above B. Units: quality × cost. */
double      pm_eval_area_between        (const PmEvalPoint *a,
                                         guint              n_a,
                                         const PmEvalPoint *b,
                                         guint              n_b,
                                         double             cost_max);

/* Mean of (a[i] − b[i]) and its percentile 95 % confidence interval over @reps paired
 * bootstrap resamples of the n indices (deterministic for a given @seed). */
void        pm_eval_paired_bootstrap    (const double      *a,
                                         const double      *b,
                                         guint              n,
                                         guint              reps,
                                         guint32            seed,
                                         double            *mean,
                                         double            *lo,
                                         double            *hi);
/* Area under the ROC curve of @scores for binary @labels (ties count one half).
 * Returns NAN when one class is empty. */
double      pm_eval_auc                 (const double      *scores,
                                         const gboolean    *labels,
                                         guint              n);

/* ---- outcome matrices ------------------------------------------------------------------- */

typedef struct _PmEvalMatrix PmEvalMatrix;

struct _PmEvalMatrix
{
  guint    n_tasks;
  guint    n_models;
  char   **task_ids;      /* n_tasks, NULL-terminated */
  char   **task_texts;    /* n_tasks (entries may be NULL), NULL-terminated or NULL */
  char   **task_groups;   /* n_tasks: difficulty or split label (entries may be NULL), or NULL */
  char   **model_ids;     /* n_models, NULL-terminated */
  double  *quality;       /* n_tasks × n_models, row-major: 0..1 (resolved, pass@1) */
  double  *cost;          /* n_tasks × n_models: USD per task, NAN when the data has none */
  double  *steps;         /* n_tasks × n_models: agent steps (api_calls), 0 when unknown */
};

#define PM_EVAL_AT(m, field, t, j) ((m)->field[(gsize) (t) * (m)->n_models + (j)])

PmEvalMatrix *pm_eval_matrix_new        (guint              n_tasks,
                                         guint              n_models);
void          pm_eval_matrix_free       (PmEvalMatrix      *self);
int           pm_eval_matrix_find_model (const PmEvalMatrix *self,
                                         const char        *model_id);
/* A copy with only the tasks in @tasks (indices into @self), in that order. */
PmEvalMatrix *pm_eval_matrix_subset     (const PmEvalMatrix *self,
                                         const guint       *tasks,
                                         guint              n_tasks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmEvalMatrix, pm_eval_matrix_free)

/* Mean quality and cost of always using model @j. */
PmEvalPoint   pm_eval_single_model      (const PmEvalMatrix *self,
                                         guint              j);
/* Oracle: for each task the cheapest model that succeeds (quality ≥ 0.5); when none does,
 * the task counts as failed at the cost of the cheapest model on it. Per-task outcomes are
 * written to @per_task_quality / @per_task_cost when not NULL (n_tasks each). */
PmEvalPoint   pm_eval_oracle            (const PmEvalMatrix *self,
                                         double            *per_task_quality,
                                         double            *per_task_cost);

/* SWE-bench per-instance CSV (instance_id,submission,resolved,cost_usd,api_calls) and,
 * optionally, the problems JSONL (instance_id, repo, problem_statement, difficulty …).
 * Submissions whose name contains one of @exclude are skipped. Only instances that every kept
 * submission has (and that the problems file has, when given) are kept. Model ids are the
 * short names of pm_eval_short_model_name (). */
PmEvalMatrix *pm_eval_load_swebench     (const char        *problems_path,
                                         const char        *results_path,
                                         const char * const *exclude,
                                         GError           **error);
/* "20251124_mini-v1.16.0_claude-opus-4-5-20251101" → "claude-opus-4-5". */
char         *pm_eval_short_model_name  (const char        *submission);
/* The catalog id for a short model name ("gemini-3-pro-preview" → "gemini-3-pro",
 * "sonnet-4-5" → "claude-sonnet-4-5", "kimi-k2-instruct" → "kimi-k2"), or NULL. */
const char   *pm_eval_catalog_id        (PmCatalog         *catalog,
                                         const char        *short_name);
/* LiveCodeBench generation CSV (question_id,platform,difficulty,contest_date,model,pass_at_1):
 * quality = pass@1 / 100, task_groups = difficulty, cost = NAN. Only problems every model has. */
PmEvalMatrix *pm_eval_load_livecodebench (const char       *path,
                                          GError          **error);
/* RouterBench CSV (sample_id,prompt,eval_name, <model>|score …, <model>|total_cost …). */
PmEvalMatrix *pm_eval_load_routerbench  (const char        *path,
                                         GError           **error);

/* Minimal RFC 4180 CSV: quoted fields with "" escapes and embedded newlines. Returns a
 * GPtrArray of rows, each a GStrv. */
GPtrArray    *pm_eval_parse_csv         (const char        *data,
                                         gsize              length);

/* ---- cascades ----------------------------------------------------------------------------- */

/* A cascade on observable signals: run @first; if it has not finished after @max_steps agent
 * steps (its api_calls exceed it), stop it and run @second from scratch. The first run is
 * charged pro rata to the steps taken (a conservative estimate: later steps carry more
 * context and cost more). Or, when @max_spend > 0, stop @first once its spend so far (which
 * the proxy sees in every response's usage) exceeds @max_spend, charged exactly that.
 * max_steps ≤ 0 and max_spend ≤ 0 means never escalate. */
typedef struct
{
  guint  first;
  guint  second;
  double max_steps;
  double max_spend;
} PmEvalCascade;

void          pm_eval_cascade_task      (const PmEvalMatrix *self,
                                         guint              task,
                                         const PmEvalCascade *cascade,
                                         double            *quality,
                                         double            *cost);
/* A cascade with a simulated verifier (NOT observable routing): after @first finishes, a
 * verifier flags a failed run with probability @recall and a successful one with probability
 * @false_alarm; flagged runs are redone on @second. Expected values over the tasks. */
PmEvalPoint   pm_eval_verifier_cascade  (const PmEvalMatrix *self,
                                         guint              first,
                                         guint              second,
                                         double             recall,
                                         double             false_alarm);

/* ---- Claude Code transcripts -------------------------------------------------------------- */

/* One API response of a recorded session (deduplicated by requestId). */
typedef struct
{
  char    *request_id;
  char    *model;
  gboolean sidechain;          /* sub-agent call */
  gint64   input_tokens;       /* uncached */
  gint64   cache_read_tokens;
  gint64   cache_write_5m_tokens;
  gint64   cache_write_1h_tokens;
  gint64   output_tokens;
  gint64   timestamp_us;       /* 0 when absent */
  guint    n_tool_uses;        /* tool_use blocks in the response */
  gboolean after_tool_error;   /* the user turn before it carried an is_error tool result */
  guint    user_text_chars;    /* length of the latest user text (0 for tool results) */
} PmEvalTurn;

void          pm_eval_turn_free         (PmEvalTurn        *turn);
/* GPtrArray of PmEvalTurn in file order. */
GPtrArray    *pm_eval_load_transcript   (const char        *path,
                                         GError           **error);

G_END_DECLS
