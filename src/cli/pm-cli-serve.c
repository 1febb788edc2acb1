/* pm-cli-serve.c — pointsman-cli serve: the routing proxy without a window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-cli"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "pm-catalog.h"
#include "pm-cli.h"
#include "pm-config.h"
#include "pm-keyring.h"
#include "pm-proxy.h"
#include "pm-router.h"
#include "pm-store.h"

typedef struct
{
  GMainLoop *loop;
  gboolean   quiet;
  int        signal;
} Serve;

static gboolean
quit_cb (gpointer user_data)
{
  Serve *serve = user_data;

  g_main_loop_quit (serve->loop);
  return G_SOURCE_CONTINUE;
}

static void
record_state_cb (PmRecord   *record,
                 GParamSpec *pspec,
                 Serve      *serve)
{
  PmRecordState state = pm_record_get_state (record);
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *stamp = NULL;
  PmUsage usage;

  if (state != PM_RECORD_DONE && state != PM_RECORD_FAILED)
    return;

  g_signal_handlers_disconnect_by_func (record, record_state_cb, serve);

  time = g_date_time_new_from_unix_local (pm_record_get_time (record) / G_USEC_PER_SEC);
  stamp = g_date_time_format (time, "%H:%M:%S");
  pm_record_get_usage (record, &usage);

  /* One line per request: what was asked, what was chosen, what it cost. */
  printf ("%s %s %-10s %s → %s%s%s  in %" G_GINT64_FORMAT " (cached %" G_GINT64_FORMAT ", written %" G_GINT64_FORMAT
          ") out %" G_GINT64_FORMAT "  $%.6f (default $%.6f)  %u%s%s\n",
          stamp,
          pm_record_get_id (record),
          pm_record_get_agent (record) != NULL ? pm_record_get_agent (record) : "other",
          pm_record_get_requested_model (record) != NULL ? pm_record_get_requested_model (record) : "?",
          pm_record_get_model (record) != NULL ? pm_record_get_model (record) : "?",
          pm_record_get_effort (record) != NULL ? "/" : "",
          pm_record_get_effort (record) != NULL ? pm_record_get_effort (record) : "",
          usage.input, usage.cache_read, usage.cache_write_5m + usage.cache_write_1h, usage.output,
          pm_record_get_cost (record), pm_record_get_baseline_cost (record),
          pm_record_get_status (record),
          pm_record_get_error (record) != NULL ? "  " : "",
          pm_record_get_error (record) != NULL ? pm_record_get_error (record) : "");
  fflush (stdout);
}

static void
store_warning_cb (PmStore    *store,
                  GParamSpec *pspec,
                  Serve      *serve)
{
  const char *warning = pm_store_get_warning (store);

  if (warning != NULL)
    fprintf (stderr, "pointsman-cli serve: warning: %s\n", warning);
  else
    fprintf (stderr, "pointsman-cli serve: the request log is being saved again\n");
}

static void
log_items_changed_cb (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      Serve      *serve)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(PmRecord) record = g_list_model_get_item (model, i);

      g_signal_connect (record, "notify::state", G_CALLBACK (record_state_cb), serve);
    }
}

int
pm_cli_serve (int    argc,
              char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *db_path = NULL;
  gint port = G_MININT;   /* not given */
  gboolean no_store = FALSE;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (default: $XDG_CONFIG_HOME/pointsman/config.json, created on first run)", "FILE" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on, on 127.0.0.1 (0 = any free port)", "N" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "Request database (SQLite)", "FILE" },
    { "no-store", 0, 0, G_OPTION_ARG_NONE, &no_store, "Keep no durable request log", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only the listening line and errors", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- run the routing proxy without a window");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = NULL;
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(PmKeyring) keyring = NULL;
  g_autofree char *token = NULL;
  g_autoptr(PmStore) store = NULL;
  g_autoptr(PmRouter) router = NULL;
  g_autoptr(PmProxy) proxy = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_auto(GStrv) pool = NULL;
  g_autofree char *url = NULL;
  Serve serve = { 0 };
  guint sigint_id;
  guint sigterm_id;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
                                "Listens on 127.0.0.1 and routes every request of a coding agent to the model and\n"
                                "effort that best serve the configured objective. Point the agent at the printed URL:\n"
                                "  Claude Code: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT\n"
                                "  Codex CLI, OpenCode, Aider: base URL http://127.0.0.1:PORT/v1");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "pointsman-cli serve: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      fprintf (stderr, "pointsman-cli serve: unexpected argument “%s”\n", argv[1]);
      return 2;
    }
  if (port != G_MININT && (port > 65535 || port < 0))
    {
      fprintf (stderr, "pointsman-cli serve: --port must be 0…65535\n");
      return 2;
    }

  if (config_path == NULL)
    config_path = pm_config_default_path ();
  config = pm_config_load (config_path, TRUE, &error);
  if (config == NULL)
    {
      fprintf (stderr, "pointsman-cli serve: %s\n", error->message);
      return 1;
    }
  if (port != G_MININT)
    pm_config_set_listen_port (config, port);
  if (db_path != NULL)
    pm_config_set_database (config, db_path);

  catalog = pm_catalog_new_default (&error);
  if (catalog == NULL)
    {
      fprintf (stderr, "pointsman-cli serve: %s\n", error->message);
      return 1;
    }

  keyring = pm_keyring_new ();

  if (!no_store)
    {
      store = pm_store_open (pm_config_get_database (config), &error);
      if (store == NULL)
        {
          /* Serving matters more than the history: go on without it. */
          fprintf (stderr, "pointsman-cli serve: warning: no request log: %s\n", error->message);
          g_clear_error (&error);
        }
    }

  pool = pm_config_dup_pool (config);
  router = pm_router_new (catalog, pm_config_get_objective (config), (const char * const *) pool,
                          pm_config_get_default_model (config));
  /* The daily budget counts what today already cost before this start. */
  if (store != NULL)
    pm_router_add_spend (router, pm_store_get_spend_today (store), g_get_real_time ());
  /* What this device has seen of each model survives restarts (router.db beside the log). */
  {
    g_autofree char *outcomes = pm_router_dup_outcomes_path (no_store ? NULL : pm_config_get_database (config));
    g_autoptr(GError) outcomes_error = NULL;

    if (!pm_router_open_outcomes (router, outcomes, &outcomes_error))
      fprintf (stderr, "pointsman-cli serve: warning: routing outcomes are not kept: %s\n",
               outcomes_error->message);
  }
  proxy = pm_proxy_new (config, catalog, router, keyring, store);

  /* "listen": {"token": true}: the guard refuses every request until it has the token, kept in
   * the keyring (generated on first use). */
  if (pm_guard_get_token_required (pm_proxy_get_guard (proxy)))
    {
      token = pm_guard_load_token (pm_proxy_get_guard (proxy), keyring, TRUE, NULL, &error);
      if (token == NULL)
        {
          fprintf (stderr, "pointsman-cli serve: the configuration requires a local access token "
                   "(\"listen\": {\"token\": true}), but the keyring could not provide one: %s\n",
                   error != NULL ? error->message : "no token");
          return 1;
        }
    }

  if (!pm_proxy_start (proxy, &error))
    {
      fprintf (stderr, "pointsman-cli serve: cannot listen on 127.0.0.1:%u: %s\n",
               pm_config_get_listen_port (config), error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  serve.loop = loop;
  serve.quiet = quiet;
  if (!quiet)
    g_signal_connect (pm_proxy_get_log (proxy), "items-changed", G_CALLBACK (log_items_changed_cb), &serve);
  if (store != NULL)
    g_signal_connect (store, "notify::warning", G_CALLBACK (store_warning_cb), &serve);
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, &serve);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, &serve);

  url = pm_proxy_dup_url (proxy);
  printf ("Pointsman listening on %s\n", url);
  if (!quiet)
    {
      if (token != NULL)
        printf ("Local access token (clients send it as x-api-key or Authorization: Bearer): %s\n", token);
      printf ("Config: %s\n", pm_config_get_path (config) != NULL ? pm_config_get_path (config) : config_path);
      if (store != NULL)
        printf ("Request log: %s\n", pm_store_get_path (store));
    }
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_func (pm_proxy_get_log (proxy), log_items_changed_cb, &serve);
  pm_proxy_stop (proxy);

  if (store != NULL)
    {
      g_signal_handlers_disconnect_by_func (store, store_warning_cb, &serve);
      if (!pm_store_flush (store, &error))
        {
          fprintf (stderr, "pointsman-cli serve: warning: %s\n", error->message);
          g_clear_error (&error);
        }
      pm_store_close (store);
    }

  if (!quiet)
    printf ("Pointsman stopped\n");

  return 0;
}
