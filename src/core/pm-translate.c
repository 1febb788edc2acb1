/* pm-translate.c — shared helpers and the request/response entry points
 *
 * Requests and whole responses translate through the Chat Completions shape as the hub:
 * Anthropic ⇄ Chat ⇄ Responses. Streams use their own event-level translators
 * (pm-translate-stream.c); errors live in pm-translate-error.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-translate"

#include "config.h"

#include <string.h>

#include "pm-translate-private.h"

const char *
_pm_json_get_string (JsonObject *object,
                     const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
_pm_json_get_int (JsonObject *object,
                  const char *member,
                  gint64      fallback)
{
  JsonNode *node;
  GType type;

  if (object == NULL || !json_object_has_member (object, member))
    return fallback;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return fallback;
}

gboolean
_pm_json_get_bool (JsonObject *object,
                   const char *member,
                   gboolean    fallback)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return fallback;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

JsonObject *
_pm_json_get_object (JsonObject *object,
                     const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
_pm_json_get_array (JsonObject *object,
                    const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  return JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonNode *
_pm_json_deep_copy (JsonNode *node)
{
  JsonNode *copy;

  if (node == NULL)
    return NULL;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *src = json_node_get_object (node);
        JsonObject *dst = json_object_new ();
        g_autoptr(GList) members = json_object_get_members (src);

        for (GList *l = members; l != NULL; l = l->next)
          json_object_set_member (dst, l->data, _pm_json_deep_copy (json_object_get_member (src, l->data)));
        copy = json_node_new (JSON_NODE_OBJECT);
        json_node_take_object (copy, dst);
      }
      return copy;

    case JSON_NODE_ARRAY:
      {
        JsonArray *src = json_node_get_array (node);
        JsonArray *dst = json_array_sized_new (json_array_get_length (src));

        for (guint i = 0; i < json_array_get_length (src); i++)
          json_array_add_element (dst, _pm_json_deep_copy (json_array_get_element (src, i)));
        copy = json_node_new (JSON_NODE_ARRAY);
        json_node_take_array (copy, dst);
      }
      return copy;

    case JSON_NODE_VALUE:
    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

JsonObject *
_pm_json_array_get_object (JsonArray *array,
                           guint      index)
{
  JsonNode *node;

  if (array == NULL || index >= json_array_get_length (array))
    return NULL;
  node = json_array_get_element (array, index);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

char *
_pm_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

/* TRUE when text holds exactly one top-level JSON object (surrounded by whitespace only).
 * json-glib 1.6 leaks a node when it is given several top-level values, which an SSE event
 * with two data: lines produces, so such text never reaches the parser. */
static gboolean
is_single_object (const char *text,
                  gsize       length)
{
  gsize i = 0;
  int depth = 0;
  gboolean in_string = FALSE;

  while (i < length && g_ascii_isspace (text[i]))
    i++;
  if (i >= length || text[i] != '{')
    return FALSE;

  for (; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']')
        {
          if (--depth == 0)
            {
              for (i++; i < length; i++)
                if (!g_ascii_isspace (text[i]))
                  return FALSE;
              return TRUE;
            }
        }
    }
  return FALSE;
}

JsonObject *
_pm_json_parse_object (const char *text,
                       gssize      length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (text == NULL)
    return NULL;
  if (length < 0)
    length = strlen (text);
  if (!is_single_object (text, length) ||
      !json_parser_load_from_data (parser, text, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

void
_pm_sse_append (GString    *out,
                const char *event,
                const char *data)
{
  if (event != NULL)
    g_string_append_printf (out, "event: %s\n", event);
  /* JSON we produce has no raw newlines; split anyway to stay valid SSE. */
  if (data != NULL && strchr (data, '\n') != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (data, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf (out, "data: %s\n", lines[i]);
    }
  else
    g_string_append_printf (out, "data: %s\n", data ? data : "");
  g_string_append_c (out, '\n');
}

const char *
_pm_stop_reason_to_finish (const char *stop_reason)
{
  if (stop_reason == NULL)
    return "stop";
  if (g_str_equal (stop_reason, "max_tokens") ||
      g_str_equal (stop_reason, "model_context_window_exceeded"))
    return "length";
  if (g_str_equal (stop_reason, "tool_use"))
    return "tool_calls";
  if (g_str_equal (stop_reason, "refusal"))
    return "content_filter";
  return "stop";
}

const char *
_pm_finish_to_stop_reason (const char *finish_reason)
{
  if (finish_reason == NULL)
    return "end_turn";
  if (g_str_equal (finish_reason, "length"))
    return "max_tokens";
  if (g_str_equal (finish_reason, "tool_calls") || g_str_equal (finish_reason, "function_call"))
    return "tool_use";
  if (g_str_equal (finish_reason, "content_filter"))
    return "refusal";
  return "end_turn";
}

char *
_pm_anthropic_tool_id (const char *id)
{
  char *out;

  if (id == NULL || *id == '\0')
    return _pm_make_id ("toolu_");
  out = g_strdup (id);
  for (char *p = out; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      *p = '_';
  return out;
}

char *
_pm_openai_tool_name (const char *name)
{
  g_autofree char *hash = NULL;

  if (name == NULL)
    return g_strdup ("");
  if (strlen (name) <= 64)
    return g_strdup (name);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1, name, -1);
  return g_strdup_printf ("%.55s_%.8s", name, hash);
}

GHashTable *
_pm_tool_name_map (JsonNode *client_body)
{
  GHashTable *map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonArray *tools;

  if (client_body == NULL || !JSON_NODE_HOLDS_OBJECT (client_body))
    return map;
  tools = _pm_json_get_array (json_node_get_object (client_body), "tools");
  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonObject *t = _pm_json_array_get_object (tools, i);
      JsonObject *fn = _pm_json_get_object (t, "function");
      const char *name = _pm_json_get_string (t, "name");
      g_autofree char *short_name = NULL;

      if (name == NULL)
        name = _pm_json_get_string (fn, "name");
      if (name == NULL)
        continue;
      short_name = _pm_openai_tool_name (name);
      if (!g_str_equal (short_name, name))
        g_hash_table_insert (map, g_steal_pointer (&short_name), g_strdup (name));
    }
  return map;
}

char *
_pm_make_id (const char *prefix)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  GString *id = g_string_new (prefix);

  for (guint i = 0; i < 24; i++)
    g_string_append_c (id, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (id, FALSE);
}
