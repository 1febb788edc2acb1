/* test-hardening-faults.c — upstream faults through the real proxy (issue 7, item 3)
 *
 * Before the first byte reaches the client a failing candidate is replaced by the next one and
 * the explanation says why; after it the client gets a proper in-stream error event in its own
 * API's shape. Never a hung client. Faults: connection refused, empty reply, TLS failure,
 * timeout before the first byte, 429 with retry-after, 5xx, stream cut midway, malformed SSE,
 * silence in the middle of a stream.
 *
 * The router decides which of two candidates comes first. For faults tied to a provider, each
 * test runs twice with the faulty provider on either model: both runs must answer 200 from the
 * healthy one, and at least one must have failed over (the explanation says so).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-sse.h"
#include "pm-translate.h"
#include "test-hardening-common.h"

static const char *auto_body =
  "{\"model\":\"pointsman/auto\",\"max_tokens\":200,\"stream\":true,"
  "\"messages\":[{\"role\":\"user\",\"content\":\"Rename the variable x to count in utils.c\"}]}";

static const char *sim_providers =
  "[{\"id\": \"sim-a\", \"api\": \"anthropic\", \"base_url\": \"@SIM@\", \"key\": \"keyring\"},"
  " {\"id\": \"sim-b\", \"api\": \"anthropic\", \"base_url\": \"@SIM@\", \"key\": \"keyring\"}]";

static const char *sim_models =
  "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"sim-a\"},"
  " {\"id\": \"claude-haiku-4-5\", \"provider\": \"sim-b\"}]";

static const char *short_timeouts = "\"limits\": {\"connect_timeout\": 1, \"idle_timeout\": 1},";

static gboolean
explains_failover (PmRecord *record)
{
  const char *explanation = pm_record_get_explanation (record);

  return explanation != NULL &&
         (strstr (explanation, "failed before the first byte") != NULL ||
          strstr (explanation, "could not be reached") != NULL ||
          strstr (explanation, "sent no reply") != NULL ||
          strstr (explanation, "trying") != NULL);
}

typedef enum
{
  OUTCOME_DIRECT,        /* the healthy candidate came first: nothing to fail over */
  OUTCOME_FAILED_OVER,   /* the faulty one came first; the healthy one answered */
  OUTCOME_BROKEN,        /* the client did not get the healthy answer */
} Outcome;

/* One request through a proxy whose providers are `bad` (the fault) and the scripted upstream.
 * bad_first: the faulty provider serves the model listed first. */
static Outcome
failover_once (const char *bad_provider_json,
               gboolean    bad_first,
               const char *extra)
{
  HardFixture f;
  g_autofree char *providers = g_strdup_printf (
    "[%s, {\"id\": \"good\", \"api\": \"anthropic\", \"base_url\": \"@SIM@\", \"key\": \"keyring\"}]",
    bad_provider_json);
  g_autofree char *models = g_strdup_printf (
    "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"%s\"},"
    " {\"id\": \"claude-haiku-4-5\", \"provider\": \"%s\"}]",
    bad_first ? "bad" : "good", bad_first ? "good" : "bad");
  g_autoptr(PmSimReply) fine = pm_sim_reply_new ("Answer from the healthy upstream.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;
  Outcome outcome;
  PmRecord *record;

  hard_fixture_start (&f, providers, models, "claude-sonnet-4-5", extra);
  pm_sim_upstream_push_reply (f.sim, fine);

  /* Whatever happens, the client is answered (no hang): the test client gives up after 30 s. */
  r = test_post (f.url, "/v1/messages", auto_body, NULL, hard_anthropic_headers);
  g_assert_no_error (r->error);
  text = test_stream_text (r);
  record = hard_last_record (&f);

  if (r->status == 200 && g_strcmp0 (text, "Answer from the healthy upstream.") == 0 &&
      pm_sim_upstream_get_n_requests (f.sim) == 1 &&
      pm_record_get_state (record) == PM_RECORD_DONE &&
      g_strcmp0 (pm_record_get_provider (record), "good") == 0)
    outcome = explains_failover (record) ? OUTCOME_FAILED_OVER : OUTCOME_DIRECT;
  else
    {
      outcome = OUTCOME_BROKEN;
      g_test_message ("status %u, client got: %s", r->status, r->body->str);
    }
  g_test_message ("bad provider first=%d: served by %s, outcome %d", bad_first,
                  pm_record_get_model (record), outcome);

  hard_fixture_stop (&f);
  return outcome;
}

static void
assert_failover_both_ways (const char *bad_provider_json,
                           const char *extra)
{
  Outcome a = failover_once (bad_provider_json, TRUE, extra);
  Outcome b = failover_once (bad_provider_json, FALSE, extra);

  g_assert_cmpint (a, !=, OUTCOME_BROKEN);
  g_assert_cmpint (b, !=, OUTCOME_BROKEN);
  /* The router put the faulty one first in at least one of the two layouts. */
  g_assert_true (a == OUTCOME_FAILED_OVER || b == OUTCOME_FAILED_OVER);
}

static void
test_connection_refused (void)
{
  g_autofree char *bad = g_strdup_printf (
    "{\"id\": \"bad\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:%u\", \"key\": \"keyring\"}",
    hard_dead_port ());

  assert_failover_both_ways (bad, NULL);
}

static void
test_empty_reply (void)
{
  RawUpstream *u = raw_upstream_start (NULL, FALSE);
  g_autofree char *bad = g_strdup_printf (
    "{\"id\": \"bad\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:%u\", \"key\": \"keyring\"}",
    u->port);

  assert_failover_both_ways (bad, NULL);
  g_assert_cmpint (g_atomic_int_get (&u->n_requests), >=, 1);
  raw_upstream_stop (u);
}

static void
test_tls_failure (void)
{
  /* https:// to a server that speaks plain HTTP: the TLS handshake fails. */
  RawUpstream *u = raw_upstream_start ("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", FALSE);

  u->no_read = TRUE;   /* answer at once, as a plain HTTP server does to a ClientHello */
  g_autofree char *bad = g_strdup_printf (
    "{\"id\": \"bad\", \"api\": \"anthropic\", \"base_url\": \"https://127.0.0.1:%u\", \"key\": \"keyring\"}",
    u->port);

  assert_failover_both_ways (bad, NULL);
  raw_upstream_stop (u);
}

/* A host name that never resolves (RFC 6761 reserves .invalid): the lookup fails at once. */
#define NO_SUCH_HOST "pointsman-no-such-host.invalid"

static void
test_name_resolution (void)
{
  const char *bad = "{\"id\": \"bad\", \"api\": \"anthropic\", \"base_url\": \"http://" NO_SUCH_HOST ":1/\", \"key\": \"keyring\"}";

  assert_failover_both_ways (bad, short_timeouts);
}

/* With only the unresolvable provider: one clean 502 in each client's own shape, no hang
 * (the test client gives up after 30 s), the record failed and saying why. */
static void
test_name_resolution_only (void)
{
  const struct {
    const char *path;
    const char *body;
    PmApi       api;
    const char * const *headers;
  } clients[] = {
    { "/v1/messages", "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":50,\"stream\":true,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", PM_API_ANTHROPIC, hard_anthropic_headers },
    { "/v1/chat/completions", "{\"model\":\"claude-haiku-4-5\",\"stream\":true,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", PM_API_OPENAI_CHAT, hard_openai_headers },
    { "/v1/responses", "{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"input\":\"x\"}",
      PM_API_OPENAI_RESPONSES, hard_openai_headers },
  };
  HardFixture f;

  hard_fixture_start (&f,
                      "[{\"id\": \"nowhere\", \"api\": \"anthropic\", \"base_url\": \"http://" NO_SUCH_HOST ":1/\", \"key\": \"keyring\"}]",
                      "[{\"id\": \"claude-haiku-4-5\", \"provider\": \"nowhere\"}]",
                      "claude-haiku-4-5", short_timeouts);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autoptr(TestResponse) r = test_post (f.url, clients[i].path, clients[i].body, NULL, clients[i].headers);
      g_autoptr(JsonNode) node = NULL;
      JsonObject *o;
      PmRecord *record;

      g_assert_no_error (r->error);
      g_test_message ("%s: %u %s", clients[i].path, r->status, r->body->str);
      g_assert_cmpuint (r->status, ==, 502);
      node = test_response_json (r);
      g_assert_nonnull (node);
      o = json_node_get_object (node);
      if (clients[i].api == PM_API_ANTHROPIC)
        {
          g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "error");
          g_assert_true (json_object_has_member (json_object_get_object_member (o, "error"), "message"));
        }
      else
        {
          g_assert_true (json_object_has_member (o, "error"));
          g_assert_true (json_object_has_member (json_object_get_object_member (o, "error"), "message"));
          g_assert_true (json_object_has_member (json_object_get_object_member (o, "error"), "type"));
        }
      g_assert_null (strstr (r->body->str, HARD_PROVIDER_KEY));

      record = hard_last_record (&f);
      g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_FAILED);
      g_assert_nonnull (pm_record_get_error (record));
    }
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 0);
  hard_fixture_stop (&f);
}

static void
test_timeout_before_first_byte (void)
{
  /* Accepts, reads the request, never answers. */
  RawUpstream *u = raw_upstream_start (NULL, TRUE);
  g_autofree char *bad = g_strdup_printf (
    "{\"id\": \"bad\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:%u\", \"key\": \"keyring\"}",
    u->port);

  assert_failover_both_ways (bad, short_timeouts);
  raw_upstream_stop (u);
}

static void
test_malformed_before_first_byte (void)
{
  RawUpstream *u = raw_upstream_start ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                       "Connection: close\r\n\r\n"
                                       "event: message_start\ndata: {this is not json\n\n", FALSE);
  g_autofree char *bad = g_strdup_printf (
    "{\"id\": \"bad\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:%u\", \"key\": \"keyring\"}",
    u->port);

  /* Finding 2: the stream is held until its first valid event, so this fails over. */
  assert_failover_both_ways (bad, NULL);
  raw_upstream_stop (u);
}

/* Scripted failures: the first request (whichever model) gets the fault, the next a good reply. */
static void
scripted_failover (PmSimReply *fault,
                   const char *extra)
{
  HardFixture f;
  g_autoptr(PmSimReply) fine = pm_sim_reply_new ("Answer after the fault.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;
  PmRecord *record;

  hard_fixture_start (&f, sim_providers, sim_models, "claude-sonnet-4-5", extra);
  pm_sim_upstream_push_reply (f.sim, fault);
  pm_sim_upstream_push_reply (f.sim, fine);

  r = test_post (f.url, "/v1/messages", auto_body, NULL, hard_anthropic_headers);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Answer after the fault.");
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f.sim), ==, 2);

  record = hard_last_record (&f);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  g_assert_true (explains_failover (record));

  hard_fixture_stop (&f);
}

static void
test_rate_limited (void)
{
  g_autoptr(PmSimReply) fault = pm_sim_reply_new (NULL);

  pm_sim_reply_set_error (fault, 429, "rate_limit_error", "Slow down", 30);
  scripted_failover (fault, NULL);
}

static void
test_server_errors (void)
{
  const guint statuses[] = { 500, 502, 503, 529 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(PmSimReply) fault = pm_sim_reply_new (NULL);

      pm_sim_reply_set_error (fault, statuses[i], statuses[i] == 529 ? "overloaded_error" : "api_error",
                              "Upstream trouble", 0);
      scripted_failover (fault, NULL);
    }
}

static void
test_slow_first_byte (void)
{
  g_autoptr(PmSimReply) fault = pm_sim_reply_new ("too late");

  pm_sim_reply_set_delays (fault, 4000, 0);
  scripted_failover (fault, short_timeouts);
}

/* With nothing to fail over to, the client gets the upstream's status (and retry-after). */
static void
test_rate_limited_pinned (void)
{
  HardFixture f;
  g_autoptr(PmSimReply) fault = pm_sim_reply_new (NULL);
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) node = NULL;

  hard_fixture_start (&f, sim_providers, sim_models, "claude-sonnet-4-5", NULL);
  pm_sim_reply_set_error (fault, 429, "rate_limit_error", "Slow down", 17);
  pm_sim_upstream_push_reply (f.sim, fault);

  r = test_post (f.url, "/v1/chat/completions",
                 "{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                 NULL, hard_openai_headers);
  g_assert_cmpuint (r->status, ==, 429);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "retry-after"), ==, "17");
  node = test_response_json (r);
  g_assert_true (json_object_has_member (json_node_get_object (node), "error"));
  g_assert_cmpint (pm_record_get_state (hard_last_record (&f)), ==, PM_RECORD_FAILED);

  hard_fixture_stop (&f);
}

/* After the first byte: the stream ends with an error event in the client's own shape. */
static void
assert_in_stream_error (TestResponse *r,
                        PmApi         client_api)
{
  TestEvent *last;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (r->events->len, >=, 2);
  last = g_ptr_array_index (r->events, r->events->len - 1);
  g_test_message ("last event: %s %s", last->event, last->data);

  node = json_from_string (last->data, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  switch (client_api)
    {
    case PM_API_ANTHROPIC:
      g_assert_cmpstr (last->event, ==, "error");
      g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "error");
      g_assert_null (strstr (r->body->str, "message_stop"));
      break;
    case PM_API_OPENAI_CHAT:
      g_assert_true (json_object_has_member (o, "error"));
      break;
    case PM_API_OPENAI_RESPONSES:
      g_assert_true (g_strcmp0 (last->event, "error") == 0 || g_strcmp0 (last->event, "response.failed") == 0);
      g_assert_null (strstr (r->body->str, "response.completed"));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
test_cut_midway (void)
{
  const struct {
    const char *path;
    const char *body;
    PmApi       api;
    const char * const *headers;
  } clients[] = {
    { "/v1/messages", "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":50,\"stream\":true,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", PM_API_ANTHROPIC, hard_anthropic_headers },
    { "/v1/chat/completions", "{\"model\":\"claude-haiku-4-5\",\"stream\":true,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", PM_API_OPENAI_CHAT, hard_openai_headers },
    { "/v1/responses", "{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"input\":\"x\"}",
      PM_API_OPENAI_RESPONSES, hard_openai_headers },
  };
  HardFixture f;

  hard_fixture_start (&f, sim_providers, sim_models, "claude-sonnet-4-5", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autoptr(PmSimReply) reply = pm_sim_reply_new ("this stream will be cut off in the middle of it");
      g_autoptr(TestResponse) r = NULL;
      PmRecord *record;

      pm_sim_reply_set_fail (reply, PM_SIM_FAIL_DROP, 4);
      pm_sim_reply_set_delays (reply, 0, 5);
      pm_sim_upstream_push_reply (f.sim, reply);
      r = test_post (f.url, clients[i].path, clients[i].body, NULL, clients[i].headers);
      assert_in_stream_error (r, clients[i].api);

      record = hard_last_record (&f);
      g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_FAILED);
      g_assert_nonnull (pm_record_get_error (record));
    }
  hard_fixture_stop (&f);
}

static void
test_error_event_midway (void)
{
  HardFixture f;
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("this stream gets an overloaded error event");
  g_autoptr(TestResponse) r = NULL;

  hard_fixture_start (&f, sim_providers, sim_models, "claude-sonnet-4-5", NULL);
  pm_sim_reply_set_fail (reply, PM_SIM_FAIL_ERROR_EVENT, 4);
  pm_sim_upstream_push_reply (f.sim, reply);
  r = test_post (f.url, "/v1/chat/completions",
                 "{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                 NULL, hard_openai_headers);
  assert_in_stream_error (r, PM_API_OPENAI_CHAT);
  g_assert_cmpint (pm_record_get_state (hard_last_record (&f)), ==, PM_RECORD_FAILED);
  hard_fixture_stop (&f);
}

/* Valid events, then garbage, from a Chat upstream to an Anthropic client (translated). */
static void
test_malformed_midway (void)
{
  RawUpstream *u = raw_upstream_start (
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello \"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"world\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\n\n"
    "data: [DONE]\n\n", FALSE);
  g_autofree char *providers = g_strdup_printf (
    "[{\"id\": \"raw-chat\", \"api\": \"openai-chat\", \"base_url\": \"http://127.0.0.1:%u/v1\", \"key\": \"keyring\"}]",
    u->port);
  HardFixture f;
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;

  hard_fixture_start (&f, providers, "[{\"id\": \"gpt-5-mini\", \"provider\": \"raw-chat\"}]", "gpt-5-mini", NULL);
  r = test_post (f.url, "/v1/messages",
                 "{\"model\":\"gpt-5-mini\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                 NULL, hard_anthropic_headers);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Hello world");
  /* Finding 3: not a silent truncation ending in message_stop, but an in-stream error. */
  assert_in_stream_error (r, PM_API_ANTHROPIC);
  g_assert_cmpint (pm_record_get_state (hard_last_record (&f)), ==, PM_RECORD_FAILED);

  hard_fixture_stop (&f);
  raw_upstream_stop (u);
}

/* The upstream falls silent mid-stream: the idle timeout ends it with an error event. */
static void
test_silence_midway (void)
{
  RawUpstream *u = raw_upstream_start (
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Thinking about it\"}}\n\n",
    TRUE);
  g_autofree char *providers = g_strdup_printf (
    "[{\"id\": \"raw\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:%u\", \"key\": \"keyring\"}]",
    u->port);
  HardFixture f;
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;

  hard_fixture_start (&f, providers, "[{\"id\": \"claude-haiku-4-5\", \"provider\": \"raw\"}]",
                      "claude-haiku-4-5", short_timeouts);
  r = test_post (f.url, "/v1/messages",
                 "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                 NULL, hard_anthropic_headers);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Thinking about it");
  assert_in_stream_error (r, PM_API_ANTHROPIC);
  g_assert_cmpint (pm_record_get_state (hard_last_record (&f)), ==, PM_RECORD_FAILED);

  hard_fixture_stop (&f);
  raw_upstream_stop (u);
}

/* Each event's sequence_number in a Responses stream (-1 for an event without one). */
static gboolean
collect_sequence (const char *event,
                  const char *data,
                  gsize       len,
                  gpointer    user_data)
{
  GArray *numbers = user_data;
  g_autoptr(JsonNode) node = json_from_string (data, NULL);
  gint64 n = -1;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
      json_object_has_member (json_node_get_object (node), "sequence_number"))
    n = json_object_get_int_member (json_node_get_object (node), "sequence_number");
  g_array_append_val (numbers, n);
  return TRUE;
}

static GArray *
sequence_numbers (const char *sse,
                  gsize       len)
{
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (gint64));

  pm_sse_parser_feed (parser, sse, len, collect_sequence, numbers);
  return numbers;
}

/* Finding 6: an error event in the middle of a Responses stream continues its sequence. Here
 * the stream is one the translator makes from an Anthropic upstream; the error event comes
 * from pm_error_event_at () with pm_responses_next_sequence () over what was sent. */
static void
test_responses_error_sequence (void)
{
  const char *upstream[][2] = {
    { "message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}" },
    { "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}" },
    /* A model writing about sequence numbers: the escaped name in its text does not count. */
    { "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"{\\\"sequence_number\\\": 999}\"}}" },
    { "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" and more\"}}" },
  };
  g_autoptr(PmStreamTranslator) translator = pm_stream_translator_new (PM_API_ANTHROPIC, PM_API_OPENAI_RESPONSES,
                                                                       "claude-haiku-4-5");
  g_autoptr(GString) sent = g_string_new (NULL);
  g_autoptr(GArray) numbers = NULL;
  g_autofree char *error_event = NULL;
  gint64 next = 0;

  for (guint i = 0; i < G_N_ELEMENTS (upstream); i++)
    {
      g_autoptr(GError) error = NULL;
      gsize before = sent->len;

      g_assert_true (pm_stream_translator_feed (translator, upstream[i][0], upstream[i][1], sent, &error));
      g_assert_no_error (error);
      /* As the proxy would: chunk by chunk, as it sends them. */
      next = pm_responses_next_sequence (sent->str + before, sent->len - before, next);
    }
  g_assert_nonnull (strstr (sent->str, "sequence_number\\\": 999"));
  numbers = sequence_numbers (sent->str, sent->len);
  g_assert_cmpuint (numbers->len, >=, 4);
  g_assert_cmpint (next, ==, g_array_index (numbers, gint64, numbers->len - 1) + 1);
  g_assert_cmpint (next, ==, pm_responses_next_sequence (sent->str, sent->len, 0));
  g_assert_cmpint (next, <, 999);

  error_event = pm_error_event_at (PM_API_OPENAI_RESPONSES, "api_error", "The upstream closed the stream", next);
  g_string_append (sent, error_event);
  g_clear_pointer (&numbers, g_array_unref);
  numbers = sequence_numbers (sent->str, sent->len);
  g_test_message ("%u events, error at %" G_GINT64_FORMAT, numbers->len, next);
  /* error, then response.failed, numbered on from the stream */
  g_assert_cmpint (g_array_index (numbers, gint64, numbers->len - 2), ==, next);
  g_assert_cmpint (g_array_index (numbers, gint64, numbers->len - 1), ==, next + 1);
  for (guint i = 1; i < numbers->len; i++)
    g_assert_cmpint (g_array_index (numbers, gint64, i), >, g_array_index (numbers, gint64, i - 1));

  /* Before anything was sent, and for the other APIs (no sequence numbers), as before. */
  {
    g_autofree char *plain = pm_error_event (PM_API_OPENAI_RESPONSES, "api_error", "x");
    g_autofree char *at0 = pm_error_event_at (PM_API_OPENAI_RESPONSES, "api_error", "x", 0);
    g_autofree char *anthropic = pm_error_event_at (PM_API_ANTHROPIC, "api_error", "x", 41);
    g_autofree char *anthropic_plain = pm_error_event (PM_API_ANTHROPIC, "api_error", "x");
    g_autoptr(GArray) first = sequence_numbers (plain, strlen (plain));

    g_assert_cmpuint (first->len, ==, 2);
    g_assert_cmpint (g_array_index (first, gint64, 0), ==, 0);
    g_assert_cmpint (g_array_index (first, gint64, 1), ==, 1);
    g_assert_cmpuint (strlen (at0), ==, strlen (plain));
    g_assert_cmpstr (anthropic, ==, anthropic_plain);
  }
  g_assert_cmpint (pm_responses_next_sequence ("", 0, 7), ==, 7);
  {
    const char *low = "data: {\"sequence_number\": 3}\n\n";
    const char *spaced = "data: {\"sequence_number\" : 12}\n\n";

    g_assert_cmpint (pm_responses_next_sequence (low, strlen (low), 9), ==, 9);
    g_assert_cmpint (pm_responses_next_sequence (spaced, strlen (spaced), 9), ==, 13);
  }
}

/* The same end to end: a Responses client whose stream is cut, through the translator
 * (Anthropic upstream) and passed through (Responses upstream). Every event's sequence_number
 * must be higher than the one before (finding 6: the proxy numbered the error from 0). */
static void
test_responses_cut_sequence (void)
{
  const struct {
    const char *provider_api;
    const char *base_suffix;
  } upstreams[] = {
    { "anthropic", "" },
    { "openai-responses", "/v1" },
  };
  for (guint u = 0; u < G_N_ELEMENTS (upstreams); u++)
    {
      g_autofree char *providers = g_strdup_printf (
        "[{\"id\": \"sim\", \"api\": \"%s\", \"base_url\": \"@SIM@%s\", \"key\": \"keyring\"}]",
        upstreams[u].provider_api, upstreams[u].base_suffix);
      g_autoptr(PmSimReply) reply = pm_sim_reply_new ("this stream will be cut off in the middle of it");
      g_autoptr(TestResponse) r = NULL;
      g_autoptr(GArray) numbers = NULL;
      HardFixture f;

      hard_fixture_start (&f, providers, "[{\"id\": \"claude-haiku-4-5\", \"provider\": \"sim\"}]",
                          "claude-haiku-4-5", NULL);
      pm_sim_reply_set_fail (reply, PM_SIM_FAIL_DROP, 6);
      pm_sim_reply_set_delays (reply, 0, 5);
      pm_sim_upstream_push_reply (f.sim, reply);
      r = test_post (f.url, "/v1/responses", "{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"input\":\"x\"}",
                     NULL, hard_openai_headers);
      assert_in_stream_error (r, PM_API_OPENAI_RESPONSES);
      numbers = sequence_numbers (r->body->str, r->body->len);
      g_assert_cmpuint (numbers->len, >=, 3);
      g_test_message ("%s upstream: %u events, the last numbered %" G_GINT64_FORMAT,
                      upstreams[u].provider_api, numbers->len,
                      g_array_index (numbers, gint64, numbers->len - 1));
      for (guint i = 1; i < numbers->len; i++)
        g_assert_cmpint (g_array_index (numbers, gint64, i), >, g_array_index (numbers, gint64, i - 1));
      hard_fixture_stop (&f);
    }
}

/* Every candidate down: one clean error in the client's shape, quickly, no hang. */
static void
test_all_down (void)
{
  HardFixture f;
  g_autofree char *providers = g_strdup_printf (
    "[{\"id\": \"dead-a\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:%u\", \"key\": \"keyring\"},"
    " {\"id\": \"dead-b\", \"api\": \"openai-chat\", \"base_url\": \"http://127.0.0.1:%u/v1\", \"key\": \"keyring\"}]",
    hard_dead_port (), hard_dead_port ());
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) node = NULL;
  PmRecord *record;

  hard_fixture_start (&f, providers,
                      "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"dead-a\"},"
                      " {\"id\": \"gpt-5-mini\", \"provider\": \"dead-b\"}]",
                      "claude-sonnet-4-5", NULL);
  r = test_post (f.url, "/v1/messages", auto_body, NULL, hard_anthropic_headers);
  g_assert_cmpuint (r->status, ==, 502);
  node = test_response_json (r);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "error");
  record = hard_last_record (&f);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_FAILED);
  g_assert_nonnull (pm_record_get_error (record));
  g_assert_null (strstr (r->body->str, HARD_PROVIDER_KEY));

  hard_fixture_stop (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/hardening/faults/connection-refused", test_connection_refused);
  g_test_add_func ("/pm/hardening/faults/empty-reply", test_empty_reply);
  g_test_add_func ("/pm/hardening/faults/tls-failure", test_tls_failure);
  g_test_add_func ("/pm/hardening/faults/name-resolution", test_name_resolution);
  g_test_add_func ("/pm/hardening/faults/name-resolution-only", test_name_resolution_only);
  g_test_add_func ("/pm/hardening/faults/timeout-before-first-byte", test_timeout_before_first_byte);
  g_test_add_func ("/pm/hardening/faults/slow-first-byte", test_slow_first_byte);
  g_test_add_func ("/pm/hardening/faults/malformed-before-first-byte", test_malformed_before_first_byte);
  g_test_add_func ("/pm/hardening/faults/rate-limited", test_rate_limited);
  g_test_add_func ("/pm/hardening/faults/rate-limited-pinned", test_rate_limited_pinned);
  g_test_add_func ("/pm/hardening/faults/server-errors", test_server_errors);
  g_test_add_func ("/pm/hardening/faults/cut-midway", test_cut_midway);
  g_test_add_func ("/pm/hardening/faults/error-event-midway", test_error_event_midway);
  g_test_add_func ("/pm/hardening/faults/malformed-midway", test_malformed_midway);
  g_test_add_func ("/pm/hardening/faults/silence-midway", test_silence_midway);
  g_test_add_func ("/pm/hardening/faults/all-down", test_all_down);
  g_test_add_func ("/pm/hardening/faults/responses-error-sequence", test_responses_error_sequence);
  g_test_add_func ("/pm/hardening/faults/responses-cut-sequence", test_responses_cut_sequence);

  return g_test_run ();
}
