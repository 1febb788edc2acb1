/* test-router-live.c — the router inside the real proxy, against the scripted upstream
 *
 * A Claude Code-shaped session goes client → PmProxy → PmSimUpstream over loopback sockets.
 * The upstream keeps a per-model prefix memory and reports cache reads and writes the way the
 * provider would, so this checks that what the router *expects* to be cached matches what the
 * upstream *reports* once the router has learned from the first responses (truth beats
 * estimate), and that the session stays on one model while its cache is warm.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-record.h"
#include "pm-request-log.h"
#include "pm-sim-upstream.h"
#include "pm-test-utils.h"
/* The shared client helpers are static; this test uses only some of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test-proxy-common.h"
#pragma GCC diagnostic pop

#define PROVIDER_KEY "test-key-not-real-1234"

static const char *words[] = {
  "the", "value", "parser", "returns", "a", "list", "of", "tokens", "for", "each", "line",
  "when", "input", "is", "empty", "we", "skip", "it", "and", "log", "nothing", "else",
};

static char *
session_body (guint steps)
{
  /* Top-level cache_control: the breakpoint follows the newest block. The first message is long
   * enough (> 4,096 tokens, Haiku 4.5's minimum cacheable prefix) for the first step to write. */
  GString *s = g_string_new ("{\"model\":\"pointsman/auto\",\"max_tokens\":4096,\"stream\":false,"
                             "\"cache_control\":{\"type\":\"ephemeral\"},"
                             "\"tools\":[{\"name\":\"Bash\",\"description\":\"Run a shell command.\","
                             "\"input_schema\":{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}}}}],"
                             "\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.\"}],"
                             "\"messages\":[{\"role\":\"user\",\"content\":\"Find why the exporter drops the last row. ");

  for (guint w = 0; w < 4500; w++)
    {
      g_string_append (s, words[(w * 13 + 5) % G_N_ELEMENTS (words)]);
      g_string_append_c (s, (w % 15) == 14 ? '\n' : ' ');
    }
  g_string_append (s, "\"}");

  for (guint i = 0; i < steps; i++)
    {
      g_string_append_printf (s, ",{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_%u\","
                                 "\"name\":\"Bash\",\"input\":{\"command\":\"grep -n row src/part%u.py\"}}]}", i, i);
      g_string_append_printf (s, ",{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_%u\","
                                 "\"content\":\"", i);
      for (guint w = 0; w < 2500; w++)
        {
          g_string_append (s, words[(w * 3 + i * 11) % G_N_ELEMENTS (words)]);
          g_string_append_c (s, (w % 14) == 13 ? '\n' : ' ');
        }
      g_string_append (s, "\"}]}");
    }
  g_string_append (s, "]}");

  return g_string_free (s, FALSE);
}

static JsonObject *
chosen_candidate (JsonNode *explanation)
{
  JsonArray *cands = json_object_get_array_member (json_node_get_object (explanation), "candidates");

  for (guint i = 0; i < json_array_get_length (cands); i++)
    {
      JsonObject *c = json_array_get_object_element (cands, i);

      if (json_object_get_boolean_member_with_default (c, "chosen", FALSE))
        return c;
    }

  return NULL;
}

static void
test_live_session (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autofree char *sim_url = NULL;
  g_autofree char *json = NULL;
  PmTestProxy *proxy;
  g_autoptr(GHashTable) models = g_hash_table_new (g_str_hash, g_str_equal);
  const char *headers[] = {
    "x-api-key", "client-key-not-real-9999",
    "anthropic-version", "2023-06-01",
    "user-agent", "claude-cli/2.1.39 (external, cli)",
    "x-claude-code-session-id", "live-session-1",
    NULL,
  };
  guint compared = 0;

  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  g_assert_no_error (error);
  pm_sim_upstream_set_required_key (sim, PROVIDER_KEY);
  sim_url = pm_sim_upstream_dup_url (sim);

  json = g_strdup_printf ("{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
                          " \"providers\": [{\"id\": \"sim\", \"api\": \"anthropic\", \"base_url\": \"%s\", \"key\": \"keyring\"}],"
                          " \"models\": [{\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim\"},"
                          "              {\"id\": \"claude-haiku-4-5\", \"provider\": \"sim\"}],"
                          " \"default_model\": \"claude-sonnet-4-5\"}", sim_url);
  proxy = pm_test_proxy_start (json, PROVIDER_KEY, NULL);

  for (guint step = 1; step <= 7; step++)
    {
      g_autofree char *body = session_body (step);
      g_autoptr(TestResponse) r = test_post (proxy->url, "/v1/messages", body, NULL, headers);
      g_autoptr(JsonNode) sent = NULL;
      g_autoptr(JsonNode) explanation = NULL;
      PmRequestLog *log = pm_proxy_get_log (proxy->proxy);
      g_autoptr(PmRecord) record = NULL;
      gint64 input, read, write, output, reasoning;
      gint64 expected;
      JsonObject *c;

      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, step);
      record = g_list_model_get_item (G_LIST_MODEL (log), step - 1);
      g_assert_cmpstr (pm_record_get_session (record), ==, "live-session-1");

      /* what reached the upstream is what the router decided */
      sent = json_node_ref (pm_sim_upstream_get_last_json (sim));
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (sent), "model"), ==,
                       pm_record_get_model (record));
      g_hash_table_add (models, (gpointer) g_intern_string (pm_record_get_model (record)));

      explanation = json_from_string (pm_record_get_explanation (record), &error);
      g_assert_no_error (error);
      c = chosen_candidate (explanation);
      g_assert_nonnull (c);
      expected = json_object_get_int_member (c, "cached_tokens");
      pm_sim_upstream_get_last_usage (sim, &input, &read, &write, &output, &reasoning);
      g_test_message ("step %u: %s, expected %" G_GINT64_FORMAT " cached, upstream read %" G_GINT64_FORMAT
                      " wrote %" G_GINT64_FORMAT " (prompt %" G_GINT64_FORMAT ")",
                      step, pm_record_get_model (record), expected, read, write, input + read + write);

      if (step >= 2)
        {
          /* the cache stays warm: most of the prompt is read */
          g_assert_cmpint (read, >, (input + read + write) / 2);
          /* and the router knew it, within a fifth, having learned the token scale */
          g_assert_cmpint (expected, >=, read * 8 / 10);
          g_assert_cmpint (expected, <=, read * 12 / 10);
          compared++;
        }
      g_assert_cmpfloat (pm_record_get_cost (record), >, 0.0);
      g_assert_cmpfloat (pm_record_get_baseline_cost (record), >, 0.0);
    }

  g_assert_cmpuint (compared, ==, 6);
  /* one model while the cache is warm (the first step is a free choice, then it sticks) */
  g_assert_cmpuint (g_hash_table_size (models), <=, 2);

  pm_test_proxy_free (proxy);
}

/* ---- the router's verdicts as the client sees them ---------------------------------------- */

typedef struct
{
  PmSimUpstream *sim;
  PmTestProxy   *proxy;
} Live;

static void
live_start (Live       *live,
            const char *api,
            const char *models)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sim_url = NULL;
  g_autofree char *json = NULL;

  live->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (live->sim, 0, &error));
  g_assert_no_error (error);
  pm_sim_upstream_set_required_key (live->sim, PROVIDER_KEY);
  sim_url = pm_sim_upstream_dup_url (live->sim);
  json = g_strdup_printf ("{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
                          " \"providers\": [{\"id\": \"sim\", \"api\": \"%s\", \"base_url\": \"%s%s\", \"key\": \"keyring\"}],"
                          " \"models\": [%s], \"default_model\": \"%s\"}",
                          api, sim_url, g_str_equal (api, "anthropic") ? "" : "/v1", models,
                          g_str_equal (api, "anthropic") ? "claude-haiku-4-5" : "gpt-5");
  live->proxy = pm_test_proxy_start (json, PROVIDER_KEY, NULL);
}

static void
live_stop (Live *live)
{
  g_clear_pointer (&live->proxy, pm_test_proxy_free);
  g_clear_object (&live->sim);
}

/* Codex compacts through /v1/responses/compact: the router decides it as a compaction, in the
 * session's own compaction session reading the parent's prefix. */
static void
test_compact_path (void)
{
  const char *headers[] = { "authorization", "Bearer client-key-not-real-9999", "originator", "codex_cli_rs",
                            "session_id", "codex-live-1", NULL };
  const char *body = "{\"model\":\"pointsman/auto\",\"instructions\":\"You are Codex.\","
                     "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"rename x to count\"}]}]}";
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Summary: renamed x to count.");
  Live live = { 0, };

  live_start (&live, "openai-responses", "{\"id\": \"gpt-5\", \"provider\": \"sim\"}, {\"id\": \"gpt-5-mini\", \"provider\": \"sim\"}");
  pm_sim_upstream_push_reply (live.sim, reply);
  {
    g_autoptr(TestResponse) r = test_post (live.proxy->url, "/v1/responses/compact", body, NULL, headers);
    PmRequestLog *log = pm_proxy_get_log (live.proxy->proxy);
    g_autoptr(PmRecord) record = NULL;
    g_autoptr(JsonNode) explanation = NULL;
    JsonObject *features;

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (pm_sim_upstream_get_last_path (live.sim), ==, "/v1/responses/compact");
    record = g_list_model_get_item (G_LIST_MODEL (log), g_list_model_get_n_items (G_LIST_MODEL (log)) - 1);
    g_assert_cmpstr (pm_record_get_kind (record), ==, "compaction");
    /* the router's own view, not only the record's label */
    g_assert_cmpstr (pm_record_get_session (record), ==, "codex-live-1/compaction");
    explanation = json_from_string (pm_record_get_explanation (record), NULL);
    g_assert_nonnull (explanation);
    features = json_object_get_object_member (json_node_get_object (explanation), "features");
    g_assert_cmpstr (json_object_get_string_member (features, "kind"), ==, "compaction");
  }
  live_stop (&live);
}

/* The scripted upstream caches like Anthropic: a breakpoint that moves to the newest block
 * still reads the prefix written at the old one (cache_control is not part of the prefix), and
 * each model has its own minimum (4,096 tokens for Opus 4.5/4.6 and Haiku 4.5). The router's
 * expectations are checked against this, so it has to be right. */
static char *
prose (guint n,
       guint seed)
{
  GString *s = g_string_new (NULL);

  for (guint w = 0; w < n; w++)
    {
      g_string_append (s, words[(w * 5 + seed * 7) % G_N_ELEMENTS (words)]);
      g_string_append_c (s, (w % 12) == 11 ? '\n' : ' ');
    }
  g_autofree char *text = g_string_free (s, FALSE);

  return g_strescape (text, NULL);
}

static void
sim_usage (PmSimUpstream *sim,
           const char    *url,
           const char    *body,
           gint64        *read,
           gint64        *write)
{
  const char *headers[] = { "x-api-key", PROVIDER_KEY, "anthropic-version", "2023-06-01", NULL };
  g_autoptr(TestResponse) r = test_post (url, "/v1/messages", body, NULL, headers);
  gint64 input, output, reasoning;

  g_assert_cmpuint (r->status, ==, 200);
  pm_sim_upstream_get_last_usage (sim, &input, read, write, &output, &reasoning);
}

static void
test_sim_cache_fidelity (void)
{
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *first = prose (3000, 1);
  g_autofree char *second = prose (400, 2);
  g_autofree char *small_a = prose (1800, 3);
  g_autofree char *small_b = prose (1800, 4);
  gint64 read = 0, write = 0, first_write = 0;

  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  g_assert_no_error (error);
  url = pm_sim_upstream_dup_url (sim);

  /* Turn 1: breakpoint on the first user block. */
  {
    g_autofree char *body = g_strdup_printf (
      "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":["
      "{\"type\":\"text\",\"text\":\"%s\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}", first);

    sim_usage (sim, url, body, &read, &first_write);
    g_assert_cmpint (read, ==, 0);
    g_assert_cmpint (first_write, >, 1024);
  }
  /* Turn 2: Claude Code moved the breakpoint to the newest block. */
  {
    g_autofree char *body = g_strdup_printf (
      "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":["
      "{\"type\":\"text\",\"text\":\"%s\"}]},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]},"
      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"%s\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}",
      first, second);

    sim_usage (sim, url, body, &read, &write);
    g_test_message ("moved breakpoint: read %" G_GINT64_FORMAT " of the %" G_GINT64_FORMAT " written", read, first_write);
    g_assert_cmpint (read, >=, first_write * 9 / 10);
  }

  /* A ~2k-token prefix: cached on Sonnet 4.5 (1,024 minimum), not on Opus 4.6 (4,096). */
  {
    g_autofree char *sonnet = g_strdup_printf (
      "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"system\":[{\"type\":\"text\",\"text\":\"%s\","
      "\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}", small_a);
    g_autofree char *opus = g_strdup_printf (
      "{\"model\":\"claude-opus-4-6\",\"max_tokens\":100,\"system\":[{\"type\":\"text\",\"text\":\"%s\","
      "\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}", small_b);

    sim_usage (sim, url, sonnet, &read, &write);
    g_assert_cmpint (write, >, 1024);
    g_assert_cmpint (write, <, 4096);
    sim_usage (sim, url, opus, &read, &write);
    g_assert_cmpint (write, ==, 0);
    g_assert_cmpint (read, ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/router-live/session", test_live_session);
  g_test_add_func ("/pm/router-live/compact-path", test_compact_path);
  g_test_add_func ("/pm/router-live/sim-cache-fidelity", test_sim_cache_fidelity);

  return g_test_run ();
}
