/* pm-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-application"

#include "config.h"

#include <glib/gi18n.h>

#include "pm-application.h"

struct _PmApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (PmApplication, pm_application, ADW_TYPE_APPLICATION)

static void
pm_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (adw_application_window_new (GTK_APPLICATION (app)));
      gtk_window_set_title (window, "Pointsman");
      gtk_window_set_default_size (window, 1100, 700);
      adw_application_window_set_content (ADW_APPLICATION_WINDOW (window),
                                          adw_status_page_new ());
    }

  gtk_window_present (window);
}

static void
pm_application_class_init (PmApplicationClass *klass)
{
  G_APPLICATION_CLASS (klass)->activate = pm_application_activate;
}

static void
pm_application_init (PmApplication *self)
{
}

PmApplication *
pm_application_new (void)
{
  return g_object_new (PM_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
