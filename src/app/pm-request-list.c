/* pm-request-list.c — the live request list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-request-list"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-batch-model.h"
#include "pm-request-list.h"

struct _PmRequestList
{
  GtkWidget           parent_instance;

  GtkBox             *box;
  GtkDropDown        *session_dropdown;
  GtkDropDown        *agent_dropdown;
  GtkLabel           *count_label;
  GtkStack           *list_stack;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  GtkSortListModel   *sort_model;
  GtkFilterListModel *filter_model;
  GtkColumnViewColumn *time_column;

  GListModel         *model;
  PmBatchModel       *batched;        /* model, applied once per main-loop iteration */
  GtkStringList      *sessions;
  GtkStringList      *agents;
  GHashTable         *seen_sessions;
  GHashTable         *seen_agents;
  GtkCustomFilter    *filter;
  char               *session_filter;
  char               *agent_filter;
  guint               scanned;

  /* Re-sorting while records stream (the sort model does not watch its items). */
  GHashTable         *sort_keys;      /* interned property names the columns sort on */
  GHashTable         *watched;        /* PmRecord (ref) → notify handler id, unfinished only */
  GHashTable         *dirty;          /* PmRecord (ref) whose sort key changed since the check */
  guint               resort_id;
  guint               n_resorts;

  /* Following the newest rows: see follow_* below. */
  gboolean            follow;
  gboolean            in_frame;
  gboolean            setting_value;
  GdkFrameClock      *frame_clock;
};

G_DEFINE_FINAL_TYPE (PmRequestList, pm_request_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- formatting ---------------------------------------------------------------------------- */

char *
pm_format_cost (double usd)
{
  if (usd == 0.0)
    return g_strdup ("$0");
  if (ABS (usd) < 1.0)
    return g_strdup_printf ("$%.4f", usd);
  if (ABS (usd) < 1000.0)
    return g_strdup_printf ("$%.2f", usd);
  return g_strdup_printf ("$%.0f", usd);
}

char *
pm_format_saving (double usd)
{
  g_autofree char *abs_cost = pm_format_cost (ABS (usd));

  if (usd >= 0)
    return g_strdup_printf (_("%s saved"), abs_cost);
  return g_strdup_printf (_("%s more than the default model"), abs_cost);
}

char *
pm_format_tokens (gint64 tokens)
{
  if (tokens < 1000)
    return g_strdup_printf ("%" G_GINT64_FORMAT, tokens);
  if (tokens < 1000000)
    return g_strdup_printf ("%.1fk", tokens / 1000.0);
  return g_strdup_printf ("%.2fM", tokens / 1000000.0);
}

static char *
format_time (gpointer unused,
             gint64   time_us)
{
  g_autoptr(GDateTime) dt = NULL;

  if (time_us <= 0)
    return g_strdup ("");
  dt = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  return g_date_time_format (dt, "%H:%M:%S");
}

static char *
format_session (gpointer    unused,
                const char *session)
{
  if (session == NULL)
    return g_strdup ("");
  if (g_utf8_strlen (session, -1) <= 10)
    return g_strdup (session);
  return g_strdup_printf ("%.8s…", session);
}

static char *
format_effort (gpointer    unused,
               const char *effort)
{
  return g_strdup (effort != NULL && *effort != '\0' ? effort : "—");
}

static char *
format_tokens (gpointer unused,
               gint64   tokens)
{
  return pm_format_tokens (tokens);
}

static char *
format_percent (gpointer unused,
                double   fraction)
{
  return g_strdup_printf ("%.0f %%", 100.0 * fraction);
}

static char *
format_cost (gpointer unused,
             double   usd)
{
  return pm_format_cost (usd);
}

static char *
format_saved (gpointer unused,
              double   usd)
{
  g_autofree char *abs_cost = pm_format_cost (ABS (usd));

  if (usd == 0.0)
    return g_strdup ("—");
  return g_strdup_printf ("%s%s", usd > 0 ? "+" : "−", abs_cost);
}

static char *
format_ms (gpointer unused,
           double   ms)
{
  if (ms <= 0.0)
    return g_strdup ("—");
  if (ms < 10000.0)
    return g_strdup_printf ("%.0f ms", ms);
  return g_strdup_printf ("%.1f s", ms / 1000.0);
}

static char *
format_status (gpointer unused,
               int      status,
               int      state)
{
  switch (state)
    {
    case PM_RECORD_PENDING:
      return g_strdup (_("routing"));
    case PM_RECORD_STREAMING:
      return g_strdup (_("streaming"));
    case PM_RECORD_FAILED:
      return status ? g_strdup_printf (_("failed %d"), status) : g_strdup (_("failed"));
    case PM_RECORD_DONE:
    default:
      return g_strdup_printf ("%d", status);
    }
}

static gboolean
set_str (char       **dest,
         const char  *value)
{
  if (g_strcmp0 (*dest, value) == 0)
    return FALSE;
  g_free (*dest);
  *dest = g_strdup (value);
  return TRUE;
}

/* The model as the list shows it: the log, a main-loop iteration late (pm-batch-model.h). */
static GListModel *
shown_source (PmRequestList *self)
{
  return self->batched != NULL ? G_LIST_MODEL (self->batched) : NULL;
}

/* --- filtering ----------------------------------------------------------------------------- */

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  PmRequestList *self = user_data;
  PmRecord *record = item;
  g_autofree char *session = NULL;
  g_autofree char *agent = NULL;

  if (self->session_filter == NULL && self->agent_filter == NULL)
    return TRUE;

  g_object_get (record, "session", &session, "agent", &agent, NULL);
  if (self->session_filter != NULL && g_strcmp0 (session, self->session_filter) != 0)
    return FALSE;
  if (self->agent_filter != NULL && g_strcmp0 (agent, self->agent_filter) != 0)
    return FALSE;

  return TRUE;
}

static void
update_count (PmRequestList *self)
{
  GListModel *source = shown_source (self);
  guint total = source ? g_list_model_get_n_items (source) : 0;
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  g_autofree char *text = NULL;

  if (shown == total)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u request", "%u requests", total), total);
  else
    text = g_strdup_printf (_("%u of %u requests"), shown, total);
  gtk_label_set_label (self->count_label, text);
  gtk_stack_set_visible_child_name (self->list_stack, total > 0 ? "list" : "empty");
}

static void
refilter (PmRequestList *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_count (self);
}

void
pm_request_list_set_session_filter (PmRequestList *self,
                                    const char    *session)
{
  g_return_if_fail (PM_IS_REQUEST_LIST (self));

  if (set_str (&self->session_filter, session))
    refilter (self);
}

void
pm_request_list_set_agent_filter (PmRequestList *self,
                                  const char    *agent)
{
  g_return_if_fail (PM_IS_REQUEST_LIST (self));

  if (set_str (&self->agent_filter, agent))
    refilter (self);
}

static void
on_session_selected (PmRequestList *self)
{
  guint pos = gtk_drop_down_get_selected (self->session_dropdown);
  const char *display;

  if (pos == 0 || pos == GTK_INVALID_LIST_POSITION)
    {
      pm_request_list_set_session_filter (self, NULL);
      return;
    }
  display = gtk_string_list_get_string (self->sessions, pos);
  pm_request_list_set_session_filter (self, g_hash_table_lookup (self->seen_sessions, display));
}

static void
on_agent_selected (PmRequestList *self)
{
  guint pos = gtk_drop_down_get_selected (self->agent_dropdown);

  if (pos == 0 || pos == GTK_INVALID_LIST_POSITION)
    pm_request_list_set_agent_filter (self, NULL);
  else
    pm_request_list_set_agent_filter (self, gtk_string_list_get_string (self->agents, pos));
}

/* Collect sessions and agents of newly appended records for the filter menus. */
static void
scan_new_items (PmRequestList *self)
{
  GListModel *source = shown_source (self);
  guint n = source ? g_list_model_get_n_items (source) : 0;

  if (self->scanned > n)
    self->scanned = 0;

  for (guint i = self->scanned; i < n; i++)
    {
      g_autoptr(PmRecord) record = g_list_model_get_item (source, i);
      g_autofree char *session = NULL;
      g_autofree char *agent = NULL;

      g_object_get (record, "session", &session, "agent", &agent, NULL);
      if (session != NULL && *session != '\0')
        {
          g_autofree char *display = format_session (NULL, session);

          if (!g_hash_table_contains (self->seen_sessions, display))
            {
              g_hash_table_insert (self->seen_sessions, g_strdup (display), g_strdup (session));
              gtk_string_list_append (self->sessions, display);
            }
        }
      if (agent != NULL && *agent != '\0' && !g_hash_table_contains (self->seen_agents, agent))
        {
          g_hash_table_add (self->seen_agents, g_strdup (agent));
          gtk_string_list_append (self->agents, agent);
        }
    }
  self->scanned = n;
}

/* --- staying at the top while rows arrive ------------------------------------------------- */

/* GtkListView keeps the rows in view where they are when rows arrive above them, so a list at
 * the top drifts down as records stream in, and with newest first it ends up showing the
 * oldest ones, which a full log drops next: every batch then removes the rows in view and the
 * view rebuilds them. A list the user left at the top follows the newest instead: after each
 * frame that moved it, back to 0 (the view takes the first row as its anchor again). Scrolling
 * away (an event, outside a frame's layout) stops following; back at the top resumes it. */

static GtkAdjustment *
get_vadjustment (PmRequestList *self)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->column_view));
}

static void
on_vadjustment_value (PmRequestList *self)
{
  GtkAdjustment *vadj = get_vadjustment (self);

  if (!self->in_frame && !self->setting_value && vadj != NULL)
    self->follow = gtk_adjustment_get_value (vadj) < 1.0;
}

static void
on_before_paint (PmRequestList *self)
{
  self->in_frame = TRUE;
}

static void
on_after_paint (PmRequestList *self)
{
  GtkAdjustment *vadj = get_vadjustment (self);

  self->in_frame = FALSE;
  if (self->follow && vadj != NULL && gtk_adjustment_get_value (vadj) > 0.0)
    {
      self->setting_value = TRUE;
      gtk_adjustment_set_value (vadj, 0.0);
      self->setting_value = FALSE;
    }
}

static void
follow_disconnect (PmRequestList *self)
{
  if (self->frame_clock != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->frame_clock, self);
      g_clear_object (&self->frame_clock);
    }
}

static void
on_vadjustment_notify (PmRequestList *self)
{
  GtkAdjustment *vadj = get_vadjustment (self);

  if (vadj != NULL)
    g_signal_connect_object (vadj, "value-changed", G_CALLBACK (on_vadjustment_value), self, G_CONNECT_SWAPPED);
}

static void
on_view_realize (PmRequestList *self)
{
  follow_disconnect (self);
  self->frame_clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->column_view));
  if (self->frame_clock == NULL)
    return;
  g_object_ref (self->frame_clock);
  g_signal_connect_swapped (self->frame_clock, "before-paint", G_CALLBACK (on_before_paint), self);
  g_signal_connect_swapped (self->frame_clock, "after-paint", G_CALLBACK (on_after_paint), self);
}

gboolean
pm_request_list_get_following (PmRequestList *self)
{
  g_return_val_if_fail (PM_IS_REQUEST_LIST (self), FALSE);
  return self->follow;
}

/* --- re-sorting streaming records ------------------------------------------------------- */

#define RESORT_DELAY_MS 250

static gboolean
record_is_final (PmRecord *record)
{
  return pm_record_get_state (record) >= PM_RECORD_DONE;
}

static void
unwatch_record (PmRequestList *self,
                PmRecord      *record)
{
  gpointer handler;

  if (g_hash_table_lookup_extended (self->watched, record, NULL, &handler))
    {
      g_signal_handler_disconnect (record, GPOINTER_TO_SIZE (handler));
      g_hash_table_remove (self->watched, record);
    }
}

static void
unwatch_all (PmRequestList *self)
{
  GHashTableIter iter;
  gpointer record, handler;

  g_hash_table_iter_init (&iter, self->watched);
  while (g_hash_table_iter_next (&iter, &record, &handler))
    {
      g_signal_handler_disconnect (record, GPOINTER_TO_SIZE (handler));
      g_hash_table_iter_remove (&iter);
    }
  g_hash_table_remove_all (self->dirty);
  g_clear_handle_id (&self->resort_id, g_source_remove);
}

/* Is a changed record out of place among its neighbours in the sorted list? One pass over the
 * list, then a comparison or two per changed record: a full re-sort only when one is needed. */
static gboolean
dirty_out_of_order (PmRequestList *self)
{
  GListModel *sorted = G_LIST_MODEL (self->sort_model);
  GtkSorter *sorter = gtk_sort_list_model_get_sorter (self->sort_model);
  guint n = g_list_model_get_n_items (sorted);
  guint left = g_hash_table_size (self->dirty);

  if (sorter == NULL || gtk_sorter_get_order (sorter) == GTK_SORTER_ORDER_NONE)
    return FALSE;

  for (guint i = 0; i < n && left > 0; i++)
    {
      g_autoptr(PmRecord) item = g_list_model_get_item (sorted, i);

      if (!g_hash_table_contains (self->dirty, item))
        continue;
      left--;
      if (i > 0)
        {
          g_autoptr(PmRecord) prev = g_list_model_get_item (sorted, i - 1);

          if (gtk_sorter_compare (sorter, prev, item) == GTK_ORDERING_LARGER)
            return TRUE;
        }
      if (i + 1 < n)
        {
          g_autoptr(PmRecord) next = g_list_model_get_item (sorted, i + 1);

          if (gtk_sorter_compare (sorter, item, next) == GTK_ORDERING_LARGER)
            return TRUE;
        }
    }

  return FALSE;
}

static gboolean
resort_cb (gpointer data)
{
  PmRequestList *self = data;

  /* A sort in progress compares the current values anyway: look again once it is done. */
  if (gtk_sort_list_model_get_pending (self->sort_model) > 0)
    return G_SOURCE_CONTINUE;

  self->resort_id = 0;
  if (dirty_out_of_order (self))
    {
      self->n_resorts++;
      gtk_sorter_changed (gtk_sort_list_model_get_sorter (self->sort_model),
                          GTK_SORTER_CHANGE_DIFFERENT);
    }
  g_hash_table_remove_all (self->dirty);

  return G_SOURCE_REMOVE;
}

static void
on_record_notify (PmRecord      *record,
                  GParamSpec    *pspec,
                  PmRequestList *self)
{
  /* Only the properties a column sorts on can move a row. */
  if (g_hash_table_contains (self->sort_keys, pspec->name))
    {
      g_hash_table_add (self->dirty, g_object_ref (record));
      if (self->resort_id == 0)
        self->resort_id = g_timeout_add (RESORT_DELAY_MS, resort_cb, self);
    }

  if (record_is_final (record))
    unwatch_record (self, record);
}

static void
watch_new_items (PmRequestList *self,
                 guint          position,
                 guint          added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(PmRecord) record = g_list_model_get_item (shown_source (self), i);
      gulong handler;

      if (record == NULL || record_is_final (record) || g_hash_table_contains (self->watched, record))
        continue;
      handler = g_signal_connect (record, "notify", G_CALLBACK (on_record_notify), self);
      g_hash_table_insert (self->watched, g_object_ref (record), GSIZE_TO_POINTER (handler));
    }
}

static void
collect_sort_keys (PmRequestList *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      GtkSorter *sorter = gtk_column_view_column_get_sorter (column);
      GtkExpression *expression = NULL;

      if (GTK_IS_NUMERIC_SORTER (sorter))
        expression = gtk_numeric_sorter_get_expression (GTK_NUMERIC_SORTER (sorter));
      else if (GTK_IS_STRING_SORTER (sorter))
        expression = gtk_string_sorter_get_expression (GTK_STRING_SORTER (sorter));
      if (expression != NULL && G_TYPE_CHECK_INSTANCE_TYPE (expression, GTK_TYPE_PROPERTY_EXPRESSION))
        g_hash_table_add (self->sort_keys,
                          (gpointer) g_intern_string (gtk_property_expression_get_pspec (expression)->name));
    }
}

guint
pm_request_list_get_n_resorts (PmRequestList *self)
{
  g_return_val_if_fail (PM_IS_REQUEST_LIST (self), 0);
  return self->n_resorts;
}

static void
on_items_changed (PmRequestList *self,
                  guint          position,
                  guint          removed,
                  guint          added,
                  GListModel    *model)
{
  /* Records scanned before the removed ones stay scanned (the menus keep what they saw). */
  if (removed > 0 && position + removed <= self->scanned)
    self->scanned -= removed;
  else if (removed > 0)
    self->scanned = MIN (self->scanned, position);
  scan_new_items (self);
  watch_new_items (self, position, added);
  update_count (self);
}

static void
reset_filters (PmRequestList *self)
{
  const char *all_sessions[] = { _("All"), NULL };
  const char *all_agents[] = { _("All"), NULL };

  g_hash_table_remove_all (self->seen_sessions);
  g_hash_table_remove_all (self->seen_agents);
  gtk_string_list_splice (self->sessions, 0, g_list_model_get_n_items (G_LIST_MODEL (self->sessions)),
                          all_sessions);
  gtk_string_list_splice (self->agents, 0, g_list_model_get_n_items (G_LIST_MODEL (self->agents)),
                          all_agents);
  gtk_drop_down_set_selected (self->session_dropdown, 0);
  gtk_drop_down_set_selected (self->agent_dropdown, 0);
  g_clear_pointer (&self->session_filter, g_free);
  g_clear_pointer (&self->agent_filter, g_free);
  self->scanned = 0;
}

void
pm_request_list_set_model (PmRequestList *self,
                           GListModel    *model)
{
  g_return_if_fail (PM_IS_REQUEST_LIST (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  if (self->batched != NULL)
    g_signal_handlers_disconnect_by_func (self->batched, on_items_changed, self);
  unwatch_all (self);
  g_set_object (&self->model, model);
  g_clear_object (&self->batched);
  if (model != NULL)
    self->batched = pm_batch_model_new (model);

  reset_filters (self);
  gtk_filter_list_model_set_model (self->filter_model, shown_source (self));
  if (self->batched != NULL)
    g_signal_connect_object (self->batched, "items-changed", G_CALLBACK (on_items_changed), self,
                             G_CONNECT_SWAPPED);
  scan_new_items (self);
  if (self->batched != NULL)
    watch_new_items (self, 0, g_list_model_get_n_items (shown_source (self)));
  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

void
pm_request_list_flush (PmRequestList *self)
{
  g_return_if_fail (PM_IS_REQUEST_LIST (self));

  if (self->batched != NULL)
    pm_batch_model_flush (self->batched);
}

GListModel *
pm_request_list_get_model (PmRequestList *self)
{
  g_return_val_if_fail (PM_IS_REQUEST_LIST (self), NULL);
  return self->model;
}

PmRecord *
pm_request_list_get_selected (PmRequestList *self)
{
  g_return_val_if_fail (PM_IS_REQUEST_LIST (self), NULL);
  return gtk_single_selection_get_selected_item (self->selection);
}

GtkSingleSelection *
pm_request_list_get_selection (PmRequestList *self)
{
  g_return_val_if_fail (PM_IS_REQUEST_LIST (self), NULL);
  return self->selection;
}

GtkColumnView *
pm_request_list_get_column_view (PmRequestList *self)
{
  g_return_val_if_fail (PM_IS_REQUEST_LIST (self), NULL);
  return self->column_view;
}

guint
pm_request_list_get_n_shown (PmRequestList *self)
{
  g_return_val_if_fail (PM_IS_REQUEST_LIST (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
}

static void
on_selection_changed (PmRequestList *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

static void
pm_request_list_dispose (GObject *object)
{
  GtkWidget *child;
  PmRequestList *self = PM_REQUEST_LIST (object);

  if (self->batched != NULL)
    g_signal_handlers_disconnect_by_func (self->batched, on_items_changed, self);
  if (self->watched != NULL)
    unwatch_all (self);
  follow_disconnect (self);
  g_clear_object (&self->model);
  gtk_widget_dispose_template (GTK_WIDGET (self), PM_TYPE_REQUEST_LIST);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->batched);
  g_clear_object (&self->filter);
  g_clear_object (&self->sessions);
  g_clear_object (&self->agents);

  G_OBJECT_CLASS (pm_request_list_parent_class)->dispose (object);
}

static void
pm_request_list_finalize (GObject *object)
{
  PmRequestList *self = PM_REQUEST_LIST (object);

  g_clear_pointer (&self->seen_sessions, g_hash_table_unref);
  g_clear_pointer (&self->seen_agents, g_hash_table_unref);
  g_clear_pointer (&self->sort_keys, g_hash_table_unref);
  g_clear_pointer (&self->watched, g_hash_table_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_free (self->session_filter);
  g_free (self->agent_filter);

  G_OBJECT_CLASS (pm_request_list_parent_class)->finalize (object);
}

static void
pm_request_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PmRequestList *self = PM_REQUEST_LIST (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      g_value_set_object (value, pm_request_list_get_selected (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_request_list_class_init (PmRequestListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pm_request_list_dispose;
  object_class->finalize = pm_request_list_finalize;
  object_class->get_property = pm_request_list_get_property;

  properties[PROP_SELECTED] =
    g_param_spec_object ("selected", NULL, NULL, PM_TYPE_RECORD,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PM_TYPE_RECORD);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pointsman/Pointsman/pm-request-list.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pmrequestlist");
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, box);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, session_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, agent_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, count_label);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, list_stack);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, column_view);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, selection);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, sort_model);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, filter_model);
  gtk_widget_class_bind_template_child (widget_class, PmRequestList, time_column);
  gtk_widget_class_bind_template_callback (widget_class, format_time);
  gtk_widget_class_bind_template_callback (widget_class, format_session);
  gtk_widget_class_bind_template_callback (widget_class, format_effort);
  gtk_widget_class_bind_template_callback (widget_class, format_tokens);
  gtk_widget_class_bind_template_callback (widget_class, format_percent);
  gtk_widget_class_bind_template_callback (widget_class, format_cost);
  gtk_widget_class_bind_template_callback (widget_class, format_saved);
  gtk_widget_class_bind_template_callback (widget_class, format_ms);
  gtk_widget_class_bind_template_callback (widget_class, format_status);
}

static void
pm_request_list_init (PmRequestList *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->seen_sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->seen_agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->sort_keys = g_hash_table_new (g_str_hash, g_str_equal);
  self->watched = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  self->dirty = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  collect_sort_keys (self);
  self->sessions = gtk_string_list_new (NULL);
  self->agents = gtk_string_list_new (NULL);
  gtk_drop_down_set_model (self->session_dropdown, G_LIST_MODEL (self->sessions));
  gtk_drop_down_set_model (self->agent_dropdown, G_LIST_MODEL (self->agents));
  reset_filters (self);

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  gtk_filter_list_model_set_filter (self->filter_model, GTK_FILTER (self->filter));

  g_signal_connect_swapped (self->session_dropdown, "notify::selected",
                            G_CALLBACK (on_session_selected), self);
  g_signal_connect_swapped (self->agent_dropdown, "notify::selected",
                            G_CALLBACK (on_agent_selected), self);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selection_changed), self);

  /* The view's sorter drives the sort model (also bound in the template). */
  gtk_sort_list_model_set_sorter (self->sort_model, gtk_column_view_get_sorter (self->column_view));

  self->follow = TRUE;
  g_signal_connect_swapped (self->column_view, "realize", G_CALLBACK (on_view_realize), self);
  g_signal_connect_swapped (self->column_view, "unrealize", G_CALLBACK (follow_disconnect), self);
  {
    GtkAdjustment *vadj = get_vadjustment (self);

    if (vadj != NULL)
      g_signal_connect_object (vadj, "value-changed", G_CALLBACK (on_vadjustment_value), self, G_CONNECT_SWAPPED);
    else
      g_signal_connect_swapped (self->column_view, "notify::vadjustment", G_CALLBACK (on_vadjustment_notify), self);
  }

  /* Newest first by default. */
  gtk_column_view_sort_by_column (self->column_view, self->time_column, GTK_SORT_DESCENDING);
  update_count (self);
}

GtkWidget *
pm_request_list_new (void)
{
  return g_object_new (PM_TYPE_REQUEST_LIST, NULL);
}
