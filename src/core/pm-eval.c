/* pm-eval.c — frontier metrics, baselines, cascades and outcome matrices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-eval"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "pm-eval.h"
#include "pm-types.h"

/* ---- frontier metrics ------------------------------------------------------------------- */

static int
compare_points (gconstpointer a,
                gconstpointer b)
{
  const PmEvalPoint *pa = a;
  const PmEvalPoint *pb = b;

  if (pa->cost != pb->cost)
    return pa->cost < pb->cost ? -1 : 1;
  if (pa->quality != pb->quality)
    return pa->quality > pb->quality ? -1 : 1;
  return 0;
}

static double
cross (const PmEvalPoint *o,
       const PmEvalPoint *a,
       const PmEvalPoint *b)
{
  return (a->cost - o->cost) * (b->quality - o->quality) -
         (a->quality - o->quality) * (b->cost - o->cost);
}

GArray *
pm_eval_hull (const PmEvalPoint *points,
              guint              n_points)
{
  g_autoptr(GArray) sorted = g_array_new (FALSE, FALSE, sizeof (PmEvalPoint));
  GArray *hull = g_array_new (FALSE, FALSE, sizeof (PmEvalPoint));
  PmEvalPoint origin = { 0.0, 0.0 };
  guint best = 0;

  g_return_val_if_fail (points != NULL || n_points == 0, hull);

  g_array_append_val (sorted, origin);
  for (guint i = 0; i < n_points; i++)
    {
      if (!isfinite (points[i].cost) || !isfinite (points[i].quality) || points[i].cost < 0)
        continue;
      g_array_append_val (sorted, points[i]);
    }
  g_array_sort (sorted, compare_points);

  for (guint i = 0; i < sorted->len; i++)
    {
      const PmEvalPoint *p = &g_array_index (sorted, PmEvalPoint, i);

      /* Same cost as the previous candidate: sorted best quality first, so skip. */
      if (i > 0 && p->cost == g_array_index (sorted, PmEvalPoint, i - 1).cost)
        continue;

      while (hull->len >= 2 &&
             cross (&g_array_index (hull, PmEvalPoint, hull->len - 2),
                    &g_array_index (hull, PmEvalPoint, hull->len - 1),
                    p) >= 0.0)
        g_array_set_size (hull, hull->len - 1);
      g_array_append_val (hull, *p);
    }

  /* Keep the rising part only: past the best quality, paying more buys nothing. */
  for (guint i = 0; i < hull->len; i++)
    if (g_array_index (hull, PmEvalPoint, i).quality >
        g_array_index (hull, PmEvalPoint, best).quality)
      best = i;
  g_array_set_size (hull, best + 1);

  return hull;
}

double
pm_eval_frontier_at (const PmEvalPoint *frontier,
                     guint              n_frontier,
                     double             cost)
{
  g_return_val_if_fail (frontier != NULL && n_frontier > 0, 0.0);

  if (cost <= frontier[0].cost)
    return frontier[0].quality;

  for (guint i = 1; i < n_frontier; i++)
    {
      if (cost <= frontier[i].cost)
        {
          double span = frontier[i].cost - frontier[i - 1].cost;
          double t = span > 0 ? (cost - frontier[i - 1].cost) / span : 1.0;

          return frontier[i - 1].quality + t * (frontier[i].quality - frontier[i - 1].quality);
        }
    }

  return frontier[n_frontier - 1].quality;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double da = *(const double *) a;
  double db = *(const double *) b;

  return da < db ? -1 : da > db ? 1 : 0;
}

double
pm_eval_area_between (const PmEvalPoint *a,
                      guint              n_a,
                      const PmEvalPoint *b,
                      guint              n_b,
                      double             cost_max)
{
  g_autoptr(GArray) xs = g_array_new (FALSE, FALSE, sizeof (double));
  double zero = 0.0;
  double area = 0.0;

  g_return_val_if_fail (a != NULL && n_a > 0, 0.0);
  g_return_val_if_fail (b != NULL && n_b > 0, 0.0);

  if (cost_max <= 0)
    return 0.0;

  g_array_append_val (xs, zero);
  g_array_append_val (xs, cost_max);
  for (guint i = 0; i < n_a; i++)
    if (a[i].cost > 0 && a[i].cost < cost_max)
      g_array_append_val (xs, a[i].cost);
  for (guint i = 0; i < n_b; i++)
    if (b[i].cost > 0 && b[i].cost < cost_max)
      g_array_append_val (xs, b[i].cost);
  g_array_sort (xs, compare_doubles);

  /* Between consecutive break points both curves are linear: the trapezoid is exact. */
  for (guint i = 1; i < xs->len; i++)
    {
      double x0 = g_array_index (xs, double, i - 1);
      double x1 = g_array_index (xs, double, i);
      double d0 = pm_eval_frontier_at (a, n_a, x0) - pm_eval_frontier_at (b, n_b, x0);
      double d1 = pm_eval_frontier_at (a, n_a, x1) - pm_eval_frontier_at (b, n_b, x1);

      area += 0.5 * (d0 + d1) * (x1 - x0);
    }

  return area;
}

void
pm_eval_paired_bootstrap (const double *a,
                          const double *b,
                          guint         n,
                          guint         reps,
                          guint32       seed,
                          double       *mean,
                          double       *lo,
                          double       *hi)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree double *means = NULL;
  double sum = 0.0;

  g_return_if_fail (a != NULL && b != NULL && n > 0 && reps > 0);

  for (guint i = 0; i < n; i++)
    sum += a[i] - b[i];
  if (mean)
    *mean = sum / n;

  means = g_new (double, reps);
  for (guint r = 0; r < reps; r++)
    {
      double s = 0.0;

      for (guint i = 0; i < n; i++)
        {
          guint k = g_rand_int_range (rand, 0, (gint32) n);
          s += a[k] - b[k];
        }
      means[r] = s / n;
    }
  qsort (means, reps, sizeof (double), (int (*) (const void *, const void *)) compare_doubles);

  if (lo)
    *lo = means[(guint) floor (0.025 * (reps - 1))];
  if (hi)
    *hi = means[(guint) ceil (0.975 * (reps - 1))];
}

typedef struct
{
  double   score;
  gboolean label;
} ScoredLabel;

static int
compare_scored (const void *a,
                const void *b)
{
  const ScoredLabel *sa = a;
  const ScoredLabel *sb = b;

  return sa->score < sb->score ? -1 : sa->score > sb->score ? 1 : 0;
}

double
pm_eval_auc (const double   *scores,
             const gboolean *labels,
             guint           n)
{
  g_autofree ScoredLabel *v = NULL;
  double rank_sum = 0.0;
  guint n_pos = 0;
  guint i = 0;

  g_return_val_if_fail (scores != NULL && labels != NULL, NAN);

  v = g_new (ScoredLabel, MAX (n, 1));
  for (guint k = 0; k < n; k++)
    {
      v[k].score = scores[k];
      v[k].label = labels[k] ? TRUE : FALSE;
      n_pos += v[k].label;
    }
  if (n_pos == 0 || n_pos == n)
    return NAN;

  qsort (v, n, sizeof *v, compare_scored);
  while (i < n)
    {
      guint j = i;
      double avg_rank;

      while (j + 1 < n && v[j + 1].score == v[i].score)
        j++;
      avg_rank = 0.5 * ((i + 1) + (j + 1));
      for (guint k = i; k <= j; k++)
        if (v[k].label)
          rank_sum += avg_rank;
      i = j + 1;
    }

  return (rank_sum - 0.5 * n_pos * (n_pos + 1.0)) / ((double) n_pos * (double) (n - n_pos));
}

/* ---- outcome matrices ------------------------------------------------------------------- */

PmEvalMatrix *
pm_eval_matrix_new (guint n_tasks,
                    guint n_models)
{
  PmEvalMatrix *self = g_new0 (PmEvalMatrix, 1);
  gsize cells = (gsize) n_tasks * n_models;

  self->n_tasks = n_tasks;
  self->n_models = n_models;
  self->task_ids = g_new0 (char *, n_tasks + 1);
  self->task_texts = g_new0 (char *, n_tasks + 1);
  self->task_groups = g_new0 (char *, n_tasks + 1);
  self->model_ids = g_new0 (char *, n_models + 1);
  self->quality = g_new0 (double, MAX (cells, 1));
  self->cost = g_new0 (double, MAX (cells, 1));
  self->steps = g_new0 (double, MAX (cells, 1));

  return self;
}

static void
free_sparse_strv (char **v,
                  guint  n)
{
  if (v == NULL)
    return;
  for (guint i = 0; i < n; i++)
    g_free (v[i]);
  g_free (v);
}

void
pm_eval_matrix_free (PmEvalMatrix *self)
{
  if (self == NULL)
    return;

  free_sparse_strv (self->task_ids, self->n_tasks);
  free_sparse_strv (self->task_texts, self->n_tasks);
  free_sparse_strv (self->task_groups, self->n_tasks);
  free_sparse_strv (self->model_ids, self->n_models);
  g_free (self->quality);
  g_free (self->cost);
  g_free (self->steps);
  g_free (self);
}

int
pm_eval_matrix_find_model (const PmEvalMatrix *self,
                           const char         *model_id)
{
  g_return_val_if_fail (self != NULL && model_id != NULL, -1);

  for (guint j = 0; j < self->n_models; j++)
    if (g_str_equal (self->model_ids[j], model_id))
      return (int) j;

  /* Unambiguous substring match ("gemini-3" for "gemini-3-pro-preview"). */
  {
    int found = -1;

    for (guint j = 0; j < self->n_models; j++)
      {
        if (strstr (self->model_ids[j], model_id) != NULL)
          {
            if (found >= 0)
              return -1;
            found = (int) j;
          }
      }
    return found;
  }
}

PmEvalMatrix *
pm_eval_matrix_subset (const PmEvalMatrix *self,
                       const guint        *tasks,
                       guint               n_tasks)
{
  PmEvalMatrix *sub;

  g_return_val_if_fail (self != NULL, NULL);

  sub = pm_eval_matrix_new (n_tasks, self->n_models);
  for (guint j = 0; j < self->n_models; j++)
    sub->model_ids[j] = g_strdup (self->model_ids[j]);
  for (guint i = 0; i < n_tasks; i++)
    {
      guint t = tasks[i];

      g_return_val_if_fail (t < self->n_tasks, sub);
      sub->task_ids[i] = g_strdup (self->task_ids[t]);
      sub->task_texts[i] = g_strdup (self->task_texts[t]);
      sub->task_groups[i] = g_strdup (self->task_groups[t]);
      for (guint j = 0; j < self->n_models; j++)
        {
          PM_EVAL_AT (sub, quality, i, j) = PM_EVAL_AT (self, quality, t, j);
          PM_EVAL_AT (sub, cost, i, j) = PM_EVAL_AT (self, cost, t, j);
          PM_EVAL_AT (sub, steps, i, j) = PM_EVAL_AT (self, steps, t, j);
        }
    }

  return sub;
}

PmEvalPoint
pm_eval_single_model (const PmEvalMatrix *self,
                      guint               j)
{
  PmEvalPoint p = { 0.0, 0.0 };

  g_return_val_if_fail (self != NULL && j < self->n_models, p);

  if (self->n_tasks == 0)
    return p;

  for (guint t = 0; t < self->n_tasks; t++)
    {
      p.quality += PM_EVAL_AT (self, quality, t, j);
      p.cost += PM_EVAL_AT (self, cost, t, j);
    }
  p.quality /= self->n_tasks;
  p.cost /= self->n_tasks;

  return p;
}

PmEvalPoint
pm_eval_oracle (const PmEvalMatrix *self,
                double             *per_task_quality,
                double             *per_task_cost)
{
  PmEvalPoint p = { 0.0, 0.0 };

  g_return_val_if_fail (self != NULL, p);

  for (guint t = 0; t < self->n_tasks; t++)
    {
      double best_ok = INFINITY;
      double cheapest = INFINITY;
      double q, c;

      for (guint j = 0; j < self->n_models; j++)
        {
          double cj = PM_EVAL_AT (self, cost, t, j);

          if (!isfinite (cj))
            cj = 0.0;
          cheapest = MIN (cheapest, cj);
          if (PM_EVAL_AT (self, quality, t, j) >= 0.5)
            best_ok = MIN (best_ok, cj);
        }

      if (isfinite (best_ok))
        {
          q = 1.0;
          c = best_ok;
        }
      else
        {
          q = 0.0;
          c = isfinite (cheapest) ? cheapest : 0.0;
        }

      if (per_task_quality)
        per_task_quality[t] = q;
      if (per_task_cost)
        per_task_cost[t] = c;
      p.quality += q;
      p.cost += c;
    }

  if (self->n_tasks > 0)
    {
      p.quality /= self->n_tasks;
      p.cost /= self->n_tasks;
    }

  return p;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

GPtrArray *
pm_eval_parse_csv (const char *data,
                   gsize       length)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) row = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  gboolean quoted = FALSE;
  gboolean row_has_content = FALSE;
  gsize i = 0;

  g_return_val_if_fail (data != NULL || length == 0, rows);

  while (i <= length)
    {
      char c = i < length ? data[i] : '\0';
      gboolean at_end = i == length;

      if (quoted && !at_end)
        {
          if (c == '"')
            {
              if (i + 1 < length && data[i + 1] == '"')
                {
                  g_string_append_c (field, '"');
                  i++;
                }
              else
                quoted = FALSE;
            }
          else
            g_string_append_c (field, c);
        }
      else if (c == '"' && !at_end)
        {
          quoted = TRUE;
          row_has_content = TRUE;
        }
      else if (c == ',' && !at_end)
        {
          g_ptr_array_add (row, g_strdup (field->str));
          g_string_truncate (field, 0);
          row_has_content = TRUE;
        }
      else if (c == '\n' || c == '\r' || at_end)
        {
          if (row_has_content || field->len > 0)
            {
              g_ptr_array_add (row, g_strdup (field->str));
              g_ptr_array_add (row, NULL);
              g_ptr_array_add (rows, g_ptr_array_steal (row, NULL));
              g_ptr_array_set_free_func (row, g_free);
            }
          g_string_truncate (field, 0);
          row_has_content = FALSE;
          if (c == '\r' && i + 1 < length && data[i + 1] == '\n')
            i++;
        }
      else
        {
          g_string_append_c (field, c);
          row_has_content = TRUE;
        }
      i++;
    }

  return rows;
}

static GPtrArray *
read_csv_file (const char  *path,
               guint        min_columns,
               GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  GPtrArray *rows;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;

  rows = pm_eval_parse_csv (contents, length);
  if (rows->len < 2 || g_strv_length (g_ptr_array_index (rows, 0)) < min_columns)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: not the expected CSV (need a header with at least %u columns and data rows)",
                   path, min_columns);
      g_ptr_array_unref (rows);
      return NULL;
    }

  return rows;
}

static int
column_index (char       **header,
              const char  *name)
{
  for (guint i = 0; header[i] != NULL; i++)
    if (g_str_equal (header[i], name))
      return (int) i;
  return -1;
}

static gboolean
parse_number (const char *s,
              double     *out)
{
  char *end = NULL;

  if (s == NULL || *s == '\0')
    return FALSE;
  *out = g_ascii_strtod (s, &end);
  return end != NULL && *end == '\0' && isfinite (*out);
}

/* ---- SWE-bench ------------------------------------------------------------------------------ */

char *
pm_eval_short_model_name (const char *submission)
{
  g_autoptr(GRegex) prefix = NULL;
  g_autoptr(GRegex) suffix = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_return_val_if_fail (submission != NULL, NULL);

  prefix = g_regex_new ("^(\\d{8}_)?(mini-v[0-9.]+[_-])?", 0, 0, NULL);
  suffix = g_regex_new ("-(\\d{8}|\\d{4}-\\d{2}-\\d{2})$", 0, 0, NULL);
  a = g_regex_replace_literal (prefix, submission, -1, 0, "", 0, NULL);
  b = g_regex_replace_literal (suffix, a, -1, 0, "", 0, NULL);

  return g_ascii_strdown (b, -1);
}

const char *
pm_eval_catalog_id (PmCatalog  *catalog,
                    const char *short_name)
{
  const PmModelInfo *info;

  g_return_val_if_fail (catalog != NULL && short_name != NULL, NULL);

  if ((info = pm_catalog_lookup (catalog, short_name)) != NULL)
    return info->id;
  if (g_str_has_prefix (short_name, "sonnet-") || g_str_has_prefix (short_name, "opus-") ||
      g_str_has_prefix (short_name, "haiku-"))
    {
      g_autofree char *with_vendor = g_strconcat ("claude-", short_name, NULL);

      if ((info = pm_catalog_lookup (catalog, with_vendor)) != NULL)
        return info->id;
    }
  if (g_str_has_suffix (short_name, "-instruct"))
    {
      g_autofree char *bare = g_strndup (short_name, strlen (short_name) - strlen ("-instruct"));

      if ((info = pm_catalog_lookup (catalog, bare)) != NULL)
        return info->id;
    }
  return NULL;
}

typedef struct
{
  char  *text;
  char  *group;
} Problem;

static void
problem_free (gpointer data)
{
  Problem *p = data;

  g_free (p->text);
  g_free (p->group);
  g_free (p);
}

static GHashTable *
load_problems (const char  *path,
               GError     **error)
{
  g_autoptr(GHashTable) problems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          problem_free);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;
      JsonObject *obj;
      const char *id, *repo, *statement, *difficulty;
      Problem *p;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      obj = json_node_get_object (root);
      id = json_object_get_string_member_with_default (obj, "instance_id", NULL);
      if (id == NULL)
        continue;
      repo = json_object_get_string_member_with_default (obj, "repo", "");
      statement = json_object_get_string_member_with_default (obj, "problem_statement", "");
      difficulty = json_object_get_string_member_with_default (obj, "difficulty", NULL);

      p = g_new0 (Problem, 1);
      p->text = g_strdup_printf ("%s\n%s", repo, statement);
      p->group = g_strdup (difficulty);
      g_hash_table_replace (problems, g_strdup (id), p);
    }

  if (g_hash_table_size (problems) == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: no problems (expected JSON lines with instance_id)", path);
      return NULL;
    }

  return g_steal_pointer (&problems);
}

static int
compare_str_ptrs (gconstpointer a,
                  gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

typedef struct
{
  double resolved;
  double cost;
  double calls;
} Cell;

PmEvalMatrix *
pm_eval_load_swebench (const char         *problems_path,
                       const char         *results_path,
                       const char * const *exclude,
                       GError            **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) problems = NULL;
  g_autoptr(GHashTable) cells = NULL;    /* "task\tsubmission" → Cell */
  g_autoptr(GHashTable) task_set = NULL;
  g_autoptr(GPtrArray) submissions = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new ();
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  g_autoptr(GHashTable) seen_sub = g_hash_table_new (g_str_hash, g_str_equal);
  char **header;
  int c_id, c_sub, c_res, c_cost, c_calls;
  PmEvalMatrix *m;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (results_path != NULL, NULL);

  if (!(rows = read_csv_file (results_path, 5, error)))
    return NULL;
  if (problems_path != NULL && !(problems = load_problems (problems_path, error)))
    return NULL;

  header = g_ptr_array_index (rows, 0);
  c_id = column_index (header, "instance_id");
  c_sub = column_index (header, "submission");
  c_res = column_index (header, "resolved");
  c_cost = column_index (header, "cost_usd");
  c_calls = column_index (header, "api_calls");
  if (c_id < 0 || c_sub < 0 || c_res < 0 || c_cost < 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: missing one of instance_id, submission, resolved, cost_usd", results_path);
      return NULL;
    }

  cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  task_set = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint r = 1; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      guint n = g_strv_length (row);
      gboolean skip = FALSE;
      Cell cell = { 0, 0, 0 };

      if (n <= (guint) MAX (MAX (c_id, c_sub), MAX (c_res, c_cost)) || (c_calls >= 0 && n <= (guint) c_calls))
        continue;
      for (guint e = 0; exclude != NULL && exclude[e] != NULL; e++)
        if (*exclude[e] && strstr (row[c_sub], exclude[e]) != NULL)
          skip = TRUE;
      if (skip)
        continue;
      if (!parse_number (row[c_res], &cell.resolved) || !parse_number (row[c_cost], &cell.cost))
        continue;
      if (c_calls >= 0)
        parse_number (row[c_calls], &cell.calls);
      if (problems != NULL && !g_hash_table_contains (problems, row[c_id]))
        continue;

      if (!g_hash_table_contains (seen_sub, row[c_sub]))
        {
          char *s = g_strdup (row[c_sub]);

          g_ptr_array_add (submissions, s);
          g_hash_table_add (seen_sub, s);
        }
      g_hash_table_add (task_set, row[c_id]);
      g_hash_table_replace (cells, g_strdup_printf ("%s\t%s", row[c_id], row[c_sub]),
                            g_memdup2 (&cell, sizeof cell));
    }

  /* Keep tasks that every submission has. */
  g_hash_table_iter_init (&iter, task_set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      gboolean complete = TRUE;

      for (guint j = 0; j < submissions->len && complete; j++)
        {
          g_autofree char *k = g_strdup_printf ("%s\t%s", (char *) key,
                                                (char *) g_ptr_array_index (submissions, j));
          complete = g_hash_table_contains (cells, k);
        }
      if (complete)
        g_ptr_array_add (tasks, key);
    }
  g_ptr_array_sort (tasks, compare_str_ptrs);

  if (tasks->len == 0 || submissions->len == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: no instance is present for every submission", results_path);
      return NULL;
    }

  m = pm_eval_matrix_new (tasks->len, submissions->len);
  for (guint j = 0; j < submissions->len; j++)
    m->model_ids[j] = pm_eval_short_model_name (g_ptr_array_index (submissions, j));
  for (guint t = 0; t < tasks->len; t++)
    {
      const char *id = g_ptr_array_index (tasks, t);

      m->task_ids[t] = g_strdup (id);
      if (problems != NULL)
        {
          Problem *p = g_hash_table_lookup (problems, id);

          m->task_texts[t] = g_strdup (p->text);
          m->task_groups[t] = g_strdup (p->group);
        }
      for (guint j = 0; j < submissions->len; j++)
        {
          g_autofree char *k = g_strdup_printf ("%s\t%s", id,
                                                (char *) g_ptr_array_index (submissions, j));
          Cell *cell = g_hash_table_lookup (cells, k);

          PM_EVAL_AT (m, quality, t, j) = cell->resolved >= 0.5 ? 1.0 : 0.0;
          PM_EVAL_AT (m, cost, t, j) = cell->cost;
          PM_EVAL_AT (m, steps, t, j) = cell->calls;
        }
    }

  return m;
}

/* ---- LiveCodeBench ------------------------------------------------------------------------- */

PmEvalMatrix *
pm_eval_load_livecodebench (const char  *path,
                            GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) models = g_ptr_array_new ();
  g_autoptr(GPtrArray) tasks = g_ptr_array_new ();
  g_autoptr(GHashTable) model_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) task_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) task_group = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GArray) keep = g_array_new (FALSE, FALSE, sizeof (guint));
  char **header;
  int c_q, c_diff, c_model, c_pass;
  PmEvalMatrix *m;

  if (!(rows = read_csv_file (path, 6, error)))
    return NULL;

  header = g_ptr_array_index (rows, 0);
  c_q = column_index (header, "question_id");
  c_diff = column_index (header, "difficulty");
  c_model = column_index (header, "model");
  c_pass = column_index (header, "pass_at_1");
  if (c_q < 0 || c_model < 0 || c_pass < 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: missing one of question_id, model, pass_at_1", path);
      return NULL;
    }

  for (guint r = 1; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      double pass;

      if (g_strv_length (row) <= (guint) MAX (MAX (c_q, c_model), MAX (c_pass, c_diff)))
        continue;
      if (!parse_number (row[c_pass], &pass))
        continue;
      if (!g_hash_table_contains (model_index, row[c_model]))
        {
          g_hash_table_insert (model_index, row[c_model], GUINT_TO_POINTER (models->len + 1));
          g_ptr_array_add (models, row[c_model]);
        }
      if (!g_hash_table_contains (task_index, row[c_q]))
        {
          g_hash_table_insert (task_index, row[c_q], GUINT_TO_POINTER (tasks->len + 1));
          g_ptr_array_add (tasks, row[c_q]);
          if (c_diff >= 0)
            g_hash_table_insert (task_group, row[c_q], row[c_diff]);
        }
      pass /= 100.0;
      g_hash_table_replace (values, g_strdup_printf ("%s\t%s", row[c_q], row[c_model]),
                            g_memdup2 (&pass, sizeof pass));
    }

  for (guint t = 0; t < tasks->len; t++)
    {
      gboolean complete = TRUE;

      for (guint j = 0; j < models->len && complete; j++)
        {
          g_autofree char *k = g_strdup_printf ("%s\t%s", (char *) g_ptr_array_index (tasks, t),
                                                (char *) g_ptr_array_index (models, j));
          complete = g_hash_table_contains (values, k);
        }
      if (complete)
        g_array_append_val (keep, t);
    }

  if (keep->len == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: no problem has a result for every model", path);
      return NULL;
    }

  m = pm_eval_matrix_new (keep->len, models->len);
  for (guint j = 0; j < models->len; j++)
    m->model_ids[j] = g_strdup (g_ptr_array_index (models, j));
  for (guint i = 0; i < keep->len; i++)
    {
      const char *id = g_ptr_array_index (tasks, g_array_index (keep, guint, i));

      m->task_ids[i] = g_strdup (id);
      m->task_groups[i] = g_strdup (g_hash_table_lookup (task_group, id));
      for (guint j = 0; j < models->len; j++)
        {
          g_autofree char *k = g_strdup_printf ("%s\t%s", id,
                                                (char *) g_ptr_array_index (models, j));

          PM_EVAL_AT (m, quality, i, j) = *(double *) g_hash_table_lookup (values, k);
          PM_EVAL_AT (m, cost, i, j) = NAN;
        }
    }

  return m;
}

/* ---- RouterBench ----------------------------------------------------------------------------- */

PmEvalMatrix *
pm_eval_load_routerbench (const char  *path,
                          GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) score_cols = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) cost_cols = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) keep = g_array_new (FALSE, FALSE, sizeof (guint));
  char **header;
  int c_id, c_prompt;
  guint ncols;
  PmEvalMatrix *m;

  if (!(rows = read_csv_file (path, 4, error)))
    return NULL;

  header = g_ptr_array_index (rows, 0);
  ncols = g_strv_length (header);
  c_id = column_index (header, "sample_id");
  c_prompt = column_index (header, "prompt");
  for (guint i = 0; i < ncols; i++)
    {
      if (g_str_has_suffix (header[i], "|score"))
        {
          g_autofree char *name = g_strndup (header[i], strlen (header[i]) - strlen ("|score"));
          g_autofree char *cost_name = g_strconcat (name, "|total_cost", NULL);
          int cc = column_index (header, cost_name);
          int ii = (int) i;

          if (cc < 0)
            continue;
          g_array_append_val (score_cols, ii);
          g_array_append_val (cost_cols, cc);
          g_ptr_array_add (names, g_steal_pointer (&name));
        }
    }
  if (c_id < 0 || names->len == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: expected sample_id and <model>|score / <model>|total_cost columns", path);
      return NULL;
    }

  for (guint r = 1; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      gboolean ok = g_strv_length (row) == ncols;

      for (guint j = 0; ok && j < names->len; j++)
        {
          double v;

          ok = parse_number (row[g_array_index (score_cols, int, j)], &v) &&
               parse_number (row[g_array_index (cost_cols, int, j)], &v);
        }
      if (ok)
        g_array_append_val (keep, r);
    }
  if (keep->len == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "%s: no complete rows", path);
      return NULL;
    }

  m = pm_eval_matrix_new (keep->len, names->len);
  for (guint j = 0; j < names->len; j++)
    m->model_ids[j] = g_strdup (g_ptr_array_index (names, j));
  for (guint i = 0; i < keep->len; i++)
    {
      char **row = g_ptr_array_index (rows, g_array_index (keep, guint, i));

      m->task_ids[i] = g_strdup (row[c_id]);
      m->task_texts[i] = c_prompt >= 0 ? g_strdup (row[c_prompt]) : NULL;
      for (guint j = 0; j < names->len; j++)
        {
          double s = 0, c = 0;

          parse_number (row[g_array_index (score_cols, int, j)], &s);
          parse_number (row[g_array_index (cost_cols, int, j)], &c);
          PM_EVAL_AT (m, quality, i, j) = s;
          PM_EVAL_AT (m, cost, i, j) = c;
        }
    }

  return m;
}

/* ---- cascades ---------------------------------------------------------------------------- */

void
pm_eval_cascade_task (const PmEvalMatrix  *self,
                      guint                task,
                      const PmEvalCascade *cascade,
                      double              *quality,
                      double              *cost)
{
  double q1, c1, s1;

  g_return_if_fail (self != NULL && cascade != NULL && task < self->n_tasks);
  g_return_if_fail (cascade->first < self->n_models && cascade->second < self->n_models);

  q1 = PM_EVAL_AT (self, quality, task, cascade->first);
  c1 = PM_EVAL_AT (self, cost, task, cascade->first);
  s1 = PM_EVAL_AT (self, steps, task, cascade->first);

  if (cascade->first != cascade->second && cascade->max_spend > 0)
    {
      if (c1 <= cascade->max_spend)
        {
          *quality = q1;
          *cost = c1;
          return;
        }
      *quality = PM_EVAL_AT (self, quality, task, cascade->second);
      *cost = cascade->max_spend + PM_EVAL_AT (self, cost, task, cascade->second);
      return;
    }

  if (cascade->max_steps <= 0 || s1 <= cascade->max_steps || cascade->first == cascade->second)
    {
      *quality = q1;
      *cost = c1;
      return;
    }

  *quality = PM_EVAL_AT (self, quality, task, cascade->second);
  *cost = c1 * (cascade->max_steps / s1) + PM_EVAL_AT (self, cost, task, cascade->second);
}

PmEvalPoint
pm_eval_verifier_cascade (const PmEvalMatrix *self,
                          guint               first,
                          guint               second,
                          double              recall,
                          double              false_alarm)
{
  PmEvalPoint p = { 0.0, 0.0 };

  g_return_val_if_fail (self != NULL && first < self->n_models && second < self->n_models, p);

  for (guint t = 0; t < self->n_tasks; t++)
    {
      gboolean ok1 = PM_EVAL_AT (self, quality, t, first) >= 0.5;
      double q2 = PM_EVAL_AT (self, quality, t, second);
      double c1 = PM_EVAL_AT (self, cost, t, first);
      double c2 = PM_EVAL_AT (self, cost, t, second);
      double flag = ok1 ? false_alarm : recall;

      p.quality += (1.0 - flag) * (ok1 ? 1.0 : 0.0) + flag * q2;
      p.cost += c1 + flag * c2;
    }
  if (self->n_tasks > 0)
    {
      p.quality /= self->n_tasks;
      p.cost /= self->n_tasks;
    }

  return p;
}

/* ---- Claude Code transcripts --------------------------------------------------------------- */

void
pm_eval_turn_free (PmEvalTurn *turn)
{
  if (turn == NULL)
    return;
  g_free (turn->request_id);
  g_free (turn->model);
  g_free (turn);
}

static gint64
member_int (JsonObject *obj,
            const char *name)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, name))
    return 0;
  node = json_object_get_member (obj, name);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return 0;
  return json_node_get_int (node);
}

static JsonObject *
member_object (JsonObject *obj,
               const char *name)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, name))
    return NULL;
  node = json_object_get_member (obj, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

GPtrArray *
pm_eval_load_transcript (const char  *path,
                         GError     **error)
{
  g_autoptr(GPtrArray) turns = g_ptr_array_new_with_free_func ((GDestroyNotify) pm_eval_turn_free);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean pending_error = FALSE;
  guint pending_text = 0;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *obj, *msg, *usage, *creation;
      JsonNode *root, *content;
      const char *type, *rid, *model;
      PmEvalTurn *turn;

      if (*lines[i] == '\0' || !json_parser_load_from_data (parser, lines[i], -1, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      obj = json_node_get_object (root);
      type = json_object_get_string_member_with_default (obj, "type", "");
      msg = member_object (obj, "message");
      if (msg == NULL)
        continue;
      content = json_object_has_member (msg, "content") ? json_object_get_member (msg, "content")
                                                       : NULL;

      if (g_str_equal (type, "user"))
        {
          if (content != NULL && JSON_NODE_HOLDS_VALUE (content))
            {
              pending_text = strlen (json_node_get_string (content) ?: "");
              pending_error = FALSE;
            }
          else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
            {
              JsonArray *arr = json_node_get_array (content);

              pending_error = FALSE;
              pending_text = 0;
              for (guint k = 0; k < json_array_get_length (arr); k++)
                {
                  JsonNode *bn = json_array_get_element (arr, k);
                  JsonObject *b;
                  const char *bt;

                  if (!JSON_NODE_HOLDS_OBJECT (bn))
                    continue;
                  b = json_node_get_object (bn);
                  bt = json_object_get_string_member_with_default (b, "type", "");
                  if (g_str_equal (bt, "tool_result") &&
                      json_object_has_member (b, "is_error") &&
                      json_object_get_boolean_member_with_default (b, "is_error", FALSE))
                    pending_error = TRUE;
                  else if (g_str_equal (bt, "text"))
                    pending_text += strlen (json_object_get_string_member_with_default (b, "text", ""));
                }
            }
          continue;
        }

      if (!g_str_equal (type, "assistant"))
        continue;

      rid = json_object_get_string_member_with_default (obj, "requestId", NULL);
      if (rid == NULL)
        rid = json_object_get_string_member_with_default (msg, "id", NULL);
      model = json_object_get_string_member_with_default (msg, "model", NULL);
      usage = member_object (msg, "usage");
      if (rid == NULL || model == NULL || usage == NULL || g_str_equal (model, "<synthetic>"))
        continue;

      turn = g_hash_table_lookup (by_id, rid);
      if (turn == NULL)
        {
          const char *ts = json_object_get_string_member_with_default (obj, "timestamp", NULL);

          turn = g_new0 (PmEvalTurn, 1);
          turn->request_id = g_strdup (rid);
          turn->model = g_strdup (model);
          turn->sidechain = json_object_get_boolean_member_with_default (obj, "isSidechain", FALSE);
          turn->after_tool_error = pending_error;
          turn->user_text_chars = pending_text;
          if (ts != NULL)
            {
              g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (ts, NULL);

              if (dt != NULL)
                turn->timestamp_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC +
                                     g_date_time_get_microsecond (dt);
            }
          g_ptr_array_add (turns, turn);
          g_hash_table_insert (by_id, turn->request_id, turn);
        }

      /* Split responses repeat the usage: keep the largest counts seen. */
      creation = member_object (usage, "cache_creation");
      turn->input_tokens = MAX (turn->input_tokens, member_int (usage, "input_tokens"));
      turn->cache_read_tokens = MAX (turn->cache_read_tokens,
                                     member_int (usage, "cache_read_input_tokens"));
      if (creation != NULL)
        {
          turn->cache_write_5m_tokens = MAX (turn->cache_write_5m_tokens,
                                             member_int (creation, "ephemeral_5m_input_tokens"));
          turn->cache_write_1h_tokens = MAX (turn->cache_write_1h_tokens,
                                             member_int (creation, "ephemeral_1h_input_tokens"));
        }
      else
        turn->cache_write_5m_tokens = MAX (turn->cache_write_5m_tokens,
                                           member_int (usage, "cache_creation_input_tokens"));
      turn->output_tokens = MAX (turn->output_tokens, member_int (usage, "output_tokens"));

      if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
        {
          JsonArray *arr = json_node_get_array (content);

          for (guint k = 0; k < json_array_get_length (arr); k++)
            {
              JsonNode *bn = json_array_get_element (arr, k);

              if (JSON_NODE_HOLDS_OBJECT (bn) &&
                  g_str_equal (json_object_get_string_member_with_default (json_node_get_object (bn),
                                                                           "type", ""),
                               "tool_use"))
                turn->n_tool_uses++;
            }
        }
    }

  if (turns->len == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "%s: no assistant responses with usage (not a Claude Code transcript?)", path);
      return NULL;
    }

  return g_steal_pointer (&turns);
}
