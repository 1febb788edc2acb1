/* pm-cli.h — verbs of pointsman-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each verb gets argv with argv[0] = "pointsman-cli VERB" and returns the exit status. */
typedef int (*PmCliVerbFunc) (int argc, char **argv);

int pm_cli_catalog (int argc, char **argv);
int pm_cli_eval    (int argc, char **argv);
int pm_cli_explain (int argc, char **argv);
int pm_cli_keys    (int argc, char **argv);
int pm_cli_replay  (int argc, char **argv);
int pm_cli_serve   (int argc, char **argv);
int pm_cli_train   (int argc, char **argv);

G_END_DECLS
