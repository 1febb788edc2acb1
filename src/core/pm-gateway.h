/* pm-gateway.h — provider presets for gateways (LiteLLM, Portkey, TrueFoundry, OpenRouter,
 * Cloudflare AI Gateway) and the plain providers: base URL, APIs, auth, model names, effort
 * fields, cost read-back and the gateway's own errors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-types.h"
#include "pm-usage.h"

G_BEGIN_DECLS

/* How the provider's key is sent. */
typedef enum
{
  PM_GATEWAY_AUTH_NONE = 0,    /* no key (local servers) */
  PM_GATEWAY_AUTH_NATIVE,      /* x-api-key on Anthropic Messages, Authorization: Bearer otherwise */
  PM_GATEWAY_AUTH_BEARER,      /* Authorization: Bearer on every API */
  PM_GATEWAY_AUTH_HEADER,      /* key_prefix + key in key_header */
} PmGatewayAuth;

/* How catalog models are named by default (a provider's model_names always win). */
typedef enum
{
  PM_GATEWAY_NAMES_CATALOG = 0,  /* the catalog id: "claude-sonnet-4-5" */
  PM_GATEWAY_NAMES_VENDOR,       /* "vendor/model" as the gateway spells both:
                                  * OpenRouter "anthropic/claude-sonnet-4.5" */
  PM_GATEWAY_NAMES_ACCOUNT,      /* "provider-account/model" (TrueFoundry); the account defaults
                                  * to the vendor name; a model_names key "*" (or vendor + "/" + "*") sets it */
} PmGatewayNames;

/* Why a gateway refused a request (its own documented error shapes). */
typedef enum
{
  PM_GATEWAY_ERROR_NONE = 0,         /* not a gateway refusal: handled as any error */
  PM_GATEWAY_ERROR_RATE_LIMITED,     /* 429 / rate limit on the gateway or the provider */
  PM_GATEWAY_ERROR_QUOTA,            /* credits or quota used up (402, insufficient_quota) */
  PM_GATEWAY_ERROR_BUDGET,           /* a budget set on the gateway is exhausted */
  PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED,/* the key may not use this model */
  PM_GATEWAY_ERROR_MODEL_UNAVAILABLE,/* no route / endpoint for this model on the gateway */
} PmGatewayError;

#define PM_GATEWAY_API_BIT(api) (1u << (api))

typedef struct
{
  const char     *name;               /* the "preset" value in config.json */
  const char     *title;              /* for the UI */
  gboolean        is_gateway;         /* FALSE for the vendors' own APIs and local servers */
  PmApi           api;                /* default API */
  guint           apis;               /* PM_GATEWAY_API_BIT of each API it accepts */
  const char     *base_url;           /* default base URL; {placeholders} must be filled in */
  const char     *anthropic_base_url; /* base for Anthropic Messages pass-through, or NULL */
  const char     *key;                /* default key source: "keyring" | "none" */
  PmGatewayAuth   auth;
  const char     *key_header;         /* PM_GATEWAY_AUTH_HEADER: the header */
  const char     *key_prefix;         /* PM_GATEWAY_AUTH_HEADER: e.g. "Bearer " */
  const char     *hosted_domain;      /* auth applies on this domain; self-hosted is NATIVE */
  const char     *extra_headers;      /* documented optional headers, comma-separated */
  PmGatewayNames  names;
  gboolean        effort_object;      /* Chat effort as reasoning{effort} (OpenRouter) */
  const char     *cost_header;        /* response header with the cost in USD, or NULL */
  gboolean        cost_in_usage;      /* usage.cost in the body (OpenRouter) */
  const char     *docs_anchor;        /* section of docs/GATEWAYS.md */
} PmGatewayPreset;

/* The table, sorted by name; *n_presets gets its length. */
const PmGatewayPreset *pm_gateway_presets        (guint                  *n_presets);
const PmGatewayPreset *pm_gateway_lookup         (const char             *name);
/* The base URL for @api with {placeholders} replaced from @values (name → value; may be NULL).
 * Returns NULL with an error naming the first placeholder left. */
char                  *pm_gateway_expand_base_url (const PmGatewayPreset *preset,
                                                  PmApi                   api,
                                                  GHashTable             *values,
                                                  GError                **error);
/* A base URL that still holds a {placeholder}: its name (newly allocated), else NULL. */
char                  *pm_gateway_find_placeholder (const char            *base_url);

/* The name the provider uses for a catalog model: model_names[id], then model_names templates
 * (the key vendor + "/" + "*", then "*"; {id}, {vendor}, {slug}, {name} are replaced), then the preset's
 * naming. Never NULL (falls back to @model_id). */
char                  *pm_gateway_model_name     (const PmProviderConfig *provider,
                                                  const PmModelInfo      *model,
                                                  const char             *model_id);

/* Credentials and headers for one upstream request: the key where the preset (or a configured
 * header value holding "{key}") puts it, configured headers with "{env:NAME}" expanded. Fails
 * when a header names an unset environment variable (the message names the variable only). */
gboolean               pm_gateway_apply_headers  (const PmProviderConfig *provider,
                                                  PmApi                   upstream_api,
                                                  const char             *key,
                                                  SoupMessageHeaders     *headers,
                                                  GError                **error);
/* Effort fields as the gateway forwards them (after the router's rewrite): reasoning{effort}
 * for OpenRouter, reasoning_effort for gateways that take OpenAI's field even for "a/b" names.
 * Claude on LiteLLM's or Portkey's Chat route gets cache_control breakpoints (system prompt and
 * latest user/tool turn) when the body has none, as those gateways forward them to Anthropic. */
void                   pm_gateway_fix_body       (const PmProviderConfig *provider,
                                                  PmApi                   upstream_api,
                                                  JsonNode               *body);

/* The gateway's own cost for the request from its response headers (LiteLLM's
 * x-litellm-response-cost, …) into usage->reported_cost. */
void                   pm_gateway_read_cost      (const PmProviderConfig *provider,
                                                  SoupMessageHeaders     *headers,
                                                  PmUsage                *usage);
/* When the gateway reported a cost: record Pointsman's own estimate next to it in the
 * explanation ("gateway_cost": {reported, estimated, provider}) plus a reason, and update the
 * record's explanation. */
void                   pm_gateway_note_cost      (const PmProviderConfig *provider,
                                                  const PmUsage          *usage,
                                                  const PmModelInfo      *model,
                                                  PmDecision             *decision,
                                                  PmRecord               *record);

/* Classify an error response (status, headers, body in any API's or gateway's shape). For a
 * refusal that another candidate may not meet (quota, budget, model not allowed, rate limit),
 * returns it and sets *reason (newly allocated, no key material) for the explanation. */
PmGatewayError         pm_gateway_classify_error (const PmProviderConfig *provider,
                                                  guint                   status,
                                                  const char             *body,
                                                  gsize                   length,
                                                  char                  **reason);
const char            *pm_gateway_error_to_string (PmGatewayError         error);

/* Refusals remembered across requests, so that later requests do not pay a round trip to
 * learn again that a budget is exhausted. Budget and quota refusals hold the whole provider,
 * model refusals and rate limits only that model. Holds: budget and quota 15 min, model not
 * allowed 60 min, model unavailable 5 min, rate limited retry_after_s (default 20 s). */
typedef struct _PmGatewayRefusals PmGatewayRefusals;

PmGatewayRefusals     *pm_gateway_refusals_new    (void);
void                   pm_gateway_refusals_free   (PmGatewayRefusals     *self);
void                   pm_gateway_refusals_add    (PmGatewayRefusals     *self,
                                                  const char             *provider_id,
                                                  const char             *model_id,
                                                  PmGatewayError          kind,
                                                  const char             *reason,
                                                  guint                   retry_after_s,
                                                  gint64                  now_us);
/* While (provider, model) is held: why (borrowed, valid until the next call), else NULL. */
const char            *pm_gateway_refusals_lookup (PmGatewayRefusals     *self,
                                                  const char             *provider_id,
                                                  const char             *model_id,
                                                  gint64                  now_us);
/* A request to (provider, model) succeeded: its holds end. */
void                   pm_gateway_refusals_clear  (PmGatewayRefusals     *self,
                                                  const char             *provider_id,
                                                  const char             *model_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmGatewayRefusals, pm_gateway_refusals_free)

/* For the scripted upstream: the API path under a gateway's URL layout, so that one upstream
 * answers every gateway's paths. "/api/v1/chat/completions" (OpenRouter) → "/v1/chat/completions",
 * "/api/llm/chat/completions" (TrueFoundry) → "/chat/completions",
 * "/v1/ACCOUNT/GATEWAY/compat/chat/completions" and "/v1/ACCOUNT/GATEWAY/anthropic/v1/messages"
 * (Cloudflare) → "/chat/completions", "/v1/messages"; "/anthropic/v1/messages" (LiteLLM's
 * pass-through) → "/v1/messages". Other paths are returned unchanged. Points into @path. */
const char            *pm_gateway_api_path       (const char             *path);

G_END_DECLS
