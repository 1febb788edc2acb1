/* bench-parse.c — the proxy's real request path with parsing included: the body as bytes to
 * a routed decision (pm_request_new_from_bytes, then pm_router_decide), and the parse alone
 * three ways (json-glib JsonParser immutable, as the proxy used to; JsonParser mutable;
 * pm_json_fast_parse, what the proxy uses now) and the upstream body written two ways (json_to_string,
 * pm_json_fast_to_string), interleaved; then the request path alone, with the body for the provider
 * (translate + write) after the decision. Same three Claude Code–shaped requests as
 * bench-decide (bench-body.h). Prints a Markdown table, µs.
 *
 *   bench-parse                          # all three cases, the default iterations
 *   bench-parse --case 2 --iterations 5  # one case, few iterations (for valgrind --tool=callgrind)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-body.h"
#include "pm-catalog.h"
#include "pm-json-fast.h"
#include "pm-objective.h"
#include "pm-request.h"
#include "pm-router.h"
#include "pm-translate.h"


static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
pct (GArray *samples,
     double  p)
{
  g_array_sort (samples, compare_gint64);
  return g_array_index (samples, gint64, MIN (samples->len - 1, (guint) (samples->len * p))) / 1000.0;
}

/* CPU time of this thread: what the work costs, without the time the scheduler gave the
 * core to others (the machine these run on is shared). */
static inline gint64
cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
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
  int only_case = -1;
  guint iterations = 0;

  for (int i = 1; i < argc; i++)
    {
      if (g_strcmp0 (argv[i], "--case") == 0 && i + 1 < argc)
        only_case = atoi (argv[++i]);
      else if (g_strcmp0 (argv[i], "--iterations") == 0 && i + 1 < argc)
        { int n = atoi (argv[++i]); iterations = (guint) MAX (n, 4); }
      else
        {
          fprintf (stderr, "usage: bench-parse [--case 0|1|2] [--iterations N]\n");
          return 2;
        }
    }

  if (catalog == NULL)
    {
      fprintf (stderr, "bench-parse: %s\n", error->message);
      return 1;
    }

  printf ("| request | body | JsonParser immutable p50 (µs) | JsonParser mutable p50 (µs) | pm_json_fast_parse p50 / p99 (µs) "
          "| json_to_string / pm_json_fast_to_string p50 (µs) "
          "| bytes → PmRequest (parse + features) p50 (µs) | bytes → decision (parse + features + decision) p50 / p99 / min (µs) | same, thread CPU time p50 (µs) "
          "| decision → upstream body (translate + write) p50 (µs) |\n");
  printf ("|---|---|---|---|---|---|---|---|---|---|\n");

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    if (only_case < 0 || c == (guint) only_case)
    {
      if (iterations > 0)
        cases[c].iterations = iterations;

      g_autofree char *text = bench_make_body (cases[c].messages, cases[c].tokens, TRUE);
      gsize len = strlen (text);
      g_autoptr(GBytes) bytes = g_bytes_new (text, len);
      g_autoptr(GArray) immutable = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) mutable = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) fast = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) full = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) request_only = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) full_cpu = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) write_glib = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) write_fast = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) upstream = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(PmRouter) router = pm_router_new (catalog, objective, pool, "claude-sonnet-4-5");

      for (guint it = 0; it < cases[c].iterations; it++)
        {
          g_autoptr(JsonParser) p1 = json_parser_new_immutable ();
          g_autoptr(JsonParser) p2 = json_parser_new ();
          g_autoptr(JsonNode) node = NULL;
          gint64 t0, t1, t2, t3;

          /* the three parsers interleaved, so load on the machine hits all alike */
          t0 = now_ns ();
          json_parser_load_from_data (p1, text, len, NULL);
          t1 = now_ns ();
          json_parser_load_from_data (p2, text, len, NULL);
          t2 = now_ns ();
          node = pm_json_fast_parse (text, len);
          t3 = now_ns ();
          if (node == NULL)
            {
              fprintf (stderr, "bench-parse: pm_json_fast_parse declined the body\n");
              return 1;
            }
          {
            /* the upstream body written two ways, interleaved the same way */
            gint64 w0, w1, w2;
            g_autofree char *glib_text = NULL;
            g_autofree char *fast_text = NULL;

            w0 = now_ns ();
            glib_text = json_to_string (node, FALSE);
            w1 = now_ns ();
            fast_text = pm_json_fast_to_string (node, NULL);
            w2 = now_ns ();
            if (it >= 3)
              {
                gint64 e = w1 - w0, g = w2 - w1;

                g_array_append_val (write_glib, e);
                g_array_append_val (write_fast, g);
              }
          }
          if (it < 3)
            continue;
          {
            gint64 a = t1 - t0, b = t2 - t1, d = t3 - t2;

            g_array_append_val (immutable, a);
            g_array_append_val (mutable, b);
            g_array_append_val (fast, d);
          }
        }

      /* The request path on its own, as the proxy runs it: one body alive at a time. */
      for (guint it = 0; it < cases[c].iterations; it++)
        {
          g_autoptr(PmRequest) request = NULL;
          g_autoptr(PmDecision) decision = NULL;
          gint64 t4, t45, t5, c4, c5;

          c4 = cpu_ns ();
          t4 = now_ns ();
          request = pm_request_new_from_bytes (PM_API_ANTHROPIC, NULL, bytes, &error);
          t45 = now_ns ();
          if (request != NULL)
            decision = pm_router_decide (router, request, g_get_real_time (), &error);
          t5 = now_ns ();
          c5 = cpu_ns ();
          if (decision == NULL)
            {
              fprintf (stderr, "bench-parse: %s\n", error->message);
              return 1;
            }
          {
            /* what the proxy does next: the body for the provider (same API here), written */
            gint64 u0 = now_ns (), u1;
            g_autoptr(JsonNode) out = pm_translate_request_for_provider (PM_API_ANTHROPIC, PM_API_ANTHROPIC,
                                                                         pm_request_get_body (request), FALSE,
                                                                         NULL, NULL);
            g_autofree char *out_text = out != NULL ? pm_json_fast_to_string (out, NULL) : NULL;

            u1 = now_ns ();
            if (out_text == NULL)
              {
                fprintf (stderr, "bench-parse: the translation failed\n");
                return 1;
              }
            if (it >= 3)
              {
                gint64 u = u1 - u0;

                g_array_append_val (upstream, u);
              }
          }
          pm_router_observe (router, request, decision, NULL, 200, g_get_real_time ());
          if (it < 3)
            continue;
          {
            gint64 e = t5 - t4, f = t45 - t4, g = c5 - c4;

            g_array_append_val (full, e);
            g_array_append_val (request_only, f);
            g_array_append_val (full_cpu, g);
          }
        }
      printf ("| %s | %.0f kB | %.0f | %.0f | %.0f / %.0f | %.0f / %.0f | %.0f | %.0f / %.0f / %.0f | %.0f | %.0f |\n", cases[c].name,
              len / 1024.0, pct (immutable, 0.5), pct (mutable, 0.5), pct (fast, 0.5), pct (fast, 0.99),
              pct (write_glib, 0.5), pct (write_fast, 0.5),
              pct (request_only, 0.5), pct (full, 0.5), pct (full, 0.99), pct (full, 0.0), pct (full_cpu, 0.5),
              pct (upstream, 0.5));
    }
  return 0;
}
