/* pm-translate-request.c — request bodies between Anthropic Messages, Chat Completions and
 * Responses, plus provider-specific tweaks (OpenRouter, Gemini, local servers, DeepSeek)
 *
 * Chat Completions is the hub: Anthropic ⇄ Chat ⇄ Responses. Signed thinking and encrypted
 * reasoning are model-bound, so they never cross to another API (PROTOCOLS.md §8, pitfall 1).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-translate"

#include "config.h"

#include <string.h>

#include "pm-translate-private.h"

#define BILLING_PREFIX "x-anthropic-billing-header:"
#define GEMINI_SKIP_SIGNATURE "skip_thought_signature_validator"
#define DEFAULT_ANTHROPIC_MAX_TOKENS 8192

typedef enum {
  PRESET_GENERIC = 0,        /* NULL, "openai", "azure", "litellm", "portkey" */
  PRESET_ANTHROPIC,
  PRESET_OPENROUTER,
  PRESET_GEMINI,
  PRESET_LOCAL,              /* "ollama", "llamacpp", "llama.cpp", "vllm", "lmstudio", "local" */
  PRESET_DEEPSEEK,
} Preset;

static Preset
parse_preset (const char *preset)
{
  if (preset == NULL)
    return PRESET_GENERIC;
  if (g_str_equal (preset, "anthropic"))
    return PRESET_ANTHROPIC;
  if (g_str_equal (preset, "openrouter"))
    return PRESET_OPENROUTER;
  if (g_str_equal (preset, "gemini") || g_str_equal (preset, "google"))
    return PRESET_GEMINI;
  if (g_str_equal (preset, "ollama") || g_str_equal (preset, "llamacpp") ||
      g_str_equal (preset, "llama.cpp") || g_str_equal (preset, "llama-cpp") ||
      g_str_equal (preset, "vllm") || g_str_equal (preset, "lmstudio") ||
      g_str_equal (preset, "local"))
    return PRESET_LOCAL;
  if (g_str_equal (preset, "deepseek"))
    return PRESET_DEEPSEEK;
  return PRESET_GENERIC;
}

static gboolean
is_billing_block (const char *text)
{
  return text != NULL && g_str_has_prefix (text, BILLING_PREFIX);
}

static void
copy_member (JsonObject *to,
             JsonObject *from,
             const char *to_name,
             const char *from_name)
{
  if (json_object_has_member (from, from_name))
    json_object_set_member (to, to_name, json_node_copy (json_object_get_member (from, from_name)));
}

/* The session part of Anthropic metadata.user_id: legacy "user_…_session_<uuid>", a JSON string
 * with session_id (Claude Code ≥ 2.1.78), or the whole value. */
char *
_pm_session_from_user_id (const char *user_id)
{
  const char *p;

  if (user_id == NULL || *user_id == '\0')
    return NULL;
  if (user_id[0] == '{')
    {
      g_autoptr(JsonObject) obj = _pm_json_parse_object (user_id, -1);
      const char *sid = _pm_json_get_string (obj, "session_id");

      if (sid != NULL && *sid != '\0')
        return g_strdup (sid);
    }
  p = strstr (user_id, "_session_");
  if (p != NULL && p[strlen ("_session_")] != '\0')
    return g_strdup (p + strlen ("_session_"));
  return g_strdup (user_id);
}

/* ----------------------------------------------------------------------------------------- */
/* Anthropic → Chat                                                                           */

static JsonObject *
image_block_to_chat_part (JsonObject *block)
{
  JsonObject *source = _pm_json_get_object (block, "source");
  const char *stype = _pm_json_get_string (source, "type");
  g_autofree char *url = NULL;
  JsonObject *part;
  JsonObject *image_url;

  if (g_strcmp0 (stype, "base64") == 0)
    url = g_strdup_printf ("data:%s;base64,%s",
                           _pm_json_get_string (source, "media_type") ?: "image/png",
                           _pm_json_get_string (source, "data") ?: "");
  else if (g_strcmp0 (stype, "url") == 0)
    url = g_strdup (_pm_json_get_string (source, "url"));
  if (url == NULL)
    return NULL;

  part = json_object_new ();
  image_url = json_object_new ();
  json_object_set_string_member (image_url, "url", url);
  json_object_set_string_member (part, "type", "image_url");
  json_object_set_object_member (part, "image_url", image_url);
  return part;
}

/* A document block (PDF or other base64 file) → a Chat "file" part; text documents → text. */
static JsonObject *
document_block_to_chat_part (JsonObject *block)
{
  JsonObject *source = _pm_json_get_object (block, "source");
  const char *stype = _pm_json_get_string (source, "type");
  JsonObject *part;
  JsonObject *file;
  g_autofree char *data = NULL;

  if (g_strcmp0 (stype, "text") == 0)
    {
      part = json_object_new ();
      json_object_set_string_member (part, "type", "text");
      json_object_set_string_member (part, "text", _pm_json_get_string (source, "data") ?: "");
      return part;
    }
  if (g_strcmp0 (stype, "base64") != 0)
    return NULL;

  data = g_strdup_printf ("data:%s;base64,%s",
                          _pm_json_get_string (source, "media_type") ?: "application/pdf",
                          _pm_json_get_string (source, "data") ?: "");
  part = json_object_new ();
  file = json_object_new ();
  json_object_set_string_member (file, "filename", _pm_json_get_string (block, "title") ?: "document.pdf");
  json_object_set_string_member (file, "file_data", data);
  json_object_set_string_member (part, "type", "file");
  json_object_set_object_member (part, "file", file);
  return part;
}

static JsonObject *
media_block_to_chat_part (JsonObject *block)
{
  const char *type = _pm_json_get_string (block, "type");

  if (g_strcmp0 (type, "image") == 0)
    return image_block_to_chat_part (block);
  if (g_strcmp0 (type, "document") == 0)
    return document_block_to_chat_part (block);
  return NULL;
}

static JsonObject *
text_part (const char *text,
           JsonObject *cache_from)
{
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "type", "text");
  json_object_set_string_member (part, "text", text ? text : "");
  if (cache_from != NULL && json_object_has_member (cache_from, "cache_control"))
    copy_member (part, cache_from, "cache_control", "cache_control");
  return part;
}

/* Parts array → a plain string when it is only text without cache marks (friendlier to local
 * servers), else the array. Takes ownership of parts. */
static JsonNode *
chat_content_from_parts (JsonArray *parts)
{
  gboolean plain = TRUE;
  GString *text = g_string_new (NULL);
  JsonNode *node;

  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonObject *part = _pm_json_array_get_object (parts, i);

      if (g_strcmp0 (_pm_json_get_string (part, "type"), "text") != 0 ||
          json_object_has_member (part, "cache_control"))
        {
          plain = FALSE;
          break;
        }
      g_string_append (text, _pm_json_get_string (part, "text") ?: "");
    }

  if (plain)
    {
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (node, text->str);
      json_array_unref (parts);
    }
  else
    {
      node = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (node, parts);
    }
  g_string_free (text, TRUE);
  return node;
}

/* tool_result content (string or blocks) → text; images are appended to extra_images. */
static char *
tool_result_text (JsonObject *block,
                  JsonArray  *extra_images)
{
  JsonNode *content = json_object_get_member (block, "content");
  GString *text = g_string_new (NULL);

  if (_pm_json_get_bool (block, "is_error", FALSE))
    g_string_append (text, "Error: ");

  if (content != NULL && JSON_NODE_HOLDS_VALUE (content) &&
      json_node_get_value_type (content) == G_TYPE_STRING)
    {
      g_string_append (text, json_node_get_string (content));
    }
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *blocks = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        {
          JsonNode *n = json_array_get_element (blocks, i);
          JsonObject *b;
          const char *type;

          if (!JSON_NODE_HOLDS_OBJECT (n))
            continue;
          b = json_node_get_object (n);
          type = _pm_json_get_string (b, "type");
          if (g_strcmp0 (type, "text") == 0)
            {
              if (text->len > 0 && !g_str_has_suffix (text->str, "Error: "))
                g_string_append_c (text, '\n');
              g_string_append (text, _pm_json_get_string (b, "text") ?: "");
            }
          else if ((g_strcmp0 (type, "image") == 0 || g_strcmp0 (type, "document") == 0) &&
                   extra_images != NULL)
            {
              JsonObject *part = media_block_to_chat_part (b);

              if (part != NULL)
                json_array_add_object_element (extra_images, part);
            }
        }
    }
  return g_string_free (text, FALSE);
}

static const char *
effort_for_budget (gint64 budget)
{
  if (budget <= 1024)
    return "low";
  if (budget <= 8192)
    return "medium";
  return "high";
}

/* The reasoning effort an Anthropic request asks for, or NULL. */
static const char *
anthropic_effort (JsonObject *body,
                  gint64     *budget_out)
{
  JsonObject *thinking = _pm_json_get_object (body, "thinking");
  JsonObject *output_config = _pm_json_get_object (body, "output_config");
  const char *effort = _pm_json_get_string (output_config, "effort");
  const char *ttype = _pm_json_get_string (thinking, "type");

  *budget_out = 0;
  if (g_strcmp0 (ttype, "disabled") == 0)
    return effort != NULL ? effort : NULL;
  if (effort != NULL)
    return effort;
  if (g_strcmp0 (ttype, "enabled") == 0)
    {
      *budget_out = _pm_json_get_int (thinking, "budget_tokens", 0);
      return effort_for_budget (*budget_out);
    }
  return NULL;
}

static JsonObject *
anthropic_to_chat (JsonObject *a,
                   Preset      preset)
{
  JsonObject *c = json_object_new ();
  JsonArray *messages = json_array_new ();
  JsonNode *system = json_object_get_member (a, "system");
  JsonArray *amessages = _pm_json_get_array (a, "messages");
  JsonArray *tools = _pm_json_get_array (a, "tools");
  JsonObject *tool_choice = _pm_json_get_object (a, "tool_choice");
  JsonObject *metadata = _pm_json_get_object (a, "metadata");
  gboolean keep_cache = preset == PRESET_OPENROUTER;
  const char *effort;
  gint64 budget = 0;

  copy_member (c, a, "model", "model");

  /* system: a string or text blocks; Claude Code's billing block is dropped. */
  if (system != NULL && JSON_NODE_HOLDS_VALUE (system) &&
      json_node_get_value_type (system) == G_TYPE_STRING)
    {
      JsonObject *m = json_object_new ();

      json_object_set_string_member (m, "role", "system");
      json_object_set_string_member (m, "content", json_node_get_string (system));
      json_array_add_object_element (messages, m);
    }
  else if (system != NULL && JSON_NODE_HOLDS_ARRAY (system))
    {
      JsonArray *blocks = json_node_get_array (system);
      JsonArray *parts = json_array_new ();

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        {
          JsonNode *n = json_array_get_element (blocks, i);
          JsonObject *b;
          const char *text;

          if (!JSON_NODE_HOLDS_OBJECT (n))
            continue;
          b = json_node_get_object (n);
          text = _pm_json_get_string (b, "text");
          if (text == NULL || is_billing_block (text))
            continue;
          if (json_array_get_length (parts) > 0 && !keep_cache)
            json_array_add_object_element (parts, text_part ("\n\n", NULL));
          json_array_add_object_element (parts, text_part (text, keep_cache ? b : NULL));
        }
      if (json_array_get_length (parts) > 0)
        {
          JsonObject *m = json_object_new ();

          json_object_set_string_member (m, "role", "system");
          json_object_set_member (m, "content", chat_content_from_parts (parts));
          json_array_add_object_element (messages, m);
        }
      else
        json_array_unref (parts);
    }

  for (guint i = 0; amessages != NULL && i < json_array_get_length (amessages); i++)
    {
      JsonNode *mn = json_array_get_element (amessages, i);
      JsonObject *am;
      const char *role;
      JsonNode *content;

      if (!JSON_NODE_HOLDS_OBJECT (mn))
        continue;
      am = json_node_get_object (mn);
      role = _pm_json_get_string (am, "role");
      content = json_object_get_member (am, "content");
      if (role == NULL || content == NULL)
        continue;

      if (JSON_NODE_HOLDS_VALUE (content))
        {
          JsonObject *m = json_object_new ();

          json_object_set_string_member (m, "role", g_str_equal (role, "assistant") ? "assistant" : "user");
          json_object_set_member (m, "content", json_node_copy (content));
          json_array_add_object_element (messages, m);
          continue;
        }
      if (!JSON_NODE_HOLDS_ARRAY (content))
        continue;

      if (g_str_equal (role, "assistant"))
        {
          JsonArray *blocks = json_node_get_array (content);
          JsonArray *tool_calls = json_array_new ();
          GString *text = g_string_new (NULL);
          JsonObject *m = json_object_new ();

          for (guint j = 0; j < json_array_get_length (blocks); j++)
            {
              JsonNode *bn = json_array_get_element (blocks, j);
              JsonObject *b;
              const char *type;

              if (!JSON_NODE_HOLDS_OBJECT (bn))
                continue;
              b = json_node_get_object (bn);
              type = _pm_json_get_string (b, "type");
              if (g_strcmp0 (type, "text") == 0)
                g_string_append (text, _pm_json_get_string (b, "text") ?: "");
              else if (g_strcmp0 (type, "tool_use") == 0)
                {
                  JsonObject *call = json_object_new ();
                  JsonObject *fn = json_object_new ();
                  JsonNode *input = json_object_get_member (b, "input");
                  g_autofree char *args = input ? json_to_string (input, FALSE) : g_strdup ("{}");
                  g_autofree char *name = _pm_openai_tool_name (_pm_json_get_string (b, "name"));

                  json_object_set_string_member (fn, "name", name);
                  json_object_set_string_member (fn, "arguments", args);
                  json_object_set_string_member (call, "id", _pm_json_get_string (b, "id") ?: "");
                  json_object_set_string_member (call, "type", "function");
                  json_object_set_object_member (call, "function", fn);
                  json_array_add_object_element (tool_calls, call);
                }
              /* thinking / redacted_thinking: model-bound, dropped. server_tool_use and
               * web_search_tool_result: provider-side tools, dropped. */
            }

          json_object_set_string_member (m, "role", "assistant");
          if (text->len > 0)
            json_object_set_string_member (m, "content", text->str);
          else
            json_object_set_null_member (m, "content");
          if (json_array_get_length (tool_calls) > 0)
            json_object_set_array_member (m, "tool_calls", tool_calls);
          else
            json_array_unref (tool_calls);
          g_string_free (text, TRUE);

          if (json_object_has_member (m, "tool_calls") ||
              !JSON_NODE_HOLDS_NULL (json_object_get_member (m, "content")))
            json_array_add_object_element (messages, m);
          else
            json_object_unref (m);
        }
      else
        {
          /* user: one tool message per tool_result first, then the turn's other content. */
          JsonArray *blocks = json_node_get_array (content);
          JsonArray *parts = json_array_new ();
          JsonArray *tool_images = json_array_new ();

          for (guint j = 0; j < json_array_get_length (blocks); j++)
            {
              JsonNode *bn = json_array_get_element (blocks, j);
              JsonObject *b;
              const char *type;

              if (!JSON_NODE_HOLDS_OBJECT (bn))
                continue;
              b = json_node_get_object (bn);
              type = _pm_json_get_string (b, "type");
              if (g_strcmp0 (type, "tool_result") == 0)
                {
                  JsonObject *tm = json_object_new ();
                  g_autofree char *text = tool_result_text (b, tool_images);

                  json_object_set_string_member (tm, "role", "tool");
                  json_object_set_string_member (tm, "tool_call_id",
                                                 _pm_json_get_string (b, "tool_use_id") ?: "");
                  json_object_set_string_member (tm, "content", text);
                  json_array_add_object_element (messages, tm);
                }
              else if (g_strcmp0 (type, "text") == 0)
                json_array_add_object_element (parts, text_part (_pm_json_get_string (b, "text"),
                                                                 keep_cache ? b : NULL));
              else if (g_strcmp0 (type, "image") == 0 || g_strcmp0 (type, "document") == 0)
                {
                  JsonObject *part = media_block_to_chat_part (b);

                  if (part != NULL)
                    json_array_add_object_element (parts, part);
                }
            }

          for (guint j = 0; j < json_array_get_length (tool_images); j++)
            json_array_add_element (parts, json_node_copy (json_array_get_element (tool_images, j)));
          json_array_unref (tool_images);

          if (json_array_get_length (parts) > 0)
            {
              JsonObject *m = json_object_new ();

              json_object_set_string_member (m, "role", "user");
              json_object_set_member (m, "content", chat_content_from_parts (parts));
              json_array_add_object_element (messages, m);
            }
          else
            json_array_unref (parts);
        }
    }
  json_object_set_array_member (c, "messages", messages);

  /* tools: client tools only; Anthropic server tools (web_search_…) have no Chat equivalent. */
  if (tools != NULL)
    {
      JsonArray *ctools = json_array_new ();

      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonNode *tn = json_array_get_element (tools, i);
          JsonObject *t;
          const char *type;
          JsonObject *ct;
          JsonObject *fn;

          if (!JSON_NODE_HOLDS_OBJECT (tn))
            continue;
          t = json_node_get_object (tn);
          type = _pm_json_get_string (t, "type");
          if (type != NULL && !g_str_equal (type, "custom"))
            continue;
          if (_pm_json_get_string (t, "name") == NULL)
            continue;
          ct = json_object_new ();
          fn = json_object_new ();
          {
            g_autofree char *name = _pm_openai_tool_name (_pm_json_get_string (t, "name"));

            json_object_set_string_member (fn, "name", name);
          }
          copy_member (fn, t, "description", "description");
          if (json_object_has_member (t, "input_schema"))
            copy_member (fn, t, "parameters", "input_schema");
          else
            {
              JsonObject *schema = json_object_new ();

              json_object_set_string_member (schema, "type", "object");
              json_object_set_object_member (schema, "properties", json_object_new ());
              json_object_set_object_member (fn, "parameters", schema);
            }
          json_object_set_string_member (ct, "type", "function");
          json_object_set_object_member (ct, "function", fn);
          json_array_add_object_element (ctools, ct);
        }
      if (json_array_get_length (ctools) > 0)
        json_object_set_array_member (c, "tools", ctools);
      else
        json_array_unref (ctools);
    }

  if (tool_choice != NULL && json_object_has_member (c, "tools"))
    {
      const char *type = _pm_json_get_string (tool_choice, "type");

      if (g_strcmp0 (type, "any") == 0)
        json_object_set_string_member (c, "tool_choice", "required");
      else if (g_strcmp0 (type, "none") == 0)
        json_object_set_string_member (c, "tool_choice", "none");
      else if (g_strcmp0 (type, "tool") == 0)
        {
          JsonObject *tc = json_object_new ();
          JsonObject *fn = json_object_new ();
          g_autofree char *name = _pm_openai_tool_name (_pm_json_get_string (tool_choice, "name"));

          json_object_set_string_member (fn, "name", name);
          json_object_set_string_member (tc, "type", "function");
          json_object_set_object_member (tc, "function", fn);
          json_object_set_object_member (c, "tool_choice", tc);
        }
      else
        json_object_set_string_member (c, "tool_choice", "auto");
      if (_pm_json_get_bool (tool_choice, "disable_parallel_tool_use", FALSE))
        json_object_set_boolean_member (c, "parallel_tool_calls", FALSE);
    }

  if (json_object_has_member (a, "max_tokens"))
    {
      gint64 max_tokens = MAX (_pm_json_get_int (a, "max_tokens", 1), 1);

      json_object_set_int_member (c, "max_completion_tokens", max_tokens);
    }
  copy_member (c, a, "stop", "stop_sequences");
  {
    /* OpenAI takes at most four stop sequences. */
    JsonArray *stop = _pm_json_get_array (c, "stop");

    while (stop != NULL && json_array_get_length (stop) > 4)
      json_array_remove_element (stop, json_array_get_length (stop) - 1);
    if (stop != NULL && json_array_get_length (stop) == 0)
      json_object_remove_member (c, "stop");
  }
  copy_member (c, a, "temperature", "temperature");
  copy_member (c, a, "top_p", "top_p");
  if (_pm_json_get_bool (a, "stream", FALSE))
    {
      JsonObject *so = json_object_new ();

      json_object_set_boolean_member (c, "stream", TRUE);
      json_object_set_boolean_member (so, "include_usage", TRUE);
      json_object_set_object_member (c, "stream_options", so);
    }

  effort = anthropic_effort (a, &budget);
  if (effort != NULL)
    json_object_set_string_member (c, "reasoning_effort", effort);

  /* Structured output: output_config.format → response_format. */
  {
    JsonObject *format = _pm_json_get_object (_pm_json_get_object (a, "output_config"), "format");

    if (g_strcmp0 (_pm_json_get_string (format, "type"), "json_schema") == 0 &&
        _pm_json_get_object (format, "schema") != NULL)
      {
        JsonObject *rf = json_object_new ();
        JsonObject *js = json_object_new ();

        json_object_set_string_member (js, "name", "output");
        copy_member (js, format, "schema", "schema");
        json_object_set_boolean_member (js, "strict", TRUE);
        json_object_set_string_member (rf, "type", "json_schema");
        json_object_set_object_member (rf, "json_schema", js);
        json_object_set_object_member (c, "response_format", rf);
      }
  }

  if (metadata != NULL)
    {
      g_autofree char *session = _pm_session_from_user_id (_pm_json_get_string (metadata, "user_id"));

      if (session != NULL)
        json_object_set_string_member (c, "prompt_cache_key", session);
    }

  return c;
}

/* ----------------------------------------------------------------------------------------- */
/* Chat → Anthropic                                                                           */

static JsonObject *
chat_image_to_anthropic (JsonObject *part)
{
  JsonObject *image_url = _pm_json_get_object (part, "image_url");
  const char *url = _pm_json_get_string (image_url, "url");
  JsonObject *block;
  JsonObject *source;

  if (url == NULL && _pm_json_get_string (part, "image_url") != NULL)
    url = _pm_json_get_string (part, "image_url");    /* Responses input_image */
  if (url == NULL)
    return NULL;

  block = json_object_new ();
  source = json_object_new ();
  json_object_set_string_member (block, "type", "image");
  if (g_str_has_prefix (url, "data:"))
    {
      const char *comma = strchr (url, ',');
      const char *semi = strchr (url, ';');
      g_autofree char *media = NULL;

      if (comma == NULL || semi == NULL || semi > comma)
        {
          json_object_unref (source);
          json_object_unref (block);
          return NULL;
        }
      media = g_strndup (url + 5, semi - (url + 5));
      json_object_set_string_member (source, "type", "base64");
      json_object_set_string_member (source, "media_type", media);
      json_object_set_string_member (source, "data", comma + 1);
    }
  else
    {
      json_object_set_string_member (source, "type", "url");
      json_object_set_string_member (source, "url", url);
    }
  json_object_set_object_member (block, "source", source);
  return block;
}

/* Chat content (string, parts, null) → Anthropic blocks appended to blocks. */
static void
chat_content_to_blocks (JsonNode  *content,
                        JsonArray *blocks)
{
  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return;
  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    {
      const char *s = json_node_get_string (content);

      if (*s != '\0')
        json_array_add_object_element (blocks, text_part (s, NULL));
      return;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
    {
      JsonNode *pn = json_array_get_element (json_node_get_array (content), i);
      JsonObject *part;
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (pn))
        continue;
      part = json_node_get_object (pn);
      type = _pm_json_get_string (part, "type");
      if (g_strcmp0 (type, "text") == 0 || g_strcmp0 (type, "input_text") == 0 ||
          g_strcmp0 (type, "output_text") == 0)
        {
          const char *s = _pm_json_get_string (part, "text");

          if (s != NULL && *s != '\0')
            json_array_add_object_element (blocks, text_part (s, part));
        }
      else if (g_strcmp0 (type, "image_url") == 0 || g_strcmp0 (type, "input_image") == 0)
        {
          JsonObject *b = chat_image_to_anthropic (part);

          if (b != NULL)
            json_array_add_object_element (blocks, b);
        }
      else if (g_strcmp0 (type, "file") == 0 || g_strcmp0 (type, "input_file") == 0)
        {
          JsonObject *file = g_str_equal (type, "file") ? _pm_json_get_object (part, "file") : part;
          const char *data = _pm_json_get_string (file, "file_data");
          const char *comma = data ? strchr (data, ',') : NULL;
          const char *semi = data ? strchr (data, ';') : NULL;

          /* Inline files only; file ids live on one provider. */
          if (data != NULL && g_str_has_prefix (data, "data:") && comma != NULL && semi != NULL && semi < comma)
            {
              JsonObject *b = json_object_new ();
              JsonObject *source = json_object_new ();
              g_autofree char *media = g_strndup (data + 5, semi - (data + 5));

              json_object_set_string_member (source, "type", "base64");
              json_object_set_string_member (source, "media_type", media);
              json_object_set_string_member (source, "data", comma + 1);
              json_object_set_string_member (b, "type", "document");
              json_object_set_object_member (b, "source", source);
              if (_pm_json_get_string (file, "filename") != NULL)
                json_object_set_string_member (b, "title", _pm_json_get_string (file, "filename"));
              json_array_add_object_element (blocks, b);
            }
        }
    }
}

static char *
chat_content_to_text (JsonNode *content)
{
  g_autoptr(JsonArray) blocks = json_array_new ();
  GString *s = g_string_new (NULL);

  chat_content_to_blocks (content, blocks);
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      const char *t = _pm_json_get_string (_pm_json_array_get_object (blocks, i), "text");

      if (t != NULL)
        {
          if (s->len > 0)
            g_string_append_c (s, '\n');
          g_string_append (s, t);
        }
    }
  return g_string_free (s, FALSE);
}

static JsonObject *
last_message_with_role (JsonArray  *messages,
                        const char *role)
{
  guint n = json_array_get_length (messages);
  JsonObject *last;

  if (n == 0)
    return NULL;
  last = _pm_json_array_get_object (messages, n - 1);
  if (g_strcmp0 (_pm_json_get_string (last, "role"), role) != 0)
    return NULL;
  return last;
}

/* Append blocks to the last message when it has the same role (Anthropic wants turns to
 * alternate; consecutive tool messages become one user turn). */
static void
append_anthropic_turn (JsonArray  *messages,
                       const char *role,
                       JsonArray  *blocks)
{
  JsonObject *last = last_message_with_role (messages, role);

  if (json_array_get_length (blocks) == 0)
    {
      json_array_unref (blocks);
      return;
    }
  if (last != NULL)
    {
      JsonArray *existing = _pm_json_get_array (last, "content");

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        json_array_add_element (existing, json_node_copy (json_array_get_element (blocks, i)));
      json_array_unref (blocks);
      return;
    }
  last = json_object_new ();
  json_object_set_string_member (last, "role", role);
  json_object_set_array_member (last, "content", blocks);
  json_array_add_object_element (messages, last);
}

static JsonObject *
parse_arguments (const char *args)
{
  JsonObject *obj = NULL;

  if (args != NULL && *args != '\0')
    obj = _pm_json_parse_object (args, -1);
  return obj != NULL ? obj : json_object_new ();
}

static void
set_anthropic_thinking_for_effort (JsonObject *a,
                                   const char *effort)
{
  gint64 budget;
  gint64 max_tokens;
  JsonObject *thinking;

  if (effort == NULL || g_str_equal (effort, "none") || g_str_equal (effort, "minimal"))
    return;
  if (g_str_equal (effort, "low"))
    budget = 1024;
  else if (g_str_equal (effort, "medium"))
    budget = 8192;
  else
    budget = 24576;

  max_tokens = _pm_json_get_int (a, "max_tokens", DEFAULT_ANTHROPIC_MAX_TOKENS);
  if (max_tokens <= budget)
    json_object_set_int_member (a, "max_tokens", budget + 4096);
  thinking = json_object_new ();
  json_object_set_string_member (thinking, "type", "enabled");
  json_object_set_int_member (thinking, "budget_tokens", budget);
  json_object_set_object_member (a, "thinking", thinking);
}

static gboolean
has_cache_control (JsonNode *node)
{
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr(GList) members = NULL;

      if (json_object_has_member (o, "cache_control"))
        return TRUE;
      members = json_object_get_members (o);
      for (GList *l = members; l != NULL; l = l->next)
        if (has_cache_control (json_object_get_member (o, l->data)))
          return TRUE;
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        if (has_cache_control (json_array_get_element (a, i)))
          return TRUE;
    }
  return FALSE;
}

static JsonObject *
chat_to_anthropic (JsonObject *c)
{
  JsonObject *a = json_object_new ();
  JsonArray *messages = json_array_new ();
  JsonArray *system = json_array_new ();
  JsonArray *cmessages = _pm_json_get_array (c, "messages");
  JsonArray *tools = _pm_json_get_array (c, "tools");
  JsonNode *tool_choice = json_object_get_member (c, "tool_choice");
  JsonNode *stop = json_object_get_member (c, "stop");
  gint64 max_tokens;

  copy_member (a, c, "model", "model");

  for (guint i = 0; cmessages != NULL && i < json_array_get_length (cmessages); i++)
    {
      JsonNode *mn = json_array_get_element (cmessages, i);
      JsonObject *m;
      const char *role;

      if (!JSON_NODE_HOLDS_OBJECT (mn))
        continue;
      m = json_node_get_object (mn);
      role = _pm_json_get_string (m, "role");
      if (role == NULL)
        continue;

      if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
        {
          JsonArray *blocks = json_array_new ();

          chat_content_to_blocks (json_object_get_member (m, "content"), blocks);
          for (guint j = 0; j < json_array_get_length (blocks); j++)
            json_array_add_element (system, json_node_copy (json_array_get_element (blocks, j)));
          json_array_unref (blocks);
        }
      else if (g_str_equal (role, "assistant"))
        {
          JsonArray *blocks = json_array_new ();
          JsonArray *calls = _pm_json_get_array (m, "tool_calls");

          chat_content_to_blocks (json_object_get_member (m, "content"), blocks);
          for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
            {
              JsonObject *call = _pm_json_array_get_object (calls, j);
              JsonObject *fn = _pm_json_get_object (call, "function");
              JsonObject *b = json_object_new ();
              g_autofree char *id = NULL;

              if (fn == NULL)
                {
                  json_object_unref (b);
                  continue;
                }
              id = _pm_anthropic_tool_id (_pm_json_get_string (call, "id"));
              json_object_set_string_member (b, "type", "tool_use");
              json_object_set_string_member (b, "id", id);
              json_object_set_string_member (b, "name", _pm_json_get_string (fn, "name") ?: "");
              json_object_set_object_member (b, "input",
                                             parse_arguments (_pm_json_get_string (fn, "arguments")));
              json_array_add_object_element (blocks, b);
            }
          append_anthropic_turn (messages, "assistant", blocks);
        }
      else if (g_str_equal (role, "tool") || g_str_equal (role, "function"))
        {
          JsonArray *blocks = json_array_new ();
          JsonObject *b = json_object_new ();
          g_autofree char *text = chat_content_to_text (json_object_get_member (m, "content"));
          g_autofree char *tool_use_id = _pm_anthropic_tool_id (_pm_json_get_string (m, "tool_call_id"));
          JsonObject *last = last_message_with_role (messages, "user");

          json_object_set_string_member (b, "type", "tool_result");
          json_object_set_string_member (b, "tool_use_id", tool_use_id);
          json_object_set_string_member (b, "content", text);
          /* A tool result must come first in its user turn: when the previous user turn holds
           * plain content (not tool results), start a new turn anyway. */
          if (last != NULL)
            {
              JsonArray *existing = _pm_json_get_array (last, "content");
              guint n = existing ? json_array_get_length (existing) : 0;

              if (n > 0 && g_strcmp0 (_pm_json_get_string (_pm_json_array_get_object (existing, n - 1),
                                                           "type"), "tool_result") == 0)
                {
                  json_array_add_object_element (existing, b);
                  json_array_unref (blocks);
                  continue;
                }
            }
          json_array_add_object_element (blocks, b);
          append_anthropic_turn (messages, "user", blocks);
        }
      else
        {
          JsonArray *blocks = json_array_new ();

          chat_content_to_blocks (json_object_get_member (m, "content"), blocks);
          append_anthropic_turn (messages, "user", blocks);
        }
    }

  if (json_array_get_length (system) > 0)
    json_object_set_array_member (a, "system", system);
  else
    json_array_unref (system);
  json_object_set_array_member (a, "messages", messages);

  max_tokens = _pm_json_get_int (c, "max_completion_tokens",
                                 _pm_json_get_int (c, "max_tokens",
                                                   _pm_json_get_int (c, "max_output_tokens",
                                                                     DEFAULT_ANTHROPIC_MAX_TOKENS)));
  json_object_set_int_member (a, "max_tokens", max_tokens);

  if (tools != NULL)
    {
      JsonArray *atools = json_array_new ();

      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonObject *t = _pm_json_array_get_object (tools, i);
          JsonObject *fn = _pm_json_get_object (t, "function");
          JsonObject *at;

          if (fn == NULL || _pm_json_get_string (fn, "name") == NULL)
            continue;
          at = json_object_new ();
          copy_member (at, fn, "name", "name");
          copy_member (at, fn, "description", "description");
          if (json_object_has_member (fn, "parameters"))
            copy_member (at, fn, "input_schema", "parameters");
          else
            {
              JsonObject *schema = json_object_new ();

              json_object_set_string_member (schema, "type", "object");
              json_object_set_object_member (at, "input_schema", schema);
            }
          json_array_add_object_element (atools, at);
        }
      if (json_array_get_length (atools) > 0)
        json_object_set_array_member (a, "tools", atools);
      else
        json_array_unref (atools);
    }

  if (json_object_has_member (a, "tools"))
    {
      JsonObject *tc = NULL;

      if (tool_choice != NULL && JSON_NODE_HOLDS_VALUE (tool_choice))
        {
          const char *s = json_node_get_string (tool_choice);

          tc = json_object_new ();
          if (g_strcmp0 (s, "required") == 0)
            json_object_set_string_member (tc, "type", "any");
          else if (g_strcmp0 (s, "none") == 0)
            json_object_set_string_member (tc, "type", "none");
          else
            json_object_set_string_member (tc, "type", "auto");
        }
      else if (tool_choice != NULL && JSON_NODE_HOLDS_OBJECT (tool_choice))
        {
          JsonObject *o = json_node_get_object (tool_choice);
          JsonObject *fn = _pm_json_get_object (o, "function");
          const char *name = fn ? _pm_json_get_string (fn, "name") : _pm_json_get_string (o, "name");

          tc = json_object_new ();
          json_object_set_string_member (tc, "type", "tool");
          json_object_set_string_member (tc, "name", name ?: "");
        }
      if (!_pm_json_get_bool (c, "parallel_tool_calls", TRUE))
        {
          if (tc == NULL)
            {
              tc = json_object_new ();
              json_object_set_string_member (tc, "type", "auto");
            }
          json_object_set_boolean_member (tc, "disable_parallel_tool_use", TRUE);
        }
      if (tc != NULL)
        json_object_set_object_member (a, "tool_choice", tc);
    }

  if (stop != NULL && JSON_NODE_HOLDS_VALUE (stop) && json_node_get_value_type (stop) == G_TYPE_STRING)
    {
      JsonArray *seqs = json_array_new ();

      json_array_add_string_element (seqs, json_node_get_string (stop));
      json_object_set_array_member (a, "stop_sequences", seqs);
    }
  else if (stop != NULL && JSON_NODE_HOLDS_ARRAY (stop))
    copy_member (a, c, "stop_sequences", "stop");

  if (json_object_has_member (c, "temperature"))
    {
      JsonNode *t = json_object_get_member (c, "temperature");

      if (JSON_NODE_HOLDS_VALUE (t))
        json_object_set_double_member (a, "temperature", MIN (json_node_get_double (t), 1.0));
    }
  copy_member (a, c, "top_p", "top_p");
  if (_pm_json_get_bool (c, "stream", FALSE))
    json_object_set_boolean_member (a, "stream", TRUE);

  set_anthropic_thinking_for_effort (a, _pm_json_get_string (c, "reasoning_effort"));


  /* Structured output: response_format json_schema → output_config.format. */
  {
    JsonObject *rf = _pm_json_get_object (c, "response_format");
    JsonObject *js = _pm_json_get_object (rf, "json_schema");

    if (g_strcmp0 (_pm_json_get_string (rf, "type"), "json_schema") == 0 &&
        _pm_json_get_object (js, "schema") != NULL)
      {
        JsonObject *output_config = json_object_new ();
        JsonObject *format = json_object_new ();

        json_object_set_string_member (format, "type", "json_schema");
        copy_member (format, js, "schema", "schema");
        json_object_set_object_member (output_config, "format", format);
        json_object_set_object_member (a, "output_config", output_config);
      }
  }

  if (_pm_json_get_string (c, "prompt_cache_key") != NULL || _pm_json_get_string (c, "user") != NULL)
    {
      JsonObject *metadata = json_object_new ();
      const char *uid = _pm_json_get_string (c, "prompt_cache_key");

      json_object_set_string_member (metadata, "user_id", uid ? uid : _pm_json_get_string (c, "user"));
      json_object_set_object_member (a, "metadata", metadata);
    }

  return a;
}

/* ----------------------------------------------------------------------------------------- */
/* Responses → Chat                                                                           */

static JsonArray *
responses_content_to_chat_parts (JsonNode *content)
{
  JsonArray *parts = json_array_new ();

  if (content == NULL)
    return parts;
  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    {
      json_array_add_object_element (parts, text_part (json_node_get_string (content), NULL));
      return parts;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return parts;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
    {
      JsonNode *pn = json_array_get_element (json_node_get_array (content), i);
      JsonObject *p;
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (pn))
        continue;
      p = json_node_get_object (pn);
      type = _pm_json_get_string (p, "type");
      if (g_strcmp0 (type, "input_text") == 0 || g_strcmp0 (type, "output_text") == 0 ||
          g_strcmp0 (type, "text") == 0 || g_strcmp0 (type, "refusal") == 0)
        {
          const char *t = _pm_json_get_string (p, "text") ?: _pm_json_get_string (p, "refusal");

          json_array_add_object_element (parts, text_part (t, NULL));
        }
      else if (g_strcmp0 (type, "input_file") == 0 && _pm_json_get_string (p, "file_data") != NULL)
        {
          JsonObject *part = json_object_new ();
          JsonObject *file = json_object_new ();

          copy_member (file, p, "filename", "filename");
          copy_member (file, p, "file_data", "file_data");
          json_object_set_string_member (part, "type", "file");
          json_object_set_object_member (part, "file", file);
          json_array_add_object_element (parts, part);
        }
      else if (g_strcmp0 (type, "input_image") == 0)
        {
          const char *url = _pm_json_get_string (p, "image_url");

          if (url != NULL)
            {
              JsonObject *part = json_object_new ();
              JsonObject *iu = json_object_new ();

              json_object_set_string_member (iu, "url", url);
              copy_member (iu, p, "detail", "detail");
              json_object_set_string_member (part, "type", "image_url");
              json_object_set_object_member (part, "image_url", iu);
              json_array_add_object_element (parts, part);
            }
        }
    }
  return parts;
}

static char *
responses_output_to_text (JsonNode *output)
{
  g_autoptr(JsonArray) parts = NULL;
  GString *s = g_string_new (NULL);

  if (output != NULL && JSON_NODE_HOLDS_VALUE (output) &&
      json_node_get_value_type (output) == G_TYPE_STRING)
    {
      g_string_append (s, json_node_get_string (output));
      return g_string_free (s, FALSE);
    }
  parts = responses_content_to_chat_parts (output);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      const char *t = _pm_json_get_string (_pm_json_array_get_object (parts, i), "text");

      if (t == NULL)
        continue;
      if (s->len > 0)
        g_string_append_c (s, '\n');
      g_string_append (s, t);
    }
  return g_string_free (s, FALSE);
}

/* The open assistant message to add tool calls to, creating one when needed. */
static JsonObject *
chat_assistant_for_calls (JsonArray *messages)
{
  JsonObject *last = last_message_with_role (messages, "assistant");

  if (last == NULL)
    {
      last = json_object_new ();
      json_object_set_string_member (last, "role", "assistant");
      json_object_set_null_member (last, "content");
      json_array_add_object_element (messages, last);
    }
  if (_pm_json_get_array (last, "tool_calls") == NULL)
    json_object_set_array_member (last, "tool_calls", json_array_new ());
  return last;
}

static JsonObject *
responses_to_chat (JsonObject  *r,
                   GError     **error)
{
  JsonObject *c = json_object_new ();
  JsonArray *messages = json_array_new ();
  JsonNode *input = json_object_get_member (r, "input");
  JsonArray *tools = _pm_json_get_array (r, "tools");
  JsonNode *tool_choice = json_object_get_member (r, "tool_choice");
  JsonObject *reasoning = _pm_json_get_object (r, "reasoning");
  const char *instructions = _pm_json_get_string (r, "instructions");

  if (_pm_json_get_string (r, "previous_response_id") != NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_UNSUPPORTED,
                   "previous_response_id needs a Responses upstream that stores responses; "
                   "send the whole conversation (store: false) to use other models");
      json_object_unref (c);
      json_array_unref (messages);
      return NULL;
    }

  copy_member (c, r, "model", "model");

  if (instructions != NULL && *instructions != '\0')
    {
      JsonObject *m = json_object_new ();

      json_object_set_string_member (m, "role", "system");
      json_object_set_string_member (m, "content", instructions);
      json_array_add_object_element (messages, m);
    }

  if (input != NULL && JSON_NODE_HOLDS_VALUE (input) &&
      json_node_get_value_type (input) == G_TYPE_STRING)
    {
      JsonObject *m = json_object_new ();

      json_object_set_string_member (m, "role", "user");
      json_object_set_string_member (m, "content", json_node_get_string (input));
      json_array_add_object_element (messages, m);
    }
  else if (input != NULL && JSON_NODE_HOLDS_ARRAY (input))
    {
      JsonArray *items = json_node_get_array (input);

      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonNode *in = json_array_get_element (items, i);
          JsonObject *item;
          const char *type;
          const char *role;

          if (!JSON_NODE_HOLDS_OBJECT (in))
            continue;
          item = json_node_get_object (in);
          type = _pm_json_get_string (item, "type");
          role = _pm_json_get_string (item, "role");

          if ((type == NULL || g_str_equal (type, "message")) && role != NULL)
            {
              JsonObject *m = json_object_new ();
              JsonArray *parts = responses_content_to_chat_parts (json_object_get_member (item, "content"));

              if (g_str_equal (role, "developer") || g_str_equal (role, "system"))
                json_object_set_string_member (m, "role", "system");
              else if (g_str_equal (role, "assistant"))
                json_object_set_string_member (m, "role", "assistant");
              else
                json_object_set_string_member (m, "role", "user");

              if (g_str_equal (role, "assistant"))
                {
                  g_autoptr(JsonArray) owned = parts;
                  GString *text = g_string_new (NULL);

                  for (guint j = 0; j < json_array_get_length (parts); j++)
                    g_string_append (text, _pm_json_get_string (_pm_json_array_get_object (parts, j),
                                                                "text") ?: "");
                  json_object_set_string_member (m, "content", text->str);
                  g_string_free (text, TRUE);
                }
              else
                json_object_set_member (m, "content", chat_content_from_parts (parts));
              json_array_add_object_element (messages, m);
            }
          else if (g_strcmp0 (type, "function_call") == 0 || g_strcmp0 (type, "custom_tool_call") == 0)
            {
              JsonObject *am = chat_assistant_for_calls (messages);
              JsonObject *call = json_object_new ();
              JsonObject *fn = json_object_new ();

              json_object_set_string_member (call, "id", _pm_json_get_string (item, "call_id") ?: "");
              json_object_set_string_member (call, "type", "function");
              json_object_set_string_member (fn, "name", _pm_json_get_string (item, "name") ?: "");
              if (g_str_equal (type, "function_call"))
                json_object_set_string_member (fn, "arguments",
                                               _pm_json_get_string (item, "arguments") ?: "{}");
              else
                {
                  /* A freeform (custom) tool's input travels as {"input": "…"}. */
                  g_autoptr(JsonObject) args = json_object_new ();
                  g_autofree char *text = NULL;

                  json_object_set_string_member (args, "input", _pm_json_get_string (item, "input") ?: "");
                  text = _pm_json_object_to_string (args);
                  json_object_set_string_member (fn, "arguments", text);
                }
              json_object_set_object_member (call, "function", fn);
              json_array_add_object_element (_pm_json_get_array (am, "tool_calls"), call);
            }
          else if (g_strcmp0 (type, "function_call_output") == 0 ||
                   g_strcmp0 (type, "custom_tool_call_output") == 0)
            {
              JsonObject *m = json_object_new ();
              g_autofree char *text = responses_output_to_text (json_object_get_member (item, "output"));

              json_object_set_string_member (m, "role", "tool");
              json_object_set_string_member (m, "tool_call_id", _pm_json_get_string (item, "call_id") ?: "");
              json_object_set_string_member (m, "content", text);
              json_array_add_object_element (messages, m);
            }
          /* reasoning (encrypted, model-bound), item_reference, compaction_trigger: dropped. */
        }
    }
  json_object_set_array_member (c, "messages", messages);

  if (tools != NULL)
    {
      JsonArray *ctools = json_array_new ();

      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonObject *t = _pm_json_array_get_object (tools, i);
          const char *type = _pm_json_get_string (t, "type");
          JsonObject *ct;
          JsonObject *fn;

          if (t == NULL || _pm_json_get_string (t, "name") == NULL)
            continue;
          if (g_strcmp0 (type, "function") != 0 && g_strcmp0 (type, "custom") != 0)
            continue;
          ct = json_object_new ();
          fn = json_object_new ();
          copy_member (fn, t, "name", "name");
          copy_member (fn, t, "description", "description");
          if (g_str_equal (type, "function") && json_object_has_member (t, "parameters") &&
              !JSON_NODE_HOLDS_NULL (json_object_get_member (t, "parameters")))
            copy_member (fn, t, "parameters", "parameters");
          else
            {
              JsonObject *schema = json_object_new ();
              JsonObject *props = json_object_new ();
              JsonArray *required = json_array_new ();

              if (g_str_equal (type, "custom"))
                {
                  JsonObject *input = json_object_new ();

                  json_object_set_string_member (input, "type", "string");
                  json_object_set_object_member (props, "input", input);
                  json_array_add_string_element (required, "input");
                }
              json_object_set_string_member (schema, "type", "object");
              json_object_set_object_member (schema, "properties", props);
              json_object_set_array_member (schema, "required", required);
              json_object_set_object_member (fn, "parameters", schema);
            }
          json_object_set_string_member (ct, "type", "function");
          json_object_set_object_member (ct, "function", fn);
          json_array_add_object_element (ctools, ct);
        }
      if (json_array_get_length (ctools) > 0)
        json_object_set_array_member (c, "tools", ctools);
      else
        json_array_unref (ctools);
    }

  if (tool_choice != NULL && json_object_has_member (c, "tools"))
    {
      if (JSON_NODE_HOLDS_VALUE (tool_choice))
        json_object_set_member (c, "tool_choice", json_node_copy (tool_choice));
      else if (JSON_NODE_HOLDS_OBJECT (tool_choice))
        {
          const char *name = _pm_json_get_string (json_node_get_object (tool_choice), "name");

          if (name != NULL)
            {
              JsonObject *tc = json_object_new ();
              JsonObject *fn = json_object_new ();

              json_object_set_string_member (fn, "name", name);
              json_object_set_string_member (tc, "type", "function");
              json_object_set_object_member (tc, "function", fn);
              json_object_set_object_member (c, "tool_choice", tc);
            }
        }
    }
  if (json_object_has_member (c, "tools"))
    copy_member (c, r, "parallel_tool_calls", "parallel_tool_calls");

  if (json_object_has_member (r, "max_output_tokens") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (r, "max_output_tokens")))
    copy_member (c, r, "max_completion_tokens", "max_output_tokens");
  copy_member (c, r, "temperature", "temperature");
  copy_member (c, r, "top_p", "top_p");
  copy_member (c, r, "prompt_cache_key", "prompt_cache_key");
  if (_pm_json_get_string (reasoning, "effort") != NULL)
    json_object_set_string_member (c, "reasoning_effort", _pm_json_get_string (reasoning, "effort"));

  /* Structured output: text.format → response_format. */
  {
    JsonObject *format = _pm_json_get_object (_pm_json_get_object (r, "text"), "format");
    const char *ftype = _pm_json_get_string (format, "type");

    if (g_strcmp0 (ftype, "json_schema") == 0)
      {
        JsonObject *rf = json_object_new ();
        JsonObject *js = json_object_new ();

        if (_pm_json_get_string (format, "name") != NULL)
          copy_member (js, format, "name", "name");
        else
          json_object_set_string_member (js, "name", "output");
        copy_member (js, format, "schema", "schema");
        copy_member (js, format, "strict", "strict");
        copy_member (js, format, "description", "description");
        json_object_set_string_member (rf, "type", "json_schema");
        json_object_set_object_member (rf, "json_schema", js);
        json_object_set_object_member (c, "response_format", rf);
      }
    else if (g_strcmp0 (ftype, "json_object") == 0)
      {
        JsonObject *rf = json_object_new ();

        json_object_set_string_member (rf, "type", "json_object");
        json_object_set_object_member (c, "response_format", rf);
      }
  }
  if (_pm_json_get_bool (r, "stream", FALSE))
    {
      JsonObject *so = json_object_new ();

      json_object_set_boolean_member (c, "stream", TRUE);
      json_object_set_boolean_member (so, "include_usage", TRUE);
      json_object_set_object_member (c, "stream_options", so);
    }
  return c;
}

/* ----------------------------------------------------------------------------------------- */
/* Chat → Responses                                                                           */

static JsonObject *
chat_to_responses (JsonObject *c)
{
  JsonObject *r = json_object_new ();
  JsonArray *input = json_array_new ();
  JsonArray *cmessages = _pm_json_get_array (c, "messages");
  JsonArray *tools = _pm_json_get_array (c, "tools");
  JsonNode *tool_choice = json_object_get_member (c, "tool_choice");
  GString *instructions = g_string_new (NULL);
  gboolean leading = TRUE;
  gint64 max_tokens;
  const char *effort;

  copy_member (r, c, "model", "model");

  for (guint i = 0; cmessages != NULL && i < json_array_get_length (cmessages); i++)
    {
      JsonNode *mn = json_array_get_element (cmessages, i);
      JsonObject *m;
      const char *role;

      if (!JSON_NODE_HOLDS_OBJECT (mn))
        continue;
      m = json_node_get_object (mn);
      role = _pm_json_get_string (m, "role");
      if (role == NULL)
        continue;

      if ((g_str_equal (role, "system") || g_str_equal (role, "developer")) && leading)
        {
          g_autofree char *text = chat_content_to_text (json_object_get_member (m, "content"));

          if (instructions->len > 0)
            g_string_append (instructions, "\n\n");
          g_string_append (instructions, text);
          continue;
        }
      leading = FALSE;

      if (g_str_equal (role, "tool") || g_str_equal (role, "function"))
        {
          JsonObject *item = json_object_new ();
          g_autofree char *text = chat_content_to_text (json_object_get_member (m, "content"));

          json_object_set_string_member (item, "type", "function_call_output");
          json_object_set_string_member (item, "call_id", _pm_json_get_string (m, "tool_call_id") ?: "");
          json_object_set_string_member (item, "output", text);
          json_array_add_object_element (input, item);
        }
      else
        {
          JsonArray *calls = _pm_json_get_array (m, "tool_calls");
          gboolean assistant = g_str_equal (role, "assistant");
          g_autoptr(JsonArray) blocks = json_array_new ();
          JsonArray *content = json_array_new ();

          chat_content_to_blocks (json_object_get_member (m, "content"), blocks);
          for (guint j = 0; j < json_array_get_length (blocks); j++)
            {
              JsonObject *b = _pm_json_array_get_object (blocks, j);
              JsonObject *p = json_object_new ();

              if (g_strcmp0 (_pm_json_get_string (b, "type"), "text") == 0)
                {
                  json_object_set_string_member (p, "type", assistant ? "output_text" : "input_text");
                  copy_member (p, b, "text", "text");
                  if (assistant)
                    json_object_set_array_member (p, "annotations", json_array_new ());
                }
              else
                {
                  JsonObject *source = _pm_json_get_object (b, "source");
                  g_autofree char *url = NULL;

                  if (assistant)
                    {
                      json_object_unref (p);
                      continue;
                    }
                  if (g_strcmp0 (_pm_json_get_string (b, "type"), "document") == 0)
                    {
                      g_autofree char *file_data = g_strdup_printf ("data:%s;base64,%s",
                                                                    _pm_json_get_string (source, "media_type") ?: "application/pdf",
                                                                    _pm_json_get_string (source, "data") ?: "");

                      json_object_set_string_member (p, "type", "input_file");
                      json_object_set_string_member (p, "filename", _pm_json_get_string (b, "title") ?: "document.pdf");
                      json_object_set_string_member (p, "file_data", file_data);
                      json_array_add_object_element (content, p);
                      continue;
                    }
                  if (g_strcmp0 (_pm_json_get_string (source, "type"), "base64") == 0)
                    url = g_strdup_printf ("data:%s;base64,%s",
                                           _pm_json_get_string (source, "media_type") ?: "image/png",
                                           _pm_json_get_string (source, "data") ?: "");
                  else
                    url = g_strdup (_pm_json_get_string (source, "url"));
                  json_object_set_string_member (p, "type", "input_image");
                  json_object_set_string_member (p, "image_url", url ? url : "");
                  json_object_set_string_member (p, "detail", "auto");
                }
              json_array_add_object_element (content, p);
            }

          if (json_array_get_length (content) > 0)
            {
              JsonObject *item = json_object_new ();

              json_object_set_string_member (item, "type", "message");
              json_object_set_string_member (item, "role",
                                             assistant ? "assistant"
                                             : (g_str_equal (role, "user") ? "user" : "developer"));
              json_object_set_array_member (item, "content", content);
              json_array_add_object_element (input, item);
            }
          else
            json_array_unref (content);

          for (guint j = 0; assistant && calls != NULL && j < json_array_get_length (calls); j++)
            {
              JsonObject *call = _pm_json_array_get_object (calls, j);
              JsonObject *fn = _pm_json_get_object (call, "function");
              JsonObject *item;

              if (fn == NULL)
                continue;
              item = json_object_new ();
              json_object_set_string_member (item, "type", "function_call");
              json_object_set_string_member (item, "call_id", _pm_json_get_string (call, "id") ?: "");
              json_object_set_string_member (item, "name", _pm_json_get_string (fn, "name") ?: "");
              json_object_set_string_member (item, "arguments", _pm_json_get_string (fn, "arguments") ?: "{}");
              json_array_add_object_element (input, item);
            }
        }
    }

  if (instructions->len > 0)
    json_object_set_string_member (r, "instructions", instructions->str);
  g_string_free (instructions, TRUE);
  json_object_set_array_member (r, "input", input);

  if (tools != NULL)
    {
      JsonArray *rtools = json_array_new ();

      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonObject *t = _pm_json_array_get_object (tools, i);
          JsonObject *fn = _pm_json_get_object (t, "function");
          JsonObject *rt;

          if (fn == NULL)
            continue;
          rt = json_object_new ();
          json_object_set_string_member (rt, "type", "function");
          copy_member (rt, fn, "name", "name");
          copy_member (rt, fn, "description", "description");
          copy_member (rt, fn, "parameters", "parameters");
          if (json_object_has_member (fn, "strict"))
            copy_member (rt, fn, "strict", "strict");
          else
            json_object_set_boolean_member (rt, "strict", FALSE);
          json_array_add_object_element (rtools, rt);
        }
      json_object_set_array_member (r, "tools", rtools);
    }

  if (tool_choice != NULL && JSON_NODE_HOLDS_VALUE (tool_choice))
    json_object_set_member (r, "tool_choice", json_node_copy (tool_choice));
  else if (tool_choice != NULL && JSON_NODE_HOLDS_OBJECT (tool_choice))
    {
      JsonObject *fn = _pm_json_get_object (json_node_get_object (tool_choice), "function");
      JsonObject *tc = json_object_new ();

      json_object_set_string_member (tc, "type", "function");
      json_object_set_string_member (tc, "name", _pm_json_get_string (fn, "name") ?: "");
      json_object_set_object_member (r, "tool_choice", tc);
    }
  copy_member (r, c, "parallel_tool_calls", "parallel_tool_calls");

  max_tokens = _pm_json_get_int (c, "max_completion_tokens", _pm_json_get_int (c, "max_tokens", 0));
  if (max_tokens > 0)
    json_object_set_int_member (r, "max_output_tokens", MAX (max_tokens, 16));
  copy_member (r, c, "temperature", "temperature");
  copy_member (r, c, "top_p", "top_p");
  copy_member (r, c, "prompt_cache_key", "prompt_cache_key");
  effort = _pm_json_get_string (c, "reasoning_effort");
  if (effort != NULL)
    {
      JsonObject *reasoning = json_object_new ();

      json_object_set_string_member (reasoning, "effort", effort);
      json_object_set_object_member (r, "reasoning", reasoning);
    }
  /* Structured output: response_format → text.format. */
  {
    JsonObject *rf = _pm_json_get_object (c, "response_format");
    const char *rtype = _pm_json_get_string (rf, "type");

    if (g_strcmp0 (rtype, "json_schema") == 0 || g_strcmp0 (rtype, "json_object") == 0)
      {
        JsonObject *text = json_object_new ();
        JsonObject *format = json_object_new ();
        JsonObject *js = _pm_json_get_object (rf, "json_schema");

        json_object_set_string_member (format, "type", rtype);
        if (js != NULL)
          {
            if (_pm_json_get_string (js, "name") != NULL)
              copy_member (format, js, "name", "name");
            else
              json_object_set_string_member (format, "name", "output");
            copy_member (format, js, "schema", "schema");
            copy_member (format, js, "strict", "strict");
            copy_member (format, js, "description", "description");
          }
        json_object_set_object_member (text, "format", format);
        json_object_set_object_member (r, "text", text);
      }
  }

  json_object_set_boolean_member (r, "store", FALSE);
  if (_pm_json_get_bool (c, "stream", FALSE))
    json_object_set_boolean_member (r, "stream", TRUE);
  return r;
}

/* ----------------------------------------------------------------------------------------- */
/* Anthropic → Anthropic and the Anthropic-side fix-ups                                       */

/* Drop thinking blocks that cannot be replayed: all of them when the model changes, and any
 * without a signature (they never validate). Returns TRUE when something was dropped. */
static gboolean
drop_thinking_blocks (JsonObject *a,
                      gboolean    all)
{
  JsonArray *messages = _pm_json_get_array (a, "messages");
  gboolean dropped = FALSE;

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *m = _pm_json_array_get_object (messages, i);
      JsonArray *content = _pm_json_get_array (m, "content");

      if (content == NULL || g_strcmp0 (_pm_json_get_string (m, "role"), "assistant") != 0)
        continue;
      for (guint j = json_array_get_length (content); j > 0; j--)
        {
          JsonObject *b = _pm_json_array_get_object (content, j - 1);
          const char *type = _pm_json_get_string (b, "type");
          const char *sig = _pm_json_get_string (b, "signature");

          if (g_strcmp0 (type, "redacted_thinking") == 0 && all)
            {
              json_array_remove_element (content, j - 1);
              dropped = TRUE;
            }
          else if (g_strcmp0 (type, "thinking") == 0 && (all || sig == NULL || *sig == '\0'))
            {
              json_array_remove_element (content, j - 1);
              dropped = TRUE;
            }
        }
      if (json_array_get_length (content) == 0)
        {
          /* An assistant turn that was only thinking: keep the turn structure valid. */
          json_array_add_object_element (content, text_part ("(thinking omitted)", NULL));
        }
    }
  return dropped;
}

/* With thinking on, a Claude turn that continues a tool loop must start with a thinking block.
 * When the last assistant turn has tool_use but no thinking (another model produced it),
 * switch thinking off for this request (PROTOCOLS.md §8, pitfall 2). */
static void
fix_thinking_continuation (JsonObject *a)
{
  JsonArray *messages = _pm_json_get_array (a, "messages");
  JsonObject *thinking = _pm_json_get_object (a, "thinking");
  const char *ttype = _pm_json_get_string (thinking, "type");
  JsonObject *last_assistant = NULL;
  JsonArray *content;
  gboolean has_tool_use = FALSE;
  gboolean has_thinking = FALSE;

  if (thinking == NULL || g_strcmp0 (ttype, "disabled") == 0 || messages == NULL)
    return;

  for (guint i = json_array_get_length (messages); i > 0; i--)
    {
      JsonObject *m = _pm_json_array_get_object (messages, i - 1);

      if (g_strcmp0 (_pm_json_get_string (m, "role"), "assistant") == 0)
        {
          last_assistant = m;
          break;
        }
    }
  content = _pm_json_get_array (last_assistant, "content");
  for (guint i = 0; content != NULL && i < json_array_get_length (content); i++)
    {
      const char *type = _pm_json_get_string (_pm_json_array_get_object (content, i), "type");

      if (g_strcmp0 (type, "tool_use") == 0)
        has_tool_use = TRUE;
      else if (g_strcmp0 (type, "thinking") == 0 || g_strcmp0 (type, "redacted_thinking") == 0)
        has_thinking = TRUE;
    }
  if (has_tool_use && !has_thinking)
    {
      JsonObject *output_config = _pm_json_get_object (a, "output_config");
      const char *effort = _pm_json_get_string (output_config, "effort");

      json_object_remove_member (a, "thinking");
      /* xhigh/max with thinking disabled is a 400. */
      if (effort != NULL && (g_str_equal (effort, "xhigh") || g_str_equal (effort, "max")))
        json_object_set_string_member (output_config, "effort", "high");
    }
}

/* Tool ids another provider wrote (and the client kept) may use characters Anthropic rejects. */
static void
sanitize_tool_ids (JsonObject *a)
{
  JsonArray *messages = _pm_json_get_array (a, "messages");

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonArray *content = _pm_json_get_array (_pm_json_array_get_object (messages, i), "content");

      for (guint j = 0; content != NULL && j < json_array_get_length (content); j++)
        {
          JsonObject *b = _pm_json_array_get_object (content, j);
          const char *type = _pm_json_get_string (b, "type");
          const char *member = g_strcmp0 (type, "tool_use") == 0 ? "id"
                               : g_strcmp0 (type, "tool_result") == 0 ? "tool_use_id" : NULL;
          const char *id = member ? _pm_json_get_string (b, member) : NULL;
          g_autofree char *clean = NULL;

          if (id == NULL)
            continue;
          clean = _pm_anthropic_tool_id (id);
          if (!g_str_equal (clean, id))
            json_object_set_string_member (b, member, clean);
        }
    }
}

static void
strip_billing_block (JsonObject *a)
{
  JsonArray *system = _pm_json_get_array (a, "system");

  for (guint i = system ? json_array_get_length (system) : 0; i > 0; i--)
    {
      JsonObject *b = _pm_json_array_get_object (system, i - 1);

      if (is_billing_block (_pm_json_get_string (b, "text")))
        json_array_remove_element (system, i - 1);
    }
}

/* Responses input going to a Responses upstream: reasoning items Pointsman synthesised from
 * another API's thinking (no encrypted content) are dropped, and every reasoning item when
 * the model changes (reasoning is model-bound). Item ids Pointsman made up are removed (the
 * upstream has never seen them), and once any reasoning item is gone all item ids go too, so
 * the upstream does not look for the reasoning a function call was paired with. */
static void
clean_responses_input (JsonObject *r,
                       gboolean    target_model_changed)
{
  JsonArray *input = _pm_json_get_array (r, "input");
  gboolean dropped = FALSE;

  for (guint i = input ? json_array_get_length (input) : 0; i > 0; i--)
    {
      JsonObject *item = _pm_json_array_get_object (input, i - 1);
      const char *id = _pm_json_get_string (item, "id");

      if (g_strcmp0 (_pm_json_get_string (item, "type"), "reasoning") == 0 &&
          (target_model_changed || (id != NULL && g_str_has_prefix (id, PM_SYNTH_REASONING_PREFIX))))
        {
          /* Only the upstream's own reasoning has calls paired with it. */
          if (id == NULL || !g_str_has_prefix (id, PM_SYNTH_REASONING_PREFIX))
            dropped = TRUE;
          json_array_remove_element (input, i - 1);
        }
    }

  for (guint i = 0; input != NULL && i < json_array_get_length (input); i++)
    {
      JsonObject *item = _pm_json_array_get_object (input, i);
      const char *type = _pm_json_get_string (item, "type");
      const char *id = _pm_json_get_string (item, "id");

      if (id == NULL || g_strcmp0 (type, "item_reference") == 0)
        continue;
      if (dropped || g_str_has_prefix (id, PM_SYNTH_MESSAGE_PREFIX) ||
          g_str_has_prefix (id, PM_SYNTH_CALL_PREFIX) || g_str_has_prefix (id, PM_SYNTH_REASONING_PREFIX))
        json_object_remove_member (item, "id");
    }
}

/* ----------------------------------------------------------------------------------------- */
/* Provider tweaks on a Chat body                                                             */

static void
sanitize_gemini_schema (JsonNode *node)
{
  if (node == NULL)
    return;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr(GList) members = NULL;

      json_object_remove_member (o, "$schema");
      json_object_remove_member (o, "additionalProperties");
      json_object_remove_member (o, "format");
      json_object_remove_member (o, "strict");
      members = json_object_get_members (o);
      for (GList *l = members; l != NULL; l = l->next)
        {
          /* "properties" maps names to schemas: a property may itself be named "format". */
          if (g_str_equal (l->data, "properties"))
            {
              JsonObject *props = _pm_json_get_object (o, "properties");
              g_autoptr(GList) names = props ? json_object_get_members (props) : NULL;

              for (GList *n = names; n != NULL; n = n->next)
                sanitize_gemini_schema (json_object_get_member (props, n->data));
            }
          else
            sanitize_gemini_schema (json_object_get_member (o, l->data));
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        sanitize_gemini_schema (json_array_get_element (a, i));
    }
}

static void
apply_chat_preset (JsonObject *c,
                   Preset      preset)
{
  JsonArray *tools = _pm_json_get_array (c, "tools");
  JsonArray *messages = _pm_json_get_array (c, "messages");
  const char *effort = _pm_json_get_string (c, "reasoning_effort");

  switch (preset)
    {
    case PRESET_OPENROUTER:
      if (effort != NULL)
        {
          JsonObject *reasoning = json_object_new ();

          if (g_str_equal (effort, "none"))
            json_object_set_boolean_member (reasoning, "enabled", FALSE);
          else
            json_object_set_string_member (reasoning, "effort",
                                           g_str_equal (effort, "max") || g_str_equal (effort, "xhigh")
                                           ? "high" : effort);
          json_object_set_object_member (c, "reasoning", reasoning);
          json_object_remove_member (c, "reasoning_effort");
        }
      {
        JsonObject *usage = json_object_new ();

        json_object_set_boolean_member (usage, "include", TRUE);
        json_object_set_object_member (c, "usage", usage);
      }
      break;

    case PRESET_GEMINI:
      for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
        {
          JsonObject *fn = _pm_json_get_object (_pm_json_array_get_object (tools, i), "function");

          if (fn != NULL)
            {
              json_object_remove_member (fn, "strict");
              sanitize_gemini_schema (json_object_get_member (fn, "parameters"));
            }
        }
      /* Gemini 3 wants each step's first tool call to carry a thought signature; histories it
       * did not produce get the documented placeholder. */
      for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
        {
          JsonObject *m = _pm_json_array_get_object (messages, i);
          JsonArray *calls = _pm_json_get_array (m, "tool_calls");
          JsonObject *first;

          if (calls == NULL || json_array_get_length (calls) == 0)
            continue;
          first = _pm_json_array_get_object (calls, 0);
          if (first != NULL && _pm_json_get_object (first, "extra_content") == NULL)
            {
              JsonObject *extra = json_object_new ();
              JsonObject *google = json_object_new ();

              json_object_set_string_member (google, "thought_signature", GEMINI_SKIP_SIGNATURE);
              json_object_set_object_member (extra, "google", google);
              json_object_set_object_member (first, "extra_content", extra);
            }
        }
      if (effort != NULL && (g_str_equal (effort, "xhigh") || g_str_equal (effort, "max")))
        json_object_set_string_member (c, "reasoning_effort", "high");
      else if (effort != NULL && g_str_equal (effort, "minimal"))
        json_object_set_string_member (c, "reasoning_effort", "low");
      json_object_remove_member (c, "prompt_cache_key");
      json_object_remove_member (c, "parallel_tool_calls");
      if (json_object_has_member (c, "max_completion_tokens"))
        {
          copy_member (c, c, "max_tokens", "max_completion_tokens");
          json_object_remove_member (c, "max_completion_tokens");
        }
      break;

    case PRESET_LOCAL:
    case PRESET_DEEPSEEK:
      json_object_remove_member (c, "prompt_cache_key");
      if (preset == PRESET_LOCAL)
        json_object_remove_member (c, "parallel_tool_calls");
      if (json_object_has_member (c, "max_completion_tokens"))
        {
          copy_member (c, c, "max_tokens", "max_completion_tokens");
          json_object_remove_member (c, "max_completion_tokens");
        }
      if (preset == PRESET_DEEPSEEK)
        {
          if (_pm_json_get_int (c, "max_tokens", 0) > 8192)
            json_object_set_int_member (c, "max_tokens", 8192);
          json_object_remove_member (c, "reasoning_effort");
        }
      break;

    case PRESET_GENERIC:
    case PRESET_ANTHROPIC:
    default:
      break;
    }
}

/* ----------------------------------------------------------------------------------------- */

static JsonObject *
to_chat (PmApi        from,
         JsonObject  *body,
         Preset       preset,
         GError     **error)
{
  switch (from)
    {
    case PM_API_ANTHROPIC:
      return anthropic_to_chat (body, preset);
    case PM_API_OPENAI_RESPONSES:
      return responses_to_chat (body, error);
    case PM_API_OPENAI_CHAT:
      return json_object_ref (body);
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

JsonNode *
pm_translate_request_for_provider (PmApi        from,
                                   PmApi        to,
                                   JsonNode    *body,
                                   gboolean     target_model_changed,
                                   const char  *preset_name,
                                   GError     **error)
{
  g_autoptr(JsonNode) copy = NULL;
  g_autoptr(JsonObject) chat = NULL;
  JsonObject *out = NULL;
  JsonNode *node;
  Preset preset = parse_preset (preset_name);

  g_return_val_if_fail (from < PM_API_LAST && to < PM_API_LAST, NULL);
  g_return_val_if_fail (body != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                           "The request body must be a JSON object");
      return NULL;
    }

  copy = _pm_json_deep_copy (body);

  if (from == to)
    {
      JsonObject *o = json_node_get_object (copy);

      if (to == PM_API_ANTHROPIC)
        {
          gboolean dropped = drop_thinking_blocks (o, target_model_changed);
          const char *ttype = _pm_json_get_string (_pm_json_get_object (o, "thinking"), "type");

          /* A turn another model wrote has no thinking. With budget thinking the API rejects a
           * tool loop whose last assistant turn does not start with one; adaptive thinking
           * tolerates it, so there only turns we changed are checked. */
          if (dropped || g_strcmp0 (ttype, "enabled") == 0)
            fix_thinking_continuation (o);
          sanitize_tool_ids (o);
          if (preset_name != NULL && preset != PRESET_ANTHROPIC)
            strip_billing_block (o);
        }
      else if (to == PM_API_OPENAI_CHAT)
        apply_chat_preset (o, preset);
      else if (to == PM_API_OPENAI_RESPONSES)
        clean_responses_input (o, target_model_changed);
      return g_steal_pointer (&copy);
    }

  chat = to_chat (from, json_node_get_object (copy), preset, error);
  if (chat == NULL)
    return NULL;

  switch (to)
    {
    case PM_API_OPENAI_CHAT:
      apply_chat_preset (chat, preset);
      out = json_object_ref (chat);
      break;
    case PM_API_ANTHROPIC:
      out = chat_to_anthropic (chat);
      fix_thinking_continuation (out);
      /* OpenAI clients never mark cache breakpoints, and Anthropic caches nothing without one:
       * ask Anthropic itself (not servers that only borrow its format) for the automatic,
       * moving breakpoint, so a session's prefix is read from the cache. */
      if (preset_name == NULL || preset == PRESET_ANTHROPIC)
        {
          g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

          json_node_set_object (node, out);
          if (!has_cache_control (node))
            {
              JsonObject *cc = json_object_new ();

              json_object_set_string_member (cc, "type", "ephemeral");
              json_object_set_object_member (out, "cache_control", cc);
            }
        }
      break;
    case PM_API_OPENAI_RESPONSES:
      out = chat_to_responses (chat);
      if (preset == PRESET_OPENROUTER || preset == PRESET_LOCAL)
        json_object_remove_member (out, "prompt_cache_key");
      break;
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, out);
  return node;
}

JsonNode *
pm_translate_request (PmApi      from,
                      PmApi      to,
                      JsonNode  *body,
                      gboolean   target_model_changed,
                      GError   **error)
{
  return pm_translate_request_for_provider (from, to, body, target_model_changed, NULL, error);
}

void
pm_translate_set_prompt_cache_key (PmApi       upstream_api,
                                   JsonNode   *upstream_body,
                                   const char *key)
{
  JsonObject *o;

  g_return_if_fail (upstream_body != NULL);

  if (key == NULL || *key == '\0' || !JSON_NODE_HOLDS_OBJECT (upstream_body))
    return;
  o = json_node_get_object (upstream_body);
  if (upstream_api == PM_API_ANTHROPIC)
    return;   /* Anthropic caches by prefix; metadata.user_id stays as the client sent it. */
  if (_pm_json_get_string (o, "prompt_cache_key") == NULL)
    json_object_set_string_member (o, "prompt_cache_key", key);
}
