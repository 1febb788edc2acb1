/* test-router.c — the decision, one behaviour per test (issue 3 item 9)
 *
 * Requests are built like Claude Code's (system + tools + a growing tool loop, breakpoint on the
 * newest block) and go through the real catalog, priors, session and cache state. The clock is
 * simulated: every step passes now_us explicitly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "pm-catalog.h"
#include "pm-objective.h"
#include "pm-quality-model.h"
#include "pm-request.h"
#include "pm-router.h"
#include "pm-test-utils.h"
#include "pm-usage.h"

#define SEC ((gint64) G_USEC_PER_SEC)
#define T0  (G_GINT64_CONSTANT (1790000000) * SEC)

static const char *words[] = {
  "the", "value", "parser", "returns", "a", "list", "of", "tokens", "for", "each", "line",
  "when", "input", "is", "empty", "we", "skip", "it", "and", "log", "nothing", "else",
};

/* About n tokens of plain prose (the estimate counts short words as one token each). */
static void
append_filler (GString *s,
               guint    n,
               guint    seed)
{
  for (guint i = 0; i < n; i++)
    {
      g_string_append (s, words[(i * 7 + seed * 13) % G_N_ELEMENTS (words)]);
      g_string_append_c (s, (i % 16) == 15 ? '\n' : ' ');
    }
}

typedef enum
{
  LAST_OK,
  LAST_ERROR,
  LAST_INSTRUCTION,
} LastTurn;

typedef struct
{
  const char *model;          /* "pointsman/auto" or a pin */
  const char *session;
  const char *agent_id;       /* sub-agent header, or NULL */
  guint       pairs;          /* tool call / result pairs after the first instruction */
  guint       tokens_per_pair;
  guint       first_tokens;   /* size of the first user message */
  LastTurn    last;
  guint       err_from;       /* results with index in [err_from, err_to) failed */
  guint       err_to;
  const char *thinking_sig;   /* signature of a thinking block in every assistant turn, or NULL */
  const char *ttl;            /* "5m" or "1h" */
  const char *effort;         /* output_config.effort the client asks for, or NULL */
} Shape;

static JsonNode *
make_body (const Shape *shape)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *ttl = shape->ttl != NULL ? shape->ttl : "5m";
  guint results = shape->pairs;

  g_string_append_printf (s, "{\"model\":\"%s\",\"max_tokens\":16000,\"stream\":true,", shape->model);
  if (shape->thinking_sig != NULL)
    g_string_append (s, "\"thinking\":{\"type\":\"adaptive\"},");
  if (shape->effort != NULL)
    g_string_append_printf (s, "\"output_config\":{\"effort\":\"%s\"},", shape->effort);
  g_string_append (s, "\"tools\":[{\"name\":\"Bash\",\"description\":\"Run a shell command.\","
                      "\"input_schema\":{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}}}}],");
  if (shape->agent_id != NULL)
    g_string_append (s, "\"system\":[{\"type\":\"text\",\"text\":\"You are an agent for Claude Code, Anthropic's official CLI for Claude.\"}],");
  else
    g_string_append_printf (s, "\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.\","
                               "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"%s\"}}],", ttl);
  g_string_append (s, "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Fix the parser. ");
  append_filler (s, shape->first_tokens, 1);
  g_string_append (s, "\"");
  if (results == 0 && shape->last != LAST_INSTRUCTION)
    g_string_append_printf (s, ",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"%s\"}", ttl);
  g_string_append (s, "}]}");

  for (guint i = 0; i < results; i++)
    {
      gboolean last = i + 1 == results;
      gboolean error_here = i >= shape->err_from && i < shape->err_to;

      g_string_append (s, ",{\"role\":\"assistant\",\"content\":[");
      if (shape->thinking_sig != NULL)
        g_string_append_printf (s, "{\"type\":\"thinking\",\"thinking\":\"Let me check step %u.\",\"signature\":\"%s\"},",
                                i, shape->thinking_sig);
      g_string_append_printf (s, "{\"type\":\"tool_use\",\"id\":\"toolu_%u\",\"name\":\"Bash\","
                                 "\"input\":{\"command\":\"make test-%u\"}}]}", i, i);
      g_string_append_printf (s, ",{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_%u\",", i);
      if (error_here)
        g_string_append (s, "\"is_error\":true,\"content\":\"Exit code 1\\nTraceback (most recent call last):\\n  AssertionError\\n");
      else
        g_string_append (s, "\"content\":\"ok\\n");
      append_filler (s, shape->tokens_per_pair, i + 2);
      g_string_append (s, "\"");
      if (last && shape->last != LAST_INSTRUCTION)
        g_string_append_printf (s, ",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"%s\"}", ttl);
      g_string_append (s, "}]}");
    }

  if (shape->last == LAST_INSTRUCTION)
    g_string_append_printf (s, ",{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Now rename the helper to parse_line.\","
                               "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"%s\"}}]}", ttl);
  g_string_append (s, "]}");

  json_parser_load_from_data (parser, s->str, s->len, &error);
  g_assert_no_error (error);

  return json_node_ref (json_parser_get_root (parser));
}

static PmRequest *
make_request (const Shape *shape)
{
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonNode) body = make_body (shape);
  g_autoptr(GError) error = NULL;
  PmRequest *request;

  g_hash_table_insert (headers, g_strdup ("user-agent"), g_strdup ("claude-cli/2.1.39 (external, cli)"));
  g_hash_table_insert (headers, g_strdup ("x-claude-code-session-id"),
                       g_strdup (shape->session != NULL ? shape->session : "session-1"));
  if (shape->agent_id != NULL)
    g_hash_table_insert (headers, g_strdup ("x-claude-code-agent-id"), g_strdup (shape->agent_id));

  request = pm_request_new (PM_API_ANTHROPIC, headers, body, &error);
  g_assert_no_error (error);
  g_assert_nonnull (request);

  return request;
}

static PmRouter *
make_router (const char * const *pool,
             const char         *default_model,
             double              tradeoff,
             double              floor)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmCatalog) catalog = pm_catalog_new_default (&error);
  g_autoptr(PmObjective) objective = pm_objective_new ();

  g_assert_no_error (error);
  pm_objective_set_tradeoff (objective, tradeoff);
  pm_objective_set_quality_floor (objective, floor);
  pm_objective_set_max_effort (objective, PM_EFFORT_MAX);

  return pm_router_new (catalog, objective, pool, default_model);
}

/* Decide, then tell the router the request was served as decided (no usage: the router
 * writes the cache by the provider's rules). */
static PmDecision *
step (PmRouter    *router,
      const Shape *shape,
      gint64       now_us)
{
  g_autoptr(PmRequest) request = make_request (shape);
  g_autoptr(GError) error = NULL;
  PmDecision *decision;

  decision = pm_router_decide (router, request, now_us, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decision);
  g_assert_nonnull (decision->summary);
  g_assert_nonnull (pm_decision_get_explanation (decision));
  pm_router_observe (router, request, decision, NULL, 200, now_us + SEC);
  g_test_message ("%s %s/%s: %s", pm_request_get_session_id (request), decision->model,
                  pm_effort_to_string (decision->effort), decision->summary);
  if (g_getenv ("PM_TEST_DUMP") != NULL)
    {
      g_autofree char *json = json_to_string (pm_decision_get_explanation (decision), FALSE);
      g_test_message ("%s", json);
    }

  return decision;
}

static JsonArray *
candidates (PmDecision *decision)
{
  return json_object_get_array_member (json_node_get_object (pm_decision_get_explanation (decision)), "candidates");
}

static JsonObject *
chosen (PmDecision *decision)
{
  JsonArray *array = candidates (decision);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *c = json_array_get_object_element (array, i);

      if (json_object_get_boolean_member_with_default (c, "chosen", FALSE))
        return c;
    }
  g_assert_not_reached ();
}

static JsonObject *
find_candidate (PmDecision *decision,
                const char *model,
                const char *effort)
{
  JsonArray *array = candidates (decision);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *c = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (c, "model"), model) &&
          (effort == NULL || g_str_equal (json_object_get_string_member (c, "effort"), effort)))
        return c;
    }

  return NULL;
}

static gboolean
reasons_contain (PmDecision *decision,
                 const char *needle)
{
  JsonArray *reasons = json_object_get_array_member (json_node_get_object (pm_decision_get_explanation (decision)), "reasons");

  for (guint i = 0; i < json_array_get_length (reasons); i++)
    if (strstr (json_array_get_string_element (reasons, i), needle) != NULL)
      return TRUE;

  return FALSE;
}

static const char *claude_pool[] = { "claude-sonnet-4-5", "claude-haiku-4-5", NULL };

/* Build a session on sonnet with ~100k tokens cached: pinned steps, then return the shape of
 * the next (simple, successful tool-result) step routed automatically. */
static gint64
grow_session_on (PmRouter   *router,
                 const char *model,
                 Shape      *shape,
                 guint       steps,
                 gint64      t)
{
  for (guint i = 1; i <= steps; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape->model = model;
      shape->pairs = i;
      d = step (router, shape, t);
      g_assert_false (d->routed);
      t += 30 * SEC;
    }

  return t;
}

static void
test_stays_with_cache (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  g_autoptr(PmDecision) d = NULL;
  Shape shape = { .session = "stay", .tokens_per_pair = 10000, .first_tokens = 500, .last = LAST_OK };
  gint64 t = T0;

  t = grow_session_on (router, "claude-sonnet-4-5", &shape, 10, t);

  shape.model = "pointsman/auto";
  shape.pairs = 11;
  d = step (router, &shape, t);

  g_assert_true (d->routed);
  g_assert_cmpstr (d->model, ==, "claude-sonnet-4-5");
  /* the cache is what keeps it there: ~100k tokens read */
  g_assert_cmpint (d->expected_cached_tokens, >, 90000);
  g_assert_nonnull (strstr (d->summary, "stayed on claude-sonnet-4-5"));
  g_assert_nonnull (strstr (d->summary, "re-prefill"));
  g_assert_nonnull (strstr (d->summary, "claude-haiku-4-5"));
  /* haiku is cheaper per step once warm, but not after paying the re-prefill */
  {
    JsonObject *haiku = find_candidate (d, "claude-haiku-4-5", NULL);

    g_assert_nonnull (haiku);
    g_assert_cmpint (json_object_get_int_member (haiku, "reprefill_tokens"), >, 90000);
    g_assert_cmpfloat (json_object_get_double_member (haiku, "reprefill_cost"), >, 0.05);
  }
}

static void
test_session_start_cheaper (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  g_autoptr(PmDecision) d = NULL;
  Shape shape = { .model = "pointsman/auto", .session = "fresh", .tokens_per_pair = 10000,
                  .first_tokens = 500, .last = LAST_OK, .pairs = 11 };
  JsonObject *sonnet;

  /* The very same step as above, but nothing is cached anywhere: the cheaper model wins. */
  d = step (router, &shape, T0);
  g_assert_cmpstr (d->model, ==, "claude-haiku-4-5");
  g_assert_cmpint (d->expected_cached_tokens, ==, 0);
  g_assert_nonnull (strstr (d->summary, "no cache at stake"));
  sonnet = find_candidate (d, "claude-sonnet-4-5", NULL);
  g_assert_nonnull (sonnet);
  g_assert_cmpfloat (d->expected_cost, <, json_object_get_double_member (sonnet, "step_cost"));
  g_assert_cmpfloat (d->expected_cost, <, d->expected_baseline_cost);
}

static void
test_subagent_free (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  g_autoptr(PmDecision) main_d = NULL;
  g_autoptr(PmDecision) sub = NULL;
  g_autoptr(PmRequest) sub_request = NULL;
  Shape shape = { .session = "parent", .tokens_per_pair = 10000, .first_tokens = 500, .last = LAST_OK };
  Shape sub_shape = { .model = "pointsman/auto", .session = "parent", .agent_id = "agent-1",
                      .first_tokens = 3000, .last = LAST_INSTRUCTION };
  gint64 t = T0;

  t = grow_session_on (router, "claude-sonnet-4-5", &shape, 10, t);
  shape.model = "pointsman/auto";
  shape.pairs = 11;
  main_d = step (router, &shape, t);
  g_assert_cmpstr (main_d->model, ==, "claude-sonnet-4-5");

  /* The sub-agent's first request has its own session and cache: nothing holds it to sonnet. */
  sub_request = make_request (&sub_shape);
  g_assert_cmpint (pm_request_get_kind (sub_request), ==, PM_KIND_SUBAGENT);
  g_assert_cmpstr (pm_request_get_parent_session_id (sub_request), ==, "parent");
  g_assert_cmpstr (pm_request_get_session_id (sub_request), !=, "parent");

  sub = step (router, &sub_shape, t + SEC);
  g_assert_cmpstr (sub->model, ==, "claude-haiku-4-5");
  g_assert_nonnull (strstr (sub->summary, "new sub-agent"));
  g_assert_cmpint (json_object_get_int_member (chosen (sub), "reprefill_tokens"), ==, 0);
}

static void
test_title_cheapest (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", 0.5, 0.9);
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(PmDecision) d = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  double min_cost = G_MAXDOUBLE;

  json_parser_load_from_data (parser,
                              "{\"model\":\"pointsman/auto\",\"max_tokens\":512,"
                              "\"system\":[{\"type\":\"text\",\"text\":\"Generate a concise, sentence-case title (3-7 words) "
                              "that captures the main topic of this coding session.\"}],"
                              "\"messages\":[{\"role\":\"user\",\"content\":\"Fix the flaky parser test\"}]}",
                              -1, &error);
  g_assert_no_error (error);
  g_hash_table_insert (headers, g_strdup ("x-claude-code-session-id"), g_strdup ("titled"));
  request = pm_request_new (PM_API_ANTHROPIC, headers, json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_cmpint (pm_request_get_kind (request), ==, PM_KIND_BACKGROUND);

  d = pm_router_decide (router, request, T0, &error);
  g_assert_no_error (error);

  array = candidates (d);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *c = json_array_get_object_element (array, i);

      if (!json_object_has_member (c, "excluded"))
        min_cost = MIN (min_cost, json_object_get_double_member (c, "cost"));
    }
  g_assert_cmpfloat (json_object_get_double_member (chosen (d), "cost"), ==, min_cost);
  g_assert_cmpstr (d->model, !=, "claude-opus-4-6");
  g_assert_cmpstr (d->model, !=, "claude-sonnet-4-5");
  g_assert_cmpstr (d->model, !=, "gpt-5");
  g_assert_nonnull (strstr (d->summary, "cheapest capable"));
}

static double
chosen_prior (PmDecision *d)
{
  return json_object_get_double_member (chosen (d), "prior");
}

static const char *
chosen_model_of (PmDecision *d)
{
  return d->model;
}

static void
test_escalation_and_recovery (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-haiku-4-5", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.5, 0.9);
  Shape shape = { .model = "pointsman/auto", .session = "trouble", .tokens_per_pair = 300,
                  .first_tokens = 2000, .last = LAST_OK, .ttl = "1h" };
  gint64 t = T0;
  double calm = 0;
  double escalated = 0;
  double recovered = 0;
  g_autofree char *calm_model = NULL;
  g_autofree char *escalated_model = NULL;
  guint down_at = 0;

  /* Two good steps: the cheap end of the pool does the job. */
  for (guint i = 1; i <= 2; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = i;
      d = step (router, &shape, t);
      t += 20 * SEC;
      calm = chosen_prior (d);
      g_free (calm_model);
      calm_model = g_strdup (d->model);
    }

  /* Three failing tool results in a row. The first is an ordinary step of an agent loop: no
   * switch. By the third the session shows trouble and has escalated. */
  for (guint i = 1; i <= 3; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = 2 + i;
      shape.err_from = 2;
      shape.err_to = 2 + i;
      d = step (router, &shape, t);
      t += 20 * SEC;
      escalated = chosen_prior (d);
      if (i == 1)
        {
          g_assert_cmpstr (d->model, ==, calm_model);
          g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (pm_decision_get_explanation (d)), "trouble"), ==, 0.0);
        }
      if (i == 3)
        {
          g_assert_true (reasons_contain (d, "3 tool errors in a row"));
          g_assert_cmpfloat (escalated, >, calm);
          escalated_model = g_strdup (chosen_model_of (d));
        }
    }

  /* Things work again. Hysteresis: the escalated model stays until the session has been clean
   * for three steps; then it comes back down, the re-prefill repaid over the next steps. */
  for (guint i = 1; i <= 6; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = 5 + i;
      d = step (router, &shape, t);
      t += 20 * SEC;
      if (i < 3)
        g_assert_cmpstr (d->model, ==, escalated_model);
      if (down_at == 0 && !g_str_equal (d->model, escalated_model))
        {
          down_at = i;
          recovered = chosen_prior (d);
          g_assert_nonnull (strstr (d->summary, "came back down"));
          g_assert_nonnull (strstr (d->summary, "re-prefilling"));
        }
      if (i == 4)
        g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (pm_decision_get_explanation (d)), "trouble"), ==, 0.0);
    }
  /* Back down: weaker than at the peak of the trouble. (Not necessarily all the way to the
   * calm choice: the failures were recorded as outcomes and make that one look worse.) */
  g_assert_cmpuint (down_at, >=, 3);
  g_assert_cmpfloat (recovered, <, escalated);
}

/* One failing tool result is what an agent loop normally produces (the reproduction of a bug, a
 * test about to be fixed, grep without a match). With a warm cache on a cheap model it must not
 * by itself switch the session (before: trouble 1 from one error, and the quality floor
 * removed the warm model before its re-prefill was weighed — docs/notes/demo-economics.md). */
static void
test_one_error_no_switch (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-sonnet-4-5", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", 0.5, 0.9);
  Shape shape = { .model = "pointsman/auto", .session = "one-error", .tokens_per_pair = 1000,
                  .first_tokens = 2000, .last = LAST_OK, .ttl = "1h" };
  gint64 t = T0;
  g_autofree char *calm_model = NULL;

  for (guint i = 1; i <= 8; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = i;
      d = step (router, &shape, t);
      t += 20 * SEC;
      g_free (calm_model);
      calm_model = g_strdup (d->model);
    }

  /* one failing result, then it is fixed: the session never leaves its model */
  for (guint i = 9; i <= 11; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = i;
      shape.err_from = 8;
      shape.err_to = 9;
      d = step (router, &shape, t);
      t += 20 * SEC;
      g_assert_cmpstr (d->model, ==, calm_model);
      g_assert_cmpint (d->expected_cached_tokens, >, 5000);
      g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (pm_decision_get_explanation (d)), "trouble"), ==, 0.0);
      if (i == 9)
        g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (pm_decision_get_explanation (d)), "features"), "step"),
                         ==, "error-recovery");
    }
}

/* After an escalation the weaker model's cache may still be warm (within its TTL): coming back
 * down re-prefills only what was added since, and the router counts that. */
static void
test_recovery_counts_warm_cache (void)
{
  const char *pool[] = { "claude-opus-4-6", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.5, 0.9);
  Shape shape = { .model = "pointsman/auto", .session = "warm-down", .tokens_per_pair = 300,
                  .first_tokens = 3000, .last = LAST_OK, .ttl = "1h" };
  gint64 t = T0;
  g_autofree char *calm_model = NULL;
  g_autofree char *escalated_model = NULL;
  gboolean down = FALSE;

  for (guint i = 1; i <= 3; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = i;
      d = step (router, &shape, t);
      t += 10 * SEC;
      g_free (calm_model);
      calm_model = g_strdup (d->model);
    }
  g_assert_cmpstr (calm_model, ==, "gpt-5-mini");

  for (guint i = 1; i <= 3; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = 3 + i;
      shape.err_from = 3;
      shape.err_to = 3 + i;
      d = step (router, &shape, t);
      t += 10 * SEC;
      g_free (escalated_model);
      escalated_model = g_strdup (d->model);
    }
  g_assert_cmpstr (escalated_model, ==, "claude-opus-4-6");

  for (guint i = 1; i <= 6 && !down; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = 6 + i;
      d = step (router, &shape, t);
      t += 10 * SEC;
      if (g_str_equal (d->model, "gpt-5-mini"))
        {
          JsonObject *c = chosen (d);

          down = TRUE;
          g_assert_cmpuint (i, >=, 3);
          /* gpt-5-mini's cache from before the escalation (10 min TTL) is still read */
          g_assert_cmpint (json_object_get_int_member (c, "cached_tokens"), >, 3000);
          g_assert_cmpint (json_object_get_int_member (c, "reprefill_tokens"), <,
                           json_object_get_int_member (c, "cached_tokens"));
        }
    }
  g_assert_true (down);
}

/* The hold after an escalation never strands a session: when the request outgrows the
 * escalated model's window, a weaker model that fits takes it. */
static void
test_escalation_hold_yields_to_window (void)
{
  const char *pool[] = { "claude-opus-4-5", "claude-sonnet-4-6", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-5", 0.5, 0.9);
  Shape shape = { .model = "pointsman/auto", .session = "outgrown", .tokens_per_pair = 300,
                  .first_tokens = 2000, .last = LAST_OK, .ttl = "1h" };
  g_autoptr(PmDecision) big = NULL;
  g_autofree char *escalated = NULL;
  gint64 t = T0;

  for (guint i = 1; i <= 5; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = i;
      shape.err_from = 2;
      shape.err_to = i;
      d = step (router, &shape, t);
      t += 20 * SEC;
      g_free (escalated);
      escalated = g_strdup (d->model);
    }
  g_assert_cmpstr (escalated, ==, "claude-opus-4-5");

  /* the next step is fine but the history has grown past Opus 4.5's 200k window */
  shape.pairs = 6;
  shape.err_to = 5;
  shape.tokens_per_pair = 60000;
  big = step (router, &shape, t);
  g_assert_cmpstr (big->model, ==, "claude-sonnet-4-6");
  g_assert_nonnull (strstr (big->summary, "no longer fit claude-opus-4-5"));
}

/* Trouble on a warm session: a higher effort on the current model keeps its cache, a stronger
 * model would re-prefill it. With the cache at stake, the effort is raised and the model kept,
 * although the stronger model has the higher Q. */
static void
test_trouble_raises_effort_before_switch (void)
{
  const char *pool[] = { "claude-opus-4-6", "gpt-5", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.5, 0.9);
  Shape shape = { .session = "effort-first", .tokens_per_pair = 8000, .first_tokens = 500,
                  .last = LAST_OK, .ttl = "1h" };
  gint64 t = T0;
  gboolean raised = FALSE;

  /* the client ran the session on gpt-5 at low effort (automatic caching: effort keeps it) */
  shape.effort = "low";
  for (guint i = 1; i <= 8; i++)
    {
      g_autoptr(PmDecision) p = NULL;

      shape.model = "gpt-5";
      shape.pairs = i;
      p = step (router, &shape, t);
      g_assert_cmpint (p->effort, ==, PM_EFFORT_LOW);
      t += 30 * SEC;
    }

  shape.model = "pointsman/auto";
  shape.effort = NULL;
  for (guint i = 9; i <= 11; i++)
    {
      g_autoptr(PmDecision) d = NULL;
      JsonObject *opus;

      shape.pairs = i;
      shape.err_from = 8;
      shape.err_to = i;
      d = step (router, &shape, t);
      t += 30 * SEC;
      g_assert_cmpstr (d->model, ==, "gpt-5");
      g_assert_cmpint (d->expected_cached_tokens, >, 60000);
      if (d->effort > PM_EFFORT_LOW)
        {
          if (!raised)
            g_assert_nonnull (strstr (d->summary, "instead of switching model"));
          raised = TRUE;
        }
      if (i == 11)
        {
          /* the stronger model was there and better on Q: the cache decided */
          opus = find_candidate (d, "claude-opus-4-6", NULL);
          g_assert_nonnull (opus);
          g_assert_cmpfloat (json_object_get_double_member (opus, "q"), >, json_object_get_double_member (chosen (d), "q"));
          g_assert_cmpint (json_object_get_int_member (opus, "cached_tokens"), ==, 0);
          g_assert_true (reasons_contain (d, "3 tool errors in a row"));
        }
    }
  g_assert_true (raised);
}

/* What the device has seen of a model recalibrates its prior; it must not replace the step's
 * difficulty and the session's trouble. After a long calm stretch on the cheap model (many
 * recorded successes), three tool errors still escalate. */
static void
test_outcomes_do_not_block_escalation (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-haiku-4-5", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.5, 0.9);
  Shape shape = { .model = "pointsman/auto", .session = "long-calm", .tokens_per_pair = 60,
                  .first_tokens = 2000, .last = LAST_OK, .ttl = "1h" };
  gint64 t = T0;
  double calm = 0;
  double escalated = 0;
  g_autofree char *calm_model = NULL;

  for (guint i = 1; i <= 40; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = i;
      d = step (router, &shape, t);
      t += 20 * SEC;
      calm = chosen_prior (d);
      g_free (calm_model);
      calm_model = g_strdup (d->model);
    }

  for (guint i = 1; i <= 3; i++)
    {
      g_autoptr(PmDecision) d = NULL;

      shape.pairs = 40 + i;
      shape.err_from = 40;
      shape.err_to = 40 + i;
      d = step (router, &shape, t);
      t += 20 * SEC;
      escalated = chosen_prior (d);
      if (i == 3)
        g_test_message ("calm on %s (prior %.3f), after three errors %s (prior %.3f)", calm_model, calm, d->model, escalated);
    }
  g_assert_cmpfloat (escalated, >, calm);
}

static void
test_context_window (void)
{
  const char *pool[] = { "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5", "claude-sonnet-4-6", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", 0.5, 0.9);
  g_autoptr(PmDecision) d = NULL;
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  Shape shape = { .model = "pointsman/auto", .session = "huge", .tokens_per_pair = 30000,
                  .first_tokens = 100, .last = LAST_OK, .pairs = 10 };
  JsonArray *array;
  const PmModelInfo *info;

  /* ~300k tokens: only the 1M-window model fits. */
  d = step (router, &shape, T0);
  catalog = pm_catalog_new_default (&error);
  g_assert_no_error (error);
  info = pm_catalog_lookup (catalog, d->model);
  g_assert_nonnull (info);
  g_assert_cmpint (info->context_window, >, 300000);
  g_assert_cmpstr (d->model, ==, "claude-sonnet-4-6");

  /* the models it does not fit are named in the reasons, not listed as candidates */
  array = candidates (d);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, i), "model"), ==,
                     "claude-sonnet-4-6");
  g_assert_true (reasons_contain (d, "do not fit the context window of "));
  g_assert_true (reasons_contain (d, "claude-sonnet-4-5"));
  g_assert_true (reasons_contain (d, "claude-haiku-4-5"));
  g_assert_true (reasons_contain (d, "gpt-5"));

  /* too big for every model in the pool: an error the proxy can turn into a 413 */
  {
    const char *small_pool[] = { "claude-sonnet-4-5", "claude-haiku-4-5", NULL };
    g_autoptr(PmRouter) small = make_router (small_pool, "claude-sonnet-4-5", 0.5, 0.9);
    g_autoptr(PmRequest) request = make_request (&shape);
    g_autoptr(PmDecision) none = NULL;
    g_autoptr(GError) local_error = NULL;

    none = pm_router_decide (small, request, T0, &local_error);
    g_assert_null (none);
    g_assert_error (local_error, PM_ERROR, PM_ERROR_TOO_LARGE);
  }
}

/* json_node_copy () shares objects and arrays: rewriting needs a deep copy. */
static JsonNode *
deep_copy (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr(GError) error = NULL;
  JsonNode *copy = json_from_string (text, &error);

  g_assert_no_error (error);
  return copy;
}

static gboolean
body_has_thinking (JsonNode *body)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (gen, body);
  text = json_generator_to_data (gen, NULL);

  return strstr (text, "\"signature\"") != NULL;
}

static void
test_thinking_never_to_another_model (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-haiku-4-5", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.5, 0.9);
  Shape shape = { .session = "thinker", .tokens_per_pair = 200, .first_tokens = 300,
                  .last = LAST_OK, .thinking_sig = "EqQBCkYIBxgCKkDsig-opus-fixture", .ttl = "1h" };
  g_autoptr(PmDecision) pinned = NULL;
  g_autoptr(PmDecision) mid = NULL;
  g_autoptr(PmDecision) next_turn = NULL;
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;

  /* Opus wrote the thinking (pinned step). */
  shape.model = "claude-opus-4-6";
  shape.pairs = 1;
  pinned = step (router, &shape, T0);
  g_assert_cmpstr (pinned->model, ==, "claude-opus-4-6");

  /* Mid tool loop, the signed thinking belongs to this turn: only its writer may continue. */
  shape.model = "pointsman/auto";
  shape.pairs = 2;
  mid = step (router, &shape, T0 + 10 * SEC);
  g_assert_cmpstr (mid->model, ==, "claude-opus-4-6");
  g_assert_cmpstr (json_object_get_string_member (find_candidate (mid, "claude-haiku-4-5", NULL), "excluded"),
                   ==, "signed thinking of another model in this turn");

  /* A new user turn: switching is allowed, and the thinking is then never sent to haiku. */
  shape.last = LAST_INSTRUCTION;
  shape.pairs = 3;
  request = make_request (&shape);
  g_assert_true (pm_request_has_thinking_blocks (request));
  {
    g_autoptr(PmDecision) d = pm_decision_new ("claude-haiku-4-5", PM_EFFORT_LOW);

    body = deep_copy (pm_request_get_body (request));
    g_assert_true (body_has_thinking (body));
    pm_decision_set_explanation (d, pm_decision_get_explanation (mid));   /* carries thinking_writer */
    g_assert_true (pm_router_apply_decision (router, request, d, PM_API_ANTHROPIC, NULL, body, &error));
    g_assert_no_error (error);
    g_assert_false (body_has_thinking (body));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (body), "thinking"),
                                                    "type"), ==, "disabled");
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "model"), ==, "claude-haiku-4-5");
  }

  /* Back to the writer: the blocks stay, byte for byte. */
  {
    g_autoptr(PmDecision) d = pm_decision_new ("claude-opus-4-6", PM_EFFORT_HIGH);
    g_autoptr(JsonNode) same = deep_copy (pm_request_get_body (request));

    pm_decision_set_explanation (d, pm_decision_get_explanation (mid));
    g_assert_true (pm_router_apply_decision (router, request, d, PM_API_ANTHROPIC, NULL, same, &error));
    g_assert_true (body_has_thinking (same));
    g_assert_true (json_node_equal (json_object_get_member (json_node_get_object (same), "messages"),
                                    json_object_get_member (json_node_get_object (pm_request_get_body (request)), "messages")));
  }

  /* And the router's own choice on that turn never carries another model's thinking. */
  next_turn = pm_router_decide (router, request, T0 + 20 * SEC, &error);
  g_assert_no_error (error);
  {
    g_autoptr(JsonNode) routed = deep_copy (pm_request_get_body (request));

    g_assert_true (pm_router_apply_decision (router, request, next_turn, PM_API_ANTHROPIC, NULL, routed, &error));
    g_assert_true (body_has_thinking (routed) == g_str_equal (next_turn->model, "claude-opus-4-6"));
  }
}

static void
test_tradeoff_extremes (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5", "gpt-5-mini", NULL };
  Shape shape = { .model = "pointsman/auto", .session = "extremes", .tokens_per_pair = 2000,
                  .first_tokens = 1000, .last = LAST_INSTRUCTION, .pairs = 3 };

  for (guint k = 0; k < 2; k++)
    {
      g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", k == 0 ? 0.0 : 1.0, k == 0 ? 0.9 : 0.0);
      g_autoptr(PmDecision) d = step (router, &shape, T0);
      JsonArray *array = candidates (d);
      double best = k == 0 ? -1 : G_MAXDOUBLE;

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *c = json_array_get_object_element (array, i);

          if (json_object_has_member (c, "excluded"))
            continue;
          if (k == 0)
            best = MAX (best, json_object_get_double_member (c, "q"));
          else
            best = MIN (best, json_object_get_double_member (c, "cost"));
        }

      if (k == 0)
        {
          /* quality first: the strongest model at its strongest effort */
          g_assert_cmpfloat (json_object_get_double_member (chosen (d), "q"), ==, best);
          g_assert_cmpstr (d->model, ==, "claude-opus-4-6");
          g_assert_cmpint (d->effort, ==, PM_EFFORT_MAX);
        }
      else
        {
          /* cost first, no floor: the cheapest candidate */
          g_assert_cmpfloat (json_object_get_double_member (chosen (d), "cost"), ==, best);
          g_assert_cmpstr (d->model, ==, "gpt-5-mini");
        }
    }
}

static void
test_ttl_expiry_free_switch (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  g_autoptr(PmDecision) warm = NULL;
  g_autoptr(PmDecision) cold = NULL;
  g_autoptr(PmRouter) router2 = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  Shape shape = { .session = "ttl", .tokens_per_pair = 10000, .first_tokens = 500, .last = LAST_OK, .ttl = "5m" };
  gint64 t = T0;

  /* Within the 5-minute TTL the cache holds the session on sonnet … */
  t = grow_session_on (router, "claude-sonnet-4-5", &shape, 10, t);
  shape.model = "pointsman/auto";
  shape.pairs = 11;
  warm = step (router, &shape, t + 60 * SEC);
  g_assert_cmpstr (warm->model, ==, "claude-sonnet-4-5");

  /* … after 10 idle minutes it expired: the switch costs nothing extra. */
  shape.pairs = 10;
  t = grow_session_on (router2, "claude-sonnet-4-5", &shape, 10, T0);
  shape.model = "pointsman/auto";
  shape.pairs = 11;
  cold = step (router2, &shape, t + 10 * 60 * SEC);
  g_assert_cmpstr (cold->model, ==, "claude-haiku-4-5");
  g_assert_cmpint (json_object_get_int_member (find_candidate (cold, "claude-sonnet-4-5", "none"), "cached_tokens"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (chosen (cold), "reprefill_tokens"), ==, 0);
  g_assert_nonnull (strstr (cold->summary, "switch is free"));
}

static void
test_effort_change_keeps_cache (void)
{
  /* (gpt-5 is left out: at 78k tokens it is the cheaper model per step and the router moves
   * there for cost at the first routed step, trouble or not; test_trouble_raises_effort_before_switch
   * has the same situation from the gpt-5 side.) */
  const char *pool[] = { "claude-opus-4-6", "claude-haiku-4-5", "claude-sonnet-4-5", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.5, 0.9);
  g_autoptr(PmDecision) d = NULL;
  Shape shape = { .session = "effort", .tokens_per_pair = 8000, .first_tokens = 500, .last = LAST_OK, .ttl = "1h" };
  gint64 t = T0;

  /* A session on Opus 4.6 at low effort (adaptive thinking: effort does not break its cache). */
  for (guint i = 1; i <= 8; i++)
    {
      g_autoptr(GHashTable) headers = NULL;
      g_autoptr(PmDecision) p = NULL;

      shape.model = "claude-opus-4-6";
      shape.pairs = i;
      p = step (router, &shape, t);
      t += 30 * SEC;
    }

  /* Errors pile up: Q must rise. Another model would lose ~64k cached tokens; a higher
   * effort on Opus keeps them. */
  shape.model = "pointsman/auto";
  for (guint i = 9; i <= 10; i++)
    {
      g_autoptr(PmDecision) e = NULL;

      shape.pairs = i;
      shape.err_from = 8;
      shape.err_to = i;
      e = step (router, &shape, t);
      t += 30 * SEC;
    }
  shape.pairs = 11;
  shape.err_to = 11;
  {
    g_autoptr(JsonNode) sj = pm_router_session_to_json (router, "effort", t);
    JsonObject *entries = json_object_get_object_member (json_node_get_object (sj), "cache_entries");

    /* 1 h breakpoints: still alive after minutes */
    g_assert_cmpint (json_object_get_int_member (entries, "claude-opus-4-6"), >, 0);
  }
  d = step (router, &shape, t);
  g_assert_cmpstr (d->model, ==, "claude-opus-4-6");
  g_assert_cmpint (d->expected_cached_tokens, >, 60000);
  {
    JsonObject *sonnet = find_candidate (d, "claude-sonnet-4-5", NULL);

    g_assert_nonnull (sonnet);
    g_assert_cmpint (json_object_get_int_member (sonnet, "cached_tokens"), ==, 0);
  }

  /* The next step on Opus changes effort and says the cache is why it did not switch. */
  {
    g_autoptr(PmDecision) d2 = NULL;
    PmEffort before = d->effort;

    shape.pairs = 12;
    shape.err_to = 12;
    d2 = step (router, &shape, t + 30 * SEC);
    g_assert_cmpstr (d2->model, ==, "claude-opus-4-6");
    if (d2->effort != before)
      g_assert_nonnull (strstr (d2->summary, "instead of switching model"));
  }
  g_assert_cmpint (d->effort, >, PM_EFFORT_NONE);
}

static void
test_pin_honoured (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 1.0, 0.0);
  g_autoptr(PmDecision) d = NULL;
  Shape shape = { .model = "claude-sonnet-4-5-20250929", .session = "pin", .tokens_per_pair = 100,
                  .first_tokens = 100, .last = LAST_OK, .pairs = 1 };

  d = step (router, &shape, T0);
  g_assert_false (d->routed);
  g_assert_cmpstr (d->model, ==, "claude-sonnet-4-5");
  g_assert_nonnull (strstr (d->summary, "pinned"));

  /* pinned to the default model, later in the session: the baseline is the same model with
   * the same cache history, so it costs what the request costs */
  for (guint i = 2; i <= 4; i++)
    {
      g_autoptr(PmDecision) later = NULL;

      shape.pairs = i;
      later = step (router, &shape, T0 + i * 10 * SEC);
      g_assert_cmpfloat_with_epsilon (later->expected_baseline_cost, later->expected_cost,
                                      later->expected_cost * 0.01);
    }
  shape.pairs = 1;

  /* route-all: the same request is routed (cost first → not sonnet) */
  pm_objective_set_pin_policy (pm_router_get_objective (router), PM_PIN_ROUTE_ALL);
  {
    g_autoptr(PmDecision) r = NULL;

    shape.session = "pin2";
    r = step (router, &shape, T0);
    g_assert_true (r->routed);
    g_assert_cmpstr (r->model, ==, "claude-haiku-4-5");
  }
}

static void
test_usage_truth (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  Shape shape = { .model = "claude-sonnet-4-5", .session = "truth", .tokens_per_pair = 2000,
                  .first_tokens = 500, .last = LAST_OK, .pairs = 1 };
  g_autoptr(PmRequest) r1 = make_request (&shape);
  g_autoptr(PmDecision) d1 = NULL;
  g_autoptr(PmDecision) d2 = NULL;
  g_autoptr(PmRequest) r2 = NULL;
  g_autoptr(GError) error = NULL;
  PmUsage usage;
  gint64 est = pm_request_get_input_tokens (r1);

  d1 = pm_router_decide (router, r1, T0, &error);
  g_assert_no_error (error);

  /* The provider says the prompt was 30 % bigger than estimated, and nothing got cached. */
  pm_usage_init (&usage);
  usage.seen = TRUE;
  usage.input = est * 13 / 10;
  usage.output = 100;
  pm_router_observe (router, r1, d1, &usage, 200, T0 + SEC);

  shape.pairs = 2;
  r2 = make_request (&shape);
  d2 = pm_router_decide (router, r2, T0 + 10 * SEC, &error);
  g_assert_no_error (error);
  /* nothing cached (truth beats the breakpoint rules) and token counts scaled by 1.3 */
  g_assert_cmpint (d2->expected_cached_tokens, ==, 0);
  {
    JsonObject *session = json_object_get_object_member (json_node_get_object (pm_decision_get_explanation (d2)), "session");

    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (session, "token_scale"), 1.3, 0.01);
  }

  /* Baseline of a request: the default model's price for the reported prompt. */
  g_assert_cmpfloat (pm_router_baseline_cost (router, r2, &usage), >, 0.0);
}

static void
test_outcomes_persist (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "router.db", NULL);
  const char *pool[] = { "claude-haiku-4-5", NULL };
  Shape shape = { .model = "pointsman/auto", .session = "outcomes", .tokens_per_pair = 100,
                  .first_tokens = 200, .last = LAST_OK };
  double q_before;
  double q_after;

  {
    g_autoptr(PmRouter) router = make_router (pool, "claude-haiku-4-5", 0.5, 0.0);
    g_autoptr(GError) error = NULL;
    g_autoptr(PmDecision) first = NULL;

    g_assert_true (pm_router_open_outcomes (router, db, &error));
    g_assert_no_error (error);
    shape.pairs = 1;
    first = step (router, &shape, T0);
    q_before = json_object_get_double_member (find_candidate (first, "claude-haiku-4-5", "none"), "q");
    /* ten failing steps in a row */
    for (guint i = 2; i <= 11; i++)
      {
        g_autoptr(PmDecision) d = NULL;

        shape.pairs = i;
        shape.err_from = 1;
        shape.err_to = i;
        d = step (router, &shape, T0 + i * SEC);
      }
  }

  /* A new router on the same file starts from what this device has seen. */
  {
    g_autoptr(PmRouter) router = make_router (pool, "claude-haiku-4-5", 0.5, 0.0);
    g_autoptr(GError) error = NULL;
    g_autoptr(PmDecision) d = NULL;

    g_assert_true (pm_router_open_outcomes (router, db, &error));
    shape.session = "outcomes-2";
    shape.pairs = 1;
    shape.err_from = shape.err_to = 0;
    d = step (router, &shape, T0 + 100 * SEC);
    q_after = json_object_get_double_member (find_candidate (d, "claude-haiku-4-5", "none"), "q");
  }
  g_assert_cmpfloat (q_after, <, q_before);

  /* The file serve and the app open: beside the request database, else in the data dir. */
  {
    g_autofree char *requests = g_build_filename (dir, "sub", "requests.db", NULL);
    g_autofree char *beside = pm_router_dup_outcomes_path (requests);
    g_autofree char *fallback = pm_router_dup_outcomes_path (NULL);
    g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "pointsman", "router.db", NULL);
    g_autofree char *expected_beside = g_build_filename (dir, "sub", "router.db", NULL);
    g_autofree char *parent = g_path_get_dirname (beside);

    g_assert_cmpstr (beside, ==, expected_beside);
    g_assert_true (g_file_test (parent, G_FILE_TEST_IS_DIR));
    g_assert_cmpstr (fallback, ==, expected);
  }
}

/* The outcomes file's rows as another connection reads them: SUM(successes + failures). */
static gint64
outcomes_in_file (const char *path)
{
  sqlite3 *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &sql, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (sql, "SELECT COALESCE(SUM(successes + failures), 0) FROM router_outcomes",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (sql);
  return n;
}

/* Deciding writes nothing to the outcomes file (the proxy decides before the request goes
 * upstream): the judgement of the step before is counted at once and written once the
 * request has been answered (pm_router_observe). */
static void
test_outcomes_written_after_answer (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "router.db", NULL);
  const char *pool[] = { "claude-haiku-4-5", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-haiku-4-5", 0.5, 0.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmDecision) first = NULL;
  g_autoptr(PmDecision) second = NULL;
  g_autoptr(PmRequest) request = NULL;
  Shape shape = { .model = "pointsman/auto", .session = "outcomes-later", .tokens_per_pair = 100,
                  .first_tokens = 200, .last = LAST_OK };

  g_assert_true (pm_router_open_outcomes (router, db, &error));
  g_assert_no_error (error);
  shape.pairs = 1;
  first = step (router, &shape, T0);
  g_assert_cmpint (outcomes_in_file (db), ==, 0);

  /* the second step shows the first failed: judged while deciding, not yet in the file */
  shape.pairs = 2;
  shape.err_from = 1;
  shape.err_to = 2;
  request = make_request (&shape);
  second = pm_router_decide (router, request, T0 + 2 * SEC, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpint (outcomes_in_file (db), ==, 0);

  pm_router_observe (router, request, second, NULL, 200, T0 + 3 * SEC);
  g_assert_cmpint (outcomes_in_file (db), ==, 1);
}


static void
test_failover_keeps_thinking_rules (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-haiku-4-5", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.5, 0.9);
  Shape shape = { .session = "failover", .tokens_per_pair = 200, .first_tokens = 300,
                  .last = LAST_OK, .thinking_sig = "EqQBsig-failover", .ttl = "1h" };
  g_autoptr(PmDecision) pinned = NULL;
  g_autoptr(PmDecision) routed = NULL;
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(GError) error = NULL;

  shape.model = "claude-opus-4-6";
  shape.pairs = 1;
  pinned = step (router, &shape, T0);

  shape.model = "pointsman/auto";
  shape.pairs = 2;
  request = make_request (&shape);
  routed = pm_router_decide (router, request, T0 + 10 * SEC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (routed->model, ==, "claude-opus-4-6");

  /* The proxy fails over with a bare decision (no explanation): the router still knows that
   * opus wrote this turn's thinking. */
  {
    g_autoptr(PmDecision) other = pm_decision_new ("claude-haiku-4-5", PM_EFFORT_LOW);
    g_autoptr(PmDecision) same = pm_decision_new ("claude-opus-4-6", PM_EFFORT_HIGH);
    g_autoptr(JsonNode) b1 = deep_copy (pm_request_get_body (request));
    g_autoptr(JsonNode) b2 = deep_copy (pm_request_get_body (request));

    g_assert_true (pm_router_apply_decision (router, request, other, PM_API_ANTHROPIC, NULL, b1, &error));
    g_assert_false (body_has_thinking (b1));
    g_assert_true (pm_router_apply_decision (router, request, same, PM_API_ANTHROPIC, NULL, b2, &error));
    g_assert_true (body_has_thinking (b2));
  }
}

static void
test_daily_budget (void)
{
  const char *pool[] = { "claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", 0.0, 0.0);
  g_autoptr(PmDecision) free_d = NULL;
  g_autoptr(PmDecision) d = NULL;
  Shape shape = { .model = "pointsman/auto", .session = "budget", .tokens_per_pair = 3000,
                  .first_tokens = 500, .last = LAST_INSTRUCTION, .pairs = 2 };
  JsonArray *array;
  double cheapest = G_MAXDOUBLE;

  /* quality first and no budget: the strongest */
  free_d = step (router, &shape, T0);
  g_assert_cmpstr (free_d->model, ==, "claude-opus-4-6");

  /* a budget already spent: only the cheapest candidate is left */
  pm_objective_set_daily_budget (pm_router_get_objective (router), 0.0001);
  shape.session = "budget-2";
  d = step (router, &shape, T0 + 60 * SEC);
  array = candidates (d);
  for (guint i = 0; i < json_array_get_length (array); i++)
    cheapest = MIN (cheapest, json_object_get_double_member (json_array_get_object_element (array, i), "step_cost"));
  g_assert_cmpfloat (json_object_get_double_member (chosen (d), "step_cost"), ==, cheapest);
  g_assert_nonnull (find_candidate (d, "claude-opus-4-6", NULL));
  g_assert_cmpstr (json_object_get_string_member (find_candidate (d, "claude-opus-4-6", NULL), "excluded"), ==,
                   "over the daily budget");
}

static void
test_client_effort_policy (void)
{
  const char *pool[] = { "claude-opus-4-6", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-opus-4-6", 0.0, 0.0);
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = json_from_string ("{\"model\":\"pointsman/auto\",\"max_tokens\":8000,"
                                               "\"output_config\":{\"effort\":\"low\"},\"thinking\":{\"type\":\"adaptive\"},"
                                               "\"messages\":[{\"role\":\"user\",\"content\":\"Refactor the parser.\"}]}", &error);
  g_autoptr(PmRequest) request = NULL;
  PmObjective *objective = pm_router_get_objective (router);
  struct { PmClientEffortPolicy policy; PmEffort lo; PmEffort hi; } cases[] = {
    { PM_CLIENT_EFFORT_CEILING, PM_EFFORT_NONE, PM_EFFORT_LOW },
    { PM_CLIENT_EFFORT_FLOOR, PM_EFFORT_LOW, PM_EFFORT_MAX },
    { PM_CLIENT_EFFORT_EXACT, PM_EFFORT_LOW, PM_EFFORT_LOW },
    { PM_CLIENT_EFFORT_IGNORE, PM_EFFORT_MAX, PM_EFFORT_MAX },   /* quality first: the top effort */
  };

  g_assert_no_error (error);
  g_hash_table_insert (headers, g_strdup ("x-claude-code-session-id"), g_strdup ("effort-policy"));
  request = pm_request_new (PM_API_ANTHROPIC, headers, body, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pm_request_get_effort (request), ==, PM_EFFORT_LOW);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PmDecision) d = NULL;

      pm_router_reset (router);
      pm_objective_set_client_effort_policy (objective, cases[i].policy);
      d = pm_router_decide (router, request, T0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (d->effort, >=, cases[i].lo);
      g_assert_cmpint (d->effort, <=, cases[i].hi);
    }
}

static void
test_learned_model (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "quality-model.bin", NULL);
  const char *ids[] = { "claude-sonnet-4-5", "claude-haiku-4-5", NULL };
  const char *texts[] = {
    "Fix the parser. the value parser returns a list", "Fix the parser for empty input lines",
    "Fix the parser crash on tokens", "Update the README wording", "Rename a variable in the docs",
    "Fix the parser regression in each line",
  };
  /* haiku fails every parser task, sonnet solves everything */
  const double labels[] = { 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0 };
  g_autoptr(PmQualityModel) model = pm_quality_model_new (ids, 10);
  g_autoptr(GError) error = NULL;
  Shape shape = { .model = "pointsman/auto", .session = "learned", .first_tokens = 40,
                  .last = LAST_OK, .pairs = 0 };
  double q_plain, q_learned;

  g_assert_true (pm_quality_model_train (model, texts, G_N_ELEMENTS (texts), labels, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pm_quality_model_save (model, path, &error));
  g_assert_no_error (error);

  {
    g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.0);
    g_autoptr(PmDecision) d = step (router, &shape, T0);

    q_plain = json_object_get_double_member (find_candidate (d, "claude-haiku-4-5", "none"), "q");
  }

  /* With a learned model on disk the router uses it on a session's first instruction. */
  g_setenv ("PM_QUALITY_MODEL", path, TRUE);
  {
    g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.0);
    g_autoptr(PmDecision) d = step (router, &shape, T0);

    q_learned = json_object_get_double_member (find_candidate (d, "claude-haiku-4-5", "none"), "q");
  }
  g_unsetenv ("PM_QUALITY_MODEL");

  g_test_message ("haiku Q without the learned model %.4f, with it %.4f", q_plain, q_learned);
  g_assert_cmpfloat (q_learned, <, q_plain);

  /* `pointsman-cli train` writes to the user's data dir by default: the router reads it there
   * too (the test's data dir is isolated by G_TEST_OPTION_ISOLATE_DIRS). */
  {
    g_autofree char *user_dir = g_build_filename (g_get_user_data_dir (), "pointsman", NULL);
    g_autofree char *user_path = g_build_filename (user_dir, "quality-model.bin", NULL);
    double q_user;

    g_assert_cmpint (g_mkdir_with_parents (user_dir, 0700), ==, 0);
    g_assert_true (pm_quality_model_save (model, user_path, &error));
    g_assert_no_error (error);
    {
      g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.0);
      g_autoptr(PmDecision) d = step (router, &shape, T0);

      q_user = json_object_get_double_member (find_candidate (d, "claude-haiku-4-5", "none"), "q");
    }
    g_test_message ("haiku Q with the user's weights %.4f", q_user);
    g_assert_cmpfloat (q_user, ==, q_learned);

    /* PM_QUALITY_MODEL still comes first: pointing it nowhere turns the learned model off */
    g_setenv ("PM_QUALITY_MODEL", "/nonexistent/pointsman-test-no-model", TRUE);
    {
      g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.0);
      g_autoptr(PmDecision) d = step (router, &shape, T0);

      g_assert_cmpfloat (json_object_get_double_member (find_candidate (d, "claude-haiku-4-5", "none"), "q"), ==, q_plain);
    }
    g_unsetenv ("PM_QUALITY_MODEL");
    g_assert_cmpint (g_unlink (user_path), ==, 0);
  }
}

/* A body with `rounds` turns of `parallel` tool calls each, breakpoint on the newest block. */
static PmRequest *
parallel_request (guint rounds,
                  guint parallel)
{
  g_autoptr(GString) s = g_string_new ("{\"model\":\"pointsman/auto\",\"max_tokens\":8000,"
                                       "\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code.\"}],"
                                       "\"messages\":[{\"role\":\"user\",\"content\":\"Read every module. ");
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  PmRequest *request;

  append_filler (s, 3000, 1);
  g_string_append (s, "\"}");
  for (guint r = 0; r < rounds; r++)
    {
      g_string_append (s, ",{\"role\":\"assistant\",\"content\":[");
      for (guint k = 0; k < parallel; k++)
        g_string_append_printf (s, "%s{\"type\":\"tool_use\",\"id\":\"t%u_%u\",\"name\":\"Read\",\"input\":{\"f\":\"m%u\"}}",
                                k ? "," : "", r, k, k);
      g_string_append (s, "]},{\"role\":\"user\",\"content\":[");
      for (guint k = 0; k < parallel; k++)
        {
          g_string_append_printf (s, "%s{\"type\":\"tool_result\",\"tool_use_id\":\"t%u_%u\",\"content\":\"", k ? "," : "", r, k);
          append_filler (s, 400, r * 31 + k);
          g_string_append_printf (s, "\"%s}", r + 1 == rounds && k + 1 == parallel ? ",\"cache_control\":{\"type\":\"ephemeral\"}" : "");
        }
      g_string_append (s, "]}");
    }
  g_string_append (s, "]}");

  body = json_from_string (s->str, &error);
  g_assert_no_error (error);
  g_hash_table_insert (headers, g_strdup ("x-claude-code-session-id"), g_strdup ("lookback"));
  request = pm_request_new (PM_API_ANTHROPIC, headers, body, &error);
  g_assert_no_error (error);

  return request;
}

static void
test_anthropic_lookback (void)
{
  const char *pool[] = { "claude-sonnet-4-5", NULL };

  for (guint parallel = 3; parallel <= 12; parallel += 9)
    {
      g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", 0.5, 0.0);
      g_autoptr(PmRequest) first = parallel_request (1, parallel);
      g_autoptr(PmRequest) second = parallel_request (2, parallel);
      g_autoptr(PmDecision) d1 = NULL;
      g_autoptr(PmDecision) d2 = NULL;
      g_autoptr(GError) error = NULL;
      gint64 before = pm_request_get_input_tokens (first);

      d1 = pm_router_decide (router, first, T0, &error);
      g_assert_no_error (error);
      pm_router_observe (router, first, d1, NULL, 200, T0 + SEC);
      d2 = pm_router_decide (router, second, T0 + 10 * SEC, &error);
      g_assert_no_error (error);

      /* 3 calls add 6 blocks: the previous breakpoint is within Anthropic's 20-block lookback.
       * 12 calls add 24: it is not, and nothing is read. */
      if (parallel == 3)
        g_assert_cmpint (d2->expected_cached_tokens, ==, before);
      else
        g_assert_cmpint (d2->expected_cached_tokens, ==, 0);
    }
}

static void
test_cache_misses_learned (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  Shape shape = { .model = "claude-sonnet-4-5", .session = "misses", .tokens_per_pair = 3000,
                  .first_tokens = 500, .last = LAST_OK };
  gint64 expected[5];

  /* The provider never reads from cache (say, a prompt part changes on every request): it
   * reports a full write each time. After two expected hits it did not confirm, the router
   * stops expecting any. */
  for (guint i = 1; i <= 5; i++)
    {
      g_autoptr(PmRequest) request = NULL;
      g_autoptr(PmDecision) d = NULL;
      g_autoptr(GError) error = NULL;
      PmUsage usage;

      shape.pairs = i;
      request = make_request (&shape);
      d = pm_router_decide (router, request, T0 + i * 10 * SEC, &error);
      g_assert_no_error (error);
      expected[i - 1] = d->expected_cached_tokens;

      pm_usage_init (&usage);
      usage.seen = TRUE;
      usage.cache_write_5m = pm_request_get_input_tokens (request);
      usage.input = 3;
      usage.output = 50;
      pm_router_observe (router, request, d, &usage, 200, T0 + i * 10 * SEC + SEC);
    }

  g_assert_cmpint (expected[0], ==, 0);
  g_assert_cmpint (expected[1], >, 0);     /* it believed its own rules … */
  g_assert_cmpint (expected[2], >, 0);
  g_assert_cmpint (expected[3], ==, 0);    /* … until the reports said otherwise twice */
  g_assert_cmpint (expected[4], ==, 0);
}

static void
test_think_cue (void)
{
  const char *pool[] = { "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5-mini", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", 0.5, 0.9);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = json_from_string ("{\"model\":\"pointsman/auto\",\"max_tokens\":16000,"
                                               "\"messages\":[{\"role\":\"user\",\"content\":"
                                               "\"Think hard about the lock ordering, then fix the deadlock.\"}]}", &error);
  g_autoptr(PmRequest) request = pm_request_new (PM_API_ANTHROPIC, NULL, body, &error);
  g_autoptr(PmDecision) d = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (pm_request_get_step (request), ==, PM_STEP_THINK);
  d = pm_router_decide (router, request, T0, &error);
  g_assert_no_error (error);
  /* whatever the model, the user's request for thinking is honoured */
  g_assert_cmpint (d->effort, >=, PM_EFFORT_MEDIUM);
}

static void
test_images_need_vision (void)
{
  const char *pool[] = { "deepseek-chat", "claude-haiku-4-5", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-haiku-4-5", 1.0, 0.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) text_body = json_from_string ("{\"model\":\"pointsman/auto\",\"max_tokens\":1000,"
                                                    "\"messages\":[{\"role\":\"user\",\"content\":\"What is 2+2?\"}]}", &error);
  g_autoptr(JsonNode) image_body = json_from_string ("{\"model\":\"pointsman/auto\",\"max_tokens\":1000,"
                                                     "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\","
                                                     "\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}},"
                                                     "{\"type\":\"text\",\"text\":\"What is in this screenshot?\"}]}]}", &error);
  g_autoptr(PmRequest) text = pm_request_new (PM_API_ANTHROPIC, NULL, text_body, &error);
  g_autoptr(PmRequest) image = pm_request_new (PM_API_ANTHROPIC, NULL, image_body, &error);
  g_autoptr(PmDecision) d1 = NULL;
  g_autoptr(PmDecision) d2 = NULL;

  g_assert_no_error (error);
  /* cost first: DeepSeek for text … */
  d1 = pm_router_decide (router, text, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (d1->model, ==, "deepseek-chat");
  /* … but never for an image */
  g_assert_true (pm_request_has_images (image));
  d2 = pm_router_decide (router, image, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (d2->model, ==, "claude-haiku-4-5");
}

static void
test_priors_loaded (void)
{
  const char *pool[] = { "claude-sonnet-4-5", NULL };
  g_autoptr(PmRouter) router = make_router (pool, "claude-sonnet-4-5", 0.5, 0.0);
  Shape shape = { .model = "pointsman/auto", .session = "priors", .first_tokens = 50,
                  .last = LAST_OK, .pairs = 0 };
  g_autoptr(PmDecision) d = step (router, &shape, T0);
  JsonObject *c = chosen (d);

  /* data/priors.json is found: Sonnet 4.5's prior is its published bash-only figure (70.6 %,
   * at its default effort), not the price-based guess */
  g_assert_cmpstr (json_object_get_string_member (c, "prior_source"), ==, "SWE-bench Verified bash-only");
  g_assert_cmpfloat (json_object_get_double_member (c, "prior"), >, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (c, "prior"), <, 0.9);
}

/* A Codex-shaped Responses request: instructions, a growing list of calls and outputs. */
static PmRequest *
codex_request (guint       steps,
               const char *model)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  PmRequest *request;

  g_string_printf (s, "{\"model\":\"%s\",\"stream\":true,\"instructions\":\"You are Codex, a coding agent. ", model);
  append_filler (s, 1500, 3);
  g_string_append (s, "\",\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":"
                      "[{\"type\":\"input_text\",\"text\":\"Fix the exporter.\"}]}");
  for (guint i = 0; i < steps; i++)
    {
      g_string_append_printf (s, ",{\"type\":\"function_call\",\"call_id\":\"c%u\",\"name\":\"shell\","
                                 "\"arguments\":\"{\\\"command\\\":[\\\"cat\\\",\\\"f%u\\\"]}\"}", i, i);
      g_string_append_printf (s, ",{\"type\":\"function_call_output\",\"call_id\":\"c%u\",\"output\":\"", i);
      append_filler (s, 6000, i + 7);
      g_string_append (s, "\"}");
    }
  g_string_append (s, "]}");

  body = json_from_string (s->str, &error);
  g_assert_no_error (error);
  g_hash_table_insert (headers, g_strdup ("session-id"), g_strdup ("codex-auto-cache"));
  g_hash_table_insert (headers, g_strdup ("originator"), g_strdup ("codex_cli_rs"));
  request = pm_request_new (PM_API_OPENAI_RESPONSES, headers, body, &error);
  g_assert_no_error (error);

  return request;
}

static void
test_openai_automatic_cache (void)
{
  const char *pool[] = { "gpt-5", "gpt-5-mini", NULL };
  gint64 t = T0;

  for (guint expire = 0; expire < 2; expire++)
    {
      g_autoptr(PmRouter) router = make_router (pool, "gpt-5", 0.5, 0.0);
      g_autoptr(PmRequest) next = NULL;
      g_autoptr(PmDecision) d = NULL;
      g_autoptr(GError) error = NULL;

      /* A session served by gpt-5 (pinned) for 8 steps, ~50k tokens cached automatically. */
      for (guint i = 1; i <= 8; i++)
        {
          g_autoptr(PmRequest) r = codex_request (i, "gpt-5");
          g_autoptr(PmDecision) p = pm_router_decide (router, r, t + i * 20 * SEC, &error);

          g_assert_no_error (error);
          g_assert_false (p->routed);
          pm_router_observe (router, r, p, NULL, 200, t + i * 20 * SEC + SEC);
        }

      next = codex_request (9, "pointsman/auto");
      /* within OpenAI's ~10 minutes the prefix is read; after 11 idle minutes it is gone */
      d = pm_router_decide (router, next, t + 8 * 20 * SEC + (expire ? 11 * 60 : 30) * SEC, &error);
      g_assert_no_error (error);
      if (!expire)
        {
          g_assert_cmpint (json_object_get_int_member (find_candidate (d, "gpt-5", NULL), "cached_tokens"), >, 40000);
          g_assert_cmpint (json_object_get_int_member (find_candidate (d, "gpt-5-mini", NULL), "cached_tokens"), ==, 0);
        }
      else
        {
          g_assert_cmpint (json_object_get_int_member (find_candidate (d, "gpt-5", NULL), "cached_tokens"), ==, 0);
          g_assert_cmpint (d->expected_cached_tokens, ==, 0);
        }
      /* effort does not split OpenAI's cache: every gpt-5 effort reads the same prefix */
      if (!expire)
        {
          JsonObject *high = find_candidate (d, "gpt-5", "high");
          JsonObject *low = find_candidate (d, "gpt-5", "low");

          /* (both are listed: two models, four efforts each, within the explanation's top 8) */
          g_assert_nonnull (high);
          g_assert_nonnull (low);
          g_assert_cmpint (json_object_get_int_member (high, "cached_tokens"), ==,
                           json_object_get_int_member (low, "cached_tokens"));
        }
    }
}

static void
test_compaction_reads_parent_cache (void)
{
  g_autoptr(PmRouter) router = make_router (claude_pool, "claude-sonnet-4-5", 0.5, 0.9);
  Shape shape = { .session = "compact", .tokens_per_pair = 8000, .first_tokens = 500, .last = LAST_OK, .ttl = "1h" };
  g_autoptr(GString) s = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(PmDecision) d = NULL;
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  JsonArray *messages;
  JsonObject *summary;
  gint64 t;

  t = grow_session_on (router, "claude-sonnet-4-5", &shape, 6, T0);

  /* Claude Code's compaction: the same conversation plus the summary instruction. */
  shape.model = "pointsman/auto";
  body = make_body (&shape);
  messages = json_object_get_array_member (json_node_get_object (body), "messages");
  summary = json_object_new ();
  json_object_set_string_member (summary, "role", "user");
  json_object_set_string_member (summary, "content",
                                 "Your task is to create a detailed summary of the conversation so far.\n"
                                 "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.");
  json_array_add_object_element (messages, summary);
  g_hash_table_insert (headers, g_strdup ("x-claude-code-session-id"), g_strdup ("compact"));
  request = pm_request_new (PM_API_ANTHROPIC, headers, body, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pm_request_get_kind (request), ==, PM_KIND_COMPACTION);
  g_assert_cmpstr (pm_request_get_session_id (request), ==, "compact/compaction");

  d = pm_router_decide (router, request, t, &error);
  g_assert_no_error (error);
  /* the main conversation's prefix is cached on sonnet, and compaction reads it */
  g_assert_cmpint (json_object_get_int_member (find_candidate (d, "claude-sonnet-4-5", "none"), "cached_tokens"), >, 40000);
  g_assert_cmpstr (d->model, ==, "claude-sonnet-4-5");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pm/router/stays-with-cache", test_stays_with_cache);
  g_test_add_func ("/pm/router/session-start-cheaper", test_session_start_cheaper);
  g_test_add_func ("/pm/router/subagent-free", test_subagent_free);
  g_test_add_func ("/pm/router/title-cheapest", test_title_cheapest);
  g_test_add_func ("/pm/router/escalation-and-recovery", test_escalation_and_recovery);
  g_test_add_func ("/pm/router/outcomes-do-not-block-escalation", test_outcomes_do_not_block_escalation);
  g_test_add_func ("/pm/router/one-error-no-switch", test_one_error_no_switch);
  g_test_add_func ("/pm/router/recovery-counts-warm-cache", test_recovery_counts_warm_cache);
  g_test_add_func ("/pm/router/trouble-raises-effort-before-switch", test_trouble_raises_effort_before_switch);
  g_test_add_func ("/pm/router/escalation-hold-yields-to-window", test_escalation_hold_yields_to_window);
  g_test_add_func ("/pm/router/context-window", test_context_window);
  g_test_add_func ("/pm/router/thinking-never-to-another-model", test_thinking_never_to_another_model);
  g_test_add_func ("/pm/router/tradeoff-extremes", test_tradeoff_extremes);
  g_test_add_func ("/pm/router/ttl-expiry-free-switch", test_ttl_expiry_free_switch);
  g_test_add_func ("/pm/router/effort-change-keeps-cache", test_effort_change_keeps_cache);
  g_test_add_func ("/pm/router/pin-honoured", test_pin_honoured);
  g_test_add_func ("/pm/router/usage-truth", test_usage_truth);
  g_test_add_func ("/pm/router/outcomes-persist", test_outcomes_persist);
  g_test_add_func ("/pm/router/outcomes-written-after-answer", test_outcomes_written_after_answer);
  g_test_add_func ("/pm/router/failover-keeps-thinking-rules", test_failover_keeps_thinking_rules);
  g_test_add_func ("/pm/router/daily-budget", test_daily_budget);
  g_test_add_func ("/pm/router/client-effort-policy", test_client_effort_policy);
  g_test_add_func ("/pm/router/learned-model", test_learned_model);
  g_test_add_func ("/pm/router/anthropic-lookback", test_anthropic_lookback);
  g_test_add_func ("/pm/router/cache-misses-learned", test_cache_misses_learned);
  g_test_add_func ("/pm/router/think-cue", test_think_cue);
  g_test_add_func ("/pm/router/images-need-vision", test_images_need_vision);
  g_test_add_func ("/pm/router/priors-loaded", test_priors_loaded);
  g_test_add_func ("/pm/router/openai-automatic-cache", test_openai_automatic_cache);
  g_test_add_func ("/pm/router/compaction-reads-parent-cache", test_compaction_reads_parent_cache);

  return g_test_run ();
}
