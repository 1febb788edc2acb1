/* test-request.c — request parsing and features for the three APIs, and the token estimate
 * against the usage recorded in real Claude Code sessions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "pm-json-fast.h"
#include "pm-request-private.h"
#include "pm-test-utils.h"

static JsonNode *
load_fixture (const char *name)
{
  g_autofree char *path = pm_test_fixture_path (name);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);

  return json_node_ref (json_parser_get_root (parser));
}

/* A fixture {"api","headers","body"} as a request. */
static PmRequest *
fixture_request (const char *name)
{
  g_autoptr(JsonNode) root = load_fixture (name);
  JsonObject *object = json_node_get_object (root);
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  JsonObjectIter iter;
  const char *hname;
  JsonNode *value;
  PmApi api;
  PmRequest *request;

  g_assert_true (pm_api_from_string (json_object_get_string_member (object, "api"), &api));
  json_object_iter_init (&iter, json_object_get_object_member (object, "headers"));
  while (json_object_iter_next (&iter, &hname, &value))
    g_hash_table_insert (headers, g_strdup (hname), g_strdup (json_node_get_string (value)));

  request = pm_request_new (api, headers, json_object_get_member (object, "body"), &error);
  g_assert_no_error (error);

  return request;
}

static PmRequest *
request_from_string (PmApi       api,
                     const char *json,
                     ...)
{
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));
  g_autoptr(GError) error = NULL;
  PmRequest *request;
  va_list args;
  const char *name;

  va_start (args, json);
  while ((name = va_arg (args, const char *)) != NULL)
    g_hash_table_insert (headers, g_strdup (name), g_strdup (va_arg (args, const char *)));
  va_end (args);

  request = pm_request_new_from_bytes (api, headers, bytes, &error);
  g_assert_no_error (error);

  return request;
}

static void
test_claude_code (void)
{
  g_autoptr(PmRequest) r = fixture_request ("requests/claude-code-tool-result.json");
  const PmRequestFeatures *f = pm_request_get_features (r);
  const PmPrefixMark *marks;
  guint n = 0;

  g_assert_cmpint (pm_request_get_agent (r), ==, PM_AGENT_CLAUDE_CODE);
  g_assert_cmpstr (pm_request_get_session_id (r), ==, "3f1c2a9e-fixture-session");
  g_assert_cmpstr (f->session_source, ==, "x-claude-code-session-id");
  g_assert_cmpint (pm_request_get_kind (r), ==, PM_KIND_MAIN);
  g_assert_cmpint (pm_request_get_step (r), ==, PM_STEP_TOOL_RESULT);
  g_assert_cmpint (pm_request_get_effort (r), ==, PM_EFFORT_MEDIUM);
  g_assert_cmpstr (pm_request_get_model (r), ==, "pointsman/auto");
  g_assert_true (pm_request_get_stream (r));
  g_assert_true (pm_request_has_tools (r));
  g_assert_false (pm_request_has_images (r));
  g_assert_false (pm_request_has_thinking_blocks (r));
  g_assert_cmpint (pm_request_get_max_output (r), ==, 32000);
  g_assert_cmpint (f->n_tools, ==, 2);
  g_assert_cmpint (f->n_tool_results, ==, 1);
  g_assert_cmpint (f->n_tool_errors, ==, 0);
  g_assert_cmpint (f->breakpoints, ==, 2);
  g_assert_true (f->has_1h_ttl);
  g_assert_cmpint (pm_request_get_input_tokens (r), ==, f->tools_tokens + f->system_tokens + f->messages_tokens);
  g_assert_cmpint (f->tools_tokens, >, 50);

  /* marks: tools, system, one per message; tokens grow; the last carries the breakpoint */
  marks = pm_request_get_marks (r, &n);
  g_assert_cmpint (n, >=, 5);
  for (guint i = 1; i < n; i++)
    g_assert_cmpint (marks[i].tokens, >=, marks[i - 1].tokens);
  g_assert_true (marks[n - 1].breakpoint);
  g_assert_true (marks[n - 1].ttl_1h);
  g_assert_cmpint (marks[n - 1].tokens, ==, pm_request_get_input_tokens (r));
}

static void
test_session_sources (void)
{
  const char *legacy = "{\"model\":\"m\",\"max_tokens\":10,\"metadata\":{\"user_id\":"
                       "\"user_abc_account_def_session_5b9e-legacy\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  const char *json_id = "{\"model\":\"m\",\"max_tokens\":10,\"metadata\":{\"user_id\":"
                        "\"{\\\"device_id\\\":\\\"d\\\",\\\"account_uuid\\\":\\\"a\\\",\\\"session_id\\\":\\\"77-json\\\"}\"},"
                        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  const char *plain_a = "{\"model\":\"m\",\"max_tokens\":10,\"system\":\"be brief\",\"messages\":[{\"role\":\"user\",\"content\":\"task one\"}]}";
  const char *plain_a2 = "{\"model\":\"m\",\"max_tokens\":10,\"system\":\"be brief\",\"messages\":[{\"role\":\"user\",\"content\":\"task one\"},"
                         "{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"more\"}]}";
  const char *plain_b = "{\"model\":\"m\",\"max_tokens\":10,\"system\":\"be brief\",\"messages\":[{\"role\":\"user\",\"content\":\"task two\"}]}";
  g_autoptr(PmRequest) r1 = request_from_string (PM_API_ANTHROPIC, legacy, NULL);
  g_autoptr(PmRequest) r2 = request_from_string (PM_API_ANTHROPIC, json_id, NULL);
  g_autoptr(PmRequest) r3 = request_from_string (PM_API_ANTHROPIC, json_id, "x-claude-code-session-id", "hdr", NULL);
  g_autoptr(PmRequest) a = request_from_string (PM_API_ANTHROPIC, plain_a, NULL);
  g_autoptr(PmRequest) a2 = request_from_string (PM_API_ANTHROPIC, plain_a2, NULL);
  g_autoptr(PmRequest) b = request_from_string (PM_API_ANTHROPIC, plain_b, NULL);
  g_autoptr(PmRequest) codex = request_from_string (PM_API_OPENAI_RESPONSES,
                                                    "{\"model\":\"m\",\"input\":\"hi\",\"prompt_cache_key\":\"pck-1\"}", NULL);
  g_autoptr(PmRequest) codex_meta = request_from_string (PM_API_OPENAI_RESPONSES, "{\"model\":\"m\",\"input\":\"hi\"}",
                                                         "x-codex-turn-metadata", "{\"session_id\":\"turnmeta-9\",\"turn_id\":\"t\"}",
                                                         NULL);

  g_assert_cmpstr (pm_request_get_session_id (r1), ==, "5b9e-legacy");
  g_assert_cmpint (pm_request_get_agent (r1), ==, PM_AGENT_CLAUDE_CODE);
  g_assert_cmpstr (pm_request_get_session_id (r2), ==, "77-json");
  g_assert_cmpstr (pm_request_get_session_id (r3), ==, "hdr");   /* headers first */
  g_assert_cmpstr (pm_request_get_session_id (codex), ==, "pck-1");
  g_assert_cmpstr (pm_request_get_session_id (codex_meta), ==, "turnmeta-9");
  g_assert_cmpint (pm_request_get_agent (codex_meta), ==, PM_AGENT_CODEX);
  /* the hash of system + first user message: stable over a session, distinct between tasks */
  g_assert_true (g_str_has_prefix (pm_request_get_session_id (a), "h-"));
  g_assert_cmpstr (pm_request_get_session_id (a), ==, pm_request_get_session_id (a2));
  g_assert_cmpstr (pm_request_get_session_id (a), !=, pm_request_get_session_id (b));
}

static void
test_kinds (void)
{
  g_autoptr(PmRequest) title = fixture_request ("requests/claude-code-title.json");
  g_autoptr(PmRequest) sub = fixture_request ("requests/claude-code-subagent.json");
  g_autoptr(PmRequest) compaction = fixture_request ("requests/claude-code-compaction.json");
  g_autoptr(PmRequest) sub_prompt = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"m\",\"max_tokens\":10,\"metadata\":{\"user_id\":\"user_a_account_b_session_S1\"},"
    "\"system\":[{\"type\":\"text\",\"text\":\"You are an agent for Claude Code, Anthropic's official CLI.\"}],"
    "\"tools\":[{\"name\":\"Read\",\"input_schema\":{}}],\"messages\":[{\"role\":\"user\",\"content\":\"find files\"}]}", NULL);
  g_autoptr(PmRequest) quota = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"quota\"}]}", NULL);
  g_autoptr(PmRequest) haiku_bg = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"claude-haiku-4-5-20251001\",\"max_tokens\":512,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
    "user-agent", "claude-cli/2.1.39 (external, cli)", NULL);
  g_autoptr(PmRequest) codex_compact = request_from_string (PM_API_OPENAI_RESPONSES, "{\"model\":\"m\",\"input\":\"x\"}",
                                                            "x-openai-subagent", "compact", "session-id", "C1", NULL);
  g_autoptr(PmRequest) codex_review = request_from_string (PM_API_OPENAI_RESPONSES, "{\"model\":\"m\",\"input\":\"x\"}",
                                                           "x-openai-subagent", "review", "session-id", "C1",
                                                           "thread-id", "T2", NULL);
  g_autoptr(PmRequest) trigger = request_from_string (PM_API_OPENAI_RESPONSES,
    "{\"model\":\"m\",\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"x\"},{\"type\":\"compaction_trigger\"}]}", NULL);

  g_assert_cmpint (pm_request_get_kind (title), ==, PM_KIND_BACKGROUND);
  g_assert_cmpint (pm_request_get_kind (sub), ==, PM_KIND_SUBAGENT);
  g_assert_cmpstr (pm_request_get_parent_session_id (sub), ==, "3f1c2a9e-fixture-session");
  g_assert_true (g_str_has_prefix (pm_request_get_session_id (sub), "3f1c2a9e-fixture-session/"));
  g_assert_cmpint (pm_request_get_kind (compaction), ==, PM_KIND_COMPACTION);
  g_assert_cmpint (pm_request_get_kind (sub_prompt), ==, PM_KIND_SUBAGENT);
  g_assert_cmpstr (pm_request_get_parent_session_id (sub_prompt), ==, "S1");
  g_assert_cmpstr (pm_request_get_session_id (sub_prompt), !=, "S1");
  g_assert_cmpint (pm_request_get_kind (quota), ==, PM_KIND_BACKGROUND);
  g_assert_cmpint (pm_request_get_kind (haiku_bg), ==, PM_KIND_BACKGROUND);
  g_assert_cmpint (pm_request_get_kind (codex_compact), ==, PM_KIND_COMPACTION);
  g_assert_cmpint (pm_request_get_kind (codex_review), ==, PM_KIND_SUBAGENT);
  g_assert_cmpstr (pm_request_get_session_id (codex_review), ==, "C1/review-T2");
  g_assert_cmpint (pm_request_get_kind (trigger), ==, PM_KIND_COMPACTION);

  {
    g_autoptr(PmRequest) warmup = request_from_string (PM_API_ANTHROPIC,
      "{\"model\":\"m\",\"max_tokens\":10,\"tools\":[{\"name\":\"Read\",\"input_schema\":{}}],"
      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Warmup\"}]}]}", NULL);

    g_assert_cmpint (pm_request_get_kind (warmup), ==, PM_KIND_BACKGROUND);
  }
}

static PmStep
step_of_tool_result (const char *tool,
                     const char *content,
                     gboolean    is_error)
{
  g_autofree char *escaped = g_strescape (content, NULL);
  g_autofree char *json = g_strdup_printf (
    "{\"model\":\"m\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"%s\",\"input\":{\"command\":\"x\"}}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"is_error\":%s,\"content\":\"%s\"}]}]}",
    tool, is_error ? "true" : "false", escaped);
  g_autoptr(PmRequest) r = request_from_string (PM_API_ANTHROPIC, json, NULL);

  return pm_request_get_step (r);
}

static PmStep
step_of_result (const char *content,
                gboolean    is_error)
{
  return step_of_tool_result ("Bash", content, is_error);
}

static PmStep
step_of_text (const char *text)
{
  g_autofree char *escaped = g_strescape (text, NULL);
  g_autofree char *json = g_strdup_printf ("{\"model\":\"m\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                                           escaped);
  g_autoptr(PmRequest) r = request_from_string (PM_API_ANTHROPIC, json, NULL);

  return pm_request_get_step (r);
}

/* The same user text after the agent has already answered once. */
static PmStep
step_of_later_text (const char *text)
{
  g_autofree char *escaped = g_strescape (text, NULL);
  g_autofree char *json = g_strdup_printf ("{\"model\":\"m\",\"max_tokens\":100,\"messages\":["
                                           "{\"role\":\"user\",\"content\":\"Fix the date parser.\"},"
                                           "{\"role\":\"assistant\",\"content\":\"Done: parse_date now accepts ISO weeks.\"},"
                                           "{\"role\":\"user\",\"content\":\"%s\"}]}",
                                           escaped);
  g_autoptr(PmRequest) r = request_from_string (PM_API_ANTHROPIC, json, NULL);

  return pm_request_get_step (r);
}

static void
test_steps (void)
{
  /* a bug report quoted in a session's first instruction (as SWE-bench issue texts do) */
  const char *report = "parse_date doesn't work on ISO weeks:\n\nTraceback (most recent call last):\n"
                       "  File \"dates.py\", line 3, in parse_date\nValueError: bad week\n\n"
                       "Expected 2024-W01 to parse.";

  g_assert_cmpint (step_of_result ("src/a.c\nsrc/b.c\n", FALSE), ==, PM_STEP_TOOL_RESULT);
  g_assert_cmpint (step_of_result ("permission denied", TRUE), ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (step_of_result ("Traceback (most recent call last):\n  File \"x.py\"\nKeyError: 1", FALSE),
                   ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (step_of_result ("collected 3 items\n\ntest_a.py ..F\n=== 1 failed, 2 passed ===", FALSE),
                   ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (step_of_result ("make: *** [all] Error 2\nExit code 2", FALSE), ==, PM_STEP_ERROR_RECOVERY);
  /* a file that merely contains error strings is not a failure; the flag still counts */
  g_assert_cmpint (step_of_tool_result ("Read", "12  throw new Error(\"Error: bad input\");\n13  // Traceback (most recent call last)", FALSE),
                   ==, PM_STEP_TOOL_RESULT);
  g_assert_cmpint (step_of_tool_result ("Read", "File does not exist.", TRUE), ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (step_of_text ("Rename the helper to parse_line."), ==, PM_STEP_INSTRUCTION);
  g_assert_cmpint (step_of_text ("Think hard about the locking here before changing it."), ==, PM_STEP_THINK);
  g_assert_cmpint (step_of_text ("Propose an architecture for the plugin system."), ==, PM_STEP_PLANNING);
  /* corrections, interrupts and pasted tracebacks are trouble only once the agent has acted */
  g_assert_cmpint (step_of_later_text ("That's wrong, the test still fails."), ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (step_of_later_text ("[Request interrupted by user]"), ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (step_of_later_text (report), ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (step_of_text (report), ==, PM_STEP_INSTRUCTION);
  g_assert_cmpint (step_of_text ("That's wrong in the docs: the test still fails on main."), ==, PM_STEP_INSTRUCTION);
  {
    g_autofree char *escaped = g_strescape (report, NULL);
    g_autofree char *json = g_strdup_printf ("{\"model\":\"m\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                                             escaped);
    g_autoptr(PmRequest) r = request_from_string (PM_API_ANTHROPIC, json, NULL);

    g_assert_false (pm_request_get_features (r)->user_correction);
  }
}

static void
test_chat (void)
{
  g_autoptr(PmRequest) r = fixture_request ("requests/chat-tool-error.json");
  const PmRequestFeatures *f = pm_request_get_features (r);

  g_assert_cmpint (pm_request_get_api (r), ==, PM_API_OPENAI_CHAT);
  g_assert_cmpint (pm_request_get_agent (r), ==, PM_AGENT_OPENCODE);
  g_assert_cmpint (pm_request_get_step (r), ==, PM_STEP_ERROR_RECOVERY);
  g_assert_cmpint (f->n_tool_results, ==, 1);
  g_assert_cmpint (f->tail_tool_errors, ==, 1);
  g_assert_true (f->stack_trace || f->nonzero_exit);
  g_assert_cmpint (pm_request_get_max_output (r), ==, 4096);
  g_assert_false (f->orphan_tool_use);
}

static void
test_responses (void)
{
  g_autoptr(PmRequest) r = fixture_request ("requests/codex-responses.json");
  g_autoptr(PmRequest) reasoning = request_from_string (PM_API_OPENAI_RESPONSES,
    "{\"model\":\"gpt-5\",\"reasoning\":{\"effort\":\"high\"},\"input\":["
    "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"fix it\"}]},"
    "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[],\"encrypted_content\":\"gAAAA-fixture\"},"
    "{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"shell\",\"arguments\":\"{\\\"command\\\":[\\\"ls\\\"]}\"},"
    "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"a\\nb\"},"
    "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,AAAA\"}]}]}",
    NULL);

  g_assert_cmpint (pm_request_get_api (r), ==, PM_API_OPENAI_RESPONSES);
  g_assert_cmpint (pm_request_get_agent (r), ==, PM_AGENT_CODEX);
  g_assert_cmpstr (pm_request_get_session_id (r), ==, "0199aa-codex-fixture");
  g_assert_cmpint (pm_request_get_step (r), ==, PM_STEP_PLANNING);
  g_assert_true (pm_request_has_tools (r));

  g_assert_cmpint (pm_request_get_effort (reasoning), ==, PM_EFFORT_HIGH);
  g_assert_true (pm_request_has_thinking_blocks (reasoning));
  g_assert_true (pm_request_has_images (reasoning));
  g_assert_cmpint (pm_request_get_features (reasoning)->n_tool_results, ==, 1);

  /* Codex compacts through /responses/compact with an ordinary-looking body: the path says so */
  {
    g_autoptr(JsonNode) body = json_from_string ("{\"model\":\"gpt-5-codex\",\"instructions\":\"You are Codex.\","
                                                 "\"input\":[{\"type\":\"message\",\"role\":\"user\","
                                                 "\"content\":[{\"type\":\"input_text\",\"text\":\"fix the build\"}]}]}", NULL);
    g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    const char *paths[] = { "/v1/responses/compact", "/responses/compact", "/v1/responses/compact?x=1" };
    g_autoptr(GError) error = NULL;

    g_assert_nonnull (body);
    g_hash_table_insert (headers, g_strdup ("session_id"), g_strdup ("codex-compact"));
    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_autoptr(PmRequest) c = pm_request_new_for_path (PM_API_OPENAI_RESPONSES, paths[i], headers, body, &error);

        g_assert_no_error (error);
        g_assert_cmpint (pm_request_get_kind (c), ==, PM_KIND_COMPACTION);
        g_assert_cmpstr (pm_request_get_session_id (c), ==, "codex-compact/compaction");
        g_assert_cmpstr (pm_request_get_parent_session_id (c), ==, "codex-compact");
      }
    {
      g_autoptr(PmRequest) plain = pm_request_new_for_path (PM_API_OPENAI_RESPONSES, "/v1/responses", headers, body, &error);

      g_assert_no_error (error);
      g_assert_cmpint (pm_request_get_kind (plain), ==, PM_KIND_MAIN);
      g_assert_cmpstr (pm_request_get_session_id (plain), ==, "codex-compact");
    }
  }
}

static void
test_prefix_hashes (void)
{
  const char *base = "{\"model\":\"m\",\"max_tokens\":10,\"system\":\"sys prompt\",\"messages\":["
                     "{\"role\":\"user\",\"content\":\"one two three\"},{\"role\":\"assistant\",\"content\":\"four\"}";
  g_autofree char *j1 = g_strconcat (base, ",{\"role\":\"user\",\"content\":\"five\"}]}", NULL);
  g_autofree char *j2 = g_strconcat (base, ",{\"role\":\"user\",\"content\":\"five\"},{\"role\":\"assistant\",\"content\":\"six\"},"
                                     "{\"role\":\"user\",\"content\":\"seven\"}]}", NULL);
  g_autofree char *j3 = g_strconcat (base, ",{\"role\":\"user\",\"content\":\"FIVE\"}]}", NULL);
  g_autoptr(PmRequest) r1 = request_from_string (PM_API_ANTHROPIC, j1, NULL);
  g_autoptr(PmRequest) r2 = request_from_string (PM_API_ANTHROPIC, j2, NULL);
  g_autoptr(PmRequest) r3 = request_from_string (PM_API_ANTHROPIC, j3, NULL);
  guint n1, n2, n3;
  const PmPrefixMark *m1 = pm_request_get_marks (r1, &n1);
  const PmPrefixMark *m2 = pm_request_get_marks (r2, &n2);
  const PmPrefixMark *m3 = pm_request_get_marks (r3, &n3);

  g_assert_cmpint (n2, ==, n1 + 2);
  /* the longer request extends the shorter one: every mark of r1 is a mark of r2 */
  for (guint i = 0; i < n1; i++)
    {
      g_assert_cmpuint (m1[i].hash, ==, m2[i].hash);
      g_assert_cmpint (m1[i].tokens, ==, m2[i].tokens);
    }
  /* a changed last message changes only the last mark */
  g_assert_cmpint (n3, ==, n1);
  for (guint i = 0; i + 1 < n1; i++)
    g_assert_cmpuint (m1[i].hash, ==, m3[i].hash);
  g_assert_cmpuint (m1[n1 - 1].hash, !=, m3[n3 - 1].hash);

  /* Claude Code's billing header: a new cch= value keeps the prefix */
  {
    const char *fmt = "{\"model\":\"m\",\"max_tokens\":10,\"system\":[{\"type\":\"text\",\"text\":"
                      "\"x-anthropic-billing-header: cc_version=2.1.39.a1b; cc_entrypoint=cli; cch=%s;\"},"
                      "{\"type\":\"text\",\"text\":\"You are Claude Code.\"}],"
                      "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    g_autofree char *a = g_strdup_printf (fmt, "1f2e3");
    g_autofree char *b = g_strdup_printf (fmt, "9c8b7");
    g_autoptr(PmRequest) ra = request_from_string (PM_API_ANTHROPIC, a, NULL);
    g_autoptr(PmRequest) rb = request_from_string (PM_API_ANTHROPIC, b, NULL);
    guint na, nb;
    const PmPrefixMark *ma = pm_request_get_marks (ra, &na);
    const PmPrefixMark *mb = pm_request_get_marks (rb, &nb);

    g_assert_cmpuint (na, ==, nb);
    g_assert_cmpuint (ma[na - 1].hash, ==, mb[nb - 1].hash);
    g_assert_cmpint (pm_request_get_agent (ra), ==, PM_AGENT_CLAUDE_CODE);
  }
}

static void
test_thinking_and_orphans (void)
{
  g_autoptr(PmRequest) in_turn = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"sig\"},"
    "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{}}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"ok\"}]}]}", NULL);
  g_autoptr(PmRequest) past_turn = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"sig\"},"
    "{\"type\":\"text\",\"text\":\"done\"}]},{\"role\":\"user\",\"content\":\"next task\"}]}", NULL);
  g_autoptr(PmRequest) orphan = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{}}]},"
    "{\"role\":\"user\",\"content\":\"never mind\"}]}", NULL);

  g_assert_true (pm_request_has_thinking_blocks (in_turn));
  g_assert_true (pm_request_get_features (in_turn)->thinking_in_turn);
  g_assert_true (pm_request_has_thinking_blocks (past_turn));
  g_assert_false (pm_request_get_features (past_turn)->thinking_in_turn);
  g_assert_true (pm_request_get_features (orphan)->orphan_tool_use);
  g_assert_false (pm_request_get_features (in_turn)->orphan_tool_use);
}

static void
test_invalid (void)
{
  g_autoptr(GBytes) junk = g_bytes_new_static ("{not json", 9);
  g_autoptr(GBytes) no_messages = g_bytes_new_static ("{\"model\":\"m\"}", 13);
  g_autoptr(GError) error = NULL;
  PmRequest *r;

  r = pm_request_new_from_bytes (PM_API_ANTHROPIC, NULL, junk, &error);
  g_assert_null (r);
  g_assert_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST);
  g_clear_error (&error);

  r = pm_request_new_from_bytes (PM_API_OPENAI_CHAT, NULL, no_messages, &error);
  g_assert_null (r);
  g_assert_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "messages"));
  g_clear_error (&error);

  r = pm_request_new_from_bytes (PM_API_OPENAI_RESPONSES, NULL, no_messages, &error);
  g_assert_null (r);
  g_assert_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST);
}

/* ------------------------------------------------------------------------------------------ */
/* Token estimate against recorded usage                                                        */

typedef struct
{
  double est;
  double act;
  guint  pairs;
} Accuracy;

static gint64
usage_prompt (JsonObject *usage)
{
  return json_object_get_int_member_with_default (usage, "input_tokens", 0) +
         json_object_get_int_member_with_default (usage, "cache_creation_input_tokens", 0) +
         json_object_get_int_member_with_default (usage, "cache_read_input_tokens", 0);
}

static gint64
estimate_messages (JsonArray  *messages,
                   const char *model)
{
  g_autoptr(JsonNode) body = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmRequest) r = NULL;
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "model", model);
  json_object_set_int_member (object, "max_tokens", 1000);
  json_object_set_array_member (object, "messages", json_array_ref (messages));
  json_node_take_object (body, object);
  r = pm_request_new (PM_API_ANTHROPIC, NULL, body, &error);
  g_assert_no_error (error);

  return pm_request_get_features (r)->messages_tokens;
}

/* Replays a Claude Code session file: before each API request (a new requestId), estimate the
 * messages sent so far. System prompt and tools are not in the file but are the same for every
 * request of a session, so the growth of the prompt between two requests is all messages:
 * compare that growth, estimated and recorded. */
static void
measure_transcript (const char *path,
                    Accuracy   *acc)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) fis = g_file_read (file, NULL, NULL);
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(JsonArray) messages = json_array_new ();
  g_autofree char *last_request = NULL;
  g_autofree char *last_model = NULL;
  gint64 prev_est = -1;
  gint64 prev_act = -1;
  char *line;

  g_assert_nonnull (fis);
  in = g_data_input_stream_new (G_INPUT_STREAM (fis));
  while ((line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL)) != NULL)
    {
      g_autofree char *owned = line;
      g_autoptr(JsonNode) node = json_from_string (owned, NULL);
      JsonObject *o;
      JsonObject *message;
      const char *type;
      JsonNode *content;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      o = json_node_get_object (node);
      type = json_object_get_string_member_with_default (o, "type", "");
      if (!json_object_has_member (o, "message") || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "message")))
        continue;
      message = json_object_get_object_member (o, "message");
      content = json_object_get_member (message, "content");

      if (g_str_equal (type, "assistant"))
        {
          const char *request_id = json_object_get_string_member_with_default (o, "requestId", "");
          const char *model = json_object_get_string_member_with_default (message, "model", "");
          JsonObject *usage = json_object_get_object_member (message, "usage");

          if (g_strcmp0 (request_id, last_request) != 0)
            {
              gint64 est = estimate_messages (messages, model);
              gint64 act = usage != NULL ? usage_prompt (usage) : -1;

              /* Same model, prompt grew (no compaction or restart in between). */
              if (prev_act >= 0 && act > prev_act && g_strcmp0 (model, last_model) == 0 &&
                  act - prev_act < 200000)
                {
                  acc->est += est - prev_est;
                  acc->act += act - prev_act;
                  acc->pairs++;
                }
              prev_est = est;
              prev_act = act;
              g_free (last_request);
              last_request = g_strdup (request_id);
              g_free (last_model);
              last_model = g_strdup (model);

              {
                JsonObject *m = json_object_new ();

                json_object_set_string_member (m, "role", "assistant");
                json_object_set_array_member (m, "content", json_array_new ());
                json_array_add_object_element (messages, m);
              }
            }
          if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
            {
              JsonObject *m = json_array_get_object_element (messages, json_array_get_length (messages) - 1);
              JsonArray *blocks = json_object_get_array_member (m, "content");
              JsonArray *src = json_node_get_array (content);

              for (guint i = 0; i < json_array_get_length (src); i++)
                json_array_add_element (blocks, json_node_copy (json_array_get_element (src, i)));
            }
        }
      else if (g_str_equal (type, "user") && content != NULL)
        {
          guint n = json_array_get_length (messages);
          JsonObject *last = n > 0 ? json_array_get_object_element (messages, n - 1) : NULL;
          JsonArray *blocks;

          if (last == NULL || g_strcmp0 (json_object_get_string_member (last, "role"), "user") != 0)
            {
              last = json_object_new ();
              json_object_set_string_member (last, "role", "user");
              json_object_set_array_member (last, "content", json_array_new ());
              json_array_add_object_element (messages, last);
            }
          blocks = json_object_get_array_member (last, "content");
          if (JSON_NODE_HOLDS_VALUE (content))
            {
              JsonObject *text = json_object_new ();

              json_object_set_string_member (text, "type", "text");
              json_object_set_string_member (text, "text", json_node_get_string (content));
              json_array_add_object_element (blocks, text);
            }
          else if (JSON_NODE_HOLDS_ARRAY (content))
            {
              JsonArray *src = json_node_get_array (content);

              for (guint i = 0; i < json_array_get_length (src); i++)
                json_array_add_element (blocks, json_node_copy (json_array_get_element (src, i)));
            }
        }
    }
}

static void
test_token_estimate_transcripts (void)
{
  const char *files[] = {
    "tool_heavy.jsonl", "subagent.jsonl", "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl",
    "ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-aac57f5.jsonl",
  };
  Accuracy total = { 0, };
  g_autofree char *dir = g_build_filename (pm_test_shared_data (), "claude_code_transcripts", NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("claude_code_transcripts not found (PM_SHARED_DATA)");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      Accuracy acc = { 0, };

      measure_transcript (path, &acc);
      g_test_message ("%s: %u request pairs, estimated growth %.0f, recorded %.0f (%.1f %%)",
                      files[i], acc.pairs, acc.est, acc.act, acc.act > 0 ? 100.0 * acc.est / acc.act : 0);
      g_assert_cmpuint (acc.pairs, >, 0);
      /* each session on its own within ±25 %, all of them together within ±15 % */
      g_assert_cmpfloat (fabs (acc.est / acc.act - 1.0), <, 0.25);
      total.est += acc.est;
      total.act += acc.act;
      total.pairs += acc.pairs;
    }

  g_test_message ("all: %u pairs, estimate / recorded = %.3f", total.pairs, total.est / total.act);
  g_assert_cmpuint (total.pairs, >, 100);
  g_assert_cmpfloat (fabs (total.est / total.act - 1.0), <, 0.15);
}

static void
test_estimate_basics (void)
{
  /* prose: about 4 characters per token */
  const char *prose = "The quick brown fox jumps over the lazy dog while the parser reads each line of input.";
  gint64 t = pm_estimate_tokens (prose, strlen (prose));

  g_assert_cmpint (t, >=, 15);
  g_assert_cmpint (t, <=, 25);
  g_assert_cmpint (pm_estimate_tokens ("", 0), ==, 0);
  g_assert_cmpint (pm_estimate_tokens (NULL, 0), ==, 0);
  /* non-ASCII: about one token per character */
  g_assert_cmpint (pm_estimate_tokens ("日本語のテキスト", strlen ("日本語のテキスト")), ==, 8);
}

static void
test_efforts_and_edges (void)
{
  g_autoptr(PmRequest) budget = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"m\",\"max_tokens\":20000,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":16000},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", NULL);
  g_autoptr(PmRequest) disabled = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"m\",\"max_tokens\":200,\"thinking\":{\"type\":\"disabled\"},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", NULL);
  g_autoptr(PmRequest) chat = request_from_string (PM_API_OPENAI_CHAT,
    "{\"model\":\"m\",\"reasoning_effort\":\"minimal\",\"max_completion_tokens\":99,"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}]}", NULL);
  g_autoptr(PmRequest) openrouter = request_from_string (PM_API_OPENAI_CHAT,
    "{\"model\":\"m\",\"reasoning\":{\"effort\":\"high\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", NULL);
  g_autoptr(PmRequest) continued = request_from_string (PM_API_OPENAI_RESPONSES,
    "{\"model\":\"m\",\"previous_response_id\":\"resp_1\"}", NULL);
  g_autoptr(PmRequest) web = request_from_string (PM_API_ANTHROPIC,
    "{\"model\":\"m\",\"max_tokens\":10,\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}],"
    "\"messages\":[{\"role\":\"user\",\"content\":\"news\"}]}", NULL);

  g_assert_cmpint (pm_request_get_effort (budget), ==, PM_EFFORT_HIGH);      /* > 8192 */
  g_assert_true (pm_request_get_features (budget)->thinking_enabled);
  g_assert_cmpint (pm_request_get_effort (disabled), ==, PM_EFFORT_NONE);
  g_assert_cmpint (pm_request_get_effort (chat), ==, PM_EFFORT_MINIMAL);
  g_assert_cmpint (pm_request_get_max_output (chat), ==, 99);
  g_assert_true (pm_request_has_images (chat));
  g_assert_cmpint (pm_request_get_input_tokens (chat), >, 1600);             /* an image costs */
  g_assert_cmpint (pm_request_get_effort (openrouter), ==, PM_EFFORT_HIGH);
  g_assert_nonnull (continued);
  g_assert_cmpint (pm_request_get_kind (continued), ==, PM_KIND_MAIN);
  g_assert_true (pm_request_get_features (web)->web_search);
}

/* The upstream body is written with pm_json_fast_to_string: byte for byte json-glib's compact
 * text on real requests and on every escape, except that json-glib drops U+001F (which is
 * kept here, escaped, and reads back). */
static void
test_json_writer (void)
{
  const char *names[] = { "chat-tool-error.json", "claude-code-compaction.json", "claude-code-error.json",
                          "claude-code-subagent.json", "claude-code-title.json", "claude-code-tool-result.json",
                          "codex-responses.json" };
  const char *cases[] = {
    "{}", "[]", "{\"a\":[1,-2,3.5,-0.25e3,1E2,0,-0,1.0,0.1,1e300]}", "\"x\"", "true", "false", "null", "42",
    "{\"s\":\"tab\\tnl\\nq\\\"bs\\\\sl\\/ \\b\\f\\r\\u0001\\u0007\\u000b\\u001e\\u007f end\"}",
    "{\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00 caf\xc3\xa9 \xe2\x82\xac\"}",
    "{\"dup\":1,\"dup\":2,\"z\":{\"y\":[[],{}]}}",
    "[9223372036854775807,-9223372036854775808,1.7976931348623157e308,5e-324]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names) + G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *written = NULL;
      gsize len = 0;

      if (i < G_N_ELEMENTS (names))
        {
          g_autofree char *name = g_build_filename ("requests", names[i], NULL);
          g_autofree char *path = pm_test_fixture_path (name);
          g_autoptr(GError) error = NULL;

          g_file_get_contents (path, &text, &len, &error);
          g_assert_no_error (error);
        }
      else
        {
          text = g_strdup (cases[i - G_N_ELEMENTS (names)]);
          len = strlen (text);
        }
      node = json_from_string (text, NULL);
      g_assert_nonnull (node);
      expected = json_to_string (node, FALSE);
      written = pm_json_fast_to_string (node, &len);
      g_assert_cmpstr (written, ==, expected);
      g_assert_cmpuint (len, ==, strlen (expected));
    }

  {
    g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), "a\x1f" "b");
    g_autofree char *written = pm_json_fast_to_string (node, NULL);
    g_autoptr(JsonNode) back = json_from_string (written, NULL);

    g_assert_cmpstr (written, ==, "\"a\\u001fb\"");
    g_assert_true (json_node_equal (node, back));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/request/claude-code", test_claude_code);
  g_test_add_func ("/pm/request/session-sources", test_session_sources);
  g_test_add_func ("/pm/request/kinds", test_kinds);
  g_test_add_func ("/pm/request/steps", test_steps);
  g_test_add_func ("/pm/request/chat", test_chat);
  g_test_add_func ("/pm/request/responses", test_responses);
  g_test_add_func ("/pm/request/prefix-hashes", test_prefix_hashes);
  g_test_add_func ("/pm/request/thinking-and-orphans", test_thinking_and_orphans);
  g_test_add_func ("/pm/request/invalid", test_invalid);
  g_test_add_func ("/pm/request/efforts-and-edges", test_efforts_and_edges);
  g_test_add_func ("/pm/request/estimate-basics", test_estimate_basics);
  g_test_add_func ("/pm/request/token-estimate-transcripts", test_token_estimate_transcripts);
  g_test_add_func ("/pm/request/json-writer", test_json_writer);

  return g_test_run ();
}
