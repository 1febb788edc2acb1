/* test-translate-upstream.c — every upstream kind, over loopback against the scripted upstream
 *
 * Each case does what the proxy does with one request: translate the client's body for the
 * provider's API and preset, POST it to PmSimUpstream over HTTP, run the upstream's SSE through
 * PmSseParser and PmStreamTranslator, and check both sides: what the upstream received (the
 * provider's own dialect) and what the client gets back (its own API, reassembled with the
 * grammar checks of test-translate-common.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>

#include "pm-sim-upstream.h"
#include "pm-sse.h"
#include "test-translate-common.h"

#define TEST_KEY "test-key-not-real-1234"

typedef struct
{
  PmSimUpstream *sim;
  SoupSession   *session;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->sim = pm_sim_upstream_new ();
  pm_sim_upstream_start (f->sim, 0, &error);
  g_assert_no_error (error);
  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  pm_sim_upstream_stop (f->sim);
  g_clear_object (&f->session);
  g_clear_object (&f->sim);
}

static const char *
api_path (PmApi api)
{
  switch (api)
    {
    case PM_API_ANTHROPIC:
      return "/v1/messages";
    case PM_API_OPENAI_CHAT:
      return "/v1/chat/completions";
    case PM_API_OPENAI_RESPONSES:
      return "/v1/responses";
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

typedef struct
{
  GInputStream *stream;
  GBytes       *bytes;
  GError       *error;
  gboolean      done;
} SendData;

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendData *d = user_data;

  d->stream = soup_session_send_finish (SOUP_SESSION (source), result, &d->error);
  d->done = TRUE;
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendData *d = user_data;

  d->bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &d->error);
  d->done = TRUE;
}

/* Read the whole body as it arrives; a connection the upstream drops ends it early (*dropped). */
static GBytes *
read_all (GInputStream *stream,
          gboolean     *dropped)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();

  *dropped = FALSE;
  for (;;)
    {
      SendData d = { 0 };

      g_input_stream_read_bytes_async (stream, 4096, G_PRIORITY_DEFAULT, NULL, read_cb, &d);
      g_assert_true (pm_test_wait_for (&d.done, 20000));
      if (d.error != NULL)
        {
          *dropped = TRUE;
          g_clear_error (&d.error);
          break;
        }
      if (g_bytes_get_size (d.bytes) == 0)
        {
          g_bytes_unref (d.bytes);
          break;
        }
      g_byte_array_append (all, g_bytes_get_data (d.bytes, NULL), g_bytes_get_size (d.bytes));
      g_bytes_unref (d.bytes);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&all));
}

typedef struct
{
  PmStreamTranslator *tr;
  GString            *out;
  guint               n_events;
} Relay;

static gboolean
relay_event (const char *event,
             const char *data,
             gsize       data_len,
             gpointer    user_data)
{
  Relay *relay = user_data;
  g_autoptr(GError) error = NULL;

  relay->n_events++;
  g_assert_true (pm_stream_translator_feed (relay->tr, event, data, relay->out, &error));
  g_assert_no_error (error);
  return TRUE;
}

/* POST @client_body (in @client_api) to the scripted upstream as a provider speaking
 * @upstream_api with @preset. Returns what the client receives; *status is the HTTP status the
 * client would see. */
static char *
relay (Fixture    *f,
       PmApi       client_api,
       PmApi       upstream_api,
       const char *preset,
       const char *key,
       JsonNode   *client_body,
       gboolean    target_model_changed,
       guint      *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) upstream_body = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  SoupMessageHeaders *headers;
  SendData d = { 0 };
  gboolean stream = FALSE;
  gboolean dropped = FALSE;
  gsize len;
  const char *data;

  upstream_body = pm_translate_request_for_provider (client_api, upstream_api, client_body,
                                                     target_model_changed, preset, &error);
  g_assert_no_error (error);
  g_assert_nonnull (upstream_body);
  stream = json_object_get_boolean_member_with_default (json_node_get_object (upstream_body), "stream", FALSE);

  {
    g_autofree char *base = pm_sim_upstream_dup_url (f->sim);

    url = g_strconcat (base, api_path (upstream_api), NULL);
  }
  text = json_to_string (upstream_body, FALSE);
  msg = soup_message_new ("POST", url);
  headers = soup_message_get_request_headers (msg);
  if (key != NULL && upstream_api == PM_API_ANTHROPIC)
    soup_message_headers_replace (headers, "x-api-key", key);
  else if (key != NULL)
    {
      g_autofree char *bearer = g_strdup_printf ("Bearer %s", key);

      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  if (upstream_api == PM_API_ANTHROPIC)
    soup_message_headers_replace (headers, "anthropic-version", "2023-06-01");
  {
    g_autoptr(GBytes) req = g_bytes_new (text, strlen (text));

    soup_message_set_request_body_from_bytes (msg, "application/json", req);
  }

  soup_session_send_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, send_cb, &d);
  g_assert_true (pm_test_wait_for (&d.done, 20000));
  g_assert_no_error (d.error);
  body = read_all (d.stream, &dropped);
  g_object_unref (d.stream);
  data = g_bytes_get_data (body, &len);
  *status = soup_message_get_status (msg);

  if (*status >= 400)
    return pm_translate_error (upstream_api, client_api, *status, data, len);

  if (!stream)
    {
      g_autoptr(JsonNode) parsed = NULL;
      g_autofree char *whole = g_strndup (data, len);

      g_assert_false (dropped);
      parsed = parse (whole);
      g_autoptr(JsonNode) client = pm_translate_response (upstream_api, client_api, parsed, "client-model", &error);

      g_assert_no_error (error);
      return json_to_string (client, FALSE);
    }

  {
    g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
    g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (upstream_api, client_api, "client-model");
    Relay r = { tr, g_string_new (NULL), 0 };

    /* Small pieces, as a network would deliver them. */
    for (gsize off = 0; off < len; off += 7)
      pm_sse_parser_feed (parser, data + off, MIN (7, len - off), relay_event, &r);
    pm_stream_translator_finish (tr, r.out);
    g_assert_cmpuint (r.n_events, >, 2);
    return g_string_free (r.out, FALSE);
  }
}

static JsonNode *
last_upstream_json (Fixture *f)
{
  JsonNode *node = pm_sim_upstream_get_last_json (f->sim);

  g_assert_nonnull (node);
  return node;
}

static void
check_usage_matches (Fixture *f,
                     Result  *r)
{
  gint64 input, cache_read, cache_write, output, reasoning;

  pm_sim_upstream_get_last_usage (f->sim, &input, &cache_read, &cache_write, &output, &reasoning);
  g_assert_cmpint (r->prompt_total, ==, input + cache_read + cache_write);
  g_assert_cmpint (r->cache_read, ==, cache_read);
  g_assert_cmpint (r->output, ==, output);
}

static void
push_tool_reply (Fixture *f)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("I will list the files.");

  pm_sim_reply_add_tool_call (reply, "Bash", "{\"command\":\"ls -la\",\"timeout\":30}");
  pm_sim_reply_set_chunk_size (reply, 5);
  pm_sim_upstream_push_reply (f->sim, reply);
}

static void
check_tool_result (Result *r)
{
  g_assert_false (r->error);
  g_assert_cmpstr (r->text->str, ==, "I will list the files.");
  g_assert_cmpuint (r->tool_names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (r->tool_names, 0), ==, "Bash");
  assert_json_equal_text (g_ptr_array_index (r->tool_args, 0), "{\"command\":\"ls -la\",\"timeout\":30}");
  g_assert_cmpstr (r->stop, ==, "tool_use");
}

/* ----------------------------------------------------------------------------------------- */

static void
test_anthropic_native (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  guint status;

  pm_sim_upstream_set_required_key (f->sim, TEST_KEY);
  push_tool_reply (f);
  out = relay (f, PM_API_ANTHROPIC, PM_API_ANTHROPIC, "anthropic", TEST_KEY, body, FALSE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_ANTHROPIC, out);
  check_tool_result (r);
  check_usage_matches (f, r);
  /* Same model: the signed thinking went upstream byte-exact, the billing block too. */
  g_assert_cmpstr (str_at (last_upstream_json (f), "messages/1/content/0/signature"), ==,
                   "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgx");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-api-key"), ==, TEST_KEY);
}

static void
test_claude_code_to_openai_chat (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  g_autofree char *sent = NULL;
  JsonNode *up;
  guint status;

  pm_sim_upstream_set_required_key (f->sim, TEST_KEY);
  push_tool_reply (f);
  out = relay (f, PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, "openai", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_ANTHROPIC, out);
  check_tool_result (r);
  check_usage_matches (f, r);

  up = last_upstream_json (f);
  sent = json_to_string (up, FALSE);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/chat/completions");
  g_assert_null (strstr (sent, "x-anthropic-billing-header"));
  g_assert_null (strstr (sent, "signature"));
  g_assert_true (json_node_get_boolean (at (up, "stream_options/include_usage")));
  g_assert_cmpstr (str_at (up, "prompt_cache_key"), ==, "5b1c9f0e-3c1a-4c38-9a57-2f1f2b7f9e10");
  g_assert_cmpint (int_at (up, "max_completion_tokens"), ==, 32000);
  g_assert_cmpstr (str_at (up, "messages/3/role"), ==, "tool");
}

static void
test_claude_code_to_openai_responses (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  JsonNode *up;
  guint status;

  push_tool_reply (f);
  out = relay (f, PM_API_ANTHROPIC, PM_API_OPENAI_RESPONSES, "openai", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_ANTHROPIC, out);
  check_tool_result (r);
  check_usage_matches (f, r);
  up = last_upstream_json (f);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/responses");
  g_assert_cmpstr (str_at (up, "input/2/type"), ==, "function_call");
  g_assert_false (json_node_get_boolean (at (up, "store")));
}

static void
test_openrouter (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  JsonNode *up;
  guint status;

  push_tool_reply (f);
  out = relay (f, PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, "openrouter", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_ANTHROPIC, out);
  check_tool_result (r);
  up = last_upstream_json (f);
  g_assert_cmpstr (str_at (up, "reasoning/effort"), ==, "medium");
  g_assert_null (at (up, "reasoning_effort"));
  g_assert_true (json_node_get_boolean (at (up, "usage/include")));
  g_assert_cmpstr (str_at (up, "messages/0/content/0/cache_control/type"), ==, "ephemeral");
}

static void
test_gemini (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("chat-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  g_autofree char *sent = NULL;
  JsonNode *up;
  guint status;

  push_tool_reply (f);
  out = relay (f, PM_API_OPENAI_CHAT, PM_API_OPENAI_CHAT, "gemini", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_OPENAI_CHAT, out);
  check_tool_result (r);
  up = last_upstream_json (f);
  sent = json_to_string (up, FALSE);
  g_assert_null (strstr (sent, "additionalProperties"));
  g_assert_null (strstr (sent, "$schema"));
  g_assert_cmpstr (str_at (up, "messages/2/tool_calls/0/extra_content/google/thought_signature"), ==,
                   "skip_thought_signature_validator");
}

static void
test_codex_to_anthropic (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("responses-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  JsonNode *up;
  guint status;

  pm_sim_upstream_set_required_key (f->sim, TEST_KEY);
  push_tool_reply (f);
  out = relay (f, PM_API_OPENAI_RESPONSES, PM_API_ANTHROPIC, "anthropic", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_OPENAI_RESPONSES, out);
  check_tool_result (r);
  check_usage_matches (f, r);
  up = last_upstream_json (f);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/messages");
  g_assert_cmpstr (str_at (up, "system/0/text"), ==, "You are Codex, a coding agent.");
  g_assert_cmpstr (str_at (up, "messages/2/content/0/type"), ==, "tool_result");
  g_assert_nonnull (at (up, "max_tokens"));
}

static void
test_cache_for_openai_clients (Fixture       *f,
                               gconstpointer  data)
{
  /* The same Codex request twice to an Anthropic upstream: the automatic breakpoint Pointsman
   * adds makes the second one read its prefix from the cache. */
  g_autoptr(JsonNode) body = load_fixture ("responses-request.json");
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(Result) r1 = NULL;
  g_autoptr(Result) r2 = NULL;
  GString *big = g_string_new (NULL);
  guint status;

  /* A prefix above the cache minimum. */
  for (guint i = 0; i < 800; i++)
    g_string_append (big, "Follow the repository's coding style. ");
  json_object_set_string_member (json_node_get_object (body), "instructions", big->str);
  g_string_free (big, TRUE);

  first = relay (f, PM_API_OPENAI_RESPONSES, PM_API_ANTHROPIC, "anthropic", NULL, body, TRUE, &status);
  g_assert_cmpstr (str_at (last_upstream_json (f), "cache_control/type"), ==, "ephemeral");
  r1 = reassemble (PM_API_OPENAI_RESPONSES, first);
  second = relay (f, PM_API_OPENAI_RESPONSES, PM_API_ANTHROPIC, "anthropic", NULL, body, TRUE, &status);
  r2 = reassemble (PM_API_OPENAI_RESPONSES, second);
  g_assert_cmpint (r1->cache_read, ==, 0);
  g_assert_cmpint (r2->cache_read, >, 1000);
  g_assert_cmpint (r2->prompt_total, ==, r1->prompt_total);
}

static void
test_codex_via_litellm (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("responses-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  guint status;

  push_tool_reply (f);
  out = relay (f, PM_API_OPENAI_RESPONSES, PM_API_OPENAI_CHAT, "litellm", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_OPENAI_RESPONSES, out);
  check_tool_result (r);
  check_usage_matches (f, r);
  g_assert_cmpstr (str_at (last_upstream_json (f), "prompt_cache_key"), ==, "0199a6f2-codex-session");
}

static void
test_opencode_via_portkey_responses (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("chat-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  guint status;

  push_tool_reply (f);
  out = relay (f, PM_API_OPENAI_CHAT, PM_API_OPENAI_RESPONSES, "portkey", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_OPENAI_CHAT, out);
  check_tool_result (r);
  check_usage_matches (f, r);
  g_assert_cmpstr (str_at (last_upstream_json (f), "instructions"), ==, "You are OpenCode.");
}

static void
test_opencode_to_anthropic (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("chat-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  guint status;

  push_tool_reply (f);
  out = relay (f, PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "anthropic", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_OPENAI_CHAT, out);
  check_tool_result (r);
  check_usage_matches (f, r);
}

static void
test_local_keyless (gconstpointer data)
{
  const char *preset = data;
  Fixture fx;
  Fixture *f = &fx;
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  JsonNode *up;
  guint status;

  fixture_setup (f, NULL);
  push_tool_reply (f);
  out = relay (f, PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, preset, NULL, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  r = reassemble (PM_API_ANTHROPIC, out);
  check_tool_result (r);
  check_usage_matches (f, r);
  up = last_upstream_json (f);
  g_assert_null (pm_sim_upstream_get_last_header (f->sim, "authorization"));
  g_assert_null (at (up, "prompt_cache_key"));
  g_assert_cmpint (int_at (up, "max_tokens"), ==, 32000);
  g_clear_pointer (&r, result_free);
  fixture_teardown (f, NULL);
}

static void
test_thinking_reply (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("responses-request.json");
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Done.");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  guint status;

  pm_sim_reply_set_thinking (reply, "Think about the diff.");
  pm_sim_upstream_push_reply (f->sim, reply);
  out = relay (f, PM_API_OPENAI_RESPONSES, PM_API_ANTHROPIC, "anthropic", NULL, body, TRUE, &status);
  r = reassemble (PM_API_OPENAI_RESPONSES, out);
  g_assert_false (r->error);
  g_assert_cmpstr (r->text->str, ==, "Done.");
  g_assert_cmpstr (r->thinking->str, ==, "Think about the diff.");
  g_assert_cmpstr (r->stop, ==, "end_turn");
  /* The Anthropic signature never reaches the Responses client. */
  g_assert_null (strstr (out, "signature"));
}

static void
test_upstream_http_error (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
  g_autoptr(JsonNode) err = NULL;
  g_autofree char *out = NULL;
  guint status;

  pm_sim_reply_set_error (reply, 429, "rate_limit_error", "Rate limit reached (simulated)", 3);
  pm_sim_upstream_push_reply (f->sim, reply);
  out = relay (f, PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, "openai", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 429);
  err = parse (out);
  g_assert_cmpstr (str_at (err, "type"), ==, "error");
  g_assert_cmpstr (str_at (err, "error/type"), ==, "rate_limit_error");
  g_assert_cmpstr (str_at (err, "error/message"), ==, "Rate limit reached (simulated)");
}

static void
test_upstream_bad_key (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("chat-request.json");
  g_autoptr(JsonNode) err = NULL;
  g_autofree char *out = NULL;
  guint status;

  pm_sim_upstream_set_required_key (f->sim, TEST_KEY);
  out = relay (f, PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "anthropic", "test-key-wrong-0000", body, TRUE, &status);
  g_assert_cmpuint (status, ==, 401);
  err = parse (out);
  g_assert_nonnull (str_at (err, "error/message"));
  g_assert_cmpstr (str_at (err, "error/type"), ==, "authentication_error");
  g_assert_null (strstr (out, "test-key-wrong-0000"));
}

static void
test_midstream_error (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("This answer will be cut off by an error.");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  guint status;

  pm_sim_reply_set_fail (reply, PM_SIM_FAIL_ERROR_EVENT, 4);
  pm_sim_upstream_push_reply (f->sim, reply);
  out = relay (f, PM_API_ANTHROPIC, PM_API_OPENAI_RESPONSES, "openai", TEST_KEY, body, TRUE, &status);
  r = reassemble (PM_API_ANTHROPIC, out);
  g_assert_true (r->error);
  g_assert_nonnull (r->error_message);
}

static void
test_dropped_stream (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("responses-request.json");
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("This answer will be cut off.");
  g_autoptr(Result) r = NULL;
  g_autofree char *out = NULL;
  guint status;

  pm_sim_reply_set_fail (reply, PM_SIM_FAIL_DROP, 5);
  /* Space the events so the first five are on the wire before the connection drops. */
  pm_sim_reply_set_delays (reply, 0, 20);
  pm_sim_upstream_push_reply (f->sim, reply);
  out = relay (f, PM_API_OPENAI_RESPONSES, PM_API_OPENAI_CHAT, "openai", TEST_KEY, body, TRUE, &status);
  r = reassemble (PM_API_OPENAI_RESPONSES, out);
  g_assert_true (r->error);
}

static void
test_non_streamed (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonNode) body = load_fixture ("chat-request.json");
  g_autoptr(JsonNode) resp = NULL;
  g_autofree char *out = NULL;
  gint64 input, cache_read, cache_write, output, reasoning;
  guint status;

  json_object_set_boolean_member (json_node_get_object (body), "stream", FALSE);
  json_object_remove_member (json_node_get_object (body), "stream_options");
  push_tool_reply (f);
  out = relay (f, PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "anthropic", TEST_KEY, body, TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  resp = parse (out);
  g_assert_cmpstr (str_at (resp, "object"), ==, "chat.completion");
  g_assert_cmpstr (str_at (resp, "choices/0/message/content"), ==, "I will list the files.");
  g_assert_cmpstr (str_at (resp, "choices/0/message/tool_calls/0/function/name"), ==, "Bash");
  g_assert_cmpstr (str_at (resp, "choices/0/finish_reason"), ==, "tool_calls");
  pm_sim_upstream_get_last_usage (f->sim, &input, &cache_read, &cache_write, &output, &reasoning);
  g_assert_cmpint (int_at (resp, "usage/prompt_tokens"), ==, input + cache_read + cache_write);
  g_assert_cmpint (int_at (resp, "usage/completion_tokens"), ==, output);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/pm/translate/upstream/anthropic", test_anthropic_native);
  ADD ("/pm/translate/upstream/openai-chat", test_claude_code_to_openai_chat);
  ADD ("/pm/translate/upstream/openai-responses", test_claude_code_to_openai_responses);
  ADD ("/pm/translate/upstream/openrouter", test_openrouter);
  ADD ("/pm/translate/upstream/gemini", test_gemini);
  ADD ("/pm/translate/upstream/codex-to-anthropic", test_codex_to_anthropic);
  ADD ("/pm/translate/upstream/litellm", test_codex_via_litellm);
  ADD ("/pm/translate/upstream/anthropic-cache", test_cache_for_openai_clients);
  ADD ("/pm/translate/upstream/portkey-responses", test_opencode_via_portkey_responses);
  ADD ("/pm/translate/upstream/opencode-to-anthropic", test_opencode_to_anthropic);
  ADD ("/pm/translate/upstream/thinking-reply", test_thinking_reply);
  ADD ("/pm/translate/upstream/http-error", test_upstream_http_error);
  ADD ("/pm/translate/upstream/bad-key", test_upstream_bad_key);
  ADD ("/pm/translate/upstream/midstream-error", test_midstream_error);
  ADD ("/pm/translate/upstream/dropped-stream", test_dropped_stream);
  ADD ("/pm/translate/upstream/non-streamed", test_non_streamed);
#undef ADD
  g_test_add_data_func ("/pm/translate/upstream/ollama", "ollama", test_local_keyless);
  g_test_add_data_func ("/pm/translate/upstream/llamacpp", "llamacpp", test_local_keyless);
  g_test_add_data_func ("/pm/translate/upstream/vllm", "vllm", test_local_keyless);

  return g_test_run ();
}
