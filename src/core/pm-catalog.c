/* pm-catalog.c — the model catalog: prices, windows, efforts, cache rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-catalog"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "pm-catalog.h"

struct _PmCatalog
{
  GObject     parent_instance;

  JsonNode   *document;      /* the loaded document; to_json patches it from the models */
  GPtrArray  *models;        /* PmModelInfo*, catalog order */
  GPtrArray  *entries;       /* JsonObject* of each model, parallel to models (owned by document) */
  GHashTable *names;         /* normalised name → PmModelInfo* (borrowed) */
};

G_DEFINE_FINAL_TYPE (PmCatalog, pm_catalog, G_TYPE_OBJECT)

static void
pm_model_info_free (PmModelInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->id);
  g_strfreev (info->aliases);
  g_free (info->display_name);
  g_free (info->vendor);
  g_free (info->effort_style);
  g_free (info->cache_style);
  g_free (info);
}

gboolean
pm_model_info_accepts_effort (const PmModelInfo *info,
                              PmEffort           effort)
{
  g_return_val_if_fail (info != NULL, FALSE);

  if (effort == PM_EFFORT_UNSET)
    return TRUE;
  if (effort >= PM_EFFORT_LAST)
    return FALSE;

  return (info->efforts & (1u << effort)) != 0;
}

gboolean
pm_model_info_is_long (const PmModelInfo *info,
                       gint64             prompt_tokens)
{
  g_return_val_if_fail (info != NULL, FALSE);

  return info->long_threshold > 0 && prompt_tokens > info->long_threshold;
}

static void
pm_catalog_finalize (GObject *object)
{
  PmCatalog *self = (PmCatalog *)object;

  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_pointer (&self->document, json_node_unref);

  G_OBJECT_CLASS (pm_catalog_parent_class)->finalize (object);
}

static void
pm_catalog_class_init (PmCatalogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pm_catalog_finalize;
}

static void
pm_catalog_init (PmCatalog *self)
{
  self->models = g_ptr_array_new_with_free_func ((GDestroyNotify)pm_model_info_free);
  self->entries = g_ptr_array_new ();
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Lower case, '.' and '_' → '-', so "claude-sonnet-4.5" meets "claude-sonnet-4-5". */
static char *
normalise_name (const char *name)
{
  char *out = g_ascii_strdown (name, -1);

  for (char *p = out; *p != '\0'; p++)
    {
      if (*p == '.' || *p == '_')
        *p = '-';
    }

  return g_strstrip (out);
}

static void
register_name (PmCatalog   *self,
               const char  *name,
               PmModelInfo *info)
{
  char *key;

  if (name == NULL || *name == '\0')
    return;

  key = normalise_name (name);
  /* First one wins: a model's own id is registered before any alias. */
  if (g_hash_table_contains (self->names, key))
    {
      g_free (key);
      return;
    }
  g_hash_table_insert (self->names, key, info);
}

static double
get_double (JsonObject *object,
            const char *member,
            double      fallback)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return fallback;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_DOUBLE:
    case G_TYPE_INT64:
      return json_node_get_double (node);
    default:
      return fallback;
    }
}

static gint64
get_int (JsonObject *object,
         const char *member,
         gint64      fallback)
{
  double value = get_double (object, member, -1.0);

  if (value < 0)
    return fallback;
  return (gint64)(value + 0.5);
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

static gboolean
parse_effort_name (const char *str,
                   PmEffort   *effort)
{
  PmEffort e = pm_effort_from_string (str);

  if (e == PM_EFFORT_UNSET || e >= PM_EFFORT_LAST)
    return FALSE;
  /* pm_effort_from_string may map unknown strings to something; check it round-trips. */
  if (g_strcmp0 (pm_effort_to_string (e), str) != 0)
    return FALSE;
  *effort = e;
  return TRUE;
}

static PmModelInfo *
parse_model (JsonObject  *entry,
             guint        index,
             GError     **error)
{
  g_autoptr(GStrvBuilder) aliases = g_strv_builder_new ();
  PmModelInfo *info;
  JsonObject *price;
  JsonObject *longctx;
  JsonObject *effort;
  JsonObject *cache;
  JsonArray *array;
  const char *id;
  const char *api;

  id = get_string (entry, "id");
  if (id == NULL || *id == '\0')
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED,
                   "models[%u].id: missing or not a string", index);
      return NULL;
    }

  info = g_new0 (PmModelInfo, 1);
  info->id = g_strdup (id);
  info->display_name = g_strdup (get_string (entry, "display_name") ?: id);
  info->vendor = g_strdup (get_string (entry, "vendor") ?: "unknown");

  api = get_string (entry, "api");
  if (api == NULL || !pm_api_from_string (api, &info->api))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED,
                   "models[%u].api: unknown API “%s” (expected anthropic, openai-chat, openai-responses)",
                   index, api ?: "");
      pm_model_info_free (info);
      return NULL;
    }

  if ((array = get_array (entry, "aliases")) != NULL)
    {
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_strv_builder_add (aliases, json_node_get_string (node));
        }
    }
  info->aliases = g_strv_builder_end (aliases);

  price = get_object (entry, "price");
  if (price == NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "models[%u] (%s).price: missing", index, id);
      pm_model_info_free (info);
      return NULL;
    }
  info->input = get_double (price, "input", 0);
  info->cache_read = get_double (price, "cache_read", info->input);
  info->cache_write_5m = get_double (price, "cache_write_5m", 0);
  info->cache_write_1h = get_double (price, "cache_write_1h", 0);
  info->output = get_double (price, "output", 0);
  info->web_search = get_double (price, "web_search", 0);

  if ((longctx = get_object (entry, "long_context")) != NULL)
    {
      info->long_threshold = get_int (longctx, "threshold", 0);
      info->long_input = get_double (longctx, "input", info->input);
      info->long_cache_read = get_double (longctx, "cache_read", info->cache_read);
      info->long_cache_write_5m = get_double (longctx, "cache_write_5m", info->cache_write_5m);
      info->long_cache_write_1h = get_double (longctx, "cache_write_1h", info->cache_write_1h);
      info->long_output = get_double (longctx, "output", info->output);
    }

  info->context_window = get_int (entry, "context_window", 0);
  info->max_output = get_int (entry, "max_output", 0);

  effort = get_object (entry, "effort");
  info->effort_style = g_strdup (get_string (effort, "style") ?: "none");
  info->default_effort = PM_EFFORT_UNSET;
  if (get_string (effort, "default") != NULL)
    parse_effort_name (get_string (effort, "default"), &info->default_effort);
  if ((array = get_array (effort, "accepted")) != NULL)
    {
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          PmEffort e;

          if (JSON_NODE_HOLDS_VALUE (node) &&
              json_node_get_value_type (node) == G_TYPE_STRING &&
              parse_effort_name (json_node_get_string (node), &e))
            info->efforts |= 1u << e;
          else
            {
              g_set_error (error, PM_ERROR, PM_ERROR_FAILED,
                           "models[%u] (%s).effort.accepted[%u]: unknown effort", index, id, i);
              pm_model_info_free (info);
              return NULL;
            }
        }
    }
  {
    JsonObject *budgets = get_object (effort, "budget_tokens");

    for (guint e = PM_EFFORT_NONE; e < PM_EFFORT_LAST; e++)
      info->effort_budget[e] = get_int (budgets, pm_effort_to_string (e), 0);
  }

  cache = get_object (entry, "cache");
  info->cache_style = g_strdup (get_string (cache, "style") ?: "none");
  info->cache_min_tokens = get_int (cache, "min_tokens", 0);
  info->cache_ttl_seconds = get_int (cache, "ttl_seconds", 0);

  return info;
}

static gboolean
pm_catalog_load_node (PmCatalog  *self,
                      JsonNode   *root,
                      GError    **error)
{
  JsonArray *models;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "catalog: top level is not an object");
      return FALSE;
    }

  models = get_array (json_node_get_object (root), "models");
  if (models == NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "catalog: no “models” array");
      return FALSE;
    }

  self->document = json_node_ref (root);

  for (guint i = 0; i < json_array_get_length (models); i++)
    {
      JsonNode *node = json_array_get_element (models, i);
      PmModelInfo *info;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "catalog: models[%u] is not an object", i);
          return FALSE;
        }

      info = parse_model (json_node_get_object (node), i, error);
      if (info == NULL)
        return FALSE;

      g_ptr_array_add (self->models, info);
      g_ptr_array_add (self->entries, json_node_get_object (node));
    }

  /* Ids first, so an alias never shadows another model's id. */
  for (guint i = 0; i < self->models->len; i++)
    {
      PmModelInfo *info = g_ptr_array_index (self->models, i);

      register_name (self, info->id, info);
    }
  for (guint i = 0; i < self->models->len; i++)
    {
      PmModelInfo *info = g_ptr_array_index (self->models, i);

      for (guint j = 0; info->aliases != NULL && info->aliases[j] != NULL; j++)
        register_name (self, info->aliases[j], info);
    }

  return TRUE;
}

PmCatalog *
pm_catalog_new_from_data (const char  *json,
                          gssize       length,
                          GError     **error)
{
  g_autoptr(PmCatalog) self = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_return_val_if_fail (json != NULL, NULL);

  if (!json_parser_load_from_data (parser, json, length, error))
    return NULL;

  self = g_object_new (PM_TYPE_CATALOG, NULL);
  if (!pm_catalog_load_node (self, json_parser_get_root (parser), error))
    return NULL;

  return g_steal_pointer (&self);
}

PmCatalog *
pm_catalog_new_from_file (const char  *path,
                          GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  PmCatalog *self;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;

  self = pm_catalog_new_from_data (contents, length, &local_error);
  if (self == NULL)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "%s: %s", path, local_error->message);
      return NULL;
    }

  return self;
}

char *
pm_catalog_user_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "pointsman", "catalog.json", NULL);
}

PmCatalog *
pm_catalog_new_default (GError **error)
{
  const char *env = g_getenv ("PM_CATALOG");
  g_autofree char *installed = g_build_filename (PKGDATADIR, "catalog.json", NULL);
  g_autofree char *source = g_build_filename (PM_SOURCE_DATADIR, "catalog.json", NULL);
  g_autofree char *user = pm_catalog_user_path ();
  g_autoptr(PmCatalog) self = NULL;

  if (env != NULL && *env != '\0')
    return pm_catalog_new_from_file (env, error);

  if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    self = pm_catalog_new_from_file (installed, error);
  else if (g_file_test (source, G_FILE_TEST_IS_REGULAR))
    self = pm_catalog_new_from_file (source, error);
  else
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED,
                   "No model catalog found (looked for %s and %s)", installed, source);
      return NULL;
    }
  if (self == NULL)
    return NULL;

  if (g_file_test (user, G_FILE_TEST_IS_REGULAR))
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(PmCatalog) overlay = pm_catalog_new_from_file (user, &local_error);

      /* A broken user file must not take the proxy down: the installed catalog still works. */
      if (overlay == NULL)
        g_debug ("Ignoring the user catalog: %s", local_error->message);
      else
        pm_catalog_merge (self, overlay);
    }

  return g_steal_pointer (&self);
}

void
pm_catalog_merge (PmCatalog *self,
                  PmCatalog *other)
{
  JsonArray *models;

  g_return_if_fail (PM_IS_CATALOG (self));
  g_return_if_fail (PM_IS_CATALOG (other));

  models = get_array (json_node_get_object (self->document), "models");

  for (guint i = 0; i < other->models->len; i++)
    {
      const PmModelInfo *src = g_ptr_array_index (other->models, i);
      PmModelInfo *dest = NULL;

      for (guint j = 0; j < self->models->len && dest == NULL; j++)
        {
          PmModelInfo *candidate = g_ptr_array_index (self->models, j);

          if (g_str_equal (candidate->id, src->id))
            dest = candidate;
        }

      if (dest != NULL)
        {
          dest->input = src->input;
          dest->cache_read = src->cache_read;
          dest->cache_write_5m = src->cache_write_5m;
          dest->cache_write_1h = src->cache_write_1h;
          dest->output = src->output;
          dest->long_threshold = src->long_threshold;
          dest->long_input = src->long_input;
          dest->long_cache_read = src->long_cache_read;
          dest->long_cache_write_5m = src->long_cache_write_5m;
          dest->long_cache_write_1h = src->long_cache_write_1h;
          dest->long_output = src->long_output;
          dest->context_window = src->context_window;
          dest->max_output = src->max_output;
          dest->cache_min_tokens = src->cache_min_tokens;
          if (src->web_search > 0)
            dest->web_search = src->web_search;
        }
      else
        {
          JsonObject *entry = json_object_ref (g_ptr_array_index (other->entries, i));
          JsonNode *node = json_node_new (JSON_NODE_OBJECT);
          PmModelInfo *info;

          json_node_take_object (node, entry);
          info = parse_model (entry, self->models->len, NULL);
          if (info == NULL)
            {
              json_node_unref (node);
              continue;
            }
          json_array_add_element (models, node);
          g_ptr_array_add (self->models, info);
          g_ptr_array_add (self->entries, entry);
          register_name (self, info->id, info);
          for (guint j = 0; info->aliases != NULL && info->aliases[j] != NULL; j++)
            register_name (self, info->aliases[j], info);
        }
    }
}

static const PmModelInfo *
lookup_exact (PmCatalog  *self,
              const char *name)
{
  g_autofree char *key = NULL;

  if (name == NULL || *name == '\0')
    return NULL;
  key = normalise_name (name);
  return g_hash_table_lookup (self->names, key);
}

/* "-20250929", "@20250929", "-2025-08-07", "-latest", "-preview-09-2025" and similar. Returns a
 * newly allocated name without the suffix, or NULL when there is none. */
static char *
strip_version_suffix (const char *name)
{
  gsize len = strlen (name);
  const char *p;

  /* -YYYY-MM-DD */
  if (len > 11)
    {
      p = name + len - 11;
      if ((p[0] == '-' || p[0] == '@') && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]) &&
          g_ascii_isdigit (p[3]) && g_ascii_isdigit (p[4]) && p[5] == '-' &&
          g_ascii_isdigit (p[6]) && g_ascii_isdigit (p[7]) && p[8] == '-' &&
          g_ascii_isdigit (p[9]) && g_ascii_isdigit (p[10]))
        return g_strndup (name, len - 11);
    }

  /* -YYYYMMDD or @YYYYMMDD, or a 4-digit -MMDD ("-0905") */
  for (gsize digits = 8; digits >= 4; digits -= 4)
    {
      if (len > digits + 1)
        {
          gboolean all = TRUE;

          p = name + len - digits - 1;
          if (p[0] != '-' && p[0] != '@')
            continue;
          for (gsize i = 1; i <= digits; i++)
            all = all && g_ascii_isdigit (p[i]);
          if (all)
            return g_strndup (name, len - digits - 1);
        }
    }

  /* Bedrock's "-v1" (after the ":0" was cut) */
  if (len > 3)
    {
      const char *v = name + len;

      while (v > name && g_ascii_isdigit (v[-1]))
        v--;
      if (v < name + len && v - name >= 3 && v[-1] == 'v' && v[-2] == '-')
        return g_strndup (name, v - name - 2);
    }

  if (g_str_has_suffix (name, "-latest"))
    return g_strndup (name, len - strlen ("-latest"));
  if (g_str_has_suffix (name, "-preview"))
    return g_strndup (name, len - strlen ("-preview"));

  return NULL;
}

static const PmModelInfo *
lookup_one (PmCatalog  *self,
            const char *name)
{
  const PmModelInfo *info;
  g_autofree char *stripped = NULL;

  if ((info = lookup_exact (self, name)) != NULL)
    return info;

  /* Repeatedly strip version/date suffixes: "claude-sonnet-4-5-20250929", "x-preview-0905". */
  stripped = strip_version_suffix (name);
  while (stripped != NULL)
    {
      char *next;

      if ((info = lookup_exact (self, stripped)) != NULL)
        return info;
      next = strip_version_suffix (stripped);
      g_free (stripped);
      stripped = next;
    }

  return NULL;
}

const PmModelInfo *
pm_catalog_lookup (PmCatalog  *self,
                   const char *name)
{
  g_autofree char *clean = NULL;
  const PmModelInfo *info;
  char *p;

  g_return_val_if_fail (PM_IS_CATALOG (self), NULL);

  if (name == NULL)
    return NULL;

  clean = g_strstrip (g_strdup (name));

  /* Claude Code's "[1m]" context suffix and OpenRouter's ":free" / ":thinking" variants. */
  if ((p = strchr (clean, '[')) != NULL && p != clean)
    *p = '\0';
  if ((info = lookup_one (self, clean)) != NULL)
    return info;
  if ((p = strrchr (clean, ':')) != NULL && p != clean)
    {
      *p = '\0';
      if ((info = lookup_one (self, clean)) != NULL)
        return info;
    }

  /* "provider/model", "openrouter/vendor/model": try each suffix after a '/'. */
  for (p = strchr (clean, '/'); p != NULL; p = strchr (p + 1, '/'))
    {
      if ((info = lookup_one (self, p + 1)) != NULL)
        return info;
    }

  /* Bedrock: "anthropic.claude-…", "us.anthropic.claude-…-20250929-v1:0" */
  if ((p = strstr (clean, "anthropic.")) != NULL &&
      (info = lookup_one (self, p + strlen ("anthropic."))) != NULL)
    return info;

  return NULL;
}

GPtrArray *
pm_catalog_get_models (PmCatalog *self)
{
  g_return_val_if_fail (PM_IS_CATALOG (self), NULL);

  return self->models;
}

/* LiteLLM key prefixes for the direct provider of each vendor (PROTOCOLS.md §7). */
static const char *
litellm_prefix (const char *vendor)
{
  static const struct { const char *vendor; const char *prefix; } prefixes[] = {
    { "google", "gemini/" },
    { "deepseek", "deepseek/" },
    { "zai", "zai/" },
    { "moonshot", "moonshot/" },
    { "qwen", "openrouter/qwen/" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      if (g_strcmp0 (vendor, prefixes[i].vendor) == 0)
        return prefixes[i].prefix;
    }
  return "";
}

static JsonObject *
find_litellm_entry (JsonObject        *prices,
                    const PmModelInfo *info)
{
  g_autofree char *prefixed = g_strconcat (litellm_prefix (info->vendor), info->id, NULL);
  JsonObject *entry;

  if ((entry = get_object (prices, prefixed)) != NULL)
    return entry;
  if ((entry = get_object (prices, info->id)) != NULL)
    return entry;
  for (guint i = 0; info->aliases != NULL && info->aliases[i] != NULL; i++)
    {
      g_autofree char *alias_prefixed = g_strconcat (litellm_prefix (info->vendor), info->aliases[i], NULL);

      if ((entry = get_object (prices, alias_prefixed)) != NULL)
        return entry;
      if ((entry = get_object (prices, info->aliases[i])) != NULL)
        return entry;
    }

  return NULL;
}

static gboolean
update_double (double     *field,
               JsonObject *entry,
               const char *member)
{
  double value = get_double (entry, member, -1.0);

  if (value < 0 || value == *field)
    return FALSE;
  *field = value;
  return TRUE;
}

static gboolean
update_int (gint64     *field,
            JsonObject *entry,
            const char *member)
{
  gint64 value = get_int (entry, member, -1);

  if (value <= 0 || value == *field)
    return FALSE;
  *field = value;
  return TRUE;
}

static gboolean
apply_litellm_entry (PmModelInfo *info,
                     JsonObject  *entry)
{
  static const struct { const char *suffix; gint64 threshold; } tiers[] = {
    { "_above_200k_tokens", 200000 },
    { "_above_272k_tokens", 272000 },
    { "_above_128k_tokens", 128000 },
  };
  gboolean changed = FALSE;

  changed |= update_double (&info->input, entry, "input_cost_per_token");
  changed |= update_double (&info->output, entry, "output_cost_per_token");
  changed |= update_double (&info->cache_read, entry, "cache_read_input_token_cost");
  changed |= update_double (&info->cache_write_5m, entry, "cache_creation_input_token_cost");
  changed |= update_double (&info->cache_write_1h, entry, "cache_creation_input_token_cost_above_1hr");
  changed |= update_int (&info->context_window, entry, "max_input_tokens");
  changed |= update_int (&info->max_output, entry, "max_output_tokens");
  changed |= update_int (&info->cache_min_tokens, entry, "prompt_cache_min_tokens");

  for (guint i = 0; i < G_N_ELEMENTS (tiers); i++)
    {
      g_autofree char *input = g_strconcat ("input_cost_per_token", tiers[i].suffix, NULL);
      g_autofree char *output = g_strconcat ("output_cost_per_token", tiers[i].suffix, NULL);
      g_autofree char *read = g_strconcat ("cache_read_input_token_cost", tiers[i].suffix, NULL);
      g_autofree char *write = g_strconcat ("cache_creation_input_token_cost", tiers[i].suffix, NULL);
      g_autofree char *write1h = g_strconcat ("cache_creation_input_token_cost_above_1hr", tiers[i].suffix, NULL);

      if (!json_object_has_member (entry, input))
        continue;

      if (info->long_threshold != tiers[i].threshold)
        {
          info->long_threshold = tiers[i].threshold;
          /* A new tier starts from the base prices; the file fills what it has. */
          info->long_input = info->input;
          info->long_cache_read = info->cache_read;
          info->long_cache_write_5m = info->cache_write_5m;
          info->long_cache_write_1h = info->cache_write_1h;
          info->long_output = info->output;
          changed = TRUE;
        }
      changed |= update_double (&info->long_input, entry, input);
      changed |= update_double (&info->long_output, entry, output);
      changed |= update_double (&info->long_cache_read, entry, read);
      changed |= update_double (&info->long_cache_write_5m, entry, write);
      changed |= update_double (&info->long_cache_write_1h, entry, write1h);
      break;
    }

  return changed;
}

guint
pm_catalog_import_litellm (PmCatalog   *self,
                           const char  *path,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *prices;
  guint updated = 0;

  g_return_val_if_fail (PM_IS_CATALOG (self), 0);
  g_return_val_if_fail (path != NULL, 0);

  if (!json_parser_load_from_mapped_file (parser, path, error))
    return 0;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED,
                   "%s: not a LiteLLM price file (top level is not an object)", path);
      return 0;
    }
  prices = json_node_get_object (root);

  /* A JSON object that is something else (a catalog, a config) would otherwise "update 0
   * models" and be written out as if it were prices. */
  {
    gboolean any_price = FALSE;
    JsonObjectIter iter;
    JsonNode *member;

    json_object_iter_init (&iter, prices);
    while (!any_price && json_object_iter_next (&iter, NULL, &member))
      any_price = JSON_NODE_HOLDS_OBJECT (member) &&
                  json_object_has_member (json_node_get_object (member), "input_cost_per_token");
    if (!any_price)
      {
        g_set_error (error, PM_ERROR, PM_ERROR_FAILED,
                     "%s: not a LiteLLM price file (no entry has input_cost_per_token)", path);
        return 0;
      }
  }

  for (guint i = 0; i < self->models->len; i++)
    {
      PmModelInfo *info = g_ptr_array_index (self->models, i);
      JsonObject *entry = find_litellm_entry (prices, info);

      if (entry != NULL && apply_litellm_entry (info, entry))
        updated++;
    }

  return updated;
}

static void
set_number (JsonObject *object,
            const char *member,
            double      value)
{
  json_object_set_double_member (object, member, value);
}

static JsonObject *
ensure_object (JsonObject *parent,
               const char *member)
{
  JsonObject *object = get_object (parent, member);

  if (object == NULL)
    {
      object = json_object_new ();
      json_object_set_object_member (parent, member, object);
    }
  return object;
}

static void
patch_entry (JsonObject        *entry,
             const PmModelInfo *info)
{
  JsonObject *price = ensure_object (entry, "price");
  JsonObject *cache = ensure_object (entry, "cache");

  set_number (price, "input", info->input);
  set_number (price, "cache_read", info->cache_read);
  set_number (price, "cache_write_5m", info->cache_write_5m);
  set_number (price, "cache_write_1h", info->cache_write_1h);
  set_number (price, "output", info->output);
  if (info->web_search > 0)
    set_number (price, "web_search", info->web_search);

  if (info->long_threshold > 0)
    {
      JsonObject *longctx = ensure_object (entry, "long_context");

      json_object_set_int_member (longctx, "threshold", info->long_threshold);
      set_number (longctx, "input", info->long_input);
      set_number (longctx, "cache_read", info->long_cache_read);
      set_number (longctx, "cache_write_5m", info->long_cache_write_5m);
      set_number (longctx, "cache_write_1h", info->long_cache_write_1h);
      set_number (longctx, "output", info->long_output);
    }

  json_object_set_int_member (entry, "context_window", info->context_window);
  json_object_set_int_member (entry, "max_output", info->max_output);
  json_object_set_int_member (cache, "min_tokens", info->cache_min_tokens);
}

JsonNode *
pm_catalog_to_json (PmCatalog *self)
{
  g_return_val_if_fail (PM_IS_CATALOG (self), NULL);

  for (guint i = 0; i < self->models->len; i++)
    patch_entry (g_ptr_array_index (self->entries, i), g_ptr_array_index (self->models, i));

  return json_node_copy (self->document);
}

gboolean
pm_catalog_save (PmCatalog   *self,
                 const char  *path,
                 GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  gsize length = 0;

  g_return_val_if_fail (PM_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  root = pm_catalog_to_json (self);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  data = json_generator_to_data (generator, &length);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  return g_file_set_contents (path, data, length, error);
}
