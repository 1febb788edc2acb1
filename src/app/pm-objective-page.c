/* pm-objective-page.c — the objective sliders and the what-if next to them
 *
 * The sliders are bound to GSettings, which the application binds to the core PmObjective the
 * proxy's router reads: a move applies to the next request. While a slider moves, the what-if
 * re-runs a separate router (with a copy of the objective) over the last N requests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-objective-page"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-objective-page.h"
#include "pm-request-list.h"

struct _PmObjectivePage
{
  GtkWidget       parent_instance;

  GtkScale       *tradeoff_scale;
  GtkScale       *floor_scale;
  AdwComboRow    *effort_row;
  GtkSpinButton  *budget_spin;
  AdwComboRow    *pin_row;
  AdwComboRow    *client_effort_row;
  AdwActionRow   *budget_row;
  AdwActionRow   *actual_row;
  AdwActionRow   *what_if_row;
  AdwActionRow   *baseline_row;
  AdwActionRow   *what_if_status_row;
  GtkLabel       *actual_label;
  GtkLabel       *what_if_label;
  GtkLabel       *baseline_label;
  GtkSpinButton  *what_if_count_spin;
  AdwPreferencesGroup *pool_group;

  PmApplication  *app;          /* weak */
  PmWhatIf       *what_if;
  PmObjective    *objective;
  GPtrArray      *pool_rows;
  PmWhatIfResult  result;
  char           *what_if_text;
  guint           update_id;
};

G_DEFINE_FINAL_TYPE (PmObjectivePage, pm_objective_page, GTK_TYPE_WIDGET)

static const char *effort_nicks[] = { "none", "minimal", "low", "medium", "high", "xhigh", "max", NULL };
static const char *pin_nicks[] = { "honour", "route-all", NULL };
static const char *client_effort_nicks[] = { "ceiling", "floor", "ignore", "exact", NULL };

static gboolean
nick_to_index (GValue   *value,
               GVariant *variant,
               gpointer  user_data)
{
  const char * const *nicks = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; nicks[i] != NULL; i++)
    if (g_str_equal (nicks[i], nick))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
index_to_nick (const GValue       *value,
               const GVariantType *expected_type,
               gpointer            user_data)
{
  const char * const *nicks = user_data;
  guint i = g_value_get_uint (value);

  if (i >= g_strv_length ((char **) nicks))
    return NULL;
  return g_variant_new_string (nicks[i]);
}

void
pm_objective_page_update_what_if (PmObjectivePage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actual = NULL, *what_if = NULL, *baseline = NULL;
  g_autofree char *actual_models = NULL, *what_if_models = NULL, *status = NULL;

  g_return_if_fail (PM_IS_OBJECTIVE_PAGE (self));

  g_clear_handle_id (&self->update_id, g_source_remove);
  pm_what_if_result_clear (&self->result);

  if (self->app != NULL)
    {
      g_autofree char *spent = pm_format_cost (pm_application_get_spend_today (self->app));
      g_autofree char *budget = g_strdup_printf (_("US dollars per UTC day; 0 means no budget. Spent today: %s"),
                                                 spent);

      adw_action_row_set_subtitle (self->budget_row, budget);
    }

  if (self->what_if == NULL || self->objective == NULL ||
      !pm_what_if_run (self->what_if, self->objective, &self->result, &error) ||
      self->result.n_requests == 0)
    {
      GListModel *log = self->app ? pm_application_get_log (self->app) : NULL;
      const char *why;

      if (error != NULL)
        why = error->message;
      else if (log != NULL && g_list_model_get_n_items (log) > 0 &&
               (self->what_if == NULL || pm_what_if_get_n_items (self->what_if) == 0))
        /* The proxy logs records but does not hand the app the parsed requests. */
        why = _("The what-if replays requests the app has seen parsed: today that is the demo's. "
                "The proxy does not share the requests of live traffic with the app yet.");
      else
        why = _("No finished requests yet: run the demo or point an agent at Pointsman.");

      gtk_label_set_label (self->actual_label, "—");
      gtk_label_set_label (self->what_if_label, "—");
      gtk_label_set_label (self->baseline_label, "—");
      adw_action_row_set_subtitle (self->actual_row, why);
      adw_action_row_set_subtitle (self->what_if_row, "");
      adw_action_row_set_subtitle (self->what_if_status_row, "");
      g_free (self->what_if_text);
      self->what_if_text = g_strdup (why);
      return;
    }

  actual = pm_format_cost (self->result.actual_cost);
  what_if = pm_format_cost (self->result.what_if_cost);
  baseline = pm_format_cost (self->result.baseline_cost);
  actual_models = pm_what_if_format_models (self->result.actual_models, self->result.n_requests);
  what_if_models = pm_what_if_format_models (self->result.what_if_models, self->result.n_requests);
  status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u request replayed, %u would be routed differently",
                                         "%u requests replayed, %u would be routed differently",
                                         self->result.n_requests),
                            self->result.n_requests, self->result.n_changed);

  gtk_label_set_label (self->actual_label, actual);
  gtk_label_set_label (self->what_if_label, what_if);
  gtk_label_set_label (self->baseline_label, baseline);
  adw_action_row_set_subtitle (self->actual_row, actual_models);
  adw_action_row_set_subtitle (self->what_if_row, what_if_models);
  adw_action_row_set_subtitle (self->what_if_status_row, status);

  g_free (self->what_if_text);
  self->what_if_text = g_strdup_printf ("%s: %s (%s)\n%s: %s (%s)\n%s: %s\n%s",
                                        _("What happened"), actual, actual_models,
                                        _("With these settings"), what_if, what_if_models,
                                        _("Always the default model"), baseline, status);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->what_if_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, what_if_models, -1);
}

static gboolean
update_idle (gpointer user_data)
{
  PmObjectivePage *self = user_data;

  self->update_id = 0;
  pm_objective_page_update_what_if (self);

  return G_SOURCE_REMOVE;
}

static void
queue_update (PmObjectivePage *self)
{
  if (self->update_id == 0)
    self->update_id = g_timeout_add (40, update_idle, self);   /* coalesces a moving slider */
}

static void
on_pool_switch (GtkSwitch       *sw,
                GParamSpec      *pspec,
                PmObjectivePage *self)
{
  const char *model = g_object_get_data (G_OBJECT (sw), "model-id");

  if (self->objective != NULL && model != NULL)
    pm_objective_set_model_enabled (self->objective, model, gtk_switch_get_active (sw));
}

static void
sync_pool_switches (PmObjectivePage *self)
{
  for (guint i = 0; self->pool_rows != NULL && i < self->pool_rows->len; i++)
    {
      GtkSwitch *sw = g_ptr_array_index (self->pool_rows, i);
      const char *model = g_object_get_data (G_OBJECT (sw), "model-id");
      gboolean enabled = pm_objective_model_enabled (self->objective, model);

      g_signal_handlers_block_by_func (sw, on_pool_switch, self);
      gtk_switch_set_active (sw, enabled);
      g_signal_handlers_unblock_by_func (sw, on_pool_switch, self);
    }
}

static void
on_objective_notify (PmObjectivePage *self,
                     GParamSpec      *pspec)
{
  if (g_str_equal (pspec->name, "disabled-models"))
    sync_pool_switches (self);
  queue_update (self);
}

static void
build_pool (PmObjectivePage *self)
{
#if PM_APP_HAVE_CORE
  PmCatalog *catalog = pm_application_get_catalog (self->app);
  PmConfig *config = pm_application_get_config (self->app);
  g_auto(GStrv) pool = NULL;
  GPtrArray *models;

  if (catalog == NULL)
    return;

  pool = config ? pm_config_dup_pool (config) : NULL;
  models = pm_catalog_get_models (catalog);
  for (guint i = 0; models != NULL && i < models->len; i++)
    {
      const PmModelInfo *info = g_ptr_array_index (models, i);
      g_autofree char *subtitle = NULL;
      GtkWidget *row, *sw;

      /* Only the models configured with a provider can be routed to. */
      if (pool != NULL && !g_strv_contains ((const char * const *) pool, info->id))
        continue;

      subtitle = g_strdup_printf (_("%s · $%.2f in / $%.2f cached / $%.2f out per million tokens"),
                                  info->vendor ? info->vendor : "?",
                                  info->input * 1e6, info->cache_read * 1e6, info->output * 1e6);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     info->display_name ? info->display_name : info->id);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      sw = gtk_switch_new ();
      gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (sw), "model-id", g_strdup (info->id), g_free);
      gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      info->display_name ? info->display_name : info->id, -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
      g_signal_connect (sw, "notify::active", G_CALLBACK (on_pool_switch), self);
      g_ptr_array_add (self->pool_rows, sw);
      adw_preferences_group_add (self->pool_group, row);
    }
  sync_pool_switches (self);
#endif
}

void
pm_objective_page_bind (PmObjectivePage *self,
                        PmApplication   *app)
{
  GSettings *settings;

  g_return_if_fail (PM_IS_OBJECTIVE_PAGE (self));
  g_return_if_fail (PM_IS_APPLICATION (app));
  g_return_if_fail (self->app == NULL);

  self->app = app;
  settings = pm_application_get_settings (app);

  g_settings_bind (settings, "tradeoff",
                   gtk_range_get_adjustment (GTK_RANGE (self->tradeoff_scale)), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "quality-floor",
                   gtk_range_get_adjustment (GTK_RANGE (self->floor_scale)), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "daily-budget",
                   gtk_spin_button_get_adjustment (self->budget_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "what-if-requests",
                   gtk_spin_button_get_adjustment (self->what_if_count_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "max-effort", self->effort_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, nick_to_index, index_to_nick,
                                (gpointer) effort_nicks, NULL);
  g_settings_bind_with_mapping (settings, "pin-policy", self->pin_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, nick_to_index, index_to_nick,
                                (gpointer) pin_nicks, NULL);
  g_settings_bind_with_mapping (settings, "client-effort-policy", self->client_effort_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, nick_to_index, index_to_nick,
                                (gpointer) client_effort_nicks, NULL);

  self->objective = pm_application_get_objective (app);
  if (self->objective != NULL)
    {
      g_object_ref (self->objective);
      g_signal_connect_object (self->objective, "notify", G_CALLBACK (on_objective_notify), self,
                               G_CONNECT_SWAPPED);
    }

  self->what_if = pm_application_get_what_if (app);
  if (self->what_if != NULL)
    {
      g_object_ref (self->what_if);
      g_signal_connect_object (self->what_if, "changed", G_CALLBACK (queue_update), self,
                               G_CONNECT_SWAPPED);
      pm_what_if_set_capacity (self->what_if, g_settings_get_uint (settings, "what-if-requests"));
    }
  g_signal_connect_object (settings, "changed::what-if-requests", G_CALLBACK (queue_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::log", G_CALLBACK (queue_update), self, G_CONNECT_SWAPPED);
  {
    GListModel *log = pm_application_get_log (app);

    /* the spend-today figure follows new requests (the log of a demo is watched on switch) */
    g_signal_connect_object (log, "items-changed", G_CALLBACK (queue_update), self, G_CONNECT_SWAPPED);
  }

  build_pool (self);
  pm_objective_page_update_what_if (self);
}

static void
on_count_changed (PmObjectivePage *self)
{
  if (self->what_if != NULL)
    pm_what_if_set_capacity (self->what_if, gtk_spin_button_get_value_as_int (self->what_if_count_spin));
}

GtkRange *
pm_objective_page_get_tradeoff (PmObjectivePage *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE_PAGE (self), NULL);
  return GTK_RANGE (self->tradeoff_scale);
}

GtkRange *
pm_objective_page_get_floor (PmObjectivePage *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE_PAGE (self), NULL);
  return GTK_RANGE (self->floor_scale);
}

const PmWhatIfResult *
pm_objective_page_get_result (PmObjectivePage *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE_PAGE (self), NULL);
  return &self->result;
}

const char *
pm_objective_page_get_what_if_text (PmObjectivePage *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE_PAGE (self), NULL);
  return self->what_if_text;
}

gboolean
pm_objective_page_get_pending (PmObjectivePage *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE_PAGE (self), FALSE);
  return self->update_id != 0;
}

guint
pm_objective_page_get_n_pool_rows (PmObjectivePage *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE_PAGE (self), 0);
  return self->pool_rows->len;
}

static void
pm_objective_page_dispose (GObject *object)
{
  GtkWidget *child;
  PmObjectivePage *self = PM_OBJECTIVE_PAGE (object);

  g_clear_handle_id (&self->update_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), PM_TYPE_OBJECTIVE_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->what_if);
  g_clear_object (&self->objective);
  g_clear_pointer (&self->pool_rows, g_ptr_array_unref);
  pm_what_if_result_clear (&self->result);

  G_OBJECT_CLASS (pm_objective_page_parent_class)->dispose (object);
}

static void
pm_objective_page_finalize (GObject *object)
{
  PmObjectivePage *self = PM_OBJECTIVE_PAGE (object);

  g_free (self->what_if_text);

  G_OBJECT_CLASS (pm_objective_page_parent_class)->finalize (object);
}

static void
pm_objective_page_class_init (PmObjectivePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pm_objective_page_dispose;
  object_class->finalize = pm_objective_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pointsman/Pointsman/pm-objective-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, tradeoff_scale);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, floor_scale);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, effort_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, budget_spin);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, pin_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, client_effort_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, budget_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, actual_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, what_if_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, baseline_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, what_if_status_row);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, actual_label);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, what_if_label);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, baseline_label);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, what_if_count_spin);
  gtk_widget_class_bind_template_child (widget_class, PmObjectivePage, pool_group);
}

static void
pm_objective_page_init (PmObjectivePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->pool_rows = g_ptr_array_new ();
  g_signal_connect_swapped (self->what_if_count_spin, "value-changed",
                            G_CALLBACK (on_count_changed), self);
}

GtkWidget *
pm_objective_page_new (void)
{
  return g_object_new (PM_TYPE_OBJECTIVE_PAGE, NULL);
}
