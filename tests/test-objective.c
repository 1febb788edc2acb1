/* test-objective.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-objective.h"

static void
test_lambda_monotone (void)
{
  g_autoptr(PmObjective) objective = pm_objective_new ();
  double previous = -1.0;

  for (int i = 0; i <= 10; i++)
    {
      double lambda;

      pm_objective_set_tradeoff (objective, i / 10.0);
      lambda = pm_objective_get_lambda (objective);
      g_assert_cmpfloat (lambda, >, previous);
      previous = lambda;
    }

  pm_objective_set_tradeoff (objective, 0.0);
  g_assert_cmpfloat (pm_objective_get_lambda (objective), ==, 0.0);
}

static void
test_load_json (void)
{
  g_autoptr(PmObjective) objective = pm_objective_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser,
                              "{\"tradeoff\": 0.25, \"quality_floor\": 0.8, \"max_effort\": \"medium\","
                              " \"disabled_models\": [\"gpt-5-nano\"], \"client_effort\": \"floor\"}",
                              -1, &error);
  g_assert_no_error (error);

  g_assert_true (pm_objective_load_json (objective, json_node_get_object (json_parser_get_root (parser)), &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (pm_objective_get_tradeoff (objective), ==, 0.25);
  g_assert_cmpfloat (pm_objective_get_quality_floor (objective), ==, 0.8);
  g_assert_cmpint (pm_objective_get_max_effort (objective), ==, PM_EFFORT_MEDIUM);
  g_assert_false (pm_objective_model_enabled (objective, "gpt-5-nano"));
  g_assert_true (pm_objective_model_enabled (objective, "gpt-5"));
  g_assert_cmpint (pm_objective_get_client_effort_policy (objective), ==, PM_CLIENT_EFFORT_FLOOR);
}

static void
test_load_json_errors (void)
{
  const char *bad[][2] = {
    { "{\"tradeoff\": 2}", "objective.tradeoff" },
    { "{\"tradeoff\": \"high\"}", "objective.tradeoff" },
    { "{\"max_effort\": \"extreme\"}", "objective.max_effort" },
    { "{\"disabled_models\": \"gpt-5\"}", "objective.disabled_models" },
    { "{\"client_effort\": \"sometimes\"}", "objective.client_effort" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(PmObjective) objective = pm_objective_new ();
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;

      json_parser_load_from_data (parser, bad[i][0], -1, &error);
      g_assert_no_error (error);
      g_assert_false (pm_objective_load_json (objective, json_node_get_object (json_parser_get_root (parser)), &error));
      g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
      g_assert_nonnull (strstr (error->message, bad[i][1]));
      /* Nothing changed on error */
      g_assert_cmpfloat (pm_objective_get_tradeoff (objective), ==, 0.5);
    }
}

static void
test_pool_and_auto (void)
{
  g_autoptr(PmObjective) objective = pm_objective_new ();
  g_autoptr(PmObjective) copy = NULL;
  const char *aliases[] = { "router", NULL };

  pm_objective_set_model_enabled (objective, "a", FALSE);
  pm_objective_set_model_enabled (objective, "b", FALSE);
  pm_objective_set_model_enabled (objective, "a", TRUE);
  g_assert_true (pm_objective_model_enabled (objective, "a"));
  g_assert_false (pm_objective_model_enabled (objective, "b"));

  g_assert_true (pm_objective_is_auto_model (objective, "pointsman/auto"));
  g_assert_false (pm_objective_is_auto_model (objective, "router"));
  pm_objective_set_auto_aliases (objective, aliases);
  g_assert_true (pm_objective_is_auto_model (objective, "router"));
  g_assert_true (pm_objective_is_auto_model (objective, "pointsman/auto"));
  g_assert_false (pm_objective_is_auto_model (objective, "claude-sonnet-4-5"));

  copy = pm_objective_copy (objective);
  g_assert_false (pm_objective_model_enabled (copy, "b"));
  g_assert_true (pm_objective_is_auto_model (copy, "router"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/objective/lambda-monotone", test_lambda_monotone);
  g_test_add_func ("/pm/objective/load-json", test_load_json);
  g_test_add_func ("/pm/objective/load-json-errors", test_load_json_errors);
  g_test_add_func ("/pm/objective/pool-and-auto", test_pool_and_auto);

  return g_test_run ();
}
