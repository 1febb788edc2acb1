/* pm-sim-upstream.c — a scripted upstream speaking Anthropic Messages, Chat Completions and
 * Responses (simulated: nothing here talks to a real provider)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-sim-upstream"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "pm-gateway.h"
#include "pm-sim-upstream.h"
#include "pm-sse.h"

#define DEFAULT_TEXT "Hello from the simulated upstream."
#define OPENAI_CACHE_TTL_US   (10 * G_TIME_SPAN_MINUTE)
#define ANTHROPIC_TTL_5M_US   (5 * G_TIME_SPAN_MINUTE)
#define ANTHROPIC_TTL_1H_US   (G_TIME_SPAN_HOUR)

struct _PmSimReply
{
  gatomicrefcount ref_count;
  char           *text;
  char           *thinking;
  GPtrArray      *tool_names;
  GPtrArray      *tool_args;
  guint           status;
  char           *error_type;
  char           *error_message;
  guint           retry_after;
  guint           first_ms;
  guint           between_ms;
  guint           chunk_size;
  PmSimFailMode   fail_mode;
  guint           fail_after;
  gint64          usage[5];       /* input, cache_read, cache_write, output, reasoning; < 0 = derive */
  double          reported_cost;  /* gateway-reported cost; < 0 = none */
  gboolean        truncated;      /* internal: cut at the request's output limit */
};

typedef struct
{
  gint64 tokens;
  gint64 expires_us;
} CacheEntry;

struct _PmSimUpstream
{
  GObject       parent_instance;

  SoupServer   *server;
  GMainContext *context;
  guint         port;
  GHashTable   *peers;          /* client ports seen (one per TCP connection) */

  GQueue        replies;
  char         *required_key;
  GHashTable   *cache;          /* "model|hash" → CacheEntry */
  gint64        cache_min_tokens;
  gboolean      cache_min_set;    /* set by a test: one minimum for every model */
  guint         counter;

  guint         n_requests;
  guint         n_streams_done;
  guint         n_events_sent;
  char         *last_path;
  GHashTable   *last_headers;
  GBytes       *last_body;
  JsonNode     *last_json;
  gint64        last_usage[5];

  GPtrArray    *jobs;           /* streams in flight */
};

G_DEFINE_FINAL_TYPE (PmSimUpstream, pm_sim_upstream, G_TYPE_OBJECT)

typedef enum
{
  SIM_ANTHROPIC,
  SIM_CHAT,
  SIM_RESPONSES,
  SIM_RESPONSES_COMPACT,      /* POST /responses/compact: always whole */
} SimApi;

/* What the reply reports, normalised (Anthropic meaning of input). */
typedef struct
{
  gint64   total;           /* whole prompt */
  gint64   input;           /* uncached, unwritten */
  gint64   cache_read;
  gint64   cache_write;
  gboolean write_1h;
  gint64   output;
  gint64   reasoning;
  double   reported_cost;   /* < 0: none */
} SimUsage;

typedef struct
{
  PmSimUpstream     *self;
  SoupServerMessage *msg;
  GPtrArray         *events;       /* char*: wire text of each event */
  guint              next;
  guint              between_ms;
  PmSimFailMode      fail_mode;
  guint              fail_after;
  char              *fail_event;
  GSource           *source;
  gboolean           finished;
  gboolean           streaming;
  /* a whole (non-streamed or error) response, sent after the first delay */
  guint              status;
  char              *content_type;
  GBytes            *body;
  guint              retry_after;
  gulong             finished_id;
} Job;

/* ---- replies ---- */

PmSimReply *
pm_sim_reply_new (const char *text)
{
  PmSimReply *reply = g_new0 (PmSimReply, 1);

  g_atomic_ref_count_init (&reply->ref_count);
  reply->text = g_strdup (text);
  reply->tool_names = g_ptr_array_new_with_free_func (g_free);
  reply->tool_args = g_ptr_array_new_with_free_func (g_free);
  reply->status = 200;
  reply->chunk_size = 8;
  reply->reported_cost = -1.0;
  for (guint i = 0; i < G_N_ELEMENTS (reply->usage); i++)
    reply->usage[i] = -1;

  return reply;
}

PmSimReply *
pm_sim_reply_ref (PmSimReply *reply)
{
  g_return_val_if_fail (reply != NULL, NULL);

  g_atomic_ref_count_inc (&reply->ref_count);
  return reply;
}

void
pm_sim_reply_unref (PmSimReply *reply)
{
  g_return_if_fail (reply != NULL);

  if (!g_atomic_ref_count_dec (&reply->ref_count))
    return;

  g_free (reply->text);
  g_free (reply->thinking);
  g_ptr_array_unref (reply->tool_names);
  g_ptr_array_unref (reply->tool_args);
  g_free (reply->error_type);
  g_free (reply->error_message);
  g_free (reply);
}

void
pm_sim_reply_set_thinking (PmSimReply *reply,
                           const char *thinking)
{
  g_return_if_fail (reply != NULL);

  g_free (reply->thinking);
  reply->thinking = g_strdup (thinking);
}

void
pm_sim_reply_add_tool_call (PmSimReply *reply,
                            const char *name,
                            const char *arguments)
{
  g_return_if_fail (reply != NULL);
  g_return_if_fail (name != NULL);

  g_ptr_array_add (reply->tool_names, g_strdup (name));
  g_ptr_array_add (reply->tool_args, g_strdup (arguments != NULL ? arguments : "{}"));
}

void
pm_sim_reply_set_error (PmSimReply *reply,
                        guint       status,
                        const char *type,
                        const char *message,
                        guint       retry_after)
{
  g_return_if_fail (reply != NULL);

  reply->status = status;
  g_free (reply->error_type);
  reply->error_type = g_strdup (type);
  g_free (reply->error_message);
  reply->error_message = g_strdup (message);
  reply->retry_after = retry_after;
}

void
pm_sim_reply_set_delays (PmSimReply *reply,
                         guint       first_ms,
                         guint       between_ms)
{
  g_return_if_fail (reply != NULL);

  reply->first_ms = first_ms;
  reply->between_ms = between_ms;
}

void
pm_sim_reply_set_chunk_size (PmSimReply *reply,
                             guint       bytes)
{
  g_return_if_fail (reply != NULL);

  reply->chunk_size = MAX (bytes, 1);
}

void
pm_sim_reply_set_fail (PmSimReply    *reply,
                       PmSimFailMode  mode,
                       guint          n_events)
{
  g_return_if_fail (reply != NULL);

  reply->fail_mode = mode;
  reply->fail_after = n_events;
}

void
pm_sim_reply_set_usage (PmSimReply *reply,
                        gint64      input,
                        gint64      cache_read,
                        gint64      cache_write,
                        gint64      output,
                        gint64      reasoning)
{
  g_return_if_fail (reply != NULL);

  reply->usage[0] = input;
  reply->usage[1] = cache_read;
  reply->usage[2] = cache_write;
  reply->usage[3] = output;
  reply->usage[4] = reasoning;
}

void
pm_sim_reply_set_reported_cost (PmSimReply *reply,
                                double      cost)
{
  g_return_if_fail (reply != NULL);

  reply->reported_cost = cost;
}

/* ---- small JSON helpers ---- */

static char *
node_text (JsonNode *node)
{
  char *text = json_to_string (node, FALSE);

  json_node_unref (node);
  return text;
}

static char *
object_text (JsonObject *object)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_unref (object);
  return node_text (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_bool (JsonObject *object,
          const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  return json_node_get_boolean (node);
}

static gint64
tokens_of (const char *text,
           gsize       len)
{
  if (text == NULL || len == 0)
    return 0;
  return MAX (1, (gint64) (len + 3) / 4);
}

/* ---- the prefix memory ---- */

typedef struct
{
  GArray *hash;       /* guint64, cumulative */
  GArray *tokens;     /* gint64, cumulative */
  GArray *breakpoint; /* gboolean: a cache_control marks the end of this segment */
  gboolean ttl_1h;
} Prefix;

static void
prefix_init (Prefix *p)
{
  p->hash = g_array_new (FALSE, FALSE, sizeof (guint64));
  p->tokens = g_array_new (FALSE, FALSE, sizeof (gint64));
  p->breakpoint = g_array_new (FALSE, FALSE, sizeof (gboolean));
  p->ttl_1h = FALSE;
}

static void
prefix_clear (Prefix *p)
{
  g_array_unref (p->hash);
  g_array_unref (p->tokens);
  g_array_unref (p->breakpoint);
}

static void
prefix_add (Prefix   *p,
            JsonNode *segment,
            gboolean  breakpoint)
{
  g_autofree char *text = NULL;
  guint64 h = p->hash->len > 0 ? g_array_index (p->hash, guint64, p->hash->len - 1) : 1469598103934665603ULL;
  gint64 t = p->tokens->len > 0 ? g_array_index (p->tokens, gint64, p->tokens->len - 1) : 0;

  /* A block's cache_control is not part of the prefix: Claude Code moves its breakpoint to the
   * newest block every turn, and the block that carried it last turn still matches. */
  if (JSON_NODE_HOLDS_OBJECT (segment) && json_object_has_member (json_node_get_object (segment), "cache_control"))
    {
      g_autoptr(JsonObject) bare = json_object_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (segment));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        if (!g_str_equal (name, "cache_control"))
          json_object_set_member (bare, name, json_node_copy (member));
      json_node_set_object (node, bare);
      text = json_to_string (node, FALSE);
    }
  else
    text = json_to_string (segment, FALSE);

  for (const char *c = text; *c; c++)
    {
      h ^= (guchar) *c;
      h *= 1099511628211ULL;
    }
  h ^= 0xff;
  h *= 1099511628211ULL;
  t += tokens_of (text, strlen (text));

  g_array_append_val (p->hash, h);
  g_array_append_val (p->tokens, t);
  g_array_append_val (p->breakpoint, breakpoint);
}

static gboolean
has_cache_control (JsonNode  *node,
                   gboolean  *ttl_1h)
{
  JsonObject *cc;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  cc = get_object (json_node_get_object (node), "cache_control");
  if (cc == NULL)
    return FALSE;
  if (g_strcmp0 (get_string (cc, "ttl"), "1h") == 0)
    *ttl_1h = TRUE;
  return TRUE;
}

static void
add_blocks (Prefix   *p,
            JsonNode *content)
{
  if (content == NULL)
    return;

  if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *array = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *block = json_array_get_element (array, i);

          prefix_add (p, block, has_cache_control (block, &p->ttl_1h));
        }
    }
  else
    {
      prefix_add (p, content, FALSE);
    }
}

static void
build_prefix (SimApi      api,
              JsonObject *body,
              Prefix     *p)
{
  JsonArray *array;

  prefix_init (p);

  if (api == SIM_ANTHROPIC)
    {
      if ((array = get_array (body, "tools")) != NULL)
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            JsonNode *tool = json_array_get_element (array, i);

            prefix_add (p, tool, has_cache_control (tool, &p->ttl_1h));
          }
      add_blocks (p, json_object_get_member (body, "system"));
      if ((array = get_array (body, "messages")) != NULL)
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            JsonNode *message = json_array_get_element (array, i);

            if (JSON_NODE_HOLDS_OBJECT (message))
              {
                JsonObject *m = json_node_get_object (message);
                JsonNode *role = json_object_get_member (m, "role");

                if (role != NULL)
                  prefix_add (p, role, FALSE);
                add_blocks (p, json_object_get_member (m, "content"));
              }
          }
      /* Top-level cache_control: the breakpoint moves to the last block. */
      if (json_object_has_member (body, "cache_control") && p->breakpoint->len > 0)
        {
          if (g_strcmp0 (get_string (get_object (body, "cache_control"), "ttl"), "1h") == 0)
            p->ttl_1h = TRUE;
          g_array_index (p->breakpoint, gboolean, p->breakpoint->len - 1) = TRUE;
        }
    }
  else
    {
      JsonNode *node;

      if (api == SIM_RESPONSES && (node = json_object_get_member (body, "instructions")) != NULL)
        prefix_add (p, node, FALSE);
      if ((node = json_object_get_member (body, "tools")) != NULL)
        prefix_add (p, node, FALSE);
      node = json_object_get_member (body, api == SIM_CHAT ? "messages" : "input");
      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        {
          array = json_node_get_array (node);
          for (guint i = 0; i < json_array_get_length (array); i++)
            prefix_add (p, json_array_get_element (array, i), FALSE);
        }
      else if (node != NULL)
        {
          prefix_add (p, node, FALSE);
        }
    }
}

static char *
cache_key (const char *model,
           guint64     hash)
{
  return g_strdup_printf ("%s|%016" G_GINT64_MODIFIER "x", model != NULL ? model : "", hash);
}

static gboolean
cache_hit (PmSimUpstream *self,
           const char    *model,
           guint64        hash,
           gint64         now,
           gint64         ttl)
{
  g_autofree char *key = cache_key (model, hash);
  CacheEntry *entry = g_hash_table_lookup (self->cache, key);

  if (entry == NULL || entry->expires_us < now)
    return FALSE;
  /* A hit refreshes the entry. */
  entry->expires_us = MAX (entry->expires_us, now + ttl);
  return TRUE;
}

static void
cache_store (PmSimUpstream *self,
             const char    *model,
             guint64        hash,
             gint64         tokens,
             gint64         now,
             gint64         ttl)
{
  CacheEntry *entry = g_new0 (CacheEntry, 1);

  entry->tokens = tokens;
  entry->expires_us = now + ttl;
  g_hash_table_insert (self->cache, cache_key (model, hash), entry);
}

static gint64
output_limit (SimApi      api,
              JsonObject *body)
{
  const char *members[] = { api == SIM_ANTHROPIC ? "max_tokens" :
                            api == SIM_CHAT ? "max_completion_tokens" : "max_output_tokens",
                            api == SIM_CHAT ? "max_tokens" : NULL };

  for (guint i = 0; i < G_N_ELEMENTS (members) && members[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (body, members[i]);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64 &&
          json_node_get_int (node) > 0)
        return json_node_get_int (node);
    }

  return 0;
}

static char *
utf8_prefix (const char *text,
             gsize       max_bytes)
{
  const char *end = text;

  while (*end && (gsize) (g_utf8_next_char (end) - text) <= max_bytes)
    end = g_utf8_next_char (end);
  return g_strndup (text, end - text);
}

/* A reply that would go past the request's output limit is cut there, as a real model is:
 * thinking first, then text; tool calls that no longer fit are dropped. Returns a new reply. */
static PmSimReply *
truncate_reply (PmSimReply *reply,
                gint64      limit)
{
  PmSimReply *cut;
  gint64 budget = limit;
  gint64 needed = 0;

  if (limit <= 0)
    return pm_sim_reply_ref (reply);

  if (reply->thinking != NULL)
    needed += tokens_of (reply->thinking, strlen (reply->thinking));
  if (reply->text != NULL)
    needed += tokens_of (reply->text, strlen (reply->text));
  for (guint i = 0; i < reply->tool_names->len; i++)
    needed += tokens_of (g_ptr_array_index (reply->tool_names, i), strlen (g_ptr_array_index (reply->tool_names, i))) +
              tokens_of (g_ptr_array_index (reply->tool_args, i), strlen (g_ptr_array_index (reply->tool_args, i)));
  if (needed <= limit || reply->usage[3] >= 0)
    return pm_sim_reply_ref (reply);

  cut = pm_sim_reply_new (NULL);
  cut->status = reply->status;
  cut->first_ms = reply->first_ms;
  cut->between_ms = reply->between_ms;
  cut->chunk_size = reply->chunk_size;
  cut->fail_mode = reply->fail_mode;
  cut->fail_after = reply->fail_after;
  cut->reported_cost = reply->reported_cost;
  memcpy (cut->usage, reply->usage, sizeof cut->usage);
  cut->truncated = TRUE;

  if (reply->thinking != NULL)
    {
      gint64 t = tokens_of (reply->thinking, strlen (reply->thinking));

      cut->thinking = t <= budget ? g_strdup (reply->thinking) : utf8_prefix (reply->thinking, budget * 4);
      budget -= MIN (t, budget);
    }
  if (reply->text != NULL && budget > 0)
    {
      gint64 t = tokens_of (reply->text, strlen (reply->text));

      cut->text = t <= budget ? g_strdup (reply->text) : utf8_prefix (reply->text, budget * 4);
      budget -= MIN (t, budget);
    }
  for (guint i = 0; i < reply->tool_names->len; i++)
    {
      const char *name = g_ptr_array_index (reply->tool_names, i);
      const char *args = g_ptr_array_index (reply->tool_args, i);
      gint64 t = tokens_of (name, strlen (name)) + tokens_of (args, strlen (args));

      if (t > budget)
        break;
      pm_sim_reply_add_tool_call (cut, name, args);
      budget -= t;
    }

  /* What was produced is exactly the limit. */
  cut->usage[3] = limit;
  return cut;
}

/* Anthropic's minimum cacheable prefix per model (its prompt-caching docs): 4,096 tokens for
 * Claude Opus 4.5 / 4.6 and Haiku 4.5, 2,048 for Haiku 3 / 3.5, 1,024 for the others. */
static gint64
anthropic_cache_min (PmSimUpstream *self,
                     const char    *model)
{
  if (self->cache_min_set || model == NULL)
    return self->cache_min_tokens;
  if (strstr (model, "opus-4-5") != NULL || strstr (model, "opus-4-6") != NULL ||
      strstr (model, "haiku-4-5") != NULL)
    return 4096;
  if (strstr (model, "3-haiku") != NULL || strstr (model, "3-5-haiku") != NULL)
    return 2048;
  return self->cache_min_tokens;
}

static void
derive_usage (PmSimUpstream *self,
              SimApi         api,
              JsonObject    *body,
              PmSimReply    *reply,
              SimUsage      *u)
{
  const char *model = get_string (body, "model");
  gint64 now = g_get_real_time ();
  Prefix p;
  gint64 thinking = 0;
  gint64 out = 0;

  memset (u, 0, sizeof *u);
  build_prefix (api, body, &p);

  u->total = p.tokens->len > 0 ? g_array_index (p.tokens, gint64, p.tokens->len - 1) : 0;
  u->total = MAX (u->total, 1);

  if (api == SIM_ANTHROPIC)
    {
      gint last_bp = -1;
      gint64 ttl = p.ttl_1h ? ANTHROPIC_TTL_1H_US : ANTHROPIC_TTL_5M_US;
      gint64 min = anthropic_cache_min (self, model);

      for (guint i = 0; i < p.breakpoint->len; i++)
        if (g_array_index (p.breakpoint, gboolean, i))
          last_bp = i;

      if (last_bp >= 0)
        {
          for (gint i = last_bp; i >= 0; i--)
            {
              gint64 t = g_array_index (p.tokens, gint64, i);

              if (t >= min &&
                  cache_hit (self, model, g_array_index (p.hash, guint64, i), now, ttl))
                {
                  u->cache_read = t;
                  break;
                }
            }
          if (g_array_index (p.tokens, gint64, last_bp) >= min)
            {
              u->cache_write = g_array_index (p.tokens, gint64, last_bp) - u->cache_read;
              u->write_1h = p.ttl_1h;
              for (guint i = 0; i <= (guint) last_bp; i++)
                if (g_array_index (p.breakpoint, gboolean, i) &&
                    g_array_index (p.tokens, gint64, i) >= min)
                  cache_store (self, model, g_array_index (p.hash, guint64, i),
                               g_array_index (p.tokens, gint64, i), now, ttl);
            }
        }
    }
  else if (u->total >= self->cache_min_tokens)
    {
      for (gint i = (gint) p.tokens->len - 1; i >= 0; i--)
        {
          gint64 t = g_array_index (p.tokens, gint64, i);

          if (t >= self->cache_min_tokens &&
              cache_hit (self, model, g_array_index (p.hash, guint64, i), now, OPENAI_CACHE_TTL_US))
            {
              /* Reported in 128-token steps from the minimum. */
              u->cache_read = self->cache_min_tokens + ((t - self->cache_min_tokens) / 128) * 128;
              break;
            }
        }
      for (guint i = 0; i < p.tokens->len; i++)
        if (g_array_index (p.tokens, gint64, i) >= self->cache_min_tokens)
          cache_store (self, model, g_array_index (p.hash, guint64, i),
                       g_array_index (p.tokens, gint64, i), now, OPENAI_CACHE_TTL_US);
    }

  u->input = u->total - u->cache_read - u->cache_write;

  if (reply->thinking != NULL)
    thinking = tokens_of (reply->thinking, strlen (reply->thinking));
  if (reply->text != NULL)
    out += tokens_of (reply->text, strlen (reply->text));
  for (guint i = 0; i < reply->tool_names->len; i++)
    {
      const char *name = g_ptr_array_index (reply->tool_names, i);
      const char *args = g_ptr_array_index (reply->tool_args, i);

      out += tokens_of (name, strlen (name)) + tokens_of (args, strlen (args));
    }
  u->reasoning = thinking;
  u->output = MAX (out + thinking, 1);

  /* Script overrides. */
  if (reply->usage[0] >= 0)
    u->input = reply->usage[0];
  if (reply->usage[1] >= 0)
    u->cache_read = reply->usage[1];
  if (reply->usage[2] >= 0)
    u->cache_write = reply->usage[2];
  if (reply->usage[3] >= 0)
    u->output = reply->usage[3];
  if (reply->usage[4] >= 0)
    u->reasoning = reply->usage[4];
  u->total = u->input + u->cache_read + u->cache_write;
  u->reported_cost = reply->reported_cost;

  prefix_clear (&p);
}

/* ---- usage objects per API ---- */

static JsonObject *
anthropic_usage (const SimUsage *u,
                 gint64          output)
{
  JsonObject *usage = json_object_new ();
  JsonObject *creation = json_object_new ();

  json_object_set_int_member (usage, "input_tokens", u->input);
  json_object_set_int_member (usage, "cache_creation_input_tokens", u->cache_write);
  json_object_set_int_member (usage, "cache_read_input_tokens", u->cache_read);
  json_object_set_int_member (creation, "ephemeral_5m_input_tokens", u->write_1h ? 0 : u->cache_write);
  json_object_set_int_member (creation, "ephemeral_1h_input_tokens", u->write_1h ? u->cache_write : 0);
  json_object_set_object_member (usage, "cache_creation", creation);
  json_object_set_int_member (usage, "output_tokens", output);
  json_object_set_string_member (usage, "service_tier", "standard");

  return usage;
}

static JsonObject *
chat_usage (const SimUsage *u)
{
  JsonObject *usage = json_object_new ();
  JsonObject *prompt = json_object_new ();
  JsonObject *completion = json_object_new ();

  json_object_set_int_member (usage, "prompt_tokens", u->total);
  json_object_set_int_member (usage, "completion_tokens", u->output);
  json_object_set_int_member (usage, "total_tokens", u->total + u->output);
  json_object_set_int_member (prompt, "cached_tokens", u->cache_read);
  json_object_set_int_member (prompt, "audio_tokens", 0);
  if (u->cache_write > 0)
    json_object_set_int_member (prompt, "cache_write_tokens", u->cache_write);
  json_object_set_object_member (usage, "prompt_tokens_details", prompt);
  json_object_set_int_member (completion, "reasoning_tokens", u->reasoning);
  json_object_set_int_member (completion, "audio_tokens", 0);
  json_object_set_int_member (completion, "accepted_prediction_tokens", 0);
  json_object_set_int_member (completion, "rejected_prediction_tokens", 0);
  json_object_set_object_member (usage, "completion_tokens_details", completion);
  /* A gateway's own figure (OpenRouter's usage.cost). */
  if (u->reported_cost >= 0)
    json_object_set_double_member (usage, "cost", u->reported_cost);

  return usage;
}

static JsonObject *
responses_usage (const SimUsage *u)
{
  JsonObject *usage = json_object_new ();
  JsonObject *in = json_object_new ();
  JsonObject *out = json_object_new ();

  json_object_set_int_member (usage, "input_tokens", u->total);
  json_object_set_int_member (in, "cached_tokens", u->cache_read);
  if (u->cache_write > 0)
    json_object_set_int_member (in, "cache_write_tokens", u->cache_write);
  json_object_set_object_member (usage, "input_tokens_details", in);
  json_object_set_int_member (usage, "output_tokens", u->output);
  json_object_set_int_member (out, "reasoning_tokens", u->reasoning);
  json_object_set_object_member (usage, "output_tokens_details", out);
  json_object_set_int_member (usage, "total_tokens", u->total + u->output);

  return usage;
}

/* ---- cutting text into stream pieces ---- */

static GPtrArray *
split_text (const char *text,
            guint       chunk)
{
  GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);
  const char *p = text != NULL ? text : "";

  while (*p)
    {
      const char *end = p;
      guint n = 0;

      while (*end && n < chunk)
        {
          const char *next = g_utf8_next_char (end);

          n += next - end;
          end = next;
        }
      g_ptr_array_add (pieces, g_strndup (p, end - p));
      p = end;
    }

  return pieces;
}

static void
add_event (GPtrArray  *events,
           const char *name,
           char       *data)   /* takes */
{
  GString *out = g_string_new (NULL);

  pm_sse_append_event (out, name, data);
  g_ptr_array_add (events, g_string_free (out, FALSE));
  g_free (data);
}

static JsonObject *
typed (const char *type)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "type", type);
  return object;
}

static JsonNode *
parse_args (const char *args)
{
  JsonNode *node = json_from_string (args, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_clear_pointer (&node, json_node_unref);
      node = json_node_init_object (json_node_alloc (), json_object_new ());
    }
  return node;
}

/* ---- Anthropic Messages ---- */

static const char *sim_signature = "c2ltdWxhdGVkLXNpZ25hdHVyZS1ub3QtcmVhbA==";

static JsonArray *
anthropic_content (PmSimReply *reply,
                   guint       counter)
{
  JsonArray *content = json_array_new ();

  if (reply->thinking != NULL)
    {
      JsonObject *block = typed ("thinking");

      json_object_set_string_member (block, "thinking", reply->thinking);
      json_object_set_string_member (block, "signature", sim_signature);
      json_array_add_object_element (content, block);
    }
  if (reply->text != NULL && *reply->text)
    {
      JsonObject *block = typed ("text");

      json_object_set_string_member (block, "text", reply->text);
      json_array_add_object_element (content, block);
    }
  for (guint i = 0; i < reply->tool_names->len; i++)
    {
      JsonObject *block = typed ("tool_use");
      g_autofree char *id = g_strdup_printf ("toolu_sim%04u%02u", counter, i);

      json_object_set_string_member (block, "id", id);
      json_object_set_string_member (block, "name", g_ptr_array_index (reply->tool_names, i));
      json_object_set_member (block, "input", parse_args (g_ptr_array_index (reply->tool_args, i)));
      json_array_add_object_element (content, block);
    }

  return content;
}

static JsonObject *
anthropic_message (PmSimReply     *reply,
                   const char     *model,
                   guint           counter,
                   const SimUsage *u,
                   gboolean        streaming_start)
{
  JsonObject *message = json_object_new ();
  g_autofree char *id = g_strdup_printf ("msg_sim%06u", counter);

  json_object_set_string_member (message, "id", id);
  json_object_set_string_member (message, "type", "message");
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_string_member (message, "model", model);
  if (streaming_start)
    {
      json_object_set_array_member (message, "content", json_array_new ());
      json_object_set_null_member (message, "stop_reason");
    }
  else
    {
      json_object_set_array_member (message, "content", anthropic_content (reply, counter));
      json_object_set_string_member (message, "stop_reason", reply->truncated ? "max_tokens" :
                                     reply->tool_names->len > 0 ? "tool_use" : "end_turn");
    }
  json_object_set_null_member (message, "stop_sequence");
  json_object_set_object_member (message, "usage", anthropic_usage (u, streaming_start ? 1 : u->output));

  return message;
}

static void
anthropic_events (PmSimReply     *reply,
                  const char     *model,
                  guint           counter,
                  const SimUsage *u,
                  GPtrArray      *events)
{
  JsonObject *object;
  guint index = 0;

  object = typed ("message_start");
  json_object_set_object_member (object, "message", anthropic_message (reply, model, counter, u, TRUE));
  add_event (events, "message_start", object_text (object));
  add_event (events, "ping", object_text (typed ("ping")));

  if (reply->thinking != NULL)
    {
      g_autoptr(GPtrArray) pieces = split_text (reply->thinking, reply->chunk_size);
      JsonObject *block = typed ("thinking");

      object = typed ("content_block_start");
      json_object_set_int_member (object, "index", index);
      json_object_set_string_member (block, "thinking", "");
      json_object_set_string_member (block, "signature", "");
      json_object_set_object_member (object, "content_block", block);
      add_event (events, "content_block_start", object_text (object));
      for (guint i = 0; i < pieces->len; i++)
        {
          JsonObject *delta = typed ("thinking_delta");

          json_object_set_string_member (delta, "thinking", g_ptr_array_index (pieces, i));
          object = typed ("content_block_delta");
          json_object_set_int_member (object, "index", index);
          json_object_set_object_member (object, "delta", delta);
          add_event (events, "content_block_delta", object_text (object));
        }
      {
        JsonObject *delta = typed ("signature_delta");

        json_object_set_string_member (delta, "signature", sim_signature);
        object = typed ("content_block_delta");
        json_object_set_int_member (object, "index", index);
        json_object_set_object_member (object, "delta", delta);
        add_event (events, "content_block_delta", object_text (object));
      }
      object = typed ("content_block_stop");
      json_object_set_int_member (object, "index", index);
      add_event (events, "content_block_stop", object_text (object));
      index++;
    }

  if (reply->text != NULL && *reply->text)
    {
      g_autoptr(GPtrArray) pieces = split_text (reply->text, reply->chunk_size);
      JsonObject *block = typed ("text");

      object = typed ("content_block_start");
      json_object_set_int_member (object, "index", index);
      json_object_set_string_member (block, "text", "");
      json_object_set_object_member (object, "content_block", block);
      add_event (events, "content_block_start", object_text (object));
      for (guint i = 0; i < pieces->len; i++)
        {
          JsonObject *delta = typed ("text_delta");

          json_object_set_string_member (delta, "text", g_ptr_array_index (pieces, i));
          object = typed ("content_block_delta");
          json_object_set_int_member (object, "index", index);
          json_object_set_object_member (object, "delta", delta);
          add_event (events, "content_block_delta", object_text (object));
          if (i == 0)
            add_event (events, "ping", object_text (typed ("ping")));
        }
      object = typed ("content_block_stop");
      json_object_set_int_member (object, "index", index);
      add_event (events, "content_block_stop", object_text (object));
      index++;
    }

  for (guint t = 0; t < reply->tool_names->len; t++)
    {
      g_autoptr(GPtrArray) pieces = split_text (g_ptr_array_index (reply->tool_args, t), reply->chunk_size);
      g_autofree char *id = g_strdup_printf ("toolu_sim%04u%02u", counter, t);
      JsonObject *block = typed ("tool_use");

      object = typed ("content_block_start");
      json_object_set_int_member (object, "index", index);
      json_object_set_string_member (block, "id", id);
      json_object_set_string_member (block, "name", g_ptr_array_index (reply->tool_names, t));
      json_object_set_object_member (block, "input", json_object_new ());
      json_object_set_object_member (object, "content_block", block);
      add_event (events, "content_block_start", object_text (object));
      /* The first fragment is empty, as the real API sends it. */
      g_ptr_array_insert (pieces, 0, g_strdup (""));
      for (guint i = 0; i < pieces->len; i++)
        {
          JsonObject *delta = typed ("input_json_delta");

          json_object_set_string_member (delta, "partial_json", g_ptr_array_index (pieces, i));
          object = typed ("content_block_delta");
          json_object_set_int_member (object, "index", index);
          json_object_set_object_member (object, "delta", delta);
          add_event (events, "content_block_delta", object_text (object));
        }
      object = typed ("content_block_stop");
      json_object_set_int_member (object, "index", index);
      add_event (events, "content_block_stop", object_text (object));
      index++;
    }

  {
    JsonObject *delta = json_object_new ();
    JsonObject *usage = json_object_new ();

    json_object_set_string_member (delta, "stop_reason", reply->truncated ? "max_tokens" :
                                   reply->tool_names->len > 0 ? "tool_use" : "end_turn");
    json_object_set_null_member (delta, "stop_sequence");
    json_object_set_int_member (usage, "input_tokens", u->input);
    json_object_set_int_member (usage, "cache_creation_input_tokens", u->cache_write);
    json_object_set_int_member (usage, "cache_read_input_tokens", u->cache_read);
    json_object_set_int_member (usage, "output_tokens", u->output);
    object = typed ("message_delta");
    json_object_set_object_member (object, "delta", delta);
    json_object_set_object_member (object, "usage", usage);
    add_event (events, "message_delta", object_text (object));
  }
  add_event (events, "message_stop", object_text (typed ("message_stop")));
}

/* ---- Chat Completions ---- */

static JsonObject *
chat_chunk (const char *id,
            const char *model,
            gint64      created,
            JsonObject *delta,           /* NULL: usage-only chunk */
            const char *finish_reason,
            gboolean    include_usage)
{
  JsonObject *chunk = json_object_new ();
  JsonArray *choices = json_array_new ();

  json_object_set_string_member (chunk, "id", id);
  json_object_set_string_member (chunk, "object", "chat.completion.chunk");
  json_object_set_int_member (chunk, "created", created);
  json_object_set_string_member (chunk, "model", model);
  json_object_set_string_member (chunk, "system_fingerprint", "fp_simulated");
  if (delta != NULL)
    {
      JsonObject *choice = json_object_new ();

      json_object_set_int_member (choice, "index", 0);
      json_object_set_object_member (choice, "delta", delta);
      json_object_set_null_member (choice, "logprobs");
      if (finish_reason != NULL)
        json_object_set_string_member (choice, "finish_reason", finish_reason);
      else
        json_object_set_null_member (choice, "finish_reason");
      json_array_add_object_element (choices, choice);
    }
  json_object_set_array_member (chunk, "choices", choices);
  if (include_usage)
    json_object_set_null_member (chunk, "usage");

  return chunk;
}

static void
chat_events (PmSimReply     *reply,
             const char     *model,
             guint           counter,
             const SimUsage *u,
             gboolean        include_usage,
             GPtrArray      *events)
{
  g_autofree char *id = g_strdup_printf ("chatcmpl-sim%06u", counter);
  gint64 created = g_get_real_time () / G_USEC_PER_SEC;
  JsonObject *delta;
  JsonObject *chunk;

  delta = json_object_new ();
  json_object_set_string_member (delta, "role", "assistant");
  json_object_set_string_member (delta, "content", "");
  json_object_set_null_member (delta, "refusal");
  add_event (events, NULL, object_text (chat_chunk (id, model, created, delta, NULL, include_usage)));

  if (reply->text != NULL && *reply->text)
    {
      g_autoptr(GPtrArray) pieces = split_text (reply->text, reply->chunk_size);

      for (guint i = 0; i < pieces->len; i++)
        {
          delta = json_object_new ();
          json_object_set_string_member (delta, "content", g_ptr_array_index (pieces, i));
          add_event (events, NULL, object_text (chat_chunk (id, model, created, delta, NULL, include_usage)));
        }
    }

  for (guint t = 0; t < reply->tool_names->len; t++)
    {
      g_autoptr(GPtrArray) pieces = split_text (g_ptr_array_index (reply->tool_args, t), reply->chunk_size);
      g_autofree char *call_id = g_strdup_printf ("call_sim%04u%02u", counter, t);

      /* First fragment: id, type and name, empty arguments. */
      {
        JsonArray *calls = json_array_new ();
        JsonObject *call = json_object_new ();
        JsonObject *function = json_object_new ();

        json_object_set_int_member (call, "index", t);
        json_object_set_string_member (call, "id", call_id);
        json_object_set_string_member (call, "type", "function");
        json_object_set_string_member (function, "name", g_ptr_array_index (reply->tool_names, t));
        json_object_set_string_member (function, "arguments", "");
        json_object_set_object_member (call, "function", function);
        json_array_add_object_element (calls, call);
        delta = json_object_new ();
        json_object_set_array_member (delta, "tool_calls", calls);
        add_event (events, NULL, object_text (chat_chunk (id, model, created, delta, NULL, include_usage)));
      }
      for (guint i = 0; i < pieces->len; i++)
        {
          JsonArray *calls = json_array_new ();
          JsonObject *call = json_object_new ();
          JsonObject *function = json_object_new ();

          json_object_set_int_member (call, "index", t);
          json_object_set_string_member (function, "arguments", g_ptr_array_index (pieces, i));
          json_object_set_object_member (call, "function", function);
          json_array_add_object_element (calls, call);
          delta = json_object_new ();
          json_object_set_array_member (delta, "tool_calls", calls);
          add_event (events, NULL, object_text (chat_chunk (id, model, created, delta, NULL, include_usage)));
        }
    }

  add_event (events, NULL, object_text (chat_chunk (id, model, created, json_object_new (),
                                                    reply->truncated ? "length" :
                                                    reply->tool_names->len > 0 ? "tool_calls" : "stop",
                                                    include_usage)));
  if (include_usage)
    {
      chunk = chat_chunk (id, model, created, NULL, NULL, FALSE);
      json_object_set_object_member (chunk, "usage", chat_usage (u));
      add_event (events, NULL, object_text (chunk));
    }
  add_event (events, NULL, g_strdup ("[DONE]"));
}

static JsonObject *
chat_completion (PmSimReply     *reply,
                 const char     *model,
                 guint           counter,
                 const SimUsage *u)
{
  JsonObject *object = json_object_new ();
  JsonObject *choice = json_object_new ();
  JsonObject *message = json_object_new ();
  JsonArray *choices = json_array_new ();
  g_autofree char *id = g_strdup_printf ("chatcmpl-sim%06u", counter);

  json_object_set_string_member (object, "id", id);
  json_object_set_string_member (object, "object", "chat.completion");
  json_object_set_int_member (object, "created", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_string_member (object, "model", model);
  json_object_set_string_member (message, "role", "assistant");
  if (reply->text != NULL && *reply->text)
    json_object_set_string_member (message, "content", reply->text);
  else
    json_object_set_null_member (message, "content");
  json_object_set_null_member (message, "refusal");
  if (reply->tool_names->len > 0)
    {
      JsonArray *calls = json_array_new ();

      for (guint t = 0; t < reply->tool_names->len; t++)
        {
          JsonObject *call = json_object_new ();
          JsonObject *function = json_object_new ();
          g_autofree char *call_id = g_strdup_printf ("call_sim%04u%02u", counter, t);

          json_object_set_string_member (call, "id", call_id);
          json_object_set_string_member (call, "type", "function");
          json_object_set_string_member (function, "name", g_ptr_array_index (reply->tool_names, t));
          json_object_set_string_member (function, "arguments", g_ptr_array_index (reply->tool_args, t));
          json_object_set_object_member (call, "function", function);
          json_array_add_object_element (calls, call);
        }
      json_object_set_array_member (message, "tool_calls", calls);
    }
  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "message", message);
  json_object_set_null_member (choice, "logprobs");
  json_object_set_string_member (choice, "finish_reason", reply->truncated ? "length" :
                                 reply->tool_names->len > 0 ? "tool_calls" : "stop");
  json_array_add_object_element (choices, choice);
  json_object_set_array_member (object, "choices", choices);
  json_object_set_object_member (object, "usage", chat_usage (u));
  json_object_set_string_member (object, "system_fingerprint", "fp_simulated");

  return object;
}

/* ---- Responses ---- */

static JsonObject *
responses_reasoning_item (PmSimReply *reply,
                          guint       counter,
                          gboolean    done)
{
  JsonObject *item = typed ("reasoning");
  JsonArray *summary = json_array_new ();
  g_autofree char *id = g_strdup_printf ("rs_sim%06u", counter);

  json_object_set_string_member (item, "id", id);
  if (done)
    {
      JsonObject *part = typed ("summary_text");

      json_object_set_string_member (part, "text", reply->thinking);
      json_array_add_object_element (summary, part);
    }
  json_object_set_array_member (item, "summary", summary);

  return item;
}

static JsonObject *
responses_message_item (PmSimReply *reply,
                        guint       counter,
                        gboolean    done)
{
  JsonObject *item = typed ("message");
  JsonArray *content = json_array_new ();
  g_autofree char *id = g_strdup_printf ("msg_sim%06u", counter);

  json_object_set_string_member (item, "id", id);
  json_object_set_string_member (item, "status", done ? "completed" : "in_progress");
  json_object_set_string_member (item, "role", "assistant");
  if (done)
    {
      JsonObject *part = typed ("output_text");

      json_object_set_string_member (part, "text", reply->text);
      json_object_set_array_member (part, "annotations", json_array_new ());
      json_array_add_object_element (content, part);
    }
  json_object_set_array_member (item, "content", content);

  return item;
}

static JsonObject *
responses_call_item (PmSimReply *reply,
                     guint       counter,
                     guint       t,
                     gboolean    done)
{
  JsonObject *item = typed ("function_call");
  g_autofree char *id = g_strdup_printf ("fc_sim%06u%02u", counter, t);
  g_autofree char *call_id = g_strdup_printf ("call_sim%04u%02u", counter, t);

  json_object_set_string_member (item, "id", id);
  json_object_set_string_member (item, "status", done ? "completed" : "in_progress");
  json_object_set_string_member (item, "call_id", call_id);
  json_object_set_string_member (item, "name", g_ptr_array_index (reply->tool_names, t));
  json_object_set_string_member (item, "arguments", done ? g_ptr_array_index (reply->tool_args, t) : "");

  return item;
}

static JsonObject *
responses_object (PmSimReply     *reply,
                  JsonObject     *request,
                  guint           counter,
                  const SimUsage *u,
                  gboolean        done)
{
  JsonObject *response = json_object_new ();
  JsonArray *output = json_array_new ();
  g_autofree char *id = g_strdup_printf ("resp_sim%06u", counter);
  JsonNode *reasoning = json_object_get_member (request, "reasoning");

  json_object_set_string_member (response, "id", id);
  json_object_set_string_member (response, "object", "response");
  json_object_set_int_member (response, "created_at", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_string_member (response, "status", !done ? "in_progress" :
                                 reply->truncated ? "incomplete" : "completed");
  json_object_set_null_member (response, "error");
  if (done && reply->truncated)
    {
      JsonObject *details = json_object_new ();

      json_object_set_string_member (details, "reason", "max_output_tokens");
      json_object_set_object_member (response, "incomplete_details", details);
    }
  else
    {
      json_object_set_null_member (response, "incomplete_details");
    }
  json_object_set_string_member (response, "model", get_string (request, "model"));
  if (done)
    {
      if (reply->thinking != NULL)
        json_array_add_object_element (output, responses_reasoning_item (reply, counter, TRUE));
      if (reply->text != NULL && *reply->text)
        json_array_add_object_element (output, responses_message_item (reply, counter, TRUE));
      for (guint t = 0; t < reply->tool_names->len; t++)
        json_array_add_object_element (output, responses_call_item (reply, counter, t, TRUE));
    }
  json_object_set_array_member (response, "output", output);
  json_object_set_boolean_member (response, "parallel_tool_calls", TRUE);
  if (reasoning != NULL)
    json_object_set_member (response, "reasoning", json_node_copy (reasoning));
  json_object_set_boolean_member (response, "store", get_bool (request, "store"));
  if (done)
    json_object_set_object_member (response, "usage", responses_usage (u));
  else
    json_object_set_null_member (response, "usage");

  return response;
}

typedef struct
{
  GPtrArray *events;
  guint      seq;
} RespEvents;

static void
resp_add (RespEvents *r,
          JsonObject *object)   /* takes; must have "type" */
{
  const char *type = json_object_get_string_member (object, "type");
  g_autofree char *name = g_strdup (type);

  json_object_set_int_member (object, "sequence_number", r->seq++);
  add_event (r->events, name, object_text (object));
}

static void
responses_events (PmSimReply     *reply,
                  JsonObject     *request,
                  guint           counter,
                  const SimUsage *u,
                  GPtrArray      *events)
{
  RespEvents r = { events, 0 };
  JsonObject *object;
  guint output_index = 0;

  object = typed ("response.created");
  json_object_set_object_member (object, "response", responses_object (reply, request, counter, u, FALSE));
  resp_add (&r, object);
  object = typed ("response.in_progress");
  json_object_set_object_member (object, "response", responses_object (reply, request, counter, u, FALSE));
  resp_add (&r, object);

  if (reply->thinking != NULL)
    {
      g_autoptr(GPtrArray) pieces = split_text (reply->thinking, reply->chunk_size);
      g_autofree char *item_id = g_strdup_printf ("rs_sim%06u", counter);
      JsonObject *part;

      object = typed ("response.output_item.added");
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_object_member (object, "item", responses_reasoning_item (reply, counter, FALSE));
      resp_add (&r, object);
      object = typed ("response.reasoning_summary_part.added");
      json_object_set_string_member (object, "item_id", item_id);
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_int_member (object, "summary_index", 0);
      part = typed ("summary_text");
      json_object_set_string_member (part, "text", "");
      json_object_set_object_member (object, "part", part);
      resp_add (&r, object);
      for (guint i = 0; i < pieces->len; i++)
        {
          object = typed ("response.reasoning_summary_text.delta");
          json_object_set_string_member (object, "item_id", item_id);
          json_object_set_int_member (object, "output_index", output_index);
          json_object_set_int_member (object, "summary_index", 0);
          json_object_set_string_member (object, "delta", g_ptr_array_index (pieces, i));
          resp_add (&r, object);
        }
      object = typed ("response.reasoning_summary_text.done");
      json_object_set_string_member (object, "item_id", item_id);
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_int_member (object, "summary_index", 0);
      json_object_set_string_member (object, "text", reply->thinking);
      resp_add (&r, object);
      object = typed ("response.reasoning_summary_part.done");
      json_object_set_string_member (object, "item_id", item_id);
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_int_member (object, "summary_index", 0);
      part = typed ("summary_text");
      json_object_set_string_member (part, "text", reply->thinking);
      json_object_set_object_member (object, "part", part);
      resp_add (&r, object);
      object = typed ("response.output_item.done");
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_object_member (object, "item", responses_reasoning_item (reply, counter, TRUE));
      resp_add (&r, object);
      output_index++;
    }

  if (reply->text != NULL && *reply->text)
    {
      g_autoptr(GPtrArray) pieces = split_text (reply->text, reply->chunk_size);
      g_autofree char *item_id = g_strdup_printf ("msg_sim%06u", counter);
      JsonObject *part;

      object = typed ("response.output_item.added");
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_object_member (object, "item", responses_message_item (reply, counter, FALSE));
      resp_add (&r, object);
      object = typed ("response.content_part.added");
      json_object_set_string_member (object, "item_id", item_id);
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_int_member (object, "content_index", 0);
      part = typed ("output_text");
      json_object_set_string_member (part, "text", "");
      json_object_set_array_member (part, "annotations", json_array_new ());
      json_object_set_object_member (object, "part", part);
      resp_add (&r, object);
      for (guint i = 0; i < pieces->len; i++)
        {
          object = typed ("response.output_text.delta");
          json_object_set_string_member (object, "item_id", item_id);
          json_object_set_int_member (object, "output_index", output_index);
          json_object_set_int_member (object, "content_index", 0);
          json_object_set_string_member (object, "delta", g_ptr_array_index (pieces, i));
          json_object_set_array_member (object, "logprobs", json_array_new ());
          resp_add (&r, object);
        }
      object = typed ("response.output_text.done");
      json_object_set_string_member (object, "item_id", item_id);
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_int_member (object, "content_index", 0);
      json_object_set_string_member (object, "text", reply->text);
      resp_add (&r, object);
      object = typed ("response.content_part.done");
      json_object_set_string_member (object, "item_id", item_id);
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_int_member (object, "content_index", 0);
      part = typed ("output_text");
      json_object_set_string_member (part, "text", reply->text);
      json_object_set_array_member (part, "annotations", json_array_new ());
      json_object_set_object_member (object, "part", part);
      resp_add (&r, object);
      object = typed ("response.output_item.done");
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_object_member (object, "item", responses_message_item (reply, counter, TRUE));
      resp_add (&r, object);
      output_index++;
    }

  for (guint t = 0; t < reply->tool_names->len; t++)
    {
      g_autoptr(GPtrArray) pieces = split_text (g_ptr_array_index (reply->tool_args, t), reply->chunk_size);
      g_autofree char *item_id = g_strdup_printf ("fc_sim%06u%02u", counter, t);

      object = typed ("response.output_item.added");
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_object_member (object, "item", responses_call_item (reply, counter, t, FALSE));
      resp_add (&r, object);
      for (guint i = 0; i < pieces->len; i++)
        {
          object = typed ("response.function_call_arguments.delta");
          json_object_set_string_member (object, "item_id", item_id);
          json_object_set_int_member (object, "output_index", output_index);
          json_object_set_string_member (object, "delta", g_ptr_array_index (pieces, i));
          resp_add (&r, object);
        }
      object = typed ("response.function_call_arguments.done");
      json_object_set_string_member (object, "item_id", item_id);
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_string_member (object, "arguments", g_ptr_array_index (reply->tool_args, t));
      resp_add (&r, object);
      object = typed ("response.output_item.done");
      json_object_set_int_member (object, "output_index", output_index);
      json_object_set_object_member (object, "item", responses_call_item (reply, counter, t, TRUE));
      resp_add (&r, object);
      output_index++;
    }

  object = typed (reply->truncated ? "response.incomplete" : "response.completed");
  json_object_set_object_member (object, "response", responses_object (reply, request, counter, u, TRUE));
  resp_add (&r, object);
}

/* The compacted conversation: what /responses/compact answers (simulated content). */
static JsonObject *
compaction_object (PmSimReply     *reply,
                   guint           counter,
                   const SimUsage *u)
{
  JsonObject *object = json_object_new ();
  JsonArray *output = json_array_new ();
  g_autofree char *id = g_strdup_printf ("cmp_sim%06u", counter);

  json_object_set_string_member (object, "id", id);
  json_object_set_string_member (object, "object", "response.compaction");
  json_object_set_int_member (object, "created_at", g_get_real_time () / G_USEC_PER_SEC);
  json_array_add_object_element (output, responses_message_item (reply, counter, TRUE));
  json_object_set_array_member (object, "output", output);
  json_object_set_object_member (object, "usage", responses_usage (u));

  return object;
}

/* ---- errors ---- */

static char *
error_body (SimApi      api,
            const char *type,
            const char *message,
            guint       status,
            guint       counter)
{
  JsonObject *object = json_object_new ();
  JsonObject *error = json_object_new ();

  if (api == SIM_ANTHROPIC)
    {
      g_autofree char *request_id = g_strdup_printf ("req_sim%06u", counter);

      json_object_set_string_member (object, "type", "error");
      json_object_set_string_member (error, "type", type);
      json_object_set_string_member (error, "message", message);
      json_object_set_object_member (object, "error", error);
      json_object_set_string_member (object, "request_id", request_id);
    }
  else
    {
      json_object_set_string_member (error, "message", message);
      json_object_set_string_member (error, "type", type);
      json_object_set_null_member (error, "param");
      if (status == 429)
        json_object_set_string_member (error, "code", "rate_limit_exceeded");
      else if (status == 401)
        json_object_set_string_member (error, "code", "invalid_api_key");
      else
        json_object_set_null_member (error, "code");
      json_object_set_object_member (object, "error", error);
    }

  return object_text (object);
}

static char *
error_event (SimApi      api,
             guint       sequence_number)
{
  GString *out = g_string_new (NULL);
  JsonObject *object = json_object_new ();
  g_autofree char *text = NULL;

  if (api == SIM_ANTHROPIC)
    {
      JsonObject *error = typed ("overloaded_error");

      json_object_set_string_member (error, "message", "Overloaded");
      json_object_set_string_member (object, "type", "error");
      json_object_set_object_member (object, "error", error);
      text = object_text (object);
      pm_sse_append_event (out, "error", text);
    }
  else if (api == SIM_CHAT)
    {
      JsonObject *error = json_object_new ();

      json_object_set_string_member (error, "message", "The server had an error while processing your request.");
      json_object_set_string_member (error, "type", "server_error");
      json_object_set_null_member (error, "param");
      json_object_set_null_member (error, "code");
      json_object_set_object_member (object, "error", error);
      text = object_text (object);
      pm_sse_append_event (out, NULL, text);
    }
  else
    {
      json_object_set_string_member (object, "type", "error");
      json_object_set_string_member (object, "code", "server_error");
      json_object_set_string_member (object, "message", "The server had an error while processing your request.");
      json_object_set_null_member (object, "param");
      json_object_set_int_member (object, "sequence_number", sequence_number);
      text = object_text (object);
      pm_sse_append_event (out, "error", text);
    }

  return g_string_free (out, FALSE);
}

/* ---- jobs (responses in flight) ---- */

static void
job_free (Job *job)
{
  if (job->source != NULL)
    {
      g_source_destroy (job->source);
      g_source_unref (job->source);
    }
  if (job->finished_id != 0)
    g_signal_handler_disconnect (job->msg, job->finished_id);
  g_ptr_array_remove (job->self->jobs, job);
  g_clear_pointer (&job->events, g_ptr_array_unref);
  g_clear_pointer (&job->fail_event, g_free);
  g_clear_pointer (&job->content_type, g_free);
  g_clear_pointer (&job->body, g_bytes_unref);
  g_clear_object (&job->msg);
  g_clear_object (&job->self);
  g_free (job);
}

static void
job_finished_cb (SoupServerMessage *msg,
                 Job               *job)
{
  job->finished = TRUE;
  job_free (job);
}

static void job_schedule (Job *job, guint ms);

static gboolean
job_step_cb (gpointer data)
{
  Job *job = data;
  SoupMessageBody *body = soup_server_message_get_response_body (job->msg);

  g_clear_pointer (&job->source, g_source_unref);

  if (!job->streaming)
    {
      /* A whole response after the first delay. */
      soup_server_message_set_status (job->msg, job->status, NULL);
      soup_server_message_set_response (job->msg, job->content_type, SOUP_MEMORY_COPY,
                                        g_bytes_get_data (job->body, NULL),
                                        g_bytes_get_size (job->body));
      soup_server_message_unpause (job->msg);
      return G_SOURCE_REMOVE;
    }

  if (job->fail_mode != PM_SIM_FAIL_NONE && job->next >= job->fail_after)
    {
      if (job->fail_mode == PM_SIM_FAIL_ERROR_EVENT)
        {
          soup_message_body_append (body, SOUP_MEMORY_COPY, job->fail_event, strlen (job->fail_event));
          job->self->n_events_sent++;
        }
      else
        {
          GSocket *socket = soup_server_message_get_socket (job->msg);

          if (socket != NULL)
            g_socket_shutdown (socket, TRUE, TRUE, NULL);
        }
      soup_message_body_complete (body);
      soup_server_message_unpause (job->msg);
      return G_SOURCE_REMOVE;
    }

  do
    {
      const char *event = g_ptr_array_index (job->events, job->next);

      soup_message_body_append (body, SOUP_MEMORY_COPY, event, strlen (event));
      job->next++;
      job->self->n_events_sent++;
    }
  while (job->between_ms == 0 && job->next < job->events->len &&
         !(job->fail_mode != PM_SIM_FAIL_NONE && job->next >= job->fail_after));

  if (job->next >= job->events->len)
    {
      soup_message_body_complete (body);
      job->self->n_streams_done++;
    }
  else
    {
      job_schedule (job, job->between_ms);
    }
  soup_server_message_unpause (job->msg);

  return G_SOURCE_REMOVE;
}

static void
job_schedule (Job   *job,
              guint  ms)
{
  g_assert (job->source == NULL);

  job->source = g_timeout_source_new (ms);
  g_source_set_callback (job->source, job_step_cb, job, NULL);
  g_source_attach (job->source, job->self->context);
}

static Job *
job_new (PmSimUpstream     *self,
         SoupServerMessage *msg)
{
  Job *job = g_new0 (Job, 1);

  job->self = g_object_ref (self);
  job->msg = g_object_ref (msg);
  job->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (job_finished_cb), job);
  g_ptr_array_add (self->jobs, job);

  return job;
}

/* ---- handlers ---- */

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              char              *text)   /* takes */
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
send_whole (PmSimUpstream     *self,
            SoupServerMessage *msg,
            PmSimReply        *reply,
            guint              status,
            char              *text)   /* takes */
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (status == 429 || reply->retry_after > 0)
    {
      g_autofree char *value = g_strdup_printf ("%u", reply->retry_after > 0 ? reply->retry_after : 1);

      soup_message_headers_replace (headers, "retry-after", value);
    }

  if (reply->first_ms == 0)
    {
      respond_json (msg, status, text);
      return;
    }

  {
    Job *job = job_new (self, msg);

    job->status = status;
    job->content_type = g_strdup ("application/json");
    job->body = g_bytes_new_take (text, strlen (text));
    soup_server_message_pause (msg);
    job_schedule (job, reply->first_ms);
  }
}

static const char *
request_key (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *key = soup_message_headers_get_one (headers, "x-api-key");
  const char *auth;

  if (key != NULL)
    return key;
  auth = soup_message_headers_get_one (headers, "authorization");
  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    return auth + 7;
  return NULL;
}

static void
remember_request (PmSimUpstream     *self,
                  SoupServerMessage *msg,
                  const char        *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  self->n_requests++;
  g_free (self->last_path);
  self->last_path = g_strdup (path);

  g_hash_table_remove_all (self->last_headers);
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_hash_table_insert (self->last_headers, g_ascii_strdown (name, -1), g_strdup (value));

  g_clear_pointer (&self->last_body, g_bytes_unref);
  g_clear_pointer (&self->last_json, json_node_unref);
  self->last_body = soup_message_body_flatten (body);
  if (g_bytes_get_size (self->last_body) > 0)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (self->last_body, NULL), g_bytes_get_size (self->last_body));

      self->last_json = json_from_string (text, NULL);
    }
}

static void
handle_api (PmSimUpstream     *self,
            SoupServerMessage *msg,
            SimApi             api,
            const char        *path)
{
  g_autoptr(PmSimReply) reply = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GPtrArray) events = NULL;
  JsonObject *body;
  const char *model;
  SimUsage u;
  guint counter = ++self->counter;
  gboolean stream;

  remember_request (self, msg, path);

  reply = g_queue_pop_head (&self->replies);
  if (reply == NULL)
    reply = pm_sim_reply_new (DEFAULT_TEXT);

  {
    g_autofree char *request_id = g_strdup_printf ("req_sim%06u", counter);

    soup_message_headers_replace (headers, api == SIM_ANTHROPIC ? "request-id" : "x-request-id", request_id);
  }

  if (self->required_key != NULL && g_strcmp0 (request_key (msg), self->required_key) != 0)
    {
      send_whole (self, msg, reply, 401,
                  error_body (api, api == SIM_ANTHROPIC ? "authentication_error" : "invalid_request_error",
                              api == SIM_ANTHROPIC ? "invalid x-api-key" : "Incorrect API key provided.",
                              401, counter));
      return;
    }

  if (self->last_json == NULL || !JSON_NODE_HOLDS_OBJECT (self->last_json))
    {
      send_whole (self, msg, reply, 400,
                  error_body (api, "invalid_request_error", "The request body is not valid JSON.", 400, counter));
      return;
    }

  body = json_node_get_object (self->last_json);
  model = get_string (body, "model");
  if (model == NULL)
    {
      send_whole (self, msg, reply, 400,
                  error_body (api, "invalid_request_error", "model: Field required", 400, counter));
      return;
    }

  if (reply->status >= 400)
    {
      send_whole (self, msg, reply, reply->status,
                  error_body (api, reply->error_type != NULL ? reply->error_type : "api_error",
                              reply->error_message != NULL ? reply->error_message : "Simulated failure",
                              reply->status, counter));
      return;
    }

  {
    PmSimReply *cut = truncate_reply (reply, api == SIM_RESPONSES_COMPACT ? 0 : output_limit (api, body));

    pm_sim_reply_unref (reply);
    reply = cut;
  }
  derive_usage (self, api == SIM_RESPONSES_COMPACT ? SIM_RESPONSES : api, body, reply, &u);
  if (reply->reported_cost >= 0)
    {
      /* LiteLLM's way of reporting its cost. */
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      soup_message_headers_replace (headers, "x-litellm-response-cost",
                                    g_ascii_dtostr (buffer, sizeof buffer, reply->reported_cost));
    }
  self->last_usage[0] = u.input;
  self->last_usage[1] = u.cache_read;
  self->last_usage[2] = u.cache_write;
  self->last_usage[3] = u.output;
  self->last_usage[4] = u.reasoning;

  stream = api != SIM_RESPONSES_COMPACT && get_bool (body, "stream");
  if (!stream)
    {
      JsonObject *object;

      if (api == SIM_RESPONSES_COMPACT)
        object = compaction_object (reply, counter, &u);
      else if (api == SIM_ANTHROPIC)
        object = anthropic_message (reply, model, counter, &u, FALSE);
      else if (api == SIM_CHAT)
        object = chat_completion (reply, model, counter, &u);
      else
        object = responses_object (reply, body, counter, &u, TRUE);
      send_whole (self, msg, reply, 200, object_text (object));
      return;
    }

  events = g_ptr_array_new_with_free_func (g_free);
  if (api == SIM_ANTHROPIC)
    anthropic_events (reply, model, counter, &u, events);
  else if (api == SIM_CHAT)
    chat_events (reply, model, counter, &u,
                 get_bool (get_object (body, "stream_options"), "include_usage"), events);
  else
    responses_events (reply, body, counter, &u, events);

  {
    Job *job = job_new (self, msg);

    job->streaming = TRUE;
    job->events = g_steal_pointer (&events);
    job->between_ms = reply->between_ms;
    job->fail_mode = reply->fail_mode;
    job->fail_after = reply->fail_after;
    job->fail_event = error_event (api, reply->fail_after);

    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
    soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
    soup_message_headers_replace (headers, "cache-control", "no-cache");
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
    soup_server_message_pause (msg);
    job_schedule (job, reply->first_ms);
  }
}

static void
handle_count_tokens (PmSimUpstream     *self,
                     SoupServerMessage *msg,
                     const char        *path)
{
  JsonObject *object;
  Prefix p;
  gint64 total;

  remember_request (self, msg, path);
  if (self->required_key != NULL && g_strcmp0 (request_key (msg), self->required_key) != 0)
    {
      respond_json (msg, 401, error_body (SIM_ANTHROPIC, "authentication_error", "invalid x-api-key",
                                          401, ++self->counter));
      return;
    }
  if (self->last_json == NULL || !JSON_NODE_HOLDS_OBJECT (self->last_json))
    {
      respond_json (msg, 400, error_body (SIM_ANTHROPIC, "invalid_request_error",
                                          "The request body is not valid JSON.", 400, ++self->counter));
      return;
    }

  build_prefix (SIM_ANTHROPIC, json_node_get_object (self->last_json), &p);
  total = p.tokens->len > 0 ? g_array_index (p.tokens, gint64, p.tokens->len - 1) : 0;
  prefix_clear (&p);

  object = json_object_new ();
  json_object_set_int_member (object, "input_tokens", MAX (total, 1));
  respond_json (msg, 200, object_text (object));
}

static void
handle_models (PmSimUpstream     *self,
               SoupServerMessage *msg)
{
  static const char *ids[] = { "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6",
                               "gpt-5", "gpt-5-mini", "gpt-5-nano" };
  JsonObject *object = json_object_new ();
  JsonArray *data = json_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      JsonObject *model = json_object_new ();

      json_object_set_string_member (model, "id", ids[i]);
      json_object_set_string_member (model, "object", "model");
      json_object_set_string_member (model, "type", "model");
      json_object_set_string_member (model, "display_name", ids[i]);
      json_object_set_string_member (model, "owned_by", "pointsman-simulated-upstream");
      json_array_add_object_element (data, model);
    }
  json_object_set_string_member (object, "object", "list");
  json_object_set_array_member (object, "data", data);
  json_object_set_boolean_member (object, "has_more", FALSE);
  respond_json (msg, 200, object_text (object));
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  PmSimUpstream *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  /* Gateways' URL layouts (OpenRouter /api/v1, TrueFoundry /api/llm, Cloudflare
   * /v1/ACCOUNT/GATEWAY/PROVIDER, LiteLLM /anthropic) lead to the same APIs. */
  const char *p = pm_gateway_api_path (path);

  if (G_IS_INET_SOCKET_ADDRESS (remote))
    g_hash_table_add (self->peers, GUINT_TO_POINTER (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote))));

  /* Accept both "/v1/x" and "/x" (OpenAI-style bases include /v1). */
  if (g_str_has_prefix (p, "/v1/"))
    p += 3;

  if (g_str_equal (method, "GET") && g_str_equal (p, "/models"))
    {
      handle_models (self, msg);
      return;
    }

  if (!g_str_equal (method, "POST"))
    {
      respond_json (msg, 405, error_body (SIM_CHAT, "invalid_request_error", "Method not allowed", 405, ++self->counter));
      return;
    }

  if (g_str_equal (p, "/messages"))
    handle_api (self, msg, SIM_ANTHROPIC, path);
  else if (g_str_equal (p, "/messages/count_tokens"))
    handle_count_tokens (self, msg, path);
  else if (g_str_equal (p, "/chat/completions"))
    handle_api (self, msg, SIM_CHAT, path);
  else if (g_str_equal (p, "/responses"))
    handle_api (self, msg, SIM_RESPONSES, path);
  else if (g_str_equal (p, "/responses/compact"))
    handle_api (self, msg, SIM_RESPONSES_COMPACT, path);
  else
    respond_json (msg, 404, error_body (SIM_CHAT, "invalid_request_error", "Unknown path (simulated upstream)", 404, ++self->counter));
}

/* ---- object ---- */

static void
pm_sim_upstream_dispose (GObject *object)
{
  PmSimUpstream *self = (PmSimUpstream *)object;

  pm_sim_upstream_stop (self);

  G_OBJECT_CLASS (pm_sim_upstream_parent_class)->dispose (object);
}

static void
pm_sim_upstream_finalize (GObject *object)
{
  PmSimUpstream *self = (PmSimUpstream *)object;

  g_queue_clear_full (&self->replies, (GDestroyNotify) pm_sim_reply_unref);
  g_clear_pointer (&self->required_key, g_free);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->last_path, g_free);
  g_clear_pointer (&self->last_headers, g_hash_table_unref);
  g_clear_pointer (&self->last_body, g_bytes_unref);
  g_clear_pointer (&self->last_json, json_node_unref);
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_clear_pointer (&self->peers, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (pm_sim_upstream_parent_class)->finalize (object);
}

static void
pm_sim_upstream_class_init (PmSimUpstreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_sim_upstream_dispose;
  object_class->finalize = pm_sim_upstream_finalize;
}

static void
pm_sim_upstream_init (PmSimUpstream *self)
{
  g_queue_init (&self->replies);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cache_min_tokens = 1024;
  self->last_headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->jobs = g_ptr_array_new ();
  self->peers = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (self->last_usage); i++)
    self->last_usage[i] = -1;
}

PmSimUpstream *
pm_sim_upstream_new (void)
{
  return g_object_new (PM_TYPE_SIM_UPSTREAM, NULL);
}

gboolean
pm_sim_upstream_start (PmSimUpstream  *self,
                       guint           port,
                       GError        **error)
{
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;
  GSList *listeners;

  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);

  self->context = g_main_context_ref_thread_default ();
  self->server = soup_server_new ("server-header", "pointsman-simulated-upstream ", NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);

  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, port);
  /* Our own socket, for a listen backlog above GSocket's default of 10. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket != NULL)
    g_socket_set_listen_backlog (socket, 1024);
  if (socket == NULL ||
      !g_socket_bind (socket, address, TRUE, error) ||
      !g_socket_listen (socket, error) ||
      !soup_server_listen_socket (self->server, socket, 0, error))
    {
      g_clear_object (&self->server);
      g_clear_pointer (&self->context, g_main_context_unref);
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

  return TRUE;
}

void
pm_sim_upstream_stop (PmSimUpstream *self)
{
  g_return_if_fail (PM_IS_SIM_UPSTREAM (self));

  if (self->server == NULL)
    return;

  soup_server_disconnect (self->server);
  /* Streams still in flight are dropped with their connections. */
  while (self->jobs->len > 0)
    job_free (g_ptr_array_index (self->jobs, 0));
  g_clear_object (&self->server);
  self->port = 0;
}

guint
pm_sim_upstream_get_port (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), 0);

  return self->port;
}

char *
pm_sim_upstream_dup_url (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), NULL);

  return g_strdup_printf ("http://127.0.0.1:%u", self->port);
}

void
pm_sim_upstream_push_reply (PmSimUpstream *self,
                            PmSimReply    *reply)
{
  g_return_if_fail (PM_IS_SIM_UPSTREAM (self));
  g_return_if_fail (reply != NULL);

  g_queue_push_tail (&self->replies, pm_sim_reply_ref (reply));
}

void
pm_sim_upstream_clear_replies (PmSimUpstream *self)
{
  g_return_if_fail (PM_IS_SIM_UPSTREAM (self));

  g_queue_clear_full (&self->replies, (GDestroyNotify) pm_sim_reply_unref);
  g_queue_init (&self->replies);
}

void
pm_sim_upstream_set_required_key (PmSimUpstream *self,
                                  const char    *key)
{
  g_return_if_fail (PM_IS_SIM_UPSTREAM (self));

  g_free (self->required_key);
  self->required_key = g_strdup (key);
}

void
pm_sim_upstream_reset_cache (PmSimUpstream *self)
{
  g_return_if_fail (PM_IS_SIM_UPSTREAM (self));

  g_hash_table_remove_all (self->cache);
}

void
pm_sim_upstream_set_cache_min_tokens (PmSimUpstream *self,
                                      gint64         tokens)
{
  g_return_if_fail (PM_IS_SIM_UPSTREAM (self));

  self->cache_min_tokens = MAX (tokens, 1);
  self->cache_min_set = TRUE;
}

/* Distinct TCP connections that carried a request (by client port). */
guint
pm_sim_upstream_get_n_connections (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), 0);

  return g_hash_table_size (self->peers);
}

guint
pm_sim_upstream_get_n_requests (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), 0);
  return self->n_requests;
}

guint
pm_sim_upstream_get_n_streams_done (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), 0);
  return self->n_streams_done;
}

guint
pm_sim_upstream_get_n_events_sent (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), 0);
  return self->n_events_sent;
}

const char *
pm_sim_upstream_get_last_path (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), NULL);
  return self->last_path;
}

GHashTable *
pm_sim_upstream_get_last_headers (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), NULL);
  return self->last_headers;
}

const char *
pm_sim_upstream_get_last_header (PmSimUpstream *self,
                                 const char    *lower_name)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), NULL);
  return g_hash_table_lookup (self->last_headers, lower_name);
}

GBytes *
pm_sim_upstream_get_last_body (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), NULL);
  return self->last_body;
}

JsonNode *
pm_sim_upstream_get_last_json (PmSimUpstream *self)
{
  g_return_val_if_fail (PM_IS_SIM_UPSTREAM (self), NULL);
  return self->last_json;
}

void
pm_sim_upstream_get_last_usage (PmSimUpstream *self,
                                gint64        *input,
                                gint64        *cache_read,
                                gint64        *cache_write,
                                gint64        *output,
                                gint64        *reasoning)
{
  g_return_if_fail (PM_IS_SIM_UPSTREAM (self));

  if (input)
    *input = self->last_usage[0];
  if (cache_read)
    *cache_read = self->last_usage[1];
  if (cache_write)
    *cache_write = self->last_usage[2];
  if (output)
    *output = self->last_usage[3];
  if (reasoning)
    *reasoning = self->last_usage[4];
}
