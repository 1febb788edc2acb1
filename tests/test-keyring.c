/* test-keyring.c — provider keys: the in-memory double, the real Secret Service
 * (gnome-keyring, unlocked by build-aux/test.sh) and `pointsman-cli keys` end to end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "pm-keyring.h"
#include "pm-test-utils.h"

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} AsyncWait;

static void
async_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncWait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static GAsyncResult *
wait_result (AsyncWait *wait)
{
  g_assert_true (pm_test_wait_for (&wait->done, 30000));
  return wait->result;
}

/* ------------------------------------------------------------------------------------------ */
/* Behaviour both implementations share; run on the double and on the real keyring. */

static void
exercise_keyring (PmKeyring  *keyring,
                  const char *provider,
                  const char *other)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = g_strdup_printf ("test-key-not-real-%08x", g_random_int ());
  g_autofree char *secret2 = g_strdup_printf ("test-key-not-real-%08x-second", g_random_int ());
  g_autofree char *found = NULL;
  g_auto(GStrv) list = NULL;

  /* Nothing yet: NULL without an error. */
  found = pm_keyring_lookup_sync (keyring, provider, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (found);

  g_assert_true (pm_keyring_store_sync (keyring, provider, secret, NULL, &error));
  g_assert_no_error (error);
  found = pm_keyring_lookup_sync (keyring, provider, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, secret);
  g_clear_pointer (&found, g_free);

  /* Storing again replaces. */
  g_assert_true (pm_keyring_store_sync (keyring, provider, secret2, NULL, &error));
  g_assert_no_error (error);
  found = pm_keyring_lookup_sync (keyring, provider, NULL, &error);
  g_assert_cmpstr (found, ==, secret2);
  g_clear_pointer (&found, g_free);

  /* Another provider is separate. */
  g_assert_true (pm_keyring_store_sync (keyring, other, secret, NULL, &error));
  g_assert_no_error (error);

  list = pm_keyring_list_sync (keyring, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *)list, provider));
  g_assert_true (g_strv_contains ((const char * const *)list, other));
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_assert_null (strstr (list[i], "test-key-not-real"));
      /* each provider once */
      for (guint j = i + 1; list[j] != NULL; j++)
        g_assert_cmpstr (list[i], !=, list[j]);
    }
  g_clear_pointer (&list, g_strfreev);

  /* Async: lookup, list, remove. */
  {
    AsyncWait wait = { 0 };

    pm_keyring_lookup_async (keyring, provider, NULL, async_done, &wait);
    found = pm_keyring_lookup_finish (keyring, wait_result (&wait), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (found, ==, secret2);
    g_clear_pointer (&found, g_free);
    g_clear_object (&wait.result);
  }
  {
    AsyncWait wait = { 0 };

    pm_keyring_remove_async (keyring, other, NULL, async_done, &wait);
    g_assert_true (pm_keyring_remove_finish (keyring, wait_result (&wait), &error));
    g_assert_no_error (error);
    g_clear_object (&wait.result);
  }
  {
    AsyncWait wait = { 0 };

    pm_keyring_list_async (keyring, NULL, async_done, &wait);
    list = pm_keyring_list_finish (keyring, wait_result (&wait), &error);
    g_assert_no_error (error);
    g_assert_true (g_strv_contains ((const char * const *)list, provider));
    g_assert_false (g_strv_contains ((const char * const *)list, other));
    g_clear_pointer (&list, g_strfreev);
    g_clear_object (&wait.result);
  }
  {
    AsyncWait wait = { 0 };

    pm_keyring_store_async (keyring, other, secret, NULL, async_done, &wait);
    g_assert_true (pm_keyring_store_finish (keyring, wait_result (&wait), &error));
    g_assert_no_error (error);
    g_clear_object (&wait.result);
    found = pm_keyring_lookup_sync (keyring, other, NULL, &error);
    g_assert_cmpstr (found, ==, secret);
    g_clear_pointer (&found, g_free);
  }

  /* resolve: "keyring" finds it; the error for a missing one names the provider and the fix. */
  found = pm_keyring_resolve_sync (keyring, provider, "keyring", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, secret2);
  g_clear_pointer (&found, g_free);
  {
    AsyncWait wait = { 0 };

    pm_keyring_resolve_async (keyring, provider, "keyring", NULL, async_done, &wait);
    found = pm_keyring_resolve_finish (keyring, wait_result (&wait), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (found, ==, secret2);
    g_clear_pointer (&found, g_free);
    g_clear_object (&wait.result);
  }

  /* Remove both; removing again is an error that never contains the key. */
  g_assert_true (pm_keyring_remove_sync (keyring, provider, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pm_keyring_remove_sync (keyring, other, NULL, &error));
  g_assert_no_error (error);
  found = pm_keyring_lookup_sync (keyring, provider, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (found);

  g_assert_false (pm_keyring_remove_sync (keyring, provider, NULL, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, provider));
  g_clear_error (&error);

  found = pm_keyring_resolve_sync (keyring, provider, "keyring", NULL, &error);
  g_assert_null (found);
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "pointsman-cli keys set"));
  g_assert_null (strstr (error->message, "test-key-not-real"));
  g_clear_error (&error);

  /* Bad arguments */
  g_assert_false (pm_keyring_store_sync (keyring, provider, "", NULL, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_clear_error (&error);
  g_assert_false (pm_keyring_store_sync (keyring, "", secret, NULL, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_null (strstr (error->message, "test-key-not-real"));
  g_clear_error (&error);

  list = pm_keyring_list_sync (keyring, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_strv_contains ((const char * const *)list, provider));
  g_assert_false (g_strv_contains ((const char * const *)list, other));
}

static void
test_memory (void)
{
  g_autoptr(PmKeyring) keyring = pm_keyring_new_memory ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = NULL;

  g_assert_true (pm_keyring_is_memory (keyring));
  exercise_keyring (keyring, "anthropic", "openai");

  list = pm_keyring_list_sync (keyring, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 0);

  /* Two doubles do not share keys. */
  {
    g_autoptr(PmKeyring) other = pm_keyring_new_memory ();
    g_autofree char *found = NULL;

    g_assert_true (pm_keyring_store_sync (keyring, "a", "test-key-not-real-1234", NULL, &error));
    found = pm_keyring_lookup_sync (other, "a", NULL, &error);
    g_assert_no_error (error);
    g_assert_null (found);
  }

  g_assert_finalize_object (g_steal_pointer (&keyring));
}

static void
test_cancel (void)
{
  g_autoptr(PmKeyring) keyring = pm_keyring_new_memory ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  AsyncWait wait = { 0 };

  g_assert_true (pm_keyring_store_sync (keyring, "a", "test-key-not-real-1234", NULL, &error));

  /* Cancelled before it completes (the double answers from an idle). */
  pm_keyring_lookup_async (keyring, "a", cancellable, async_done, &wait);
  g_cancellable_cancel (cancellable);
  found = pm_keyring_lookup_finish (keyring, wait_result (&wait), &error);
  g_assert_null (found);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&wait.result);
  g_clear_error (&error);

  found = pm_keyring_lookup_sync (keyring, "a", cancellable, &error);
  g_assert_null (found);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_resolve_sources (void)
{
  g_autoptr(PmKeyring) keyring = pm_keyring_new_memory ();
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  AsyncWait wait = { 0 };

  found = pm_keyring_resolve_sync (keyring, "openai", "env:PM_TEST_KEY_VAR", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "test-key-not-real-env");
  g_clear_pointer (&found, g_free);

  pm_keyring_resolve_async (keyring, "openai", "env:PM_TEST_KEY_VAR", NULL, async_done, &wait);
  found = pm_keyring_resolve_finish (keyring, wait_result (&wait), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "test-key-not-real-env");
  g_clear_pointer (&found, g_free);
  g_clear_object (&wait.result);

  found = pm_keyring_resolve_sync (keyring, "openai", "env:PM_TEST_KEY_VAR_UNSET", NULL, &error);
  g_assert_null (found);
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "PM_TEST_KEY_VAR_UNSET"));
  g_clear_error (&error);

  found = pm_keyring_resolve_sync (keyring, "local", "none", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "");
  g_clear_pointer (&found, g_free);

  found = pm_keyring_resolve_sync (keyring, "x", "sk-test-key-not-real-1234", NULL, &error);
  g_assert_null (found);
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_null (strstr (error->message, "test-key-not-real"));
}

/* ------------------------------------------------------------------------------------------ */
/* The real Secret Service */

static gboolean
secret_service_reachable (char **reason)
{
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      /* Without a session bus GDBus would try to autolaunch one (and a keyring prompt). */
      *reason = g_strdup ("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset); run under "
                          "build-aux/test.sh for the real keyring");
      return FALSE;
    }

  keyring = pm_keyring_new ();
  pm_keyring_set_timeout (keyring, 10);
  list = pm_keyring_list_sync (keyring, NULL, &error);
  if (error != NULL)
    {
      *reason = g_strdup_printf ("no usable Secret Service: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean have_secret_service;
static char *skip_reason;

static void
test_real (void)
{
  g_autoptr(PmKeyring) keyring = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *other = NULL;

  if (!have_secret_service)
    {
      g_test_skip (skip_reason);
      return;
    }

  keyring = pm_keyring_new ();
  g_assert_false (pm_keyring_is_memory (keyring));
  provider = g_strdup_printf ("pm-test-%d-a", (int)getpid ());
  other = g_strdup_printf ("pm-test-%d-b", (int)getpid ());
  exercise_keyring (keyring, provider, other);
}

/* The key is stored under our schema, as the secret and never in attributes or the label. */
static void
test_real_storage (void)
{
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *direct = NULL;
  GList *items;
  guint count = 0;

  if (!have_secret_service)
    {
      g_test_skip (skip_reason);
      return;
    }

  keyring = pm_keyring_new ();
  provider = g_strdup_printf ("pm-test-%d-storage", (int)getpid ());
  secret = g_strdup_printf ("test-key-not-real-%08x", g_random_int ());
  g_assert_true (pm_keyring_store_sync (keyring, provider, secret, NULL, &error));
  g_assert_no_error (error);

  /* libsecret directly, by schema name and attribute */
  direct = secret_password_lookup_sync (pm_keyring_get_schema (), NULL, &error,
                                        "provider", provider, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (direct, ==, secret);
  g_assert_cmpstr (pm_keyring_get_schema ()->name, ==, "io.github.pointsman.Pointsman.ProviderKey");

  items = secret_password_search_sync (pm_keyring_get_schema (), SECRET_SEARCH_ALL, NULL, &error,
                                       "provider", provider, NULL);
  g_assert_no_error (error);
  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      g_autofree char *label = secret_retrievable_get_label (l->data);
      GHashTableIter iter;
      gpointer key, value;

      g_assert_null (strstr (label, secret));
      g_assert_nonnull (strstr (label, provider));
      g_hash_table_iter_init (&iter, attributes);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_assert_null (strstr (key, "test-key-not-real"));
          g_assert_null (strstr (value, "test-key-not-real"));
        }
      count++;
    }
  g_list_free_full (items, g_object_unref);
  g_assert_cmpuint (count, ==, 1);

  /* Storing again replaces the item instead of adding one. */
  g_assert_true (pm_keyring_store_sync (keyring, provider, "test-key-not-real-replaced", NULL, &error));
  items = secret_password_search_sync (pm_keyring_get_schema (), SECRET_SEARCH_ALL, NULL, &error,
                                       "provider", provider, NULL);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_list_free_full (items, g_object_unref);

  g_assert_true (pm_keyring_remove_sync (keyring, provider, NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------------------------ */
/* pointsman-cli keys, as a subprocess */

static char *
cli_path (void)
{
  const char *build = g_getenv ("PM_BUILD_DIR");

  g_assert_nonnull (build);
  return g_build_filename (build, "src", "cli", "pointsman-cli", NULL);
}

static int
run_cli (const char  *stdin_text,
         char       **out,
         char       **err,
         GStrv        env,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, cli_path ());
  va_start (args, env);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* Standard input comes from a file, not a pipe: a command that exits without reading it (an
   * error, `keys list`) must not turn into EPIPE/SIGPIPE in the test. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  {
    g_autofree char *dir = pm_test_make_tmpdir ();
    g_autofree char *input = g_build_filename (dir, "stdin", NULL);

    g_file_set_contents (input, stdin_text ? stdin_text : "", -1, &error);
    g_assert_no_error (error);
    g_subprocess_launcher_set_stdin_file_path (launcher, input);
  }
  if (env != NULL)
    g_subprocess_launcher_set_environ (launcher, env);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_cli_keys (void)
{
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *provider = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *input = NULL;
  g_autofree char *found = NULL;
  char *out = NULL;
  char *err = NULL;
  gboolean listed = FALSE;
  JsonArray *array;

  if (!have_secret_service)
    {
      g_test_skip (skip_reason);
      return;
    }

  keyring = pm_keyring_new ();
  provider = g_strdup_printf ("pm-test-%d-cli", (int)getpid ());
  secret = g_strdup_printf ("test-key-not-real-%08x", g_random_int ());
  input = g_strdup_printf ("%s\n", secret);

  /* set: from a pipe, trailing newline trimmed */
  g_assert_cmpint (run_cli (input, &out, &err, NULL, "keys", "set", provider, NULL), ==, 0);
  g_assert_null (strstr (out, secret));
  g_assert_null (strstr (err, secret));
  g_assert_nonnull (strstr (out, provider));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  found = pm_keyring_lookup_sync (keyring, provider, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, secret);

  /* list: the provider, never the key */
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "keys", "list", NULL), ==, 0);
  g_assert_null (strstr (out, secret));
  g_assert_null (strstr (err, secret));
  g_assert_null (strstr (out, "test-key-not-real"));
  {
    g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      listed = listed || g_str_equal (lines[i], provider);
  }
  g_assert_true (listed);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "keys", "list", "--json", NULL), ==, 0);
  g_assert_null (strstr (out, secret));
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  listed = FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    listed = listed || g_str_equal (json_array_get_string_element (array, i), provider);
  g_assert_true (listed);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* remove, then it is gone, and removing again fails */
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "keys", "remove", provider, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&found, g_free);
  found = pm_keyring_lookup_sync (keyring, provider, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (found);

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "keys", "remove", provider, NULL), ==, 1);
  g_assert_nonnull (strstr (err, provider));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* status: each configured provider, its key source and whether the key is there */
  {
    g_autofree char *dir = pm_test_make_tmpdir ();
    g_autofree char *config = g_build_filename (dir, "config.json", NULL);
    g_autofree char *json = g_strdup_printf (
      "{\"providers\": ["
      " {\"id\": \"%s\", \"preset\": \"anthropic\"},"
      " {\"id\": \"%s-missing\", \"preset\": \"anthropic\"},"
      " {\"id\": \"viaenv\", \"preset\": \"openai\", \"key\": \"env:PM_TEST_STATUS_KEY\"},"
      " {\"id\": \"local\", \"preset\": \"ollama\"}]}", provider, provider);
    g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "PM_TEST_STATUS_KEY", secret, TRUE);
    g_auto(GStrv) lines = NULL;

    g_assert_true (g_file_set_contents (config, json, -1, NULL));
    g_assert_true (pm_keyring_store_sync (keyring, provider, secret, NULL, &error));
    g_assert_no_error (error);

    /* one provider lacks its key: exit 1 */
    g_assert_cmpint (run_cli (NULL, &out, &err, env, "keys", "status", "--config", config, NULL), ==, 1);
    g_test_message ("%s", out);
    g_assert_null (strstr (out, secret));
    g_assert_null (strstr (err, secret));
    lines = g_strsplit (out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 5);
    g_assert_true (g_str_has_prefix (lines[0], provider));
    g_assert_true (g_str_has_suffix (lines[0], "stored"));
    g_assert_nonnull (strstr (lines[1], "missing: run"));
    g_assert_true (g_str_has_suffix (lines[2], "set"));
    g_assert_true (g_str_has_suffix (lines[3], "no key needed"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);

    g_assert_true (pm_keyring_remove_sync (keyring, provider, NULL, &error));
    g_assert_no_error (error);
  }

  /* empty input: refused */
  g_assert_cmpint (run_cli ("\n", &out, &err, NULL, "keys", "set", provider, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "No key"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
}

/* Usage errors and the key-as-argument mistake need no keyring. */
static void
test_cli_keys_usage (void)
{
  char *out = NULL;
  char *err = NULL;

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "keys", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "keys set PROVIDER"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "keys", "frobnicate", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "keys", "set", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A key pasted as the provider id is refused and not echoed. */
  g_assert_cmpint (run_cli ("x\n", &out, &err, NULL, "keys", "set", "sk-ant-test-key-not-real-1234", NULL), ==, 2);
  g_assert_null (strstr (err, "test-key-not-real"));
  g_assert_null (strstr (out, "test-key-not-real"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli ("x\n", &out, &err, NULL, "keys", "set", "bad/provider", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
}

/* Where no Secret Service answers the CLI says so clearly (and does not hang). */
static void
test_cli_no_secret_service (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-bus", dir);
  g_auto(GStrv) env = g_get_environ ();
  char *out = NULL;
  char *err = NULL;

  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_setenv (env, "PM_KEYRING_TIMEOUT", "10", TRUE);

  g_assert_cmpint (run_cli (NULL, &out, &err, env, "keys", "list", NULL), ==, 1);
  g_test_message ("stderr: %s", err);
  g_assert_nonnull (strstr (err, "No Secret Service keyring is reachable"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli ("test-key-not-real-1234\n", &out, &err, env, "keys", "set", "anthropic", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "No Secret Service keyring is reachable"));
  g_assert_null (strstr (err, "test-key-not-real"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
}

/* A Secret Service that never answers (a keyring waiting on a prompt nobody sees) must not hang
 * callers: every operation fails with the timeout error instead. Runs on a private bus
 * (GTestDBus) in a subprocess, so the real keyring of the session is not involved. */
static void
silent_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  GPtrArray *held = user_data;

  /* Never reply. */
  g_ptr_array_add (held, g_object_ref (invocation));
}

static void
test_silent_service (void)
{
  static const char introspection[] =
    "<node><interface name='org.freedesktop.Secret.Service'>"
    "<method name='OpenSession'><arg type='s' direction='in'/><arg type='v' direction='in'/>"
    "<arg type='v' direction='out'/><arg type='o' direction='out'/></method>"
    "<method name='SearchItems'><arg type='a{ss}' direction='in'/>"
    "<arg type='ao' direction='out'/><arg type='ao' direction='out'/></method>"
    "</interface></node>";
  static const GDBusInterfaceVTable vtable = { silent_method_call, NULL, NULL };
  g_autoptr(GTestDBus) bus = NULL;
  g_autoptr(GDBusConnection) owner = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GPtrArray) held = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = NULL;
  g_autofree char *found = NULL;
  AsyncWait wait = { 0 };

  if (!g_test_subprocess ())
    {
      g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");

      if (dbus_daemon == NULL)
        {
          g_test_skip ("dbus-daemon is not installed");
          return;
        }
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  held = g_ptr_array_new_with_free_func (g_object_unref);
  owner = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                  NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (introspection, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (owner, "/org/freedesktop/secrets", info->interfaces[0],
                                     &vtable, held, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (owner, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.secrets", 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);

  keyring = pm_keyring_new ();
  pm_keyring_set_timeout (keyring, 2);

  list = pm_keyring_list_sync (keyring, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "did not answer"));
  g_clear_error (&error);

  /* Async, with the main context running (the silent service is served from it too). */
  pm_keyring_lookup_async (keyring, "anthropic", NULL, async_done, &wait);
  found = pm_keyring_lookup_finish (keyring, wait_result (&wait), &error);
  g_assert_null (found);
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "did not answer"));
  g_clear_object (&wait.result);
  g_clear_error (&error);

  g_assert_false (pm_keyring_store_sync (keyring, "anthropic", "test-key-not-real-1234", NULL, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_KEYRING);
  g_assert_null (strstr (error->message, "test-key-not-real"));
  g_clear_error (&error);

  g_clear_object (&keyring);
  g_dbus_connection_close_sync (owner, NULL, NULL);
  g_test_dbus_down (bus);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  /* Environment first: setenv is not thread-safe once GDBus has started its thread. */
  g_setenv ("PM_TEST_KEY_VAR", "test-key-not-real-env", TRUE);
  g_unsetenv ("PM_TEST_KEY_VAR_UNSET");
  /* Subprocesses (silent-service) bring their own private bus: do not connect to the session's
   * first, or libsecret would keep using it. */
  if (!g_test_subprocess ())
    have_secret_service = secret_service_reachable (&skip_reason);

  g_test_add_func ("/pm/keyring/memory", test_memory);
  g_test_add_func ("/pm/keyring/cancel", test_cancel);
  g_test_add_func ("/pm/keyring/resolve-sources", test_resolve_sources);
  g_test_add_func ("/pm/keyring/real", test_real);
  g_test_add_func ("/pm/keyring/real-storage", test_real_storage);
  g_test_add_func ("/pm/keyring/cli-keys", test_cli_keys);
  g_test_add_func ("/pm/keyring/cli-keys-usage", test_cli_keys_usage);
  g_test_add_func ("/pm/keyring/cli-no-secret-service", test_cli_no_secret_service);
  g_test_add_func ("/pm/keyring/silent-service", test_silent_service);

  ret = g_test_run ();
  g_free (skip_reason);
  return ret;
}
