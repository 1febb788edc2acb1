/* pm-usage.h — token usage as providers report it, and what it costs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

/* Normalised usage. `input` is the uncached, unwritten part only (Anthropic's meaning), so the
 * prompt total is input + cache_read + cache_write_5m + cache_write_1h. */
struct _PmUsage
{
  gint64   input;
  gint64   cache_read;
  gint64   cache_write_5m;
  gint64   cache_write_1h;
  gint64   output;            /* includes reasoning */
  gint64   reasoning;
  gboolean seen;              /* some usage was reported */
  double   reported_cost;     /* upstream's own cost (OpenRouter usage.cost, LiteLLM header); < 0 if none */
  gint64   web_search_requests; /* Anthropic server_tool_use.web_search_requests (billed per search) */
};

void     pm_usage_init              (PmUsage           *usage);
gint64   pm_usage_prompt_total      (const PmUsage     *usage);
/* Parse a usage object of the given API (Anthropic usage, Chat usage, Responses usage), replacing
 * fields it carries. Anthropic message_delta usage is cumulative, so replacing is right. Chat
 * usage may be DeepSeek's prompt_cache_hit/miss_tokens; a "cost" member (OpenRouter) becomes
 * reported_cost. An Anthropic creation total without its 5m/1h split keeps the split already
 * known, else counts as 5m. */
void     pm_usage_merge_json        (PmUsage           *usage,
                                     PmApi              api,
                                     JsonObject        *usage_object);
/* Feed one parsed stream event (event name may be NULL for Chat chunks). */
void     pm_usage_feed_event        (PmUsage           *usage,
                                     PmApi              api,
                                     const char        *event,
                                     JsonObject        *data);
/* Feed a whole non-streamed response body. */
void     pm_usage_feed_response     (PmUsage           *usage,
                                     PmApi              api,
                                     JsonObject        *response);
/* Dollars by the model's prices, long-context tier included (chosen by the prompt total: all of
 * the prompt is billed at the long rates once it is above long_threshold), plus server-side web
 * searches. Cache writes to a model without a write price cost its input price. Ignores
 * reported_cost. */
double   pm_usage_cost              (const PmUsage     *usage,
                                     const PmModelInfo *model);
JsonNode *pm_usage_to_json          (const PmUsage     *usage);

G_END_DECLS
