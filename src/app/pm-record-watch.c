/* pm-record-watch.c — records watched until they finish, each with its notify::state handler
 *
 * One callback and user data for the whole set, connected once per record. The set holds no
 * reference: whoever holds the records removes each one before dropping it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-record-watch"

#include "config.h"

#include "pm-record-watch.h"

struct _PmRecordWatch
{
  GHashTable *handlers;       /* PmRecord → notify::state handler */
  GCallback   on_state;
  gpointer    user_data;
};

PmRecordWatch *
pm_record_watch_new (GCallback on_state,
                     gpointer  user_data)
{
  PmRecordWatch *self;

  g_return_val_if_fail (on_state != NULL, NULL);

  self = g_new0 (PmRecordWatch, 1);
  self->handlers = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->on_state = on_state;
  self->user_data = user_data;

  return self;
}

/* Disconnects every handler left. */
void
pm_record_watch_free (PmRecordWatch *self)
{
  if (self == NULL)
    return;

  pm_record_watch_remove_all (self);
  g_hash_table_unref (self->handlers);
  g_free (self);
}

/* Connects the handler unless the record is watched already; TRUE if it was not. */
gboolean
pm_record_watch_add (PmRecordWatch *self,
                     PmRecord      *record)
{
  gulong handler;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (PM_IS_RECORD (record), FALSE);

  if (g_hash_table_contains (self->handlers, record))
    return FALSE;
  handler = g_signal_connect (record, "notify::state", self->on_state, self->user_data);
  g_hash_table_insert (self->handlers, record, GSIZE_TO_POINTER (handler));

  return TRUE;
}

/* Disconnects the record's handler (it may be running); TRUE if the record was watched. */
gboolean
pm_record_watch_remove (PmRecordWatch *self,
                        PmRecord      *record)
{
  gpointer handler;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!g_hash_table_lookup_extended (self->handlers, record, NULL, &handler))
    return FALSE;
  g_signal_handler_disconnect (record, GPOINTER_TO_SIZE (handler));
  g_hash_table_remove (self->handlers, record);

  return TRUE;
}

gboolean
pm_record_watch_contains (PmRecordWatch *self,
                          PmRecord      *record)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return g_hash_table_contains (self->handlers, record);
}

void
pm_record_watch_remove_all (PmRecordWatch *self)
{
  GHashTableIter iter;
  gpointer record, handler;

  g_return_if_fail (self != NULL);

  g_hash_table_iter_init (&iter, self->handlers);
  while (g_hash_table_iter_next (&iter, &record, &handler))
    g_signal_handler_disconnect (record, GPOINTER_TO_SIZE (handler));
  g_hash_table_remove_all (self->handlers);
}
