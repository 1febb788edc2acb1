/* pm-record.h — one request as the log, the store and the UI see it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "pm-types.h"
#include "pm-usage.h"

G_BEGIN_DECLS

typedef enum
{
  PM_RECORD_PENDING = 0,
  PM_RECORD_STREAMING,
  PM_RECORD_DONE,
  PM_RECORD_FAILED,
} PmRecordState;

#define PM_TYPE_RECORD (pm_record_get_type ())
G_DECLARE_FINAL_TYPE (PmRecord, pm_record, PM, RECORD, GObject)

/* Properties (all readable; notify is emitted on the thread that changes them — the proxy only
 * changes records on the main thread; the request’s string properties read "" until set, never NULL):
 *   "id" string, "time" int64 (unix µs), "session" string, "agent" string, "kind" string,
 *   "api" string, "requested-model" string, "model" string, "effort" string, "provider" string,
 *   "routed" bool, "input-tokens" int64 (uncached), "cache-read-tokens" int64,
 *   "cache-write-tokens" int64, "output-tokens" int64, "reasoning-tokens" int64,
 *   "cache-hit" double (0..1 of prompt), "cost" double, "baseline-cost" double, "saved" double,
 *   "ttfb-ms" double, "total-ms" double, "status" int (HTTP), "state" int (PmRecordState),
 *   "summary" string, "explanation" string (JSON), "error" string, "prompt" string (NULL unless
 *   the user allows prompt text in the log). */
PmRecord     *pm_record_new                 (const char     *id,
                                             gint64          time_us);
PmRecord     *pm_record_new_from_json       (JsonObject     *object);
JsonNode     *pm_record_to_json             (PmRecord       *self);
JsonNode     *pm_record_to_store_json       (PmRecord       *self);

const char   *pm_record_get_id              (PmRecord       *self);
gint64        pm_record_get_time            (PmRecord       *self);
const char   *pm_record_get_session         (PmRecord       *self);
const char   *pm_record_get_agent           (PmRecord       *self);
const char   *pm_record_get_kind            (PmRecord       *self);
const char   *pm_record_get_api             (PmRecord       *self);
const char   *pm_record_get_requested_model (PmRecord       *self);
const char   *pm_record_get_provider        (PmRecord       *self);
gboolean      pm_record_get_routed          (PmRecord       *self);
double        pm_record_get_ttfb_ms         (PmRecord       *self);
double        pm_record_get_total_ms        (PmRecord       *self);
guint         pm_record_get_status          (PmRecord       *self);
const char   *pm_record_get_error           (PmRecord       *self);
/* NULL unless the configuration allows prompt text in the log. */
const char   *pm_record_get_prompt          (PmRecord       *self);
void          pm_record_set_prompt          (PmRecord       *self,
                                             const char     *prompt);
const char   *pm_record_get_model           (PmRecord       *self);
const char   *pm_record_get_effort          (PmRecord       *self);
double        pm_record_get_cost            (PmRecord       *self);
double        pm_record_get_baseline_cost   (PmRecord       *self);
PmRecordState pm_record_get_state           (PmRecord       *self);
const char   *pm_record_get_explanation     (PmRecord       *self);
/* Keep the explanation compressed only (compress TRUE: old records in a long log) or as text
 * only (FALSE); returns the bytes it now takes. Everything reads the same afterwards; a
 * compacted record inflates it again when it is read (pm_record_get_explanation: the pointer
 * stays valid until the record's explanation is set or compacted again). */
gsize         pm_record_compact             (PmRecord       *self,
                                             gboolean        compress);
gboolean      pm_record_is_compact          (PmRecord       *self);
const char   *pm_record_get_summary         (PmRecord       *self);
void          pm_record_get_usage           (PmRecord       *self,
                                             PmUsage        *usage);

/* Setters used by the proxy (and by replays/demo). Each notifies what changed. */
void          pm_record_set_request         (PmRecord       *self,
                                             const char     *session,
                                             PmAgent         agent,
                                             PmKind          kind,
                                             PmApi           api,
                                             const char     *requested_model);
void          pm_record_set_decision        (PmRecord       *self,
                                             const char     *model,
                                             const char     *effort,
                                             const char     *provider,
                                             gboolean        routed,
                                             const char     *summary,
                                             JsonNode       *explanation);
void          pm_record_set_usage           (PmRecord       *self,
                                             const PmUsage  *usage,
                                             double          cost,
                                             double          baseline_cost);
void          pm_record_set_timing          (PmRecord       *self,
                                             double          ttfb_ms,
                                             double          total_ms);
void          pm_record_set_state           (PmRecord       *self,
                                             PmRecordState   state,
                                             guint           status,
                                             const char     *error);

G_END_DECLS
