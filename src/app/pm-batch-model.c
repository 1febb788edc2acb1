/* pm-batch-model.c — a GListModel that follows another one a main-loop iteration late
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-batch-model"

#include "config.h"

#include "pm-batch-model.h"

struct _PmBatchModel
{
  GObject     parent_instance;

  GListModel *source;
  GPtrArray  *items;          /* the source as of the last flush (refs) */
  GType       item_type;

  /* Since the last flush: only removals at the front and appends at the end (simple), with
   * how many of each; anything else makes the next flush a replacement. */
  gboolean    pending;
  gboolean    simple;
  guint       front_removed;
  guint       source_n;       /* the source's length as the changes went */
  guint       idle_id;
  guint       n_emitted;
};

static void pm_batch_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PmBatchModel, pm_batch_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, pm_batch_model_list_model_init))

static GType
pm_batch_model_get_item_type (GListModel *model)
{
  return PM_BATCH_MODEL (model)->item_type;
}

static guint
pm_batch_model_get_n_items (GListModel *model)
{
  return PM_BATCH_MODEL (model)->items->len;
}

static gpointer
pm_batch_model_get_item (GListModel *model,
                         guint       position)
{
  PmBatchModel *self = PM_BATCH_MODEL (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
pm_batch_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = pm_batch_model_get_item_type;
  iface->get_n_items = pm_batch_model_get_n_items;
  iface->get_item = pm_batch_model_get_item;
}

static void
emit (PmBatchModel *self,
      guint         position,
      guint         removed,
      guint         added)
{
  if (removed == 0 && added == 0)
    return;
  self->n_emitted++;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

void
pm_batch_model_flush (PmBatchModel *self)
{
  guint n, old_n;

  g_return_if_fail (PM_IS_BATCH_MODEL (self));

  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (!self->pending)
    return;
  self->pending = FALSE;

  n = self->source != NULL ? g_list_model_get_n_items (self->source) : 0;
  old_n = self->items->len;

  if (self->simple && self->front_removed <= old_n && n >= old_n - self->front_removed)
    {
      guint kept = old_n - self->front_removed;

      /* Dropped at the front, then appended: what is left of ours is the source's head. */
      if (self->front_removed > 0)
        {
          g_ptr_array_remove_range (self->items, 0, self->front_removed);
          emit (self, 0, self->front_removed, 0);
        }
      for (guint i = kept; i < n; i++)
        g_ptr_array_add (self->items, g_list_model_get_item (self->source, i));
      emit (self, kept, 0, n - kept);
    }
  else
    {
      g_ptr_array_set_size (self->items, 0);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (self->items, g_list_model_get_item (self->source, i));
      emit (self, 0, old_n, n);
    }
  self->simple = TRUE;
  self->front_removed = 0;
  self->source_n = n;
}

static gboolean
flush_cb (gpointer data)
{
  PmBatchModel *self = data;

  self->idle_id = 0;
  pm_batch_model_flush (self);

  return G_SOURCE_REMOVE;
}

static void
on_source_items_changed (PmBatchModel *self,
                         guint         position,
                         guint         removed,
                         guint         added,
                         GListModel   *source)
{
  if (removed == 0 && added == 0)
    return;

  /* Simple while the source is our items from front_removed on, then appended ones. */
  if (self->simple)
    {
      if (position == 0 && added == 0 && removed <= self->items->len - self->front_removed)
        self->front_removed += removed;
      else if (position != self->source_n || removed != 0)
        self->simple = FALSE;
    }
  self->source_n = self->source_n + added - removed;

  self->pending = TRUE;
  if (self->idle_id == 0)
    self->idle_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10, flush_cb, self, NULL);
}

GListModel *
pm_batch_model_get_source (PmBatchModel *self)
{
  g_return_val_if_fail (PM_IS_BATCH_MODEL (self), NULL);
  return self->source;
}

guint
pm_batch_model_get_n_emitted (PmBatchModel *self)
{
  g_return_val_if_fail (PM_IS_BATCH_MODEL (self), 0);
  return self->n_emitted;
}

static void
pm_batch_model_dispose (GObject *object)
{
  PmBatchModel *self = PM_BATCH_MODEL (object);

  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_func (self->source, on_source_items_changed, self);
  g_clear_object (&self->source);
  if (self->items != NULL)
    g_ptr_array_set_size (self->items, 0);

  G_OBJECT_CLASS (pm_batch_model_parent_class)->dispose (object);
}

static void
pm_batch_model_finalize (GObject *object)
{
  PmBatchModel *self = PM_BATCH_MODEL (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (pm_batch_model_parent_class)->finalize (object);
}

static void
pm_batch_model_class_init (PmBatchModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_batch_model_dispose;
  object_class->finalize = pm_batch_model_finalize;
}

static void
pm_batch_model_init (PmBatchModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->simple = TRUE;
  self->item_type = G_TYPE_OBJECT;
}

PmBatchModel *
pm_batch_model_new (GListModel *source)
{
  PmBatchModel *self;

  g_return_val_if_fail (source == NULL || G_IS_LIST_MODEL (source), NULL);

  self = g_object_new (PM_TYPE_BATCH_MODEL, NULL);
  if (source != NULL)
    {
      self->source = g_object_ref (source);
      self->item_type = g_list_model_get_item_type (source);
      for (guint i = 0; i < g_list_model_get_n_items (source); i++)
        g_ptr_array_add (self->items, g_list_model_get_item (source, i));
      self->source_n = self->items->len;
      g_signal_connect_object (source, "items-changed", G_CALLBACK (on_source_items_changed), self,
                               G_CONNECT_SWAPPED);
    }
  return self;
}
