/* test-hardening-common.h — a real PmProxy on loopback in front of PmSimUpstream (and, when a
 * test needs a fault the scripted upstream cannot produce, a tiny raw loopback server)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>
#include <gio/gio.h>

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-keyring.h"
#include "pm-proxy.h"
#include "pm-record.h"
#include "pm-request-log.h"
#include "pm-router.h"
#include "pm-sim-upstream.h"
#include "pm-store.h"
#include "pm-test-utils.h"
#include "test-proxy-common.h"

#define HARD_PROVIDER_KEY "test-key-not-real-hardening-7731"
#define HARD_CLIENT_KEY   "client-key-not-real-hardening-7732"

typedef struct
{
  char          *dir;
  PmSimUpstream *sim;
  char          *sim_url;
  PmConfig      *config;
  PmCatalog     *catalog;
  PmRouter      *router;
  PmKeyring     *keyring;
  PmStore       *store;
  PmProxy       *proxy;
  char          *url;
} HardFixture;

/* providers/models: JSON arrays where "@SIM@" stands for the scripted upstream's URL; every
 * provider id gets HARD_PROVIDER_KEY in an in-memory keyring. extra: more top-level members
 * ending in a comma, or NULL. */
static void
hard_fixture_start (HardFixture *f,
                    const char  *providers,
                    const char  *models,
                    const char  *default_model,
                    const char  *extra)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *catalog_path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autofree char *db = NULL;
  g_autofree char *json = NULL;
  g_auto(GStrv) pool = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *providers_real = NULL;
  GPtrArray *provider_list;

  memset (f, 0, sizeof *f);
  f->dir = pm_test_make_tmpdir ();
  db = g_build_filename (f->dir, "requests.db", NULL);

  f->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (f->sim, 0, &error));
  g_assert_no_error (error);
  pm_sim_upstream_set_required_key (f->sim, HARD_PROVIDER_KEY);
  f->sim_url = pm_sim_upstream_dup_url (f->sim);

  parts = g_strsplit (providers, "@SIM@", -1);
  providers_real = g_strjoinv (f->sim_url, parts);

  /* An extra starting with its own "listen" object replaces the default one. */
  json = g_strdup_printf ("{%s"
                          " %s"
                          " \"providers\": %s,"
                          " \"models\": %s,"
                          " \"default_model\": \"%s\","
                          " \"database\": \"%s\"}",
                          extra != NULL && g_str_has_prefix (extra, "\"listen\"")
                            ? "" : "\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},",
                          extra != NULL ? extra : "", providers_real, models, default_model, db);
  f->config = pm_config_new_from_data (json, -1, "hardening-config.json", &error);
  g_assert_no_error (error);

  f->catalog = pm_catalog_new_from_file (catalog_path, &error);
  g_assert_no_error (error);

  pool = pm_config_dup_pool (f->config);
  f->router = pm_router_new (f->catalog, pm_config_get_objective (f->config),
                             (const char * const *) pool, pm_config_get_default_model (f->config));

  f->keyring = pm_keyring_new_memory ();
  provider_list = pm_config_get_providers (f->config);
  for (guint i = 0; i < provider_list->len; i++)
    {
      PmProviderConfig *p = g_ptr_array_index (provider_list, i);

      g_assert_true (pm_keyring_store_sync (f->keyring, p->id, HARD_PROVIDER_KEY, NULL, &error));
      g_assert_no_error (error);
    }

  f->store = pm_store_open (pm_config_get_database (f->config), &error);
  g_assert_no_error (error);

  f->proxy = pm_proxy_new (f->config, f->catalog, f->router, f->keyring, f->store);
  g_assert_true (pm_proxy_start (f->proxy, &error));
  g_assert_no_error (error);
  f->url = pm_proxy_dup_url (f->proxy);
}

static gboolean
hard_tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
hard_fixture_stop (HardFixture *f)
{
  guint tick;
  gint64 deadline;

  pm_proxy_stop (f->proxy);
  /* Let cancelled and finishing exchanges unwind (they hold the proxy). */
  tick = g_timeout_add (10, hard_tick_cb, NULL);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (G_OBJECT (f->proxy)->ref_count > 1 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_assert_finalize_object (f->proxy);

  pm_store_close (f->store);
  g_clear_object (&f->store);
  g_clear_object (&f->keyring);
  g_clear_object (&f->router);
  g_clear_object (&f->catalog);
  g_clear_object (&f->config);
  pm_sim_upstream_stop (f->sim);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->sim);
  g_clear_pointer (&f->sim_url, g_free);
  g_clear_pointer (&f->url, g_free);
  g_clear_pointer (&f->dir, g_free);
}

static PmRecord *
hard_last_record (HardFixture *f)
{
  PmRequestLog *log = pm_proxy_get_log (f->proxy);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (log));
  PmRecord *record;

  g_assert_cmpuint (n, >, 0);
  record = g_list_model_get_item (G_LIST_MODEL (log), n - 1);
  g_object_unref (record);   /* the log keeps it alive */
  return record;
}

static const char * const hard_anthropic_headers[] = {
  "x-api-key", HARD_CLIENT_KEY,
  "anthropic-version", "2023-06-01",
  "user-agent", "claude-cli/2.1.328 (external, cli)",
  NULL,
};

static const char * const hard_openai_headers[] = {
  "authorization", "Bearer " HARD_CLIENT_KEY,
  "user-agent", "hardening-test/1.0",
  NULL,
};

/* ---- A raw loopback upstream for faults the scripted upstream does not make ----
 * Each connection reads one request (headers + Content-Length body) in a worker thread, then
 * writes `reply` verbatim (NULL: close at once) and closes, or holds the connection open when
 * hold is set (until the server is stopped). */
typedef struct
{
  GSocketService *service;
  guint           port;
  char           *reply;
  gboolean        hold;
  gboolean        no_read;      /* write the reply without reading a request */
  gint            n_requests;   /* atomic */
  GCancellable   *cancellable;
} RawUpstream;

static gboolean
raw_upstream_run (GThreadedSocketService *service,
                  GSocketConnection      *connection,
                  GObject                *source_object,
                  gpointer                user_data)
{
  RawUpstream *u = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GString) head = g_string_new (NULL);
  char c;
  gsize length = 0;
  const char *cl;

  /* Headers, byte by byte (small, test-only). */
  while (!u->no_read && !g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      if (g_input_stream_read (in, &c, 1, u->cancellable, NULL) != 1)
        return TRUE;
      g_string_append_c (head, c);
    }
  cl = strstr (head->str, "ontent-Length:");
  if (cl == NULL)
    cl = strstr (head->str, "ontent-length:");
  if (cl != NULL)
    length = g_ascii_strtoull (cl + strlen ("ontent-Length:"), NULL, 10);
  if (length > 0)
    {
      g_autofree char *body = g_malloc (length);

      g_input_stream_read_all (in, body, length, NULL, u->cancellable, NULL);
    }
  g_atomic_int_inc (&u->n_requests);

  if (u->reply != NULL)
    g_output_stream_write_all (out, u->reply, strlen (u->reply), NULL, u->cancellable, NULL);
  if (u->hold)
    {
      /* Wait (without sending more) until the peer closes or the server stops. */
      while (g_input_stream_read (in, &c, 1, u->cancellable, NULL) > 0)
        ;
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  return TRUE;
}

static RawUpstream *
raw_upstream_start (const char *reply,
                    gboolean    hold)
{
  RawUpstream *u = g_new0 (RawUpstream, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  u->reply = g_strdup (reply);
  u->hold = hold;
  u->cancellable = g_cancellable_new ();
  u->service = g_threaded_socket_service_new (8);
  g_socket_listener_add_address (G_SOCKET_LISTENER (u->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  u->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (u->service, "run", G_CALLBACK (raw_upstream_run), u);
  g_socket_service_start (u->service);

  return u;
}

static void
raw_upstream_stop (RawUpstream *u)
{
  g_cancellable_cancel (u->cancellable);
  g_socket_service_stop (u->service);
  g_socket_listener_close (G_SOCKET_LISTENER (u->service));
  g_clear_object (&u->service);   /* joins the worker threads */
  g_clear_object (&u->cancellable);
  g_free (u->reply);
  g_free (u);
}

/* A port nothing listens on (bound, then closed). */
static guint
hard_dead_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint port;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  return port;
}
