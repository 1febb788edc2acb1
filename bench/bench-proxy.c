/* bench-proxy.c — what a proxy adds on the way to the upstream: time to first byte, total
 * time, per-event relay latency; plus a plain request pump for the memory figures
 *
 *   bench-proxy ttfb  --target NAME=URL [--target …] [--rounds 200]
 *   bench-proxy relay --target NAME=URL [--target …] [--rounds 5]
 *   bench-proxy pump  --target NAME=URL [--count 10000] [--concurrency 16]
 *   bench-proxy stamp-upstream [--events 2000] [--gap-us 500]
 *
 * ttfb and relay go through the targets interleaved (A B C A B C …), one fresh loopback TCP
 * connection per request (Connection: close), blocking sockets, CLOCK_MONOTONIC. A request is
 * an Anthropic streaming /v1/messages POST. Time to first byte: from connect () to the first
 * "data:" of the event stream; total: to the arrival of "message_stop".
 *
 * stamp-upstream is a minimal Anthropic streaming upstream whose text deltas carry the
 * CLOCK_MONOTONIC time at which each event was written ("S<ns>E"); relay reads them back and
 * takes arrival − emission per event (same host, same clock). It prints its URL on the first
 * line of standard output and serves until killed.
 *
 * Output: one Markdown table per mode on standard output. A benchmark, not a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <glib.h>

#define BENCH_KEY "test-key-not-real-bench-31337"

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *values,
            double  p)
{
  guint i;

  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_gint64);
  i = (guint) (p * (values->len - 1) + 0.5);
  return g_array_index (values, gint64, MIN (i, values->len - 1));
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/* ---- targets ---- */

typedef struct
{
  char   *name;
  char   *host;
  guint   port;
  char   *path;
  GArray *ttfb;       /* ns */
  GArray *total;      /* ns */
  GArray *relay;      /* ns per event */
  guint   failures;
} Target;

static Target *
target_parse (const char *spec)
{
  const char *eq = strchr (spec, '=');
  const char *url, *rest, *slash, *colon;
  Target *t;

  if (eq == NULL || !g_str_has_prefix (eq + 1, "http://"))
    return NULL;
  t = g_new0 (Target, 1);
  t->name = g_strndup (spec, eq - spec);
  url = eq + 1;
  rest = url + strlen ("http://");
  slash = strchr (rest, '/');
  colon = strchr (rest, ':');
  if (colon == NULL || (slash != NULL && colon > slash))
    return NULL;
  t->host = g_strndup (rest, colon - rest);
  t->port = atoi (colon + 1);
  t->path = g_strdup (slash != NULL && slash[1] != '\0' ? slash : "/v1/messages");
  t->ttfb = g_array_new (FALSE, FALSE, sizeof (gint64));
  t->total = g_array_new (FALSE, FALSE, sizeof (gint64));
  t->relay = g_array_new (FALSE, FALSE, sizeof (gint64));
  return t;
}

static int
connect_to (const Target *t)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  int one = 1;

  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (t->port);
  inet_pton (AF_INET, t->host, &addr.sin_addr);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static const char *request_body =
  "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"stream\":true,"
  "\"metadata\":{\"user_id\":\"user_b_account_c_session_bench-proxy\"},"
  "\"system\":\"You are a coding assistant.\","
  "\"messages\":[{\"role\":\"user\",\"content\":\"Explain what the build does, briefly.\"}]}";

static char *
request_text (const Target *t)
{
  return g_strdup_printf ("POST %s HTTP/1.1\r\nHost: %s:%u\r\nContent-Type: application/json\r\n"
                          "x-api-key: %s\r\nanthropic-version: 2023-06-01\r\n"
                          "User-Agent: claude-cli/2.1.39 (external, cli)\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                          t->path, t->host, t->port, BENCH_KEY, strlen (request_body), request_body);
}

static const char *
chunk_tail (char    *chunk,
            ssize_t  n)
{
  /* the read buffer as a string (it has room: reads ask for one byte less) */
  chunk[n] = '\0';
  return chunk;
}

/* The response body as it arrives: headers skipped, chunked framing removed. */
typedef struct
{
  GString *raw;        /* until the end of the headers */
  GString *body;
  gboolean in_body;
  gboolean chunked;
  gsize    chunk_left; /* data bytes left in the current chunk */
  GString *line;       /* a chunk-size line being read */
  int      crlf_left;  /* bytes of the CRLF after a chunk's data still to skip */
} Decoder;

static void
decoder_feed (Decoder    *d,
              const char *data,
              gsize       len)
{
  if (!d->in_body)
    {
      const char *end;

      g_string_append_len (d->raw, data, len);
      end = strstr (d->raw->str, "\r\n\r\n");
      if (end == NULL)
        return;
      d->in_body = TRUE;
      d->chunked = g_strstr_len (d->raw->str, end - d->raw->str, "hunked") != NULL;
      end += 4;
      data = end;
      len = d->raw->len - (end - d->raw->str);
    }
  if (!d->chunked)
    {
      g_string_append_len (d->body, data, len);
      return;
    }
  while (len > 0)
    {
      if (d->crlf_left > 0)
        {
          d->crlf_left--;
          data++, len--;
        }
      else if (d->chunk_left > 0)
        {
          gsize n = MIN (len, d->chunk_left);

          g_string_append_len (d->body, data, n);
          d->chunk_left -= n;
          data += n, len -= n;
          if (d->chunk_left == 0)
            d->crlf_left = 2;
        }
      else
        {
          g_string_append_c (d->line, *data);
          data++, len--;
          if (g_str_has_suffix (d->line->str, "\r\n"))
            {
              d->chunk_left = strtoul (d->line->str, NULL, 16);
              g_string_truncate (d->line, 0);
            }
        }
    }
}

/* One request; fills ttfb/total (ns from connect); with relay != NULL, the per-event latency
 * of every "S<ns>E" stamp in the stream. Returns FALSE on a failure. */
static gboolean
one_request (const Target *t,
             gint64       *ttfb,
             gint64       *total,
             GArray       *relay)
{
  g_autofree char *req = request_text (t);
  Decoder dec = { g_string_new (NULL), g_string_sized_new (65536), FALSE, FALSE, 0, g_string_new (NULL), 0 };
  GString *buf = dec.body;
  gsize scanned = 0;
  gint64 t0 = now_ns ();
  gboolean ok = FALSE;
  gboolean ended = FALSE;
  char chunk[16384];
  int fd = -1;

  *ttfb = *total = 0;
  fd = connect_to (t);
  if (fd < 0)
    goto out;
  if (!write_all (fd, req, strlen (req)))
    goto out;

  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk - 1);
      gsize before = buf->len;
      gint64 at;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      at = now_ns ();
      decoder_feed (&dec, chunk, n);

      if (*ttfb == 0 && strstr (buf->str, "data:") != NULL)
        *ttfb = at - t0;
      if (relay != NULL)
        {
          /* a stamp cut by the read stays unscanned until the rest arrives */
          const char *p = buf->str + scanned;

          while ((p = strchr (p, 'S')) != NULL)
            {
              char *end = NULL;
              gint64 stamp;

              if (!g_ascii_isdigit (p[1]))
                {
                  p++;
                  continue;
                }
              stamp = g_ascii_strtoll (p + 1, &end, 10);
              if (*end == '\0')
                break;   /* incomplete: read more */
              if (*end == 'E' && stamp > 0)
                {
                  gint64 d = at - stamp;

                  g_array_append_val (relay, d);
                }
              p = end;
            }
          scanned = p != NULL ? (gsize) (p - buf->str) : buf->len;
        }
      if (*total == 0 && strstr (buf->str + (before > 32 ? before - 32 : 0), "message_stop") != NULL)
        *total = at - t0;
      /* Not every server closes on "Connection: close" at once: stop at the end of the
       * stream (the last chunk, or the blank line after message_stop). */
      if (*total > 0 && (dec.chunked ? g_str_has_suffix (chunk_tail (chunk, n), "0\r\n\r\n") : g_str_has_suffix (buf->str, "\n\n")))
        {
          ended = TRUE;
          break;
        }
    }
  ok = g_str_has_prefix (dec.raw->str, "HTTP/1.1 200") && *ttfb > 0 && *total > 0;
  if (!ok && g_getenv ("BENCH_VERBOSE") != NULL)
    fprintf (stderr, "%s: %.300s\n", t->name, dec.raw->str);
  (void) ended;

out:
  if (fd >= 0)
    close (fd);
  g_string_free (dec.raw, TRUE);
  g_string_free (dec.body, TRUE);
  g_string_free (dec.line, TRUE);
  return ok;
}

/* ---- stamp upstream ---- */

static int stamp_events = 2000;
static int stamp_gap_us = 500;

static gpointer
stamp_serve (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  g_autoptr(GString) in = g_string_new (NULL);
  char chunk[16384];
  const char *head_end = NULL;
  gsize need = 0;
  int one = 1;

  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);

      if (n <= 0)
        goto done;
      g_string_append_len (in, chunk, n);
      head_end = strstr (in->str, "\r\n\r\n");
      if (head_end != NULL)
        {
          const char *cl = g_strstr_len (in->str, head_end - in->str, "ontent-Length:");

          if (cl == NULL)
            cl = g_strstr_len (in->str, head_end - in->str, "ontent-length:");
          need = (head_end + 4 - in->str) + (cl != NULL ? strtoul (cl + 14, NULL, 10) : 0);
          if (in->len >= need)
            break;
        }
    }

  {
    static const char *head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                              "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    g_autoptr(GString) ev = g_string_new (NULL);

    if (!write_all (fd, head, strlen (head)))
      goto done;
#define EMIT(...) G_STMT_START { \
      g_autofree char *payload = g_strdup_printf (__VA_ARGS__); \
      g_string_printf (ev, "%zx\r\n%s\r\n", strlen (payload), payload); \
      if (!write_all (fd, ev->str, ev->len)) \
        goto done; \
    } G_STMT_END
    EMIT ("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_bench\",\"type\":\"message\","
          "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,"
          "\"stop_sequence\":null,\"usage\":{\"input_tokens\":40,\"output_tokens\":1,"
          "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}\n\n");
    EMIT ("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
          "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
    for (int i = 0; i < stamp_events; i++)
      {
        if (stamp_gap_us > 0)
          g_usleep (stamp_gap_us);
        EMIT ("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
              "\"delta\":{\"type\":\"text_delta\",\"text\":\"S%" G_GINT64_FORMAT "E \"}}\n\n", now_ns ());
      }
    EMIT ("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    EMIT ("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
          "\"stop_sequence\":null},\"usage\":{\"output_tokens\":%d}}\n\n", stamp_events * 8);
    EMIT ("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
#undef EMIT
    write_all (fd, "0\r\n\r\n", 5);
  }

done:
  close (fd);
  return NULL;
}

static int
run_stamp_upstream (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int one = 1;
  int lfd = socket (AF_INET, SOCK_STREAM, 0);

  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (lfd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (lfd, 512) < 0)
    {
      perror ("stamp-upstream");
      return 1;
    }
  getsockname (lfd, (struct sockaddr *) &addr, &len);
  printf ("http://127.0.0.1:%u\n", ntohs (addr.sin_port));
  fflush (stdout);
  for (;;)
    {
      int fd = accept (lfd, NULL, NULL);

      if (fd < 0)
        continue;
      g_thread_unref (g_thread_new ("stamp", stamp_serve, GINT_TO_POINTER (fd)));
    }
  return 0;
}

/* ---- pump ---- */

typedef struct
{
  Target *target;
  gint    remaining;
  gint    failures;
} Pump;

static gpointer
pump_thread (gpointer data)
{
  Pump *pump = data;

  while (g_atomic_int_add (&pump->remaining, -1) > 0)
    {
      gint64 a, b;

      if (!one_request (pump->target, &a, &b, NULL))
        g_atomic_int_inc (&pump->failures);
    }
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("ttfb|relay|pump|stamp-upstream — proxy benchmarks");
  g_auto(GStrv) specs = NULL;
  int rounds = 0, count = 10000, concurrency = 16;
  GOptionEntry entries[] = {
    { "target", 't', 0, G_OPTION_ARG_STRING_ARRAY, &specs, "A target, NAME=http://127.0.0.1:PORT[/path]", "SPEC" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Requests per target (ttfb 200, relay 5)", "N" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "pump: requests in all (10000)", "N" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &concurrency, "pump: connections at once (16)", "N" },
    { "events", 0, 0, G_OPTION_ARG_INT, &stamp_events, "stamp-upstream: text events per stream (2000)", "N" },
    { "gap-us", 0, 0, G_OPTION_ARG_INT, &stamp_gap_us, "stamp-upstream: µs between events (500)", "US" },
    { NULL }
  };
  g_autoptr(GPtrArray) targets = g_ptr_array_new ();
  const char *mode;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      g_printerr ("usage: bench-proxy ttfb|relay|pump|stamp-upstream [options] (%s)\n",
                  error != NULL ? error->message : "no mode");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  mode = argv[1];
  if (g_str_equal (mode, "stamp-upstream"))
    return run_stamp_upstream ();

  for (guint i = 0; specs != NULL && specs[i] != NULL; i++)
    {
      Target *t = target_parse (specs[i]);

      if (t == NULL)
        {
          g_printerr ("bench-proxy: bad target %s\n", specs[i]);
          return 2;
        }
      g_ptr_array_add (targets, t);
    }
  if (targets->len == 0)
    {
      g_printerr ("bench-proxy: no --target\n");
      return 2;
    }

  if (g_str_equal (mode, "pump"))
    {
      Pump pump = { g_ptr_array_index (targets, 0), count, 0 };
      g_autoptr(GPtrArray) threads = g_ptr_array_new ();
      gint64 t0 = now_ns ();

      for (int i = 0; i < concurrency; i++)
        g_ptr_array_add (threads, g_thread_new ("pump", pump_thread, &pump));
      for (guint i = 0; i < threads->len; i++)
        g_thread_join (g_ptr_array_index (threads, i));
      printf ("pump: %d requests, %d failed, %.2f s\n", count, pump.failures, (now_ns () - t0) / 1e9);
      return pump.failures > 0 ? 1 : 0;
    }

  if (g_str_equal (mode, "ttfb") || g_str_equal (mode, "relay"))
    {
      gboolean relay = g_str_equal (mode, "relay");
      Target *base = g_ptr_array_index (targets, 0);

      if (rounds <= 0)
        rounds = relay ? 5 : 200;
      /* warm-up: one request each (connection pools, JIT) */
      for (guint i = 0; i < targets->len; i++)
        {
          Target *t = g_ptr_array_index (targets, i);
          g_autoptr(GArray) scratch = g_array_new (FALSE, FALSE, sizeof (gint64));
          gint64 a, b;

          for (int k = 0; k < (relay ? 1 : 20); k++)
            one_request (t, &a, &b, relay ? scratch : NULL);
        }
      for (int r = 0; r < rounds; r++)
        for (guint i = 0; i < targets->len; i++)
          {
            Target *t = g_ptr_array_index (targets, i);
            gint64 a, b;

            if (one_request (t, &a, &b, relay ? t->relay : NULL))
              {
                g_array_append_val (t->ttfb, a);
                g_array_append_val (t->total, b);
              }
            else
              t->failures++;
          }

      if (!relay)
        {
          double b50 = percentile (base->ttfb, 0.5), bt50 = percentile (base->total, 0.5);

          printf ("| path | n | failed | TTFB p50 (ms) | TTFB p99 (ms) | added TTFB p50 (ms) | total p50 (ms) | total p99 (ms) | added total p50 (ms) |\n");
          printf ("|---|---|---|---|---|---|---|---|---|\n");
          for (guint i = 0; i < targets->len; i++)
            {
              Target *t = g_ptr_array_index (targets, i);
              double t50 = percentile (t->ttfb, 0.5), tt50 = percentile (t->total, 0.5);

              printf ("| %s | %u | %u | %.3f | %.3f | %s%.3f | %.3f | %.3f | %s%.3f |\n", t->name, t->ttfb->len, t->failures,
                      t50 / 1e6, percentile (t->ttfb, 0.99) / 1e6, t == base ? "(baseline) " : "", (t50 - b50) / 1e6,
                      tt50 / 1e6, percentile (t->total, 0.99) / 1e6, t == base ? "(baseline) " : "", (tt50 - bt50) / 1e6);
            }
        }
      else
        {
          double b50 = percentile (base->relay, 0.5);

          printf ("| path | streams | events | failed | relay p50 (µs) | relay p99 (µs) | relay max (µs) | added p50 (µs) | stream total p50 (ms) |\n");
          printf ("|---|---|---|---|---|---|---|---|---|\n");
          for (guint i = 0; i < targets->len; i++)
            {
              Target *t = g_ptr_array_index (targets, i);
              double r50 = percentile (t->relay, 0.5);

              printf ("| %s | %u | %u | %u | %.0f | %.0f | %.0f | %s%.0f | %.1f |\n", t->name, t->total->len, t->relay->len,
                      t->failures, r50 / 1e3, percentile (t->relay, 0.99) / 1e3, percentile (t->relay, 1.0) / 1e3,
                      t == base ? "(baseline) " : "", (r50 - b50) / 1e3, percentile (t->total, 0.5) / 1e6);
            }
        }
      return 0;
    }

  g_printerr ("bench-proxy: unknown mode %s\n", mode);
  return 2;
}
