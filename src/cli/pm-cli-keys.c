/* pm-cli-keys.c — pointsman-cli keys: provider keys in the system keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "pm-cli.h"
#include "pm-config.h"
#include "pm-keyring.h"

#define MAX_KEY_LENGTH (64 * 1024)

static void
keys_usage (FILE *stream)
{
  fprintf (stream,
           "Usage:\n"
           "  pointsman-cli keys set PROVIDER      Read a key from standard input into the keyring\n"
           "  pointsman-cli keys list [--json]     Show which providers have a key (never the key)\n"
           "  pointsman-cli keys remove PROVIDER   Delete a provider's key from the keyring\n"
           "  pointsman-cli keys status [--config FILE]\n"
           "                                       For each configured provider: where its key\n"
           "                                       comes from and whether it is there\n"
           "\n"
           "Keys are stored with libsecret (schema io.github.pointsman.Pointsman.ProviderKey,\n"
           "attribute “provider”). A provider uses its key when its \"key\" is \"keyring\" in\n"
           "config.json.\n");
}

/* Reads one key from stdin. On a terminal it prompts on stderr with echo off. */
static char *
read_key (const char *provider,
          GError    **error)
{
  g_autoptr(GString) key = g_string_new (NULL);
  gboolean tty = isatty (STDIN_FILENO);
  struct termios saved;
  gboolean restored = TRUE;
  int c;

  if (tty)
    {
      struct termios quiet;

      fprintf (stderr, "Key for %s (input is hidden): ", provider);
      fflush (stderr);
      if (tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~(ECHO);
          quiet.c_lflag |= ECHONL;
          if (tcsetattr (STDIN_FILENO, TCSANOW, &quiet) == 0)
            restored = FALSE;
        }
    }

  while ((c = getchar ()) != EOF)
    {
      if (c == '\n' && tty)
        break;
      if (key->len >= MAX_KEY_LENGTH)
        break;
      g_string_append_c (key, (char)c);
    }

  if (!restored)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);

  g_strstrip (key->str);
  key->len = strlen (key->str);

  if (key->len == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_KEYRING, "No key was given on standard input");
      return NULL;
    }
  if (strchr (key->str, '\n') != NULL || strchr (key->str, '\r') != NULL)
    {
      memset (key->str, 0, key->len);
      g_set_error (error, PM_ERROR, PM_ERROR_KEYRING,
                   "The key spans several lines; give exactly one key");
      return NULL;
    }

  return g_string_free (g_steal_pointer (&key), FALSE);
}

/* Provider ids are short names; anything that looks like a key is refused (and never echoed),
 * since the id is stored unencrypted as an attribute. */
static gboolean
valid_provider (const char *provider)
{
  if (provider == NULL || *provider == '\0' || strlen (provider) > 64)
    return FALSE;
  if (g_str_has_prefix (provider, "sk-") || g_str_has_prefix (provider, "AIza"))
    return FALSE;
  for (const char *p = provider; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return TRUE;
}

static int
keys_set (PmKeyring  *keyring,
          const char *provider)
{
  g_autoptr(GError) error = NULL;
  char *key;

  key = read_key (provider, &error);
  if (key == NULL)
    {
      fprintf (stderr, "pointsman-cli keys: %s\n", error->message);
      return 1;
    }

  if (!pm_keyring_store_sync (keyring, provider, key, NULL, &error))
    {
      memset (key, 0, strlen (key));
      g_free (key);
      fprintf (stderr, "pointsman-cli keys: %s\n", error->message);
      return 1;
    }

  memset (key, 0, strlen (key));
  g_free (key);
  printf ("Stored the key for “%s” in the keyring.\n", provider);
  return 0;
}

static int
keys_list (PmKeyring *keyring,
           gboolean   json)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) providers = NULL;

  providers = pm_keyring_list_sync (keyring, NULL, &error);
  if (error != NULL)
    {
      fprintf (stderr, "pointsman-cli keys: %s\n", error->message);
      return 1;
    }

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; providers[i] != NULL; i++)
        json_builder_add_string_value (builder, providers[i]);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
      return 0;
    }

  if (providers[0] == NULL)
    {
      fprintf (stderr, "No provider keys are stored in the keyring.\n");
      return 0;
    }

  for (guint i = 0; providers[i] != NULL; i++)
    printf ("%s\n", providers[i]);

  return 0;
}

static int
keys_remove (PmKeyring  *keyring,
             const char *provider)
{
  g_autoptr(GError) error = NULL;

  if (!pm_keyring_remove_sync (keyring, provider, NULL, &error))
    {
      fprintf (stderr, "pointsman-cli keys: %s\n", error->message);
      return 1;
    }

  printf ("Removed the key for “%s” from the keyring.\n", provider);
  return 0;
}

static int
keys_status (PmKeyring  *keyring,
             const char *config_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmConfig) config = NULL;
  g_auto(GStrv) stored = NULL;
  g_autofree char *default_path = NULL;
  g_autoptr(GError) keyring_error = NULL;
  GPtrArray *providers;
  int missing = 0;

  if (config_path == NULL)
    {
      config_path = default_path = pm_config_default_path ();
      /* Before the first run there is no file yet: report on the defaults the first run will
       * write, without writing them (status only reads). */
      if (!g_file_test (config_path, G_FILE_TEST_EXISTS))
        {
          config = pm_config_new_default ();
          fprintf (stderr, "No configuration at %s yet: showing the defaults the first run writes.\n",
                   config_path);
        }
    }
  if (config == NULL)
    config = pm_config_load (config_path, FALSE, &error);
  if (config == NULL)
    {
      fprintf (stderr, "pointsman-cli keys: %s\n", error->message);
      return 1;
    }

  stored = pm_keyring_list_sync (keyring, NULL, &keyring_error);
  providers = pm_config_get_providers (config);
  if (providers->len == 0)
    fprintf (stderr, "No providers are configured in %s.\n", config_path);

  for (guint i = 0; i < providers->len; i++)
    {
      PmProviderConfig *provider = g_ptr_array_index (providers, i);
      g_autofree char *state = NULL;

      if (g_str_equal (provider->key, "none"))
        state = g_strdup ("no key needed");
      else if (g_str_has_prefix (provider->key, "env:"))
        {
          const char *value = g_getenv (provider->key + 4);

          state = g_strdup (value != NULL && *value != '\0' ? "set" : "missing: the variable is not set");
        }
      else if (keyring_error != NULL)
        state = g_strdup ("unknown: the keyring is unavailable");
      else if (g_strv_contains ((const char * const *)stored, provider->id))
        state = g_strdup ("stored");
      else
        state = g_strdup_printf ("missing: run “pointsman-cli keys set %s”", provider->id);

      if (g_str_has_prefix (state, "missing") || g_str_has_prefix (state, "unknown"))
        missing++;
      printf ("%-16s %-24s %s\n", provider->id, provider->key, state);
    }

  if (keyring_error != NULL)
    fprintf (stderr, "pointsman-cli keys: %s\n", keyring_error->message);

  return missing > 0 ? 1 : 0;
}

int
pm_cli_keys (int    argc,
             char **argv)
{
  g_autoptr(PmKeyring) keyring = NULL;
  const char *command;
  gboolean json = FALSE;

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      keys_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }

  command = argv[1];
  keyring = pm_keyring_new ();

  if (g_str_equal (command, "list"))
    {
      for (int i = 2; i < argc; i++)
        {
          if (g_str_equal (argv[i], "--json"))
            json = TRUE;
          else
            {
              fprintf (stderr, "pointsman-cli keys list: unknown option “%s”\n", argv[i]);
              return 2;
            }
        }
      return keys_list (keyring, json);
    }

  if (g_str_equal (command, "status"))
    {
      const char *config_path = NULL;

      for (int i = 2; i < argc; i++)
        {
          if (g_str_equal (argv[i], "--config") && i + 1 < argc)
            config_path = argv[++i];
          else
            {
              fprintf (stderr, "pointsman-cli keys status: unknown option “%s”\n", argv[i]);
              return 2;
            }
        }
      return keys_status (keyring, config_path);
    }

  if (g_str_equal (command, "set") || g_str_equal (command, "remove"))
    {
      if (argc != 3)
        {
          fprintf (stderr, "pointsman-cli keys %s: expected exactly one PROVIDER\n", command);
          return 2;
        }
      if (!valid_provider (argv[2]))
        {
          /* Not echoed: it may be a key pasted in the wrong place. */
          fprintf (stderr, "pointsman-cli keys %s: that is not a provider id (a short name of "
                   "letters, digits, '-', '_' and '.', e.g. “anthropic”; the key itself is read "
                   "from standard input)\n", command);
          return 2;
        }
      if (g_str_equal (command, "set"))
        return keys_set (keyring, argv[2]);
      return keys_remove (keyring, argv[2]);
    }

  fprintf (stderr, "pointsman-cli keys: unknown command “%s”\n\n", command);
  keys_usage (stderr);
  return 2;
}
