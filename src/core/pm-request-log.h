/* pm-request-log.h — the live list of requests (a GListModel of PmRecord, newest last)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pm-record.h"

G_BEGIN_DECLS

#define PM_TYPE_REQUEST_LOG (pm_request_log_get_type ())
G_DECLARE_FINAL_TYPE (PmRequestLog, pm_request_log, PM, REQUEST_LOG, GObject)

/* max_items: oldest records are dropped beyond it (0 = unlimited). Main thread only. */
PmRequestLog *pm_request_log_new        (guint          max_items);
void          pm_request_log_append     (PmRequestLog  *self,
                                         PmRecord      *record);
PmRecord     *pm_request_log_lookup     (PmRequestLog  *self,
                                         const char    *id);
void          pm_request_log_clear      (PmRequestLog  *self);
/* The newest keep_full records (500 by default) keep their explanation ready; older finished
 * ones are compacted (pm_record_compact) from a low-priority idle. 0 keeps all. */
void          pm_request_log_set_keep_full (PmRequestLog *self,
                                            guint         keep_full);

G_END_DECLS
