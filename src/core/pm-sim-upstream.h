/* pm-sim-upstream.h — a scripted upstream that speaks Anthropic Messages, Chat Completions and
 * Responses faithfully (streaming event sequences, usage with cache fields, errors). Used by the
 * tests, the benchmarks and the app's clearly labelled demo.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

#define PM_TYPE_SIM_UPSTREAM (pm_sim_upstream_get_type ())
G_DECLARE_FINAL_TYPE (PmSimUpstream, pm_sim_upstream, PM, SIM_UPSTREAM, GObject)

PmSimUpstream *pm_sim_upstream_new        (void);
/* Listens on 127.0.0.1 (port 0 = any). */
gboolean       pm_sim_upstream_start      (PmSimUpstream *self,
                                           guint          port,
                                           GError       **error);
guint          pm_sim_upstream_get_port   (PmSimUpstream *self);
char          *pm_sim_upstream_dup_url    (PmSimUpstream *self);
void           pm_sim_upstream_stop       (PmSimUpstream *self);

/* ---- Scripting ----
 *
 * A PmSimReply describes the next answer: text, thinking, tool calls, or an error. Replies are
 * queued (FIFO) and each request takes the next one; with an empty queue the upstream answers a
 * default text reply. The same reply is written in whichever API the request came in
 * (/v1/messages, /v1/chat/completions, /v1/responses; /v1/responses/compact answers whole with a
 * response.compaction object), streamed or not as the request asks.
 * Usage is derived from the request (≈ 4 bytes per token) with a per-model prefix memory, so
 * repeating a prefix gives cache reads (Anthropic: only up to cache_control breakpoints, writes
 * reported; OpenAI: automatic from 1024 tokens, in 128-token steps). A reply longer than the
 * request's max_tokens / max_completion_tokens / max_output_tokens is cut there, with the API's
 * stop signal (stop_reason max_tokens, finish_reason length, response.incomplete). */
typedef struct _PmSimReply PmSimReply;

typedef enum
{
  PM_SIM_FAIL_NONE = 0,
  PM_SIM_FAIL_ERROR_EVENT,    /* an in-stream error event in the API's shape, then the end */
  PM_SIM_FAIL_DROP,           /* the connection is closed without ending the stream */
} PmSimFailMode;

PmSimReply    *pm_sim_reply_new             (const char    *text);
PmSimReply    *pm_sim_reply_ref             (PmSimReply    *reply);
void           pm_sim_reply_unref           (PmSimReply    *reply);
void           pm_sim_reply_set_thinking    (PmSimReply    *reply,
                                             const char    *thinking);
/* arguments: a JSON object as text. */
void           pm_sim_reply_add_tool_call   (PmSimReply    *reply,
                                             const char    *name,
                                             const char    *arguments);
/* An HTTP error in the API's own shape (type e.g. "invalid_request_error", "overloaded_error",
 * "rate_limit_error", "api_error"). retry_after > 0 adds a retry-after header. */
void           pm_sim_reply_set_error       (PmSimReply    *reply,
                                             guint          status,
                                             const char    *type,
                                             const char    *message,
                                             guint          retry_after);
/* first_ms: before the response headers; between_ms: between stream events. */
void           pm_sim_reply_set_delays      (PmSimReply    *reply,
                                             guint          first_ms,
                                             guint          between_ms);
/* Stream pieces: the text is cut into chunks of about this many bytes (default 8). */
void           pm_sim_reply_set_chunk_size  (PmSimReply    *reply,
                                             guint          bytes);
/* Fail after n_events stream events have been sent. */
void           pm_sim_reply_set_fail        (PmSimReply    *reply,
                                             PmSimFailMode  mode,
                                             guint          n_events);
/* Override the derived usage (any value < 0 keeps the derived one). */
void           pm_sim_reply_set_usage       (PmSimReply    *reply,
                                             gint64         input,
                                             gint64         cache_read,
                                             gint64         cache_write,
                                             gint64         output,
                                             gint64         reasoning);
/* Gateway behaviour: report this cost in an x-litellm-response-cost header and, in Chat
 * usage, as OpenRouter's usage.cost. */
void           pm_sim_reply_set_reported_cost (PmSimReply *reply,
                                             double         cost);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmSimReply, pm_sim_reply_unref)

/* Queue a reply (takes a reference). */
void           pm_sim_upstream_push_reply   (PmSimUpstream *self,
                                             PmSimReply    *reply);
void           pm_sim_upstream_clear_replies (PmSimUpstream *self);
/* Requests must carry this key (x-api-key or Authorization: Bearer), else 401 in the API's
 * shape. NULL = accept anything. */
void           pm_sim_upstream_set_required_key (PmSimUpstream *self,
                                             const char    *key);
/* Forget the prefix memory (no cache hits until prefixes repeat again). */
void           pm_sim_upstream_reset_cache  (PmSimUpstream *self);
/* Minimum cacheable prefix in tokens (default 1024). */
void           pm_sim_upstream_set_cache_min_tokens (PmSimUpstream *self,
                                             gint64         tokens);

/* Inspecting what arrived. */
guint          pm_sim_upstream_get_n_requests      (PmSimUpstream *self);
guint          pm_sim_upstream_get_n_connections   (PmSimUpstream *self);
/* Streams whose last event has been written. */
guint          pm_sim_upstream_get_n_streams_done  (PmSimUpstream *self);
/* Stream events written so far, over all requests. */
guint          pm_sim_upstream_get_n_events_sent   (PmSimUpstream *self);
const char    *pm_sim_upstream_get_last_path       (PmSimUpstream *self);
/* Lower-case header name → value. */
GHashTable    *pm_sim_upstream_get_last_headers    (PmSimUpstream *self);
const char    *pm_sim_upstream_get_last_header     (PmSimUpstream *self,
                                                    const char    *lower_name);
GBytes        *pm_sim_upstream_get_last_body       (PmSimUpstream *self);
/* The last body parsed, or NULL when it was not JSON. */
JsonNode      *pm_sim_upstream_get_last_json       (PmSimUpstream *self);
/* The usage the last reply reported: the values written on the wire, normalised. */
void           pm_sim_upstream_get_last_usage      (PmSimUpstream *self,
                                                    gint64        *input,
                                                    gint64        *cache_read,
                                                    gint64        *cache_write,
                                                    gint64        *output,
                                                    gint64        *reasoning);

G_END_DECLS
