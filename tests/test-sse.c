/* test-sse.c — the incremental SSE parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-sse.h"

typedef struct
{
  GPtrArray *events;   /* "event|data" strings */
  guint      stop_after;
} Collect;

static gboolean
collect_cb (const char *event,
            const char *data,
            gsize       data_len,
            gpointer    user_data)
{
  Collect *c = user_data;

  g_assert_cmpuint (strlen (data), ==, data_len);
  g_ptr_array_add (c->events, g_strdup_printf ("%s|%s", event ? event : "(null)", data));

  return c->stop_after == 0 || c->events->len < c->stop_after;
}

static void
collect_init (Collect *c)
{
  c->events = g_ptr_array_new_with_free_func (g_free);
  c->stop_after = 0;
}

static void
collect_clear (Collect *c)
{
  g_clear_pointer (&c->events, g_ptr_array_unref);
}

static const char *anthropic_stream =
  "event: message_start\n"
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}\n"
  "\n"
  "event: ping\n"
  "data: {\"type\": \"ping\"}\n"
  "\n"
  ": a comment line\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"a\\nb\"}}\n"
  "\n"
  "event: message_stop\n"
  "data: {\"type\":\"message_stop\"}\n"
  "\n";

static void
check_anthropic (Collect *c)
{
  g_assert_cmpuint (c->events->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (c->events, 0), ==,
                   "message_start|{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}");
  g_assert_cmpstr (g_ptr_array_index (c->events, 1), ==, "ping|{\"type\": \"ping\"}");
  g_assert_cmpstr (g_ptr_array_index (c->events, 2), ==,
                   "content_block_delta|{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"a\\nb\"}}");
  g_assert_cmpstr (g_ptr_array_index (c->events, 3), ==, "message_stop|{\"type\":\"message_stop\"}");
}

static void
test_whole (void)
{
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  Collect c;

  collect_init (&c);
  g_assert_true (pm_sse_parser_feed (parser, anthropic_stream, strlen (anthropic_stream), collect_cb, &c));
  check_anthropic (&c);
  g_assert_cmpuint (pm_sse_parser_pending (parser), ==, 0);
  collect_clear (&c);
}

/* Every split point, and byte-by-byte: the same events come out. */
static void
test_split_everywhere (void)
{
  gsize len = strlen (anthropic_stream);

  for (gsize split = 0; split <= len; split++)
    {
      g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
      Collect c;

      collect_init (&c);
      pm_sse_parser_feed (parser, anthropic_stream, split, collect_cb, &c);
      pm_sse_parser_feed (parser, anthropic_stream + split, len - split, collect_cb, &c);
      check_anthropic (&c);
      collect_clear (&c);
    }

  {
    g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
    Collect c;

    collect_init (&c);
    for (gsize i = 0; i < len; i++)
      pm_sse_parser_feed (parser, anthropic_stream + i, 1, collect_cb, &c);
    check_anthropic (&c);
    collect_clear (&c);
  }
}

static void
test_line_endings (void)
{
  const char *crlf = "event: a\r\ndata: 1\r\n\r\ndata: 2\r\r";
  const char *cr_split[] = { "event: b\r", "\ndata: x\r", "\n\r", "\n" };
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  g_autoptr(PmSseParser) parser2 = pm_sse_parser_new ();
  Collect c;

  collect_init (&c);
  pm_sse_parser_feed (parser, crlf, strlen (crlf), collect_cb, &c);
  g_assert_cmpuint (c.events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (c.events, 0), ==, "a|1");
  g_assert_cmpstr (g_ptr_array_index (c.events, 1), ==, "(null)|2");
  collect_clear (&c);

  /* \r\n split across feeds must not produce an extra blank line (which would dispatch early). */
  collect_init (&c);
  for (guint i = 0; i < G_N_ELEMENTS (cr_split); i++)
    pm_sse_parser_feed (parser2, cr_split[i], strlen (cr_split[i]), collect_cb, &c);
  g_assert_cmpuint (c.events->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (c.events, 0), ==, "b|x");
  collect_clear (&c);
}

static void
test_multiline_and_fields (void)
{
  const char *input =
    "data:no-space\n"
    "data:  two spaces\n"
    "id: 7\n"
    "retry: 100\n"
    "unknown: x\n"
    "\n"
    "event: only-event\n"
    "\n"
    "data\n"
    "\n"
    "data: [DONE]\n"
    "\n"
    "data: trailing-without-blank\n";
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  Collect c;

  collect_init (&c);
  pm_sse_parser_feed (parser, input, strlen (input), collect_cb, &c);
  /* The event with only an event: field has no data and is not dispatched; its name does not
   * leak into the next event. A bare "data" line is an empty data value. */
  g_assert_cmpuint (c.events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (c.events, 0), ==, "(null)|no-space\n two spaces");
  g_assert_cmpstr (g_ptr_array_index (c.events, 1), ==, "(null)|");
  g_assert_cmpstr (g_ptr_array_index (c.events, 2), ==, "(null)|[DONE]");
  g_assert_cmpuint (pm_sse_parser_pending (parser), >, 0);
  collect_clear (&c);
}

static void
test_stop (void)
{
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  Collect c;

  collect_init (&c);
  c.stop_after = 2;
  g_assert_false (pm_sse_parser_feed (parser, anthropic_stream, strlen (anthropic_stream), collect_cb, &c));
  g_assert_cmpuint (c.events->len, ==, 2);
  /* The rest stays buffered and parses on the next feed. */
  g_assert_cmpuint (pm_sse_parser_pending (parser), >, 0);
  c.stop_after = 0;
  g_assert_true (pm_sse_parser_feed (parser, "", 0, collect_cb, &c));
  g_assert_true (pm_sse_parser_feed (parser, "\n", 1, collect_cb, &c));
  g_assert_cmpuint (c.events->len, ==, 4);
  collect_clear (&c);
}

static void
test_bom (void)
{
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  Collect c;

  collect_init (&c);
  pm_sse_parser_feed (parser, "\xEF", 1, collect_cb, &c);
  pm_sse_parser_feed (parser, "\xBB\xBF" "event: e\ndata: d\n\n", 20, collect_cb, &c);
  g_assert_cmpuint (c.events->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (c.events, 0), ==, "e|d");
  collect_clear (&c);
}

static void
test_append_roundtrip (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  Collect c;

  pm_sse_append_event (out, "message_delta", "{\"a\":1}");
  pm_sse_append_event (out, NULL, "line1\nline2");
  pm_sse_append_event (out, NULL, "[DONE]");
  g_assert_cmpstr (out->str, ==,
                   "event: message_delta\ndata: {\"a\":1}\n\n"
                   "data: line1\ndata: line2\n\n"
                   "data: [DONE]\n\n");

  collect_init (&c);
  pm_sse_parser_feed (parser, out->str, out->len, collect_cb, &c);
  g_assert_cmpuint (c.events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (c.events, 0), ==, "message_delta|{\"a\":1}");
  g_assert_cmpstr (g_ptr_array_index (c.events, 1), ==, "(null)|line1\nline2");
  g_assert_cmpstr (g_ptr_array_index (c.events, 2), ==, "(null)|[DONE]");
  collect_clear (&c);
}

/* A large event arriving in small pieces (multi-megabyte tool results stream this way). */
static void
test_large_event (void)
{
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  g_autoptr(GString) wire = g_string_new (NULL);
  g_autofree char *payload = g_malloc (1024 * 1024 + 1);
  Collect c;

  memset (payload, 'x', 1024 * 1024);
  payload[1024 * 1024] = '\0';
  pm_sse_append_event (wire, "big", payload);

  collect_init (&c);
  for (gsize off = 0; off < wire->len; off += 4093)
    pm_sse_parser_feed (parser, wire->str + off, MIN (4093, wire->len - off), collect_cb, &c);
  g_assert_cmpuint (c.events->len, ==, 1);
  g_assert_cmpuint (strlen (g_ptr_array_index (c.events, 0)), ==, strlen ("big|") + 1024 * 1024);
  g_assert_cmpuint (pm_sse_parser_pending (parser), ==, 0);
  collect_clear (&c);
}

/* Random input from a small alphabet (so line endings, colons and field names are frequent):
 * however it is cut into feeds, the same events come out. */
static void
test_random_splits (void)
{
  static const char *pieces[] = { "data", "event", ":", " ", "x", "{\"a\":1}", "\n", "\r", "\r\n", "id: 1", "retry", "\xEF\xBB\xBF" };
  GRand *rand = g_rand_new_with_seed (20261124);

  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(GString) input = g_string_new (NULL);
      g_autoptr(PmSseParser) whole = pm_sse_parser_new ();
      Collect a;
      Collect b;

      for (guint i = 0; i < 60; i++)
        g_string_append (input, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);

      collect_init (&a);
      pm_sse_parser_feed (whole, input->str, input->len, collect_cb, &a);

      collect_init (&b);
      {
        g_autoptr(PmSseParser) split = pm_sse_parser_new ();
        gsize off = 0;

        while (off < input->len)
          {
            /* Draw first: MIN evaluates its arguments twice, and a second draw could pass the
             * end of the input (valgrind: uninitialised bytes fed to the parser). */
            gsize piece = g_rand_int_range (rand, 1, 9);
            gsize n = MIN (piece, input->len - off);

            pm_sse_parser_feed (split, input->str + off, n, collect_cb, &b);
            off += n;
          }
      }

      g_assert_cmpuint (a.events->len, ==, b.events->len);
      for (guint i = 0; i < a.events->len; i++)
        g_assert_cmpstr (g_ptr_array_index (a.events, i), ==, g_ptr_array_index (b.events, i));
      collect_clear (&a);
      collect_clear (&b);
    }

  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/sse/whole", test_whole);
  g_test_add_func ("/pm/sse/split-everywhere", test_split_everywhere);
  g_test_add_func ("/pm/sse/line-endings", test_line_endings);
  g_test_add_func ("/pm/sse/multiline-and-fields", test_multiline_and_fields);
  g_test_add_func ("/pm/sse/stop", test_stop);
  g_test_add_func ("/pm/sse/bom", test_bom);
  g_test_add_func ("/pm/sse/append-roundtrip", test_append_roundtrip);
  g_test_add_func ("/pm/sse/large-event", test_large_event);
  g_test_add_func ("/pm/sse/random-splits", test_random_splits);

  return g_test_run ();
}
