/* pm-cli-replay.c — `pointsman-cli replay`: a recorded sequence through the router, with a
 * simulated clock and cache and no upstream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pm-catalog.h"
#include "pm-cli.h"
#include "pm-config.h"
#include "pm-objective.h"
#include "pm-request.h"
#include "pm-router.h"
#include "pm-usage.h"

/* From pm-cli-explain.c */
PmRequest *pm_cli_request_from_json  (JsonNode    *root,
                                      const char  *api_override,
                                      GError     **error);
PmRouter  *pm_cli_router_from_config (const char  *config_path,
                                      PmConfig   **config_out,
                                      GError     **error);

/* Simulated time starts at a fixed date so replays are reproducible. */
#define REPLAY_EPOCH_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)   /* 2026-01-01 */

typedef struct
{
  PmRouter   *router;
  PmCatalog  *catalog;
  gboolean    json;
  gboolean    explain;
  guint       index;
  double      total;
  double      baseline;
  double      recorded;
  guint       switches;
  GHashTable *last_model;      /* session → model */
  GHashTable *diverged;        /* sessions where Pointsman left the recorded model once */
  GHashTable *off_default;     /* sessions whose recording left the default model once */
} Replay;

static JsonObject *
chosen_candidate (PmDecision *decision)
{
  JsonNode *explanation = pm_decision_get_explanation (decision);
  JsonArray *cands;

  if (explanation == NULL || !JSON_NODE_HOLDS_OBJECT (explanation))
    return NULL;
  cands = json_object_get_array_member (json_node_get_object (explanation), "candidates");
  for (guint i = 0; cands != NULL && i < json_array_get_length (cands); i++)
    {
      JsonObject *c = json_array_get_object_element (cands, i);

      if (json_object_get_boolean_member_with_default (c, "chosen", FALSE))
        return c;
    }

  return NULL;
}

/* The usage the chosen model would report: the router's cache split, scaled to the recorded
 * prompt size when the trace has one (truth beats estimate), the recorded output if any. */
static void
simulate_usage (PmDecision        *decision,
                const PmModelInfo *info,
                const PmUsage     *recorded,
                PmUsage           *out)
{
  JsonObject *c = chosen_candidate (decision);
  gint64 cached = c != NULL ? json_object_get_int_member (c, "cached_tokens") : 0;
  gint64 written = c != NULL ? json_object_get_int_member (c, "cache_write_tokens") : 0;
  gint64 uncached = c != NULL ? json_object_get_int_member (c, "uncached_tokens") : 0;
  gint64 output = c != NULL ? json_object_get_int_member (c, "output_tokens") : 0;
  gint64 total = cached + written + uncached;

  pm_usage_init (out);
  out->seen = TRUE;
  if (recorded != NULL && recorded->seen && total > 0)
    {
      gint64 prompt = pm_usage_prompt_total (recorded);
      double scale = (double) prompt / (double) total;

      cached = (gint64) (cached * scale);
      written = (gint64) (written * scale);
      uncached = prompt - cached - written;
      output = recorded->output;
      /* Claude Code's breakpoint sits on the newest block: with the real prompt size known,
       * an Anthropic model writes everything it did not read (above its minimum). */
      if (info != NULL && g_strcmp0 (info->cache_style, "anthropic") == 0 && prompt >= info->cache_min_tokens &&
          written + cached > 0)
        {
          written = prompt - cached;
          uncached = 0;
        }
      else if (info != NULL && g_strcmp0 (info->cache_style, "anthropic") == 0 && prompt >= info->cache_min_tokens &&
               recorded->cache_read + recorded->cache_write_5m + recorded->cache_write_1h > 0)
        {
          written = prompt - cached;
          uncached = 0;
        }
    }
  out->cache_read = cached;
  /* Writes at the TTL the client asked for, as the recording shows it (Claude Code: 1 h). */
  if (recorded != NULL && recorded->seen && recorded->cache_write_1h > recorded->cache_write_5m)
    out->cache_write_1h = written;
  else
    out->cache_write_5m = written;
  out->input = MAX (uncached, 0);
  out->output = output;
}

static void
emit (Replay     *replay,
      PmRequest  *request,
      PmDecision *decision,
      double      cost,
      double      baseline,
      gint64      cached,
      double      recorded_cost,
      const char *recorded_model)
{
  const char *session = pm_request_get_session_id (request);
  const char *prev = g_hash_table_lookup (replay->last_model, session);

  if (prev != NULL && !g_str_equal (prev, decision->model))
    replay->switches++;
  g_hash_table_insert (replay->last_model, g_strdup (session), g_strdup (decision->model));
  replay->total += cost;
  replay->baseline += baseline;
  if (recorded_cost >= 0)
    replay->recorded += recorded_cost;

  if (replay->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;
      JsonArray *reasons = NULL;
      JsonNode *explanation = pm_decision_get_explanation (decision);

      if (explanation != NULL && JSON_NODE_HOLDS_OBJECT (explanation))
        reasons = json_object_get_array_member (json_node_get_object (explanation), "reasons");

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "i");
      json_builder_add_int_value (b, replay->index);
      json_builder_set_member_name (b, "session");
      json_builder_add_string_value (b, session);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, pm_kind_to_string (pm_request_get_kind (request)));
      json_builder_set_member_name (b, "step");
      json_builder_add_string_value (b, pm_step_to_string (pm_request_get_step (request)));
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, decision->model);
      json_builder_set_member_name (b, "effort");
      json_builder_add_string_value (b, pm_effort_to_string (decision->effort));
      json_builder_set_member_name (b, "cached_tokens");
      json_builder_add_int_value (b, cached);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, cost);
      json_builder_set_member_name (b, "baseline_cost_usd");
      json_builder_add_double_value (b, baseline);
      if (recorded_model != NULL)
        {
          json_builder_set_member_name (b, "recorded_model");
          json_builder_add_string_value (b, recorded_model);
          json_builder_set_member_name (b, "recorded_cost_usd");
          json_builder_add_double_value (b, recorded_cost);
        }
      json_builder_set_member_name (b, "reasons");
      json_builder_begin_array (b);
      for (guint i = 0; reasons != NULL && i < json_array_get_length (reasons); i++)
        json_builder_add_string_value (b, json_array_get_string_element (reasons, i));
      json_builder_end_array (b);
      if (replay->explain && explanation != NULL)
        {
          json_builder_set_member_name (b, "explanation");
          json_builder_add_value (b, json_node_copy (explanation));
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      printf ("%s\n", text);
    }
  else
    {
      printf ("%4u  %-10s %-14s %-18s %-7s %8" G_GINT64_FORMAT "  $%-9.5f $%-9.5f  %s\n",
              replay->index, pm_kind_to_string (pm_request_get_kind (request)),
              pm_step_to_string (pm_request_get_step (request)), decision->model,
              pm_effort_to_string (decision->effort), cached, cost, baseline, decision->summary);
    }
  replay->index++;
}

static gboolean
replay_one (Replay         *replay,
            PmRequest      *request,
            const PmUsage  *recorded,
            gint64          now_us,
            const char     *recorded_model,
            GError        **error)
{
  g_autoptr(PmDecision) decision = NULL;
  const PmModelInfo *info;
  const PmModelInfo *rec_info = NULL;
  PmUsage usage;
  double cost;
  double baseline;
  double recorded_cost = -1;

  const char *session;
  const char *default_model;
  gboolean truth;

  decision = pm_router_decide (replay->router, request, now_us, error);
  if (decision == NULL)
    return FALSE;

  /* A trace line's recorded usage is for the model its body names. */
  if (recorded_model == NULL && recorded != NULL && recorded->seen &&
      pm_catalog_lookup (replay->catalog, pm_request_get_model (request)) != NULL)
    recorded_model = pm_request_get_model (request);
  if (recorded_model != NULL && recorded != NULL && recorded->seen)
    rec_info = pm_catalog_lookup (replay->catalog, recorded_model);
  if (rec_info != NULL)
    recorded_cost = pm_usage_cost (recorded, rec_info);

  /* Truth beats simulation: while a session has stayed on the models the recording used, the
   * recorded usage (cache reads of prefixes written before the file starts, the TTL the client
   * chose, the real output) is what the same choice costs. Once the replay has left them, the
   * recorded model's cache is no longer warm the way the file says: simulate. */
  session = pm_request_get_session_id (request);
  default_model = pm_router_get_default_model (replay->router);
  info = pm_catalog_lookup (replay->catalog, decision->model);
  if (rec_info != NULL && !g_str_equal (rec_info->id, decision->model))
    g_hash_table_add (replay->diverged, g_strdup (session));
  if (rec_info != NULL && (default_model == NULL || !g_str_equal (rec_info->id, default_model)))
    g_hash_table_add (replay->off_default, g_strdup (session));

  truth = rec_info != NULL && info != NULL && !g_hash_table_contains (replay->diverged, session);
  if (truth)
    usage = *recorded;
  else
    simulate_usage (decision, info, recorded, &usage);
  cost = info != NULL ? pm_usage_cost (&usage, info) : decision->expected_cost;

  /* The baseline (always the default model) likewise, while the recording was on it. */
  if (rec_info != NULL && !g_hash_table_contains (replay->off_default, session))
    baseline = recorded_cost;
  else
    baseline = pm_router_baseline_cost (replay->router, request, recorded != NULL && recorded->seen ? recorded : &usage);
  pm_router_observe (replay->router, request, decision, &usage, 200, now_us + G_USEC_PER_SEC);

  emit (replay, request, decision, cost, baseline, usage.cache_read, recorded_cost, recorded_model);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* TRACE.jsonl                                                                                 */

static gboolean
replay_trace (Replay      *replay,
              const char  *path,
              GError     **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (guint n = 0; lines[n] != NULL; n++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(PmRequest) request = NULL;
      g_autoptr(GError) local_error = NULL;
      JsonObject *object;
      PmUsage recorded;
      gint64 now_us;
      const char *line = g_strstrip (lines[n]);

      if (*line == '\0' || *line == '#')
        continue;
      if (!json_parser_load_from_data (parser, line, -1, &local_error) ||
          json_parser_get_root (parser) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "%s:%u: %s", path, n + 1,
                       local_error != NULL ? local_error->message : "expected a JSON object");
          return FALSE;
        }
      object = json_node_get_object (json_parser_get_root (parser));
      request = pm_cli_request_from_json (json_parser_get_root (parser), NULL, &local_error);
      if (request == NULL)
        {
          g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "%s:%u: %s", path, n + 1, local_error->message);
          return FALSE;
        }

      now_us = REPLAY_EPOCH_US + (gint64) (json_object_get_double_member_with_default (object, "t", n) * G_USEC_PER_SEC);
      pm_usage_init (&recorded);
      if (json_object_has_member (object, "usage") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "usage")))
        {
          pm_usage_merge_json (&recorded, pm_request_get_api (request), json_object_get_object_member (object, "usage"));
          recorded.seen = TRUE;
        }

      if (!replay_one (replay, request, &recorded, now_us, NULL, &local_error))
        {
          g_set_error (error, PM_ERROR, PM_ERROR_NO_CANDIDATE, "%s:%u: %s", path, n + 1, local_error->message);
          return FALSE;
        }
    }

  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Claude Code session files                                                                   */

static gint64
parse_time (const char *iso,
            gint64      fallback)
{
  g_autoptr(GDateTime) dt = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;

  return dt != NULL ? g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt) : fallback;
}

/* A copy of the messages so far with Claude Code's breakpoints: on the first block and on the
 * newest block (its system prompt and tools are not in the file). */
static JsonNode *
transcript_body (JsonArray  *messages,
                 const char *ttl)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) copy = NULL;
  JsonObject *body = json_object_new ();
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  JsonArray *array;
  guint n;

  {
    g_autoptr(JsonNode) tmp = json_node_new (JSON_NODE_ARRAY);

    json_node_set_array (tmp, messages);
    text = json_to_string (tmp, FALSE);
  }
  copy = json_from_string (text, NULL);
  array = json_node_get_array (copy);
  n = json_array_get_length (array);

  for (guint k = 0; k < 2 && n > 0; k++)
    {
      JsonObject *m = json_array_get_object_element (array, k == 0 ? 0 : n - 1);
      JsonArray *blocks = json_object_get_array_member (m, "content");
      guint nb = blocks != NULL ? json_array_get_length (blocks) : 0;
      JsonObject *cc;

      if (nb == 0)
        continue;
      cc = json_object_new ();
      json_object_set_string_member (cc, "type", "ephemeral");
      json_object_set_string_member (cc, "ttl", ttl);
      json_object_set_object_member (json_array_get_object_element (blocks, k == 0 ? 0 : nb - 1), "cache_control", cc);
    }

  json_object_set_string_member (body, "model", "pointsman/auto");
  json_object_set_int_member (body, "max_tokens", 32000);
  json_object_set_array_member (body, "messages", json_array_ref (array));
  json_node_take_object (root, body);

  return root;
}

static gboolean
replay_transcript (Replay      *replay,
                   const char  *path,
                   GError     **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonArray) messages = json_array_new ();
  g_autofree char *last_request = NULL;
  g_autofree char *basename = g_path_get_basename (path);
  gboolean sidechain_file = g_str_has_prefix (basename, "agent-");
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (guint n = 0; lines[n] != NULL; n++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *o;
      JsonObject *message;
      JsonNode *content;
      const char *type;

      if (*g_strstrip (lines[n]) == '\0')
        continue;
      node = json_from_string (lines[n], NULL);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      o = json_node_get_object (node);
      type = json_object_get_string_member_with_default (o, "type", "");
      if (!json_object_has_member (o, "message") || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "message")))
        continue;
      if (!sidechain_file && json_object_get_boolean_member_with_default (o, "isSidechain", FALSE))
        continue;
      message = json_object_get_object_member (o, "message");
      content = json_object_get_member (message, "content");

      if (g_str_equal (type, "assistant"))
        {
          const char *request_id = json_object_get_string_member_with_default (o, "requestId", "");

          if (g_strcmp0 (request_id, last_request) != 0)
            {
              /* A new API request (lines of one response share its requestId): replay it. */
              JsonObject *usage_obj = json_object_has_member (message, "usage") &&
                                      JSON_NODE_HOLDS_OBJECT (json_object_get_member (message, "usage"))
                                      ? json_object_get_object_member (message, "usage") : NULL;
              JsonObject *creation = usage_obj != NULL && json_object_has_member (usage_obj, "cache_creation") &&
                                     JSON_NODE_HOLDS_OBJECT (json_object_get_member (usage_obj, "cache_creation"))
                                     ? json_object_get_object_member (usage_obj, "cache_creation") : NULL;
              const char *ttl = creation != NULL &&
                                json_object_get_int_member_with_default (creation, "ephemeral_1h_input_tokens", 0) > 0
                                ? "1h" : "5m";
              g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
              g_autoptr(JsonNode) body = NULL;
              g_autoptr(PmRequest) request = NULL;
              g_autoptr(GError) local_error = NULL;
              const char *session = json_object_get_string_member_with_default (o, "sessionId", basename);
              const char *agent = json_object_get_string_member_with_default (o, "agentId", NULL);
              PmUsage recorded;

              g_free (last_request);
              last_request = g_strdup (request_id);

              if (json_array_get_length (messages) > 0)
                {
                  g_hash_table_insert (headers, g_strdup ("user-agent"), g_strdup ("claude-cli/2.1.39 (external, cli)"));
                  g_hash_table_insert (headers, g_strdup ("x-claude-code-session-id"), g_strdup (session));
                  if (sidechain_file)
                    g_hash_table_insert (headers, g_strdup ("x-claude-code-agent-id"),
                                         g_strdup (agent != NULL ? agent : basename));
                  body = transcript_body (messages, ttl);
                  request = pm_request_new (PM_API_ANTHROPIC, headers, body, &local_error);
                  if (request == NULL)
                    {
                      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "%s:%u: %s", path, n + 1,
                                   local_error->message);
                      return FALSE;
                    }
                  pm_usage_init (&recorded);
                  if (usage_obj != NULL)
                    {
                      pm_usage_merge_json (&recorded, PM_API_ANTHROPIC, usage_obj);
                      recorded.seen = TRUE;
                    }
                  if (!replay_one (replay, request, &recorded,
                                   parse_time (json_object_get_string_member_with_default (o, "timestamp", NULL),
                                               REPLAY_EPOCH_US + n * G_USEC_PER_SEC),
                                   json_object_get_string_member_with_default (message, "model", NULL),
                                   &local_error))
                    {
                      g_set_error (error, PM_ERROR, PM_ERROR_NO_CANDIDATE, "%s:%u: %s", path, n + 1,
                                   local_error->message);
                      return FALSE;
                    }
                }

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
          guint count = json_array_get_length (messages);
          JsonObject *last = count > 0 ? json_array_get_object_element (messages, count - 1) : NULL;
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

  return TRUE;
}

int
pm_cli_replay (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PmRouter) router = NULL;
  g_autoptr(GHashTable) last_model = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) diverged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) off_default = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *config_path = NULL;
  g_autofree char *format = NULL;
  gboolean json = FALSE;
  gboolean explain = FALSE;
  double tradeoff = -1;
  double floor = -1;
  gboolean ok;
  Replay replay = { 0, };
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (default: the user's)", "FILE" },
    { "tradeoff", 't', 0, G_OPTION_ARG_DOUBLE, &tradeoff, "Override the trade-off (0 quality first … 1 cost first)", "T" },
    { "floor", 0, 0, G_OPTION_ARG_DOUBLE, &floor, "Override the quality floor (0 … 1)", "F" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON line per request, then the totals", NULL },
    { "explain", 'e', 0, G_OPTION_ARG_NONE, &explain, "With --json: add each decision's full explanation", NULL },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, "Input format: trace (default) or claude-transcript", "FORMAT" },
    { NULL }
  };

  context = g_option_context_new ("TRACE");
  g_option_context_set_summary (context,
                                "Run a recorded sequence of requests through the router with a simulated\n"
                                "clock and cache; nothing is sent upstream. TRACE is JSON lines\n"
                                "{\"t\": seconds, \"api\": …, \"headers\": {…}, \"body\": {…}, \"usage\": {…}},\n"
                                "or a Claude Code session file with --format claude-transcript.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 2;
    }
  if (argc != 2)
    {
      fprintf (stderr, "%s: expected one trace file\n", argv[0]);
      return 2;
    }
  if (format != NULL && !g_str_equal (format, "trace") && !g_str_equal (format, "claude-transcript"))
    {
      fprintf (stderr, "%s: unknown format “%s” (trace, claude-transcript)\n", argv[0], format);
      return 2;
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

  replay.router = router;
  replay.catalog = pm_router_get_catalog (router);
  replay.json = json;
  replay.explain = explain;
  replay.last_model = last_model;
  replay.diverged = diverged;
  replay.off_default = off_default;

  if (!json)
    printf ("%4s  %-10s %-14s %-18s %-7s %8s  %-10s %-10s  %s\n", "#", "kind", "step", "model", "effort",
            "cached", "cost", "default", "why");

  if (format != NULL && g_str_equal (format, "claude-transcript"))
    ok = replay_transcript (&replay, argv[1], &error);
  else
    ok = replay_trace (&replay, argv[1], &error);

  if (!ok)
    {
      fflush (stdout);
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 1;
    }

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "total_cost_usd");
      json_builder_add_double_value (b, replay.total);
      json_builder_set_member_name (b, "baseline_cost_usd");
      json_builder_add_double_value (b, replay.baseline);
      json_builder_set_member_name (b, "switches");
      json_builder_add_int_value (b, replay.switches);
      json_builder_set_member_name (b, "requests");
      json_builder_add_int_value (b, replay.index);
      if (replay.recorded > 0)
        {
          json_builder_set_member_name (b, "recorded_cost_usd");
          json_builder_add_double_value (b, replay.recorded);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      printf ("%s\n", text);
    }
  else
    {
      printf ("\n%u requests: $%.4f routed, $%.4f on the default model", replay.index, replay.total, replay.baseline);
      if (replay.recorded > 0)
        printf (", $%.4f as recorded", replay.recorded);
      printf ("; %u model switches\n", replay.switches);
    }

  return 0;
}
