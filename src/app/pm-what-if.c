/* pm-what-if.c — re-route the last N requests under another objective
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-what-if"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pm-what-if.h"

typedef struct
{
  PmRequest *request;
  PmRecord  *record;
} Entry;

struct _PmWhatIf
{
  GObject     parent_instance;

  PmCatalog  *catalog;
  GStrv       pool;
  char       *default_model;
  GQueue      entries;          /* Entry*, oldest first */
  guint       capacity;
  PmProxy    *proxy;            /* weak */
  gulong      routed_handler;
};

G_DEFINE_FINAL_TYPE (PmWhatIf, pm_what_if, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
entry_free (gpointer data)
{
  Entry *entry = data;

#if PM_APP_HAVE_CORE
  g_clear_pointer (&entry->request, pm_request_unref);
#endif
  g_clear_object (&entry->record);
  g_free (entry);
}

void
pm_what_if_result_clear (PmWhatIfResult *result)
{
  g_clear_pointer (&result->actual_models, g_hash_table_unref);
  g_clear_pointer (&result->what_if_models, g_hash_table_unref);
  memset (result, 0, sizeof *result);
}

typedef struct
{
  const char *model;
  guint       count;
} ModelCount;

static int
compare_counts (gconstpointer a,
                gconstpointer b)
{
  const ModelCount *ma = a;
  const ModelCount *mb = b;

  if (ma->count != mb->count)
    return ma->count < mb->count ? 1 : -1;
  return g_strcmp0 (ma->model, mb->model);
}

char *
pm_what_if_format_models (GHashTable *models,
                          guint       total)
{
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (ModelCount));
  g_autoptr(GString) str = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  if (models == NULL || total == 0)
    return g_strdup ("—");

  g_hash_table_iter_init (&iter, models);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      ModelCount mc = { key, GPOINTER_TO_UINT (value) };
      g_array_append_val (counts, mc);
    }
  g_array_sort (counts, compare_counts);

  for (guint i = 0; i < counts->len; i++)
    {
      const ModelCount *mc = &g_array_index (counts, ModelCount, i);

      if (str->len > 0)
        g_string_append (str, ", ");
      g_string_append_printf (str, "%s %.0f %%", mc->model, 100.0 * mc->count / total);
    }

  return g_string_free (g_steal_pointer (&str), FALSE);
}

static void
count_model (GHashTable *table,
             const char *model)
{
  guint count;

  if (model == NULL || *model == '\0')
    model = "?";
  count = GPOINTER_TO_UINT (g_hash_table_lookup (table, model));
  g_hash_table_replace (table, g_strdup (model), GUINT_TO_POINTER (count + 1));
}

static void
trim (PmWhatIf *self)
{
  while (self->entries.length > self->capacity)
    entry_free (g_queue_pop_head (&self->entries));
}

void
pm_what_if_push (PmWhatIf  *self,
                 PmRequest *request,
                 PmRecord  *record)
{
  Entry *entry;

  g_return_if_fail (PM_IS_WHAT_IF (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (record != NULL);

  entry = g_new0 (Entry, 1);
#if PM_APP_HAVE_CORE
  entry->request = pm_request_ref (request);
#endif
  entry->record = g_object_ref (record);
  g_queue_push_tail (&self->entries, entry);
  trim (self);

  g_signal_emit (self, signals[CHANGED], 0);
}

void
pm_what_if_clear (PmWhatIf *self)
{
  g_return_if_fail (PM_IS_WHAT_IF (self));

  g_queue_clear_full (&self->entries, entry_free);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
pm_what_if_set_capacity (PmWhatIf *self,
                         guint     capacity)
{
  g_return_if_fail (PM_IS_WHAT_IF (self));

  self->capacity = MAX (capacity, 1);
  trim (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

guint
pm_what_if_get_capacity (PmWhatIf *self)
{
  g_return_val_if_fail (PM_IS_WHAT_IF (self), 0);
  return self->capacity;
}

guint
pm_what_if_get_n_items (PmWhatIf *self)
{
  g_return_val_if_fail (PM_IS_WHAT_IF (self), 0);
  return self->entries.length;
}

gboolean
pm_what_if_run (PmWhatIf        *self,
                PmObjective     *objective,
                PmWhatIfResult  *result,
                GError         **error)
{
  g_return_val_if_fail (PM_IS_WHAT_IF (self), FALSE);
  g_return_val_if_fail (PM_IS_OBJECTIVE (objective), FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  memset (result, 0, sizeof *result);
  result->actual_models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  result->what_if_models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

#if PM_APP_HAVE_CORE
  {
    g_autoptr(PmObjective) copy = pm_objective_copy (objective);
    g_autoptr(PmRouter) router = NULL;

    router = pm_router_new (self->catalog, copy, (const char * const *) self->pool,
                            self->default_model);

    for (GList *l = self->entries.head; l != NULL; l = l->next)
      {
        Entry *entry = l->data;
        g_autoptr(PmDecision) decision = NULL;
        g_autoptr(GError) local_error = NULL;
        gint64 when = pm_record_get_time (entry->record);
        const char *effort;
        gboolean same;
        PmUsage usage;

        if (pm_record_get_state (entry->record) != PM_RECORD_DONE)
          continue;

        decision = pm_router_decide (router, entry->request, when, &local_error);
        if (decision == NULL)
          {
            /* Nothing can serve it under this objective: report rather than guess. */
            if (g_error_matches (local_error, PM_ERROR, PM_ERROR_NO_CANDIDATE))
              {
                count_model (result->what_if_models, _("none"));
                result->n_requests++;
                result->n_changed++;
                result->actual_cost += pm_record_get_cost (entry->record);
                result->baseline_cost += pm_record_get_baseline_cost (entry->record);
                count_model (result->actual_models, pm_record_get_model (entry->record));
                continue;
              }
            g_propagate_error (error, g_steal_pointer (&local_error));
            pm_what_if_result_clear (result);
            return FALSE;
          }

        result->n_requests++;
        result->actual_cost += pm_record_get_cost (entry->record);
        result->baseline_cost += pm_record_get_baseline_cost (entry->record);
        result->expected_cost += decision->expected_cost;
        count_model (result->actual_models, pm_record_get_model (entry->record));
        count_model (result->what_if_models, decision->model);

        effort = pm_effort_to_string (decision->effort);
        same = g_strcmp0 (decision->model, pm_record_get_model (entry->record)) == 0 &&
               (decision->effort == PM_EFFORT_UNSET ||
                g_strcmp0 (effort, pm_record_get_effort (entry->record)) == 0);
        pm_record_get_usage (entry->record, &usage);
        if (same)
          {
            /* Unchanged: what it cost is the truth. */
            result->what_if_cost += pm_record_get_cost (entry->record);
          }
        else
          {
            const PmModelInfo *info = pm_catalog_lookup (self->catalog, decision->model);
            PmUsage repriced = usage;
            gint64 prompt = pm_usage_prompt_total (&usage);

            result->n_changed++;
            /* The same tokens priced for the other model, with the cache it would have had;
             * the uncached rest is written to the cache where the model bills writes. */
            repriced.cache_read = CLAMP (decision->expected_cached_tokens, 0, prompt);
            repriced.cache_write_1h = 0;
            if (info != NULL && info->cache_write_5m > 0)
              {
                repriced.cache_write_5m = prompt - repriced.cache_read;
                repriced.input = 0;
              }
            else
              {
                repriced.cache_write_5m = 0;
                repriced.input = prompt - repriced.cache_read;
              }
            result->what_if_cost += info != NULL ? pm_usage_cost (&repriced, info) : decision->expected_cost;
          }

        /* Let the session's cache state follow the hypothetical choice (the recorded usage is
         * the truth only when the choice is the same). */
        pm_router_observe (router, entry->request, decision, same ? &usage : NULL, 200, when);
      }
  }
  return TRUE;
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("This build of Pointsman has no routing core"));
  pm_what_if_result_clear (result);
  return FALSE;
#endif
}

static void
on_request_routed (PmProxy   *proxy,
                   PmRecord  *record,
                   PmRequest *request,
                   PmWhatIf  *self)
{
  if (record != NULL && request != NULL)
    pm_what_if_push (self, request, record);
}

void
pm_what_if_attach_proxy (PmWhatIf *self,
                         PmProxy  *proxy)
{
  g_return_if_fail (PM_IS_WHAT_IF (self));

  if (self->proxy != NULL)
    {
      g_clear_signal_handler (&self->routed_handler, self->proxy);
      g_object_remove_weak_pointer (G_OBJECT (self->proxy), (gpointer *) &self->proxy);
      self->proxy = NULL;
    }

  if (proxy == NULL)
    return;

  self->proxy = proxy;
  g_object_add_weak_pointer (G_OBJECT (proxy), (gpointer *) &self->proxy);

  /* The proxy announces each parsed request with its record (when it has that signal). */
  if (g_signal_lookup ("request-routed", G_OBJECT_TYPE (proxy)) != 0)
    self->routed_handler = g_signal_connect (proxy, "request-routed",
                                             G_CALLBACK (on_request_routed), self);
  else
    g_debug ("The proxy has no request-routed signal: what-if covers the demo only");
}

static void
pm_what_if_dispose (GObject *object)
{
  PmWhatIf *self = PM_WHAT_IF (object);

  pm_what_if_attach_proxy (self, NULL);
  g_queue_clear_full (&self->entries, entry_free);
  g_clear_object (&self->catalog);

  G_OBJECT_CLASS (pm_what_if_parent_class)->dispose (object);
}

static void
pm_what_if_finalize (GObject *object)
{
  PmWhatIf *self = PM_WHAT_IF (object);

  g_strfreev (self->pool);
  g_free (self->default_model);

  G_OBJECT_CLASS (pm_what_if_parent_class)->finalize (object);
}

static void
pm_what_if_class_init (PmWhatIfClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_what_if_dispose;
  object_class->finalize = pm_what_if_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pm_what_if_init (PmWhatIf *self)
{
  g_queue_init (&self->entries);
  self->capacity = 50;
}

PmWhatIf *
pm_what_if_new (PmCatalog          *catalog,
                const char * const *pool,
                const char         *default_model)
{
  PmWhatIf *self = g_object_new (PM_TYPE_WHAT_IF, NULL);

  self->catalog = catalog ? g_object_ref (catalog) : NULL;
  self->pool = g_strdupv ((char **) pool);
  self->default_model = g_strdup (default_model);

  return self;
}
