/* test-config.c — the configuration file: shape, defaults, first run, errors with lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-objective.h"
#include "pm-test-utils.h"

static char *home;

static PmConfig *
load_fixture (const char  *name,
              GError     **error)
{
  g_autofree char *path = pm_test_fixture_path (name);

  return pm_config_load (path, FALSE, error);
}

static void
test_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = load_fixture ("config-full.json", &error);
  g_autofree char *expected_db = NULL;
  g_auto(GStrv) pool = NULL;
  PmProviderConfig *provider;
  PmModelConfig *model;
  PmObjective *objective;

  g_assert_no_error (error);
  g_assert_nonnull (config);

  g_assert_cmpstr (pm_config_get_listen_host (config), ==, "127.0.0.1");
  g_assert_cmpuint (pm_config_get_listen_port (config), ==, 9999);
  g_assert_cmpstr (pm_config_get_default_model (config), ==, "claude-sonnet-4-5");
  g_assert_true (pm_config_get_store_prompts (config));
  g_assert_cmpuint (pm_config_get_max_body (config), ==, 1048576);
  g_assert_cmpuint (pm_config_get_connect_timeout (config), ==, 30);
  g_assert_cmpuint (pm_config_get_idle_timeout (config), ==, 120);

  /* "~" is expanded */
  expected_db = g_build_filename (g_get_home_dir (), "pm-test", "requests.db", NULL);
  g_assert_cmpstr (pm_config_get_database (config), ==, expected_db);

  g_assert_cmpuint (pm_config_get_providers (config)->len, ==, 4);
  provider = pm_config_lookup_provider (config, "anthropic");
  g_assert_nonnull (provider);
  g_assert_cmpint (provider->api, ==, PM_API_ANTHROPIC);
  g_assert_cmpstr (provider->base_url, ==, "https://api.anthropic.com");
  g_assert_cmpstr (provider->key, ==, "keyring");
  g_assert_null (provider->preset);
  g_assert_cmpuint (g_hash_table_size (provider->headers), ==, 0);

  provider = pm_config_lookup_provider (config, "openai");
  g_assert_cmpint (provider->api, ==, PM_API_OPENAI_RESPONSES);
  g_assert_cmpstr (provider->base_url, ==, "https://api.openai.com/v1");   /* trailing / dropped */
  g_assert_cmpstr (provider->key, ==, "env:PM_TEST_OPENAI_KEY");

  provider = pm_config_lookup_provider (config, "local");
  g_assert_cmpint (provider->api, ==, PM_API_OPENAI_CHAT);
  g_assert_cmpstr (provider->key, ==, "none");

  /* A preset fills api, base_url and key. */
  provider = pm_config_lookup_provider (config, "openrouter");
  g_assert_cmpstr (provider->preset, ==, "openrouter");
  g_assert_cmpint (provider->api, ==, PM_API_OPENAI_CHAT);
  g_assert_cmpstr (provider->base_url, ==, "https://openrouter.ai/api/v1");
  g_assert_cmpstr (provider->key, ==, "keyring");
  g_assert_cmpstr (g_hash_table_lookup (provider->headers, "X-Title"), ==, "Pointsman");
  g_assert_cmpstr (g_hash_table_lookup (provider->model_names, "claude-sonnet-4-5"), ==,
                   "anthropic/claude-sonnet-4.5");

  g_assert_null (pm_config_lookup_provider (config, "nope"));

  g_assert_cmpuint (pm_config_get_models (config)->len, ==, 5);
  model = pm_config_lookup_model (config, "gpt-5-mini");
  g_assert_cmpstr (model->provider, ==, "openai");
  g_assert_cmpstr (model->upstream_name, ==, "gpt-5-mini-2025-08-07");
  g_assert_true (model->enabled);
  model = pm_config_lookup_model (config, "qwen3-coder");
  g_assert_false (model->enabled);
  g_assert_null (model->upstream_name);

  pool = pm_config_dup_pool (config);
  g_assert_cmpuint (g_strv_length (pool), ==, 4);
  g_assert_true (g_strv_contains ((const char * const *)pool, "claude-opus-4-6"));
  g_assert_false (g_strv_contains ((const char * const *)pool, "qwen3-coder"));

  objective = pm_config_get_objective (config);
  g_assert_cmpfloat (pm_objective_get_tradeoff (objective), ==, 0.25);
  g_assert_cmpfloat (pm_objective_get_quality_floor (objective), ==, 0.8);
  g_assert_cmpint (pm_objective_get_max_effort (objective), ==, PM_EFFORT_MEDIUM);

  g_assert_true (g_str_has_suffix (pm_config_get_path (config), "config-full.json"));
}

/* The issue's example verbatim. */
static void
test_issue_example (void)
{
  const char *json =
    "{\n"
    "  \"listen\": {\"host\": \"127.0.0.1\", \"port\": 8787},\n"
    "  \"providers\": [\n"
    "    {\"id\": \"anthropic\", \"api\": \"anthropic\", \"base_url\": \"https://api.anthropic.com\", \"key\": \"keyring\"},\n"
    "    {\"id\": \"openai\", \"api\": \"openai-responses\", \"base_url\": \"https://api.openai.com/v1\", \"key\": \"env:OPENAI_API_KEY\"},\n"
    "    {\"id\": \"local\", \"api\": \"openai-chat\", \"base_url\": \"http://127.0.0.1:11434/v1\", \"key\": \"none\"}\n"
    "  ],\n"
    "  \"models\": [\n"
    "    {\"id\": \"claude-sonnet-4-5\", \"provider\": \"anthropic\"},\n"
    "    {\"id\": \"claude-haiku-4-5\", \"provider\": \"anthropic\"},\n"
    "    {\"id\": \"gpt-5-mini\", \"provider\": \"openai\"}\n"
    "  ],\n"
    "  \"default_model\": \"claude-sonnet-4-5\",\n"
    "  \"objective\": {\"tradeoff\": 0.5, \"quality_floor\": 0.9, \"max_effort\": \"high\"},\n"
    "  \"database\": \"~/.local/share/pointsman/requests.db\"\n"
    "}\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = pm_config_new_from_data (json, -1, "config.json", &error);
  g_autofree char *db = g_build_filename (g_get_home_dir (), ".local", "share", "pointsman", "requests.db", NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (pm_config_get_providers (config)->len, ==, 3);
  g_assert_cmpuint (pm_config_get_models (config)->len, ==, 3);
  g_assert_cmpstr (pm_config_get_database (config), ==, db);
  /* Defaults for what the example leaves out */
  g_assert_cmpuint (pm_config_get_max_body (config), ==, 32 * 1024 * 1024);
  g_assert_false (pm_config_get_store_prompts (config));
  g_assert_cmpuint (pm_config_get_connect_timeout (config), >, 0);
  g_assert_cmpuint (pm_config_get_idle_timeout (config), >, 0);
  g_assert_null (pm_config_get_path (config));
}

static void
test_first_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = NULL;
  g_autoptr(PmConfig) again = NULL;
  g_autofree char *path = pm_config_default_path ();
  g_autofree char *expected_path = g_build_filename (home, ".config", "pointsman", "config.json", NULL);
  g_autofree char *expected_db = g_build_filename (home, ".local", "share", "pointsman", "requests.db", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) pool = NULL;
  GStatBuf st;

  g_assert_cmpstr (path, ==, expected_path);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Not there and not asked to create it: an error naming the file. */
  g_assert_null (pm_config_load (NULL, FALSE, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "config.json"));
  g_clear_error (&error);

  config = pm_config_load (NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (pm_config_get_path (config), ==, path);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_cmpstr (pm_config_get_listen_host (config), ==, "127.0.0.1");
  g_assert_cmpuint (pm_config_get_listen_port (config), ==, 8787);
  g_assert_cmpstr (pm_config_get_database (config), ==, expected_db);
  g_assert_nonnull (pm_config_lookup_provider (config, "anthropic"));
  g_assert_nonnull (pm_config_get_default_model (config));
  g_assert_nonnull (pm_config_lookup_model (config, pm_config_get_default_model (config)));
  pool = pm_config_dup_pool (config);
  g_assert_cmpuint (g_strv_length (pool), >=, 3);
  g_assert_cmpfloat (pm_objective_get_quality_floor (pm_config_get_objective (config)), ==, 0.9);

  /* The file is written with ~ for the home directory and no secret in it. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"~/.local/share/pointsman/requests.db\""));
  g_assert_nonnull (strstr (contents, "\"keyring\""));

  /* A second run loads the same file and does not rewrite it. */
  g_assert_true (g_file_set_contents (path, "{\"listen\": {\"port\": 9000}}", -1, NULL));
  again = pm_config_load (NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm_config_get_listen_port (again), ==, 9000);
  g_unlink (path);
}

static void
test_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = load_fixture ("config-full.json", &error);
  g_autoptr(PmConfig) reloaded = NULL;
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "nested", "config.json", NULL);
  g_autofree char *contents = NULL;
  PmProviderConfig *provider;
  PmProviderConfig replacement = { 0 };

  g_assert_no_error (error);

  /* The app's providers page replaces one provider and adds another. */
  replacement.id = (char *)"local";
  replacement.api = PM_API_OPENAI_CHAT;
  replacement.base_url = (char *)"http://127.0.0.1:8080/v1";
  replacement.key = (char *)"none";
  pm_config_set_provider (config, &replacement);
  replacement.id = (char *)"deepseek";
  replacement.preset = (char *)"deepseek";
  replacement.base_url = (char *)"https://api.deepseek.com";
  replacement.key = (char *)"keyring";
  pm_config_set_provider (config, &replacement);
  g_assert_cmpuint (pm_config_get_providers (config)->len, ==, 5);
  pm_config_set_listen_port (config, 8000);
  pm_config_set_database (config, "~/other.db");

  g_assert_true (pm_config_save (config, path, &error));
  g_assert_no_error (error);

  reloaded = pm_config_load (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm_config_get_listen_port (reloaded), ==, 8000);
  g_assert_cmpuint (pm_config_get_providers (reloaded)->len, ==, 5);
  g_assert_cmpstr (pm_config_lookup_provider (reloaded, "local")->base_url, ==, "http://127.0.0.1:8080/v1");
  g_assert_cmpstr (pm_config_lookup_provider (reloaded, "deepseek")->preset, ==, "deepseek");
  provider = pm_config_lookup_provider (reloaded, "openrouter");
  g_assert_cmpstr (g_hash_table_lookup (provider->headers, "HTTP-Referer"), ==, "https://example.invalid");
  g_assert_cmpstr (g_hash_table_lookup (provider->model_names, "claude-sonnet-4-5"), ==,
                   "anthropic/claude-sonnet-4.5");
  g_assert_false (pm_config_lookup_model (reloaded, "qwen3-coder")->enabled);
  g_assert_cmpstr (pm_config_lookup_model (reloaded, "gpt-5-mini")->upstream_name, ==, "gpt-5-mini-2025-08-07");
  g_assert_cmpstr (pm_config_get_default_model (reloaded), ==, "claude-sonnet-4-5");
  g_assert_cmpuint (pm_config_get_max_body (reloaded), ==, 1048576);
  g_assert_cmpuint (pm_config_get_idle_timeout (reloaded), ==, 120);
  g_assert_true (pm_config_get_store_prompts (reloaded));
  g_assert_cmpfloat (pm_objective_get_tradeoff (pm_config_get_objective (reloaded)), ==, 0.25);
  g_assert_true (g_str_has_suffix (pm_config_get_database (reloaded), "/other.db"));

  /* Members this file does not know are kept for the parts that do, and reachable. */
  {
    JsonNode *router = pm_config_get_extra (reloaded, "router");
    g_autoptr(JsonNode) replacement_node = json_from_string ("{\"sticky\": false}", NULL);

    g_assert_nonnull (router);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (router));
    g_assert_true (json_object_get_boolean_member (json_node_get_object (router), "sticky"));
    g_assert_null (pm_config_get_extra (reloaded, "listen"));
    g_assert_null (pm_config_get_extra (reloaded, "nothing"));

    pm_config_set_extra (reloaded, "guard", replacement_node);
    g_assert_nonnull (pm_config_get_extra (reloaded, "guard"));
    pm_config_set_extra (reloaded, "guard", NULL);
    g_assert_null (pm_config_get_extra (reloaded, "guard"));
  }

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"router\""));
  g_assert_nonnull (strstr (contents, "kept by the config, read by others"));
  g_assert_nonnull (strstr (contents, "\"~/other.db\""));
}

typedef struct
{
  const char *fixture;
  const char *expected;   /* after "PATH:" */
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "config-bad-api.json", "6: providers[1].api: unknown API “foo” (expected anthropic, openai-chat, openai-responses)" },
  { "config-syntax.json", "3: syntax error at column 20: unexpected string constant" },   /* the missing comma belongs at the end of line 3 */
  { "config-unknown-provider.json", "8: models[1].provider: unknown provider “openai” (providers: anthropic)" },
  { "config-bad-port.json", "3: listen.port: 70000 is out of range (0–65535)" },
  { "config-bad-key.json", "7: providers[0].key: expected \"keyring\", \"env:NAME\" or \"none\"" },
  { "config-bad-objective.json", "4: objective.max_effort: expected" },
  { "config-dup-provider.json", "5: providers[2].id: duplicate provider id “anthropic”" },
  { "config-missing-field.json", "4: providers[0].base_url: missing" },
  { "config-bad-host.json", "3: listen.host: “0.0.0.0” is not a loopback address" },
  { "config-bad-type.json", "3: store_prompts: expected true or false, found a string" },
  { "config-bad-default.json", "4: default_model: “claude-opus-4-6” is not one of the configured models" },
  { "config-bad-url.json", "4: providers[0].base_url: “ftp://api.anthropic.com” is not an http:// or https:// URL" },
  { "config-bad-limits.json", "4: limits.idle_timeout: 0 is out of range (1–86400)" },
};

static void
test_error (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autofree char *path = pm_test_fixture_path (c->fixture);
  g_autofree char *expected = g_strdup_printf ("%s:%s", path, c->expected);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = pm_config_load (path, FALSE, &error);

  g_assert_null (config);
  g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  if (!g_str_has_prefix (error->message, expected))
    g_error ("expected “%s…”, got “%s”", expected, error->message);

  /* A key pasted into the file is never repeated in a message. */
  g_assert_null (strstr (error->message, "test-key-not-real"));
}

static void
test_inline_errors (void)
{
  static const struct { const char *json; gssize len; const char *expected; } cases[] = {
    { "", 0, "config.json: the file is empty" },
    { "   \n", -1, "config.json: the file is empty" },
    { "[1, 2]", -1, "config.json:1: expected a JSON object at the top level, found an array" },
    { "\"text\"", -1, "config.json:1: expected a JSON object at the top level, found a string" },
    { "{\"listen\": 5}", -1, "config.json:1: listen: expected an object, found a number" },
    { "{\"providers\": {}}", -1, "config.json:1: providers: expected an array, found an object" },
    { "{\"providers\": [5]}", -1, "config.json:1: providers[0]: expected an object, found a number" },
    { "{\n\"providers\": [\n{\"api\": \"anthropic\"}]}", -1, "config.json:3: providers[0].id: missing (required)" },
    { "{\"providers\": [{\"id\": \"a b\", \"preset\": \"anthropic\"}]}", -1, "config.json:1: providers[0].id: “a b” is not a valid id" },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"nope\"}]}", -1, "config.json:1: providers[0].preset: unknown preset “nope” (expected anthropic," },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"openai\", \"headers\": {\"X\": 1}}]}", -1, "config.json:1: providers[0].headers.X: expected a string, found a number" },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"openai\", \"key\": \"env:\"}]}", -1, "config.json:1: providers[0].key: expected" },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"openai\", \"key\": \"env:1X\"}]}", -1, "config.json:1: providers[0].key: expected" },
    { "{\"models\": [{\"id\": \"x\"}]}", -1, "config.json:1: models[0].provider: missing (required)" },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"openai\"}],\n \"models\": [{\"id\": \"x\", \"provider\": \"a\"},\n {\"id\": \"x\", \"provider\": \"a\"}]}", -1, "config.json:3: models[1].id: duplicate model “x”" },
    { "{\"models\": [{\"id\": \"x\", \"provider\": \"a\", \"enabled\": 1}]}", -1, "config.json:1: models[0].enabled: expected true or false, found a number" },
    { "{\"listen\": {\"port\": 80.5}}", -1, "config.json:1: listen.port: expected an integer, found 80.5" },
    { "{\"listen\": {\"port\": \"8787\"}}", -1, "config.json:1: listen.port: expected an integer, found a string" },
    { "{\"database\": \"\"}", -1, "config.json:1: database: must not be empty" },
    { "{\"objective\": {\"tradeoff\": 3}}", -1, "config.json:1: objective" },
    { "{\"objective\": []}", -1, "config.json:1: objective: expected an object, found an array" },
    { "{\"limits\": {\"max_body_bytes\": 10}}", -1, "config.json:1: limits.max_body_bytes: 10 is out of range" },
    { "{\"a\": \"\xff\xfe\"}", -1, "config.json: not valid UTF-8 text" },
    { "{\"a\": 1,}", -1, "config.json:1: syntax error" },
    { "{\"providers\": [{\"id\": \"a\", \"api\": \"anthropic\",\n  \"base-url\": \"https://x.invalid\"}]}", -1,
      "config.json:2: providers[0].base-url: unknown member (expected id, api, base_url, key, preset, headers, model_names)" },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"openai\"}],\n \"models\": [{\"id\": \"gpt-5\", \"provider\": \"a\",\n \"enable\": false}]}", -1,
      "config.json:3: models[0].enable: unknown member (expected id, provider, upstream_name, enabled)" },
    { "{\"listen\": {\"prot\": 1}}", -1, "config.json:1: listen.prot: unknown member (expected host, port, token)" },
    { "{\"limits\": {\"max_body\": 1}}", -1, "config.json:1: limits.max_body: unknown member" },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"openai\",\n \"headers\": {\"X-Ok\": \"1\",\n \"Bad Name\": \"x\"}}]}", -1,
      "config.json:3: providers[0].headers.Bad Name: not a valid HTTP header name" },
    { "{\"providers\": [{\"id\": \"a\", \"preset\": \"openai\", \"headers\": {\"X-Inject\": \"a\\r\\nHost: evil\"}}]}", -1,
      "config.json:1: providers[0].headers.X-Inject: a header value must be one line" },
    { "{\"providers\": [\n{\"id\": \"a\", \"api\": \"anthropic\",\n \"base_url\": \"https://api.anthropic.com/v1\"}]}", -1,
      "config.json:3: providers[0].base_url: Anthropic's base URL has no path (no /v1)" },
    { "{\"providers\": [{\"id\": \"o\", \"api\": \"openai-responses\", \"base_url\": \"https://api.openai.com\"}]}", -1,
      "config.json:1: providers[0].base_url: OpenAI's base URL includes /v1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PmConfig) config = pm_config_new_from_data (cases[i].json, cases[i].len, "config.json", &error);

      g_test_message ("case %u: %s", i, error ? error->message : "(no error)");
      g_assert_null (config);
      g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
      if (!g_str_has_prefix (error->message, cases[i].expected))
        g_error ("case %u: expected “%s…”, got “%s”", i, cases[i].expected, error->message);
    }
}

static void
test_defaults_and_minimal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) defaults = pm_config_new_default ();
  g_autoptr(PmConfig) empty = pm_config_new_from_data ("{}", -1, NULL, &error);
  g_autoptr(PmConfig) reparsed = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  g_auto(GStrv) pool = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (pm_config_get_listen_port (empty), ==, 8787);
  /* The default database is written with ~ (the test home holds XDG_DATA_HOME). */
  {
    g_autoptr(JsonNode) json = pm_config_to_json (empty);

    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "database"), ==,
                     "~/.local/share/pointsman/requests.db");
  }
  g_assert_cmpuint (pm_config_get_providers (empty)->len, ==, 0);
  g_assert_null (pm_config_get_default_model (empty));
  pool = pm_config_dup_pool (empty);
  g_assert_cmpuint (g_strv_length (pool), ==, 0);

  /* The defaults serialise to a file that loads back to the same thing. */
  node = pm_config_to_json (defaults);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  reparsed = pm_config_new_from_data (text, -1, "defaults", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm_config_get_providers (reparsed)->len, ==, pm_config_get_providers (defaults)->len);
  g_assert_cmpuint (pm_config_get_models (reparsed)->len, ==, pm_config_get_models (defaults)->len);
  g_assert_cmpstr (pm_config_get_default_model (reparsed), ==, pm_config_get_default_model (defaults));
  g_assert_cmpstr (pm_config_get_database (reparsed), ==, pm_config_get_database (defaults));

  /* Without default_model, the first enabled model is the default. */
  {
    g_autoptr(PmConfig) config = pm_config_new_from_data (
      "{\"providers\": [{\"id\": \"a\", \"preset\": \"anthropic\"}],"
      " \"models\": [{\"id\": \"m1\", \"provider\": \"a\", \"enabled\": false},"
      "              {\"id\": \"m2\", \"provider\": \"a\"}]}", -1, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (pm_config_get_default_model (config), ==, "m2");
  }

  /* Relative database paths are relative to the configuration file. */
  {
    g_autofree char *dir = pm_test_make_tmpdir ();
    g_autofree char *path = g_build_filename (dir, "config.json", NULL);
    g_autofree char *expected = g_build_filename (dir, "data", "r.db", NULL);
    g_autoptr(PmConfig) config = NULL;

    g_assert_true (g_file_set_contents (path, "{\"database\": \"data/r.db\"}", -1, NULL));
    config = pm_config_load (path, FALSE, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (pm_config_get_database (config), ==, expected);

    /* serve --db: relative to the working directory */
    {
      g_autofree char *cwd = g_get_current_dir ();
      g_autofree char *from_cwd = g_build_filename (cwd, "other.db", NULL);

      pm_config_set_database (config, "other.db");
      g_assert_cmpstr (pm_config_get_database (config), ==, from_cwd);
    }
  }
}

/* Never crash on bad input: every truncation and a set of byte mutations of a full file load
 * or fail with a message naming the file. */
static void
test_never_crash (void)
{
  g_autofree char *path = pm_test_fixture_path ("config-full.json");
  g_autofree char *contents = NULL;
  static const char replacements[] = { '"', '{', '}', '[', ']', ',', ':', '0', 'x', '\n', '\\' };
  gsize length = 0;
  guint failures = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));

  for (gsize cut = 0; cut < length; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PmConfig) config = pm_config_new_from_data (contents, cut, "fuzz.json", &error);

      if (config == NULL)
        {
          g_assert_nonnull (error);
          g_assert_true (g_str_has_prefix (error->message, "fuzz.json"));
          failures++;
        }
    }
  g_assert_cmpuint (failures, >, length / 2);

  for (gsize pos = 0; pos < length; pos += 3)
    {
      for (guint r = 0; r < G_N_ELEMENTS (replacements); r++)
        {
          g_autofree char *mutated = g_strndup (contents, length);
          g_autoptr(GError) error = NULL;
          g_autoptr(PmConfig) config = NULL;

          mutated[pos] = replacements[r];
          config = pm_config_new_from_data (mutated, length, "fuzz.json", &error);
          g_assert_true ((config == NULL) == (error != NULL));
          if (error != NULL)
            g_assert_true (g_str_has_prefix (error->message, "fuzz.json"));
        }
    }

  /* Deep nesting in an unknown member */
  {
    g_autoptr(GString) deep = g_string_new ("{\"x\": ");
    g_autoptr(GError) error = NULL;
    g_autoptr(PmConfig) config = NULL;

    for (guint i = 0; i < 500; i++)
      g_string_append (deep, "[");
    for (guint i = 0; i < 500; i++)
      g_string_append (deep, "]");
    g_string_append (deep, ", \"listen\": {\"port\": -1}}");
    config = pm_config_new_from_data (deep->str, -1, "deep.json", &error);
    g_assert_null (config);
    g_assert_true (g_str_has_prefix (error->message, "deep.json:1: listen.port"));
  }
}

static void
test_check_models (void)
{
  g_autofree char *catalog_path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(PmConfig) good = NULL;
  g_autoptr(PmConfig) bad = NULL;
  g_autoptr(PmConfig) defaults = pm_config_new_default ();
  g_autoptr(GError) error = NULL;

  catalog = pm_catalog_new_from_file (catalog_path, &error);
  g_assert_no_error (error);

  good = load_fixture ("config-full.json", &error);
  g_assert_no_error (error);
  g_assert_true (pm_config_check_models (good, catalog, &error));
  g_assert_no_error (error);
  g_assert_true (pm_config_check_models (defaults, catalog, &error));
  g_assert_no_error (error);

  /* Aliases are fine; an unknown model is reported at its line. */
  bad = pm_config_new_from_data (
    "{\"providers\": [{\"id\": \"a\", \"preset\": \"anthropic\"}],\n"
    " \"models\": [\n"
    "   {\"id\": \"claude-sonnet-4-5-20250929\", \"provider\": \"a\"},\n"
    "   {\"id\": \"anthropic/claude-haiku-4.5\", \"provider\": \"a\"},\n"
    "   {\"id\": \"claude-sonnet-9\",\n"
    "    \"provider\": \"a\"}]}", -1, "mine.json", &error);
  g_assert_no_error (error);
  g_assert_false (pm_config_check_models (bad, catalog, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message,
                                   "mine.json:5: models[2].id: “claude-sonnet-9” is not in the model catalog"));
}

/* The JSON examples in docs/CONFIG.md load, and their models are in the catalog. */
static void
test_doc_examples (void)
{
  g_autofree char *doc_path = g_build_filename (pm_test_source_dir (), "docs", "CONFIG.md", NULL);
  g_autofree char *catalog_path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = NULL;
  const char *p;
  guint full_configs = 0;

  g_assert_true (g_file_get_contents (doc_path, &doc, NULL, NULL));
  catalog = pm_catalog_new_from_file (catalog_path, &error);
  g_assert_no_error (error);

  for (p = strstr (doc, "```json\n"); p != NULL; p = strstr (p, "```json\n"))
    {
      const char *start = p + strlen ("```json\n");
      const char *end = strstr (start, "```");
      g_autofree char *block = NULL;
      g_autoptr(PmConfig) config = NULL;

      g_assert_nonnull (end);
      block = g_strndup (start, end - start);
      p = end + 3;

      /* Only whole configurations (fragments show one provider or model). */
      if (strstr (block, "\"providers\"") == NULL)
        continue;

      config = pm_config_new_from_data (block, -1, "CONFIG.md", &error);
      g_assert_no_error (error);
      g_assert_true (pm_config_check_models (config, catalog, &error));
      g_assert_no_error (error);
      g_assert_nonnull (pm_config_get_default_model (config));
      full_configs++;
    }

  g_assert_cmpuint (full_configs, >=, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* GLib caches the XDG directories on first use: a throwaway home before anything else. */
  home = pm_test_make_tmpdir ();
  g_setenv ("HOME", home, TRUE);
  {
    g_autofree char *config_home = g_build_filename (home, ".config", NULL);
    g_autofree char *data_home = g_build_filename (home, ".local", "share", NULL);

    g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
    g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  }

  g_test_add_func ("/pm/config/full", test_full);
  g_test_add_func ("/pm/config/issue-example", test_issue_example);
  g_test_add_func ("/pm/config/first-run", test_first_run);
  g_test_add_func ("/pm/config/roundtrip", test_roundtrip);
  g_test_add_func ("/pm/config/defaults-and-minimal", test_defaults_and_minimal);
  g_test_add_func ("/pm/config/check-models", test_check_models);
  g_test_add_func ("/pm/config/doc-examples", test_doc_examples);
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/pm/config/error/%s", error_cases[i].fixture);

      g_test_add_data_func (name, &error_cases[i], test_error);
    }
  g_test_add_func ("/pm/config/inline-errors", test_inline_errors);
  g_test_add_func ("/pm/config/never-crash", test_never_crash);

  return g_test_run ();
}
