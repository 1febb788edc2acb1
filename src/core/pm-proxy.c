/* pm-proxy.c — the local HTTP proxy: accept, decide, rewrite, forward, relay, record
 *
 * One PmProxyExchange per client request, all on the proxy's main context:
 *
 *   handler → parse (PmRequest) → decide (PmRouter) → record → for each candidate
 *   (decision, then its fallbacks): key → translate → rewrite → send upstream
 *   → 2xx: relay (streamed event by event, or whole) → usage, cost → record, store, observe
 *   → failure before the first byte: next candidate, the reason goes into the explanation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-proxy"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-gateway.h"
#include "pm-guard.h"
#include "pm-json-fast.h"
#include "pm-keyring.h"
#include "pm-proxy.h"
#include "pm-record.h"
#include "pm-request.h"
#include "pm-request-private.h"
#include "pm-router.h"
#include "pm-soup-fix.h"
#include "pm-sse.h"
#include "pm-store.h"
#include "pm-translate.h"
#include "pm-upstream.h"
#include "pm-usage.h"

#define READ_SIZE          16384
#define PUMP_READS         8        /* upstream reads per dispatch at most (exchange_pump) */
/* The explanation goes into the record at the first byte to the client, or this long after
 * the upstream send (see exchange_explain_record). */
#define EXPLAIN_AFTER_MS   2
#define MAX_ERROR_BODY     (1024 * 1024)
#define KEY_CACHE_US       (30 * G_USEC_PER_SEC)
#define DEFAULT_LOG_ITEMS 10000   /* the live list; older records are compacted (pm-request-log.c) */
#define MAX_PROMPT_CHARS   8000
#define LISTEN_BACKLOG     1024

struct _PmProxy
{
  GObject        parent_instance;

  PmConfig      *config;
  PmCatalog     *catalog;
  PmRouter      *router;
  PmKeyring     *keyring;
  PmStore       *store;
  PmRequestLog  *log;
  PmGuard       *guard;         /* localhost security and limits (pm-guard.h) */

  SoupServer    *server;
  PmUpstream    *upstream;      /* kept-alive connections to providers (pm-upstream.h) */
  GMainContext  *context;
  guint          port;
  PmSocketReleaser *sockets;    /* libsoup 3.2's leaked reference to each accepted socket */

  GHashTable    *keys;          /* provider id → KeyEntry */
  PmGatewayRefusals *refusals;  /* gateway refusals remembered across requests */
  GPtrArray     *exchanges;     /* in flight (borrowed) */
  GPtrArray     *live;          /* client message not finished yet (borrowed) */
  gboolean       stopping;
  guint64        n_total;
};

typedef struct
{
  char   *key;
  gint64  expires_us;
} KeyEntry;

G_DEFINE_FINAL_TYPE (PmProxy, pm_proxy, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_PORT,
  PROP_LOG,
  PROP_N_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  REQUEST_ROUTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  gatomicrefcount     ref_count;
  PmProxy            *proxy;
  SoupServerMessage  *msg;
  gulong              finished_id;
  gboolean            client_finished;

  PmApi               client_api;
  char               *request_id;
  PmRequest          *request;
  PmDecision         *decision;
  PmRecord           *record;
  GPtrArray          *candidates;      /* char*: catalog ids to try, in order */
  guint               attempt;
  gint64              start_us;
  gint64              first_byte_us;

  /* the current attempt */
  PmDecision         *attempt_decision;
  const PmModelInfo  *model_info;
  PmProviderConfig   *provider;        /* borrowed from the config */
  PmApi               upstream_api;
  char               *upstream_model;
  SoupMessageHeaders *upstream_headers; /* the answer's */
  GInputStream       *stream;          /* the answer's body (a PmUpstreamBody) */
  GSource            *read_source;     /* the stream readable again (exchange_pump) */
  char               *read_buf;        /* READ_SIZE bytes for exchange_pump */
  GCancellable       *cancellable;
  GSource            *timer;
  gboolean            timed_out;
  gboolean            client_stream;
  gboolean            compact;         /* Responses compaction (/responses/compact): whole, Responses only */
  gboolean            explained;       /* the record has the decision's explanation and was saved */
  gulong              wrote_data_id;   /* on msg: explain the record once the client has its first bytes */
  GSource            *explain_timer;   /* … or this long after the upstream send, if that is sooner */
  gboolean            strip_usage;     /* Chat client that did not ask for include_usage */
  gboolean            passthrough;     /* relay upstream bytes unchanged */
  PmStreamTranslator *translator;
  PmSseParser        *parser;
  GString            *out;
  GByteArray         *whole;           /* non-streamed or error body */
  guint               upstream_status;
  PmUsage             usage;
  char               *stream_error;
  gboolean            saw_end;         /* the stream's own last event arrived */
  gint64              client_sequence; /* Responses: sequence_number of the next client event */
  char               *key;             /* the provider key of this attempt (wiped when done) */
  gboolean            committed;       /* the stream's headers went to the client */
  GByteArray         *pending;         /* passthrough bytes held until the first valid event */
  char               *precommit_failure; /* the stream was bad before its first valid event */
  char               *abort_reason;    /* the stream must end with an error event */
  gboolean            started;         /* response headers went to the client */
  gboolean            done;

  /* A stream's answer, written on the client's socket once its headers are due (client_io_*). */
  GSocket            *client_socket;   /* until the answer ends */
  gboolean            client_direct;   /* the answer goes on client_socket, not through libsoup */
  GByteArray         *client_buf;      /* bytes the socket did not take yet */
  GSource            *client_writable; /* while client_buf has bytes */
  GSource            *client_readable; /* the client closing (or writing) while the stream runs */
  gboolean            client_closing;  /* the stream ended: close once client_buf is written */
  gboolean            client_take;     /* headers are set: take the connection at the first bytes */
  gboolean            client_gone;     /* it hung up after the stream's last event: writes dropped */
} Exchange;

static void exchange_try_next   (Exchange *x);
static void client_wrote_data_cb (Exchange *x);
static void client_io_close     (Exchange *x);
static void copy_upstream_headers (Exchange *x);
static void exchange_read_more  (Exchange *x);
static void exchange_pump       (Exchange *x);
static void send_raw_to_client  (Exchange   *x,
                                 const char *data,
                                 gsize       len);

/* ---- small helpers ---- */

static const char *
effort_or_null (PmEffort effort)
{
  return effort == PM_EFFORT_UNSET ? NULL : pm_effort_to_string (effort);
}

static char *
new_request_id (void)
{
  return g_strdup_printf ("pm-%08x%08x", g_random_int (), g_random_int ());
}

static GHashTable *
headers_to_table (SoupMessageHeaders *headers)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);
      const char *previous = g_hash_table_lookup (table, lower);

      if (previous != NULL)
        g_hash_table_insert (table, g_steal_pointer (&lower), g_strconcat (previous, ", ", value, NULL));
      else
        g_hash_table_insert (table, g_steal_pointer (&lower), g_strdup (value));
    }

  return table;
}

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *content_type,
              char              *text)      /* takes */
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
respond_json_node (SoupServerMessage *msg,
                   guint              status,
                   JsonNode          *node)      /* takes */
{
  char *text = json_to_string (node, FALSE);

  json_node_unref (node);
  respond_text (msg, status, "application/json", text);
}

static const char *
error_type_for_status (guint status)
{
  switch (status)
    {
    case 400:
    case 404:
    case 413:
      return status == 413 ? "request_too_large" : "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    case 529:
    case 503:
      return "overloaded_error";
    default:
      return "api_error";
    }
}

static void
respond_error (SoupServerMessage *msg,
               PmApi              api,
               guint              status,
               const char        *type,
               const char        *message)
{
  respond_text (msg, status, "application/json",
                pm_error_body (api, type != NULL ? type : error_type_for_status (status), message));
}

static gboolean
api_for_path (const char *path,
              PmApi      *api,
              gboolean   *count_tokens)
{
  *count_tokens = FALSE;

  if (g_str_equal (path, "/v1/messages"))
    *api = PM_API_ANTHROPIC;
  else if (g_str_equal (path, "/v1/messages/count_tokens"))
    {
      *api = PM_API_ANTHROPIC;
      *count_tokens = TRUE;
    }
  else if (g_str_equal (path, "/v1/chat/completions") || g_str_equal (path, "/chat/completions"))
    *api = PM_API_OPENAI_CHAT;
  else if (g_str_equal (path, "/v1/responses") || g_str_equal (path, "/responses") ||
           g_str_equal (path, "/v1/responses/compact") || g_str_equal (path, "/responses/compact"))
    *api = PM_API_OPENAI_RESPONSES;
  else
    return FALSE;

  return TRUE;
}

static gboolean
is_compact_path (const char *path)
{
  return g_str_equal (path, "/v1/responses/compact") || g_str_equal (path, "/responses/compact");
}

static char *
upstream_url (PmProviderConfig *provider,
              gboolean          compact)
{
  g_autofree char *base = g_strdup (provider->base_url != NULL ? provider->base_url : "");
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';

  switch (provider->api)
    {
    case PM_API_ANTHROPIC:
      /* SDK convention: the Anthropic base has no /v1 (tolerate one). */
      if (g_str_has_suffix (base, "/v1"))
        return g_strconcat (base, "/messages", NULL);
      return g_strconcat (base, "/v1/messages", NULL);
    case PM_API_OPENAI_CHAT:
      return g_strconcat (base, "/chat/completions", NULL);
    case PM_API_OPENAI_RESPONSES:
      return g_strconcat (base, compact ? "/responses/compact" : "/responses", NULL);
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }
}

/* ---- exchange lifetime ---- */

static Exchange *
exchange_ref (Exchange *x)
{
  g_atomic_ref_count_inc (&x->ref_count);
  return x;
}

static void
wipe_string (char **str)
{
  if (*str != NULL)
    explicit_bzero (*str, strlen (*str));
  g_clear_pointer (str, g_free);
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '*' || c == '.';
}

/* Upstream error messages may quote the key they were given, masked ("sk-abc***xyz") or not:
 * none of it reaches the client, the log or the database. */
static char *
redact_secrets (const char *text,
                gsize       len,
                const char *key)
{
  g_autoptr(GString) out = g_string_new_len (text, len);
  gsize i = 0;

  if (key != NULL && strlen (key) >= 8)
    g_string_replace (out, key, "[redacted]", 0);

  while (i < out->len)
    {
      gsize start = i;
      gsize end;
      g_autofree char *token = NULL;

      if (!is_token_char (out->str[i]) || (i > 0 && is_token_char (out->str[i - 1])))
        {
          i++;
          continue;
        }
      end = start;
      while (end < out->len && is_token_char (out->str[end]))
        end++;
      token = g_strndup (out->str + start, end - start);
      if (g_str_has_prefix (token, "sk-") || g_str_has_prefix (token, "sk_") ||
          (strstr (token, "***") != NULL && end - start >= 8))
        {
          g_string_erase (out, start, end - start);
          g_string_insert (out, start, "[redacted]");
          end = start + strlen ("[redacted]");
        }
      i = end;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Detaches *source from its context, if any, and drops the reference. */
static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
exchange_clear_attempt (Exchange *x)
{
  clear_source (&x->timer);
  g_clear_pointer (&x->attempt_decision, pm_decision_free);
  g_clear_pointer (&x->upstream_model, g_free);
  wipe_string (&x->key);
  g_clear_pointer (&x->upstream_headers, soup_message_headers_unref);
  clear_source (&x->read_source);
  g_clear_object (&x->stream);
  g_clear_object (&x->cancellable);
  g_clear_pointer (&x->translator, pm_stream_translator_free);
  g_clear_pointer (&x->parser, pm_sse_parser_free);
  if (x->whole != NULL)
    g_byte_array_set_size (x->whole, 0);
  x->model_info = NULL;
  x->provider = NULL;
  x->timed_out = FALSE;
  x->saw_end = FALSE;
  x->committed = FALSE;
  g_clear_pointer (&x->pending, g_byte_array_unref);
  g_clear_pointer (&x->precommit_failure, g_free);
  g_clear_pointer (&x->abort_reason, g_free);
  x->upstream_status = 0;
  pm_usage_init (&x->usage);
}

static void
exchange_unref (Exchange *x)
{
  if (!g_atomic_ref_count_dec (&x->ref_count))
    return;

  g_debug ("%s: freed", x->request_id);
  client_io_close (x);
  exchange_clear_attempt (x);
  if (x->finished_id != 0)
    g_signal_handler_disconnect (x->msg, x->finished_id);
  if (x->wrote_data_id != 0)
    g_clear_signal_handler (&x->wrote_data_id, x->msg);
  clear_source (&x->explain_timer);
  g_clear_object (&x->msg);
  g_clear_pointer (&x->request_id, g_free);
  g_clear_pointer (&x->request, pm_request_unref);
  g_clear_pointer (&x->decision, pm_decision_free);
  g_clear_object (&x->record);
  g_clear_pointer (&x->candidates, g_ptr_array_unref);
  g_clear_pointer (&x->whole, g_byte_array_unref);
  g_clear_pointer (&x->stream_error, g_free);
  g_clear_pointer (&x->read_buf, g_free);
  if (x->out != NULL)
    g_string_free (x->out, TRUE);
  g_clear_object (&x->proxy);
  g_free (x);
}

static void
exchange_add_headers (Exchange *x)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (x->msg);
  const char *effort = NULL;

  soup_message_headers_replace (headers, "x-pointsman-request-id", x->request_id);
  if (x->attempt_decision != NULL)
    {
      soup_message_headers_replace (headers, "x-pointsman-model", x->attempt_decision->model);
      effort = effort_or_null (x->attempt_decision->effort);
    }
  else if (x->decision != NULL)
    {
      soup_message_headers_replace (headers, "x-pointsman-model", x->decision->model);
      effort = effort_or_null (x->decision->effort);
    }
  soup_message_headers_replace (headers, "x-pointsman-effort", effort != NULL ? effort : "default");
}

/* The record's end: usage, cost, timing, state; saved; the router told. */
/* The decision's explanation into the record, once (later changes go in with each
 * pm_record_set_decision), and the record's first save. Runs once the client has the first
 * bytes of the answer ("wrote-body-data"), or EXPLAIN_AFTER_MS after the upstream request
 * was sent if the answer takes longer (a provider thinking: the app's why pane has it while
 * the request waits), at the latest when the exchange ends. Building and serialising the
 * explanation and the store's row are not needed to answer, and the main loop is one thread:
 * done right after the send, even after the request was written, they delayed reading a
 * quick upstream's answer (measured: no gain in time to first byte). */
static void
exchange_explain_record (Exchange *x,
                         gboolean  save)
{
  g_autofree char *model = NULL;
  g_autofree char *effort = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *summary = NULL;

  clear_source (&x->explain_timer);
  if (x->explained || x->record == NULL || x->decision == NULL)
    return;
  x->explained = TRUE;
  model = g_strdup (pm_record_get_model (x->record));
  effort = g_strdup (pm_record_get_effort (x->record));
  provider = g_strdup (pm_record_get_provider (x->record));
  summary = g_strdup (pm_record_get_summary (x->record));
  pm_record_set_decision (x->record, model, effort, provider, pm_record_get_routed (x->record), summary,
                          pm_decision_get_explanation (x->decision));
  if (save && x->proxy->store != NULL)
    pm_store_save (x->proxy->store, x->record);
}

static gboolean
explain_timer_cb (gpointer data)
{
  Exchange *x = data;

  g_clear_pointer (&x->explain_timer, g_source_unref);
  exchange_explain_record (x, TRUE);
  return G_SOURCE_REMOVE;
}

static void
client_wrote_data_cb (Exchange *x)
{
  g_clear_signal_handler (&x->wrote_data_id, x->msg);
  exchange_explain_record (x, TRUE);
}

static void
exchange_finish_record (Exchange      *x,
                        PmRecordState  state,
                        guint          status,
                        const char    *error)
{
  gint64 now = g_get_real_time ();
  double cost = 0.0;
  double baseline = 0.0;
  double ttfb_ms = 0.0;

  if (x->done)
    return;
  x->done = TRUE;
  g_debug ("%s: finished, state %d, status %u", x->request_id, state, status);

  if (x->record == NULL)
    return;

  /* Failed before anything went upstream: the record still gets its explanation. */
  exchange_explain_record (x, FALSE);

  if (x->usage.seen)
    {
      if (x->usage.reported_cost >= 0)
        cost = x->usage.reported_cost;
      else if (x->model_info != NULL)
        cost = pm_usage_cost (&x->usage, x->model_info);
      if (x->request != NULL)
        baseline = pm_router_baseline_cost (x->proxy->router, x->request, &x->usage);
    }

  if (x->first_byte_us > 0)
    ttfb_ms = (x->first_byte_us - x->start_us) / 1000.0;

  if (state == PM_RECORD_DONE && x->provider != NULL && x->attempt_decision != NULL)
    /* Served: whatever its gateway refused before has ended. */
    pm_gateway_refusals_clear (x->proxy->refusals, x->provider->id, x->attempt_decision->model);

  if (x->usage.reported_cost >= 0 && x->provider != NULL && x->decision != NULL)
    /* Pointsman's own estimate next to the gateway's, in the explanation. */
    pm_gateway_note_cost (x->provider, &x->usage, x->model_info, x->decision, x->record);

  pm_record_set_usage (x->record, x->usage.seen ? &x->usage : NULL, cost, baseline);
  pm_record_set_timing (x->record, ttfb_ms, (now - x->start_us) / 1000.0);
  pm_record_set_state (x->record, state, status, error);
  if (x->proxy->store != NULL)
    pm_store_save (x->proxy->store, x->record);

  if (x->request != NULL && x->attempt_decision != NULL)
    pm_router_observe (x->proxy->router, x->request, x->attempt_decision,
                       x->usage.seen ? &x->usage : NULL, status, now);

  g_ptr_array_remove (x->proxy->exchanges, x);
  g_object_notify_by_pspec (G_OBJECT (x->proxy), properties[PROP_N_ACTIVE]);
}

static void
exchange_fail (Exchange   *x,
               guint       status,
               const char *type,
               const char *message)
{
  if (!x->client_finished && !x->started)
    {
      x->started = TRUE;
      exchange_add_headers (x);
      respond_error (x->msg, x->client_api, status, type, message);
      soup_server_message_unpause (x->msg);
    }
  exchange_finish_record (x, PM_RECORD_FAILED, status, message);
}

static void
client_finished_cb (SoupServerMessage *msg,
                    Exchange          *x)
{
  g_debug ("%s: client message finished", x->request_id);
  x->client_finished = TRUE;
  client_io_close (x);
  if (x->cancellable != NULL)
    g_cancellable_cancel (x->cancellable);
  if (!x->done)
    exchange_finish_record (x, PM_RECORD_FAILED, x->started ? soup_server_message_get_status (msg) : 499,
                            x->proxy->stopping ? "Pointsman stopped while the request was in flight" :
                                                 "The client closed the connection");
  g_signal_handler_disconnect (msg, x->finished_id);
  x->finished_id = 0;
  g_ptr_array_remove (x->proxy->live, x);
  exchange_unref (x);
}

/* ---- timers ---- */

static gboolean
timer_cb (gpointer data)
{
  Exchange *x = data;

  x->timed_out = TRUE;
  g_clear_pointer (&x->timer, g_source_unref);
  if (x->cancellable != NULL)
    g_cancellable_cancel (x->cancellable);

  return G_SOURCE_REMOVE;
}

static void
exchange_arm_timer (Exchange *x,
                    guint     seconds)
{
  clear_source (&x->timer);
  if (seconds == 0)
    return;

  x->timer = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (x->timer, timer_cb, x, NULL);
  g_source_attach (x->timer, x->proxy->context);
}

/* ---- the client's connection, once a stream's headers are due ----
 *
 * libsoup's server writes a response through a main-loop round per unpause and three sends
 * per chunk (size line, data, CRLF). A stream is written on the message's socket instead
 * (soup_server_message_get_socket) while libsoup keeps the message paused: the headers and
 * the first event go out in one send, every later event in one send as it arrives, and the
 * body ends with the connection ("Connection: close", which every proxied answer carries; no
 * chunked framing). What the socket does not take at once waits in client_buf until it is
 * writable. At the end the socket's sending side is shut down (the client reads the end of the
 * body) and the message unpaused: libsoup's own write then fails, and it finishes the message
 * and closes the connection as for any client gone ("finished": client_finished_cb, the
 * guard's stream slot). (Taking the connection with soup_server_message_steal_connection ()
 * was tried first: "finished" then has to be emitted by hand, and it measured slower — 0.62
 * against 0.50 ms added time to first byte, mean of six runs with the builds' positions in
 * the interleaving rotated.) The client's side is watched while the stream runs: its end, or
 * an error, is the client gone. */

static void
client_io_close (Exchange *x)
{
  clear_source (&x->client_writable);
  clear_source (&x->client_readable);
  g_clear_pointer (&x->client_buf, g_byte_array_unref);
  g_clear_object (&x->client_socket);
}

/* Ends the answer: libsoup finishes the message (asynchronously, from the unpause). */
static void
client_io_finish (Exchange *x)
{
  if (x->client_socket == NULL)
    return;
  g_socket_shutdown (x->client_socket, FALSE, TRUE, NULL);
  client_io_close (x);
  if (!x->client_finished)
    soup_server_message_unpause (x->msg);
}

/* The client went away (a failed write, the end of its side). Once the stream's own last event
 * went out the answer is whole for the client (Codex hangs up at response.completed, before the
 * upstream's connection ends): the exchange ends with the upstream as usual, writes are
 * dropped. Before that it is a client that gave up: the message finishes now, which cancels
 * the upstream request (client_finished_cb). */
static void
client_io_gone (Exchange *x)
{
  if (!x->saw_end)
    {
      client_io_finish (x);
      return;
    }
  x->client_gone = TRUE;
  clear_source (&x->client_writable);
  g_byte_array_set_size (x->client_buf, 0);
  if (x->client_closing)
    client_io_finish (x);
}

/* Writes what the socket takes now; FALSE when the client is gone. */
static gboolean
client_io_flush (Exchange   *x,
                 const char *data,
                 gsize       len,
                 gsize      *written)
{
  g_autoptr(GError) error = NULL;
  gsize done = 0;

  while (done < len)
    {
      gssize n = g_socket_send_with_blocking (x->client_socket, data + done, len - done, FALSE, NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          g_debug ("%s: writing to the client failed: %s", x->request_id, error->message);
          *written = done;
          return FALSE;
        }
      done += n;
    }
  *written = done;
  return TRUE;
}

static gboolean client_io_writable_cb (GSocket *socket, GIOCondition condition, gpointer data);

/* After a write: the first bytes tell the record, an ended stream closes once all is out. */
static void
client_io_after_write (Exchange *x,
                       gboolean  ok)
{
  if (!ok)
    {
      client_io_gone (x);
      return;
    }
  if (x->wrote_data_id != 0)
    client_wrote_data_cb (x);
  if (x->client_socket == NULL)
    return;
  if (x->client_buf->len > 0)
    {
      if (x->client_writable == NULL)
        {
          x->client_writable = g_socket_create_source (x->client_socket, G_IO_OUT, NULL);
          g_source_set_callback (x->client_writable, G_SOURCE_FUNC (client_io_writable_cb), x, NULL);
          g_source_attach (x->client_writable, x->proxy->context);
        }
      return;
    }
  clear_source (&x->client_writable);
  if (x->client_closing)
    client_io_finish (x);
}

static gboolean
client_io_writable_cb (GSocket      *socket,
                       GIOCondition  condition,
                       gpointer      data)
{
  Exchange *x = data;
  gsize written = 0;
  gboolean ok;

  ok = client_io_flush (x, (const char *) x->client_buf->data, x->client_buf->len, &written);
  g_byte_array_remove_range (x->client_buf, 0, written);
  if (ok && x->client_buf->len > 0)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&x->client_writable, g_source_unref);   /* removed by the return below */
  exchange_ref (x);
  client_io_after_write (x, ok);
  exchange_unref (x);
  return G_SOURCE_REMOVE;
}

static void
client_io_write (Exchange   *x,
                 const char *data,
                 gsize       len)
{
  gsize written = 0;
  gboolean ok = TRUE;

  if (x->client_socket == NULL || x->client_finished || x->client_gone)
    return;
  if (x->client_buf->len == 0)
    ok = client_io_flush (x, data, len, &written);
  if (ok && written < len)
    g_byte_array_append (x->client_buf, (const guint8 *) data + written, len - written);
  client_io_after_write (x, ok);
}

/* The client's side of the connection while the stream runs: a request pipelined behind this
 * one is not served (the connection closes after this answer) and is dropped; the end of it,
 * or an error, means the client went away (as nginx takes it): the upstream request is
 * cancelled at once, even while the upstream is silent (a model thinking), not at the next
 * event that fails to write. */
static gboolean
client_io_readable_cb (GSocket      *socket,
                       GIOCondition  condition,
                       gpointer      data)
{
  Exchange *x = data;
  char buf[4096];
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, &error);
  if (n > 0 || (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
    return G_SOURCE_CONTINUE;

  g_debug ("%s: the client went away (%s)", x->request_id, n == 0 ? "end of its side" : error->message);
  g_clear_pointer (&x->client_readable, g_source_unref);   /* removed by the return below */
  exchange_ref (x);
  client_io_gone (x);
  exchange_unref (x);
  return G_SOURCE_REMOVE;
}

/* Writes the response headers and @data on the message's socket (libsoup keeps the message
 * paused); every later write goes there too. */
static void
client_io_start (Exchange   *x,
                 const char *data,
                 gsize       len)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (x->msg);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;
  guint status = soup_server_message_get_status (x->msg);
  g_autoptr(GString) head = g_string_sized_new (512 + len);
  GSocket *socket = soup_server_message_get_socket (x->msg);

  x->client_direct = TRUE;
  if (socket == NULL)
    {
      soup_server_message_unpause (x->msg);   /* no connection any more: libsoup finishes it */
      return;
    }

  soup_message_headers_replace (headers, "connection", "close");
  soup_message_headers_remove (headers, "transfer-encoding");
  soup_message_headers_remove (headers, "content-length");
  g_string_append_printf (head, "HTTP/1.%c %u %s\r\n",
                          soup_server_message_get_http_version (x->msg) == SOUP_HTTP_1_0 ? '0' : '1',
                          status, soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_string_append (head, name);
      g_string_append (head, ": ");
      g_string_append (head, value);
      g_string_append (head, "\r\n");
    }
  g_string_append (head, "\r\n");
  g_string_append_len (head, data, len);

  x->client_socket = g_object_ref (socket);
  x->client_buf = g_byte_array_new ();
  x->client_readable = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (x->client_readable, G_SOURCE_FUNC (client_io_readable_cb), x, NULL);
  g_source_attach (x->client_readable, x->proxy->context);

  client_io_write (x, head->str, head->len);
}

/* The stream ended: close once everything is written. */
static void
client_io_end (Exchange *x)
{
  if (x->client_socket == NULL)
    return;
  x->client_closing = TRUE;
  if (x->client_buf->len == 0 || x->client_gone)
    client_io_finish (x);
}

/* A stream that ended before any of its bytes were due still answers with its headers. */
static void
send_to_client_headers_only (Exchange *x)
{
  x->client_take = FALSE;
  client_io_start (x, NULL, 0);
}

/* ---- relaying the stream ---- */

static void
send_to_client (Exchange   *x,
                const char *data,
                gsize       len)
{
  if (len == 0 || x->client_finished)
    return;

  if (x->client_api == PM_API_OPENAI_RESPONSES)
    x->client_sequence = pm_responses_next_sequence (data, len, x->client_sequence);
  if (x->client_take)
    {
      x->client_take = FALSE;
      client_io_start (x, data, len);
      return;
    }
  if (x->client_direct)
    {
      client_io_write (x, data, len);
      return;
    }
  soup_message_body_append (soup_server_message_get_response_body (x->msg), SOUP_MEMORY_COPY, data, len);
  soup_server_message_unpause (x->msg);
}

static gboolean
wants_json (Exchange   *x,
            const char *event,
            const char *data,
            gsize       len)
{
  if (len == 0 || data[0] != '{')
    return FALSE;

  switch (x->upstream_api)
    {
    case PM_API_ANTHROPIC:
      return g_strcmp0 (event, "message_start") == 0 || g_strcmp0 (event, "message_delta") == 0 ||
             g_strcmp0 (event, "error") == 0;
    case PM_API_OPENAI_RESPONSES:
      return g_strcmp0 (event, "response.completed") == 0 || g_strcmp0 (event, "response.incomplete") == 0 ||
             g_strcmp0 (event, "response.failed") == 0 || g_strcmp0 (event, "error") == 0;
    case PM_API_OPENAI_CHAT:
    case PM_API_LAST:
    default:
      return x->strip_usage || strstr (data, "\"usage\"") != NULL || strstr (data, "\"error\"") != NULL;
    }
}

static void
note_stream_error (Exchange   *x,
                   const char *event,
                   JsonObject *object)
{
  JsonNode *node;
  const char *message = NULL;

  if (x->stream_error != NULL)
    return;

  if (g_strcmp0 (event, "response.failed") == 0)
    message = "The upstream reported response.failed";
  else if (g_strcmp0 (event, "error") == 0 || json_object_has_member (object, "error"))
    {
      node = json_object_get_member (object, "error");
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        message = json_object_get_string_member_with_default (json_node_get_object (node), "message", NULL);
      if (message == NULL)
        message = json_object_get_string_member_with_default (object, "message", "The upstream sent an error");
    }

  if (message != NULL)
    x->stream_error = redact_secrets (message, strlen (message), x->key);
}

/* An event's JSON: the strict one-pass reader first (the first event is parsed on the way to
 * the client's first byte), json-glib for what it declines (after the one-value check:
 * json-glib keeps the last of two values and leaks the first). */
static JsonNode *
event_json (const char *data,
            gsize       len)
{
  JsonNode *node = pm_json_fast_parse (data, len);

  if (node == NULL && len > 0 && pm_guard_json_single_value (data, len))
    {
      g_autofree char *copy = g_strndup (data, len);

      node = json_from_string (copy, NULL);
    }
  return node;
}

/* Before anything goes to the client, the first event must be a real one: JSON (or Chat's
 * [DONE] after content), not an error. Anything else is a failure before the first byte.
 * @node is the event's JSON (event_json ()), or NULL. */
static char *
first_event_problem (Exchange   *x,
                     const char *event,
                     const char *data,
                     gsize       len,
                     JsonNode   *node)
{
  JsonObject *object;
  JsonNode *error;

  if (len == 6 && memcmp (data, "[DONE]", 6) == 0)
    return g_strdup ("the stream ended before any content");

  if (node == NULL && !pm_guard_json_single_value (data, len))
    return g_strdup ("the stream's first event is not one JSON value");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup ("the stream's first event is not JSON");

  object = json_node_get_object (node);
  error = json_object_get_member (object, "error");
  if (g_strcmp0 (event, "error") == 0 || g_strcmp0 (event, "response.failed") == 0 ||
      (error != NULL && !JSON_NODE_HOLDS_NULL (error)))
    {
      const char *message = NULL;

      if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
        message = json_object_get_string_member_with_default (json_node_get_object (error), "message", NULL);
      if (message == NULL)
        message = json_object_get_string_member_with_default (object, "message", "no message");
      {
        g_autofree char *clean = redact_secrets (message, strlen (message), x->key);

        return g_strdup_printf ("the stream began with an error: %s", clean);
      }
    }

  return NULL;
}

static void
exchange_commit_stream (Exchange *x)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (x->msg);

  x->committed = TRUE;
  x->started = TRUE;
  x->first_byte_us = g_get_real_time ();

  exchange_add_headers (x);
  copy_upstream_headers (x);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "cache-control", "no-cache");
  soup_server_message_set_status (x->msg, x->upstream_status, NULL);
  /* The headers go out with the first event (client_io_start). */
  x->client_take = TRUE;

  pm_record_set_state (x->record, PM_RECORD_STREAMING, x->upstream_status, NULL);
}

static gboolean
upstream_event_cb (const char *event,
                   const char *data,
                   gsize       len,
                   gpointer    user_data)
{
  Exchange *x = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object = NULL;
  gboolean want_json = wants_json (x, event, data, len);

  if (!x->committed || want_json)
    node = event_json (data, len);
  if (!x->committed)
    {
      x->precommit_failure = first_event_problem (x, event, data, len, node);
      if (x->precommit_failure != NULL)
        return FALSE;
      exchange_commit_stream (x);
    }

  switch (x->upstream_api)
    {
    case PM_API_ANTHROPIC:
      x->saw_end |= g_strcmp0 (event, "message_stop") == 0 || g_strcmp0 (event, "error") == 0;
      break;
    case PM_API_OPENAI_RESPONSES:
      x->saw_end |= g_strcmp0 (event, "response.completed") == 0 || g_strcmp0 (event, "response.incomplete") == 0 ||
                    g_strcmp0 (event, "response.failed") == 0 || g_strcmp0 (event, "error") == 0;
      break;
    case PM_API_OPENAI_CHAT:
    case PM_API_LAST:
    default:
      x->saw_end |= (len == 6 && memcmp (data, "[DONE]", 6) == 0);
      break;
    }

  if (want_json)
    {
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          object = json_node_get_object (node);
          pm_usage_feed_event (&x->usage, x->upstream_api, event, object);
          note_stream_error (x, event, object);
        }
    }

  if (x->translator != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!pm_stream_translator_feed (x->translator, event, data, x->out, &error))
        {
          x->abort_reason = g_strdup_printf ("The upstream sent an event Pointsman could not translate: %s",
                                             error != NULL ? error->message : "unknown error");
          return FALSE;
        }
    }
  else if (x->strip_usage)
    {
      if (object != NULL && json_object_has_member (object, "usage"))
        {
          JsonNode *choices = json_object_get_member (object, "choices");

          /* The usage-only chunk the client did not ask for: drop it. */
          if (choices != NULL && JSON_NODE_HOLDS_ARRAY (choices) &&
              json_array_get_length (json_node_get_array (choices)) == 0 &&
              !JSON_NODE_HOLDS_NULL (json_object_get_member (object, "usage")))
            return TRUE;

          /* Other chunks carry "usage": null only because we asked for usage. */
          if (JSON_NODE_HOLDS_NULL (json_object_get_member (object, "usage")))
            {
              g_autofree char *text = NULL;

              json_object_remove_member (object, "usage");
              text = json_to_string (node, FALSE);
              pm_sse_append_event (x->out, event, text);
              return TRUE;
            }
        }
      {
        g_autofree char *copy = g_strndup (data, len);

        pm_sse_append_event (x->out, event, copy);
      }
    }

  return TRUE;
}

static void
exchange_stream_ended (Exchange *x,
                       GError   *error)
{
  const char *message = NULL;
  g_autofree char *owned = NULL;

  gboolean broken = error != NULL || x->abort_reason != NULL || (!x->saw_end && x->stream_error == NULL);

  /* Passthrough holds back a trailing partial event: on a clean end it goes out as it came;
   * on a broken one it is dropped, so the error event below reaches the client whole. */
  if (x->passthrough && x->committed && x->pending != NULL && x->pending->len > 0)
    {
      if (!broken)
        send_raw_to_client (x, (const char *) x->pending->data, x->pending->len);
      g_byte_array_set_size (x->pending, 0);
    }

  if (x->translator != NULL && !broken)
    {
      g_string_truncate (x->out, 0);
      pm_stream_translator_finish (x->translator, x->out);
      send_to_client (x, x->out->str, x->out->len);
    }

  if (broken && !x->client_finished)
    {
      g_autofree char *event = NULL;

      if (x->abort_reason != NULL)
        owned = g_strdup (x->abort_reason);
      else if (x->timed_out)
        owned = g_strdup_printf ("The upstream sent nothing for %u s",
                                 pm_config_get_idle_timeout (x->proxy->config));
      else if (error != NULL)
        owned = g_strdup_printf ("The upstream connection failed: %s", error->message);
      else
        owned = g_strdup ("The upstream closed the stream before it finished");
      message = owned;
      /* A Responses stream's error continues its sequence_number (hardening finding 6). */
      event = pm_error_event_at (x->client_api, "api_error", message, x->client_sequence);
      send_to_client (x, event, strlen (event));
    }
  else if (x->stream_error != NULL)
    {
      message = x->stream_error;
    }

  if (!x->client_finished && x->client_take)
    send_to_client_headers_only (x);

  exchange_finish_record (x, message != NULL ? PM_RECORD_FAILED : PM_RECORD_DONE, 200, message);

  /* Let go of the upstream connection now, not when the client's message is finished. */
  exchange_arm_timer (x, 0);
  g_clear_object (&x->stream);

  /* Last: closing finishes the client's message (client_finished_cb), after the record. */
  g_debug ("%s: stream complete", x->request_id);
  if (!x->client_finished)
    client_io_end (x);
}

/* Upstream bytes as they came, except that an error event may quote the key it was given. */
static void
send_raw_to_client (Exchange   *x,
                    const char *data,
                    gsize       len)
{
  if (memmem (data, len, "error", 5) != NULL && memchr (data, '\0', len) == NULL)
    {
      g_autofree char *clean = redact_secrets (data, len, x->key);

      send_to_client (x, clean, strlen (clean));
      return;
    }

  send_to_client (x, data, len);
}

/* The stream was bad before anything reached the client: the next candidate, or an error. */
static void
exchange_precommit_failed (Exchange   *x,
                           const char *problem)
{
  g_autofree char *reason = g_strdup_printf ("%s (%s) failed before the first byte: %s",
                                             x->attempt_decision->model, x->provider->id, problem);

  exchange_arm_timer (x, 0);
  if (x->cancellable != NULL)
    g_cancellable_cancel (x->cancellable);

  if (x->attempt + 1 < x->candidates->len)
    {
      g_autofree char *with_next = g_strdup_printf ("%s; trying %s", reason,
                                                    (char *) g_ptr_array_index (x->candidates, x->attempt + 1));

      pm_decision_add_reason (x->decision, with_next);
      x->attempt++;
      exchange_try_next (x);
    }
  else
    {
      exchange_fail (x, x->timed_out ? 504 : 502, "api_error", reason);
    }
}

/* One read of the upstream stream: @size bytes at @data, or its end (@size 0, @error if it
 * failed). Returns TRUE when the stream is to be read further. */
static gboolean
stream_got (Exchange   *x,
            const char *data,
            gsize       size,
            GError     *error)
{
  if (x->done || x->client_finished)
    return FALSE;

  if (size == 0)
    {
      exchange_arm_timer (x, 0);
      if (!x->committed)
        {
          g_autofree char *problem = NULL;

          if (x->timed_out)
            problem = g_strdup_printf ("nothing for %u s", pm_config_get_idle_timeout (x->proxy->config));
          else if (error != NULL)
            problem = g_strdup_printf ("the connection failed (%s)", error->message);
          else
            problem = g_strdup ("the stream ended before its first event");
          exchange_precommit_failed (x, problem);
        }
      else
        {
          exchange_stream_ended (x, error);
        }
      return FALSE;
    }

  g_string_truncate (x->out, 0);

  if (x->passthrough)
    {
      /* Bytes go out as they came, whole events at a time (one write and one chunk per event,
       * even when a read ends inside one); the parser watches for usage (and, until the first
       * valid event, for a broken stream). */
      if (x->pending == NULL)
        x->pending = g_byte_array_new ();
      g_byte_array_append (x->pending, (const guint8 *) data, size);
      pm_sse_parser_feed (x->parser, data, size, upstream_event_cb, x);
      if (x->committed)
        {
          gsize tail = MIN (pm_sse_parser_get_tail (x->parser), x->pending->len);

          if (x->pending->len > tail)
            {
              send_raw_to_client (x, (const char *) x->pending->data, x->pending->len - tail);
              g_byte_array_remove_range (x->pending, 0, x->pending->len - tail);
            }
        }
    }
  else
    {
      pm_sse_parser_feed (x->parser, data, size, upstream_event_cb, x);
      if (x->committed)
        send_to_client (x, x->out->str, x->out->len);
    }

  if (x->precommit_failure != NULL)
    {
      g_autofree char *problem = g_steal_pointer (&x->precommit_failure);

      exchange_precommit_failed (x, problem);
      return FALSE;
    }

  if (x->abort_reason != NULL)
    {
      /* Stop reading; end the client's stream with an error event. */
      exchange_arm_timer (x, 0);
      if (x->cancellable != NULL)
        g_cancellable_cancel (x->cancellable);
      exchange_stream_ended (x, NULL);
      return FALSE;
    }

  return TRUE;
}

static void
stream_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Exchange *x = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  if (G_INPUT_STREAM (object) == x->stream && stream_got (x, data, size, error))
    exchange_read_more (x);
  exchange_unref (x);
}

static gboolean
stream_readable_cb (GObject  *stream,
                    gpointer  user_data)
{
  Exchange *x = user_data;

  g_clear_pointer (&x->read_source, g_source_unref);   /* removed by the return below */
  exchange_pump (x);
  return G_SOURCE_REMOVE;
}

/* Reads the upstream stream while it has bytes (a few reads per dispatch, so that other
 * streams get their turn), then waits for it to be readable. A read that can go on at once
 * goes on at once: an asynchronous read is a main-loop round per read (GTask), on the way to
 * the client's first byte and to every event after it. */
static void
exchange_pump (Exchange *x)
{
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (x->stream);

  exchange_ref (x);
  for (guint i = 0; i < PUMP_READS; i++)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      n = g_pollable_input_stream_read_nonblocking (in, x->read_buf, READ_SIZE, x->cancellable, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (!stream_got (x, x->read_buf, MAX (n, 0), n < 0 ? error : NULL))
        {
          exchange_unref (x);
          return;
        }
      exchange_arm_timer (x, pm_config_get_idle_timeout (x->proxy->config));
    }

  /* The cancellable wakes it too (the idle timer, the client going away). */
  x->read_source = g_pollable_input_stream_create_source (in, x->cancellable);
  g_source_set_callback (x->read_source, G_SOURCE_FUNC (stream_readable_cb), exchange_ref (x),
                         (GDestroyNotify) exchange_unref);
  g_source_attach (x->read_source, x->proxy->context);
  exchange_unref (x);
}

static void
exchange_read_more (Exchange *x)
{
  exchange_arm_timer (x, pm_config_get_idle_timeout (x->proxy->config));
  if (G_IS_POLLABLE_INPUT_STREAM (x->stream) && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (x->stream)))
    {
      if (x->read_buf == NULL)
        x->read_buf = g_malloc (READ_SIZE);
      exchange_pump (x);
      return;
    }
  g_input_stream_read_bytes_async (x->stream, READ_SIZE, G_PRIORITY_DEFAULT, x->cancellable,
                                   stream_read_cb, exchange_ref (x));
}

/* ---- whole bodies (non-streamed replies and upstream errors) ---- */

static void whole_read_more (Exchange *x);

static void
exchange_whole_done (Exchange *x)
{
  const char *data = (const char *) x->whole->data;
  gsize len = x->whole->len;
  guint status = x->upstream_status;

  if (x->first_byte_us == 0)
    x->first_byte_us = g_get_real_time ();

  if (status >= 400)
    {
      g_autofree char *body = NULL;
      g_autofree char *summary = NULL;
      SoupMessageHeaders *up = x->upstream_headers;
      const char *retry_after = soup_message_headers_get_one (up, "retry-after");

      /* A gateway's own refusal (quota, budget, model not allowed …) another candidate may not
       * meet: the next one, with the gateway's reason. */
      if (x->attempt + 1 < x->candidates->len)
        {
          g_autofree char *gateway_reason = NULL;
          PmGatewayError kind = pm_gateway_classify_error (x->provider, status, data, len, &gateway_reason);

          if (kind != PM_GATEWAY_ERROR_NONE)
            {
              g_autofree char *clean = redact_secrets (gateway_reason != NULL ? gateway_reason : pm_gateway_error_to_string (kind),
                                                       strlen (gateway_reason != NULL ? gateway_reason : pm_gateway_error_to_string (kind)),
                                                       x->key);
              g_autofree char *reason = g_strdup_printf ("%s (%s) refused (HTTP %u, %s); trying %s",
                                                         x->attempt_decision->model, x->provider->id, status, clean,
                                                         (char *) g_ptr_array_index (x->candidates, x->attempt + 1));

              pm_decision_add_reason (x->decision, reason);
              pm_gateway_refusals_add (x->proxy->refusals, x->provider->id, x->attempt_decision->model, kind, clean,
                                       retry_after != NULL ? (guint) g_ascii_strtoull (retry_after, NULL, 10) : 0,
                                       g_get_real_time ());
              x->attempt++;
              exchange_try_next (x);
              return;
            }
        }

      /* Overloaded, rate limited or broken before the first byte: the next candidate, if any. */
      if ((status >= 500 || status == 429 || status == 408) && x->attempt + 1 < x->candidates->len)
        {
          g_autofree char *reason = g_strdup_printf ("%s failed before the first byte (HTTP %u); trying %s",
                                                     x->attempt_decision->model, status,
                                                     (char *) g_ptr_array_index (x->candidates, x->attempt + 1));

          pm_decision_add_reason (x->decision, reason);
          x->attempt++;
          exchange_try_next (x);
          return;
        }

      if (x->upstream_api == x->client_api && len > 0)
        {
          g_autofree char *copy = redact_secrets (data, len, x->key);
          g_autoptr(JsonNode) parsed = json_from_string (copy, NULL);

          /* The provider's own error passes as it is, if it is one (not a gateway's HTML page). */
          if (parsed != NULL && JSON_NODE_HOLDS_OBJECT (parsed) &&
              json_object_has_member (json_node_get_object (parsed), "error"))
            body = g_steal_pointer (&copy);
        }
      if (body == NULL)
        {
          g_autofree char *clean = redact_secrets (data, len, x->key);

          body = pm_translate_error (x->upstream_api, x->client_api, status, clean, strlen (clean));
        }

      {
        g_autoptr(JsonNode) node = json_from_string (body, NULL);
        const char *message = NULL;

        if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
          {
            JsonObject *error = NULL;

            if (json_object_has_member (json_node_get_object (node), "error") &&
                JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (node), "error")))
              error = json_object_get_object_member (json_node_get_object (node), "error");
            if (error != NULL)
              message = json_object_get_string_member_with_default (error, "message", NULL);
          }
        summary = g_strdup_printf ("HTTP %u from %s%s%s", status, x->provider->id,
                                   message != NULL ? ": " : "", message != NULL ? message : "");
      }

      if (!x->client_finished)
        {
          SoupMessageHeaders *headers = soup_server_message_get_response_headers (x->msg);

          x->started = TRUE;
          exchange_add_headers (x);
          if (retry_after != NULL)
            soup_message_headers_replace (headers, "retry-after", retry_after);
          respond_text (x->msg, status, "application/json", g_steal_pointer (&body));
          soup_server_message_unpause (x->msg);
        }
      exchange_finish_record (x, PM_RECORD_FAILED, status, summary);
      return;
    }

  /* A whole 2xx body. */
  {
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) error = NULL;
    char *text;

    if (len > 0)
      {
        g_autofree char *copy = g_strndup (data, len);

        node = json_from_string (copy, &error);
      }

    if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
      {
        exchange_fail (x, 502, "api_error", "The upstream sent a reply that is not JSON");
        return;
      }

    pm_usage_feed_response (&x->usage, x->upstream_api, json_node_get_object (node));

    if (x->upstream_api != x->client_api)
      {
        /* Tool names shortened for OpenAI (over 64 characters) go back as the client wrote them. */
        g_autoptr(JsonNode) translated = pm_translate_response_for_request (x->upstream_api, x->client_api, node,
                                                                            x->upstream_model,
                                                                            pm_request_get_body (x->request), &error);

        if (translated == NULL)
          {
            exchange_fail (x, 502, "api_error", error != NULL ? error->message : "Translation failed");
            return;
          }
        text = json_to_string (translated, FALSE);
      }
    else
      {
        text = g_strndup (data, len);
      }

    if (!x->client_finished)
      {
        x->started = TRUE;
        exchange_add_headers (x);
        respond_text (x->msg, status, "application/json", text);
        soup_server_message_unpause (x->msg);
      }
    else
      {
        g_free (text);
      }
    exchange_finish_record (x, PM_RECORD_DONE, status, NULL);
  }
}

static void
whole_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Exchange *x = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);

  if (x->done || x->client_finished || G_INPUT_STREAM (object) != x->stream)
    {
      exchange_unref (x);
      return;
    }

  if (bytes == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Reading the upstream reply failed: %s", error->message);

      exchange_arm_timer (x, 0);
      exchange_fail (x, 502, "api_error", message);
      exchange_unref (x);
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      exchange_arm_timer (x, 0);
      exchange_whole_done (x);
      exchange_unref (x);
      return;
    }

  if (x->upstream_status >= 400 && x->whole->len > MAX_ERROR_BODY)
    {
      /* Enough of an error body. */
      exchange_arm_timer (x, 0);
      exchange_whole_done (x);
      exchange_unref (x);
      return;
    }

  g_byte_array_append (x->whole, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  whole_read_more (x);
  exchange_unref (x);
}

static void
whole_read_more (Exchange *x)
{
  exchange_arm_timer (x, pm_config_get_idle_timeout (x->proxy->config));
  g_input_stream_read_bytes_async (x->stream, READ_SIZE, G_PRIORITY_DEFAULT, x->cancellable,
                                   whole_read_cb, exchange_ref (x));
}

/* ---- sending upstream ---- */

static void
copy_upstream_headers (Exchange *x)
{
  SoupMessageHeaders *up = x->upstream_headers;
  SoupMessageHeaders *down = soup_server_message_get_response_headers (x->msg);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  soup_message_headers_iter_init (&iter, up);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "request-id") == 0 ||
          g_ascii_strcasecmp (name, "x-request-id") == 0 ||
          g_ascii_strncasecmp (name, "anthropic-ratelimit-", 20) == 0 ||
          g_ascii_strncasecmp (name, "x-ratelimit-", 12) == 0 ||
          g_ascii_strcasecmp (name, "openai-processing-ms") == 0)
        soup_message_headers_append (down, name, value);
    }

  /* The gateway's own figure for the request (its preset says where). */
  pm_gateway_read_cost (x->provider, up, &x->usage);

  value = soup_message_headers_get_one (up, "x-litellm-response-cost");
  if (value != NULL && x->usage.reported_cost < 0)
    {
      char *end = NULL;
      double cost = g_ascii_strtod (value, &end);

      if (end != value && cost >= 0)
        x->usage.reported_cost = cost;
    }
}

static void
upstream_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Exchange *x = user_data;
  g_autoptr(GError) error = NULL;
  PmUpstreamBody *body = pm_upstream_send_finish (PM_UPSTREAM (object), result, &error);
  const char *content_type;

  x->stream = G_INPUT_STREAM (body);

  if (x->done || x->client_finished)
    {
      exchange_unref (x);
      return;
    }

  if (x->stream == NULL)
    {
      g_autofree char *reason = NULL;

      exchange_arm_timer (x, 0);
      if (x->timed_out)
        reason = g_strdup_printf ("%s (%s) sent no reply within %u s", x->attempt_decision->model,
                                  x->provider->id, pm_config_get_connect_timeout (x->proxy->config));
      else
        reason = g_strdup_printf ("%s (%s) could not be reached: %s", x->attempt_decision->model,
                                  x->provider->id, error->message);

      if (x->attempt + 1 < x->candidates->len)
        {
          g_autofree char *with_next = g_strdup_printf ("%s; trying %s", reason,
                                                        (char *) g_ptr_array_index (x->candidates, x->attempt + 1));

          pm_decision_add_reason (x->decision, with_next);
          x->attempt++;
          exchange_try_next (x);
        }
      else
        {
          exchange_fail (x, x->timed_out ? 504 : 502, "api_error", reason);
        }
      exchange_unref (x);
      return;
    }

  x->upstream_status = pm_upstream_body_get_status (body);
  x->upstream_headers = soup_message_headers_ref (pm_upstream_body_get_headers (body));
  content_type = soup_message_headers_get_content_type (x->upstream_headers, NULL);

  if (x->upstream_status >= 200 && x->upstream_status < 300 &&
      g_strcmp0 (content_type, "text/event-stream") == 0)
    {
      /* Streaming: the client gets the headers with the first valid event, then every event
       * as it arrives. */
      x->parser = pm_sse_parser_new ();
      x->passthrough = (x->upstream_api == x->client_api) && !x->strip_usage;
      if (x->upstream_api != x->client_api)
        {
          x->translator = pm_stream_translator_new (x->upstream_api, x->client_api, x->upstream_model);
          /* Tool names shortened for OpenAI (over 64 characters) go back as the client wrote them. */
          pm_stream_translator_set_client_request (x->translator, pm_request_get_body (x->request));
          /* A Chat client's usage chunk: the translator writes it only when asked for. */
          if (x->client_api == PM_API_OPENAI_CHAT)
            pm_stream_translator_set_chat_usage (x->translator, !x->strip_usage);
        }

      exchange_read_more (x);
    }
  else
    {
      if (x->upstream_status < 400)
        copy_upstream_headers (x);
      if (x->whole == NULL)
        x->whole = g_byte_array_new ();
      whole_read_more (x);
    }

  exchange_unref (x);
}

static gboolean
resolve_key (PmProxy          *self,
             PmProviderConfig *provider,
             char            **key,
             GError          **error)
{
  const char *spec = provider->key;

  *key = NULL;

  if (spec == NULL || *spec == '\0' || g_str_equal (spec, "none"))
    return TRUE;

  if (g_str_has_prefix (spec, "env:"))
    {
      const char *value = g_getenv (spec + 4);

      if (value == NULL || *value == '\0')
        {
          g_set_error (error, PM_ERROR, PM_ERROR_KEYRING,
                       "No key for provider “%s”: the environment variable %s is not set",
                       provider->id, spec + 4);
          return FALSE;
        }
      *key = g_strdup (value);
      return TRUE;
    }

  if (g_str_equal (spec, "keyring"))
    {
      KeyEntry *entry = g_hash_table_lookup (self->keys, provider->id);

      if (entry != NULL && entry->expires_us > g_get_monotonic_time ())
        {
          *key = g_strdup (entry->key);
          return TRUE;
        }
      /* Looked up asynchronously by the caller. */
      return TRUE;
    }

  g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "Provider “%s”: unknown key source “%s”", provider->id, spec);
  return FALSE;
}

static void
exchange_send (Exchange   *x,
               const char *key)
{
  PmProxy *self = x->proxy;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *requested;
  const PmModelInfo *requested_info;
  gboolean model_changed;

  wipe_string (&x->key);
  x->key = g_strdup (key);

  requested = pm_request_get_model (x->request);
  requested_info = requested != NULL ? pm_catalog_lookup (self->catalog, requested) : NULL;
  model_changed = requested_info == NULL || x->model_info == NULL ||
                  !g_str_equal (requested_info->id, x->model_info->id);

  body = pm_translate_request_for_provider (x->client_api, x->upstream_api, pm_request_get_body (x->request),
                                            model_changed, x->provider->preset, &error);
  if (body == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Cannot send this request to %s (%s): %s",
                                                  x->attempt_decision->model, x->provider->id,
                                                  error != NULL ? error->message : "translation failed");

      exchange_fail (x, 400, "invalid_request_error", message);
      return;
    }

  if (!pm_router_apply_decision (self->router, x->request, x->attempt_decision, x->upstream_api,
                                 x->upstream_model, body, &error))
    {
      exchange_fail (x, 400, "invalid_request_error", error->message);
      return;
    }
  /* Effort fields as this gateway forwards them. */
  pm_gateway_fix_body (x->provider, x->upstream_api, body);

  if (x->compact && JSON_NODE_HOLDS_OBJECT (body))
    {
      /* The compaction endpoint answers whole. */
      JsonObject *object = json_node_get_object (body);

      if (json_object_has_member (object, "stream"))
        json_object_remove_member (object, "stream");
      if (json_object_has_member (object, "stream_options"))
        json_object_remove_member (object, "stream_options");
    }

  if (x->upstream_api == PM_API_OPENAI_CHAT && x->client_stream && JSON_NODE_HOLDS_OBJECT (body))
    {
      JsonObject *object = json_node_get_object (body);
      JsonObject *options;

      if (!json_object_has_member (object, "stream_options") ||
          !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "stream_options")))
        json_object_set_object_member (object, "stream_options", json_object_new ());
      options = json_object_get_object_member (object, "stream_options");
      json_object_set_boolean_member (options, "include_usage", TRUE);
    }

  /* One pass with plain runs copied 8 bytes at a time: json_to_string took 1.5 ms and more on
   * a 650 kB request, before it could go upstream. */
  {
    gsize len = 0;

    text = pm_json_fast_to_string (body, &len);
    bytes = g_bytes_new_take (g_steal_pointer (&text), len);
  }
  url = upstream_url (x->provider, x->compact);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || !pm_upstream_can_send_to (uri))
    {
      g_autofree char *message = g_strdup_printf ("Provider “%s” has an invalid base_url", x->provider->id);

      exchange_fail (x, 502, "api_error", message);
      return;
    }
  /* Kept-alive connections are reused (no TCP and TLS handshake per request); a request that
   * finds one closed by the server was never read, and goes again on a new one. */
  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_replace (headers, "user-agent", "pointsman/" PACKAGE_VERSION);
  soup_message_headers_replace (headers, "content-type", "application/json");
  soup_message_headers_replace (headers, "accept", x->client_stream ? "text/event-stream" : "application/json");

  if (x->upstream_api == PM_API_ANTHROPIC)
    {
      const char *version = pm_request_get_header (x->request, "anthropic-version");
      const char *beta = pm_request_get_header (x->request, "anthropic-beta");

      soup_message_headers_replace (headers, "anthropic-version", version != NULL ? version : "2023-06-01");
      if (beta != NULL && x->client_api == PM_API_ANTHROPIC)
        soup_message_headers_replace (headers, "anthropic-beta", beta);
    }

  /* The provider's key where its API or gateway wants it, and its configured headers. */
  if (!pm_gateway_apply_headers (x->provider, x->upstream_api, key, headers, &error))
    {
      exchange_fail (x, 401, "authentication_error", error->message);
      return;
    }

  if (x->cancellable == NULL)
    x->cancellable = g_cancellable_new ();
  exchange_arm_timer (x, pm_config_get_connect_timeout (self->config));
  pm_upstream_send_async (self->upstream, "POST", uri, headers, bytes, x->cancellable,
                          upstream_sent_cb, exchange_ref (x));
  if (!x->explained && x->explain_timer == NULL)
    {
      x->explain_timer = g_timeout_source_new (EXPLAIN_AFTER_MS);
      g_source_set_callback (x->explain_timer, explain_timer_cb, x, NULL);
      g_source_attach (x->explain_timer, x->proxy->context);
    }
}

static void
key_looked_up_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Exchange *x = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = pm_keyring_lookup_finish (PM_KEYRING (object), result, &error);

  if (x->done || x->client_finished)
    {
      exchange_unref (x);
      return;
    }
  exchange_arm_timer (x, 0);

  if (key == NULL)
    {
      g_autofree char *reason = NULL;

      if (x->timed_out)
        reason = g_strdup_printf ("No key for provider “%s”: the keyring did not answer within %u s (is it locked?)",
                                  x->provider->id, pm_config_get_connect_timeout (x->proxy->config));
      else if (error != NULL)
        reason = g_strdup_printf ("No key for provider “%s”: the keyring failed (%s)", x->provider->id, error->message);
      else
        reason = g_strdup_printf ("No key for provider “%s” in the keyring: run “pointsman-cli keys set %s”",
                                  x->provider->id, x->provider->id);

      if (x->attempt + 1 < x->candidates->len)
        {
          pm_decision_add_reason (x->decision, reason);
          x->attempt++;
          exchange_try_next (x);
        }
      else
        {
          exchange_fail (x, 401, "authentication_error", reason);
        }
      exchange_unref (x);
      return;
    }

  {
    KeyEntry *entry = g_new0 (KeyEntry, 1);

    entry->key = g_strdup (key);
    entry->expires_us = g_get_monotonic_time () + KEY_CACHE_US;
    g_hash_table_replace (x->proxy->keys, g_strdup (x->provider->id), entry);
  }

  exchange_send (x, key);
  exchange_unref (x);
}

/* A model outside the configured pool (a client pin): the provider that speaks its API,
 * preferring one named after its vendor. */
static PmProviderConfig *
provider_for_unlisted (PmProxy           *self,
                       const PmModelInfo *info,
                       PmApi              client_api)
{
  GPtrArray *providers = pm_config_get_providers (self->config);
  PmApi api = info != NULL ? info->api : client_api;
  PmProviderConfig *found = NULL;

  for (guint i = 0; providers != NULL && i < providers->len; i++)
    {
      PmProviderConfig *provider = g_ptr_array_index (providers, i);

      if (provider->api != api)
        continue;
      if (info != NULL && info->vendor != NULL &&
          (g_strcmp0 (provider->id, info->vendor) == 0 || g_strcmp0 (provider->preset, info->vendor) == 0))
        return provider;
      if (found == NULL)
        found = provider;
    }

  return found;
}

/* Start the attempt for candidates[attempt]. */
static void
exchange_try_next (Exchange *x)
{
  PmProxy *self = x->proxy;
  const char *model_id = NULL;
  PmModelConfig *model_config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  const char *upstream_name = NULL;

  exchange_clear_attempt (x);

  while (x->attempt < x->candidates->len)
    {
      model_id = g_ptr_array_index (x->candidates, x->attempt);
      model_config = pm_config_lookup_model (self->config, model_id);
      x->model_info = pm_catalog_lookup (self->catalog, model_id);
      x->provider = model_config != NULL ? pm_config_lookup_provider (self->config, model_config->provider) : NULL;

      if (x->provider != NULL && x->compact && x->provider->api != PM_API_OPENAI_RESPONSES)
        {
          g_autofree char *reason = g_strdup_printf ("%s (%s) does not speak the Responses API, which "
                                                     "compaction needs; skipped", model_id, x->provider->id);

          pm_decision_add_reason (x->decision, reason);
          x->provider = NULL;
          x->attempt++;
          continue;
        }

      if (x->provider != NULL && x->attempt + 1 < x->candidates->len)
        {
          /* Refused recently by its gateway (budget, quota, model not allowed): skipped while
           * the refusal holds; the last candidate is always tried. */
          const char *held = pm_gateway_refusals_lookup (self->refusals, x->provider->id, model_id, g_get_real_time ());

          if (held != NULL)
            {
              g_autofree char *reason = g_strdup_printf ("%s (%s) skipped, refused recently: %s", model_id,
                                                         x->provider->id, held);

              pm_decision_add_reason (x->decision, reason);
              x->provider = NULL;
              x->attempt++;
              continue;
            }
        }

      if (x->provider != NULL)
        break;

      if (model_config == NULL && x->attempt == 0 && !x->decision->routed)
        {
          /* The client pinned a model the pool does not list: send it where its API is spoken,
           * under the name the client used. */
          x->provider = provider_for_unlisted (self, x->model_info, x->client_api);
          if (x->provider != NULL && x->compact && x->provider->api != PM_API_OPENAI_RESPONSES)
            x->provider = NULL;
          if (x->provider != NULL)
            {
              g_autofree char *reason = g_strdup_printf ("%s is not in the configured pool; sent to %s as the client asked",
                                                         model_id, x->provider->id);

              pm_decision_add_reason (x->decision, reason);
              break;
            }
        }

      {
        g_autofree char *reason = g_strdup_printf ("%s has no configured provider; skipped", model_id);

        pm_decision_add_reason (x->decision, reason);
      }
      x->attempt++;
    }

  if (x->provider == NULL)
    {
      g_autofree char *message = x->compact ?
        g_strdup_printf ("Compaction needs an OpenAI Responses provider; none serves “%s” or its fallbacks",
                         (char *) g_ptr_array_index (x->candidates, 0)) :
        g_strdup_printf ("No configured provider serves “%s”",
                         (char *) g_ptr_array_index (x->candidates, 0));

      exchange_fail (x, 400, "invalid_request_error", message);
      return;
    }

  x->upstream_api = x->provider->api;
  x->attempt_decision = pm_decision_new (model_id, x->decision->effort);
  x->attempt_decision->routed = x->decision->routed;
  if (g_strcmp0 (model_id, x->decision->model) == 0)
    {
      /* The router's own expectations, for what it learns from the outcome. */
      x->attempt_decision->expected_cached_tokens = x->decision->expected_cached_tokens;
      x->attempt_decision->expected_cost = x->decision->expected_cost;
      x->attempt_decision->expected_baseline_cost = x->decision->expected_baseline_cost;
      x->attempt_decision->summary = g_strdup (x->decision->summary);
    }

  if (model_config != NULL && model_config->upstream_name != NULL)
    upstream_name = model_config->upstream_name;
  else if (x->provider->model_names != NULL && g_hash_table_lookup (x->provider->model_names, model_id) != NULL)
    upstream_name = g_hash_table_lookup (x->provider->model_names, model_id);
  else if (model_config == NULL && pm_request_get_model (x->request) != NULL)
    upstream_name = pm_request_get_model (x->request);
  if (upstream_name != NULL)
    x->upstream_model = g_strdup (upstream_name);
  else
    /* model_names templates, then the gateway's naming ("anthropic/claude-sonnet-4.5"). */
    x->upstream_model = pm_gateway_model_name (x->provider, x->model_info, model_id);

  /* A Chat client gets the usage-only chunk only when it asked for it (stream_options.
   * include_usage): from a Chat upstream the proxy asks for it anyway and drops it, a
   * translated stream leaves it out. */
  x->strip_usage = FALSE;
  if (x->client_api == PM_API_OPENAI_CHAT && x->client_stream)
    {
      JsonNode *body = pm_request_get_body (x->request);
      JsonObject *options = NULL;

      if (JSON_NODE_HOLDS_OBJECT (body) &&
          json_object_has_member (json_node_get_object (body), "stream_options") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (body), "stream_options")))
        options = json_object_get_object_member (json_node_get_object (body), "stream_options");
      x->strip_usage = options == NULL || !json_object_get_boolean_member_with_default (options, "include_usage", FALSE);
    }

  /* The record shows what is being tried now. */
  pm_record_set_decision (x->record, model_id, effort_or_null (x->decision->effort), x->provider->id,
                          x->decision->routed, x->decision->summary, pm_decision_peek_explanation (x->decision));

  if (!resolve_key (self, x->provider, &key, &error))
    {
      if (x->attempt + 1 < x->candidates->len)
        {
          pm_decision_add_reason (x->decision, error->message);
          x->attempt++;
          exchange_try_next (x);
        }
      else
        {
          exchange_fail (x, 401, "authentication_error", error->message);
        }
      return;
    }

  if (key == NULL && g_strcmp0 (x->provider->key, "keyring") == 0)
    {
      if (self->keyring == NULL)
        {
          g_autofree char *message = g_strdup_printf ("No keyring for provider “%s”", x->provider->id);

          exchange_fail (x, 401, "authentication_error", message);
          return;
        }
      /* A locked keyring may prompt and never answer: the connect timeout covers the lookup. */
      x->cancellable = g_cancellable_new ();
      exchange_arm_timer (x, pm_config_get_connect_timeout (self->config));
      pm_keyring_lookup_async (self->keyring, x->provider->id, x->cancellable, key_looked_up_cb, exchange_ref (x));
      return;
    }

  exchange_send (x, key);
}

/* ---- local endpoints ---- */

static void
handle_models (PmProxy           *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(GStrv) pool = pm_config_dup_pool (self->config);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "list");
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);

  for (gint i = -1; pool == NULL ? i < 0 : (i < 0 || pool[i] != NULL); i++)
    {
      const char *id = i < 0 ? "pointsman/auto" : pool[i];
      const PmModelInfo *info = i < 0 ? NULL : pm_catalog_lookup (self->catalog, id);
      PmModelConfig *model = i < 0 ? NULL : pm_config_lookup_model (self->config, id);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
      json_builder_set_member_name (builder, "object");
      json_builder_add_string_value (builder, "model");
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "model");
      json_builder_set_member_name (builder, "display_name");
      json_builder_add_string_value (builder, i < 0 ? "Pointsman (routed per request)" :
                                     info != NULL && info->display_name != NULL ? info->display_name : id);
      json_builder_set_member_name (builder, "created");
      json_builder_add_int_value (builder, 0);
      json_builder_set_member_name (builder, "created_at");
      json_builder_add_string_value (builder, "1970-01-01T00:00:00Z");
      json_builder_set_member_name (builder, "owned_by");
      json_builder_add_string_value (builder, i < 0 ? "pointsman" :
                                     model != NULL && model->provider != NULL ? model->provider : "unknown");
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "has_more");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);

  respond_json_node (msg, 200, json_builder_get_root (builder));
}

static void
handle_health (PmProxy           *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *url = pm_proxy_dup_url (self);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "service");
  json_builder_add_string_value (builder, "pointsman");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_set_member_name (builder, "default_model");
  json_builder_add_string_value (builder, pm_router_get_default_model (self->router));
  json_builder_set_member_name (builder, "requests_total");
  json_builder_add_int_value (builder, self->n_total);
  json_builder_set_member_name (builder, "requests_active");
  json_builder_add_int_value (builder, self->exchanges->len);
  json_builder_set_member_name (builder, "store");
  if (self->store != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, pm_store_get_path (self->store));
      json_builder_set_member_name (builder, "warning");
      if (pm_store_get_warning (self->store) != NULL)
        json_builder_add_string_value (builder, pm_store_get_warning (self->store));
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  else
    {
      json_builder_add_null_value (builder);
    }
  json_builder_end_object (builder);

  respond_json_node (msg, 200, json_builder_get_root (builder));
}

static void
handle_requests (PmProxy           *self,
                 SoupServerMessage *msg,
                 GHashTable        *query)
{
  g_autoptr(JsonArray) array = NULL;
  const char *limit_str = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  guint64 limit = 50;
  JsonObject *object;
  JsonNode *root;

  if (limit_str != NULL && !g_ascii_string_to_unsigned (limit_str, 10, 1, 10000, &limit, NULL))
    {
      respond_error (msg, PM_API_OPENAI_CHAT, 400, "invalid_request_error",
                     "limit must be a number from 1 to 10000");
      return;
    }

  if (self->store != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* What the log holds right now, finished records included. */
      pm_store_flush (self->store, NULL);
      array = pm_store_list_recent (self->store, (guint) limit, &error);
      if (array == NULL)
        g_debug ("Listing the store failed: %s", error->message);
    }

  if (array == NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->log));

      array = json_array_new ();
      for (guint i = 0; i < n && i < limit; i++)
        {
          g_autoptr(PmRecord) record = g_list_model_get_item (G_LIST_MODEL (self->log), n - 1 - i);

          json_array_add_element (array, pm_record_to_json (record));
        }
    }

  object = json_object_new ();
  json_object_set_string_member (object, "object", "list");
  json_object_set_int_member (object, "count", json_array_get_length (array));
  json_object_set_array_member (object, "requests", g_steal_pointer (&array));
  root = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  respond_json_node (msg, 200, root);
}

static void
handle_count_tokens (PmProxy           *self,
                     SoupServerMessage *msg,
                     PmRequest         *request)
{
  JsonObject *object = json_object_new ();
  JsonNode *root;

  json_object_set_int_member (object, "input_tokens", MAX (pm_request_get_input_tokens (request), 1));
  root = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  respond_json_node (msg, 200, root);
}

/* ---- the request ---- */

static void
handle_proxied (PmProxy           *self,
                SoupServerMessage *msg,
                PmApi              api,
                gboolean           count_tokens,
                gboolean           compact)
{
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(PmDecision) decision = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = new_request_id ();
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  gint64 start_us = g_get_real_time ();
  Exchange *x;

  soup_message_headers_replace (response_headers, "x-pointsman-request-id", request_id);

  if (g_object_get_data (G_OBJECT (msg), "pm-too-large") == NULL)
    body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (body == NULL || g_bytes_get_size (body) > pm_config_get_max_body (self->config))
    {
      g_autofree char *message = g_strdup_printf ("The request body is larger than the limit of %" G_GSIZE_FORMAT " bytes",
                                                  pm_config_get_max_body (self->config));

      respond_error (msg, api, 413, "request_too_large", message);
      return;
    }

  headers = headers_to_table (soup_server_message_get_request_headers (msg));
  /* The path tells a Codex compaction (/responses/compact) from a main step: the router
   * decides it as one (its own session, reading the parent's prefix). */
  request = pm_request_new_from_bytes_for_path (api, g_uri_get_path (soup_server_message_get_uri (msg)),
                                                headers, body, &error);
  if (request == NULL)
    {
      respond_error (msg, api, 400, "invalid_request_error",
                     error != NULL ? error->message : "The request could not be parsed");
      return;
    }

  if (count_tokens)
    {
      handle_count_tokens (self, msg, request);
      return;
    }

  decision = pm_router_decide (self->router, request, start_us, &error);
  if (decision == NULL)
    {
      if (g_error_matches (error, PM_ERROR, PM_ERROR_TOO_LARGE))
        {
          /* Over every model's context window: the client must compact or trim, so say it the
           * way providers do (agents compact on "prompt is too long"), not as an overload they
           * would retry. */
          g_auto(GStrv) pool = pm_config_dup_pool (self->config);
          gint64 window = 0;
          g_autofree char *message = NULL;

          for (guint i = 0; pool != NULL && pool[i] != NULL; i++)
            {
              const PmModelInfo *info = pm_catalog_lookup (self->catalog, pool[i]);

              if (info != NULL && info->context_window > window)
                window = info->context_window;
            }
          /* Anthropic's own wording, which Claude Code parses: the prompt (estimated) plus the
           * output asked for, against the largest window in the pool. */
          message = g_strdup_printf ("prompt is too long: %" G_GINT64_FORMAT " tokens > %" G_GINT64_FORMAT " maximum",
                                     pm_request_get_input_tokens (request) + pm_request_get_max_output (request),
                                     window);
          g_debug ("%s", error->message);
          respond_error (msg, api, 400, "invalid_request_error", message);
          return;
        }
      respond_error (msg, api, error != NULL && error->code == PM_ERROR_INVALID_REQUEST ? 400 : 503,
                     NULL, error != NULL ? error->message : "No model can serve this request");
      return;
    }

  if (!pm_guard_acquire_stream_for_message (self->guard, msg, api))
    return;

  x = g_new0 (Exchange, 1);
  g_atomic_ref_count_init (&x->ref_count);   /* owned until the client message is finished */
  x->proxy = g_object_ref (self);
  x->msg = g_object_ref (msg);
  x->client_api = api;
  x->request_id = g_steal_pointer (&request_id);
  x->request = g_steal_pointer (&request);
  x->decision = g_steal_pointer (&decision);
  x->start_us = start_us;
  x->compact = compact;
  x->client_stream = compact ? FALSE : pm_request_get_stream (x->request);
  x->out = g_string_new (NULL);
  pm_usage_init (&x->usage);

  x->candidates = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (x->candidates, g_strdup (x->decision->model));
  for (guint i = 0; x->decision->fallbacks != NULL && i < x->decision->fallbacks->len; i++)
    {
      const char *fallback = g_ptr_array_index (x->decision->fallbacks, i);
      gboolean seen = FALSE;

      for (guint j = 0; j < x->candidates->len; j++)
        seen |= g_str_equal (g_ptr_array_index (x->candidates, j), fallback);
      if (!seen)
        g_ptr_array_add (x->candidates, g_strdup (fallback));
    }

  x->record = pm_record_new (x->request_id, start_us);
  pm_record_set_request (x->record,
                         pm_request_get_session_id (x->request),
                         pm_request_get_agent (x->request),
                         compact ? PM_KIND_COMPACTION : pm_request_get_kind (x->request),
                         api,
                         pm_request_get_model (x->request));
  /* The explanation follows once the request is upstream (exchange_explain_record). */
  pm_record_set_decision (x->record, x->decision->model, effort_or_null (x->decision->effort), NULL,
                          x->decision->routed, x->decision->summary, NULL);
  if (pm_config_get_store_prompts (self->config))
    {
      /* Only when the user allows it: the latest user text, capped. */
      g_autofree char *text = pm_request_dup_last_user_text (x->request);

      if (text != NULL && g_utf8_validate (text, -1, NULL) && g_utf8_strlen (text, -1) > MAX_PROMPT_CHARS)
        {
          g_autofree char *cut = g_utf8_substring (text, 0, MAX_PROMPT_CHARS);

          g_free (text);
          text = g_strconcat (cut, "…", NULL);
        }
      pm_record_set_prompt (x->record, text);
    }
  pm_request_log_append (self->log, x->record);
  g_signal_emit (self, signals[REQUEST_ROUTED], 0, x->record, x->request);

  self->n_total++;
  g_ptr_array_add (self->exchanges, x);
  g_ptr_array_add (self->live, x);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ACTIVE]);

  x->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (client_finished_cb), x);
  x->wrote_data_id = g_signal_connect_swapped (msg, "wrote-body-data", G_CALLBACK (client_wrote_data_cb), x);
  soup_server_message_pause (msg);

  exchange_ref (x);
  exchange_try_next (x);
  exchange_unref (x);
}

/* A chunked upload has no length up front: count as it comes, and stop keeping it past the
 * limit (the handler then answers 413). */
static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              PmProxy           *self)
{
  gsize total = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "pm-body-size")) + g_bytes_get_size (chunk);

  g_object_set_data (G_OBJECT (msg), "pm-body-size", GSIZE_TO_POINTER (total));
  if (total > pm_config_get_max_body (self->config) &&
      g_object_get_data (G_OBJECT (msg), "pm-too-large") == NULL)
    {
      g_object_set_data (G_OBJECT (msg), "pm-too-large", GINT_TO_POINTER (TRUE));
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
    }
}

static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  PmProxy *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length;
  gboolean count_tokens;
  PmApi api;

  /* One request per client connection. libsoup 3.2 (Debian 12 has 3.2.3) leaks a kept-alive
   * connection that the client closes while it is idle: the socket stays in CLOSE_WAIT, open,
   * forever (fixed upstream in 3.3, libsoup d20c6601). bench-load left 13,152 of 19,000 such
   * sockets and hit the fd limit, after which the proxy accepted nothing. Closing after each
   * response costs a loopback connect per request; agents' requests are long.
   * Test: /pm/proxy/connections/closed (tests/test-proxy-connections.c). */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  /* … and the socket libsoup 3.2's listener keeps a reference to is given back (pm-soup-fix.c). */
  pm_socket_releaser_watch (self->sockets, msg);

  if (!api_for_path (path, &api, &count_tokens))
    api = PM_API_OPENAI_CHAT;
  if (!pm_guard_check_message_headers (self->guard, msg, api))
    return;

  if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
    return;
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self);
      return;
    }

  length = soup_message_headers_get_content_length (headers);
  if (length >= 0 && (gsize) length > pm_config_get_max_body (self->config))
    {
      g_autofree char *message = g_strdup_printf ("The request body (%" G_GOFFSET_FORMAT " bytes) is larger than the limit of %" G_GSIZE_FORMAT " bytes",
                                                  length, pm_config_get_max_body (self->config));
      g_autofree char *request_id = new_request_id ();

      if (!api_for_path (path, &api, &count_tokens))
        api = PM_API_OPENAI_CHAT;
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "x-pointsman-request-id", request_id);
      /* Do not read a body we will refuse. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "connection", "close");
      respond_error (msg, api, 413, "request_too_large", message);
    }
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  PmProxy *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean count_tokens;
  PmApi api;

  if (soup_server_message_get_status (msg) != 0)
    return;   /* answered by the early handler */

  if (!pm_guard_check_message (self->guard, msg,
                               api_for_path (path, &api, &count_tokens) ? api : PM_API_OPENAI_CHAT))
    return;

  if (g_str_equal (method, "GET"))
    {
      if (g_str_equal (path, "/v1/models") || g_str_equal (path, "/models"))
        handle_models (self, msg);
      else if (g_str_equal (path, "/pointsman/v1/health") || g_str_equal (path, "/health") ||
               g_str_equal (path, "/"))
        handle_health (self, msg);
      else if (g_str_equal (path, "/pointsman/v1/requests"))
        handle_requests (self, msg, query);
      else
        respond_error (msg, PM_API_OPENAI_CHAT, 404, "not_found_error", "Unknown endpoint");
      return;
    }

  if (!api_for_path (path, &api, &count_tokens))
    {
      respond_error (msg, PM_API_OPENAI_CHAT, 404, "not_found_error", "Unknown endpoint");
      return;
    }

  if (!g_str_equal (method, "POST"))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "allow", "POST");
      respond_error (msg, api, 405, "invalid_request_error", "Use POST");
      return;
    }

  handle_proxied (self, msg, api, count_tokens, is_compact_path (path));
}

/* ---- object ---- */

static void
key_entry_free (gpointer data)
{
  KeyEntry *entry = data;

  if (entry->key != NULL)
    explicit_bzero (entry->key, strlen (entry->key));
  g_free (entry->key);
  g_free (entry);
}

static void
pm_proxy_dispose (GObject *object)
{
  PmProxy *self = (PmProxy *)object;

  pm_proxy_stop (self);
  g_clear_object (&self->upstream);
  g_clear_object (&self->config);
  g_clear_object (&self->catalog);
  g_clear_object (&self->router);
  g_clear_object (&self->keyring);
  g_clear_object (&self->store);
  g_clear_object (&self->log);
  g_clear_object (&self->guard);

  G_OBJECT_CLASS (pm_proxy_parent_class)->dispose (object);
}

static void
pm_proxy_finalize (GObject *object)
{
  PmProxy *self = (PmProxy *)object;

  g_clear_pointer (&self->keys, g_hash_table_unref);
  g_clear_pointer (&self->refusals, pm_gateway_refusals_free);
  g_clear_pointer (&self->exchanges, g_ptr_array_unref);
  g_clear_pointer (&self->live, g_ptr_array_unref);
  g_clear_pointer (&self->sockets, pm_socket_releaser_free);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (pm_proxy_parent_class)->finalize (object);
}

static void
pm_proxy_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  PmProxy *self = PM_PROXY (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, pm_proxy_is_running (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_LOG:
      g_value_set_object (value, self->log);
      break;
    case PROP_N_ACTIVE:
      g_value_set_uint (value, self->exchanges != NULL ? self->exchanges->len : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_proxy_class_init (PmProxyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_proxy_dispose;
  object_class->finalize = pm_proxy_finalize;
  object_class->get_property = pm_proxy_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_LOG] =
    g_param_spec_object ("log", NULL, NULL, PM_TYPE_REQUEST_LOG,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_N_ACTIVE] =
    g_param_spec_uint ("n-active", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[REQUEST_ROUTED] =
    g_signal_new ("request-routed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  PM_TYPE_RECORD, G_TYPE_POINTER);
}

static void
pm_proxy_init (PmProxy *self)
{
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, key_entry_free);
  self->refusals = pm_gateway_refusals_new ();
  self->exchanges = g_ptr_array_new ();
  self->live = g_ptr_array_new ();
  self->log = pm_request_log_new (DEFAULT_LOG_ITEMS);
}

PmProxy *
pm_proxy_new (PmConfig  *config,
              PmCatalog *catalog,
              PmRouter  *router,
              PmKeyring *keyring,
              PmStore   *store)
{
  PmProxy *self;

  g_return_val_if_fail (PM_IS_CONFIG (config), NULL);
  g_return_val_if_fail (PM_IS_CATALOG (catalog), NULL);
  g_return_val_if_fail (PM_IS_ROUTER (router), NULL);
  g_return_val_if_fail (keyring == NULL || PM_IS_KEYRING (keyring), NULL);
  g_return_val_if_fail (store == NULL || PM_IS_STORE (store), NULL);

  self = g_object_new (PM_TYPE_PROXY, NULL);
  self->config = g_object_ref (config);
  self->catalog = g_object_ref (catalog);
  self->router = g_object_ref (router);
  self->keyring = keyring != NULL ? g_object_ref (keyring) : NULL;
  self->store = store != NULL ? g_object_ref (store) : NULL;
  self->guard = pm_guard_new_for_config (config);

  return self;
}

static gboolean
listen_loopback (SoupServer      *server,
                 GSocketAddress  *address,
                 GError         **error)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) ||
      !g_socket_listen (socket, error))
    return FALSE;

  return soup_server_listen_socket (server, socket, 0, error);
}

gboolean
pm_proxy_start (PmProxy  *self,
                GError  **error)
{
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  GSList *listeners;

  g_return_val_if_fail (PM_IS_PROXY (self), FALSE);

  if (self->server != NULL)
    return TRUE;

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  if (self->upstream == NULL)
    self->upstream = pm_upstream_new (pm_config_get_idle_timeout (self->config));
  if (self->sockets == NULL)
    self->sockets = pm_socket_releaser_new (self->context);

  self->server = soup_server_new ("server-header", "pointsman/" PACKAGE_VERSION " ", NULL);
  soup_server_add_early_handler (self->server, NULL, early_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);

  /* Loopback only, whatever the configuration says: keys are behind this port. Our own
   * socket, for a listen backlog that survives an agent fanning out (GSocket's default is 10). */
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, pm_config_get_listen_port (self->config));
  if (!listen_loopback (self->server, address, error))
    {
      g_clear_object (&self->server);
      return FALSE;
    }

  listeners = soup_server_get_listeners (self->server);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (local != NULL)
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  return TRUE;
}

void
pm_proxy_stop (PmProxy *self)
{
  g_return_if_fail (PM_IS_PROXY (self));

  if (self->server == NULL)
    return;

  /* Cancel what is in flight; each exchange records itself as failed. */
  self->stopping = TRUE;
  for (guint i = 0; i < self->exchanges->len; i++)
    {
      Exchange *x = g_ptr_array_index (self->exchanges, i);

      if (x->cancellable != NULL)
        g_cancellable_cancel (x->cancellable);
    }

  soup_server_disconnect (self->server);
  /* A message whose last bytes are written but whose "finished" has not been emitted yet would
   * never see it once the server is gone: finish those here. */
  while (self->live->len > 0)
    {
      Exchange *x = g_ptr_array_index (self->live, 0);

      client_finished_cb (x->msg, x);
    }
  g_clear_object (&self->server);
  pm_socket_releaser_flush (self->sockets);
  if (self->upstream != NULL)
    pm_upstream_close_idle (self->upstream);
  self->port = 0;
  self->stopping = FALSE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
pm_proxy_is_running (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), FALSE);

  return self->server != NULL;
}

guint
pm_proxy_get_port (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), 0);

  return self->port;
}

char *
pm_proxy_dup_url (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), NULL);

  return g_strdup_printf ("http://127.0.0.1:%u", self->port);
}

PmRequestLog *
pm_proxy_get_log (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), NULL);

  return self->log;
}

PmConfig *
pm_proxy_get_config (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), NULL);

  return self->config;
}

PmRouter *
pm_proxy_get_router (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), NULL);

  return self->router;
}

PmStore *
pm_proxy_get_store (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), NULL);

  return self->store;
}

PmGuard *
pm_proxy_get_guard (PmProxy *self)
{
  g_return_val_if_fail (PM_IS_PROXY (self), NULL);

  return self->guard;
}
