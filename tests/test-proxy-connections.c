/* test-proxy-connections.c — the proxy closes every client connection it accepted
 *
 * libsoup 3.2 leaks a kept-alive server connection that the client closes while it is idle (the
 * socket stays in CLOSE_WAIT, its fd open). A proxy that runs for days in front of agents would
 * run out of file descriptors and stop accepting. The proxy answers every request with
 * "Connection: close"; this test makes requests the way a plain HTTP/1.1 client does — connect,
 * send, read the whole streamed answer, close — and checks that the process's open file
 * descriptors come back to where they were.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-sim-upstream.h"
#include "pm-test-utils.h"

#define PROVIDER_KEY "test-key-not-real-connections-5150"
#define N_REQUESTS   40

typedef struct
{
  guint16   port;
  guint     n_done;
  guint     n_complete;
  guint     n_keepalive;   /* answers without "Connection: close" */
  gboolean  finished;
  char     *error;
} Client;

static guint
count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* One request on a fresh connection; TRUE when the whole chunked answer arrived. */
static gboolean
one_request (Client  *client,
             guint    i,
             GError **error)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *body = NULL;
  g_autofree char *request = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  GInputStream *in;
  GOutputStream *out;
  char buffer[8192];

  g_socket_client_set_enable_proxy (sc, FALSE);
  connection = g_socket_client_connect_to_host (sc, "127.0.0.1", client->port, NULL, error);
  if (connection == NULL)
    return FALSE;

  body = g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"Connection test %u\"}]}", i);
  request = g_strdup_printf ("POST /v1/messages HTTP/1.1\r\n"
                             "Host: 127.0.0.1:%u\r\n"
                             "Content-Type: application/json\r\n"
                             "anthropic-version: 2023-06-01\r\n"
                             "x-api-key: client-key\r\n"
                             "Content-Length: %zu\r\n"
                             "\r\n%s",
                             client->port, strlen (body), body);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  if (!g_output_stream_write_all (out, request, strlen (request), NULL, NULL, error))
    return FALSE;

  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      g_string_append_len (answer, buffer, n);
      /* The last chunk of the chunked answer: done, the client closes now. */
      if (g_str_has_suffix (answer->str, "\r\n0\r\n\r\n"))
        break;
    }

  if (g_ascii_strncasecmp (answer->str, "HTTP/1.1 200", 12) != 0 || strstr (answer->str, "message_stop") == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "request %u: unexpected answer: %.200s", i, answer->str), FALSE;
  if (strstr (answer->str, "\r\nConnection: close\r\n") == NULL)
    client->n_keepalive++;

  return g_io_stream_close (G_IO_STREAM (connection), NULL, error);
}

static gpointer
client_thread (gpointer data)
{
  Client *client = data;

  for (guint i = 0; i < N_REQUESTS; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!one_request (client, i, &error))
        {
          client->error = g_strdup (error->message);
          break;
        }
      g_atomic_int_inc (&client->n_complete);
    }
  g_atomic_int_set (&client->finished, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
run_client (Client *client)
{
  GThread *thread = g_thread_new ("client", client_thread, client);

  /* The client thread wakes the main context when it is done. */
  g_assert_true (pm_test_wait_for (&client->finished, 60000));
  g_thread_join (thread);
}

/* Iterate the main loop for up to `ms`, until at most `limit` fds are open. */
static guint
settle_fds (guint limit,
            guint ms)
{
  guint tick = g_timeout_add (10, tick_cb, NULL);
  gint64 deadline = g_get_monotonic_time () + ms * 1000;
  guint n;

  while ((n = count_fds ()) > limit && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return n;
}

static void
test_connections_closed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmSimUpstream) sim = pm_sim_upstream_new ();
  g_autofree char *sim_url = NULL;
  g_autofree char *json = NULL;
  PmTestProxy *proxy;
  Client warm = { 0 };
  Client client = { 0 };
  guint before;
  guint after;

  g_assert_true (pm_sim_upstream_start (sim, 0, &error));
  g_assert_no_error (error);
  pm_sim_upstream_set_required_key (sim, PROVIDER_KEY);
  sim_url = pm_sim_upstream_dup_url (sim);

  json = g_strdup_printf ("{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
                          " \"providers\": [{\"id\": \"sim\", \"api\": \"anthropic\", \"base_url\": \"%s\", \"key\": \"keyring\"}],"
                          " \"models\": [{\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim\"}],"
                          " \"default_model\": \"claude-sonnet-4-5\"}",
                          sim_url);
  proxy = pm_test_proxy_start (json, PROVIDER_KEY, NULL);
  client.port = warm.port = (guint16) pm_proxy_get_port (proxy->proxy);

  /* Warm up: the proxy's upstream connections to the sim are pooled and stay open. */
  run_client (&warm);
  g_assert_null (warm.error);
  before = settle_fds (0, 200);

  run_client (&client);
  g_assert_null (client.error);
  g_assert_cmpuint (client.n_complete, ==, N_REQUESTS);
  g_assert_cmpuint (client.n_keepalive, ==, 0);

  /* Every connection the clients closed is closed in the proxy too. A few fds of slack for
   * the upstream pool (connections to the sim are reused, not one per request). */
  after = settle_fds (before + 4, 2000);
  g_test_message ("open fds: %u after the warm-up, %u after %u more requests", before, after, N_REQUESTS);
  g_assert_cmpuint (after, <=, before + 4);

  pm_test_proxy_free (proxy);
  pm_sim_upstream_stop (sim);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/proxy/connections/closed", test_connections_closed);

  return g_test_run ();
}
