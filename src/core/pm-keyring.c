/* pm-keyring.c — provider keys in the system keyring (libsecret), or in memory for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-keyring"

#include "config.h"

#include <string.h>
#include <libsecret/secret.h>

#include "pm-keyring.h"

/* How long one keyring operation may take before it is cancelled: an unlock prompt nobody can
 * answer (no display, or a dialog the user ignores) must never hang a caller. */
#define DEFAULT_TIMEOUT_SECONDS 25

struct _PmKeyring
{
  GObject     parent_instance;

  GHashTable *memory;          /* provider → secret; NULL for the Secret Service */
  guint       timeout_seconds;
};

G_DEFINE_FINAL_TYPE (PmKeyring, pm_keyring, G_TYPE_OBJECT)

typedef enum
{
  OP_LOOKUP,
  OP_STORE,
  OP_REMOVE,
  OP_LIST,
} Op;

typedef struct
{
  Op            op;
  char         *provider;
  char         *secret;
  GCancellable *cancellable;    /* ours: the caller's, chained, plus the timeout */
  gulong        chained_id;
  GCancellable *caller;
  GSource      *timeout;
  gboolean      timed_out;
  guint         list_tries;     /* OP_LIST: searches made */
} OpData;

const SecretSchema *
pm_keyring_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.pointsman.Pointsman.ProviderKey", SECRET_SCHEMA_NONE,
    {
      { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

static void
secret_clear (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

static void
op_data_free (OpData *data)
{
  if (data->timeout != NULL)
    {
      g_source_destroy (data->timeout);
      g_source_unref (data->timeout);
    }
  if (data->caller != NULL && data->chained_id != 0)
    g_cancellable_disconnect (data->caller, data->chained_id);
  g_clear_object (&data->caller);
  g_clear_object (&data->cancellable);
  g_free (data->provider);
  secret_clear (data->secret);
  g_free (data);
}

static void
pm_keyring_finalize (GObject *object)
{
  PmKeyring *self = (PmKeyring *)object;

  g_clear_pointer (&self->memory, g_hash_table_unref);

  G_OBJECT_CLASS (pm_keyring_parent_class)->finalize (object);
}

static void
pm_keyring_class_init (PmKeyringClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pm_keyring_finalize;
}

static void
pm_keyring_init (PmKeyring *self)
{
  const char *env = g_getenv ("PM_KEYRING_TIMEOUT");

  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
  if (env != NULL && g_ascii_strtoull (env, NULL, 10) > 0)
    self->timeout_seconds = (guint)g_ascii_strtoull (env, NULL, 10);
}

PmKeyring *
pm_keyring_new (void)
{
  return g_object_new (PM_TYPE_KEYRING, NULL);
}

PmKeyring *
pm_keyring_new_memory (void)
{
  PmKeyring *self = g_object_new (PM_TYPE_KEYRING, NULL);

  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)secret_clear);
  return self;
}

gboolean
pm_keyring_is_memory (PmKeyring *self)
{
  g_return_val_if_fail (PM_IS_KEYRING (self), FALSE);

  return self->memory != NULL;
}

void
pm_keyring_set_timeout (PmKeyring *self,
                        guint      seconds)
{
  g_return_if_fail (PM_IS_KEYRING (self));

  self->timeout_seconds = seconds > 0 ? seconds : DEFAULT_TIMEOUT_SECONDS;
}

static gboolean
check_provider (const char  *provider,
                GError     **error)
{
  if (provider == NULL || *provider == '\0')
    {
      g_set_error (error, PM_ERROR, PM_ERROR_KEYRING, "No provider id given");
      return FALSE;
    }
  return TRUE;
}

/* Turn libsecret/D-Bus failures into one clear PM_ERROR_KEYRING message. */
static GError *
translate_error (GError   *error,
                 gboolean  timed_out,
                 guint     timeout_seconds)
{
  GError *result;

  if (timed_out)
    result = g_error_new (PM_ERROR, PM_ERROR_KEYRING,
                          "The keyring did not answer within %u s (is it locked and waiting for a "
                          "password prompt?)", timeout_seconds);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    result = g_error_copy (error);
  else if (error->domain == G_IO_ERROR ||
           error->domain == G_SPAWN_ERROR ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_SERVER) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_FAILED))
    result = g_error_new (PM_ERROR, PM_ERROR_KEYRING,
                          "No Secret Service keyring is reachable (start gnome-keyring or another "
                          "Secret Service on the session D-Bus, or use key \"env:NAME\"): %s",
                          error->message);
  else if (error->domain == G_DBUS_ERROR)
    result = g_error_new (PM_ERROR, PM_ERROR_KEYRING,
                          "The keyring's default collection is not available (locked, or never "
                          "created and no password prompt can be shown; unlock it, or use key "
                          "\"env:NAME\"): %s", error->message);
  else
    result = g_error_new (PM_ERROR, PM_ERROR_KEYRING, "Keyring error: %s", error->message);

  g_error_free (error);
  return result;
}

static void
chained_cancel (GCancellable *caller,
                GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

static gboolean
op_timeout_cb (gpointer user_data)
{
  OpData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->cancellable);
  return G_SOURCE_REMOVE;
}

static GTask *
op_task_new (PmKeyring           *self,
             Op                   op,
             const char          *provider,
             const char          *secret,
             GCancellable        *cancellable,
             gpointer             source_tag,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  OpData *data = g_new0 (OpData, 1);

  g_task_set_source_tag (task, source_tag);
  data->op = op;
  data->provider = g_strdup (provider);
  data->secret = g_strdup (secret);
  data->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      data->caller = g_object_ref (cancellable);
      data->chained_id = g_cancellable_connect (cancellable, G_CALLBACK (chained_cancel),
                                                g_object_ref (data->cancellable), g_object_unref);
    }
  if (self->memory == NULL)
    {
      data->timeout = g_timeout_source_new_seconds (self->timeout_seconds);
      g_source_set_callback (data->timeout, op_timeout_cb, data, NULL);
      g_source_attach (data->timeout, g_main_context_get_thread_default ());
    }
  g_task_set_task_data (task, data, (GDestroyNotify)op_data_free);

  return task;
}

static void
return_error (GTask  *task,
              GError *error)
{
  PmKeyring *self = g_task_get_source_object (task);
  OpData *data = g_task_get_task_data (task);

  g_task_return_error (task, translate_error (error, data->timed_out, self->timeout_seconds));
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret;

  secret = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    return_error (task, error);
  else
    g_task_return_pointer (task, secret, (GDestroyNotify)secret_password_free);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
remove_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!secret_password_clear_finish (result, &error))
    {
      if (error != NULL)
        return_error (task, error);
      else
        g_task_return_new_error (task, PM_ERROR, PM_ERROR_KEYRING,
                                 "No key is stored for provider “%s”", data->provider);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

#define LIST_TRIES 3

static gboolean
item_vanished (const GError *error)
{
  g_autofree char *remote = NULL;

  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT))
    return TRUE;
  remote = g_dbus_error_get_remote_error (error);
  return g_strcmp0 (remote, "org.freedesktop.Secret.Error.NoSuchObject") == 0 ||
         g_strcmp0 (remote, "org.freedesktop.DBus.Error.UnknownObject") == 0;
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  OpData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GList *items;

  items = secret_password_search_finish (result, &error);
  if (error != NULL && item_vanished (error) && data->list_tries < LIST_TRIES)
    {
      /* A key removed (by another program, or the user in Seahorse) between the search and
       * the reading of its item fails the whole search: search again. */
      g_error_free (error);
      data->list_tries++;
      secret_password_search (pm_keyring_get_schema (), SECRET_SEARCH_ALL, data->cancellable,
                              list_cb, g_steal_pointer (&task), NULL);
      return;
    }
  if (error != NULL)
    {
      return_error (task, error);
      return;
    }

  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      const char *provider = attributes ? g_hash_table_lookup (attributes, "provider") : NULL;
      gboolean seen = FALSE;

      if (provider == NULL)
        continue;
      for (guint i = 0; i < names->len; i++)
        seen = seen || g_str_equal (g_ptr_array_index (names, i), provider);
      if (!seen)
        g_ptr_array_add (names, g_strdup (provider));
    }
  g_list_free_full (items, g_object_unref);

  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  g_task_return_pointer (task, g_ptr_array_steal (names, NULL), (GDestroyNotify)g_strfreev);
}

/* The in-memory double answers from an idle callback, like a real asynchronous call would. */
static gboolean
memory_complete (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PmKeyring *self = g_task_get_source_object (task);
  OpData *data = g_task_get_task_data (task);

  if (g_cancellable_is_cancelled (data->cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
      return G_SOURCE_REMOVE;
    }

  switch (data->op)
    {
    case OP_LOOKUP:
      g_task_return_pointer (task, g_strdup (g_hash_table_lookup (self->memory, data->provider)),
                             (GDestroyNotify)secret_clear);
      break;

    case OP_STORE:
      g_hash_table_replace (self->memory, g_strdup (data->provider), g_strdup (data->secret));
      g_task_return_boolean (task, TRUE);
      break;

    case OP_REMOVE:
      if (g_hash_table_remove (self->memory, data->provider))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_new_error (task, PM_ERROR, PM_ERROR_KEYRING,
                                 "No key is stored for provider “%s”", data->provider);
      break;

    case OP_LIST:
      {
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
        GHashTableIter iter;
        gpointer key;

        g_hash_table_iter_init (&iter, self->memory);
        while (g_hash_table_iter_next (&iter, &key, NULL))
          g_ptr_array_add (names, g_strdup (key));
        g_ptr_array_sort (names, compare_strings);
        g_ptr_array_add (names, NULL);
        g_task_return_pointer (task, g_ptr_array_steal (names, NULL), (GDestroyNotify)g_strfreev);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return G_SOURCE_REMOVE;
}

static void
op_start (GTask *task)
{
  PmKeyring *self = g_task_get_source_object (task);
  OpData *data = g_task_get_task_data (task);
  g_autofree char *label = NULL;

  if (self->memory != NULL)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, memory_complete, task, NULL);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
      return;
    }

  switch (data->op)
    {
    case OP_LOOKUP:
      secret_password_lookup (pm_keyring_get_schema (), data->cancellable, lookup_cb, task,
                              "provider", data->provider, NULL);
      break;

    case OP_STORE:
      label = g_strdup_printf ("Pointsman: API key for %s", data->provider);
      secret_password_store (pm_keyring_get_schema (), SECRET_COLLECTION_DEFAULT, label,
                             data->secret, data->cancellable, store_cb, task,
                             "provider", data->provider, NULL);
      break;

    case OP_REMOVE:
      secret_password_clear (pm_keyring_get_schema (), data->cancellable, remove_cb, task,
                             "provider", data->provider, NULL);
      break;

    case OP_LIST:
      secret_password_search (pm_keyring_get_schema (), SECRET_SEARCH_ALL, data->cancellable,
                              list_cb, task, NULL);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Async API */

void
pm_keyring_lookup_async (PmKeyring           *self,
                         const char          *provider,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;
  GError *error = NULL;

  g_return_if_fail (PM_IS_KEYRING (self));

  task = op_task_new (self, OP_LOOKUP, provider, NULL, cancellable, pm_keyring_lookup_async,
                      callback, user_data);
  if (!check_provider (provider, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  op_start (task);
}

char *
pm_keyring_lookup_finish (PmKeyring     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  char *secret;

  g_return_val_if_fail (PM_IS_KEYRING (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  /* Hand back a plain g_free()-able string (libsecret's is in non-pageable memory). */
  secret = g_task_propagate_pointer (G_TASK (result), error);
  if (secret != NULL && self->memory == NULL)
    {
      char *copy = g_strdup (secret);

      secret_password_free (secret);
      return copy;
    }
  return secret;
}

void
pm_keyring_store_async (PmKeyring           *self,
                        const char          *provider,
                        const char          *secret,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  GError *error = NULL;

  g_return_if_fail (PM_IS_KEYRING (self));

  task = op_task_new (self, OP_STORE, provider, secret, cancellable, pm_keyring_store_async,
                      callback, user_data);
  if (!check_provider (provider, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (secret == NULL || *secret == '\0')
    {
      g_task_return_new_error (task, PM_ERROR, PM_ERROR_KEYRING, "The key is empty");
      g_object_unref (task);
      return;
    }
  op_start (task);
}

gboolean
pm_keyring_store_finish (PmKeyring     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (PM_IS_KEYRING (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pm_keyring_remove_async (PmKeyring           *self,
                         const char          *provider,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;
  GError *error = NULL;

  g_return_if_fail (PM_IS_KEYRING (self));

  task = op_task_new (self, OP_REMOVE, provider, NULL, cancellable, pm_keyring_remove_async,
                      callback, user_data);
  if (!check_provider (provider, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  op_start (task);
}

gboolean
pm_keyring_remove_finish (PmKeyring     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PM_IS_KEYRING (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pm_keyring_list_async (PmKeyring           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PM_IS_KEYRING (self));

  task = op_task_new (self, OP_LIST, NULL, NULL, cancellable, pm_keyring_list_async,
                      callback, user_data);
  op_start (task);
}

GStrv
pm_keyring_list_finish (PmKeyring     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (PM_IS_KEYRING (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------------------------ */
/* Sync API: the async one driven in a private main context, so the timeout applies here too
 * and no other source of the caller's context runs meanwhile. */

typedef struct
{
  GAsyncResult *result;
} SyncData;

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SyncData *data = user_data;

  data->result = g_object_ref (result);
}

static GAsyncResult *
run_sync (PmKeyring    *self,
          Op            op,
          const char   *provider,
          const char   *secret,
          GCancellable *cancellable)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  SyncData data = { NULL };

  g_main_context_push_thread_default (context);
  switch (op)
    {
    case OP_LOOKUP:
      pm_keyring_lookup_async (self, provider, cancellable, sync_cb, &data);
      break;
    case OP_STORE:
      pm_keyring_store_async (self, provider, secret, cancellable, sync_cb, &data);
      break;
    case OP_REMOVE:
      pm_keyring_remove_async (self, provider, cancellable, sync_cb, &data);
      break;
    case OP_LIST:
      pm_keyring_list_async (self, cancellable, sync_cb, &data);
      break;
    default:
      g_assert_not_reached ();
    }
  while (data.result == NULL)
    g_main_context_iteration (context, TRUE);
  /* Let sources the operation left behind (timeouts being destroyed) settle. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  return data.result;
}

char *
pm_keyring_lookup_sync (PmKeyring     *self,
                        const char    *provider,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (PM_IS_KEYRING (self), NULL);

  result = run_sync (self, OP_LOOKUP, provider, NULL, cancellable);
  return pm_keyring_lookup_finish (self, result, error);
}

gboolean
pm_keyring_store_sync (PmKeyring     *self,
                       const char    *provider,
                       const char    *secret,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (PM_IS_KEYRING (self), FALSE);

  result = run_sync (self, OP_STORE, provider, secret, cancellable);
  return pm_keyring_store_finish (self, result, error);
}

gboolean
pm_keyring_remove_sync (PmKeyring     *self,
                        const char    *provider,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (PM_IS_KEYRING (self), FALSE);

  result = run_sync (self, OP_REMOVE, provider, NULL, cancellable);
  return pm_keyring_remove_finish (self, result, error);
}

GStrv
pm_keyring_list_sync (PmKeyring     *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (PM_IS_KEYRING (self), NULL);

  result = run_sync (self, OP_LIST, NULL, NULL, cancellable);
  return pm_keyring_list_finish (self, result, error);
}

static gboolean
resolve_immediate (const char  *provider,
                   const char  *key_spec,
                   char       **secret,
                   GError     **error)
{
  if (g_str_equal (key_spec, "none"))
    {
      *secret = g_strdup ("");
      return TRUE;
    }

  if (g_str_has_prefix (key_spec, "env:"))
    {
      const char *value = g_getenv (key_spec + 4);

      if (value == NULL || *value == '\0')
        {
          g_set_error (error, PM_ERROR, PM_ERROR_KEYRING,
                       "No key for provider “%s”: the environment variable %s is not set",
                       provider, key_spec + 4);
          return FALSE;
        }
      *secret = g_strdup (value);
      return TRUE;
    }

  g_set_error (error, PM_ERROR, PM_ERROR_KEYRING,
               "Provider “%s”: unknown key source (expected keyring, env:NAME or none)", provider);
  return FALSE;
}

static GError *
no_key_error (const char *provider)
{
  return g_error_new (PM_ERROR, PM_ERROR_KEYRING,
                      "No key for provider “%s” in the keyring (run “pointsman-cli keys set %s”)",
                      provider, provider);
}

char *
pm_keyring_resolve_sync (PmKeyring     *self,
                         const char    *provider,
                         const char    *key_spec,
                         GCancellable  *cancellable,
                         GError       **error)
{
  char *secret = NULL;

  g_return_val_if_fail (PM_IS_KEYRING (self), NULL);

  if (key_spec == NULL || g_str_equal (key_spec, "keyring"))
    {
      g_autoptr(GError) local_error = NULL;

      secret = pm_keyring_lookup_sync (self, provider, cancellable, &local_error);
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else if (secret == NULL)
        g_propagate_error (error, no_key_error (provider));
      return secret;
    }

  if (!resolve_immediate (provider, key_spec, &secret, error))
    return NULL;
  return secret;
}

static void
resolve_lookup_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret;

  secret = pm_keyring_lookup_finish (PM_KEYRING (object), result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else if (secret == NULL)
    g_task_return_error (task, no_key_error (g_task_get_task_data (task)));
  else
    g_task_return_pointer (task, secret, (GDestroyNotify)secret_clear);
}

void
pm_keyring_resolve_async (PmKeyring           *self,
                          const char          *provider,
                          const char          *key_spec,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  char *secret = NULL;

  g_return_if_fail (PM_IS_KEYRING (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pm_keyring_resolve_async);
  g_task_set_task_data (task, g_strdup (provider), g_free);

  if (key_spec == NULL || g_str_equal (key_spec, "keyring"))
    {
      pm_keyring_lookup_async (self, provider, cancellable, resolve_lookup_cb,
                               g_steal_pointer (&task));
      return;
    }

  if (!resolve_immediate (provider, key_spec, &secret, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, secret, (GDestroyNotify)secret_clear);
}

char *
pm_keyring_resolve_finish (PmKeyring     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (PM_IS_KEYRING (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
