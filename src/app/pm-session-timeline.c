/* pm-session-timeline.c — one session's requests as bars
 *
 * Each request of the session is a bar in time order: its colour is the model, its height the
 * prompt size, and the darker lower part the cached tokens. The selected request is marked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-session-timeline"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-colors.h"
#include "pm-session-timeline.h"

typedef struct
{
  PmRecord *record;
  char     *model;
  gint64    prompt;
  gint64    cached;
  gboolean  selected;
} Step;

struct _PmSessionTimeline
{
  GtkWidget   parent_instance;

  GArray     *steps;
  gint64      max_prompt;
  char       *summary;
  GPtrArray  *models;        /* distinct models, first use first */

  /* What the steps were collected for: the log is read again only when one of these changes. */
  GListModel *log;
  PmRecord   *record;
  char       *session;
  guint       n_scans;
};

G_DEFINE_FINAL_TYPE (PmSessionTimeline, pm_session_timeline, GTK_TYPE_WIDGET)

static void
step_clear (gpointer data)
{
  Step *step = data;

  g_free (step->model);
  g_clear_object (&step->record);
}

/* Each step's figures from its record, the summary and the legend's models. */
static void
update_steps (PmSessionTimeline *self)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) summary = g_string_new (NULL);
  gint64 prompt_sum = 0, cached_sum = 0;

  self->max_prompt = 0;
  g_ptr_array_set_size (self->models, 0);
  for (guint i = 0; i < self->steps->len; i++)
    {
      Step *step = &g_array_index (self->steps, Step, i);
      PmUsage usage;

      pm_record_get_usage (step->record, &usage);
      g_free (step->model);
      step->model = g_strdup (pm_record_get_model (step->record));
      step->prompt = pm_usage_prompt_total (&usage);
      step->cached = usage.cache_read;
      step->selected = (step->record == self->record);
      self->max_prompt = MAX (self->max_prompt, step->prompt);
      prompt_sum += step->prompt;
      cached_sum += step->cached;
      if (step->model != NULL)
        {
          guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, step->model));

          if (count == 0)
            g_ptr_array_add (self->models, g_strdup (step->model));
          g_hash_table_insert (counts, step->model, GUINT_TO_POINTER (count + 1));
        }
    }

  if (self->steps->len > 0)
    {
      g_string_append_printf (summary,
                              g_dngettext (GETTEXT_PACKAGE, "%u request in this session",
                                           "%u requests in this session", self->steps->len),
                              self->steps->len);
      g_string_append (summary, ": ");
      for (guint i = 0; i < self->models->len; i++)
        {
          const char *model = g_ptr_array_index (self->models, i);

          g_string_append_printf (summary, "%s%s ×%u", i > 0 ? ", " : "", model,
                                  GPOINTER_TO_UINT (g_hash_table_lookup (counts, model)));
        }
      if (prompt_sum > 0)
        g_string_append_printf (summary, _("; %.0f %% of prompt tokens read from cache"),
                                100.0 * cached_sum / prompt_sum);
    }

  if (g_strcmp0 (self->summary, summary->str) != 0)
    {
      g_free (self->summary);
      self->summary = g_string_free (g_steal_pointer (&summary), FALSE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->summary,
                                      -1);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self), self->summary);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pm_session_timeline_set_record (PmSessionTimeline *self,
                                GListModel        *log,
                                PmRecord          *record)
{
  const char *session;

  g_return_if_fail (PM_IS_SESSION_TIMELINE (self));

  session = record != NULL ? pm_record_get_session (record) : NULL;
  if (log == self->log && record == self->record && g_strcmp0 (session, self->session) == 0)
    {
      /* The same record changed while it streams: its session's steps are known. */
      update_steps (self);
      return;
    }

  g_set_object (&self->log, log);
  g_set_object (&self->record, record);
  g_free (self->session);
  self->session = g_strdup (session);
  g_array_set_size (self->steps, 0);

  if (log != NULL && session != NULL)
    {
      guint n = g_list_model_get_n_items (log);

      self->n_scans++;
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(PmRecord) r = g_list_model_get_item (log, i);
          Step step = { 0 };

          if (g_strcmp0 (pm_record_get_session (r), session) != 0)
            continue;
          step.record = g_steal_pointer (&r);
          g_array_append_val (self->steps, step);
        }
    }
  update_steps (self);
}

const char * const *
pm_session_timeline_get_models (PmSessionTimeline *self)
{
  g_return_val_if_fail (PM_IS_SESSION_TIMELINE (self), NULL);
  return (const char * const *) self->models->pdata;
}

guint
pm_session_timeline_get_n_scans (PmSessionTimeline *self)
{
  g_return_val_if_fail (PM_IS_SESSION_TIMELINE (self), 0);
  return self->n_scans;
}

guint
pm_session_timeline_get_n_steps (PmSessionTimeline *self)
{
  g_return_val_if_fail (PM_IS_SESSION_TIMELINE (self), 0);
  return self->steps->len;
}

const char *
pm_session_timeline_get_summary (PmSessionTimeline *self)
{
  g_return_val_if_fail (PM_IS_SESSION_TIMELINE (self), NULL);
  return self->summary;
}

static void
pm_session_timeline_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  PmSessionTimeline *self = PM_SESSION_TIMELINE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  float slot, bar, base;

  if (self->steps->len == 0 || width <= 0 || height <= 4)
    return;

  slot = MIN (28.0f, (float) width / self->steps->len);
  bar = MAX (1.0f, slot * 0.75f);
  base = height - 4.0f;

  for (guint i = 0; i < self->steps->len; i++)
    {
      const Step *step = &g_array_index (self->steps, Step, i);
      float h = self->max_prompt > 0 ? MAX (2.0f, base * step->prompt / (float) self->max_prompt) : 2.0f;
      float ch = step->prompt > 0 ? h * step->cached / (float) step->prompt : 0.0f;
      float x = i * slot;
      GdkRGBA color, dark;

      pm_model_color (step->model, &color);
      color.alpha = step->selected ? 1.0f : 0.55f;
      dark = color;
      dark.red *= 0.6f;
      dark.green *= 0.6f;
      dark.blue *= 0.6f;

      gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (x, base - h, bar, h - ch));
      if (ch > 0)
        gtk_snapshot_append_color (snapshot, &dark, &GRAPHENE_RECT_INIT (x, base - ch, bar, ch));
      if (step->selected)
        {
          GdkRGBA mark = color;

          mark.alpha = 1.0f;
          gtk_snapshot_append_color (snapshot, &mark, &GRAPHENE_RECT_INIT (x, base + 1, bar, 3));
        }
    }
}

static void
pm_session_timeline_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 60;
      *natural = 240;
    }
  else
    {
      *minimum = 48;
      *natural = 72;
    }
}

static void
pm_session_timeline_finalize (GObject *object)
{
  PmSessionTimeline *self = PM_SESSION_TIMELINE (object);

  g_clear_pointer (&self->steps, g_array_unref);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_object (&self->log);
  g_clear_object (&self->record);
  g_free (self->session);
  g_free (self->summary);

  G_OBJECT_CLASS (pm_session_timeline_parent_class)->finalize (object);
}

static void
pm_session_timeline_class_init (PmSessionTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pm_session_timeline_finalize;
  widget_class->snapshot = pm_session_timeline_snapshot;
  widget_class->measure = pm_session_timeline_measure;
  gtk_widget_class_set_css_name (widget_class, "pmsessiontimeline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pm_session_timeline_init (PmSessionTimeline *self)
{
  self->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (self->steps, step_clear);
  self->models = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  self->summary = g_strdup ("");
}

GtkWidget *
pm_session_timeline_new (void)
{
  return g_object_new (PM_TYPE_SESSION_TIMELINE, NULL);
}
