/* pm-translate-response.c — whole (non-streamed) response bodies between the three APIs
 *
 * Like requests, responses go through the Chat Completions shape: Anthropic ⇄ Chat ⇄ Responses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-translate"

#include "config.h"

#include <string.h>

#include "pm-translate-private.h"

void
_pm_tokens_from_usage (PmTokens   *tokens,
                       PmApi       api,
                       JsonObject *usage)
{
  if (usage == NULL)
    return;

  tokens->seen = TRUE;
  if (api == PM_API_ANTHROPIC)
    {
      if (json_object_has_member (usage, "input_tokens"))
        tokens->input = _pm_json_get_int (usage, "input_tokens", 0);
      if (json_object_has_member (usage, "cache_read_input_tokens"))
        tokens->cache_read = _pm_json_get_int (usage, "cache_read_input_tokens", 0);
      if (json_object_has_member (usage, "cache_creation_input_tokens"))
        tokens->cache_write = _pm_json_get_int (usage, "cache_creation_input_tokens", 0);
      if (json_object_has_member (usage, "output_tokens"))
        tokens->output = _pm_json_get_int (usage, "output_tokens", 0);
      tokens->reasoning = _pm_json_get_int (_pm_json_get_object (usage, "output_tokens_details"),
                                            "thinking_tokens", tokens->reasoning);
    }
  else
    {
      gboolean chat = api == PM_API_OPENAI_CHAT;
      const char *in_name = chat ? "prompt_tokens" : "input_tokens";
      const char *out_name = chat ? "completion_tokens" : "output_tokens";
      JsonObject *in_details = _pm_json_get_object (usage, chat ? "prompt_tokens_details"
                                                                : "input_tokens_details");
      JsonObject *out_details = _pm_json_get_object (usage, chat ? "completion_tokens_details"
                                                                 : "output_tokens_details");
      gint64 prompt = _pm_json_get_int (usage, in_name, 0);
      gint64 cached = _pm_json_get_int (in_details, "cached_tokens", 0);
      gint64 written = _pm_json_get_int (in_details, "cache_write_tokens", 0);

      /* DeepSeek reports prompt_cache_hit_tokens / prompt_cache_miss_tokens. */
      if (cached == 0)
        cached = _pm_json_get_int (usage, "prompt_cache_hit_tokens", 0);
      tokens->cache_read = cached;
      tokens->cache_write = written;
      tokens->input = MAX (prompt - cached - written, 0);
      tokens->output = _pm_json_get_int (usage, out_name, 0);
      tokens->reasoning = _pm_json_get_int (out_details, "reasoning_tokens", 0);
    }
}

JsonObject *
_pm_tokens_to_usage (const PmTokens *tokens,
                     PmApi           api)
{
  JsonObject *usage = json_object_new ();
  gint64 prompt = tokens->input + tokens->cache_read + tokens->cache_write;

  switch (api)
    {
    case PM_API_ANTHROPIC:
      json_object_set_int_member (usage, "input_tokens", tokens->input);
      json_object_set_int_member (usage, "cache_creation_input_tokens", tokens->cache_write);
      json_object_set_int_member (usage, "cache_read_input_tokens", tokens->cache_read);
      json_object_set_int_member (usage, "output_tokens", tokens->output);
      break;

    case PM_API_OPENAI_CHAT:
      {
        JsonObject *pd = json_object_new ();
        JsonObject *cd = json_object_new ();

        json_object_set_int_member (usage, "prompt_tokens", prompt);
        json_object_set_int_member (usage, "completion_tokens", tokens->output);
        json_object_set_int_member (usage, "total_tokens", prompt + tokens->output);
        json_object_set_int_member (pd, "cached_tokens", tokens->cache_read);
        if (tokens->cache_write > 0)
          json_object_set_int_member (pd, "cache_write_tokens", tokens->cache_write);
        json_object_set_int_member (cd, "reasoning_tokens", tokens->reasoning);
        json_object_set_object_member (usage, "prompt_tokens_details", pd);
        json_object_set_object_member (usage, "completion_tokens_details", cd);
      }
      break;

    case PM_API_OPENAI_RESPONSES:
      {
        JsonObject *id = json_object_new ();
        JsonObject *od = json_object_new ();

        json_object_set_int_member (usage, "input_tokens", prompt);
        json_object_set_int_member (id, "cached_tokens", tokens->cache_read);
        if (tokens->cache_write > 0)
          json_object_set_int_member (id, "cache_write_tokens", tokens->cache_write);
        json_object_set_object_member (usage, "input_tokens_details", id);
        json_object_set_int_member (usage, "output_tokens", tokens->output);
        json_object_set_int_member (od, "reasoning_tokens", tokens->reasoning);
        json_object_set_object_member (usage, "output_tokens_details", od);
        json_object_set_int_member (usage, "total_tokens", prompt + tokens->output);
      }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
  return usage;
}

static JsonObject *
make_tool_call (const char *id,
                const char *name,
                const char *arguments)
{
  JsonObject *call = json_object_new ();
  JsonObject *fn = json_object_new ();

  json_object_set_string_member (fn, "name", name ? name : "");
  json_object_set_string_member (fn, "arguments", arguments && *arguments ? arguments : "{}");
  json_object_set_string_member (call, "id", id ? id : "");
  json_object_set_string_member (call, "type", "function");
  json_object_set_object_member (call, "function", fn);
  return call;
}

static JsonObject *
chat_completion_new (const char *id,
                     const char *model,
                     const char *text,
                     const char *reasoning,
                     JsonArray  *tool_calls,
                     const char *finish_reason,
                     JsonObject *usage)
{
  JsonObject *c = json_object_new ();
  JsonArray *choices = json_array_new ();
  JsonObject *choice = json_object_new ();
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", "assistant");
  if (text != NULL && (*text != '\0' || tool_calls == NULL))
    json_object_set_string_member (message, "content", text);
  else
    json_object_set_null_member (message, "content");
  if (reasoning != NULL && *reasoning != '\0')
    json_object_set_string_member (message, "reasoning_content", reasoning);
  if (tool_calls != NULL)
    json_object_set_array_member (message, "tool_calls", tool_calls);
  json_object_set_null_member (message, "refusal");

  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "message", message);
  json_object_set_string_member (choice, "finish_reason", finish_reason);
  json_object_set_null_member (choice, "logprobs");
  json_array_add_object_element (choices, choice);

  json_object_set_string_member (c, "id", id);
  json_object_set_string_member (c, "object", "chat.completion");
  json_object_set_int_member (c, "created", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_string_member (c, "model", model ? model : "");
  json_object_set_array_member (c, "choices", choices);
  if (usage != NULL)
    json_object_set_object_member (c, "usage", usage);
  return c;
}

static JsonObject *
anthropic_to_chat_response (JsonObject *a,
                            const char *model)
{
  JsonArray *content = _pm_json_get_array (a, "content");
  JsonArray *calls = json_array_new ();
  GString *text = g_string_new (NULL);
  GString *reasoning = g_string_new (NULL);
  PmTokens tokens = { 0 };
  g_autofree char *id = NULL;
  const char *finish;
  JsonObject *c;

  for (guint i = 0; content != NULL && i < json_array_get_length (content); i++)
    {
      JsonObject *b = _pm_json_array_get_object (content, i);
      const char *type = _pm_json_get_string (b, "type");

      if (g_strcmp0 (type, "text") == 0)
        g_string_append (text, _pm_json_get_string (b, "text") ?: "");
      else if (g_strcmp0 (type, "thinking") == 0)
        g_string_append (reasoning, _pm_json_get_string (b, "thinking") ?: "");
      else if (g_strcmp0 (type, "tool_use") == 0)
        {
          JsonNode *input = json_object_get_member (b, "input");
          g_autofree char *args = input ? json_to_string (input, FALSE) : g_strdup ("{}");

          json_array_add_object_element (calls, make_tool_call (_pm_json_get_string (b, "id"),
                                                                _pm_json_get_string (b, "name"),
                                                                args));
        }
    }

  _pm_tokens_from_usage (&tokens, PM_API_ANTHROPIC, _pm_json_get_object (a, "usage"));
  finish = _pm_stop_reason_to_finish (_pm_json_get_string (a, "stop_reason"));
  id = g_strdup_printf ("chatcmpl-%s", _pm_json_get_string (a, "id") ?: "pm");
  c = chat_completion_new (id, model ? model : _pm_json_get_string (a, "model"),
                           text->str, reasoning->str,
                           json_array_get_length (calls) > 0 ? json_array_ref (calls) : NULL,
                           finish, _pm_tokens_to_usage (&tokens, PM_API_OPENAI_CHAT));
  json_array_unref (calls);
  g_string_free (text, TRUE);
  g_string_free (reasoning, TRUE);
  return c;
}

static JsonObject *
chat_to_anthropic_response (JsonObject *c,
                            const char *model)
{
  JsonObject *a = json_object_new ();
  JsonArray *choices = _pm_json_get_array (c, "choices");
  JsonObject *choice = choices && json_array_get_length (choices) > 0
                       ? _pm_json_array_get_object (choices, 0) : NULL;
  JsonObject *message = _pm_json_get_object (choice, "message");
  JsonArray *calls = _pm_json_get_array (message, "tool_calls");
  JsonArray *content = json_array_new ();
  const char *text = _pm_json_get_string (message, "content");
  const char *finish = _pm_json_get_string (choice, "finish_reason");
  const char *reasoning = _pm_json_get_string (message, "reasoning_content");
  const char *stop_reason;
  PmTokens tokens = { 0 };

  if (reasoning == NULL)
    reasoning = _pm_json_get_string (message, "reasoning");
  if (reasoning != NULL && *reasoning != '\0')
    {
      /* Shown to the client; unsigned, so never replayed to Claude (see the request side). */
      JsonObject *b = json_object_new ();

      json_object_set_string_member (b, "type", "thinking");
      json_object_set_string_member (b, "thinking", reasoning);
      json_object_set_string_member (b, "signature", "");
      json_array_add_object_element (content, b);
    }
  if (text != NULL && *text != '\0')
    {
      JsonObject *b = json_object_new ();

      json_object_set_string_member (b, "type", "text");
      json_object_set_string_member (b, "text", text);
      json_array_add_object_element (content, b);
    }
  for (guint i = 0; calls != NULL && i < json_array_get_length (calls); i++)
    {
      JsonObject *call = _pm_json_array_get_object (calls, i);
      JsonObject *fn = _pm_json_get_object (call, "function");
      const char *args = _pm_json_get_string (fn, "arguments");
      JsonObject *input = args && *args ? _pm_json_parse_object (args, -1) : NULL;
      JsonObject *b = json_object_new ();

      json_object_set_string_member (b, "type", "tool_use");
      json_object_set_string_member (b, "id", _pm_json_get_string (call, "id") ?: "toolu_pm");
      json_object_set_string_member (b, "name", _pm_json_get_string (fn, "name") ?: "");
      json_object_set_object_member (b, "input", input ? input : json_object_new ());
      json_array_add_object_element (content, b);
    }

  stop_reason = _pm_finish_to_stop_reason (finish);
  if (calls != NULL && json_array_get_length (calls) > 0 && g_str_equal (stop_reason, "end_turn"))
    stop_reason = "tool_use";

  _pm_tokens_from_usage (&tokens, PM_API_OPENAI_CHAT, _pm_json_get_object (c, "usage"));

  {
    g_autofree char *id = g_strdup_printf ("msg_%s", _pm_json_get_string (c, "id") ?: "pm");

    json_object_set_string_member (a, "id", id);
  }
  json_object_set_string_member (a, "type", "message");
  json_object_set_string_member (a, "role", "assistant");
  json_object_set_string_member (a, "model", model ? model : (_pm_json_get_string (c, "model") ?: ""));
  json_object_set_array_member (a, "content", content);
  json_object_set_string_member (a, "stop_reason", stop_reason);
  json_object_set_null_member (a, "stop_sequence");
  json_object_set_object_member (a, "usage", _pm_tokens_to_usage (&tokens, PM_API_ANTHROPIC));
  return a;
}

static JsonObject *
responses_to_chat_response (JsonObject *r,
                            const char *model)
{
  JsonArray *output = _pm_json_get_array (r, "output");
  JsonArray *calls = json_array_new ();
  GString *text = g_string_new (NULL);
  GString *reasoning = g_string_new (NULL);
  JsonObject *incomplete = _pm_json_get_object (r, "incomplete_details");
  const char *status = _pm_json_get_string (r, "status");
  const char *finish = "stop";
  PmTokens tokens = { 0 };
  g_autofree char *id = NULL;
  JsonObject *c;

  for (guint i = 0; output != NULL && i < json_array_get_length (output); i++)
    {
      JsonObject *item = _pm_json_array_get_object (output, i);
      const char *type = _pm_json_get_string (item, "type");

      if (g_strcmp0 (type, "message") == 0)
        {
          JsonArray *parts = _pm_json_get_array (item, "content");

          for (guint j = 0; parts != NULL && j < json_array_get_length (parts); j++)
            {
              JsonObject *p = _pm_json_array_get_object (parts, j);

              if (g_strcmp0 (_pm_json_get_string (p, "type"), "output_text") == 0)
                g_string_append (text, _pm_json_get_string (p, "text") ?: "");
            }
        }
      else if (g_strcmp0 (type, "function_call") == 0)
        json_array_add_object_element (calls, make_tool_call (_pm_json_get_string (item, "call_id"),
                                                              _pm_json_get_string (item, "name"),
                                                              _pm_json_get_string (item, "arguments")));
      else if (g_strcmp0 (type, "reasoning") == 0)
        {
          JsonArray *summary = _pm_json_get_array (item, "summary");

          for (guint j = 0; summary != NULL && j < json_array_get_length (summary); j++)
            g_string_append (reasoning, _pm_json_get_string (_pm_json_array_get_object (summary, j),
                                                             "text") ?: "");
        }
    }

  if (json_array_get_length (calls) > 0)
    finish = "tool_calls";
  if (g_strcmp0 (status, "incomplete") == 0)
    {
      const char *reason = _pm_json_get_string (incomplete, "reason");

      finish = g_strcmp0 (reason, "content_filter") == 0 ? "content_filter" : "length";
    }

  _pm_tokens_from_usage (&tokens, PM_API_OPENAI_RESPONSES, _pm_json_get_object (r, "usage"));
  id = g_strdup_printf ("chatcmpl-%s", _pm_json_get_string (r, "id") ?: "pm");
  c = chat_completion_new (id, model ? model : _pm_json_get_string (r, "model"),
                           text->str, reasoning->str,
                           json_array_get_length (calls) > 0 ? json_array_ref (calls) : NULL,
                           finish, _pm_tokens_to_usage (&tokens, PM_API_OPENAI_CHAT));
  json_array_unref (calls);
  g_string_free (text, TRUE);
  g_string_free (reasoning, TRUE);
  return c;
}

JsonObject *
_pm_responses_message_item (const char *id,
                            const char *text,
                            const char *status)
{
  JsonObject *item = json_object_new ();
  JsonArray *content = json_array_new ();
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "type", "output_text");
  json_object_set_string_member (part, "text", text ? text : "");
  json_object_set_array_member (part, "annotations", json_array_new ());
  if (text != NULL)
    json_array_add_object_element (content, part);
  else
    json_object_unref (part);
  json_object_set_string_member (item, "id", id);
  json_object_set_string_member (item, "type", "message");
  json_object_set_string_member (item, "role", "assistant");
  json_object_set_string_member (item, "status", status);
  json_object_set_array_member (item, "content", content);
  return item;
}

JsonObject *
_pm_responses_call_item (const char *id,
                         const char *call_id,
                         const char *name,
                         const char *arguments,
                         const char *status)
{
  JsonObject *item = json_object_new ();

  json_object_set_string_member (item, "id", id);
  json_object_set_string_member (item, "type", "function_call");
  json_object_set_string_member (item, "call_id", call_id ? call_id : "");
  json_object_set_string_member (item, "name", name ? name : "");
  json_object_set_string_member (item, "arguments", arguments ? arguments : "");
  json_object_set_string_member (item, "status", status);
  return item;
}

JsonObject *
_pm_responses_reasoning_item (const char *id,
                              const char *text)
{
  JsonObject *item = json_object_new ();
  JsonArray *summary = json_array_new ();

  if (text != NULL)
    {
      JsonObject *part = json_object_new ();

      json_object_set_string_member (part, "type", "summary_text");
      json_object_set_string_member (part, "text", text);
      json_array_add_object_element (summary, part);
    }
  json_object_set_string_member (item, "id", id);
  json_object_set_string_member (item, "type", "reasoning");
  json_object_set_array_member (item, "summary", summary);
  return item;
}

JsonObject *
_pm_responses_object (const char *id,
                      const char *model,
                      const char *status,
                      const char *incomplete_reason,
                      JsonArray  *output,
                      JsonObject *usage)
{
  JsonObject *r = json_object_new ();

  json_object_set_string_member (r, "id", id);
  json_object_set_string_member (r, "object", "response");
  json_object_set_int_member (r, "created_at", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_string_member (r, "status", status);
  json_object_set_null_member (r, "error");
  if (incomplete_reason != NULL)
    {
      JsonObject *details = json_object_new ();

      json_object_set_string_member (details, "reason", incomplete_reason);
      json_object_set_object_member (r, "incomplete_details", details);
    }
  else
    json_object_set_null_member (r, "incomplete_details");
  json_object_set_string_member (r, "model", model ? model : "");
  json_object_set_array_member (r, "output", output ? output : json_array_new ());
  json_object_set_boolean_member (r, "parallel_tool_calls", TRUE);
  json_object_set_string_member (r, "tool_choice", "auto");
  json_object_set_array_member (r, "tools", json_array_new ());
  if (usage != NULL)
    json_object_set_object_member (r, "usage", usage);
  else
    json_object_set_null_member (r, "usage");
  return r;
}

static JsonObject *
chat_to_responses_response (JsonObject *c,
                            const char *model)
{
  JsonArray *choices = _pm_json_get_array (c, "choices");
  JsonObject *choice = choices && json_array_get_length (choices) > 0
                       ? _pm_json_array_get_object (choices, 0) : NULL;
  JsonObject *message = _pm_json_get_object (choice, "message");
  JsonArray *calls = _pm_json_get_array (message, "tool_calls");
  const char *text = _pm_json_get_string (message, "content");
  const char *reasoning = _pm_json_get_string (message, "reasoning_content");
  const char *finish = _pm_json_get_string (choice, "finish_reason");
  JsonArray *output = json_array_new ();
  const char *incomplete = NULL;
  PmTokens tokens = { 0 };
  g_autofree char *rid = g_strdup_printf ("resp_%s", _pm_json_get_string (c, "id") ?: "pm");

  if (reasoning == NULL)
    reasoning = _pm_json_get_string (message, "reasoning");
  if (reasoning != NULL && *reasoning != '\0')
    {
      g_autofree char *id = _pm_make_id (PM_SYNTH_REASONING_PREFIX);

      json_array_add_object_element (output, _pm_responses_reasoning_item (id, reasoning));
    }
  if (text != NULL && *text != '\0')
    {
      g_autofree char *id = _pm_make_id (PM_SYNTH_MESSAGE_PREFIX);

      json_array_add_object_element (output, _pm_responses_message_item (id, text, "completed"));
    }
  for (guint i = 0; calls != NULL && i < json_array_get_length (calls); i++)
    {
      JsonObject *call = _pm_json_array_get_object (calls, i);
      JsonObject *fn = _pm_json_get_object (call, "function");
      g_autofree char *id = _pm_make_id (PM_SYNTH_CALL_PREFIX);

      json_array_add_object_element (output,
                                     _pm_responses_call_item (id, _pm_json_get_string (call, "id"),
                                                              _pm_json_get_string (fn, "name"),
                                                              _pm_json_get_string (fn, "arguments") ?: "{}",
                                                              "completed"));
    }

  if (g_strcmp0 (finish, "length") == 0)
    incomplete = "max_output_tokens";
  else if (g_strcmp0 (finish, "content_filter") == 0)
    incomplete = "content_filter";

  _pm_tokens_from_usage (&tokens, PM_API_OPENAI_CHAT, _pm_json_get_object (c, "usage"));
  return _pm_responses_object (rid, model ? model : _pm_json_get_string (c, "model"),
                               incomplete ? "incomplete" : "completed", incomplete, output,
                               _pm_tokens_to_usage (&tokens, PM_API_OPENAI_RESPONSES));
}

JsonNode *
pm_translate_response_for_request (PmApi        from,
                                   PmApi        to,
                                   JsonNode    *response,
                                   const char  *client_model,
                                   JsonNode    *client_body,
                                   GError     **error)
{
  g_autoptr(GHashTable) names = NULL;
  JsonNode *out = pm_translate_response (from, to, response, client_model, error);
  JsonArray *content;

  if (out == NULL || from == to || to != PM_API_ANTHROPIC || client_body == NULL)
    return out;
  names = _pm_tool_name_map (client_body);
  content = _pm_json_get_array (json_node_get_object (out), "content");
  for (guint i = 0; content != NULL && i < json_array_get_length (content); i++)
    {
      JsonObject *b = _pm_json_array_get_object (content, i);
      const char *name = _pm_json_get_string (b, "name");

      if (g_strcmp0 (_pm_json_get_string (b, "type"), "tool_use") == 0 && name != NULL &&
          g_hash_table_contains (names, name))
        json_object_set_string_member (b, "name", g_hash_table_lookup (names, name));
    }
  return out;
}

JsonNode *
pm_translate_response (PmApi       from,
                       PmApi       to,
                       JsonNode   *response,
                       const char *client_model,
                       GError    **error)
{
  g_autoptr(JsonObject) chat = NULL;
  g_autoptr(JsonNode) copy = NULL;
  JsonObject *out = NULL;
  JsonObject *in;
  JsonNode *node;

  g_return_val_if_fail (from < PM_API_LAST && to < PM_API_LAST, NULL);
  g_return_val_if_fail (response != NULL, NULL);

  if (from == to)
    return _pm_json_deep_copy (response);

  if (!JSON_NODE_HOLDS_OBJECT (response))
    {
      g_set_error_literal (error, PM_ERROR, PM_ERROR_UPSTREAM,
                           "The upstream response is not a JSON object");
      return NULL;
    }
  copy = _pm_json_deep_copy (response);
  in = json_node_get_object (copy);

  switch (from)
    {
    case PM_API_ANTHROPIC:
      chat = anthropic_to_chat_response (in, client_model);
      break;
    case PM_API_OPENAI_RESPONSES:
      chat = responses_to_chat_response (in, client_model);
      break;
    case PM_API_OPENAI_CHAT:
      chat = json_object_ref (in);
      break;
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }

  switch (to)
    {
    case PM_API_OPENAI_CHAT:
      out = json_object_ref (chat);
      if (client_model != NULL)
        json_object_set_string_member (out, "model", client_model);
      break;
    case PM_API_ANTHROPIC:
      out = chat_to_anthropic_response (chat, client_model);
      break;
    case PM_API_OPENAI_RESPONSES:
      out = chat_to_responses_response (chat, client_model);
      break;
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, out);
  return node;
}
