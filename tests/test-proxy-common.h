/* test-proxy-common.h — an HTTP client for the proxy and upstream tests (real loopback sockets)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "pm-sim-upstream.h"
#include "pm-sse.h"

typedef struct
{
  char *event;
  char *data;
} TestEvent;

typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;
  GString            *body;
  GPtrArray          *events;            /* TestEvent */
  PmSimUpstream      *observe;           /* optional: sampled at the first event */
  gint                streams_done_at_first_event;
  gint                events_sent_at_first_event;
  gboolean            done;
  GError             *error;
  /* internals */
  SoupMessage        *msg;
  GInputStream       *stream;
  PmSseParser        *parser;
} TestResponse;

static void
test_event_free (gpointer data)
{
  TestEvent *e = data;

  g_free (e->event);
  g_free (e->data);
  g_free (e);
}

static void
test_response_free (TestResponse *r)
{
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_string_free (r->body, TRUE);
  g_ptr_array_unref (r->events);
  g_clear_error (&r->error);
  g_clear_object (&r->msg);
  g_clear_object (&r->stream);
  g_clear_pointer (&r->parser, pm_sse_parser_free);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)

static gboolean
test_collect_event (const char *event,
                    const char *data,
                    gsize       data_len,
                    gpointer    user_data)
{
  TestResponse *r = user_data;
  TestEvent *e = g_new0 (TestEvent, 1);

  if (r->events->len == 0 && r->observe != NULL)
    {
      r->streams_done_at_first_event = pm_sim_upstream_get_n_streams_done (r->observe);
      r->events_sent_at_first_event = pm_sim_upstream_get_n_events_sent (r->observe);
    }

  e->event = g_strdup (event);
  e->data = g_strndup (data, data_len);
  g_ptr_array_add (r->events, e);

  return TRUE;
}

static void test_read_more (TestResponse *r);

static void
test_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TestResponse *r = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &r->error);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      /* Give the connection back to the session. */
      g_input_stream_close (r->stream, NULL, NULL);
      r->done = TRUE;
      return;
    }

  g_string_append_len (r->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  pm_sse_parser_feed (r->parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                      test_collect_event, r);
  test_read_more (r);
}

static void
test_read_more (TestResponse *r)
{
  g_input_stream_read_bytes_async (r->stream, 16384, G_PRIORITY_DEFAULT, NULL, test_read_cb, r);
}

static void
test_send_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TestResponse *r = user_data;

  r->stream = soup_session_send_finish (SOUP_SESSION (object), result, &r->error);
  if (r->stream == NULL)
    {
      r->done = TRUE;
      return;
    }
  r->status = soup_message_get_status (r->msg);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (r->msg));
  test_read_more (r);
}

static SoupSession *
test_session (void)
{
  static SoupSession *session;

  if (session == NULL)
    session = soup_session_new_with_options ("timeout", 30, "max-conns-per-host", 32, "max-conns", 64, NULL);
  return session;
}

/* headers: NULL-terminated name, value pairs. body NULL = GET. Starts the request; it runs
 * while the default main context is iterated, until ->done. */
static TestResponse *
test_request_begin (const char         *method,
                    const char         *url,
                    const char         *body,
                    gsize               body_len,
                    PmSimUpstream      *observe,
                    const char * const *headers)
{
  TestResponse *r = g_new0 (TestResponse, 1);
  SoupMessageHeaders *request_headers;

  r->body = g_string_new (NULL);
  r->events = g_ptr_array_new_with_free_func (test_event_free);
  r->parser = pm_sse_parser_new ();
  r->observe = observe;
  r->streams_done_at_first_event = -1;
  r->events_sent_at_first_event = -1;
  r->msg = soup_message_new (method, url);
  g_assert_nonnull (r->msg);

  request_headers = soup_message_get_request_headers (r->msg);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, body_len);

      soup_message_set_request_body_from_bytes (r->msg, "application/json", bytes);
    }

  soup_session_send_async (test_session (), r->msg, G_PRIORITY_DEFAULT, NULL, test_send_cb, r);

  return r;
}

static TestResponse *
test_request (const char         *method,
              const char         *url,
              const char         *body,
              gsize               body_len,
              PmSimUpstream      *observe,
              const char * const *headers)
{
  TestResponse *r = test_request_begin (method, url, body, body_len, observe, headers);

  while (!r->done)
    g_main_context_iteration (NULL, TRUE);

  return r;
}

static TestResponse *
test_post (const char         *base,
           const char         *path,
           const char         *body,
           PmSimUpstream      *observe,
           const char * const *headers)
{
  g_autofree char *url = g_strconcat (base, path, NULL);

  return test_request ("POST", url, body, strlen (body), observe, headers);
}

static TestResponse *
test_get (const char *base,
          const char *path)
{
  g_autofree char *url = g_strconcat (base, path, NULL);

  return test_request ("GET", url, NULL, 0, NULL, NULL);
}

static JsonNode *
test_response_json (TestResponse *r)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (r->body->str, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static JsonObject *
test_event_json (TestResponse *r,
                 guint         i,
                 JsonNode    **holder)
{
  TestEvent *e = g_ptr_array_index (r->events, i);

  *holder = json_from_string (e->data, NULL);
  g_assert_nonnull (*holder);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*holder));
  return json_node_get_object (*holder);
}

/* Concatenate the text a stream carried, whichever API it is in. */
static char *
test_stream_text (TestResponse *r)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < r->events->len; i++)
    {
      TestEvent *e = g_ptr_array_index (r->events, i);
      g_autoptr(JsonNode) node = NULL;
      JsonObject *o;

      if (g_str_equal (e->data, "[DONE]"))
        continue;
      node = json_from_string (e->data, NULL);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      o = json_node_get_object (node);

      if (json_object_has_member (o, "delta") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "delta")))
        {
          JsonObject *delta = json_object_get_object_member (o, "delta");

          if (json_object_has_member (delta, "text"))
            g_string_append (text, json_object_get_string_member (delta, "text"));
        }
      else if (g_strcmp0 (e->event, "response.output_text.delta") == 0)
        {
          g_string_append (text, json_object_get_string_member (o, "delta"));
        }
      else if (json_object_has_member (o, "choices"))
        {
          JsonArray *choices = json_object_get_array_member (o, "choices");

          if (json_array_get_length (choices) > 0)
            {
              JsonObject *delta = json_object_get_object_member (json_array_get_object_element (choices, 0), "delta");

              if (delta != NULL && json_object_has_member (delta, "content") &&
                  !JSON_NODE_HOLDS_NULL (json_object_get_member (delta, "content")))
                g_string_append (text, json_object_get_string_member (delta, "content"));
            }
        }
    }

  return g_string_free (text, FALSE);
}
