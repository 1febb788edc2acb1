/* pm-wire.h — writing model, effort and thinking on the wire, per model generation and provider
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pm-catalog.h"

G_BEGIN_DECLS

typedef enum
{
  PM_WIRE_PROVIDER_NATIVE = 0,    /* the vendor's own API or a faithful gateway */
  PM_WIRE_PROVIDER_OPENROUTER,    /* reasoning{effort} instead of reasoning_effort */
} PmWireProvider;

/* The accepted effort closest to @effort (ties go up); UNSET stays UNSET. */
PmEffort        pm_wire_nearest_effort   (const PmModelInfo *model,
                                          PmEffort           effort);
/* OpenRouter-style names ("vendor/model") on OpenAI-family APIs. */
PmWireProvider  pm_wire_guess_provider   (PmApi              upstream_api,
                                          const char        *upstream_name);
/* Remove signed thinking (Anthropic thinking/redacted_thinking blocks, Responses reasoning
 * items with encrypted content, Gemini thought signatures). Returns how many were removed. */
guint           pm_wire_drop_thinking    (PmApi              upstream_api,
                                          JsonObject        *body);
/* Rewrite @body (already in @upstream_api) for @model at @effort: model name, effort and
 * thinking fields as that model generation takes them, max tokens clamped to the model's
 * limit. With drop_thinking, signed thinking is removed and thinking disabled. */
gboolean        pm_wire_apply            (const PmModelInfo *model,
                                          PmApi              upstream_api,
                                          PmWireProvider     provider,
                                          const char        *upstream_name,
                                          PmEffort           effort,
                                          gboolean           drop_thinking,
                                          JsonObject        *body,
                                          GError           **error);

G_END_DECLS
