/* main.c — the pointsman desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pointsman"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <glib/gi18n.h>

#include "pm-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PmApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  signal (SIGPIPE, SIG_IGN);

  app = pm_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
