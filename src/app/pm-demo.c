/* pm-demo.c — "Demo — simulated upstream": a bundled session through a real proxy
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-demo"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "pm-demo.h"

#define DEMO_RESOURCE "/io/github/pointsman/Pointsman/demo-session.json"
#define COMPACTION_TEXT \
  "Your task is to create a detailed summary of the conversation so far, paying close " \
  "attention to the user's explicit requests and your previous actions.\n" \
  "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools."

struct _PmDemo
{
  GObject        parent_instance;

  PmConfig      *app_config;
  PmCatalog     *catalog;
  PmObjective   *objective;
  PmWhatIf      *what_if;

  PmSimUpstream *sim;
  PmConfig      *config;
  PmRouter      *router;
  PmKeyring     *keyring;
  PmProxy       *proxy;
  SoupSession   *session;
  GCancellable  *cancellable;

  JsonObject    *script;
  JsonArray     *steps;
  JsonArray     *messages;       /* the main conversation so far */
  char          *session_id;
  char          *system_text;
  guint          next_step;
  guint          progress;
  guint          tool_counter;
  guint          delay_ms;
  guint          timeout_id;
  char          *error;

  /* the request in flight */
  PmRequest     *pending_request;
  guint          n_records_before;
};

G_DEFINE_FINAL_TYPE (PmDemo, pm_demo, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROGRESS,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void send_next (PmDemo *self);

static void
fail (PmDemo     *self,
      const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

/* --- building the requests ----------------------------------------------------------------- */

static JsonNode *
text_block (const char *text,
            gboolean    cache)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "text");
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  if (cache)
    {
      json_builder_set_member_name (b, "cache_control");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "ephemeral");
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static JsonNode *
message (const char *role,
         JsonNode   *block)
{
  JsonObject *object = json_object_new ();
  JsonArray *content = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_array_add_element (content, block);
  json_object_set_string_member (object, "role", role);
  json_object_set_array_member (object, "content", content);
  json_node_take_object (node, object);

  return node;
}

static const char *
last_role (JsonArray *messages)
{
  guint n = json_array_get_length (messages);

  if (n == 0)
    return NULL;
  return json_object_get_string_member_with_default (json_array_get_object_element (messages, n - 1),
                                                     "role", NULL);
}

static char *
repeat_string (const char *text,
               gint64      times)
{
  g_autoptr(GString) str = g_string_new (NULL);

  for (gint64 i = 0; i < MAX (times, 1); i++)
    g_string_append (str, text);

  return g_string_free (g_steal_pointer (&str), FALSE);
}

static void
append_tool_exchange (PmDemo     *self,
                      JsonArray  *messages,
                      JsonObject *step)
{
  g_autofree char *id = g_strdup_printf ("toolu_demo_%04u", ++self->tool_counter);
  g_autofree char *result = NULL;
  JsonObject *use = json_object_new ();
  JsonObject *res = json_object_new ();
  JsonNode *use_node = json_node_new (JSON_NODE_OBJECT);
  JsonNode *res_node = json_node_new (JSON_NODE_OBJECT);
  JsonNode *input = json_object_get_member (step, "input");

  json_object_set_string_member (use, "type", "tool_use");
  json_object_set_string_member (use, "id", id);
  json_object_set_string_member (use, "name", json_object_get_string_member_with_default (step, "tool", "Bash"));
  json_object_set_member (use, "input", input ? json_node_copy (input) : json_node_init_object (json_node_alloc (), json_object_new ()));
  json_node_take_object (use_node, use);

  result = repeat_string (json_object_get_string_member_with_default (step, "result", ""),
                          json_object_get_int_member_with_default (step, "repeat", 1));
  json_object_set_string_member (res, "type", "tool_result");
  json_object_set_string_member (res, "tool_use_id", id);
  json_object_set_string_member (res, "content", result);
  if (json_object_get_boolean_member_with_default (step, "is_error", FALSE))
    json_object_set_boolean_member (res, "is_error", TRUE);
  json_node_take_object (res_node, res);

  json_array_add_element (messages, message ("assistant", use_node));
  json_array_add_element (messages, message ("user", res_node));
}

static void
append_user_text (JsonArray  *messages,
                  const char *text)
{
  if (g_strcmp0 (last_role (messages), "user") == 0)
    json_array_add_element (messages, message ("assistant", text_block ("Done.", FALSE)));
  json_array_add_element (messages, message ("user", text_block (text, FALSE)));
}

static JsonNode *
tools_node (PmDemo *self)
{
  JsonArray *names = json_object_get_array_member (self->script, "tools");
  JsonArray *tools = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; names != NULL && i < json_array_get_length (names); i++)
    {
      JsonObject *tool = json_object_new ();
      JsonObject *schema = json_object_new ();

      json_object_set_string_member (tool, "name", json_array_get_string_element (names, i));
      json_object_set_string_member (tool, "description", "A tool of the demo session.");
      json_object_set_string_member (schema, "type", "object");
      json_object_set_object_member (schema, "properties", json_object_new ());
      json_object_set_object_member (tool, "input_schema", schema);
      json_array_add_object_element (tools, tool);
    }
  json_node_take_array (node, tools);

  return node;
}

/* Copies messages, marking the last block as a cache breakpoint as Claude Code does. */
static JsonNode *
messages_with_breakpoint (JsonArray *messages)
{
  g_autoptr(JsonNode) src = json_node_new (JSON_NODE_ARRAY);
  JsonNode *copy;
  JsonArray *array;
  guint n;

  json_node_set_array (src, messages);
  copy = json_node_copy (src);
  array = json_node_get_array (copy);
  n = json_array_get_length (array);
  if (n > 0)
    {
      JsonArray *content = json_object_get_array_member (json_array_get_object_element (array, n - 1),
                                                         "content");
      guint m = content ? json_array_get_length (content) : 0;

      if (m > 0)
        {
          JsonObject *cc = json_object_new ();

          json_object_set_string_member (cc, "type", "ephemeral");
          json_object_set_object_member (json_array_get_object_element (content, m - 1),
                                         "cache_control", cc);
        }
    }

  return copy;
}

static JsonNode *
build_body (PmDemo      *self,
            JsonObject  *step,
            GHashTable  *headers)
{
  const char *type = json_object_get_string_member_with_default (step, "type", "main");
  g_autofree char *user_id = NULL;
  JsonObject *body = json_object_new ();
  JsonObject *metadata = json_object_new ();
  JsonArray *system = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_boolean_member (body, "stream", TRUE);
  user_id = g_strdup_printf ("{\"device_id\":\"demo-device\",\"account_uuid\":\"demo-account\","
                             "\"session_id\":\"%s\"}", self->session_id);
  json_object_set_string_member (metadata, "user_id", user_id);
  json_object_set_object_member (body, "metadata", metadata);

  if (g_str_equal (type, "background"))
    {
      JsonArray *messages = json_array_new ();

      json_object_set_string_member (body, "model",
                                     json_object_get_string_member_with_default (self->script, "small_model", "claude-haiku-4-5"));
      json_object_set_int_member (body, "max_tokens", 512);
      json_array_add_element (system, text_block ("Summarize the request in a few words.", FALSE));
      append_user_text (messages, json_object_get_string_member_with_default (step, "text", ""));
      json_object_set_array_member (body, "messages", messages);
    }
  else if (g_str_equal (type, "subagent"))
    {
      g_autofree char *sys = repeat_string (json_object_get_string_member_with_default (self->script, "subagent_system", ""), 20);
      JsonArray *messages = json_array_new ();

      json_object_set_string_member (body, "model",
                                     json_object_get_string_member_with_default (self->script, "model", "pointsman/auto"));
      json_object_set_int_member (body, "max_tokens", 16000);
      json_array_add_element (system, text_block (sys, TRUE));
      append_user_text (messages, json_object_get_string_member_with_default (step, "user", ""));
      append_tool_exchange (self, messages, step);
      json_object_set_array_member (body, "messages", messages);
      json_object_set_member (body, "tools", tools_node (self));
      g_hash_table_insert (headers, g_strdup ("x-claude-code-agent-id"),
                           g_strdup (json_object_get_string_member_with_default (step, "agent_id", "agent-demo")));
    }
  else
    {
      json_object_set_string_member (body, "model",
                                     json_object_get_string_member_with_default (self->script, "model", "pointsman/auto"));
      json_object_set_int_member (body, "max_tokens", 32000);
      json_array_add_element (system, text_block (self->system_text, TRUE));

      if (g_str_equal (type, "compaction"))
        append_user_text (self->messages, COMPACTION_TEXT);
      else
        {
          if (json_object_has_member (step, "user"))
            append_user_text (self->messages, json_object_get_string_member (step, "user"));
          if (json_object_has_member (step, "tool"))
            append_tool_exchange (self, self->messages, step);
        }
      json_object_set_member (body, "messages", messages_with_breakpoint (self->messages));
      json_object_set_member (body, "tools", tools_node (self));

      if (g_str_equal (type, "compaction"))
        {
          /* Claude Code continues from the summary: the conversation starts again. */
          json_array_unref (self->messages);
          self->messages = json_array_new ();
          append_user_text (self->messages,
                            "This session is being continued from a previous conversation. "
                            "Summary: the ISO 8601 offset bug in calendar/parse.py is fixed and "
                            "tested; next, TZID parameters in calendar/ics.py.");
        }
    }

  json_object_set_array_member (body, "system", system);
  json_node_take_object (node, body);

  return node;
}

/* --- sending ------------------------------------------------------------------------------- */

static gboolean
send_next_cb (gpointer user_data)
{
  PmDemo *self = user_data;

  self->timeout_id = 0;
  send_next (self);

  return G_SOURCE_REMOVE;
}

static void
request_done (PmDemo *self)
{
  PmRequestLog *log = pm_proxy_get_log (self->proxy);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (log));

  /* The record the proxy appended for this request is the newest one. */
  if (n > self->n_records_before && self->pending_request != NULL && self->what_if != NULL)
    {
      g_autoptr(PmRecord) record = g_list_model_get_item (G_LIST_MODEL (log), n - 1);

      pm_what_if_push (self->what_if, self->pending_request, record);
    }
  g_clear_pointer (&self->pending_request, pm_request_unref);

  self->progress++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);

  if (self->next_step < json_array_get_length (self->steps))
    self->timeout_id = g_timeout_add (self->delay_ms, send_next_cb, self);
}

static void
splice_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PmDemo) self = user_data;
  g_autoptr(GError) error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (object), result, &error) < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error->message);
      return;
    }

  request_done (self);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(PmDemo) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  SoupMessage *msg;
  guint status;

  in = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (in == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error->message);
      return;
    }

  msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  status = soup_message_get_status (msg);
  if (status != SOUP_STATUS_OK)
    g_debug ("Demo request %u answered %u", self->next_step, status);

  out = g_memory_output_stream_new_resizable ();
  g_output_stream_splice_async (out, in,
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, self->cancellable, splice_cb,
                                g_object_ref (self));
}

static void
send_next (PmDemo *self)
{
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *url = NULL;
  g_autofree char *json = NULL;
  GHashTableIter iter;
  gpointer key, value;
  JsonObject *step;
  gsize len;

  if (self->next_step >= json_array_get_length (self->steps))
    return;

  step = json_array_get_object_element (self->steps, self->next_step++);
  g_hash_table_insert (headers, g_strdup ("content-type"), g_strdup ("application/json"));
  g_hash_table_insert (headers, g_strdup ("anthropic-version"), g_strdup ("2023-06-01"));
  g_hash_table_insert (headers, g_strdup ("x-api-key"), g_strdup ("demo-key-not-real"));
  g_hash_table_insert (headers, g_strdup ("x-app"), g_strdup ("cli"));
  g_hash_table_insert (headers, g_strdup ("user-agent"),
                       g_strdup (json_object_get_string_member_with_default (self->script, "user_agent", "claude-cli/2.1.90 (external, cli)")));
  g_hash_table_insert (headers, g_strdup ("x-claude-code-session-id"), g_strdup (self->session_id));

  body = build_body (self, step, headers);
  json = json_to_string (body, FALSE);
  len = strlen (json);
  bytes = g_bytes_new_take (g_steal_pointer (&json), len);

  /* The same parse the proxy does, kept for the what-if. */
  g_clear_pointer (&self->pending_request, pm_request_unref);
  self->pending_request = pm_request_new_from_bytes (PM_API_ANTHROPIC, headers, bytes, NULL);
  self->n_records_before = g_list_model_get_n_items (G_LIST_MODEL (pm_proxy_get_log (self->proxy)));

  url = g_strdup_printf ("http://127.0.0.1:%u/v1/messages", pm_proxy_get_port (self->proxy));
  msg = soup_message_new ("POST", url);
  g_hash_table_iter_init (&iter, headers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_str_equal (key, "content-type"))
      soup_message_headers_replace (soup_message_get_request_headers (msg), key, value);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);

  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                           send_cb, g_object_ref (self));
}

/* --- lifecycle ----------------------------------------------------------------------------- */

static gboolean
setup_upstream_config (PmDemo  *self,
                       GError **error)
{
  g_autofree char *sim_url = pm_sim_upstream_dup_url (self->sim);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *providers;

  self->config = pm_config_new_default ();
  pm_config_set_listen_port (self->config, 0);
  providers = pm_config_get_providers (self->config);
  for (guint i = 0; i < providers->len; i++)
    g_ptr_array_add (ids, g_strdup (((PmProviderConfig *) g_ptr_array_index (providers, i))->id));

  for (guint i = 0; i < ids->len; i++)
    {
      PmProviderConfig *p = pm_config_lookup_provider (self->config, g_ptr_array_index (ids, i));
      g_autofree char *base_url = NULL;
      PmProviderConfig copy;

      if (p == NULL)
        continue;
      base_url = p->api == PM_API_ANTHROPIC ? g_strdup (sim_url) : g_strconcat (sim_url, "/v1", NULL);
      copy = *p;
      copy.id = g_strdup (p->id);
      copy.base_url = base_url;
      copy.key = (char *) "none";
      pm_config_set_provider (self->config, &copy);
      g_free (copy.id);
    }

  if (ids->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The default configuration has no providers"));
      return FALSE;
    }

  return TRUE;
}

gboolean
pm_demo_start (PmDemo  *self,
               GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) pool = NULL;
  JsonNode *root;

  g_return_val_if_fail (PM_IS_DEMO (self), FALSE);
  g_return_val_if_fail (self->proxy == NULL, FALSE);

  bytes = g_resources_lookup_data (DEMO_RESOURCE, 0, error);
  if (bytes == NULL)
    return FALSE;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (json_node_get_object (root), "steps"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The bundled demo session is malformed"));
      return FALSE;
    }
  self->script = json_object_ref (json_node_get_object (root));
  self->steps = json_array_ref (json_object_get_array_member (self->script, "steps"));
  self->system_text = repeat_string (json_object_get_string_member_with_default (self->script, "system", ""),
                                     json_object_get_int_member_with_default (self->script, "system_repeat", 1));

  self->sim = pm_sim_upstream_new ();
  if (!pm_sim_upstream_start (self->sim, 0, error))
    return FALSE;

  if (!setup_upstream_config (self, error))
    return FALSE;

  pool = pm_config_dup_pool (self->config);
  self->router = pm_router_new (self->catalog, self->objective, (const char * const *) pool,
                                pm_config_get_default_model (self->config));
  self->keyring = pm_keyring_new_memory ();
  self->proxy = pm_proxy_new (self->config, self->catalog, self->router, self->keyring, NULL);
  if (!pm_proxy_start (self->proxy, error))
    {
      g_clear_object (&self->proxy);
      return FALSE;
    }

  self->session = soup_session_new_with_options ("timeout", 120, NULL);
  self->cancellable = g_cancellable_new ();
  self->session_id = g_uuid_string_random ();
  self->messages = json_array_new ();

  if (self->what_if != NULL)
    pm_what_if_clear (self->what_if);

  send_next (self);

  return TRUE;
}

void
pm_demo_stop (PmDemo *self)
{
  g_return_if_fail (PM_IS_DEMO (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    soup_session_abort (self->session);
  if (self->proxy != NULL)
    pm_proxy_stop (self->proxy);
}

PmRequestLog *
pm_demo_get_log (PmDemo *self)
{
  g_return_val_if_fail (PM_IS_DEMO (self), NULL);

  return self->proxy ? pm_proxy_get_log (self->proxy) : NULL;
}

char *
pm_demo_dup_url (PmDemo *self)
{
  g_return_val_if_fail (PM_IS_DEMO (self), NULL);

  return self->proxy ? pm_proxy_dup_url (self->proxy) : NULL;
}

guint
pm_demo_get_progress (PmDemo *self)
{
  g_return_val_if_fail (PM_IS_DEMO (self), 0);
  return self->progress;
}

guint
pm_demo_get_n_steps (PmDemo *self)
{
  g_return_val_if_fail (PM_IS_DEMO (self), 0);
  return self->steps ? json_array_get_length (self->steps) : 0;
}

const char *
pm_demo_get_error (PmDemo *self)
{
  g_return_val_if_fail (PM_IS_DEMO (self), NULL);
  return self->error;
}

void
pm_demo_set_delay (PmDemo *self,
                   guint   delay_ms)
{
  g_return_if_fail (PM_IS_DEMO (self));
  self->delay_ms = delay_ms;
}

static void
pm_demo_dispose (GObject *object)
{
  PmDemo *self = PM_DEMO (object);

  pm_demo_stop (self);
  g_clear_pointer (&self->pending_request, pm_request_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->proxy);
  g_clear_object (&self->keyring);
  g_clear_object (&self->router);
  g_clear_object (&self->config);
  g_clear_object (&self->sim);
  g_clear_object (&self->what_if);
  g_clear_object (&self->objective);
  g_clear_object (&self->catalog);
  g_clear_object (&self->app_config);
  g_clear_pointer (&self->messages, json_array_unref);
  g_clear_pointer (&self->steps, json_array_unref);
  g_clear_pointer (&self->script, json_object_unref);

  G_OBJECT_CLASS (pm_demo_parent_class)->dispose (object);
}

static void
pm_demo_finalize (GObject *object)
{
  PmDemo *self = PM_DEMO (object);

  g_free (self->session_id);
  g_free (self->system_text);
  g_free (self->error);

  G_OBJECT_CLASS (pm_demo_parent_class)->finalize (object);
}

static void
pm_demo_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  PmDemo *self = PM_DEMO (object);

  switch (prop_id)
    {
    case PROP_PROGRESS:
      g_value_set_uint (value, self->progress);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_demo_class_init (PmDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_demo_dispose;
  object_class->finalize = pm_demo_finalize;
  object_class->get_property = pm_demo_get_property;

  properties[PROP_PROGRESS] =
    g_param_spec_uint ("progress", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pm_demo_init (PmDemo *self)
{
  const char *env = g_getenv ("POINTSMAN_DEMO_DELAY_MS");

  self->delay_ms = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : 600;
}

PmDemo *
pm_demo_new (PmConfig    *config,
             PmCatalog   *catalog,
             PmObjective *objective,
             PmWhatIf    *what_if)
{
  PmDemo *self = g_object_new (PM_TYPE_DEMO, NULL);

  self->app_config = config ? g_object_ref (config) : NULL;
  self->catalog = g_object_ref (catalog);
  self->objective = g_object_ref (objective);
  self->what_if = what_if ? g_object_ref (what_if) : NULL;

  return self;
}
