/* pm-cli-explain.c — `pointsman-cli explain`: the decision for one request, and why
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <glib/gi18n.h>

#include "pm-catalog.h"
#include "pm-cli.h"
#include "pm-config.h"
#include "pm-objective.h"
#include "pm-request.h"
#include "pm-router.h"

/* A bare body: guess its API from the fields only one API has. */
static PmApi
guess_api (JsonObject *body)
{
  JsonArray *messages;

  if (json_object_has_member (body, "input") || json_object_has_member (body, "instructions"))
    return PM_API_OPENAI_RESPONSES;
  if (json_object_has_member (body, "system") || json_object_has_member (body, "thinking") ||
      json_object_has_member (body, "output_config"))
    return PM_API_ANTHROPIC;
  if (json_object_has_member (body, "reasoning_effort") || json_object_has_member (body, "max_completion_tokens"))
    return PM_API_OPENAI_CHAT;

  messages = json_object_has_member (body, "messages") &&
             JSON_NODE_HOLDS_ARRAY (json_object_get_member (body, "messages"))
             ? json_object_get_array_member (body, "messages") : NULL;
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonNode *m = json_array_get_element (messages, i);
      const char *role;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        continue;
      role = json_object_get_string_member_with_default (json_node_get_object (m), "role", "");
      if (g_str_equal (role, "system") || g_str_equal (role, "tool") || g_str_equal (role, "developer") ||
          json_object_has_member (json_node_get_object (m), "tool_calls"))
        return PM_API_OPENAI_CHAT;
    }

  return PM_API_ANTHROPIC;
}

PmRequest *
pm_cli_request_from_json (JsonNode    *root,
                          const char  *api_override,
                          GError     **error);

/* Also used by replay: a body, or {"api","headers","body"}. */
PmRequest *
pm_cli_request_from_json (JsonNode    *root,
                          const char  *api_override,
                          GError     **error)
{
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonObject *object;
  JsonNode *body = root;
  PmApi api;
  gboolean have_api = FALSE;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "expected a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);

  if (json_object_has_member (object, "body") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "body")))
    {
      const char *api_name = json_object_get_string_member_with_default (object, "api", NULL);
      JsonNode *h = json_object_get_member (object, "headers");

      body = json_object_get_member (object, "body");
      if (api_name != NULL)
        {
          if (!pm_api_from_string (api_name, &api))
            {
              g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "unknown api “%s”", api_name);
              return NULL;
            }
          have_api = TRUE;
        }
      if (h != NULL && JSON_NODE_HOLDS_OBJECT (h))
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *value;

          json_object_iter_init (&iter, json_node_get_object (h));
          while (json_object_iter_next (&iter, &name, &value))
            if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
              g_hash_table_insert (headers, g_ascii_strdown (name, -1), g_strdup (json_node_get_string (value)));
        }
    }

  if (api_override != NULL)
    {
      if (!pm_api_from_string (api_override, &api))
        {
          g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "unknown api “%s”", api_override);
          return NULL;
        }
      have_api = TRUE;
    }
  if (!have_api)
    api = guess_api (json_node_get_object (body));

  return pm_request_new (api, headers, body, error);
}

PmRouter *
pm_cli_router_from_config (const char  *config_path,
                           PmConfig   **config_out,
                           GError     **error);

PmRouter *
pm_cli_router_from_config (const char  *config_path,
                           PmConfig   **config_out,
                           GError     **error)
{
  g_autoptr(PmConfig) config = NULL;
  g_autoptr(PmCatalog) catalog = NULL;
  g_auto(GStrv) pool = NULL;
  g_autofree char *default_path = NULL;

  if (config_path != NULL)
    config = pm_config_load (config_path, FALSE, error);
  else
    {
      default_path = pm_config_default_path ();
      if (g_file_test (default_path, G_FILE_TEST_IS_REGULAR))
        config = pm_config_load (default_path, FALSE, error);
      else
        config = pm_config_new_default ();
    }
  if (config == NULL)
    return NULL;

  catalog = pm_catalog_new_default (error);
  if (catalog == NULL)
    return NULL;

  pool = pm_config_dup_pool (config);
  if (config_out != NULL)
    *config_out = g_object_ref (config);

  return pm_router_new (catalog, pm_config_get_objective (config), (const char * const *) pool,
                        pm_config_get_default_model (config));
}

static void
print_text (PmRequest  *request,
            PmDecision *decision)
{
  JsonObject *ex = json_node_get_object (pm_decision_get_explanation (decision));
  JsonObject *features = json_object_get_object_member (ex, "features");
  JsonArray *cands = json_object_get_array_member (ex, "candidates");
  JsonArray *reasons = json_object_get_array_member (ex, "reasons");

  printf ("request   %s, %s, session %s (%s)\n",
          pm_api_to_string (pm_request_get_api (request)),
          pm_agent_to_string (pm_request_get_agent (request)),
          pm_request_get_session_id (request),
          json_object_get_string_member_with_default (features, "session_source", ""));
  printf ("kind      %s (%s), step %s\n", pm_kind_to_string (pm_request_get_kind (request)),
          json_object_get_string_member_with_default (features, "kind_reason", ""),
          pm_step_to_string (pm_request_get_step (request)));
  printf ("tokens    ~%" G_GINT64_FORMAT " (tools %" G_GINT64_FORMAT ", system %" G_GINT64_FORMAT
          ", messages %" G_GINT64_FORMAT ")\n",
          pm_request_get_input_tokens (request),
          json_object_get_int_member_with_default (features, "tools_tokens", 0),
          json_object_get_int_member_with_default (features, "system_tokens", 0),
          json_object_get_int_member_with_default (features, "messages_tokens", 0));
  printf ("decision  %s%s%s%s   expected $%.5f (default model $%.5f), %" G_GINT64_FORMAT " cached tokens\n",
          decision->model,
          decision->effort != PM_EFFORT_UNSET ? " @ " : "",
          pm_effort_to_string (decision->effort),
          decision->routed ? "" : " (client pin honoured)",
          decision->expected_cost, decision->expected_baseline_cost,
          decision->expected_cached_tokens);
  printf ("why       %s\n", decision->summary);
  for (guint i = 1; reasons != NULL && i < json_array_get_length (reasons); i++)
    printf ("          %s\n", json_array_get_string_element (reasons, i));
  if (decision->fallbacks != NULL && decision->fallbacks->len > 0)
    {
      printf ("fallbacks ");
      for (guint i = 0; i < decision->fallbacks->len; i++)
        printf ("%s%s", i ? ", " : "", (const char *) g_ptr_array_index (decision->fallbacks, i));
      printf ("\n");
    }

  printf ("\n  %-22s %-7s %6s %10s %10s %9s %8s %9s\n", "candidate", "effort", "Q", "cost $",
          "step $", "utility", "cached", "re-fill");
  for (guint i = 0; cands != NULL && i < json_array_get_length (cands); i++)
    {
      JsonObject *c = json_array_get_object_element (cands, i);
      const char *excluded = json_object_get_string_member_with_default (c, "excluded", NULL);

      if (excluded != NULL)
        printf ("  %-22s %-7s %6.3f %10s %10.5f %9s %8" G_GINT64_FORMAT " %9s  %s\n",
                json_object_get_string_member (c, "model"),
                json_object_get_string_member (c, "effort"),
                json_object_get_double_member_with_default (c, "q", 0),
                "-",
                json_object_get_double_member_with_default (c, "step_cost", 0),
                "-",
                json_object_get_int_member_with_default (c, "cached_tokens", 0),
                "-",
                excluded);
      else
        printf ("%s %-22s %-7s %6.3f %10.5f %10.5f %9.4f %8" G_GINT64_FORMAT " %9" G_GINT64_FORMAT "\n",
                json_object_get_boolean_member_with_default (c, "chosen", FALSE) ? "*" : " ",
                json_object_get_string_member (c, "model"),
                json_object_get_string_member (c, "effort"),
                json_object_get_double_member_with_default (c, "q", 0),
                json_object_get_double_member_with_default (c, "cost", 0),
                json_object_get_double_member_with_default (c, "step_cost", 0),
                json_object_get_double_member_with_default (c, "utility", 0),
                json_object_get_int_member_with_default (c, "cached_tokens", 0),
                json_object_get_int_member_with_default (c, "reprefill_tokens", 0));
    }
}

int
pm_cli_explain (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PmRouter) router = NULL;
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(PmDecision) decision = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *api = NULL;
  gboolean json = FALSE;
  double tradeoff = -1;
  double floor = -1;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (default: the user's)", "FILE" },
    { "tradeoff", 't', 0, G_OPTION_ARG_DOUBLE, &tradeoff, "Override the trade-off (0 quality first … 1 cost first)", "T" },
    { "floor", 0, 0, G_OPTION_ARG_DOUBLE, &floor, "Override the quality floor (0 … 1)", "F" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the decision as JSON", NULL },
    { "api", 0, 0, G_OPTION_ARG_STRING, &api, "API of a bare body: anthropic, openai-chat, openai-responses", "API" },
    { NULL }
  };

  context = g_option_context_new ("REQUEST.json");
  g_option_context_set_summary (context,
                                "Show the decision Pointsman would make for one request, with the ranked\n"
                                "candidates. REQUEST.json is a request body, or\n"
                                "{\"api\": …, \"headers\": {…}, \"body\": {…}}. Nothing is sent anywhere.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 2;
    }
  if (argc != 2)
    {
      fprintf (stderr, "%s: expected one request file\n", argv[0]);
      return 2;
    }

  if (!json_parser_load_from_file (parser, argv[1], &error))
    {
      fprintf (stderr, "%s: %s: %s\n", argv[0], argv[1], error->message);
      return 1;
    }
  request = pm_cli_request_from_json (json_parser_get_root (parser), api, &error);
  if (request == NULL)
    {
      fprintf (stderr, "%s: %s: %s\n", argv[0], argv[1], error->message);
      return 1;
    }
  router = pm_cli_router_from_config (config_path, NULL, &error);
  if (router == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 1;
    }
  if (tradeoff >= 0)
    pm_objective_set_tradeoff (pm_router_get_objective (router), tradeoff);
  if (floor >= 0)
    pm_objective_set_quality_floor (pm_router_get_objective (router), floor);

  decision = pm_router_decide (router, request, g_get_real_time (), &error);
  if (decision == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 1;
    }

  if (json)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      JsonObject *ex = json_node_get_object (pm_decision_get_explanation (decision));
      g_autofree char *text = NULL;

      json_object_set_string_member (ex, "summary", decision->summary);
      json_object_set_int_member (ex, "expected_cached_tokens", decision->expected_cached_tokens);
      json_object_set_double_member (ex, "expected_cost_usd", decision->expected_cost);
      json_object_set_double_member (ex, "baseline_cost_usd", decision->expected_baseline_cost);
      json_generator_set_pretty (gen, TRUE);
      json_generator_set_root (gen, pm_decision_get_explanation (decision));
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
    }
  else
    print_text (request, decision);

  return 0;
}
