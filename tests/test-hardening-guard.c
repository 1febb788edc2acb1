/* test-hardening-guard.c — who may talk to the proxy, and how much, end to end through the
 * real PmProxy over loopback (issue 7, items 1 and 2). Each protection has a case here that
 * fails when the protection is removed: the refused request must never reach the upstream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-guard.h"
#include "test-hardening-common.h"

static const char *providers =
  "[{\"id\": \"sim\", \"api\": \"anthropic\", \"base_url\": \"@SIM@\", \"key\": \"keyring\"}]";
static const char *models = "[{\"id\": \"claude-haiku-4-5\", \"provider\": \"sim\"}]";

static const char *json_body =
  "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":16,\"stream\":true,"
  "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

/* Raw HTTP over loopback: the test writes Host, Origin and sizes exactly. */
static char *
raw_exchange (const char *proxy_url,
              const char *request,
              gsize       request_len,
              guint      *status)
{
  g_autoptr(GUri) uri = g_uri_parse (proxy_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) reply = g_byte_array_new ();
  guint8 buf[4096];
  gssize n;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 30);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);

  /* The proxy runs on this thread's main loop: write and read without blocking it. */
  {
    GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
    GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
    gsize written = 0;

    g_socket_set_blocking (g_socket_connection_get_socket (conn), FALSE);
    while (written < request_len)
      {
        n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out), request + written,
                                                        request_len - written, NULL, &error);
        if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
          {
            g_clear_error (&error);
            g_main_context_iteration (NULL, FALSE);
            continue;
          }
        g_assert_no_error (error);
        written += n;
      }
    for (;;)
      {
        n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in), buf, sizeof buf, NULL, &error);
        if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
          {
            g_clear_error (&error);
            g_main_context_iteration (NULL, TRUE);
            continue;
          }
        if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
          break;
        g_assert_no_error (error);
        if (n == 0)
          break;
        g_byte_array_append (reply, buf, n);
      }
  }

  g_byte_array_append (reply, (const guint8 *) "", 1);
  *status = g_str_has_prefix ((char *) reply->data, "HTTP/1.1 ") ?
            (guint) g_ascii_strtoull ((char *) reply->data + 9, NULL, 10) : 0;
  return (char *) g_byte_array_free (g_steal_pointer (&reply), FALSE);
}

static char *
raw_post (HardFixture *f,
          const char  *path,
          const char  *extra_headers,
          const char  *body,
          guint       *status)
{
  g_autofree char *request = g_strdup_printf (
    "POST %s HTTP/1.1\r\n%sContent-Type: application/json\r\nanthropic-version: 2023-06-01\r\n"
    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", path, extra_headers, strlen (body), body);

  return raw_exchange (f->url, request, strlen (request), status);
}

static void
assert_refused_in_shape (const char *reply,
                         const char *error_type)
{
  const char *body = strstr (reply, "\r\n\r\n");
  g_autoptr(JsonNode) node = NULL;
  JsonObject *err;

  g_assert_nonnull (body);
  /* No CORS header ever. */
  g_assert_null (strcasestr (reply, "access-control-"));
  node = json_from_string (body + 4, NULL);
  g_assert_nonnull (node);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "error");
  err = json_object_get_object_member (json_node_get_object (node), "error");
  g_assert_cmpstr (json_object_get_string_member (err, "type"), ==, error_type);
}

static void
test_dns_rebinding (void)
{
  HardFixture f;
  guint status;

  hard_fixture_start (&f, providers, models, "claude-haiku-4-5", NULL);

  {
    g_autofree char *reply = raw_post (&f, "/v1/messages", "Host: attacker.example\r\n", json_body, &status);

    g_assert_cmpuint (status, ==, 403);
    assert_refused_in_shape (reply, "permission_error");
  }
  {
    /* Also the GET endpoints (the request log is sensitive). */
    const char *request = "GET /pointsman/v1/requests HTTP/1.1\r\nHost: rebind.example:80\r\n"
                          "Connection: close\r\n\r\n";
    g_autofree char *reply = raw_exchange (f.url, request, strlen (request), &status);

    g_assert_cmpuint (status, ==, 403);
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 0);

  /* The same request with a loopback Host goes through. */
  {
    g_autofree char *host = g_strdup_printf ("Host: localhost:%u\r\n", pm_proxy_get_port (f.proxy));
    g_autofree char *reply = raw_post (&f, "/v1/messages", host, json_body, &status);

    g_assert_cmpuint (status, ==, 200);
    g_assert_nonnull (strstr (reply, "message_stop"));
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 1);

  hard_fixture_stop (&f);
}

static void
test_cross_origin (void)
{
  HardFixture f;
  guint status;
  g_autofree char *host = NULL;

  hard_fixture_start (&f, providers, models, "claude-haiku-4-5", NULL);
  host = g_strdup_printf ("Host: 127.0.0.1:%u\r\n", pm_proxy_get_port (f.proxy));

  {
    g_autofree char *headers = g_strdup_printf ("%sOrigin: https://evil.example\r\nSec-Fetch-Site: cross-site\r\n", host);
    g_autofree char *reply = raw_post (&f, "/v1/messages", headers, json_body, &status);

    g_assert_cmpuint (status, ==, 403);
    assert_refused_in_shape (reply, "permission_error");
  }
  {
    /* A page on another local port is another site to the browser. */
    g_autofree char *headers = g_strdup_printf ("%sSec-Fetch-Site: same-site\r\n", host);
    g_autofree char *reply = raw_post (&f, "/v1/messages", headers, json_body, &status);

    g_assert_cmpuint (status, ==, 403);
  }
  {
    g_autofree char *request = g_strdup_printf (
      "OPTIONS /v1/messages HTTP/1.1\r\n%sOrigin: http://localhost:3000\r\n"
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-api-key\r\n"
      "Content-Length: 0\r\nConnection: close\r\n\r\n", host);
    g_autofree char *reply = raw_exchange (f.url, request, strlen (request), &status);

    g_assert_cmpuint (status, ==, 403);
    g_assert_null (strcasestr (reply, "access-control-allow"));
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 0);

  hard_fixture_stop (&f);
}

static void
test_local_token (void)
{
  HardFixture f;
  PmGuard *guard;
  const char *token = "pm-local-test-token-not-real-7777";
  const char * const with_token[] = { "x-api-key", token, "anthropic-version", "2023-06-01", NULL };
  const char * const bearer[] = { "authorization", "Bearer pm-local-test-token-not-real-7777", NULL };
  const char * const own[] = { "x-pointsman-token", token, NULL };
  const char * const wrong[] = { "x-api-key", "pm-local-test-token-not-real-7778", NULL };

  hard_fixture_start (&f, providers, models, "claude-haiku-4-5", NULL);
  guard = pm_proxy_get_guard (f.proxy);
  g_assert_nonnull (guard);
  pm_guard_set_token (guard, token);
  pm_guard_set_token_enabled (guard, TRUE);

  {
    g_autoptr(TestResponse) r = test_post (f.url, "/v1/messages", json_body, NULL, hard_anthropic_headers);

    g_assert_cmpuint (r->status, ==, 401);
  }
  {
    g_autoptr(TestResponse) r = test_post (f.url, "/v1/chat/completions",
                                           "{\"model\":\"claude-haiku-4-5\",\"messages\":[]}", NULL, wrong);
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 401);
    /* OpenAI shape for an OpenAI path. */
    g_assert_true (json_object_has_member (json_object_get_object_member (json_node_get_object (node), "error"), "message"));
    g_assert_null (strstr (r->body->str, token));
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 0);

  {
    const char * const *lists[] = { with_token, bearer, own };

    for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
      {
        g_autoptr(TestResponse) r = test_post (f.url, "/v1/messages", json_body, NULL, lists[i]);

        g_assert_cmpuint (r->status, ==, 200);
      }
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 3);
  /* The local token is never what goes upstream. */
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f.sim, "x-api-key"), ==, HARD_PROVIDER_KEY);
  g_assert_null (pm_sim_upstream_get_last_header (f.sim, "x-pointsman-token"));

  hard_fixture_stop (&f);
}

/* "listen": {"token": true} in the configuration: fail closed until the token is loaded, then
 * only requests carrying the token generated into the keyring pass. */
static void
test_config_token (void)
{
  HardFixture f;
  PmGuard *guard;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *again = NULL;
  g_autofree char *stored = NULL;

  hard_fixture_start (&f, providers, models, "claude-haiku-4-5",
                      "\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0, \"token\": true},");
  g_assert_true (pm_config_get_listen_token (f.config));
  guard = pm_proxy_get_guard (f.proxy);
  g_assert_true (pm_guard_get_token_required (guard));
  g_assert_false (pm_guard_has_token (guard));

  /* No token loaded yet: refused, whatever the client sends. */
  {
    g_autoptr(TestResponse) r = test_post (f.url, "/v1/messages", json_body, NULL, hard_anthropic_headers);

    g_assert_cmpuint (r->status, ==, 401);
  }

  /* What serve and the app do: generate it into the keyring on first use. */
  token = pm_guard_load_token (guard, f.keyring, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (token, "pm-local-"));
  stored = pm_keyring_lookup_sync (f.keyring, PM_GUARD_TOKEN_PROVIDER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, token);
  again = pm_guard_load_token (guard, f.keyring, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, token);

  {
    g_autoptr(TestResponse) r = test_post (f.url, "/v1/messages", json_body, NULL, hard_anthropic_headers);

    g_assert_cmpuint (r->status, ==, 401);
    g_assert_null (strstr (r->body->str, token));
  }
  {
    const char * const with_token[] = { "x-api-key", token, "anthropic-version", "2023-06-01", NULL };
    g_autoptr(TestResponse) r = test_post (f.url, "/v1/messages", json_body, NULL, with_token);

    g_assert_cmpuint (r->status, ==, 200);
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 1);
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f.sim, "x-api-key"), ==, HARD_PROVIDER_KEY);

  hard_fixture_stop (&f);
}

/* The configuration's guard settings: read, checked, saved. */
static void
test_config_settings (void)
{
  const char *bad[] = {
    "{\"listen\": {\"token\": \"yes\"}}",
    "{\"limits\": {\"max_depth\": 0}}",
    "{\"limits\": {\"max_streams\": 0}}",
    "{\"limits\": {\"max_header_bytes\": 10}}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = NULL;
  g_autoptr(PmConfig) reloaded = NULL;
  g_autoptr(PmConfig) plain = NULL;
  g_autoptr(PmGuard) guard = NULL;
  g_autoptr(PmGuard) plain_guard = NULL;
  g_autoptr(JsonNode) saved = NULL;
  g_autofree char *text = NULL;

  config = pm_config_new_from_data ("{\"listen\": {\"port\": 0, \"token\": true},"
                                    " \"limits\": {\"max_header_bytes\": 4096, \"max_depth\": 16,"
                                    " \"max_streams\": 7}}", -1, "guard.json", &error);
  g_assert_no_error (error);
  guard = pm_guard_new_for_config (config);
  g_assert_true (pm_guard_get_token_required (guard));
  g_assert_cmpuint (pm_guard_get_max_header_bytes (guard), ==, 4096);
  g_assert_cmpuint (pm_guard_get_max_depth (guard), ==, 16);
  g_assert_cmpuint (pm_guard_get_max_streams (guard), ==, 7);

  saved = pm_config_to_json (config);
  text = json_to_string (saved, FALSE);
  reloaded = pm_config_new_from_data (text, -1, "saved.json", &error);
  g_assert_no_error (error);
  g_assert_true (pm_config_get_listen_token (reloaded));
  g_assert_cmpuint (pm_config_get_max_header_bytes (reloaded), ==, 4096);
  g_assert_cmpuint (pm_config_get_max_depth (reloaded), ==, 16);
  g_assert_cmpuint (pm_config_get_max_streams (reloaded), ==, 7);

  /* Defaults: no token, the PM_GUARD_DEFAULT_* limits. */
  plain = pm_config_new_from_data ("{}", -1, "plain.json", &error);
  g_assert_no_error (error);
  plain_guard = pm_guard_new_for_config (plain);
  g_assert_false (pm_guard_get_token_required (plain_guard));
  g_assert_cmpuint (pm_guard_get_max_depth (plain_guard), ==, PM_GUARD_DEFAULT_MAX_DEPTH);
  g_assert_cmpuint (pm_guard_get_max_streams (plain_guard), ==, PM_GUARD_DEFAULT_MAX_STREAMS);
  pm_config_set_listen_token (plain, TRUE);
  g_assert_true (pm_config_get_listen_token (plain));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(PmConfig) c = pm_config_new_from_data (bad[i], -1, "bad.json", &error);

      g_assert_null (c);
      g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
      g_test_message ("%s → %s", bad[i], error->message);
      g_clear_error (&error);
    }
}

static void
test_limits (void)
{
  HardFixture f;
  PmGuard *guard;
  guint status;
  g_autofree char *host = NULL;

  /* Every limit from the configuration's "limits" (issue 7 follow-up). */
  hard_fixture_start (&f, providers, models, "claude-haiku-4-5",
                      "\"limits\": {\"max_body_bytes\": 65536, \"max_depth\": 32,"
                      " \"max_header_bytes\": 8192, \"max_streams\": 3},");
  guard = pm_proxy_get_guard (f.proxy);
  g_assert_cmpuint (pm_guard_get_max_body (guard), ==, 65536);
  g_assert_cmpuint (pm_guard_get_max_depth (guard), ==, 32);
  g_assert_cmpuint (pm_guard_get_max_header_bytes (guard), ==, 8192);
  g_assert_cmpuint (pm_guard_get_max_streams (guard), ==, 3);
  host = g_strdup_printf ("Host: 127.0.0.1:%u\r\n", pm_proxy_get_port (f.proxy));

  /* Nesting beyond the limit: 400 in the client's shape, before any JSON parser recursion. */
  {
    g_autoptr(GString) deep = g_string_new ("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":1,\"messages\":"
                                            "[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"content\":");
    g_autofree char *reply = NULL;

    for (guint i = 0; i < 5000; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 5000; i++)
      g_string_append_c (deep, ']');
    g_string_append (deep, "}]}]}");
    reply = raw_post (&f, "/v1/messages", host, deep->str, &status);
    g_assert_cmpuint (status, ==, 400);
    assert_refused_in_shape (reply, "invalid_request_error");
  }
  /* Headers too large. */
  {
    g_autofree char *pad = g_strnfill (9000, 'h');
    g_autofree char *headers = g_strdup_printf ("%sX-Padding: %s\r\n", host, pad);
    g_autofree char *reply = raw_post (&f, "/v1/messages", headers, json_body, &status);

    g_assert_cmpuint (status, ==, 431);
  }
  /* Body too large, chunked (no Content-Length to refuse up front). */
  {
    g_autoptr(GString) request = g_string_new (NULL);
    g_autofree char *reply = NULL;

    g_string_append_printf (request, "POST /v1/messages HTTP/1.1\r\n%sContent-Type: application/json\r\n"
                            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n", host);
    for (guint i = 0; i < 80; i++)
      {
        g_string_append (request, "400\r\n");
        for (guint j = 0; j < 0x400; j++)
          g_string_append_c (request, ' ');
        g_string_append (request, "\r\n");
      }
    g_string_append (request, "0\r\n\r\n");
    reply = raw_exchange (f.url, request->str, request->len, &status);
    g_assert_cmpuint (status, ==, 413);
    assert_refused_in_shape (reply, "request_too_large");
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 0);

  hard_fixture_stop (&f);
}

static void
test_concurrent_streams (void)
{
  HardFixture f;
  PmGuard *guard;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns-per-host", 8, NULL);
  TestResponse *held[2];

  hard_fixture_start (&f, providers, models, "claude-haiku-4-5", NULL);
  guard = pm_proxy_get_guard (f.proxy);
  pm_guard_set_max_streams (guard, 2);

  /* Two slow streams hold both slots. */
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_autoptr(PmSimReply) reply = pm_sim_reply_new ("a slow stream that holds its slot for a while");
      g_autofree char *url = g_strconcat (f.url, "/v1/messages", NULL);
      g_autoptr(GBytes) bytes = g_bytes_new_static (json_body, strlen (json_body));

      pm_sim_reply_set_delays (reply, 0, 150);
      pm_sim_upstream_push_reply (f.sim, reply);
      held[i] = g_new0 (TestResponse, 1);
      held[i]->body = g_string_new (NULL);
      held[i]->events = g_ptr_array_new_with_free_func (test_event_free);
      held[i]->parser = pm_sse_parser_new ();
      held[i]->msg = soup_message_new ("POST", url);
      soup_message_headers_replace (soup_message_get_request_headers (held[i]->msg), "anthropic-version", "2023-06-01");
      soup_message_set_request_body_from_bytes (held[i]->msg, "application/json", bytes);
      soup_session_send_async (session, held[i]->msg, G_PRIORITY_DEFAULT, NULL, test_send_cb, held[i]);
    }
  while (pm_guard_get_n_streams (guard) < 2)
    g_main_context_iteration (NULL, TRUE);

  {
    g_autoptr(TestResponse) r = test_post (f.url, "/v1/chat/completions",
                                           "{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                                           NULL, hard_openai_headers);
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 429);
    g_assert_nonnull (soup_message_headers_get_one (r->headers, "retry-after"));
    g_assert_true (json_object_has_member (json_node_get_object (node), "error"));
  }

  /* When they finish, the slots come back. */
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      while (!held[i]->done)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (held[i]->status, ==, 200);
      test_response_free (held[i]);
    }
  /* Only the two held streams reached the upstream; the refused one never did. */
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 2);
  while (pm_guard_get_n_streams (guard) > 0)
    g_main_context_iteration (NULL, TRUE);
  {
    g_autoptr(TestResponse) r = test_post (f.url, "/v1/messages", json_body, NULL, hard_anthropic_headers);

    g_assert_cmpuint (r->status, ==, 200);
  }

  hard_fixture_stop (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/hardening/guard/dns-rebinding", test_dns_rebinding);
  g_test_add_func ("/pm/hardening/guard/cross-origin", test_cross_origin);
  g_test_add_func ("/pm/hardening/guard/local-token", test_local_token);
  g_test_add_func ("/pm/hardening/guard/config-token", test_config_token);
  g_test_add_func ("/pm/hardening/guard/config-settings", test_config_settings);
  g_test_add_func ("/pm/hardening/guard/limits", test_limits);
  g_test_add_func ("/pm/hardening/guard/concurrent-streams", test_concurrent_streams);

  return g_test_run ();
}
