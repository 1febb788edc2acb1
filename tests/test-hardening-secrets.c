/* test-hardening-secrets.c — a known fake provider key through `pointsman-cli serve`, then a
 * search of everything it wrote: stdout, stderr (with all debug logging on), the database
 * files and the local API's answers (issue 7, item 5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>

#include "pm-keyring.h"
#include "pm-sim-upstream.h"
#include "test-proxy-common.h"
#include "test-hardening-load.h"

#define ENV_KEY      "test-key-not-real-secrets-env-90417"
#define KEYRING_KEY  "test-key-not-real-secrets-keyring-90418"
#define CLIENT_KEY   "test-key-not-real-secrets-client-90419"

static gboolean
contains (const char *haystack,
          gsize       length,
          const char *needle)
{
  return haystack != NULL && memmem (haystack, length, needle, strlen (needle)) != NULL;
}

static void
assert_file_clean (const char *path,
                   const char *key)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return;   /* e.g. no -wal after a clean close */
  g_test_message ("%s: %" G_GSIZE_FORMAT " bytes", path, length);
  if (contains (contents, length, key))
    g_error ("the key appears in %s", path);
}

static void
drive_traffic (PmSimUpstream *sim,
               const char    *url,
               const char    *model,
               const char    *key)
{
  static const char * const anthropic_headers[] = {
    "x-api-key", CLIENT_KEY,
    "anthropic-version", "2023-06-01",
    "user-agent", "claude-cli/2.1.328 (external, cli)",
    NULL,
  };
  static const char * const openai_headers[] = {
    "authorization", "Bearer " CLIENT_KEY,
    NULL,
  };
  g_autofree char *stream_body = g_strdup_printf (
    "{\"model\":\"%s\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", model);
  g_autofree char *whole_body = g_strdup_printf (
    "{\"model\":\"%s\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", model);
  g_autofree char *chat_body = g_strdup_printf (
    "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", model);

  /* Success, streamed and whole, in two client APIs. */
  {
    g_autoptr(TestResponse) r = test_post (url, "/v1/messages", stream_body, NULL, anthropic_headers);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_false (contains (r->body->str, r->body->len, key));
  }
  {
    g_autoptr(TestResponse) r = test_post (url, "/v1/messages", whole_body, NULL, anthropic_headers);

    g_assert_cmpuint (r->status, ==, 200);
  }
  {
    g_autoptr(TestResponse) r = test_post (url, "/v1/chat/completions", chat_body, NULL, openai_headers);

    g_assert_cmpuint (r->status, ==, 200);
  }
  /* Upstream errors of every kind pass through error paths that format messages. */
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
    g_autoptr(TestResponse) r = NULL;

    pm_sim_reply_set_error (reply, 429, "rate_limit_error", "Slow down", 3);
    pm_sim_upstream_push_reply (sim, reply);
    r = test_post (url, "/v1/messages", stream_body, NULL, anthropic_headers);
    g_assert_false (contains (r->body->str, r->body->len, key));
  }
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("cut short");
    g_autoptr(TestResponse) r = NULL;

    pm_sim_reply_set_fail (reply, PM_SIM_FAIL_DROP, 2);
    pm_sim_upstream_push_reply (sim, reply);
    r = test_post (url, "/v1/messages", stream_body, NULL, anthropic_headers);
    g_assert_false (contains (r->body->str, r->body->len, key));
  }
  /* The upstream rejects the key: 401, whose text must not quote it. */
  pm_sim_upstream_set_required_key (sim, "test-key-not-real-some-other-key");
  {
    g_autoptr(TestResponse) r = test_post (url, "/v1/messages", stream_body, NULL, anthropic_headers);

    g_assert_cmpuint (r->status, ==, 401);
    g_assert_false (contains (r->body->str, r->body->len, key));
  }
  pm_sim_upstream_set_required_key (sim, key);
  /* A bad request body. */
  {
    g_autoptr(TestResponse) r = test_post (url, "/v1/messages", "{\"model\": [", NULL, anthropic_headers);

    g_assert_cmpuint (r->status, ==, 400);
  }
  /* The local API: the request list and health. */
  {
    g_autoptr(TestResponse) r = test_get (url, "/pointsman/v1/requests?limit=100");

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_false (contains (r->body->str, r->body->len, key));
    g_assert_false (contains (r->body->str, r->body->len, CLIENT_KEY));
  }
  {
    g_autoptr(TestResponse) r = test_get (url, "/pointsman/v1/health");

    g_assert_false (contains (r->body->str, r->body->len, key));
  }
  {
    g_autoptr(TestResponse) r = test_get (url, "/v1/models");

    g_assert_false (contains (r->body->str, r->body->len, key));
  }
}

static void
run_serve (const char *key_source,
           const char *key)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *db_path = g_build_filename (dir, "requests.db", NULL);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sim_url = NULL;
  g_autofree char *json = NULL;
  const char *env[] = { "PM_HARDENING_KEY=" ENV_KEY, "G_MESSAGES_DEBUG=all", NULL };
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };
  Serve *serve;

  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  pm_sim_upstream_set_required_key (sim, key);
  sim_url = pm_sim_upstream_dup_url (sim);
  json = g_strdup_printf (
    "{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
    " \"providers\": [{\"id\": \"sim-secrets\", \"api\": \"anthropic\", \"base_url\": \"%s\", \"key\": \"%s\"}],"
    " \"models\": [{\"id\": \"claude-haiku-4-5\", \"provider\": \"sim-secrets\"}],"
    " \"default_model\": \"claude-haiku-4-5\","
    " \"database\": \"%s\"}", sim_url, key_source, db_path);
  g_file_set_contents (config_path, json, -1, &error);
  g_assert_no_error (error);

  serve = serve_start (config_path, db_path, env, 0);
  drive_traffic (sim, serve->url, "claude-haiku-4-5", key);

  /* The key did reach the upstream (the test is not vacuous)… */
  g_assert_cmpstr (pm_sim_upstream_get_last_header (sim, "x-api-key"), ==, key);

  g_subprocess_send_signal (serve->process, SIGTERM);
  serve_collect (serve);
  g_test_message ("serve wrote %" G_GSIZE_FORMAT " bytes to stdout, %" G_GSIZE_FORMAT " to stderr",
                  serve->out->len, serve->err->len);
  /* …and the logs are not empty (debug logging was on and requests were printed). */
  g_assert_cmpuint (serve->out->len + serve->err->len, >, 200);

  if (contains (serve->out->str, serve->out->len, key))
    g_error ("the key appears in serve's stdout");
  if (contains (serve->err->str, serve->err->len, key))
    g_error ("the key appears in serve's stderr");
  /* The agent's own key is not the provider's, but must not be logged either. */
  g_assert_false (contains (serve->out->str, serve->out->len, CLIENT_KEY));
  g_assert_false (contains (serve->err->str, serve->err->len, CLIENT_KEY));

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (db_path, suffixes[i], NULL);

      assert_file_clean (path, key);
      assert_file_clean (path, CLIENT_KEY);
    }
  assert_file_clean (config_path, key);

  serve_free (serve);
  pm_sim_upstream_stop (sim);
}

static void
test_env_key (void)
{
  run_serve ("env:PM_HARDENING_KEY", ENV_KEY);
}

/* The key in the real Secret Service (under build-aux/test.sh). */
static void
test_keyring_key (void)
{
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(GError) error = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("no session bus (run under build-aux/test.sh)");
      return;
    }
  keyring = pm_keyring_new ();
  pm_keyring_set_timeout (keyring, 10);
  if (!pm_keyring_store_sync (keyring, "sim-secrets", KEYRING_KEY, NULL, &error))
    {
      g_autofree char *msg = g_strdup_printf ("no usable keyring: %s", error->message);

      g_test_skip (msg);
      return;
    }

  run_serve ("keyring", KEYRING_KEY);
  pm_keyring_remove_sync (keyring, "sim-secrets", NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/hardening/secrets/env-key", test_env_key);
  g_test_add_func ("/pm/hardening/secrets/keyring-key", test_keyring_key);

  return g_test_run ();
}
