/* pm-translate-private.h — helpers shared by the pm-translate-*.c files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pm-translate.h"

G_BEGIN_DECLS

/* Safe JSON accessors: NULL / default when the member is missing or of another type. */
const char *_pm_json_get_string  (JsonObject  *object,
                                  const char  *member);
gint64      _pm_json_get_int     (JsonObject  *object,
                                  const char  *member,
                                  gint64       fallback);
gboolean    _pm_json_get_bool    (JsonObject  *object,
                                  const char  *member,
                                  gboolean     fallback);
JsonObject *_pm_json_get_object  (JsonObject  *object,
                                  const char  *member);
JsonArray  *_pm_json_get_array   (JsonObject  *object,
                                  const char  *member);
/* The element as an object, or NULL (no warning) when it is something else. */
JsonObject *_pm_json_array_get_object (JsonArray *array,
                                       guint      index);
char       *_pm_json_object_to_string (JsonObject *object);
/* json_node_copy shares objects and arrays; this copies all the way down. */
JsonNode   *_pm_json_deep_copy   (JsonNode    *node);
JsonObject *_pm_json_parse_object (const char *text,
                                   gssize      length);

/* Token counts in Anthropic's meaning: input is the uncached, unwritten part. */
typedef struct
{
  gint64   input;
  gint64   cache_read;
  gint64   cache_write;
  gint64   output;
  gint64   reasoning;
  gboolean seen;
} PmTokens;

/* Replace the fields a usage object of the given API carries. */
void        _pm_tokens_from_usage (PmTokens       *tokens,
                                   PmApi           api,
                                   JsonObject     *usage);
JsonObject *_pm_tokens_to_usage   (const PmTokens *tokens,
                                   PmApi           api);

/* Responses output items and the response object. */
JsonObject *_pm_responses_message_item   (const char *id,
                                          const char *text,
                                          const char *status);
JsonObject *_pm_responses_call_item      (const char *id,
                                          const char *call_id,
                                          const char *name,
                                          const char *arguments,
                                          const char *status);
JsonObject *_pm_responses_reasoning_item (const char *id,
                                          const char *text);
/* Takes output and usage. */
JsonObject *_pm_responses_object         (const char *id,
                                          const char *model,
                                          const char *status,
                                          const char *incomplete_reason,
                                          JsonArray  *output,
                                          JsonObject *usage);

/* Stop reasons: Anthropic ⇄ Chat finish_reason. */
const char *_pm_stop_reason_to_finish (const char *stop_reason);
const char *_pm_finish_to_stop_reason (const char *finish_reason);

/* Append one SSE event in wire form (no event line when event is NULL). */
void        _pm_sse_append       (GString     *out,
                                  const char  *event,
                                  const char  *data);

/* The session part of an Anthropic metadata.user_id (legacy or JSON form), or NULL. */
char       *_pm_session_from_user_id (const char *user_id);

/* A Responses client's in-stream error: the error event, then response.failed (takes
 * response, the snapshot so far, or NULL for a bare one). */
void        _pm_responses_error_events (GString    *out,
                                        const char *type,
                                        const char *message,
                                        gint64     *sequence,
                                        JsonObject *response);

/* An Anthropic error type for an OpenAI error type / code, with the HTTP status as fallback. */
const char *_pm_error_type_from_openai (const char *type,
                                        const char *code,
                                        guint       status);

/* Responses items Pointsman writes itself (from another API's output) carry these prefixes,
 * so that they are recognised when the client sends them back: such reasoning items hold no
 * encrypted content and are dropped, and such ids are never shown to a Responses upstream. */
#define PM_SYNTH_REASONING_PREFIX "rs_pm"
#define PM_SYNTH_MESSAGE_PREFIX   "msg_pm"
#define PM_SYNTH_CALL_PREFIX      "fc_pm"

/* A tool call id as Anthropic accepts it (^[a-zA-Z0-9_-]+$): other characters become '_'
 * (Kimi's "functions.Bash:0" → "functions_Bash_0"), the same way every time so that a call and
 * its result still match. NULL or empty gives a fresh id. */
char       *_pm_anthropic_tool_id (const char *id);

/* OpenAI takes function names of at most 64 characters, Anthropic longer ones (long MCP tool
 * names): longer names become their first 55 characters, '_' and 8 hex digits of their SHA-1,
 * the same way every time. */
char       *_pm_openai_tool_name (const char *name);
/* Shortened name → the client's own, for the client's tools that needed shortening. */
GHashTable *_pm_tool_name_map    (JsonNode   *client_body);

/* A fresh id with a prefix, e.g. "msg_", "chatcmpl-", "resp_", "call_". */
char       *_pm_make_id          (const char  *prefix);

G_END_DECLS
