/* pm-cli.c — pointsman-cli: the headless entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "pm-cli.h"

typedef struct
{
  const char    *name;
  PmCliVerbFunc  func;
  const char    *summary;
} PmCliVerb;

/* Verbs are added here as they are implemented (keep sorted). */
static const PmCliVerb verbs[] = {
#ifdef PM_CLI_HAVE_CATALOG
  { "catalog", pm_cli_catalog, "Show the model catalog or import prices (catalog import FILE)" },
#endif
#ifdef PM_CLI_HAVE_EVAL
  { "eval",    pm_cli_eval,    "Evaluate routing on public data (swebench, livecodebench, routerbench, transcripts)" },
#endif
#ifdef PM_CLI_HAVE_EXPLAIN
  { "explain", pm_cli_explain, "Show the decision for one request and the ranked candidates" },
#endif
#ifdef PM_CLI_HAVE_KEYS
  { "keys",    pm_cli_keys,    "Manage provider keys in the system keyring (set, list, remove)" },
#endif
#ifdef PM_CLI_HAVE_REPLAY
  { "replay",  pm_cli_replay,  "Run a recorded session through the router with a simulated clock" },
#endif
#ifdef PM_CLI_HAVE_SERVE
  { "serve",   pm_cli_serve,   "Run the routing proxy without a window" },
#endif
#ifdef PM_CLI_HAVE_TRAIN
  { "train",   pm_cli_train,   "Train the quality model on local data" },
#endif
  { NULL, NULL, NULL }
};

static void
print_usage (FILE *stream)
{
  fprintf (stream, "Usage: pointsman-cli COMMAND [OPTIONS…]\n\nCommands:\n");
  for (guint i = 0; verbs[i].name != NULL; i++)
    fprintf (stream, "  %-8s  %s\n", verbs[i].name, verbs[i].summary);
  fprintf (stream, "\nRun “pointsman-cli COMMAND --help” for a command’s options.\n");
}

int
main (int   argc,
      char *argv[])
{
  /* `serve` runs for days. GLib 2.74's GSlice keeps freed slab pages resident, so with the
   * request log turning over the proxy's RSS crept up ~0.6 kB per request while its live heap
   * stayed flat (heaptrack; docs/HARDENING.md, "Load"). GLib 2.76 dropped the slab allocator for
   * plain malloc; ask for the same here. GSlice reads G_SLICE when GLib starts, before main, so
   * the process starts itself again once with it set. */
  if (argc >= 2 && strcmp (argv[1], "serve") == 0 && getenv ("G_SLICE") == NULL)
    {
      setenv ("G_SLICE", "always-malloc", 1);
      execvp (argv[0], argv);
      /* Could not: run on with the slab allocator. */
    }

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  signal (SIGPIPE, SIG_IGN);

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      printf ("pointsman-cli %s\n", PACKAGE_VERSION);
      return 0;
    }

  for (guint i = 0; verbs[i].name != NULL; i++)
    {
      if (g_str_equal (argv[1], verbs[i].name))
        {
          g_autofree char *argv0 = g_strdup_printf ("pointsman-cli %s", verbs[i].name);
          char *saved = argv[1];
          int ret;

          argv[1] = argv0;
          ret = verbs[i].func (argc - 1, argv + 1);
          argv[1] = saved;
          return ret;
        }
    }

  fprintf (stderr, "pointsman-cli: unknown command “%s”\n\n", argv[1]);
  print_usage (stderr);
  return 2;
}
