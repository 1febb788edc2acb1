/* pm-translate-stream.c — event-by-event stream translation
 *
 * Each upstream event is parsed into a few abstract operations (start, open a text / thinking /
 * tool block, append text or argument fragments, close, usage, stop reason, error, done) and
 * each operation is written at once in the client's format. Nothing waits for the end of the
 * stream except what the client's format itself puts at the end (Anthropic's final usage in
 * message_delta, Chat's usage chunk and [DONE], Responses' response.completed).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-translate"

#include "config.h"

#include <string.h>

#include "pm-translate-private.h"

typedef enum
{
  BLOCK_TEXT,
  BLOCK_THINKING,
  BLOCK_TOOL,
} BlockKind;

typedef struct
{
  BlockKind  kind;
  char      *key;            /* upstream identity of a tool call */
  char      *call_id;
  char      *name;
  char      *item_id;        /* Responses item id */
  GString   *text;           /* text, thinking or arguments so far */
  guint      index;          /* Anthropic block index / Responses output index */
  guint      tool_index;     /* Chat tool_calls[].index */
  gboolean   closed;
} Block;

struct _PmStreamTranslator
{
  PmApi        from;
  PmApi        to;
  char        *client_model;

  char        *id;
  gint64       created;
  gboolean     started;
  gboolean     done;
  gboolean     errored;

  GPtrArray   *blocks;       /* Block*, in client order */
  GHashTable  *tools;        /* key → Block* (borrowed) */
  Block       *open;
  guint        next_index;
  guint        next_tool_index;
  gboolean     saw_tool;
  GHashTable  *ignored;      /* upstream Anthropic block indices we skip (redacted thinking) */

  GHashTable  *tool_names;   /* shortened → the client's own (NULL: none) */
  gboolean     chat_usage;   /* Chat: the usage chunk at the end (stream_options.include_usage) */

  PmTokens     tokens;
  char        *stop_reason;  /* Anthropic vocabulary */
  gint64       sequence;     /* Responses sequence_number */
  JsonArray   *output;       /* Responses: finished output items */
};

static void
block_free (gpointer data)
{
  Block *b = data;

  g_free (b->key);
  g_free (b->call_id);
  g_free (b->name);
  g_free (b->item_id);
  g_string_free (b->text, TRUE);
  g_free (b);
}

PmStreamTranslator *
pm_stream_translator_new (PmApi       from,
                          PmApi       to,
                          const char *client_model)
{
  PmStreamTranslator *self;

  g_return_val_if_fail (from < PM_API_LAST && to < PM_API_LAST, NULL);

  self = g_new0 (PmStreamTranslator, 1);
  self->from = from;
  self->to = to;
  self->client_model = g_strdup (client_model);
  self->chat_usage = TRUE;
  self->created = g_get_real_time () / G_USEC_PER_SEC;
  self->blocks = g_ptr_array_new_with_free_func (block_free);
  self->tools = g_hash_table_new (g_str_hash, g_str_equal);
  self->ignored = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->output = json_array_new ();
  return self;
}

void
pm_stream_translator_free (PmStreamTranslator *self)
{
  if (self == NULL)
    return;
  g_free (self->client_model);
  g_free (self->id);
  g_free (self->stop_reason);
  g_hash_table_unref (self->tools);
  g_hash_table_unref (self->ignored);
  g_clear_pointer (&self->tool_names, g_hash_table_unref);
  g_ptr_array_unref (self->blocks);
  json_array_unref (self->output);
  g_free (self);
}

/* ----------------------------------------------------------------------------------------- */
/* Writing client events                                                                      */

static void
emit (GString    *out,
      const char *event,
      JsonObject *data)           /* takes */
{
  g_autofree char *text = _pm_json_object_to_string (data);

  _pm_sse_append (out, event, text);
  json_object_unref (data);
}

static void
emit_responses (PmStreamTranslator *self,
                GString            *out,
                const char         *type,
                JsonObject         *data)     /* takes */
{
  json_object_set_string_member (data, "type", type);
  json_object_set_int_member (data, "sequence_number", self->sequence++);
  emit (out, type, data);
}

static void
emit_chat_chunk (PmStreamTranslator *self,
                 GString            *out,
                 JsonObject         *delta,          /* takes; NULL = no choices */
                 const char         *finish_reason,
                 JsonObject         *usage)          /* takes */
{
  JsonObject *chunk = json_object_new ();
  JsonArray *choices = json_array_new ();

  json_object_set_string_member (chunk, "id", self->id);
  json_object_set_string_member (chunk, "object", "chat.completion.chunk");
  json_object_set_int_member (chunk, "created", self->created);
  json_object_set_string_member (chunk, "model", self->client_model ? self->client_model : "");
  if (delta != NULL)
    {
      JsonObject *choice = json_object_new ();

      json_object_set_int_member (choice, "index", 0);
      json_object_set_object_member (choice, "delta", delta);
      if (finish_reason != NULL)
        json_object_set_string_member (choice, "finish_reason", finish_reason);
      else
        json_object_set_null_member (choice, "finish_reason");
      json_object_set_null_member (choice, "logprobs");
      json_array_add_object_element (choices, choice);
    }
  json_object_set_array_member (chunk, "choices", choices);
  if (usage != NULL)
    json_object_set_object_member (chunk, "usage", usage);
  emit (out, NULL, chunk);
}

static JsonObject *
responses_snapshot (PmStreamTranslator *self,
                    const char         *status,
                    const char         *incomplete_reason,
                    gboolean            with_usage)
{
  JsonArray *output = json_array_new ();

  for (guint i = 0; i < json_array_get_length (self->output); i++)
    json_array_add_element (output, json_node_copy (json_array_get_element (self->output, i)));
  return _pm_responses_object (self->id, self->client_model, status, incomplete_reason, output,
                               with_usage ? _pm_tokens_to_usage (&self->tokens, PM_API_OPENAI_RESPONSES)
                                          : NULL);
}

static void
ensure_started (PmStreamTranslator *self,
                GString            *out)
{
  if (self->started)
    return;
  self->started = TRUE;

  switch (self->to)
    {
    case PM_API_ANTHROPIC:
      {
        JsonObject *data = json_object_new ();
        JsonObject *message = json_object_new ();

        if (self->id == NULL || !g_str_has_prefix (self->id, "msg_"))
          {
            g_free (self->id);
            self->id = _pm_make_id ("msg_");
          }
        json_object_set_string_member (message, "id", self->id);
        json_object_set_string_member (message, "type", "message");
        json_object_set_string_member (message, "role", "assistant");
        json_object_set_string_member (message, "model", self->client_model ? self->client_model : "");
        json_object_set_array_member (message, "content", json_array_new ());
        json_object_set_null_member (message, "stop_reason");
        json_object_set_null_member (message, "stop_sequence");
        json_object_set_object_member (message, "usage",
                                       _pm_tokens_to_usage (&self->tokens, PM_API_ANTHROPIC));
        json_object_set_string_member (data, "type", "message_start");
        json_object_set_object_member (data, "message", message);
        emit (out, "message_start", data);
      }
      break;

    case PM_API_OPENAI_CHAT:
      {
        JsonObject *delta = json_object_new ();

        if (self->id == NULL || !g_str_has_prefix (self->id, "chatcmpl-"))
          {
            g_free (self->id);
            self->id = _pm_make_id ("chatcmpl-");
          }
        json_object_set_string_member (delta, "role", "assistant");
        json_object_set_string_member (delta, "content", "");
        emit_chat_chunk (self, out, delta, NULL, NULL);
      }
      break;

    case PM_API_OPENAI_RESPONSES:
      {
        JsonObject *data;

        if (self->id == NULL || !g_str_has_prefix (self->id, "resp_"))
          {
            g_free (self->id);
            self->id = _pm_make_id ("resp_");
          }
        data = json_object_new ();
        json_object_set_object_member (data, "response",
                                       responses_snapshot (self, "in_progress", NULL, FALSE));
        emit_responses (self, out, "response.created", data);
        data = json_object_new ();
        json_object_set_object_member (data, "response",
                                       responses_snapshot (self, "in_progress", NULL, FALSE));
        emit_responses (self, out, "response.in_progress", data);
      }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
}

static void
close_block (PmStreamTranslator *self,
             GString            *out)
{
  Block *b = self->open;

  if (b == NULL)
    return;
  self->open = NULL;
  b->closed = TRUE;

  switch (self->to)
    {
    case PM_API_ANTHROPIC:
      {
        JsonObject *data = json_object_new ();

        json_object_set_string_member (data, "type", "content_block_stop");
        json_object_set_int_member (data, "index", b->index);
        emit (out, "content_block_stop", data);
      }
      break;

    case PM_API_OPENAI_CHAT:
      break;

    case PM_API_OPENAI_RESPONSES:
      {
        JsonObject *data;
        JsonObject *item = NULL;

        if (b->kind == BLOCK_TEXT)
          {
            JsonObject *part = json_object_new ();

            data = json_object_new ();
            json_object_set_string_member (data, "item_id", b->item_id);
            json_object_set_int_member (data, "output_index", b->index);
            json_object_set_int_member (data, "content_index", 0);
            json_object_set_string_member (data, "text", b->text->str);
            json_object_set_array_member (data, "logprobs", json_array_new ());
            emit_responses (self, out, "response.output_text.done", data);

            json_object_set_string_member (part, "type", "output_text");
            json_object_set_string_member (part, "text", b->text->str);
            json_object_set_array_member (part, "annotations", json_array_new ());
            data = json_object_new ();
            json_object_set_string_member (data, "item_id", b->item_id);
            json_object_set_int_member (data, "output_index", b->index);
            json_object_set_int_member (data, "content_index", 0);
            json_object_set_object_member (data, "part", part);
            emit_responses (self, out, "response.content_part.done", data);
            item = _pm_responses_message_item (b->item_id, b->text->str, "completed");
          }
        else if (b->kind == BLOCK_THINKING)
          {
            JsonObject *part = json_object_new ();

            data = json_object_new ();
            json_object_set_string_member (data, "item_id", b->item_id);
            json_object_set_int_member (data, "output_index", b->index);
            json_object_set_int_member (data, "summary_index", 0);
            json_object_set_string_member (data, "text", b->text->str);
            emit_responses (self, out, "response.reasoning_summary_text.done", data);

            json_object_set_string_member (part, "type", "summary_text");
            json_object_set_string_member (part, "text", b->text->str);
            data = json_object_new ();
            json_object_set_string_member (data, "item_id", b->item_id);
            json_object_set_int_member (data, "output_index", b->index);
            json_object_set_int_member (data, "summary_index", 0);
            json_object_set_object_member (data, "part", part);
            emit_responses (self, out, "response.reasoning_summary_part.done", data);
            item = _pm_responses_reasoning_item (b->item_id, b->text->str);
          }
        else
          {
            const char *args = b->text->len > 0 ? b->text->str : "{}";

            data = json_object_new ();
            json_object_set_string_member (data, "item_id", b->item_id);
            json_object_set_int_member (data, "output_index", b->index);
            json_object_set_string_member (data, "name", b->name);
            json_object_set_string_member (data, "arguments", args);
            emit_responses (self, out, "response.function_call_arguments.done", data);
            item = _pm_responses_call_item (b->item_id, b->call_id, b->name, args, "completed");
          }

        json_array_add_object_element (self->output, json_object_ref (item));
        data = json_object_new ();
        json_object_set_int_member (data, "output_index", b->index);
        json_object_set_object_member (data, "item", item);
        emit_responses (self, out, "response.output_item.done", data);
      }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
}

static Block *
open_block (PmStreamTranslator *self,
            GString            *out,
            BlockKind           kind,
            const char         *key,
            const char         *call_id,
            const char         *name)
{
  Block *b;

  ensure_started (self, out);
  close_block (self, out);

  b = g_new0 (Block, 1);
  b->kind = kind;
  b->text = g_string_new (NULL);
  b->index = self->next_index++;
  g_ptr_array_add (self->blocks, b);
  self->open = b;

  if (kind == BLOCK_TOOL)
    {
      b->key = g_strdup (key);
      if (self->to == PM_API_ANTHROPIC)
        b->call_id = _pm_anthropic_tool_id (call_id);
      else
        b->call_id = call_id && *call_id ? g_strdup (call_id) : _pm_make_id ("call_");
      if (self->tool_names != NULL && name != NULL && g_hash_table_contains (self->tool_names, name))
        b->name = g_strdup (g_hash_table_lookup (self->tool_names, name));
      else
        b->name = g_strdup (name ? name : "");
      b->tool_index = self->next_tool_index++;
      if (b->key != NULL)
        g_hash_table_replace (self->tools, b->key, b);
      self->saw_tool = TRUE;
    }

  switch (self->to)
    {
    case PM_API_ANTHROPIC:
      {
        JsonObject *data = json_object_new ();
        JsonObject *cb = json_object_new ();

        if (kind == BLOCK_TEXT)
          {
            json_object_set_string_member (cb, "type", "text");
            json_object_set_string_member (cb, "text", "");
          }
        else if (kind == BLOCK_THINKING)
          {
            json_object_set_string_member (cb, "type", "thinking");
            json_object_set_string_member (cb, "thinking", "");
            json_object_set_string_member (cb, "signature", "");
          }
        else
          {
            json_object_set_string_member (cb, "type", "tool_use");
            json_object_set_string_member (cb, "id", b->call_id);
            json_object_set_string_member (cb, "name", b->name);
            json_object_set_object_member (cb, "input", json_object_new ());
          }
        json_object_set_string_member (data, "type", "content_block_start");
        json_object_set_int_member (data, "index", b->index);
        json_object_set_object_member (data, "content_block", cb);
        emit (out, "content_block_start", data);
      }
      break;

    case PM_API_OPENAI_CHAT:
      if (kind == BLOCK_TOOL)
        {
          JsonObject *delta = json_object_new ();
          JsonArray *calls = json_array_new ();
          JsonObject *call = json_object_new ();
          JsonObject *fn = json_object_new ();

          json_object_set_string_member (fn, "name", b->name);
          json_object_set_string_member (fn, "arguments", "");
          json_object_set_int_member (call, "index", b->tool_index);
          json_object_set_string_member (call, "id", b->call_id);
          json_object_set_string_member (call, "type", "function");
          json_object_set_object_member (call, "function", fn);
          json_array_add_object_element (calls, call);
          json_object_set_array_member (delta, "tool_calls", calls);
          emit_chat_chunk (self, out, delta, NULL, NULL);
        }
      break;

    case PM_API_OPENAI_RESPONSES:
      {
        JsonObject *data = json_object_new ();
        JsonObject *item;

        if (kind == BLOCK_TEXT)
          {
            b->item_id = _pm_make_id (PM_SYNTH_MESSAGE_PREFIX);
            item = _pm_responses_message_item (b->item_id, NULL, "in_progress");
          }
        else if (kind == BLOCK_THINKING)
          {
            b->item_id = _pm_make_id (PM_SYNTH_REASONING_PREFIX);
            item = _pm_responses_reasoning_item (b->item_id, NULL);
          }
        else
          {
            b->item_id = _pm_make_id (PM_SYNTH_CALL_PREFIX);
            item = _pm_responses_call_item (b->item_id, b->call_id, b->name, "", "in_progress");
          }
        json_object_set_int_member (data, "output_index", b->index);
        json_object_set_object_member (data, "item", item);
        emit_responses (self, out, "response.output_item.added", data);

        if (kind == BLOCK_TEXT)
          {
            JsonObject *part = json_object_new ();

            json_object_set_string_member (part, "type", "output_text");
            json_object_set_string_member (part, "text", "");
            json_object_set_array_member (part, "annotations", json_array_new ());
            data = json_object_new ();
            json_object_set_string_member (data, "item_id", b->item_id);
            json_object_set_int_member (data, "output_index", b->index);
            json_object_set_int_member (data, "content_index", 0);
            json_object_set_object_member (data, "part", part);
            emit_responses (self, out, "response.content_part.added", data);
          }
        else if (kind == BLOCK_THINKING)
          {
            JsonObject *part = json_object_new ();

            json_object_set_string_member (part, "type", "summary_text");
            json_object_set_string_member (part, "text", "");
            data = json_object_new ();
            json_object_set_string_member (data, "item_id", b->item_id);
            json_object_set_int_member (data, "output_index", b->index);
            json_object_set_int_member (data, "summary_index", 0);
            json_object_set_object_member (data, "part", part);
            emit_responses (self, out, "response.reasoning_summary_part.added", data);
          }
      }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }

  return b;
}

/* Text or thinking: reuse the open block of that kind, or open one. */
static void
append_text (PmStreamTranslator *self,
             GString            *out,
             BlockKind           kind,
             const char         *text)
{
  Block *b = self->open;

  if (text == NULL || *text == '\0')
    return;
  if (b == NULL || b->kind != kind)
    b = open_block (self, out, kind, NULL, NULL, NULL);
  g_string_append (b->text, text);

  switch (self->to)
    {
    case PM_API_ANTHROPIC:
      {
        JsonObject *data = json_object_new ();
        JsonObject *delta = json_object_new ();

        if (kind == BLOCK_TEXT)
          {
            json_object_set_string_member (delta, "type", "text_delta");
            json_object_set_string_member (delta, "text", text);
          }
        else
          {
            json_object_set_string_member (delta, "type", "thinking_delta");
            json_object_set_string_member (delta, "thinking", text);
          }
        json_object_set_string_member (data, "type", "content_block_delta");
        json_object_set_int_member (data, "index", b->index);
        json_object_set_object_member (data, "delta", delta);
        emit (out, "content_block_delta", data);
      }
      break;

    case PM_API_OPENAI_CHAT:
      {
        JsonObject *delta = json_object_new ();

        json_object_set_string_member (delta, kind == BLOCK_TEXT ? "content" : "reasoning_content", text);
        emit_chat_chunk (self, out, delta, NULL, NULL);
      }
      break;

    case PM_API_OPENAI_RESPONSES:
      {
        JsonObject *data = json_object_new ();

        json_object_set_string_member (data, "item_id", b->item_id);
        json_object_set_int_member (data, "output_index", b->index);
        if (kind == BLOCK_TEXT)
          {
            json_object_set_int_member (data, "content_index", 0);
            json_object_set_string_member (data, "delta", text);
            json_object_set_array_member (data, "logprobs", json_array_new ());
            emit_responses (self, out, "response.output_text.delta", data);
          }
        else
          {
            json_object_set_int_member (data, "summary_index", 0);
            json_object_set_string_member (data, "delta", text);
            emit_responses (self, out, "response.reasoning_summary_text.delta", data);
          }
      }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
}

static void
append_args (PmStreamTranslator *self,
             GString            *out,
             Block              *b,
             const char         *fragment)
{
  if (b == NULL || fragment == NULL || *fragment == '\0')
    return;
  g_string_append (b->text, fragment);

  switch (self->to)
    {
    case PM_API_ANTHROPIC:
      {
        JsonObject *data = json_object_new ();
        JsonObject *delta = json_object_new ();

        json_object_set_string_member (delta, "type", "input_json_delta");
        json_object_set_string_member (delta, "partial_json", fragment);
        json_object_set_string_member (data, "type", "content_block_delta");
        json_object_set_int_member (data, "index", b->index);
        json_object_set_object_member (data, "delta", delta);
        emit (out, "content_block_delta", data);
      }
      break;

    case PM_API_OPENAI_CHAT:
      {
        JsonObject *delta = json_object_new ();
        JsonArray *calls = json_array_new ();
        JsonObject *call = json_object_new ();
        JsonObject *fn = json_object_new ();

        json_object_set_string_member (fn, "arguments", fragment);
        json_object_set_int_member (call, "index", b->tool_index);
        json_object_set_object_member (call, "function", fn);
        json_array_add_object_element (calls, call);
        json_object_set_array_member (delta, "tool_calls", calls);
        emit_chat_chunk (self, out, delta, NULL, NULL);
      }
      break;

    case PM_API_OPENAI_RESPONSES:
      if (!b->closed)
        {
          JsonObject *data = json_object_new ();

          json_object_set_string_member (data, "item_id", b->item_id);
          json_object_set_int_member (data, "output_index", b->index);
          json_object_set_string_member (data, "delta", fragment);
          emit_responses (self, out, "response.function_call_arguments.delta", data);
        }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
}

static void
set_stop_reason (PmStreamTranslator *self,
                 const char         *stop_reason)
{
  if (stop_reason == NULL)
    return;
  g_free (self->stop_reason);
  self->stop_reason = g_strdup (stop_reason);
}

static void
emit_done (PmStreamTranslator *self,
           GString            *out)
{
  const char *stop;

  if (self->done || self->errored)
    return;
  ensure_started (self, out);
  close_block (self, out);
  self->done = TRUE;

  stop = self->stop_reason ? self->stop_reason : "end_turn";
  if (self->saw_tool && g_str_equal (stop, "end_turn"))
    stop = "tool_use";

  switch (self->to)
    {
    case PM_API_ANTHROPIC:
      {
        JsonObject *data = json_object_new ();
        JsonObject *delta = json_object_new ();

        json_object_set_string_member (delta, "stop_reason", stop);
        json_object_set_null_member (delta, "stop_sequence");
        json_object_set_string_member (data, "type", "message_delta");
        json_object_set_object_member (data, "delta", delta);
        json_object_set_object_member (data, "usage",
                                       _pm_tokens_to_usage (&self->tokens, PM_API_ANTHROPIC));
        emit (out, "message_delta", data);

        data = json_object_new ();
        json_object_set_string_member (data, "type", "message_stop");
        emit (out, "message_stop", data);
      }
      break;

    case PM_API_OPENAI_CHAT:
      emit_chat_chunk (self, out, json_object_new (), _pm_stop_reason_to_finish (stop), NULL);
      if (self->chat_usage)
        emit_chat_chunk (self, out, NULL, NULL, _pm_tokens_to_usage (&self->tokens, PM_API_OPENAI_CHAT));
      _pm_sse_append (out, NULL, "[DONE]");
      break;

    case PM_API_OPENAI_RESPONSES:
      {
        const char *incomplete = NULL;
        JsonObject *data = json_object_new ();

        if (g_str_equal (stop, "max_tokens") || g_str_equal (stop, "model_context_window_exceeded"))
          incomplete = "max_output_tokens";
        else if (g_str_equal (stop, "refusal"))
          incomplete = "content_filter";
        json_object_set_object_member (data, "response",
                                       responses_snapshot (self, incomplete ? "incomplete" : "completed",
                                                           incomplete, TRUE));
        emit_responses (self, out, incomplete ? "response.incomplete" : "response.completed", data);
      }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
}

static void
emit_error (PmStreamTranslator *self,
            GString            *out,
            const char         *type,
            const char         *message)
{
  g_autofree char *text = NULL;

  if (self->done || self->errored)
    return;
  self->errored = TRUE;
  if (self->to == PM_API_OPENAI_RESPONSES)
    {
      _pm_responses_error_events (out, type ? type : "api_error", message ? message : "Upstream error",
                                  &self->sequence,
                                  self->started ? responses_snapshot (self, "failed", NULL, FALSE) : NULL);
      return;
    }
  text = pm_error_event (self->to, type ? type : "api_error", message ? message : "Upstream error");
  g_string_append (out, text);
}

/* ----------------------------------------------------------------------------------------- */
/* Reading upstream events                                                                    */

static void
feed_anthropic (PmStreamTranslator *self,
                const char         *event,
                JsonObject         *data,
                GString            *out)
{
  const char *type = _pm_json_get_string (data, "type");
  gint64 index = _pm_json_get_int (data, "index", -1);
  g_autofree char *key = g_strdup_printf ("a%" G_GINT64_FORMAT, index);

  if (type == NULL)
    type = event;
  if (type == NULL)
    return;

  if (g_str_equal (type, "message_start"))
    {
      JsonObject *message = _pm_json_get_object (data, "message");

      g_free (self->id);
      self->id = g_strdup (_pm_json_get_string (message, "id"));
      _pm_tokens_from_usage (&self->tokens, PM_API_ANTHROPIC, _pm_json_get_object (message, "usage"));
      ensure_started (self, out);
    }
  else if (g_str_equal (type, "content_block_start"))
    {
      JsonObject *cb = _pm_json_get_object (data, "content_block");
      const char *cbtype = _pm_json_get_string (cb, "type");

      if (g_strcmp0 (cbtype, "text") == 0)
        {
          open_block (self, out, BLOCK_TEXT, NULL, NULL, NULL);
          append_text (self, out, BLOCK_TEXT, _pm_json_get_string (cb, "text"));
        }
      else if (g_strcmp0 (cbtype, "thinking") == 0)
        {
          open_block (self, out, BLOCK_THINKING, NULL, NULL, NULL);
          append_text (self, out, BLOCK_THINKING, _pm_json_get_string (cb, "thinking"));
        }
      else if (g_strcmp0 (cbtype, "tool_use") == 0)
        {
          JsonObject *input = _pm_json_get_object (cb, "input");
          Block *b = open_block (self, out, BLOCK_TOOL, key, _pm_json_get_string (cb, "id"),
                                 _pm_json_get_string (cb, "name"));

          if (input != NULL && json_object_get_size (input) > 0)
            {
              g_autofree char *args = _pm_json_object_to_string (input);

              append_args (self, out, b, args);
            }
        }
      else
        {
          /* redacted_thinking, server_tool_use, web_search_tool_result: not for other APIs. */
          g_hash_table_add (self->ignored, GINT_TO_POINTER ((int) index));
        }
    }
  else if (g_str_equal (type, "content_block_delta"))
    {
      JsonObject *delta = _pm_json_get_object (data, "delta");
      const char *dtype = _pm_json_get_string (delta, "type");

      if (g_hash_table_contains (self->ignored, GINT_TO_POINTER ((int) index)))
        return;
      if (g_strcmp0 (dtype, "text_delta") == 0)
        append_text (self, out, BLOCK_TEXT, _pm_json_get_string (delta, "text"));
      else if (g_strcmp0 (dtype, "thinking_delta") == 0)
        append_text (self, out, BLOCK_THINKING, _pm_json_get_string (delta, "thinking"));
      else if (g_strcmp0 (dtype, "input_json_delta") == 0)
        append_args (self, out, g_hash_table_lookup (self->tools, key),
                     _pm_json_get_string (delta, "partial_json"));
      /* signature_delta: model-bound, never sent to another API. citations_delta: dropped. */
    }
  else if (g_str_equal (type, "content_block_stop"))
    {
      if (!g_hash_table_contains (self->ignored, GINT_TO_POINTER ((int) index)))
        close_block (self, out);
    }
  else if (g_str_equal (type, "message_delta"))
    {
      JsonObject *delta = _pm_json_get_object (data, "delta");

      set_stop_reason (self, _pm_json_get_string (delta, "stop_reason"));
      _pm_tokens_from_usage (&self->tokens, PM_API_ANTHROPIC, _pm_json_get_object (data, "usage"));
    }
  else if (g_str_equal (type, "message_stop"))
    {
      emit_done (self, out);
    }
  else if (g_str_equal (type, "error"))
    {
      JsonObject *err = _pm_json_get_object (data, "error");

      emit_error (self, out, _pm_json_get_string (err, "type"), _pm_json_get_string (err, "message"));
    }
  /* ping: nothing to say. */
}

static void
feed_chat (PmStreamTranslator *self,
           JsonObject         *data,
           GString            *out)
{
  JsonArray *choices = _pm_json_get_array (data, "choices");
  JsonObject *usage = _pm_json_get_object (data, "usage");
  JsonObject *err = _pm_json_get_object (data, "error");

  if (err != NULL)
    {
      emit_error (self, out,
                  _pm_error_type_from_openai (_pm_json_get_string (err, "type"),
                                              _pm_json_get_string (err, "code"), 500),
                  _pm_json_get_string (err, "message"));
      return;
    }

  if (!self->started && _pm_json_get_string (data, "id") != NULL)
    {
      g_free (self->id);
      self->id = g_strdup (_pm_json_get_string (data, "id"));
    }
  ensure_started (self, out);

  if (usage != NULL)
    _pm_tokens_from_usage (&self->tokens, PM_API_OPENAI_CHAT, usage);

  for (guint i = 0; choices != NULL && i < json_array_get_length (choices); i++)
    {
      JsonObject *choice = _pm_json_array_get_object (choices, i);
      JsonObject *delta = _pm_json_get_object (choice, "delta");
      JsonArray *calls = _pm_json_get_array (delta, "tool_calls");
      const char *reasoning = _pm_json_get_string (delta, "reasoning_content");
      const char *finish = _pm_json_get_string (choice, "finish_reason");

      if (_pm_json_get_int (choice, "index", 0) != 0)
        continue;
      if (reasoning == NULL)
        reasoning = _pm_json_get_string (delta, "reasoning");
      append_text (self, out, BLOCK_THINKING, reasoning);
      append_text (self, out, BLOCK_TEXT, _pm_json_get_string (delta, "content"));

      for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
        {
          JsonObject *call = _pm_json_array_get_object (calls, j);
          JsonObject *fn = _pm_json_get_object (call, "function");
          g_autofree char *key = g_strdup_printf ("c%" G_GINT64_FORMAT, _pm_json_get_int (call, "index", j));
          Block *b = g_hash_table_lookup (self->tools, key);
          const char *id = _pm_json_get_string (call, "id");

          /* Some servers (Gemini's compatible endpoint among them) leave out the index: a
           * fragment with a new id starts a new call even under an index already seen. */
          if (b == NULL || (id != NULL && *id != '\0' && g_strcmp0 (id, b->call_id) != 0))
            b = open_block (self, out, BLOCK_TOOL, key, id, _pm_json_get_string (fn, "name"));
          append_args (self, out, b, _pm_json_get_string (fn, "arguments"));
        }

      if (finish != NULL)
        set_stop_reason (self, _pm_finish_to_stop_reason (finish));
    }
}

static void
feed_responses (PmStreamTranslator *self,
                const char         *event,
                JsonObject         *data,
                GString            *out)
{
  const char *type = _pm_json_get_string (data, "type");
  gint64 output_index = _pm_json_get_int (data, "output_index", -1);
  g_autofree char *key = g_strdup_printf ("r%" G_GINT64_FORMAT, output_index);

  if (type == NULL)
    type = event;
  if (type == NULL)
    return;

  if (g_str_equal (type, "response.created"))
    {
      JsonObject *response = _pm_json_get_object (data, "response");

      g_free (self->id);
      self->id = g_strdup (_pm_json_get_string (response, "id"));
      ensure_started (self, out);
    }
  else if (g_str_equal (type, "response.output_item.added"))
    {
      JsonObject *item = _pm_json_get_object (data, "item");

      if (g_strcmp0 (_pm_json_get_string (item, "type"), "function_call") == 0)
        {
          Block *b = open_block (self, out, BLOCK_TOOL, key, _pm_json_get_string (item, "call_id"),
                                 _pm_json_get_string (item, "name"));

          append_args (self, out, b, _pm_json_get_string (item, "arguments"));
        }
    }
  else if (g_str_equal (type, "response.output_text.delta") ||
           g_str_equal (type, "response.refusal.delta"))
    {
      append_text (self, out, BLOCK_TEXT, _pm_json_get_string (data, "delta"));
    }
  else if (g_str_equal (type, "response.reasoning_summary_text.delta") ||
           g_str_equal (type, "response.reasoning_text.delta"))
    {
      append_text (self, out, BLOCK_THINKING, _pm_json_get_string (data, "delta"));
    }
  else if (g_str_equal (type, "response.function_call_arguments.delta"))
    {
      append_args (self, out, g_hash_table_lookup (self->tools, key), _pm_json_get_string (data, "delta"));
    }
  else if (g_str_equal (type, "response.function_call_arguments.done"))
    {
      Block *b = g_hash_table_lookup (self->tools, key);

      if (b != NULL && b->text->len == 0)
        append_args (self, out, b, _pm_json_get_string (data, "arguments"));
    }
  else if (g_str_equal (type, "response.output_item.done"))
    {
      JsonObject *item = _pm_json_get_object (data, "item");
      const char *itype = _pm_json_get_string (item, "type");
      Block *b = g_hash_table_lookup (self->tools, key);

      if (g_strcmp0 (itype, "function_call") == 0)
        {
          if (b == NULL)
            b = open_block (self, out, BLOCK_TOOL, key, _pm_json_get_string (item, "call_id"),
                            _pm_json_get_string (item, "name"));
          if (b->text->len == 0)
            append_args (self, out, b, _pm_json_get_string (item, "arguments"));
          if (self->open == b)
            close_block (self, out);
        }
      else if (g_strcmp0 (itype, "message") == 0)
        {
          if (self->open != NULL && self->open->kind == BLOCK_TEXT)
            close_block (self, out);
        }
      else if (g_strcmp0 (itype, "reasoning") == 0)
        {
          if (self->open != NULL && self->open->kind == BLOCK_THINKING)
            close_block (self, out);
        }
    }
  else if (g_str_equal (type, "response.completed") || g_str_equal (type, "response.incomplete"))
    {
      JsonObject *response = _pm_json_get_object (data, "response");
      JsonObject *incomplete = _pm_json_get_object (response, "incomplete_details");

      _pm_tokens_from_usage (&self->tokens, PM_API_OPENAI_RESPONSES, _pm_json_get_object (response, "usage"));
      if (g_str_equal (type, "response.incomplete"))
        set_stop_reason (self, g_strcmp0 (_pm_json_get_string (incomplete, "reason"), "content_filter") == 0
                               ? "refusal" : "max_tokens");
      emit_done (self, out);
    }
  else if (g_str_equal (type, "response.failed"))
    {
      JsonObject *response = _pm_json_get_object (data, "response");
      JsonObject *err = _pm_json_get_object (response, "error");

      emit_error (self, out,
                  _pm_error_type_from_openai (NULL, _pm_json_get_string (err, "code"), 500),
                  _pm_json_get_string (err, "message"));
    }
  else if (g_str_equal (type, "error"))
    {
      emit_error (self, out,
                  _pm_error_type_from_openai (NULL, _pm_json_get_string (data, "code"), 500),
                  _pm_json_get_string (data, "message"));
    }
}

gboolean
pm_stream_translator_feed (PmStreamTranslator  *self,
                           const char          *event,
                           const char          *data,
                           GString             *out,
                           GError             **error)
{
  g_autoptr(JsonObject) object = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (self->from == self->to)
    {
      _pm_sse_append (out, event, data);
      return TRUE;
    }

  if (data == NULL || *data == '\0')
    return TRUE;

  while (g_ascii_isspace (*data))
    data++;
  if (self->from == PM_API_OPENAI_CHAT && strncmp (data, "[DONE]", 6) == 0)
    {
      emit_done (self, out);
      return TRUE;
    }

  object = _pm_json_parse_object (data, -1);
  if (object == NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_UPSTREAM,
                   "The upstream sent a stream event that is not JSON (event %s)",
                   event ? event : "(none)");
      return FALSE;
    }

  if (self->done || self->errored)
    return TRUE;

  switch (self->from)
    {
    case PM_API_ANTHROPIC:
      feed_anthropic (self, event, object, out);
      break;
    case PM_API_OPENAI_CHAT:
      feed_chat (self, object, out);
      break;
    case PM_API_OPENAI_RESPONSES:
      feed_responses (self, event, object, out);
      break;
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

void
pm_stream_translator_finish (PmStreamTranslator *self,
                             GString            *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  if (self->from == self->to || self->done || self->errored)
    return;

  /* A Chat upstream that gave a finish_reason but no [DONE] ended cleanly enough; anything
   * else is a cut stream and the client hears so in its own format. */
  if (self->stop_reason != NULL)
    emit_done (self, out);
  else
    emit_error (self, out, "api_error", "The upstream stream ended before the response was complete");
}

void
pm_stream_translator_set_client_request (PmStreamTranslator *self,
                                         JsonNode           *client_body)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->tool_names, g_hash_table_unref);
  if (client_body != NULL && self->from != self->to)
    self->tool_names = _pm_tool_name_map (client_body);
}

void
pm_stream_translator_set_chat_usage (PmStreamTranslator *self,
                                     gboolean            include)
{
  g_return_if_fail (self != NULL);

  self->chat_usage = include;
}

gboolean
pm_stream_translator_is_done (PmStreamTranslator *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->done || self->errored;
}
