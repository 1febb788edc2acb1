/* pm-test-utils.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "pm-test-utils.h"

const char *
pm_test_source_dir (void)
{
  const char *dir = g_getenv ("PM_SOURCE_DIR");

  return dir != NULL ? dir : ".";
}

const char *
pm_test_shared_data (void)
{
  const char *dir = g_getenv ("PM_SHARED_DATA");

  return dir != NULL ? dir : "../shared/data";
}

char *
pm_test_fixture_path (const char *name)
{
  return g_build_filename (pm_test_source_dir (), "tests", "fixtures", name, NULL);
}

static GPtrArray *tmpdirs;

static void
remove_recursive (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_recursive (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

static void
remove_tmpdirs (void)
{
  for (guint i = 0; tmpdirs != NULL && i < tmpdirs->len; i++)
    remove_recursive (g_ptr_array_index (tmpdirs, i));
  g_clear_pointer (&tmpdirs, g_ptr_array_unref);
}

char *
pm_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("pointsman-test-XXXXXX", &error);

  g_assert_no_error (error);

  if (tmpdirs == NULL)
    {
      tmpdirs = g_ptr_array_new_with_free_func (g_free);
      atexit (remove_tmpdirs);
    }
  g_ptr_array_add (tmpdirs, g_strdup (path));

  return path;
}

static gboolean
on_timeout (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
pm_test_wait_for (gboolean *flag,
                  guint     timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);

  return *flag;
}

PmTestProxy *
pm_test_proxy_start (const char *config_json,
                     const char *key,
                     PmStore    *store)
{
  g_autofree char *catalog_path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) pool = NULL;
  PmTestProxy *self = g_new0 (PmTestProxy, 1);
  GPtrArray *providers;

  self->config = pm_config_new_from_data (config_json, -1, "test-config.json", &error);
  g_assert_no_error (error);
  self->catalog = pm_catalog_new_from_file (catalog_path, &error);
  g_assert_no_error (error);
  pool = pm_config_dup_pool (self->config);
  self->router = pm_router_new (self->catalog, pm_config_get_objective (self->config),
                                (const char * const *) pool, pm_config_get_default_model (self->config));
  self->keyring = pm_keyring_new_memory ();
  providers = pm_config_get_providers (self->config);
  for (guint i = 0; i < providers->len; i++)
    {
      PmProviderConfig *provider = g_ptr_array_index (providers, i);

      g_assert_true (pm_keyring_store_sync (self->keyring, provider->id, key, NULL, &error));
      g_assert_no_error (error);
    }

  self->proxy = pm_proxy_new (self->config, self->catalog, self->router, self->keyring, store);
  g_assert_true (pm_proxy_start (self->proxy, &error));
  g_assert_no_error (error);
  self->url = pm_proxy_dup_url (self->proxy);

  return self;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
pm_test_proxy_free (PmTestProxy *self)
{
  guint tick;
  gint64 deadline;

  if (self == NULL)
    return;

  /* Connections the proxy closes let go of it from the main loop. */
  tick = g_timeout_add (10, tick_cb, NULL);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  pm_proxy_stop (self->proxy);
  while (G_OBJECT (self->proxy)->ref_count > 1 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_assert_finalize_object (self->proxy);

  g_clear_object (&self->keyring);
  g_clear_object (&self->router);
  g_clear_object (&self->catalog);
  g_clear_object (&self->config);
  g_free (self->url);
  g_free (self);
}
