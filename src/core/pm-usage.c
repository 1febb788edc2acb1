/* pm-usage.c — token usage as providers report it, and what it costs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-usage"

#include "config.h"

#include <string.h>

#include "pm-catalog.h"
#include "pm-usage.h"

void
pm_usage_init (PmUsage *usage)
{
  g_return_if_fail (usage != NULL);

  memset (usage, 0, sizeof *usage);
  usage->reported_cost = -1.0;
}

gint64
pm_usage_prompt_total (const PmUsage *usage)
{
  g_return_val_if_fail (usage != NULL, 0);

  return usage->input + usage->cache_read + usage->cache_write_5m + usage->cache_write_1h;
}

/* A non-negative integer member, or FALSE when absent / not a number. */
static gboolean
read_count (JsonObject *object,
            const char *member,
            gint64     *value)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return FALSE;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *value = MAX (json_node_get_int (node), 0);
      return TRUE;
    case G_TYPE_DOUBLE:
      *value = MAX ((gint64)(json_node_get_double (node) + 0.5), 0);
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
read_number (JsonObject *object,
             const char *member,
             double     *value)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return FALSE;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      *value = json_node_get_double (node);
      return TRUE;
    case G_TYPE_STRING:
      {
        const char *str = json_node_get_string (node);
        char *end = NULL;
        double d = g_ascii_strtod (str, &end);

        if (end == str || *end != '\0')
          return FALSE;
        *value = d;
        return TRUE;
      }
    default:
      return FALSE;
    }
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

static void
merge_anthropic (PmUsage    *usage,
                 JsonObject *object)
{
  JsonObject *creation = get_object (object, "cache_creation");
  JsonObject *details = get_object (object, "output_tokens_details");
  gint64 value;
  gint64 total_creation;
  gboolean have_total;

  if (read_count (object, "input_tokens", &value))
    usage->input = value;
  if (read_count (object, "cache_read_input_tokens", &value))
    usage->cache_read = value;
  if (read_count (object, "output_tokens", &value))
    usage->output = value;
  if (read_count (details, "thinking_tokens", &value) ||
      read_count (details, "reasoning_tokens", &value))
    usage->reasoning = value;
  if (read_count (get_object (object, "server_tool_use"), "web_search_requests", &value))
    usage->web_search_requests = value;

  /* Cache writes: the 5m/1h breakdown when given; otherwise all creation counts as 5m
   * (PROTOCOLS.md "Cost per request"). */
  have_total = read_count (object, "cache_creation_input_tokens", &total_creation);
  if (creation != NULL)
    {
      gint64 w5 = 0;
      gint64 w1 = 0;
      gboolean has5 = read_count (creation, "ephemeral_5m_input_tokens", &w5);
      gboolean has1 = read_count (creation, "ephemeral_1h_input_tokens", &w1);

      if (has5 || has1)
        {
          /* Any creation the breakdown does not account for is billed as 5m. */
          if (have_total && total_creation > w5 + w1)
            w5 = total_creation - w1;
          usage->cache_write_5m = w5;
          usage->cache_write_1h = w1;
          return;
        }
    }
  /* A total without a breakdown (a later message_delta repeating it, or a gateway that drops
   * the split): keep the split already known when it agrees, else count the rest as 5m. */
  if (have_total && total_creation != usage->cache_write_5m + usage->cache_write_1h)
    {
      if (usage->cache_write_1h <= total_creation)
        usage->cache_write_5m = total_creation - usage->cache_write_1h;
      else
        {
          usage->cache_write_5m = total_creation;
          usage->cache_write_1h = 0;
        }
    }
}

/* Chat Completions and Responses share the "prompt includes cached" convention. */
static void
merge_openai (PmUsage    *usage,
              JsonObject *object,
              const char *prompt_member,
              const char *prompt_details_member,
              const char *output_member,
              const char *output_details_member)
{
  JsonObject *prompt_details = get_object (object, prompt_details_member);
  JsonObject *output_details = get_object (object, output_details_member);
  gint64 prompt = 0;
  gint64 cached = 0;
  gint64 written = 0;
  gint64 value;
  gboolean have_prompt;

  have_prompt = read_count (object, prompt_member, &prompt);

  if (!read_count (prompt_details, "cached_tokens", &cached))
    {
      /* DeepSeek: prompt_cache_hit_tokens + prompt_cache_miss_tokens = prompt_tokens.
       * Moonshot and a few others: a top-level cached_tokens. */
      if (!read_count (object, "prompt_cache_hit_tokens", &cached))
        read_count (object, "cached_tokens", &cached);
    }
  if (!have_prompt)
    {
      gint64 miss = 0;

      if (read_count (object, "prompt_cache_miss_tokens", &miss))
        {
          prompt = miss + cached;
          have_prompt = TRUE;
        }
    }
  if (!read_count (prompt_details, "cache_write_tokens", &written))
    read_count (prompt_details, "cache_creation_tokens", &written);

  if (have_prompt)
    {
      if (cached + written > prompt)
        {
          /* Cannot include them: a gateway translating from Anthropic reported the uncached
           * part only (Anthropic's meaning of input). */
          usage->input = prompt;
        }
      else
        usage->input = prompt - cached - written;
      usage->cache_read = cached;
      usage->cache_write_5m = written;
      usage->cache_write_1h = 0;
    }

  if (read_count (object, output_member, &value))
    usage->output = value;
  if (read_count (output_details, "reasoning_tokens", &value))
    usage->reasoning = value;

  /* Output includes reasoning in OpenAI's convention, but some gateways in front of Gemini
   * report completion_tokens without the thought tokens (prompt + completion + reasoning =
   * total). Reasoning is billed as output, so count it in. */
  {
    gint64 total = 0;
    gint64 completion = 0;

    if (have_prompt && usage->reasoning > 0 &&
        read_count (object, "total_tokens", &total) &&
        read_count (object, output_member, &completion) &&
        prompt + completion != total &&
        prompt + completion + usage->reasoning == total)
      usage->output = completion + usage->reasoning;
  }
}

void
pm_usage_merge_json (PmUsage    *usage,
                     PmApi       api,
                     JsonObject *usage_object)
{
  double cost;

  g_return_if_fail (usage != NULL);

  if (usage_object == NULL)
    return;

  switch (api)
    {
    case PM_API_ANTHROPIC:
      merge_anthropic (usage, usage_object);
      break;
    case PM_API_OPENAI_CHAT:
      merge_openai (usage, usage_object, "prompt_tokens", "prompt_tokens_details",
                    "completion_tokens", "completion_tokens_details");
      break;
    case PM_API_OPENAI_RESPONSES:
      merge_openai (usage, usage_object, "input_tokens", "input_tokens_details",
                    "output_tokens", "output_tokens_details");
      break;
    case PM_API_LAST:
    default:
      g_return_if_reached ();
    }

  /* OpenRouter's usage.cost (also on its Anthropic-shaped endpoint). */
  if (read_number (usage_object, "cost", &cost) && cost >= 0)
    usage->reported_cost = cost;

  usage->seen = TRUE;
}

void
pm_usage_feed_event (PmUsage    *usage,
                     PmApi       api,
                     const char *event,
                     JsonObject *data)
{
  const char *type = NULL;

  g_return_if_fail (usage != NULL);

  if (data == NULL)
    return;

  if (json_object_has_member (data, "type"))
    type = json_object_get_string_member_with_default (data, "type", NULL);
  if (event == NULL)
    event = type;

  switch (api)
    {
    case PM_API_ANTHROPIC:
      if (g_strcmp0 (event, "message_start") == 0)
        pm_usage_merge_json (usage, api, get_object (get_object (data, "message"), "usage"));
      else if (g_strcmp0 (event, "message_delta") == 0)
        pm_usage_merge_json (usage, api, get_object (data, "usage"));
      break;

    case PM_API_OPENAI_CHAT:
      /* The include_usage chunk (choices: []), or usage on every chunk for some servers. */
      pm_usage_merge_json (usage, api, get_object (data, "usage"));
      break;

    case PM_API_OPENAI_RESPONSES:
      /* response.completed / response.incomplete / response.failed carry the final usage;
       * response.created and in_progress carry usage: null. */
      if (event == NULL || g_str_has_prefix (event, "response."))
        pm_usage_merge_json (usage, api, get_object (get_object (data, "response"), "usage"));
      break;

    case PM_API_LAST:
    default:
      g_return_if_reached ();
    }
}

void
pm_usage_feed_response (PmUsage    *usage,
                        PmApi       api,
                        JsonObject *response)
{
  g_return_if_fail (usage != NULL);

  if (response == NULL)
    return;

  /* All three APIs put the usage object at the top level of a complete response. */
  pm_usage_merge_json (usage, api, get_object (response, "usage"));
}

double
pm_usage_cost (const PmUsage     *usage,
               const PmModelInfo *model)
{
  gboolean is_long;
  double input;
  double read;
  double write_5m;
  double write_1h;
  double output;

  g_return_val_if_fail (usage != NULL, 0.0);
  g_return_val_if_fail (model != NULL, 0.0);

  is_long = pm_model_info_is_long (model, pm_usage_prompt_total (usage));

  input = is_long ? model->long_input : model->input;
  read = is_long ? model->long_cache_read : model->cache_read;
  write_5m = is_long ? model->long_cache_write_5m : model->cache_write_5m;
  write_1h = is_long ? model->long_cache_write_1h : model->cache_write_1h;
  output = is_long ? model->long_output : model->output;

  /* Where the catalog has no separate write price, written tokens cost what input costs. */
  if (write_5m <= 0)
    write_5m = input;
  if (write_1h <= 0)
    write_1h = write_5m;

  return usage->input * input +
         usage->cache_read * read +
         usage->cache_write_5m * write_5m +
         usage->cache_write_1h * write_1h +
         usage->output * output +
         usage->web_search_requests * model->web_search;
}

JsonNode *
pm_usage_to_json (const PmUsage *usage)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (usage != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "input");
  json_builder_add_int_value (builder, usage->input);
  json_builder_set_member_name (builder, "cache_read");
  json_builder_add_int_value (builder, usage->cache_read);
  json_builder_set_member_name (builder, "cache_write_5m");
  json_builder_add_int_value (builder, usage->cache_write_5m);
  json_builder_set_member_name (builder, "cache_write_1h");
  json_builder_add_int_value (builder, usage->cache_write_1h);
  json_builder_set_member_name (builder, "output");
  json_builder_add_int_value (builder, usage->output);
  json_builder_set_member_name (builder, "reasoning");
  json_builder_add_int_value (builder, usage->reasoning);
  json_builder_set_member_name (builder, "prompt_total");
  json_builder_add_int_value (builder, pm_usage_prompt_total (usage));
  json_builder_set_member_name (builder, "seen");
  json_builder_add_boolean_value (builder, usage->seen);
  if (usage->web_search_requests > 0)
    {
      json_builder_set_member_name (builder, "web_search_requests");
      json_builder_add_int_value (builder, usage->web_search_requests);
    }
  if (usage->reported_cost >= 0)
    {
      json_builder_set_member_name (builder, "reported_cost");
      json_builder_add_double_value (builder, usage->reported_cost);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
