/* test-gateway.c — gateway presets: names, credentials, effort fields, cost read-back and the
 * gateways' own errors, through the proxy to the scripted upstream over loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-gateway.h"
#include "pm-keyring.h"
#include "pm-proxy.h"
#include "pm-record.h"
#include "pm-request-log.h"
#include "pm-router.h"
#include "pm-store.h"
#include "pm-test-utils.h"
#include "test-proxy-common.h"

#define GATEWAY_KEY  "test-key-not-real-gw-1234"
#define PROVIDER_KEY "test-key-not-real-provider-5678"
#define CLIENT_KEY   "test-key-not-real-client-0000"

static const char *openai_headers[] = {
  "authorization", "Bearer " CLIENT_KEY,
  "user-agent", "test-client/1.0",
  NULL
};

static const char *anthropic_headers[] = {
  "x-api-key", CLIENT_KEY,
  "anthropic-version", "2023-06-01",
  "user-agent", "claude-cli/2.1.0 (external, cli)",
  NULL
};

typedef struct
{
  PmSimUpstream *sim;
  char          *sim_url;
  char          *dir;
  PmStore       *store;
  PmTestProxy   *proxy;
  const char    *url;           /* the proxy's */
} Fixture;

static PmCatalog *
load_catalog (void)
{
  g_autofree char *path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autoptr(GError) error = NULL;
  PmCatalog *catalog = pm_catalog_new_from_file (path, &error);

  g_assert_no_error (error);
  return catalog;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = pm_test_make_tmpdir ();
  f->sim = pm_sim_upstream_new ();
  g_assert_true (pm_sim_upstream_start (f->sim, 0, &error));
  g_assert_no_error (error);
  f->sim_url = pm_sim_upstream_dup_url (f->sim);
}

/* providers/models: JSON with SIM standing for the scripted upstream's URL. Every provider id
 * gets GATEWAY_KEY in the (in-memory) keyring. */
static void
start_proxy (Fixture    *f,
             const char *providers,
             const char *models)
{
  g_autoptr(JsonNode) model_list = json_from_string (models, NULL);
  const char *default_model = json_object_get_string_member (json_array_get_object_element (json_node_get_array (model_list), 0), "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  g_autofree char *db = g_build_filename (f->dir, "requests.db", NULL);

  g_string_printf (json, "{\"listen\": {\"host\": \"127.0.0.1\", \"port\": 0},"
                         " \"providers\": %s, \"models\": %s,"
                         " \"default_model\": \"%s\", \"database\": \"%s\"}",
                   providers, models, default_model, db);
  g_string_replace (json, "SIM", f->sim_url, 0);

  f->store = pm_store_open (db, &error);
  g_assert_no_error (error);
  f->proxy = pm_test_proxy_start (json->str, GATEWAY_KEY, f->store);
  f->url = f->proxy->url;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->proxy, pm_test_proxy_free);
  if (f->store != NULL)
    pm_store_close (f->store);
  g_clear_object (&f->store);
  pm_sim_upstream_stop (f->sim);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->sim);
  g_free (f->sim_url);
  g_free (f->dir);
}

static PmRecord *
last_record (Fixture *f)
{
  PmRequestLog *log = pm_proxy_get_log (f->proxy->proxy);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (log));
  PmRecord *record;

  g_assert_cmpuint (n, >, 0);
  record = g_list_model_get_item (G_LIST_MODEL (log), n - 1);
  g_object_unref (record);   /* the log keeps it alive */
  return record;
}

static JsonObject *
upstream_body (Fixture *f)
{
  JsonNode *node = pm_sim_upstream_get_last_json (f->sim);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* No key the client sent, and never the gateway key outside the header it belongs in. */
static void
assert_keys_in_place (Fixture    *f,
                      const char *key_header)
{
  GHashTableIter iter;
  gpointer name, value;
  g_autofree char *body = g_strndup (g_bytes_get_data (pm_sim_upstream_get_last_body (f->sim), NULL),
                                     g_bytes_get_size (pm_sim_upstream_get_last_body (f->sim)));

  g_assert_null (strstr (body, GATEWAY_KEY));
  g_assert_null (strstr (body, CLIENT_KEY));
  g_hash_table_iter_init (&iter, pm_sim_upstream_get_last_headers (f->sim));
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      if (strstr (value, CLIENT_KEY) != NULL)
        g_error ("the client's key reached the upstream in %s", (char *) name);
      if (strstr (value, GATEWAY_KEY) != NULL && g_strcmp0 (name, key_header) != 0)
        g_error ("the gateway key went out in %s, not %s", (char *) name, key_header);
    }
}

static PmProviderConfig *
provider_from (const char *json,
               PmConfig  **holder)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *full = g_strdup_printf ("{\"providers\": [%s], \"models\": [], \"default_model\": \"claude-sonnet-4-5\"}", json);

  *holder = pm_config_new_from_data (full, -1, "unit.json", &error);
  g_assert_no_error (error);
  return g_ptr_array_index (pm_config_get_providers (*holder), 0);
}

/* ---- the table ---- */

static void
test_presets (void)
{
  const char *gateways[] = { "cloudflare", "litellm", "openrouter", "portkey", "truefoundry" };
  const PmGatewayPreset *table;
  const PmGatewayPreset *cf;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *anthropic_url = NULL;
  guint n = 0;

  table = pm_gateway_presets (&n);
  g_assert_cmpuint (n, >=, 9);
  for (guint i = 1; i < n; i++)
    g_assert_cmpint (g_strcmp0 (table[i - 1].name, table[i].name), <, 0);
  for (guint i = 0; i < G_N_ELEMENTS (gateways); i++)
    {
      const PmGatewayPreset *preset = pm_gateway_lookup (gateways[i]);

      g_assert_nonnull (preset);
      g_assert_true (preset->is_gateway);
      g_assert_true (preset->apis & PM_GATEWAY_API_BIT (PM_API_OPENAI_CHAT));
      g_assert_true (preset->apis & PM_GATEWAY_API_BIT (preset->api));
      g_assert_nonnull (preset->docs_anchor);
    }
  g_assert_false (pm_gateway_lookup ("anthropic")->is_gateway);
  g_assert_null (pm_gateway_lookup ("no-such-gateway"));
  g_assert_true (pm_gateway_lookup ("cloudflare-ai-gateway") == pm_gateway_lookup ("cloudflare"));

  /* Cloudflare's per-account, per-gateway URL. */
  cf = pm_gateway_lookup ("cloudflare");
  url = pm_gateway_expand_base_url (cf, PM_API_OPENAI_CHAT, values, &error);
  g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "account_id"));
  g_assert_null (url);
  g_clear_error (&error);

  g_hash_table_insert (values, "account_id", "0123abcd");
  g_hash_table_insert (values, "gateway_id", "my-gateway");
  url = pm_gateway_expand_base_url (cf, PM_API_OPENAI_CHAT, values, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "https://gateway.ai.cloudflare.com/v1/0123abcd/my-gateway/compat");
  anthropic_url = pm_gateway_expand_base_url (cf, PM_API_ANTHROPIC, values, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (anthropic_url, ==, "https://gateway.ai.cloudflare.com/v1/0123abcd/my-gateway/anthropic");

  g_assert_null (pm_gateway_find_placeholder ("https://openrouter.ai/api/v1"));
  {
    g_autofree char *left = pm_gateway_find_placeholder ("https://{control_plane}/api/llm");

    g_assert_cmpstr (left, ==, "control_plane");
  }
}

static void
test_api_paths (void)
{
  const char *cases[][2] = {
    { "/api/v1/chat/completions", "/v1/chat/completions" },
    { "/api/v1/messages", "/v1/messages" },
    { "/api/llm/chat/completions", "/chat/completions" },
    { "/api/llm/v1/responses", "/v1/responses" },
    { "/v1/0123abcd/my-gateway/compat/chat/completions", "/chat/completions" },
    { "/v1/0123abcd/my-gateway/openai/responses", "/responses" },
    { "/v1/0123abcd/my-gateway/anthropic/v1/messages", "/v1/messages" },
    { "/anthropic/v1/messages", "/v1/messages" },
    /* Plain API paths stay as they are. */
    { "/v1/chat/completions", "/v1/chat/completions" },
    { "/v1/messages/count_tokens", "/v1/messages/count_tokens" },
    { "/v1/responses/compact", "/v1/responses/compact" },
    { "/chat/completions", "/chat/completions" },
    { "/v1/a/b/unknown-provider/chat/completions", "/v1/a/b/unknown-provider/chat/completions" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (pm_gateway_api_path (cases[i][0]), ==, cases[i][1]);
}

/* ---- model names ---- */

static void
assert_name (PmCatalog  *catalog,
             const char *provider_json,
             const char *model_id,
             const char *expected)
{
  g_autoptr(PmConfig) holder = NULL;
  PmProviderConfig *provider = provider_from (provider_json, &holder);
  g_autofree char *name = pm_gateway_model_name (provider, pm_catalog_lookup (catalog, model_id), model_id);

  g_assert_cmpstr (name, ==, expected);
}

static void
test_model_names (void)
{
  g_autoptr(PmCatalog) catalog = load_catalog ();
  const char *openrouter = "{\"id\": \"or\", \"preset\": \"openrouter\"}";
  const char *litellm = "{\"id\": \"ll\", \"preset\": \"litellm\"}";

  /* OpenRouter spells vendors and versions its own way. */
  assert_name (catalog, openrouter, "claude-sonnet-4-5", "anthropic/claude-sonnet-4.5");
  assert_name (catalog, openrouter, "claude-haiku-4-5", "anthropic/claude-haiku-4.5");
  assert_name (catalog, openrouter, "gpt-5-mini", "openai/gpt-5-mini");
  assert_name (catalog, openrouter, "gemini-3-pro", "google/gemini-3-pro-preview");
  assert_name (catalog, openrouter, "glm-4.6", "z-ai/glm-4.6");
  assert_name (catalog, openrouter, "kimi-k2", "moonshotai/kimi-k2");
  assert_name (catalog, openrouter, "deepseek-chat", "deepseek/deepseek-chat");

  /* LiteLLM: its model_name aliases; the catalog id unless model_names says otherwise. */
  assert_name (catalog, litellm, "claude-sonnet-4-5", "claude-sonnet-4-5");
  assert_name (catalog, "{\"id\": \"ll\", \"preset\": \"litellm\", \"model_names\": {\"anthropic/*\": \"anthropic/{id}\", \"*\": \"team-{id}\"}}",
               "claude-sonnet-4-5", "anthropic/claude-sonnet-4-5");
  assert_name (catalog, "{\"id\": \"ll\", \"preset\": \"litellm\", \"model_names\": {\"anthropic/*\": \"anthropic/{id}\", \"*\": \"team-{id}\"}}",
               "gpt-5", "team-gpt-5");
  assert_name (catalog, "{\"id\": \"ll\", \"preset\": \"litellm\", \"model_names\": {\"claude-sonnet-4-5\": \"sonnet\", \"*\": \"team-{id}\"}}",
               "claude-sonnet-4-5", "sonnet");

  /* TrueFoundry: provider-account/model. */
  assert_name (catalog, "{\"id\": \"tfy\", \"preset\": \"truefoundry\", \"base_url\": \"https://acme.truefoundry.cloud/api/llm\"}",
               "gpt-5", "openai/gpt-5");
  assert_name (catalog, "{\"id\": \"tfy\", \"preset\": \"truefoundry\", \"base_url\": \"https://acme.truefoundry.cloud/api/llm\","
                        " \"model_names\": {\"anthropic/*\": \"anthropic-main/\"}}",
               "claude-opus-4-5", "anthropic-main/claude-opus-4-5");

  /* Cloudflare: "provider/model" on the compat endpoint, native names on per-provider paths. */
  assert_name (catalog, "{\"id\": \"cf\", \"preset\": \"cloudflare\", \"base_url\": \"https://gateway.ai.cloudflare.com/v1/acc/gw/compat\"}",
               "gemini-2.5-flash", "google-ai-studio/gemini-2.5-flash");
  assert_name (catalog, "{\"id\": \"cf\", \"preset\": \"cloudflare\", \"base_url\": \"https://gateway.ai.cloudflare.com/v1/acc/gw/compat\"}",
               "claude-sonnet-4-5", "anthropic/claude-sonnet-4-5");
  assert_name (catalog, "{\"id\": \"cf\", \"preset\": \"cloudflare\", \"api\": \"anthropic\","
                        " \"base_url\": \"https://gateway.ai.cloudflare.com/v1/acc/gw/anthropic\"}",
               "claude-sonnet-4-5", "claude-sonnet-4-5");

  /* Portkey with a provider header: the provider's own names. */
  assert_name (catalog, "{\"id\": \"pk\", \"preset\": \"portkey\", \"headers\": {\"x-portkey-provider\": \"openai\"}}",
               "gpt-5", "gpt-5");
}

/* ---- credentials ---- */

static void
test_headers (void)
{
  struct {
    const char *provider;
    PmApi       api;
    const char *header;
    const char *value;
    const char *absent;
  } cases[] = {
    /* Hosted Portkey: its own key header; the self-hosted gateway forwards the provider key. */
    { "{\"id\": \"pk\", \"preset\": \"portkey\", \"headers\": {\"x-portkey-virtual-key\": \"vk-anthropic-1\"}}",
      PM_API_OPENAI_CHAT, "x-portkey-api-key", GATEWAY_KEY, "authorization" },
    { "{\"id\": \"pk\", \"preset\": \"portkey\", \"base_url\": \"http://127.0.0.1:8787/v1\","
      " \"headers\": {\"x-portkey-provider\": \"openai\"}}",
      PM_API_OPENAI_CHAT, "authorization", "Bearer " GATEWAY_KEY, "x-portkey-api-key" },
    { "{\"id\": \"pk\", \"preset\": \"portkey\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:8787\","
      " \"headers\": {\"x-portkey-provider\": \"anthropic\"}}",
      PM_API_ANTHROPIC, "x-api-key", GATEWAY_KEY, "authorization" },
    /* Cloudflare's authenticated gateway. */
    { "{\"id\": \"cf\", \"preset\": \"cloudflare\", \"base_url\": \"https://gateway.ai.cloudflare.com/v1/a/g/compat\"}",
      PM_API_OPENAI_CHAT, "cf-aig-authorization", "Bearer " GATEWAY_KEY, "authorization" },
    /* A header that asks for the key gets it instead of the preset's place. */
    { "{\"id\": \"cf\", \"preset\": \"cloudflare\", \"base_url\": \"https://gateway.ai.cloudflare.com/v1/a/g/openai\","
      " \"headers\": {\"authorization\": \"Bearer {key}\"}}",
      PM_API_OPENAI_CHAT, "authorization", "Bearer " GATEWAY_KEY, "cf-aig-authorization" },
    /* LiteLLM takes a bearer key on its Anthropic route too. */
    { "{\"id\": \"ll\", \"preset\": \"litellm\", \"api\": \"anthropic\", \"base_url\": \"http://127.0.0.1:4000\"}",
      PM_API_ANTHROPIC, "authorization", "Bearer " GATEWAY_KEY, "x-api-key" },
    { "{\"id\": \"tfy\", \"preset\": \"truefoundry\", \"base_url\": \"https://acme.truefoundry.cloud/api/llm\"}",
      PM_API_OPENAI_CHAT, "authorization", "Bearer " GATEWAY_KEY, "x-api-key" },
    { "{\"id\": \"ant\", \"preset\": \"anthropic\"}",
      PM_API_ANTHROPIC, "x-api-key", GATEWAY_KEY, "authorization" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PmConfig) holder = NULL;
      g_autoptr(GError) error = NULL;
      PmProviderConfig *provider = provider_from (cases[i].provider, &holder);
      SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

      g_test_message ("case %u: %s", i, cases[i].provider);
      g_assert_true (pm_gateway_apply_headers (provider, cases[i].api, GATEWAY_KEY, headers, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (soup_message_headers_get_one (headers, cases[i].header), ==, cases[i].value);
      g_assert_null (soup_message_headers_get_one (headers, cases[i].absent));
      soup_message_headers_unref (headers);
    }

  /* A second secret from the environment, named in the configuration. */
  {
    g_autoptr(PmConfig) holder = NULL;
    g_autoptr(GError) error = NULL;
    PmProviderConfig *provider = provider_from ("{\"id\": \"cf\", \"preset\": \"cloudflare\","
                                                " \"base_url\": \"https://gateway.ai.cloudflare.com/v1/a/g/openai\","
                                                " \"headers\": {\"authorization\": \"Bearer {env:PM_TEST_GW_PROVIDER_KEY}\"}}",
                                                &holder);
    SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

    g_unsetenv ("PM_TEST_GW_PROVIDER_KEY");
    g_assert_false (pm_gateway_apply_headers (provider, PM_API_OPENAI_CHAT, GATEWAY_KEY, headers, &error));
    g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
    g_assert_nonnull (strstr (error->message, "PM_TEST_GW_PROVIDER_KEY"));
    g_clear_error (&error);

    g_setenv ("PM_TEST_GW_PROVIDER_KEY", PROVIDER_KEY, TRUE);
    g_assert_true (pm_gateway_apply_headers (provider, PM_API_OPENAI_CHAT, GATEWAY_KEY, headers, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (soup_message_headers_get_one (headers, "authorization"), ==, "Bearer " PROVIDER_KEY);
    g_assert_cmpstr (soup_message_headers_get_one (headers, "cf-aig-authorization"), ==, "Bearer " GATEWAY_KEY);
    g_unsetenv ("PM_TEST_GW_PROVIDER_KEY");
    soup_message_headers_unref (headers);
  }
}

/* ---- effort fields ---- */

static void
test_fix_body (void)
{
  g_autoptr(PmConfig) or_holder = NULL;
  g_autoptr(PmConfig) tfy_holder = NULL;
  PmProviderConfig *openrouter = provider_from ("{\"id\": \"or\", \"preset\": \"openrouter\"}", &or_holder);
  PmProviderConfig *tfy = provider_from ("{\"id\": \"tfy\", \"preset\": \"truefoundry\","
                                         " \"base_url\": \"https://acme.truefoundry.cloud/api/llm\"}", &tfy_holder);
  g_autoptr(JsonNode) a = json_from_string ("{\"model\":\"x\",\"reasoning_effort\":\"high\"}", NULL);
  g_autoptr(JsonNode) b = json_from_string ("{\"model\":\"openai-main/gpt-5\",\"reasoning\":{\"effort\":\"low\"},"
                                            "\"usage\":{\"include\":true}}", NULL);
  JsonObject *o;

  pm_gateway_fix_body (openrouter, PM_API_OPENAI_CHAT, a);
  o = json_node_get_object (a);
  g_assert_false (json_object_has_member (o, "reasoning_effort"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "reasoning"), "effort"), ==, "high");

  pm_gateway_fix_body (tfy, PM_API_OPENAI_CHAT, b);
  o = json_node_get_object (b);
  g_assert_false (json_object_has_member (o, "reasoning"));
  g_assert_false (json_object_has_member (o, "usage"));
  g_assert_cmpstr (json_object_get_string_member (o, "reasoning_effort"), ==, "low");

  /* Breakpoints the client already placed are left alone (Anthropic allows four). */
  {
    g_autoptr(PmConfig) pk_holder = NULL;
    PmProviderConfig *portkey = provider_from ("{\"id\": \"pk\", \"preset\": \"portkey\"}", &pk_holder);
    const char *text = "{\"model\":\"claude-sonnet-4-5\",\"messages\":["
                       "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\",\"cache_control\":{\"type\":\"ephemeral\"}}]},"
                       "{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}]}";
    g_autoptr(JsonNode) c = json_from_string (text, NULL);
    g_autoptr(JsonNode) expected = json_from_string (text, NULL);

    pm_gateway_fix_body (portkey, PM_API_OPENAI_CHAT, c);
    g_assert_true (json_node_equal (c, expected));
  }
}

/* ---- configuration ---- */

static void
test_config (void)
{
  const char *cases[][2] = {
    { "{\"id\": \"tfy\", \"preset\": \"truefoundry\"}", "control_plane" },
    { "{\"id\": \"cf\", \"preset\": \"cloudflare\", \"api\": \"anthropic\"}", "account_id" },
    { "{\"id\": \"cf\", \"preset\": \"cloudflare\", \"base_url\": \"https://gateway.ai.cloudflare.com/v1/acc/{gateway_id}/compat\"}", "gateway_id" },
  };
  g_autoptr(PmConfig) holder = NULL;
  PmProviderConfig *provider;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *json = g_strdup_printf ("{\"providers\": [%s], \"models\": [], \"default_model\": \"claude-sonnet-4-5\"}",
                                               cases[i][0]);
      g_autoptr(PmConfig) config = pm_config_new_from_data (json, -1, "unit.json", &error);

      g_assert_null (config);
      g_assert_error (error, PM_ERROR, PM_ERROR_CONFIG);
      g_assert_nonnull (strstr (error->message, "providers[0].base_url"));
      g_assert_nonnull (strstr (error->message, cases[i][1]));
    }

  /* Defaults from the gateway preset: API, key source. */
  provider = provider_from ("{\"id\": \"cf\", \"preset\": \"cloudflare\","
                            " \"base_url\": \"https://gateway.ai.cloudflare.com/v1/acc/gw/compat\"}", &holder);
  g_assert_cmpint (provider->api, ==, PM_API_OPENAI_CHAT);
  g_assert_cmpstr (provider->key, ==, "keyring");
  g_assert_cmpstr (provider->preset, ==, "cloudflare");
}

/* ---- the gateways' errors, in their documented shapes ---- */

static void
test_classify_errors (void)
{
  struct {
    const char    *preset;
    guint          status;
    const char    *body;
    PmGatewayError expected;
    const char    *in_reason;
  } cases[] = {
    { "litellm", 400, "{\"error\":{\"message\":\"Budget has been exceeded! Current cost: 10.2, Max budget: 10.0\","
                      "\"type\":\"budget_exceeded\",\"param\":null,\"code\":\"400\"}}",
      PM_GATEWAY_ERROR_BUDGET, "Budget has been exceeded" },
    { "litellm", 401, "{\"error\":{\"message\":\"key not allowed to access model. This key can only access "
                      "models=['gpt-5-mini']. Tried to access claude-opus-4-5\",\"type\":\"key_model_access_denied\","
                      "\"param\":\"model\",\"code\":\"401\"}}",
      PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED, "key not allowed" },
    { "openrouter", 402, "{\"error\":{\"code\":402,\"message\":\"Insufficient credits. Add more using https://openrouter.ai/credits\"}}",
      PM_GATEWAY_ERROR_QUOTA, "Insufficient credits" },
    { "openrouter", 403, "{\"error\":{\"code\":403,\"message\":\"Key limit exceeded\","
                         "\"metadata\":{\"limit_source\":\"openrouter_key_limit\"}}}",
      PM_GATEWAY_ERROR_BUDGET, "Key limit exceeded" },
    { "openrouter", 404, "{\"error\":{\"code\":404,\"message\":\"No endpoints found matching your data policy\"}}",
      PM_GATEWAY_ERROR_MODEL_UNAVAILABLE, "No endpoints found" },
    { "portkey", 412, "{\"status\":\"failure\",\"message\":\"Budget exhausted for this virtual key\"}",
      PM_GATEWAY_ERROR_BUDGET, "Budget exhausted" },
    { "portkey", 429, "{\"status\":\"failure\",\"message\":\"Rate limit exceeded\"}",
      PM_GATEWAY_ERROR_RATE_LIMITED, "Rate limit" },
    { "cloudflare", 429, "{\"success\":false,\"result\":[],\"messages\":[],\"error\":[{\"code\":2003,\"message\":\"Rate limited\"}]}",
      PM_GATEWAY_ERROR_RATE_LIMITED, "Rate limited" },
    { "truefoundry", 403, "{\"error\":{\"message\":\"User is not authorized to access model openai-main/gpt-5\"}}",
      PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED, "not authorized" },
    { "truefoundry", 429, "{\"error\":{\"message\":\"Budget limit exceeded for rule monthly-cap\"}}",
      PM_GATEWAY_ERROR_BUDGET, "monthly-cap" },
    { "openai", 429, "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\"}}",
      PM_GATEWAY_ERROR_QUOTA, "current quota" },
    /* Not refusals: a bad request fails everywhere, a bad key is the user's to fix. */
    { "litellm", 400, "{\"error\":{\"message\":\"messages: field required\",\"type\":\"invalid_request_error\"}}",
      PM_GATEWAY_ERROR_NONE, NULL },
    { "openrouter", 401, "{\"error\":{\"code\":401,\"message\":\"No auth credentials found\"}}",
      PM_GATEWAY_ERROR_NONE, NULL },
    { "portkey", 400, "{\"status\":\"failure\",\"message\":\"Either x-portkey-config or x-portkey-provider header is required\"}",
      PM_GATEWAY_ERROR_NONE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PmConfig) holder = NULL;
      g_autofree char *json = g_strdup_printf ("{\"id\": \"gw\", \"preset\": \"%s\"%s}", cases[i].preset,
                                               g_str_equal (cases[i].preset, "cloudflare") ?
                                               ", \"base_url\": \"https://gateway.ai.cloudflare.com/v1/a/g/compat\"" :
                                               g_str_equal (cases[i].preset, "truefoundry") ?
                                               ", \"base_url\": \"https://acme.truefoundry.cloud/api/llm\"" : "");
      PmProviderConfig *provider = provider_from (json, &holder);
      g_autofree char *reason = NULL;
      PmGatewayError kind;

      g_test_message ("case %u: %s %u", i, cases[i].preset, cases[i].status);
      kind = pm_gateway_classify_error (provider, cases[i].status, cases[i].body, strlen (cases[i].body), &reason);
      g_assert_cmpint (kind, ==, cases[i].expected);
      if (cases[i].in_reason == NULL)
        {
          g_assert_null (reason);
          continue;
        }
      g_assert_nonnull (strstr (reason, cases[i].in_reason));
      g_assert_true (g_str_has_prefix (reason, "gw refused"));
      g_assert_nonnull (strstr (reason, pm_gateway_error_to_string (kind)));
    }

  /* Key-like strings in a gateway's message stay out of the explanation. */
  {
    const char *body = "{\"error\":{\"message\":\"Budget exceeded for key sk-litellm-0123456789abcdefghij\","
                       "\"type\":\"budget_exceeded\"}}";
    g_autofree char *reason = NULL;

    g_assert_cmpint (pm_gateway_classify_error (NULL, 400, body, strlen (body), &reason), ==, PM_GATEWAY_ERROR_BUDGET);
    g_assert_null (strstr (reason, "0123456789abcdefghij"));
    g_assert_nonnull (strstr (reason, "[redacted]"));
  }
}

/* ---- refusals across requests ---- */

static void
test_refusals (void)
{
  g_autoptr(PmGatewayRefusals) refusals = pm_gateway_refusals_new ();
  gint64 t0 = 1000 * G_USEC_PER_SEC;
  gint64 minute = 60 * G_USEC_PER_SEC;

  g_assert_null (pm_gateway_refusals_lookup (refusals, "lite", "claude-sonnet-4-5", t0));

  /* A budget holds the whole provider for a while, then lets go. */
  pm_gateway_refusals_add (refusals, "lite", "claude-sonnet-4-5", PM_GATEWAY_ERROR_BUDGET,
                           "lite refused the request (HTTP 400, budget exhausted)", 0, t0);
  g_assert_cmpstr (pm_gateway_refusals_lookup (refusals, "lite", "gpt-5-mini", t0 + minute), ==,
                   "lite refused the request (HTTP 400, budget exhausted)");
  g_assert_null (pm_gateway_refusals_lookup (refusals, "orouter", "gpt-5-mini", t0 + minute));
  g_assert_nonnull (pm_gateway_refusals_lookup (refusals, "lite", "claude-sonnet-4-5", t0 + 14 * minute));
  g_assert_null (pm_gateway_refusals_lookup (refusals, "lite", "claude-sonnet-4-5", t0 + 16 * minute));

  /* A model refusal holds only that model; success clears it. */
  pm_gateway_refusals_add (refusals, "orouter", "claude-opus-4-5", PM_GATEWAY_ERROR_MODEL_NOT_ALLOWED, NULL, 0, t0);
  g_assert_cmpstr (pm_gateway_refusals_lookup (refusals, "orouter", "claude-opus-4-5", t0 + 30 * minute), ==,
                   "key not allowed to use this model");
  g_assert_null (pm_gateway_refusals_lookup (refusals, "orouter", "claude-haiku-4-5", t0));
  pm_gateway_refusals_clear (refusals, "orouter", "claude-opus-4-5");
  g_assert_null (pm_gateway_refusals_lookup (refusals, "orouter", "claude-opus-4-5", t0));

  /* Rate limits: as long as retry-after says. */
  pm_gateway_refusals_add (refusals, "pk", "gpt-5", PM_GATEWAY_ERROR_RATE_LIMITED, NULL, 90, t0);
  g_assert_nonnull (pm_gateway_refusals_lookup (refusals, "pk", "gpt-5", t0 + 80 * G_USEC_PER_SEC));
  g_assert_null (pm_gateway_refusals_lookup (refusals, "pk", "gpt-5", t0 + 100 * G_USEC_PER_SEC));

  /* Not a refusal: nothing held. */
  pm_gateway_refusals_add (refusals, "pk", "gpt-5-mini", PM_GATEWAY_ERROR_NONE, NULL, 0, t0);
  g_assert_null (pm_gateway_refusals_lookup (refusals, "pk", "gpt-5-mini", t0));
}

/* ---- through the proxy ---- */

/* OpenRouter: the catalog model under OpenRouter's name, reasoning{effort}, usage accounting
 * asked for, a bearer key, attribution headers; usage.cost read back next to our estimate. */
static void
test_proxy_openrouter (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Done.");
  g_autoptr(TestResponse) r = NULL;
  g_autoptr(JsonNode) explanation = NULL;
  JsonObject *body;
  JsonObject *reasoning;
  JsonObject *cost;
  PmRecord *record;
  PmUsage usage;

  start_proxy (f, "[{\"id\": \"orouter\", \"preset\": \"openrouter\", \"base_url\": \"SIM/api/v1\"}]",
               "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"orouter\"}]");
  pm_sim_upstream_set_required_key (f->sim, GATEWAY_KEY);
  pm_sim_reply_set_reported_cost (reply, 0.0123);
  pm_sim_upstream_push_reply (f->sim, reply);

  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"claude-sonnet-4-5\",\"reasoning_effort\":\"high\","
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Fix the failing test in parser.c\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/api/v1/chat/completions");

  body = upstream_body (f);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "anthropic/claude-sonnet-4.5");
  g_assert_false (json_object_has_member (body, "reasoning_effort"));
  reasoning = json_object_get_object_member (body, "reasoning");
  g_assert_nonnull (reasoning);
  g_assert_cmpstr (json_object_get_string_member (reasoning, "effort"), ==,
                   soup_message_headers_get_one (r->headers, "x-pointsman-effort"));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (body, "usage"), "include"));
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " GATEWAY_KEY);
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-title"), ==, "Pointsman");
  assert_keys_in_place (f, "authorization");

  record = last_record (f);
  pm_record_get_usage (record, &usage);
  g_assert_cmpfloat_with_epsilon (usage.reported_cost, 0.0123, 1e-9);
  g_assert_cmpfloat_with_epsilon (pm_record_get_cost (record), 0.0123, 1e-9);
  explanation = json_from_string (pm_record_get_explanation (record), NULL);
  cost = json_object_get_object_member (json_node_get_object (explanation), "gateway_cost");
  g_assert_nonnull (cost);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (cost, "reported"), 0.0123, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (cost, "estimated"),
                                  pm_usage_cost (&usage, pm_catalog_lookup (f->proxy->catalog, "claude-sonnet-4-5")), 1e-9);
  g_assert_cmpfloat (json_object_get_double_member (cost, "estimated"), >, 0.0);
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "Pointsman's estimate"));

  /* Streamed: usage.cost in the last chunk. */
  {
    g_autoptr(PmSimReply) streamed = pm_sim_reply_new ("Streamed.");
    g_autoptr(TestResponse) s = NULL;

    pm_sim_reply_set_reported_cost (streamed, 0.0456);
    pm_sim_upstream_push_reply (f->sim, streamed);
    s = test_post (f->url, "/v1/chat/completions",
                   "{\"model\":\"claude-sonnet-4-5\",\"stream\":true,"
                   "\"messages\":[{\"role\":\"user\",\"content\":\"Fix the failing test in lexer.c\"}]}",
                   NULL, openai_headers);
    g_assert_cmpuint (s->status, ==, 200);
    record = last_record (f);
    pm_record_get_usage (record, &usage);
    g_assert_cmpfloat_with_epsilon (usage.reported_cost, 0.0456, 1e-9);
    g_assert_nonnull (strstr (pm_record_get_explanation (record), "\"gateway_cost\""));
  }
}

/* LiteLLM: aliases from a model_names template, OpenAI's reasoning_effort, the cost header. */
static void
test_proxy_litellm (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PmSimReply) reply = pm_sim_reply_new ("Done.");
  g_autoptr(TestResponse) r = NULL;
  JsonObject *body;
  PmRecord *record;
  PmUsage usage;

  start_proxy (f, "[{\"id\": \"lite\", \"preset\": \"litellm\", \"base_url\": \"SIM/v1\","
                  "  \"model_names\": {\"anthropic/*\": \"anthropic/{id}\"}}]",
               "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"lite\"}]");
  pm_sim_upstream_set_required_key (f->sim, GATEWAY_KEY);
  pm_sim_reply_set_reported_cost (reply, 0.0042);
  pm_sim_upstream_push_reply (f->sim, reply);

  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"claude-sonnet-4-5\",\"reasoning_effort\":\"low\","
                 "\"messages\":[{\"role\":\"system\",\"content\":\"You review diffs.\"},"
                 "{\"role\":\"user\",\"content\":\"Summarise the diff\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  body = upstream_body (f);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "anthropic/claude-sonnet-4-5");
  /* Claude behind LiteLLM's Chat route: cache breakpoints on the system prompt and the turn. */
  {
    JsonArray *messages = json_object_get_array_member (body, "messages");

    g_assert_cmpuint (json_array_get_length (messages), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        JsonArray *parts = json_object_get_array_member (json_array_get_object_element (messages, i), "content");
        JsonObject *part = json_array_get_object_element (parts, json_array_get_length (parts) - 1);

        g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (part, "cache_control"), "type"),
                         ==, "ephemeral");
      }
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                       json_object_get_array_member (json_array_get_object_element (messages, 1), "content"), 0), "text"),
                     ==, "Summarise the diff");
  }
  /* "anthropic/…" looks like an OpenRouter name; LiteLLM still takes reasoning_effort. */
  g_assert_cmpstr (json_object_get_string_member (body, "reasoning_effort"), ==,
                   soup_message_headers_get_one (r->headers, "x-pointsman-effort"));
  g_assert_false (json_object_has_member (body, "reasoning"));
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " GATEWAY_KEY);
  assert_keys_in_place (f, "authorization");

  record = last_record (f);
  pm_record_get_usage (record, &usage);
  g_assert_cmpfloat_with_epsilon (usage.reported_cost, 0.0042, 1e-9);
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "gateway_cost"));

  /* Streamed: the header comes with the stream's headers. */
  {
    g_autoptr(PmSimReply) streamed = pm_sim_reply_new ("Streamed.");
    g_autoptr(TestResponse) s = NULL;

    pm_sim_reply_set_reported_cost (streamed, 0.0077);
    pm_sim_upstream_push_reply (f->sim, streamed);
    s = test_post (f->url, "/v1/chat/completions",
                   "{\"model\":\"claude-sonnet-4-5\",\"stream\":true,"
                   "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the log\"}]}",
                   NULL, openai_headers);
    g_assert_cmpuint (s->status, ==, 200);
    record = last_record (f);
    g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
    pm_record_get_usage (record, &usage);
    g_assert_cmpfloat_with_epsilon (usage.reported_cost, 0.0077, 1e-9);
    g_assert_cmpfloat_with_epsilon (pm_record_get_cost (record), 0.0077, 1e-9);
  }
}

/* LiteLLM's Anthropic route: Claude Code's cache breakpoints pass through unchanged. */
static void
test_proxy_litellm_messages (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *sent = NULL;

  start_proxy (f, "[{\"id\": \"lite\", \"preset\": \"litellm\", \"api\": \"anthropic\", \"base_url\": \"SIM\"}]",
               "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"lite\"}]");
  pm_sim_upstream_set_required_key (f->sim, GATEWAY_KEY);

  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":300,"
                 "\"system\":[{\"type\":\"text\",\"text\":\"You are a careful engineer.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"List the files\"}]}",
                 NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/messages");
  g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "model"), ==, "claude-sonnet-4-5");
  sent = json_to_string (pm_sim_upstream_get_last_json (f->sim), FALSE);
  g_assert_nonnull (strstr (sent, "\"cache_control\":{\"type\":\"ephemeral\"}"));
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " GATEWAY_KEY);
  g_assert_null (pm_sim_upstream_get_last_header (f->sim, "x-api-key"));
  assert_keys_in_place (f, "authorization");
}

/* Portkey (self-hosted on loopback): its routing headers, the provider key forwarded. */
static void
test_proxy_portkey (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TestResponse) r = NULL;

  start_proxy (f, "[{\"id\": \"pk\", \"preset\": \"portkey\", \"base_url\": \"SIM/v1\","
                  "  \"headers\": {\"x-portkey-provider\": \"openai\", \"x-portkey-trace-id\": \"pointsman\"}}]",
               "[{\"id\": \"gpt-5-mini\", \"provider\": \"pk\"}]");
  pm_sim_upstream_set_required_key (f->sim, GATEWAY_KEY);

  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"gpt-5-mini\",\"reasoning_effort\":\"medium\","
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Write a docstring\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "model"), ==, "gpt-5-mini");
  g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "reasoning_effort"), ==,
                   soup_message_headers_get_one (r->headers, "x-pointsman-effort"));
  /* Not Claude: no cache_control is added, the content stays a string. */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (upstream_body (f), "messages"), 0), "content"), ==, "Write a docstring");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-portkey-provider"), ==, "openai");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-portkey-trace-id"), ==, "pointsman");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " GATEWAY_KEY);
  assert_keys_in_place (f, "authorization");
}

/* TrueFoundry: provider-account/model names, OpenAI's reasoning_effort. */
static void
test_proxy_truefoundry (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(TestResponse) r = NULL;
  JsonObject *body;

  start_proxy (f, "[{\"id\": \"tfy\", \"preset\": \"truefoundry\", \"base_url\": \"SIM/api/llm\","
                  "  \"model_names\": {\"anthropic/*\": \"anthropic-main/{id}\"}}]",
               "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"tfy\"}]");
  pm_sim_upstream_set_required_key (f->sim, GATEWAY_KEY);

  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"claude-sonnet-4-5\",\"reasoning_effort\":\"high\","
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Why does the build fail?\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/api/llm/chat/completions");
  body = upstream_body (f);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "anthropic-main/claude-sonnet-4-5");
  g_assert_cmpstr (json_object_get_string_member (body, "reasoning_effort"), ==,
                   soup_message_headers_get_one (r->headers, "x-pointsman-effort"));
  g_assert_false (json_object_has_member (body, "reasoning"));
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " GATEWAY_KEY);
  assert_keys_in_place (f, "authorization");
}

/* Cloudflare: the gateway token in cf-aig-authorization, the provider key from the
 * environment in Authorization. */
static void
test_proxy_cloudflare (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(TestResponse) r = NULL;

  g_setenv ("PM_TEST_CF_OPENAI_KEY", PROVIDER_KEY, TRUE);
  start_proxy (f, "[{\"id\": \"cf\", \"preset\": \"cloudflare\", \"base_url\": \"SIM/v1/0123abcd/my-gateway/compat\","
                  "  \"headers\": {\"authorization\": \"Bearer {env:PM_TEST_CF_OPENAI_KEY}\", \"cf-aig-metadata\": \"{\\\"team\\\":\\\"core\\\"}\"}}]",
               "[{\"id\": \"gpt-5-mini\", \"provider\": \"cf\"}]");
  pm_sim_upstream_set_required_key (f->sim, PROVIDER_KEY);

  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"gpt-5-mini\",\"reasoning_effort\":\"low\","
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/0123abcd/my-gateway/compat/chat/completions");
  g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "model"), ==, "openai/gpt-5-mini");
  /* "openai/…" is Cloudflare's naming, not OpenRouter's: OpenAI's own effort field stays. */
  g_assert_false (json_object_has_member (upstream_body (f), "reasoning"));
  g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "reasoning_effort"), ==,
                   soup_message_headers_get_one (r->headers, "x-pointsman-effort"));
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "cf-aig-authorization"), ==, "Bearer " GATEWAY_KEY);
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " PROVIDER_KEY);
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "cf-aig-metadata"), ==, "{\"team\":\"core\"}");
  assert_keys_in_place (f, "cf-aig-authorization");
  g_unsetenv ("PM_TEST_CF_OPENAI_KEY");
}

/* Cloudflare's per-provider Anthropic path: Messages passed through, the provider key from the
 * environment in x-api-key, the gateway token in cf-aig-authorization. */
static void
test_proxy_cloudflare_anthropic (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(TestResponse) r = NULL;
  JsonObject *thinking;

  g_setenv ("PM_TEST_CF_ANTHROPIC_KEY", PROVIDER_KEY, TRUE);
  start_proxy (f, "[{\"id\": \"cfa\", \"preset\": \"cloudflare\", \"api\": \"anthropic\","
                  "  \"base_url\": \"SIM/v1/0123abcd/my-gateway/anthropic\","
                  "  \"headers\": {\"x-api-key\": \"{env:PM_TEST_CF_ANTHROPIC_KEY}\"}}]",
               "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"cfa\"}]");
  pm_sim_upstream_set_required_key (f->sim, PROVIDER_KEY);

  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":4000,"
                 "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Plan the refactor\"}]}",
                 NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/0123abcd/my-gateway/anthropic/v1/messages");
  g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "model"), ==, "claude-sonnet-4-5");
  thinking = json_object_get_object_member (upstream_body (f), "thinking");
  g_assert_nonnull (thinking);
  g_assert_cmpstr (json_object_get_string_member (thinking, "type"), ==, "enabled");
  g_assert_cmpint (json_object_get_int_member (thinking, "budget_tokens"), >, 0);
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "x-api-key"), ==, PROVIDER_KEY);
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "cf-aig-authorization"), ==, "Bearer " GATEWAY_KEY);
  g_assert_null (pm_sim_upstream_get_last_header (f->sim, "authorization"));
  assert_keys_in_place (f, "cf-aig-authorization");
  g_unsetenv ("PM_TEST_CF_ANTHROPIC_KEY");
}

/* OpenRouter's Anthropic-shaped endpoint: /api/v1/messages, OpenRouter's model names, bearer. */
static void
test_proxy_openrouter_messages (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(TestResponse) r = NULL;

  start_proxy (f, "[{\"id\": \"ora\", \"preset\": \"openrouter\", \"api\": \"anthropic\", \"base_url\": \"SIM/api\"}]",
               "[{\"id\": \"claude-haiku-4-5\", \"provider\": \"ora\"}]");
  pm_sim_upstream_set_required_key (f->sim, GATEWAY_KEY);

  r = test_post (f->url, "/v1/messages",
                 "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":300,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Name this branch\"}]}",
                 NULL, anthropic_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/api/v1/messages");
  g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "model"), ==, "anthropic/claude-haiku-4.5");
  g_assert_cmpstr (pm_sim_upstream_get_last_header (f->sim, "authorization"), ==, "Bearer " GATEWAY_KEY);
  g_assert_null (pm_sim_upstream_get_last_header (f->sim, "x-api-key"));
  assert_keys_in_place (f, "authorization");
}

/* A gateway refuses the chosen model (budget, credits, model not allowed): the proxy tries the
 * next candidate, the agent's step succeeds, and the explanation says why. One fresh proxy per
 * refusal (a proxy may remember refusals across requests). */
static const struct
{
  guint       status;
  const char *type;
  const char *message;
  const char *why;
} refusals[] = {
  { 400, "budget_exceeded", "Budget has been exceeded! Current cost: 5.1, Max budget: 5.0", "budget exhausted" },
  { 402, "api_error", "Insufficient credits", "quota or credits used up" },
  { 401, "key_model_access_denied", "key not allowed to access model", "key not allowed to use this model" },
  { 412, "api_error", "Budget exhausted", "budget exhausted" },
};

static void
start_two_gateways (Fixture *f)
{
  start_proxy (f, "[{\"id\": \"lite\", \"preset\": \"litellm\", \"base_url\": \"SIM/v1\"},"
                  " {\"id\": \"orouter\", \"preset\": \"openrouter\", \"base_url\": \"SIM/api/v1\"}]",
               "[{\"id\": \"claude-sonnet-4-5\", \"provider\": \"lite\"},"
               " {\"id\": \"claude-haiku-4-5\", \"provider\": \"orouter\"}]");
}

static void
test_proxy_failover (Fixture       *f,
                     gconstpointer  data)
{
  guint i = GPOINTER_TO_UINT (data);
  g_autoptr(PmSimReply) refusal = pm_sim_reply_new (NULL);
  g_autoptr(PmSimReply) fine = pm_sim_reply_new ("Served after the refusal.");
  g_autoptr(TestResponse) r = NULL;
  g_autofree char *text = NULL;
  PmRecord *record;

  start_two_gateways (f);
  pm_sim_reply_set_error (refusal, refusals[i].status, refusals[i].type, refusals[i].message, 0);
  pm_sim_upstream_push_reply (f->sim, refusal);
  pm_sim_upstream_push_reply (f->sim, fine);

  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"pointsman/auto\",\"stream\":true,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Rename the variable x to count in utils.c\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 2);
  text = test_stream_text (r);
  g_assert_cmpstr (text, ==, "Served after the refusal.");

  record = last_record (f);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  g_assert_cmpstr (pm_record_get_model (record), ==, soup_message_headers_get_one (r->headers, "x-pointsman-model"));
  g_assert_nonnull (strstr (pm_record_get_explanation (record), refusals[i].why));
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "refused the request"));
  /* The model that answered is the other one, under its own gateway's name and path. */
  if (g_str_equal (pm_record_get_model (record), "claude-haiku-4-5"))
    {
      g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "model"), ==, "anthropic/claude-haiku-4.5");
      g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/api/v1/chat/completions");
    }
  else
    {
      g_assert_cmpstr (json_object_get_string_member (upstream_body (f), "model"), ==, "claude-sonnet-4-5");
      g_assert_cmpstr (pm_sim_upstream_get_last_path (f->sim), ==, "/v1/chat/completions");
    }
}

/* A refusal is remembered: after a gateway said its budget is exhausted, a new session whose
 * first choice is on that gateway goes straight to the next candidate (one upstream request, not
 * a refused round trip first), and the explanation says why. */
static void
test_proxy_remembered_refusal (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(PmSimReply) refusal = pm_sim_reply_new (NULL);
  g_autoptr(PmSimReply) fine = pm_sim_reply_new ("Served after the refusal.");
  g_autoptr(PmSimReply) fine2 = pm_sim_reply_new ("Served without asking the refusing gateway.");
  g_autoptr(TestResponse) r1 = NULL;
  g_autoptr(TestResponse) r2 = NULL;
  g_autofree char *text = NULL;
  g_autofree char *served1 = NULL;
  PmRecord *record;

  start_two_gateways (f);
  pm_sim_reply_set_error (refusal, 400, "budget_exceeded",
                          "Budget has been exceeded! Current cost: 5.1, Max budget: 5.0", 0);
  pm_sim_upstream_push_reply (f->sim, refusal);
  pm_sim_upstream_push_reply (f->sim, fine);
  r1 = test_post (f->url, "/v1/chat/completions",
                  "{\"model\":\"pointsman/auto\",\"stream\":true,\"prompt_cache_key\":\"session-one\","
                  "\"messages\":[{\"role\":\"user\",\"content\":\"Rename the variable x to count in utils.c\"}]}",
                  NULL, openai_headers);
  g_assert_cmpuint (r1->status, ==, 200);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 2);
  served1 = g_strdup (pm_record_get_model (last_record (f)));

  /* The same step in another session: the router's first choice is the refused model again.
   * Were the refusal forgotten, that gateway would be asked first (and answer, here), so the
   * model and the explanation would differ. */
  pm_sim_upstream_push_reply (f->sim, fine2);
  r2 = test_post (f->url, "/v1/chat/completions",
                  "{\"model\":\"pointsman/auto\",\"stream\":true,\"prompt_cache_key\":\"session-two\","
                  "\"messages\":[{\"role\":\"user\",\"content\":\"Rename the variable x to count in utils.c\"}]}",
                  NULL, openai_headers);
  g_assert_cmpuint (r2->status, ==, 200);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 3);
  text = test_stream_text (r2);
  g_assert_cmpstr (text, ==, "Served without asking the refusing gateway.");

  record = last_record (f);
  g_assert_cmpint (pm_record_get_state (record), ==, PM_RECORD_DONE);
  g_assert_cmpstr (pm_record_get_model (record), ==, served1);
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "refused recently"));
  g_assert_nonnull (strstr (pm_record_get_explanation (record), "budget exhausted"));
}

/* A plain bad request is not a refusal: no second try, the client gets the error. */
static void
test_proxy_no_failover (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(PmSimReply) bad = pm_sim_reply_new (NULL);
  g_autoptr(TestResponse) r = NULL;

  start_two_gateways (f);
  pm_sim_reply_set_error (bad, 400, "invalid_request_error", "messages: field required", 0);
  pm_sim_upstream_push_reply (f->sim, bad);
  r = test_post (f->url, "/v1/chat/completions",
                 "{\"model\":\"pointsman/auto\","
                 "\"messages\":[{\"role\":\"user\",\"content\":\"Rename the variable x to count in utils.c\"}]}",
                 NULL, openai_headers);
  g_assert_cmpuint (r->status, ==, 400);
  g_assert_cmpuint (pm_sim_upstream_get_n_requests (f->sim), ==, 1);
  g_assert_nonnull (strstr (r->body->str, "messages: field required"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/gateway/presets", test_presets);
  g_test_add_func ("/pm/gateway/config", test_config);
  g_test_add_func ("/pm/gateway/api-paths", test_api_paths);
  g_test_add_func ("/pm/gateway/model-names", test_model_names);
  g_test_add_func ("/pm/gateway/headers", test_headers);
  g_test_add_func ("/pm/gateway/fix-body", test_fix_body);
  g_test_add_func ("/pm/gateway/classify-errors", test_classify_errors);
  g_test_add_func ("/pm/gateway/refusals", test_refusals);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/pm/gateway/proxy/openrouter", test_proxy_openrouter);
  ADD ("/pm/gateway/proxy/remembered-refusal", test_proxy_remembered_refusal);
  ADD ("/pm/gateway/proxy/litellm", test_proxy_litellm);
  ADD ("/pm/gateway/proxy/litellm-messages", test_proxy_litellm_messages);
  ADD ("/pm/gateway/proxy/portkey", test_proxy_portkey);
  ADD ("/pm/gateway/proxy/truefoundry", test_proxy_truefoundry);
  ADD ("/pm/gateway/proxy/cloudflare", test_proxy_cloudflare);
  ADD ("/pm/gateway/proxy/cloudflare-anthropic", test_proxy_cloudflare_anthropic);
  ADD ("/pm/gateway/proxy/openrouter-messages", test_proxy_openrouter_messages);
#undef ADD
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pm/gateway/proxy/failover/%u-%s", refusals[i].status, refusals[i].type);

      g_test_add (path, Fixture, GUINT_TO_POINTER (i), fixture_setup, test_proxy_failover, fixture_teardown);
    }
  g_test_add ("/pm/gateway/proxy/no-failover", Fixture, NULL, fixture_setup, test_proxy_no_failover, fixture_teardown);

  return g_test_run ();
}
