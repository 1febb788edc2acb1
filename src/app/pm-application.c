/* pm-application.c — the app: owns the core and runs the proxy in-process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-application"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "pm-app-core.h"
#include "pm-application.h"
#include "pm-demo.h"
#include "pm-what-if.h"
#include "pm-window.h"

struct _PmApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  char           *config_path;
  gboolean        testing;

  PmConfig       *config;
  PmCatalog      *catalog;
  PmObjective    *objective;
  PmKeyring      *keyring;
  PmStore        *store;
  PmRouter       *router;
  PmProxy        *proxy;
  PmWhatIf       *what_if;
  PmDemo         *demo;
  GListModel     *empty_log;
  char           *proxy_error;
  char           *core_error;
  guint           config_port;
  guint           objective_save_id;

  /* The local access token ("listen": {"token": true}; pm-guard.h), loaded off the main thread. */
  char           *token;
  char           *token_error;
  GCancellable   *token_cancellable;
};

G_DEFINE_FINAL_TYPE (PmApplication, pm_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_LOG,
  PROP_PROXY_RUNNING,
  PROP_PROXY_ERROR,
  PROP_DEMO_RUNNING,
  PROP_DEMO_PROGRESS,
  PROP_TOKEN_REQUIRED,
  PROP_TOKEN,
  PROP_TOKEN_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void ensure_token (PmApplication *self);

/* --- GSettings ⇄ PmObjective ------------------------------------------------------------- */

static gboolean
enum_nick_to_int (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char * const *nicks = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; nicks[i] != NULL; i++)
    if (g_str_equal (nicks[i], nick))
      {
        g_value_set_int (value, i);
        return TRUE;
      }

  return FALSE;
}

static GVariant *
int_to_enum_nick (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  const char * const *nicks = user_data;
  int v = g_value_get_int (value);

  if (v < 0 || v >= (int) g_strv_length ((char **) nicks))
    return NULL;

  return g_variant_new_string (nicks[v]);
}

static const char *pin_policy_nicks[] = { "honour", "route-all", NULL };
static const char *client_effort_nicks[] = { "ceiling", "floor", "ignore", "exact", NULL };

static const char *objective_properties[] = {
  "tradeoff", "quality-floor", "max-effort", "daily-budget", "disabled-models", "pin-policy",
  "client-effort-policy", NULL
};

static void
bind_objective_flags (PmApplication      *self,
                      GSettingsBindFlags  flags)
{
  g_settings_bind (self->settings, "tradeoff", self->objective, "tradeoff", flags);
  g_settings_bind (self->settings, "quality-floor", self->objective, "quality-floor", flags);
  g_settings_bind (self->settings, "max-effort", self->objective, "max-effort", flags);
  g_settings_bind (self->settings, "daily-budget", self->objective, "daily-budget", flags);
  g_settings_bind (self->settings, "disabled-models", self->objective, "disabled-models", flags);
  g_settings_bind_with_mapping (self->settings, "pin-policy", self->objective, "pin-policy",
                                flags, enum_nick_to_int, int_to_enum_nick,
                                (gpointer) pin_policy_nicks, NULL);
  g_settings_bind_with_mapping (self->settings, "client-effort-policy", self->objective,
                                "client-effort-policy", flags,
                                enum_nick_to_int, int_to_enum_nick,
                                (gpointer) client_effort_nicks, NULL);
}

/* config_wins: the objective as loaded goes to GSettings first (config.json is the source of
 * truth, shared with `pointsman-cli serve`); otherwise GSettings sets the objective. */
static void
bind_objective (PmApplication *self,
                gboolean       config_wins)
{
  if (config_wins)
    {
      /* SET only: the object's current values are written to the settings right away. */
      bind_objective_flags (self, G_SETTINGS_BIND_SET);
      for (guint i = 0; objective_properties[i] != NULL; i++)
        g_settings_unbind (self->objective, objective_properties[i]);
    }
  bind_objective_flags (self, G_SETTINGS_BIND_DEFAULT);
}

#if PM_APP_HAVE_CORE
static gboolean
save_objective_cb (gpointer data)
{
  PmApplication *self = data;
  g_autoptr(GError) error = NULL;

  self->objective_save_id = 0;
  if (!pm_application_save_objective (self, &error))
    g_warning ("The objective was not written to the configuration file: %s", error->message);

  return G_SOURCE_REMOVE;
}

/* A slider drag changes the objective many times a second: write once it rests. */
static void
on_objective_notify (PmApplication *self)
{
  if (self->objective_save_id == 0)
    self->objective_save_id = g_timeout_add (300, save_objective_cb, self);
}
#endif

#if PM_APP_HAVE_CORE
typedef void (*EditFunc) (PmApplication *self,
                          JsonObject    *root);

/* Change only what edit changes in config.json: the rest of the file stays as the user wrote
 * it, and the app's own overrides (the port from the preferences, a test's database) never
 * land there. The file is created if missing. */
static gboolean
edit_config_file (PmApplication  *self,
                  EditFunc        edit,
                  GError        **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *with_newline = NULL;
  const char *path;

  if (self->config == NULL)
    return TRUE;
  path = pm_config_get_path (self->config);
  if (path == NULL)
    return TRUE;   /* defaults in memory (tests) */

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (!json_parser_load_from_file (parser, path, error))
        return FALSE;
      root = json_parser_steal_root (parser);
    }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_clear_pointer (&root, json_node_unref);
      root = json_node_init_object (json_node_alloc (), json_object_new ());
    }
  edit (self, json_node_get_object (root));

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  data = json_generator_to_data (generator, NULL);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), _("Cannot create %s: %s"),
                   dir, g_strerror (errsv));
      return FALSE;
    }
  with_newline = g_strconcat (data, "\n", NULL);
  /* 0600: provider headers may carry gateway tokens. */
  return g_file_set_contents_full (path, with_newline, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

static void
edit_objective (PmApplication *self,
                JsonObject    *root)
{
  json_object_set_member (root, "objective", pm_objective_to_json (self->objective));
}

/* The providers as the configuration has them now (the providers page edits them). */
static void
edit_providers (PmApplication *self,
                JsonObject    *root)
{
  g_autoptr(JsonNode) all = pm_config_to_json (self->config);
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (all) ? json_node_get_object (all) : NULL;

  if (object != NULL && json_object_has_member (object, "providers"))
    json_object_set_member (root, "providers", json_node_copy (json_object_get_member (object, "providers")));
  else
    json_object_remove_member (root, "providers");
}

/* "listen": {"token": …}, the rest of "listen" as it was. */
static void
edit_listen_token (PmApplication *self,
                   JsonObject    *root)
{
  JsonObject *listen = NULL;

  if (json_object_has_member (root, "listen") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "listen")))
    listen = json_object_get_object_member (root, "listen");
  else
    {
      listen = json_object_new ();
      json_object_set_object_member (root, "listen", listen);
    }
  json_object_set_boolean_member (listen, "token", pm_config_get_listen_token (self->config));
}
#endif

gboolean
pm_application_save_objective (PmApplication  *self,
                               GError        **error)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

#if PM_APP_HAVE_CORE
  g_clear_handle_id (&self->objective_save_id, g_source_remove);
  if (self->objective == NULL)
    return TRUE;
  return edit_config_file (self, edit_objective, error);
#else
  return TRUE;
#endif
}

static void
apply_color_scheme (PmApplication *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");

  if (g_str_equal (scheme, "dark"))
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  else if (g_str_equal (scheme, "light"))
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

/* --- the core ------------------------------------------------------------------------------ */

static void
on_demo_notify (PmApplication *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO_PROGRESS]);
}

#define HISTORY_ITEMS 2000

/* The dashboard starts with the recent history from the store (oldest first, as the log is). */
static void
load_history (PmApplication *self)
{
#if PM_APP_HAVE_CORE
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) recent = NULL;
  PmRequestLog *log;
  guint n;

  if (self->store == NULL || self->proxy == NULL)
    return;

  recent = pm_store_list_recent (self->store, HISTORY_ITEMS, &error);
  if (recent == NULL)
    {
      g_message ("Request history not loaded: %s", error->message);
      return;
    }

  log = pm_proxy_get_log (self->proxy);
  n = json_array_get_length (recent);
  for (guint i = n; i-- > 0;)
    {
      JsonNode *node = json_array_get_element (recent, i);
      g_autoptr(PmRecord) record = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      record = pm_record_new_from_json (json_node_get_object (node));
      if (record != NULL && pm_request_log_lookup (log, pm_record_get_id (record)) == NULL)
        pm_request_log_append (log, record);
    }
#endif
}

static gboolean
load_core (PmApplication  *self,
           GError        **error)
{
#if PM_APP_HAVE_CORE
  g_autofree char *path = NULL;
  g_auto(GStrv) pool = NULL;
  gboolean config_existed = FALSE;
  guint port;

  if (self->config_path != NULL)
    {
      config_existed = g_file_test (self->config_path, G_FILE_TEST_EXISTS);
      self->config = pm_config_load (self->config_path, TRUE, error);
    }
  else if (self->testing)
    self->config = pm_config_new_default ();
  else
    {
      path = pm_config_default_path ();
      config_existed = g_file_test (path, G_FILE_TEST_EXISTS);
      self->config = pm_config_load (path, TRUE, error);
    }
  if (self->config == NULL)
    return FALSE;

  self->catalog = pm_catalog_new_default (error);
  if (self->catalog == NULL)
    return FALSE;

  /* One source of truth for the objective: config.json, which `pointsman-cli serve` reads too.
   * An existing file sets the sliders; a file created just now takes the sliders' values (as a
   * user of an older version left them). Every change is written back to the file. */
  self->objective = g_object_ref (pm_config_get_objective (self->config));
  bind_objective (self, config_existed);
  if (!config_existed && pm_config_get_path (self->config) != NULL)
    {
      g_autoptr(GError) save_error = NULL;

      if (!pm_application_save_objective (self, &save_error))
        g_message ("The objective was not written to the configuration file: %s", save_error->message);
    }
  g_signal_connect_swapped (self->objective, "notify", G_CALLBACK (on_objective_notify), self);

  if (self->testing)
    pm_config_set_listen_port (self->config, 0);   /* any free port */
  self->config_port = pm_config_get_listen_port (self->config);
  port = g_settings_get_uint (self->settings, "listen-port");
  if (port != 0)
    pm_config_set_listen_port (self->config, port);

  if (self->keyring == NULL)
    self->keyring = pm_keyring_new ();

  /* Tests keep their database next to their configuration file, never in the user's. */
  if (self->testing && self->config_path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self->config_path);
      g_autofree char *db = g_build_filename (dir, "requests.db", NULL);

      pm_config_set_database (self->config, db);
    }
  if (!self->testing || self->config_path != NULL)
    {
      g_autoptr(GError) store_error = NULL;

      self->store = pm_store_open (pm_config_get_database (self->config), &store_error);
      if (self->store == NULL)
        g_message ("Request history is not saved: %s", store_error->message);
    }

  pool = pm_config_dup_pool (self->config);
  self->router = pm_router_new (self->catalog, self->objective, (const char * const *) pool,
                                pm_config_get_default_model (self->config));
  /* What this device has seen of each model survives restarts (router.db beside the request
   * history; tests without a configuration file never touch the user's data). */
  if (!self->testing || self->config_path != NULL)
    {
      g_autofree char *outcomes = pm_router_dup_outcomes_path (pm_config_get_database (self->config));
      g_autoptr(GError) outcomes_error = NULL;

      if (!pm_router_open_outcomes (self->router, outcomes, &outcomes_error))
        g_message ("Routing outcomes are not kept: %s", outcomes_error->message);
    }
  /* The daily budget counts what today already cost before this start. */
  if (self->store != NULL)
    pm_router_add_spend (self->router, pm_store_get_spend_today (self->store), g_get_real_time ());
  self->proxy = pm_proxy_new (self->config, self->catalog, self->router, self->keyring, self->store);
  self->what_if = pm_what_if_new (self->catalog, (const char * const *) pool,
                                  pm_config_get_default_model (self->config));
  pm_what_if_attach_proxy (self->what_if, self->proxy);
  load_history (self);
  ensure_token (self);

  return TRUE;
#else
  self->objective = pm_objective_new ();
  bind_objective (self, FALSE);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("This build of Pointsman has no routing core"));
  return FALSE;
#endif
}

/* --- the local access token ------------------------------------------------------------- */

#if PM_APP_HAVE_CORE
/* In a worker thread: the keyring may prompt (an unlock dialog), the window must not wait.
 * A throwaway guard, so the proxy's guard is only touched on the main thread. */
static void
load_token_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  PmKeyring *keyring = task_data;
  g_autoptr(PmGuard) guard = pm_guard_new ();
  g_autoptr(GError) error = NULL;
  char *token = pm_guard_load_token (guard, keyring, TRUE, cancellable, &error);

  if (token == NULL && error == NULL)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The keyring returned no token"));
  if (token == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, token, g_free);
}

static void
load_token_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  PmApplication *self = PM_APPLICATION (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->token_cancellable);
  g_clear_pointer (&self->token_error, g_free);
  if (token != NULL)
    {
      g_free (self->token);
      self->token = g_steal_pointer (&token);
      if (self->proxy != NULL)
        pm_guard_set_token (pm_proxy_get_guard (self->proxy), self->token);
    }
  else
    {
      /* The guard stays closed: every request is refused until a token is there. */
      self->token_error = g_strdup (error->message);
      g_message ("The local access token could not be loaded: %s", error->message);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN_LOADING]);
}
#endif

/* When the configuration requires the token: give the proxy's guard the one loaded before, or
 * load it (generated and stored in the keyring on first use) without blocking. */
static void
ensure_token (PmApplication *self)
{
#if PM_APP_HAVE_CORE
  g_autoptr(GTask) task = NULL;

  if (self->proxy == NULL || self->keyring == NULL ||
      !pm_guard_get_token_required (pm_proxy_get_guard (self->proxy)))
    return;
  if (self->token != NULL)
    {
      pm_guard_set_token (pm_proxy_get_guard (self->proxy), self->token);
      return;
    }
  if (self->token_cancellable != NULL)
    return;   /* on its way */

  self->token_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->token_cancellable, load_token_cb, NULL);
  g_task_set_source_tag (task, ensure_token);
  g_task_set_task_data (task, g_object_ref (self->keyring), g_object_unref);
  g_task_run_in_thread (task, load_token_thread);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN_LOADING]);
#endif
}

gboolean
pm_application_get_token_required (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

#if PM_APP_HAVE_CORE
  return self->proxy != NULL && pm_guard_get_token_required (pm_proxy_get_guard (self->proxy));
#else
  return FALSE;
#endif
}

const char *
pm_application_get_token (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->token;
}

gboolean
pm_application_get_token_loading (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);
  return self->token_cancellable != NULL;
}

const char *
pm_application_get_token_error (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->token_error;
}

gboolean
pm_application_set_token_required (PmApplication  *self,
                                   gboolean        required,
                                   GError        **error)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

#if PM_APP_HAVE_CORE
  if (self->config == NULL || self->proxy == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           self->core_error ? self->core_error : _("The proxy is not available"));
      return FALSE;
    }
  if (pm_config_get_listen_token (self->config) == !!required)
    return TRUE;

  pm_config_set_listen_token (self->config, required);
  pm_guard_set_token_enabled (pm_proxy_get_guard (self->proxy), required);
  ensure_token (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN_REQUIRED]);
  /* Written like the objective: only "listen": {"token"} changes in config.json. */
  return edit_config_file (self, edit_listen_token, error);
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("This build of Pointsman has no routing core"));
  return FALSE;
#endif
}

gboolean
pm_application_start_proxy (PmApplication  *self,
                            GError        **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

  if (self->proxy == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           self->core_error ? self->core_error : _("The proxy is not available"));
      return FALSE;
    }

#if PM_APP_HAVE_CORE
  if (!pm_proxy_is_running (self->proxy) && !pm_proxy_start (self->proxy, &local_error))
    {
      g_free (self->proxy_error);
      self->proxy_error = g_strdup (local_error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY_ERROR]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY_RUNNING]);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
#endif

  g_clear_pointer (&self->proxy_error, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY_ERROR]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY_RUNNING]);
  return TRUE;
}

void
pm_application_stop_proxy (PmApplication *self)
{
  g_return_if_fail (PM_IS_APPLICATION (self));

#if PM_APP_HAVE_CORE
  if (self->proxy != NULL)
    pm_proxy_stop (self->proxy);
  if (self->store != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* Stopped means the history so far is on disk. */
      if (!pm_store_flush (self->store, &error))
        g_message ("Request history not flushed: %s", error->message);
    }
#endif
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY_RUNNING]);
}

gboolean
pm_application_get_proxy_running (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

#if PM_APP_HAVE_CORE
  return self->proxy != NULL && pm_proxy_is_running (self->proxy);
#else
  return FALSE;
#endif
}

char *
pm_application_dup_url (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);

  if (!pm_application_get_proxy_running (self))
    return NULL;
#if PM_APP_HAVE_CORE
  return pm_proxy_dup_url (self->proxy);
#else
  return NULL;
#endif
}

const char *
pm_application_get_proxy_error (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);

  if (self->proxy_error != NULL)
    return self->proxy_error;
  return self->core_error;
}

GListModel *
pm_application_get_log (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);

#if PM_APP_HAVE_CORE
  if (self->demo != NULL && pm_demo_get_log (self->demo) != NULL)
    return G_LIST_MODEL (pm_demo_get_log (self->demo));
  if (self->proxy != NULL)
    return G_LIST_MODEL (pm_proxy_get_log (self->proxy));
#endif

  return self->empty_log;
}

gboolean
pm_application_start_demo (PmApplication  *self,
                           GError        **error)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

  if (self->demo != NULL)
    return TRUE;

#if PM_APP_HAVE_CORE
  if (self->config == NULL || self->catalog == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           self->core_error ? self->core_error : _("The proxy is not available"));
      return FALSE;
    }

  self->demo = pm_demo_new (self->config, self->catalog, self->objective, self->what_if);
  g_signal_connect_swapped (self->demo, "notify::progress", G_CALLBACK (on_demo_notify), self);
  g_signal_connect_swapped (self->demo, "notify::error", G_CALLBACK (on_demo_notify), self);
  if (!pm_demo_start (self->demo, error))
    {
      g_clear_object (&self->demo);
      return FALSE;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO_RUNNING]);
  return TRUE;
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("This build of Pointsman has no routing core"));
  return FALSE;
#endif
}

void
pm_application_stop_demo (PmApplication *self)
{
  g_return_if_fail (PM_IS_APPLICATION (self));

  if (self->demo == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->demo, self);
#if PM_APP_HAVE_CORE
  pm_demo_stop (self->demo);
#endif
  g_clear_object (&self->demo);
  if (self->what_if != NULL)
    pm_what_if_clear (self->what_if);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO_RUNNING]);
}

const char *
pm_application_get_demo_error (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);

#if PM_APP_HAVE_CORE
  return self->demo != NULL ? pm_demo_get_error (self->demo) : NULL;
#else
  return NULL;
#endif
}

gboolean
pm_application_get_demo_running (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

  return self->demo != NULL;
}

guint
pm_application_get_demo_progress (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), 0);

#if PM_APP_HAVE_CORE
  return self->demo != NULL ? pm_demo_get_progress (self->demo) : 0;
#else
  return 0;
#endif
}

double
pm_application_get_spend_today (PmApplication *self)
{
  GListModel *log;
  double spend = 0;
  gint64 since;

  g_return_val_if_fail (PM_IS_APPLICATION (self), 0);

#if PM_APP_HAVE_CORE
  if (self->store != NULL && self->demo == NULL)
    return pm_store_get_spend_today (self->store);
#endif

  /* The budget's day is the UTC day, as in the router and the store (docs/CONFIG.md). */
  since = (g_get_real_time () / G_TIME_SPAN_DAY) * G_TIME_SPAN_DAY;
  log = pm_application_get_log (self);
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (log, i);

      if (PM_IS_RECORD (item) && pm_record_get_time (PM_RECORD (item)) >= since)
        spend += pm_record_get_cost (PM_RECORD (item));
    }

  return spend;
}

gboolean
pm_application_save_config (PmApplication  *self,
                            GError        **error)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), FALSE);

#if PM_APP_HAVE_CORE
  /* An objective change still waiting for its write goes along (both are the user's edits). */
  if (self->objective_save_id != 0 && !pm_application_save_objective (self, error))
    return FALSE;
  /* Only the providers: the in-memory configuration also holds the app's overrides. */
  return edit_config_file (self, edit_providers, error);
#else
  return TRUE;
#endif
}

GSettings *
pm_application_get_settings (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->settings;
}

PmConfig *
pm_application_get_config (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->config;
}

PmCatalog *
pm_application_get_catalog (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->catalog;
}

PmObjective *
pm_application_get_objective (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->objective;
}

PmKeyring *
pm_application_get_keyring (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->keyring;
}

PmProxy *
pm_application_get_proxy (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->proxy;
}

PmRouter *
pm_application_get_router (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->router;
}

PmWhatIf *
pm_application_get_what_if (PmApplication *self)
{
  g_return_val_if_fail (PM_IS_APPLICATION (self), NULL);
  return self->what_if;
}

static void
on_listen_port_changed (PmApplication *self)
{
#if PM_APP_HAVE_CORE
  guint port = g_settings_get_uint (self->settings, "listen-port");
  gboolean running;
  g_autoptr(GError) error = NULL;

  if (self->config == NULL || self->proxy == NULL)
    return;

  pm_config_set_listen_port (self->config, port != 0 ? port : self->config_port);
  running = pm_proxy_is_running (self->proxy);
  if (running)
    {
      pm_proxy_stop (self->proxy);
      if (!pm_application_start_proxy (self, &error))
        g_debug ("Proxy did not restart: %s", error->message);
    }
#endif
}

/* --- actions ------------------------------------------------------------------------------- */

static void
pm_application_about (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  PmApplication *self = user_data;
  static const char *developers[] = { "The Pointsman contributors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", "Pointsman",
                        "application-icon", APP_ID,
                        "developer-name", _("The Pointsman contributors"),
                        "version", PACKAGE_VERSION,
                        "comments", _("A local model-routing proxy for coding agents: every request "
                                      "gets the model and reasoning effort that best serve your "
                                      "cost objective, and you see why."),
                        "developers", developers,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "website", "https://github.com/pointsman/pointsman",
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
pm_application_quit (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  PmApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_application_quit (G_APPLICATION (self));
}

static void
pm_application_demo (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  PmApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  if (pm_application_get_demo_running (self))
    pm_application_stop_demo (self);
  else if (!pm_application_start_demo (self, &error))
    g_warning ("Demo failed to start: %s", error->message);
}

static void
pm_application_toggle_proxy (GSimpleAction *action,
                             GVariant      *param,
                             gpointer       user_data)
{
  PmApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  if (pm_application_get_proxy_running (self))
    pm_application_stop_proxy (self);
  else if (!pm_application_start_proxy (self, &error))
    g_debug ("Proxy did not start: %s", error->message);
}

static const GActionEntry app_actions[] = {
  { "about", pm_application_about },
  { "quit", pm_application_quit },
  { "demo", pm_application_demo },
  { "toggle-proxy", pm_application_toggle_proxy },
};

/* --- GApplication -------------------------------------------------------------------------- */

static void
pm_application_startup (GApplication *app)
{
  PmApplication *self = PM_APPLICATION (app);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAction) scheme = NULL;
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *demo_accels[] = { "<Control>d", NULL };

  G_APPLICATION_CLASS (pm_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  scheme = g_settings_create_action (self->settings, "color-scheme");
  g_action_map_add_action (G_ACTION_MAP (self), scheme);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.demo", demo_accels);

  g_signal_connect_swapped (self->settings, "changed::color-scheme",
                            G_CALLBACK (apply_color_scheme), self);
  apply_color_scheme (self);

  if (!load_core (self, &error))
    {
      self->core_error = g_strdup (error->message);
      g_message ("The routing core is not available: %s", error->message);
    }
  g_signal_connect_swapped (self->settings, "changed::listen-port",
                            G_CALLBACK (on_listen_port_changed), self);
}

static void
pm_application_activate (GApplication *app)
{
  PmApplication *self = PM_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      if (g_settings_get_boolean (self->settings, "start-proxy") && self->proxy != NULL)
        {
          g_autoptr(GError) error = NULL;

          if (!pm_application_start_proxy (self, &error))
            g_debug ("Proxy did not start: %s", error->message);
        }
      window = GTK_WINDOW (pm_window_new (self));
    }

  gtk_window_present (window);
}

static void
pm_application_shutdown (GApplication *app)
{
  PmApplication *self = PM_APPLICATION (app);

  pm_application_stop_demo (self);
  g_cancellable_cancel (self->token_cancellable);
#if PM_APP_HAVE_CORE
  if (self->objective_save_id != 0)
    save_objective_cb (self);
  if (self->proxy != NULL)
    pm_proxy_stop (self->proxy);
  if (self->store != NULL)
    pm_store_close (self->store);
#endif

  G_APPLICATION_CLASS (pm_application_parent_class)->shutdown (app);
}

static void
pm_application_dispose (GObject *object)
{
  PmApplication *self = PM_APPLICATION (object);

  if (self->demo != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->demo, self);
#if PM_APP_HAVE_CORE
      pm_demo_stop (self->demo);
#endif
      g_clear_object (&self->demo);
    }
  g_clear_object (&self->what_if);
  g_cancellable_cancel (self->token_cancellable);
  g_clear_object (&self->token_cancellable);
#if PM_APP_HAVE_CORE
  if (self->objective_save_id != 0)
    save_objective_cb (self);
  if (self->objective != NULL)
    g_signal_handlers_disconnect_by_data (self->objective, self);
  if (self->proxy != NULL)
    pm_proxy_stop (self->proxy);
  if (self->store != NULL)
    pm_store_close (self->store);   /* writes what is queued */
#endif
  g_clear_object (&self->proxy);
  g_clear_object (&self->router);
  g_clear_object (&self->store);
  g_clear_object (&self->keyring);
  g_clear_object (&self->objective);
  g_clear_object (&self->catalog);
  g_clear_object (&self->config);
  g_clear_object (&self->empty_log);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pm_application_parent_class)->dispose (object);
}

static void
pm_application_finalize (GObject *object)
{
  PmApplication *self = PM_APPLICATION (object);

  g_free (self->config_path);
  g_free (self->token);
  g_free (self->token_error);
  g_free (self->proxy_error);
  g_free (self->core_error);

  G_OBJECT_CLASS (pm_application_parent_class)->finalize (object);
}

static void
pm_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PmApplication *self = PM_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_LOG:
      g_value_set_object (value, pm_application_get_log (self));
      break;
    case PROP_PROXY_RUNNING:
      g_value_set_boolean (value, pm_application_get_proxy_running (self));
      break;
    case PROP_PROXY_ERROR:
      g_value_set_string (value, pm_application_get_proxy_error (self));
      break;
    case PROP_DEMO_RUNNING:
      g_value_set_boolean (value, pm_application_get_demo_running (self));
      break;
    case PROP_DEMO_PROGRESS:
      g_value_set_uint (value, pm_application_get_demo_progress (self));
      break;
    case PROP_TOKEN_REQUIRED:
      g_value_set_boolean (value, pm_application_get_token_required (self));
      break;
    case PROP_TOKEN:
      g_value_set_string (value, pm_application_get_token (self));
      break;
    case PROP_TOKEN_LOADING:
      g_value_set_boolean (value, pm_application_get_token_loading (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_application_class_init (PmApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = pm_application_dispose;
  object_class->finalize = pm_application_finalize;
  object_class->get_property = pm_application_get_property;

  app_class->startup = pm_application_startup;
  app_class->activate = pm_application_activate;
  app_class->shutdown = pm_application_shutdown;

  properties[PROP_LOG] =
    g_param_spec_object ("log", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROXY_RUNNING] =
    g_param_spec_boolean ("proxy-running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROXY_ERROR] =
    g_param_spec_string ("proxy-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEMO_RUNNING] =
    g_param_spec_boolean ("demo-running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEMO_PROGRESS] =
    g_param_spec_uint ("demo-progress", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN_REQUIRED] =
    g_param_spec_boolean ("token-required", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN_LOADING] =
    g_param_spec_boolean ("token-loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

#define SCHEMA_ID "io.github.pointsman.Pointsman"

/* The installed schema, or the one compiled into the build directory (running from a checkout
 * without installing, as build-aux/run.sh does). */
static GSettings *
create_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, SCHEMA_ID, TRUE);
#ifdef PM_BUILD_SCHEMADIR
  if (schema == NULL)
    {
      g_autoptr(GSettingsSchemaSource) build = NULL;

      build = g_settings_schema_source_new_from_directory (PM_BUILD_SCHEMADIR, source, FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, SCHEMA_ID, FALSE);
    }
#endif
  if (schema == NULL)
    g_error ("The settings schema %s is not installed (install Pointsman, or set GSETTINGS_SCHEMA_DIR)",
             SCHEMA_ID);

  return g_settings_new_full (schema, NULL, NULL);
}

static void
pm_application_init (PmApplication *self)
{
  self->settings = create_settings ();
  self->empty_log = G_LIST_MODEL (g_list_store_new (G_TYPE_OBJECT));
}

PmApplication *
pm_application_new (void)
{
  return g_object_new (PM_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/pointsman/Pointsman",
                       NULL);
}

PmApplication *
pm_application_new_for_testing (const char *config_path,
                                PmKeyring  *keyring)
{
  static guint counter;
  g_autofree char *id = g_strdup_printf ("%s.Test%u", APP_ID, ++counter);
  PmApplication *self;

  /* A distinct id per instance: several apps in one test process export distinct paths. */
  self = g_object_new (PM_TYPE_APPLICATION,
                       "application-id", id,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/io/github/pointsman/Pointsman",
                       NULL);
  self->testing = TRUE;
  self->config_path = g_strdup (config_path);
  if (keyring != NULL)
    self->keyring = g_object_ref (keyring);

  return self;
}
