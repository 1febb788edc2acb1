/* test-upstream.c — PmUpstream, the proxy's HTTP/1.1 client, against a scripted raw server
 *
 * The server listens on 127.0.0.1 (port 0) and gives each connection a thread of its own: it
 * reads a request (head and Content-Length body), records its raw bytes and writes the answer
 * the test scripted, at once or byte by byte. It counts connections and notices when the client
 * closes one. The client runs on the test's main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "pm-test-utils.h"
#include "pm-upstream.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#define WAIT_MS 10000
#define BIG     (1024 * 1024)
#define OK      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

typedef struct _Server Server;
typedef struct _Conn   Conn;

/* The answer to one request. */
typedef struct
{
  const char *text;     /* NULL ends a list */
  gboolean    slowly;   /* one byte per write */
  gboolean    wait;     /* then waits for the test's release... */
  const char *then;     /* ...and writes this */
  gboolean    close;    /* and closes the connection */
} Answer;

/* Answers the request c->request_index. Returns FALSE to close the connection. */
typedef gboolean (*Script) (Server *s,
                            Conn   *c);

struct _Server
{
  Script           script;
  const Answer    *answers;       /* request i gets answers[i], the last one for the rest */
  GTlsCertificate *cert;          /* https when set */
  GBytes          *payload;
  guint16          port;

  GSocketListener *listener;
  GCancellable    *cancellable;
  GThread         *accept_thread;

  GMutex           lock;
  GCond            cond;
  GPtrArray       *threads;       /* one per accepted connection */
  GPtrArray       *active;        /* the GSocket of each connection still open */
  GPtrArray       *requests;      /* GBytes: each request's raw bytes, in order */
  gsize            first_read;    /* bytes of the first read on the first connection */
  gboolean         release;

  int              n_accepted;    /* atomic, all of them */
  int              n_requests;
  int              n_peer_closed; /* connections the client closed */
  int              n_closed;      /* connections the server is done with */
  int              n_tls_failed;
  const char      *early;         /* answered after the request's head, its body unread; closes */
};

struct _Conn
{
  Server            *s;
  GSocketConnection *connection;
  GSocket           *socket;
  GIOStream         *stream;
  GByteArray        *buf;
  guint              index;         /* of the connection, from 0 */
  guint              request_index; /* of the request, server-wide */
};

/* The server side */

/* len -1: a string. */
static gboolean
conn_write (Conn       *c,
            const void *data,
            gssize      len,
            gboolean    slowly)
{
  GOutputStream *out = g_io_stream_get_output_stream (c->stream);

  if (len < 0)
    len = strlen (data);
  if (!slowly)
    return g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
  for (gssize i = 0; i < len; i++)
    {
      if (!g_output_stream_write_all (out, (const char *) data + i, 1, NULL, NULL, NULL))
        return FALSE;
      g_usleep (300);
    }
  return TRUE;
}

static void
server_wait_release (Server *s)
{
  gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&s->lock);
  while (!s->release && g_cond_wait_until (&s->cond, &s->lock, end))
    ;
  g_mutex_unlock (&s->lock);
}

static void
server_set_release (Server *s)
{
  g_mutex_lock (&s->lock);
  s->release = TRUE;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static gboolean
script_answers (Server *s,
                Conn   *c)
{
  const Answer *a = &s->answers[0];

  for (guint i = 0; i < c->request_index && a[1].text != NULL; i++)
    a++;
  if (!conn_write (c, a->text, -1, a->slowly))
    return FALSE;
  if (a->wait)
    {
      server_wait_release (s);
      if (a->then != NULL && !conn_write (c, a->then, -1, FALSE))
        return FALSE;
    }
  return !a->close;
}

/* The next request's raw bytes, or NULL at EOF or error. */
static GBytes *
conn_read_request (Conn *c)
{
  GInputStream *in = g_io_stream_get_input_stream (c->stream);
  gsize head = 0;
  gsize total = 0;
  GBytes *request;

  while (head == 0 || c->buf->len < total)
    {
      const char *data = (const char *) c->buf->data;
      const char *end = c->buf->len > 0 ? g_strstr_len (data, c->buf->len, "\r\n\r\n") : NULL;
      guint8 chunk[16384];
      gssize n;

      if (head == 0 && end != NULL)
        {
          g_autoptr(SoupMessageHeaders) headers = NULL;

          headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
          head = end + 4 - data;
          if (soup_headers_parse_request (data, head, headers, NULL, NULL, NULL) != SOUP_STATUS_OK)
            return NULL;
          total = head + soup_message_headers_get_content_length (headers);
          continue;
        }
      n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);
      if (n <= 0)
        return NULL;
      g_mutex_lock (&c->s->lock);
      if (c->index == 0 && c->s->first_read == 0)
        c->s->first_read = n;
      g_mutex_unlock (&c->s->lock);
      g_byte_array_append (c->buf, chunk, n);
    }
  request = g_bytes_new (c->buf->data, total);
  g_byte_array_remove_range (c->buf, 0, total);
  return request;
}

static gpointer
conn_thread (gpointer data)
{
  Conn *c = data;
  Server *s = c->s;
  gboolean more = TRUE;

  g_socket_set_timeout (c->socket, 10);
  g_socket_set_option (c->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  c->stream = g_object_ref (G_IO_STREAM (c->connection));
  if (s->cert != NULL)
    {
      g_autoptr(GError) error = NULL;

      g_object_unref (c->stream);
      c->stream = g_tls_server_connection_new (G_IO_STREAM (c->connection), s->cert, &error);
      g_assert_no_error (error);
      if (!g_tls_connection_handshake (G_TLS_CONNECTION (c->stream), NULL, &error))
        {
          g_atomic_int_inc (&s->n_tls_failed);
          more = FALSE;
        }
    }

  if (s->early != NULL)
    {
      /* A gateway refusing a body too large: the answer after the head, then the connection
       * closed with the rest of the body unread (the client's write fails). */
      GInputStream *in = g_io_stream_get_input_stream (c->stream);

      while (c->buf->len == 0 || g_strstr_len ((const char *) c->buf->data, c->buf->len, "\r\n\r\n") == NULL)
        {
          guint8 chunk[4096];
          gssize n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);

          if (n <= 0)
            break;
          g_byte_array_append (c->buf, chunk, n);
        }
      g_atomic_int_inc (&s->n_requests);
      conn_write (c, s->early, -1, FALSE);
      more = FALSE;
    }

  while (more)
    {
      g_autoptr(GBytes) request = conn_read_request (c);

      if (request == NULL)
        {
          g_atomic_int_inc (&s->n_peer_closed);
          break;
        }
      g_mutex_lock (&s->lock);
      c->request_index = s->requests->len;
      g_ptr_array_add (s->requests, g_bytes_ref (request));
      g_mutex_unlock (&s->lock);
      g_atomic_int_inc (&s->n_requests);
      more = s->script (s, c);
    }

  g_mutex_lock (&s->lock);
  g_ptr_array_remove (s->active, c->socket);
  g_mutex_unlock (&s->lock);
  g_io_stream_close (c->stream, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (c->connection), NULL, NULL);
  g_atomic_int_inc (&s->n_closed);
  g_object_unref (c->stream);
  g_object_unref (c->connection);
  g_byte_array_unref (c->buf);
  g_free (c);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  Server *s = data;
  GSocketConnection *connection;

  while ((connection = g_socket_listener_accept (s->listener, NULL, s->cancellable, NULL)))
    {
      Conn *c = g_new0 (Conn, 1);

      c->s = s;
      c->connection = connection;
      c->socket = g_socket_connection_get_socket (connection);
      c->buf = g_byte_array_new ();
      c->index = g_atomic_int_add (&s->n_accepted, 1);
      g_mutex_lock (&s->lock);
      g_ptr_array_add (s->active, c->socket);
      g_ptr_array_add (s->threads, g_thread_new ("pm-test-conn", conn_thread, c));
      g_mutex_unlock (&s->lock);
    }
  return NULL;
}

/* A server to start with server_start (), for the fields to set first. */
static Server *
server_new (Script        script,
            const Answer *answers)
{
  Server *s = g_new0 (Server, 1);

  s->script = script != NULL ? script : script_answers;
  s->answers = answers;
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->threads = g_ptr_array_new ();
  s->active = g_ptr_array_new ();
  s->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  s->cancellable = g_cancellable_new ();
  return s;
}

static void
server_start (Server *s)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  s->listener = g_socket_listener_new ();
  g_socket_listener_add_address (s->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  s->accept_thread = g_thread_new ("pm-test-accept", accept_thread, s);
}

static Server *
server_run (Script        script,
            const Answer *answers)
{
  Server *s = server_new (script, answers);

  server_start (s);
  return s;
}

/* Stops accepting, cuts the connections still open and joins every thread. */
static void
server_free (Server *s)
{
  g_cancellable_cancel (s->cancellable);
  if (s->accept_thread != NULL)
    g_thread_join (s->accept_thread);
  if (s->listener != NULL)
    g_socket_listener_close (s->listener);
  g_mutex_lock (&s->lock);
  s->release = TRUE;
  g_cond_broadcast (&s->cond);
  for (guint i = 0; i < s->active->len; i++)
    g_socket_shutdown (g_ptr_array_index (s->active, i), TRUE, TRUE, NULL);
  g_mutex_unlock (&s->lock);
  for (guint i = 0; i < s->threads->len; i++)
    g_thread_join (g_ptr_array_index (s->threads, i));
  g_assert_cmpuint (s->active->len, ==, 0);

  g_ptr_array_unref (s->threads);
  g_ptr_array_unref (s->active);
  g_ptr_array_unref (s->requests);
  g_clear_object (&s->listener);
  g_clear_object (&s->cancellable);
  g_clear_object (&s->cert);
  g_clear_pointer (&s->payload, g_bytes_unref);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

/* Request i as the server got it: its headers into @headers, its body returned. */
static GBytes *
server_request (Server             *s,
                guint               i,
                SoupMessageHeaders *headers,
                char              **method,
                char              **path)
{
  g_autoptr(GBytes) request = NULL;
  const char *raw;
  const char *end;
  gsize size;

  g_mutex_lock (&s->lock);
  if (i < s->requests->len)
    request = g_bytes_ref (g_ptr_array_index (s->requests, i));
  g_mutex_unlock (&s->lock);
  g_assert_nonnull (request);
  raw = g_bytes_get_data (request, &size);
  end = g_strstr_len (raw, size, "\r\n\r\n");
  g_assert_nonnull (end);
  g_assert_cmpuint (soup_headers_parse_request (raw, end + 4 - raw, headers, method, path, NULL),
                    ==, SOUP_STATUS_OK);
  return g_bytes_new_from_bytes (request, end + 4 - raw, size - (end + 4 - raw));
}

/* The client side */

typedef struct
{
  gboolean  done;
  gpointer  result;   /* PmUpstreamBody or GBytes */
  GError   *error;
} Wait;

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *w = user_data;

  w->result = pm_upstream_send_finish (PM_UPSTREAM (object), result, &w->error);
  w->done = TRUE;
}

static char *
server_url (Server     *s,
            const char *path)
{
  return g_strdup_printf ("%s://127.0.0.1:%u%s", s->cert != NULL ? "https" : "http", s->port, path);
}

static PmUpstreamBody *
send_full (PmUpstream         *up,
           const char         *url,
           SoupMessageHeaders *headers,
           GBytes             *body,
           GError            **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  Wait w = { 0 };

  pm_upstream_send_async (up, "POST", uri, headers, body, NULL, sent_cb, &w);
  g_assert_true (pm_test_wait_for (&w.done, WAIT_MS));
  g_assert_true ((w.result == NULL) != (w.error == NULL));
  if (w.error != NULL)
    g_propagate_error (error, w.error);
  return w.result;
}

/* A request to the server's "/" that gets an answer, or one that does not. */
static PmUpstreamBody *
send_ok (PmUpstream *up,
         Server     *s)
{
  g_autofree char *url = server_url (s, "/");
  g_autoptr(GError) error = NULL;
  PmUpstreamBody *body = send_full (up, url, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (PM_IS_UPSTREAM_BODY (body));
  return body;
}

static GError *
send_error (PmUpstream *up,
            Server     *s)
{
  g_autofree char *url = server_url (s, "/");
  GError *error = NULL;

  g_assert_null (send_full (up, url, NULL, NULL, &error));
  g_assert_nonnull (error);
  return error;
}

static gboolean
ready_cb (GObject  *stream,
          gpointer  data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits for the body to be readable, as the proxy does. */
static void
wait_readable (PmUpstreamBody *body)
{
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (body);
  g_autoptr(GSource) source = g_pollable_input_stream_create_source (in, NULL);
  gboolean ready = FALSE;

  g_source_set_callback (source, G_SOURCE_FUNC (ready_cb), &ready, NULL);
  g_source_attach (source, NULL);
  g_assert_true (pm_test_wait_for (&ready, WAIT_MS));
  g_source_destroy (source);
}

/* Reads up to @max bytes (or the end) as the proxy does: non-blocking reads, and the stream's
 * source when they would block. Returns what was read, even when it stops on an error. */
static GBytes *
read_pollable (PmUpstreamBody  *body,
               gsize            max,
               GError         **error)
{
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (body);
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buf[16384];   /* as the proxy reads */

  g_assert_true (g_pollable_input_stream_can_poll (in));
  while (data->len < max)
    {
      g_autoptr(GError) local = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL, &local);

      if (n == 0)
        break;
      if (n > 0)
        g_byte_array_append (data, buf, n);
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        wait_readable (body);
      else
        {
          g_propagate_error (error, g_steal_pointer (&local));
          break;
        }
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *w = user_data;

  w->result = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &w->error);
  w->done = TRUE;
}

static GBytes *
read_async (PmUpstreamBody *body)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  gsize size = 1;

  while (size > 0)
    {
      Wait w = { 0 };

      g_input_stream_read_bytes_async (G_INPUT_STREAM (body), 1000, G_PRIORITY_DEFAULT, NULL,
                                       read_cb, &w);
      g_assert_true (pm_test_wait_for (&w.done, WAIT_MS));
      g_assert_no_error (w.error);
      size = g_bytes_get_size (w.result);
      g_byte_array_append (data, g_bytes_get_data (w.result, NULL), size);
      g_bytes_unref (w.result);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static void
assert_bytes (GBytes     *bytes,
              const char *expected)
{
  gsize size;
  const void *data = g_bytes_get_data (bytes, &size);

  g_assert_cmpmem (data, size, expected, strlen (expected));
}

/* Reads the body to its end and checks it. */
static void
assert_body (PmUpstreamBody *body,
             const char     *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = read_pollable (body, G_MAXSIZE, &error);

  g_assert_no_error (error);
  assert_bytes (data, expected);
}

/* A request, read to its end. Returns whether it went on a reused connection. */
static gboolean
fetch (PmUpstream *up,
       Server     *s,
       const char *expected)
{
  g_autoptr(PmUpstreamBody) body = send_ok (up, s);

  assert_body (body, expected);
  return pm_upstream_body_get_reused (body);
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until check (data) or timeout_ms. Returns the last check. */
static gboolean
wait_until (gboolean (*check) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  guint id = g_timeout_add (5, tick_cb, NULL);
  gboolean ok;

  while (!(ok = check (data)) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  return ok;
}

static gboolean
no_connection (gpointer up)
{
  return pm_upstream_get_n_connected (up) == 0;
}

static gboolean
one_idle (gpointer up)
{
  return pm_upstream_get_n_idle (up) == 1;
}

static gboolean
three_requests (gpointer s)
{
  return g_atomic_int_get (&((Server *) s)->n_requests) == 3;
}

/* For the server's counters. */
static gboolean
nonzero (gpointer counter)
{
  return g_atomic_int_get ((int *) counter) > 0;
}

/* The scripts that are not a list of answers */

/* A long body, sent slowly until the client goes; then OK for the next requests. */
static gboolean
script_slow_body (Server *s,
                  Conn   *c)
{
  GInputStream *in = g_io_stream_get_input_stream (c->stream);

  if (c->request_index > 0)
    return conn_write (c, OK, -1, FALSE);

  conn_write (c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789", -1, FALSE);
  for (guint i = 0; i < 250; i++)
    {
      char b[16];

      if ((g_socket_condition_timed_wait (c->socket, G_IO_IN, 20000, NULL, NULL) &&
           g_input_stream_read (in, b, sizeof b, NULL, NULL) <= 0) ||
          !conn_write (c, "x", -1, FALSE))
        {
          g_atomic_int_inc (&s->n_peer_closed);
          break;
        }
    }
  return FALSE;
}

/* s->payload: chunked, in chunks of many sizes; then with a Content-Length. */
static gboolean
script_big (Server *s,
            Conn   *c)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (s->payload, &size);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  if (c->request_index > 0)
    {
      g_autofree char *head = NULL;

      head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                              size);

      return conn_write (c, head, -1, FALSE) && conn_write (c, data, size, FALSE);
    }
  if (!conn_write (c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -1, FALSE))
    return FALSE;
  for (gsize off = 0; off < size;)
    {
      gsize n = g_rand_int_range (rand, 1, 70000);
      g_autofree char *line = NULL;

      n = MIN (n, size - off);
      line = g_strdup_printf ("%" G_GSIZE_MODIFIER "x\r\n", n);
      if (!conn_write (c, line, -1, FALSE) || !conn_write (c, data + off, n, FALSE) ||
          !conn_write (c, "\r\n", -1, FALSE))
        return FALSE;
      off += n;
    }
  return conn_write (c, "0\r\n\r\n", -1, FALSE);
}

/* Tests */

static void
test_content_length (void)
{
  static const Answer answers[] = {
    { "HTTP/1.1 201 Created Here\r\nContent-Type: application/json\r\nX-Multi: one\r\n"
      "x-multi: two\r\nContent-Length: 11\r\n\r\nhello world" }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(SoupMessageHeaders) seen = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"model\":\"m\"}", 13);
  g_autofree char *url = server_url (s, "/v1/chat/completions?a=1&b=x%20y");
  g_autofree char *host = g_strdup_printf ("127.0.0.1:%u", s->port);
  g_autofree char *method = NULL;
  g_autofree char *path = NULL;
  g_autoptr(PmUpstreamBody) answer = NULL;
  g_autoptr(GBytes) got_body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *got;

  soup_message_headers_append (headers, "Authorization", "Bearer sk-test");
  soup_message_headers_append (headers, "Content-Type", "application/json");
  soup_message_headers_append (headers, "X-Req", "a");
  soup_message_headers_append (headers, "X-Req", "b");
  soup_message_headers_append (headers, "Content-Length", "999");   /* replaced */
  answer = send_full (up, url, headers, body, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (pm_upstream_body_get_status (answer), ==, 201);
  g_assert_cmpstr (pm_upstream_body_get_reason (answer), ==, "Created Here");
  g_assert_false (pm_upstream_body_get_reused (answer));
  got = pm_upstream_body_get_headers (answer);
  g_assert_cmpstr (soup_message_headers_get_one (got, "content-type"), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_list (got, "X-MULTI"), ==, "one, two");
  g_assert_cmpint (soup_message_headers_get_content_length (got), ==, 11);
  assert_body (answer, "hello world");
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);

  /* What went out, as the server read it. */
  g_assert_cmpint (g_atomic_int_get (&s->n_requests), ==, 1);
  got_body = server_request (s, 0, seen, &method, &path);
  g_assert_cmpstr (method, ==, "POST");
  g_assert_cmpstr (path, ==, "/v1/chat/completions?a=1&b=x%20y");
  g_assert_cmpstr (soup_message_headers_get_list (seen, "Host"), ==, host);
  g_assert_cmpstr (soup_message_headers_get_list (seen, "Content-Length"), ==, "13");
  g_assert_cmpstr (soup_message_headers_get_list (seen, "Authorization"), ==, "Bearer sk-test");
  g_assert_cmpstr (soup_message_headers_get_list (seen, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_list (seen, "X-Req"), ==, "a, b");
  assert_bytes (got_body, "{\"model\":\"m\"}");
  /* In one write: the server's first read had all of it. */
  g_mutex_lock (&s->lock);
  g_assert_cmpuint (s->first_read, ==, g_bytes_get_size (g_ptr_array_index (s->requests, 0)));
  g_mutex_unlock (&s->lock);
}

#define CHUNKED_ANSWER \
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n" \
  "5;name=value\r\nhello\r\n1A;q=\"a;b\"\r\nabcdefghijklmnopqrstuvwxyz\r\n2\r\n\r\n\r\n"     \
  "0\r\nX-Trailer: done\r\nX-Other: 1\r\n\r\n"
#define CHUNKED_PAYLOAD "helloabcdefghijklmnopqrstuvwxyz\r\n"

static void
test_chunked (void)
{
  static const Answer answers[] = { { CHUNKED_ANSWER, .slowly = TRUE }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(PmUpstreamBody) first = send_ok (up, s);
  g_autoptr(PmUpstreamBody) second = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) data2 = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  g_assert_cmpuint (pm_upstream_body_get_status (first), ==, 200);
  headers = pm_upstream_body_get_headers (first);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==, "text/event-stream");
  data = read_pollable (first, G_MAXSIZE, &error);
  g_assert_no_error (error);
  assert_bytes (data, CHUNKED_PAYLOAD);
  /* The trailer was read too: the connection is ready for the next request. */
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);

  second = send_ok (up, s);
  g_assert_true (pm_upstream_body_get_reused (second));
  data2 = read_async (second);
  assert_bytes (data2, CHUNKED_PAYLOAD);
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 1);
}

static void
test_first_chunk (void)
{
  static const Answer answers[] = {
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n", .wait = TRUE,
      .then = "7\r\n, later\r\n0\r\n\r\n" }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(PmUpstreamBody) body = send_ok (up, s);
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (body);
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 buf[100];
  gssize n;

  /* It came with the head: readable at once, with no main-loop round. */
  n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >, 0);
  while (n > 0)
    {
      g_byte_array_append (data, buf, n);
      n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL, &error);
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_assert_cmpmem (data->data, data->len, "first", 5);

  server_set_release (s);
  assert_body (body, ", later");
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
}

static void
test_keep_alive (void)
{
  static const Answer answers[] = { { OK }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PmUpstreamBody) body = send_ok (up, s);

      g_assert_cmpint (pm_upstream_body_get_reused (body), ==, i > 0);
      g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
      g_assert_cmpuint (pm_upstream_get_n_connected (up), ==, 1);
      assert_body (body, "ok");
      g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
      g_assert_cmpuint (pm_upstream_get_n_connected (up), ==, 1);
    }
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&s->n_requests), ==, 3);

  pm_upstream_close_idle (up);
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
  g_assert_cmpuint (pm_upstream_get_n_connected (up), ==, 0);
  g_assert_true (wait_until (nonzero, &s->n_peer_closed, 2000));
}

/* Three requests at once: three connections, read in reverse order, all kept and reused. */
static void
test_concurrent (void)
{
  static const Answer answers[] = { { "", .wait = TRUE, .then = OK }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autofree char *url = server_url (s, "/");
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  Wait w[3] = { { 0 } };

  for (guint i = 0; i < 3; i++)
    pm_upstream_send_async (up, "POST", uri, NULL, NULL, NULL, sent_cb, &w[i]);
  g_assert_true (wait_until (three_requests, s, 2000));
  g_assert_cmpuint (pm_upstream_get_n_connected (up), ==, 3);
  server_set_release (s);
  for (guint i = 3; i-- > 0;)
    {
      g_autoptr(PmUpstreamBody) body = NULL;

      g_assert_true (pm_test_wait_for (&w[i].done, WAIT_MS));
      g_assert_no_error (w[i].error);
      body = w[i].result;
      g_assert_false (pm_upstream_body_get_reused (body));
      assert_body (body, "ok");
    }
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_true (fetch (up, s, "ok"));
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 3);
  g_assert_cmpuint (pm_upstream_get_n_connected (up), ==, 3);
}

static void
test_idle_timeout (void)
{
  static const Answer answers[] = { { OK }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (1);

  g_assert_false (fetch (up, s, "ok"));
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
  g_assert_true (wait_until (no_connection, up, 4500));   /* swept every 2 s */
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
  g_assert_true (wait_until (nonzero, &s->n_peer_closed, 2000));
}

/* "Connection: close", up to the end of the connection, HTTP/1.0: none is kept. The server
 * keeps the first and the third open. */
static void
test_not_kept (void)
{
  static const Answer answers[] = {
    { "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nfirst" },
    { "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", .close = TRUE },
    { "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold" },
    { OK }, { NULL } };
  const char *expected[] = { "first", "until the end", "old", "ok" };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_false (fetch (up, s, expected[i]));
      g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, i + 1);
      g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, i == 3 ? 1 : 0);
    }
}

/* The server closes the kept-alive connection after its answer. */
static void
test_stale (void)
{
  static const Answer answers[] = { { OK, .close = TRUE }, { OK }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);

  g_assert_false (fetch (up, s, "ok"));
  g_assert_true (wait_until (nonzero, &s->n_closed, 2000));
  g_assert_false (fetch (up, s, "ok"));
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 2);
}

/* The server reads the request on the kept-alive connection and closes: sent again. */
static void
test_stale_after_request (void)
{
  static const Answer answers[] = { { OK }, { "", .close = TRUE }, { OK }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);

  g_assert_false (fetch (up, s, "ok"));
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
  g_assert_false (fetch (up, s, "ok"));
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 2);
  g_assert_cmpint (g_atomic_int_get (&s->n_requests), ==, 3);
}

static void
test_unref_early (void)
{
  g_autoptr(Server) s = server_run (script_slow_body, NULL);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  PmUpstreamBody *body = send_ok (up, s);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;

  /* A little of it, then let go while the server is still sending. */
  data = read_pollable (body, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (data), >=, 10);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), 10, "0123456789", 10);
  g_object_unref (body);

  g_assert_true (wait_until (no_connection, up, 2000));
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
  g_assert_true (wait_until (nonzero, &s->n_peer_closed, 2000));
  g_assert_false (fetch (up, s, "ok"));
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 2);
}

/* The rest of the body came with the head: closing the body keeps the connection. */
static void
test_unref_drained (void)
{
  static const Answer answers[] = {
    { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  PmUpstreamBody *body = send_ok (up, s);

  g_input_stream_close (G_INPUT_STREAM (body), NULL, NULL);
  g_object_unref (body);
  g_assert_true (wait_until (one_idle, up, 1000));
  g_assert_true (fetch (up, s, "hello"));
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 1);
}

static void
test_continue (void)
{
  static const Answer answers[] = {
    { "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Final: yes\r\n\r\nfinal", .slowly = TRUE },
    { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(PmUpstreamBody) body = send_ok (up, s);
  SoupMessageHeaders *headers = pm_upstream_body_get_headers (body);

  g_assert_cmpuint (pm_upstream_body_get_status (body), ==, 200);
  g_assert_cmpstr (pm_upstream_body_get_reason (body), ==, "OK");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Final"), ==, "yes");
  g_assert_null (soup_message_headers_get_one (headers, "Link"));
  assert_body (body, "final");
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
}

/* No body for a 204, with no framing header. */
static void
test_no_content (void)
{
  static const Answer answers[] = {
    { "HTTP/1.1 204 No Content\r\nX-Empty: yes\r\n\r\n" }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(PmUpstreamBody) body = send_ok (up, s);

  g_assert_cmpuint (pm_upstream_body_get_status (body), ==, 204);
  assert_body (body, "");
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
}

/* The port of a closed listener. */
static void
test_error_refused (void)
{
  static const Answer answers[] = { { OK }, { NULL } };
  Server *gone = server_run (NULL, answers);
  g_autofree char *url = server_url (gone, "/");
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(GError) error = NULL;

  server_free (gone);
  g_assert_null (send_full (up, url, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (pm_upstream_get_n_connected (up), ==, 0);
}

/* A request whose answer (from a script or answers) is an error. */
static void
assert_send_error (Script        script,
                   const Answer *answers,
                   int           code)
{
  g_autoptr(Server) s = server_run (script, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(GError) error = send_error (up, s);

  g_assert_error (error, G_IO_ERROR, code);
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 1);   /* not sent again */
  g_assert_true (wait_until (no_connection, up, 1000));
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
}

static void
test_error_closed (void)
{
  static const Answer answers[] = { { "", .close = TRUE }, { NULL } };

  assert_send_error (NULL, answers, G_IO_ERROR_CONNECTION_CLOSED);
}

static void
test_error_garbage (void)
{
  static const Answer answers[] = { { "HELLO\r\n\r\n", .wait = TRUE, .close = TRUE }, { NULL } };

  assert_send_error (NULL, answers, G_IO_ERROR_INVALID_DATA);
}

/* 70 header lines of 1 KiB, then nothing. */
static void
test_error_huge_head (void)
{
  g_autoptr(GString) head = g_string_new ("HTTP/1.1 200 OK\r\n");
  g_autofree char *pad = g_strnfill (1000, 'a');
  Answer answers[] = { { NULL, .wait = TRUE, .close = TRUE }, { NULL } };

  for (guint i = 0; i < 70; i++)
    g_string_append_printf (head, "X-Pad-%02u: %s\r\n", i, pad);
  g_string_append (head, "\r\n");
  answers[0].text = head->str;
  assert_send_error (NULL, answers, G_IO_ERROR_INVALID_DATA);
}

/* A body that stops early: what came is read, then PARTIAL_INPUT. */
static void
assert_cut (const char *answer,
            const char *prefix)
{
  const Answer answers[] = { { answer, .close = TRUE }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(PmUpstreamBody) body = send_ok (up, s);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *got;

  g_assert_cmpuint (pm_upstream_body_get_status (body), ==, 200);
  data = read_pollable (body, G_MAXSIZE, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  got = g_bytes_get_data (data, &size);
  g_assert_cmpuint (size, <=, strlen (prefix));
  g_assert_true (size == 0 || memcmp (got, prefix, size) == 0);
  g_clear_object (&body);
  g_assert_true (wait_until (no_connection, up, 1000));
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
}

static void
test_error_chunked_cut (void)
{
  assert_cut ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\nde", "abcde");
}

static void
test_error_length_cut (void)
{
  assert_cut ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "short");
}

static void
test_error_cancel (void)
{
  static const Answer answers[] = { { "", .wait = TRUE, .close = TRUE }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *url = server_url (s, "/");
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  Wait w = { 0 };
  gint64 start;

  pm_upstream_send_async (up, "POST", uri, NULL, NULL, cancellable, sent_cb, &w);
  g_assert_true (wait_until (nonzero, &s->n_requests, 2000));
  g_assert_false (w.done);
  g_assert_cmpuint (pm_upstream_get_n_connected (up), ==, 1);

  start = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  g_assert_true (pm_test_wait_for (&w.done, 1000));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 500 * G_TIME_SPAN_MILLISECOND);
  g_assert_null (w.result);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&w.error);
  g_assert_true (wait_until (no_connection, up, 1000));
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
}

static GBytes *
random_bytes (guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint32 *data = g_new (guint32, BIG / 4);

  for (gsize i = 0; i < BIG / 4; i++)
    data[i] = g_rand_int (rand);
  return g_bytes_new_take (data, BIG);
}

static void
assert_same_sum (GBytes *a,
                 GBytes *b)
{
  g_autofree char *sum_a = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, a);
  g_autofree char *sum_b = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, b);

  g_assert_cmpuint (g_bytes_get_size (a), ==, g_bytes_get_size (b));
  g_assert_cmpstr (sum_a, ==, sum_b);
}

static void
test_large_request (void)
{
  static const Answer answers[] = { { OK }, { NULL } };
  g_autoptr(Server) s = server_run (NULL, answers);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(SoupMessageHeaders) seen = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(GBytes) payload = random_bytes (1);
  g_autofree char *url = server_url (s, "/upload");
  g_autoptr(PmUpstreamBody) body = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;

  body = send_full (up, url, NULL, payload, &error);
  g_assert_no_error (error);
  assert_body (body, "ok");
  got = server_request (s, 0, seen, NULL, NULL);
  g_assert_cmpint (soup_message_headers_get_content_length (seen), ==, BIG);
  assert_same_sum (got, payload);
}

/* The server answers (413) before it read the body and closes: that answer, not the failed write. */
static void
test_early_answer (void)
{
  g_autoptr(Server) s = server_new (NULL, NULL);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(GByteArray) big = g_byte_array_new ();
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *url = NULL;
  g_autoptr(PmUpstreamBody) body = NULL;
  g_autoptr(GError) error = NULL;

  s->early = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\r\ntoo large";
  server_start (s);
  url = server_url (s, "/upload");
  /* More than loopback's socket buffers take, so that the write is still going on. */
  for (guint i = 0; i < 32; i++)
    {
      g_autoptr(GBytes) chunk = random_bytes (i);

      g_byte_array_append (big, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
    }
  payload = g_byte_array_free_to_bytes (g_steal_pointer (&big));

  body = send_full (up, url, NULL, payload, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm_upstream_body_get_status (body), ==, 413);
  assert_body (body, "too large");
  /* The request was not all written: the connection is not kept. */
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 0);
}

static void
test_large_response (void)
{
  g_autoptr(Server) s = server_new (script_big, NULL);
  g_autoptr(PmUpstream) up = pm_upstream_new (30);

  s->payload = random_bytes (2);
  server_start (s);
  for (guint i = 0; i < 2; i++)   /* chunked, then Content-Length */
    {
      g_autoptr(PmUpstreamBody) body = send_ok (up, s);
      g_autoptr(GBytes) data = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (pm_upstream_body_get_reused (body), ==, i > 0);
      data = read_pollable (body, G_MAXSIZE, &error);
      g_assert_no_error (error);
      assert_same_sum (data, s->payload);
      g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
    }
}

/* A self-signed certificate for localhost and 127.0.0.1 in dir/cert.pem; NULL without openssl. */
static GTlsCertificate *
make_certificate (const char *dir)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *cert;
  int status = 0;

  if (openssl == NULL)
    return NULL;
  command = g_strdup_printf ("%s req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
                             "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout %s -out %s",
                             openssl, key_path, cert_path);
  g_assert_true (g_spawn_command_line_sync (command, &out, &err, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, &error));
  cert = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  return cert;
}

static void
test_tls (void)
{
  static const Answer answers[] = { { OK }, { NULL } };
  g_autofree char *dir = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(Server) s = server_new (NULL, answers);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(PmUpstream) up = pm_upstream_new (30);
  g_autoptr(PmUpstream) untrusting = pm_upstream_new (30);
  g_autoptr(GError) error = NULL;

#ifdef __SANITIZE_ADDRESS__
  /* LeakSanitizer's tracer crashes at exit once glib-networking's TLS module has run a
   * handshake (GCC 12's libsanitizer, "Tracer caught signal 11"): check for leaks now, for
   * everything before this test, which runs last (build-aux/sanitize.sh). */
  __lsan_do_leak_check ();
#endif

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("No TLS backend (glib-networking)");
      return;
    }
  dir = pm_test_make_tmpdir ();
  cert_path = g_build_filename (dir, "cert.pem", NULL);
  s->cert = make_certificate (dir);
  if (s->cert == NULL)
    {
      g_test_skip ("openssl is not installed");
      return;
    }
  server_start (s);

  database = g_tls_file_database_new (cert_path, &error);
  g_assert_no_error (error);
  pm_upstream_set_tls_database (up, database);
  g_assert_false (fetch (up, s, "ok"));
  g_assert_cmpuint (pm_upstream_get_n_idle (up), ==, 1);
  g_assert_true (fetch (up, s, "ok"));
  g_assert_cmpint (g_atomic_int_get (&s->n_accepted), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&s->n_requests), ==, 2);

  /* The system's CAs do not know this certificate. */
  error = send_error (untrusting, s);
  g_assert_true (error->domain == G_TLS_ERROR || error->domain == G_IO_ERROR);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
  g_assert_true (wait_until (nonzero, &s->n_tls_failed, 2000));
  g_assert_cmpint (g_atomic_int_get (&s->n_requests), ==, 2);
  g_assert_true (wait_until (no_connection, untrusting, 1000));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/upstream/content-length", test_content_length);
  g_test_add_func ("/pm/upstream/chunked", test_chunked);
  g_test_add_func ("/pm/upstream/first-chunk", test_first_chunk);
  g_test_add_func ("/pm/upstream/keep-alive", test_keep_alive);
  g_test_add_func ("/pm/upstream/concurrent", test_concurrent);
  g_test_add_func ("/pm/upstream/idle-timeout", test_idle_timeout);
  g_test_add_func ("/pm/upstream/not-kept", test_not_kept);
  g_test_add_func ("/pm/upstream/stale", test_stale);
  g_test_add_func ("/pm/upstream/stale-after-request", test_stale_after_request);
  g_test_add_func ("/pm/upstream/unref-early", test_unref_early);
  g_test_add_func ("/pm/upstream/unref-drained", test_unref_drained);
  g_test_add_func ("/pm/upstream/continue", test_continue);
  g_test_add_func ("/pm/upstream/no-content", test_no_content);
  g_test_add_func ("/pm/upstream/error/refused", test_error_refused);
  g_test_add_func ("/pm/upstream/error/closed", test_error_closed);
  g_test_add_func ("/pm/upstream/error/garbage", test_error_garbage);
  g_test_add_func ("/pm/upstream/error/huge-head", test_error_huge_head);
  g_test_add_func ("/pm/upstream/error/chunked-cut", test_error_chunked_cut);
  g_test_add_func ("/pm/upstream/error/length-cut", test_error_length_cut);
  g_test_add_func ("/pm/upstream/error/cancel", test_error_cancel);
  g_test_add_func ("/pm/upstream/large-request", test_large_request);
  g_test_add_func ("/pm/upstream/large-response", test_large_response);
  g_test_add_func ("/pm/upstream/early-answer", test_early_answer);
  /* Last (a suite of its own runs after the tests and suites above): see test_tls (). */
  g_test_add_func ("/pm/upstream/tls/trusted-and-not", test_tls);

  return g_test_run ();
}
