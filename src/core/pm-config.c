/* pm-config.c — the configuration file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-config"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <gio/gio.h>

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-gateway.h"
#include "pm-guard.h"
#include "pm-objective.h"

#define DEFAULT_HOST            "127.0.0.1"
#define DEFAULT_PORT            8787
#define DEFAULT_MAX_BODY        (32 * 1024 * 1024)
#define DEFAULT_CONNECT_TIMEOUT 300
#define DEFAULT_IDLE_TIMEOUT    300
#define MAX_BODY_LIMIT          ((gint64)1024 * 1024 * 1024)

struct _PmConfig
{
  GObject      parent_instance;

  char        *path;
  char        *listen_host;
  guint        listen_port;
  char        *database;           /* expanded, absolute */
  char        *database_written;   /* as written in the file (may start with ~) */
  char        *default_model;
  gsize        max_body;
  gboolean     listen_token;       /* require the local access token */
  gsize        max_header_bytes;
  guint        max_depth;
  guint        max_streams;
  guint        connect_timeout;
  guint        idle_timeout;
  gboolean     store_prompts;
  PmObjective *objective;
  GPtrArray   *providers;          /* PmProviderConfig* */
  GPtrArray   *models;             /* PmModelConfig* */
  JsonObject  *extra;              /* unknown top-level members, kept for saving */
  char        *error_name;         /* the file name used in messages */
  GHashTable  *lines;              /* member path → line, from the last load (may be NULL) */
};

G_DEFINE_FINAL_TYPE (PmConfig, pm_config, G_TYPE_OBJECT)

static const char * const provider_members[] = {
  "id", "api", "base_url", "key", "preset", "headers", "model_names", NULL
};
static const char * const model_members[] = { "id", "provider", "upstream_name", "enabled", NULL };
static const char * const listen_members[] = { "host", "port", "token", NULL };
static const char * const limits_members[] = {
  "max_body_bytes", "connect_timeout", "idle_timeout", "max_header_bytes", "max_depth",
  "max_streams", NULL
};

/* Presets fill api and base_url when a provider leaves them out (PROTOCOLS.md §4). */
static const struct
{
  const char *name;
  PmApi       api;
  const char *base_url;
  const char *key;
} presets[] = {
  { "anthropic",  PM_API_ANTHROPIC,        "https://api.anthropic.com",                                "keyring" },
  { "deepseek",   PM_API_OPENAI_CHAT,      "https://api.deepseek.com",                                 "keyring" },
  { "gemini",     PM_API_OPENAI_CHAT,      "https://generativelanguage.googleapis.com/v1beta/openai", "keyring" },
  { "kimi",       PM_API_ANTHROPIC,        "https://api.moonshot.cn/anthropic",                        "keyring" },
  { "litellm",    PM_API_OPENAI_CHAT,      "http://127.0.0.1:4000/v1",                                 "keyring" },
  { "ollama",     PM_API_OPENAI_CHAT,      "http://127.0.0.1:11434/v1",                                "none" },
  { "openai",     PM_API_OPENAI_RESPONSES, "https://api.openai.com/v1",                                "keyring" },
  { "openrouter", PM_API_OPENAI_CHAT,      "https://openrouter.ai/api/v1",                             "keyring" },
  { "portkey",    PM_API_OPENAI_CHAT,      "https://api.portkey.ai/v1",                                "keyring" },
  { "zai",        PM_API_ANTHROPIC,        "https://api.z.ai/api/anthropic",                           "keyring" },
};

static void
pm_provider_config_free (PmProviderConfig *provider)
{
  if (provider == NULL)
    return;

  g_free (provider->id);
  g_free (provider->base_url);
  g_free (provider->key);
  g_free (provider->preset);
  g_clear_pointer (&provider->headers, g_hash_table_unref);
  g_clear_pointer (&provider->model_names, g_hash_table_unref);
  g_free (provider);
}

static PmProviderConfig *
pm_provider_config_new (void)
{
  PmProviderConfig *provider = g_new0 (PmProviderConfig, 1);

  provider->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  provider->model_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return provider;
}

static void
copy_string_table (GHashTable *dest,
                   GHashTable *src)
{
  GHashTableIter iter;
  gpointer key, value;

  if (src == NULL)
    return;

  g_hash_table_iter_init (&iter, src);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (dest, g_strdup (key), g_strdup (value));
}

static PmProviderConfig *
pm_provider_config_copy (const PmProviderConfig *src)
{
  PmProviderConfig *provider = pm_provider_config_new ();

  provider->id = g_strdup (src->id);
  provider->api = src->api;
  provider->base_url = g_strdup (src->base_url);
  provider->key = g_strdup (src->key ? src->key : "keyring");
  provider->preset = g_strdup (src->preset);
  copy_string_table (provider->headers, src->headers);
  copy_string_table (provider->model_names, src->model_names);
  return provider;
}

static void
pm_model_config_free (PmModelConfig *model)
{
  if (model == NULL)
    return;

  g_free (model->id);
  g_free (model->provider);
  g_free (model->upstream_name);
  g_free (model);
}

static void
pm_config_finalize (GObject *object)
{
  PmConfig *self = (PmConfig *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->listen_host, g_free);
  g_clear_pointer (&self->database, g_free);
  g_clear_pointer (&self->database_written, g_free);
  g_clear_pointer (&self->default_model, g_free);
  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_pointer (&self->extra, json_object_unref);
  g_clear_pointer (&self->error_name, g_free);
  g_clear_pointer (&self->lines, g_hash_table_unref);

  G_OBJECT_CLASS (pm_config_parent_class)->finalize (object);
}

static void
pm_config_dispose (GObject *object)
{
  PmConfig *self = (PmConfig *)object;

  g_clear_object (&self->objective);

  G_OBJECT_CLASS (pm_config_parent_class)->dispose (object);
}

static void
pm_config_class_init (PmConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_config_dispose;
  object_class->finalize = pm_config_finalize;
}

/* "/home/me/x" → "~/x", so a written file reads naturally and survives a moved home. */
static char *
contract_home (const char *path)
{
  g_autofree char *home_prefix = g_strconcat (g_get_home_dir (), G_DIR_SEPARATOR_S, NULL);

  if (g_str_has_prefix (path, home_prefix))
    return g_strconcat ("~/", path + strlen (home_prefix), NULL);
  return g_strdup (path);
}

static void
pm_config_init (PmConfig *self)
{
  self->listen_host = g_strdup (DEFAULT_HOST);
  self->listen_port = DEFAULT_PORT;
  self->max_body = DEFAULT_MAX_BODY;
  self->listen_token = FALSE;
  self->max_header_bytes = PM_GUARD_DEFAULT_MAX_HEADER_BYTES;
  self->max_depth = PM_GUARD_DEFAULT_MAX_DEPTH;
  self->max_streams = PM_GUARD_DEFAULT_MAX_STREAMS;
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  self->store_prompts = FALSE;
  self->objective = pm_objective_new ();
  self->providers = g_ptr_array_new_with_free_func ((GDestroyNotify)pm_provider_config_free);
  self->models = g_ptr_array_new_with_free_func ((GDestroyNotify)pm_model_config_free);
  self->extra = json_object_new ();
  self->database = g_build_filename (g_get_user_data_dir (), "pointsman", "requests.db", NULL);
  self->database_written = contract_home (self->database);
}

/* ------------------------------------------------------------------------------------------ */
/* Line numbers: json-glib reports lines for syntax errors only, so after a successful parse we
 * walk the (now known to be valid) text once and record the line of every member and array
 * element by its path ("providers[1].api"). */

typedef struct
{
  const char *p;
  const char *end;
  int         line;
  int         depth;
  GHashTable *lines;   /* path → GINT_TO_POINTER (line) */
} LineScan;

static void scan_value (LineScan *scan,
                        GString  *path);

static void
scan_skip_space (LineScan *scan)
{
  while (scan->p < scan->end)
    {
      char c = *scan->p;

      if (c == '\n')
        scan->line++;
      else if (c != ' ' && c != '\t' && c != '\r')
        return;
      scan->p++;
    }
}

/* At an opening quote: skips the string, returning its raw contents in key (may be NULL). */
static void
scan_string (LineScan *scan,
             GString  *key)
{
  g_assert (*scan->p == '"');

  scan->p++;
  while (scan->p < scan->end && *scan->p != '"')
    {
      if (*scan->p == '\\' && scan->p + 1 < scan->end)
        {
          if (key != NULL)
            g_string_append_c (key, scan->p[1]);
          scan->p += 2;
          continue;
        }
      if (*scan->p == '\n')
        scan->line++;
      if (key != NULL)
        g_string_append_c (key, *scan->p);
      scan->p++;
    }
  if (scan->p < scan->end)
    scan->p++;
}

static void
scan_object (LineScan *scan,
             GString  *path)
{
  gsize path_len = path->len;

  scan->p++;   /* { */
  for (;;)
    {
      g_autoptr(GString) key = g_string_new (NULL);

      scan_skip_space (scan);
      if (scan->p >= scan->end)
        return;
      if (*scan->p == '}')
        {
          scan->p++;
          return;
        }
      if (*scan->p == ',')
        {
          scan->p++;
          continue;
        }
      if (*scan->p != '"')
        return;   /* not valid JSON after all: stop recording */

      {
        int line = scan->line;

        scan_string (scan, key);
        if (path_len > 0)
          g_string_append_c (path, '.');
        g_string_append (path, key->str);
        g_hash_table_replace (scan->lines, g_strdup (path->str), GINT_TO_POINTER (line));
      }

      scan_skip_space (scan);
      if (scan->p < scan->end && *scan->p == ':')
        scan->p++;
      scan_value (scan, path);
      g_string_truncate (path, path_len);
    }
}

static void
scan_array (LineScan *scan,
            GString  *path)
{
  gsize path_len = path->len;
  guint index = 0;

  scan->p++;   /* [ */
  for (;;)
    {
      scan_skip_space (scan);
      if (scan->p >= scan->end)
        return;
      if (*scan->p == ']')
        {
          scan->p++;
          return;
        }
      if (*scan->p == ',')
        {
          scan->p++;
          continue;
        }

      g_string_append_printf (path, "[%u]", index++);
      g_hash_table_replace (scan->lines, g_strdup (path->str), GINT_TO_POINTER (scan->line));
      scan_value (scan, path);
      g_string_truncate (path, path_len);
    }
}

static void
scan_value (LineScan *scan,
            GString  *path)
{
  const char *before;

  scan_skip_space (scan);
  if (scan->p >= scan->end)
    return;

  if (scan->depth > 64)
    {
      /* Deeper than any configuration needs: skip without recording. */
      path = g_string_new (NULL);
    }

  scan->depth++;
  before = scan->p;
  switch (*scan->p)
    {
    case '{':
      scan_object (scan, path);
      break;
    case '[':
      scan_array (scan, path);
      break;
    case '"':
      scan_string (scan, NULL);
      break;
    default:
      while (scan->p < scan->end && strchr (",]} \t\r\n", *scan->p) == NULL)
        scan->p++;
      break;
    }
  if (scan->p == before)
    scan->p++;   /* never loop on garbage */
  scan->depth--;

  if (scan->depth > 64)
    g_string_free (path, TRUE);
}

static GHashTable *
scan_lines (const char *text,
            gsize       length)
{
  g_autoptr(GString) path = g_string_new (NULL);
  LineScan scan = { text, text + length, 1, 0, NULL };

  scan.lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  scan_value (&scan, path);
  return scan.lines;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading */

typedef struct
{
  const char *name;     /* for messages: the file name */
  GHashTable *lines;
} LoadContext;

static int
context_line (LoadContext *ctx,
              const char  *path)
{
  g_autofree char *walk = g_strdup (path);

  /* The path itself, else its closest recorded parent. */
  while (walk != NULL && *walk != '\0')
    {
      gpointer line;
      char *dot;
      char *bracket;
      char *cut;

      if (ctx->lines != NULL && g_hash_table_lookup_extended (ctx->lines, walk, NULL, &line))
        return GPOINTER_TO_INT (line);

      dot = strrchr (walk, '.');
      bracket = strrchr (walk, '[');
      cut = MAX (dot, bracket);
      if (cut == NULL)
        break;
      *cut = '\0';
    }

  return 0;
}

G_GNUC_PRINTF (4, 5)
static gboolean
config_error (LoadContext  *ctx,
              GError      **error,
              const char   *path,
              const char   *format,
              ...)
{
  g_autofree char *message = NULL;
  int line = context_line (ctx, path);
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (line > 0)
    g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s:%d: %s: %s", ctx->name, line, path, message);
  else
    g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s: %s: %s", ctx->name, path, message);

  return FALSE;
}

static const char *
node_kind (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    default:
      return "a number";
    }
}

/* Each reader returns TRUE when the member is absent (leaving *value) or valid. */
static gboolean
read_string (LoadContext  *ctx,
             JsonObject   *object,
             const char   *prefix,
             const char   *member,
             gboolean      required,
             const char  **value,
             GError      **error)
{
  g_autofree char *path = *prefix ? g_strdup_printf ("%s.%s", prefix, member) : g_strdup (member);
  JsonNode *node;

  if (!json_object_has_member (object, member))
    {
      if (required)
        return config_error (ctx, error, path, "missing (required)");
      return TRUE;
    }

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return config_error (ctx, error, path, "expected a string, found %s", node_kind (node));
  if (required && *json_node_get_string (node) == '\0')
    return config_error (ctx, error, path, "must not be empty");

  *value = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_int (LoadContext  *ctx,
          JsonObject   *object,
          const char   *prefix,
          const char   *member,
          gint64        min,
          gint64        max,
          gint64       *value,
          GError      **error)
{
  g_autofree char *path = *prefix ? g_strdup_printf ("%s.%s", prefix, member) : g_strdup (member);
  JsonNode *node;
  gint64 v;

  if (!json_object_has_member (object, member))
    return TRUE;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return config_error (ctx, error, path, "expected an integer, found %s", node_kind (node));

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      v = json_node_get_int (node);
      break;
    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);

        if (d != (double)(gint64)d)
          return config_error (ctx, error, path, "expected an integer, found %g", d);
        v = (gint64)d;
      }
      break;
    default:
      return config_error (ctx, error, path, "expected an integer, found %s", node_kind (node));
    }

  if (v < min || v > max)
    return config_error (ctx, error, path,
                         "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT "–%" G_GINT64_FORMAT ")",
                         v, min, max);

  *value = v;
  return TRUE;
}

static gboolean
read_bool (LoadContext  *ctx,
           JsonObject   *object,
           const char   *prefix,
           const char   *member,
           gboolean     *value,
           GError      **error)
{
  g_autofree char *path = *prefix ? g_strdup_printf ("%s.%s", prefix, member) : g_strdup (member);
  JsonNode *node;

  if (!json_object_has_member (object, member))
    return TRUE;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return config_error (ctx, error, path, "expected true or false, found %s", node_kind (node));

  *value = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
read_object (LoadContext  *ctx,
             JsonObject   *object,
             const char   *prefix,
             const char   *member,
             JsonObject  **value,
             GError      **error)
{
  g_autofree char *path = *prefix ? g_strdup_printf ("%s.%s", prefix, member) : g_strdup (member);
  JsonNode *node;

  *value = NULL;
  if (!json_object_has_member (object, member))
    return TRUE;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return config_error (ctx, error, path, "expected an object, found %s", node_kind (node));

  *value = json_node_get_object (node);
  return TRUE;
}

static gboolean
read_string_table (LoadContext  *ctx,
                   JsonObject   *object,
                   const char   *prefix,
                   const char   *member,
                   GHashTable   *table,
                   GError      **error)
{
  g_autofree char *path = g_strdup_printf ("%s.%s", prefix, member);
  JsonObject *map = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (!read_object (ctx, object, prefix, member, &map, error))
    return FALSE;
  if (map == NULL)
    return TRUE;

  json_object_iter_init (&iter, map);
  while (json_object_iter_next (&iter, &name, &node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_autofree char *sub = g_strdup_printf ("%s.%s", path, name);

          return config_error (ctx, error, sub, "expected a string, found %s", node_kind (node));
        }
      g_hash_table_replace (table, g_strdup (name), g_strdup (json_node_get_string (node)));
    }

  return TRUE;
}

/* Members of the objects this file defines are checked, so a typo ("base-url", "enable") is an
 * error at its line instead of a silently ignored setting. */
static gboolean
check_members (LoadContext         *ctx,
               JsonObject          *object,
               const char          *prefix,
               const char * const  *allowed,
               GError             **error)
{
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &node))
    {
      if (!g_strv_contains (allowed, member))
        {
          g_autofree char *path = g_strdup_printf ("%s.%s", prefix, member);
          g_autofree char *list = g_strjoinv (", ", (char **)allowed);

          return config_error (ctx, error, path, "unknown member (expected %s)", list);
        }
    }

  return TRUE;
}

static gboolean
valid_id (const char *id)
{
  for (const char *p = id; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return *id != '\0';
}

static gboolean
valid_key_spec (const char *key)
{
  if (g_str_equal (key, "keyring") || g_str_equal (key, "none"))
    return TRUE;
  if (g_str_has_prefix (key, "env:"))
    {
      const char *name = key + 4;

      if (*name == '\0' || g_ascii_isdigit (*name))
        return FALSE;
      for (const char *p = name; *p != '\0'; p++)
        {
          if (!g_ascii_isalnum (*p) && *p != '_')
            return FALSE;
        }
      return TRUE;
    }
  return FALSE;
}

static gboolean
valid_base_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    return FALSE;
  return g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

/* The two SDK conventions people mix up, for the two hosts where the right form is known:
 * Anthropic's base has no /v1 (the client appends /v1/messages), OpenAI's includes it. */
static const char *
base_url_mistake (PmApi       api,
                  const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *path = NULL;
  const char *host;

  if (uri == NULL)
    return NULL;
  host = g_uri_get_host (uri);
  path = g_strdup (g_uri_get_path (uri));
  while (g_str_has_suffix (path, "/"))
    path[strlen (path) - 1] = '\0';

  if (g_strcmp0 (host, "api.anthropic.com") == 0 && api == PM_API_ANTHROPIC && *path != '\0')
    return "Anthropic's base URL has no path (no /v1): use “https://api.anthropic.com”";
  if (g_strcmp0 (host, "api.openai.com") == 0 && api != PM_API_ANTHROPIC && !g_str_equal (path, "/v1"))
    return "OpenAI's base URL includes /v1: use “https://api.openai.com/v1”";

  return NULL;
}

static gboolean
load_provider (PmConfig     *self,
               LoadContext  *ctx,
               JsonNode     *node,
               guint         index,
               GError      **error)
{
  g_autofree char *prefix = g_strdup_printf ("providers[%u]", index);
  g_autoptr(GString) path = g_string_new (NULL);
  PmProviderConfig *provider;
  JsonObject *object;
  const char *id = NULL;
  const char *api = NULL;
  const char *base_url = NULL;
  const char *key = NULL;
  const char *preset = NULL;
  int preset_index = -1;
  const PmGatewayPreset *gateway = NULL;   /* presets of pm-gateway.c this table lacks */

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return config_error (ctx, error, prefix, "expected an object, found %s", node_kind (node));
  object = json_node_get_object (node);

  if (!check_members (ctx, object, prefix, provider_members, error) ||
      !read_string (ctx, object, prefix, "id", TRUE, &id, error) ||
      !read_string (ctx, object, prefix, "preset", FALSE, &preset, error) ||
      !read_string (ctx, object, prefix, "api", FALSE, &api, error) ||
      !read_string (ctx, object, prefix, "base_url", FALSE, &base_url, error) ||
      !read_string (ctx, object, prefix, "key", FALSE, &key, error))
    return FALSE;

  g_string_printf (path, "%s.id", prefix);
  if (!valid_id (id))
    return config_error (ctx, error, path->str,
                         "“%s” is not a valid id (letters, digits, '-', '_' and '.')", id);
  if (pm_config_lookup_provider (self, id) != NULL)
    return config_error (ctx, error, path->str, "duplicate provider id “%s”", id);

  if (preset != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
        {
          if (g_str_equal (preset, presets[i].name))
            preset_index = i;
        }
      if (preset_index < 0)
        gateway = pm_gateway_lookup (preset);
      if (preset_index < 0 && gateway == NULL)
        {
          g_autoptr(GString) names = g_string_new (NULL);

          for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
            g_string_append_printf (names, "%s%s", i ? ", " : "", presets[i].name);
          g_string_printf (path, "%s.preset", prefix);
          return config_error (ctx, error, path->str, "unknown preset “%s” (expected %s)",
                               preset, names->str);
        }
    }

  provider = pm_provider_config_new ();
  provider->id = g_strdup (id);
  provider->preset = g_strdup (preset);

  if (api != NULL)
    {
      if (!pm_api_from_string (api, &provider->api))
        {
          pm_provider_config_free (provider);
          g_string_printf (path, "%s.api", prefix);
          return config_error (ctx, error, path->str,
                               "unknown API “%s” (expected anthropic, openai-chat, openai-responses)",
                               api);
        }
    }
  else if (preset_index >= 0)
    provider->api = presets[preset_index].api;
  else if (gateway != NULL)
    provider->api = gateway->api;
  else
    {
      pm_provider_config_free (provider);
      g_string_printf (path, "%s.api", prefix);
      return config_error (ctx, error, path->str,
                           "missing (required unless a preset is given: anthropic, openai-chat, openai-responses)");
    }

  if (base_url == NULL && preset_index >= 0)
    base_url = presets[preset_index].base_url;
  if (base_url == NULL && gateway != NULL)
    base_url = provider->api == PM_API_ANTHROPIC && gateway->anthropic_base_url != NULL ?
               gateway->anthropic_base_url : gateway->base_url;
  if (base_url != NULL && strchr (base_url, '{') != NULL)
    {
      /* A gateway URL template ("…/v1/{account_id}/{gateway_id}/compat") not filled in. */
      g_autofree char *placeholder = pm_gateway_find_placeholder (base_url);

      pm_provider_config_free (provider);
      g_string_printf (path, "%s.base_url", prefix);
      return config_error (ctx, error, path->str, "replace {%s} in “%s” (see docs/GATEWAYS.md)",
                           placeholder, base_url);
    }
  if (base_url == NULL)
    {
      pm_provider_config_free (provider);
      g_string_printf (path, "%s.base_url", prefix);
      return config_error (ctx, error, path->str, "missing (required unless a preset is given)");
    }
  if (!valid_base_url (base_url))
    {
      pm_provider_config_free (provider);
      g_string_printf (path, "%s.base_url", prefix);
      return config_error (ctx, error, path->str, "“%s” is not an http:// or https:// URL", base_url);
    }
  {
    const char *hint = base_url_mistake (provider->api, base_url);

    if (hint != NULL)
      {
        pm_provider_config_free (provider);
        g_string_printf (path, "%s.base_url", prefix);
        return config_error (ctx, error, path->str, "%s", hint);
      }
  }
  /* Keep "https://host/v1" and "https://host/v1/" equivalent. */
  provider->base_url = g_strdup (base_url);
  while (g_str_has_suffix (provider->base_url, "/") && strlen (provider->base_url) > 8)
    provider->base_url[strlen (provider->base_url) - 1] = '\0';

  if (key == NULL)
    key = preset_index >= 0 ? presets[preset_index].key : gateway != NULL ? gateway->key : "keyring";
  if (!valid_key_spec (key))
    {
      pm_provider_config_free (provider);
      g_string_printf (path, "%s.key", prefix);
      /* Never repeat the value: a user may have pasted the key itself here. */
      return config_error (ctx, error, path->str,
                           "expected \"keyring\", \"env:NAME\" or \"none\" (put the key itself in "
                           "the keyring with “pointsman-cli keys set %s”)", id);
    }
  provider->key = g_strdup (key);

  if (!read_string_table (ctx, object, prefix, "headers", provider->headers, error) ||
      !read_string_table (ctx, object, prefix, "model_names", provider->model_names, error))
    {
      pm_provider_config_free (provider);
      return FALSE;
    }

  /* Header names are HTTP tokens and values single lines, or libsoup would refuse them later. */
  {
    GHashTableIter iter;
    gpointer name, value;

    g_hash_table_iter_init (&iter, provider->headers);
    while (g_hash_table_iter_next (&iter, &name, &value))
      {
        const char *problem = NULL;

        if (*(const char *)name == '\0')
          problem = "a header name must not be empty";
        for (const char *c = name; problem == NULL && *c != '\0'; c++)
          {
            if (!g_ascii_isalnum (*c) && strchr ("!#$%&'*+-.^_`|~", *c) == NULL)
              problem = "not a valid HTTP header name";
          }
        if (problem == NULL && strpbrk (value, "\r\n") != NULL)
          problem = "a header value must be one line";
        if (problem != NULL)
          {
            g_autofree char *sub = g_strdup_printf ("%s.headers.%s", prefix, (const char *)name);
            gboolean ret = config_error (ctx, error, sub, "%s", problem);

            pm_provider_config_free (provider);
            return ret;
          }
      }
  }

  g_ptr_array_add (self->providers, provider);
  return TRUE;
}

static gboolean
load_model (PmConfig     *self,
            LoadContext  *ctx,
            JsonNode     *node,
            guint         index,
            GError      **error)
{
  g_autofree char *prefix = g_strdup_printf ("models[%u]", index);
  g_autofree char *path = NULL;
  PmModelConfig *model;
  JsonObject *object;
  const char *id = NULL;
  const char *provider = NULL;
  const char *upstream_name = NULL;
  gboolean enabled = TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return config_error (ctx, error, prefix, "expected an object, found %s", node_kind (node));
  object = json_node_get_object (node);

  if (!check_members (ctx, object, prefix, model_members, error) ||
      !read_string (ctx, object, prefix, "id", TRUE, &id, error) ||
      !read_string (ctx, object, prefix, "provider", TRUE, &provider, error) ||
      !read_string (ctx, object, prefix, "upstream_name", FALSE, &upstream_name, error) ||
      !read_bool (ctx, object, prefix, "enabled", &enabled, error))
    return FALSE;

  if (pm_config_lookup_provider (self, provider) == NULL)
    {
      g_autoptr(GString) ids = g_string_new (NULL);

      for (guint i = 0; i < self->providers->len; i++)
        {
          PmProviderConfig *p = g_ptr_array_index (self->providers, i);

          g_string_append_printf (ids, "%s%s", i ? ", " : "", p->id);
        }
      path = g_strdup_printf ("%s.provider", prefix);
      return config_error (ctx, error, path, "unknown provider “%s” (providers: %s)",
                           provider, ids->len ? ids->str : "none defined");
    }

  if (pm_config_lookup_model (self, id) != NULL)
    {
      path = g_strdup_printf ("%s.id", prefix);
      return config_error (ctx, error, path, "duplicate model “%s”", id);
    }

  model = g_new0 (PmModelConfig, 1);
  model->id = g_strdup (id);
  model->provider = g_strdup (provider);
  model->upstream_name = g_strdup (upstream_name);
  model->enabled = enabled;
  g_ptr_array_add (self->models, model);

  return TRUE;
}

static char *
expand_path (const char *path,
             const char *relative_to)
{
  if (g_str_equal (path, "~"))
    return g_strdup (g_get_home_dir ());
  if (g_str_has_prefix (path, "~/"))
    return g_build_filename (g_get_home_dir (), path + 2, NULL);
  if (g_path_is_absolute (path))
    return g_strdup (path);
  if (relative_to != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (relative_to);

      return g_build_filename (dir, path, NULL);
    }
  return g_canonicalize_filename (path, NULL);
}

static gboolean
load_root (PmConfig     *self,
           LoadContext  *ctx,
           JsonNode     *root,
           GError      **error)
{
  static const char *known[] = {
    "listen", "providers", "models", "default_model", "objective", "database", "limits",
    "store_prompts",
  };
  JsonObject *object;
  JsonObject *listen = NULL;
  JsonObject *limits = NULL;
  JsonObject *objective = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  const char *host = NULL;
  const char *database = NULL;
  const char *default_model = NULL;
  gint64 port = self->listen_port;
  gint64 max_body = self->max_body;
  gboolean listen_token = self->listen_token;
  gint64 max_header_bytes = self->max_header_bytes;
  gint64 max_depth = self->max_depth;
  gint64 max_streams = self->max_streams;
  gint64 connect_timeout = self->connect_timeout;
  gint64 idle_timeout = self->idle_timeout;
  gboolean store_prompts = self->store_prompts;

  if (root == NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s: the file is empty (expected a JSON object)",
                   ctx->name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s:1: expected a JSON object at the top level, found %s",
                   ctx->name, node_kind (root));
      return FALSE;
    }
  object = json_node_get_object (root);

  /* listen */
  if (!read_object (ctx, object, "", "listen", &listen, error))
    return FALSE;
  if (listen != NULL)
    {
      if (!check_members (ctx, listen, "listen", listen_members, error) ||
          !read_string (ctx, listen, "listen", "host", FALSE, &host, error) ||
          !read_int (ctx, listen, "listen", "port", 0, 65535, &port, error) ||
          !read_bool (ctx, listen, "listen", "token", &listen_token, error))
        return FALSE;
      if (host != NULL &&
          !g_str_equal (host, "127.0.0.1") && !g_str_equal (host, "::1") &&
          !g_str_equal (host, "localhost"))
        return config_error (ctx, error, "listen.host",
                             "“%s” is not a loopback address (Pointsman listens on 127.0.0.1, ::1 "
                             "or localhost only)", host);
    }

  /* limits */
  if (!read_object (ctx, object, "", "limits", &limits, error))
    return FALSE;
  if (limits != NULL)
    {
      if (!check_members (ctx, limits, "limits", limits_members, error) ||
          !read_int (ctx, limits, "limits", "max_body_bytes", 1024, MAX_BODY_LIMIT, &max_body, error) ||
          !read_int (ctx, limits, "limits", "connect_timeout", 1, 86400, &connect_timeout, error) ||
          !read_int (ctx, limits, "limits", "idle_timeout", 1, 86400, &idle_timeout, error) ||
          !read_int (ctx, limits, "limits", "max_header_bytes", 1024, 16 * 1024 * 1024,
                     &max_header_bytes, error) ||
          !read_int (ctx, limits, "limits", "max_depth", 8, 100000, &max_depth, error) ||
          !read_int (ctx, limits, "limits", "max_streams", 1, 100000, &max_streams, error))
        return FALSE;
    }

  if (!read_bool (ctx, object, "", "store_prompts", &store_prompts, error) ||
      !read_string (ctx, object, "", "database", FALSE, &database, error) ||
      !read_string (ctx, object, "", "default_model", FALSE, &default_model, error))
    return FALSE;
  if (database != NULL && *database == '\0')
    return config_error (ctx, error, "database", "must not be empty");

  /* providers, then models (which refer to providers) */
  if (json_object_has_member (object, "providers"))
    {
      JsonArray *array;

      node = json_object_get_member (object, "providers");
      if (!JSON_NODE_HOLDS_ARRAY (node))
        return config_error (ctx, error, "providers", "expected an array, found %s", node_kind (node));
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (!load_provider (self, ctx, json_array_get_element (array, i), i, error))
            return FALSE;
        }
    }

  if (json_object_has_member (object, "models"))
    {
      JsonArray *array;

      node = json_object_get_member (object, "models");
      if (!JSON_NODE_HOLDS_ARRAY (node))
        return config_error (ctx, error, "models", "expected an array, found %s", node_kind (node));
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (!load_model (self, ctx, json_array_get_element (array, i), i, error))
            return FALSE;
        }
    }

  if (default_model != NULL)
    {
      if (self->models->len > 0 && pm_config_lookup_model (self, default_model) == NULL)
        return config_error (ctx, error, "default_model", "“%s” is not one of the configured models",
                             default_model);
    }
  else if (self->models->len > 0)
    {
      PmModelConfig *first = NULL;

      /* The first enabled model, else the first. */
      for (guint i = 0; i < self->models->len && first == NULL; i++)
        {
          PmModelConfig *m = g_ptr_array_index (self->models, i);

          if (m->enabled)
            first = m;
        }
      if (first == NULL)
        first = g_ptr_array_index (self->models, 0);
      default_model = first->id;
    }

  /* objective */
  if (!read_object (ctx, object, "", "objective", &objective, error))
    return FALSE;
  if (objective != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      if (!pm_objective_load_json (self->objective, objective, &local_error))
        {
          /* Messages look like "objective.max_effort: …": find that field's line. */
          const char *msg = local_error->message;
          const char *colon = strstr (msg, ": ");

          if (g_str_has_prefix (msg, "objective.") && colon != NULL)
            {
              g_autofree char *path = g_strndup (msg, colon - msg);

              return config_error (ctx, error, path, "%s", colon + 2);
            }
          return config_error (ctx, error, "objective", "%s", msg);
        }
    }

  /* Everything checked: commit the scalars. */
  g_free (self->listen_host);
  self->listen_host = g_strdup (host ? host : DEFAULT_HOST);
  self->listen_port = port;
  self->max_body = max_body;
  self->listen_token = listen_token;
  self->max_header_bytes = max_header_bytes;
  self->max_depth = max_depth;
  self->max_streams = max_streams;
  self->connect_timeout = connect_timeout;
  self->idle_timeout = idle_timeout;
  self->store_prompts = store_prompts;
  g_free (self->default_model);
  self->default_model = g_strdup (default_model);
  if (database != NULL)
    {
      g_free (self->database_written);
      self->database_written = g_strdup (database);
      g_free (self->database);
      self->database = expand_path (database, self->path);
    }

  /* Keep members other parts of the app may add, so saving does not drop them. */
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &node))
    {
      gboolean is_known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (known); i++)
        is_known = is_known || g_str_equal (member, known[i]);
      if (!is_known)
        json_object_set_member (self->extra, member, json_node_copy (node));
    }

  return TRUE;
}

static PmConfig *
load_data (const char  *json,
           gssize       length,
           const char  *name,
           const char  *path,
           GError     **error)
{
  g_autoptr(PmConfig) self = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GHashTable) lines = NULL;
  LoadContext ctx;

  if (length < 0)
    length = strlen (json);

  if (!g_utf8_validate (json, length, NULL))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s: not valid UTF-8 text", name);
      return NULL;
    }

  if (!json_parser_load_from_data (parser, json, length, &local_error))
    {
      /* json-glib: "<data>:LINE:COL: Parse error: …" */
      const char *msg = local_error->message;
      int line = 0;
      int column = 0;
      const char *rest = msg;

      if (sscanf (msg, "<data>:%d:%d:", &line, &column) == 2)
        {
          rest = strstr (msg, ": ");
          rest = rest ? strstr (rest + 2, ": ") : NULL;
          rest = rest ? rest + 2 : msg;
          if (g_str_has_prefix (rest, "Parse error: "))
            rest += strlen ("Parse error: ");
          g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s:%d: syntax error at column %d: %s",
                       name, line, column, rest);
        }
      else
        g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s: syntax error: %s", name, msg);
      return NULL;
    }

  lines = scan_lines (json, length);
  ctx.name = name;
  ctx.lines = lines;

  self = g_object_new (PM_TYPE_CONFIG, NULL);
  self->path = g_strdup (path);
  if (!load_root (self, &ctx, json_parser_get_root (parser), error))
    return NULL;

  /* Kept so later checks (pm_config_check_models) can name lines too. */
  self->error_name = g_strdup (name);
  self->lines = g_steal_pointer (&lines);

  return g_steal_pointer (&self);
}

char *
pm_config_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "pointsman", "config.json", NULL);
}

PmConfig *
pm_config_new_from_data (const char  *json,
                         gssize       length,
                         const char  *name_for_errors,
                         GError     **error)
{
  g_return_val_if_fail (json != NULL, NULL);

  return load_data (json, length, name_for_errors ? name_for_errors : "config.json", NULL, error);
}

PmConfig *
pm_config_load (const char  *path,
                gboolean     create_if_missing,
                GError     **error)
{
  g_autofree char *default_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  if (path == NULL)
    path = default_path = pm_config_default_path ();

  if (create_if_missing && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(PmConfig) defaults = pm_config_new_default ();

      if (!pm_config_save (defaults, path, error))
        return NULL;
    }

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "%s", local_error->message);
      return NULL;
    }

  return load_data (contents, length, path, path, error);
}

static void
add_default_provider (PmConfig   *self,
                      const char *id,
                      PmApi       api,
                      const char *base_url,
                      const char *key)
{
  PmProviderConfig *provider = pm_provider_config_new ();

  provider->id = g_strdup (id);
  provider->api = api;
  provider->base_url = g_strdup (base_url);
  provider->key = g_strdup (key);
  g_ptr_array_add (self->providers, provider);
}

static void
add_default_model (PmConfig   *self,
                   const char *id,
                   const char *provider)
{
  PmModelConfig *model = g_new0 (PmModelConfig, 1);

  model->id = g_strdup (id);
  model->provider = g_strdup (provider);
  model->enabled = TRUE;
  g_ptr_array_add (self->models, model);
}

PmConfig *
pm_config_new_default (void)
{
  PmConfig *self = g_object_new (PM_TYPE_CONFIG, NULL);

  add_default_provider (self, "anthropic", PM_API_ANTHROPIC, "https://api.anthropic.com", "keyring");
  add_default_provider (self, "openai", PM_API_OPENAI_RESPONSES, "https://api.openai.com/v1",
                        "env:OPENAI_API_KEY");
  add_default_model (self, "claude-sonnet-4-5", "anthropic");
  add_default_model (self, "claude-haiku-4-5", "anthropic");
  add_default_model (self, "claude-opus-4-6", "anthropic");
  add_default_model (self, "gpt-5", "openai");
  add_default_model (self, "gpt-5-mini", "openai");
  self->default_model = g_strdup ("claude-sonnet-4-5");

  pm_objective_set_tradeoff (self->objective, 0.5);
  pm_objective_set_quality_floor (self->objective, 0.9);
  pm_objective_set_max_effort (self->objective, PM_EFFORT_HIGH);

  return self;
}

static JsonNode *
string_table_to_json (GHashTable *table)
{
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (table), (GCompareFunc)strcmp);
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (GList *l = keys; l != NULL; l = l->next)
    json_object_set_string_member (object, l->data, g_hash_table_lookup (table, l->data));
  json_node_take_object (node, object);
  return node;
}

JsonNode *
pm_config_to_json (PmConfig *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "listen");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, self->listen_host);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, self->listen_port);
  if (self->listen_token)
    {
      json_builder_set_member_name (builder, "token");
      json_builder_add_boolean_value (builder, TRUE);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "providers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->providers->len; i++)
    {
      PmProviderConfig *provider = g_ptr_array_index (self->providers, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, provider->id);
      if (provider->preset != NULL)
        {
          json_builder_set_member_name (builder, "preset");
          json_builder_add_string_value (builder, provider->preset);
        }
      json_builder_set_member_name (builder, "api");
      json_builder_add_string_value (builder, pm_api_to_string (provider->api));
      json_builder_set_member_name (builder, "base_url");
      json_builder_add_string_value (builder, provider->base_url);
      json_builder_set_member_name (builder, "key");
      json_builder_add_string_value (builder, provider->key);
      if (g_hash_table_size (provider->headers) > 0)
        {
          json_builder_set_member_name (builder, "headers");
          json_builder_add_value (builder, string_table_to_json (provider->headers));
        }
      if (g_hash_table_size (provider->model_names) > 0)
        {
          json_builder_set_member_name (builder, "model_names");
          json_builder_add_value (builder, string_table_to_json (provider->model_names));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "models");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->models->len; i++)
    {
      PmModelConfig *model = g_ptr_array_index (self->models, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, model->id);
      json_builder_set_member_name (builder, "provider");
      json_builder_add_string_value (builder, model->provider);
      if (model->upstream_name != NULL)
        {
          json_builder_set_member_name (builder, "upstream_name");
          json_builder_add_string_value (builder, model->upstream_name);
        }
      if (!model->enabled)
        {
          json_builder_set_member_name (builder, "enabled");
          json_builder_add_boolean_value (builder, FALSE);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (self->default_model != NULL)
    {
      json_builder_set_member_name (builder, "default_model");
      json_builder_add_string_value (builder, self->default_model);
    }

  json_builder_set_member_name (builder, "objective");
  json_builder_add_value (builder, pm_objective_to_json (self->objective));

  json_builder_set_member_name (builder, "database");
  json_builder_add_string_value (builder, self->database_written);

  json_builder_set_member_name (builder, "store_prompts");
  json_builder_add_boolean_value (builder, self->store_prompts);

  json_builder_set_member_name (builder, "limits");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "max_body_bytes");
  json_builder_add_int_value (builder, self->max_body);
  json_builder_set_member_name (builder, "connect_timeout");
  json_builder_add_int_value (builder, self->connect_timeout);
  json_builder_set_member_name (builder, "idle_timeout");
  json_builder_add_int_value (builder, self->idle_timeout);
  /* The guard limits only when changed, so existing files keep their shape. */
  if (self->max_header_bytes != PM_GUARD_DEFAULT_MAX_HEADER_BYTES)
    {
      json_builder_set_member_name (builder, "max_header_bytes");
      json_builder_add_int_value (builder, self->max_header_bytes);
    }
  if (self->max_depth != PM_GUARD_DEFAULT_MAX_DEPTH)
    {
      json_builder_set_member_name (builder, "max_depth");
      json_builder_add_int_value (builder, self->max_depth);
    }
  if (self->max_streams != PM_GUARD_DEFAULT_MAX_STREAMS)
    {
      json_builder_set_member_name (builder, "max_streams");
      json_builder_add_int_value (builder, self->max_streams);
    }
  json_builder_end_object (builder);

  json_object_iter_init (&iter, self->extra);
  while (json_object_iter_next (&iter, &member, &node))
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_value (builder, json_node_copy (node));
    }

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

gboolean
pm_config_save (PmConfig    *self,
                const char  *path,
                GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *with_newline = NULL;
  gsize length = 0;

  g_return_val_if_fail (PM_IS_CONFIG (self), FALSE);

  if (path == NULL)
    path = self->path;
  g_return_val_if_fail (path != NULL, FALSE);

  root = pm_config_to_json (self);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  data = json_generator_to_data (generator, &length);
  with_newline = g_strconcat (data, "\n", NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "Cannot create %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  /* 0600: provider headers may carry gateway tokens. */
  if (!g_file_set_contents_full (path, with_newline, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;

  if (self->path == NULL)
    self->path = g_strdup (path);

  return TRUE;
}

const char *
pm_config_get_path (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  return self->path;
}

const char *
pm_config_get_listen_host (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  return self->listen_host;
}

guint
pm_config_get_listen_port (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), 0);

  return self->listen_port;
}

void
pm_config_set_listen_port (PmConfig *self,
                           guint     port)
{
  g_return_if_fail (PM_IS_CONFIG (self));
  g_return_if_fail (port <= 65535);

  self->listen_port = port;
}

const char *
pm_config_get_database (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  return self->database;
}

void
pm_config_set_database (PmConfig   *self,
                        const char *path)
{
  g_return_if_fail (PM_IS_CONFIG (self));
  g_return_if_fail (path != NULL);

  g_free (self->database_written);
  self->database_written = g_strdup (path);
  g_free (self->database);
  /* A path given here (e.g. serve --db) is relative to the working directory, not the file. */
  self->database = expand_path (path, NULL);
}

const char *
pm_config_get_default_model (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  return self->default_model;
}

gboolean
pm_config_get_listen_token (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), FALSE);

  return self->listen_token;
}

void
pm_config_set_listen_token (PmConfig *self,
                            gboolean  required)
{
  g_return_if_fail (PM_IS_CONFIG (self));

  self->listen_token = !!required;
}

gsize
pm_config_get_max_header_bytes (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), 0);

  return self->max_header_bytes;
}

guint
pm_config_get_max_depth (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), 0);

  return self->max_depth;
}

guint
pm_config_get_max_streams (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), 0);

  return self->max_streams;
}

gsize
pm_config_get_max_body (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), DEFAULT_MAX_BODY);

  return self->max_body;
}

guint
pm_config_get_connect_timeout (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), DEFAULT_CONNECT_TIMEOUT);

  return self->connect_timeout;
}

guint
pm_config_get_idle_timeout (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), DEFAULT_IDLE_TIMEOUT);

  return self->idle_timeout;
}

gboolean
pm_config_get_store_prompts (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), FALSE);

  return self->store_prompts;
}

PmObjective *
pm_config_get_objective (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  return self->objective;
}

GPtrArray *
pm_config_get_providers (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  return self->providers;
}

GPtrArray *
pm_config_get_models (PmConfig *self)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  return self->models;
}

PmProviderConfig *
pm_config_lookup_provider (PmConfig   *self,
                           const char *id)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  if (id == NULL)
    return NULL;

  for (guint i = 0; i < self->providers->len; i++)
    {
      PmProviderConfig *provider = g_ptr_array_index (self->providers, i);

      if (g_str_equal (provider->id, id))
        return provider;
    }

  return NULL;
}

PmModelConfig *
pm_config_lookup_model (PmConfig   *self,
                        const char *id)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  if (id == NULL)
    return NULL;

  for (guint i = 0; i < self->models->len; i++)
    {
      PmModelConfig *model = g_ptr_array_index (self->models, i);

      if (g_str_equal (model->id, id))
        return model;
    }

  return NULL;
}

GStrv
pm_config_dup_pool (PmConfig *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);

  for (guint i = 0; i < self->models->len; i++)
    {
      PmModelConfig *model = g_ptr_array_index (self->models, i);

      if (model->enabled)
        g_strv_builder_add (builder, model->id);
    }

  return g_strv_builder_end (builder);
}

void
pm_config_set_provider (PmConfig               *self,
                        const PmProviderConfig *provider)
{
  g_return_if_fail (PM_IS_CONFIG (self));
  g_return_if_fail (provider != NULL);
  g_return_if_fail (provider->id != NULL);

  for (guint i = 0; i < self->providers->len; i++)
    {
      PmProviderConfig *existing = g_ptr_array_index (self->providers, i);

      if (g_str_equal (existing->id, provider->id))
        {
          /* Replace in place, keeping the order. */
          g_ptr_array_index (self->providers, i) = pm_provider_config_copy (provider);
          pm_provider_config_free (existing);
          return;
        }
    }

  g_ptr_array_add (self->providers, pm_provider_config_copy (provider));
}

JsonNode *
pm_config_get_extra (PmConfig   *self,
                     const char *member)
{
  g_return_val_if_fail (PM_IS_CONFIG (self), NULL);
  g_return_val_if_fail (member != NULL, NULL);

  if (!json_object_has_member (self->extra, member))
    return NULL;
  return json_object_get_member (self->extra, member);
}

void
pm_config_set_extra (PmConfig   *self,
                     const char *member,
                     JsonNode   *node)
{
  static const char *known[] = {
    "listen", "providers", "models", "default_model", "objective", "database", "limits",
    "store_prompts",
  };

  g_return_if_fail (PM_IS_CONFIG (self));
  g_return_if_fail (member != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    g_return_if_fail (!g_str_equal (member, known[i]));

  if (node == NULL)
    json_object_remove_member (self->extra, member);
  else
    json_object_set_member (self->extra, member, json_node_copy (node));
}

gboolean
pm_config_check_models (PmConfig   *self,
                        PmCatalog  *catalog,
                        GError    **error)
{
  LoadContext ctx;

  g_return_val_if_fail (PM_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (PM_IS_CATALOG (catalog), FALSE);

  ctx.name = self->error_name ? self->error_name : (self->path ? self->path : "config.json");
  ctx.lines = self->lines;

  for (guint i = 0; i < self->models->len; i++)
    {
      PmModelConfig *model = g_ptr_array_index (self->models, i);

      if (pm_catalog_lookup (catalog, model->id) == NULL)
        {
          g_autofree char *path = g_strdup_printf ("models[%u].id", i);

          return config_error (&ctx, error, path,
                               "“%s” is not in the model catalog (“pointsman-cli catalog” lists "
                               "the models and their names)", model->id);
        }
    }

  if (self->default_model != NULL && self->models->len == 0 &&
      pm_catalog_lookup (catalog, self->default_model) == NULL)
    return config_error (&ctx, error, "default_model",
                         "“%s” is not in the model catalog", self->default_model);

  return TRUE;
}
