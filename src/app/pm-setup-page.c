/* pm-setup-page.c — copyable agent snippets with the live address, and the demo
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-setup-page"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-setup-page.h"

typedef struct
{
  const char *id;
  const char *title;
  const char *where;
  const char *format;     /* %1$s = base URL without /v1 */
} Agent;

static const Agent agents[] = {
  { "claude-code", N_("Claude Code"), N_("In the shell that runs claude"),
    "export ANTHROPIC_BASE_URL=%1$s\n"
    "export ANTHROPIC_AUTH_TOKEN=pointsman-local\n"
    "export ANTHROPIC_MODEL=pointsman/auto\n"
    "claude" },
  { "codex", N_("Codex CLI"), N_("In ~/.codex/config.toml"),
    "model = \"pointsman/auto\"\n"
    "model_provider = \"pointsman\"\n"
    "\n"
    "[model_providers.pointsman]\n"
    "name = \"Pointsman\"\n"
    "base_url = \"%1$s/v1\"\n"
    "wire_api = \"responses\"" },
  { "opencode", N_("OpenCode"), N_("In opencode.json"),
    "{\n"
    "  \"provider\": {\n"
    "    \"pointsman\": {\n"
    "      \"npm\": \"@ai-sdk/openai-compatible\",\n"
    "      \"options\": { \"baseURL\": \"%1$s/v1\", \"apiKey\": \"pointsman-local\" },\n"
    "      \"models\": { \"auto\": {} }\n"
    "    }\n"
    "  },\n"
    "  \"model\": \"pointsman/auto\"\n"
    "}" },
  { "aider", N_("Aider"), N_("In the shell that runs aider"),
    "export OPENAI_API_BASE=%1$s/v1\n"
    "export OPENAI_API_KEY=pointsman-local\n"
    "aider --model openai/pointsman/auto" },
};

struct _PmSetupPage
{
  GtkWidget            parent_instance;

  GtkBox              *box;
  AdwActionRow        *demo_row;
  GtkButton           *demo_button;
  AdwPreferencesGroup *agents_group;
  GtkSpinButton       *port_spin;
  GtkSwitch           *start_switch;
  GtkSwitch           *token_switch;
  AdwActionRow        *token_row;
  GtkButton           *copy_token_button;

  PmApplication       *app;      /* weak */
  GtkLabel            *snippet_labels[G_N_ELEMENTS (agents)];
  char                *snippets[G_N_ELEMENTS (agents)];
  char                *url;
  char                *token;    /* the local access token, when required (pm-guard.h) */
  char                *agents_description;   /* the group's description from the template */
};

G_DEFINE_FINAL_TYPE (PmSetupPage, pm_setup_page, GTK_TYPE_WIDGET)

void
pm_setup_page_set_url (PmSetupPage *self,
                       const char  *url)
{
  g_return_if_fail (PM_IS_SETUP_PAGE (self));

  if (url == NULL)
    url = "http://127.0.0.1:PORT";
  if (url != self->url)
    {
      g_free (self->url);
      self->url = g_strdup (url);
    }

  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    {
      g_autofree char *text = NULL;
      GString *snippet;

      g_free (self->snippets[i]);
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      text = g_strdup_printf (agents[i].format, self->url);
      G_GNUC_END_IGNORE_DEPRECATIONS
      snippet = g_string_new (text);
      /* With a local access token the agent's key must be that token. */
      if (self->token != NULL)
        g_string_replace (snippet, "pointsman-local", self->token, 0);
      /* Codex sends no key to a provider without env_key: a header the guard accepts. */
      if (self->token != NULL && g_str_equal (agents[i].id, "codex"))
        g_string_append_printf (snippet, "\nhttp_headers = { \"x-pointsman-token\" = \"%s\" }", self->token);
      self->snippets[i] = g_string_free (snippet, FALSE);
      gtk_label_set_label (self->snippet_labels[i], self->snippets[i]);
    }
}

void
pm_setup_page_set_token (PmSetupPage *self,
                         const char  *token)
{
  g_return_if_fail (PM_IS_SETUP_PAGE (self));

  g_free (self->token);
  self->token = g_strdup (token);
  pm_setup_page_set_url (self, self->url);
}

GtkSwitch *
pm_setup_page_get_token_switch (PmSetupPage *self)
{
  g_return_val_if_fail (PM_IS_SETUP_PAGE (self), NULL);
  return self->token_switch;
}

const char *
pm_setup_page_get_token_status (PmSetupPage *self)
{
  g_return_val_if_fail (PM_IS_SETUP_PAGE (self), NULL);
  return adw_action_row_get_subtitle (self->token_row);
}

const char *
pm_setup_page_get_snippet (PmSetupPage *self,
                           const char  *agent)
{
  g_return_val_if_fail (PM_IS_SETUP_PAGE (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    if (g_str_equal (agents[i].id, agent))
      return self->snippets[i];
  return NULL;
}

static void
on_copy_clicked (GtkButton   *button,
                 PmSetupPage *self)
{
  guint i = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "index"));
  GtkWidget *overlay;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->snippets[i]);
  overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (_("Copied")));
}

static void
show_toast (PmSetupPage *self,
            const char  *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
}

/* The switch, the token row and the snippets as the app has the token now. */
static void
on_token_changed (PmSetupPage *self)
{
  gboolean required = pm_application_get_token_required (self->app);
  const char *token = pm_application_get_token (self->app);
  const char *error = pm_application_get_token_error (self->app);
  g_autofree char *subtitle = NULL;

  g_signal_handlers_block_matched (self->token_switch, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  gtk_switch_set_active (self->token_switch, required);
  g_signal_handlers_unblock_matched (self->token_switch, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);

  if (!required)
    subtitle = g_strdup (_("Not required: any key works on the agent's side"));
  else if (token != NULL)
    subtitle = g_strdup (_("Kept in the keyring; the snippets below include it"));
  else if (pm_application_get_token_loading (self->app))
    subtitle = g_strdup (_("Loading from the keyring…"));
  else
    subtitle = g_strdup_printf (_("Not available (%s): the proxy refuses every request"),
                                error != NULL ? error : _("no keyring"));
  adw_action_row_set_subtitle (self->token_row, subtitle);
  if (self->agents_description == NULL)
    self->agents_description = g_strdup (adw_preferences_group_get_description (self->agents_group));
  adw_preferences_group_set_description (self->agents_group,
                                         required
                                         ? _("The proxy requires the local access token: the snippets carry it as the "
                                             "agent's key, and Pointsman forwards with the keys stored under Providers. "
                                             "“pointsman/auto” lets the router choose; a concrete model name is honoured "
                                             "or routed as the Objective page says.")
                                         : self->agents_description);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_token_button), required && token != NULL);
  pm_setup_page_set_token (self, required ? token : NULL);
}

static void
on_token_switch (PmSetupPage *self)
{
  g_autoptr(GError) error = NULL;

  if (!pm_application_set_token_required (self->app, gtk_switch_get_active (self->token_switch), &error))
    {
      g_autofree char *message = g_strdup_printf (_("The setting was not saved: %s"), error->message);

      show_toast (self, message);
    }
  on_token_changed (self);
}

static void
on_copy_token_clicked (PmSetupPage *self)
{
  const char *token = self->app != NULL ? pm_application_get_token (self->app) : NULL;

  if (token == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), token);
  show_toast (self, _("Access token copied"));
}

static void
on_demo_running (PmSetupPage *self)
{
  gboolean running = pm_application_get_demo_running (self->app);
  guint progress = pm_application_get_demo_progress (self->app);
  const char *error = pm_application_get_demo_error (self->app);
  g_autofree char *subtitle = NULL;

  gtk_button_set_label (self->demo_button, running ? _("_Stop Demo") : _("_Start Demo"));
  if (running && error != NULL)
    subtitle = g_strdup_printf (_("Stopped after %u requests: %s"), progress, error);
  else if (running)
    subtitle = g_strdup_printf (_("Running: %u requests answered by the simulated upstream"), progress);
  adw_action_row_set_subtitle (self->demo_row, subtitle ? subtitle : "");
}

void
pm_setup_page_bind (PmSetupPage   *self,
                    PmApplication *app)
{
  g_return_if_fail (PM_IS_SETUP_PAGE (self));

  self->app = app;
  g_settings_bind (pm_application_get_settings (app), "listen-port",
                   gtk_spin_button_get_adjustment (self->port_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (pm_application_get_settings (app), "start-proxy",
                   self->start_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (app, "notify::demo-running", G_CALLBACK (on_demo_running), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::demo-progress", G_CALLBACK (on_demo_running), self,
                           G_CONNECT_SWAPPED);
  on_demo_running (self);

  g_signal_connect_object (app, "notify::token", G_CALLBACK (on_token_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::token-required", G_CALLBACK (on_token_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::token-loading", G_CALLBACK (on_token_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->token_switch, "notify::active", G_CALLBACK (on_token_switch), self);
  g_signal_connect_swapped (self->copy_token_button, "clicked", G_CALLBACK (on_copy_token_clicked), self);
  on_token_changed (self);
}

static void
pm_setup_page_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), PM_TYPE_SETUP_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (pm_setup_page_parent_class)->dispose (object);
}

static void
pm_setup_page_finalize (GObject *object)
{
  PmSetupPage *self = PM_SETUP_PAGE (object);

  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    g_free (self->snippets[i]);
  g_free (self->url);
  g_free (self->token);
  g_free (self->agents_description);

  G_OBJECT_CLASS (pm_setup_page_parent_class)->finalize (object);
}

static void
pm_setup_page_class_init (PmSetupPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pm_setup_page_dispose;
  object_class->finalize = pm_setup_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pointsman/Pointsman/pm-setup-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, box);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, demo_row);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, demo_button);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, agents_group);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, port_spin);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, start_switch);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, token_switch);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, token_row);
  gtk_widget_class_bind_template_child (widget_class, PmSetupPage, copy_token_button);
}

static void
pm_setup_page_init (PmSetupPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    {
      GtkWidget *row = adw_expander_row_new ();
      GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *label = gtk_label_new (NULL);
      GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
      g_autofree char *copy_label = g_strdup_printf (_("Copy the %s settings"), _(agents[i].title));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(agents[i].title));
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), _(agents[i].where));
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), i == 0);

      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_add_css_class (label, "monospace");
      gtk_widget_add_css_class (label, "pm-snippet");
      gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _(agents[i].title), -1);
      gtk_widget_set_margin_start (inner, 12);
      gtk_widget_set_margin_end (inner, 12);
      gtk_widget_set_margin_top (inner, 12);
      gtk_widget_set_margin_bottom (inner, 12);

      gtk_widget_set_valign (copy, GTK_ALIGN_START);
      gtk_widget_set_tooltip_text (copy, copy_label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, copy_label, -1);
      g_object_set_data (G_OBJECT (copy), "index", GUINT_TO_POINTER (i));
      g_signal_connect (copy, "clicked", G_CALLBACK (on_copy_clicked), self);

      gtk_box_append (GTK_BOX (inner), label);
      gtk_box_append (GTK_BOX (inner), copy);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), inner);
      adw_preferences_group_add (self->agents_group, row);
      self->snippet_labels[i] = GTK_LABEL (label);
    }

  pm_setup_page_set_url (self, NULL);
}

GtkWidget *
pm_setup_page_new (void)
{
  return g_object_new (PM_TYPE_SETUP_PAGE, NULL);
}
