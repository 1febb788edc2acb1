/* test-hardening-load.h — many concurrent streaming requests from one main loop, and a
 * `pointsman-cli serve` subprocess for the end-to-end hardening tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <gio/gio.h>
#include <libsoup/soup.h>

#include "pm-test-utils.h"

typedef struct _LoadRun LoadRun;

typedef struct
{
  LoadRun      *run;
  SoupMessage  *msg;
  GInputStream *stream;
  GString      *body;
  guint         status;
  char         *request_id;
  gboolean      done;
  gboolean      complete;     /* the stream's final event arrived */
  GError       *error;
} LoadItem;

struct _LoadRun
{
  SoupSession *session;
  GPtrArray   *items;
  guint        n_done;
  const char  *end_marker;    /* text that marks a finished stream */
};

static void load_read_more (LoadItem *item);

static void
load_item_finish (LoadItem *item)
{
  item->done = TRUE;
  /* Closing the body gives the connection back to the session for queued requests. */
  if (item->stream != NULL)
    g_input_stream_close (item->stream, NULL, NULL);
  item->complete = item->error == NULL && item->status == 200 &&
                   strstr (item->body->str, item->run->end_marker) != NULL;
  item->run->n_done++;
}

static void
load_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  LoadItem *item = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &item->error);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      load_item_finish (item);
      return;
    }
  g_string_append_len (item->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  load_read_more (item);
}

static void
load_read_more (LoadItem *item)
{
  g_input_stream_read_bytes_async (item->stream, 16384, G_PRIORITY_DEFAULT, NULL, load_read_cb, item);
}

static void
load_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  LoadItem *item = user_data;

  item->stream = soup_session_send_finish (SOUP_SESSION (object), result, &item->error);
  if (item->stream == NULL)
    {
      load_item_finish (item);
      return;
    }
  item->status = soup_message_get_status (item->msg);
  item->request_id = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (item->msg),
                                                             "x-pointsman-request-id"));
  load_read_more (item);
}

static void
load_item_free (gpointer data)
{
  LoadItem *item = data;

  g_clear_object (&item->msg);
  g_clear_object (&item->stream);
  g_string_free (item->body, TRUE);
  g_free (item->request_id);
  g_clear_error (&item->error);
  g_free (item);
}

static LoadRun *
load_run_new (guint max_conns)
{
  LoadRun *run = g_new0 (LoadRun, 1);

  /* max_conns: connections at once (more requests queue in the session). */
  run->session = soup_session_new_with_options ("timeout", 120, "max-conns", max_conns,
                                                "max-conns-per-host", max_conns, NULL);
  run->items = g_ptr_array_new_with_free_func (load_item_free);
  run->end_marker = "message_stop";
  return run;
}

static void
load_run_free (LoadRun *run)
{
  g_ptr_array_unref (run->items);
  g_object_unref (run->session);
  g_free (run);
}

/* Start one POST; headers: NULL-terminated name, value pairs. */
static LoadItem *
load_run_start (LoadRun            *run,
                const char         *url,
                const char         *body,
                const char * const *headers)
{
  LoadItem *item = g_new0 (LoadItem, 1);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  SoupMessageHeaders *request_headers;

  item->run = run;
  item->body = g_string_new (NULL);
  item->msg = soup_message_new ("POST", url);
  g_assert_nonnull (item->msg);
  request_headers = soup_message_get_request_headers (item->msg);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
  soup_message_set_request_body_from_bytes (item->msg, "application/json", bytes);
  g_ptr_array_add (run->items, item);
  soup_session_send_async (run->session, item->msg, G_PRIORITY_DEFAULT, NULL, load_sent_cb, item);

  return item;
}

static void
load_run_wait (LoadRun *run,
               guint    n)
{
  while (run->n_done < n)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- pointsman-cli serve as a subprocess ---- */

typedef struct
{
  GSubprocess   *process;
  char          *url;
  GString       *err;         /* everything it wrote to stderr, once collected */
  GString       *out;         /* everything it wrote to stdout, once collected */
  /* internals: both pipes are drained all along, so the child never blocks on them */
  GInputStream  *out_stream;
  GOutputStream *out_sink;
  GOutputStream *err_sink;
  gint           n_spliced;
} Serve;

static void
serve_spliced_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Serve *serve = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (object), result, NULL);
  serve->n_spliced++;
}

static char *
serve_cli_path (void)
{
  const char *build = g_getenv ("PM_BUILD_DIR");

  return g_build_filename (build != NULL ? build : ".", "src", "cli", "pointsman-cli", NULL);
}

static gsize serve_fsize_limit;

static pid_t serve_parent;

static void
serve_child_setup (gpointer data)
{
  /* Never outlive the test: a failed assertion aborts it without serve_free (), and a
   * leftover server would hold meson's pipes. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != serve_parent)
    _exit (127);

  if (serve_fsize_limit > 0)
    {
      struct rlimit limit = { serve_fsize_limit, serve_fsize_limit };

      /* A full disk: writes past the limit fail (EFBIG) instead of killing the process. */
      signal (SIGXFSZ, SIG_IGN);
      setrlimit (RLIMIT_FSIZE, &limit);
    }
}

/* env: NULL-terminated NAME=VALUE strings added to the child's environment. */
static Serve *
serve_start (const char         *config_path,
             const char         *db_path,
             const char * const *env,
             gsize               fsize_limit)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *cli = serve_cli_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  Serve *serve = g_new0 (Serve, 1);
  char *line;

  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  serve_fsize_limit = fsize_limit;
  serve_parent = getpid ();
  g_subprocess_launcher_set_child_setup (launcher, serve_child_setup, NULL, NULL);

  serve->process = g_subprocess_launcher_spawn (launcher, &error, cli, "serve", "--config", config_path,
                                                "--port", "0", "--db", db_path, NULL);
  g_assert_no_error (error);

  /* The first line says where it listens. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (serve->process));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (out), FALSE);
  while ((line = g_data_input_stream_read_line (out, NULL, NULL, &error)) != NULL)
    {
      if (g_str_has_prefix (line, "Pointsman listening on "))
        {
          serve->url = g_strdup (line + strlen ("Pointsman listening on "));
          g_free (line);
          break;
        }
      g_free (line);
    }
  g_assert_no_error (error);
  g_assert_nonnull (serve->url);

  serve->out_stream = G_INPUT_STREAM (g_steal_pointer (&out));
  serve->out_sink = g_memory_output_stream_new_resizable ();
  serve->err_sink = g_memory_output_stream_new_resizable ();
  g_output_stream_splice_async (serve->out_sink, serve->out_stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, NULL, serve_spliced_cb, serve);
  g_output_stream_splice_async (serve->err_sink, g_subprocess_get_stderr_pipe (serve->process),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
                                serve_spliced_cb, serve);

  return serve;
}

/* Wait for it to exit and collect all it wrote. */
static void
serve_collect (Serve *serve)
{
  g_autoptr(GError) error = NULL;

  while (serve->n_spliced < 2)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_wait (serve->process, NULL, &error);
  g_assert_no_error (error);
  serve->out = g_string_new_len (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (serve->out_sink)),
                                 g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (serve->out_sink)));
  serve->err = g_string_new_len (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (serve->err_sink)),
                                 g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (serve->err_sink)));
}

static void
serve_free (Serve *serve)
{
  if (serve->process != NULL && g_subprocess_get_identifier (serve->process) != NULL)
    {
      g_subprocess_force_exit (serve->process);
      g_subprocess_wait (serve->process, NULL, NULL);
    }
  while (serve->out_sink != NULL && serve->n_spliced < 2)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&serve->out_stream);
  g_clear_object (&serve->out_sink);
  g_clear_object (&serve->err_sink);
  g_clear_object (&serve->process);
  g_free (serve->url);
  if (serve->err != NULL)
    g_string_free (serve->err, TRUE);
  if (serve->out != NULL)
    g_string_free (serve->out, TRUE);
  g_free (serve);
}

/* A config file with one Anthropic provider at the scripted upstream, its key from the
 * environment variable PM_HARDENING_KEY. */
static char *
serve_write_config (const char *dir,
                    const char *sim_url,
                    const char *db_path)
{
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *json = g_strdup_printf (
    "{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
    " \"providers\": [{\"id\": \"sim\", \"api\": \"anthropic\", \"base_url\": \"%s\", \"key\": \"env:PM_HARDENING_KEY\"}],"
    " \"models\": [{\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim\"}, {\"id\": \"claude-haiku-4-5\", \"provider\": \"sim\"}],"
    " \"default_model\": \"claude-sonnet-4-5\","
    " \"database\": \"%s\"}", sim_url, db_path);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, json, -1, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}
