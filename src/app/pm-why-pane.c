/* pm-why-pane.c — why the selected request went where it went
 *
 * Renders the record's explanation JSON ({"candidates": [...], "reasons": [...]}) robustly:
 * members are optional and of any type; what is missing shows as a dash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-why-pane"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-colors.h"
#include "pm-request-list.h"
#include "pm-session-timeline.h"
#include "pm-why-pane.h"

#define MAX_CANDIDATES 12

struct _PmWhyPane
{
  GtkWidget          parent_instance;

  GtkStack          *stack;
  GtkLabel          *title_label;
  GtkLabel          *subtitle_label;
  GtkLabel          *figures_label;
  GtkLabel          *summary_label;
  GtkLabel          *error_label;
  GtkGrid           *candidates_grid;
  GtkBox            *reasons_box;
  PmSessionTimeline *timeline;
  GtkLabel          *timeline_label;

  PmRecord          *record;
  GListModel        *log;
  guint              n_candidates;
  guint              n_reasons;
  guint              refresh_id;
};

G_DEFINE_FINAL_TYPE (PmWhyPane, pm_why_pane, GTK_TYPE_WIDGET)

static void
clear_container (GtkWidget *container)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (container)) != NULL)
    {
      if (GTK_IS_GRID (container))
        gtk_grid_remove (GTK_GRID (container), child);
      else
        gtk_box_remove (GTK_BOX (container), child);
    }
}

/* A member as text, whatever its JSON type. */
static char *
member_text (JsonObject *object,
             const char *name,
             const char *number_format)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return g_strdup ("—");
  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("—");

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      if (g_str_equal (number_format, "tokens"))
        return pm_format_tokens (json_node_get_int (node));
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      if (g_str_equal (number_format, "cost"))
        return pm_format_cost (json_node_get_double (node));
      if (g_str_equal (number_format, "tokens"))
        return pm_format_tokens ((gint64) json_node_get_double (node));
      return g_strdup_printf (number_format, json_node_get_double (node));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? _("yes") : _("no"));
    default:
      return g_strdup ("—");
    }
}

static GtkWidget *
cell (const char *text,
      gboolean    numeric,
      gboolean    bold,
      gboolean    dim)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0f : 0.0f);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  if (bold)
    gtk_widget_add_css_class (label, "heading");
  if (dim)
    gtk_widget_add_css_class (label, "dim-label");

  return label;
}

static void
add_reason (PmWhyPane  *self,
            const char *text)
{
  g_autofree char *line = g_strdup_printf ("• %s", text);
  GtkWidget *label = gtk_label_new (line);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_box_append (self->reasons_box, label);
  self->n_reasons++;
}

static gboolean
candidate_is_chosen (JsonObject *candidate,
                     const char *model,
                     const char *effort)
{
  const char *cm, *ce;

  if (json_object_has_member (candidate, "chosen"))
    {
      JsonNode *n = json_object_get_member (candidate, "chosen");

      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN)
        return json_node_get_boolean (n);
    }

  cm = json_object_get_string_member_with_default (candidate, "model", NULL);
  ce = json_object_get_string_member_with_default (candidate, "effort", NULL);
  return g_strcmp0 (cm, model) == 0 && (ce == NULL || effort == NULL || g_strcmp0 (ce, effort) == 0);
}

static void
render_explanation (PmWhyPane  *self,
                    const char *json)
{
  static const char *headers[] = {
    N_("Model"), N_("Effort"), N_("Q"), N_("Cost"), N_("Utility"), N_("Cached"), N_("Re-read"),
  };
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = NULL;
  JsonArray *candidates = NULL;
  JsonArray *reasons = NULL;
  const char *model = pm_record_get_model (self->record);
  const char *effort = pm_record_get_effort (self->record);
  guint n;
  guint row = 0;
  JsonObject *chosen_obj = NULL;

  clear_container (GTK_WIDGET (self->candidates_grid));
  clear_container (GTK_WIDGET (self->reasons_box));
  self->n_candidates = 0;
  self->n_reasons = 0;

  if (json != NULL && *json != '\0' && json_parser_load_from_data (parser, json, -1, NULL))
    {
      JsonNode *node = json_parser_get_root (parser);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        root = json_node_get_object (node);
    }

  if (root != NULL && json_object_has_member (root, "candidates") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "candidates")))
    candidates = json_object_get_array_member (root, "candidates");
  if (root != NULL && json_object_has_member (root, "reasons") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "reasons")))
    reasons = json_object_get_array_member (root, "reasons");

  n = candidates ? json_array_get_length (candidates) : 0;
  if (n > 0)
    {
      for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
        gtk_grid_attach (self->candidates_grid, cell (_(headers[c]), c >= 2, FALSE, TRUE), c, 0, 1, 1);

      for (guint i = 0; i < MIN (n, MAX_CANDIDATES); i++)
        {
          JsonNode *node = json_array_get_element (candidates, i);
          JsonObject *cand;
          gboolean chosen;
          g_autofree char *m = NULL, *e = NULL, *q = NULL, *cost = NULL, *u = NULL, *cached = NULL;
          g_autofree char *reread = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          cand = json_node_get_object (node);
          chosen = candidate_is_chosen (cand, model, effort);
          m = member_text (cand, "model", "%g");
          e = member_text (cand, "effort", "%g");
          q = member_text (cand, "q", "%.2f");
          /* excluded candidates carry only the step's own cost */
          cost = member_text (cand, json_object_has_member (cand, "cost") ? "cost" : "step_cost", "cost");
          reread = member_text (cand, "reprefill_tokens", "tokens");
          u = member_text (cand, "utility", "%.3f");
          cached = member_text (cand, "cached_tokens", "tokens");
          if (chosen)
            {
              g_autofree char *marked = g_strdup_printf ("✓ %s", m);

              g_free (m);
              m = g_steal_pointer (&marked);
              chosen_obj = cand;
            }
          else if (json_object_get_boolean_member_with_default (cand, "current", FALSE))
            {
              g_autofree char *marked = g_strdup_printf (_("%s (current)"), m);

              g_free (m);
              m = g_steal_pointer (&marked);
            }

          self->n_candidates++;
          row++;
          gtk_grid_attach (self->candidates_grid, cell (m, FALSE, chosen, FALSE), 0, row, 1, 1);
          gtk_grid_attach (self->candidates_grid, cell (e, FALSE, chosen, FALSE), 1, row, 1, 1);
          gtk_grid_attach (self->candidates_grid, cell (q, TRUE, chosen, FALSE), 2, row, 1, 1);
          gtk_grid_attach (self->candidates_grid, cell (cost, TRUE, chosen, FALSE), 3, row, 1, 1);
          gtk_grid_attach (self->candidates_grid, cell (u, TRUE, chosen, FALSE), 4, row, 1, 1);
          gtk_grid_attach (self->candidates_grid, cell (cached, TRUE, chosen, FALSE), 5, row, 1, 1);
          gtk_grid_attach (self->candidates_grid, cell (reread, TRUE, chosen, FALSE), 6, row, 1, 1);

          /* A candidate may say why it was excluded. */
          if (json_object_has_member (cand, "excluded") || json_object_has_member (cand, "note"))
            {
              g_autofree char *why = member_text (cand, json_object_has_member (cand, "excluded") ? "excluded" : "note", "%g");

              if (!g_str_equal (why, "—") && !g_str_equal (why, _("no")) && !g_str_equal (why, _("yes")))
                {
                  GtkWidget *note = cell (why, FALSE, FALSE, TRUE);

                  gtk_widget_add_css_class (note, "caption");
                  gtk_grid_attach (self->candidates_grid, note, 0, ++row, 7, 1);
                }
            }
        }
      if (n > MAX_CANDIDATES)
        {
          g_autofree char *more = g_strdup_printf (_("and %u more"), n - MAX_CANDIDATES);

          gtk_grid_attach (self->candidates_grid, cell (more, FALSE, FALSE, TRUE), 0, ++row, 7, 1);
        }
    }
  else
    {
      gtk_grid_attach (self->candidates_grid,
                       cell (pm_record_get_routed (self->record)
                               ? _("The router recorded no candidates for this request.")
                               : _("Not routed: the client's model was used as asked."),
                             FALSE, FALSE, TRUE),
                       0, 0, 7, 1);
    }

  /* The decision's own figures, in words. */
  {
    g_autoptr(GString) details = g_string_new (NULL);

    if (chosen_obj != NULL)
      {
        g_autofree char *uncached = member_text (chosen_obj, "uncached_tokens", "tokens");
        g_autofree char *written = member_text (chosen_obj, "cache_write_tokens", "tokens");
        g_autofree char *output = member_text (chosen_obj, "output_tokens", "tokens");
        g_autofree char *fixup = member_text (chosen_obj, "fixup_cost", "cost");
        g_autofree char *prior = member_text (chosen_obj, "prior_source", "%g");

        g_string_append_printf (details,
                                _("Expected: %s uncached, %s written to cache, %s output tokens; "
                                  "failure risk priced at %s; quality prior from %s."),
                                uncached, written, output, fixup, prior);
      }
    if (root != NULL && json_object_has_member (root, "lambda"))
      {
        g_autofree char *lambda = member_text (root, "lambda", "%.3g");
        g_autofree char *floor = member_text (root, "quality_floor", "%.2f");

        if (details->len > 0)
          g_string_append_c (details, '\n');
        g_string_append_printf (details, _("Objective: λ = %s, quality floor %s."), lambda, floor);
        if (json_object_has_member (root, "session") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "session")))
          {
            JsonObject *so = json_object_get_object_member (root, "session");
            g_autofree char *steps = member_text (so, "steps", "%g");
            g_autofree char *previous = member_text (so, "previous_model", "%g");
            g_autofree char *switches = member_text (so, "switches", "%g");

            g_string_append_printf (details, _(" Session: step %s, previous model %s, %s switches."),
                                    steps, previous, switches);
          }
      }
    if (details->len > 0)
      {
        GtkWidget *label = cell (details->str, FALSE, FALSE, TRUE);

        gtk_label_set_wrap (GTK_LABEL (label), TRUE);
        gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_NONE);
        gtk_label_set_selectable (GTK_LABEL (label), TRUE);
        gtk_widget_add_css_class (label, "caption");
        gtk_widget_set_margin_top (label, 6);
        gtk_grid_attach (self->candidates_grid, label, 0, ++row, 7, 1);
      }
  }

  for (guint i = 0; reasons != NULL && i < json_array_get_length (reasons); i++)
    {
      JsonNode *node = json_array_get_element (reasons, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        add_reason (self, json_node_get_string (node));
      else if (JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *o = json_node_get_object (node);
          const char *text = json_object_get_string_member_with_default (o, "text", NULL);

          if (text == NULL)
            text = json_object_get_string_member_with_default (o, "reason", NULL);
          if (text != NULL)
            add_reason (self, text);
        }
    }
  if (self->n_reasons == 0)
    {
      GtkWidget *none = cell (_("No reasons recorded."), FALSE, FALSE, TRUE);

      gtk_box_append (self->reasons_box, none);
    }
}

static void
refresh (PmWhyPane *self)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *figures = NULL;
  g_autofree char *cost = NULL, *baseline = NULL, *saved = NULL;
  g_autoptr(GString) legend = g_string_new (NULL);
  const char *model, *effort, *summary, *error;
  PmUsage usage;
  double saved_usd;

  if (self->record == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "detail");

  model = pm_record_get_model (self->record);
  effort = pm_record_get_effort (self->record);
  if (effort != NULL && *effort != '\0')
    title = g_strdup_printf (_("%s · effort %s"), model ? model : _("(not decided)"), effort);
  else
    title = g_strdup (model ? model : _("(not decided)"));
  gtk_label_set_label (self->title_label, title);

  subtitle = g_strdup_printf (_("%s request from %s, session %.8s — %s"),
                              pm_record_get_kind (self->record) ? pm_record_get_kind (self->record) : "?",
                              pm_record_get_agent (self->record) ? pm_record_get_agent (self->record) : "?",
                              pm_record_get_session (self->record) ? pm_record_get_session (self->record) : "?",
                              pm_record_get_routed (self->record)
                                ? _("routed")
                                : _("model pinned by the client"));
  gtk_label_set_label (self->subtitle_label, subtitle);

  pm_record_get_usage (self->record, &usage);
  cost = pm_format_cost (pm_record_get_cost (self->record));
  baseline = pm_format_cost (pm_record_get_baseline_cost (self->record));
  saved_usd = pm_record_get_baseline_cost (self->record) - pm_record_get_cost (self->record);
  saved = pm_format_saving (saved_usd);
  {
    g_autofree char *in = pm_format_tokens (usage.input);
    g_autofree char *cr = pm_format_tokens (usage.cache_read);
    g_autofree char *cw = pm_format_tokens (usage.cache_write_5m + usage.cache_write_1h);
    g_autofree char *out = pm_format_tokens (usage.output);
    gint64 prompt = pm_usage_prompt_total (&usage);

    figures = g_strdup_printf (_("Cost %s, default model %s: %s\n"
                                 "Tokens: %s uncached, %s cache read (%.0f %%), %s cache write, %s output"),
                               cost, baseline, saved, in, cr,
                               prompt > 0 ? 100.0 * usage.cache_read / prompt : 0.0, cw, out);
  }
  gtk_label_set_label (self->figures_label, figures);

  summary = pm_record_get_summary (self->record);
  gtk_label_set_label (self->summary_label, summary ? summary : "");
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), summary != NULL && *summary != '\0');

  error = pm_record_get_error (self->record);
  gtk_label_set_label (self->error_label, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL && *error != '\0');

  render_explanation (self, pm_record_get_explanation (self->record));

  /* The log is read again only for another record or session (pm-session-timeline.h). */
  pm_session_timeline_set_record (self->timeline, self->log, self->record);
  for (const char * const *m = pm_session_timeline_get_models (self->timeline); *m != NULL; m++)
    {
      g_autofree char *item = pm_model_legend_markup (*m);

      if (legend->len > 0)
        g_string_append (legend, "   ");
      g_string_append (legend, item);
    }
  if (legend->len > 0)
    {
      g_autofree char *summary_escaped = g_markup_escape_text (pm_session_timeline_get_summary (self->timeline), -1);

      g_string_append_printf (legend, "\n%s", summary_escaped);
    }
  gtk_label_set_markup (self->timeline_label, legend->str);
}

static gboolean
refresh_idle (gpointer user_data)
{
  PmWhyPane *self = user_data;

  self->refresh_id = 0;
  refresh (self);

  return G_SOURCE_REMOVE;
}

static void
on_record_notify (PmWhyPane *self)
{
  /* A streaming record notifies several properties at once: coalesce. */
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (30, refresh_idle, self);
}

void
pm_why_pane_set_record (PmWhyPane  *self,
                        GListModel *log,
                        PmRecord   *record)
{
  g_return_if_fail (PM_IS_WHY_PANE (self));

  if (self->record != NULL)
    g_signal_handlers_disconnect_by_func (self->record, on_record_notify, self);
  g_set_object (&self->record, record);
  g_set_object (&self->log, log);
  if (self->record != NULL)
    g_signal_connect_object (self->record, "notify", G_CALLBACK (on_record_notify), self,
                             G_CONNECT_SWAPPED);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  refresh (self);
}

PmRecord *
pm_why_pane_get_record (PmWhyPane *self)
{
  g_return_val_if_fail (PM_IS_WHY_PANE (self), NULL);
  return self->record;
}

guint
pm_why_pane_get_n_candidates (PmWhyPane *self)
{
  g_return_val_if_fail (PM_IS_WHY_PANE (self), 0);
  return self->n_candidates;
}

PmSessionTimeline *
pm_why_pane_get_timeline (PmWhyPane *self)
{
  g_return_val_if_fail (PM_IS_WHY_PANE (self), NULL);
  return self->timeline;
}

guint
pm_why_pane_get_n_reasons (PmWhyPane *self)
{
  g_return_val_if_fail (PM_IS_WHY_PANE (self), 0);
  return self->n_reasons;
}

static void
append_label_texts (GString   *str,
                    GtkWidget *widget)
{
  if (!gtk_widget_get_visible (widget))
    return;

  if (GTK_IS_LABEL (widget))
    {
      const char *text = gtk_label_get_text (GTK_LABEL (widget));

      if (text != NULL && *text != '\0')
        {
          g_string_append (str, text);
          g_string_append_c (str, '\n');
        }
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    append_label_texts (str, child);
}

char *
pm_why_pane_dup_text (PmWhyPane *self)
{
  g_autoptr(GString) str = g_string_new (NULL);

  g_return_val_if_fail (PM_IS_WHY_PANE (self), NULL);

  if (self->record != NULL)
    append_label_texts (str, gtk_stack_get_child_by_name (self->stack, "detail"));

  return g_string_free (g_steal_pointer (&str), FALSE);
}

static void
pm_why_pane_dispose (GObject *object)
{
  GtkWidget *child;
  PmWhyPane *self = PM_WHY_PANE (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->record != NULL)
    g_signal_handlers_disconnect_by_func (self->record, on_record_notify, self);
  g_clear_object (&self->record);
  g_clear_object (&self->log);
  gtk_widget_dispose_template (GTK_WIDGET (self), PM_TYPE_WHY_PANE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (pm_why_pane_parent_class)->dispose (object);
}

static void
pm_why_pane_class_init (PmWhyPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pm_why_pane_dispose;

  g_type_ensure (PM_TYPE_SESSION_TIMELINE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pointsman/Pointsman/pm-why-pane.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pmwhypane");
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, stack);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, title_label);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, figures_label);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, summary_label);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, error_label);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, candidates_grid);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, reasons_box);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, timeline);
  gtk_widget_class_bind_template_child (widget_class, PmWhyPane, timeline_label);
}

static void
pm_why_pane_init (PmWhyPane *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pm_why_pane_new (void)
{
  return g_object_new (PM_TYPE_WHY_PANE, NULL);
}
