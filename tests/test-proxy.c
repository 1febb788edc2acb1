/* test-proxy.c — client → PmProxy → PmSimUpstream over real loopback sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-keyring.h"
#include "pm-proxy.h"
#include "pm-router.h"
#include "pm-sim-upstream.h"
#include "pm-store.h"
#include "pm-test-utils.h"
#include "pm-translate.h"
#include "pm-usage.h"
#include "test-proxy-common.h"

#define PROVIDER_KEY "test-key-not-real-1234"
#define CLIENT_KEY   "client-key-must-not-leak-5678"

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
} Fixture;

typedef struct
{
  const char *extra_config;     /* members added to the config object, e.g. "\"limits\": {…}," */
  const char *pool;             /* models array, NULL = the default below */
} FixtureOptions;

static const char *default_models =
  "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim-anthropic\"},"
  " {\"id\": \"claude-haiku-4-5\", \"provider\": \"sim-anthropic\"},"
  " {\"id\": \"gpt-5-mini\", \"provider\": \"sim-chat\"},"
  " {\"id\": \"gpt-5\", \"provider\": \"sim-responses\"}]";

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const FixtureOptions *options = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *catalog_path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autofree char *db = NULL;
  g_autofree char *json = NULL;
  g_auto(GStrv) pool = NULL;

  f->dir = pm_test_make_tmpdir ();
  db = g_build_filename (f->dir, "requests.db", NULL);

  f->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (f->sim, 0, &error));
  g_assert_no_error (error);
  pm_sim_upstream_set_required_key (f->sim, PROVIDER_KEY);
  f->sim_url = pm_sim_upstream_dup_url (f->sim);

  json = g_strdup_printf ("{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
                          " %s"
                          " \"providers\": ["
                          "  {\"id\": \"sim-anthropic\", \"api\": \"anthropic\", \"base_url\": \"%s\", \"key\": \"keyring\"},"
                          "  {\"id\": \"sim-chat\", \"api\": \"openai-chat\", \"base_url\": \"%s/v1\", \"key\": \"keyring\"},"
                          "  {\"id\": \"sim-responses\", \"api\": \"openai-responses\", \"base_url\": \"%s/v1\", \"key\": \"keyring\"}"
                          " ],"
                          " \"models\": %s,"
                          " \"default_model\": \"claude-sonnet-4-5\","
                          " \"database\": \"%s\"}",
                          options != NULL && options->extra_config != NULL ? options->extra_config : "",
                          f->sim_url, f->sim_url, f->sim_url,
                          options != NULL && options->pool != NULL ? options->pool : default_models,
                          db);
  f->config = pm_config_new_from_data (json, -1, "test-config.json", &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->config);

  f->catalog = pm_catalog_new_from_file (catalog_path, &error);
  g_assert_no_error (error);

  pool = pm_config_dup_pool (f->config);
  f->router = pm_router_new (f->catalog, pm_config_get_objective (f->config),
                             (const char * const *) pool, pm_config_get_default_model (f->config));

  f->keyring = pm_keyring_new_memory ();
  g_assert_true (pm_keyring_store_sync (f->keyring, "sim-anthropic", PROVIDER_KEY, NULL, &error));
  g_assert_true (pm_keyring_store_sync (f->keyring, "sim-chat", PROVIDER_KEY, NULL, &error));
  g_assert_true (pm_keyring_store_sync (f->keyring, "sim-responses", PROVIDER_KEY, NULL, &error));
  g_assert_no_error (error);

  f->store = pm_store_open (pm_config_get_database (f->config), &error);
  g_assert_no_error (error);

  f->proxy = pm_proxy_new (f->config, f->catalog, f->router, f->keyring, f->store);
  g_assert_true (pm_proxy_start (f->proxy, &error));
  g_assert_no_error (error);
  g_assert_true (pm_proxy_is_running (f->proxy));
  f->url = pm_proxy_dup_url (f->proxy);
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterate until only the caller holds obj (exchanges in flight hold the proxy), or 10 s. */
static void
wait_for_last_ref (gpointer obj)
{
  guint tick = g_timeout_add (10, tick_cb, NULL);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (G_OBJECT (obj)->ref_count > 1 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  pm_proxy_stop (f->proxy);
  /* Let cancelled and finishing exchanges unwind. */
  wait_for_last_ref (f->proxy);
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
  g_free (f->sim_url);
  g_free (f->url);
  g_free (f->dir);
}

static PmRecord *
last_record (Fixture *f)
{
  PmRequestLog *log = pm_proxy_get_log (f->proxy);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (log));
  PmRecord *record;

  g_assert_cmpuint (n, >, 0);
  record = g_list_model_get_item (G_LIST_MODEL (log), n - 1);
  g_object_unref (record);   /* the log keeps it alive */
  return record;
}

/* The members the decision may rewrite; everything else must reach the upstream unchanged. */
static const char *rewritable[] = {
  "model", "thinking", "output_config", "reasoning_effort", "reasoning", "max_tokens",
  "max_output_tokens", "max_completion_tokens", "stream_options", NULL
};

static void
assert_body_unchanged (const char *client_body,
                       JsonNode   *upstream)
{
  g_autoptr(JsonNode) client = json_from_string (client_body, NULL);
  JsonObject *c;
  JsonObject *u;
  g_autoptr(GList) members = NULL;

  g_assert_nonnull (client);
  g_assert_nonnull (upstream);
  c = json_node_get_object (client);
  u = json_node_get_object (upstream);
  members = json_object_get_members (c);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (g_strv_contains (rewritable, name))
        continue;
      g_assert_true (json_object_has_member (u, name));
      if (!json_node_equal (json_object_get_member (c, name), json_object_get_member (u, name)))
        g_error ("member “%s” changed on the way upstream", name);
    }
}

static void
assert_record_matches_upstream (Fixture    *f,
                                PmRecord   *record,
                                const char *model)
{
  gint64 input, read, write, output, reasoning;
  PmUsage usage;
  const PmModelInfo *info = pm_catalog_lookup (f->catalog, model);
  double expected_cost;

  pm_sim_upstream_get_last_usage (f->sim, &input, &read, &write, &output, &reasoning);
  pm_record_get_usage (record, &usage);
  g_assert_true (usage.seen);
  g_assert_cmpint (usage.input, ==, input);
  g_assert_cmpint (usage.cache_read, ==, read);
  g_assert_cmpint (usage.cache_write_5m + usage.cache_write_1h, ==, write);
  g_assert_cmpint (usage.output, ==, output);

  g_assert_nonnull (info);
  expected_cost = pm_usage_cost (&usage, info);
  g_assert_cmpfloat (expected_cost, >, 0.0);
  g_assert_cmpfloat_with_epsilon (pm_record_get_cost (record), expected_cost, 1e-12);
  g_assert_cmpfloat (pm_record_get_baseline_cost (record), >, 0.0);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  g_assert_cmpuint (pm_record_get_status (record), ==, 200);
  g_assert_cmpstr (pm_record_get_model (record), ==, model);
}

/* The record as /pointsman/v1/requests and SQLite have it. */
static void
assert_record_published (Fixture  *f,
                         PmRecord *record)
{
  g_autoptr(TestResponse) r = test_get (f->url, "/pointsman/v1/requests?limit=5");
  g_autoptr(JsonNode) node = test_response_json (r);
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *requests;
  JsonObject *found = NULL;
  g_autoptr(JsonNode) expected = pm_record_to_json (record);
  JsonObject *e = json_node_get_object (expected);

  g_assert_cmpuint (r->status, ==, 200);
  requests = json_object_get_array_member (json_node_get_object (node), "requests");
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *o = json_array_get_object_element (requests, i);

      if (g_strcmp0 (json_object_get_string_member (o, "id"), pm_record_get_id (record)) == 0)
        found = o;
    }
  g_assert_nonnull (found);
  g_assert_true (json_node_equal (json_object_get_member (found, "usage"), json_object_get_member (e, "usage")));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (found, "cost"), pm_record_get_cost (record), 1e-12);
  g_assert_cmpstr (json_object_get_string_member (found, "model"), ==, pm_record_get_model (record));
  g_assert_true (json_object_has_member (found, "explanation"));
  g_assert_false (JSON_NODE_HOLDS_NULL (json_object_get_member (found, "explanation")));

  /* And in SQLite, through the store. */
  g_assert_true (pm_store_flush (f->store, &error));
  rows = pm_store_list_recent (f->store, 10, &error);
  g_assert_no_error (error);
  found = NULL;
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *o = json_array_get_object_element (rows, i);

      if (g_strcmp0 (json_object_get_string_member (o, "id"), pm_record_get_id (record)) == 0)
        found = o;
    }
  g_assert_nonnull (found);
  g_assert_cmpstr (json_object_get_string_member (found, "state"), ==, "done");
  g_assert_true (json_node_equal (json_object_get_member (found, "usage"), json_object_get_member (e, "usage")));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (found, "baseline_cost"),
                                  pm_record_get_baseline_cost (record), 1e-12);
}

static void
assert_no_client_key_upstream (Fixture *f)
{
  GHashTableIter iter;
  gpointer name, value;

  g_hash_table_iter_init (&iter, pm_sim_upstream_get_last_headers (f->sim));
  while (g_hash_table_iter_next (&iter, &name, &value))
    if (strstr (value, CLIENT_KEY) != NULL)
      g_error ("the client's key reached the upstream in %s", (char *) name);
}

static const char *anthropic_headers[] = {
  "x-api-key", CLIENT_KEY,
  "anthropic-version", "2023-06-01",
  "anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14",
  "x-claude-code-session-id", "3d0c6a8e-1111-4222-8333-944455556666",
  "user-agent", "claude-cli/2.1.0 (external, cli)",
  NULL
};

static const char *openai_headers[] = {
  "authorization", "Bearer " CLIENT_KEY,
  "user-agent", "test-client/1.0",
  NULL
};

static void
test_anthropic_stream (Fixture       *f,
                       gconstpointer  data)
{
  const char *body =
    "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":512,\"stream\":true,"
    "\"system\":[{\"type\":\"text\",\"text\":\"You are a careful assistant.\"}],"
    "\"metadata\":{\"user_id\":\"user_abc_account_def_session_3d0c6a8e-1111-4222-8333-944455556666\"},"
    "\"temperature\":0.5,\"tools\":[{\"name\":\"Read\",\"description\":\"Read a file\",\"input_schema\":{\"type\":\"object\"}}],"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Read main.c please\"}]}]}";
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("I will read main.c now and then summarise it for you.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;
  PmRecord *record;

  pm_sim_reply_add_tool_call (reply, "Read", "{\"file_path\":\"main.c\"}");
  pm_sim_reply_set_delays (reply, 0, 40);
  pm_sim_upstream_push_reply (f->sim, reply);

  r = test_post (f->url, "/v1/messages?beta=true", body, f->sim, anthropic_headers);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "text/event-stream");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "x-pointsman-model"), ==, "claude-haiku-4-5");
  g_assert_nonnull (soup_message_headers_get_one (r->headers, "x-pointsman-effort"));
  g_assert_nonnull (soup_message_headers_get_one (r->headers, "x-pointsman-request-id"));

  /* Event by event: the first event reached the client before the upstream sent its last. */
  g_assert_cmpint (r->streams_done_at_first_event, ==, 0);
  g_assert_cmpint (r->events_sent_at_first_event, <, (gint) r->events->len);
  g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, 0))->event, ==, "message_start");
  g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, r->events->len - 1))->event, ==, "message_stop");
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "I will read main.c now and then summarise it for you.");
  g_assert_nonnull (strstr (r->body->str, "input_json_delta"));

  /* What the upstream received. */
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/messages");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-api-key"), ==, PROVIDER_KEY);
  g_assert_null (pm_sim_upstream_get_last_header (f->sim, "authorization"));
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "anthropic-beta"), ==,
                   "claude-code-20250219,interleaved-thinking-2025-05-14");
  assert_no_client_key_upstream (f);
  assert_body_unchanged (body, pm_sim_upstream_get_last_json (f->sim));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pm_sim_upstream_get_last_json (f->sim)), "model"),
                   ==, "claude-haiku-4-5");

  record = last_record (f);
  g_assert_cmpstr (pm_record_get_id (record), ==, soup_message_headers_get_one (r->headers, "x-pointsman-request-id"));
  g_assert_cmpstr (pm_record_get_agent (record), ==, "claude-code");
  g_assert_cmpstr (pm_record_get_provider (record), ==, "sim-anthropic");
  g_assert_cmpstr (pm_record_get_requested_model (record), ==, "claude-haiku-4-5");
  g_assert_null (pm_record_get_prompt (record));   /* store_prompts is off by default */
  assert_record_matches_upstream (f, record, "claude-haiku-4-5");
  assert_record_published (f, record);
}

/* Requests one after another share one upstream connection (keep-alive): no new TCP (and TLS)
 * handshake before each first byte. libsoup opens a fresh connection for every POST unless
 * the message says it may reuse one. */
static void
test_upstream_connection_reused (Fixture       *f,
                                 gconstpointer  data)
{
  const char *body =
    "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"stream\":true,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Hello there.");
      g_autoptr(TestResponse) r = NULL;

      pm_sim_upstream_push_reply (f->sim, reply);
      r = test_post (f->url, "/v1/messages", body, NULL, anthropic_headers);
      g_assert_no_error (r->error);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, r->events->len - 1))->event, ==, "message_stop");
    }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 3);
  g_assert_cmpuint (pm_sim_upstream_get_n_connections (f->sim), ==, 1);
}

/* The live log keeps 10,000 records; past the newest keep_full, finished records keep their
 * explanation compressed, and read back the same. */
static void
test_log_compaction (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (0);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  GMainContext *context = g_main_context_default ();
  PmRecord *in_flight;

  pm_request_log_set_keep_full (log, 3);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *id = g_strdup_printf ("req-%u", i);
      g_autofree char *json = g_strdup_printf ("{\"model\":\"m%u\",\"candidates\":[{\"model\":\"a\",\"q\":0.5,\"cost\":0.0125},"
                                               "{\"model\":\"b\",\"q\":0.75,\"cost\":1e-05,\"chosen\":true}],"
                                               "\"reasons\":[\"r\\u00e9ason %u\"]}", i, i);
      g_autoptr(JsonNode) explanation = json_from_string (json, NULL);
      g_autoptr(PmRecord) record = pm_record_new (id, 1000 + i);

      pm_record_set_decision (record, "m", NULL, "p", TRUE, "summary", explanation);
      if (i != 1)
        pm_record_set_state (record, PM_RECORD_DONE, 200, NULL);
      g_ptr_array_add (texts, g_strdup (pm_record_get_explanation (record)));
      pm_request_log_append (log, record);
    }
  while (g_main_context_iteration (context, FALSE))
    ;

  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(PmRecord) record = g_list_model_get_item (G_LIST_MODEL (log), i);

      /* the five oldest, except the one still in flight; the three newest as they were */
      g_assert_cmpint (pm_record_is_compact (record), ==, i < 5 && i != 1);
    }
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(PmRecord) record = g_list_model_get_item (G_LIST_MODEL (log), i);
      g_autoptr(JsonNode) json = pm_record_to_json (record);
      g_autoptr(JsonNode) expected = json_from_string (g_ptr_array_index (texts, i), NULL);

      g_assert_cmpstr (pm_record_get_explanation (record), ==, g_ptr_array_index (texts, i));
      g_assert_true (json_node_equal (json_object_get_member (json_node_get_object (json), "explanation"), expected));
    }

  /* The one in flight is compacted once it finishes (and more records come). */
  in_flight = pm_request_log_lookup (log, "req-1");
  pm_record_set_state (in_flight, PM_RECORD_DONE, 200, NULL);
  {
    g_autoptr(PmRecord) record = pm_record_new ("req-8", 2000);

    pm_request_log_append (log, record);
  }
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_true (pm_record_is_compact (in_flight));
  g_assert_cmpstr (pm_record_get_explanation (in_flight), ==, g_ptr_array_index (texts, 1));
}

/* An upstream that writes one event in two pieces, 30 ms apart (a read on the proxy's side
 * then ends inside the event). */
static const char *split_stream[] = {
  "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
  "\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,"
  "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
  "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel",
  "lo\"}}\n\n",
  "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
  "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n"
  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
};

typedef struct
{
  SoupServerMessage *msg;
  guint              next;
} SplitWriter;

static gboolean
split_write_cb (gpointer data)
{
  SplitWriter *w = data;
  SoupMessageBody *body = soup_server_message_get_response_body (w->msg);

  soup_message_body_append (body, SOUP_MEMORY_STATIC, split_stream[w->next], strlen (split_stream[w->next]));
  if (++w->next == G_N_ELEMENTS (split_stream))
    soup_message_body_complete (body);
  soup_server_message_unpause (w->msg);
  if (w->next < G_N_ELEMENTS (split_stream))
    return G_SOURCE_CONTINUE;
  g_object_unref (w->msg);
  g_free (w);
  return G_SOURCE_REMOVE;
}

static void
split_stream_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SplitWriter *w = g_new0 (SplitWriter, 1);

  w->msg = g_object_ref (msg);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), "text/event-stream", NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg), SOUP_ENCODING_CHUNKED);
  soup_server_message_pause (msg);
  g_timeout_add (30, split_write_cb, w);
}

typedef struct
{
  guint16  port;
  char    *body;
  GString *raw;
  GArray  *ends;   /* gsize: where each read ended in raw */
  gboolean done;
} RawClient;

/* A client on a plain socket (in a thread: the proxy runs on this one's main loop), to see the
 * response's chunks as they are on the wire. */
static gpointer
raw_client_thread (gpointer data)
{
  RawClient *c = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = g_socket_client_connect_to_host (client, "127.0.0.1", c->port, NULL, NULL);
  g_autofree char *request = NULL;
  char buf[4096];
  gssize n;

  if (connection != NULL)
    {
      GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
      GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));

      request = g_strdup_printf ("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
                                 "x-api-key: " CLIENT_KEY "\r\nanthropic-version: 2023-06-01\r\nConnection: close\r\n"
                                 "Content-Length: %zu\r\n\r\n%s", c->port, strlen (c->body), c->body);
      g_output_stream_write_all (out, request, strlen (request), NULL, NULL, NULL);
      while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
        {
          g_string_append_len (c->raw, buf, n);
          if (c->ends != NULL)
            g_array_append_val (c->ends, c->raw->len);
        }
    }
  g_atomic_int_set (&c->done, TRUE);
  return NULL;
}

/* The stream's answer is delimited by the connection's end (no chunked framing: the proxy
 * writes each event as it is ready), and every event reaches the client whole even when the
 * upstream's read ended inside it. */
static void
test_relay_whole_events (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(SoupServer) upstream = soup_server_new (NULL, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GUri) uri = g_uri_parse (f->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GThread) thread = NULL;
  g_autofree char *base = NULL;
  const char *p, *body_start;
  guint n_chunks = 0;
  gboolean delta_whole = FALSE;
  GSList *listeners;
  PmProviderConfig replaced = *pm_config_lookup_provider (f->config, "sim-anthropic");
  RawClient c = { 0, };

  soup_server_add_handler (upstream, NULL, split_stream_cb, NULL, NULL);
  g_assert_true (soup_server_listen (upstream, address, 0, &error));
  g_assert_no_error (error);
  listeners = soup_server_get_listeners (upstream);
  local = g_socket_get_local_address (listeners->data, &error);
  g_slist_free (listeners);
  base = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  replaced.base_url = base;
  pm_config_set_provider (f->config, &replaced);

  c.port = (guint16) g_uri_get_port (uri);
  c.body = (char *) "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"stream\":true,"
                    "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
  c.raw = g_string_new (NULL);
  c.ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  thread = g_thread_new ("raw-client", raw_client_thread, &c);
  while (!g_atomic_int_get (&c.done))
    g_main_context_iteration (NULL, FALSE);
  g_thread_join (g_steal_pointer (&thread));

  g_assert_true (g_str_has_prefix (c.raw->str, "HTTP/1.1 200"));
  body_start = strstr (c.raw->str, "\r\n\r\n");
  g_assert_nonnull (body_start);
  {
    g_autofree char *head = g_ascii_strdown (c.raw->str, body_start - c.raw->str);

    g_assert_nonnull (strstr (head, "\r\nconnection: close"));
    g_assert_null (strstr (head, "transfer-encoding"));
    g_assert_null (strstr (head, "content-length"));
  }
  /* Events, each ending in a blank line: the one the upstream split arrives whole. */
  for (p = body_start + 4; *p != '\0';)
    {
      const char *end = strstr (p, "\n\n");
      g_autofree char *event = NULL;

      g_assert_nonnull (end);
      event = g_strndup (p, end - p);
      g_assert_true (g_str_has_prefix (event, "event: "));
      g_assert_nonnull (strstr (event, "\ndata: {"));
      delta_whole |= strstr (event, "\"text\":\"Hello\"") != NULL;
      n_chunks++;
      p = end + 2;
    }
  g_assert_cmpuint (n_chunks, >=, 2);
  g_assert_true (delta_whole);
  /* The upstream pauses 30 ms inside an event: a write of half an event would be a read of its
   * own here. Every read that has body bytes ends where an event ends. */
  for (guint i = 0; i < c.ends->len; i++)
    {
      gsize at = g_array_index (c.ends, gsize, i);

      if (at > (gsize) (body_start + 4 - c.raw->str))
        g_assert_true (at >= 2 && c.raw->str[at - 1] == '\n' && c.raw->str[at - 2] == '\n');
    }
  g_array_unref (c.ends);
  g_string_free (c.raw, TRUE);
  soup_server_disconnect (upstream);
}

static void
test_anthropic_whole (Fixture       *f,
                      gconstpointer  data)
{
  const char *body =
    "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"What is 2+2?\"}]}";
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("4");
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  pm_sim_upstream_push_reply (f->sim, reply);
  r = test_post (f->url, "/v1/messages", body, NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "x-pointsman-model"), ==, "claude-sonnet-4-5");
  node = test_response_json (r);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (o, "content"), 0), "text"),
                   ==, "4");
  assert_body_unchanged (body, pm_sim_upstream_get_last_json (f->sim));
  assert_no_client_key_upstream (f);
  assert_record_matches_upstream (f, last_record (f), "claude-sonnet-4-5");
  assert_record_published (f, last_record (f));
}

static void
test_chat_stream (Fixture       *f,
                  gconstpointer  data)
{
  const char *body =
    "{\"model\":\"gpt-5-mini\",\"stream\":true,\"temperature\":1,"
    "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Say hello\"}]}";
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Hello there, friend.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;
  JsonObject *upstream;

  pm_sim_reply_set_delays (reply, 5, 40);
  pm_sim_upstream_push_reply (f->sim, reply);
  r = test_post (f->url, "/v1/chat/completions", body, f->sim, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "x-pointsman-model"), ==, "gpt-5-mini");
  g_assert_cmpint (r->streams_done_at_first_event, ==, 0);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Hello there, friend.");
  g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, r->events->len - 1))->data, ==, "[DONE]");

  /* Usage was asked for upstream, and hidden from a client that did not ask. */
  upstream = json_node_get_object (pm_sim_upstream_get_last_json (f->sim));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (upstream, "stream_options"), "include_usage"));
  g_assert_null (strstr (r->body->str, "\"usage\""));
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/chat/completions");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " PROVIDER_KEY);
  g_assert_null (pm_sim_upstream_get_last_header (f->sim, "x-api-key"));
  assert_no_client_key_upstream (f);
  assert_body_unchanged (body, pm_sim_upstream_get_last_json (f->sim));

  assert_record_matches_upstream (f, last_record (f), "gpt-5-mini");
  assert_record_published (f, last_record (f));
}

static void
test_chat_stream_with_usage (Fixture       *f,
                             gconstpointer  data)
{
  const char *body =
    "{\"model\":\"gpt-5-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) holder = NULL;
  JsonObject *chunk;

  r = test_post (f->url, "/chat/completions", body, NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (r->events->len, >=, 3);
  chunk = test_event_json (r, r->events->len - 2, &holder);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (chunk, "choices")), ==, 0);
  {
    PmUsage usage;

    pm_record_get_usage (last_record (f), &usage);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (chunk, "usage"), "completion_tokens"),
                     ==, usage.output);
  }
  assert_record_matches_upstream (f, last_record (f), "gpt-5-mini");
}

/* A Chat client's stream translated from an Anthropic model ends with the usage-only chunk
 * only when the client asked for it (stream_options.include_usage), as OpenAI's own does. */
static void
test_chat_translated_usage (Fixture       *f,
                            gconstpointer  data)
{
  const char *bodies[] = {
    "{\"model\":\"claude-haiku-4-5\",\"stream\":true,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
    "{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions", bodies[i], NULL, openai_headers);
      guint n_usage = 0;
      TestEvent *last;

      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/messages");
      g_assert_cmpuint (r->events->len, >=, 3);
      for (guint j = 0; j < r->events->len; j++)
        {
          TestEvent *e = g_ptr_array_index (r->events, j);

          n_usage += strstr (e->data, "\"usage\"") != NULL;
        }
      last = g_ptr_array_index (r->events, r->events->len - 1);
      g_assert_cmpstr (last->data, ==, "[DONE]");
      g_assert_cmpuint (n_usage, ==, i == 0 ? 0 : 1);
      /* The record has the usage either way. */
      {
        PmUsage usage;

        pm_record_get_usage (last_record (f), &usage);
        g_assert_cmpint (usage.output, >, 0);
      }
    }
}

static void
test_chat_whole (Fixture       *f,
                 gconstpointer  data)
{
  const char *body = "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":1}";
  g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *message;

  pm_sim_reply_add_tool_call (reply, "grep", "{\"pattern\":\"TODO\"}");
  pm_sim_upstream_push_reply (f->sim, reply);
  r = test_post (f->url, "/v1/chat/completions", body, NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  node = test_response_json (r);
  message = json_object_get_object_member (json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (node), "choices"), 0), "message");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (
                     json_object_get_array_member (message, "tool_calls"), 0), "function"), "name"), ==, "grep");
  g_assert_false (json_object_has_member (json_node_get_object (pm_sim_upstream_get_last_json (f->sim)), "stream_options"));
  assert_body_unchanged (body, pm_sim_upstream_get_last_json (f->sim));
  assert_record_matches_upstream (f, last_record (f), "gpt-5-mini");
}

static void
test_responses (Fixture       *f,
                gconstpointer  data)
{
  const char *stream_body =
    "{\"model\":\"gpt-5\",\"stream\":true,\"store\":false,\"include\":[\"reasoning.encrypted_content\"],"
    "\"prompt_cache_key\":\"0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\","
    "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"fix the bug\"}]}]}";
  const char *whole_body = "{\"model\":\"gpt-5\",\"input\":\"hello\"}";
  const char *codex_headers[] = { "authorization", "Bearer " CLIENT_KEY, "originator", "codex_cli_rs",
                                  "session-id", "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", NULL };
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Fixed: the loop bound was off by one.");
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(TestResponse) w = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  pm_sim_reply_set_thinking (reply, "Look at the loop.");
  pm_sim_reply_set_delays (reply, 0, 40);
  pm_sim_upstream_push_reply (f->sim, reply);
  r = test_post (f->url, "/v1/responses", stream_body, f->sim, codex_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpint (r->streams_done_at_first_event, ==, 0);
  g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, r->events->len - 1))->event, ==, "response.completed");
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Fixed: the loop bound was off by one.");
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/responses");
  assert_body_unchanged (stream_body, pm_sim_upstream_get_last_json (f->sim));
  assert_no_client_key_upstream (f);
  assert_record_matches_upstream (f, last_record (f), "gpt-5");
  g_assert_cmpstr (pm_record_get_agent (last_record (f)), ==, "codex");
  {
    PmUsage usage;

    pm_record_get_usage (last_record (f), &usage);
    g_assert_cmpint (usage.reasoning, >, 0);
  }
  assert_record_published (f, last_record (f));

  w = test_post (f->url, "/responses", whole_body, NULL, openai_headers);
  g_assert_cmpuint (w->status, ==, 200);
  node = test_response_json (w);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "object"), ==, "response");
  assert_record_matches_upstream (f, last_record (f), "gpt-5");
}

static void
test_upstream_errors (Fixture       *f,
                      gconstpointer  data)
{
  /* 429 with retry-after, passed back in the client's shape. */
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) node = NULL;
    JsonObject *o;

    pm_sim_reply_set_error (reply, 429, "rate_limit_error", "Slow down", 12);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/messages",
                   "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                   NULL, anthropic_headers);
    g_assert_cmpuint (r->status, ==, 429);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "retry-after"), ==, "12");
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "x-pointsman-model"), ==, "claude-haiku-4-5");
    node = test_response_json (r);
    o = json_node_get_object (node);
    g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "error");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "type"), ==, "rate_limit_error");
    g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_FAILED);
    g_assert_cmpuint (pm_record_get_status (last_record (f)), ==, 429);
  }
  /* 400 from a Chat upstream. */
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) node = NULL;

    pm_sim_reply_set_error (reply, 400, "invalid_request_error", "messages: too short", 0);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/chat/completions",
                   "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", NULL, openai_headers);
    g_assert_cmpuint (r->status, ==, 400);
    node = test_response_json (r);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (node), "error"), "message"),
                     ==, "messages: too short");
  }
  /* 500 from a Responses upstream (a pinned model has no fallbacks). */
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) node = NULL;
    guint before = pm_sim_upstream_get_n_requests (f->sim);

    pm_sim_reply_set_error (reply, 500, "server_error", "The server had an error", 0);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/responses", "{\"model\":\"gpt-5\",\"input\":\"x\"}", NULL, openai_headers);
    g_assert_cmpuint (r->status, ==, 500);
    g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, before + 1);
    node = test_response_json (r);
    g_assert_true (json_object_has_member (json_node_get_object (node), "error"));
  }
  /* Mid-stream failure: an in-stream error event in the client's shape. */
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("this stream will be cut off");
    g_autoptr(TestResponse) r = NULL;
    TestEvent *last;

    pm_sim_reply_set_fail (reply, PM_SIM_FAIL_DROP, 3);
    pm_sim_reply_set_delays (reply, 0, 10);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/messages",
                   "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                   NULL, anthropic_headers);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (r->events->len, >=, 1);
    last = g_ptr_array_index (r->events, r->events->len - 1);
    g_assert_cmpstr (last->event, ==, "error");
    g_assert_nonnull (strstr (last->data, "\"type\":\"error\""));
    g_assert_null (strstr (r->body->str, "message_stop"));
    g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_FAILED);
    g_assert_nonnull (pm_record_get_error (last_record (f)));
  }
  /* A provider quoting the key it got (masked or not) in its error: redacted before the client,
   * the log and the database see it. */
  {
    g_autoptr(PmSimReply) masked = pm_sim_reply_new (NULL);
    g_autoptr(PmSimReply) plain = pm_sim_reply_new (NULL);
    g_autoptr(TestResponse) r1 = NULL;
    g_autoptr(TestResponse) r2 = NULL;

    pm_sim_reply_set_error (masked, 401, "invalid_request_error",
                            "Incorrect API key provided: sk-proj-ab***************1234. Check your key.", 0);
    pm_sim_reply_set_error (plain, 403, "permission_error", "Key " PROVIDER_KEY " may not use this model", 0);
    pm_sim_upstream_push_reply (f->sim, masked);
    r1 = test_post (f->url, "/v1/chat/completions",
                    "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                    NULL, openai_headers);
    g_assert_cmpuint (r1->status, ==, 401);
    g_assert_null (strstr (r1->body->str, "sk-proj"));
    g_assert_nonnull (strstr (r1->body->str, "[redacted]"));
    g_assert_null (strstr (pm_record_get_error (last_record (f)), "sk-proj"));

    pm_sim_upstream_push_reply (f->sim, plain);
    r2 = test_post (f->url, "/v1/messages",
                    "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                    NULL, anthropic_headers);
    g_assert_cmpuint (r2->status, ==, 403);
    g_assert_null (strstr (r2->body->str, PROVIDER_KEY));
    g_assert_null (strstr (pm_record_get_error (last_record (f)), PROVIDER_KEY));
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonArray) rows = NULL;
      g_autoptr(JsonNode) all = NULL;
      g_autofree char *dump = NULL;

      g_assert_true (pm_store_flush (f->store, &error));
      rows = pm_store_list_recent (f->store, 100, &error);
      all = json_node_init_array (json_node_alloc (), rows);
      dump = json_to_string (all, FALSE);
      g_assert_null (strstr (dump, PROVIDER_KEY));
      g_assert_null (strstr (dump, "sk-proj"));
      g_assert_null (strstr (dump, CLIENT_KEY));
    }
  }
  /* The provider's key is wrong: 401 passed back, the key itself never shows. */
  pm_sim_upstream_set_required_key (f->sim, "test-key-other-not-real");
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions",
                                           "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                                           NULL, openai_headers);

    g_assert_cmpuint (r->status, ==, 401);
    g_assert_null (strstr (r->body->str, PROVIDER_KEY));
    g_assert_null (strstr (pm_record_get_error (last_record (f)), PROVIDER_KEY));
  }
}

static void
test_client_errors (Fixture       *f,
                    gconstpointer  data)
{
  guint before = pm_sim_upstream_get_n_requests (f->sim);

  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/messages", "{\"model\": \"claude", NULL, anthropic_headers);
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 400);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "error");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (node), "error"), "type"),
                     ==, "invalid_request_error");
    g_assert_nonnull (soup_message_headers_get_one (r->headers, "x-pointsman-request-id"));
  }
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions", "[1,2,3]", NULL, openai_headers);
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 400);
    g_assert_true (json_object_has_member (json_object_get_object_member (json_node_get_object (node), "error"), "message"));
  }
  {
    g_autoptr(TestResponse) r = test_get (f->url, "/v1/nothing-here");

    g_assert_cmpuint (r->status, ==, 404);
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, before);
}

static void
async_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static const FixtureOptions small_body = {
  .extra_config = "\"limits\": {\"max_body_bytes\": 2048},",
};

static void
test_too_large (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *filler = g_strnfill (4096, 'a');
  g_autofree char *anthropic = g_strdup_printf ("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,"
                                                "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}", filler);
  g_autofree char *chat = g_strdup_printf ("{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}", filler);
  g_autoptr(TestResponse) a = test_post (f->url, "/v1/messages", anthropic, NULL, anthropic_headers);
  g_autoptr(TestResponse) c = test_post (f->url, "/v1/chat/completions", chat, NULL, openai_headers);
  g_autoptr(JsonNode) na = test_response_json (a);
  g_autoptr(JsonNode) nc = test_response_json (c);
  g_autoptr(TestResponse) ok = NULL;

  g_assert_cmpuint (a->status, ==, 413);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (na), "type"), ==, "error");
  g_assert_cmpuint (c->status, ==, 413);
  g_assert_true (json_object_has_member (json_object_get_object_member (json_node_get_object (nc), "error"), "message"));
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 0);

  /* Chunked, with no length up front: counted as it arrives. */
  {
    g_autofree char *url = g_strconcat (f->url, "/v1/chat/completions", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (g_strdup (chat), strlen (chat), g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) reply = NULL;

    soup_message_set_request_body (msg, "application/json", stream, -1);
    g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_request_headers (msg)), ==, SOUP_ENCODING_CHUNKED);
    {
      GAsyncResult *result = NULL;

      soup_session_send_and_read_async (test_session (), msg, G_PRIORITY_DEFAULT, NULL, async_done_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      reply = soup_session_send_and_read_finish (test_session (), result, &error);
      g_object_unref (result);
    }
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 413);
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 0);

  /* Under the limit still works. */
  ok = test_post (f->url, "/v1/chat/completions",
                  "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", NULL, openai_headers);
  g_assert_cmpuint (ok->status, ==, 200);
}

static void
test_local_endpoints (Fixture       *f,
                      gconstpointer  data)
{
  guint before = pm_sim_upstream_get_n_requests (f->sim);

  {
    g_autoptr(TestResponse) r = test_get (f->url, "/v1/models");
    g_autoptr(JsonNode) node = test_response_json (r);
    JsonArray *models = json_object_get_array_member (json_node_get_object (node), "data");
    g_autoptr(GString) ids = g_string_new (NULL);

    g_assert_cmpuint (r->status, ==, 200);
    for (guint i = 0; i < json_array_get_length (models); i++)
      g_string_append_printf (ids, "%s ", json_object_get_string_member (json_array_get_object_element (models, i), "id"));
    g_assert_cmpstr (ids->str, ==, "pointsman/auto claude-sonnet-4-5 claude-haiku-4-5 gpt-5-mini gpt-5 ");
  }
  {
    g_autoptr(TestResponse) r = test_get (f->url, "/pointsman/v1/health");
    g_autoptr(JsonNode) node = test_response_json (r);
    JsonObject *o = json_node_get_object (node);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "ok");
    g_assert_cmpstr (json_object_get_string_member (o, "url"), ==, f->url);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "store"), "path"), ==,
                     pm_store_get_path (f->store));
  }
  {
    /* Someone opens the URL in a browser. */
    g_autoptr(TestResponse) r = test_get (f->url, "/");
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "service"), ==, "pointsman");
  }
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/messages/count_tokens",
                                           "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"Count the tokens in this sentence, please.\"}]}",
                                           NULL, anthropic_headers);
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "input_tokens"), >, 0);
  }
  {
    g_autoptr(TestResponse) r = test_get (f->url, "/pointsman/v1/requests?limit=abc");

    g_assert_cmpuint (r->status, ==, 400);
  }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, before);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pm_proxy_get_log (f->proxy))), ==, 0);
}

/* Claude served through an OpenAI Chat API (a gateway such as OpenRouter). */
static const FixtureOptions only_chat = {
  .pool = "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim-chat\"}]",
};

/* Claude Code with an MCP tool whose name is over OpenAI's 64 characters, served through an
 * OpenAI Chat API: the name goes upstream shortened and the tool call comes back with the client's own
 * name, streamed and whole. */
static void
test_long_tool_name_back (Fixture       *f,
                          gconstpointer  data)
{
  const char *long_name = "mcp__claude_ai_Google_Drive__search_files_in_shared_drives_with_full_text_query";

  for (guint stream = 0; stream < 2; stream++)
    {
      g_autofree char *body = g_strdup_printf (
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"stream\":%s,"
        "\"tools\":[{\"name\":\"%s\",\"input_schema\":{\"type\":\"object\"}}],"
        "\"messages\":[{\"role\":\"user\",\"content\":\"Find the budget sheet.\"}]}",
        stream ? "true" : "false", long_name);
      g_autoptr(JsonNode) request = json_from_string (body, NULL);
      g_autoptr(JsonNode) upstream = pm_translate_request (PM_API_ANTHROPIC, PM_API_OPENAI_CHAT, request, TRUE, NULL);
      const char *short_name = json_object_get_string_member (json_object_get_object_member (
        json_array_get_object_element (json_object_get_array_member (json_node_get_object (upstream), "tools"), 0),
        "function"), "name");
      g_autoptr(PmSimReply) reply = pm_sim_reply_new (NULL);
      g_autoptr(TestResponse) r = NULL;
      g_autofree char *sent_name = NULL;
      const char *got = NULL;

      g_assert_cmpuint (strlen (short_name), <=, 64);
      pm_sim_reply_add_tool_call (reply, short_name, "{\"query\":\"budget\"}");
      pm_sim_upstream_push_reply (f->sim, reply);
      r = test_post (f->url, "/v1/messages", body, NULL, anthropic_headers);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/chat/completions");
      sent_name = g_strdup (json_object_get_string_member (json_object_get_object_member (
        json_array_get_object_element (json_object_get_array_member (
          json_node_get_object (pm_sim_upstream_get_last_json (f->sim)), "tools"), 0), "function"), "name"));
      g_assert_cmpstr (sent_name, ==, short_name);

      if (stream)
        {
          for (guint i = 0; i < r->events->len && got == NULL; i++)
            {
              TestEvent *e = g_ptr_array_index (r->events, i);
              g_autoptr(JsonNode) node = NULL;

              if (g_strcmp0 (e->event, "content_block_start") != 0)
                continue;
              node = json_from_string (e->data, NULL);
              if (g_strcmp0 (json_object_get_string_member (json_object_get_object_member (json_node_get_object (node), "content_block"), "type"), "tool_use") == 0)
                got = g_intern_string (json_object_get_string_member (json_object_get_object_member (json_node_get_object (node), "content_block"), "name"));
            }
        }
      else
        {
          g_autoptr(JsonNode) node = test_response_json (r);
          JsonArray *content = json_object_get_array_member (json_node_get_object (node), "content");

          for (guint i = 0; i < json_array_get_length (content) && got == NULL; i++)
            {
              JsonObject *b = json_array_get_object_element (content, i);

              if (g_strcmp0 (json_object_get_string_member (b, "type"), "tool_use") == 0)
                got = g_intern_string (json_object_get_string_member (b, "name"));
            }
        }
      g_assert_cmpstr (got, ==, long_name);
    }
}

static const FixtureOptions two_anthropic = {
  .pool = "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim-anthropic\"},"
          " {\"id\": \"claude-haiku-4-5\", \"provider\": \"sim-anthropic\"}]",
};

/* pointsman/auto is routed; when the chosen model fails before the first byte, the next is tried
 * and the explanation says so. */
static void
test_fallback (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(PmSimReply) overloaded = pm_sim_reply_new (NULL);
  g_autoptr(PmSimReply) fine = pm_sim_reply_new ("Answer from the fallback.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;
  const char *chosen;
  PmRecord *record;

  pm_sim_reply_set_error (overloaded, 529, "overloaded_error", "Overloaded", 0);
  pm_sim_upstream_push_reply (f->sim, overloaded);
  pm_sim_upstream_push_reply (f->sim, fine);

  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"pointsman/auto\",\"max_tokens\":200,\"stream\":true,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Rename the variable x to count in utils.c\"}]}",
                 NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 2);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Answer from the fallback.");

  record = last_record (f);
  chosen = soup_message_headers_get_one (r->headers, "x-pointsman-model");
  g_assert_cmpstr (pm_record_get_model (record), ==, chosen);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pm_sim_upstream_get_last_json (f->sim)), "model"),
                   ==, chosen);
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "failed before the first byte"));
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  assert_record_matches_upstream (f, record, chosen);
}

/* A stream whose first event is an error is a failure before the first byte, too. */
static void
test_fallback_error_first (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(PmSimReply) broken = pm_sim_reply_new ("never shown");
  g_autoptr(PmSimReply) fine = pm_sim_reply_new ("Served by the other model.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;
  PmRecord *record;

  pm_sim_reply_set_fail (broken, PM_SIM_FAIL_ERROR_EVENT, 0);
  pm_sim_upstream_push_reply (f->sim, broken);
  pm_sim_upstream_push_reply (f->sim, fine);

  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"pointsman/auto\",\"max_tokens\":200,\"stream\":true,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Add a unit test for parse_args\"}]}",
                 NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 2);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Served by the other model.");
  g_assert_null (strstr (r->body->str, "overloaded_error"));
  record = last_record (f);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "began with an error"));
}

/* Agents send multi-megabyte bodies: they go through whole. */
static void
test_large_body (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *filler = g_strnfill (3 * 1024 * 1024, 'x');
  g_autofree char *body = g_strdup_printf ("{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                                           filler);
  g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions", body, NULL, openai_headers);

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (pm_sim_upstream_get_last_body (f->sim)), >=, strlen (body) - 64);
  assert_body_unchanged (body, pm_sim_upstream_get_last_json (f->sim));
  assert_record_matches_upstream (f, last_record (f), "gpt-5-mini");
}

/* A pinned model outside the pool goes to the provider that speaks its API, under the client's
 * own name. */
static void
test_unlisted_pin (Fixture       *f,
                   gconstpointer  data)
{
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/messages",
                                           "{\"model\":\"claude-opus-4-5-20251101\",\"max_tokens\":50,"
                                           "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                           NULL, anthropic_headers);
    PmRecord *record = last_record (f);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pm_sim_upstream_get_last_json (f->sim)), "model"),
                     ==, "claude-opus-4-5-20251101");
    g_assert_cmpstr (pm_record_get_provider (record), ==, "sim-anthropic");
    g_assert_nonnull (strstr (pm_record_get_explanation (record), "not in the configured pool"));
    assert_record_matches_upstream (f, record, pm_catalog_lookup (f->catalog, "claude-opus-4-5-20251101")->id);
  }
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions",
                                           "{\"model\":\"my-local-model:7b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                           NULL, openai_headers);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/chat/completions");
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pm_sim_upstream_get_last_json (f->sim)), "model"),
                     ==, "my-local-model:7b");
    g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_DONE);
  }
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* The app switches the proxy off and on again: it listens anew and keeps its log. */
static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint running_changes = 0;
  g_autofree char *url = NULL;

  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions",
                                           "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"one\"}]}",
                                           NULL, openai_headers);

    g_assert_cmpuint (r->status, ==, 200);
  }

  g_signal_connect (f->proxy, "notify::running", G_CALLBACK (count_notify_cb), &running_changes);
  pm_proxy_stop (f->proxy);
  g_assert_false (pm_proxy_is_running (f->proxy));
  g_assert_cmpuint (pm_proxy_get_port (f->proxy), ==, 0);
  g_assert_true (pm_proxy_start (f->proxy, &error));
  g_assert_no_error (error);
  g_assert_true (pm_proxy_is_running (f->proxy));
  g_assert_cmpuint (running_changes, ==, 2);
  g_signal_handlers_disconnect_by_func (f->proxy, count_notify_cb, &running_changes);

  url = pm_proxy_dup_url (f->proxy);
  {
    g_autoptr(TestResponse) r = test_post (url, "/v1/chat/completions",
                                           "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"two\"}]}",
                                           NULL, openai_headers);

    g_assert_cmpuint (r->status, ==, 200);
  }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pm_proxy_get_log (f->proxy))), ==, 2);
}

/* A gateway that reports its own cost (LiteLLM header, OpenRouter usage.cost): that figure wins. */
static void
test_reported_cost (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PmSimReply) chat = pm_sim_reply_new ("priced by the gateway");
  g_autoptr(PmSimReply) anthropic = pm_sim_reply_new ("priced by the header");
  double computed;
  PmUsage usage;

  pm_sim_reply_set_reported_cost (chat, 0.0421);
  pm_sim_upstream_push_reply (f->sim, chat);
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions",
                                           "{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                                           NULL, openai_headers);

    g_assert_cmpuint (r->status, ==, 200);
  }
  pm_record_get_usage (last_record (f), &usage);
  computed = pm_usage_cost (&usage, pm_catalog_lookup (f->catalog, "gpt-5-mini"));
  g_assert_cmpfloat (computed, !=, 0.0421);
  g_assert_cmpfloat_with_epsilon (pm_record_get_cost (last_record (f)), 0.0421, 1e-12);

  pm_sim_reply_set_reported_cost (anthropic, 0.0077);
  pm_sim_upstream_push_reply (f->sim, anthropic);
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/messages",
                                           "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                                           NULL, anthropic_headers);

    g_assert_cmpuint (r->status, ==, 200);
  }
  g_assert_cmpfloat_with_epsilon (pm_record_get_cost (last_record (f)), 0.0077, 1e-12);
}

/* Codex compaction: POST /v1/responses/compact, whole, to a Responses provider only. */
static void
test_compact (Fixture       *f,
              gconstpointer  data)
{
  const char *codex_headers[] = { "authorization", "Bearer " CLIENT_KEY, "originator", "codex_cli_rs", NULL };
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Summary: renamed x to count; tests pass.");

  pm_sim_upstream_push_reply (f->sim, reply);
  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/responses/compact",
                                           "{\"model\":\"gpt-5\",\"input\":[{\"type\":\"message\",\"role\":\"user\","
                                           "\"content\":[{\"type\":\"input_text\",\"text\":\"rename x\"}]}],\"instructions\":\"You are Codex.\"}",
                                           NULL, codex_headers);
    g_autoptr(JsonNode) node = test_response_json (r);
    PmRecord *record = last_record (f);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/responses/compact");
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "object"), ==, "response.compaction");
    g_assert_cmpstr (pm_record_get_kind (record), ==, "compaction");
    assert_no_client_key_upstream (f);
    assert_record_matches_upstream (f, record, "gpt-5");
  }
  {
    /* A model behind a Chat provider cannot compact. */
    guint before = pm_sim_upstream_get_n_requests (f->sim);
    g_autoptr(TestResponse) r = test_post (f->url, "/responses/compact",
                                           "{\"model\":\"gpt-5-mini\",\"input\":\"x\"}", NULL, codex_headers);
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 400);
    g_assert_nonnull (strstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (node), "error"), "message"),
                              "Responses"));
    g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, before);
  }
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The explanation is built after the request went upstream, yet a record waiting on a slow
 * upstream has it (the why pane shows it while the provider thinks), and it is the one the
 * finished record keeps. */
static void
test_explanation_while_waiting (Fixture       *f,
                                gconstpointer  data)
{
  const char *json = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"Explain the build.\"}]}";
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("a slow upstream");
  g_autofree char *url = g_strconcat (f->url, "/v1/messages", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new_static (json, strlen (json));
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(JsonNode) waiting = NULL;
  g_autofree char *while_waiting = NULL;
  GAsyncResult *result = NULL;
  gboolean waited = FALSE;
  PmRecord *record;

  pm_sim_reply_set_delays (reply, 400, 0);
  pm_sim_upstream_push_reply (f->sim, reply);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_async (test_session (), msg, G_PRIORITY_DEFAULT, NULL, async_done_cb, &result);
  g_timeout_add (150, set_flag_cb, &waited);
  while (!waited)
    g_main_context_iteration (NULL, TRUE);

  /* sent upstream 150 ms ago, no answer yet */
  g_assert_null (result);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 1);
  record = last_record (f);
  g_assert_cmpint (pm_record_get_state (record), !=, PM_RECORD_DONE);
  g_assert_nonnull (pm_record_get_explanation (record));
  while_waiting = g_strdup (pm_record_get_explanation (record));
  waiting = json_from_string (while_waiting, NULL);
  g_assert_nonnull (waiting);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (waiting), "model"), ==,
                   pm_record_get_model (record));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (waiting), "candidates")), >, 0);
  g_assert_true (json_object_has_member (json_node_get_object (waiting), "features"));

  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  stream = soup_session_send_finish (test_session (), result, NULL);
  g_clear_object (&result);
  g_assert_nonnull (stream);
  /* (the short answer fits the socket's buffers: the proxy finishes without the client reading) */
  while (pm_record_get_state (record) != PM_RECORD_DONE)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (pm_record_get_explanation (record), ==, while_waiting);
  assert_record_published (f, record);
}

/* The app switches the proxy off mid-stream: the record says so, nothing is left hanging. */
static void
test_stop_in_flight (Fixture       *f,
                     gconstpointer  data)
{
  const char *json = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[]}";
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("a stream that will be cut short by the proxy stopping");
  g_autofree char *url = g_strconcat (f->url, "/v1/messages", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new_static (json, strlen (json));
  g_autoptr(GInputStream) stream = NULL;
  GAsyncResult *result = NULL;
  PmRecord *record;

  pm_sim_reply_set_delays (reply, 0, 100);
  pm_sim_upstream_push_reply (f->sim, reply);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_async (test_session (), msg, G_PRIORITY_DEFAULT, NULL, async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  stream = soup_session_send_finish (test_session (), result, NULL);
  g_clear_object (&result);
  g_assert_nonnull (stream);

  record = last_record (f);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_STREAMING);
  pm_proxy_stop (f->proxy);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_FAILED);
  g_assert_nonnull (strstr (pm_record_get_error (record), "stopped"));
  g_assert_cmpuint (pm_sim_upstream_get_n_streams_done (f->sim), ==, 0);
}

/* Many agents at once (more than libsoup's default two connections per host): every stream
 * completes, each with its own record. */
static void
test_concurrent (Fixture       *f,
                 gconstpointer  data)
{
  const guint n = 12;
  g_autoptr(GPtrArray) responses = g_ptr_array_new_with_free_func ((GDestroyNotify) test_response_free);
  g_autofree char *url = g_strconcat (f->url, "/v1/messages", NULL);
  gboolean all_done = FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("reply number %u", i);
      g_autoptr(PmSimReply) reply = pm_sim_reply_new (text);

      pm_sim_reply_set_delays (reply, 0, 20);
      pm_sim_upstream_push_reply (f->sim, reply);
    }
  for (guint i = 0; i < n; i++)
    {
      const char *body = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":50,\"stream\":true,"
                         "\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";

      g_ptr_array_add (responses, test_request_begin ("POST", url, body, strlen (body), NULL, anthropic_headers));
    }

  while (!all_done)
    {
      g_main_context_iteration (NULL, TRUE);
      all_done = TRUE;
      for (guint i = 0; i < n; i++)
        all_done &= ((TestResponse *) g_ptr_array_index (responses, i))->done;
    }

  {
    g_autoptr(GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    PmRequestLog *log = pm_proxy_get_log (f->proxy);

    for (guint i = 0; i < n; i++)
      {
        TestResponse *r = g_ptr_array_index (responses, i);

        g_assert_cmpuint (r->status, ==, 200);
        g_hash_table_add (texts, test_stream_text (r));
      }
    /* Every scripted reply reached exactly one client. */
    g_assert_cmpuint (g_hash_table_size (texts), ==, n);
    g_assert_cmpuint (pm_sim_upstream_get_n_streams_done (f->sim), ==, n);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, n);
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(PmRecord) record = g_list_model_get_item (G_LIST_MODEL (log), i);
        PmUsage usage;

        g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
        pm_record_get_usage (record, &usage);
        g_assert_true (usage.seen);
        g_assert_cmpfloat (pm_record_get_cost (record), >, 0.0);
      }
  }
}

static void
html_gateway_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  const char *page = "<html><body><h1>502 Bad Gateway</h1></body></html>";

  soup_server_message_set_status (msg, 502, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, strlen (page));
}

/* A gateway in between answers with an HTML page: the client still gets its own error shape. */
static void
test_html_gateway (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(SoupServer) gateway = soup_server_new (NULL, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *base = NULL;
  GSList *listeners;
  PmProviderConfig replaced = *pm_config_lookup_provider (f->config, "sim-chat");

  soup_server_add_handler (gateway, NULL, html_gateway_cb, NULL, NULL);
  g_assert_true (soup_server_listen (gateway, address, 0, &error));
  g_assert_no_error (error);
  listeners = soup_server_get_listeners (gateway);
  local = g_socket_get_local_address (listeners->data, &error);
  g_slist_free (listeners);
  g_assert_no_error (error);
  base = g_strdup_printf ("http://127.0.0.1:%u/v1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));

  replaced.base_url = base;
  pm_config_set_provider (f->config, &replaced);

  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions",
                                           "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                                           NULL, openai_headers);
    g_autoptr(JsonNode) node = test_response_json (r);

    g_assert_cmpuint (r->status, ==, 502);
    g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "application/json");
    g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (node), "error")));
    g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_FAILED);
  }
  soup_server_disconnect (gateway);
}

static void
leaky_stream_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  const char *stream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
    "event: error\n"
    "data: {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
    "\"key " PROVIDER_KEY " (sk-ant-api03-abc***xyz) was revoked\"}}\n\n";

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/event-stream", SOUP_MEMORY_STATIC, stream, strlen (stream));
}

/* An upstream error event mid-stream that quotes the key: redacted on its way to the client. */
static void
test_stream_error_redacted (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(SoupServer) leaky = soup_server_new (NULL, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  GSList *listeners;
  PmProviderConfig replaced = *pm_config_lookup_provider (f->config, "sim-anthropic");

  soup_server_add_handler (leaky, NULL, leaky_stream_cb, NULL, NULL);
  g_assert_true (soup_server_listen (leaky, address, 0, &error));
  listeners = soup_server_get_listeners (leaky);
  local = g_socket_get_local_address (listeners->data, &error);
  g_slist_free (listeners);
  base = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  replaced.base_url = base;
  pm_config_set_provider (f->config, &replaced);

  {
    g_autoptr(TestResponse) r = test_post (f->url, "/v1/messages",
                                           "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,"
                                           "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                                           NULL, anthropic_headers);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_nonnull (strstr (r->body->str, "was revoked"));
    g_assert_null (strstr (r->body->str, PROVIDER_KEY));
    g_assert_null (strstr (r->body->str, "sk-ant"));
    g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_FAILED);
    g_assert_null (strstr (pm_record_get_error (last_record (f)), PROVIDER_KEY));
    g_assert_null (strstr (pm_record_get_error (last_record (f)), "sk-ant"));
  }
  soup_server_disconnect (leaky);
}

static const FixtureOptions with_prompts = {
  .extra_config = "\"store_prompts\": true,",
};

/* With store_prompts on, the latest user text lands in the record, the endpoint and SQLite. */
static void
test_store_prompts (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TestResponse) r = test_post (f->url, "/v1/chat/completions",
                                         "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                                         "{\"role\":\"user\",\"content\":\"Why does the build fail on arm64?\"}]}",
                                         NULL, openai_headers);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) rows = NULL;

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (pm_record_get_prompt (last_record (f)));
  g_assert_nonnull (strstr (pm_record_get_prompt (last_record (f)), "Why does the build fail on arm64?"));
  g_assert_true (pm_store_flush (f->store, &error));
  rows = pm_store_list_recent (f->store, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "prompt"),
                            "Why does the build fail on arm64?"));
}

static void
test_unreachable_upstream (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) node = NULL;

  /* The upstream goes away: 502 in the client's shape, nothing hangs. */
  pm_sim_upstream_stop (f->sim);
  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 502);
  node = test_response_json (r);
  g_assert_true (json_object_has_member (json_node_get_object (node), "error"));
  g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_FAILED);
}

static void
test_translated (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Translated all the way.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;

  /* An Anthropic client pinned to a model whose provider speaks Responses. */
  pm_sim_upstream_push_reply (f->sim, reply);
  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"gpt-5\",\"max_tokens\":200,\"stream\":true,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
                 NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/responses");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " PROVIDER_KEY);
  g_assert_null (pm_sim_upstream_get_last_header (f->sim, "anthropic-beta"));
  g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, 0))->event, ==, "message_start");
  g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, r->events->len - 1))->event, ==, "message_stop");
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Translated all the way.");
  assert_record_matches_upstream (f, last_record (f), "gpt-5");
}

/* Other directions: a Chat client to an Anthropic model (whole), a Responses client to a Chat
 * model (streamed). */
static void
test_translated_other_ways (Fixture       *f,
                            gconstpointer  data)
{
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Whole and translated.");
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) node = NULL;
    JsonObject *message;

    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/chat/completions",
                   "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,"
                   "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hello\"}]}",
                   NULL, openai_headers);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/messages");
    g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-api-key"), ==, PROVIDER_KEY);
    assert_no_client_key_upstream (f);
    node = test_response_json (r);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "object"), ==, "chat.completion");
    message = json_object_get_object_member (json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (node), "choices"), 0), "message");
    g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "Whole and translated.");
    assert_record_matches_upstream (f, last_record (f), "claude-haiku-4-5");
  }
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Responses over Chat.");
    g_autoptr(TestResponse) r = NULL;
    g_autofree char *text = NULL;
    JsonObject *upstream;

    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/responses",
                   "{\"model\":\"gpt-5-mini\",\"stream\":true,\"input\":\"hello\"}",
                   NULL, openai_headers);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/chat/completions");
    upstream = json_node_get_object (pm_sim_upstream_get_last_json (f->sim));
    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (upstream, "stream_options"), "include_usage"));
    g_assert_cmpstr (((TestEvent *) g_ptr_array_index (r->events, r->events->len - 1))->event, ==, "response.completed");
    text = test_stream_text (r);
    g_assert_cmpstr (text, ==, "Responses over Chat.");
    assert_record_matches_upstream (f, last_record (f), "gpt-5-mini");
  }
}

static const FixtureOptions short_timeouts = {
  .extra_config = "\"limits\": {\"connect_timeout\": 1, \"idle_timeout\": 1},",
};

/* No reply within connect_timeout: 504 (a pinned model has no fallback). Silence mid-stream
 * beyond idle_timeout: an error event ends the stream. */
static void
test_timeouts (Fixture       *f,
               gconstpointer  data)
{
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("too late");
    g_autoptr(TestResponse) r = NULL;
    g_autoptr(JsonNode) node = NULL;

    pm_sim_reply_set_delays (reply, 5000, 0);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/messages",
                   "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                   NULL, anthropic_headers);
    g_assert_cmpuint (r->status, ==, 504);
    node = test_response_json (r);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "error");
    g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_FAILED);
  }
  {
    g_autoptr(PmSimReply) reply = pm_sim_reply_new ("a slow stream");
    g_autoptr(TestResponse) r = NULL;
    TestEvent *last;

    pm_sim_reply_set_delays (reply, 0, 5000);
    pm_sim_upstream_push_reply (f->sim, reply);
    r = test_post (f->url, "/v1/chat/completions",
                   "{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                   NULL, openai_headers);
    g_assert_cmpuint (r->status, ==, 200);
    last = g_ptr_array_index (r->events, r->events->len - 1);
    g_assert_nonnull (strstr (last->data, "\"error\""));
    g_assert_null (strstr (r->body->str, "[DONE]"));
    g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_FAILED);
    g_assert_nonnull (strstr (pm_record_get_error (last_record (f)), "sent nothing"));
  }
}

/* The provider's key from the real Secret Service keyring (build-aux/test.sh unlocks one). */
static void
test_real_keyring (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(PmProxy) proxy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *url = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("No D-Bus session bus: run under build-aux/test.sh for the keyring");
      return;
    }

  keyring = pm_keyring_new ();
  if (!pm_keyring_store_sync (keyring, "sim-anthropic", PROVIDER_KEY, NULL, &error))
    {
      g_autofree char *message = g_strdup_printf ("No usable Secret Service: %s", error->message);

      g_test_skip (message);
      return;
    }

  proxy = pm_proxy_new (f->config, f->catalog, f->router, keyring, NULL);
  g_assert_true (pm_proxy_start (proxy, &error));
  g_assert_no_error (error);
  url = pm_proxy_dup_url (proxy);

  r = test_post (url, "/v1/messages",
                 "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                 NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-api-key"), ==, PROVIDER_KEY);
  assert_no_client_key_upstream (f);

  g_assert_true (pm_keyring_remove_sync (keyring, "sim-anthropic", NULL, &error));
  g_assert_no_error (error);
  pm_proxy_stop (proxy);
}


/* A streamed request whose reply is @reply, through a session of its own; returns once the
 * client has its first bytes, with the record streaming. */
static GInputStream *
open_stream (Fixture      *f,
             PmSimReply   *reply,
             SoupSession **session_out)
{
  const char *json = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[]}";
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strconcat (f->url, "/v1/messages", NULL);
  SoupSession *session = soup_session_new ();
  GAsyncResult *result = NULL;
  GInputStream *stream;

  pm_sim_upstream_push_reply (f->sim, reply);
  msg = soup_message_new ("POST", url);
  body = g_bytes_new_static (json, strlen (json));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  stream = soup_session_send_finish (session, result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);

  g_input_stream_read_bytes_async (stream, 64, G_PRIORITY_DEFAULT, NULL, async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  first = g_input_stream_read_bytes_finish (stream, result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (first), >, 0);
  g_assert_cmpint (pm_record_get_state (last_record (f)), ==, PM_RECORD_STREAMING);

  *session_out = session;
  return stream;
}

/* A stream whose events come @between_ms apart; the client hangs up after its first bytes. The
 * record fails and the upstream stream is cancelled, within 20 s. */
static void
hang_up (Fixture    *f,
         const char *text,
         guint       between_ms)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new (text);
  GInputStream *stream;
  SoupSession *session;
  PmRecord *record;
  gint64 deadline;

  pm_sim_reply_set_delays (reply, 0, between_ms);
  stream = open_stream (f, reply, &session);

  record = last_record (f);
  g_object_unref (stream);
  soup_session_abort (session);
  g_object_unref (session);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (pm_record_get_state (record) == PM_RECORD_STREAMING && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_FAILED);
  g_assert_cmpuint (pm_sim_upstream_get_n_streams_done (f->sim), ==, 0);
}

/* Mid-stream, events 50 ms apart. */
static void
test_client_disconnects (Fixture       *f,
                         gconstpointer  data)
{
  hang_up (f, "a long answer that the client will not wait for at all", 50);
}

/* While the upstream is silent (a model thinking, the next event a minute away): the proxy sees
 * the client's end of the connection and cancels the upstream request at once; it does not wait
 * for an event that would fail to write. */
static void
test_client_hangs_up_while_silent (Fixture       *f,
                                   gconstpointer  data)
{
  hang_up (f, "an answer whose second event is a minute away", 60000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, opts, func) g_test_add (path, Fixture, opts, fixture_setup, func, fixture_teardown)
  ADD ("/pm/proxy/anthropic/stream", NULL, test_anthropic_stream);
  ADD ("/pm/proxy/anthropic/upstream-connection-reused", NULL, test_upstream_connection_reused);
  g_test_add_func ("/pm/proxy/log/compaction", test_log_compaction);
  ADD ("/pm/proxy/anthropic/relay-whole-events", NULL, test_relay_whole_events);
  ADD ("/pm/proxy/anthropic/whole", NULL, test_anthropic_whole);
  ADD ("/pm/proxy/chat/stream", NULL, test_chat_stream);
  ADD ("/pm/proxy/chat/stream-with-usage", NULL, test_chat_stream_with_usage);
  ADD ("/pm/proxy/chat/translated-usage", NULL, test_chat_translated_usage);
  ADD ("/pm/proxy/anthropic/long-tool-name-back", &only_chat, test_long_tool_name_back);
  ADD ("/pm/proxy/chat/whole", NULL, test_chat_whole);
  ADD ("/pm/proxy/responses", NULL, test_responses);
  ADD ("/pm/proxy/upstream-errors", NULL, test_upstream_errors);
  ADD ("/pm/proxy/client-errors", NULL, test_client_errors);
  ADD ("/pm/proxy/too-large", &small_body, test_too_large);
  ADD ("/pm/proxy/local-endpoints", NULL, test_local_endpoints);
  ADD ("/pm/proxy/fallback", &two_anthropic, test_fallback);
  ADD ("/pm/proxy/fallback-error-first", &two_anthropic, test_fallback_error_first);
  ADD ("/pm/proxy/large-body", NULL, test_large_body);
  ADD ("/pm/proxy/store-prompts", &with_prompts, test_store_prompts);
  ADD ("/pm/proxy/unlisted-pin", NULL, test_unlisted_pin);
  ADD ("/pm/proxy/restart", NULL, test_restart);
  ADD ("/pm/proxy/reported-cost", NULL, test_reported_cost);
  ADD ("/pm/proxy/compact", NULL, test_compact);
  ADD ("/pm/proxy/stop-in-flight", NULL, test_stop_in_flight);
  ADD ("/pm/proxy/explanation-while-waiting", NULL, test_explanation_while_waiting);
  ADD ("/pm/proxy/concurrent", NULL, test_concurrent);
  ADD ("/pm/proxy/html-gateway", NULL, test_html_gateway);
  ADD ("/pm/proxy/stream-error-redacted", NULL, test_stream_error_redacted);
  ADD ("/pm/proxy/unreachable", NULL, test_unreachable_upstream);
  ADD ("/pm/proxy/translated", NULL, test_translated);
  ADD ("/pm/proxy/translated-other-ways", NULL, test_translated_other_ways);
  ADD ("/pm/proxy/timeouts", &short_timeouts, test_timeouts);
  ADD ("/pm/proxy/client-disconnects", NULL, test_client_disconnects);
  ADD ("/pm/proxy/client-hangs-up-while-silent", NULL, test_client_hangs_up_while_silent);
  ADD ("/pm/proxy/real-keyring", NULL, test_real_keyring);
#undef ADD

  return g_test_run ();
}
