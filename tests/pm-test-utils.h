/* pm-test-utils.h — shared helpers for the test programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The source tree (PM_SOURCE_DIR) and ../shared/data (PM_SHARED_DATA). */
const char *pm_test_source_dir    (void);
const char *pm_test_shared_data   (void);
/* Path to a file under tests/fixtures. */
char       *pm_test_fixture_path  (const char *name);
/* A fresh temporary directory, removed at exit. */
char       *pm_test_make_tmpdir   (void);
/* Iterate the default main context until *flag is TRUE or timeout_ms passed. Returns *flag. */
gboolean    pm_test_wait_for      (gboolean   *flag,
                                   guint       timeout_ms);

G_END_DECLS
