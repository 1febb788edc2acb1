/* pm-upstream.c — the proxy's HTTP/1.1 client for providers and gateways
 *
 * Why not SoupSession: on the way to an agent's first token libsoup 3.2's client spends about
 * 130 µs of main-loop rounds before the request is on the wire (its queue runs from an idle
 * source, the headers and the body go out in two writes with a splice between them) and one
 * more round before the answer's first bytes are handed over. Here the request is written
 * where it is sent, in one vectored write, and the answer's head and first bytes of its body
 * usually come in the same read.
 *
 * A connection (Conn) belongs to the pool while idle, to a Send while a request goes out and
 * its head comes back, then to the PmUpstreamBody that reads the answer's body; the body gives
 * it back to the pool once the body was read to its end on a connection that stays open.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "pm-upstream.h"

#define HEAD_MAX        (64 * 1024)   /* an answer's status line and headers, at most */
#define BUF_SIZE        (16 * 1024)   /* a connection's read buffer (grows for a long head) */
#define LINE_MAX_LEN    1024          /* a chunk-size line or a trailer line, at most */
#define MAX_IDLE_PER_HOST 256
#define DRAIN_MAX       (64 * 1024)   /* read at once to reuse a connection whose body was dropped */
#define SWEEP_SECONDS   2

typedef struct
{
  PmUpstream    *pool;        /* borrowed: the pool outlives its connections' use */
  char          *key;         /* scheme://host:port */
  GIOStream     *io;
  GSocket       *socket;
  GInputStream  *in;
  GOutputStream *out;
  guint8        *buf;         /* read, not consumed yet: buf[start, end); NULL while idle */
  gsize          start;
  gsize          end;
  gsize          size;
  gint64         idle_since;
} Conn;

struct _PmUpstream
{
  GObject        parent_instance;

  guint          idle_timeout;
  GMainContext  *context;
  GSocketClient *client;
  GSocketClient *tls_client;
  GTlsDatabase  *tls_database;
  GHashTable    *idle;        /* key → GQueue of Conn, the most recently used last */
  guint          n_idle;
  guint          n_connected;
  GSource       *sweep;
};

G_DEFINE_FINAL_TYPE (PmUpstream, pm_upstream, G_TYPE_OBJECT)

typedef enum
{
  BODY_LENGTH,      /* remaining bytes */
  BODY_EOF,         /* up to the connection's end */
  BODY_CHUNK_SIZE,  /* a chunk-size line is next */
  BODY_CHUNK_DATA,  /* remaining bytes of a chunk */
  BODY_CHUNK_END,   /* the CRLF after a chunk */
  BODY_TRAILERS,    /* trailer lines up to an empty one */
  BODY_DONE,
} BodyState;

struct _PmUpstreamBody
{
  GInputStream        parent_instance;

  PmUpstream         *pool;
  Conn               *conn;       /* until the body ends or the stream closes */
  BodyState           state;
  guint64             remaining;
  gboolean            keep_alive;
  gboolean            reused;
  guint               status;
  char               *reason;
  SoupMessageHeaders *headers;
};

static void pm_upstream_body_pollable_iface_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PmUpstreamBody, pm_upstream_body, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      pm_upstream_body_pollable_iface_init))

/* ---- connections ---- */

static Conn *
conn_new (PmUpstream        *pool,
          const char        *key,
          GSocketConnection *connection)
{
  Conn *conn = g_new0 (Conn, 1);

  conn->pool = pool;
  conn->key = g_strdup (key);
  conn->io = G_IO_STREAM (g_object_ref (connection));
  conn->socket = g_object_ref (g_socket_connection_get_socket (connection));
  conn->in = g_io_stream_get_input_stream (conn->io);
  conn->out = g_io_stream_get_output_stream (conn->io);
  /* A request goes out in one write; its answer's events must not wait for an ACK either. */
  g_socket_set_option (conn->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  pool->n_connected++;
  return conn;
}

static void
conn_close (Conn *conn)
{
  if (conn == NULL)
    return;
  conn->pool->n_connected--;
  /* Closing the socket, not the stream: no TLS close_notify round on a connection given up. */
  g_socket_close (conn->socket, NULL);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->io);
  g_free (conn->buf);
  g_free (conn->key);
  g_free (conn);
}

static gsize
conn_buffered (Conn *conn)
{
  return conn->end - conn->start;
}

/* Reads more into the buffer (growing it up to @limit): the bytes read, 0 at the connection's
 * end, -1 with @error (G_IO_ERROR_WOULD_BLOCK when @blocking is FALSE and nothing is there). */
static gssize
conn_fill (Conn          *conn,
           gsize          limit,
           gboolean       blocking,
           GCancellable  *cancellable,
           GError       **error)
{
  gssize n;

  if (conn->buf == NULL)
    {
      conn->size = BUF_SIZE;
      conn->buf = g_malloc (conn->size);
    }
  if (conn->start > 0 && conn->start == conn->end)
    conn->start = conn->end = 0;
  if (conn->end == conn->size && conn->start > 0)
    {
      memmove (conn->buf, conn->buf + conn->start, conn_buffered (conn));
      conn->end -= conn->start;
      conn->start = 0;
    }
  if (conn->end == conn->size)
    {
      if (conn->size >= limit)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The upstream's answer has a line or head that is too long");
          return -1;
        }
      conn->size = MIN (conn->size * 2, limit);
      conn->buf = g_realloc (conn->buf, conn->size);
    }

  n = g_pollable_stream_read (conn->in, conn->buf + conn->end, conn->size - conn->end, blocking, cancellable, error);
  if (n > 0)
    conn->end += n;
  return n;
}

/* An idle connection the server has not closed (and sent nothing on). */
static gboolean
conn_alive (Conn *conn)
{
  g_autoptr(GError) error = NULL;
  guint8 byte;
  gssize n;

  if (conn_buffered (conn) > 0)
    return FALSE;
  n = g_pollable_stream_read (conn->in, &byte, 1, FALSE, NULL, &error);
  return n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

/* ---- the pool ---- */

static gboolean sweep_cb (gpointer user_data);

static void
queue_free (GQueue *queue)
{
  g_queue_free_full (queue, (GDestroyNotify) conn_close);
}

static void
pool_put (PmUpstream *self,
          Conn       *conn)
{
  GQueue *queue = g_hash_table_lookup (self->idle, conn->key);

  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->idle, g_strdup (conn->key), queue);
    }
  if (queue->length >= MAX_IDLE_PER_HOST)
    {
      conn_close (conn);
      return;
    }
  conn->idle_since = g_get_monotonic_time ();
  /* Up to MAX_IDLE_PER_HOST idle connections per host: no read buffer while idle. */
  g_clear_pointer (&conn->buf, g_free);
  conn->size = 0;
  conn->start = conn->end = 0;
  g_queue_push_tail (queue, conn);
  self->n_idle++;

  if (self->sweep == NULL)
    {
      self->sweep = g_timeout_source_new_seconds (SWEEP_SECONDS);
      g_source_set_callback (self->sweep, sweep_cb, self, NULL);
      g_source_attach (self->sweep, self->context);
    }
}

static gboolean
conn_expired (PmUpstream *self,
              Conn       *conn,
              gint64      now)
{
  return now - conn->idle_since >= (gint64) self->idle_timeout * G_USEC_PER_SEC;
}

/* The most recently used idle connection to @key that is still good, or NULL. */
static Conn *
pool_take (PmUpstream *self,
           const char *key)
{
  GQueue *queue = g_hash_table_lookup (self->idle, key);
  gint64 now = g_get_monotonic_time ();
  Conn *conn;

  if (queue == NULL)
    return NULL;
  while ((conn = g_queue_pop_tail (queue)) != NULL)
    {
      self->n_idle--;
      if (!conn_expired (self, conn, now) && conn_alive (conn))
        return conn;
      conn_close (conn);
    }
  return NULL;
}

/* Closes idle connections past the idle timeout or closed by their server. */
static gboolean
sweep_cb (gpointer user_data)
{
  PmUpstream *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  GQueue *queue;

  g_hash_table_iter_init (&iter, self->idle);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &queue))
    {
      for (GList *l = queue->head; l != NULL;)
        {
          GList *next = l->next;
          Conn *conn = l->data;

          if (conn_expired (self, conn, now) || !conn_alive (conn))
            {
              g_queue_delete_link (queue, l);
              self->n_idle--;
              conn_close (conn);
            }
          l = next;
        }
      if (queue->length == 0)
        g_hash_table_iter_remove (&iter);
    }

  if (self->n_idle > 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->sweep, g_source_unref);   /* removed by the return below */
  return G_SOURCE_REMOVE;
}

/* ---- sending ---- */

typedef struct
{
  char               *key;
  GUri               *uri;
  int                 port;
  GSocketConnectable *address;     /* made when a connection is to be opened */
  gboolean            tls;
  char               *method;
  GBytes             *head;
  GBytes             *body;
  gsize               written;
  Conn               *conn;
  gboolean            reused;
  gboolean            retried;
  gboolean            got_bytes;   /* some of the answer arrived */
  GSource            *source;
} Send;

static void
send_clear_source (Send *send)
{
  if (send->source == NULL)
    return;
  g_source_destroy (send->source);
  g_clear_pointer (&send->source, g_source_unref);
}

static void
send_free (Send *send)
{
  send_clear_source (send);
  conn_close (send->conn);
  g_free (send->key);
  g_clear_pointer (&send->uri, g_uri_unref);
  g_clear_object (&send->address);
  g_free (send->method);
  g_clear_pointer (&send->head, g_bytes_unref);
  g_clear_pointer (&send->body, g_bytes_unref);
  g_free (send);
}

static void send_connect (GTask *task);
static void send_write   (GTask *task);
static void send_read    (GTask *task);
static gboolean send_parse_head (GTask *task);

/* Fails the task, or, when a kept-alive connection turned out closed before any of the answer
 * came, sends the request again on a new connection. */
static void
send_failed (GTask  *task,
             GError *error)
{
  Send *send = g_task_get_task_data (task);

  send_clear_source (send);
  g_clear_pointer (&send->conn, conn_close);

  if (send->reused && !send->retried && !send->got_bytes &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      send->retried = TRUE;
      send->reused = FALSE;
      send->written = 0;
      g_error_free (error);
      send_connect (task);   /* the task goes on, with its reference */
      return;
    }

  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  Send *send = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GSocketConnection) connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);

  if (connection == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  send->conn = conn_new (g_task_get_source_object (task), send->key, connection);
  send_write (task);
}

static void
tls_event_cb (GSocketClient      *client,
              GSocketClientEvent  event,
              GSocketConnectable *connectable,
              GIOStream          *connection,
              gpointer            user_data)
{
  PmUpstream *self = user_data;

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && self->tls_database != NULL && G_IS_TLS_CONNECTION (connection))
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), self->tls_database);
}

static void
send_connect (GTask *task)
{
  PmUpstream *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  GSocketClient *client;

  if (send->tls)
    {
      if (self->tls_client == NULL)
        {
          self->tls_client = g_socket_client_new ();
          g_socket_client_set_tls (self->tls_client, TRUE);
          g_signal_connect_object (self->tls_client, "event", G_CALLBACK (tls_event_cb), self, 0);
        }
      client = self->tls_client;
    }
  else
    {
      client = self->client;
    }

  if (send->address == NULL)
    {
      /* From the URI, so that the proxy resolver sees its scheme (http_proxy, https_proxy). */
      g_autofree char *text = g_uri_to_string_partial (send->uri, G_URI_HIDE_USERINFO | G_URI_HIDE_AUTH_PARAMS);

      send->address = g_network_address_parse_uri (text, send->port, NULL);
      if (send->address == NULL)
        send->address = g_network_address_new (g_uri_get_host (send->uri), send->port);
    }

  g_socket_client_connect_async (client, send->address, g_task_get_cancellable (task), connected_cb, task);
}

static gsize
send_total (Send *send)
{
  return g_bytes_get_size (send->head) + (send->body != NULL ? g_bytes_get_size (send->body) : 0);
}

/* The socket can take more of the request, or has some of the answer. */
static gboolean
send_ready_cb (GObject  *stream,
               gpointer  user_data)
{
  GTask *task = user_data;
  Send *send = g_task_get_task_data (task);

  g_clear_pointer (&send->source, g_source_unref);   /* removed by the return below */
  if (send->written < send_total (send))
    send_write (task);
  else
    send_read (task);
  return G_SOURCE_REMOVE;
}

/* Writes what is left of the request without waiting; waits for the socket when it is full. */
static void
send_write (GTask *task)
{
  Send *send = g_task_get_task_data (task);
  gsize head_len = g_bytes_get_size (send->head);
  gsize body_len = send->body != NULL ? g_bytes_get_size (send->body) : 0;

  while (send->written < send_total (send))
    {
      GOutputVector vectors[2];
      guint n_vectors = 0;
      gsize wrote = 0;
      GError *error = NULL;
      GPollableReturn ret;

      if (send->written < head_len)
        {
          vectors[n_vectors].buffer = (const guint8 *) g_bytes_get_data (send->head, NULL) + send->written;
          vectors[n_vectors++].size = head_len - send->written;
        }
      if (body_len > 0)
        {
          gsize from = send->written > head_len ? send->written - head_len : 0;

          vectors[n_vectors].buffer = (const guint8 *) g_bytes_get_data (send->body, NULL) + from;
          vectors[n_vectors++].size = body_len - from;
        }

      ret = g_pollable_output_stream_writev_nonblocking (G_POLLABLE_OUTPUT_STREAM (send->conn->out), vectors, n_vectors,
                                                         &wrote, g_task_get_cancellable (task), &error);
      if (ret == G_POLLABLE_RETURN_FAILED)
        {
          /* A server may answer before it read the whole request (413 for a body too large)
           * and close: its answer, if it is there, says more than the failed write. */
          while (send->written > 0 && conn_fill (send->conn, HEAD_MAX, FALSE, NULL, NULL) > 0)
            {
              send->got_bytes = TRUE;
              if (send_parse_head (task))
                {
                  g_error_free (error);
                  return;
                }
            }
          send_failed (task, error);
          return;
        }
      if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
        {
          send->source = g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (send->conn->out),
                                                                 g_task_get_cancellable (task));
          g_source_set_callback (send->source, G_SOURCE_FUNC (send_ready_cb), task, NULL);
          g_source_attach (send->source, g_task_get_context (task));
          return;
        }
      send->written += wrote;
    }

  send_read (task);
}

/* The end of the head in buf[from, end): the offset just past its blank line, or 0. */
static gsize
find_head_end (Conn  *conn,
               gsize *head_len)
{
  const guint8 *p = conn->buf + conn->start;
  gsize len = conn_buffered (conn);

  for (gsize i = 0; i < len; i++)
    {
      if (p[i] != '\n')
        continue;
      if (i + 1 < len && p[i + 1] == '\n')
        {
          *head_len = i + 1;
          return i + 2;
        }
      if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
        {
          *head_len = i + 1;
          return i + 3;
        }
    }
  return 0;
}

static gboolean
is_token_in (SoupMessageHeaders *headers,
             const char         *name,
             const char         *token)
{
  const char *value = soup_message_headers_get_list (headers, name);

  return value != NULL && soup_header_contains (value, token);
}

/* Parses the answer's head in the buffer; TRUE when the task was returned (or failed). */
static gboolean
send_parse_head (GTask *task)
{
  PmUpstream *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  Conn *conn = send->conn;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *reason = NULL;
  SoupHTTPVersion version;
  PmUpstreamBody *body;
  gsize head_len = 0;
  gsize consumed;
  guint status;

  for (;;)
    {
      consumed = find_head_end (conn, &head_len);
      if (consumed == 0)
        return FALSE;

      g_clear_pointer (&headers, soup_message_headers_unref);
      g_clear_pointer (&reason, g_free);
      headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      if (!soup_headers_parse_response ((const char *) conn->buf + conn->start, head_len, headers,
                                        &version, &status, &reason))
        {
          send_clear_source (send);
          g_clear_pointer (&send->conn, conn_close);
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                   "The upstream's answer is not HTTP");
          g_object_unref (task);
          return TRUE;
        }
      conn->start += consumed;
      /* Interim answers (100 Continue, 103 Early Hints): the real one follows. */
      if (status >= 100 && status < 200 && status != 101)
        continue;
      break;
    }

  body = g_object_new (PM_TYPE_UPSTREAM_BODY, NULL);
  body->pool = g_object_ref (self);
  body->conn = g_steal_pointer (&send->conn);
  body->reused = send->reused;
  body->status = status;
  body->reason = g_steal_pointer (&reason);
  body->keep_alive = version == SOUP_HTTP_1_1 ? !is_token_in (headers, "Connection", "close")
                                              : is_token_in (headers, "Connection", "keep-alive");
  /* An answer before the whole request went out: the connection cannot carry another. */
  if (send->written < send_total (send))
    body->keep_alive = FALSE;

  if (status == 204 || status == 304 || g_str_equal (send->method, "HEAD"))
    {
      body->state = BODY_LENGTH;
      body->remaining = 0;
    }
  else
    {
      switch (soup_message_headers_get_encoding (headers))
        {
        case SOUP_ENCODING_CHUNKED:
          body->state = BODY_CHUNK_SIZE;
          break;
        case SOUP_ENCODING_CONTENT_LENGTH:
          body->state = BODY_LENGTH;
          body->remaining = soup_message_headers_get_content_length (headers);
          break;
        case SOUP_ENCODING_NONE:
          body->state = BODY_LENGTH;
          body->remaining = 0;
          break;
        case SOUP_ENCODING_EOF:
        case SOUP_ENCODING_UNRECOGNIZED:
        case SOUP_ENCODING_BYTERANGES:
        default:
          body->state = BODY_EOF;
          body->keep_alive = FALSE;
          break;
        }
    }
  body->headers = g_steal_pointer (&headers);

  send_clear_source (send);
  g_task_return_pointer (task, body, g_object_unref);
  g_object_unref (task);
  return TRUE;
}

static void
send_read (GTask *task)
{
  Send *send = g_task_get_task_data (task);

  for (;;)
    {
      GError *error = NULL;
      gssize n = conn_fill (send->conn, HEAD_MAX, FALSE, g_task_get_cancellable (task), &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_error_free (error);
          break;
        }
      if (n < 0)
        {
          send_failed (task, error);
          return;
        }
      if (n == 0)
        {
          send_failed (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                  send->got_bytes ? "The upstream closed the connection in the middle of its answer's head"
                                                                  : "The upstream closed the connection without answering"));
          return;
        }
      send->got_bytes = TRUE;
      if (send_parse_head (task))
        return;
    }

  send->source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (send->conn->in),
                                                        g_task_get_cancellable (task));
  g_source_set_callback (send->source, G_SOURCE_FUNC (send_ready_cb), task, NULL);
  g_source_attach (send->source, g_task_get_context (task));
}

static GBytes *
build_head (const char         *method,
            GUri               *uri,
            SoupMessageHeaders *headers,
            GBytes             *body)
{
  GString *head = g_string_sized_new (512);
  const char *host = g_uri_get_host (uri);
  const char *path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  const char *scheme = g_uri_get_scheme (uri);
  int port = g_uri_get_port (uri);
  gboolean default_port = port < 0 ||
                          (g_str_equal (scheme, "https") && port == 443) ||
                          (g_str_equal (scheme, "http") && port == 80);
  gboolean has_auth = FALSE;

  g_string_append_printf (head, "%s %s%s%s HTTP/1.1\r\nHost: %s%s%s",
                          method, *path != '\0' ? path : "/", query != NULL ? "?" : "", query != NULL ? query : "",
                          strchr (host, ':') != NULL ? "[" : "", host, strchr (host, ':') != NULL ? "]" : "");
  if (!default_port)
    g_string_append_printf (head, ":%d", port);
  g_string_append (head, "\r\n");

  if (headers != NULL)
    {
      SoupMessageHeadersIter iter;
      const char *name;
      const char *value;

      soup_message_headers_iter_init (&iter, headers);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        {
          if (g_ascii_strcasecmp (name, "host") == 0 ||
              g_ascii_strcasecmp (name, "content-length") == 0 ||
              g_ascii_strcasecmp (name, "transfer-encoding") == 0 ||
              g_ascii_strcasecmp (name, "connection") == 0)
            continue;
          if (g_ascii_strcasecmp (name, "authorization") == 0)
            has_auth = TRUE;
          g_string_append_printf (head, "%s: %s\r\n", name, value);
        }
    }

  /* Credentials in the URL (https://user:pass@gateway/…), as a browser would send them. */
  if (!has_auth && g_uri_get_user (uri) != NULL)
    {
      g_autofree char *user = g_uri_unescape_string (g_uri_get_user (uri), NULL);
      g_autofree char *password = g_uri_get_password (uri) != NULL ? g_uri_unescape_string (g_uri_get_password (uri), NULL) : NULL;
      g_autofree char *pair = g_strdup_printf ("%s:%s", user != NULL ? user : "", password != NULL ? password : "");
      g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));

      g_string_append_printf (head, "Authorization: Basic %s\r\n", encoded);
      memset (pair, 0, strlen (pair));
    }

  if (body != NULL || g_str_equal (method, "POST") || g_str_equal (method, "PUT"))
    g_string_append_printf (head, "Content-Length: %" G_GSIZE_FORMAT "\r\n", body != NULL ? g_bytes_get_size (body) : 0);
  g_string_append (head, "\r\n");

  return g_string_free_to_bytes (head);
}

/**
 * pm_upstream_can_send_to:
 *
 * Returns: whether @uri is one pm_upstream_send_async () takes: http or https, with a host
 * (GUri keeps the scheme in lowercase)
 */
gboolean
pm_upstream_can_send_to (GUri *uri)
{
  const char *host;

  g_return_val_if_fail (uri != NULL, FALSE);

  host = g_uri_get_host (uri);
  return host != NULL && *host != '\0' &&
         (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 || g_strcmp0 (g_uri_get_scheme (uri), "https") == 0);
}

/**
 * pm_upstream_send_async:
 * @self: the pool
 * @method: "POST", "GET" …
 * @uri: an http or https URI
 * @headers: (nullable): the request's headers (Host, Content-Length and Connection are set here)
 * @body: (nullable): the request's body
 *
 * Sends a request on a kept-alive connection to the URI's host, or a new one. The answer's
 * head comes back with pm_upstream_send_finish (), its body is the stream it returns.
 */
void
pm_upstream_send_async (PmUpstream          *self,
                        const char          *method,
                        GUri                *uri,
                        SoupMessageHeaders  *headers,
                        GBytes              *body,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  Send *send;
  const char *scheme;
  int port;

  g_return_if_fail (PM_IS_UPSTREAM (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (uri != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pm_upstream_send_async);

  if (!pm_upstream_can_send_to (uri))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not an http or https URL");
      g_object_unref (task);
      return;
    }

  scheme = g_uri_get_scheme (uri);
  send = g_new0 (Send, 1);
  send->tls = g_str_equal (scheme, "https");
  port = g_uri_get_port (uri);
  if (port < 0)
    port = send->tls ? 443 : 80;
  send->key = g_strdup_printf ("%s://%s:%d", send->tls ? "https" : "http", g_uri_get_host (uri), port);
  send->uri = g_uri_ref (uri);
  send->port = port;
  send->method = g_strdup (method);
  send->head = build_head (method, uri, headers, body);
  send->body = body != NULL && g_bytes_get_size (body) > 0 ? g_bytes_ref (body) : NULL;
  g_task_set_task_data (task, send, (GDestroyNotify) send_free);

  send->conn = pool_take (self, send->key);
  if (send->conn != NULL)
    {
      send->reused = TRUE;
      send_write (task);
    }
  else
    {
      send_connect (task);
    }
}

/**
 * pm_upstream_send_finish:
 *
 * Returns: (transfer full): the answer: its status and headers, and its body to read
 */
PmUpstreamBody *
pm_upstream_send_finish (PmUpstream    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (PM_IS_UPSTREAM (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the pool object ---- */

static void
pm_upstream_dispose (GObject *object)
{
  PmUpstream *self = PM_UPSTREAM (object);

  if (self->sweep != NULL)
    {
      g_source_destroy (self->sweep);
      g_clear_pointer (&self->sweep, g_source_unref);
    }
  pm_upstream_close_idle (self);
  g_clear_object (&self->client);
  g_clear_object (&self->tls_client);
  g_clear_object (&self->tls_database);

  G_OBJECT_CLASS (pm_upstream_parent_class)->dispose (object);
}

static void
pm_upstream_finalize (GObject *object)
{
  PmUpstream *self = PM_UPSTREAM (object);

  g_hash_table_unref (self->idle);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (pm_upstream_parent_class)->finalize (object);
}

static void
pm_upstream_class_init (PmUpstreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_upstream_dispose;
  object_class->finalize = pm_upstream_finalize;
}

static void
pm_upstream_init (PmUpstream *self)
{
  self->idle = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) queue_free);
  self->client = g_socket_client_new ();
  self->context = g_main_context_ref_thread_default ();
  self->idle_timeout = 60;
}

/**
 * pm_upstream_new:
 * @idle_timeout: seconds an unused connection is kept open
 *
 * Sources (the sweep of idle connections) go to the thread-default main context of the caller.
 */
PmUpstream *
pm_upstream_new (guint idle_timeout)
{
  PmUpstream *self = g_object_new (PM_TYPE_UPSTREAM, NULL);

  self->idle_timeout = MAX (idle_timeout, 1);
  return self;
}

/**
 * pm_upstream_set_tls_database:
 * @database: (nullable): what verifies https servers; %NULL for the system's
 */
void
pm_upstream_set_tls_database (PmUpstream   *self,
                              GTlsDatabase *database)
{
  g_return_if_fail (PM_IS_UPSTREAM (self));

  g_set_object (&self->tls_database, database);
}

guint
pm_upstream_get_n_idle (PmUpstream *self)
{
  g_return_val_if_fail (PM_IS_UPSTREAM (self), 0);

  return self->n_idle;
}

/* Connections open: idle ones and the ones a request or a body holds. */
guint
pm_upstream_get_n_connected (PmUpstream *self)
{
  g_return_val_if_fail (PM_IS_UPSTREAM (self), 0);

  return self->n_connected;
}

void
pm_upstream_close_idle (PmUpstream *self)
{
  g_return_if_fail (PM_IS_UPSTREAM (self));

  g_hash_table_remove_all (self->idle);
  self->n_idle = 0;
}

/* ---- the body ---- */

/* The body is over: its connection goes back to the pool if it can carry another request. */
static void
body_release (PmUpstreamBody *self)
{
  Conn *conn = g_steal_pointer (&self->conn);

  if (conn == NULL)
    return;
  if (self->state == BODY_DONE && self->keep_alive && conn_buffered (conn) == 0)
    pool_put (self->pool, conn);
  else
    conn_close (conn);
}

/* A line (chunk size, trailer) at the buffer's start: its length with the '\n', or 0. */
static gsize
body_line (Conn *conn)
{
  const guint8 *nl = memchr (conn->buf + conn->start, '\n', conn_buffered (conn));

  return nl != NULL ? (gsize) (nl - (conn->buf + conn->start)) + 1 : 0;
}

/* Something can be read from the body without reading the connection. */
static gboolean
body_ready (PmUpstreamBody *self)
{
  if (self->conn == NULL || self->state == BODY_DONE)
    return TRUE;
  if (conn_buffered (self->conn) == 0)
    return FALSE;
  switch (self->state)
    {
    case BODY_LENGTH:
    case BODY_EOF:
    case BODY_CHUNK_DATA:
      return TRUE;
    default:
      return body_line (self->conn) > 0;
    }
}

/* The line at the buffer's start (@len bytes with its '\n') is empty. */
static gboolean
body_line_is_empty (Conn *conn,
                    gsize len)
{
  return len == 1 || (len == 2 && conn->buf[conn->start] == '\r');
}

/* The body cannot go on: its connection is closed, @error says why. */
static gssize
body_fail (PmUpstreamBody  *self,
           GError         **error,
           GIOErrorEnum     code,
           const char      *message)
{
  body_release (self);
  g_set_error_literal (error, G_IO_ERROR, code, message);
  return -1;
}

/* The connection ended: the end of a body framed by it, else a body cut short. */
static gboolean
body_connection_ended (PmUpstreamBody  *self,
                       GError         **error)
{
  if (self->state == BODY_EOF)
    {
      self->state = BODY_DONE;
      return TRUE;
    }
  body_fail (self, error, G_IO_ERROR_PARTIAL_INPUT, "The upstream closed the connection in the middle of the body");
  return FALSE;
}

/* More of the body into the connection's buffer. FALSE with @error when it failed or was cut
 * short (G_IO_ERROR_WOULD_BLOCK when @blocking is FALSE and nothing is there). */
static gboolean
body_fill (PmUpstreamBody  *self,
           gboolean         blocking,
           GCancellable    *cancellable,
           GError         **error)
{
  gssize n = conn_fill (self->conn, LINE_MAX_LEN + BUF_SIZE, blocking, cancellable, error);

  if (n < 0)
    return FALSE;
  return n > 0 || body_connection_ended (self, error);
}

static gboolean
parse_chunk_size (const guint8 *line,
                  gsize         len,
                  guint64      *size)
{
  guint64 value = 0;
  gsize i = 0;

  while (i < len && g_ascii_isxdigit (line[i]))
    {
      if (value > (G_MAXUINT64 >> 4))
        return FALSE;
      value = (value << 4) | (guint64) g_ascii_xdigit_value (line[i]);
      i++;
    }
  if (i == 0)
    return FALSE;
  /* Then optional whitespace, extensions (";name=value"), the line's end. */
  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  if (i < len && line[i] != ';' && line[i] != '\r' && line[i] != '\n')
    return FALSE;
  *size = value;
  return TRUE;
}

/* Reads the body into @buffer: what is buffered first, then the connection, without waiting
 * once something was read. Returns the bytes read, 0 at the body's end, or -1. */
static gssize
body_read (PmUpstreamBody  *self,
           guint8          *buffer,
           gsize            count,
           gboolean         blocking,
           GCancellable    *cancellable,
           GError         **error)
{
  gsize got = 0;

  for (;;)
    {
      Conn *conn = self->conn;
      gsize avail;
      gsize line;

      if (self->state == BODY_LENGTH && self->remaining == 0)
        self->state = BODY_DONE;
      if (self->state == BODY_DONE || conn == NULL)
        {
          body_release (self);
          return got;
        }
      if (got == count)
        return got;

      avail = conn_buffered (conn);

      if (avail == 0)
        {
          if (got > 0)
            return got;

          /* A long body straight into the caller's buffer, past the connection's. */
          if ((self->state == BODY_LENGTH || self->state == BODY_EOF) && count >= BUF_SIZE)
            {
              gsize want = self->state == BODY_LENGTH ? (gsize) MIN ((guint64) count, self->remaining) : count;
              gssize n = g_pollable_stream_read (conn->in, buffer, want, blocking, cancellable, error);

              if (n < 0 || (n == 0 && !body_connection_ended (self, error)))
                return -1;
              if (n > 0 && self->state == BODY_LENGTH)
                {
                  self->remaining -= n;
                  if (self->remaining == 0)
                    {
                      self->state = BODY_DONE;
                      body_release (self);
                    }
                }
              if (n > 0)
                return n;
            }
          else if (!body_fill (self, blocking, cancellable, error))
            {
              return -1;
            }
          continue;
        }

      switch (self->state)
        {
        case BODY_LENGTH:
        case BODY_EOF:
        case BODY_CHUNK_DATA:
          {
            gsize take = MIN (avail, count - got);

            if (self->state != BODY_EOF)
              take = (gsize) MIN ((guint64) take, self->remaining);
            memcpy (buffer + got, conn->buf + conn->start, take);
            conn->start += take;
            got += take;
            if (self->state != BODY_EOF)
              {
                self->remaining -= take;
                if (self->remaining == 0)
                  self->state = self->state == BODY_LENGTH ? BODY_DONE : BODY_CHUNK_END;
              }
          }
          break;

        case BODY_CHUNK_SIZE:
        case BODY_CHUNK_END:
        case BODY_TRAILERS:
          line = body_line (conn);
          if (line == 0)
            {
              if (avail > LINE_MAX_LEN)
                return body_fail (self, error, G_IO_ERROR_INVALID_DATA,
                                  "The upstream's chunked body has a line that is too long");
              if (got > 0)
                return got;
              if (!body_fill (self, blocking, cancellable, error))
                return -1;
              continue;
            }

          if (self->state == BODY_CHUNK_SIZE)
            {
              guint64 size = 0;

              if (!parse_chunk_size (conn->buf + conn->start, line, &size))
                return body_fail (self, error, G_IO_ERROR_INVALID_DATA, "The upstream's chunked body is malformed");
              self->remaining = size;
              self->state = size == 0 ? BODY_TRAILERS : BODY_CHUNK_DATA;
            }
          else if (self->state == BODY_CHUNK_END)
            {
              if (!body_line_is_empty (conn, line))
                return body_fail (self, error, G_IO_ERROR_INVALID_DATA, "The upstream's chunked body is malformed");
              self->state = BODY_CHUNK_SIZE;
            }
          else if (body_line_is_empty (conn, line))
            {
              self->state = BODY_DONE;
            }
          conn->start += line;
          break;

        case BODY_DONE:
        default:
          g_assert_not_reached ();
        }
    }
}

static gssize
pm_upstream_body_read (GInputStream  *stream,
                       void          *buffer,
                       gsize          count,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return body_read (PM_UPSTREAM_BODY (stream), buffer, count, TRUE, cancellable, error);
}

static gssize
pm_upstream_body_read_nonblocking (GPollableInputStream  *stream,
                                   void                  *buffer,
                                   gsize                  count,
                                   GError               **error)
{
  return body_read (PM_UPSTREAM_BODY (stream), buffer, count, FALSE, NULL, error);
}

static gboolean
pm_upstream_body_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
pm_upstream_body_is_readable (GPollableInputStream *stream)
{
  PmUpstreamBody *self = PM_UPSTREAM_BODY (stream);

  return body_ready (self) || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->conn->in));
}

static GSource *
pm_upstream_body_create_source (GPollableInputStream *stream,
                                GCancellable         *cancellable)
{
  PmUpstreamBody *self = PM_UPSTREAM_BODY (stream);
  g_autoptr(GSource) child = NULL;

  if (body_ready (self))
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->conn->in), NULL);
  return g_pollable_source_new_full (self, child, cancellable);
}

/* A body dropped before its end: its connection is reused only if the rest is already there. */
static gboolean
pm_upstream_body_close (GInputStream  *stream,
                        GCancellable  *cancellable,
                        GError       **error)
{
  PmUpstreamBody *self = PM_UPSTREAM_BODY (stream);
  gsize drained = 0;

  while (self->conn != NULL && self->state != BODY_DONE && drained < DRAIN_MAX)
    {
      guint8 scratch[4096];
      gssize n = body_read (self, scratch, sizeof scratch, FALSE, NULL, NULL);

      if (n <= 0)
        break;
      drained += n;
    }
  if (self->conn != NULL && self->state == BODY_DONE)
    {
      guint8 scratch[1];

      body_read (self, scratch, 0, FALSE, NULL, NULL);   /* gives the connection back */
    }
  g_clear_pointer (&self->conn, conn_close);
  return TRUE;
}

static void
pm_upstream_body_dispose (GObject *object)
{
  PmUpstreamBody *self = PM_UPSTREAM_BODY (object);

  G_OBJECT_CLASS (pm_upstream_body_parent_class)->dispose (object);   /* closes the stream */
  g_clear_pointer (&self->conn, conn_close);
  g_clear_object (&self->pool);
}

static void
pm_upstream_body_finalize (GObject *object)
{
  PmUpstreamBody *self = PM_UPSTREAM_BODY (object);

  g_free (self->reason);
  g_clear_pointer (&self->headers, soup_message_headers_unref);

  G_OBJECT_CLASS (pm_upstream_body_parent_class)->finalize (object);
}

static void
pm_upstream_body_class_init (PmUpstreamBodyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->dispose = pm_upstream_body_dispose;
  object_class->finalize = pm_upstream_body_finalize;
  stream_class->read_fn = pm_upstream_body_read;
  stream_class->close_fn = pm_upstream_body_close;
}

static void
pm_upstream_body_pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = pm_upstream_body_can_poll;
  iface->is_readable = pm_upstream_body_is_readable;
  iface->create_source = pm_upstream_body_create_source;
  iface->read_nonblocking = pm_upstream_body_read_nonblocking;
}

static void
pm_upstream_body_init (PmUpstreamBody *self)
{
}

guint
pm_upstream_body_get_status (PmUpstreamBody *self)
{
  g_return_val_if_fail (PM_IS_UPSTREAM_BODY (self), 0);

  return self->status;
}

const char *
pm_upstream_body_get_reason (PmUpstreamBody *self)
{
  g_return_val_if_fail (PM_IS_UPSTREAM_BODY (self), NULL);

  return self->reason;
}

SoupMessageHeaders *
pm_upstream_body_get_headers (PmUpstreamBody *self)
{
  g_return_val_if_fail (PM_IS_UPSTREAM_BODY (self), NULL);

  return self->headers;
}

/* Whether the answer came on a kept-alive connection that had carried a request before. */
gboolean
pm_upstream_body_get_reused (PmUpstreamBody *self)
{
  g_return_val_if_fail (PM_IS_UPSTREAM_BODY (self), FALSE);

  return self->reused;
}
