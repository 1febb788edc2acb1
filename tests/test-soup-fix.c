/* test-soup-fix.c — PmSocketReleaser gives back the socket reference libsoup 3.2 leaks
 *
 * A SoupServer answers requests with "Connection: close" (as the proxy does), each on a
 * connection of its own; the test keeps a weak reference on every accepted socket. With the
 * releaser watching each message, every one of them is finalized once its connection is over;
 * without it (libsoup 3.2.3's listener keeps one reference) none is.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>

#include "pm-soup-fix.h"

#define N_REQUESTS 12

typedef struct
{
  PmSocketReleaser *releaser;   /* NULL: not watched */
  guint             n_accepted;
  guint             n_finalized;
  GPtrArray        *held;       /* the sockets, when the test holds them itself */
} Server;

static void
socket_finalized_cb (gpointer  data,
                     GObject  *where_the_socket_was)
{
  Server *s = data;

  s->n_finalized++;
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Server *s = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);

  g_assert_nonnull (socket);
  g_object_weak_ref (G_OBJECT (socket), socket_finalized_cb, s);
  if (s->held != NULL)
    g_ptr_array_add (s->held, g_object_ref (socket));
  s->n_accepted++;
  if (s->releaser != NULL)
    pm_socket_releaser_watch (s->releaser, msg);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GBytes **body = user_data;
  g_autoptr(GError) error = NULL;

  *body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* N_REQUESTS requests, one after another; then up to @wait_ms for the sockets to go. */
static void
run (Server *s,
     guint   wait_ms)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *url = NULL;
  gboolean timed_out = FALSE;
  guint id;

  soup_server_add_handler (server, NULL, handler_cb, s, NULL);
  /* A socket of its own, as the proxy listens (soup_server_listen_local () leaks in 3.2). */
  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (listener, address, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  g_assert_true (soup_server_listen_socket (server, listener, 0, &error));
  g_assert_no_error (error);
  local = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u/", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));

  for (guint i = 0; i < N_REQUESTS; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = NULL;

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &body);
      while (body == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
      g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "ok", 2);
    }
  g_assert_cmpuint (s->n_accepted, ==, N_REQUESTS);   /* a connection each */

  id = g_timeout_add (wait_ms, timeout_cb, &timed_out);
  while (s->n_finalized < N_REQUESTS && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  soup_server_disconnect (server);
}

static gboolean
libsoup_has_the_leak (void)
{
  return soup_get_major_version () == 3 && soup_get_minor_version () == 2;
}

static void
test_released (void)
{
  Server s = { pm_socket_releaser_new (NULL), 0, 0, NULL };

  run (&s, 10000);
  g_assert_cmpuint (s.n_finalized, ==, N_REQUESTS);
  if (libsoup_has_the_leak ())
    g_assert_cmpuint (pm_socket_releaser_get_n_released (s.releaser), ==, N_REQUESTS);
  pm_socket_releaser_free (s.releaser);
}

/* What the releaser is for: without it, libsoup 3.2 keeps every socket. */
static void
test_leaked_without (void)
{
  Server s = { NULL, 0, 0, g_ptr_array_new () };

  if (!libsoup_has_the_leak ())
    {
      g_test_skip ("This libsoup does not keep the accepted sockets");
      g_ptr_array_unref (s.held);
      return;
    }
  run (&s, 3000);
  g_assert_cmpuint (s.n_finalized, ==, 0);
  /* Closed, held by the test and by nothing but the leaked reference: give both back (so a
   * leak checker has nothing to report here). */
  for (guint i = 0; i < s.held->len; i++)
    {
      GSocket *socket = g_ptr_array_index (s.held, i);

      g_assert_true (g_socket_is_closed (socket));
      g_assert_cmpuint (G_OBJECT (socket)->ref_count, ==, 2);
      g_object_unref (socket);
      g_object_unref (socket);
    }
  g_assert_cmpuint (s.n_finalized, ==, N_REQUESTS);
  g_ptr_array_unref (s.held);
}

/* Stopping: whatever has closed is released at once, without the settling time. */
static void
test_flush (void)
{
  Server s = { pm_socket_releaser_new (NULL), 0, 0, NULL };

  run (&s, 200);   /* not long enough for the sweep (2 s) */
  pm_socket_releaser_flush (s.releaser);
  g_assert_cmpuint (s.n_finalized, ==, N_REQUESTS);
  pm_socket_releaser_free (s.releaser);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/soup-fix/released", test_released);
  g_test_add_func ("/pm/soup-fix/leaked-without", test_leaked_without);
  g_test_add_func ("/pm/soup-fix/flush", test_flush);

  return g_test_run ();
}
