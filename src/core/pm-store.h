/* pm-store.h — the durable request log (SQLite, WAL, versioned schema, writer thread)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "pm-record.h"

G_BEGIN_DECLS

#define PM_TYPE_STORE (pm_store_get_type ())
G_DECLARE_FINAL_TYPE (PmStore, pm_store, PM, STORE, GObject)

/* Opens (creating directories and migrating the schema) the database at path. */
PmStore    *pm_store_open              (const char   *path,
                                        GError      **error);
const char *pm_store_get_path          (PmStore      *self);
/* Queue a snapshot of the record for writing (insert or update by id). Never blocks on disk;
 * the queue is bounded. Thread-safe. */
void        pm_store_save              (PmStore      *self,
                                        PmRecord     *record);
/* Wait until everything queued so far is committed. */
gboolean    pm_store_flush             (PmStore      *self,
                                        GError      **error);
/* Most recent first. JSON objects as pm_record_to_json () writes them. */
JsonArray  *pm_store_list_recent       (PmStore      *self,
                                        guint         limit,
                                        GError      **error);
/* Cap the database size (0 = no cap): writes beyond it fail as on a full disk. */
void        pm_store_set_max_size      (PmStore      *self,
                                        gint64        max_bytes);
/* Spend of the current UTC day (the router's budget day), for the daily budget. */
double      pm_store_get_spend_today   (PmStore      *self);
/* The last error the writer hit (disk full, read-only), or NULL. Main thread. */
const char *pm_store_get_warning       (PmStore      *self);
void        pm_store_close             (PmStore      *self);

G_END_DECLS
