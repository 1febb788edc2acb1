/* pm-window.c — the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-record-watch.h"
#include "pm-window.h"

struct _PmWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkButton            *proxy_button;
  GtkImage             *status_icon;
  GtkLabel             *url_label;
  GtkLabel             *demo_label;
  GtkLabel             *totals_label;
  GtkBox               *health_box;
  AdwViewStack         *stack;
  GtkPaned             *requests_paned;
  PmRequestList        *request_list;
  PmWhyPane            *why_pane;
  PmObjectivePage      *objective_page;
  GtkLabel             *savings_label;
  PmSavingsChart       *savings_chart;
  PmProvidersPage      *providers_page;
  PmSetupPage          *setup_page;

  PmApplication        *app;
  GSettings            *settings;
  GListModel           *log;
  guint                 totals_id;

  /* Running totals of the log (kept per record as it finishes and as it leaves the log). */
  GPtrArray            *records;      /* the log's items (refs), to know what leaves */
  GHashTable           *counted;      /* PmRecord → finished and counted */
  PmRecordWatch        *watched;      /* unfinished records */
  GHashTable           *health;       /* provider → Health */
  double                cost;
  double                baseline;
  gboolean              health_dirty;
  char                 *status_text;
  GPtrArray            *toasts;     /* shown, not yet dismissed */
};

G_DEFINE_FINAL_TYPE (PmWindow, pm_window, ADW_TYPE_APPLICATION_WINDOW)

static void
on_toast_dismissed (AdwToast *toast,
                    PmWindow *self)
{
  /* The overlay dismisses its toasts while the window is disposed. */
  if (self->toasts != NULL)
    g_ptr_array_remove (self->toasts, toast);
}

void
pm_window_add_toast (PmWindow   *self,
                     const char *message)
{
  AdwToast *toast;

  g_return_if_fail (PM_IS_WINDOW (self));

  toast = adw_toast_new (message);
  g_ptr_array_add (self->toasts, g_object_ref (toast));
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
pm_window_dismiss_toasts (PmWindow *self)
{
  g_return_if_fail (PM_IS_WINDOW (self));

  while (self->toasts->len > 0)
    {
      g_autoptr(AdwToast) toast = g_object_ref (g_ptr_array_index (self->toasts, 0));

      adw_toast_dismiss (toast);
      g_ptr_array_remove (self->toasts, toast);
    }
}

/* --- status bar ---------------------------------------------------------------------------- */

static void
update_proxy_state (PmWindow *self)
{
  gboolean running = pm_application_get_proxy_running (self->app);
  g_autofree char *url = pm_application_dup_url (self->app);
  const char *error = pm_application_get_proxy_error (self->app);
  g_autofree char *text = NULL;

  if (running)
    text = g_strdup_printf (_("Listening on %s"), url);
  else if (error != NULL)
    text = g_strdup_printf (_("Proxy stopped: %s"), error);
  else
    text = g_strdup (_("Proxy stopped"));

  gtk_label_set_label (self->url_label, text);
  gtk_image_set_from_icon_name (self->status_icon,
                                running ? "network-transmit-receive-symbolic" : "network-offline-symbolic");
  gtk_button_set_icon_name (self->proxy_button,
                            running ? "media-playback-stop-symbolic" : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->proxy_button),
                               running ? _("Stop the proxy") : _("Start the proxy"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-url", running);
  if (error != NULL && !running)
    gtk_widget_add_css_class (GTK_WIDGET (self->url_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->url_label), "error");

  g_free (self->status_text);
  self->status_text = g_steal_pointer (&text);

  pm_setup_page_set_url (self->setup_page, url);
}

typedef struct
{
  guint ok;
  guint failed;
  guint last_status;
  gboolean last_failed;
} Health;

/* Provider health as the requests show it: the last request each provider served. */
static void
update_health (PmWindow *self)
{
  GtkWidget *child;
  GHashTableIter iter;
  gpointer key, value;

  self->health_dirty = FALSE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->health_box))) != NULL)
    gtk_box_remove (self->health_box, child);

  g_hash_table_iter_init (&iter, self->health);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Health *h = value;
      GtkWidget *pill;
      g_autofree char *tip = NULL;

      if (h->ok + h->failed == 0)
        continue;
      pill = gtk_label_new (key);
      tip = g_strdup_printf (_("%s: %u answered, %u failed; last status %u"),
                             (char *) key, h->ok, h->failed, h->last_status);
      gtk_widget_add_css_class (pill, "pm-health");
      gtk_widget_add_css_class (pill, h->last_failed ? "pm-health-bad" : "pm-health-ok");
      gtk_widget_set_tooltip_text (pill, tip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (pill), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tip, -1);
      gtk_box_append (self->health_box, pill);
    }
}

static gboolean
update_totals (gpointer user_data)
{
  PmWindow *self = user_data;
  guint n = self->records->len;
  double cost = MAX (self->cost, 0.0), baseline = MAX (self->baseline, 0.0);
  g_autofree char *cost_s = NULL, *saved_s = NULL, *baseline_s = NULL;
  g_autofree char *text = NULL, *savings = NULL;

  self->totals_id = 0;

  cost_s = pm_format_cost (cost);
  saved_s = pm_format_saving (baseline - cost);
  baseline_s = pm_format_cost (baseline);
  text = g_strdup_printf (_("%u requests · %s spent · %s"), n, cost_s, saved_s);
  gtk_label_set_label (self->totals_label, n > 0 ? text : "");
  if (baseline > 0)
    savings = g_strdup_printf (_("%s spent, %s with the default model: %s (%.0f %%)"),
                               cost_s, baseline_s, saved_s, 100.0 * ABS (baseline - cost) / baseline);
  else
    savings = g_strdup (_("No cost recorded yet"));
  gtk_label_set_label (self->savings_label, savings);

  if (self->health_dirty)
    update_health (self);

  return G_SOURCE_REMOVE;
}

static void
queue_totals (PmWindow *self)
{
  /* Records change many times while streaming: at most a few updates a second. */
  if (self->totals_id == 0)
    self->totals_id = g_timeout_add (250, update_totals, self);
}

/* --- the log ------------------------------------------------------------------------------- */

/* A finished record counts once: its cost, and its provider's health (the newest finished is
 * the provider's last). A record leaving the log takes its part away. */
static void
count_record (PmWindow *self,
              PmRecord *record,
              int       sign)
{
  const char *provider = pm_record_get_provider (record);
  PmRecordState state = pm_record_get_state (record);

  self->cost += sign * pm_record_get_cost (record);
  self->baseline += sign * pm_record_get_baseline_cost (record);
  if (provider != NULL)
    {
      Health *h = g_hash_table_lookup (self->health, provider);

      if (h == NULL)
        {
          h = g_new0 (Health, 1);
          g_hash_table_insert (self->health, g_strdup (provider), h);
        }
      if (state == PM_RECORD_FAILED)
        h->failed += sign;
      else
        h->ok += sign;
      if (sign > 0)
        {
          h->last_failed = (state == PM_RECORD_FAILED);
          h->last_status = pm_record_get_status (record);
        }
      self->health_dirty = TRUE;
    }
}

static void queue_totals (PmWindow *self);

static void
on_record_state (PmRecord   *record,
                 GParamSpec *pspec,
                 PmWindow   *self)
{
  if (pm_record_get_state (record) < PM_RECORD_DONE)
    return;
  pm_record_watch_remove (self->watched, record);
  if (g_hash_table_add (self->counted, record))
    count_record (self, record, +1);
  queue_totals (self);
}

static void
take_record (PmWindow *self,
             PmRecord *record)
{
  if (pm_record_get_state (record) >= PM_RECORD_DONE)
    {
      if (g_hash_table_add (self->counted, record))
        count_record (self, record, +1);
    }
  else
    pm_record_watch_add (self->watched, record);
}

static void
forget_all (PmWindow *self)
{
  pm_record_watch_remove_all (self->watched);
  g_hash_table_remove_all (self->counted);
  g_hash_table_remove_all (self->health);
  g_ptr_array_set_size (self->records, 0);
  self->cost = self->baseline = 0;
  self->health_dirty = TRUE;
}

static void
track_items (PmWindow   *self,
             guint       position,
             guint       removed,
             guint       added,
             GListModel *log)
{
  if (position + removed > self->records->len)
    {
      /* Out of step (should not happen): count again. */
      forget_all (self);
      position = removed = 0;
      added = g_list_model_get_n_items (log);
    }
  for (guint i = position; i < position + removed; i++)
    {
      PmRecord *record = g_ptr_array_index (self->records, i);

      if (!PM_IS_RECORD (record))
        continue;
      pm_record_watch_remove (self->watched, record);
      if (g_hash_table_remove (self->counted, record))
        count_record (self, record, -1);
    }
  g_ptr_array_remove_range (self->records, position, removed);
  for (guint i = 0; i < added; i++)
    {
      GObject *item = g_list_model_get_item (log, position + i);   /* the array's ref */

      g_ptr_array_insert (self->records, position + i, item);
      if (PM_IS_RECORD (item))
        take_record (self, PM_RECORD (item));
    }
}

static void
on_selected (PmWindow *self)
{
  pm_why_pane_set_record (self->why_pane, self->log, pm_request_list_get_selected (self->request_list));
}

static void
on_log_items_changed (PmWindow   *self,
                      guint       position,
                      guint       removed,
                      guint       added,
                      GListModel *log)
{
  track_items (self, position, removed, added, log);
  queue_totals (self);
}

static void
set_log (PmWindow   *self,
         GListModel *log)
{
  if (self->log == log)
    return;

  if (self->log != NULL)
    g_signal_handlers_disconnect_by_func (self->log, on_log_items_changed, self);
  g_set_object (&self->log, log);
  forget_all (self);
  if (self->log != NULL)
    {
      g_signal_connect_object (self->log, "items-changed", G_CALLBACK (on_log_items_changed), self,
                               G_CONNECT_SWAPPED);
      track_items (self, 0, 0, g_list_model_get_n_items (self->log), self->log);
    }

  pm_request_list_set_model (self->request_list, log);
  pm_savings_chart_set_model (self->savings_chart, log);
  pm_why_pane_set_record (self->why_pane, log, NULL);
  queue_totals (self);
}

void
pm_window_set_log (PmWindow   *self,
                   GListModel *log)
{
  g_return_if_fail (PM_IS_WINDOW (self));
  g_return_if_fail (log == NULL || G_IS_LIST_MODEL (log));

  set_log (self, log);
}

static void
on_log_notify (PmWindow *self)
{
  set_log (self, pm_application_get_log (self->app));
}

static void
on_demo_notify (PmWindow *self)
{
  gboolean demo = pm_application_get_demo_running (self->app);

  gtk_widget_set_visible (GTK_WIDGET (self->demo_label), demo);
  if (demo)
    {
      pm_window_add_toast (self, _("Demo — a bundled session through the real proxy against a simulated upstream"));
      pm_window_show_page (self, "requests");
    }
}

/* --- actions ------------------------------------------------------------------------------- */

static void
copy_url_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  PmWindow *self = PM_WINDOW (widget);
  g_autofree char *url = pm_application_dup_url (self->app);

  if (url == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), url);
  pm_window_add_toast (self, _("Address copied"));
}

static void
page_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  pm_window_show_page (PM_WINDOW (widget), g_variant_get_string (param, NULL));
}

void
pm_window_show_page (PmWindow   *self,
                     const char *name)
{
  g_return_if_fail (PM_IS_WINDOW (self));

  if (adw_view_stack_get_child_by_name (self->stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

/* --- window state -------------------------------------------------------------------------- */

static gboolean
pm_window_close_request (GtkWindow *window)
{
  PmWindow *self = PM_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  if (!gtk_window_is_maximized (window) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (pm_window_parent_class)->close_request (window);
}

static void
pm_window_setup (PmWindow *self)
{
  self->app = PM_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_assert (self->app != NULL);
  self->settings = g_object_ref (pm_application_get_settings (self->app));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_settings_bind (self->settings, "requests-pane-position", self->requests_paned, "position",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "last-page", self->stack, "visible-child-name",
                   G_SETTINGS_BIND_DEFAULT);

  pm_objective_page_bind (self->objective_page, self->app);
  pm_providers_page_bind (self->providers_page, self->app);
  pm_setup_page_bind (self->setup_page, self->app);

  g_signal_connect_object (self->app, "notify::log", G_CALLBACK (on_log_notify), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->app, "notify::proxy-running", G_CALLBACK (update_proxy_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->app, "notify::proxy-error", G_CALLBACK (update_proxy_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->app, "notify::demo-running", G_CALLBACK (on_demo_notify), self,
                           G_CONNECT_SWAPPED);

  set_log (self, pm_application_get_log (self->app));
  update_proxy_state (self);
  on_demo_notify (self);
}

static void
pm_window_dispose (GObject *object)
{
  PmWindow *self = PM_WINDOW (object);

  g_clear_handle_id (&self->totals_id, g_source_remove);
  g_clear_pointer (&self->toasts, g_ptr_array_unref);
  if (self->log != NULL)
    g_signal_handlers_disconnect_by_func (self->log, on_log_items_changed, self);
  g_clear_object (&self->log);
  if (self->records != NULL)
    forget_all (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PM_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pm_window_parent_class)->dispose (object);
}

static void
pm_window_finalize (GObject *object)
{
  PmWindow *self = PM_WINDOW (object);

  g_free (self->status_text);
  g_clear_pointer (&self->records, g_ptr_array_unref);
  g_clear_pointer (&self->counted, g_hash_table_unref);
  g_clear_pointer (&self->watched, pm_record_watch_free);
  g_clear_pointer (&self->health, g_hash_table_unref);

  G_OBJECT_CLASS (pm_window_parent_class)->finalize (object);
}

static void
pm_window_class_init (PmWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);
  static const struct { guint key; const char *page; } pages[] = {
    { GDK_KEY_1, "requests" }, { GDK_KEY_2, "objective" }, { GDK_KEY_3, "savings" },
    { GDK_KEY_4, "providers" }, { GDK_KEY_5, "setup" },
  };

  object_class->dispose = pm_window_dispose;
  object_class->finalize = pm_window_finalize;
  window_class->close_request = pm_window_close_request;

  g_type_ensure (PM_TYPE_REQUEST_LIST);
  g_type_ensure (PM_TYPE_WHY_PANE);
  g_type_ensure (PM_TYPE_OBJECTIVE_PAGE);
  g_type_ensure (PM_TYPE_SAVINGS_CHART);
  g_type_ensure (PM_TYPE_PROVIDERS_PAGE);
  g_type_ensure (PM_TYPE_SETUP_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pointsman/Pointsman/pm-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PmWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, proxy_button);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, status_icon);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, url_label);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, demo_label);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, totals_label);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, health_box);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, requests_paned);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, request_list);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, why_pane);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, objective_page);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, savings_label);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, savings_chart);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, providers_page);
  gtk_widget_class_bind_template_child (widget_class, PmWindow, setup_page);

  gtk_widget_class_install_action (widget_class, "win.copy-url", NULL, copy_url_action);
  gtk_widget_class_install_action (widget_class, "win.page", "s", page_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.copy-url", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    gtk_widget_class_add_binding_action (widget_class, pages[i].key, GDK_ALT_MASK,
                                         "win.page", "s", pages[i].page);
}

static void
pm_window_init (PmWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->toasts = g_ptr_array_new_with_free_func (g_object_unref);
  self->records = g_ptr_array_new_with_free_func (g_object_unref);
  self->counted = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->watched = pm_record_watch_new (G_CALLBACK (on_record_state), self);
  self->health = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_signal_connect_swapped (self->request_list, "notify::selected", G_CALLBACK (on_selected), self);
#if DEVELOPMENT
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}

PmWindow *
pm_window_new (PmApplication *app)
{
  PmWindow *self = g_object_new (PM_TYPE_WINDOW, "application", app, NULL);

  pm_window_setup (self);

  return self;
}

AdwViewStack *
pm_window_get_stack (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->stack;
}

GtkPaned *
pm_window_get_requests_paned (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->requests_paned;
}

PmRequestList *
pm_window_get_request_list (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->request_list;
}

PmWhyPane *
pm_window_get_why_pane (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->why_pane;
}

PmObjectivePage *
pm_window_get_objective_page (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->objective_page;
}

PmSavingsChart *
pm_window_get_savings_chart (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->savings_chart;
}

PmProvidersPage *
pm_window_get_providers_page (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->providers_page;
}

PmSetupPage *
pm_window_get_setup_page (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->setup_page;
}

const char *
pm_window_get_status_text (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return self->status_text;
}

const char *
pm_window_get_totals_text (PmWindow *self)
{
  g_return_val_if_fail (PM_IS_WINDOW (self), NULL);
  return gtk_label_get_label (self->totals_label);
}
