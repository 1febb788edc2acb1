/* pm-savings-series.c — the savings chart's data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-savings-series"

#include "config.h"

#include "pm-app-core.h"
#include "pm-savings-series.h"

struct _PmSavingsSeries
{
  GObject     parent_instance;

  GListModel *model;
  GArray     *points;         /* PmSavingsPoint, only finished requests, time order */
  GArray     *shares;         /* PmModelShare */
  GHashTable *models;         /* interned model names */
  double      max;
  gint64      begin;
  gint64      end;
  guint       update_id;
  guint       poll_id;
  guint       last_n_items;
  double      last_total;
};

G_DEFINE_FINAL_TYPE (PmSavingsSeries, pm_savings_series, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
intern_model (PmSavingsSeries *self,
              const char      *model)
{
  char *interned;

  if (model == NULL)
    model = "?";
  interned = g_hash_table_lookup (self->models, model);
  if (interned == NULL)
    {
      interned = g_strdup (model);
      g_hash_table_add (self->models, interned);
    }
  return interned;
}

static int
compare_points (gconstpointer a,
                gconstpointer b)
{
  const PmSavingsPoint *pa = a, *pb = b;

  return pa->time_us < pb->time_us ? -1 : pa->time_us > pb->time_us;
}

static int
compare_shares (gconstpointer a,
                gconstpointer b)
{
  const PmModelShare *sa = a, *sb = b;

  if (sa->cost != sb->cost)
    return sa->cost < sb->cost ? 1 : -1;
  return g_strcmp0 (sa->model, sb->model);
}

void
pm_savings_series_update (PmSavingsSeries *self)
{
  g_autoptr(GHashTable) share_index = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint n;
  double actual = 0, baseline = 0;

  g_return_if_fail (PM_IS_SAVINGS_SERIES (self));

  g_clear_handle_id (&self->update_id, g_source_remove);
  g_array_set_size (self->points, 0);
  g_array_set_size (self->shares, 0);
  self->max = 0;
  self->begin = self->end = 0;

  n = self->model ? g_list_model_get_n_items (self->model) : 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PmRecord) r = g_list_model_get_item (self->model, i);
      PmSavingsPoint p;

      if (pm_record_get_state (r) != PM_RECORD_DONE)
        continue;
      p.time_us = pm_record_get_time (r);
      p.actual = pm_record_get_cost (r);
      p.baseline = pm_record_get_baseline_cost (r);
      p.model = (char *) intern_model (self, pm_record_get_model (r));
      g_array_append_val (self->points, p);
    }

  /* The log is in arrival order; sort by time to be safe, then accumulate. */
  g_array_sort (self->points, compare_points);
  for (guint i = 0; i < self->points->len; i++)
    {
      PmSavingsPoint *p = &g_array_index (self->points, PmSavingsPoint, i);
      gpointer idx;
      PmModelShare *share;

      if (!g_hash_table_lookup_extended (share_index, p->model, NULL, &idx))
        {
          PmModelShare s = { p->model, 0, 0 };

          g_array_append_val (self->shares, s);
          idx = GUINT_TO_POINTER (self->shares->len - 1);
          g_hash_table_insert (share_index, p->model, idx);
        }
      share = &g_array_index (self->shares, PmModelShare, GPOINTER_TO_UINT (idx));
      share->cost += p->actual;
      share->requests++;

      actual += p->actual;
      baseline += p->baseline;
      p->actual = actual;
      p->baseline = baseline;
    }
  g_array_sort (self->shares, compare_shares);

  self->max = MAX (actual, baseline);
  if (self->points->len > 0)
    {
      self->begin = g_array_index (self->points, PmSavingsPoint, 0).time_us;
      self->end = g_array_index (self->points, PmSavingsPoint, self->points->len - 1).time_us;
    }
  self->last_n_items = n;
  self->last_total = actual + baseline;

  g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
update_idle (gpointer user_data)
{
  PmSavingsSeries *self = user_data;

  self->update_id = 0;
  pm_savings_series_update (self);

  return G_SOURCE_REMOVE;
}

static void
queue_update (PmSavingsSeries *self)
{
  if (self->update_id == 0)
    self->update_id = g_timeout_add (100, update_idle, self);
}

/* Records finish after they were appended (streaming): look again while any is unfinished. */
static gboolean
poll_cb (gpointer user_data)
{
  PmSavingsSeries *self = user_data;
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  guint done = 0;
  double total = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PmRecord) r = g_list_model_get_item (self->model, i);

      if (pm_record_get_state (r) == PM_RECORD_DONE)
        {
          done++;
          total += pm_record_get_cost (r) + pm_record_get_baseline_cost (r);
        }
    }
  if (done != self->points->len || total != self->last_total)
    queue_update (self);

  return G_SOURCE_CONTINUE;
}

void
pm_savings_series_set_model (PmSavingsSeries *self,
                             GListModel      *model)
{
  g_return_if_fail (PM_IS_SAVINGS_SERIES (self));

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, queue_update, self);
  g_set_object (&self->model, model);
  if (self->model != NULL)
    g_signal_connect_object (self->model, "items-changed", G_CALLBACK (queue_update), self,
                             G_CONNECT_SWAPPED);
  if (self->poll_id == 0)
    self->poll_id = g_timeout_add_seconds (1, poll_cb, self);
  pm_savings_series_update (self);
}

guint
pm_savings_series_get_n_points (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return self->points->len;
}

const PmSavingsPoint *
pm_savings_series_get_point (PmSavingsSeries *self,
                             guint            index)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), NULL);
  g_return_val_if_fail (index < self->points->len, NULL);
  return &g_array_index (self->points, PmSavingsPoint, index);
}

GArray *
pm_savings_series_get_shares (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), NULL);
  return self->shares;
}

double
pm_savings_series_get_max (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return self->max;
}

gint64
pm_savings_series_get_begin (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return self->begin;
}

gint64
pm_savings_series_get_end (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return self->end;
}

void
pm_savings_series_normalize (PmSavingsSeries *self,
                             guint            index,
                             double          *x,
                             double          *y_actual,
                             double          *y_baseline)
{
  const PmSavingsPoint *p;
  gint64 span;

  g_return_if_fail (PM_IS_SAVINGS_SERIES (self));
  g_return_if_fail (index < self->points->len);

  p = &g_array_index (self->points, PmSavingsPoint, index);
  span = self->end - self->begin;
  /* One point, or all at the same time: spread by index instead. */
  if (span <= 0)
    *x = self->points->len > 1 ? (double) index / (self->points->len - 1) : 1.0;
  else
    *x = (double) (p->time_us - self->begin) / span;
  *y_actual = self->max > 0 ? p->actual / self->max : 0;
  *y_baseline = self->max > 0 ? p->baseline / self->max : 0;
}

int
pm_savings_series_lookup (PmSavingsSeries *self,
                          double           x)
{
  int best = -1;
  double best_d = G_MAXDOUBLE;

  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), -1);

  /* Points are in time order: binary search would do; the list is small enough to scan. */
  for (guint i = 0; i < self->points->len; i++)
    {
      double px, ya, yb;

      pm_savings_series_normalize (self, i, &px, &ya, &yb);
      if (ABS (px - x) < best_d)
        {
          best_d = ABS (px - x);
          best = i;
        }
    }
  return best;
}

static void
pm_savings_series_dispose (GObject *object)
{
  PmSavingsSeries *self = PM_SAVINGS_SERIES (object);

  g_clear_handle_id (&self->update_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, queue_update, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (pm_savings_series_parent_class)->dispose (object);
}

static void
pm_savings_series_finalize (GObject *object)
{
  PmSavingsSeries *self = PM_SAVINGS_SERIES (object);

  g_clear_pointer (&self->points, g_array_unref);
  g_clear_pointer (&self->shares, g_array_unref);
  g_clear_pointer (&self->models, g_hash_table_unref);

  G_OBJECT_CLASS (pm_savings_series_parent_class)->finalize (object);
}

static void
pm_savings_series_class_init (PmSavingsSeriesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_savings_series_dispose;
  object_class->finalize = pm_savings_series_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pm_savings_series_init (PmSavingsSeries *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (PmSavingsPoint));
  self->shares = g_array_new (FALSE, FALSE, sizeof (PmModelShare));
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

PmSavingsSeries *
pm_savings_series_new (void)
{
  return g_object_new (PM_TYPE_SAVINGS_SERIES, NULL);
}
