/* test-qa-proxy.c — the proxy's answers to requests no model can take, as agents read them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-test-qa-proxy"

#include "config.h"

#include <stdio.h>

#include "pm-test-utils.h"

#include "test-proxy-common.h"

#define PROVIDER_KEY "test-key-not-real-qa-proxy"

typedef struct
{
  PmSimUpstream *sim;
  PmTestProxy   *proxy;
} Fixture;

/* Only claude-haiku-4-5 (a 200k-token window) in the pool, behind the scripted upstream. */
static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sim_url = NULL;
  g_autofree char *json = NULL;

  f->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (f->sim, 0, &error));
  g_assert_no_error (error);
  sim_url = pm_sim_upstream_dup_url (f->sim);

  json = g_strdup_printf ("{\"listen\": {\"port\": 0},"
                          " \"providers\": [{\"id\": \"sim\", \"api\": \"anthropic\", \"base_url\": \"%s\", \"key\": \"keyring\"}],"
                          " \"models\": [{\"id\": \"claude-haiku-4-5\", \"provider\": \"sim\"}],"
                          " \"default_model\": \"claude-haiku-4-5\"}", sim_url);
  f->proxy = pm_test_proxy_start (json, PROVIDER_KEY, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->proxy, pm_test_proxy_free);
  pm_sim_upstream_stop (f->sim);
  g_clear_object (&f->sim);
}

/* A request body of about n_words × 5 bytes of text in the client's API. */
static char *
long_request (PmApi api,
              guint n_words)
{
  g_autoptr(GString) text = g_string_sized_new (n_words * 5);

  for (guint i = 0; i < n_words; i++)
    g_string_append (text, i % 2 ? "tree " : "leaf ");

  switch (api)
    {
    case PM_API_ANTHROPIC:
      return g_strdup_printf ("{\"model\": \"pointsman/auto\", \"max_tokens\": 1000, \"stream\": true,"
                              " \"messages\": [{\"role\": \"user\", \"content\": \"%s\"}]}", text->str);
    case PM_API_OPENAI_CHAT:
      return g_strdup_printf ("{\"model\": \"pointsman/auto\", \"stream\": true,"
                              " \"messages\": [{\"role\": \"user\", \"content\": \"%s\"}]}", text->str);
    case PM_API_OPENAI_RESPONSES:
    default:
      return g_strdup_printf ("{\"model\": \"pointsman/auto\", \"stream\": true, \"input\": \"%s\"}", text->str);
    }
}

/* A prompt no model's context window can hold is the client's problem to fix (compact, trim),
 * not an overload to retry: 400 invalid_request_error in the client's shape, in Anthropic's own
 * words ("prompt is too long: N tokens > M maximum", which Claude Code parses), and nothing is
 * sent upstream. */
static void
test_prompt_over_every_window (Fixture       *f,
                               gconstpointer  data)
{
  static const struct { PmApi api; const char *path; } cases[] = {
    { PM_API_ANTHROPIC, "/v1/messages" },
    { PM_API_OPENAI_CHAT, "/v1/chat/completions" },
    { PM_API_OPENAI_RESPONSES, "/v1/responses" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = long_request (cases[i].api, 300000);   /* well over 200k tokens */
      TestResponse *r = test_post (f->proxy->url, cases[i].path, body, NULL, NULL);
      g_autoptr(JsonNode) node = NULL;
      JsonObject *error;

      g_test_message ("%s: %u %s", cases[i].path, r->status, r->body->str);
      g_assert_cmpuint (r->status, ==, 400);
      node = test_response_json (r);
      error = json_object_get_object_member (json_node_get_object (node), "error");
      g_assert_nonnull (error);
      g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, "invalid_request_error");
      /* Anthropic's wording, which Claude Code matches: "prompt is too long: N tokens > M maximum" */
      {
        const char *message = json_object_get_string_member (error, "message");
        gint64 tokens = 0, maximum = 0;
        int end = 0;

        g_assert_cmpint (sscanf (message, "prompt is too long: %" G_GINT64_FORMAT " tokens > %" G_GINT64_FORMAT " maximum%n",
                                 &tokens, &maximum, &end), ==, 2);
        g_assert_cmpint (end, ==, (int) strlen (message));
        g_assert_cmpint (maximum, ==, 200000);           /* claude-haiku-4-5, the pool's only model */
        g_assert_cmpint (tokens, >, maximum);
      }
      test_response_free (r);
    }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 0);

  /* a request that fits still goes through */
  {
    g_autofree char *body = long_request (PM_API_ANTHROPIC, 100);
    TestResponse *r = test_post (f->proxy->url, "/v1/messages", body, NULL, NULL);

    g_assert_cmpuint (r->status, ==, 200);
    test_response_free (r);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* helpers of test-proxy-common.h this test does not need */
  (void) test_get;
  (void) test_event_json;
  (void) test_stream_text;

  g_test_add ("/qa-proxy/prompt-over-every-window", Fixture, NULL,
              fixture_setup, test_prompt_over_every_window, fixture_teardown);

  return g_test_run ();
}
