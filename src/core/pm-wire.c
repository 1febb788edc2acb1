/* pm-wire.c — writing model, effort and thinking on the wire
 *
 * Claude ≤ 4.5 take thinking {enabled, budget_tokens} (adaptive → 400); Claude 4.6+ take
 * thinking {adaptive} with output_config.effort (Opus 4.7 and Claude 5 only adaptive).
 * OpenAI Chat takes reasoning_effort, Responses reasoning.effort, OpenRouter reasoning{effort};
 * Gemini's OpenAI endpoint maps reasoning_effort onto its thinking budget / level.
 * (PROTOCOLS.md §1–4.)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-wire"

#include "config.h"

#include <string.h>

#include "pm-wire.h"

PmEffort
pm_wire_nearest_effort (const PmModelInfo *model,
                        PmEffort           effort)
{
  g_return_val_if_fail (model != NULL, effort);

  if (effort == PM_EFFORT_UNSET || model->efforts == 0)
    return effort;
  if (pm_model_info_accepts_effort (model, effort))
    return effort;

  for (int d = 1; d < PM_EFFORT_LAST; d++)
    {
      if (effort + d < PM_EFFORT_LAST && pm_model_info_accepts_effort (model, effort + d))
        return effort + d;
      if ((int) effort - d > PM_EFFORT_UNSET && pm_model_info_accepts_effort (model, effort - d))
        return effort - d;
    }

  return PM_EFFORT_UNSET;
}

PmWireProvider
pm_wire_guess_provider (PmApi       upstream_api,
                        const char *upstream_name)
{
  if (upstream_api != PM_API_ANTHROPIC && upstream_name != NULL && strchr (upstream_name, '/') != NULL &&
      !g_str_has_prefix (upstream_name, "models/"))
    return PM_WIRE_PROVIDER_OPENROUTER;

  return PM_WIRE_PROVIDER_NATIVE;
}

static JsonObject *
ensure_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      json_object_set_object_member (object, name, json_object_new ());
      node = json_object_get_member (object, name);
    }

  return json_node_get_object (node);
}

guint
pm_wire_drop_thinking (PmApi       upstream_api,
                       JsonObject *body)
{
  guint removed = 0;

  g_return_val_if_fail (body != NULL, 0);

  if (upstream_api == PM_API_ANTHROPIC || upstream_api == PM_API_OPENAI_CHAT)
    {
      JsonNode *node = json_object_get_member (body, "messages");
      JsonArray *messages = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

      for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
        {
          JsonNode *m = json_array_get_element (messages, i);
          JsonObject *msg = JSON_NODE_HOLDS_OBJECT (m) ? json_node_get_object (m) : NULL;
          JsonNode *content = msg != NULL ? json_object_get_member (msg, "content") : NULL;
          JsonNode *calls = msg != NULL ? json_object_get_member (msg, "tool_calls") : NULL;

          if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
            {
              JsonArray *blocks = json_node_get_array (content);

              for (guint j = json_array_get_length (blocks); j > 0; j--)
                {
                  JsonNode *b = json_array_get_element (blocks, j - 1);
                  const char *type = JSON_NODE_HOLDS_OBJECT (b)
                    ? json_object_get_string_member_with_default (json_node_get_object (b), "type", "")
                    : "";

                  if (g_str_equal (type, "thinking") || g_str_equal (type, "redacted_thinking"))
                    {
                      json_array_remove_element (blocks, j - 1);
                      removed++;
                    }
                }
            }
          if (calls != NULL && JSON_NODE_HOLDS_ARRAY (calls))
            {
              JsonArray *array = json_node_get_array (calls);

              for (guint j = 0; j < json_array_get_length (array); j++)
                {
                  JsonNode *c = json_array_get_element (array, j);

                  if (JSON_NODE_HOLDS_OBJECT (c) && json_object_has_member (json_node_get_object (c), "extra_content"))
                    {
                      json_object_remove_member (json_node_get_object (c), "extra_content");
                      removed++;
                    }
                }
            }
        }
    }
  else
    {
      JsonNode *node = json_object_get_member (body, "input");
      JsonArray *input = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

      for (guint i = input != NULL ? json_array_get_length (input) : 0; i > 0; i--)
        {
          JsonNode *it = json_array_get_element (input, i - 1);
          JsonObject *item = JSON_NODE_HOLDS_OBJECT (it) ? json_node_get_object (it) : NULL;

          if (item != NULL && g_strcmp0 (json_object_get_string_member_with_default (item, "type", ""), "reasoning") == 0)
            {
              json_array_remove_element (input, i - 1);
              removed++;
            }
        }
    }

  return removed;
}

static gint64
get_int (JsonObject *object,
         const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return 0;
}

static void
clamp_member (JsonObject *body,
              const char *name,
              gint64      limit)
{
  gint64 v;

  if (limit <= 0 || !json_object_has_member (body, name))
    return;
  v = get_int (body, name);
  if (v > limit)
    json_object_set_int_member (body, name, limit);
}

static gboolean
tool_choice_forces_tool (JsonObject *body)
{
  JsonNode *node = json_object_get_member (body, "tool_choice");
  const char *type;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  type = json_object_get_string_member_with_default (json_node_get_object (node), "type", "auto");

  return g_str_equal (type, "any") || g_str_equal (type, "tool");
}

static void
write_anthropic (const PmModelInfo *model,
                 PmEffort           effort,
                 gboolean           thinking_off,
                 JsonObject        *body)
{
  gboolean adaptive = g_strcmp0 (model->effort_style, "anthropic-adaptive") == 0;
  gboolean budget = g_strcmp0 (model->effort_style, "anthropic-budget") == 0;
  gint64 max_tokens = get_int (body, "max_tokens");
  JsonObject *thinking;

  if (model->max_output > 0 && max_tokens > model->max_output)
    {
      max_tokens = model->max_output;
      json_object_set_int_member (body, "max_tokens", max_tokens);
    }

  if (!adaptive && !budget)
    {
      /* A model without thinking controls (Anthropic-compatible gateways to other vendors). */
      if (effort != PM_EFFORT_UNSET)
        {
          json_object_remove_member (body, "thinking");
          if (json_object_has_member (body, "output_config"))
            json_object_remove_member (ensure_object (body, "output_config"), "effort");
        }
      return;
    }

  if (effort == PM_EFFORT_UNSET && !thinking_off)
    {
      /* Leave the client's settings, but make them legal for this generation. */
      JsonNode *node = json_object_get_member (body, "thinking");
      const char *type = node != NULL && JSON_NODE_HOLDS_OBJECT (node)
        ? json_object_get_string_member_with_default (json_node_get_object (node), "type", "") : "";

      if (budget && g_str_equal (type, "adaptive"))
        effort = model->default_effort != PM_EFFORT_UNSET ? model->default_effort : PM_EFFORT_HIGH;
      else if (adaptive && g_str_equal (type, "enabled"))
        effort = model->default_effort != PM_EFFORT_UNSET ? model->default_effort : PM_EFFORT_HIGH;
      else
        return;
    }

  if (thinking_off || effort == PM_EFFORT_NONE || tool_choice_forces_tool (body))
    {
      thinking = ensure_object (body, "thinking");
      json_object_set_string_member (thinking, "type", "disabled");
      json_object_remove_member (thinking, "budget_tokens");
      json_object_remove_member (thinking, "display");
      if (json_object_has_member (body, "output_config"))
        {
          JsonObject *oc = ensure_object (body, "output_config");

          /* xhigh / max with thinking disabled is a 400; low/medium stay meaningful. */
          if (adaptive && effort != PM_EFFORT_NONE && effort <= PM_EFFORT_HIGH && effort != PM_EFFORT_UNSET)
            json_object_set_string_member (oc, "effort", pm_effort_to_string (effort));
          else
            json_object_remove_member (oc, "effort");
          if (json_object_get_size (oc) == 0)
            json_object_remove_member (body, "output_config");
        }
      return;
    }

  /* Thinking needs temperature 1 and no top_k. */
  json_object_remove_member (body, "temperature");
  json_object_remove_member (body, "top_k");

  if (adaptive)
    {
      JsonObject *oc;

      thinking = ensure_object (body, "thinking");
      json_object_set_string_member (thinking, "type", "adaptive");
      json_object_remove_member (thinking, "budget_tokens");
      oc = ensure_object (body, "output_config");
      json_object_set_string_member (oc, "effort", pm_effort_to_string (effort));
    }
  else
    {
      gint64 b = model->effort_budget[effort];

      if (b <= 0)
        b = effort <= PM_EFFORT_LOW ? 1024 : effort == PM_EFFORT_MEDIUM ? 8192 : 24576;
      if (max_tokens > 0 && b >= max_tokens)
        {
          /* budget_tokens must stay below max_tokens: raise max_tokens within the model's
           * limit, else shrink the budget; below 1024 thinking cannot be on. */
          gint64 wanted = b + 4096;

          if (model->max_output <= 0 || wanted <= model->max_output)
            {
              max_tokens = wanted;
              json_object_set_int_member (body, "max_tokens", max_tokens);
            }
          else
            b = max_tokens - 1;
        }
      thinking = ensure_object (body, "thinking");
      if (b < 1024)
        {
          json_object_set_string_member (thinking, "type", "disabled");
          json_object_remove_member (thinking, "budget_tokens");
          return;
        }
      json_object_set_string_member (thinking, "type", "enabled");
      json_object_set_int_member (thinking, "budget_tokens", b);
      json_object_remove_member (thinking, "display");
      /* Only Opus 4.5 of this generation takes output_config.effort. */
      if (json_object_has_member (body, "output_config"))
        {
          JsonObject *oc = ensure_object (body, "output_config");

          if (strstr (model->id, "opus") != NULL && effort <= PM_EFFORT_HIGH)
            json_object_set_string_member (oc, "effort", pm_effort_to_string (effort));
          else
            json_object_remove_member (oc, "effort");
          if (json_object_get_size (oc) == 0)
            json_object_remove_member (body, "output_config");
        }
    }
}

static const char *
openai_effort_name (const PmModelInfo *model,
                    PmEffort           effort)
{
  /* Gemini's OpenAI endpoint: 2.5 Pro cannot switch thinking off. */
  if (g_strcmp0 (model->effort_style, "gemini") == 0 && effort == PM_EFFORT_NONE &&
      !pm_model_info_accepts_effort (model, PM_EFFORT_NONE))
    return "low";

  return pm_effort_to_string (effort);
}

static void
write_openai (const PmModelInfo *model,
              PmApi              api,
              PmWireProvider     provider,
              PmEffort           effort,
              JsonObject        *body)
{
  gboolean none_style = model->effort_style == NULL || g_str_equal (model->effort_style, "none");

  if (api == PM_API_OPENAI_CHAT)
    {
      clamp_member (body, "max_tokens", model->max_output);
      clamp_member (body, "max_completion_tokens", model->max_output);
    }
  else
    clamp_member (body, "max_output_tokens", model->max_output);

  if (effort == PM_EFFORT_UNSET)
    return;

  if (none_style)
    {
      json_object_remove_member (body, "reasoning_effort");
      if (json_object_has_member (body, "reasoning") && api == PM_API_OPENAI_CHAT)
        json_object_remove_member (body, "reasoning");
      else if (json_object_has_member (body, "reasoning"))
        json_object_remove_member (ensure_object (body, "reasoning"), "effort");
      return;
    }

  if (provider == PM_WIRE_PROVIDER_OPENROUTER || api == PM_API_OPENAI_RESPONSES)
    {
      JsonObject *reasoning = ensure_object (body, "reasoning");

      json_object_remove_member (body, "reasoning_effort");
      json_object_remove_member (reasoning, "max_tokens");
      json_object_set_string_member (reasoning, "effort", openai_effort_name (model, effort));
      if (provider == PM_WIRE_PROVIDER_OPENROUTER && effort == PM_EFFORT_NONE)
        json_object_set_boolean_member (reasoning, "enabled", FALSE);
    }
  else
    json_object_set_string_member (body, "reasoning_effort", openai_effort_name (model, effort));
}

gboolean
pm_wire_apply (const PmModelInfo *model,
               PmApi              upstream_api,
               PmWireProvider     provider,
               const char        *upstream_name,
               PmEffort           effort,
               gboolean           drop_thinking,
               JsonObject        *body,
               GError           **error)
{
  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (body != NULL, FALSE);

  json_object_set_string_member (body, "model", upstream_name != NULL ? upstream_name : model->id);

  effort = pm_wire_nearest_effort (model, effort);
  if (drop_thinking)
    pm_wire_drop_thinking (upstream_api, body);

  if (upstream_api == PM_API_ANTHROPIC)
    write_anthropic (model, effort, drop_thinking, body);
  else
    write_openai (model, upstream_api, provider, effort, body);

  return TRUE;
}
