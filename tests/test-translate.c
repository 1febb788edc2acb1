/* test-translate.c — Anthropic Messages ⇄ Chat Completions ⇄ Responses: requests, responses,
 * streams and errors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-translate.h"
#include "pm-test-utils.h"
#include "test-translate-common.h"

/* ----------------------------------------------------------------------------------------- */
/* Errors                                                                                     */

static void
test_error_bodies (void)
{
  g_autofree char *a = pm_error_body (PM_API_ANTHROPIC, "rate_limit_error", "Slow down");
  g_autofree char *c = pm_error_body (PM_API_OPENAI_CHAT, "rate_limit_error", "Slow down");
  g_autofree char *r = pm_error_body (PM_API_OPENAI_RESPONSES, "invalid_request_error", "Bad \"x\"");
  g_autoptr(JsonNode) an = parse (a);
  g_autoptr(JsonNode) cn = parse (c);
  g_autoptr(JsonNode) rn = parse (r);

  g_assert_cmpstr (str_at (an, "type"), ==, "error");
  g_assert_cmpstr (str_at (an, "error/type"), ==, "rate_limit_error");
  g_assert_cmpstr (str_at (an, "error/message"), ==, "Slow down");

  g_assert_null (at (cn, "type"));
  g_assert_cmpstr (str_at (cn, "error/message"), ==, "Slow down");
  g_assert_cmpstr (str_at (cn, "error/code"), ==, "rate_limit_exceeded");
  g_assert_nonnull (at (cn, "error/param"));
  g_assert_true (JSON_NODE_HOLDS_NULL (at (cn, "error/param")));
  g_assert_nonnull (str_at (cn, "error/type"));

  g_assert_cmpstr (str_at (rn, "error/type"), ==, "invalid_request_error");
  g_assert_cmpstr (str_at (rn, "error/message"), ==, "Bad \"x\"");
}

static void
test_error_events (void)
{
  g_autofree char *a = pm_error_event (PM_API_ANTHROPIC, "overloaded_error", "Overloaded");
  g_autofree char *c = pm_error_event (PM_API_OPENAI_CHAT, "overloaded_error", "Overloaded");
  g_autofree char *r = pm_error_event (PM_API_OPENAI_RESPONSES, "overloaded_error", "Overloaded");
  g_autoptr(Result) ar = NULL;
  g_autoptr(Result) cr = NULL;
  g_autoptr(Result) rr = NULL;

  g_assert_true (g_str_has_prefix (a, "event: error\ndata: "));
  g_assert_true (g_str_has_suffix (a, "\n\n"));
  g_assert_true (g_str_has_prefix (c, "data: {"));
  g_assert_true (g_str_has_prefix (r, "event: error\n"));

  ar = reassemble (PM_API_ANTHROPIC, a);
  g_assert_true (ar->error);
  g_assert_cmpstr (ar->error_type, ==, "overloaded_error");
  cr = reassemble (PM_API_OPENAI_CHAT, c);
  g_assert_true (cr->error);
  g_assert_cmpstr (cr->error_message, ==, "Overloaded");
  rr = reassemble (PM_API_OPENAI_RESPONSES, r);
  g_assert_true (rr->error);
  g_assert_cmpstr (rr->error_message, ==, "Overloaded");
  g_assert_cmpstr (rr->error_type, ==, "overloaded");
}

static void
test_translate_error (void)
{
  const char *openai_429 = "{\"error\":{\"message\":\"Rate limit reached for gpt-5-mini\","
                           "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
  const char *anthropic_529 = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                              "\"message\":\"Overloaded\"}}";
  g_autofree char *to_a = pm_translate_error (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, 429,
                                              openai_429, strlen (openai_429));
  g_autofree char *to_c = pm_translate_error (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, 529,
                                              anthropic_529, strlen (anthropic_529));
  g_autofree char *same = pm_translate_error (PM_API_OPENAI_CHAT, PM_API_OPENAI_RESPONSES, 429,
                                              openai_429, strlen (openai_429));
  g_autofree char *plain = pm_translate_error (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, 502,
                                               "<html>Bad Gateway</html>", 24);
  g_autofree char *empty = pm_translate_error (PM_API_ANTHROPIC, PM_API_OPENAI_RESPONSES, 401, NULL, 0);
  const char *ollama_404 = "{\"error\":\"model 'qwen3' not found\"}";
  g_autofree char *ollama = pm_translate_error (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, 404,
                                                ollama_404, strlen (ollama_404));
  g_autoptr(JsonNode) a = parse (to_a);
  g_autoptr(JsonNode) c = parse (to_c);
  g_autoptr(JsonNode) s = parse (same);
  g_autoptr(JsonNode) p = parse (plain);
  g_autoptr(JsonNode) e = parse (empty);
  g_autoptr(JsonNode) o = parse (ollama);

  g_assert_cmpstr (str_at (a, "type"), ==, "error");
  g_assert_cmpstr (str_at (a, "error/type"), ==, "rate_limit_error");
  g_assert_cmpstr (str_at (a, "error/message"), ==, "Rate limit reached for gpt-5-mini");

  g_assert_cmpstr (str_at (c, "error/type"), ==, "server_error");
  g_assert_cmpstr (str_at (c, "error/code"), ==, "overloaded");
  g_assert_cmpstr (str_at (c, "error/message"), ==, "Overloaded");

  /* OpenAI to OpenAI keeps the upstream's own type and code. */
  g_assert_cmpstr (str_at (s, "error/type"), ==, "requests");
  g_assert_cmpstr (str_at (s, "error/code"), ==, "rate_limit_exceeded");

  g_assert_cmpstr (str_at (p, "error/type"), ==, "api_error");
  g_assert_cmpstr (str_at (p, "error/message"), ==, "<html>Bad Gateway</html>");

  g_assert_cmpstr (str_at (e, "error/type"), ==, "authentication_error");
  g_assert_nonnull (strstr (str_at (e, "error/message"), "401"));

  g_assert_cmpstr (str_at (o, "error/type"), ==, "not_found_error");
  g_assert_cmpstr (str_at (o, "error/message"), ==, "model 'qwen3' not found");
}

/* ----------------------------------------------------------------------------------------- */
/* Requests                                                                                   */

static void
test_request_identity (void)
{
  g_autoptr(JsonNode) body = load_fixture ("chat-request.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) out = pm_translate_request (PM_API_OPENAI_CHAT, PM_API_OPENAI_CHAT, body, FALSE, &error);

  g_assert_no_error (error);
  g_assert_true (out != body);
  g_assert_true (json_node_equal (out, body));
}

static void
test_request_anthropic_to_chat (void)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) c = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, body, TRUE, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (c);
  text = json_to_string (c, FALSE);

  /* The billing block never reaches a non-Anthropic upstream. */
  g_assert_null (strstr (text, "x-anthropic-billing-header"));
  g_assert_cmpstr (str_at (c, "messages/0/role"), ==, "system");
  g_assert_cmpstr (str_at (c, "messages/0/content"), ==,
                   "You are Claude Code, Anthropic's official CLI for Claude.");

  /* user text + image */
  g_assert_cmpstr (str_at (c, "messages/1/role"), ==, "user");
  g_assert_cmpstr (str_at (c, "messages/1/content/0/text"), ==, "What does main.c do?");
  g_assert_cmpstr (str_at (c, "messages/1/content/1/image_url/url"), ==, "data:image/png;base64,iVBORw0KGgo=");

  /* assistant: thinking dropped, text kept, two tool calls with JSON-string arguments */
  g_assert_cmpstr (str_at (c, "messages/2/role"), ==, "assistant");
  g_assert_cmpstr (str_at (c, "messages/2/content"), ==, "Let me read it.");
  g_assert_null (strstr (text, "EqQBCgIYAhIM"));
  g_assert_null (strstr (text, "Read it first."));
  g_assert_cmpuint (len_at (c, "messages/2/tool_calls"), ==, 2);
  g_assert_cmpstr (str_at (c, "messages/2/tool_calls/0/id"), ==, "toolu_01A");
  g_assert_cmpstr (str_at (c, "messages/2/tool_calls/0/type"), ==, "function");
  g_assert_cmpstr (str_at (c, "messages/2/tool_calls/0/function/name"), ==, "Read");
  assert_json_equal_text (str_at (c, "messages/2/tool_calls/0/function/arguments"),
                          "{\"file_path\":\"/src/main.c\"}");

  /* one tool message per result, before the turn's other content */
  g_assert_cmpstr (str_at (c, "messages/3/role"), ==, "tool");
  g_assert_cmpstr (str_at (c, "messages/3/tool_call_id"), ==, "toolu_01A");
  g_assert_cmpstr (str_at (c, "messages/3/content"), ==, "int main (void) { return 0; }");
  g_assert_cmpstr (str_at (c, "messages/4/role"), ==, "tool");
  g_assert_cmpstr (str_at (c, "messages/4/tool_call_id"), ==, "toolu_01B");
  g_assert_cmpstr (str_at (c, "messages/4/content"), ==, "1 /src/main.c");
  g_assert_cmpstr (str_at (c, "messages/5/role"), ==, "user");
  g_assert_cmpstr (str_at (c, "messages/5/content"), ==, "Also check the tests.");
  g_assert_cmpuint (len_at (c, "messages"), ==, 6);

  /* tools: server tools dropped, input_schema → parameters */
  g_assert_cmpuint (len_at (c, "tools"), ==, 2);
  g_assert_cmpstr (str_at (c, "tools/0/type"), ==, "function");
  g_assert_cmpstr (str_at (c, "tools/0/function/name"), ==, "Read");
  g_assert_cmpstr (str_at (c, "tools/0/function/parameters/properties/file_path/type"), ==, "string");
  g_assert_null (at (c, "tools/1/cache_control"));
  g_assert_cmpstr (str_at (c, "tool_choice"), ==, "required");
  g_assert_false (json_node_get_boolean (at (c, "parallel_tool_calls")));

  g_assert_cmpint (int_at (c, "max_completion_tokens"), ==, 32000);
  g_assert_null (at (c, "max_tokens"));
  g_assert_cmpstr (str_at (c, "reasoning_effort"), ==, "medium");
  g_assert_cmpstr (str_at (c, "prompt_cache_key"), ==, "5b1c9f0e-3c1a-4c38-9a57-2f1f2b7f9e10");
  g_assert_true (json_node_get_boolean (at (c, "stream")));
  g_assert_true (json_node_get_boolean (at (c, "stream_options/include_usage")));
  g_assert_cmpstr (str_at (c, "stop/0"), ==, "</done>");
  g_assert_null (at (c, "thinking"));
  g_assert_null (at (c, "metadata"));
  g_assert_null (at (c, "system"));
}

static void
test_request_legacy_user_id (void)
{
  g_autoptr(JsonNode) body = parse ("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":0,"
                                    "\"metadata\":{\"user_id\":\"user_abc_account_def_session_0b3e\"},"
                                    "\"thinking\":{\"type\":\"adaptive\"},\"output_config\":{\"effort\":\"low\"},"
                                    "\"stop_sequences\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"],"
                                    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_autoptr(JsonNode) c = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, body, TRUE, NULL);

  g_assert_cmpstr (str_at (c, "prompt_cache_key"), ==, "0b3e");
  /* OpenAI takes at most four stop sequences. */
  g_assert_cmpuint (len_at (c, "stop"), ==, 4);
  g_assert_cmpstr (str_at (c, "stop/3"), ==, "d");
  g_assert_cmpstr (str_at (c, "reasoning_effort"), ==, "low");
  /* max_tokens 0 (cache warm-up) is not valid for OpenAI; ask for one token. */
  g_assert_cmpint (int_at (c, "max_completion_tokens"), ==, 1);
  g_assert_cmpstr (str_at (c, "messages/0/content"), ==, "hi");
  g_assert_null (at (c, "stream_options"));
}

static void
test_request_chat_to_anthropic (void)
{
  g_autoptr(JsonNode) body = load_fixture ("chat-request.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) a = pm_translate_request (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, body, TRUE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (str_at (a, "system/0/text"), ==, "You are OpenCode.");
  g_assert_cmpint (int_at (a, "max_tokens"), ==, 4096);
  g_assert_cmpstr (str_at (a, "tool_choice/type"), ==, "any");
  g_assert_true (json_node_get_boolean (at (a, "tool_choice/disable_parallel_tool_use")));
  g_assert_cmpstr (str_at (a, "tools/0/name"), ==, "read");
  g_assert_cmpstr (str_at (a, "tools/0/input_schema/type"), ==, "object");
  g_assert_cmpstr (str_at (a, "stop_sequences/0"), ==, "</done>");
  g_assert_cmpfloat (json_node_get_double (at (a, "temperature")), <=, 1.0);
  g_assert_cmpstr (str_at (a, "metadata/user_id"), ==, "opencode-session-7");
  /* The last assistant turn has tool_use without thinking (another model wrote it): thinking
   * must be off for Claude to continue that tool loop (PROTOCOLS.md §8, pitfall 2). */
  g_assert_null (at (a, "thinking"));

  /* user: text + base64 image */
  g_assert_cmpstr (str_at (a, "messages/0/role"), ==, "user");
  g_assert_cmpstr (str_at (a, "messages/0/content/1/type"), ==, "image");
  g_assert_cmpstr (str_at (a, "messages/0/content/1/source/type"), ==, "base64");
  g_assert_cmpstr (str_at (a, "messages/0/content/1/source/media_type"), ==, "image/jpeg");
  g_assert_cmpstr (str_at (a, "messages/0/content/1/source/data"), ==, "/9j/4AAQ");

  /* assistant tool calls → tool_use with parsed input */
  g_assert_cmpstr (str_at (a, "messages/1/role"), ==, "assistant");
  g_assert_cmpstr (str_at (a, "messages/1/content/0/type"), ==, "tool_use");
  g_assert_cmpstr (str_at (a, "messages/1/content/0/id"), ==, "call_A");
  g_assert_cmpstr (str_at (a, "messages/1/content/0/input/path"), ==, "a.c");
  g_assert_cmpstr (str_at (a, "messages/1/content/1/input/path"), ==, "b.c");

  /* consecutive tool messages + the next user message merge into one user turn, results first */
  g_assert_cmpstr (str_at (a, "messages/2/role"), ==, "user");
  g_assert_cmpuint (len_at (a, "messages/2/content"), ==, 3);
  g_assert_cmpstr (str_at (a, "messages/2/content/0/type"), ==, "tool_result");
  g_assert_cmpstr (str_at (a, "messages/2/content/0/tool_use_id"), ==, "call_A");
  g_assert_cmpstr (str_at (a, "messages/2/content/1/tool_use_id"), ==, "call_B");
  g_assert_cmpstr (str_at (a, "messages/2/content/1/content"), ==, "B");
  g_assert_cmpstr (str_at (a, "messages/2/content/2/text"), ==, "Now compare them.");
  g_assert_cmpuint (len_at (a, "messages"), ==, 3);
}

static void
test_request_chat_effort_to_anthropic (void)
{
  g_autoptr(JsonNode) body = parse ("{\"model\":\"m\",\"max_tokens\":2000,\"reasoning_effort\":\"medium\","
                                    "\"messages\":[{\"role\":\"user\",\"content\":\"plan it\"}]}");
  g_autoptr(JsonNode) a = pm_translate_request (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, body, TRUE, NULL);

  g_assert_cmpstr (str_at (a, "thinking/type"), ==, "enabled");
  g_assert_cmpint (int_at (a, "thinking/budget_tokens"), >=, 1024);
  g_assert_cmpint (int_at (a, "thinking/budget_tokens"), <, int_at (a, "max_tokens"));
  g_assert_cmpstr (str_at (a, "messages/0/content/0/text"), ==, "plan it");
}

static void
test_request_thinking_continuation (void)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(JsonNode) same = NULL;
  g_autoptr(JsonNode) other = NULL;
  g_autofree char *other_text = NULL;

  /* Same model: signed thinking stays byte-exact, thinking stays on. */
  same = pm_translate_request (PM_API_ANTHROPIC, PM_API_ANTHROPIC, body, FALSE, NULL);
  g_assert_cmpstr (str_at (same, "messages/1/content/0/type"), ==, "thinking");
  g_assert_cmpstr (str_at (same, "messages/1/content/0/signature"), ==, "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgx");
  g_assert_cmpstr (str_at (same, "thinking/type"), ==, "enabled");
  /* Anthropic upstream without a preset: the billing block is the client's business. */
  g_assert_nonnull (strstr (str_at (same, "system/0/text"), "x-anthropic-billing-header"));

  /* Another Claude model: thinking dropped, and since the last assistant turn is a tool call
   * without thinking now, thinking is switched off for this request. */
  other = pm_translate_request_for_provider (PM_API_ANTHROPIC, PM_API_ANTHROPIC, body, TRUE, "zai", NULL);
  other_text = json_to_string (other, FALSE);
  g_assert_null (strstr (other_text, "\"thinking\":\"Read it first.\""));
  g_assert_null (strstr (other_text, "signature"));
  g_assert_cmpstr (str_at (other, "messages/1/content/0/type"), ==, "text");
  g_assert_null (at (other, "thinking"));
  /* A non-Anthropic server speaking the Anthropic format: the billing block goes. */
  g_assert_null (strstr (other_text, "x-anthropic-billing-header"));
  g_assert_cmpstr (str_at (other, "system/0/text"), ==,
                   "You are Claude Code, Anthropic's official CLI for Claude.");
}

static void
test_request_thinking_foreign_turn (void)
{
  /* The last tool turn came from another model (no thinking); the client did not change. */
  const char *history =
    "\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{}}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"ok\"}]}]";
  g_autofree char *budget_text = g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":9000,"
                                                  "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2000},%s}", history);
  g_autofree char *adaptive_text = g_strdup_printf ("{\"model\":\"claude-opus-5\",\"max_tokens\":9000,"
                                                    "\"thinking\":{\"type\":\"adaptive\"},"
                                                    "\"output_config\":{\"effort\":\"max\"},%s}", history);
  g_autoptr(JsonNode) budget = parse (budget_text);
  g_autoptr(JsonNode) adaptive = parse (adaptive_text);
  g_autoptr(JsonNode) b = pm_translate_request (PM_API_ANTHROPIC, PM_API_ANTHROPIC, budget, FALSE, NULL);
  g_autoptr(JsonNode) a = pm_translate_request (PM_API_ANTHROPIC, PM_API_ANTHROPIC, adaptive, FALSE, NULL);
  g_autoptr(JsonNode) a2 = pm_translate_request (PM_API_ANTHROPIC, PM_API_ANTHROPIC, adaptive, TRUE, NULL);

  g_assert_null (at (b, "thinking"));
  g_assert_cmpstr (str_at (a, "thinking/type"), ==, "adaptive");
  g_assert_cmpstr (str_at (a, "output_config/effort"), ==, "max");
  /* Model changed: nothing to drop here, so adaptive thinking stays too. */
  g_assert_cmpstr (str_at (a2, "thinking/type"), ==, "adaptive");
}

static void
test_long_tool_names (void)
{
  /* An MCP tool name over OpenAI's 64 characters: shortened on the way out, restored on the
   * way back when the translator knows the client's request. */
  const char *long_name = "mcp__claude_ai_Google_Drive__search_files_in_shared_drives_with_full_text_query";
  g_autofree char *body_text = g_strdup_printf (
      "{\"model\":\"m\",\"max_tokens\":10,\"tools\":[{\"name\":\"%s\",\"input_schema\":{\"type\":\"object\"}}],"
      "\"tool_choice\":{\"type\":\"tool\",\"name\":\"%s\"},"
      "\"messages\":[{\"role\":\"user\",\"content\":\"go\"},{\"role\":\"assistant\",\"content\":["
      "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"%s\",\"input\":{}}]},{\"role\":\"user\",\"content\":["
      "{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"[]\"}]}]}",
      long_name, long_name, long_name);
  g_autoptr(JsonNode) body = parse (body_text);
  g_autoptr(JsonNode) c = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, body, TRUE, NULL);
  const char *short_name = str_at (c, "tools/0/function/name");
  g_autofree char *chunk = NULL;
  g_autofree char *whole = NULL;
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "m");
  g_autoptr(PmStreamTranslator) bare = pm_stream_translator_new (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) bare_out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;
  g_autoptr(Result) rb = NULL;
  g_autoptr(JsonNode) response = NULL;
  g_autoptr(JsonNode) a = NULL;

  g_assert_cmpuint (strlen (short_name), ==, 64);
  g_assert_true (strncmp (short_name, long_name, 55) == 0);
  g_assert_cmpstr (str_at (c, "messages/1/tool_calls/0/function/name"), ==, short_name);
  g_assert_cmpstr (str_at (c, "tool_choice/function/name"), ==, short_name);

  chunk = g_strdup_printf ("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                           "\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":\"{}\"}}]},"
                           "\"finish_reason\":\"tool_calls\"}]}", short_name);
  pm_stream_translator_set_client_request (tr, body);
  g_assert_true (pm_stream_translator_feed (tr, NULL, chunk, out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, NULL, "[DONE]", out, NULL));
  r = reassemble (PM_API_ANTHROPIC, out->str);
  g_assert_cmpstr (g_ptr_array_index (r->tool_names, 0), ==, long_name);
  /* Without the client's request the short name is all there is. */
  g_assert_true (pm_stream_translator_feed (bare, NULL, chunk, bare_out, NULL));
  g_assert_true (pm_stream_translator_feed (bare, NULL, "[DONE]", bare_out, NULL));
  rb = reassemble (PM_API_ANTHROPIC, bare_out->str);
  g_assert_cmpstr (g_ptr_array_index (rb->tool_names, 0), ==, short_name);

  whole = g_strdup_printf ("{\"id\":\"c\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
                           "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"%s\","
                           "\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}", short_name);
  response = parse (whole);
  a = pm_translate_response_for_request (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, response, "m", body, NULL);
  g_assert_cmpstr (str_at (a, "content/0/name"), ==, long_name);
}

static void
test_request_documents (void)
{
  g_autoptr(JsonNode) a = parse ("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":["
                                 "{\"type\":\"document\",\"title\":\"spec.pdf\",\"source\":{\"type\":\"base64\","
                                 "\"media_type\":\"application/pdf\",\"data\":\"JVBERi0x\"}},"
                                 "{\"type\":\"text\",\"text\":\"Summarise it.\"}]}]}");
  g_autoptr(JsonNode) c = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, a, TRUE, NULL);
  g_autoptr(JsonNode) back = pm_translate_request (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, c, TRUE, NULL);
  g_autoptr(JsonNode) r = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_RESPONSES, a, TRUE, NULL);
  g_autoptr(JsonNode) c2 = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_OPENAI_CHAT, r, TRUE, NULL);

  g_assert_cmpstr (str_at (c, "messages/0/content/0/type"), ==, "file");
  g_assert_cmpstr (str_at (c, "messages/0/content/0/file/filename"), ==, "spec.pdf");
  g_assert_cmpstr (str_at (c, "messages/0/content/0/file/file_data"), ==, "data:application/pdf;base64,JVBERi0x");
  g_assert_cmpstr (str_at (back, "messages/0/content/0/type"), ==, "document");
  g_assert_cmpstr (str_at (back, "messages/0/content/0/source/media_type"), ==, "application/pdf");
  g_assert_cmpstr (str_at (back, "messages/0/content/0/source/data"), ==, "JVBERi0x");
  g_assert_cmpstr (str_at (back, "messages/0/content/0/title"), ==, "spec.pdf");
  g_assert_cmpstr (str_at (r, "input/0/content/0/type"), ==, "input_file");
  g_assert_cmpstr (str_at (r, "input/0/content/0/file_data"), ==, "data:application/pdf;base64,JVBERi0x");
  g_assert_cmpstr (str_at (c2, "messages/0/content/0/file/file_data"), ==, "data:application/pdf;base64,JVBERi0x");
  g_assert_cmpstr (str_at (c2, "messages/0/content/1/text"), ==, "Summarise it.");
}

static void
test_request_tool_ids (void)
{
  /* Kimi writes ids like "functions.Bash:0"; Anthropic accepts only [a-zA-Z0-9_-]. */
  g_autoptr(JsonNode) chat = parse ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
                                    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"functions.Bash:0\","
                                    "\"type\":\"function\",\"function\":{\"name\":\"Bash\",\"arguments\":\"{}\"}}]},"
                                    "{\"role\":\"tool\",\"tool_call_id\":\"functions.Bash:0\",\"content\":\"ok\"}]}");
  g_autoptr(JsonNode) anthropic = parse ("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
                                         "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"functions.Bash:0\","
                                         "\"name\":\"Bash\",\"input\":{}}]},"
                                         "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"functions.Bash:0\","
                                         "\"content\":\"ok\"}]}]}");
  g_autoptr(JsonNode) a = pm_translate_request (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, chat, TRUE, NULL);
  g_autoptr(JsonNode) a2 = pm_translate_request (PM_API_ANTHROPIC, PM_API_ANTHROPIC, anthropic, FALSE, NULL);
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;

  g_assert_cmpstr (str_at (a, "messages/1/content/0/id"), ==, "functions_Bash_0");
  g_assert_cmpstr (str_at (a, "messages/2/content/0/tool_use_id"), ==, "functions_Bash_0");
  g_assert_cmpstr (str_at (a2, "messages/1/content/0/id"), ==, "functions_Bash_0");
  g_assert_cmpstr (str_at (a2, "messages/2/content/0/tool_use_id"), ==, "functions_Bash_0");

  g_assert_true (pm_stream_translator_feed (tr, NULL,
                                            "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                                            "\"id\":\"functions.Read:1\",\"type\":\"function\",\"function\":{\"name\":\"Read\","
                                            "\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}", out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, NULL, "[DONE]", out, NULL));
  r = reassemble (PM_API_ANTHROPIC, out->str);
  g_assert_cmpstr (g_ptr_array_index (r->tool_ids, 0), ==, "functions_Read_1");
}

static void
test_request_responses_replay (void)
{
  /* Codex sends back what a Claude turn became: a synthesised reasoning item and call ids. */
  const char *text =
    "{\"model\":\"gpt-5\",\"store\":false,\"input\":["
    "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"go\"}]},"
    "{\"type\":\"reasoning\",\"id\":\"rs_pmAbc\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"t\"}]},"
    "{\"type\":\"function_call\",\"id\":\"fc_pmAbc\",\"call_id\":\"call_1\",\"name\":\"shell\",\"arguments\":\"{}\"},"
    "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"ok\"},"
    "{\"type\":\"reasoning\",\"id\":\"rs_0a1\",\"summary\":[],\"encrypted_content\":\"gAAA\"},"
    "{\"type\":\"function_call\",\"id\":\"fc_0a1\",\"call_id\":\"call_2\",\"name\":\"shell\",\"arguments\":\"{}\"}]}";
  g_autoptr(JsonNode) body = parse (text);
  g_autoptr(JsonNode) same = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_OPENAI_RESPONSES, body, FALSE, NULL);
  g_autoptr(JsonNode) other = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_OPENAI_RESPONSES, body, TRUE, NULL);
  g_autofree char *same_text = json_to_string (same, FALSE);
  g_autofree char *other_text = json_to_string (other, FALSE);

  /* Same model: the upstream's own encrypted reasoning stays; what Pointsman made up goes. */
  g_assert_null (strstr (same_text, "rs_pm"));
  g_assert_nonnull (strstr (same_text, "gAAA"));
  g_assert_cmpuint (len_at (same, "input"), ==, 5);
  g_assert_cmpstr (str_at (same, "input/1/type"), ==, "function_call");
  g_assert_null (at (same, "input/1/id"));
  g_assert_cmpstr (str_at (same, "input/1/call_id"), ==, "call_1");
  g_assert_cmpstr (str_at (same, "input/4/id"), ==, "fc_0a1");
  /* Another model: no reasoning at all, and no ids that point at it. */
  g_assert_null (strstr (other_text, "gAAA"));
  g_assert_null (strstr (other_text, "\"id\""));
  g_assert_cmpuint (len_at (other, "input"), ==, 4);
}

static void
test_request_responses_to_chat (void)
{
  g_autoptr(JsonNode) body = load_fixture ("responses-request.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) c = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_OPENAI_CHAT, body, TRUE, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = json_to_string (c, FALSE);
  g_assert_cmpstr (str_at (c, "messages/0/role"), ==, "system");
  g_assert_cmpstr (str_at (c, "messages/0/content"), ==, "You are Codex, a coding agent.");
  g_assert_cmpstr (str_at (c, "messages/1/role"), ==, "system");
  g_assert_cmpstr (str_at (c, "messages/2/role"), ==, "user");
  g_assert_cmpstr (str_at (c, "messages/2/content"), ==, "List the files.");
  /* reasoning items are model-bound: gone */
  g_assert_null (strstr (text, "gAAAAABo-opaque"));
  g_assert_cmpstr (str_at (c, "messages/3/role"), ==, "assistant");
  g_assert_cmpstr (str_at (c, "messages/3/tool_calls/0/id"), ==, "call_1");
  g_assert_cmpstr (str_at (c, "messages/3/tool_calls/0/function/name"), ==, "shell");
  g_assert_cmpstr (str_at (c, "messages/4/role"), ==, "tool");
  g_assert_cmpstr (str_at (c, "messages/4/content"), ==, "main.c\nmeson.build");
  /* custom (freeform) tools travel as {"input": "…"} */
  g_assert_cmpstr (str_at (c, "messages/5/tool_calls/0/function/name"), ==, "apply_patch");
  assert_json_equal_text (str_at (c, "messages/5/tool_calls/0/function/arguments"),
                          "{\"input\":\"*** Begin Patch\\n*** End Patch\"}");
  g_assert_cmpstr (str_at (c, "messages/6/role"), ==, "tool");
  g_assert_cmpstr (str_at (c, "messages/7/content"), ==, "There are two files.");
  g_assert_cmpstr (str_at (c, "messages/8/content"), ==, "Thanks");
  g_assert_cmpuint (len_at (c, "messages"), ==, 9);

  g_assert_cmpuint (len_at (c, "tools"), ==, 2);
  g_assert_cmpstr (str_at (c, "tools/1/function/name"), ==, "apply_patch");
  g_assert_cmpstr (str_at (c, "tools/1/function/parameters/properties/input/type"), ==, "string");
  g_assert_cmpstr (str_at (c, "reasoning_effort"), ==, "high");
  g_assert_cmpstr (str_at (c, "prompt_cache_key"), ==, "0199a6f2-codex-session");
  g_assert_cmpstr (str_at (c, "tool_choice"), ==, "auto");
  g_assert_false (json_node_get_boolean (at (c, "parallel_tool_calls")));
  g_assert_null (at (c, "store"));
  g_assert_null (at (c, "include"));
}

static void
test_request_responses_to_anthropic (void)
{
  g_autoptr(JsonNode) body = load_fixture ("responses-request.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) a = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_ANTHROPIC, body, TRUE, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (len_at (a, "system"), ==, 2);
  g_assert_cmpstr (str_at (a, "system/0/text"), ==, "You are Codex, a coding agent.");
  g_assert_cmpstr (str_at (a, "messages/0/role"), ==, "user");
  g_assert_cmpstr (str_at (a, "messages/1/role"), ==, "assistant");
  g_assert_cmpstr (str_at (a, "messages/1/content/0/type"), ==, "tool_use");
  g_assert_cmpstr (str_at (a, "messages/1/content/0/input/command/0"), ==, "ls");
  g_assert_cmpstr (str_at (a, "messages/2/role"), ==, "user");
  g_assert_cmpstr (str_at (a, "messages/2/content/0/type"), ==, "tool_result");
  g_assert_cmpstr (str_at (a, "messages/2/content/0/tool_use_id"), ==, "call_1");
  /* turns alternate */
  for (guint i = 1; i < len_at (a, "messages"); i++)
    {
      g_autofree char *p0 = g_strdup_printf ("messages/%u/role", i - 1);
      g_autofree char *p1 = g_strdup_printf ("messages/%u/role", i);

      g_assert_cmpstr (str_at (a, p0), !=, str_at (a, p1));
    }
  g_assert_cmpstr (str_at (a, "metadata/user_id"), ==, "0199a6f2-codex-session");
}

static void
test_request_previous_response_id (void)
{
  g_autoptr(JsonNode) body = parse ("{\"model\":\"x\",\"previous_response_id\":\"resp_1\",\"input\":\"hi\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) out = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_ANTHROPIC, body, TRUE, &error);

  g_assert_null (out);
  g_assert_error (error, PM_ERROR, PM_ERROR_UNSUPPORTED);
}

static void
test_request_to_responses (void)
{
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(JsonNode) chat = load_fixture ("chat-request.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) r = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_RESPONSES, body, TRUE, &error);
  g_autoptr(JsonNode) r2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (str_at (r, "instructions"), ==, "You are Claude Code, Anthropic's official CLI for Claude.");
  g_assert_cmpstr (str_at (r, "input/0/type"), ==, "message");
  g_assert_cmpstr (str_at (r, "input/0/content/0/type"), ==, "input_text");
  g_assert_cmpstr (str_at (r, "input/0/content/1/type"), ==, "input_image");
  g_assert_cmpstr (str_at (r, "input/1/role"), ==, "assistant");
  g_assert_cmpstr (str_at (r, "input/1/content/0/type"), ==, "output_text");
  g_assert_cmpstr (str_at (r, "input/2/type"), ==, "function_call");
  g_assert_cmpstr (str_at (r, "input/2/call_id"), ==, "toolu_01A");
  g_assert_cmpstr (str_at (r, "input/3/call_id"), ==, "toolu_01B");
  g_assert_cmpstr (str_at (r, "input/4/type"), ==, "function_call_output");
  g_assert_cmpstr (str_at (r, "input/4/call_id"), ==, "toolu_01A");
  g_assert_cmpstr (str_at (r, "input/5/type"), ==, "function_call_output");
  g_assert_cmpstr (str_at (r, "input/6/role"), ==, "user");
  g_assert_cmpstr (str_at (r, "tools/0/type"), ==, "function");
  g_assert_cmpstr (str_at (r, "tools/0/name"), ==, "Read");
  g_assert_cmpint (int_at (r, "max_output_tokens"), ==, 32000);
  g_assert_cmpstr (str_at (r, "reasoning/effort"), ==, "medium");
  g_assert_cmpstr (str_at (r, "prompt_cache_key"), ==, "5b1c9f0e-3c1a-4c38-9a57-2f1f2b7f9e10");
  g_assert_cmpstr (str_at (r, "tool_choice"), ==, "required");
  g_assert_false (json_node_get_boolean (at (r, "store")));
  g_assert_null (at (r, "stream_options"));

  r2 = pm_translate_request (PM_API_OPENAI_CHAT, PM_API_OPENAI_RESPONSES, chat, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (str_at (r2, "instructions"), ==, "You are OpenCode.");
  g_assert_cmpint (int_at (r2, "max_output_tokens"), ==, 4096);
  g_assert_cmpstr (str_at (r2, "reasoning/effort"), ==, "low");
  g_assert_cmpstr (str_at (r2, "input/1/type"), ==, "function_call");
  g_assert_cmpstr (str_at (r2, "input/3/type"), ==, "function_call_output");
  g_assert_cmpstr (str_at (r2, "input/4/output"), ==, "B");
}

static void
test_request_round_trip (void)
{
  /* Anthropic → Chat → Anthropic keeps every tool id, input and result. */
  g_autoptr(JsonNode) body = load_fixture ("anthropic-request.json");
  g_autoptr(JsonNode) c = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, body, TRUE, NULL);
  g_autoptr(JsonNode) a = pm_translate_request (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, c, TRUE, NULL);

  g_assert_cmpstr (str_at (a, "messages/1/content/1/type"), ==, "tool_use");
  g_assert_cmpstr (str_at (a, "messages/1/content/1/id"), ==, "toolu_01A");
  g_assert_cmpstr (str_at (a, "messages/1/content/1/input/file_path"), ==, "/src/main.c");
  g_assert_cmpstr (str_at (a, "messages/1/content/2/input/command"), ==, "wc -l /src/main.c");
  g_assert_cmpstr (str_at (a, "messages/2/content/0/type"), ==, "tool_result");
  g_assert_cmpstr (str_at (a, "messages/2/content/0/tool_use_id"), ==, "toolu_01A");
  g_assert_cmpstr (str_at (a, "messages/2/content/1/tool_use_id"), ==, "toolu_01B");
  g_assert_cmpstr (str_at (a, "messages/2/content/2/text"), ==, "Also check the tests.");
  g_assert_cmpstr (str_at (a, "tool_choice/type"), ==, "any");
  g_assert_cmpint (int_at (a, "max_tokens"), ==, 32000);
}

static void
test_request_presets (void)
{
  g_autoptr(JsonNode) chat = load_fixture ("chat-request.json");
  g_autoptr(JsonNode) anthropic = load_fixture ("anthropic-request.json");
  g_autoptr(JsonNode) gemini = NULL;
  g_autoptr(JsonNode) openrouter = NULL;
  g_autoptr(JsonNode) local = NULL;
  g_autoptr(JsonNode) deepseek = NULL;
  g_autoptr(JsonNode) openrouter_a = NULL;
  g_autofree char *gemini_text = NULL;

  gemini = pm_translate_request_for_provider (PM_API_OPENAI_CHAT, PM_API_OPENAI_CHAT, chat, TRUE, "gemini", NULL);
  gemini_text = json_to_string (gemini, FALSE);
  g_assert_null (strstr (gemini_text, "$schema"));
  g_assert_null (strstr (gemini_text, "additionalProperties"));
  g_assert_null (at (gemini, "tools/0/function/parameters/properties/path/format"));
  /* a property that happens to be called "format" is kept */
  g_assert_cmpstr (str_at (gemini, "tools/0/function/parameters/properties/format/type"), ==, "string");
  g_assert_cmpstr (str_at (gemini, "messages/2/tool_calls/0/extra_content/google/thought_signature"), ==,
                   "skip_thought_signature_validator");
  g_assert_null (at (gemini, "prompt_cache_key"));
  g_assert_cmpint (int_at (gemini, "max_tokens"), ==, 4096);
  /* the client's own body is untouched */
  g_assert_nonnull (at (chat, "tools/0/function/parameters/$schema"));

  openrouter = pm_translate_request_for_provider (PM_API_OPENAI_CHAT, PM_API_OPENAI_CHAT, chat, TRUE,
                                                  "openrouter", NULL);
  g_assert_cmpstr (str_at (openrouter, "reasoning/effort"), ==, "low");
  g_assert_null (at (openrouter, "reasoning_effort"));
  g_assert_true (json_node_get_boolean (at (openrouter, "usage/include")));

  /* OpenRouter keeps Anthropic cache_control on content parts (Claude caching through it). */
  openrouter_a = pm_translate_request_for_provider (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, anthropic, TRUE,
                                                    "openrouter", NULL);
  g_assert_cmpstr (str_at (openrouter_a, "messages/0/content/0/cache_control/type"), ==, "ephemeral");
  g_assert_cmpstr (str_at (openrouter_a, "reasoning/effort"), ==, "medium");

  local = pm_translate_request_for_provider (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, anthropic, TRUE, "ollama", NULL);
  g_assert_null (at (local, "prompt_cache_key"));
  g_assert_null (at (local, "max_completion_tokens"));
  g_assert_cmpint (int_at (local, "max_tokens"), ==, 32000);
  g_assert_true (json_node_get_boolean (at (local, "stream_options/include_usage")));

  deepseek = pm_translate_request_for_provider (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, anthropic, TRUE,
                                                "deepseek", NULL);
  g_assert_cmpint (int_at (deepseek, "max_tokens"), ==, 8192);
}

static void
test_request_prompt_cache_key (void)
{
  g_autoptr(JsonNode) body = parse ("{\"model\":\"m\",\"messages\":[]}");
  g_autoptr(JsonNode) keyed = parse ("{\"model\":\"m\",\"messages\":[],\"prompt_cache_key\":\"k0\"}");

  pm_translate_set_prompt_cache_key (PM_API_OPENAI_CHAT, body, "sess-1");
  g_assert_cmpstr (str_at (body, "prompt_cache_key"), ==, "sess-1");
  pm_translate_set_prompt_cache_key (PM_API_OPENAI_RESPONSES, keyed, "sess-1");
  g_assert_cmpstr (str_at (keyed, "prompt_cache_key"), ==, "k0");
}

static void
test_request_structured_output (void)
{
  g_autoptr(JsonNode) a = parse ("{\"model\":\"m\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                                 "\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\","
                                 "\"properties\":{\"ok\":{\"type\":\"boolean\"}}}}}}");
  g_autoptr(JsonNode) r = parse ("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\","
                                 "\"name\":\"verdict\",\"strict\":true,\"schema\":{\"type\":\"object\"}}}}");
  g_autoptr(JsonNode) a_chat = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, a, TRUE, NULL);
  g_autoptr(JsonNode) r_chat = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_OPENAI_CHAT, r, TRUE, NULL);
  g_autoptr(JsonNode) r_a = pm_translate_request (PM_API_OPENAI_RESPONSES, PM_API_ANTHROPIC, r, TRUE, NULL);
  g_autoptr(JsonNode) a_r = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_RESPONSES, a, TRUE, NULL);

  g_assert_cmpstr (str_at (a_chat, "response_format/type"), ==, "json_schema");
  g_assert_cmpstr (str_at (a_chat, "response_format/json_schema/schema/properties/ok/type"), ==, "boolean");
  g_assert_cmpstr (str_at (r_chat, "response_format/json_schema/name"), ==, "verdict");
  g_assert_true (json_node_get_boolean (at (r_chat, "response_format/json_schema/strict")));
  g_assert_cmpstr (str_at (r_a, "output_config/format/type"), ==, "json_schema");
  g_assert_cmpstr (str_at (r_a, "output_config/format/schema/type"), ==, "object");
  g_assert_cmpstr (str_at (a_r, "text/format/type"), ==, "json_schema");
  g_assert_cmpstr (str_at (a_r, "text/format/schema/properties/ok/type"), ==, "boolean");
}

/* ----------------------------------------------------------------------------------------- */
/* Whole responses                                                                            */

static const char *anthropic_response =
  "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
  "\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"sig\"},"
  "{\"type\":\"text\",\"text\":\"Reading.\"},"
  "{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"Read\",\"input\":{\"file_path\":\"a\"}}],"
  "\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
  "\"usage\":{\"input_tokens\":100,\"cache_creation_input_tokens\":20,\"cache_read_input_tokens\":300,"
  "\"output_tokens\":50}}";

static const char *chat_response =
  "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-5-mini\","
  "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Reading.\","
  "\"tool_calls\":[{\"id\":\"call_9\",\"type\":\"function\",\"function\":{\"name\":\"Read\","
  "\"arguments\":\"{\\\"file_path\\\":\\\"a\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],"
  "\"usage\":{\"prompt_tokens\":420,\"completion_tokens\":50,\"total_tokens\":470,"
  "\"prompt_tokens_details\":{\"cached_tokens\":300},\"completion_tokens_details\":{\"reasoning_tokens\":10}}}";

static const char *responses_response =
  "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-5\","
  "\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},"
  "{\"type\":\"message\",\"id\":\"msg_1\",\"role\":\"assistant\",\"status\":\"completed\","
  "\"content\":[{\"type\":\"output_text\",\"text\":\"Reading.\",\"annotations\":[]}]},"
  "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_9\",\"name\":\"Read\","
  "\"arguments\":\"{\\\"file_path\\\":\\\"a\\\"}\",\"status\":\"completed\"}],"
  "\"usage\":{\"input_tokens\":420,\"input_tokens_details\":{\"cached_tokens\":300},"
  "\"output_tokens\":50,\"output_tokens_details\":{\"reasoning_tokens\":10},\"total_tokens\":470}}";

static void
check_response (PmApi     api,
                JsonNode *r,
                gint64    prompt_total)
{
  switch (api)
    {
    case PM_API_ANTHROPIC:
      g_assert_cmpstr (str_at (r, "type"), ==, "message");
      g_assert_cmpstr (str_at (r, "model"), ==, "client-model");
      g_assert_cmpstr (str_at (r, "content/0/text"), ==, "Reading.");
      g_assert_cmpstr (str_at (r, "content/1/type"), ==, "tool_use");
      g_assert_cmpstr (str_at (r, "content/1/name"), ==, "Read");
      g_assert_cmpstr (str_at (r, "content/1/input/file_path"), ==, "a");
      g_assert_cmpstr (str_at (r, "stop_reason"), ==, "tool_use");
      g_assert_cmpint (int_at (r, "usage/cache_read_input_tokens"), ==, 300);
      g_assert_cmpint (int_at (r, "usage/input_tokens") + int_at (r, "usage/cache_read_input_tokens") +
                       int_at (r, "usage/cache_creation_input_tokens"), ==, prompt_total);
      g_assert_cmpint (int_at (r, "usage/output_tokens"), ==, 50);
      break;
    case PM_API_OPENAI_CHAT:
      g_assert_cmpstr (str_at (r, "object"), ==, "chat.completion");
      g_assert_cmpstr (str_at (r, "model"), ==, "client-model");
      g_assert_cmpstr (str_at (r, "choices/0/message/content"), ==, "Reading.");
      g_assert_cmpstr (str_at (r, "choices/0/message/tool_calls/0/function/name"), ==, "Read");
      assert_json_equal_text (str_at (r, "choices/0/message/tool_calls/0/function/arguments"),
                              "{\"file_path\":\"a\"}");
      g_assert_cmpstr (str_at (r, "choices/0/finish_reason"), ==, "tool_calls");
      g_assert_cmpint (int_at (r, "usage/prompt_tokens"), ==, prompt_total);
      g_assert_cmpint (int_at (r, "usage/prompt_tokens_details/cached_tokens"), ==, 300);
      g_assert_cmpint (int_at (r, "usage/completion_tokens"), ==, 50);
      break;
    case PM_API_OPENAI_RESPONSES:
      g_assert_cmpstr (str_at (r, "object"), ==, "response");
      g_assert_cmpstr (str_at (r, "status"), ==, "completed");
      g_assert_cmpstr (str_at (r, "model"), ==, "client-model");
      for (guint i = 0; i < len_at (r, "output"); i++)
        {
          g_autofree char *p = g_strdup_printf ("output/%u/type", i);
          g_autofree char *pt = g_strdup_printf ("output/%u/content/0/text", i);
          g_autofree char *pn = g_strdup_printf ("output/%u/name", i);

          if (g_strcmp0 (str_at (r, p), "message") == 0)
            g_assert_cmpstr (str_at (r, pt), ==, "Reading.");
          else if (g_strcmp0 (str_at (r, p), "function_call") == 0)
            g_assert_cmpstr (str_at (r, pn), ==, "Read");
        }
      g_assert_cmpint (int_at (r, "usage/input_tokens"), ==, prompt_total);
      g_assert_cmpint (int_at (r, "usage/input_tokens_details/cached_tokens"), ==, 300);
      g_assert_cmpint (int_at (r, "usage/output_tokens"), ==, 50);
      break;
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
}

static void
test_response_reasoning_to_anthropic (void)
{
  g_autoptr(JsonNode) in = parse ("{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                                  "\"message\":{\"role\":\"assistant\",\"content\":\"42\",\"reasoning_content\":\"Six times seven.\"},"
                                  "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9}}");
  g_autoptr(JsonNode) a = pm_translate_response (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, in, "m", NULL);
  g_autoptr(JsonNode) history = NULL;
  g_autoptr(JsonNode) replay = NULL;
  g_autofree char *body = NULL;
  g_autofree char *content = NULL;

  g_assert_cmpstr (str_at (a, "content/0/type"), ==, "thinking");
  g_assert_cmpstr (str_at (a, "content/0/thinking"), ==, "Six times seven.");
  g_assert_cmpstr (str_at (a, "content/1/text"), ==, "42");
  g_assert_cmpstr (str_at (a, "stop_reason"), ==, "end_turn");

  /* The client sends it back in its history: the unsigned thinking never reaches Claude. */
  content = json_to_string (at (a, "content"), FALSE);
  body = g_strdup_printf ("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                          "{\"role\":\"assistant\",\"content\":%s},{\"role\":\"user\",\"content\":\"and?\"}]}",
                          content);
  history = parse (body);
  replay = pm_translate_request (PM_API_ANTHROPIC, PM_API_ANTHROPIC, history, FALSE, NULL);
  g_assert_cmpuint (len_at (replay, "messages/1/content"), ==, 1);
  g_assert_cmpstr (str_at (replay, "messages/1/content/0/text"), ==, "42");
}

static void
test_responses_all_pairs (void)
{
  const char *bodies[PM_API_LAST] = { anthropic_response, chat_response, responses_response };
  gint64 totals[PM_API_LAST] = { 420, 420, 420 };

  for (PmApi from = 0; from < PM_API_LAST; from++)
    for (PmApi to = 0; to < PM_API_LAST; to++)
      {
        g_autoptr(JsonNode) in = parse (bodies[from]);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) out = NULL;

        if (from == to)
          continue;
        out = pm_translate_response (from, to, in, "client-model", &error);
        g_assert_no_error (error);
        g_test_message ("response %s → %s", pm_api_to_string (from), pm_api_to_string (to));
        check_response (to, out, totals[from]);
      }
}

/* ----------------------------------------------------------------------------------------- */
/* Streams                                                                                    */

static const char *stream_fixtures[PM_API_LAST] = {
  "anthropic-stream.sse", "chat-stream.sse", "responses-stream.sse"
};

static void
test_stream_pair (gconstpointer data)
{
  guint pair = GPOINTER_TO_UINT (data);
  PmApi from = pair / PM_API_LAST;
  PmApi to = pair % PM_API_LAST;
  g_autoptr(GPtrArray) events = load_stream_fixture (stream_fixtures[from]);
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (from, to, "client-model");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;
  gboolean saw_text_early = FALSE;

  for (guint i = 0; i < events->len; i++)
    {
      Event *e = g_ptr_array_index (events, i);
      g_autoptr(GError) error = NULL;
      gsize before = out->len;

      g_assert_true (pm_stream_translator_feed (tr, e->event, e->data, out, &error));
      g_assert_no_error (error);
      /* No buffering: the first text fragment reaches the client with the event carrying it. */
      if (strstr (e->data, "Let me read ") != NULL && !strstr (e->data, "main.c."))
        {
          g_assert_cmpuint (out->len, >, before);
          g_assert_nonnull (strstr (out->str + before, "Let me read "));
          saw_text_early = TRUE;
        }
    }
  g_assert_true (saw_text_early);
  g_assert_true (pm_stream_translator_is_done (tr));
  {
    gsize len = out->len;

    pm_stream_translator_finish (tr, out);
    g_assert_cmpuint (out->len, ==, len);   /* nothing more after a clean end */
  }

  r = reassemble (to, out->str);
  g_assert_false (r->error);
  g_assert_cmpstr (r->text->str, ==, "Let me read main.c.");
  if (from != PM_API_OPENAI_CHAT)
    g_assert_cmpstr (r->thinking->str, ==, "I should look at the file first.");
  g_assert_cmpuint (r->tool_names->len, ==, from == PM_API_OPENAI_CHAT ? 2 : 1);
  g_assert_cmpstr (g_ptr_array_index (r->tool_names, 0), ==, "Read");
  assert_json_equal_text (g_ptr_array_index (r->tool_args, 0), "{\"file_path\":\"/src/main.c\",\"limit\":40}");
  if (from == PM_API_OPENAI_CHAT)
    {
      g_assert_cmpstr (g_ptr_array_index (r->tool_ids, 0), ==, "call_AbC123");
      g_assert_cmpstr (g_ptr_array_index (r->tool_names, 1), ==, "Bash");
      assert_json_equal_text (g_ptr_array_index (r->tool_args, 1), "{\"command\":\"ls\"}");
    }
  else if (from == PM_API_ANTHROPIC)
    g_assert_cmpstr (g_ptr_array_index (r->tool_ids, 0), ==, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
  else
    g_assert_cmpstr (g_ptr_array_index (r->tool_ids, 0), ==, "call_AbC123");
  g_assert_cmpstr (r->stop, ==, "tool_use");
  /* Usage: the prompt total and cache reads survive every direction (final totals). */
  g_assert_cmpint (r->prompt_total, ==, 4672);
  g_assert_cmpint (r->cache_read, ==, 3000);
  g_assert_cmpint (r->output, ==, 89);
  /* A signature never reaches another API. */
  g_assert_null (strstr (out->str, "EqQBCgIYAhIM"));
  g_assert_null (strstr (out->str, "gAAAAABo-opaque"));
}

static void
test_stream_identity (void)
{
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_ANTHROPIC, PM_API_ANTHROPIC, "m");
  g_autoptr(GString) out = g_string_new (NULL);

  g_assert_true (pm_stream_translator_feed (tr, "ping", "{\"type\": \"ping\"}", out, NULL));
  g_assert_cmpstr (out->str, ==, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
}

static void
test_stream_midstream_error (void)
{
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;

  g_assert_true (pm_stream_translator_feed (tr, "message_start",
                                            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
                                            "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}", out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, "content_block_start",
                                            "{\"type\":\"content_block_start\",\"index\":0,"
                                            "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}", out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, "content_block_delta",
                                            "{\"type\":\"content_block_delta\",\"index\":0,"
                                            "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}", out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, "error",
                                            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                                            "\"message\":\"Overloaded\"}}", out, NULL));
  pm_stream_translator_finish (tr, out);
  r = reassemble (PM_API_OPENAI_CHAT, out->str);
  g_assert_true (r->error);
  g_assert_cmpstr (r->text->str, ==, "Hel");
  g_assert_cmpstr (r->error_message, ==, "Overloaded");
  g_assert_cmpstr (r->error_type, ==, "server_error");
}

static void
test_stream_cut (gconstpointer data)
{
  PmApi to = GPOINTER_TO_UINT (data);
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_RESPONSES, to, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;

  g_assert_true (pm_stream_translator_feed (tr, "response.created",
                                            "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\"}}",
                                            out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, "response.output_text.delta",
                                            "{\"type\":\"response.output_text.delta\",\"output_index\":0,"
                                            "\"delta\":\"partial\"}", out, NULL));
  g_assert_false (pm_stream_translator_is_done (tr));
  pm_stream_translator_finish (tr, out);
  g_assert_true (pm_stream_translator_is_done (tr));
  r = reassemble (to, out->str);
  g_assert_true (r->error);
  g_assert_cmpstr (r->text->str, ==, "partial");
}

static void
test_stream_chat_without_done (void)
{
  /* Some local servers end after the finish_reason chunk without [DONE]. */
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;

  g_assert_true (pm_stream_translator_feed (tr, NULL,
                                            "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},"
                                            "\"finish_reason\":null}]}", out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, NULL,
                                            "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},"
                                            "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":7,"
                                            "\"completion_tokens\":3,\"total_tokens\":10}}", out, NULL));
  pm_stream_translator_finish (tr, out);
  r = reassemble (PM_API_ANTHROPIC, out->str);
  g_assert_false (r->error);
  g_assert_cmpstr (r->text->str, ==, "ok");
  g_assert_cmpstr (r->stop, ==, "max_tokens");
  g_assert_cmpint (r->prompt_total, ==, 7);
  g_assert_cmpint (r->output, ==, 3);
}

static void
test_stream_chat_calls_without_index (void)
{
  /* Two calls, each whole in one chunk, neither with an index. */
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;

  g_assert_true (pm_stream_translator_feed (tr, NULL,
                                            "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
                                            "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"Read\","
                                            "\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}}]},\"finish_reason\":null}]}", out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, NULL,
                                            "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
                                            "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"Read\","
                                            "\"arguments\":\"{\\\"path\\\":\\\"b\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}", out, NULL));
  g_assert_true (pm_stream_translator_feed (tr, NULL, "[DONE]", out, NULL));
  r = reassemble (PM_API_ANTHROPIC, out->str);
  g_assert_cmpuint (r->tool_names->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (r->tool_ids, 1), ==, "call_2");
  assert_json_equal_text (g_ptr_array_index (r->tool_args, 0), "{\"path\":\"a\"}");
  assert_json_equal_text (g_ptr_array_index (r->tool_args, 1), "{\"path\":\"b\"}");
  g_assert_cmpstr (r->stop, ==, "tool_use");
}

static void
feed_all (PmStreamTranslator *tr,
          GString            *out,
          const char * const *events)     /* event, data, event, data, …, NULL */
{
  for (guint i = 0; events[i] != NULL; i += 2)
    {
      g_autoptr(GError) error = NULL;
      const char *event = *events[i] ? events[i] : NULL;

      g_assert_true (pm_stream_translator_feed (tr, event, events[i + 1], out, &error));
      g_assert_no_error (error);
    }
  pm_stream_translator_finish (tr, out);
}

static void
test_stream_server_tools_skipped (void)
{
  /* Anthropic's own web search (server_tool_use, its result, redacted thinking) has no place
   * in a Chat stream; the text around it arrives whole. */
  const char *events[] = {
    "message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}",
    "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"xyz\"}}",
    "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}",
    "content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{}}}",
    "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"query\\\":\\\"glib\\\"}\"}}",
    "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}",
    "content_block_start", "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"web_search_tool_result\",\"tool_use_id\":\"srvtoolu_1\",\"content\":[]}}",
    "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":2}",
    "content_block_start", "{\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
    "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"GLib is a library.\"}}",
    "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":3}",
    "message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":30}}",
    "message_stop", "{\"type\":\"message_stop\"}",
    NULL
  };
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;

  feed_all (tr, out, events);
  r = reassemble (PM_API_OPENAI_CHAT, out->str);
  g_assert_false (r->error);
  g_assert_cmpstr (r->text->str, ==, "GLib is a library.");
  g_assert_cmpuint (r->tool_names->len, ==, 0);
  g_assert_cmpstr (r->stop, ==, "end_turn");
  g_assert_cmpint (r->output, ==, 30);
  g_assert_null (strstr (out->str, "srvtoolu"));
}

static void
test_stream_chat_reasoning_to_anthropic (void)
{
  /* DeepSeek/vLLM reasoning_content, then the answer: a thinking block, then a text block. */
  const char *events[] = {
    "", "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Think \"},\"finish_reason\":null}]}",
    "", "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hard.\"},\"finish_reason\":null}]}",
    "", "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Answer.\"},\"finish_reason\":null}]}",
    "", "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20,\"prompt_cache_hit_tokens\":64,\"prompt_cache_miss_tokens\":36,"
        "\"completion_tokens_details\":{\"reasoning_tokens\":12}}}",
    "", "[DONE]",
    NULL
  };
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;
  g_autoptr(GPtrArray) events_out = NULL;
  guint starts = 0;

  feed_all (tr, out, events);
  r = reassemble (PM_API_ANTHROPIC, out->str);
  g_assert_cmpstr (r->thinking->str, ==, "Think hard.");
  g_assert_cmpstr (r->text->str, ==, "Answer.");
  g_assert_cmpstr (r->stop, ==, "end_turn");
  /* DeepSeek's cache hits count as cache reads. */
  g_assert_cmpint (r->cache_read, ==, 64);
  g_assert_cmpint (r->prompt_total, ==, 100);
  events_out = split_sse (out->str);
  for (guint i = 0; i < events_out->len; i++)
    if (g_strcmp0 (((Event *) g_ptr_array_index (events_out, i))->event, "content_block_start") == 0)
      starts++;
  g_assert_cmpuint (starts, ==, 2);
}

static void
test_stream_responses_two_calls_to_chat (void)
{
  const char *events[] = {
    "response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\"}}",
    "response.output_item.added", "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_a\",\"name\":\"read\",\"arguments\":\"\"}}",
    "response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"output_index\":0,\"delta\":\"{\\\"p\\\":1}\"}",
    "response.output_item.done", "{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_a\",\"name\":\"read\",\"arguments\":\"{\\\"p\\\":1}\"}}",
    /* the second call arrives only in its done event (some servers skip the deltas) */
    "response.output_item.done", "{\"type\":\"response.output_item.done\",\"output_index\":1,\"item\":{\"type\":\"function_call\",\"id\":\"fc_2\",\"call_id\":\"call_b\",\"name\":\"read\",\"arguments\":\"{\\\"p\\\":2}\"}}",
    "response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"usage\":{\"input_tokens\":50,\"output_tokens\":10}}}",
    NULL
  };
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_RESPONSES, PM_API_OPENAI_CHAT, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(Result) r = NULL;

  feed_all (tr, out, events);
  r = reassemble (PM_API_OPENAI_CHAT, out->str);
  g_assert_cmpuint (r->tool_names->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (r->tool_ids, 0), ==, "call_a");
  g_assert_cmpstr (g_ptr_array_index (r->tool_ids, 1), ==, "call_b");
  assert_json_equal_text (g_ptr_array_index (r->tool_args, 0), "{\"p\":1}");
  assert_json_equal_text (g_ptr_array_index (r->tool_args, 1), "{\"p\":2}");
  g_assert_cmpstr (r->stop, ==, "tool_use");
  g_assert_cmpint (r->prompt_total, ==, 50);
}

static void
test_stream_bad_event (void)
{
  g_autoptr(PmStreamTranslator) tr = pm_stream_translator_new (PM_API_OPENAI_CHAT, PM_API_ANTHROPIC, "m");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (pm_stream_translator_feed (tr, NULL, "{not json", out, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_UPSTREAM);
  g_clear_error (&error);
  /* Two data: lines in one event join into two JSON values: rejected as a whole. */
  g_assert_false (pm_stream_translator_feed (tr, NULL, "{\"id\":\"a\",\"choices\":[]}\n{\"id\":\"b\"}", out, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_UPSTREAM);
  g_clear_error (&error);
  /* Braces inside strings do not confuse the check. */
  g_assert_true (pm_stream_translator_feed (tr, NULL,
                                            "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"} {\\\"\"},"
                                            "\"finish_reason\":null}]}", out, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out->str, "} {\\\""));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/translate/error/bodies", test_error_bodies);
  g_test_add_func ("/pm/translate/error/events", test_error_events);
  g_test_add_func ("/pm/translate/error/translate", test_translate_error);

  g_test_add_func ("/pm/translate/request/identity", test_request_identity);
  g_test_add_func ("/pm/translate/request/anthropic-to-chat", test_request_anthropic_to_chat);
  g_test_add_func ("/pm/translate/request/legacy-user-id", test_request_legacy_user_id);
  g_test_add_func ("/pm/translate/request/chat-to-anthropic", test_request_chat_to_anthropic);
  g_test_add_func ("/pm/translate/request/chat-effort-to-anthropic", test_request_chat_effort_to_anthropic);
  g_test_add_func ("/pm/translate/request/thinking-continuation", test_request_thinking_continuation);
  g_test_add_func ("/pm/translate/request/thinking-foreign-turn", test_request_thinking_foreign_turn);
  g_test_add_func ("/pm/translate/request/responses-replay", test_request_responses_replay);
  g_test_add_func ("/pm/translate/request/tool-ids", test_request_tool_ids);
  g_test_add_func ("/pm/translate/request/documents", test_request_documents);
  g_test_add_func ("/pm/translate/request/long-tool-names", test_long_tool_names);
  g_test_add_func ("/pm/translate/request/responses-to-chat", test_request_responses_to_chat);
  g_test_add_func ("/pm/translate/request/responses-to-anthropic", test_request_responses_to_anthropic);
  g_test_add_func ("/pm/translate/request/previous-response-id", test_request_previous_response_id);
  g_test_add_func ("/pm/translate/request/to-responses", test_request_to_responses);
  g_test_add_func ("/pm/translate/request/round-trip", test_request_round_trip);
  g_test_add_func ("/pm/translate/request/presets", test_request_presets);
  g_test_add_func ("/pm/translate/request/prompt-cache-key", test_request_prompt_cache_key);
  g_test_add_func ("/pm/translate/request/structured-output", test_request_structured_output);

  g_test_add_func ("/pm/translate/response/all-pairs", test_responses_all_pairs);
  g_test_add_func ("/pm/translate/response/reasoning-to-anthropic", test_response_reasoning_to_anthropic);

  for (PmApi from = 0; from < PM_API_LAST; from++)
    for (PmApi to = 0; to < PM_API_LAST; to++)
      {
        g_autofree char *path = NULL;

        if (from == to)
          continue;
        path = g_strdup_printf ("/pm/translate/stream/%s-to-%s", pm_api_to_string (from), pm_api_to_string (to));
        g_test_add_data_func (path, GUINT_TO_POINTER (from * PM_API_LAST + to), test_stream_pair);
      }
  g_test_add_func ("/pm/translate/stream/identity", test_stream_identity);
  g_test_add_func ("/pm/translate/stream/midstream-error", test_stream_midstream_error);
  g_test_add_data_func ("/pm/translate/stream/cut/anthropic", GUINT_TO_POINTER (PM_API_ANTHROPIC), test_stream_cut);
  g_test_add_data_func ("/pm/translate/stream/cut/openai-chat", GUINT_TO_POINTER (PM_API_OPENAI_CHAT), test_stream_cut);
  g_test_add_func ("/pm/translate/stream/chat-without-done", test_stream_chat_without_done);
  g_test_add_func ("/pm/translate/stream/chat-calls-without-index", test_stream_chat_calls_without_index);
  g_test_add_func ("/pm/translate/stream/server-tools-skipped", test_stream_server_tools_skipped);
  g_test_add_func ("/pm/translate/stream/chat-reasoning-to-anthropic", test_stream_chat_reasoning_to_anthropic);
  g_test_add_func ("/pm/translate/stream/responses-two-calls-to-chat", test_stream_responses_two_calls_to_chat);
  g_test_add_func ("/pm/translate/stream/bad-event", test_stream_bad_event);

  return g_test_run ();
}
