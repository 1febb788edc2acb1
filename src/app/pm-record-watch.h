/* pm-record-watch.h — records watched until they finish, each with its notify::state handler
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "pm-record.h"

G_BEGIN_DECLS

typedef struct _PmRecordWatch PmRecordWatch;

PmRecordWatch *pm_record_watch_new        (GCallback      on_state,
                                           gpointer       user_data);
void           pm_record_watch_free       (PmRecordWatch *self);
gboolean       pm_record_watch_add        (PmRecordWatch *self,
                                           PmRecord      *record);
gboolean       pm_record_watch_remove     (PmRecordWatch *self,
                                           PmRecord      *record);
gboolean       pm_record_watch_contains   (PmRecordWatch *self,
                                           PmRecord      *record);
void           pm_record_watch_remove_all (PmRecordWatch *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmRecordWatch, pm_record_watch_free)

G_END_DECLS
