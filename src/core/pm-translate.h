/* pm-translate.h — Anthropic Messages ⇄ OpenAI Chat Completions ⇄ OpenAI Responses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

/* Translate a request body from the client's API to the upstream's. Returns a new node (a copy
 * when from == to). target_model_changed: drop signed thinking blocks (they are model-bound). */
JsonNode *pm_translate_request   (PmApi        from,
                                  PmApi        to,
                                  JsonNode    *body,
                                  gboolean     target_model_changed,
                                  GError     **error);
/* The same, with the upstream provider's preset ("anthropic", "openai", "openrouter", "gemini",
 * "litellm", "portkey", "ollama", "llamacpp", "vllm", "deepseek", or NULL for plain OpenAI /
 * Anthropic behaviour) for provider-specific tweaks: OpenRouter's `reasoning` object and usage
 * accounting, Gemini schema sanitising and thought_signature placeholders, max_tokens for local
 * servers and DeepSeek, and Claude Code's billing block stripped for non-Anthropic upstreams
 * that speak the Anthropic format. */
JsonNode *pm_translate_request_for_provider (PmApi        from,
                                             PmApi        to,
                                             JsonNode    *body,
                                             gboolean     target_model_changed,
                                             const char  *preset,
                                             GError     **error);
/* Set prompt_cache_key on an OpenAI-format upstream body (e.g. to the session id) unless the
 * body already has one. No-op for Anthropic upstreams. */
void      pm_translate_set_prompt_cache_key (PmApi        upstream_api,
                                             JsonNode    *upstream_body,
                                             const char  *key);
/* Translate a whole non-streamed response body from upstream API to client API. */
JsonNode *pm_translate_response  (PmApi        from,
                                  PmApi        to,
                                  JsonNode    *response,
                                  const char  *client_model,
                                  GError     **error);

/* The same, given the client's request body: names Pointsman had to change on the way (tool
 * names over OpenAI's 64 characters) are given back as the client wrote them. */
JsonNode *pm_translate_response_for_request (PmApi        from,
                                             PmApi        to,
                                             JsonNode    *response,
                                             const char  *client_model,
                                             JsonNode    *client_body,
                                             GError     **error);

/* An error body in the client's own API shape. type: e.g. "invalid_request_error",
 * "rate_limit_error", "api_error", "overloaded_error", "authentication_error". */
char     *pm_error_body          (PmApi        client_api,
                                  const char  *type,
                                  const char  *message);
/* The same as an in-stream error event (complete SSE text): Anthropic `event: error`, Chat a
 * `data: {"error":…}` chunk, Responses an `error` event followed by `response.failed`. */
char     *pm_error_event         (PmApi        client_api,
                                  const char  *type,
                                  const char  *message);
/* The same after events the client already got: a Responses error event carries
 * sequence_number (and response.failed the one after it), so the stream's numbers keep
 * increasing. Keep next with pm_responses_next_sequence () over everything sent to the client. */
char     *pm_error_event_at      (PmApi        client_api,
                                  const char  *type,
                                  const char  *message,
                                  gint64       sequence_number);
/* The sequence_number after the SSE text sse (whole events): highest "sequence_number" + 1, or
 * next when none is as high. */
gint64    pm_responses_next_sequence (const char *sse,
                                      gsize       len,
                                      gint64      next);
/* Translate an upstream error body (any API shape, or plain text) into the client's shape. */
char     *pm_translate_error     (PmApi        from,
                                  PmApi        to,
                                  guint        status,
                                  const char  *body,
                                  gsize        length);

/* Streaming: feed upstream SSE events, get client SSE text appended to out. */
typedef struct _PmStreamTranslator PmStreamTranslator;

PmStreamTranslator *pm_stream_translator_new    (PmApi                from,
                                                 PmApi                to,
                                                 const char          *client_model);
void                pm_stream_translator_free   (PmStreamTranslator  *self);
/* event may be NULL (Chat chunks); data is the event's data text. */
gboolean            pm_stream_translator_feed   (PmStreamTranslator  *self,
                                                 const char          *event,
                                                 const char          *data,
                                                 GString             *out,
                                                 GError             **error);
/* Upstream ended (cleanly or not): close what is open in the client's format. */
void                pm_stream_translator_finish (PmStreamTranslator  *self,
                                                 GString             *out);

/* Optional: the client's request body, so that names changed on the way out (tool names over
 * OpenAI's 64 characters) come back as the client wrote them. */
void                pm_stream_translator_set_client_request (PmStreamTranslator *self,
                                                             JsonNode           *client_body);
/* Chat clients: whether the stream ends with the usage-only chunk (default TRUE). OpenAI sends
 * it only when the request asked for stream_options.include_usage. */
void                pm_stream_translator_set_chat_usage (PmStreamTranslator *self,
                                                         gboolean            include);
/* The client's stream has ended (completed or error event sent). */
gboolean            pm_stream_translator_is_done (PmStreamTranslator *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmStreamTranslator, pm_stream_translator_free)

G_END_DECLS
