/* pm-savings-series.c — the savings chart's data, kept up to date incrementally
 *
 * Points live in an array in time order from `start`; each keeps the running totals since the
 * series began ("raw"), and the totals of the points dropped from the front are the offset
 * subtracted when they are read. Appending a finished record is one array append; dropping the
 * oldest is `start++` (the array is compacted when more than half of it is dead).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-savings-series"

#include "config.h"

#include "pm-app-core.h"
#include "pm-record-watch.h"
#include "pm-savings-series.h"

typedef struct
{
  gint64      time_us;
  double      cost;           /* this request */
  double      base;
  double      raw_actual;     /* running totals since the series began */
  double      raw_baseline;
  const char *model;          /* interned */
  PmRecord   *record;         /* identity only (the mirror holds the reference) */
} Point;

struct _PmSavingsSeries
{
  GObject        parent_instance;

  GListModel    *model;
  GPtrArray     *mirror;         /* the model's items (refs), to know what leaves */
  GHashTable    *in_series;      /* PmRecord → its point exists */
  PmRecordWatch *watched;        /* unfinished records */
  GArray        *points;         /* Point, time order, live from start */
  guint          start;
  double         off_actual;     /* raw totals of the points dropped from the front */
  double         off_baseline;
  double         raw_actual;     /* raw totals of all points so far */
  double         raw_baseline;
  GArray        *shares;         /* PmModelShare, unsorted; sorted copy below */
  GHashTable    *share_index;    /* interned model → index in shares */
  GArray        *sorted_shares;
  gboolean       shares_dirty;
  GHashTable    *models;         /* interned model names */
  guint          changed_id;
  guint          n_recomputes;
};

G_DEFINE_FINAL_TYPE (PmSavingsSeries, pm_savings_series, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void on_items_changed (PmSavingsSeries *self,
                              guint            position,
                              guint            removed,
                              guint            added,
                              GListModel      *model);

static const char *
intern_model (PmSavingsSeries *self,
              const char      *model)
{
  char *interned;

  if (model == NULL || *model == '\0')
    model = "?";
  interned = g_hash_table_lookup (self->models, model);
  if (interned == NULL)
    {
      interned = g_strdup (model);
      g_hash_table_add (self->models, interned);
    }
  return interned;
}

static inline guint
n_live (PmSavingsSeries *self)
{
  return self->points->len - self->start;
}

static inline Point *
live_point (PmSavingsSeries *self,
            guint            index)
{
  return &g_array_index (self->points, Point, self->start + index);
}

/* --- "changed", once per main-loop iteration ---------------------------------------------- */

static gboolean
emit_changed_cb (gpointer data)
{
  PmSavingsSeries *self = data;

  self->changed_id = 0;
  g_signal_emit (self, signals[CHANGED], 0);

  return G_SOURCE_REMOVE;
}

static void
queue_changed (PmSavingsSeries *self)
{
  /* Before GTK's layout and redraw (G_PRIORITY_HIGH_IDLE + 20): the frame sees the new data. */
  if (self->changed_id == 0)
    self->changed_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10, emit_changed_cb, self, NULL);
}

/* --- shares --------------------------------------------------------------------------------- */

static void
share_add (PmSavingsSeries *self,
           const char      *model,
           double           cost,
           int              requests)
{
  gpointer idx;
  PmModelShare *share;

  if (!g_hash_table_lookup_extended (self->share_index, model, NULL, &idx))
    {
      PmModelShare s = { model, 0, 0 };

      g_array_append_val (self->shares, s);
      idx = GUINT_TO_POINTER (self->shares->len - 1);
      g_hash_table_insert (self->share_index, (gpointer) model, idx);
    }
  share = &g_array_index (self->shares, PmModelShare, GPOINTER_TO_UINT (idx));
  share->cost += cost;
  share->requests += requests;
  self->shares_dirty = TRUE;
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

/* --- points --------------------------------------------------------------------------------- */

/* First live index whose time is > time_us (upper bound). */
static guint
upper_bound (PmSavingsSeries *self,
             gint64           time_us)
{
  guint lo = 0, hi = n_live (self);

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (live_point (self, mid)->time_us <= time_us)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
add_point (PmSavingsSeries *self,
           PmRecord        *record)
{
  Point p = { 0 };
  guint n = n_live (self);

  if (g_hash_table_contains (self->in_series, record))
    return;
  g_hash_table_add (self->in_series, record);

  p.time_us = pm_record_get_time (record);
  p.cost = pm_record_get_cost (record);
  p.base = pm_record_get_baseline_cost (record);
  p.model = intern_model (self, pm_record_get_model (record));
  p.record = record;

  if (n == 0 || live_point (self, n - 1)->time_us <= p.time_us)
    {
      /* The common case: it finished after every point so far. */
      p.raw_actual = self->raw_actual + p.cost;
      p.raw_baseline = self->raw_baseline + p.base;
      g_array_append_val (self->points, p);
    }
  else
    {
      /* Out of time order (a long stream started before a short one): the points after it
       * take its cost into their running totals. */
      guint pos = upper_bound (self, p.time_us);

      p.raw_actual = (pos > 0 ? live_point (self, pos - 1)->raw_actual : self->off_actual) + p.cost;
      p.raw_baseline = (pos > 0 ? live_point (self, pos - 1)->raw_baseline : self->off_baseline) + p.base;
      g_array_insert_val (self->points, self->start + pos, p);
      for (guint i = pos + 1; i < n + 1; i++)
        {
          live_point (self, i)->raw_actual += p.cost;
          live_point (self, i)->raw_baseline += p.base;
        }
    }
  self->raw_actual += p.cost;
  self->raw_baseline += p.base;
  share_add (self, p.model, p.cost, 1);
  queue_changed (self);
}

static void
remove_point (PmSavingsSeries *self,
              PmRecord        *record)
{
  guint n = n_live (self);
  guint index = G_MAXUINT;
  Point p;

  if (!g_hash_table_remove (self->in_series, record))
    return;

  /* The log drops its oldest: almost always the first point. */
  if (n > 0 && live_point (self, 0)->record == record)
    index = 0;
  else
    {
      guint i = upper_bound (self, pm_record_get_time (record));

      while (i-- > 0 && live_point (self, i)->time_us == pm_record_get_time (record))
        if (live_point (self, i)->record == record)
          {
            index = i;
            break;
          }
      if (index == G_MAXUINT)
        for (i = 0; i < n; i++)   /* its time changed after it finished: look everywhere */
          if (live_point (self, i)->record == record)
            {
              index = i;
              break;
            }
    }
  if (index == G_MAXUINT)
    return;

  p = *live_point (self, index);
  if (index == 0)
    {
      self->off_actual = p.raw_actual;
      self->off_baseline = p.raw_baseline;
      self->start++;
      if (self->start > 1024 && self->start > self->points->len / 2)
        {
          g_array_remove_range (self->points, 0, self->start);
          self->start = 0;
        }
    }
  else
    {
      for (guint i = index + 1; i < n; i++)
        {
          live_point (self, i)->raw_actual -= p.cost;
          live_point (self, i)->raw_baseline -= p.base;
        }
      g_array_remove_index (self->points, self->start + index);
      self->raw_actual -= p.cost;
      self->raw_baseline -= p.base;
    }
  if (n_live (self) == 0)
    {
      /* Start over from zero: no rounding left behind. */
      g_array_set_size (self->points, 0);
      self->start = 0;
      self->off_actual = self->off_baseline = self->raw_actual = self->raw_baseline = 0;
    }
  share_add (self, p.model, -p.cost, -1);
  queue_changed (self);
}

/* --- records that finish later -------------------------------------------------------------- */

static void
on_record_state (PmRecord        *record,
                 GParamSpec      *pspec,
                 PmSavingsSeries *self)
{
  PmRecordState state = pm_record_get_state (record);

  if (state == PM_RECORD_DONE)
    add_point (self, record);
  if (state >= PM_RECORD_DONE)
    pm_record_watch_remove (self->watched, record);
}

static void
take_record (PmSavingsSeries *self,
             PmRecord        *record)
{
  PmRecordState state = pm_record_get_state (record);

  if (state == PM_RECORD_DONE)
    add_point (self, record);
  else if (state < PM_RECORD_DONE)
    pm_record_watch_add (self->watched, record);
}

static void
forget_record (PmSavingsSeries *self,
               PmRecord        *record)
{
  pm_record_watch_remove (self->watched, record);
  remove_point (self, record);
}

static void
reset (PmSavingsSeries *self)
{
  pm_record_watch_remove_all (self->watched);
  g_hash_table_remove_all (self->in_series);
  g_ptr_array_set_size (self->mirror, 0);
  g_array_set_size (self->points, 0);
  self->start = 0;
  self->off_actual = self->off_baseline = self->raw_actual = self->raw_baseline = 0;
  g_array_set_size (self->shares, 0);
  g_hash_table_remove_all (self->share_index);
  self->shares_dirty = TRUE;
}

static void
on_items_changed (PmSavingsSeries *self,
                  guint            position,
                  guint            removed,
                  guint            added,
                  GListModel      *model)
{
  if (position + removed > self->mirror->len)
    {
      /* Out of step with the model (should not happen): start over. */
      pm_savings_series_update (self);
      return;
    }
  if (removed > 0 && removed == self->mirror->len)
    reset (self);
  else
    {
      for (guint i = position; i < position + removed; i++)
        if (PM_IS_RECORD (g_ptr_array_index (self->mirror, i)))
          forget_record (self, g_ptr_array_index (self->mirror, i));
      g_ptr_array_remove_range (self->mirror, position, removed);
    }
  for (guint i = 0; i < added; i++)
    {
      GObject *item = g_list_model_get_item (model, position + i);   /* the mirror's ref */

      g_ptr_array_insert (self->mirror, position + i, item);
      if (PM_IS_RECORD (item))
        take_record (self, PM_RECORD (item));
    }
  queue_changed (self);
}

void
pm_savings_series_update (PmSavingsSeries *self)
{
  guint n;

  g_return_if_fail (PM_IS_SAVINGS_SERIES (self));

  g_clear_handle_id (&self->changed_id, g_source_remove);
  reset (self);
  self->n_recomputes++;

  n = self->model ? g_list_model_get_n_items (self->model) : 0;
  if (n > 0)
    on_items_changed (self, 0, 0, n, self->model);

  g_clear_handle_id (&self->changed_id, g_source_remove);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
pm_savings_series_set_model (PmSavingsSeries *self,
                             GListModel      *model)
{
  g_return_if_fail (PM_IS_SAVINGS_SERIES (self));

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
  g_set_object (&self->model, model);
  if (self->model != NULL)
    g_signal_connect_object (self->model, "items-changed", G_CALLBACK (on_items_changed), self,
                             G_CONNECT_SWAPPED);
  pm_savings_series_update (self);
}

guint
pm_savings_series_get_n_points (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return n_live (self);
}

guint
pm_savings_series_get_n_recomputes (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return self->n_recomputes;
}

gboolean
pm_savings_series_get_point (PmSavingsSeries *self,
                             guint            index,
                             PmSavingsPoint  *point)
{
  const Point *p;

  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), FALSE);
  g_return_val_if_fail (point != NULL, FALSE);

  if (index >= n_live (self))
    return FALSE;
  p = live_point (self, index);
  point->time_us = p->time_us;
  point->actual = p->raw_actual - self->off_actual;
  point->baseline = p->raw_baseline - self->off_baseline;
  point->model = p->model;
  return TRUE;
}

GArray *
pm_savings_series_get_shares (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), NULL);

  if (self->shares_dirty)
    {
      g_array_set_size (self->sorted_shares, 0);
      for (guint i = 0; i < self->shares->len; i++)
        {
          const PmModelShare *s = &g_array_index (self->shares, PmModelShare, i);

          if (s->requests > 0)
            g_array_append_val (self->sorted_shares, *s);
        }
      g_array_sort (self->sorted_shares, compare_shares);
      self->shares_dirty = FALSE;
    }
  return self->sorted_shares;
}

double
pm_savings_series_get_max (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);

  if (n_live (self) == 0)
    return 0;
  return MAX (self->raw_actual - self->off_actual, self->raw_baseline - self->off_baseline);
}

gint64
pm_savings_series_get_begin (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return n_live (self) > 0 ? live_point (self, 0)->time_us : 0;
}

gint64
pm_savings_series_get_end (PmSavingsSeries *self)
{
  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), 0);
  return n_live (self) > 0 ? live_point (self, n_live (self) - 1)->time_us : 0;
}

void
pm_savings_series_normalize (PmSavingsSeries *self,
                             guint            index,
                             double          *x,
                             double          *y_actual,
                             double          *y_baseline)
{
  const Point *p;
  guint n;
  gint64 begin, span;
  double max;

  g_return_if_fail (PM_IS_SAVINGS_SERIES (self));
  n = n_live (self);
  g_return_if_fail (index < n);

  p = live_point (self, index);
  begin = live_point (self, 0)->time_us;
  span = live_point (self, n - 1)->time_us - begin;
  max = pm_savings_series_get_max (self);
  /* One point, or all at the same time: spread by index instead. */
  if (span <= 0)
    *x = n > 1 ? (double) index / (n - 1) : 1.0;
  else
    *x = (double) (p->time_us - begin) / span;
  *y_actual = max > 0 ? (p->raw_actual - self->off_actual) / max : 0;
  *y_baseline = max > 0 ? (p->raw_baseline - self->off_baseline) / max : 0;
}

int
pm_savings_series_lookup (PmSavingsSeries *self,
                          double           x)
{
  guint n, lo;
  gint64 begin, span, t;

  g_return_val_if_fail (PM_IS_SAVINGS_SERIES (self), -1);

  n = n_live (self);
  if (n == 0)
    return -1;
  x = CLAMP (x, 0.0, 1.0);
  begin = live_point (self, 0)->time_us;
  span = live_point (self, n - 1)->time_us - begin;
  if (span <= 0)
    return n > 1 ? (int) (x * (n - 1) + 0.5) : 0;

  /* Points are in time order: the first at or after x, or the one before it if nearer. */
  t = begin + (gint64) (x * span);
  lo = upper_bound (self, t);
  if (lo > 0 && live_point (self, lo - 1)->time_us == t)
    return lo - 1;
  if (lo >= n)
    return n - 1;
  if (lo > 0 && t - live_point (self, lo - 1)->time_us <= live_point (self, lo)->time_us - t)
    return lo - 1;
  return lo;
}

static void
pm_savings_series_dispose (GObject *object)
{
  PmSavingsSeries *self = PM_SAVINGS_SERIES (object);

  g_clear_handle_id (&self->changed_id, g_source_remove);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
  g_clear_object (&self->model);
  if (self->watched != NULL)
    reset (self);

  G_OBJECT_CLASS (pm_savings_series_parent_class)->dispose (object);
}

static void
pm_savings_series_finalize (GObject *object)
{
  PmSavingsSeries *self = PM_SAVINGS_SERIES (object);

  g_clear_pointer (&self->points, g_array_unref);
  g_clear_pointer (&self->shares, g_array_unref);
  g_clear_pointer (&self->sorted_shares, g_array_unref);
  g_clear_pointer (&self->share_index, g_hash_table_unref);
  g_clear_pointer (&self->in_series, g_hash_table_unref);
  g_clear_pointer (&self->watched, pm_record_watch_free);
  g_clear_pointer (&self->mirror, g_ptr_array_unref);
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
  self->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  self->in_series = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->watched = pm_record_watch_new (G_CALLBACK (on_record_state), self);
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  self->shares = g_array_new (FALSE, FALSE, sizeof (PmModelShare));
  self->sorted_shares = g_array_new (FALSE, FALSE, sizeof (PmModelShare));
  self->share_index = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

PmSavingsSeries *
pm_savings_series_new (void)
{
  return g_object_new (PM_TYPE_SAVINGS_SERIES, NULL);
}
