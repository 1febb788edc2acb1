/* pm-record.c — one request as the log, the store and the UI see it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-record"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pm-json-fast.h"
#include "pm-record.h"

struct _PmRecord
{
  GObject        parent_instance;

  char          *id;
  gint64         time_us;
  char          *session;
  char          *agent;
  char          *kind;
  char          *api;
  char          *requested_model;
  char          *model;
  char          *effort;
  char          *provider;
  gboolean       routed;
  PmUsage        usage;
  double         cost;
  double         baseline_cost;
  double         ttfb_ms;
  double         total_ms;
  guint          status;
  PmRecordState  state;
  char          *summary;
  /* The explanation as JSON text, or only compressed (pm_record_compact: what old records in a
   * long log keep, 2-6x smaller), inflated again when read. (A tree instead of text was tried:
   * 10-20x the memory of the text, for no time to first byte that could be measured.) */
  char          *explanation;
  GBytes        *explanation_z;
  char          *error;
  char          *prompt;
};

G_DEFINE_FINAL_TYPE (PmRecord, pm_record, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TIME,
  PROP_SESSION,
  PROP_AGENT,
  PROP_KIND,
  PROP_API,
  PROP_REQUESTED_MODEL,
  PROP_MODEL,
  PROP_EFFORT,
  PROP_PROVIDER,
  PROP_ROUTED,
  PROP_INPUT_TOKENS,
  PROP_CACHE_READ_TOKENS,
  PROP_CACHE_WRITE_TOKENS,
  PROP_OUTPUT_TOKENS,
  PROP_REASONING_TOKENS,
  PROP_CACHE_HIT,
  PROP_COST,
  PROP_BASELINE_COST,
  PROP_SAVED,
  PROP_TTFB_MS,
  PROP_TOTAL_MS,
  PROP_STATUS,
  PROP_STATE,
  PROP_SUMMARY,
  PROP_EXPLANATION,
  PROP_ERROR,
  PROP_PROMPT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
usage_clear (PmUsage *usage)
{
  memset (usage, 0, sizeof *usage);
  usage->reported_cost = -1.0;
}

static double
record_cache_hit (PmRecord *self)
{
  gint64 total = self->usage.input + self->usage.cache_read +
                 self->usage.cache_write_5m + self->usage.cache_write_1h;

  if (total <= 0)
    return 0.0;

  return (double) self->usage.cache_read / (double) total;
}

static double
record_saved (PmRecord *self)
{
  return self->baseline_cost - self->cost;
}

static void
pm_record_finalize (GObject *object)
{
  PmRecord *self = (PmRecord *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->session, g_free);
  g_clear_pointer (&self->agent, g_free);
  g_clear_pointer (&self->kind, g_free);
  g_clear_pointer (&self->api, g_free);
  g_clear_pointer (&self->requested_model, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->effort, g_free);
  g_clear_pointer (&self->provider, g_free);
  g_clear_pointer (&self->summary, g_free);
  g_clear_pointer (&self->explanation, g_free);
  g_clear_pointer (&self->explanation_z, g_bytes_unref);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->prompt, g_free);

  G_OBJECT_CLASS (pm_record_parent_class)->finalize (object);
}

static void
pm_record_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PmRecord *self = PM_RECORD (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_TIME:
      g_value_set_int64 (value, self->time_us);
      break;
    case PROP_SESSION:
      g_value_set_string (value, self->session != NULL ? self->session : "");
      break;
    case PROP_AGENT:
      g_value_set_string (value, self->agent != NULL ? self->agent : "");
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind != NULL ? self->kind : "");
      break;
    case PROP_API:
      g_value_set_string (value, self->api != NULL ? self->api : "");
      break;
    case PROP_REQUESTED_MODEL:
      g_value_set_string (value, self->requested_model != NULL ? self->requested_model : "");
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model != NULL ? self->model : "");
      break;
    case PROP_EFFORT:
      g_value_set_string (value, self->effort != NULL ? self->effort : "");
      break;
    case PROP_PROVIDER:
      g_value_set_string (value, self->provider != NULL ? self->provider : "");
      break;
    case PROP_ROUTED:
      g_value_set_boolean (value, self->routed);
      break;
    case PROP_INPUT_TOKENS:
      g_value_set_int64 (value, self->usage.input);
      break;
    case PROP_CACHE_READ_TOKENS:
      g_value_set_int64 (value, self->usage.cache_read);
      break;
    case PROP_CACHE_WRITE_TOKENS:
      g_value_set_int64 (value, self->usage.cache_write_5m + self->usage.cache_write_1h);
      break;
    case PROP_OUTPUT_TOKENS:
      g_value_set_int64 (value, self->usage.output);
      break;
    case PROP_REASONING_TOKENS:
      g_value_set_int64 (value, self->usage.reasoning);
      break;
    case PROP_CACHE_HIT:
      g_value_set_double (value, record_cache_hit (self));
      break;
    case PROP_COST:
      g_value_set_double (value, self->cost);
      break;
    case PROP_BASELINE_COST:
      g_value_set_double (value, self->baseline_cost);
      break;
    case PROP_SAVED:
      g_value_set_double (value, record_saved (self));
      break;
    case PROP_TTFB_MS:
      g_value_set_double (value, self->ttfb_ms);
      break;
    case PROP_TOTAL_MS:
      g_value_set_double (value, self->total_ms);
      break;
    case PROP_STATUS:
      g_value_set_int (value, (int) self->status);
      break;
    case PROP_STATE:
      g_value_set_int (value, (int) self->state);
      break;
    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
      break;
    case PROP_EXPLANATION:
      g_value_set_string (value, pm_record_get_explanation (self));
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, self->prompt);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_record_class_init (PmRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pm_record_finalize;
  object_class->get_property = pm_record_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_TIME] =
    g_param_spec_int64 ("time", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_SESSION] =
    g_param_spec_string ("session", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_AGENT] =
    g_param_spec_string ("agent", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_KIND] =
    g_param_spec_string ("kind", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_API] =
    g_param_spec_string ("api", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_REQUESTED_MODEL] =
    g_param_spec_string ("requested-model", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_EFFORT] =
    g_param_spec_string ("effort", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_PROVIDER] =
    g_param_spec_string ("provider", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_ROUTED] =
    g_param_spec_boolean ("routed", NULL, NULL, FALSE,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_INPUT_TOKENS] =
    g_param_spec_int64 ("input-tokens", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_CACHE_READ_TOKENS] =
    g_param_spec_int64 ("cache-read-tokens", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_CACHE_WRITE_TOKENS] =
    g_param_spec_int64 ("cache-write-tokens", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_OUTPUT_TOKENS] =
    g_param_spec_int64 ("output-tokens", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_REASONING_TOKENS] =
    g_param_spec_int64 ("reasoning-tokens", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_CACHE_HIT] =
    g_param_spec_double ("cache-hit", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_COST] =
    g_param_spec_double ("cost", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_BASELINE_COST] =
    g_param_spec_double ("baseline-cost", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_SAVED] =
    g_param_spec_double ("saved", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_TTFB_MS] =
    g_param_spec_double ("ttfb-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_TOTAL_MS] =
    g_param_spec_double ("total-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL, G_MININT, G_MAXINT, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, G_MININT, G_MAXINT, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_SUMMARY] =
    g_param_spec_string ("summary", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_EXPLANATION] =
    g_param_spec_string ("explanation", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_PROMPT] =
    g_param_spec_string ("prompt", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pm_record_init (PmRecord *self)
{
  usage_clear (&self->usage);
  self->state = PM_RECORD_PENDING;
}

PmRecord *
pm_record_new (const char *id,
               gint64      time_us)
{
  PmRecord *self;

  g_return_val_if_fail (id != NULL, NULL);

  self = g_object_new (PM_TYPE_RECORD, NULL);
  self->id = g_strdup (id);
  self->time_us = time_us;

  return self;
}

/* Sets *field to value, notifying prop when it changed. */
/* One-shot zlib (raw deflate) through GIO's converters. */
static GBytes *
convert_all (GConverter *converter,
             const char *data,
             gsize       len,
             gsize       hint)
{
  g_autoptr(GByteArray) out = g_byte_array_sized_new (hint);
  gsize read_total = 0;

  for (;;)
    {
      gsize bytes_read = 0, bytes_written = 0;
      gsize room = MAX (hint, 256);
      gsize old = out->len;
      GConverterResult result;

      g_byte_array_set_size (out, old + room);
      result = g_converter_convert (converter, data + read_total, len - read_total, out->data + old, room,
                                    G_CONVERTER_INPUT_AT_END, &bytes_read, &bytes_written, NULL);
      g_byte_array_set_size (out, old + bytes_written);
      read_total += bytes_read;
      if (result == G_CONVERTER_FINISHED)
        return g_bytes_new (out->data, out->len);   /* exact size: the array has room to spare */
      if (result == G_CONVERTER_ERROR)
        return NULL;
    }
}

/* One compressor for the process (zlib's state is ~256 kB: made once, reset per use). */
static GBytes *
deflate_text (const char *text)
{
  static GMutex mutex;
  static GZlibCompressor *compressor;
  gsize len;
  GBytes *z;

  if (text == NULL)
    return NULL;
  len = strlen (text);
  g_mutex_lock (&mutex);
  if (compressor == NULL)
    compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, 6);
  else
    g_converter_reset (G_CONVERTER (compressor));
  z = convert_all (G_CONVERTER (compressor), text, len, len / 4 + 64);
  g_mutex_unlock (&mutex);
  return z;
}

static char *
inflate_text (GBytes *z)
{
  g_autoptr(GZlibDecompressor) decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);
  gsize len;
  const char *data = g_bytes_get_data (z, &len);
  g_autoptr(GBytes) plain = convert_all (G_CONVERTER (decompressor), data, len, len * 8 + 64);
  gsize plain_len;
  const char *plain_data;

  if (plain == NULL)
    return NULL;
  plain_data = g_bytes_get_data (plain, &plain_len);
  return g_strndup (plain_data, plain_len);
}

static void
set_string (PmRecord    *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_double (PmRecord *self,
            double   *field,
            double    value,
            guint     prop)
{
  if (*field == value)
    return;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static const char *
object_get_string (JsonObject *object,
                   const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static double
object_get_number (JsonObject *object,
                   const char *member,
                   double      fallback)
{
  JsonNode *node = json_object_get_member (object, member);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (type == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node) ? 1.0 : 0.0;

  return fallback;
}

static gint64
object_get_int (JsonObject *object,
                const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);

  return 0;
}

static const char *
state_to_string (PmRecordState state)
{
  switch (state)
    {
    case PM_RECORD_PENDING:
      return "pending";
    case PM_RECORD_STREAMING:
      return "streaming";
    case PM_RECORD_DONE:
      return "done";
    case PM_RECORD_FAILED:
      return "failed";
    default:
      return "pending";
    }
}

static PmRecordState
state_from_string (const char *str)
{
  if (g_strcmp0 (str, "streaming") == 0)
    return PM_RECORD_STREAMING;
  if (g_strcmp0 (str, "done") == 0)
    return PM_RECORD_DONE;
  if (g_strcmp0 (str, "failed") == 0)
    return PM_RECORD_FAILED;
  return PM_RECORD_PENDING;
}

/**
 * pm_record_new_from_json:
 *
 * The inverse of pm_record_to_json(). Returns NULL when the object has no "id".
 * "explanation" may be a JSON value or a string holding JSON.
 */
PmRecord *
pm_record_new_from_json (JsonObject *object)
{
  PmRecord *self;
  JsonNode *node;
  JsonObject *usage;
  const char *id;

  g_return_val_if_fail (object != NULL, NULL);

  id = object_get_string (object, "id");
  if (id == NULL)
    return NULL;

  self = pm_record_new (id, object_get_int (object, "time"));
  self->session = g_strdup (object_get_string (object, "session"));
  self->agent = g_strdup (object_get_string (object, "agent"));
  self->kind = g_strdup (object_get_string (object, "kind"));
  self->api = g_strdup (object_get_string (object, "api"));
  self->requested_model = g_strdup (object_get_string (object, "requested_model"));
  self->model = g_strdup (object_get_string (object, "model"));
  self->effort = g_strdup (object_get_string (object, "effort"));
  self->provider = g_strdup (object_get_string (object, "provider"));
  self->routed = object_get_number (object, "routed", 0.0) != 0.0;
  self->cost = object_get_number (object, "cost", 0.0);
  self->baseline_cost = object_get_number (object, "baseline_cost", 0.0);
  self->ttfb_ms = object_get_number (object, "ttfb_ms", 0.0);
  self->total_ms = object_get_number (object, "total_ms", 0.0);
  self->status = (guint) object_get_int (object, "status");
  self->state = state_from_string (object_get_string (object, "state"));
  self->summary = g_strdup (object_get_string (object, "summary"));
  self->error = g_strdup (object_get_string (object, "error"));
  self->prompt = g_strdup (object_get_string (object, "prompt"));

  node = json_object_get_member (object, "explanation");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        self->explanation = g_strdup (json_node_get_string (node));
      else
        self->explanation = json_to_string (node, FALSE);
    }

  node = json_object_get_member (object, "usage");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      usage = json_node_get_object (node);
      self->usage.input = object_get_int (usage, "input");
      self->usage.cache_read = object_get_int (usage, "cache_read");
      self->usage.cache_write_5m = object_get_int (usage, "cache_write_5m");
      self->usage.cache_write_1h = object_get_int (usage, "cache_write_1h");
      self->usage.output = object_get_int (usage, "output");
      self->usage.reasoning = object_get_int (usage, "reasoning");
      self->usage.seen = object_get_number (usage, "seen", 0.0) != 0.0;
      self->usage.reported_cost = object_get_number (usage, "reported_cost", -1.0);
    }

  return self;
}

static void
set_string_member (JsonObject *object,
                   const char *member,
                   const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

/* The record as one JSON object; the explanation embedded as JSON, or as its text. */
static JsonNode *
record_to_json (PmRecord *self,
                gboolean  explanation_as_text)
{
  JsonObject *o;
  JsonObject *usage;
  JsonNode *root;
  JsonNode *explanation = NULL;
  const char *text;

  g_assert (PM_IS_RECORD (self));

  /* Objects built directly (not through a JsonBuilder), and the explanation read with the
   * proxy's own JSON reader: this runs on the proxy's main loop for every store write. */
  o = json_object_new ();
  set_string_member (o, "id", self->id);
  json_object_set_int_member (o, "time", self->time_us);
  set_string_member (o, "session", self->session);
  set_string_member (o, "agent", self->agent);
  set_string_member (o, "kind", self->kind);
  set_string_member (o, "api", self->api);
  set_string_member (o, "requested_model", self->requested_model);
  set_string_member (o, "model", self->model);
  set_string_member (o, "effort", self->effort);
  set_string_member (o, "provider", self->provider);
  json_object_set_boolean_member (o, "routed", self->routed);

  usage = json_object_new ();
  json_object_set_int_member (usage, "input", self->usage.input);
  json_object_set_int_member (usage, "cache_read", self->usage.cache_read);
  json_object_set_int_member (usage, "cache_write_5m", self->usage.cache_write_5m);
  json_object_set_int_member (usage, "cache_write_1h", self->usage.cache_write_1h);
  json_object_set_int_member (usage, "output", self->usage.output);
  json_object_set_int_member (usage, "reasoning", self->usage.reasoning);
  json_object_set_boolean_member (usage, "seen", self->usage.seen);
  if (self->usage.reported_cost >= 0)
    json_object_set_double_member (usage, "reported_cost", self->usage.reported_cost);
  json_object_set_object_member (o, "usage", usage);

  json_object_set_double_member (o, "cache_hit", record_cache_hit (self));
  json_object_set_double_member (o, "cost", self->cost);
  json_object_set_double_member (o, "baseline_cost", self->baseline_cost);
  json_object_set_double_member (o, "saved", record_saved (self));
  json_object_set_double_member (o, "ttfb_ms", self->ttfb_ms);
  json_object_set_double_member (o, "total_ms", self->total_ms);
  json_object_set_int_member (o, "status", self->status);
  set_string_member (o, "state", state_to_string (self->state));
  set_string_member (o, "summary", self->summary);

  text = pm_record_get_explanation (self);
  if (text != NULL && explanation_as_text)
    {
      /* The store writes the text as it is: parsing it here only for the writer to print it
       * again cost more than the rest of the record. */
      set_string_member (o, "explanation_text", text);
    }
  else if (text != NULL)
    {
      explanation = pm_json_fast_parse (text, strlen (text));
      if (explanation == NULL)
        explanation = json_from_string (text, NULL);
      if (explanation == NULL)
        explanation = json_node_init_string (json_node_alloc (), text);
    }
  json_object_set_member (o, "explanation", explanation != NULL ? explanation : json_node_new (JSON_NODE_NULL));

  set_string_member (o, "error", self->error);
  /* Only there when the user turned prompt storing on. */
  if (self->prompt != NULL)
    set_string_member (o, "prompt", self->prompt);

  root = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  return root;
}

/**
 * pm_record_to_json:
 *
 * Everything the record holds, as one JSON object: the store's rows and
 * /pointsman/v1/requests use this shape. The explanation is embedded as JSON.
 */
JsonNode *
pm_record_to_json (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);

  return record_to_json (self, FALSE);
}

/* As pm_record_to_json (), with the explanation as the record keeps it: its JSON text in the
 * string member "explanation_text" ("explanation" is null). What the store saves. */
JsonNode *
pm_record_to_store_json (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);

  return record_to_json (self, TRUE);
}

const char *
pm_record_get_id (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->id;
}

gint64
pm_record_get_time (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), 0);
  return self->time_us;
}

const char *
pm_record_get_session (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->session;
}

const char *
pm_record_get_agent (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->agent;
}

const char *
pm_record_get_kind (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->kind;
}

const char *
pm_record_get_api (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->api;
}

const char *
pm_record_get_requested_model (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->requested_model;
}

const char *
pm_record_get_model (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->model;
}

const char *
pm_record_get_effort (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->effort;
}

const char *
pm_record_get_provider (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->provider;
}

gboolean
pm_record_get_routed (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), FALSE);
  return self->routed;
}

double
pm_record_get_cost (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), 0.0);
  return self->cost;
}

double
pm_record_get_baseline_cost (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), 0.0);
  return self->baseline_cost;
}

double
pm_record_get_ttfb_ms (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), 0.0);
  return self->ttfb_ms;
}

double
pm_record_get_total_ms (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), 0.0);
  return self->total_ms;
}

guint
pm_record_get_status (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), 0);
  return self->status;
}

PmRecordState
pm_record_get_state (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), PM_RECORD_PENDING);
  return self->state;
}

const char *
pm_record_get_explanation (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);

  if (self->explanation == NULL && self->explanation_z != NULL)
    self->explanation = inflate_text (self->explanation_z);
  return self->explanation;
}

/**
 * pm_record_compact:
 * @compress: TRUE: keep the explanation only compressed (old records in a long log); FALSE:
 *   only as text (what pm_record_get_explanation () of a compacted record leaves: both)
 *
 * pm_record_get_explanation() and pm_record_to_json() give the same result afterwards, made
 * again on demand. Returns the bytes the record now holds for its explanation.
 */
gsize
pm_record_compact (PmRecord *self,
                   gboolean  compress)
{
  g_return_val_if_fail (PM_IS_RECORD (self), 0);

  if (!compress)
    {
      const char *text = pm_record_get_explanation (self);

      g_clear_pointer (&self->explanation_z, g_bytes_unref);
      return text != NULL ? strlen (text) : 0;
    }
  if (self->explanation_z == NULL && self->explanation != NULL)
    self->explanation_z = deflate_text (self->explanation);
  if (self->explanation_z == NULL)
    return self->explanation != NULL ? strlen (self->explanation) : 0;   /* kept as text */
  g_clear_pointer (&self->explanation, g_free);
  return g_bytes_get_size (self->explanation_z);
}

gboolean
pm_record_is_compact (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), FALSE);

  return self->explanation_z != NULL && self->explanation == NULL;
}

const char *
pm_record_get_summary (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->summary;
}

const char *
pm_record_get_error (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->error;
}

const char *
pm_record_get_prompt (PmRecord *self)
{
  g_return_val_if_fail (PM_IS_RECORD (self), NULL);
  return self->prompt;
}

/**
 * pm_record_set_prompt:
 *
 * The latest user text of the request. Only set when the configuration allows prompt text in
 * the log ("store_prompts"); NULL otherwise.
 */
void
pm_record_set_prompt (PmRecord   *self,
                      const char *prompt)
{
  g_return_if_fail (PM_IS_RECORD (self));

  set_string (self, &self->prompt, prompt, PROP_PROMPT);
}

void
pm_record_get_usage (PmRecord *self,
                     PmUsage  *usage)
{
  g_return_if_fail (PM_IS_RECORD (self));
  g_return_if_fail (usage != NULL);

  *usage = self->usage;
}

void
pm_record_set_request (PmRecord   *self,
                       const char *session,
                       PmAgent     agent,
                       PmKind      kind,
                       PmApi       api,
                       const char *requested_model)
{
  g_return_if_fail (PM_IS_RECORD (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->session, session, PROP_SESSION);
  set_string (self, &self->agent, pm_agent_to_string (agent), PROP_AGENT);
  set_string (self, &self->kind, pm_kind_to_string (kind), PROP_KIND);
  set_string (self, &self->api, pm_api_to_string (api), PROP_API);
  set_string (self, &self->requested_model, requested_model, PROP_REQUESTED_MODEL);
  g_object_thaw_notify (G_OBJECT (self));
}

void
pm_record_set_decision (PmRecord   *self,
                        const char *model,
                        const char *effort,
                        const char *provider,
                        gboolean    routed,
                        const char *summary,
                        JsonNode   *explanation)
{
  g_return_if_fail (PM_IS_RECORD (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->model, model, PROP_MODEL);
  set_string (self, &self->effort, effort, PROP_EFFORT);
  set_string (self, &self->provider, provider, PROP_PROVIDER);
  if (self->routed != !!routed)
    {
      self->routed = !!routed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROUTED]);
    }
  set_string (self, &self->summary, summary, PROP_SUMMARY);
  /* As text: the caller goes on changing its tree (reasons, the gateway's cost). */
  {
    g_autofree char *text = explanation != NULL ? json_to_string (explanation, FALSE) : NULL;

    if (text != NULL && g_strcmp0 (text, self->explanation) == 0)
      ;   /* the same: nothing to notify */
    else if (text != NULL || self->explanation != NULL || self->explanation_z != NULL)
      {
        g_clear_pointer (&self->explanation, g_free);
        g_clear_pointer (&self->explanation_z, g_bytes_unref);
        self->explanation = g_steal_pointer (&text);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPLANATION]);
      }
  }
  g_object_thaw_notify (G_OBJECT (self));
}

void
pm_record_set_usage (PmRecord      *self,
                     const PmUsage *usage,
                     double         cost,
                     double         baseline_cost)
{
  PmUsage old;
  double old_hit;
  double old_saved;

  g_return_if_fail (PM_IS_RECORD (self));

  old = self->usage;
  old_hit = record_cache_hit (self);
  old_saved = record_saved (self);

  if (usage != NULL)
    self->usage = *usage;
  else
    usage_clear (&self->usage);

  g_object_freeze_notify (G_OBJECT (self));
  if (old.input != self->usage.input)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INPUT_TOKENS]);
  if (old.cache_read != self->usage.cache_read)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHE_READ_TOKENS]);
  if (old.cache_write_5m + old.cache_write_1h != self->usage.cache_write_5m + self->usage.cache_write_1h)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHE_WRITE_TOKENS]);
  if (old.output != self->usage.output)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_TOKENS]);
  if (old.reasoning != self->usage.reasoning)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASONING_TOKENS]);
  set_double (self, &self->cost, cost, PROP_COST);
  set_double (self, &self->baseline_cost, baseline_cost, PROP_BASELINE_COST);
  if (old_hit != record_cache_hit (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHE_HIT]);
  if (old_saved != record_saved (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVED]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
pm_record_set_timing (PmRecord *self,
                      double    ttfb_ms,
                      double    total_ms)
{
  g_return_if_fail (PM_IS_RECORD (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_double (self, &self->ttfb_ms, ttfb_ms, PROP_TTFB_MS);
  set_double (self, &self->total_ms, total_ms, PROP_TOTAL_MS);
  g_object_thaw_notify (G_OBJECT (self));
}

void
pm_record_set_state (PmRecord      *self,
                     PmRecordState  state,
                     guint          status,
                     const char    *error)
{
  g_return_if_fail (PM_IS_RECORD (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  set_string (self, &self->error, error, PROP_ERROR);
  g_object_thaw_notify (G_OBJECT (self));
}
