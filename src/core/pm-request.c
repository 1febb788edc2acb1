/* pm-request.c — one client request, parsed once, with the features routing needs
 *
 * The body is walked once. On the way every string is hashed (hash_bytes, chained at block
 * boundaries so the router can compare prompt prefixes between requests) and its tokens are
 * estimated by character classes (no tokenizer file). Everything else — agent, session, kind,
 * step, tool errors, thinking blocks — is read from that walk and from the headers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-request"

#include "config.h"

#include <string.h>

#include "pm-guard.h"
#include "pm-json-fast.h"
#include "pm-request-private.h"

/* Structure overhead of the wire formats, in tokens. The character-class weights below were
 * chosen on the Claude Code transcripts in ../shared/data (see docs/ROUTING.md). */
#define MESSAGE_OVERHEAD   4
#define BLOCK_OVERHEAD     3
#define IMAGE_TOKENS    1600
#define TOOL_OVERHEAD     12

struct _PmRequest
{
  gatomicrefcount     ref_count;
  PmApi               api;
  GHashTable         *headers;
  JsonNode           *body;

  char               *model;
  PmEffort            effort;
  gboolean            stream;
  PmAgent             agent;
  char               *session_id;
  char               *parent_session_id;
  PmKind              kind;
  PmStep              step;
  gint64              input_tokens;
  gint64              max_output;
  gboolean            has_tools;
  gboolean            has_images;
  gboolean            has_thinking;

  PmRequestFeatures   features;
  GArray             *marks;          /* PmPrefixMark */

  /* walk state */
  guint64             hash;
  gint64              tokens;
  JsonNode           *last_user;      /* newest user message / input item with text */
  gboolean            last_is_tool;   /* the newest turn carries tool results */
  guint64             last_call_hash;
  GArray             *call_hashes;    /* guint64, every tool call in history */
  GArray             *results;        /* ToolResult, in order */
  GHashTable         *call_names;     /* tool call id → tool name (borrowed from the body) */
  JsonNode           *features_json;  /* built once, sealed */
  GPtrArray          *pending_calls;  /* ids waiting for a result (char*, borrowed) */
  guint               last_real_user; /* message index of the newest real user text */
  guint               n_blocks;       /* content blocks walked so far (cache lookback) */
  char               *system_head;    /* the first ~200 bytes of the system prompt */
};

/* ------------------------------------------------------------------------------------------ */
/* Token estimate and hashing                                                                  */

#define FNV_OFFSET G_GUINT64_CONSTANT (0xcbf29ce484222325)

/* The string hash: 16 bytes per step, each step a 64×64→128-bit multiply folded to 64 bits
 * (the wyhash construction), chained through the running hash, with the length mixed in at the
 * end so "ab" + "c" and "a" + "bc" differ. Host byte order: the hashes live only in this
 * process (prefix marks, session caches, tool-call identity, the fallback session id) and every
 * path that computes them — the proxy, replay, the app's what-if router — goes through here.
 * It replaced FNV-1a one byte at a time, a serial chain of 64-bit multiplies that alone took
 * about 1 ms on a 650 kB request. */
#define HK0 G_GUINT64_CONSTANT (0xa0761d6478bd642f)
#define HK1 G_GUINT64_CONSTANT (0xe7037ed1a0b428db)
#define HK2 G_GUINT64_CONSTANT (0x8ebc6af09c88c6e3)
#define HK3 G_GUINT64_CONSTANT (0x589965cc75374cc3)

static inline guint64
hash_fold (guint64 a,
           guint64 b)
{
#ifdef __SIZEOF_INT128__
  unsigned __int128 r = (unsigned __int128) a * b;

  return (guint64) r ^ (guint64) (r >> 64);
#else
  guint64 lo = a * b;
  guint64 hi = ((a >> 32) * (b >> 32)) + (((a >> 32) * (b & 0xffffffff)) >> 32) +
               (((a & 0xffffffff) * (b >> 32)) >> 32);

  return lo ^ hi;
#endif
}

static inline guint64
load64 (const guchar *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return v;
}

static guint64
hash_bytes (guint64       h,
            const guchar *p,
            gsize         length)
{
  gsize n = length;

  while (n >= 16)
    {
      h = hash_fold (load64 (p) ^ HK1, load64 (p + 8) ^ h);
      p += 16;
      n -= 16;
    }
  if (n > 0)
    {
      guint64 a = 0, b = 0;

      if (n > 8)
        {
          a = load64 (p);
          memcpy (&b, p + 8, n - 8);
        }
      else
        memcpy (&a, p, n);
      h = hash_fold (a ^ HK2, b ^ h ^ HK0);
    }
  return hash_fold (h ^ HK3, (guint64) length ^ HK1);
}

/* Estimate by character classes. Tokens are counted ×8 to keep integers. */
static gint64
estimate (const guchar *p,
          const guchar *end)
{
  gint64 t8 = 0;

  while (p < end)
    {
      guchar c = *p;

      if (g_ascii_isalpha (c))
        {
          const guchar *s = p;
          gsize n;

          p++;
          while (p < end && g_ascii_isalpha (*p))
            p++;
          n = p - s;
          /* A word is a token; past 4 letters, one more every 4 letters (identifiers). */
          t8 += n <= 4 ? 8 : 8 + (gint64) (n - 4) * 2;
        }
      else if (c == ' ')
        {
          const guchar *s = p;

          p++;
          while (p < end && *p == ' ')
            p++;
          /* One space joins the next word; indentation costs about one token per 2. */
          if (p - s > 1)
            t8 += 4 * (p - s - 1);
        }
      else if (g_ascii_isdigit (c))
        {
          const guchar *s = p;

          p++;
          while (p < end && g_ascii_isdigit (*p))
            p++;
          t8 += 8 * (1 + (gint64) (p - s - 1) / 3);
        }
      else if (c < 0x80)
        {
          /* punctuation, newlines, tabs: one token each */
          p++;
          t8 += 8;
        }
      else
        {
          /* One code point of non-ASCII text: about one token. */
          p++;
          while (p < end && (*p & 0xC0) == 0x80)
            p++;
          t8 += 8;
        }
    }

  return (t8 + 7) / 8;
}

/* Estimate and hash (hash_inout may be NULL). */
static gint64
estimate_and_hash (const char *text,
                   gsize       length,
                   guint64    *hash_inout)
{
  const guchar *p = (const guchar *) text;

  if (hash_inout != NULL)
    *hash_inout = hash_bytes (*hash_inout, p, length);

  return estimate (p, p + length);
}

gint64
pm_estimate_tokens (const char *text,
                    gsize       length)
{
  if (text == NULL)
    return 0;

  return estimate_and_hash (text, length, NULL);
}

static void
walk_string (PmRequest  *self,
             const char *text)
{
  if (text == NULL)
    return;

  self->tokens += estimate_and_hash (text, strlen (text), &self->hash);
}

static void
walk_int (PmRequest *self,
          guint64    value)
{
  self->hash = pm_hash_mix (self->hash, value);
}

static void walk_node (PmRequest *self,
                       JsonNode  *node);

static void
walk_object (PmRequest  *self,
             JsonObject *object)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      walk_string (self, name);
      self->tokens += 1;
      walk_node (self, member);
    }
}

static void
walk_node (PmRequest *self,
           JsonNode  *node)
{
  if (node == NULL)
    return;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      walk_object (self, json_node_get_object (node));
      self->tokens += 1;
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        for (guint i = 0; i < n; i++)
          walk_node (self, json_array_get_element (array, i));
        self->tokens += 1;
      }
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          walk_string (self, json_node_get_string (node));
          self->tokens += 1;
          break;
        case G_TYPE_INT64:
          walk_int (self, (guint64) json_node_get_int (node));
          self->tokens += 1;
          break;
        case G_TYPE_DOUBLE:
          {
            double d = json_node_get_double (node);
            guint64 bits;

            memcpy (&bits, &d, sizeof bits);
            walk_int (self, bits);
            self->tokens += 2;
          }
          break;
        case G_TYPE_BOOLEAN:
          walk_int (self, json_node_get_boolean (node) ? 1 : 2);
          self->tokens += 1;
          break;
        default:
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      walk_int (self, 3);
      break;
    }
}

/* Hash of a node in isolation (tool call identity). */
static guint64
node_hash (PmRequest *self,
           JsonNode  *node)
{
  guint64 saved_hash = self->hash;
  gint64 saved_tokens = self->tokens;
  guint64 h;

  self->hash = FNV_OFFSET;
  walk_node (self, node);
  h = self->hash;
  self->hash = saved_hash;
  self->tokens = saved_tokens;

  return h;
}

static void
add_mark (PmRequest *self,
          PmSection  section,
          guint      message,
          JsonNode  *cache_control)
{
  PmPrefixMark mark = { 0, };

  /* Chain: each mark's hash covers everything before it. */
  self->hash = pm_hash_mix (self->hash, section + 1);
  mark.hash = self->hash;
  mark.tokens = self->tokens;
  mark.section = section;
  mark.message = message;
  mark.blocks = self->n_blocks;

  if (cache_control != NULL && JSON_NODE_HOLDS_OBJECT (cache_control))
    {
      JsonObject *cc = json_node_get_object (cache_control);
      const char *ttl = json_object_get_string_member_with_default (cc, "ttl", "5m");

      mark.breakpoint = TRUE;
      mark.ttl_1h = g_strcmp0 (ttl, "1h") == 0;
      self->features.breakpoints++;
      if (mark.ttl_1h)
        self->features.has_1h_ttl = TRUE;
    }

  /* Several boundaries may close at the same token count; keep the last, merging flags. */
  if (self->marks->len > 0)
    {
      PmPrefixMark *prev = &g_array_index (self->marks, PmPrefixMark, self->marks->len - 1);

      if (prev->tokens == mark.tokens && prev->section == mark.section)
        {
          mark.breakpoint |= prev->breakpoint;
          mark.ttl_1h |= prev->ttl_1h;
          *prev = mark;
          return;
        }
    }

  g_array_append_val (self->marks, mark);
}

/* ------------------------------------------------------------------------------------------ */
/* Small JSON helpers                                                                          */

static const char *
obj_string (JsonObject *object,
            const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonObject *
obj_object (JsonObject *object,
            const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return NULL;

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
obj_array (JsonObject *object,
           const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return NULL;

  return JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gint64
obj_int (JsonObject *object,
         const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return 0;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);

  return 0;
}

static gboolean
obj_bool (JsonObject *object,
          const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;

  return json_node_get_boolean (node);
}

static gboolean
has_prefix_ci (const char *text,
               const char *prefix)
{
  return text != NULL && g_ascii_strncasecmp (text, prefix, strlen (prefix)) == 0;
}

static inline char
ascii_lower (char c)
{
  return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* Case-insensitive search limited to the first `limit` bytes. */
static gboolean
contains_ci (const char *text,
             const char *needle,
             gsize       limit)
{
  gsize n;
  gsize len;

  if (text == NULL)
    return FALSE;

  n = strlen (needle);
  len = strnlen (text, limit);
  if (len < n)
    return FALSE;

  /* The first byte compared inline: g_ascii_tolower () is a call per byte of text (it was a
   * fifth of parsing a small request, over the cue lists). */
  {
    char first = ascii_lower (needle[0]);

    for (gsize i = 0; i + n <= len; i++)
      {
        if (ascii_lower (text[i]) == first && g_ascii_strncasecmp (text + i, needle, n) == 0)
          return TRUE;
      }
  }

  return FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* Content analysis                                                                            */

/* Markers of a failed command, a stack trace or failing tests in tool output. */
static void
scan_tool_output (PmRequest  *self,
                  const char *text,
                  gboolean   *is_error)
{
  static const char *trace_markers[] = {
    "Traceback (most recent call last)", "panic: ", "Segmentation fault", "core dumped",
    "Exception in thread", "    at ", "error[E", ": error:", "npm ERR!", "Error: ",
    "Uncaught ", "fatal error", "FATAL", "undefined reference to",
  };
  static const char *test_markers[] = {
    " FAILED", "FAIL:", "FAIL ", "failed,", " failed", "AssertionError",
    "Tests failed", "tests failed", "✗", "✘",
  };
  static const char *exit_markers[] = {
    "Exit code 1", "Exit code 2", "exit code 1", "exit code 2", "exited with code 1",
    "exit status 1", "exit status 2", "Exit code 12", "Exit code 127", "returned non-zero",
    "Command failed",
  };
  gsize limit = 65536;

  if (text == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (exit_markers); i++)
    if (strstr (text, exit_markers[i]) != NULL)
      {
        self->features.nonzero_exit = TRUE;
        *is_error = TRUE;
        break;
      }

  if (strnlen (text, limit) >= limit)
    text += strlen (text) - limit;   /* errors sit at the end of long outputs */

  for (guint i = 0; i < G_N_ELEMENTS (trace_markers); i++)
    if (strstr (text, trace_markers[i]) != NULL)
      {
        self->features.stack_trace = TRUE;
        *is_error = TRUE;
        break;
      }

  for (guint i = 0; i < G_N_ELEMENTS (test_markers); i++)
    if (strstr (text, test_markers[i]) != NULL)
      {
        self->features.failing_tests = TRUE;
        *is_error = TRUE;
        break;
      }
}

static void
record_tool_result (PmRequest *self,
                    gboolean   error)
{
  self->features.n_tool_results++;
  if (error)
    {
      self->features.n_tool_errors++;
      self->features.tail_tool_errors++;
      if (self->features.recent_tool_errors < 8)
        self->features.recent_tool_errors++;
    }
  else
    {
      self->features.tail_tool_errors = 0;
      if (self->features.recent_tool_errors > 0 && self->features.n_tool_results % 8 == 0)
        self->features.recent_tool_errors--;
    }
}

typedef struct
{
  JsonNode   *content;
  gboolean    flagged;   /* is_error set by the client */
  const char *tool;      /* name of the call it answers, when known */
} ToolResult;

/* Tools whose output is command output, where error markers mean something. File readers and
 * searchers print whatever the files contain ("Error: " in a source file is not a failure). */
static gboolean
tool_runs_commands (const char *name)
{
  static const char *words[] = { "bash", "shell", "exec", "command", "terminal", "run", "test", "build" };
  g_autofree char *lower = NULL;

  if (name == NULL)
    return TRUE;   /* unknown: read it */
  lower = g_ascii_strdown (name, -1);
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (strstr (lower, words[i]) != NULL)
      return TRUE;

  return FALSE;
}

/* Only the newest results are read for error markers (their text is what the next step is
 * about); older ones count by their is_error flag. Keeps parsing linear in the new content. */
#define SCANNED_RESULTS 4

static void
defer_tool_result (PmRequest  *self,
                   JsonNode   *content,
                   gboolean    flagged,
                   const char *call_id)
{
  ToolResult r = { content, flagged, NULL };

  if (call_id != NULL && self->call_names != NULL)
    r.tool = g_hash_table_lookup (self->call_names, call_id);

  g_array_append_val (self->results, r);
}

static const char *content_text (JsonNode  *content,
                                 char     **to_free);

static void
finish_tool_results (PmRequest *self)
{
  for (guint i = 0; i < self->results->len; i++)
    {
      ToolResult *r = &g_array_index (self->results, ToolResult, i);
      gboolean error = r->flagged;

      if (i + SCANNED_RESULTS >= self->results->len && tool_runs_commands (r->tool))
        {
          g_autofree char *to_free = NULL;
          const char *text = content_text (r->content, &to_free);

          if (text == NULL && r->content != NULL && JSON_NODE_HOLDS_OBJECT (r->content))
            text = obj_string (json_node_get_object (r->content), "content");
          scan_tool_output (self, text, &error);
        }
      record_tool_result (self, error);
    }
}

static void
record_tool_call (PmRequest  *self,
                  const char *id,
                  const char *name,
                  JsonNode   *input,
                  const char *arguments)
{
  guint64 h = FNV_OFFSET;

  if (id != NULL && name != NULL)
    {
      if (self->call_names == NULL)
        self->call_names = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (self->call_names, (gpointer) id, (gpointer) name);
    }

  if (name != NULL)
    estimate_and_hash (name, strlen (name), &h);
  if (arguments != NULL)
    estimate_and_hash (arguments, strlen (arguments), &h);
  else if (input != NULL)
    h = pm_hash_mix (h, node_hash (self, input));

  g_array_append_val (self->call_hashes, h);
  self->last_call_hash = h;
}

/* Text of a content value (string or array of blocks), tool results included. Returns a
 * pointer into the body or a string to free in *to_free. */
static const char *
content_text (JsonNode  *content,
              char     **to_free)
{
  *to_free = NULL;

  if (content == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    return json_node_get_string (content);
  if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *array = json_node_get_array (content);
      guint n = json_array_get_length (array);
      GString *s = NULL;
      const char *single = NULL;

      for (guint i = 0; i < n; i++)
        {
          JsonNode *el = json_array_get_element (array, i);
          const char *text = NULL;

          if (JSON_NODE_HOLDS_OBJECT (el))
            text = obj_string (json_node_get_object (el), "text");
          else if (JSON_NODE_HOLDS_VALUE (el) && json_node_get_value_type (el) == G_TYPE_STRING)
            text = json_node_get_string (el);
          if (text == NULL)
            continue;
          if (single == NULL && s == NULL)
            single = text;
          else
            {
              if (s == NULL)
                s = g_string_new (single);
              g_string_append_c (s, '\n');
              g_string_append (s, text);
            }
        }
      if (s != NULL)
        return (*to_free = g_string_free (s, FALSE));
      return single;
    }

  return NULL;
}

static gboolean
is_reminder (const char *text)
{
  while (text != NULL && g_ascii_isspace (*text))
    text++;

  return text != NULL && (g_str_has_prefix (text, "<system-reminder>") ||
                          g_str_has_prefix (text, "<command-") ||
                          g_str_has_prefix (text, "<local-command") ||
                          g_str_has_prefix (text, "Caveat: "));
}

/* ------------------------------------------------------------------------------------------ */
/* Anthropic Messages                                                                          */

static void
walk_anthropic_block (PmRequest  *self,
                      JsonObject *block,
                      guint       message_index,
                      const char *role,
                      gboolean   *real_text,
                      GPtrArray  *call_ids,
                      GPtrArray  *result_ids)
{
  const char *type = obj_string (block, "type");

  if (type == NULL)
    type = "text";

  if (g_str_equal (type, "text"))
    {
      const char *text = obj_string (block, "text");

      walk_string (self, text);
      if (g_str_equal (role, "user") && text != NULL && !is_reminder (text))
        *real_text = TRUE;
    }
  else if (g_str_equal (type, "tool_result"))
    {
      JsonNode *content = json_object_get_member (block, "content");
      gboolean error = obj_bool (block, "is_error");
      const char *id = obj_string (block, "tool_use_id");

      walk_string (self, id);
      walk_node (self, content);
      if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
        {
          JsonArray *array = json_node_get_array (content);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *el = json_array_get_element (array, i);

              if (JSON_NODE_HOLDS_OBJECT (el) &&
                  g_strcmp0 (obj_string (json_node_get_object (el), "type"), "image") == 0)
                {
                  self->features.image_count++;
                  self->tokens += IMAGE_TOKENS;
                }
            }
        }
      defer_tool_result (self, content, error, id);
      self->last_is_tool = TRUE;
      if (id != NULL)
        g_ptr_array_add (result_ids, (gpointer) id);
    }
  else if (g_str_equal (type, "tool_use") || g_str_equal (type, "server_tool_use"))
    {
      const char *id = obj_string (block, "id");
      const char *name = obj_string (block, "name");
      JsonNode *input = json_object_get_member (block, "input");

      walk_string (self, id);
      walk_string (self, name);
      walk_node (self, input);
      record_tool_call (self, id, name, input, NULL);
      if (id != NULL && g_str_equal (type, "tool_use"))
        g_ptr_array_add (call_ids, (gpointer) id);
    }
  else if (g_str_equal (type, "thinking"))
    {
      walk_string (self, obj_string (block, "thinking"));
      walk_int (self, 7);
      if (obj_string (block, "signature") != NULL)
        {
          self->has_thinking = TRUE;
          if (message_index > self->last_real_user || self->last_real_user == G_MAXUINT)
            self->features.thinking_in_turn = TRUE;
        }
      /* Thinking of earlier turns is stripped by the API and not billed as input;
       * keep its hash (it is part of what the client sends) but not its tokens. */
    }
  else if (g_str_equal (type, "redacted_thinking"))
    {
      walk_int (self, 8);
      self->has_thinking = TRUE;
      if (message_index > self->last_real_user || self->last_real_user == G_MAXUINT)
        self->features.thinking_in_turn = TRUE;
    }
  else if (g_str_equal (type, "image") || g_str_equal (type, "document"))
    {
      JsonObject *source = obj_object (block, "source");
      const char *data = obj_string (source, "data");

      /* Hash a bounded part of the data: enough to tell images apart, cheap on big ones. */
      if (data != NULL)
        self->hash = hash_bytes (self->hash, (const guchar *) data, strnlen (data, 4096));
      else
        walk_node (self, json_object_get_member (block, "source"));
      self->features.image_count++;
      self->tokens += IMAGE_TOKENS;
    }
  else
    {
      walk_object (self, block);
    }

  self->tokens += BLOCK_OVERHEAD;

  self->n_blocks++;
}

static void
parse_anthropic (PmRequest  *self,
                 JsonObject *body)
{
  JsonArray *tools = obj_array (body, "tools");
  JsonNode *system = json_object_get_member (body, "system");
  JsonArray *messages = obj_array (body, "messages");
  JsonObject *thinking = obj_object (body, "thinking");
  JsonObject *output_config = obj_object (body, "output_config");
  g_autoptr(GPtrArray) call_ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) prev_call_ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) result_ids = g_ptr_array_new ();
  guint n;

  self->max_output = obj_int (body, "max_tokens");
  self->effort = pm_effort_from_string (obj_string (output_config, "effort"));
  if (thinking != NULL)
    {
      const char *type = obj_string (thinking, "type");

      self->features.thinking_enabled = g_strcmp0 (type, "enabled") == 0 ||
                                        g_strcmp0 (type, "adaptive") == 0;
      self->features.thinking_budget = obj_int (thinking, "budget_tokens");
      if (self->effort == PM_EFFORT_UNSET && self->features.thinking_budget > 0)
        {
          gint64 b = self->features.thinking_budget;

          /* claude-code-router's map: ≤1024 low, ≤8192 medium, else high */
          self->effort = b <= 1024 ? PM_EFFORT_LOW : b <= 8192 ? PM_EFFORT_MEDIUM : PM_EFFORT_HIGH;
        }
      if (g_strcmp0 (type, "disabled") == 0 && self->effort == PM_EFFORT_UNSET)
        self->effort = PM_EFFORT_NONE;
    }
  if (json_object_has_member (body, "cache_control"))
    self->features.top_level_cache = TRUE;

  /* tools */
  n = tools != NULL ? json_array_get_length (tools) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *tool = json_array_get_element (tools, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (tool) ? json_node_get_object (tool) : NULL;
      const char *type = obj_string (object, "type");

      walk_node (self, tool);
      self->tokens += TOOL_OVERHEAD;
      self->n_blocks++;
      self->features.n_tools++;
      if (type != NULL && g_str_has_prefix (type, "web_search"))
        self->features.web_search = TRUE;
      if (object != NULL && json_object_has_member (object, "cache_control"))
        add_mark (self, PM_SECTION_TOOLS, 0, json_object_get_member (object, "cache_control"));
    }
  self->features.tools_tokens = self->tokens;
  add_mark (self, PM_SECTION_TOOLS, 0, NULL);

  /* system */
  if (system != NULL && JSON_NODE_HOLDS_VALUE (system))
    {
      const char *text = json_node_get_string (system);

      walk_string (self, text);
      if (text != NULL)
        self->system_head = g_strndup (text, 400);
    }
  else if (system != NULL && JSON_NODE_HOLDS_ARRAY (system))
    {
      JsonArray *array = json_node_get_array (system);
      GString *head = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *el = json_array_get_element (array, i);
          JsonObject *block = JSON_NODE_HOLDS_OBJECT (el) ? json_node_get_object (el) : NULL;
          const char *text = obj_string (block, "text");
          const char *cch;

          if (text != NULL && g_str_has_prefix (text, "x-anthropic-billing-header") &&
              (cch = strstr (text, "cch=")) != NULL)
            {
              /* Claude Code's attribution block: its cch= value may change between requests
               * and the block is stripped for non-Anthropic upstreams; hash only the stable
               * part so prefixes stay comparable (the tokens still count). */
              self->tokens += estimate_and_hash (text, cch - text, &self->hash);
              self->tokens += pm_estimate_tokens (cch, strlen (cch));
            }
          else
            walk_string (self, text);
          self->tokens += BLOCK_OVERHEAD;
          self->n_blocks++;
          if (text != NULL && head->len < 400 &&
              !g_str_has_prefix (text, "x-anthropic-billing-header"))
            {
              g_string_append_len (head, text, MIN (strlen (text), 400));
              g_string_append_c (head, '\n');
            }
          else if (text != NULL && g_str_has_prefix (text, "x-anthropic-billing-header"))
            self->features.agent_reason = "billing header in system";
          if (block != NULL && json_object_has_member (block, "cache_control"))
            add_mark (self, PM_SECTION_SYSTEM, 0, json_object_get_member (block, "cache_control"));
        }
      self->system_head = g_string_free (head, FALSE);
    }
  self->features.system_tokens = self->tokens - self->features.tools_tokens;
  self->features.system_hash = self->hash;
  add_mark (self, PM_SECTION_SYSTEM, 0, NULL);

  /* Find the newest real user text first: thinking after it belongs to the current turn. */
  n = messages != NULL ? json_array_get_length (messages) : 0;
  self->last_real_user = G_MAXUINT;
  for (guint i = n; i > 0; i--)
    {
      JsonNode *m = json_array_get_element (messages, i - 1);
      JsonObject *msg = JSON_NODE_HOLDS_OBJECT (m) ? json_node_get_object (m) : NULL;
      JsonNode *content = msg != NULL ? json_object_get_member (msg, "content") : NULL;
      gboolean real = FALSE;

      if (g_strcmp0 (obj_string (msg, "role"), "user") != 0 || content == NULL)
        continue;
      if (JSON_NODE_HOLDS_VALUE (content))
        real = TRUE;
      else if (JSON_NODE_HOLDS_ARRAY (content))
        {
          JsonArray *blocks = json_node_get_array (content);

          for (guint j = 0; j < json_array_get_length (blocks) && !real; j++)
            {
              JsonNode *b = json_array_get_element (blocks, j);
              JsonObject *block = JSON_NODE_HOLDS_OBJECT (b) ? json_node_get_object (b) : NULL;
              const char *type = obj_string (block, "type");

              if ((type == NULL || g_str_equal (type, "text")) && !is_reminder (obj_string (block, "text")))
                real = TRUE;
            }
        }
      if (real)
        {
          self->last_real_user = i - 1;
          break;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      JsonNode *m = json_array_get_element (messages, i);
      JsonObject *msg = JSON_NODE_HOLDS_OBJECT (m) ? json_node_get_object (m) : NULL;
      const char *role = obj_string (msg, "role");
      JsonNode *content = msg != NULL ? json_object_get_member (msg, "content") : NULL;
      JsonNode *cache_control = NULL;
      gboolean real_text = FALSE;
      gint64 before = self->tokens;

      if (msg == NULL || role == NULL)
        continue;

      walk_string (self, role);
      g_ptr_array_set_size (result_ids, 0);
      if (g_str_equal (role, "assistant"))
        g_ptr_array_set_size (call_ids, 0);

      self->last_is_tool = FALSE;
      if (content != NULL && JSON_NODE_HOLDS_VALUE (content))
        {
          const char *text = json_node_get_string (content);

          walk_string (self, text);
          self->n_blocks++;
          if (g_str_equal (role, "user") && !is_reminder (text))
            real_text = TRUE;
        }
      else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
        {
          JsonArray *blocks = json_node_get_array (content);
          guint nb = json_array_get_length (blocks);

          for (guint j = 0; j < nb; j++)
            {
              JsonNode *b = json_array_get_element (blocks, j);
              JsonObject *block = JSON_NODE_HOLDS_OBJECT (b) ? json_node_get_object (b) : NULL;

              if (block == NULL)
                continue;
              walk_anthropic_block (self, block, i, role, &real_text, call_ids, result_ids);
              if (json_object_has_member (block, "cache_control"))
                cache_control = json_object_get_member (block, "cache_control");
            }
        }
      self->tokens += MESSAGE_OVERHEAD;
      self->features.n_messages++;

      if (g_str_equal (role, "user"))
        {
          /* Every tool_use of the previous assistant turn needs its result here. */
          for (guint k = 0; k < prev_call_ids->len; k++)
            {
              gboolean found = FALSE;

              for (guint r = 0; r < result_ids->len && !found; r++)
                found = g_str_equal (g_ptr_array_index (prev_call_ids, k),
                                     g_ptr_array_index (result_ids, r));
              if (!found)
                self->features.orphan_tool_use = TRUE;
            }
          g_ptr_array_set_size (prev_call_ids, 0);
          if (real_text)
            {
              self->features.n_user_turns++;
              if (self->features.n_user_turns == 1)
                {
                  g_autofree char *to_free = NULL;
                  const char *text = content_text (content, &to_free);

                  if (text != NULL)
                    self->features.first_user_hash = pm_hash_mix (FNV_OFFSET, g_str_hash (text));
                }
            }
          if (real_text || self->last_is_tool)
            self->last_user = m;
          self->features.last_turn_tokens = self->tokens - before;
        }
      else if (g_str_equal (role, "assistant"))
        {
          self->features.n_assistant_turns++;
          for (guint k = 0; k < call_ids->len; k++)
            g_ptr_array_add (prev_call_ids, g_ptr_array_index (call_ids, k));
        }

      add_mark (self, PM_SECTION_MESSAGES, i, cache_control);
    }

  /* Calls of the last assistant turn are answered by the client next time: not orphans. */
}

/* ------------------------------------------------------------------------------------------ */
/* OpenAI Chat Completions                                                                     */

static void
walk_chat_content (PmRequest  *self,
                   JsonNode   *content)
{
  if (content == NULL)
    return;

  if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      for (guint j = 0; j < json_array_get_length (parts); j++)
        {
          JsonNode *p = json_array_get_element (parts, j);
          JsonObject *part = JSON_NODE_HOLDS_OBJECT (p) ? json_node_get_object (p) : NULL;
          const char *type = obj_string (part, "type");

          if (g_strcmp0 (type, "image_url") == 0 || g_strcmp0 (type, "input_image") == 0 ||
              g_strcmp0 (type, "image") == 0)
            {
              JsonObject *image = obj_object (part, "image_url");
              const char *url = image != NULL ? obj_string (image, "url") : obj_string (part, "image_url");

              if (url != NULL)
                self->hash = hash_bytes (self->hash, (const guchar *) url, strnlen (url, 4096));
              self->features.image_count++;
              self->tokens += IMAGE_TOKENS;
            }
          else if (part != NULL)
            {
              walk_string (self, obj_string (part, "text"));
              self->tokens += BLOCK_OVERHEAD;
              self->n_blocks++;
            }
          else
            walk_node (self, p);
        }
    }
  else
    walk_node (self, content);
}

static void
parse_openai_chat (PmRequest  *self,
                   JsonObject *body)
{
  JsonArray *tools = obj_array (body, "tools");
  JsonArray *messages = obj_array (body, "messages");
  JsonObject *reasoning = obj_object (body, "reasoning");
  g_autoptr(GPtrArray) pending = g_ptr_array_new ();
  guint n;
  gboolean system_done = FALSE;
  GString *head = g_string_new (NULL);

  self->max_output = obj_int (body, "max_completion_tokens");
  if (self->max_output == 0)
    self->max_output = obj_int (body, "max_tokens");
  self->effort = pm_effort_from_string (obj_string (body, "reasoning_effort"));
  if (self->effort == PM_EFFORT_UNSET)
    self->effort = pm_effort_from_string (obj_string (reasoning, "effort"));

  n = tools != NULL ? json_array_get_length (tools) : 0;
  for (guint i = 0; i < n; i++)
    {
      walk_node (self, json_array_get_element (tools, i));
      self->tokens += TOOL_OVERHEAD;
      self->n_blocks++;
      self->features.n_tools++;
    }
  self->features.tools_tokens = self->tokens;
  add_mark (self, PM_SECTION_TOOLS, 0, NULL);

  n = messages != NULL ? json_array_get_length (messages) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *m = json_array_get_element (messages, i);
      JsonObject *msg = JSON_NODE_HOLDS_OBJECT (m) ? json_node_get_object (m) : NULL;
      const char *role = obj_string (msg, "role");
      JsonNode *content = msg != NULL ? json_object_get_member (msg, "content") : NULL;
      JsonArray *tool_calls = obj_array (msg, "tool_calls");
      gint64 before = self->tokens;

      if (msg == NULL || role == NULL)
        continue;

      if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
        {
          g_autofree char *to_free = NULL;
          const char *text = content_text (content, &to_free);

          walk_string (self, role);
          walk_chat_content (self, content);
          self->tokens += MESSAGE_OVERHEAD;
          if (text != NULL && head->len < 400)
            g_string_append_len (head, text, MIN (strlen (text), 400));
          if (!system_done)
            {
              self->features.system_tokens = self->tokens - self->features.tools_tokens;
              self->features.system_hash = self->hash;
              add_mark (self, PM_SECTION_SYSTEM, i, NULL);
            }
          else
            add_mark (self, PM_SECTION_MESSAGES, i, NULL);
          continue;
        }
      if (!system_done)
        {
          system_done = TRUE;
          add_mark (self, PM_SECTION_SYSTEM, i, NULL);
        }

      walk_string (self, role);
      self->features.n_messages++;

      if (g_str_equal (role, "tool") || g_str_equal (role, "function"))
        {
          const char *id = obj_string (msg, "tool_call_id");

          walk_string (self, id);
          walk_chat_content (self, content);
          defer_tool_result (self, content, FALSE, id);
          if (!self->last_is_tool)
            self->features.last_turn_tokens = 0;
          self->last_is_tool = TRUE;
          self->last_user = m;
          for (guint k = 0; id != NULL && k < pending->len; k++)
            if (g_str_equal (g_ptr_array_index (pending, k), id))
              {
                g_ptr_array_remove_index (pending, k);
                break;
              }
          self->features.last_turn_tokens += self->tokens - before + MESSAGE_OVERHEAD;
        }
      else if (g_str_equal (role, "user"))
        {
          g_autofree char *to_free = NULL;
          const char *text = content_text (content, &to_free);

          if (pending->len > 0)
            self->features.orphan_tool_use = TRUE;
          g_ptr_array_set_size (pending, 0);
          walk_chat_content (self, content);
          self->last_is_tool = FALSE;
          if (text != NULL && !is_reminder (text))
            {
              self->features.n_user_turns++;
              self->last_real_user = i;
              if (self->features.n_user_turns == 1)
                self->features.first_user_hash = pm_hash_mix (FNV_OFFSET, g_str_hash (text));
            }
          self->last_user = m;
          self->features.last_turn_tokens = self->tokens - before + MESSAGE_OVERHEAD;
        }
      else
        {
          if (pending->len > 0)
            self->features.orphan_tool_use = TRUE;
          g_ptr_array_set_size (pending, 0);
          self->features.n_assistant_turns++;
          self->last_is_tool = FALSE;
          walk_chat_content (self, content);
          walk_string (self, obj_string (msg, "reasoning_content"));
          for (guint k = 0; tool_calls != NULL && k < json_array_get_length (tool_calls); k++)
            {
              JsonNode *c = json_array_get_element (tool_calls, k);
              JsonObject *call = JSON_NODE_HOLDS_OBJECT (c) ? json_node_get_object (c) : NULL;
              JsonObject *function = obj_object (call, "function");
              const char *id = obj_string (call, "id");
              JsonObject *extra = obj_object (call, "extra_content");

              walk_node (self, c);
              record_tool_call (self, id, obj_string (function, "name"), NULL,
                                obj_string (function, "arguments"));
              if (id != NULL)
                g_ptr_array_add (pending, (gpointer) id);
              /* Gemini 3 thought signatures are bound to the model that wrote them. */
              if (extra != NULL && obj_object (extra, "google") != NULL)
                {
                  self->has_thinking = TRUE;
                  if (i > self->last_real_user || self->last_real_user == G_MAXUINT)
                    self->features.thinking_in_turn = TRUE;
                }
            }
        }
      self->tokens += MESSAGE_OVERHEAD;
      add_mark (self, PM_SECTION_MESSAGES, i, NULL);
    }
  if (!system_done)
    add_mark (self, PM_SECTION_SYSTEM, 0, NULL);

  self->system_head = g_string_free (head, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* OpenAI Responses                                                                            */

static void
parse_openai_responses (PmRequest  *self,
                        JsonObject *body)
{
  JsonArray *tools = obj_array (body, "tools");
  JsonNode *input = json_object_get_member (body, "input");
  JsonObject *reasoning = obj_object (body, "reasoning");
  const char *instructions = obj_string (body, "instructions");
  g_autoptr(GPtrArray) pending = g_ptr_array_new ();
  GString *head = g_string_new (NULL);
  guint n;

  self->max_output = obj_int (body, "max_output_tokens");
  self->effort = pm_effort_from_string (obj_string (reasoning, "effort"));

  n = tools != NULL ? json_array_get_length (tools) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *tool = json_array_get_element (tools, i);
      const char *type = JSON_NODE_HOLDS_OBJECT (tool) ? obj_string (json_node_get_object (tool), "type") : NULL;

      walk_node (self, tool);
      self->tokens += TOOL_OVERHEAD;
      self->n_blocks++;
      self->features.n_tools++;
      if (type != NULL && g_str_has_prefix (type, "web_search"))
        self->features.web_search = TRUE;
    }
  self->features.tools_tokens = self->tokens;
  add_mark (self, PM_SECTION_TOOLS, 0, NULL);

  walk_string (self, instructions);
  if (instructions != NULL)
    g_string_append_len (head, instructions, MIN (strlen (instructions), 400));

  if (input != NULL && JSON_NODE_HOLDS_VALUE (input))
    {
      /* A bare string input is one user message. */
      self->features.system_tokens = self->tokens - self->features.tools_tokens;
      self->features.system_hash = self->hash;
      add_mark (self, PM_SECTION_SYSTEM, 0, NULL);
      walk_string (self, json_node_get_string (input));
      self->features.n_messages = 1;
      self->features.n_user_turns = 1;
      self->last_user = input;
      self->last_real_user = 0;
      self->features.first_user_hash = pm_hash_mix (FNV_OFFSET, g_str_hash (json_node_get_string (input)));
      self->features.last_turn_tokens = self->tokens - self->features.tools_tokens - self->features.system_tokens;
      add_mark (self, PM_SECTION_MESSAGES, 0, NULL);
      self->system_head = g_string_free (head, FALSE);
      return;
    }

  n = input != NULL && JSON_NODE_HOLDS_ARRAY (input) ? json_array_get_length (json_node_get_array (input)) : 0;
  {
    gboolean system_done = FALSE;

    for (guint i = 0; i < n; i++)
      {
        JsonNode *it = json_array_get_element (json_node_get_array (input), i);
        JsonObject *item = JSON_NODE_HOLDS_OBJECT (it) ? json_node_get_object (it) : NULL;
        const char *type = obj_string (item, "type");
        const char *role = obj_string (item, "role");
        gint64 before = self->tokens;

        if (item == NULL)
          continue;
        if (type == NULL && role != NULL)
          type = "message";
        if (type == NULL)
          type = "";

        if (g_str_equal (type, "message") && (g_strcmp0 (role, "system") == 0 || g_strcmp0 (role, "developer") == 0))
          {
            g_autofree char *to_free = NULL;
            const char *text = content_text (json_object_get_member (item, "content"), &to_free);

            walk_string (self, role);
            walk_chat_content (self, json_object_get_member (item, "content"));
            if (text != NULL && head->len < 400)
              g_string_append_len (head, text, MIN (strlen (text), 400));
            if (!system_done)
              {
                self->features.system_tokens = self->tokens - self->features.tools_tokens;
                self->features.system_hash = self->hash;
                add_mark (self, PM_SECTION_SYSTEM, i, NULL);
                continue;
              }
            add_mark (self, PM_SECTION_MESSAGES, i, NULL);
            continue;
          }
        if (!system_done)
          {
            system_done = TRUE;
            if (self->features.system_tokens == 0)
              {
                self->features.system_tokens = self->tokens - self->features.tools_tokens;
                self->features.system_hash = self->hash;
              }
            add_mark (self, PM_SECTION_SYSTEM, i, NULL);
          }

        self->features.n_messages++;
        walk_string (self, type);

        if (g_str_equal (type, "message"))
          {
            JsonNode *content = json_object_get_member (item, "content");
            g_autofree char *to_free = NULL;
            const char *text = content_text (content, &to_free);

            walk_string (self, role);
            walk_chat_content (self, content);
            if (g_strcmp0 (role, "user") == 0)
              {
                self->last_is_tool = FALSE;
                if (text != NULL && !is_reminder (text) && !g_str_has_prefix (text, "<environment_context>") &&
                    !g_str_has_prefix (text, "<user_instructions>") && !g_str_has_prefix (text, "# AGENTS.md"))
                  {
                    self->features.n_user_turns++;
                    self->last_real_user = i;
                    if (self->features.n_user_turns == 1)
                      self->features.first_user_hash = pm_hash_mix (FNV_OFFSET, g_str_hash (text));
                    self->last_user = it;
                  }
                self->features.last_turn_tokens = self->tokens - before;
              }
            else
              self->features.n_assistant_turns++;
          }
        else if (g_str_equal (type, "function_call") || g_str_equal (type, "custom_tool_call") ||
                 g_str_equal (type, "local_shell_call"))
          {
            const char *call_id = obj_string (item, "call_id");

            walk_node (self, it);
            record_tool_call (self, call_id, obj_string (item, "name"), NULL, obj_string (item, "arguments"));
            if (call_id != NULL)
              g_ptr_array_add (pending, (gpointer) call_id);
            self->last_is_tool = FALSE;
          }
        else if (g_str_equal (type, "function_call_output") || g_str_equal (type, "custom_tool_call_output") ||
                 g_str_equal (type, "local_shell_call_output"))
          {
            JsonNode *output = json_object_get_member (item, "output");
            const char *call_id = obj_string (item, "call_id");

            walk_string (self, call_id);
            walk_node (self, output);
            defer_tool_result (self, output, FALSE, call_id);
            if (!self->last_is_tool)
              self->features.last_turn_tokens = 0;
            self->last_is_tool = TRUE;
            self->last_user = it;
            self->features.last_turn_tokens += self->tokens - before;
            for (guint k = 0; call_id != NULL && k < pending->len; k++)
              if (g_str_equal (g_ptr_array_index (pending, k), call_id))
                {
                  g_ptr_array_remove_index (pending, k);
                  break;
                }
          }
        else if (g_str_equal (type, "reasoning"))
          {
            const char *enc = obj_string (item, "encrypted_content");

            walk_node (self, json_object_get_member (item, "summary"));
            if (enc != NULL)
              {
                self->hash = hash_bytes (self->hash, (const guchar *) enc, strnlen (enc, 4096));
                self->has_thinking = TRUE;
                if (i > self->last_real_user || self->last_real_user == G_MAXUINT)
                  self->features.thinking_in_turn = TRUE;
              }
          }
        else if (g_str_equal (type, "compaction_trigger") || g_str_equal (type, "compaction"))
          {
            walk_node (self, it);
            self->kind = PM_KIND_COMPACTION;
            self->features.kind_reason = "compaction item in input";
          }
        else
          walk_node (self, it);

        self->tokens += MESSAGE_OVERHEAD;
        add_mark (self, PM_SECTION_MESSAGES, i, NULL);
      }
    if (!system_done)
      {
        self->features.system_tokens = self->tokens - self->features.tools_tokens;
        self->features.system_hash = self->hash;
        add_mark (self, PM_SECTION_SYSTEM, 0, NULL);
      }
  }
  /* Calls still without output at the end are answered by the client next time. Calls
   * without output followed by other messages are orphans. */
  (void) pending;

  self->system_head = g_string_free (head, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Agent, session, kind, step                                                                  */

static const char *
header (PmRequest  *self,
        const char *name)
{
  return self->headers != NULL ? g_hash_table_lookup (self->headers, name) : NULL;
}

static void
detect_agent (PmRequest *self)
{
  const char *ua = header (self, "user-agent");
  const char *head = self->system_head;

  if (header (self, "x-claude-code-session-id") != NULL ||
      header (self, "x-claude-code-agent-id") != NULL ||
      (ua != NULL && g_str_has_prefix (ua, "claude-cli/")) ||
      g_strcmp0 (header (self, "x-app"), "cli") == 0)
    {
      self->agent = PM_AGENT_CLAUDE_CODE;
      self->features.agent_reason = "Claude Code headers";
      return;
    }
  if ((ua != NULL && contains_ci (ua, "codex", 256)) ||
      (header (self, "originator") != NULL && contains_ci (header (self, "originator"), "codex", 64)) ||
      header (self, "x-codex-turn-metadata") != NULL || header (self, "x-openai-subagent") != NULL ||
      header (self, "x-codex-window-id") != NULL)
    {
      self->agent = PM_AGENT_CODEX;
      self->features.agent_reason = "Codex headers";
      return;
    }
  if (ua != NULL && contains_ci (ua, "opencode", 256))
    {
      self->agent = PM_AGENT_OPENCODE;
      self->features.agent_reason = "OpenCode user agent";
      return;
    }
  if (ua != NULL && contains_ci (ua, "aider", 256))
    {
      self->agent = PM_AGENT_AIDER;
      self->features.agent_reason = "Aider user agent";
      return;
    }
  if (ua != NULL && (contains_ci (ua, "GeminiCLI", 256) || contains_ci (ua, "gemini-cli", 256)))
    {
      self->agent = PM_AGENT_GEMINI_CLI;
      self->features.agent_reason = "Gemini CLI user agent";
      return;
    }
  if (ua != NULL && (contains_ci (ua, "QwenCode", 256) || contains_ci (ua, "qwen-code", 256)))
    {
      self->agent = PM_AGENT_QWEN_CODE;
      self->features.agent_reason = "Qwen Code user agent";
      return;
    }

  /* Payload */
  if (self->features.agent_reason != NULL)   /* billing header seen in system */
    {
      self->agent = PM_AGENT_CLAUDE_CODE;
      return;
    }
  if (head != NULL && (strstr (head, "You are Claude Code") != NULL ||
                       strstr (head, "agent for Claude Code") != NULL ||
                       strstr (head, "Claude Agent SDK") != NULL))
    {
      self->agent = PM_AGENT_CLAUDE_CODE;
      self->features.agent_reason = "Claude Code system prompt";
      return;
    }
  {
    JsonObject *body = JSON_NODE_HOLDS_OBJECT (self->body) ? json_node_get_object (self->body) : NULL;
    const char *user_id = obj_string (obj_object (body, "metadata"), "user_id");

    if (user_id != NULL && (strstr (user_id, "_session_") != NULL || strstr (user_id, "\"session_id\"") != NULL))
      {
        self->agent = PM_AGENT_CLAUDE_CODE;
        self->features.agent_reason = "Claude Code metadata.user_id";
        return;
      }
  }
  if (head != NULL && (contains_ci (head, "You are Codex", 400) || contains_ci (head, "You are a coding agent running in the Codex CLI", 400)))
    {
      self->agent = PM_AGENT_CODEX;
      self->features.agent_reason = "Codex instructions";
      return;
    }
  if (head != NULL && contains_ci (head, "You are opencode", 400))
    {
      self->agent = PM_AGENT_OPENCODE;
      self->features.agent_reason = "OpenCode system prompt";
      return;
    }
  if (head != NULL && (g_str_has_prefix (head, "Act as an expert software developer") ||
                       g_str_has_prefix (head, "Act as an expert code analyst") ||
                       contains_ci (head, "one-line Git commit messages", 400)))
    {
      self->agent = PM_AGENT_AIDER;
      self->features.agent_reason = "Aider system prompt";
      return;
    }
  if (head != NULL && contains_ci (head, "You are an interactive CLI agent", 400))
    {
      self->agent = PM_AGENT_GEMINI_CLI;
      self->features.agent_reason = "Gemini/Qwen CLI system prompt";
      return;
    }

  self->agent = PM_AGENT_OTHER;
  self->features.agent_reason = "no agent markers";
}

/* Session id from the legacy "user_…_account_…_session_<uuid>" or the JSON string form. */
static char *
session_from_user_id (const char *user_id)
{
  const char *p;

  if (user_id == NULL)
    return NULL;

  if ((p = strstr (user_id, "_session_")) != NULL && p[9] != '\0')
    return g_strdup (p + 9);

  if (user_id[0] == '{')
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (pm_guard_json_single_value (user_id, strlen (user_id)) &&
          json_parser_load_from_data (parser, user_id, -1, NULL) &&
          json_parser_get_root (parser) != NULL &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          const char *sid = obj_string (json_node_get_object (json_parser_get_root (parser)), "session_id");

          if (sid != NULL && *sid != '\0')
            return g_strdup (sid);
        }
    }

  return NULL;
}

static char *
session_from_codex_metadata (const char *value)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (value == NULL || !pm_guard_json_single_value (value, strlen (value)) ||
      !json_parser_load_from_data (parser, value, -1, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  return g_strdup (obj_string (json_node_get_object (json_parser_get_root (parser)), "session_id"));
}

static void
detect_session (PmRequest *self)
{
  JsonObject *body = JSON_NODE_HOLDS_OBJECT (self->body) ? json_node_get_object (self->body) : NULL;
  const char *value;
  char *sid = NULL;

  if ((value = header (self, "x-claude-code-session-id")) != NULL && *value != '\0')
    {
      sid = g_strdup (value);
      self->features.session_source = "x-claude-code-session-id";
    }
  else if ((value = header (self, "session-id")) != NULL && *value != '\0')
    {
      sid = g_strdup (value);
      self->features.session_source = "session-id";
    }
  else if ((value = header (self, "session_id")) != NULL && *value != '\0')
    {
      sid = g_strdup (value);
      self->features.session_source = "session_id";
    }
  else if ((sid = session_from_codex_metadata (header (self, "x-codex-turn-metadata"))) != NULL)
    self->features.session_source = "x-codex-turn-metadata";
  else if ((value = header (self, "x-session-id")) != NULL && *value != '\0')
    {
      sid = g_strdup (value);
      self->features.session_source = "x-session-id";
    }
  else if ((sid = session_from_user_id (obj_string (obj_object (body, "metadata"), "user_id"))) != NULL)
    self->features.session_source = "metadata.user_id";
  else if ((value = obj_string (body, "prompt_cache_key")) != NULL && *value != '\0')
    {
      sid = g_strdup (value);
      self->features.session_source = "prompt_cache_key";
    }
  else
    {
      guint64 h = pm_hash_mix (self->features.system_hash, self->features.first_user_hash);

      sid = g_strdup_printf ("h-%016" G_GINT64_MODIFIER "x", h);
      self->features.session_source = "hash of system and first user message";
    }

  /* Sub-agents get their own session (and cache) under the parent's. */
  if (self->kind == PM_KIND_SUBAGENT)
    {
      const char *agent_id = header (self, "x-claude-code-agent-id");
      const char *codex_sub = header (self, "x-openai-subagent");
      const char *thread = header (self, "thread-id");
      guint64 h = pm_hash_mix (self->features.system_hash, self->features.first_user_hash);

      self->parent_session_id = sid;
      if (agent_id != NULL)
        sid = g_strdup_printf ("%s/agent-%s", self->parent_session_id, agent_id);
      else if (codex_sub != NULL && thread != NULL)
        sid = g_strdup_printf ("%s/%s-%s", self->parent_session_id, codex_sub, thread);
      else
        sid = g_strdup_printf ("%s/sub-%08x", self->parent_session_id, (guint) (h & 0xffffffff));
    }
  else if (self->kind == PM_KIND_BACKGROUND || self->kind == PM_KIND_COMPACTION)
    {
      /* Background calls have their own prefixes; keep them apart from the main chain. */
      self->parent_session_id = sid;
      sid = g_strdup_printf ("%s/%s", self->parent_session_id, pm_kind_to_string (self->kind));
    }

  self->session_id = sid;
}

static gboolean
model_is_small_tier (const char *model)
{
  return model != NULL && (strstr (model, "haiku") != NULL || strstr (model, "-nano") != NULL ||
                           strstr (model, "flash-lite") != NULL);
}

static void
detect_kind (PmRequest *self)
{
  const char *head = self->system_head;
  const char *sub = header (self, "x-openai-subagent");
  g_autofree char *to_free = NULL;
  const char *last_text = NULL;

  if (self->last_user != NULL)
    {
      JsonNode *n = self->last_user;

      if (JSON_NODE_HOLDS_OBJECT (n))
        last_text = content_text (json_object_get_member (json_node_get_object (n), "content"), &to_free);
      else if (JSON_NODE_HOLDS_VALUE (n))
        last_text = json_node_get_string (n);
    }

  if (self->kind == PM_KIND_COMPACTION)
    return;

  if (sub != NULL)
    {
      if (g_str_equal (sub, "compact"))
        {
          self->kind = PM_KIND_COMPACTION;
          self->features.kind_reason = "x-openai-subagent: compact";
        }
      else if (g_str_equal (sub, "memory_consolidation"))
        {
          self->kind = PM_KIND_BACKGROUND;
          self->features.kind_reason = "x-openai-subagent: memory_consolidation";
        }
      else
        {
          self->kind = PM_KIND_SUBAGENT;
          self->features.kind_reason = "x-openai-subagent header";
        }
      return;
    }

  if (last_text != NULL && !self->last_is_tool &&
      (strstr (last_text, "Your task is to create a detailed summary of the conversation so far") != NULL ||
       strstr (last_text, "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.") != NULL))
    {
      self->kind = PM_KIND_COMPACTION;
      self->features.kind_reason = "compaction prompt";
      return;
    }

  if ((head != NULL && contains_ci (head, "Generate a concise, sentence-case title", 400)) ||
      (last_text != NULL && has_prefix_ci (last_text, "Generate a concise, sentence-case title")))
    {
      self->kind = PM_KIND_BACKGROUND;
      self->features.kind_reason = "title request";
      return;
    }
  if ((head != NULL && contains_ci (head, "new conversation topic", 400)) ||
      (head != NULL && contains_ci (head, "one-line Git commit messages", 400)))
    {
      self->kind = PM_KIND_BACKGROUND;
      self->features.kind_reason = head != NULL && contains_ci (head, "commit", 400) ? "commit message" : "topic detection";
      return;
    }
  if (last_text != NULL && self->features.n_messages == 1 && g_str_equal (last_text, "Warmup"))
    {
      self->kind = PM_KIND_BACKGROUND;
      self->features.kind_reason = "warm-up request";
      return;
    }
  if (self->max_output == 1 && self->features.n_messages <= 2)
    {
      self->kind = PM_KIND_BACKGROUND;
      self->features.kind_reason = "quota probe (max_tokens 1)";
      return;
    }
  if (self->agent == PM_AGENT_CLAUDE_CODE && model_is_small_tier (self->model) && self->features.n_tools == 0)
    {
      self->kind = PM_KIND_BACKGROUND;
      self->features.kind_reason = "haiku-tier model without tools";
      return;
    }

  if (header (self, "x-claude-code-agent-id") != NULL || header (self, "x-claude-code-parent-agent-id") != NULL)
    {
      self->kind = PM_KIND_SUBAGENT;
      self->features.kind_reason = "x-claude-code-agent-id header";
      return;
    }
  if (head != NULL && (strstr (head, "You are an agent for Claude Code") != NULL ||
                       strstr (head, "cc_is_subagent=true") != NULL))
    {
      self->kind = PM_KIND_SUBAGENT;
      self->features.kind_reason = "sub-agent system prompt";
      return;
    }

  self->kind = PM_KIND_MAIN;
  self->features.kind_reason = "main agent step";
}

static void
detect_step (PmRequest *self)
{
  static const char *think_cues[] = {
    "ultrathink", "think harder", "think hard", "think deeply", "think carefully",
    "megathink", "think step by step", "think it through", "think about it",
  };
  static const char *plan_cues[] = {
    "plan ", "plan.", "plan:", "a plan", "design ", "architecture", "approach", "strategy",
    "propose", "how should we", "how would you", "trade-off", "tradeoff", "refactor",
  };
  static const char *correction_cues[] = {
    "that's wrong", "that is wrong", "not what i", "doesn't work", "does not work",
    "didn't work", "still fail", "still broken", "still not", "wrong again", "you broke",
    "revert", "undo that", "no, ", "no. ", "stop ",
  };
  g_autofree char *to_free = NULL;
  const char *text = NULL;
  gboolean acted;

  if (self->last_user != NULL && !self->last_is_tool)
    {
      JsonNode *n = self->last_user;

      if (JSON_NODE_HOLDS_OBJECT (n))
        text = content_text (json_object_get_member (json_node_get_object (n), "content"), &to_free);
      else if (JSON_NODE_HOLDS_VALUE (n))
        text = json_node_get_string (n);
    }

  /* A correction or an interrupt needs something the agent did: in a session's first
   * instruction "doesn't work" or a quoted traceback is a bug report, a new task, not trouble
   * in this session (the evaluation found 65 of 350 SWE-bench issue texts pinned to the
   * strongest model that way). Escalation comes from in-session evidence only. */
  acted = self->features.n_assistant_turns > 0;

  if (text != NULL && acted)
    {
      if (strstr (text, "[Request interrupted by user") != NULL)
        self->features.interrupted = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (correction_cues); i++)
        if (has_prefix_ci (text, correction_cues[i]) || contains_ci (text, correction_cues[i], 2000))
          {
            if (i >= G_N_ELEMENTS (correction_cues) - 3 && !has_prefix_ci (text, correction_cues[i]))
              continue;   /* "no, " and "stop " only count at the start */
            self->features.user_correction = TRUE;
            break;
          }
    }

  if (text != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (think_cues); i++)
        if (contains_ci (text, think_cues[i], 8000))
          {
            self->features.think_cue = TRUE;
            break;
          }
      for (guint i = 0; i < G_N_ELEMENTS (plan_cues); i++)
        if (contains_ci (text, plan_cues[i], 8000))
          {
            self->features.planning_cue = TRUE;
            break;
          }
    }

  /* Repeated tool call: the newest call already appeared before in the history. */
  if (self->call_hashes->len > 1)
    {
      for (guint i = 0; i + 1 < self->call_hashes->len; i++)
        if (g_array_index (self->call_hashes, guint64, i) == self->last_call_hash)
          self->features.repeated_call++;
    }

  if (self->last_is_tool)
    {
      if (self->features.tail_tool_errors > 0)
        self->step = PM_STEP_ERROR_RECOVERY;
      else
        self->step = PM_STEP_TOOL_RESULT;
    }
  else if (text != NULL)
    {
      if (self->features.think_cue)
        self->step = PM_STEP_THINK;
      else if (self->features.planning_cue)
        self->step = PM_STEP_PLANNING;
      else if (self->features.user_correction || self->features.interrupted ||
               (acted && strstr (text, "Traceback (most recent call last)") != NULL))
        self->step = PM_STEP_ERROR_RECOVERY;
      else
        self->step = PM_STEP_INSTRUCTION;
    }
  else
    self->step = PM_STEP_CONTINUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Construction                                                                                */

static JsonNode *build_features_json (PmRequest *self);

static void
pm_request_free (PmRequest *self)
{
  g_clear_pointer (&self->headers, g_hash_table_unref);
  g_clear_pointer (&self->body, json_node_unref);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->session_id, g_free);
  g_clear_pointer (&self->parent_session_id, g_free);
  g_clear_pointer (&self->marks, g_array_unref);
  g_clear_pointer (&self->call_hashes, g_array_unref);
  g_clear_pointer (&self->results, g_array_unref);
  g_clear_pointer (&self->call_names, g_hash_table_unref);
  g_clear_pointer (&self->features_json, json_node_unref);
  g_clear_pointer (&self->system_head, g_free);
  g_free (self);
}

PmRequest *
pm_request_new (PmApi        api,
                GHashTable  *headers,
                JsonNode    *body,
                GError     **error)
{
  return pm_request_new_for_path (api, NULL, headers, body, error);
}

/* Codex CLI compacts a conversation by POSTing the history to /responses/compact; nothing in
 * the body says so. */
static gboolean
is_compaction_path (const char *path)
{
  g_autofree char *bare = NULL;
  const char *q;

  if (path == NULL)
    return FALSE;
  q = strchr (path, '?');
  bare = q != NULL ? g_strndup (path, q - path) : g_strdup (path);
  while (*bare != '\0' && bare[strlen (bare) - 1] == '/')
    bare[strlen (bare) - 1] = '\0';

  return g_str_has_suffix (bare, "/responses/compact");
}

PmRequest *
pm_request_new_for_path (PmApi        api,
                         const char  *path,
                         GHashTable  *headers,
                         JsonNode    *body,
                         GError     **error)
{
  PmRequest *self;
  JsonObject *object;
  const char *model;

  g_return_val_if_fail (api < PM_API_LAST, NULL);
  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                           "request body must be a JSON object");
      return NULL;
    }
  object = json_node_get_object (body);

  self = g_new0 (PmRequest, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->api = api;
  self->headers = headers != NULL ? g_hash_table_ref (headers)
                                  : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->body = json_node_ref (body);
  self->marks = g_array_sized_new (FALSE, FALSE, sizeof (PmPrefixMark), 64);
  self->call_hashes = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->results = g_array_new (FALSE, FALSE, sizeof (ToolResult));
  self->hash = FNV_OFFSET;
  self->last_real_user = G_MAXUINT;

  model = obj_string (object, "model");
  self->model = g_strdup (model != NULL ? model : "");
  self->stream = obj_bool (object, "stream");

  switch (api)
    {
    case PM_API_ANTHROPIC:
      if (obj_array (object, "messages") == NULL)
        {
          g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                               "messages: field required (an array)");
          pm_request_free (self);
          return NULL;
        }
      parse_anthropic (self, object);
      break;
    case PM_API_OPENAI_CHAT:
      if (obj_array (object, "messages") == NULL)
        {
          g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                               "messages: field required (an array)");
          pm_request_free (self);
          return NULL;
        }
      parse_openai_chat (self, object);
      break;
    case PM_API_OPENAI_RESPONSES:
      if (!json_object_has_member (object, "input") && !json_object_has_member (object, "previous_response_id"))
        {
          g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                               "input: field required");
          pm_request_free (self);
          return NULL;
        }
      parse_openai_responses (self, object);
      break;
    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }

  finish_tool_results (self);
  self->input_tokens = self->tokens;
  self->features.messages_tokens = self->tokens - self->features.tools_tokens - self->features.system_tokens;
  self->has_tools = self->features.n_tools > 0;
  self->has_images = self->features.image_count > 0;

  detect_agent (self);
  if (is_compaction_path (path))
    {
      self->kind = PM_KIND_COMPACTION;
      self->features.kind_reason = "compaction endpoint (/responses/compact)";
    }
  detect_kind (self);
  detect_step (self);
  detect_session (self);

  /* The features' JSON is built when an explanation first asks for it
   * (pm_request_features_to_json), after the request went upstream. */
  return self;
}

PmRequest *
pm_request_new_from_bytes (PmApi        api,
                           GHashTable  *headers,
                           GBytes      *body,
                           GError     **error)
{
  return pm_request_new_from_bytes_for_path (api, NULL, headers, body, error);
}

PmRequest *
pm_request_new_from_bytes_for_path (PmApi        api,
                                    const char  *path,
                                    GHashTable  *headers,
                                    GBytes      *body,
                                    GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  gsize size = 0;
  const char *data;

  g_return_val_if_fail (body != NULL, NULL);

  data = g_bytes_get_data (body, &size);
  /* The hot path: strict JSON in one pass (bench/run-all: ~1/3 to 1/5 of JsonParser's time on
   * a 640 kB body). Anything it declines goes through json-glib, which also words the error. */
  root = pm_json_fast_parse (data, size);
  if (root != NULL)
    return pm_request_new_for_path (api, path, headers, root, error);

  parser = json_parser_new_immutable ();
  /* json-glib 1.6 accepts some truncated texts ("{ ") with no root at all, and two values in
   * one text ("4 {…}"), keeping the last and leaking the first. */
  if (size == 0 || !pm_guard_json_single_value (data, size))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "request body is not valid JSON: %s", size == 0 ? "empty body" : "more than one value");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, size, &local_error) ||
      json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST,
                   "request body is not valid JSON: %s",
                   local_error != NULL ? local_error->message : size == 0 ? "empty body" : "no value");
      return NULL;
    }

  return pm_request_new_for_path (api, path, headers, json_parser_get_root (parser), error);
}

PmRequest *
pm_request_ref (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pm_request_unref (PmRequest *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    pm_request_free (self);
}

/* ------------------------------------------------------------------------------------------ */
/* Getters                                                                                     */

PmApi
pm_request_get_api (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, PM_API_ANTHROPIC);
  return self->api;
}

GHashTable *
pm_request_get_headers (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->headers;
}

JsonNode *
pm_request_get_body (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->body;
}

const char *
pm_request_get_header (PmRequest  *self,
                       const char *lower_name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (lower_name != NULL, NULL);
  return header (self, lower_name);
}

const char *
pm_request_get_model (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->model;
}

PmEffort
pm_request_get_effort (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, PM_EFFORT_UNSET);
  return self->effort;
}

gboolean
pm_request_get_stream (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->stream;
}

PmAgent
pm_request_get_agent (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, PM_AGENT_OTHER);
  return self->agent;
}

const char *
pm_request_get_session_id (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, "");
  return self->session_id;
}

const char *
pm_request_get_parent_session_id (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->parent_session_id;
}

PmKind
pm_request_get_kind (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, PM_KIND_MAIN);
  return self->kind;
}

PmStep
pm_request_get_step (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, PM_STEP_CONTINUE);
  return self->step;
}

gint64
pm_request_get_input_tokens (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->input_tokens;
}

gint64
pm_request_get_max_output (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->max_output;
}

gboolean
pm_request_has_tools (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_tools;
}

gboolean
pm_request_has_images (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_images;
}

gboolean
pm_request_has_thinking_blocks (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_thinking;
}

char *
pm_request_dup_last_user_text (PmRequest *self)
{
  g_autofree char *to_free = NULL;
  const char *text = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->last_user == NULL || self->last_is_tool)
    return NULL;
  if (JSON_NODE_HOLDS_OBJECT (self->last_user))
    text = content_text (json_object_get_member (json_node_get_object (self->last_user), "content"), &to_free);
  else if (JSON_NODE_HOLDS_VALUE (self->last_user))
    text = json_node_get_string (self->last_user);

  if (to_free != NULL)
    return g_steal_pointer (&to_free);

  return g_strdup (text);
}

const PmRequestFeatures *
pm_request_get_features (PmRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->features;
}

const PmPrefixMark *
pm_request_get_marks (PmRequest *self,
                      guint     *n_marks)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (n_marks != NULL)
    *n_marks = self->marks->len;

  return (const PmPrefixMark *) (gpointer) self->marks->data;
}

static JsonNode *
build_features_json (PmRequest *self)
{
  JsonObject *o = json_object_new ();
  JsonArray *cues = json_array_new ();
  JsonNode *node;
  const PmRequestFeatures *f;

  f = &self->features;
  json_object_set_string_member (o, "api", pm_api_to_string (self->api));
  json_object_set_string_member (o, "model", self->model);
  json_object_set_string_member (o, "effort", pm_effort_to_string (self->effort));
  json_object_set_boolean_member (o, "stream", self->stream);
  json_object_set_string_member (o, "agent", pm_agent_to_string (self->agent));
  json_object_set_string_member (o, "agent_reason", f->agent_reason);
  json_object_set_string_member (o, "session", self->session_id);
  json_object_set_string_member (o, "session_source", f->session_source);
  if (self->parent_session_id != NULL)
    {
      json_object_set_string_member (o, "parent_session", self->parent_session_id);
    }
  json_object_set_string_member (o, "kind", pm_kind_to_string (self->kind));
  json_object_set_string_member (o, "kind_reason", f->kind_reason);
  json_object_set_string_member (o, "step", pm_step_to_string (self->step));
  json_object_set_int_member (o, "input_tokens", self->input_tokens);
  json_object_set_int_member (o, "tools_tokens", f->tools_tokens);
  json_object_set_int_member (o, "system_tokens", f->system_tokens);
  json_object_set_int_member (o, "messages_tokens", f->messages_tokens);
  json_object_set_int_member (o, "last_turn_tokens", f->last_turn_tokens);
  json_object_set_int_member (o, "max_output", self->max_output);
  json_object_set_int_member (o, "messages", f->n_messages);
  json_object_set_int_member (o, "user_turns", f->n_user_turns);
  json_object_set_int_member (o, "tools", f->n_tools);
  json_object_set_int_member (o, "images", f->image_count);
  json_object_set_int_member (o, "tool_results", f->n_tool_results);
  json_object_set_int_member (o, "tool_errors", f->n_tool_errors);
  json_object_set_int_member (o, "tail_tool_errors", f->tail_tool_errors);
  json_object_set_int_member (o, "repeated_call", f->repeated_call);
  json_object_set_int_member (o, "cache_breakpoints", f->breakpoints);
  json_object_set_boolean_member (o, "thinking_blocks", self->has_thinking);
  json_object_set_boolean_member (o, "thinking_in_turn", f->thinking_in_turn);
  json_object_set_boolean_member (o, "orphan_tool_use", f->orphan_tool_use);
  if (f->stack_trace)
    json_array_add_string_element (cues, "stack-trace");
  if (f->failing_tests)
    json_array_add_string_element (cues, "failing-tests");
  if (f->nonzero_exit)
    json_array_add_string_element (cues, "non-zero-exit");
  if (f->think_cue)
    json_array_add_string_element (cues, "think");
  if (f->planning_cue)
    json_array_add_string_element (cues, "planning");
  if (f->user_correction)
    json_array_add_string_element (cues, "user-correction");
  if (f->interrupted)
    json_array_add_string_element (cues, "interrupted");
  if (f->web_search)
    json_array_add_string_element (cues, "web-search");
  json_object_set_array_member (o, "cues", cues);

  node = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  return node;
}

JsonNode *
pm_request_features_to_json (PmRequest *self)
{
  JsonNode *node;

  g_return_val_if_fail (self != NULL, NULL);

  /* Built once per request, on first use (explanations include it on every decision, from
   * whichever thread explains); the object inside is sealed, so sharing it is safe. Two threads
   * asking at once may both build it: one keeps its copy. */
  node = g_atomic_pointer_get (&self->features_json);
  if (node == NULL)
    {
      JsonNode *built = build_features_json (self);

      json_node_seal (built);
      if (g_atomic_pointer_compare_and_exchange (&self->features_json, NULL, built))
        node = built;
      else
        {
          json_node_unref (built);
          node = g_atomic_pointer_get (&self->features_json);
        }
    }

  return json_node_copy (node);
}
