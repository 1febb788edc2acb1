/* test-wire.c — model, effort and thinking written as each model generation and provider take
 * them (through pm_router_apply_decision, as the proxy calls it)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-catalog.h"
#include "pm-objective.h"
#include "pm-request.h"
#include "pm-router.h"
#include "pm-wire.h"

static PmCatalog *catalog;
static PmRouter *router;

static JsonObject *
apply (PmApi       api,
       const char *body_json,
       const char *model,
       PmEffort    effort,
       const char *upstream_name,
       JsonNode  **keep)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(PmDecision) decision = pm_decision_new (model, effort);
  JsonNode *body = json_from_string (body_json, &error);
  JsonNode *copy;

  g_assert_no_error (error);
  request = pm_request_new (api, NULL, body, &error);
  g_assert_no_error (error);
  copy = json_from_string (body_json, NULL);
  g_assert_true (pm_router_apply_decision (router, request, decision, api, upstream_name, copy, &error));
  g_assert_no_error (error);
  json_node_unref (body);
  *keep = copy;

  return json_node_get_object (copy);
}

static const char *
member_path (JsonObject *o,
             const char *a,
             const char *b)
{
  JsonNode *n = json_object_get_member (o, a);

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (n), b, NULL);
}

static void
test_claude_budget (void)
{
  g_autoptr(JsonNode) keep = NULL;
  g_autoptr(JsonNode) keep2 = NULL;
  g_autoptr(JsonNode) keep3 = NULL;
  const char *body = "{\"model\":\"pointsman/auto\",\"max_tokens\":100000,\"temperature\":0.2,"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  JsonObject *o;

  /* Sonnet 4.5: thinking enabled with a budget, max_tokens clamped to 64k, temperature dropped */
  o = apply (PM_API_ANTHROPIC, body, "claude-sonnet-4-5", PM_EFFORT_MEDIUM, NULL, &keep);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "claude-sonnet-4-5");
  g_assert_cmpstr (member_path (o, "thinking", "type"), ==, "enabled");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "thinking"), "budget_tokens"), ==, 8192);
  g_assert_cmpint (json_object_get_int_member (o, "max_tokens"), ==, 64000);
  g_assert_false (json_object_has_member (o, "temperature"));
  g_assert_false (json_object_has_member (o, "output_config"));

  /* effort none: thinking off */
  o = apply (PM_API_ANTHROPIC, body, "claude-haiku-4-5", PM_EFFORT_NONE, "claude-haiku-4-5-20251001", &keep2);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "claude-haiku-4-5-20251001");
  g_assert_cmpstr (member_path (o, "thinking", "type"), ==, "disabled");

  /* a budget above max_tokens raises max_tokens within the model's limit */
  o = apply (PM_API_ANTHROPIC, "{\"model\":\"x\",\"max_tokens\":4000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
             "claude-sonnet-4-5", PM_EFFORT_HIGH, NULL, &keep3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "thinking"), "budget_tokens"), <,
                   json_object_get_int_member (o, "max_tokens"));
}

static void
test_claude_adaptive (void)
{
  g_autoptr(JsonNode) keep = NULL;
  g_autoptr(JsonNode) keep2 = NULL;
  const char *body = "{\"model\":\"pointsman/auto\",\"max_tokens\":32000,"
                     "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":4000},"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  JsonObject *o;

  o = apply (PM_API_ANTHROPIC, body, "claude-opus-4-6", PM_EFFORT_HIGH, NULL, &keep);
  g_assert_cmpstr (member_path (o, "thinking", "type"), ==, "adaptive");
  g_assert_false (json_object_has_member (json_object_get_object_member (o, "thinking"), "budget_tokens"));
  g_assert_cmpstr (member_path (o, "output_config", "effort"), ==, "high");

  /* an effort the model does not take goes to the nearest it does (4.6 has no xhigh) */
  o = apply (PM_API_ANTHROPIC, body, "claude-opus-4-6", PM_EFFORT_XHIGH, NULL, &keep2);
  g_assert_cmpstr (member_path (o, "output_config", "effort"), ==, "max");
}

static void
test_openai (void)
{
  g_autoptr(JsonNode) k1 = NULL;
  g_autoptr(JsonNode) k2 = NULL;
  g_autoptr(JsonNode) k3 = NULL;
  g_autoptr(JsonNode) k4 = NULL;
  JsonObject *o;

  o = apply (PM_API_OPENAI_CHAT, "{\"model\":\"auto\",\"max_completion_tokens\":500000,"
             "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "gpt-5", PM_EFFORT_LOW, NULL, &k1);
  g_assert_cmpstr (json_object_get_string_member (o, "reasoning_effort"), ==, "low");
  g_assert_cmpint (json_object_get_int_member (o, "max_completion_tokens"), ==, 128000);

  o = apply (PM_API_OPENAI_RESPONSES, "{\"model\":\"auto\",\"reasoning\":{\"summary\":\"auto\"},\"input\":\"hi\"}",
             "gpt-5-mini", PM_EFFORT_HIGH, NULL, &k2);
  g_assert_cmpstr (member_path (o, "reasoning", "effort"), ==, "high");
  g_assert_cmpstr (member_path (o, "reasoning", "summary"), ==, "auto");
  g_assert_false (json_object_has_member (o, "reasoning_effort"));

  /* OpenRouter: reasoning{effort} on chat */
  o = apply (PM_API_OPENAI_CHAT, "{\"model\":\"auto\",\"reasoning_effort\":\"high\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
             "gpt-5", PM_EFFORT_MEDIUM, "openai/gpt-5", &k3);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "openai/gpt-5");
  g_assert_cmpstr (member_path (o, "reasoning", "effort"), ==, "medium");
  g_assert_false (json_object_has_member (o, "reasoning_effort"));

  /* Gemini 2.5 Pro cannot switch thinking off: none becomes low */
  o = apply (PM_API_OPENAI_CHAT, "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
             "gemini-2.5-pro", PM_EFFORT_NONE, NULL, &k4);
  g_assert_cmpstr (json_object_get_string_member (o, "reasoning_effort"), ==, "low");
}

static void
test_drop_thinking (void)
{
  g_autoptr(GError) error = NULL;
  JsonNode *body = json_from_string ("{\"model\":\"gpt-5\",\"input\":["
                                     "{\"type\":\"message\",\"role\":\"user\",\"content\":\"hi\"},"
                                     "{\"type\":\"reasoning\",\"id\":\"rs\",\"summary\":[],\"encrypted_content\":\"gAAA\"},"
                                     "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"ok\"}]}", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (pm_wire_drop_thinking (PM_API_OPENAI_RESPONSES, json_node_get_object (body)), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (body), "input")), ==, 2);
  g_assert_cmpuint (pm_wire_drop_thinking (PM_API_OPENAI_RESPONSES, json_node_get_object (body)), ==, 0);
  json_node_unref (body);
}

static void
test_unknown_model (void)
{
  g_autoptr(JsonNode) keep = NULL;
  JsonObject *o;

  /* a pinned name the catalog lacks: only the name is written */
  o = apply (PM_API_OPENAI_CHAT, "{\"model\":\"my-local-model\",\"reasoning_effort\":\"high\","
             "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "my-local-model", PM_EFFORT_UNSET, NULL, &keep);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "my-local-model");
  g_assert_cmpstr (json_object_get_string_member (o, "reasoning_effort"), ==, "high");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmObjective) objective = pm_objective_new ();
  const char *pool[] = { "claude-sonnet-4-5", NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);
  catalog = pm_catalog_new_default (&error);
  g_assert_no_error (error);
  router = pm_router_new (catalog, objective, pool, "claude-sonnet-4-5");

  g_test_add_func ("/pm/wire/claude-budget", test_claude_budget);
  g_test_add_func ("/pm/wire/claude-adaptive", test_claude_adaptive);
  g_test_add_func ("/pm/wire/openai", test_openai);
  g_test_add_func ("/pm/wire/drop-thinking", test_drop_thinking);
  g_test_add_func ("/pm/wire/unknown-model", test_unknown_model);

  ret = g_test_run ();
  g_object_unref (router);
  g_object_unref (catalog);
  return ret;
}
