/* test-gateway-portkey.c — the real open-source Portkey gateway (@portkey-ai/gateway, pinned in
 * tests/npm) on loopback between Pointsman and the scripted upstream
 *
 * Needs node and the pinned gateway: $PM_PORTKEY_GATEWAY (its build/start-server.js) or
 * $PM_BUILD_DIR/npm-clients (installed by the npm-clients test). Skips, saying so, otherwise.
 * Whole (non-streamed) responses: the pinned gateway fails streamed requests for its openai
 * provider under Node.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-gateway.h"
#include "pm-record.h"
#include "pm-request-log.h"
#include "pm-test-utils.h"
#include "test-proxy-common.h"

#define PROVIDER_KEY "test-key-not-real-portkey-4321"
#define CLIENT_KEY   "test-key-not-real-client-0000"

static const char *openai_headers[] = {
  "authorization", "Bearer " CLIENT_KEY,
  "user-agent", "test-client/1.0",
  NULL
};

typedef struct
{
  PmSimUpstream *sim;
  char          *sim_url;
  GSubprocess   *gateway;
  guint          gateway_port;
  PmTestProxy   *proxy;
} Fixture;

static char *
find_gateway (void)
{
  const char *env = g_getenv ("PM_PORTKEY_GATEWAY");
  const char *build = g_getenv ("PM_BUILD_DIR");
  g_autofree char *node = g_find_program_in_path ("node");
  char *path;

  if (node == NULL)
    return NULL;
  if (env != NULL && g_file_test (env, G_FILE_TEST_IS_REGULAR))
    return g_strdup (env);
  if (build == NULL)
    return NULL;
  path = g_build_filename (build, "npm-clients", "node_modules", "@portkey-ai", "gateway", "build",
                           "start-server.js", NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  return NULL;
}

static guint
free_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  guint port;

  g_assert_true (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error));
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_close (listener);
  return port;
}

/* Until the gateway accepts connections (at most 30 s; not a timing assertion). */
static gboolean
wait_for_port (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  for (guint i = 0; i < 300; i++)
    {
      g_autoptr(GSocketConnection) connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

      if (connection != NULL)
        return TRUE;
      g_usleep (100 * 1000);
    }
  return FALSE;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *script = find_gateway ();
  g_autofree char *port_arg = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;

  if (script == NULL)
    return;

  f->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (f->sim, 0, &error));
  g_assert_no_error (error);
  pm_sim_upstream_set_required_key (f->sim, PROVIDER_KEY);
  f->sim_url = pm_sim_upstream_dup_url (f->sim);

  f->gateway_port = free_port ();
  port_arg = g_strdup_printf ("--port=%u", f->gateway_port);
  f->gateway = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                 "node", script, port_arg, "--headless", NULL);
  g_assert_no_error (error);
  g_assert_true (wait_for_port (f->gateway_port));

  /* Self-hosted Portkey: the provider's key goes in Authorization and Portkey forwards it to
   * the provider named in x-portkey-provider, at x-portkey-custom-host. */
  json = g_strdup_printf ("{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
                          " \"providers\": [{\"id\": \"pk\", \"preset\": \"portkey\","
                          "   \"base_url\": \"http://127.0.0.1:%u/v1\","
                          "   \"headers\": {\"x-portkey-provider\": \"openai\", \"x-portkey-custom-host\": \"%s/v1\"}}],"
                          " \"models\": [{\"id\": \"gpt-5-mini\", \"provider\": \"pk\"},"
                          "              {\"id\": \"gpt-5\", \"provider\": \"pk\"}],"
                          " \"default_model\": \"gpt-5-mini\"}",
                          f->gateway_port, f->sim_url);
  f->proxy = pm_test_proxy_start (json, PROVIDER_KEY, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->proxy, pm_test_proxy_free);
  if (f->gateway != NULL)
    {
      g_subprocess_force_exit (f->gateway);
      g_subprocess_wait (f->gateway, NULL, NULL);
      g_clear_object (&f->gateway);
    }
  if (f->sim != NULL)
    {
      pm_sim_upstream_stop (f->sim);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_clear_object (&f->sim);
    }
  g_free (f->sim_url);
}

static gboolean
skip_without_gateway (Fixture *f)
{
  if (f->gateway != NULL)
    return FALSE;
  g_test_skip ("node or the pinned @portkey-ai/gateway is missing (set PM_PORTKEY_GATEWAY, or run the npm-clients test first)");
  return TRUE;
}

static PmRecord *
last_record (Fixture *f)
{
  PmRequestLog *log = pm_proxy_get_log (f->proxy->proxy);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (log));
  PmRecord *record;

  g_assert_cmpuint (n, >, 0);
  record = g_list_model_get_item (G_LIST_MODEL (log), n - 1);
  g_object_unref (record);
  return record;
}

/* A routed request reaches the scripted upstream through the real gateway with the model name,
 * the effort field and the provider key Pointsman chose; the answer comes back. */
static void
test_through_portkey (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Answer through Portkey.");
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) answer = NULL;
  JsonObject *body;
  JsonObject *message;
  PmRecord *record;

  if (skip_without_gateway (f))
    return;

  pm_sim_upstream_push_reply (f->sim, reply);
  r = test_post (f->proxy->url, "/v1/chat/completions",
                 "{\"model\":\"gpt-5-mini\",\"reasoning_effort\":\"low\","
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Write a docstring for parse_args\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 1);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/chat/completions");
  body = json_node_get_object (pm_sim_upstream_get_last_json (f->sim));
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "gpt-5-mini");
  g_assert_cmpstr (json_object_get_string_member (body, "reasoning_effort"), ==,
                   soup_message_headers_get_one (r->headers, "x-pointsman-effort"));
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " PROVIDER_KEY);
  g_assert_null (strstr (r->body->str, PROVIDER_KEY));

  answer = test_response_json (r);
  message = json_object_get_object_member (json_array_get_object_element (
                json_object_get_array_member (json_node_get_object (answer), "choices"), 0), "message");
  g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "Answer through Portkey.");

  record = last_record (f);
  g_assert_cmpstr (pm_record_get_provider (record), ==, "pk");
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
}

/* The provider behind Portkey refuses (credits used up); Portkey passes the error on; Pointsman
 * fails over to the other candidate, through the gateway again, and says why. */
static void
test_refusal_fails_over (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(PmSimReply) refusal = pm_sim_reply_new (NULL);
  g_autoptr(PmSimReply) fine = pm_sim_reply_new ("Served by the other model.");
  g_autoptr(TestResponse) r = NULL;
  PmRecord *record;

  if (skip_without_gateway (f))
    return;

  pm_sim_reply_set_error (refusal, 402, "insufficient_quota", "You exceeded your current quota", 0);
  pm_sim_upstream_push_reply (f->sim, refusal);
  pm_sim_upstream_push_reply (f->sim, fine);

  r = test_post (f->proxy->url, "/v1/chat/completions",
                 "{\"model\":\"pointsman/auto\","
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Rename the variable x to count in utils.c\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 2);
  g_assert_nonnull (strstr (r->body->str, "Served by the other model."));

  record = last_record (f);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "pk refused the request (HTTP 402"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pm_sim_upstream_get_last_json (f->sim)), "model"),
                   ==, pm_record_get_model (record));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/pm/gateway/portkey/through", test_through_portkey);
  ADD ("/pm/gateway/portkey/refusal-fails-over", test_refusal_fails_over);
#undef ADD

  return g_test_run ();
}
