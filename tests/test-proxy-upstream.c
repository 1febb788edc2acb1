/* test-proxy-upstream.c — the scripted upstream speaks each API faithfully (over loopback)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-sim-upstream.h"
#include "test-proxy-common.h"

typedef struct
{
  PmSimUpstream *sim;
  char          *url;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (f->sim, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pm_sim_upstream_get_port (f->sim), >, 0);
  f->url = pm_sim_upstream_dup_url (f->sim);
  g_assert_true (g_str_has_prefix (f->url, "http://127.0.0.1:"));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->url, g_free);
  pm_sim_upstream_stop (f->sim);
  g_assert_finalize_object (f->sim);
}

static const char *
ev_name (TestResponse *r,
         guint         i)
{
  return ((TestEvent *) g_ptr_array_index (r->events, i))->event;
}

static void
test_anthropic_stream (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Let me look at the file.");
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(GString) args = g_string_new (NULL);
  g_autofree char *text = NULL;
  gboolean saw_signature = FALSE;
  gint thinking_index = -1;
  gint tool_index = -1;
  guint n;

  pm_sim_reply_set_thinking (reply, "The user wants the file read first.");
  pm_sim_reply_add_tool_call (reply, "Read", "{\"file_path\":\"/tmp/a.c\",\"limit\":20}");
  pm_sim_reply_set_chunk_size (reply, 5);
  pm_sim_upstream_push_reply (f->sim, reply);

  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1000,\"stream\":true,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"read a.c\"}]}",
                 NULL, NULL);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "text/event-stream");
  g_assert_nonnull (soup_message_headers_get_one (r->headers, "request-id"));

  n = r->events->len;
  g_assert_cmpuint (n, >, 8);
  g_assert_cmpstr (ev_name (r, 0), ==, "message_start");
  g_assert_cmpstr (ev_name (r, n - 2), ==, "message_delta");
  g_assert_cmpstr (ev_name (r, n - 1), ==, "message_stop");

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonNode) holder = NULL;
      JsonObject *o = test_event_json (r, i, &holder);

      /* Every event's data carries its own name as "type". */
      g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, ev_name (r, i));

      if (g_str_equal (ev_name (r, i), "content_block_start"))
        {
          JsonObject *block = json_object_get_object_member (o, "content_block");
          const char *type = json_object_get_string_member (block, "type");

          if (g_str_equal (type, "thinking"))
            thinking_index = json_object_get_int_member (o, "index");
          else if (g_str_equal (type, "tool_use"))
            {
              tool_index = json_object_get_int_member (o, "index");
              g_assert_cmpstr (json_object_get_string_member (block, "name"), ==, "Read");
              g_assert_true (g_str_has_prefix (json_object_get_string_member (block, "id"), "toolu_"));
            }
        }
      else if (g_str_equal (ev_name (r, i), "content_block_delta"))
        {
          JsonObject *delta = json_object_get_object_member (o, "delta");
          const char *type = json_object_get_string_member (delta, "type");

          if (g_str_equal (type, "input_json_delta"))
            {
              g_assert_cmpint (json_object_get_int_member (o, "index"), ==, tool_index);
              g_string_append (args, json_object_get_string_member (delta, "partial_json"));
            }
          else if (g_str_equal (type, "signature_delta"))
            {
              saw_signature = TRUE;
              g_assert_cmpint (json_object_get_int_member (o, "index"), ==, thinking_index);
            }
        }
      else if (g_str_equal (ev_name (r, i), "message_delta"))
        {
          JsonObject *usage = json_object_get_object_member (o, "usage");

          g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "delta"), "stop_reason"),
                           ==, "tool_use");
          g_assert_cmpint (json_object_get_int_member (usage, "output_tokens"), >, 1);
          g_assert_true (json_object_has_member (usage, "cache_read_input_tokens"));
        }
      else if (g_str_equal (ev_name (r, i), "message_start"))
        {
          JsonObject *message = json_object_get_object_member (o, "message");

          g_assert_cmpstr (json_object_get_string_member (message, "model"), ==, "claude-sonnet-4-5");
          g_assert_cmpuint (json_array_get_length (json_object_get_array_member (message, "content")), ==, 0);
          g_assert_true (json_object_has_member (json_object_get_object_member (message, "usage"), "cache_creation_input_tokens"));
        }
    }

  g_assert_cmpint (thinking_index, ==, 0);
  g_assert_cmpint (tool_index, ==, 2);
  g_assert_true (saw_signature);
  g_assert_cmpstr (args->str, ==, "{\"file_path\":\"/tmp/a.c\",\"limit\":20}");
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Let me look at the file.");
  g_assert_cmpuint (pm_sim_upstream_get_n_streams_done (f->sim), ==, 1);
}

static void
test_chat_stream (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Sure.");
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(TestResponse) r2 = NULL;
  g_autoptr(GString) args = g_string_new (NULL);
  g_autoptr(JsonNode) holder = NULL;
  JsonObject *o;
  guint n;

  pm_sim_reply_add_tool_call (reply, "bash", "{\"command\":\"ls -la\"}");
  pm_sim_reply_set_chunk_size (reply, 4);
  pm_sim_upstream_push_reply (f->sim, reply);

  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"gpt-5-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"list\"}]}",
                 NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  n = r->events->len;
  g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, n - 1))->data, ==, "[DONE]");

  /* The chunk before [DONE]: choices empty, usage present. */
  o = test_event_json (r, n - 2, &holder);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "choices")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "usage"), "prompt_tokens"), >, 0);
  g_clear_pointer (&holder, json_node_unref);

  o = test_event_json (r, 0, &holder);
  g_assert_cmpstr (json_object_get_string_member (o, "object"), ==, "chat.completion.chunk");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_array_get_object_element (json_object_get_array_member (o, "choices"), 0), "delta"), "role"),
                   ==, "assistant");
  g_clear_pointer (&holder, json_node_unref);

  for (guint i = 0; i < n - 2; i++)
    {
      JsonObject *choice;
      JsonObject *delta;

      o = test_event_json (r, i, &holder);
      g_assert_null (ev_name (r, i));
      choice = json_array_get_object_element (json_object_get_array_member (o, "choices"), 0);
      delta = json_object_get_object_member (choice, "delta");
      if (json_object_has_member (delta, "tool_calls"))
        {
          JsonObject *call = json_array_get_object_element (json_object_get_array_member (delta, "tool_calls"), 0);
          JsonObject *function = json_object_get_object_member (call, "function");

          g_assert_cmpint (json_object_get_int_member (call, "index"), ==, 0);
          if (args->len == 0 && json_object_has_member (call, "id"))
            g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "bash");
          else
            g_assert_false (json_object_has_member (function, "name"));
          g_string_append (args, json_object_get_string_member (function, "arguments"));
        }
      if (i == n - 3)
        g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, "tool_calls");
      g_clear_pointer (&holder, json_node_unref);
    }
  g_assert_cmpstr (args->str, ==, "{\"command\":\"ls -la\"}");

  /* Without include_usage: no usage anywhere. */
  r2 = test_post (f->url, "/v1/chat/completions",
                  "{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                  NULL, NULL);
  g_assert_cmpuint (r2->status, ==, 200);
  g_assert_null (strstr (r2->body->str, "\"usage\""));
  g_assert_nonnull (strstr (r2->body->str, "data: [DONE]\n\n"));
}

static void
test_responses_stream (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Patched the bug.");
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) holder = NULL;
  g_autofree char *text = NULL;
  JsonObject *o;
  JsonObject *usage;
  guint n;

  pm_sim_reply_set_thinking (reply, "Off-by-one in the loop.");
  pm_sim_reply_add_tool_call (reply, "apply_patch", "{\"input\":\"*** Begin Patch\"}");
  pm_sim_upstream_push_reply (f->sim, reply);

  r = test_post (f->url, "/v1/responses",
                 "{\"model\":\"gpt-5\",\"stream\":true,\"store\":false,\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"},"
                 "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"fix\"}]}]}",
                 NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  n = r->events->len;
  g_assert_cmpstr (ev_name (r, 0), ==, "response.created");
  g_assert_cmpstr (ev_name (r, 1), ==, "response.in_progress");
  g_assert_cmpstr (ev_name (r, n - 1), ==, "response.completed");
  g_assert_null (strstr (r->body->str, "[DONE]"));

  for (guint i = 0; i < n; i++)
    {
      o = test_event_json (r, i, &holder);
      g_assert_cmpint (json_object_get_int_member (o, "sequence_number"), ==, i);
      g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, ev_name (r, i));
      g_clear_pointer (&holder, json_node_unref);
    }

  o = test_event_json (r, n - 1, &holder);
  usage = json_object_get_object_member (json_object_get_object_member (o, "response"), "usage");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (usage, "output_tokens_details"),
                                               "reasoning_tokens"), >, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_object_get_object_member (o, "response"), "output")), ==, 3);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Patched the bug.");
  g_assert_nonnull (strstr (r->body->str, "event: response.function_call_arguments.delta"));
  g_assert_nonnull (strstr (r->body->str, "event: response.reasoning_summary_text.delta"));
}

static void
test_non_streamed (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TestResponse) a = NULL;
  g_autoptr(TestResponse) c = NULL;
  g_autoptr(TestResponse) s = NULL;
  g_autoptr(TestResponse) count = NULL;
  g_autoptr(JsonNode) na = NULL;
  g_autoptr(JsonNode) nc = NULL;
  g_autoptr(JsonNode) ns = NULL;
  g_autoptr(JsonNode) ncount = NULL;
  JsonObject *o;

  a = test_post (f->url, "/v1/messages",
                 "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                 NULL, NULL);
  g_assert_cmpuint (a->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (a->headers, NULL), ==, "application/json");
  na = test_response_json (a);
  o = json_node_get_object (na);
  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (o, "stop_reason"), ==, "end_turn");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (o, "content"), 0), "text"),
                   ==, "Hello from the simulated upstream.");

  c = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"gpt-5-nano\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", NULL, NULL);
  g_assert_cmpuint (c->status, ==, 200);
  nc = test_response_json (c);
  o = json_node_get_object (nc);
  g_assert_cmpstr (json_object_get_string_member (o, "object"), ==, "chat.completion");
  g_assert_true (json_object_has_member (json_object_get_object_member (o, "usage"), "prompt_tokens_details"));

  s = test_post (f->url, "/v1/responses", "{\"model\":\"gpt-5\",\"input\":\"hi\"}", NULL, NULL);
  g_assert_cmpuint (s->status, ==, 200);
  ns = test_response_json (s);
  o = json_node_get_object (ns);
  g_assert_cmpstr (json_object_get_string_member (o, "object"), ==, "response");
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "completed");

  count = test_post (f->url, "/v1/messages/count_tokens",
                     "{\"model\":\"claude-haiku-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}", NULL, NULL);
  g_assert_cmpuint (count->status, ==, 200);
  ncount = test_response_json (count);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (ncount), "input_tokens"), >, 0);

  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 4);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/messages/count_tokens");
}

static char *
big_anthropic_body (const char *last_user)
{
  g_autofree char *system = g_strnfill (8000, 's');

  return g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,"
                          "\"system\":[{\"type\":\"text\",\"text\":\"%s\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                          system, last_user);
}

static void
test_cache_behaviour (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *body1 = big_anthropic_body ("first question");
  g_autofree char *body2 = big_anthropic_body ("second question");
  g_autofree char *small = g_strdup ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"system\":[{\"type\":\"text\",\"text\":\"short\",\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
  g_autofree char *chat = NULL;
  g_autofree char *filler = g_strnfill (6000, 'c');
  gint64 input, read, write, output, reasoning;

  /* Anthropic: the first request writes the system prefix, the second reads it. */
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/messages", body1, NULL, NULL);
    g_autoptr(JsonNode) n = test_response_json (r);
    JsonObject *usage = json_object_get_object_member (json_node_get_object (n), "usage");

    pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
    g_assert_cmpint (read, ==, 0);
    g_assert_cmpint (write, >=, 1024);
    g_assert_cmpint (json_object_get_int_member (usage, "cache_creation_input_tokens"), ==, write);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (usage, "cache_creation"),
                                                 "ephemeral_5m_input_tokens"), ==, write);
    g_assert_cmpint (json_object_get_int_member (usage, "input_tokens"), ==, input);
    g_assert_cmpint (input, >, 0);
  }
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/messages", body2, NULL, NULL);
    g_autoptr(JsonNode) n = test_response_json (r);
    JsonObject *usage = json_object_get_object_member (json_node_get_object (n), "usage");
    gint64 prev_write = write;

    pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
    g_assert_cmpint (read, ==, prev_write);
    g_assert_cmpint (write, ==, 0);
    g_assert_cmpint (json_object_get_int_member (usage, "cache_read_input_tokens"), ==, read);
  }
  /* A different model has its own cache. */
  {
    g_autofree char *other = g_strdup (body2);
    g_autoptr(TestResponse) r = NULL;

    memcpy (strstr (other, "claude-sonnet-4-5"), "claude-haiku-4-5 ", 17);
    r = test_post (f->url, "/v1/messages", other, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
    g_assert_cmpint (read, ==, 0);
  }
  /* Below the minimum prefix nothing is cached. */
  {
    g_autoptr(TestResponse) r1 = test_post (f->url, "/v1/messages", small, NULL, NULL);
    g_autoptr(TestResponse) r2 = test_post (f->url, "/v1/messages", small, NULL, NULL);

    pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
    g_assert_cmpint (read, ==, 0);
    g_assert_cmpint (write, ==, 0);
  }

  /* OpenAI: automatic, in 128-token steps from 1024. */
  chat = g_strdup_printf ("{\"model\":\"gpt-5\",\"messages\":[{\"role\":\"system\",\"content\":\"%s\"},"
                          "{\"role\":\"user\",\"content\":\"q\"}]}", filler);
  {
    g_autoptr(TestResponse) r1 = test_post (f->url, "/v1/chat/completions", chat, NULL, NULL);
    g_autoptr(TestResponse) r2 = NULL;
    g_autoptr(JsonNode) n = NULL;
    JsonObject *usage;

    pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
    g_assert_cmpint (read, ==, 0);
    r2 = test_post (f->url, "/v1/chat/completions", chat, NULL, NULL);
    n = test_response_json (r2);
    usage = json_object_get_object_member (json_node_get_object (n), "usage");
    pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
    g_assert_cmpint (read, >=, 1024);
    g_assert_cmpint ((read - 1024) % 128, ==, 0);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (usage, "prompt_tokens_details"), "cached_tokens"),
                     ==, read);
    g_assert_cmpint (json_object_get_int_member (usage, "prompt_tokens"), ==, input + read);
  }

  pm_sim_upstream_reset_cache (f->sim);
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions", chat, NULL, NULL);

    pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
    g_assert_cmpint (read, ==, 0);
  }
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  const char *anthropic = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[]}";
  const char *chat = "{\"model\":\"gpt-5\",\"messages\":[]}";

  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) n = NULL;
    JsonObject *error;

    pm_sim_reply_set_error (reply, 429, "rate_limit_error", "Number of requests has exceeded your rate limit", 7);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/messages", anthropic, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 429);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "retry-after"), ==, "7");
    n = test_response_json (r);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (n), "type"), ==, "error");
    error = json_object_get_object_member (json_node_get_object (n), "error");
    g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, "rate_limit_error");
  }
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) n = NULL;
    JsonObject *error;

    pm_sim_reply_set_error (reply, 500, "server_error", "Something broke", 0);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/chat/completions", chat, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 500);
    n = test_response_json (r);
    error = json_object_get_object_member (json_node_get_object (n), "error");
    g_assert_cmpstr (json_object_get_string_member (error, "message"), ==, "Something broke");
    g_assert_true (json_object_has_member (error, "param"));
  }
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/responses", "{not json", NULL, NULL);

    g_assert_cmpuint (r->status, ==, 400);
    g_assert_nonnull (strstr (r->body->str, "invalid_request_error"));
  }

  pm_sim_upstream_set_required_key (f->sim, "test-key-not-real-1234");
  {
    const char *wrong[] = { "x-api-key", "test-key-wrong", NULL };
    const char *right[] = { "x-api-key", "test-key-not-real-1234", NULL };
    const char *bearer[] = { "authorization", "Bearer test-key-not-real-1234", NULL };
    g_autoptr(TestResponse) r4 = test_post (f->url, "/v1/messages/count_tokens", anthropic, NULL, wrong);
    g_autoptr(TestResponse) r1 = test_post (f->url, "/v1/messages", anthropic, NULL, wrong);
    g_autoptr(TestResponse) r2 = test_post (f->url, "/v1/messages", anthropic, NULL, right);
    g_autoptr(TestResponse) r3 = test_post (f->url, "/v1/chat/completions", chat, NULL, bearer);

    g_assert_cmpuint (r1->status, ==, 401);
    g_assert_nonnull (strstr (r1->body->str, "authentication_error"));
    g_assert_cmpuint (r4->status, ==, 401);
    g_assert_cmpuint (r2->status, ==, 200);
    g_assert_cmpuint (r3->status, ==, 200);
    g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer test-key-not-real-1234");
  }
}

static void
test_delays_stream_incrementally (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("one two three four five six");
  g_autoptr(TestResponse) r = NULL;

  pm_sim_reply_set_delays (reply, 20, 40);
  pm_sim_upstream_push_reply (f->sim, reply);
  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[]}",
                 f->sim, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpint (r->streams_done_at_first_event, ==, 0);
  g_assert_cmpint (r->events_sent_at_first_event, <, (gint) r->events->len);
  g_assert_cmpuint (pm_sim_upstream_get_n_streams_done (f->sim), ==, 1);
}

static void
test_mid_stream_failures (Fixture       *f,
                          gconstpointer  data)
{
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("this will not finish");
    g_autoptr(TestResponse) r = NULL;
    TestEvent *last;

    pm_sim_reply_set_fail (reply, PM_SIM_FAIL_ERROR_EVENT, 3);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/messages",
                   "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[]}", NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (r->events->len, ==, 4);
    last = g_ptr_array_index (r->events, 3);
    g_assert_cmpstr (last->event, ==, "error");
    g_assert_nonnull (strstr (last->data, "overloaded_error"));
    g_assert_null (strstr (r->body->str, "message_stop"));
  }
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("this will be cut");
    g_autoptr(TestResponse) r = NULL;

    pm_sim_reply_set_fail (reply, PM_SIM_FAIL_DROP, 2);
    pm_sim_reply_set_delays (reply, 0, 10);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/chat/completions",
                   "{\"model\":\"gpt-5\",\"stream\":true,\"messages\":[]}", NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (r->events->len, <=, 2);
    g_assert_null (strstr (r->body->str, "[DONE]"));
  }
}

/* A reply longer than the request allows is cut at the limit, with each API's stop signal. */
static void
test_output_limit (Fixture       *f,
                   gconstpointer  data)
{
  const char *long_text = "This answer goes on and on, far past the few tokens the request allows for it.";

  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (long_text);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) n = NULL;
    JsonObject *o;

    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/messages",
                   "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                   NULL, NULL);
    n = test_response_json (r);
    o = json_node_get_object (n);
    g_assert_cmpstr (json_object_get_string_member (o, "stop_reason"), ==, "max_tokens");
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "usage"), "output_tokens"), ==, 5);
    g_assert_cmpuint (strlen (json_object_get_string_member (json_array_get_object_element (
                        json_object_get_array_member (o, "content"), 0), "text")), <=, 20);
  }
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (long_text);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) holder = NULL;
    JsonObject *o;

    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/chat/completions",
                   "{\"model\":\"gpt-5-mini\",\"max_completion_tokens\":4,\"stream\":true,"
                   "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                   NULL, NULL);
    o = test_event_json (r, r->events->len - 3, &holder);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (o, "choices"), 0),
                                                    "finish_reason"), ==, "length");
  }
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (long_text);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) holder = NULL;
    JsonObject *o;
    TestEvent *last;

    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/responses",
                   "{\"model\":\"gpt-5\",\"max_output_tokens\":6,\"stream\":true,\"input\":\"x\"}", NULL, NULL);
    last = g_ptr_array_index (r->events, r->events->len - 1);
    g_assert_cmpstr (last->event, ==, "response.incomplete");
    o = test_event_json (r, r->events->len - 1, &holder);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_object_get_object_member (o, "response"),
                                                                                   "incomplete_details"), "reason"),
                     ==, "max_output_tokens");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/pm/sim-upstream/anthropic-stream", test_anthropic_stream);
  ADD ("/pm/sim-upstream/chat-stream", test_chat_stream);
  ADD ("/pm/sim-upstream/responses-stream", test_responses_stream);
  ADD ("/pm/sim-upstream/non-streamed", test_non_streamed);
  ADD ("/pm/sim-upstream/cache", test_cache_behaviour);
  ADD ("/pm/sim-upstream/errors", test_errors);
  ADD ("/pm/sim-upstream/stream-incremental", test_delays_stream_incrementally);
  ADD ("/pm/sim-upstream/mid-stream-failures", test_mid_stream_failures);
  ADD ("/pm/sim-upstream/output-limit", test_output_limit);
#undef ADD

  return g_test_run ();
}
