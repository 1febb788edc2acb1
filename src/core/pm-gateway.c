/* pm-gateway.c — provider presets for gateways and the plain providers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-gateway"

#include "config.h"

#include <math.h>
#include <string.h>

#include "pm-gateway.h"
#include "pm-record.h"
#include "pm-router.h"

#define CHAT       PM_GATEWAY_API_BIT (PM_API_OPENAI_CHAT)
#define RESPONSES  PM_GATEWAY_API_BIT (PM_API_OPENAI_RESPONSES)
#define MESSAGES   PM_GATEWAY_API_BIT (PM_API_ANTHROPIC)

/* Sorted by name. Sources: each gateway's public documentation (see docs/GATEWAYS.md). */
static const PmGatewayPreset presets[] = {
  { "anthropic", "Anthropic", FALSE, PM_API_ANTHROPIC, MESSAGES,
    "https://api.anthropic.com", "https://api.anthropic.com", "keyring",
    PM_GATEWAY_AUTH_NATIVE, NULL, NULL, NULL, NULL,
    PM_GATEWAY_NAMES_CATALOG, FALSE, NULL, FALSE, "plain-providers" },
  { "cloudflare", "Cloudflare AI Gateway", TRUE, PM_API_OPENAI_CHAT, CHAT | RESPONSES | MESSAGES,
    "https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/compat",
    "https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/anthropic", "keyring",
    PM_GATEWAY_AUTH_HEADER, "cf-aig-authorization", "Bearer ", NULL,
    "cf-aig-metadata, cf-aig-cache-ttl, cf-aig-skip-cache, cf-aig-request-timeout, authorization",
    PM_GATEWAY_NAMES_VENDOR, FALSE, NULL, FALSE, "cloudflare-ai-gateway" },
  { "gemini", "Google Gemini", FALSE, PM_API_OPENAI_CHAT, CHAT,
    "https://generativelanguage.googleapis.com/v1beta/openai", NULL, "keyring",
    PM_GATEWAY_AUTH_BEARER, NULL, NULL, NULL, NULL,
    PM_GATEWAY_NAMES_CATALOG, FALSE, NULL, FALSE, "plain-providers" },
  { "litellm", "LiteLLM proxy", TRUE, PM_API_OPENAI_CHAT, CHAT | RESPONSES | MESSAGES,
    "http://127.0.0.1:4000/v1", "http://127.0.0.1:4000", "keyring",
    PM_GATEWAY_AUTH_BEARER, NULL, NULL, NULL, "x-litellm-tags, x-litellm-timeout",
    PM_GATEWAY_NAMES_CATALOG, FALSE, "x-litellm-response-cost", FALSE, "litellm" },
  { "ollama", "Ollama", FALSE, PM_API_OPENAI_CHAT, CHAT | RESPONSES,
    "http://127.0.0.1:11434/v1", NULL, "none",
    PM_GATEWAY_AUTH_NONE, NULL, NULL, NULL, NULL,
    PM_GATEWAY_NAMES_CATALOG, FALSE, NULL, FALSE, "plain-providers" },
  { "openai", "OpenAI", FALSE, PM_API_OPENAI_RESPONSES, CHAT | RESPONSES,
    "https://api.openai.com/v1", NULL, "keyring",
    PM_GATEWAY_AUTH_NATIVE, NULL, NULL, NULL, "openai-organization, openai-project",
    PM_GATEWAY_NAMES_CATALOG, FALSE, NULL, FALSE, "plain-providers" },
  { "openrouter", "OpenRouter", TRUE, PM_API_OPENAI_CHAT, CHAT | RESPONSES | MESSAGES,
    "https://openrouter.ai/api/v1", "https://openrouter.ai/api", "keyring",
    PM_GATEWAY_AUTH_BEARER, NULL, NULL, NULL, "http-referer, x-title",
    PM_GATEWAY_NAMES_VENDOR, TRUE, NULL, TRUE, "openrouter" },
  { "portkey", "Portkey", TRUE, PM_API_OPENAI_CHAT, CHAT | RESPONSES | MESSAGES,
    "https://api.portkey.ai/v1", "https://api.portkey.ai", "keyring",
    PM_GATEWAY_AUTH_HEADER, "x-portkey-api-key", "", "portkey.ai",
    "x-portkey-provider, x-portkey-virtual-key, x-portkey-config, x-portkey-trace-id, x-portkey-metadata",
    PM_GATEWAY_NAMES_CATALOG, FALSE, NULL, FALSE, "portkey" },
  { "truefoundry", "TrueFoundry AI Gateway", TRUE, PM_API_OPENAI_CHAT, CHAT | RESPONSES | MESSAGES,
    "https://{control_plane}/api/llm", "https://{control_plane}/api/llm", "keyring",
    PM_GATEWAY_AUTH_BEARER, NULL, NULL, NULL, "x-tfy-metadata, x-tfy-logging-config",
    PM_GATEWAY_NAMES_ACCOUNT, FALSE, NULL, FALSE, "truefoundry" },
};

const PmGatewayPreset *
pm_gateway_presets (guint *n_presets)
{
  if (n_presets != NULL)
    *n_presets = G_N_ELEMENTS (presets);
  return presets;
}

const PmGatewayPreset *
pm_gateway_lookup (const char *name)
{
  if (name == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      if (g_ascii_strcasecmp (presets[i].name, name) == 0)
        return &presets[i];
    }
  /* Spellings users write. */
  if (g_ascii_strcasecmp (name, "cloudflare-ai-gateway") == 0 || g_ascii_strcasecmp (name, "cf") == 0)
    return pm_gateway_lookup ("cloudflare");
  if (g_ascii_strcasecmp (name, "tfy") == 0)
    return pm_gateway_lookup ("truefoundry");

  return NULL;
}

char *
pm_gateway_find_placeholder (const char *base_url)
{
  const char *open;
  const char *close;

  if (base_url == NULL)
    return NULL;
  open = strchr (base_url, '{');
  if (open == NULL)
    return NULL;
  close = strchr (open, '}');
  if (close == NULL)
    return g_strdup (open + 1);
  return g_strndup (open + 1, close - open - 1);
}

char *
pm_gateway_expand_base_url (const PmGatewayPreset *preset,
                            PmApi                  api,
                            GHashTable            *values,
                            GError               **error)
{
  const char *template;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *left = NULL;

  g_return_val_if_fail (preset != NULL, NULL);

  template = api == PM_API_ANTHROPIC && preset->anthropic_base_url != NULL ?
             preset->anthropic_base_url : preset->base_url;

  for (const char *p = template; *p != '\0'; p++)
    {
      const char *close;
      g_autofree char *name = NULL;
      const char *value;

      if (*p != '{' || (close = strchr (p, '}')) == NULL)
        {
          g_string_append_c (out, *p);
          continue;
        }
      name = g_strndup (p + 1, close - p - 1);
      value = values != NULL ? g_hash_table_lookup (values, name) : NULL;
      if (value != NULL && *value != '\0')
        {
          g_autofree char *escaped = g_uri_escape_string (value, ".:-_", FALSE);

          g_string_append (out, escaped);
        }
      else
        {
          g_string_append_len (out, p, close - p + 1);
        }
      p = close;
    }

  left = pm_gateway_find_placeholder (out->str);
  if (left != NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG,
                   "%s: the base URL needs “%s” (%s)", preset->title, left, out->str);
      return NULL;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- model names ---- */

/* The gateway's spelling of a catalog vendor. */
static const char *
vendor_slug (const PmGatewayPreset *preset,
             const char            *vendor)
{
  static const struct { const char *preset, *vendor, *slug; } slugs[] = {
    { "openrouter", "zai",       "z-ai" },
    { "openrouter", "moonshot",  "moonshotai" },
    { "cloudflare", "google",    "google-ai-studio" },
    { "cloudflare", "zai",       "zai" },
    { "truefoundry", "google",   "gemini" },
  };

  if (vendor == NULL)
    return NULL;
  for (guint i = 0; preset != NULL && i < G_N_ELEMENTS (slugs); i++)
    {
      if (g_str_equal (preset->name, slugs[i].preset) && g_str_equal (vendor, slugs[i].vendor))
        return slugs[i].slug;
    }
  return vendor;
}

static gboolean
is_cloudflare_per_provider (const PmProviderConfig *provider)
{
  /* .../{account}/{gateway}/compat takes "provider/model"; .../{account}/{gateway}/openai (and
   * every other per-provider path) takes the provider's own model names. */
  return provider->base_url != NULL && !g_str_has_suffix (provider->base_url, "/compat") &&
         !g_str_has_suffix (provider->base_url, "/compat/");
}

/* The preset's own default name for a catalog model. */
static char *
default_name (const PmProviderConfig *provider,
              const PmGatewayPreset  *preset,
              const PmModelInfo      *model,
              const char             *model_id)
{
  const char *slug;

  if (preset == NULL || model == NULL || model->vendor == NULL)
    return g_strdup (model_id);

  slug = vendor_slug (preset, model->vendor);

  switch (preset->names)
    {
    case PM_GATEWAY_NAMES_VENDOR:
      if (g_str_equal (preset->name, "cloudflare") && is_cloudflare_per_provider (provider))
        return g_strdup (model->id);
      if (g_str_equal (preset->name, "openrouter"))
        {
          /* The catalog's aliases hold OpenRouter's spelling ("anthropic/claude-sonnet-4.5",
           * "google/gemini-3-pro-preview"): the first one under the vendor's slug. */
          g_autofree char *prefix = g_strconcat (slug, "/", NULL);

          for (guint i = 0; model->aliases != NULL && model->aliases[i] != NULL; i++)
            {
              if (g_str_has_prefix (model->aliases[i], prefix))
                return g_strdup (model->aliases[i]);
            }
        }
      return g_strconcat (slug, "/", model->id, NULL);

    case PM_GATEWAY_NAMES_ACCOUNT:
      return g_strconcat (slug, "/", model->id, NULL);

    case PM_GATEWAY_NAMES_CATALOG:
    default:
      return g_strdup (model->id);
    }
}

static char *
expand_name_template (const char            *template,
                      const PmProviderConfig *provider,
                      const PmGatewayPreset *preset,
                      const PmModelInfo     *model,
                      const char            *model_id)
{
  g_autoptr(GString) out = g_string_new (template);
  g_autofree char *name = default_name (provider, preset, model, model_id);
  const char *vendor = model != NULL && model->vendor != NULL ? model->vendor : "";
  const char *slug = vendor_slug (preset, vendor);

  g_string_replace (out, "{id}", model != NULL ? model->id : model_id, 0);
  g_string_replace (out, "{vendor}", vendor, 0);
  g_string_replace (out, "{slug}", slug != NULL ? slug : vendor, 0);
  g_string_replace (out, "{name}", name, 0);
  if (strchr (template, '{') == NULL && g_str_has_suffix (template, "/"))
    g_string_append (out, model != NULL ? model->id : model_id);   /* "account/" prefix form */

  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
pm_gateway_model_name (const PmProviderConfig *provider,
                       const PmModelInfo      *model,
                       const char             *model_id)
{
  const PmGatewayPreset *preset;
  const char *value;

  g_return_val_if_fail (model_id != NULL, NULL);

  if (provider == NULL)
    return g_strdup (model_id);
  preset = pm_gateway_lookup (provider->preset);

  if (provider->model_names != NULL)
    {
      value = g_hash_table_lookup (provider->model_names, model_id);
      if (value == NULL && model != NULL)
        value = g_hash_table_lookup (provider->model_names, model->id);
      if (value != NULL)
        return g_strdup (value);

      if (model != NULL && model->vendor != NULL)
        {
          g_autofree char *vendor_key = g_strconcat (model->vendor, "/*", NULL);

          value = g_hash_table_lookup (provider->model_names, vendor_key);
        }
      if (value == NULL)
        value = g_hash_table_lookup (provider->model_names, "*");
      if (value != NULL)
        return expand_name_template (value, provider, preset, model, model_id);
    }

  return default_name (provider, preset, model, model_id);
}

/* ---- headers ---- */

static gboolean
host_in_domain (const char *url,
                const char *domain)
{
  g_autoptr(GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  g_autofree char *dotted = NULL;

  if (host == NULL)
    return FALSE;
  dotted = g_strconcat (".", domain, NULL);
  return g_ascii_strcasecmp (host, domain) == 0 || g_str_has_suffix (host, dotted);
}

/* "{key}" → the key, "{env:NAME}" → $NAME. */
static char *
expand_header_value (const char *template,
                     const char *key,
                     GError    **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = template; *p != '\0'; p++)
    {
      const char *close;

      if (*p == '{' && g_str_has_prefix (p, "{key}"))
        {
          g_string_append (out, key != NULL ? key : "");
          p += strlen ("{key}") - 1;
          continue;
        }
      if (*p == '{' && g_str_has_prefix (p, "{env:") && (close = strchr (p, '}')) != NULL)
        {
          g_autofree char *name = g_strndup (p + 5, close - p - 5);
          const char *value = g_getenv (name);

          if (value == NULL || *value == '\0')
            {
              g_set_error (error, PM_ERROR, PM_ERROR_KEYRING,
                           "the environment variable %s is not set", name);
              return NULL;
            }
          g_string_append (out, value);
          p = close;
          continue;
        }
      g_string_append_c (out, *p);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
pm_gateway_apply_headers (const PmProviderConfig *provider,
                          PmApi                   upstream_api,
                          const char             *key,
                          SoupMessageHeaders     *headers,
                          GError                **error)
{
  const PmGatewayPreset *preset;
  PmGatewayAuth auth;
  gboolean key_placed = FALSE;
  GHashTableIter iter;
  gpointer name, value;

  g_return_val_if_fail (provider != NULL, FALSE);
  g_return_val_if_fail (headers != NULL, FALSE);

  preset = pm_gateway_lookup (provider->preset);

  /* Configured headers first: a value holding "{key}" takes the key instead of the default. */
  if (provider->headers != NULL)
    {
      g_hash_table_iter_init (&iter, provider->headers);
      while (g_hash_table_iter_next (&iter, &name, &value))
        {
          g_autoptr(GError) local_error = NULL;
          g_autofree char *expanded = NULL;

          if (strstr (value, "{key}") != NULL)
            {
              if (key == NULL)
                continue;
              key_placed = TRUE;
            }
          expanded = expand_header_value (value, key, &local_error);
          if (expanded == NULL)
            {
              g_set_error (error, PM_ERROR, PM_ERROR_KEYRING, "Provider “%s”, header %s: %s",
                           provider->id, (const char *) name, local_error->message);
              return FALSE;
            }
          soup_message_headers_replace (headers, name, expanded);
        }
    }

  if (preset != NULL && g_str_equal (preset->name, "openrouter"))
    {
      /* OpenRouter's app attribution, unless configured otherwise. */
      if (soup_message_headers_get_one (headers, "x-title") == NULL)
        soup_message_headers_replace (headers, "x-title", "Pointsman");
      if (soup_message_headers_get_one (headers, "http-referer") == NULL)
        soup_message_headers_replace (headers, "http-referer", "https://github.com/pointsman/pointsman");
    }

  if (key == NULL || key_placed)
    return TRUE;

  auth = preset != NULL ? preset->auth : PM_GATEWAY_AUTH_NATIVE;
  if (auth == PM_GATEWAY_AUTH_HEADER && preset->hosted_domain != NULL &&
      !host_in_domain (provider->base_url, preset->hosted_domain))
    auth = PM_GATEWAY_AUTH_NATIVE;   /* self-hosted (e.g. Portkey's open-source gateway): the
                                      * provider's key, forwarded by the gateway */

  switch (auth)
    {
    case PM_GATEWAY_AUTH_NONE:
      break;

    case PM_GATEWAY_AUTH_HEADER:
      {
        g_autofree char *full = g_strconcat (preset->key_prefix != NULL ? preset->key_prefix : "", key, NULL);

        soup_message_headers_replace (headers, preset->key_header, full);
      }
      break;

    case PM_GATEWAY_AUTH_BEARER:
    case PM_GATEWAY_AUTH_NATIVE:
    default:
      if (auth == PM_GATEWAY_AUTH_NATIVE && upstream_api == PM_API_ANTHROPIC)
        {
          soup_message_headers_replace (headers, "x-api-key", key);
        }
      else
        {
          g_autofree char *bearer = g_strconcat ("Bearer ", key, NULL);

          soup_message_headers_replace (headers, "authorization", bearer);
        }
      break;
    }

  return TRUE;
}

/* ---- body ---- */

/* Gateways documented to forward Anthropic's cache_control from OpenAI-format content parts to
 * Claude (LiteLLM, Portkey). */
static gboolean
keeps_cache_control (const PmGatewayPreset *preset)
{
  return g_str_equal (preset->name, "litellm") || g_str_equal (preset->name, "portkey");
}

static gboolean
has_cache_control (JsonArray *messages)
{
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *node = json_array_get_element (messages, i);
      JsonNode *content;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      content = json_object_get_member (json_node_get_object (node), "content");
      if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
        continue;
      for (guint j = 0; j < json_array_get_length (json_node_get_array (content)); j++)
        {
          JsonNode *part = json_array_get_element (json_node_get_array (content), j);

          if (JSON_NODE_HOLDS_OBJECT (part) && json_object_has_member (json_node_get_object (part), "cache_control"))
            return TRUE;
        }
    }
  return FALSE;
}

/* The message's last text part gets cache_control (a string content becomes one text part). */
static gboolean
mark_message (JsonObject *message)
{
  JsonNode *content = json_object_get_member (message, "content");
  JsonArray *parts;
  JsonObject *cache = NULL;

  if (content != NULL && JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    {
      JsonObject *part = json_object_new ();

      if (*json_node_get_string (content) == '\0')
        {
          json_object_unref (part);
          return FALSE;
        }
      json_object_set_string_member (part, "type", "text");
      json_object_set_string_member (part, "text", json_node_get_string (content));
      parts = json_array_new ();
      json_array_add_object_element (parts, part);
      json_object_set_array_member (message, "content", parts);
      content = json_object_get_member (message, "content");
    }
  if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
    return FALSE;

  parts = json_node_get_array (content);
  for (guint j = json_array_get_length (parts); j > 0; j--)
    {
      JsonNode *node = json_array_get_element (parts, j - 1);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (part == NULL || g_strcmp0 (json_object_get_string_member_with_default (part, "type", ""), "text") != 0)
        continue;
      cache = json_object_new ();
      json_object_set_string_member (cache, "type", "ephemeral");
      json_object_set_object_member (part, "cache_control", cache);
      return TRUE;
    }
  return FALSE;
}

/* Claude behind a gateway's Chat route: Anthropic's usual two breakpoints (the system prompt and
 * the latest user or tool turn), unless the body already carries some. Other models: nothing. */
static void
add_cache_breakpoints (JsonObject *body)
{
  const char *model = json_object_get_string_member_with_default (body, "model", "");
  JsonNode *node = json_object_get_member (body, "messages");
  JsonArray *messages;
  g_autofree char *lower = g_ascii_strdown (model, -1);

  if (strstr (lower, "claude") == NULL || node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  messages = json_node_get_array (node);
  if (has_cache_control (messages))
    return;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *m = json_array_get_element (messages, i);
      const char *role;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        continue;
      role = json_object_get_string_member_with_default (json_node_get_object (m), "role", "");
      if (!g_str_equal (role, "system") && !g_str_equal (role, "developer"))
        break;
      if (i + 1 == json_array_get_length (messages) || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (messages, i + 1)) ||
          (!g_str_equal (json_object_get_string_member_with_default (json_array_get_object_element (messages, i + 1), "role", ""), "system") &&
           !g_str_equal (json_object_get_string_member_with_default (json_array_get_object_element (messages, i + 1), "role", ""), "developer")))
        {
          mark_message (json_node_get_object (m));
          break;
        }
    }

  for (guint i = json_array_get_length (messages); i > 0; i--)
    {
      JsonNode *m = json_array_get_element (messages, i - 1);
      const char *role;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        continue;
      role = json_object_get_string_member_with_default (json_node_get_object (m), "role", "");
      if ((g_str_equal (role, "user") || g_str_equal (role, "tool")) && mark_message (json_node_get_object (m)))
        break;
    }
}

void
pm_gateway_fix_body (const PmProviderConfig *provider,
                     PmApi                   upstream_api,
                     JsonNode               *body)
{
  const PmGatewayPreset *preset;
  JsonObject *object;

  if (provider == NULL || body == NULL || !JSON_NODE_HOLDS_OBJECT (body) || upstream_api != PM_API_OPENAI_CHAT)
    return;
  preset = pm_gateway_lookup (provider->preset);
  if (preset == NULL || !preset->is_gateway)
    return;
  object = json_node_get_object (body);

  if (preset->effort_object)
    {
      /* OpenRouter: reasoning{effort}. */
      const char *effort = json_object_get_string_member_with_default (object, "reasoning_effort", NULL);

      if (effort != NULL)
        {
          JsonObject *reasoning = json_object_new ();

          if (g_str_equal (effort, "none"))
            json_object_set_boolean_member (reasoning, "enabled", FALSE);
          else
            json_object_set_string_member (reasoning, "effort", effort);
          json_object_set_object_member (object, "reasoning", reasoning);
          json_object_remove_member (object, "reasoning_effort");
        }
      return;
    }

  /* Other gateways take OpenAI's reasoning_effort on Chat even for "account/model" names. */
  if (json_object_has_member (object, "reasoning") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "reasoning")))
    {
      JsonObject *reasoning = json_object_get_object_member (object, "reasoning");
      const char *effort = json_object_get_string_member_with_default (reasoning, "effort", NULL);
      gboolean disabled = json_object_has_member (reasoning, "enabled") &&
                          !json_object_get_boolean_member_with_default (reasoning, "enabled", TRUE);

      if (effort != NULL && !json_object_has_member (object, "reasoning_effort"))
        json_object_set_string_member (object, "reasoning_effort", effort);
      else if (disabled && !json_object_has_member (object, "reasoning_effort"))
        json_object_set_string_member (object, "reasoning_effort", "none");
      json_object_remove_member (object, "reasoning");
    }
  /* OpenRouter's usage accounting switch means nothing elsewhere. */
  if (json_object_has_member (object, "usage") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "usage")))
    json_object_remove_member (object, "usage");

  if (keeps_cache_control (preset))
    add_cache_breakpoints (object);
}

/* ---- cost ---- */

void
pm_gateway_read_cost (const PmProviderConfig *provider,
                      SoupMessageHeaders     *headers,
                      PmUsage                *usage)
{
  const PmGatewayPreset *preset;
  const char *names[] = { NULL, "x-litellm-response-cost" };

  g_return_if_fail (usage != NULL);

  if (headers == NULL)
    return;
  preset = provider != NULL ? pm_gateway_lookup (provider->preset) : NULL;
  names[0] = preset != NULL ? preset->cost_header : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = names[i] != NULL ? soup_message_headers_get_one (headers, names[i]) : NULL;
      char *end = NULL;
      double cost;

      if (value == NULL)
        continue;
      cost = g_ascii_strtod (value, &end);
      if (end != value && cost >= 0 && isfinite (cost))
        {
          usage->reported_cost = cost;
          return;
        }
    }
}

void
pm_gateway_note_cost (const PmProviderConfig *provider,
                      const PmUsage          *usage,
                      const PmModelInfo      *model,
                      PmDecision             *decision,
                      PmRecord               *record)
{
  g_autofree char *reason = NULL;
  g_autofree char *model_id = NULL;
  g_autofree char *effort = NULL;
  g_autofree char *provider_id = NULL;
  g_autofree char *summary = NULL;
  JsonObject *explanation;
  JsonObject *cost;
  double estimate;

  if (usage == NULL || !usage->seen || usage->reported_cost < 0 || model == NULL || decision == NULL)
    return;

  estimate = pm_usage_cost (usage, model);
  if (estimate > 0)
    reason = g_strdup_printf ("%s reported $%.6f for this request; Pointsman's estimate was $%.6f (%+.1f%%)",
                              provider != NULL ? provider->id : "the gateway", usage->reported_cost,
                              estimate, 100.0 * (usage->reported_cost - estimate) / estimate);
  else
    reason = g_strdup_printf ("%s reported $%.6f for this request; Pointsman's estimate was $%.6f",
                              provider != NULL ? provider->id : "the gateway", usage->reported_cost, estimate);
  pm_decision_add_reason (decision, reason);

  explanation = json_node_get_object (pm_decision_get_explanation (decision));
  cost = json_object_new ();
  json_object_set_string_member (cost, "provider", provider != NULL ? provider->id : NULL);
  json_object_set_double_member (cost, "reported", usage->reported_cost);
  json_object_set_double_member (cost, "estimated", estimate);
  json_object_set_object_member (explanation, "gateway_cost", cost);

  if (record == NULL)
    return;
  model_id = g_strdup (pm_record_get_model (record));
  effort = g_strdup (pm_record_get_effort (record));
  provider_id = g_strdup (pm_record_get_provider (record));
  summary = g_strdup (pm_record_get_summary (record));
  pm_record_set_decision (record, model_id, effort, provider_id, pm_record_get_routed (record),
                          summary, pm_decision_get_explanation (decision));
}

/* ---- errors ---- */

/* Long key-like runs (sk-…, tokens) never reach the explanation. */
static char *
scrub (const char *message)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = message;
  gsize n_chars = 0;

  while (*p != '\0' && n_chars < 240)
    {
      gsize run = 0;

      while (g_ascii_isalnum (p[run]) || p[run] == '-' || p[run] == '_')
        run++;
      if (run >= 20)
        {
          g_string_append (out, "[redacted]");
          p += run;
          continue;
        }
      if (run == 0)
        run = 1;
      g_string_append_len (out, p, run);
      p += run;
      n_chars += run;
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
member_as_string (JsonObject *object,
                  const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return NULL;
}

static gboolean
contains_ci (const char *haystack,
             const char *needle)
{
  g_autofree char *lower = NULL;

  if (haystack == NULL)
    return FALSE;
  lower = g_ascii_strdown (haystack, -1);
  return strstr (lower, needle) != NULL;
}

const char *
pm_gateway_error_to_string (PmGatewayError error)
{
  switch (error)
    {
    case PM_GATEWAY_ERROR_RATE_LIMITED:      return "rate limited";
    case PM_GATEWAY_ERROR_QUOTA:             return "quota or credits used up";
    case PM_GATEWAY_ERROR_BUDGET:            return "budget exhausted";
    case PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED: return "key not allowed to use this model";
    case PM_GATEWAY_ERROR_MODEL_UNAVAILABLE: return "model not available there";
    case PM_GATEWAY_ERROR_NONE:
    default:                                 return "none";
    }
}

PmGatewayError
pm_gateway_classify_error (const PmProviderConfig *provider,
                           guint                   status,
                           const char             *body,
                           gsize                   length,
                           char                  **reason)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;
  g_autofree char *type = NULL;
  g_autofree char *code = NULL;
  gboolean limit_source = FALSE;
  PmGatewayError kind = PM_GATEWAY_ERROR_NONE;

  if (reason != NULL)
    *reason = NULL;
  if (status < 400)
    return PM_GATEWAY_ERROR_NONE;

  if (body != NULL && length > 0)
    {
      text = g_strndup (body, MIN (length, 256 * 1024));
      node = json_from_string (text, NULL);
    }

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *root = json_node_get_object (node);
      JsonNode *error = json_object_get_member (root, "error");

      if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
        {
          /* OpenAI / LiteLLM / OpenRouter / TrueFoundry / Anthropic: {"error": {…}}. */
          JsonObject *e = json_node_get_object (error);
          JsonNode *metadata = json_object_get_member (e, "metadata");

          message = member_as_string (e, "message");
          type = member_as_string (e, "type");
          code = member_as_string (e, "code");
          if (metadata != NULL && JSON_NODE_HOLDS_OBJECT (metadata) &&
              json_object_has_member (json_node_get_object (metadata), "limit_source"))
            limit_source = TRUE;
        }
      else if (error != NULL && JSON_NODE_HOLDS_ARRAY (error) &&
               json_array_get_length (json_node_get_array (error)) > 0 &&
               JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (error), 0)))
        {
          /* Cloudflare: {"success": false, "error": [{"code": 2003, "message": "…"}]}. */
          JsonObject *e = json_array_get_object_element (json_node_get_array (error), 0);

          message = member_as_string (e, "message");
          code = member_as_string (e, "code");
        }
      else if (error != NULL && JSON_NODE_HOLDS_VALUE (error) &&
               json_node_get_value_type (error) == G_TYPE_STRING)
        {
          message = g_strdup (json_node_get_string (error));
        }
      else
        {
          /* Portkey's own errors: {"status": "failure", "message": "…"}. */
          message = member_as_string (root, "message");
          type = member_as_string (root, "type");
        }
    }
  else if (text != NULL)
    {
      message = g_strdup (text);
    }

  if (contains_ci (type, "model_access_denied") || contains_ci (code, "model_access_denied") ||
      contains_ci (type, "model_not_allowed") || contains_ci (code, "model_not_allowed") ||
      contains_ci (message, "not allowed to access model") ||
      contains_ci (message, "key not allowed to access") ||
      contains_ci (message, "not authorized to access model") ||
      contains_ci (message, "does not have access to model") ||
      contains_ci (message, "model not allowed"))
    kind = PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED;
  else if (status == 412 || limit_source ||
           contains_ci (type, "budget") || contains_ci (code, "budget") ||
           (contains_ci (message, "budget") &&
            (contains_ci (message, "exceed") || contains_ci (message, "exhaust") ||
             contains_ci (message, "reached") || contains_ci (message, "limit"))))
    kind = PM_GATEWAY_ERROR_BUDGET;
  else if (status == 402 || contains_ci (type, "insufficient_quota") || contains_ci (code, "insufficient_quota") ||
           contains_ci (message, "insufficient credits") || contains_ci (message, "exceeded your current quota") ||
           contains_ci (message, "quota exceeded"))
    kind = PM_GATEWAY_ERROR_QUOTA;
  else if (status == 404 && (contains_ci (message, "no endpoints found") ||
                             contains_ci (message, "no allowed providers")))
    kind = PM_GATEWAY_ERROR_MODEL_UNAVAILABLE;
  else if (status == 429 || g_strcmp0 (code, "2003") == 0)
    kind = PM_GATEWAY_ERROR_RATE_LIMITED;

  if (kind != PM_GATEWAY_ERROR_NONE && reason != NULL)
    {
      g_autofree char *clean = message != NULL ? scrub (message) : NULL;

      *reason = g_strdup_printf ("%s refused the request (HTTP %u, %s)%s%s",
                                 provider != NULL ? provider->id : "the gateway", status,
                                 pm_gateway_error_to_string (kind),
                                 clean != NULL ? ": " : "", clean != NULL ? clean : "");
    }

  return kind;
}

/* ---- paths (the scripted upstream) ---- */

const char *
pm_gateway_api_path (const char *path)
{
  static const char * const cloudflare_providers[] = {
    "compat", "openai", "anthropic", "google-ai-studio", "workers-ai", "openrouter", "deepseek",
    "groq", "mistral", "grok", "cerebras", "perplexity-ai", "azure-openai", "aws-bedrock", NULL
  };

  if (path == NULL)
    return NULL;

  if (g_str_has_prefix (path, "/api/v1/"))
    return path + strlen ("/api");
  if (g_str_has_prefix (path, "/api/llm/"))
    return path + strlen ("/api/llm");
  if (g_str_has_prefix (path, "/anthropic/v1/"))
    return path + strlen ("/anthropic");

  if (g_str_has_prefix (path, "/v1/"))
    {
      /* /v1/{account}/{gateway}/{provider}/rest */
      const char *account = path + strlen ("/v1/");
      const char *gateway = strchr (account, '/');
      const char *provider = gateway != NULL ? strchr (gateway + 1, '/') : NULL;
      const char *rest = provider != NULL ? strchr (provider + 1, '/') : NULL;

      if (gateway == NULL || provider == NULL || rest == NULL || gateway == account || provider == gateway + 1)
        return path;
      for (guint i = 0; cloudflare_providers[i] != NULL; i++)
        {
          gsize len = strlen (cloudflare_providers[i]);

          if ((gsize) (rest - provider - 1) == len && strncmp (provider + 1, cloudflare_providers[i], len) == 0)
            return rest;
        }
    }

  return path;
}

/* ---- refusals remembered across requests ---- */

typedef struct
{
  char   *reason;
  gint64  until_us;
} Hold;

struct _PmGatewayRefusals
{
  GMutex      mutex;
  GHashTable *holds;   /* "provider\nmodel" ("*" = every model) → Hold */
};

static void
hold_free (gpointer data)
{
  Hold *hold = data;

  g_free (hold->reason);
  g_free (hold);
}

PmGatewayRefusals *
pm_gateway_refusals_new (void)
{
  PmGatewayRefusals *self = g_new0 (PmGatewayRefusals, 1);

  g_mutex_init (&self->mutex);
  self->holds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, hold_free);
  return self;
}

void
pm_gateway_refusals_free (PmGatewayRefusals *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->holds);
  g_mutex_clear (&self->mutex);
  g_free (self);
}

void
pm_gateway_refusals_add (PmGatewayRefusals *self,
                         const char        *provider_id,
                         const char        *model_id,
                         PmGatewayError     kind,
                         const char        *reason,
                         guint              retry_after_s,
                         gint64             now_us)
{
  gboolean whole_provider = kind == PM_GATEWAY_ERROR_BUDGET || kind == PM_GATEWAY_ERROR_QUOTA;
  gint64 hold_s;
  Hold *hold;

  g_return_if_fail (self != NULL);
  g_return_if_fail (provider_id != NULL);

  switch (kind)
    {
    case PM_GATEWAY_ERROR_BUDGET:
    case PM_GATEWAY_ERROR_QUOTA:             hold_s = 15 * 60; break;
    case PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED: hold_s = 60 * 60; break;
    case PM_GATEWAY_ERROR_MODEL_UNAVAILABLE: hold_s = 5 * 60; break;
    case PM_GATEWAY_ERROR_RATE_LIMITED:      hold_s = retry_after_s > 0 ? retry_after_s : 20; break;
    case PM_GATEWAY_ERROR_NONE:
    default:
      return;
    }
  if (retry_after_s > 0 && kind != PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED)
    hold_s = retry_after_s;

  hold = g_new0 (Hold, 1);
  hold->reason = g_strdup (reason != NULL ? reason : pm_gateway_error_to_string (kind));
  hold->until_us = now_us + hold_s * G_USEC_PER_SEC;

  g_mutex_lock (&self->mutex);
  g_hash_table_replace (self->holds,
                        g_strconcat (provider_id, "\n", whole_provider || model_id == NULL ? "*" : model_id, NULL),
                        hold);
  g_mutex_unlock (&self->mutex);
}

static Hold *
live_hold (PmGatewayRefusals *self,
           const char        *key,
           gint64             now_us)
{
  Hold *hold = g_hash_table_lookup (self->holds, key);

  if (hold != NULL && hold->until_us <= now_us)
    {
      g_hash_table_remove (self->holds, key);
      hold = NULL;
    }
  return hold;
}

const char *
pm_gateway_refusals_lookup (PmGatewayRefusals *self,
                            const char        *provider_id,
                            const char        *model_id,
                            gint64             now_us)
{
  g_autofree char *whole = NULL;
  g_autofree char *one = NULL;
  Hold *hold;

  g_return_val_if_fail (self != NULL, NULL);
  if (provider_id == NULL)
    return NULL;

  whole = g_strconcat (provider_id, "\n*", NULL);
  one = model_id != NULL ? g_strconcat (provider_id, "\n", model_id, NULL) : NULL;

  g_mutex_lock (&self->mutex);
  hold = live_hold (self, whole, now_us);
  if (hold == NULL && one != NULL)
    hold = live_hold (self, one, now_us);
  g_mutex_unlock (&self->mutex);

  return hold != NULL ? hold->reason : NULL;
}

void
pm_gateway_refusals_clear (PmGatewayRefusals *self,
                           const char        *provider_id,
                           const char        *model_id)
{
  g_autofree char *whole = NULL;
  g_autofree char *one = NULL;

  g_return_if_fail (self != NULL);
  if (provider_id == NULL)
    return;
  whole = g_strconcat (provider_id, "\n*", NULL);
  one = model_id != NULL ? g_strconcat (provider_id, "\n", model_id, NULL) : NULL;

  g_mutex_lock (&self->mutex);
  g_hash_table_remove (self->holds, whole);
  if (one != NULL)
    g_hash_table_remove (self->holds, one);
  g_mutex_unlock (&self->mutex);
}
