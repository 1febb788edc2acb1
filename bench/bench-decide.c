/* bench-decide.c — how long the router takes: parsing, features, decision
 *
 * Three requests shaped like Claude Code's (system, tools, a tool loop): small, 50 messages /
 * ~50k tokens and 200 messages / ~150k tokens. For each: JSON parsing (json-glib), feature
 * extraction (PmRequest: hashes, token estimate, agent/session/kind/step), and the decision
 * alone (pm_router_decide on a warm session, explanation included). Prints a markdown table
 * of p50 / p99 in microseconds. Not a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-body.h"
#include "pm-catalog.h"
#include "pm-objective.h"
#include "pm-request.h"
#include "pm-router.h"


static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
percentiles (GArray *samples,
             double *p50,
             double *p99)
{
  g_array_sort (samples, compare_gint64);
  *p50 = g_array_index (samples, gint64, samples->len / 2) / 1000.0;
  *p99 = g_array_index (samples, gint64, MIN (samples->len - 1, samples->len * 99 / 100)) / 1000.0;
}

static inline gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
main (int   argc,
      char *argv[])
{
  struct { const char *name; guint messages; guint tokens; guint iterations; } cases[] = {
    { "small (4 messages)", 4, 300, 2000 },
    { "50 messages / ~50k tokens", 50, 1800, 300 },
    { "200 messages / ~150k tokens", 200, 1350, 100 },
  };
  const char *pool[] = { "claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5", "gpt-5-mini",
                         "gemini-2.5-pro", "gemini-2.5-flash", "deepseek-chat", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PmCatalog) catalog = pm_catalog_new_default (&error);
  g_autoptr(PmObjective) objective = pm_objective_new ();

  if (catalog == NULL)
    {
      fprintf (stderr, "bench-decide: %s\n", error->message);
      return 1;
    }

  printf ("| request | body | est. tokens | candidates | JSON parse p50 / p99 (µs) | features p50 / p99 (µs) "
          "| decision p50 / p99 (µs) | features + decision p50 (µs) | explanation, built later, p50 / p99 (µs) |\n");
  printf ("|---|---|---|---|---|---|---|---|---|\n");

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *body = bench_make_body (cases[c].messages, cases[c].tokens, FALSE);
      gsize len = strlen (body);
      g_autoptr(GArray) parse = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) features = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) decide = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) explain = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(PmRouter) router = pm_router_new (catalog, objective, pool, "claude-sonnet-4-5");
      gint64 tokens = 0;
      guint n_candidates = 0;
      double p50[4], p99[4];

      for (guint it = 0; it < cases[c].iterations; it++)
        {
          g_autoptr(JsonParser) parser = json_parser_new_immutable ();
          g_autoptr(PmRequest) request = NULL;
          g_autoptr(PmDecision) decision = NULL;
          gint64 t0, t1, t2, t3, t4;

          t0 = now_ns ();
          if (!json_parser_load_from_data (parser, body, len, &error))
            {
              fprintf (stderr, "bench-decide: %s\n", error->message);
              return 1;
            }
          t1 = now_ns ();
          request = pm_request_new (PM_API_ANTHROPIC, NULL, json_parser_get_root (parser), &error);
          t2 = now_ns ();
          decision = pm_router_decide (router, request, g_get_real_time (), &error);
          t3 = now_ns ();
          if (decision == NULL)
            {
              fprintf (stderr, "bench-decide: %s\n", error->message);
              return 1;
            }
          /* what a record serialises once the answer has begun (the proxy), or explain/replay */
          t4 = now_ns ();
          pm_decision_get_explanation (decision);
          t4 = now_ns () - t4;
          /* served: the session now has this prefix cached, as in a real loop */
          pm_router_observe (router, request, decision, NULL, 200, g_get_real_time ());

          tokens = pm_request_get_input_tokens (request);
          n_candidates = json_array_get_length (json_object_get_array_member (json_node_get_object (pm_decision_get_explanation (decision)),
                                                                              "candidates"));
          if (it < 3)
            continue;   /* warm-up */
          {
            gint64 a = t1 - t0, b = t2 - t1, d = t3 - t2;

            g_array_append_val (parse, a);
            g_array_append_val (features, b);
            g_array_append_val (decide, d);
            g_array_append_val (explain, t4);
          }
        }

      percentiles (parse, &p50[0], &p99[0]);
      percentiles (features, &p50[1], &p99[1]);
      percentiles (decide, &p50[2], &p99[2]);
      percentiles (explain, &p50[3], &p99[3]);
      printf ("| %s | %.0f kB | %" G_GINT64_FORMAT " | %u shown | %.0f / %.0f | %.0f / %.0f | %.1f / %.1f | %.0f | %.1f / %.1f |\n",
              cases[c].name, len / 1024.0, tokens, n_candidates, p50[0], p99[0], p50[1], p99[1], p50[2], p99[2],
              p50[1] + p50[2], p50[3], p99[3]);
    }

  return 0;
}
