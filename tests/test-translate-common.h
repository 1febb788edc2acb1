/* test-translate-common.h — helpers shared by the translation tests: JSON paths, an
 * independent SSE splitter, and per-API stream reassemblers that check the event grammar
 * the official SDKs rely on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include <json-glib/json-glib.h>

#include "pm-translate.h"
#include "pm-test-utils.h"

/* ----------------------------------------------------------------------------------------- */
/* Helpers                                                                                    */

G_GNUC_UNUSED static JsonNode *
load_fixture (const char *name)
{
  g_autofree char *path = g_strdup_printf ("translate/%s", name);
  g_autofree char *full = pm_test_fixture_path (path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, full, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

G_GNUC_UNUSED static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* Evaluate a tiny path like "messages/2/content/0/type" on a node. */
G_GNUC_UNUSED static JsonNode *
at (JsonNode   *node,
    const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);

  for (guint i = 0; parts[i] != NULL && node != NULL; i++)
    {
      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *o = json_node_get_object (node);

          node = json_object_has_member (o, parts[i]) ? json_object_get_member (o, parts[i]) : NULL;
        }
      else if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *a = json_node_get_array (node);
          guint idx = (guint) g_ascii_strtoull (parts[i], NULL, 10);

          node = idx < json_array_get_length (a) ? json_array_get_element (a, idx) : NULL;
        }
      else
        node = NULL;
    }
  return node;
}

G_GNUC_UNUSED static const char *
str_at (JsonNode   *node,
        const char *path)
{
  JsonNode *n = at (node, path);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

G_GNUC_UNUSED static gint64
int_at (JsonNode   *node,
        const char *path)
{
  JsonNode *n = at (node, path);

  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_VALUE (n));
  return json_node_get_int (n);
}

G_GNUC_UNUSED static guint
len_at (JsonNode   *node,
        const char *path)
{
  JsonNode *n = at (node, path);

  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (n));
  return json_array_get_length (json_node_get_array (n));
}

G_GNUC_UNUSED static void
assert_json_equal_text (const char *json_text,
                        const char *expected_json)
{
  g_autoptr(JsonNode) a = parse (json_text);
  g_autoptr(JsonNode) b = parse (expected_json);

  g_assert_true (json_node_equal (a, b));
}

typedef struct
{
  char *event;
  char *data;
} Event;

G_GNUC_UNUSED static void
event_free (gpointer p)
{
  Event *e = p;

  g_free (e->event);
  g_free (e->data);
  g_free (e);
}

/* A deliberately independent SSE reader for the tests (not the one the proxy uses). */
G_GNUC_UNUSED static GPtrArray *
split_sse (const char *text)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (event_free);
  g_auto(GStrv) blocks = g_strsplit (text, "\n\n", -1);

  for (guint i = 0; blocks[i] != NULL; i++)
    {
      g_auto(GStrv) lines = g_strsplit (blocks[i], "\n", -1);
      g_autoptr(GString) data = NULL;
      char *event = NULL;

      for (guint j = 0; lines[j] != NULL; j++)
        {
          if (g_str_has_prefix (lines[j], "event:"))
            {
              g_free (event);
              event = g_strstrip (g_strdup (lines[j] + 6));
            }
          else if (g_str_has_prefix (lines[j], "data:"))
            {
              const char *d = lines[j] + 5;

              if (*d == ' ')
                d++;
              if (data == NULL)
                data = g_string_new (d);
              else
                g_string_append_printf (data, "\n%s", d);
            }
        }
      if (data != NULL)
        {
          Event *e = g_new0 (Event, 1);

          e->event = event;
          e->data = g_string_free (g_steal_pointer (&data), FALSE);
          g_ptr_array_add (events, e);
        }
      else
        g_free (event);
    }
  return events;
}

G_GNUC_UNUSED static GPtrArray *
load_stream_fixture (const char *name)
{
  g_autofree char *path = g_strdup_printf ("translate/%s", name);
  g_autofree char *full = pm_test_fixture_path (path);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (full, &text, NULL, &error);
  g_assert_no_error (error);
  return split_sse (text);
}

/* What a client reconstructs from a stream. */
typedef struct
{
  GString    *text;
  GString    *thinking;
  GPtrArray  *tool_names;
  GPtrArray  *tool_args;
  GPtrArray  *tool_ids;
  char       *stop;            /* Anthropic vocabulary */
  gint64      prompt_total;
  gint64      cache_read;
  gint64      output;
  gboolean    error;
  char       *error_message;
  char       *error_type;
} Result;

G_GNUC_UNUSED static Result *
result_new (void)
{
  Result *r = g_new0 (Result, 1);

  r->text = g_string_new (NULL);
  r->thinking = g_string_new (NULL);
  r->tool_names = g_ptr_array_new_with_free_func (g_free);
  r->tool_args = g_ptr_array_new_with_free_func (g_free);
  r->tool_ids = g_ptr_array_new_with_free_func (g_free);
  r->prompt_total = -1;
  return r;
}

G_GNUC_UNUSED static void
result_free (Result *r)
{
  g_string_free (r->text, TRUE);
  g_string_free (r->thinking, TRUE);
  g_ptr_array_unref (r->tool_names);
  g_ptr_array_unref (r->tool_args);
  g_ptr_array_unref (r->tool_ids);
  g_free (r->stop);
  g_free (r->error_message);
  g_free (r->error_type);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Result, result_free)

/* Reassemble an Anthropic stream, checking the event grammar as the SDK's accumulator does. */
G_GNUC_UNUSED static Result *
reassemble_anthropic (const char *text)
{
  g_autoptr(GPtrArray) events = split_sse (text);
  g_autoptr(GHashTable) open = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) kinds = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  g_autoptr(GHashTable) tool_slot = g_hash_table_new (g_direct_hash, g_direct_equal);
  Result *r = result_new ();
  gboolean stopped = FALSE;
  gint64 next_index = 0;

  g_assert_cmpuint (events->len, >, 0);
  for (guint i = 0; i < events->len; i++)
    {
      Event *e = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) d = parse (e->data);
      const char *type = str_at (d, "type");

      g_assert_nonnull (e->event);
      g_assert_cmpstr (e->event, ==, type);
      g_assert_false (stopped);
      if (i == 0 && !g_str_equal (type, "error"))
        g_assert_cmpstr (type, ==, "message_start");

      if (g_str_equal (type, "message_start"))
        {
          g_assert_cmpuint (i, ==, 0);
          g_assert_cmpstr (str_at (d, "message/role"), ==, "assistant");
          g_assert_nonnull (str_at (d, "message/id"));
        }
      else if (g_str_equal (type, "content_block_start"))
        {
          gint64 index = int_at (d, "index");
          const char *kind = str_at (d, "content_block/type");

          g_assert_cmpint (index, ==, next_index);
          next_index++;
          g_hash_table_add (open, GINT_TO_POINTER ((int) index));
          g_hash_table_insert (kinds, GINT_TO_POINTER ((int) index), g_strdup (kind));
          if (g_str_equal (kind, "tool_use"))
            {
              g_hash_table_insert (tool_slot, GINT_TO_POINTER ((int) index),
                                   GUINT_TO_POINTER (r->tool_names->len));
              g_ptr_array_add (r->tool_names, g_strdup (str_at (d, "content_block/name")));
              g_ptr_array_add (r->tool_ids, g_strdup (str_at (d, "content_block/id")));
              g_ptr_array_add (r->tool_args, g_strdup (""));
            }
        }
      else if (g_str_equal (type, "content_block_delta"))
        {
          gint64 index = int_at (d, "index");
          const char *dtype = str_at (d, "delta/type");
          const char *kind = g_hash_table_lookup (kinds, GINT_TO_POINTER ((int) index));

          g_assert_true (g_hash_table_contains (open, GINT_TO_POINTER ((int) index)));
          if (g_str_equal (dtype, "text_delta"))
            {
              g_assert_cmpstr (kind, ==, "text");
              g_string_append (r->text, str_at (d, "delta/text"));
            }
          else if (g_str_equal (dtype, "thinking_delta"))
            {
              g_assert_cmpstr (kind, ==, "thinking");
              g_string_append (r->thinking, str_at (d, "delta/thinking"));
            }
          else if (g_str_equal (dtype, "input_json_delta"))
            {
              guint slot = GPOINTER_TO_UINT (g_hash_table_lookup (tool_slot, GINT_TO_POINTER ((int) index)));
              char *old = g_ptr_array_index (r->tool_args, slot);

              g_assert_cmpstr (kind, ==, "tool_use");
              r->tool_args->pdata[slot] = g_strconcat (old, str_at (d, "delta/partial_json"), NULL);
              g_free (old);
            }
          else
            g_assert_not_reached ();
        }
      else if (g_str_equal (type, "content_block_stop"))
        {
          gint64 index = int_at (d, "index");

          g_assert_true (g_hash_table_remove (open, GINT_TO_POINTER ((int) index)));
        }
      else if (g_str_equal (type, "message_delta"))
        {
          g_assert_cmpuint (g_hash_table_size (open), ==, 0);
          g_free (r->stop);
          r->stop = g_strdup (str_at (d, "delta/stop_reason"));
          r->cache_read = int_at (d, "usage/cache_read_input_tokens");
          r->prompt_total = int_at (d, "usage/input_tokens") + r->cache_read +
                            int_at (d, "usage/cache_creation_input_tokens");
          r->output = int_at (d, "usage/output_tokens");
        }
      else if (g_str_equal (type, "message_stop"))
        {
          g_assert_nonnull (r->stop);
          stopped = TRUE;
        }
      else if (g_str_equal (type, "error"))
        {
          r->error = TRUE;
          r->error_type = g_strdup (str_at (d, "error/type"));
          r->error_message = g_strdup (str_at (d, "error/message"));
          stopped = TRUE;
        }
      else if (!g_str_equal (type, "ping"))
        g_assert_not_reached ();
    }
  g_assert_true (stopped);
  return r;
}

G_GNUC_UNUSED static Result *
reassemble_chat (const char *text)
{
  g_autoptr(GPtrArray) events = split_sse (text);
  Result *r = result_new ();
  gboolean done = FALSE;

  g_assert_cmpuint (events->len, >, 0);
  for (guint i = 0; i < events->len; i++)
    {
      Event *e = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) d = NULL;
      JsonNode *choices;

      g_assert_null (e->event);
      g_assert_false (done);
      if (g_str_equal (e->data, "[DONE]"))
        {
          done = TRUE;
          continue;
        }
      d = parse (e->data);
      if (at (d, "error") != NULL)
        {
          r->error = TRUE;
          r->error_type = g_strdup (str_at (d, "error/type"));
          r->error_message = g_strdup (str_at (d, "error/message"));
          done = TRUE;
          continue;
        }
      g_assert_cmpstr (str_at (d, "object"), ==, "chat.completion.chunk");
      g_assert_nonnull (str_at (d, "id"));
      choices = at (d, "choices");
      g_assert_nonnull (choices);
      if (len_at (d, "choices") == 0)
        {
          g_assert_nonnull (at (d, "usage"));
          r->prompt_total = int_at (d, "usage/prompt_tokens");
          r->cache_read = int_at (d, "usage/prompt_tokens_details/cached_tokens");
          r->output = int_at (d, "usage/completion_tokens");
          continue;
        }
      if (str_at (d, "choices/0/delta/content") != NULL)
        g_string_append (r->text, str_at (d, "choices/0/delta/content"));
      if (str_at (d, "choices/0/delta/reasoning_content") != NULL)
        g_string_append (r->thinking, str_at (d, "choices/0/delta/reasoning_content"));
      if (at (d, "choices/0/delta/tool_calls") != NULL)
        {
          for (guint j = 0; j < len_at (d, "choices/0/delta/tool_calls"); j++)
            {
              g_autofree char *base = g_strdup_printf ("choices/0/delta/tool_calls/%u", j);
              g_autofree char *p_index = g_strconcat (base, "/index", NULL);
              g_autofree char *p_id = g_strconcat (base, "/id", NULL);
              g_autofree char *p_name = g_strconcat (base, "/function/name", NULL);
              g_autofree char *p_args = g_strconcat (base, "/function/arguments", NULL);
              gint64 index = int_at (d, p_index);

              if (str_at (d, p_id) != NULL)
                {
                  g_assert_cmpint (index, ==, r->tool_names->len);
                  g_ptr_array_add (r->tool_ids, g_strdup (str_at (d, p_id)));
                  g_ptr_array_add (r->tool_names, g_strdup (str_at (d, p_name)));
                  g_ptr_array_add (r->tool_args, g_strdup (""));
                }
              g_assert_cmpint (index, <, r->tool_args->len);
              if (str_at (d, p_args) != NULL)
                {
                  char *old = g_ptr_array_index (r->tool_args, index);

                  r->tool_args->pdata[index] = g_strconcat (old, str_at (d, p_args), NULL);
                  g_free (old);
                }
            }
        }
      if (str_at (d, "choices/0/finish_reason") != NULL)
        {
          const char *f = str_at (d, "choices/0/finish_reason");

          g_free (r->stop);
          r->stop = g_strdup (g_str_equal (f, "tool_calls") ? "tool_use"
                              : g_str_equal (f, "length") ? "max_tokens" : "end_turn");
        }
    }
  g_assert_true (done);
  return r;
}

G_GNUC_UNUSED static Result *
reassemble_responses (const char *text)
{
  g_autoptr(GPtrArray) events = split_sse (text);
  g_autoptr(GHashTable) args_by_item = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Result *r = result_new ();
  gint64 last_seq = -1;
  gboolean done = FALSE;

  for (guint i = 0; i < events->len; i++)
    {
      Event *e = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) d = parse (e->data);
      const char *type = str_at (d, "type");

      g_assert_false (done);
      g_assert_cmpstr (e->event, ==, type);
      g_assert_cmpint (int_at (d, "sequence_number"), >, last_seq);
      last_seq = int_at (d, "sequence_number");
      if (i == 0 && !g_str_equal (type, "error"))
        g_assert_cmpstr (type, ==, "response.created");

      if (g_str_equal (type, "response.output_text.delta"))
        g_string_append (r->text, str_at (d, "delta"));
      else if (g_str_equal (type, "response.reasoning_summary_text.delta"))
        g_string_append (r->thinking, str_at (d, "delta"));
      else if (g_str_equal (type, "response.output_item.added") &&
               g_strcmp0 (str_at (d, "item/type"), "function_call") == 0)
        {
          g_hash_table_insert (args_by_item, g_strdup (str_at (d, "item/id")),
                               GUINT_TO_POINTER (r->tool_names->len));
          g_ptr_array_add (r->tool_names, g_strdup (str_at (d, "item/name")));
          g_ptr_array_add (r->tool_ids, g_strdup (str_at (d, "item/call_id")));
          g_ptr_array_add (r->tool_args, g_strdup (""));
        }
      else if (g_str_equal (type, "response.function_call_arguments.delta"))
        {
          gpointer slot_p;
          guint slot;
          char *old;

          g_assert_true (g_hash_table_lookup_extended (args_by_item, str_at (d, "item_id"), NULL, &slot_p));
          slot = GPOINTER_TO_UINT (slot_p);
          old = g_ptr_array_index (r->tool_args, slot);
          r->tool_args->pdata[slot] = g_strconcat (old, str_at (d, "delta"), NULL);
          g_free (old);
        }
      else if (g_str_equal (type, "response.function_call_arguments.done"))
        {
          guint slot = GPOINTER_TO_UINT (g_hash_table_lookup (args_by_item, str_at (d, "item_id")));

          assert_json_equal_text (g_ptr_array_index (r->tool_args, slot), str_at (d, "arguments"));
        }
      else if (g_str_equal (type, "response.completed") || g_str_equal (type, "response.incomplete"))
        {
          guint n_calls = 0;

          r->prompt_total = int_at (d, "response/usage/input_tokens");
          r->cache_read = int_at (d, "response/usage/input_tokens_details/cached_tokens");
          r->output = int_at (d, "response/usage/output_tokens");
          /* The final response lists what the deltas built. */
          for (guint j = 0; j < len_at (d, "response/output"); j++)
            {
              g_autofree char *p = g_strdup_printf ("response/output/%u/type", j);

              if (g_strcmp0 (str_at (d, p), "function_call") == 0)
                n_calls++;
            }
          g_assert_cmpuint (n_calls, ==, r->tool_names->len);
          r->stop = g_strdup (g_str_equal (type, "response.incomplete") ? "max_tokens"
                              : n_calls > 0 ? "tool_use" : "end_turn");
          done = TRUE;
        }
      else if (g_str_equal (type, "error"))
        {
          r->error = TRUE;
          r->error_type = g_strdup (str_at (d, "code"));
          r->error_message = g_strdup (str_at (d, "message"));
          /* response.failed may follow (what Codex waits for); nothing else. */
          if (i + 1 < events->len)
            {
              Event *next = g_ptr_array_index (events, i + 1);
              g_autoptr(JsonNode) n = parse (next->data);

              g_assert_cmpstr (str_at (n, "type"), ==, "response.failed");
              g_assert_cmpstr (str_at (n, "response/status"), ==, "failed");
              g_assert_cmpstr (str_at (n, "response/error/message"), ==, r->error_message);
              g_assert_cmpint (int_at (n, "sequence_number"), >, last_seq);
              g_assert_cmpuint (i + 2, ==, events->len);
              i++;
            }
          done = TRUE;
        }
    }
  g_assert_true (done);
  return r;
}

G_GNUC_UNUSED static Result *
reassemble (PmApi       api,
            const char *text)
{
  switch (api)
    {
    case PM_API_ANTHROPIC:
      return reassemble_anthropic (text);
    case PM_API_OPENAI_CHAT:
      return reassemble_chat (text);
    case PM_API_OPENAI_RESPONSES:
      return reassemble_responses (text);
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

