/* bench-load.c — N concurrent streaming requests through `pointsman-cli serve` on loopback,
 * against the scripted upstream; errors, peak concurrency and the proxy's memory per round
 *
 *   build/bench/bench-load [--streams 500] [--rounds 3] [--step 2 | --burst] [--idle-ms 1500]
 *                          [--log-items 10000] [--cli PATH]
 *
 * Each round opens --streams Anthropic streaming requests (ramped up by --step connections
 * every 5 ms, or all at once with --burst) whose replies stream ~60 events 40 ms apart, so all
 * of them are open at the same time. The proxy runs as a subprocess with its own SQLite log;
 * its RSS is read from /proc after every round, and again --idle-ms later (nothing in flight:
 * what the proxy keeps rather than what the round needed). A benchmark, not a test: it prints a Markdown
 * table (results go to docs/HARDENING.md), then whether memory is bounded once the proxy's request
 * log is full (--log-items records, 10,000 in serve): the least-squares slope of the idle RSS over
 * those rounds, over their second half, and the range it moved in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <glib/gstdio.h>

#include "pm-sim-upstream.h"
#include "../tests/test-hardening-load.h"

#define BENCH_KEY "test-key-not-real-bench-31337"

static long
proc_status_kb (const char *pid,
                const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], field))
      return strtol (lines[i] + strlen (field) + 1, NULL, 10);
  return -1;
}

/* Least-squares slope of y[from..to] (inclusive) against the index. */
static double
slope (const double *y,
       int           from,
       int           to)
{
  double n = to - from + 1, sx = 0, sy = 0, sxx = 0, sxy = 0;

  if (to <= from)
    return 0.0;
  for (int i = from; i <= to; i++)
    {
      sx += i;
      sy += y[i];
      sxx += (double) i * i;
      sxy += i * y[i];
    }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

/* What the idle RSS did past the full log: rounds first..last (1-based). */
static void
print_bounded (const double *idle_mib,
               int           first,
               int           last,
               int           streams)
{
  double lo = G_MAXDOUBLE, hi = 0.0, s_all, s_half;
  int mid = first + (last - first + 1) / 2;

  if (last - first < 3)
    {
      printf ("\nPast the full log: too few rounds (the log is full at round %d)\n", first);
      return;
    }
  for (int i = first; i <= last; i++)
    {
      lo = MIN (lo, idle_mib[i]);
      hi = MAX (hi, idle_mib[i]);
    }
  s_all = slope (idle_mib, first, last);
  s_half = slope (idle_mib, mid, last);
  printf ("\nPast the full log, idle RSS over rounds %d–%d (%d requests): %.1f–%.1f MiB "
          "(range %.1f); slope %+.3f MiB per round (%+.2f kB per request); "
          "second half (rounds %d–%d): %+.3f MiB per round (%+.2f kB per request)\n",
          first, last, (last - first + 1) * streams, lo, hi, hi - lo,
          s_all, s_all * 1024.0 / streams, mid, last, s_half, s_half * 1024.0 / streams);
}

typedef struct
{
  LoadRun    *run;
  const char *url;
  guint       total;
  guint       started;
  guint       step;
  guint       peak_open;
  guint       source;
} Ramp;

static gboolean
ramp_cb (gpointer data)
{
  Ramp *ramp = data;
  static const char * const headers[] = {
    "anthropic-version", "2023-06-01",
    "user-agent", "claude-cli/2.1.328 (external, cli)",
    NULL,
  };

  for (guint i = 0; i < ramp->step && ramp->started < ramp->total; i++)
    {
      g_autofree char *body = g_strdup_printf (
        "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":256,\"stream\":true,"
        "\"metadata\":{\"user_id\":\"user_b_account_c_session_bench-%u\"},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"Stream number %u: explain the build.\"}]}",
        ramp->started % 50, ramp->started);

      load_run_start (ramp->run, ramp->url, body, headers);
      ramp->started++;
    }

  return ramp->started < ramp->total ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
sample_cb (gpointer data)
{
  Ramp *ramp = data;
  guint open = ramp->started - ramp->run->n_done;

  ramp->peak_open = MAX (ramp->peak_open, open);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- streaming load through the proxy");
  int streams = 500;
  int rounds = 3;
  int step = 2;
  int idle_ms = 1500;
  int log_items = 10000;
  gboolean burst = FALSE;
  g_autofree char *cli = NULL;
  GOptionEntry entries[] = {
    { "streams", 'n', 0, G_OPTION_ARG_INT, &streams, "Concurrent streams per round", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Rounds", "N" },
    { "step", 0, 0, G_OPTION_ARG_INT, &step, "New connections every 5 ms during the ramp (default 2)", "N" },
    { "burst", 0, 0, G_OPTION_ARG_NONE, &burst, "Open all connections at once (no ramp)", NULL },
    { "idle-ms", 0, 0, G_OPTION_ARG_INT, &idle_ms, "After each round, wait this long and read the proxy's RSS again (default 1500)", "MS" },
    { "log-items", 0, 0, G_OPTION_ARG_INT, &log_items, "The proxy's request log holds this many records (default 10000, as serve)", "N" },
    { "cli", 0, 0, G_OPTION_ARG_FILENAME, &cli, "pointsman-cli to run", "PATH" },
    { NULL }
  };
  g_autoptr(PmSimUpstream) sim = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *config = NULL;
  g_autofree char *sim_url = NULL;
  g_autofree char *messages_url = NULL;
  const char *env[] = { "PM_HARDENING_KEY=" BENCH_KEY, NULL };
  const char *pid;
  Serve *serve;
  long rss_start;
  g_autofree double *idle_mib = NULL;
  int log_full_round;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (streams < 1 || rounds < 1 || log_items < 1)
    {
      g_printerr ("--streams, --rounds and --log-items must be at least 1\n");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  idle_mib = g_new0 (double, rounds + 1);
  /* The first round that ends with the log full (and dropping its oldest records). */
  log_full_round = (log_items + streams - 1) / streams;

  if (cli != NULL)
    g_setenv ("PM_BUILD_DIR", "", TRUE);
  else if (g_getenv ("PM_BUILD_DIR") == NULL)
    {
      /* bench/bench-load next to src/cli/pointsman-cli in the build tree */
      g_autofree char *self_dir = g_path_get_dirname (argv[0]);
      g_autofree char *build = g_build_filename (self_dir, "..", NULL);

      g_setenv ("PM_BUILD_DIR", build, TRUE);
    }

  dir = g_dir_make_tmp ("pointsman-bench-XXXXXX", &error);
  g_assert_no_error (error);
  db_path = g_build_filename (dir, "requests.db", NULL);

  sim = pm_sim_upstream_new ();
  if (!pm_sim_upstream_start (sim, 0, &error))
    {
      g_printerr ("sim: %s\n", error->message);
      return 1;
    }
  pm_sim_upstream_set_required_key (sim, BENCH_KEY);
  sim_url = pm_sim_upstream_dup_url (sim);
  config = serve_write_config (dir, sim_url, db_path);

  if (cli != NULL)
    {
      /* serve_start looks in PM_BUILD_DIR/src/cli: point it at the given binary's tree. */
      g_autofree char *cli_dir = g_path_get_dirname (cli);
      g_autofree char *build = g_build_filename (cli_dir, "..", "..", NULL);

      g_setenv ("PM_BUILD_DIR", build, TRUE);
    }
  serve = serve_start (config, db_path, env, 0);
  pid = g_subprocess_get_identifier (serve->process);
  messages_url = g_strconcat (serve->url, "/v1/messages", NULL);
  rss_start = proc_status_kb (pid, "VmRSS:");

  printf ("| round | streams | peak open | complete | errors | wall s | proxy RSS MiB (peak) | idle RSS MiB |\n");
  printf ("|---|---|---|---|---|---|---|---|\n");
  printf ("| start | – | – | – | – | – | %.1f | – |\n", rss_start / 1024.0);

  for (int round = 1; round <= rounds; round++)
    {
      Ramp ramp = { 0 };
      guint complete = 0, errors = 0;
      guint sample;
      gint64 t0 = g_get_monotonic_time ();

      for (int i = 0; i < streams; i++)
        {
          g_autoptr(PmSimReply) reply = pm_sim_reply_new (
            "Streaming a long answer, piece by piece, so that every request of the round is open "
            "at the same time as all the others; the proxy relays each event as it arrives, "
            "translating nothing here, and records usage and cost at the end of each stream. "
            "This is the last sentence of a reply long enough for sixty events or so.");

          pm_sim_reply_set_delays (reply, 0, 40);
          pm_sim_upstream_push_reply (sim, reply);
        }

      ramp.run = load_run_new (streams + 16);
      ramp.url = messages_url;
      ramp.total = streams;
      ramp.step = burst ? streams : MAX (step, 1);
      ramp_cb (&ramp);
      if (ramp.started < ramp.total)
        ramp.source = g_timeout_add (5, ramp_cb, &ramp);
      sample = g_timeout_add (10, sample_cb, &ramp);
      load_run_wait (ramp.run, streams);
      g_source_remove (sample);

      for (guint i = 0; i < ramp.run->items->len; i++)
        {
          LoadItem *item = g_ptr_array_index (ramp.run->items, i);

          if (item->complete)
            complete++;
          else
            {
              if (errors < 3)
                fprintf (stderr, "round %d: status %u %s\n", round, item->status,
                         item->error ? item->error->message : item->body->str);
              errors++;
            }
        }
      {
        double wall = (g_get_monotonic_time () - t0) / 1e6;
        long rss = proc_status_kb (pid, "VmRSS:");
        long hwm = proc_status_kb (pid, "VmHWM:");
        gint64 until = g_get_monotonic_time () + (gint64) MAX (idle_ms, 0) * 1000;
        long idle;

        /* The same proxy with nothing in flight: what it keeps, not what the round needed. */
        while (g_get_monotonic_time () < until)
          {
            while (g_main_context_iteration (NULL, FALSE))
              ;
            g_usleep (10 * 1000);
          }
        idle = proc_status_kb (pid, "VmRSS:");
        idle_mib[round] = idle / 1024.0;
        printf ("| %d | %d | %u | %u | %u | %.2f | %.1f (%.1f) | %.1f |\n", round, streams, ramp.peak_open,
                complete, errors, wall, rss / 1024.0, hwm / 1024.0, idle / 1024.0);
      }
      fflush (stdout);
      load_run_free (ramp.run);
    }

  print_bounded (idle_mib, log_full_round, rounds, streams);
  fflush (stdout);

  g_subprocess_send_signal (serve->process, SIGTERM);
  serve_collect (serve);
  serve_free (serve);
  pm_sim_upstream_stop (sim);

  {
    g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);

    g_unlink (db_path);
    g_unlink (wal);
    g_unlink (shm);
    g_unlink (config);
    g_rmdir (dir);
  }

  return 0;
}
