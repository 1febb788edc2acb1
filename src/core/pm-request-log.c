/* pm-request-log.c — the live list of requests (a GListModel of PmRecord, newest last)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-request-log"

#include "config.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include "pm-request-log.h"

struct _PmRequestLog
{
  GObject     parent_instance;

  /* The records, oldest first: n_items of them from ring[head] on, wrapping at capacity. A full
   * log drops its oldest record on every append; a ring does that without moving the 10,000
   * others (a GPtrArray shifted its whole array each time, 80 kB per request). */
  PmRecord  **ring;
  guint       capacity;
  guint       head;
  guint       n_items;
  GHashTable *by_id;      /* id → PmRecord (borrowed from the ring) */
  guint       max_items;
  guint       keep_full;  /* the newest records keep their explanation as is; older are compacted */
  guint       cursor;     /* items before it (all past keep_full) have been compacted */
  GPtrArray  *deferred;   /* records still in flight when cursor passed them */
  GSource    *compactor;  /* idle source compacting old records, when one is due */
  GSource    *trimmer;    /* gives freed memory back to the system, TRIM_DELAY_S after a drop */
};

/* Explanations are the bulk of a record (a few kB of JSON with every candidate); the newest
 * DEFAULT_KEEP_FULL keep theirs ready, older ones keep it compressed (pm_record_compact) so a
 * log of 10,000 stays small. Done from an idle a couple of records at a time, never on the
 * request's own path; at the default priority, as a lower one never runs while requests keep
 * coming (and the log would grow until they stop). */
#define DEFAULT_KEEP_FULL 500
#define COMPACT_BATCH       2

/* Once the log is full every request drops the oldest record and compacts another: what they
 * held is freed in the middle of the heap, between records and sessions that live on, and glibc
 * keeps such pages resident (it only gives back the top of the heap). The live heap of
 * `pointsman-cli serve` under bench-load stays flat once the log is full (heaptrack: 29.5 MiB
 * from 9,000 to 13,000 requests), yet its RSS kept rising (80.6 → 89.9 MiB from 10,000 to
 * 24,000 requests; MALLOC_ARENA_MAX=2 does not stop it). So at most once per TRIM_DELAY_S after
 * the log let go of something, malloc_trim(0) returns the free pages (docs/HARDENING.md, "Load"). */
#define TRIM_DELAY_S 1

static void schedule_trim (PmRequestLog *self);

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PmRequestLog, pm_request_log, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  PROP_MAX_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The record at position (0: the oldest); position < n_items. */
static inline PmRecord *
item_at (PmRequestLog *self,
         guint         position)
{
  guint i = self->head + position;

  g_assert (position < self->n_items);

  return self->ring[i < self->capacity ? i : i - self->capacity];
}

/* Room for one more record: doubles the ring (up to max_items), laid out again from 0. */
static void
ring_grow (PmRequestLog *self)
{
  guint capacity = self->capacity > 0 ? self->capacity * 2 : 16;
  PmRecord **ring;

  if (self->max_items > 0)
    capacity = MIN (capacity, self->max_items);
  g_assert (capacity > self->n_items);

  ring = g_new (PmRecord *, capacity);
  for (guint i = 0; i < self->n_items; i++)
    ring[i] = item_at (self, i);
  g_free (self->ring);
  self->ring = ring;
  self->capacity = capacity;
  self->head = 0;
}

/* Takes the oldest n records out of the log (and their ids out of by_id) and unrefs them. */
static void
ring_drop_oldest (PmRequestLog *self,
                  guint         n)
{
  g_assert (n <= self->n_items);

  for (guint i = 0; i < n; i++)
    {
      PmRecord *old = self->ring[self->head];

      /* Only drop the mapping if it points at this very record. */
      if (g_hash_table_lookup (self->by_id, pm_record_get_id (old)) == old)
        g_hash_table_remove (self->by_id, pm_record_get_id (old));
      self->ring[self->head] = NULL;
      self->head = self->head + 1 < self->capacity ? self->head + 1 : 0;
      self->n_items--;
      g_object_unref (old);
    }
  if (self->n_items == 0)
    self->head = 0;
}

static GType
pm_request_log_get_item_type (GListModel *model)
{
  return PM_TYPE_RECORD;
}

static guint
pm_request_log_get_n_items (GListModel *model)
{
  PmRequestLog *self = PM_REQUEST_LOG (model);

  return self->n_items;
}

static gpointer
pm_request_log_get_item (GListModel *model,
                         guint       position)
{
  PmRequestLog *self = PM_REQUEST_LOG (model);

  if (position >= self->n_items)
    return NULL;

  return g_object_ref (item_at (self, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pm_request_log_get_item_type;
  iface->get_n_items = pm_request_log_get_n_items;
  iface->get_item = pm_request_log_get_item;
}

static gboolean
record_finished (PmRecord *record)
{
  PmRecordState state = pm_record_get_state (record);

  return state == PM_RECORD_DONE || state == PM_RECORD_FAILED;
}

/* Finished records from the deferred list are compacted; the rest stay. */
static void
drain_deferred (GPtrArray *deferred,
                guint     *budget)
{
  for (guint i = 0; i < deferred->len && *budget > 0;)
    {
      PmRecord *record = g_ptr_array_index (deferred, i);

      if (record_finished (record))
        {
          pm_record_compact (record, TRUE);
          g_ptr_array_remove_index_fast (deferred, i);
          (*budget)--;
        }
      else
        i++;
    }
}

static gboolean
compact_cb (gpointer data)
{
  PmRequestLog *self = data;
  guint budget = COMPACT_BATCH;
  guint limit = self->n_items > self->keep_full ? self->n_items - self->keep_full : 0;

  drain_deferred (self->deferred, &budget);

  /* Past keep_full: compressed. */
  while (self->cursor < limit && budget > 0)
    {
      PmRecord *record = item_at (self, self->cursor++);

      if (record_finished (record))
        pm_record_compact (record, TRUE);
      else
        g_ptr_array_add (self->deferred, g_object_ref (record));
      budget--;
    }
  if (self->cursor < limit || budget == 0)
    return G_SOURCE_CONTINUE;
  /* Only records still in flight are left: look again at the next append. */
  g_clear_pointer (&self->compactor, g_source_unref);
  schedule_trim (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_compaction (PmRequestLog *self)
{
  if (self->compactor != NULL || self->keep_full == 0 ||
      (self->n_items <= self->keep_full && self->deferred->len == 0))
    return;

  self->compactor = g_idle_source_new ();
  g_source_set_priority (self->compactor, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->compactor, compact_cb, self, NULL);
  g_source_set_static_name (self->compactor, "[pointsman] request log compaction");
  g_source_attach (self->compactor, g_main_context_get_thread_default ());
}

static gboolean
trim_cb (gpointer data)
{
  PmRequestLog *self = data;

#ifdef HAVE_MALLOC_TRIM
  malloc_trim (0);
#endif
  g_clear_pointer (&self->trimmer, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Records (or their full explanations) were freed: trim soon, once for a whole burst. */
static void
schedule_trim (PmRequestLog *self)
{
#ifdef HAVE_MALLOC_TRIM
  if (self->trimmer != NULL)
    return;

  self->trimmer = g_timeout_source_new_seconds (TRIM_DELAY_S);
  g_source_set_callback (self->trimmer, trim_cb, self, NULL);
  g_source_set_static_name (self->trimmer, "[pointsman] request log trim");
  g_source_attach (self->trimmer, g_main_context_get_thread_default ());
#endif
}

static void
pm_request_log_dispose (GObject *object)
{
  PmRequestLog *self = (PmRequestLog *)object;

  if (self->compactor != NULL)
    {
      g_source_destroy (self->compactor);
      g_clear_pointer (&self->compactor, g_source_unref);
    }
  if (self->trimmer != NULL)
    {
      g_source_destroy (self->trimmer);
      g_clear_pointer (&self->trimmer, g_source_unref);
    }
  if (self->deferred->len > 0)
    g_ptr_array_remove_range (self->deferred, 0, self->deferred->len);


  g_hash_table_remove_all (self->by_id);
  ring_drop_oldest (self, self->n_items);

  G_OBJECT_CLASS (pm_request_log_parent_class)->dispose (object);
}

static void
pm_request_log_finalize (GObject *object)
{
  PmRequestLog *self = (PmRequestLog *)object;

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->ring, g_free);
  g_clear_pointer (&self->deferred, g_ptr_array_unref);


  G_OBJECT_CLASS (pm_request_log_parent_class)->finalize (object);
}

static void
pm_request_log_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PmRequestLog *self = PM_REQUEST_LOG (object);

  switch (prop_id)
    {
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, PM_TYPE_RECORD);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;
    case PROP_MAX_ITEMS:
      g_value_set_uint (value, self->max_items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_request_log_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PmRequestLog *self = PM_REQUEST_LOG (object);

  switch (prop_id)
    {
    case PROP_MAX_ITEMS:
      self->max_items = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_request_log_class_init (PmRequestLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_request_log_dispose;
  object_class->finalize = pm_request_log_finalize;
  object_class->get_property = pm_request_log_get_property;
  object_class->set_property = pm_request_log_set_property;

  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, PM_TYPE_RECORD,
                        (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_MAX_ITEMS] =
    g_param_spec_uint ("max-items", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pm_request_log_init (PmRequestLog *self)
{
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->deferred = g_ptr_array_new_with_free_func (g_object_unref);

  self->keep_full = DEFAULT_KEEP_FULL;
}

PmRequestLog *
pm_request_log_new (guint max_items)
{
  return g_object_new (PM_TYPE_REQUEST_LOG,
                       "max-items", max_items,
                       NULL);
}

/**
 * pm_request_log_append:
 *
 * Appends record (a reference is taken). A record whose id is already in the log is not added
 * twice. Drops the oldest records beyond max-items.
 */
void
pm_request_log_append (PmRequestLog *self,
                       PmRecord     *record)
{
  guint removed = 0;
  guint position;

  g_return_if_fail (PM_IS_REQUEST_LOG (self));
  g_return_if_fail (PM_IS_RECORD (record));

  if (g_hash_table_contains (self->by_id, pm_record_get_id (record)))
    return;

  if (self->max_items > 0 && self->n_items >= self->max_items)
    {
      removed = self->n_items - self->max_items + 1;
      ring_drop_oldest (self, removed);
      self->cursor = self->cursor > removed ? self->cursor - removed : 0;

      g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
      schedule_trim (self);
    }

  if (self->n_items == self->capacity)
    ring_grow (self);
  position = self->n_items;
  {
    guint i = self->head + position;

    self->ring[i < self->capacity ? i : i - self->capacity] = g_object_ref (record);
    self->n_items++;
  }
  g_hash_table_insert (self->by_id, (gpointer) pm_record_get_id (record), record);

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  schedule_compaction (self);
}

/**
 * pm_request_log_set_keep_full:
 *
 * How many of the newest records keep their explanation uncompressed (0: all of them).
 */
void
pm_request_log_set_keep_full (PmRequestLog *self,
                              guint         keep_full)
{
  g_return_if_fail (PM_IS_REQUEST_LOG (self));

  self->keep_full = keep_full;
  schedule_compaction (self);
}

/**
 * pm_request_log_lookup:
 *
 * Returns: (transfer none) (nullable): the record with this id.
 */
PmRecord *
pm_request_log_lookup (PmRequestLog *self,
                       const char   *id)
{
  g_return_val_if_fail (PM_IS_REQUEST_LOG (self), NULL);

  if (id == NULL)
    return NULL;

  return g_hash_table_lookup (self->by_id, id);
}

void
pm_request_log_clear (PmRequestLog *self)
{
  guint n;

  g_return_if_fail (PM_IS_REQUEST_LOG (self));

  n = self->n_items;
  if (n == 0)
    return;

  g_hash_table_remove_all (self->by_id);
  ring_drop_oldest (self, n);
  self->cursor = 0;
  schedule_trim (self);

  g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}
