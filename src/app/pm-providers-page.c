/* pm-providers-page.c — providers (API family, base URL) and their keys
 *
 * Keys go through PmKeyring's async calls so a keyring prompt never blocks the window. The key
 * itself is never shown or logged: only whether one is stored.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-providers-page"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pm-app-core.h"
#include "pm-providers-page.h"
#if PM_APP_HAVE_CORE
#include "pm-gateway.h"
#endif

struct _PmProvidersPage
{
  GtkWidget            parent_instance;

  AdwActionRow        *keyring_row;
  GtkImage            *keyring_icon;
  AdwPreferencesGroup *providers_group;

  PmApplication       *app;       /* weak */
  GPtrArray           *rows;
  GHashTable          *status_rows;  /* provider id → AdwActionRow (borrowed) */
  GHashTable          *statuses;     /* provider id → status text */
  GStrv                with_keys;
  char                *keyring_status;
  gboolean             keyring_ok;
  GCancellable        *cancellable;
  guint                busy;
};

G_DEFINE_FINAL_TYPE (PmProvidersPage, pm_providers_page, GTK_TYPE_WIDGET)

static const char *api_names[] = {
  N_("Anthropic Messages"), N_("OpenAI Chat Completions"), N_("OpenAI Responses"),
};

static void rebuild (PmProvidersPage *self);

static const char *
key_status_for (PmProvidersPage  *self,
                PmProviderConfig *p,
                char            **owned)
{
  if (p->key != NULL && g_str_has_prefix (p->key, "env:"))
    {
      const char *var = p->key + 4;

      *owned = g_strdup_printf (g_getenv (var) ? _("Read from the environment variable %s (set)")
                                               : _("Read from the environment variable %s (not set)"),
                                var);
      return *owned;
    }
  if (g_strcmp0 (p->key, "none") == 0)
    return _("No key needed");
  if (!self->keyring_ok && self->keyring_status != NULL)
    return _("Keyring unavailable");
  if (self->with_keys == NULL)
    return _("Checking…");
  if (g_strv_contains ((const char * const *) self->with_keys, p->id))
    return _("Key stored in the keyring");
  return _("No key stored");
}

static void
update_statuses (PmProvidersPage *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_remove_all (self->statuses);
#if PM_APP_HAVE_CORE
  {
    PmConfig *config = pm_application_get_config (self->app);

    g_hash_table_iter_init (&iter, self->status_rows);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        PmProviderConfig *p = config ? pm_config_lookup_provider (config, key) : NULL;
        g_autofree char *owned = NULL;
        const char *status;

        if (p == NULL)
          continue;
        status = key_status_for (self, p, &owned);
        adw_action_row_set_subtitle (ADW_ACTION_ROW (value), status);
        {
          GtkWidget *expander = g_object_get_data (G_OBJECT (value), "expander");
          g_autofree char *subtitle = g_strdup_printf ("%s · %s · %s",
                                                       _(api_names[MIN (p->api, PM_API_LAST - 1)]),
                                                       p->base_url ? p->base_url : "", status);

          if (expander != NULL)
            adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), subtitle);
        }
        g_hash_table_insert (self->statuses, g_strdup (key), g_strdup (status));
      }
  }
#else
  (void) iter; (void) key; (void) value;
#endif
}

static void
set_keyring_status (PmProvidersPage *self,
                    gboolean         ok,
                    const char      *text)
{
  self->keyring_ok = ok;
  g_free (self->keyring_status);
  self->keyring_status = g_strdup (text);
  adw_action_row_set_subtitle (self->keyring_row, text);
  gtk_image_set_from_icon_name (self->keyring_icon, ok ? "dialog-password-symbolic" : "dialog-warning-symbolic");
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->keyring_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->keyring_row), "error");
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(PmProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  GStrv ids;

  self->busy--;
  ids = pm_keyring_list_finish (PM_KEYRING (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_pointer (&self->with_keys, g_strfreev);
  if (ids == NULL && error != NULL)
    {
      g_autofree char *text =
        g_strdup_printf (_("No Secret Service is available, so keys cannot be stored (%s). "
                           "Start a keyring such as GNOME Keyring, or set “key”: “env:NAME” for a "
                           "provider in config.json."),
                         error->message);

      set_keyring_status (self, FALSE, text);
      self->with_keys = g_new0 (char *, 1);
    }
  else
    {
      set_keyring_status (self, TRUE, _("Keys are kept in the system keyring (Secret Service)"));
      self->with_keys = ids ? ids : g_new0 (char *, 1);
    }
  update_statuses (self);
}

void
pm_providers_page_refresh_keys (PmProvidersPage *self)
{
  PmKeyring *keyring;

  g_return_if_fail (PM_IS_PROVIDERS_PAGE (self));

  keyring = self->app ? pm_application_get_keyring (self->app) : NULL;
  if (keyring == NULL)
    {
      set_keyring_status (self, FALSE, _("The keyring is not available in this build"));
      return;
    }

#if PM_APP_HAVE_CORE
  self->busy++;
  pm_keyring_list_async (keyring, self->cancellable, list_cb, g_object_ref (self));
#endif
}

typedef struct
{
  PmProvidersPage *self;
  char            *provider;
} KeyOp;

static void
key_op_free (KeyOp *op)
{
  g_object_unref (op->self);
  g_free (op->provider);
  g_free (op);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  KeyOp *op = user_data;
  PmProvidersPage *self = op->self;
  g_autoptr(GError) error = NULL;

  self->busy--;
  if (!pm_keyring_store_finish (PM_KEYRING (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* The message comes from the keyring, never contains the key. */
          g_autofree char *text = g_strdup_printf (_("The key was not stored: %s"), error->message);

          set_keyring_status (self, FALSE, text);
          g_hash_table_insert (self->statuses, g_strdup (op->provider), g_strdup (text));
        }
      key_op_free (op);
      return;
    }

  key_op_free (op);
  pm_providers_page_refresh_keys (self);
}

void
pm_providers_page_store_key (PmProvidersPage *self,
                             const char      *provider,
                             const char      *key)
{
  PmKeyring *keyring;
  KeyOp *op;

  g_return_if_fail (PM_IS_PROVIDERS_PAGE (self));
  g_return_if_fail (provider != NULL);

  if (key == NULL || *key == '\0')
    return;

  keyring = pm_application_get_keyring (self->app);
  if (keyring == NULL)
    return;

#if PM_APP_HAVE_CORE
  {
    PmConfig *config = pm_application_get_config (self->app);
    PmProviderConfig *p = config ? pm_config_lookup_provider (config, provider) : NULL;

    /* A stored key means this provider reads its key from the keyring from now on. */
    if (p != NULL && g_strcmp0 (p->key, "keyring") != 0)
      {
        PmProviderConfig copy = *p;
        g_autoptr(GError) error = NULL;

        copy.key = (char *) "keyring";
        pm_config_set_provider (config, &copy);
        if (!pm_application_save_config (self->app, &error))
          g_warning ("Could not save the configuration: %s", error->message);
      }
  }

  op = g_new0 (KeyOp, 1);
  op->self = g_object_ref (self);
  op->provider = g_strdup (provider);
  self->busy++;
  {
    const char *waiting = _("Storing… (the keyring may ask to be unlocked)");
    GtkWidget *row = g_hash_table_lookup (self->status_rows, provider);

    g_hash_table_insert (self->statuses, g_strdup (provider), g_strdup (waiting));
    if (row != NULL)
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), waiting);
  }
  pm_keyring_store_async (keyring, provider, key, self->cancellable, store_cb, op);
#else
  (void) op;
#endif
}

static void
remove_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  KeyOp *op = user_data;
  PmProvidersPage *self = op->self;
  g_autoptr(GError) error = NULL;

  self->busy--;
  if (!pm_keyring_remove_finish (PM_KEYRING (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("The key was not removed: %s"), error->message);

      set_keyring_status (self, FALSE, text);
    }
  key_op_free (op);
  pm_providers_page_refresh_keys (self);
}

void
pm_providers_page_remove_key (PmProvidersPage *self,
                              const char      *provider)
{
  PmKeyring *keyring;
  KeyOp *op;

  g_return_if_fail (PM_IS_PROVIDERS_PAGE (self));

  keyring = pm_application_get_keyring (self->app);
  if (keyring == NULL)
    return;

  op = g_new0 (KeyOp, 1);
  op->self = g_object_ref (self);
  op->provider = g_strdup (provider);
  self->busy++;
#if PM_APP_HAVE_CORE
  pm_keyring_remove_async (keyring, provider, self->cancellable, remove_cb, op);
#else
  (void) remove_cb;
#endif
}

/* preset: a pm-gateway.c preset name for a new provider (NULL keeps what the provider has). */
static gboolean
set_provider_full (PmProvidersPage  *self,
                   const char       *id,
                   PmApi             api,
                   const char       *base_url,
                   const char       *preset,
                   GError          **error)
{
  if (base_url != NULL && strchr (base_url, '{') != NULL)
    {
      g_autofree char *name = g_strndup (strchr (base_url, '{') + 1, strcspn (strchr (base_url, '{') + 1, "}"));

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Replace {%s} in the base URL with your own value"), name);
      return FALSE;
    }

  if (id == NULL || *id == '\0' || strpbrk (id, " /\t\n") != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A provider needs a short id without spaces or slashes"));
      return FALSE;
    }
  if (base_url == NULL ||
      !(g_str_has_prefix (base_url, "http://") || g_str_has_prefix (base_url, "https://")) ||
      !g_uri_is_valid (base_url, G_URI_FLAGS_NONE, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The base URL must be an http:// or https:// address"));
      return FALSE;
    }
  if ((guint) api >= PM_API_LAST)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Unknown API family"));
      return FALSE;
    }

  gboolean existed = FALSE;

#if PM_APP_HAVE_CORE
  {
    PmConfig *config = pm_application_get_config (self->app);
    PmProviderConfig *existing;
    PmProviderConfig p = { 0 };
    g_autoptr(GHashTable) headers = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

    if (config == NULL)
      {
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("No configuration loaded"));
        return FALSE;
      }
    existing = pm_config_lookup_provider (config, id);
    existed = existing != NULL;
    if (existing != NULL)
      p = *existing;
    else
      {
        p.key = (char *) "keyring";
        p.headers = headers;
        p.model_names = names;
      }
    p.id = (char *) id;
    p.api = api;
    p.base_url = (char *) base_url;
    if (preset != NULL)
      {
        const PmGatewayPreset *gateway = pm_gateway_lookup (preset);

        p.preset = (char *) preset;
        if (existing == NULL && gateway != NULL)
          p.key = (char *) gateway->key;
      }
    pm_config_set_provider (config, &p);
    if (!pm_application_save_config (self->app, error))
      return FALSE;
  }
#endif

  /* An edit updates its row in place (keeping it open); a new provider gets a row. */
  if (existed)
    update_statuses (self);
  else
    rebuild (self);
  return TRUE;
}

gboolean
pm_providers_page_set_provider (PmProvidersPage  *self,
                                const char       *id,
                                PmApi             api,
                                const char       *base_url,
                                GError          **error)
{
  g_return_val_if_fail (PM_IS_PROVIDERS_PAGE (self), FALSE);

  return set_provider_full (self, id, api, base_url, NULL, error);
}

/* --- rows ---------------------------------------------------------------------------------- */

static void
on_key_apply (AdwEntryRow     *row,
              PmProvidersPage *self)
{
  const char *provider = g_object_get_data (G_OBJECT (row), "provider-id");
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  pm_providers_page_store_key (self, provider, text);
  /* Do not keep the secret in the widget. */
  gtk_editable_set_text (GTK_EDITABLE (row), "");
}

static void
on_url_apply (AdwEntryRow     *row,
              PmProvidersPage *self)
{
  const char *provider = g_object_get_data (G_OBJECT (row), "provider-id");
  AdwComboRow *api_row = g_object_get_data (G_OBJECT (row), "api-row");
  g_autoptr(GError) error = NULL;

  if (!pm_providers_page_set_provider (self, provider, adw_combo_row_get_selected (api_row),
                                       gtk_editable_get_text (GTK_EDITABLE (row)), &error))
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static void
on_api_selected (AdwComboRow     *row,
                 GParamSpec      *pspec,
                 PmProvidersPage *self)
{
  GtkEditable *url_row = g_object_get_data (G_OBJECT (row), "url-row");
  const char *provider = g_object_get_data (G_OBJECT (url_row), "provider-id");
  g_autofree char *id = g_strdup (provider);
  g_autofree char *url = g_strdup (gtk_editable_get_text (url_row));
  g_autoptr(GError) error = NULL;

  if (!pm_providers_page_set_provider (self, id, adw_combo_row_get_selected (row), url, &error))
    g_debug ("Provider not changed: %s", error->message);
}

static void
on_remove_key_clicked (GtkButton       *button,
                       PmProvidersPage *self)
{
  pm_providers_page_remove_key (self, g_object_get_data (G_OBJECT (button), "provider-id"));
}

static GtkStringList *
api_model (void)
{
  GtkStringList *list = gtk_string_list_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (api_names); i++)
    gtk_string_list_append (list, _(api_names[i]));
  return list;
}

static void
rebuild (PmProvidersPage *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->providers_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  g_hash_table_remove_all (self->status_rows);

#if PM_APP_HAVE_CORE
  {
    PmConfig *config = pm_application_get_config (self->app);
    GPtrArray *providers = config ? pm_config_get_providers (config) : NULL;

    for (guint i = 0; providers != NULL && i < providers->len; i++)
      {
        PmProviderConfig *p = g_ptr_array_index (providers, i);
        g_autofree char *subtitle = NULL;
        g_autofree char *key_label = NULL;
        g_autoptr(GtkStringList) apis = api_model ();
        GtkWidget *expander, *api_row, *url_row, *key_row, *status_row, *remove;

        subtitle = g_strdup_printf ("%s · %s", _(api_names[MIN (p->api, PM_API_LAST - 1)]),
                                    p->base_url ? p->base_url : "");
        expander = adw_expander_row_new ();
        adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), p->id);
        adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), subtitle);

        api_row = adw_combo_row_new ();
        adw_preferences_row_set_title (ADW_PREFERENCES_ROW (api_row), _("API Family"));
        adw_combo_row_set_model (ADW_COMBO_ROW (api_row), G_LIST_MODEL (apis));
        adw_combo_row_set_selected (ADW_COMBO_ROW (api_row), p->api);
        adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), api_row);

        url_row = adw_entry_row_new ();
        adw_preferences_row_set_title (ADW_PREFERENCES_ROW (url_row), _("Base URL"));
        adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (url_row), TRUE);
        gtk_editable_set_text (GTK_EDITABLE (url_row), p->base_url ? p->base_url : "");
        g_object_set_data_full (G_OBJECT (url_row), "provider-id", g_strdup (p->id), g_free);
        g_object_set_data (G_OBJECT (url_row), "api-row", api_row);
        g_signal_connect (url_row, "apply", G_CALLBACK (on_url_apply), self);
        g_object_set_data (G_OBJECT (api_row), "url-row", url_row);
        g_signal_connect (api_row, "notify::selected", G_CALLBACK (on_api_selected), self);
        adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), url_row);

        key_row = adw_password_entry_row_new ();
        key_label = g_strdup_printf (_("New key for %s"), p->id);
        adw_preferences_row_set_title (ADW_PREFERENCES_ROW (key_row), _("Set Key"));
        adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (key_row), TRUE);
        gtk_accessible_update_property (GTK_ACCESSIBLE (key_row), GTK_ACCESSIBLE_PROPERTY_LABEL, key_label, -1);
        g_object_set_data_full (G_OBJECT (key_row), "provider-id", g_strdup (p->id), g_free);
        g_signal_connect (key_row, "apply", G_CALLBACK (on_key_apply), self);
        adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), key_row);

        status_row = adw_action_row_new ();
        adw_preferences_row_set_title (ADW_PREFERENCES_ROW (status_row), _("Key"));
        remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
        gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
        gtk_widget_add_css_class (remove, "flat");
        gtk_widget_set_tooltip_text (remove, _("Remove the stored key"));
        gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        _("Remove the stored key"), -1);
        g_object_set_data_full (G_OBJECT (remove), "provider-id", g_strdup (p->id), g_free);
        g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_key_clicked), self);
        adw_action_row_add_suffix (ADW_ACTION_ROW (status_row), remove);
        adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), status_row);
        g_object_set_data (G_OBJECT (status_row), "expander", expander);
        g_hash_table_insert (self->status_rows, g_strdup (p->id), status_row);

        adw_preferences_group_add (self->providers_group, expander);
        g_ptr_array_add (self->rows, expander);
      }
  }
#endif

  update_statuses (self);
}

/* --- the add dialog ------------------------------------------------------------------------ */

static void
on_add_response (AdwMessageDialog *dialog,
                 const char       *response,
                 PmProvidersPage  *self)
{
  GtkEditable *id_entry = g_object_get_data (G_OBJECT (dialog), "id-entry");
  GtkEditable *url_entry = g_object_get_data (G_OBJECT (dialog), "url-entry");
  GtkDropDown *api_drop = g_object_get_data (G_OBJECT (dialog), "api-drop");
  GtkDropDown *preset_drop = g_object_get_data (G_OBJECT (dialog), "preset-drop");
  const char *preset = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (response, "add"))
    return;

#if PM_APP_HAVE_CORE
  {
    guint n = 0;
    const PmGatewayPreset *presets = pm_gateway_presets (&n);
    guint selected = preset_drop != NULL ? gtk_drop_down_get_selected (preset_drop) : 0;

    if (selected > 0 && selected <= n)
      preset = presets[selected - 1].name;
  }
#endif

  if (!set_provider_full (self, gtk_editable_get_text (id_entry),
                          gtk_drop_down_get_selected (api_drop),
                          gtk_editable_get_text (url_entry), preset, &error))
    {
      GtkWidget *err = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                               _("Provider Not Added"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (err), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (err));
    }
}

#if PM_APP_HAVE_CORE
/* A preset fills the API family, the base URL (with {placeholders} to replace) and the id. */
static void
on_preset_selected (GtkDropDown *drop,
                    GParamSpec  *pspec,
                    GtkWidget   *dialog)
{
  GtkEditable *id_entry = g_object_get_data (G_OBJECT (dialog), "id-entry");
  GtkEditable *url_entry = g_object_get_data (G_OBJECT (dialog), "url-entry");
  GtkDropDown *api_drop = g_object_get_data (G_OBJECT (dialog), "api-drop");
  guint n = 0;
  const PmGatewayPreset *presets = pm_gateway_presets (&n);
  guint selected = gtk_drop_down_get_selected (drop);
  const PmGatewayPreset *preset;

  if (selected == 0 || selected > n)
    return;
  preset = &presets[selected - 1];
  gtk_drop_down_set_selected (api_drop, preset->api);
  gtk_editable_set_text (url_entry, preset->base_url);
  if (*gtk_editable_get_text (id_entry) == '\0')
    gtk_editable_set_text (id_entry, preset->name);
}

/* With a preset chosen, the Anthropic API family has its own base URL (e.g. OpenRouter's
 * https://openrouter.ai/api); switch between the two unless the user edited the URL. */
static void
on_dialog_api_selected (GtkDropDown *api_drop,
                        GParamSpec  *pspec,
                        GtkWidget   *dialog)
{
  GtkDropDown *preset_drop = g_object_get_data (G_OBJECT (dialog), "preset-drop");
  GtkEditable *url_entry = g_object_get_data (G_OBJECT (dialog), "url-entry");
  guint n = 0;
  const PmGatewayPreset *presets = pm_gateway_presets (&n);
  guint selected = preset_drop != NULL ? gtk_drop_down_get_selected (preset_drop) : 0;
  const PmGatewayPreset *preset;
  const char *text;

  if (selected == 0 || selected > n || url_entry == NULL)
    return;
  preset = &presets[selected - 1];
  if (preset->anthropic_base_url == NULL)
    return;
  text = gtk_editable_get_text (url_entry);
  if (g_strcmp0 (text, preset->base_url) != 0 && g_strcmp0 (text, preset->anthropic_base_url) != 0)
    return;
  gtk_editable_set_text (url_entry, gtk_drop_down_get_selected (api_drop) == PM_API_ANTHROPIC ?
                                    preset->anthropic_base_url : preset->base_url);
}
#endif

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  PmProvidersPage *self = PM_PROVIDERS_PAGE (widget);
  g_autoptr(GtkStringList) apis = api_model ();
  GtkWidget *dialog, *box, *id_entry, *url_entry, *api_drop;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Add Provider"),
                                   _("A gateway or provider Pointsman forwards requests to. "
                                     "Anthropic URLs go without /v1, OpenAI-style URLs with /v1."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  id_entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (id_entry), _("Id, e.g. my-gateway"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (id_entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Provider id"), -1);
  api_drop = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (apis)), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (api_drop), GTK_ACCESSIBLE_PROPERTY_LABEL, _("API family"), -1);
  url_entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (url_entry), "https://gateway.example.com/v1");
  gtk_accessible_update_property (GTK_ACCESSIBLE (url_entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Base URL"), -1);
#if PM_APP_HAVE_CORE
  {
    g_autoptr(GtkStringList) titles = gtk_string_list_new (NULL);
    guint n = 0;
    const PmGatewayPreset *presets = pm_gateway_presets (&n);
    GtkWidget *preset_drop;

    gtk_string_list_append (titles, _("Custom"));
    for (guint i = 0; i < n; i++)
      gtk_string_list_append (titles, presets[i].title);
    preset_drop = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (titles)), NULL);
    gtk_accessible_update_property (GTK_ACCESSIBLE (preset_drop), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("Preset (gateway or provider)"), -1);
    gtk_box_append (GTK_BOX (box), preset_drop);
    g_object_set_data (G_OBJECT (dialog), "preset-drop", preset_drop);
    g_signal_connect_object (preset_drop, "notify::selected", G_CALLBACK (on_preset_selected), dialog, 0);
    g_signal_connect_object (api_drop, "notify::selected", G_CALLBACK (on_dialog_api_selected), dialog, 0);
  }
#endif
  gtk_box_append (GTK_BOX (box), id_entry);
  gtk_box_append (GTK_BOX (box), api_drop);
  gtk_box_append (GTK_BOX (box), url_entry);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "add", _("_Add"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  g_object_set_data (G_OBJECT (dialog), "id-entry", id_entry);
  g_object_set_data (G_OBJECT (dialog), "url-entry", url_entry);
  g_object_set_data (G_OBJECT (dialog), "api-drop", api_drop);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_add_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- public -------------------------------------------------------------------------------- */

void
pm_providers_page_bind (PmProvidersPage *self,
                        PmApplication   *app)
{
  g_return_if_fail (PM_IS_PROVIDERS_PAGE (self));
  g_return_if_fail (self->app == NULL);

  self->app = app;
  rebuild (self);
  pm_providers_page_refresh_keys (self);
}

guint
pm_providers_page_get_busy (PmProvidersPage *self)
{
  g_return_val_if_fail (PM_IS_PROVIDERS_PAGE (self), 0);
  return self->busy;
}

const char *
pm_providers_page_get_key_status (PmProvidersPage *self,
                                  const char      *provider)
{
  g_return_val_if_fail (PM_IS_PROVIDERS_PAGE (self), NULL);
  return g_hash_table_lookup (self->statuses, provider);
}

const char *
pm_providers_page_get_keyring_status (PmProvidersPage *self)
{
  g_return_val_if_fail (PM_IS_PROVIDERS_PAGE (self), NULL);
  return self->keyring_status;
}

guint
pm_providers_page_get_n_providers (PmProvidersPage *self)
{
  g_return_val_if_fail (PM_IS_PROVIDERS_PAGE (self), 0);
  return self->rows->len;
}

static void
pm_providers_page_dispose (GObject *object)
{
  GtkWidget *child;
  PmProvidersPage *self = PM_PROVIDERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), PM_TYPE_PROVIDERS_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pm_providers_page_parent_class)->dispose (object);
}

static void
pm_providers_page_finalize (GObject *object)
{
  PmProvidersPage *self = PM_PROVIDERS_PAGE (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->status_rows, g_hash_table_unref);
  g_clear_pointer (&self->statuses, g_hash_table_unref);
  g_strfreev (self->with_keys);
  g_free (self->keyring_status);

  G_OBJECT_CLASS (pm_providers_page_parent_class)->finalize (object);
}

static void
pm_providers_page_class_init (PmProvidersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pm_providers_page_dispose;
  object_class->finalize = pm_providers_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pointsman/Pointsman/pm-providers-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, PmProvidersPage, keyring_row);
  gtk_widget_class_bind_template_child (widget_class, PmProvidersPage, keyring_icon);
  gtk_widget_class_bind_template_child (widget_class, PmProvidersPage, providers_group);
  gtk_widget_class_install_action (widget_class, "providers.add", NULL, add_action);
}

static void
pm_providers_page_init (PmProvidersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = g_ptr_array_new ();
  self->status_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
pm_providers_page_new (void)
{
  return g_object_new (PM_TYPE_PROVIDERS_PAGE, NULL);
}
