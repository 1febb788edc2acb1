/* pm-quality.c — quality priors per model × effort, and outcomes observed on this device
 *
 * Priors come from data/priors.json, which holds published aggregate figures only:
 * SWE-bench Verified bash-only resolved rates (one scaffold for all models), vendor-reported
 * SWE-bench Verified figures (mapped onto the bash-only scale by the offset measured on the
 * models that have both), and Aider polyglot pass rates per effort (how the failure rate
 * moves with the reasoning effort). docs/ROUTING.md derives every number used here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-quality"

#include "config.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "pm-quality.h"

typedef struct
{
  guint successes;
  guint failures;
} Counts;

#define OUTCOME_KINDS 8

typedef struct
{
  Counts c[PM_EFFORT_LAST][OUTCOME_KINDS];
} OutcomeRow;

static Counts *
outcome_counts (GHashTable *outcomes,
                const char *model_id,
                PmEffort    effort,
                int         kind,
                gboolean    create)
{
  OutcomeRow *row = g_hash_table_lookup (outcomes, model_id);

  if (effort >= PM_EFFORT_LAST || kind < 0 || kind >= OUTCOME_KINDS)
    return NULL;
  if (row == NULL)
    {
      if (!create)
        return NULL;
      row = g_new0 (OutcomeRow, 1);
      g_hash_table_insert (outcomes, g_strdup (model_id), row);
    }

  return &row->c[effort][kind];
}

struct _PmQuality
{
  GHashTable *bash_only;        /* id → double* (0..1) */
  GHashTable *vendor;           /* id → double* (0..1) */
  GHashTable *measured_effort;  /* id → PmEffort (GINT_TO_POINTER) */
  GHashTable *family;           /* id → id */
  GHashTable *relative;         /* id → "ref\tratio" as two entries: id → double* ratio, ref in family */
  double      slope[4];         /* per effort step, log failure, for openai/anthropic/gemini/other */
  double      vendor_offset;    /* global median vendor − bash-only */
  GHashTable *vendor_offsets;   /* vendor name → double* */
  sqlite3    *db;
  sqlite3_stmt *upsert;         /* prepared once per file */
  GArray     *pending;          /* PendingOutcome: counted, not yet written */
  GHashTable *outcomes;         /* model id → OutcomeRow */
  GHashTable *prior_cache;      /* model id → PriorCache */
};

/* Written in one transaction per flush; more than this many waiting flush at once. */
#define PENDING_OUTCOMES_MAX 64

typedef struct
{
  char     *model;
  PmEffort  effort;
  int       kind;
  gboolean  success;
  gint64    when;               /* seconds */
} PendingOutcome;

static void
pending_outcome_clear (gpointer data)
{
  PendingOutcome *p = data;

  g_free (p->model);
}

typedef struct
{
  guint       have;             /* bit per effort */
  double      value[PM_EFFORT_LAST];
  const char *source[PM_EFFORT_LAST];
} PriorCache;

/* Effort rank: none 0 … max 6. */
static int
effort_rank (PmEffort effort)
{
  switch (effort)
    {
    case PM_EFFORT_NONE: return 0;
    case PM_EFFORT_MINIMAL: return 1;
    case PM_EFFORT_LOW: return 2;
    case PM_EFFORT_MEDIUM: return 3;
    case PM_EFFORT_HIGH: return 4;
    case PM_EFFORT_XHIGH: return 5;
    case PM_EFFORT_MAX: return 6;
    case PM_EFFORT_UNSET:
    case PM_EFFORT_LAST:
    default: return 3;
    }
}

static int
style_index (const char *style)
{
  if (style == NULL)
    return 3;
  if (g_str_has_prefix (style, "openai"))
    return 0;
  if (g_str_has_prefix (style, "anthropic"))
    return 1;
  if (g_str_has_prefix (style, "gemini"))
    return 2;
  return 3;
}

static double *
dup_double (double v)
{
  double *p = g_new (double, 1);

  *p = v;
  return p;
}

PmQuality *
pm_quality_new (void)
{
  PmQuality *self = g_new0 (PmQuality, 1);

  self->bash_only = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->vendor = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->measured_effort = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->family = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->relative = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->vendor_offsets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->outcomes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->prior_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pending = g_array_new (FALSE, FALSE, sizeof (PendingOutcome));
  g_array_set_clear_func (self->pending, pending_outcome_clear);
  /* Without a priors file: a modest effort slope, no vendor offset. */
  for (guint i = 0; i < G_N_ELEMENTS (self->slope); i++)
    self->slope[i] = 0.1;
  self->vendor_offset = 0.0;
  return self;
}

void
pm_quality_free (PmQuality *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->bash_only);
  g_hash_table_unref (self->vendor);
  g_hash_table_unref (self->measured_effort);
  g_hash_table_unref (self->family);
  g_hash_table_unref (self->relative);
  g_hash_table_unref (self->vendor_offsets);
  g_hash_table_unref (self->outcomes);
  g_hash_table_unref (self->prior_cache);
  pm_quality_flush_outcomes (self);
  g_clear_pointer (&self->upsert, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  g_array_unref (self->pending);
  g_free (self);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static double
median (GArray *values)
{
  if (values->len == 0)
    return 0.0;
  g_array_sort (values, compare_double);
  if (values->len % 2 == 1)
    return g_array_index (values, double, values->len / 2);
  return (g_array_index (values, double, values->len / 2 - 1) +
          g_array_index (values, double, values->len / 2)) / 2.0;
}

/* Vendor of a priors id, by name (priors ids are catalog ids or close to them). */
static const char *
vendor_of (const char *id)
{
  if (g_str_has_prefix (id, "claude"))
    return "anthropic";
  if (g_str_has_prefix (id, "gpt") || g_str_has_prefix (id, "o3") || g_str_has_prefix (id, "o4"))
    return "openai";
  if (g_str_has_prefix (id, "gemini"))
    return "google";
  if (g_str_has_prefix (id, "kimi"))
    return "moonshot";
  if (g_str_has_prefix (id, "glm"))
    return "zai";
  if (g_str_has_prefix (id, "qwen"))
    return "qwen";
  if (g_str_has_prefix (id, "deepseek"))
    return "deepseek";
  return "other";
}

gboolean
pm_quality_load_priors (PmQuality   *self,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GArray) offsets = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GHashTable) per_vendor = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                            (GDestroyNotify) g_array_unref);
  GArray *slopes[4] = { NULL, };
  JsonObject *root;
  JsonObject *object;
  JsonArray *array;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  g_hash_table_remove_all (self->prior_cache);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s: not a JSON object", path);
      return FALSE;
    }
  root = json_node_get_object (json_parser_get_root (parser));

#define MEMBER_OBJECT(o, name) \
  (json_object_has_member (o, name) && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, name)) \
   ? json_object_get_object_member (o, name) : NULL)

  if ((object = MEMBER_OBJECT (root, "swebench_bash_only")) != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &node))
        if (JSON_NODE_HOLDS_VALUE (node))
          g_hash_table_insert (self->bash_only, g_strdup (name), dup_double (json_node_get_double (node) / 100.0));
    }
  if ((object = MEMBER_OBJECT (root, "swebench_bash_only_effort")) != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &node))
        if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
          g_hash_table_insert (self->measured_effort, g_strdup (name),
                               GINT_TO_POINTER (pm_effort_from_string (json_node_get_string (node))));
    }
  if ((object = MEMBER_OBJECT (root, "swebench_vendor")) != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &node))
        {
          double v;
          double *b;

          if (!JSON_NODE_HOLDS_VALUE (node))
            continue;
          v = json_node_get_double (node) / 100.0;
          g_hash_table_insert (self->vendor, g_strdup (name), dup_double (v));
          if ((b = g_hash_table_lookup (self->bash_only, name)) != NULL)
            {
              double d = v - *b;
              const char *vendor = vendor_of (name);
              GArray *a = g_hash_table_lookup (per_vendor, vendor);

              g_array_append_val (offsets, d);
              if (a == NULL)
                {
                  a = g_array_new (FALSE, FALSE, sizeof (double));
                  g_hash_table_insert (per_vendor, (gpointer) vendor, a);
                }
              g_array_append_val (a, d);
            }
        }
    }
  self->vendor_offset = median (offsets);
  {
    GHashTableIter iter;
    const char *vendor;
    GArray *a;

    g_hash_table_iter_init (&iter, per_vendor);
    while (g_hash_table_iter_next (&iter, (gpointer *) &vendor, (gpointer *) &a))
      g_hash_table_insert (self->vendor_offsets, g_strdup (vendor), dup_double (median (a)));
  }

  /* Effort: mean per-step change of log failure rate over every pair of efforts measured on
   * the same model (Aider polyglot). */
  for (guint i = 0; i < 4; i++)
    slopes[i] = g_array_new (FALSE, FALSE, sizeof (double));
  array = json_object_has_member (root, "aider_polyglot_effort") &&
          JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "aider_polyglot_effort"))
          ? json_object_get_array_member (root, "aider_polyglot_effort") : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *el = json_array_get_element (array, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (el) ? json_node_get_object (el) : NULL;
      JsonObject *rates = entry != NULL ? MEMBER_OBJECT (entry, "pass_rate") : NULL;
      const char *style = entry != NULL ? json_object_get_string_member_with_default (entry, "style", NULL) : NULL;
      g_autoptr(GList) names = rates != NULL ? json_object_get_members (rates) : NULL;

      for (GList *a = names; a != NULL; a = a->next)
        for (GList *b = a->next; b != NULL; b = b->next)
          {
            int ra = effort_rank (pm_effort_from_string (a->data));
            int rb = effort_rank (pm_effort_from_string (b->data));
            double fa = 1.0 - json_object_get_double_member (rates, a->data) / 100.0;
            double fb = 1.0 - json_object_get_double_member (rates, b->data) / 100.0;
            double s;

            if (ra == rb || fa <= 0 || fb <= 0)
              continue;
            /* slope > 0: more effort, fewer failures */
            s = (log (fa) - log (fb)) / (double) (rb - ra);
            g_array_append_val (slopes[style_index (style)], s);
          }
    }
  {
    GArray *all = g_array_new (FALSE, FALSE, sizeof (double));

    for (guint i = 0; i < 3; i++)
      {
        double sum = 0;

        for (guint k = 0; k < slopes[i]->len; k++)
          {
            sum += g_array_index (slopes[i], double, k);
            g_array_append_val (all, g_array_index (slopes[i], double, k));
          }
        if (slopes[i]->len > 0)
          self->slope[i] = MAX (0.0, sum / slopes[i]->len);
      }
    if (all->len > 0)
      {
        double sum = 0;

        for (guint k = 0; k < all->len; k++)
          sum += g_array_index (all, double, k);
        self->slope[3] = MAX (0.0, sum / all->len);
      }
    g_array_unref (all);
    for (guint i = 0; i < 4; i++)
      g_array_unref (slopes[i]);
  }

  if ((object = MEMBER_OBJECT (root, "family")) != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &node))
        if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
          g_hash_table_insert (self->family, g_strdup (name), g_strdup (json_node_get_string (node)));
    }

  array = json_object_has_member (root, "aider_relative") &&
          JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "aider_relative"))
          ? json_object_get_array_member (root, "aider_relative") : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *el = json_array_get_element (array, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (el) ? json_node_get_object (el) : NULL;
      const char *model = entry != NULL ? json_object_get_string_member_with_default (entry, "model", NULL) : NULL;
      const char *ref = entry != NULL ? json_object_get_string_member_with_default (entry, "reference", NULL) : NULL;
      double p, rp;

      if (model == NULL || ref == NULL)
        continue;
      p = json_object_get_double_member_with_default (entry, "pass_rate", 0);
      rp = json_object_get_double_member_with_default (entry, "reference_pass_rate", 0);
      if (p <= 0 || rp <= 0)
        continue;
      g_hash_table_insert (self->relative, g_strdup (model), dup_double (p / rp));
      g_hash_table_insert (self->family, g_strdup (model), g_strdup (ref));
    }
#undef MEMBER_OBJECT

  return TRUE;
}

PmQuality *
pm_quality_new_default (void)
{
  PmQuality *self = pm_quality_new ();
  const char *env = g_getenv ("PM_PRIORS");
  g_autofree char *installed = g_build_filename (PKGDATADIR, "priors.json", NULL);
  g_autofree char *source = g_build_filename (PM_SOURCE_DATADIR, "priors.json", NULL);
  const char *path = NULL;

  if (env != NULL && *env != '\0')
    path = env;
  else if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    path = installed;
  else if (g_file_test (source, G_FILE_TEST_IS_REGULAR))
    path = source;

  if (path != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!pm_quality_load_priors (self, path, &error))
        g_debug ("priors not loaded: %s", error->message);
    }

  return self;
}

double
pm_quality_effort_factor (PmQuality  *self,
                          const char *effort_style,
                          PmEffort    effort,
                          PmEffort    reference)
{
  double slope;
  int r = effort_rank (effort);
  int ref = effort_rank (reference);
  double steps;

  g_return_val_if_fail (self != NULL, 1.0);

  if (effort_style == NULL || g_str_equal (effort_style, "none"))
    return 1.0;
  slope = self->slope[style_index (effort_style)];
  /* Beyond high the measured gains flatten: count each step above high as half a step. */
  steps = (double) (MIN (r, 4) - MIN (ref, 4)) + 0.5 * (double) (MAX (r, 4) - MAX (ref, 4));

  return exp (-slope * steps);
}

static double
lookup_prior (PmQuality   *self,
              const char  *id,
              const char  *vendor,
              PmEffort    *measured,
              const char **source,
              guint        depth)
{
  double *v;
  const char *fam;

  if (id == NULL || depth > 4)
    return -1;

  if ((v = g_hash_table_lookup (self->bash_only, id)) != NULL)
    {
      gpointer e;

      if (g_hash_table_lookup_extended (self->measured_effort, id, NULL, &e))
        *measured = GPOINTER_TO_INT (e);
      *source = "SWE-bench Verified bash-only";
      return *v;
    }
  if ((v = g_hash_table_lookup (self->vendor, id)) != NULL)
    {
      double *off = g_hash_table_lookup (self->vendor_offsets, vendor_of (id));

      *source = "vendor SWE-bench Verified, offset to bash-only";
      return CLAMP (*v - (off != NULL ? *off : self->vendor_offset), 0.01, 0.99);
    }
  if ((fam = g_hash_table_lookup (self->family, id)) != NULL)
    {
      double base = lookup_prior (self, fam, vendor, measured, source, depth + 1);
      double *ratio = g_hash_table_lookup (self->relative, id);

      if (base < 0)
        return -1;
      if (ratio != NULL)
        {
          *source = "Aider polyglot relative to a measured model";
          return CLAMP (base * *ratio, 0.01, 0.99);
        }
      *source = "predecessor's published figure";
      return base;
    }

  return -1;
}

double
pm_quality_task_prior (PmQuality          *self,
                       const PmModelInfo  *model,
                       PmEffort            effort,
                       const char        **source)
{
  const char *src = NULL;
  PmEffort measured = model->default_effort;
  double s;
  PriorCache *cache;
  PmEffort asked = effort;

  g_return_val_if_fail (self != NULL, 0.5);
  g_return_val_if_fail (model != NULL, 0.5);
  g_return_val_if_fail (effort < PM_EFFORT_LAST, 0.5);

  /* Priors never change while the file stays loaded: compute once per model and effort. */
  cache = g_hash_table_lookup (self->prior_cache, model->id);
  if (cache != NULL && (cache->have & (1u << asked)) != 0)
    {
      if (source != NULL)
        *source = cache->source[asked];
      return cache->value[asked];
    }

  s = lookup_prior (self, model->id, model->vendor, &measured, &src, 0);
  for (guint i = 0; s < 0 && model->aliases != NULL && model->aliases[i] != NULL; i++)
    s = lookup_prior (self, model->aliases[i], model->vendor, &measured, &src, 0);

  if (s < 0)
    {
      /* No published figure: a weak guess from the output price (log-scaled between
       * 0.35 at $0.4/M and 0.70 at $25/M). Shown as such in explanations. */
      double per_m = MAX (model->output * 1e6, 0.1);

      s = 0.35 + 0.35 * CLAMP (log (per_m / 0.4) / log (25.0 / 0.4), 0.0, 1.0);
      src = "no published figure: price-based guess";
    }

  if (effort == PM_EFFORT_UNSET)
    effort = model->default_effort;
  if (measured == PM_EFFORT_UNSET)
    measured = model->default_effort != PM_EFFORT_UNSET ? model->default_effort : PM_EFFORT_HIGH;
  if (effort != PM_EFFORT_UNSET)
    {
      double f = (1.0 - s) * pm_quality_effort_factor (self, model->effort_style, effort, measured);

      s = 1.0 - CLAMP (f, 0.005, 0.99);
    }

  if (source != NULL)
    *source = src;

  if (cache == NULL)
    {
      cache = g_new0 (PriorCache, 1);
      g_hash_table_insert (self->prior_cache, g_strdup (model->id), cache);
    }
  cache->have |= 1u << asked;
  cache->value[asked] = s;
  cache->source[asked] = src;

  return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Outcomes                                                                                    */


gboolean
pm_quality_open_outcomes (PmQuality   *self,
                          const char  *path,
                          GError     **error)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *errmsg = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "Cannot open %s: %s", path,
                   db != NULL ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_busy_timeout (db, 2000);
  /* Outcomes are written on the proxy's main loop while it decides the next request (the
   * judgement of the step before): with the default rollback journal and synchronous=FULL each
   * one cost three fdatasync calls, 5–15 ms before the request could go upstream. WAL with
   * synchronous=NORMAL commits with a write() and syncs at checkpoints; a crash may lose the
   * last tallies, never the file. */
  sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
  sqlite3_exec (db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  if (sqlite3_exec (db,
                    "CREATE TABLE IF NOT EXISTS router_outcomes ("
                    " model TEXT NOT NULL, effort TEXT NOT NULL, kind INTEGER NOT NULL,"
                    " successes INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
                    " updated INTEGER NOT NULL DEFAULT 0,"
                    " PRIMARY KEY (model, effort, kind)) STRICT",
                    NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "Cannot create the outcomes table in %s: %s",
                   path, errmsg);
      sqlite3_free (errmsg);
      sqlite3_close (db);
      return FALSE;
    }

  g_hash_table_remove_all (self->outcomes);
  if (sqlite3_prepare_v2 (db, "SELECT model, effort, kind, successes, failures FROM router_outcomes",
                          -1, &stmt, NULL) == SQLITE_OK)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *model = (const char *) sqlite3_column_text (stmt, 0);
          PmEffort effort = pm_effort_from_string ((const char *) sqlite3_column_text (stmt, 1));
          Counts *c = model != NULL ? outcome_counts (self->outcomes, model, effort,
                                                      sqlite3_column_int (stmt, 2), TRUE) : NULL;

          if (c == NULL)
            continue;
          c->successes = sqlite3_column_int (stmt, 3);
          c->failures = sqlite3_column_int (stmt, 4);
        }
    }
  sqlite3_finalize (stmt);

  /* what was counted for the file before goes there */
  pm_quality_flush_outcomes (self);
  g_clear_pointer (&self->upsert, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  self->db = db;
  return TRUE;
}

void
pm_quality_record_outcome (PmQuality  *self,
                           const char *model_id,
                           PmEffort    effort,
                           int         kind,
                           gboolean    success)
{
  Counts *c;

  g_return_if_fail (self != NULL);
  g_return_if_fail (model_id != NULL);

  c = outcome_counts (self->outcomes, model_id, effort, kind, TRUE);
  if (c == NULL)
    return;
  if (success)
    c->successes++;
  else
    c->failures++;

  if (self->db != NULL)
    {
      PendingOutcome p = { g_strdup (model_id), effort, kind, success, g_get_real_time () / G_USEC_PER_SEC };

      g_array_append_val (self->pending, p);
      if (self->pending->len >= PENDING_OUTCOMES_MAX)
        pm_quality_flush_outcomes (self);
    }
}

void
pm_quality_flush_outcomes (PmQuality *self)
{
  g_return_if_fail (self != NULL);

  if (self->pending->len == 0)
    return;
  if (self->db == NULL)
    {
      g_array_set_size (self->pending, 0);
      return;
    }
  if (self->upsert == NULL &&
      sqlite3_prepare_v2 (self->db,
                          "INSERT INTO router_outcomes (model, effort, kind, successes, failures, updated)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                          " ON CONFLICT (model, effort, kind) DO UPDATE SET"
                          " successes = successes + ?4, failures = failures + ?5, updated = ?6",
                          -1, &self->upsert, NULL) != SQLITE_OK)
    {
      g_debug ("outcomes not saved: %s", sqlite3_errmsg (self->db));
      g_clear_pointer (&self->upsert, sqlite3_finalize);
      g_array_set_size (self->pending, 0);
      return;
    }

  sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL);
  for (guint i = 0; i < self->pending->len; i++)
    {
      const PendingOutcome *p = &g_array_index (self->pending, PendingOutcome, i);

      sqlite3_bind_text (self->upsert, 1, p->model, -1, SQLITE_STATIC);
      sqlite3_bind_text (self->upsert, 2, pm_effort_to_string (p->effort), -1, SQLITE_STATIC);
      sqlite3_bind_int (self->upsert, 3, p->kind);
      sqlite3_bind_int (self->upsert, 4, p->success ? 1 : 0);
      sqlite3_bind_int (self->upsert, 5, p->success ? 0 : 1);
      sqlite3_bind_int64 (self->upsert, 6, p->when);
      if (sqlite3_step (self->upsert) != SQLITE_DONE)
        g_debug ("outcome not saved: %s", sqlite3_errmsg (self->db));
      sqlite3_reset (self->upsert);
      sqlite3_clear_bindings (self->upsert);
    }
  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_debug ("outcomes not saved: %s", sqlite3_errmsg (self->db));
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    }
  g_array_set_size (self->pending, 0);
}

void
pm_quality_get_outcomes (PmQuality  *self,
                         const char *model_id,
                         PmEffort    effort,
                         int         kind,
                         guint      *successes,
                         guint      *failures)
{
  Counts *c;

  g_return_if_fail (self != NULL);

  c = model_id != NULL ? outcome_counts (self->outcomes, model_id, effort, kind, FALSE) : NULL;
  if (successes != NULL)
    *successes = c != NULL ? c->successes : 0;
  if (failures != NULL)
    *failures = c != NULL ? c->failures : 0;
}
