/* test-catalog.c — the model catalog: data, lookups, aliases, LiteLLM import, save/load
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "pm-catalog.h"
#include "pm-test-utils.h"

static PmCatalog *
load_repo_catalog (void)
{
  g_autofree char *path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autoptr(GError) error = NULL;
  PmCatalog *catalog = pm_catalog_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  return catalog;
}

static void
assert_price (double actual,
              double per_million)
{
  g_assert_cmpfloat_with_epsilon (actual, per_million / 1e6, 1e-15);
}

/* The models issue 2 asks for, and the fields every one must have. */
static void
test_required_models (void)
{
  static const char *required[] = {
    "claude-opus-4-5", "claude-opus-4-6", "claude-sonnet-4-5", "claude-sonnet-4-6",
    "claude-haiku-4-5", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5.1", "gpt-5.1-codex",
    "gpt-5.1-codex-mini", "gpt-5.1-codex-max", "gemini-2.5-pro", "gemini-2.5-flash",
    "gemini-3-pro", "deepseek-chat", "deepseek-reasoner", "qwen3-coder", "glm-4.6", "kimi-k2",
  };
  static const char *effort_styles[] = {
    "anthropic-budget", "anthropic-adaptive", "openai", "gemini", "none",
  };
  static const char *cache_styles[] = { "anthropic", "automatic", "implicit", "none" };
  g_autoptr(PmCatalog) catalog = load_repo_catalog ();
  GPtrArray *models = pm_catalog_get_models (catalog);

  for (guint i = 0; i < G_N_ELEMENTS (required); i++)
    {
      const PmModelInfo *info = pm_catalog_lookup (catalog, required[i]);

      g_test_message ("model %s", required[i]);
      g_assert_nonnull (info);
      g_assert_cmpstr (info->id, ==, required[i]);
    }

  for (guint i = 0; i < models->len; i++)
    {
      const PmModelInfo *info = g_ptr_array_index (models, i);
      gboolean style_ok = FALSE;
      gboolean cache_ok = FALSE;

      g_test_message ("checking %s", info->id);
      g_assert_nonnull (info->display_name);
      g_assert_nonnull (info->vendor);
      g_assert_cmpint (info->api, <, PM_API_LAST);
      g_assert_cmpfloat (info->input, >, 0);
      g_assert_cmpfloat (info->output, >, info->input);
      g_assert_cmpfloat (info->cache_read, >, 0);
      g_assert_cmpfloat (info->cache_read, <=, info->input);
      g_assert_cmpint (info->context_window, >=, 100000);
      g_assert_cmpint (info->max_output, >=, 8192);
      for (guint j = 0; j < G_N_ELEMENTS (effort_styles); j++)
        style_ok = style_ok || g_strcmp0 (info->effort_style, effort_styles[j]) == 0;
      for (guint j = 0; j < G_N_ELEMENTS (cache_styles); j++)
        cache_ok = cache_ok || g_strcmp0 (info->cache_style, cache_styles[j]) == 0;
      g_assert_true (style_ok);
      g_assert_true (cache_ok);

      /* Style "none" means nothing is written on the wire; every other style takes levels. */
      if (g_str_equal (info->effort_style, "none"))
        g_assert_cmpuint (info->efforts, ==, 0);
      else
        {
          g_assert_cmpuint (info->efforts, !=, 0);
          g_assert_true (pm_model_info_accepts_effort (info, info->default_effort) ||
                         info->default_effort == PM_EFFORT_HIGH);
        }
      g_assert_cmpint (info->default_effort, !=, PM_EFFORT_UNSET);

      if (info->long_threshold > 0)
        {
          g_assert_cmpfloat (info->long_input, >, info->input);
          g_assert_cmpfloat (info->long_output, >=, info->output);
        }

      /* Anthropic's published multipliers: write 5m ×1.25, write 1h ×2, read ×0.1. */
      if (g_str_equal (info->vendor, "anthropic"))
        {
          g_assert_cmpint (info->api, ==, PM_API_ANTHROPIC);
          g_assert_cmpstr (info->cache_style, ==, "anthropic");
          g_assert_cmpfloat_with_epsilon (info->cache_write_5m, info->input * 1.25, 1e-15);
          g_assert_cmpfloat_with_epsilon (info->cache_write_1h, info->input * 2.0, 1e-15);
          g_assert_cmpfloat_with_epsilon (info->cache_read, info->input * 0.1, 1e-15);
          g_assert_cmpint (info->cache_ttl_seconds, ==, 300);
          g_assert_true (g_str_has_prefix (info->effort_style, "anthropic-"));
          g_assert_cmpfloat (info->web_search, ==, 0.01);
        }
    }
}

static void
test_published_facts (void)
{
  g_autoptr(PmCatalog) catalog = load_repo_catalog ();
  const PmModelInfo *info;

  /* PROTOCOLS.md §7 */
  info = pm_catalog_lookup (catalog, "claude-sonnet-4-5");
  assert_price (info->input, 3);
  assert_price (info->output, 15);
  g_assert_cmpint (info->long_threshold, ==, 200000);
  assert_price (info->long_input, 6);
  assert_price (info->long_output, 22.5);
  assert_price (info->long_cache_read, 0.6);
  assert_price (info->long_cache_write_5m, 7.5);
  g_assert_cmpstr (info->effort_style, ==, "anthropic-budget");
  g_assert_cmpint (info->cache_min_tokens, ==, 1024);
  g_assert_cmpint (info->effort_budget[PM_EFFORT_LOW], ==, 1024);
  g_assert_cmpint (info->effort_budget[PM_EFFORT_HIGH], >, info->effort_budget[PM_EFFORT_MEDIUM]);

  info = pm_catalog_lookup (catalog, "claude-opus-4-5");
  g_assert_false (pm_model_info_accepts_effort (info, PM_EFFORT_MAX));
  g_assert_false (pm_model_info_accepts_effort (info, PM_EFFORT_XHIGH));
  g_assert_true (pm_model_info_accepts_effort (info, PM_EFFORT_HIGH));
  g_assert_cmpint (info->cache_min_tokens, ==, 4096);
  g_assert_cmpint (info->context_window, ==, 200000);

  info = pm_catalog_lookup (catalog, "claude-opus-4-6");
  g_assert_cmpstr (info->effort_style, ==, "anthropic-adaptive");
  g_assert_true (pm_model_info_accepts_effort (info, PM_EFFORT_MAX));
  g_assert_false (pm_model_info_accepts_effort (info, PM_EFFORT_XHIGH));
  g_assert_cmpint (info->context_window, ==, 1000000);
  g_assert_cmpint (info->max_output, ==, 128000);

  info = pm_catalog_lookup (catalog, "claude-opus-4-7");
  g_assert_true (pm_model_info_accepts_effort (info, PM_EFFORT_XHIGH));
  g_assert_cmpint (info->cache_min_tokens, ==, 2048);

  info = pm_catalog_lookup (catalog, "claude-haiku-4-5");
  assert_price (info->input, 1);
  assert_price (info->cache_write_1h, 2);
  g_assert_cmpint (info->cache_min_tokens, ==, 4096);

  info = pm_catalog_lookup (catalog, "gpt-5");
  g_assert_cmpint (info->api, ==, PM_API_OPENAI_RESPONSES);
  g_assert_true (pm_model_info_accepts_effort (info, PM_EFFORT_MINIMAL));
  g_assert_cmpint (info->default_effort, ==, PM_EFFORT_MEDIUM);
  g_assert_cmpint (info->context_window, ==, 272000);

  /* gpt-5.1 defaults to none and rejects minimal; xhigh only from codex-max. */
  info = pm_catalog_lookup (catalog, "gpt-5.1");
  g_assert_cmpint (info->default_effort, ==, PM_EFFORT_NONE);
  g_assert_false (pm_model_info_accepts_effort (info, PM_EFFORT_MINIMAL));
  g_assert_false (pm_model_info_accepts_effort (info, PM_EFFORT_XHIGH));
  info = pm_catalog_lookup (catalog, "gpt-5.1-codex-max");
  g_assert_true (pm_model_info_accepts_effort (info, PM_EFFORT_XHIGH));

  info = pm_catalog_lookup (catalog, "gpt-5-nano");
  assert_price (info->input, 0.05);
  assert_price (info->cache_read, 0.005);
  assert_price (info->output, 0.40);

  info = pm_catalog_lookup (catalog, "gemini-2.5-pro");
  g_assert_cmpstr (info->effort_style, ==, "gemini");
  g_assert_false (pm_model_info_accepts_effort (info, PM_EFFORT_NONE));   /* 2.5 Pro can't disable */
  g_assert_cmpint (info->effort_budget[PM_EFFORT_MEDIUM], ==, 8192);
  g_assert_cmpint (info->long_threshold, ==, 200000);
  assert_price (info->long_output, 15);

  info = pm_catalog_lookup (catalog, "deepseek-chat");
  g_assert_cmpint (info->max_output, ==, 8192);
  g_assert_false (pm_model_info_accepts_effort (info, PM_EFFORT_HIGH));
  g_assert_true (pm_model_info_accepts_effort (info, PM_EFFORT_UNSET));
}

static void
test_lookup_aliases (void)
{
  static const struct { const char *name; const char *id; } cases[] = {
    { "claude-sonnet-4-5", "claude-sonnet-4-5" },
    { "claude-sonnet-4-5-20250929", "claude-sonnet-4-5" },
    { "claude-sonnet-4-5@20250929", "claude-sonnet-4-5" },
    { "anthropic/claude-sonnet-4.5", "claude-sonnet-4-5" },
    { "openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5" },
    { "claude-sonnet-4.5", "claude-sonnet-4-5" },
    { "CLAUDE-SONNET-4-5", "claude-sonnet-4-5" },
    { "claude-sonnet-4-5[1m]", "claude-sonnet-4-5" },
    { "  claude-haiku-4-5-20251001 ", "claude-haiku-4-5" },
    { "claude-opus-4-5-20251101", "claude-opus-4-5" },
    { "anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5" },
    { "us.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5" },
    { "global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6" },
    { "claude-opus-4-6", "claude-opus-4-6" },
    { "claude-opus-5-5", "claude-opus-5" },
    { "gpt-5-2025-08-07", "gpt-5" },
    { "openai/gpt-5-mini", "gpt-5-mini" },
    { "gpt-5-mini", "gpt-5-mini" },
    { "gpt-5.1-codex", "gpt-5.1-codex" },
    { "gpt-5.1-codex-mini", "gpt-5.1-codex-mini" },
    { "gpt-5.1-codex-max", "gpt-5.1-codex-max" },
    { "gemini/gemini-2.5-pro", "gemini-2.5-pro" },
    { "google/gemini-2.5-flash", "gemini-2.5-flash" },
    { "gemini-3-pro-preview", "gemini-3-pro" },
    { "deepseek/deepseek-chat", "deepseek-chat" },
    { "deepseek-reasoner", "deepseek-reasoner" },
    { "openrouter/qwen/qwen3-coder", "qwen3-coder" },
    { "qwen/qwen3-coder:free", "qwen3-coder" },
    { "z-ai/glm-4.6", "glm-4.6" },
    { "moonshot/kimi-k2-0905-preview", "kimi-k2" },
    { "moonshotai/kimi-k2", "kimi-k2" },
    { "kimi-k2-thinking", "kimi-k2-thinking" },
  };
  static const char *unknown[] = {
    "", "gpt", "claude", "no-such-model", "claude-sonnet-9", "anthropic/", "/", "gpt-4o", "[1m]",
    "anthropic.", "-v1", "gpt-5-v", "claude-3-5-haiku-20241022", "qwen3-coder-plus",
  };
  g_autoptr(PmCatalog) catalog = load_repo_catalog ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const PmModelInfo *info = pm_catalog_lookup (catalog, cases[i].name);

      g_test_message ("lookup “%s”", cases[i].name);
      g_assert_nonnull (info);
      g_assert_cmpstr (info->id, ==, cases[i].id);
    }

  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_test_message ("lookup “%s” (unknown)", unknown[i]);
      g_assert_null (pm_catalog_lookup (catalog, unknown[i]));
    }
  g_assert_null (pm_catalog_lookup (catalog, NULL));
}

/* Every alias of every model finds that model and no other. */
static void
test_aliases_unique (void)
{
  g_autoptr(PmCatalog) catalog = load_repo_catalog ();
  GPtrArray *models = pm_catalog_get_models (catalog);

  for (guint i = 0; i < models->len; i++)
    {
      const PmModelInfo *info = g_ptr_array_index (models, i);

      g_assert_true (pm_catalog_lookup (catalog, info->id) == info);
      for (guint j = 0; info->aliases != NULL && info->aliases[j] != NULL; j++)
        {
          g_test_message ("%s alias %s", info->id, info->aliases[j]);
          g_assert_true (pm_catalog_lookup (catalog, info->aliases[j]) == info);
        }
    }
}

static const char *minimal_catalog =
  "{\"models\": ["
  " {\"id\": \"claude-sonnet-4-5\", \"vendor\": \"anthropic\", \"api\": \"anthropic\","
  "  \"aliases\": [\"claude-sonnet-4-5-20250929\"],"
  "  \"price\": {\"input\": 1e-6, \"cache_read\": 1e-7, \"output\": 2e-6},"
  "  \"context_window\": 1000, \"max_output\": 100,"
  "  \"effort\": {\"style\": \"anthropic-budget\", \"default\": \"high\", \"accepted\": [\"low\", \"high\"]},"
  "  \"cache\": {\"style\": \"anthropic\", \"min_tokens\": 1, \"ttl_seconds\": 300}},"
  " {\"id\": \"gemini-2.5-pro\", \"vendor\": \"google\", \"api\": \"openai-chat\","
  "  \"price\": {\"input\": 1e-6, \"output\": 2e-6}, \"context_window\": 1000, \"max_output\": 100},"
  " {\"id\": \"my-local-model\", \"vendor\": \"local\", \"api\": \"openai-chat\","
  "  \"price\": {\"input\": 1e-9, \"output\": 1e-9}, \"context_window\": 32768, \"max_output\": 4096}"
  "]}";

static JsonObject *
litellm_entry (JsonParser *parser,
               const char *key)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonNode *node = json_object_get_member (root, key);

  g_assert_nonnull (node);
  return json_node_get_object (node);
}

/* Import the real LiteLLM file from ../shared/data (never copied into the repository). */
static void
test_import_litellm_real (void)
{
  g_autofree char *path = g_build_filename (pm_test_shared_data (), "litellm_model_prices_and_context_window.json", NULL);
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const PmModelInfo *info;
  JsonObject *entry;
  guint updated;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("LiteLLM price file not found under PM_SHARED_DATA");
      return;
    }

  g_assert_true (json_parser_load_from_mapped_file (parser, path, &error));
  g_assert_no_error (error);

  catalog = pm_catalog_new_from_data (minimal_catalog, -1, &error);
  g_assert_no_error (error);

  /* Stale prices and windows in the catalog: the import must replace them with the file's. */
  updated = pm_catalog_import_litellm (catalog, path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (updated, ==, 2);   /* the local model is not in the file */

  entry = litellm_entry (parser, "claude-sonnet-4-5");
  info = pm_catalog_lookup (catalog, "claude-sonnet-4-5");
  g_assert_cmpfloat (info->input, ==, json_object_get_double_member (entry, "input_cost_per_token"));
  g_assert_cmpfloat (info->output, ==, json_object_get_double_member (entry, "output_cost_per_token"));
  g_assert_cmpfloat (info->cache_read, ==, json_object_get_double_member (entry, "cache_read_input_token_cost"));
  g_assert_cmpfloat (info->cache_write_5m, ==, json_object_get_double_member (entry, "cache_creation_input_token_cost"));
  g_assert_cmpfloat (info->cache_write_1h, ==, json_object_get_double_member (entry, "cache_creation_input_token_cost_above_1hr"));
  g_assert_cmpint (info->context_window, ==, json_object_get_int_member (entry, "max_input_tokens"));
  g_assert_cmpint (info->max_output, ==, json_object_get_int_member (entry, "max_output_tokens"));
  g_assert_cmpint (info->long_threshold, ==, 200000);
  g_assert_cmpfloat (info->long_input, ==, json_object_get_double_member (entry, "input_cost_per_token_above_200k_tokens"));
  g_assert_cmpfloat (info->long_output, ==, json_object_get_double_member (entry, "output_cost_per_token_above_200k_tokens"));

  /* Google models are keyed gemini/… (AI Studio), not the bare Vertex key. */
  entry = litellm_entry (parser, "gemini/gemini-2.5-pro");
  info = pm_catalog_lookup (catalog, "gemini-2.5-pro");
  g_assert_cmpfloat (info->input, ==, json_object_get_double_member (entry, "input_cost_per_token"));
  g_assert_cmpfloat (info->long_input, ==, json_object_get_double_member (entry, "input_cost_per_token_above_200k_tokens"));
  g_assert_cmpint (info->context_window, ==, json_object_get_int_member (entry, "max_input_tokens"));

  info = pm_catalog_lookup (catalog, "my-local-model");
  g_assert_cmpfloat (info->input, ==, 1e-9);

  /* Importing the same file again changes nothing. */
  g_assert_cmpuint (pm_catalog_import_litellm (catalog, path, &error), ==, 0);
  g_assert_no_error (error);
}

/* The shipped catalog agrees with the LiteLLM file on every model both know, where the file
 * has a direct-provider entry: a drift check of data/catalog.json against published prices. */
static void
test_repo_catalog_matches_litellm (void)
{
  g_autofree char *path = g_build_filename (pm_test_shared_data (), "litellm_model_prices_and_context_window.json", NULL);
  g_autoptr(PmCatalog) catalog = load_repo_catalog ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  GPtrArray *models = pm_catalog_get_models (catalog);
  guint compared = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("LiteLLM price file not found under PM_SHARED_DATA");
      return;
    }

  g_assert_true (json_parser_load_from_mapped_file (parser, path, &error));
  root = json_node_get_object (json_parser_get_root (parser));

  for (guint i = 0; i < models->len; i++)
    {
      const PmModelInfo *info = g_ptr_array_index (models, i);
      const char *prefix = g_str_equal (info->vendor, "google") ? "gemini/" :
                           g_str_equal (info->vendor, "deepseek") ? "deepseek/" :
                           g_str_equal (info->vendor, "zai") ? "zai/" : "";
      g_autofree char *key = g_strconcat (prefix, info->id, NULL);
      JsonObject *entry;

      if (!json_object_has_member (root, key))
        continue;
      entry = json_object_get_object_member (root, key);
      g_test_message ("compare %s with LiteLLM %s", info->id, key);
      g_assert_cmpfloat_with_epsilon (info->input, json_object_get_double_member (entry, "input_cost_per_token"), 1e-15);
      g_assert_cmpfloat_with_epsilon (info->output, json_object_get_double_member (entry, "output_cost_per_token"), 1e-15);
      if (json_object_has_member (entry, "cache_read_input_token_cost"))
        g_assert_cmpfloat_with_epsilon (info->cache_read, json_object_get_double_member (entry, "cache_read_input_token_cost"), 1e-15);
      g_assert_cmpint (info->context_window, ==, json_object_get_int_member (entry, "max_input_tokens"));
      compared++;
    }

  g_assert_cmpuint (compared, >=, 18);
}

static void
test_import_synthetic_tiers (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "prices.json", NULL);
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  const PmModelInfo *info;
  const char *prices =
    "{\"sample_spec\": {\"input_cost_per_token\": 0},"
    " \"claude-sonnet-4-5\": {\"input_cost_per_token\": 4e-06, \"output_cost_per_token\": 2e-05,"
    "   \"input_cost_per_token_above_272k_tokens\": 8e-06, \"output_cost_per_token_above_272k_tokens\": 3e-05,"
    "   \"max_input_tokens\": 400000, \"prompt_cache_min_tokens\": 2048},"
    " \"gemini/gemini-2.5-pro\": \"not an object\"}";

  g_assert_true (g_file_set_contents (path, prices, -1, NULL));
  catalog = pm_catalog_new_from_data (minimal_catalog, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (pm_catalog_import_litellm (catalog, path, &error), ==, 1);
  g_assert_no_error (error);
  info = pm_catalog_lookup (catalog, "claude-sonnet-4-5");
  g_assert_cmpfloat (info->input, ==, 4e-06);
  g_assert_cmpint (info->long_threshold, ==, 272000);
  g_assert_cmpfloat (info->long_input, ==, 8e-06);
  g_assert_cmpfloat (info->long_output, ==, 3e-05);
  g_assert_cmpfloat (info->long_cache_read, ==, info->cache_read);   /* absent: base price */
  g_assert_cmpint (info->context_window, ==, 400000);
  g_assert_cmpint (info->max_output, ==, 100);                        /* absent: unchanged */
  g_assert_cmpint (info->cache_min_tokens, ==, 2048);

  /* Not a price file */
  g_assert_true (g_file_set_contents (path, "[1, 2]", -1, NULL));
  g_assert_cmpuint (pm_catalog_import_litellm (catalog, path, &error), ==, 0);
  g_assert_error (error, PM_ERROR, PM_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "{\"x\": ", -1, NULL));
  g_assert_cmpuint (pm_catalog_import_litellm (catalog, path, &error), ==, 0);
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_cmpuint (pm_catalog_import_litellm (catalog, "/nonexistent/prices.json", &error), ==, 0);
  g_assert_nonnull (error);
}

static void
test_save_roundtrip (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "catalog.json", NULL);
  g_autoptr(PmCatalog) catalog = load_repo_catalog ();
  g_autoptr(PmCatalog) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *a;
  GPtrArray *b;
  PmModelInfo *sonnet;

  /* Change a price through the struct, as an import would, and see it survive a save. */
  sonnet = (PmModelInfo *)pm_catalog_lookup (catalog, "claude-sonnet-4-5");
  sonnet->input = 2.5e-6;

  g_assert_true (pm_catalog_save (catalog, path, &error));
  g_assert_no_error (error);
  reloaded = pm_catalog_new_from_file (path, &error);
  g_assert_no_error (error);

  a = pm_catalog_get_models (catalog);
  b = pm_catalog_get_models (reloaded);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      const PmModelInfo *x = g_ptr_array_index (a, i);
      const PmModelInfo *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->id, ==, y->id);
      g_assert_cmpstr (x->vendor, ==, y->vendor);
      g_assert_cmpint (x->api, ==, y->api);
      g_assert_cmpfloat (x->input, ==, y->input);
      g_assert_cmpfloat (x->cache_read, ==, y->cache_read);
      g_assert_cmpfloat (x->cache_write_5m, ==, y->cache_write_5m);
      g_assert_cmpfloat (x->cache_write_1h, ==, y->cache_write_1h);
      g_assert_cmpfloat (x->output, ==, y->output);
      g_assert_cmpfloat (x->web_search, ==, y->web_search);
      g_assert_cmpint (x->long_threshold, ==, y->long_threshold);
      g_assert_cmpfloat (x->long_input, ==, y->long_input);
      g_assert_cmpint (x->context_window, ==, y->context_window);
      g_assert_cmpint (x->max_output, ==, y->max_output);
      g_assert_cmpuint (x->efforts, ==, y->efforts);
      g_assert_cmpint (x->default_effort, ==, y->default_effort);
      g_assert_cmpstr (x->effort_style, ==, y->effort_style);
      g_assert_cmpstr (x->cache_style, ==, y->cache_style);
      g_assert_cmpint (x->cache_min_tokens, ==, y->cache_min_tokens);
      g_assert_cmpint (x->cache_ttl_seconds, ==, y->cache_ttl_seconds);
      g_assert_cmpuint (g_strv_length (x->aliases), ==, g_strv_length (y->aliases));
      for (guint e = 0; e < PM_EFFORT_LAST; e++)
        g_assert_cmpint (x->effort_budget[e], ==, y->effort_budget[e]);
    }
  g_assert_cmpfloat (pm_catalog_lookup (reloaded, "claude-sonnet-4-5")->input, ==, 2.5e-6);

  /* What the struct does not hold (sources, wire forms, notes) survives the save. */
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_nonnull (strstr (contents, "\"sources\""));
    g_assert_nonnull (strstr (contents, "\"budget_tokens\""));
    g_assert_nonnull (strstr (contents, "\"wire\""));
    g_assert_nonnull (strstr (contents, "\"adaptive\""));
  }
}

static char *data_home;

static void
test_merge_and_default (void)
{
  const char *dir = data_home;
  g_autofree char *user = NULL;
  g_autoptr(PmCatalog) overlay = NULL;
  g_autoptr(PmCatalog) merged = NULL;
  g_autoptr(PmCatalog) base = NULL;
  g_autoptr(GError) error = NULL;
  guint base_count;

  g_unsetenv ("PM_CATALOG");
  user = pm_catalog_user_path ();
  g_assert_true (g_str_has_prefix (user, dir));

  /* The user catalog, as `catalog import` writes it, is applied on top of the shipped one. */
  base = pm_catalog_new_default (&error);
  g_assert_no_error (error);
  base_count = pm_catalog_get_models (base)->len;
  g_assert_cmpuint (base_count, >=, 20);

  overlay = pm_catalog_new_from_data (minimal_catalog, -1, &error);
  g_assert_no_error (error);
  g_assert_true (pm_catalog_save (overlay, user, &error));

  merged = pm_catalog_new_default (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm_catalog_get_models (merged)->len, ==, base_count + 1);
  g_assert_cmpfloat (pm_catalog_lookup (merged, "claude-sonnet-4-5")->input, ==, 1e-6);
  g_assert_cmpint (pm_catalog_lookup (merged, "claude-sonnet-4-5")->context_window, ==, 1000);
  /* What the overlay does not carry (aliases, efforts) stays from the shipped catalog. */
  g_assert_true (pm_catalog_lookup (merged, "anthropic/claude-sonnet-4.5") ==
                 pm_catalog_lookup (merged, "claude-sonnet-4-5"));
  g_assert_nonnull (pm_catalog_lookup (merged, "my-local-model"));
  g_assert_nonnull (pm_catalog_lookup (merged, "kimi-k2"));

  /* A broken user file is ignored, not fatal. */
  g_assert_true (g_file_set_contents (user, "{ broken", -1, NULL));
  g_clear_object (&merged);
  merged = pm_catalog_new_default (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm_catalog_get_models (merged)->len, ==, base_count);

  /* PM_CATALOG names one file. */
  g_setenv ("PM_CATALOG", user, TRUE);
  g_clear_object (&merged);
  merged = pm_catalog_new_default (&error);
  g_assert_null (merged);
  g_assert_nonnull (error);
  g_unsetenv ("PM_CATALOG");
  g_unlink (user);
}

static void
test_bad_catalogs (void)
{
  static const char *bad[] = {
    "",
    "[]",
    "{}",
    "{\"models\": 3}",
    "{\"models\": [1]}",
    "{\"models\": [{\"api\": \"anthropic\", \"price\": {}}]}",
    "{\"models\": [{\"id\": \"x\", \"api\": \"grpc\", \"price\": {}}]}",
    "{\"models\": [{\"id\": \"x\", \"api\": \"anthropic\"}]}",
    "{\"models\": [{\"id\": \"x\", \"api\": \"anthropic\", \"price\": {}, \"effort\": {\"accepted\": [\"huge\"]}}]}",
    "{\"models\": [",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PmCatalog) catalog = pm_catalog_new_from_data (bad[i], -1, &error);

      g_test_message ("bad catalog %u: %s", i, error ? error->message : "(none)");
      g_assert_null (catalog);
      g_assert_nonnull (error);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_null (pm_catalog_new_from_file ("/nonexistent/catalog.json", &error));
    g_assert_nonnull (error);
  }
}

/* pointsman-cli catalog, as a subprocess */
static int
run_cli (char **out,
         char **err,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, g_build_filename (g_getenv ("PM_BUILD_DIR"), "src", "cli", "pointsman-cli", NULL));
  va_start (args, err);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *)argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_cli (void)
{
  g_autofree char *repo = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autofree char *prices = g_build_filename (pm_test_shared_data (), "litellm_model_prices_and_context_window.json", NULL);
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *stale = g_build_filename (dir, "stale.json", NULL);
  g_autofree char *output = g_build_filename (dir, "out", "catalog.json", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(PmCatalog) written = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  char *err = NULL;

  g_assert_nonnull (g_getenv ("PM_BUILD_DIR"));

  /* The table: one row per model, prices per 1M tokens. */
  g_assert_cmpint (run_cli (&out, &err, "catalog", "--catalog", repo, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "claude-sonnet-4-5"));
  g_assert_nonnull (strstr (out, "kimi-k2"));
  g_assert_nonnull (strstr (out, "3.000"));     /* Sonnet input, $/1M */
  g_assert_nonnull (strstr (out, "22.500"));    /* its long-context output */
  g_assert_nonnull (strstr (out, "per 1M tokens"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --json is the catalog document */
  g_assert_cmpint (run_cli (&out, &err, "catalog", "--json", "--catalog", repo, NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_node_get_object (json_parser_get_root (parser)), "models")), >=, 20);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* show: resolves names as clients send them */
  g_assert_cmpint (run_cli (&out, &err, "catalog", "show", "anthropic/claude-sonnet-4.5", "--catalog", repo, NULL), ==, 0);
  {
    g_autoptr(JsonParser) entry = json_parser_new ();

    g_assert_true (json_parser_load_from_data (entry, out, -1, &error));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (entry)), "id"),
                     ==, "claude-sonnet-4-5");
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "catalog", "show", "no-such-model", "--catalog", repo, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "no-such-model"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* import into --output, from a stale catalog */
  if (g_file_test (prices, G_FILE_TEST_IS_REGULAR))
    {
      g_assert_true (g_file_set_contents (stale, minimal_catalog, -1, NULL));
      g_assert_cmpint (run_cli (&out, &err, "catalog", "import", prices, "--catalog", stale,
                                "--output", output, NULL), ==, 0);
      expected = g_strdup_printf ("Updated 2 of 3 models from %s", prices);
      g_assert_nonnull (strstr (out, expected));
      written = pm_catalog_new_from_file (output, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (pm_catalog_lookup (written, "claude-sonnet-4-5")->input, ==, 3e-6);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);

      /* Without --output it writes the user catalog, which the default catalog then applies:
       * the local model of the stale file shows up next to the shipped ones. */
      {
        g_autofree char *user = pm_catalog_user_path ();

        g_unsetenv ("PM_CATALOG");
        g_assert_false (g_file_test (user, G_FILE_TEST_EXISTS));
        g_assert_cmpint (run_cli (&out, &err, "catalog", "import", prices, "--catalog", stale, NULL), ==, 0);
        g_assert_nonnull (strstr (out, user));
        g_assert_true (g_file_test (user, G_FILE_TEST_IS_REGULAR));
        g_clear_pointer (&out, g_free);
        g_clear_pointer (&err, g_free);

        g_assert_cmpint (run_cli (&out, &err, "catalog", NULL), ==, 0);
        g_assert_nonnull (strstr (out, "my-local-model"));
        g_assert_nonnull (strstr (out, "kimi-k2"));
        g_clear_pointer (&out, g_free);
        g_clear_pointer (&err, g_free);
        g_unlink (user);
      }
    }

  /* errors */
  g_assert_cmpint (run_cli (&out, &err, "catalog", "import", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "catalog", "--bogus", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "catalog", "import", "/nonexistent.json", "--catalog", repo,
                            "--output", output, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "nonexistent.json"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "catalog", "--catalog", "/nonexistent-catalog.json", NULL), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* GLib caches the XDG directories on first use: point them at a throwaway place first. */
  data_home = pm_test_make_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  g_test_add_func ("/pm/catalog/required-models", test_required_models);
  g_test_add_func ("/pm/catalog/published-facts", test_published_facts);
  g_test_add_func ("/pm/catalog/lookup-aliases", test_lookup_aliases);
  g_test_add_func ("/pm/catalog/aliases-unique", test_aliases_unique);
  g_test_add_func ("/pm/catalog/import-litellm-real", test_import_litellm_real);
  g_test_add_func ("/pm/catalog/matches-litellm", test_repo_catalog_matches_litellm);
  g_test_add_func ("/pm/catalog/import-synthetic-tiers", test_import_synthetic_tiers);
  g_test_add_func ("/pm/catalog/save-roundtrip", test_save_roundtrip);
  g_test_add_func ("/pm/catalog/merge-and-default", test_merge_and_default);
  g_test_add_func ("/pm/catalog/bad", test_bad_catalogs);
  g_test_add_func ("/pm/catalog/cli", test_cli);

  return g_test_run ();
}
