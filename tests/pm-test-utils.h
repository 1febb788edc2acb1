/* pm-test-utils.h — shared helpers for the test programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-keyring.h"
#include "pm-proxy.h"
#include "pm-router.h"
#include "pm-store.h"

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

/* A started proxy and what it was made of. */
typedef struct
{
  PmConfig  *config;
  PmCatalog *catalog;     /* data/catalog.json of the source tree */
  PmRouter  *router;      /* on the config's pool, objective and default model */
  PmKeyring *keyring;     /* in memory: the key for every provider of the config */
  PmProxy   *proxy;
  char      *url;
} PmTestProxy;

/* Starts a proxy from config_json (give it "port": 0) with `key` in the keyring for each of the
 * config's providers and `store` (or NULL, no store). Asserts that each step works. */
PmTestProxy *pm_test_proxy_start  (const char  *config_json,
                                   const char  *key,
                                   PmStore     *store);
/* Stops the proxy, waits (up to 10 s) for it to let go of what it still holds, asserts that it
 * is finalized, and frees the rest. */
void         pm_test_proxy_free   (PmTestProxy *self);

G_END_DECLS
