/* pm-store.c — the durable request log (SQLite, WAL, versioned schema, writer thread)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-store"

#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "pm-store.h"

/* Saves waiting for the writer beyond this many are dropped (and counted) rather than block. */
#define QUEUE_MAX      8192
/* Up to this many queued saves go into one transaction. */
#define BATCH_MAX      256
/* While the database is locked by another program: saves kept for a retry (latest snapshot
 * per request; beyond RETRY_MAX the oldest are dropped, counted and warned about), and how
 * long the writer waits before it tries again: doubling from RETRY_FIRST_US up to
 * RETRY_LAST_US, on top of SQLite's own busy timeout (BUSY_TIMEOUT_MS) on every attempt. */
#define RETRY_MAX       20000
#define RETRY_FIRST_US  (100 * G_TIME_SPAN_MILLISECOND)
#define RETRY_LAST_US   (2 * G_TIME_SPAN_SECOND)
#define BUSY_TIMEOUT_MS 1000

typedef enum
{
  OP_SAVE,
  OP_FLUSH,
  OP_PRAGMA,
  OP_STOP,
} OpKind;

typedef struct
{
  OpKind    kind;
  JsonNode *record;       /* OP_SAVE */
  char     *sql;          /* OP_PRAGMA */
  GMutex   *mutex;        /* OP_FLUSH */
  GCond    *cond;
  gboolean *done;
  gboolean *saved;        /* OP_FLUSH: everything so far is in the database */
} Op;

struct _PmStore
{
  GObject        parent_instance;

  char          *path;
  sqlite3       *writer_db;     /* only the writer thread touches it after open */
  sqlite3       *reader_db;     /* guarded by reader_mutex */
  GMutex         reader_mutex;

  GAsyncQueue   *queue;
  GThread       *thread;
  GMainContext  *main_context;  /* where "warning" is notified */

  GMutex         warning_mutex;
  char          *pending_warning;   /* set by the writer */
  gboolean       pending_clear;     /* the writer recovered: clear the warning */
  char          *warning;           /* main thread copy */
  guint          dropped;
  gboolean       failed_since_flush;
  gboolean       dropped_since_flush;
  gboolean       closed;
};

G_DEFINE_FINAL_TYPE (PmStore, pm_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_WARNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Each entry takes the schema from version i to i + 1. Never edit a shipped entry: append. */
static const char *migrations[] = {
  /* 1: one row per request */
  "CREATE TABLE requests ("
  "  id TEXT PRIMARY KEY,"
  "  time INTEGER NOT NULL,"
  "  session TEXT,"
  "  agent TEXT,"
  "  kind TEXT,"
  "  api TEXT,"
  "  requested_model TEXT,"
  "  model TEXT,"
  "  effort TEXT,"
  "  provider TEXT,"
  "  routed INTEGER NOT NULL DEFAULT 0,"
  "  input_tokens INTEGER NOT NULL DEFAULT 0,"
  "  cache_read_tokens INTEGER NOT NULL DEFAULT 0,"
  "  cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,"
  "  cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,"
  "  output_tokens INTEGER NOT NULL DEFAULT 0,"
  "  reasoning_tokens INTEGER NOT NULL DEFAULT 0,"
  "  cost REAL NOT NULL DEFAULT 0,"
  "  baseline_cost REAL NOT NULL DEFAULT 0,"
  "  ttfb_ms REAL NOT NULL DEFAULT 0,"
  "  total_ms REAL NOT NULL DEFAULT 0,"
  "  status INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT,"
  "  summary TEXT,"
  "  explanation TEXT,"
  "  error TEXT"
  ");"
  "CREATE INDEX requests_time ON requests (time);",

  /* 2: whether usage was reported at all, the upstream's own cost, lookups by session */
  "ALTER TABLE requests ADD COLUMN usage_seen INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE requests ADD COLUMN reported_cost REAL;"
  "CREATE INDEX requests_session ON requests (session, time);",

  /* 3: the latest user text, only when the user allows prompt text in the log */
  "ALTER TABLE requests ADD COLUMN prompt TEXT;",
};

static const char *upsert_sql =
  "INSERT INTO requests (id, time, session, agent, kind, api, requested_model, model, effort,"
  "  provider, routed, input_tokens, cache_read_tokens, cache_write_5m_tokens,"
  "  cache_write_1h_tokens, output_tokens, reasoning_tokens, cost, baseline_cost, ttfb_ms,"
  "  total_ms, status, state, summary, explanation, error, usage_seen, reported_cost, prompt)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
  "  ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)"
  " ON CONFLICT (id) DO UPDATE SET time = excluded.time, session = excluded.session,"
  "  agent = excluded.agent, kind = excluded.kind, api = excluded.api,"
  "  requested_model = excluded.requested_model, model = excluded.model,"
  "  effort = excluded.effort, provider = excluded.provider, routed = excluded.routed,"
  "  input_tokens = excluded.input_tokens, cache_read_tokens = excluded.cache_read_tokens,"
  "  cache_write_5m_tokens = excluded.cache_write_5m_tokens,"
  "  cache_write_1h_tokens = excluded.cache_write_1h_tokens,"
  "  output_tokens = excluded.output_tokens, reasoning_tokens = excluded.reasoning_tokens,"
  "  cost = excluded.cost, baseline_cost = excluded.baseline_cost, ttfb_ms = excluded.ttfb_ms,"
  "  total_ms = excluded.total_ms, status = excluded.status, state = excluded.state,"
  "  summary = excluded.summary, explanation = excluded.explanation, error = excluded.error,"
  "  usage_seen = excluded.usage_seen, reported_cost = excluded.reported_cost,"
  "  prompt = excluded.prompt";

static const char *select_columns =
  "SELECT id, time, session, agent, kind, api, requested_model, model, effort, provider, routed,"
  " input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,"
  " reasoning_tokens, cost, baseline_cost, ttfb_ms, total_ms, status, state, summary, explanation,"
  " error, usage_seen, reported_cost, prompt FROM requests";

static void
op_free (Op *op)
{
  g_clear_pointer (&op->record, json_node_unref);
  g_clear_pointer (&op->sql, g_free);
  g_free (op);
}

static void
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  const char  *what)
{
  int code = db != NULL ? sqlite3_errcode (db) : SQLITE_ERROR;

  g_set_error (error, G_IO_ERROR,
               code == SQLITE_READONLY ? G_IO_ERROR_READ_ONLY :
               code == SQLITE_FULL ? G_IO_ERROR_NO_SPACE : G_IO_ERROR_FAILED,
               "%s: %s", what, db != NULL ? sqlite3_errmsg (db) : "out of memory");
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      int code = sqlite3_errcode (db);

      g_set_error (error, G_IO_ERROR,
                   code == SQLITE_READONLY ? G_IO_ERROR_READ_ONLY :
                   code == SQLITE_FULL ? G_IO_ERROR_NO_SPACE : G_IO_ERROR_FAILED,
                   "%s", message != NULL ? message : sqlite3_errstr (code));
      sqlite3_free (message);
      return FALSE;
    }

  return TRUE;
}

static gboolean
migrate (sqlite3  *db,
         GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  gint64 version = 0;

  if (!exec_sql (db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", error))
    return FALSE;

  if (sqlite3_prepare_v2 (db, "SELECT MAX(version) FROM schema_version", -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Reading the schema version");
      return FALSE;
    }
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  if (version > (gint64) G_N_ELEMENTS (migrations))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "The database has schema version %" G_GINT64_FORMAT
                   ", newer than this Pointsman knows (%u)",
                   version, (guint) G_N_ELEMENTS (migrations));
      return FALSE;
    }

  for (gint64 v = version; v < (gint64) G_N_ELEMENTS (migrations); v++)
    {
      g_autofree char *bump = g_strdup_printf ("INSERT INTO schema_version (version) VALUES (%" G_GINT64_FORMAT ")", v + 1);

      if (!exec_sql (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!exec_sql (db, migrations[v], error) || !exec_sql (db, bump, error))
        {
          exec_sql (db, "ROLLBACK", NULL);
          g_prefix_error (error, "Migrating the database to version %" G_GINT64_FORMAT ": ", v + 1);
          return FALSE;
        }
      if (!exec_sql (db, "COMMIT", error))
        return FALSE;
    }

  return TRUE;
}

/* ---- writer thread ---- */

static void
writer_set_warning (PmStore    *self,
                    const char *message);
static void
writer_clear_warning (PmStore *self);

static const char *
obj_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static double
obj_number (JsonObject *object,
            const char *member,
            double      fallback)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return (double) json_node_get_int (node);
    case G_TYPE_DOUBLE:
      return json_node_get_double (node);
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean (node) ? 1.0 : 0.0;
    default:
      return fallback;
    }
}

static gint64
obj_int (JsonObject *object,
         const char *member)
{
  return (gint64) obj_number (object, member, 0.0);
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *value)
{
  if (value != NULL)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static gboolean
write_record (sqlite3_stmt  *stmt,
              JsonNode      *record,
              GError       **error)
{
  JsonObject *object;
  JsonObject *usage = NULL;
  JsonNode *node;
  g_autofree char *explanation = NULL;
  const char *text;
  int rc;

  if (!JSON_NODE_HOLDS_OBJECT (record))
    return TRUE;
  object = json_node_get_object (record);
  if (obj_string (object, "id") == NULL)
    return TRUE;

  node = json_object_get_member (object, "usage");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    usage = json_node_get_object (node);

  node = json_object_get_member (object, "explanation");
  text = obj_string (object, "explanation_text");   /* pm_record_to_store_json () */
  if (text != NULL)
    explanation = g_strdup (text);
  else if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    explanation = json_to_string (node, FALSE);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  bind_text (stmt, 1, obj_string (object, "id"));
  sqlite3_bind_int64 (stmt, 2, obj_int (object, "time"));
  bind_text (stmt, 3, obj_string (object, "session"));
  bind_text (stmt, 4, obj_string (object, "agent"));
  bind_text (stmt, 5, obj_string (object, "kind"));
  bind_text (stmt, 6, obj_string (object, "api"));
  bind_text (stmt, 7, obj_string (object, "requested_model"));
  bind_text (stmt, 8, obj_string (object, "model"));
  bind_text (stmt, 9, obj_string (object, "effort"));
  bind_text (stmt, 10, obj_string (object, "provider"));
  sqlite3_bind_int (stmt, 11, obj_number (object, "routed", 0) != 0);
  if (usage != NULL)
    {
      sqlite3_bind_int64 (stmt, 12, obj_int (usage, "input"));
      sqlite3_bind_int64 (stmt, 13, obj_int (usage, "cache_read"));
      sqlite3_bind_int64 (stmt, 14, obj_int (usage, "cache_write_5m"));
      sqlite3_bind_int64 (stmt, 15, obj_int (usage, "cache_write_1h"));
      sqlite3_bind_int64 (stmt, 16, obj_int (usage, "output"));
      sqlite3_bind_int64 (stmt, 17, obj_int (usage, "reasoning"));
      sqlite3_bind_int (stmt, 27, obj_number (usage, "seen", 0) != 0);
      if (obj_number (usage, "reported_cost", -1.0) >= 0)
        sqlite3_bind_double (stmt, 28, obj_number (usage, "reported_cost", -1.0));
      else
        sqlite3_bind_null (stmt, 28);
    }
  else
    {
      for (int i = 12; i <= 17; i++)
        sqlite3_bind_int64 (stmt, i, 0);
      sqlite3_bind_int (stmt, 27, 0);
      sqlite3_bind_null (stmt, 28);
    }
  sqlite3_bind_double (stmt, 18, obj_number (object, "cost", 0));
  sqlite3_bind_double (stmt, 19, obj_number (object, "baseline_cost", 0));
  sqlite3_bind_double (stmt, 20, obj_number (object, "ttfb_ms", 0));
  sqlite3_bind_double (stmt, 21, obj_number (object, "total_ms", 0));
  sqlite3_bind_int64 (stmt, 22, obj_int (object, "status"));
  bind_text (stmt, 23, obj_string (object, "state"));
  bind_text (stmt, 24, obj_string (object, "summary"));
  bind_text (stmt, 25, explanation);
  bind_text (stmt, 26, obj_string (object, "error"));
  bind_text (stmt, 29, obj_string (object, "prompt"));

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, sqlite3_db_handle (stmt), "Saving a request");
      return FALSE;
    }

  return TRUE;
}

static void
signal_flush (Op       *op,
              gboolean  saved)
{
  g_mutex_lock (op->mutex);
  *op->saved = saved;
  *op->done = TRUE;
  g_cond_broadcast (op->cond);
  g_mutex_unlock (op->mutex);
}

static gpointer
writer_thread (gpointer data)
{
  PmStore *self = data;
  sqlite3_stmt *stmt = NULL;
  gboolean running = TRUE;
  gboolean failing = FALSE;
  gint64 retry_wait = RETRY_FIRST_US;
  g_autoptr(GHashTable) retry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) json_node_unref);
  GQueue *retry_ids = g_queue_new ();

  if (sqlite3_prepare_v2 (self->writer_db, upsert_sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_autofree char *message = g_strdup_printf ("Cannot prepare the store: %s", sqlite3_errmsg (self->writer_db));

      writer_set_warning (self, message);
      stmt = NULL;
    }

  while (running)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);
      g_autoptr(GError) error = NULL;
      guint saves = 0;
      Op *op;

      /* With saves waiting for a lock to go, wake up now and then to try again. */
      if (retry_ids->length > 0)
        op = g_async_queue_timeout_pop (self->queue, retry_wait);
      else
        op = g_async_queue_pop (self->queue);

      if (op != NULL)
        {
          g_ptr_array_add (batch, op);
          while (batch->len < BATCH_MAX && (op = g_async_queue_try_pop (self->queue)) != NULL)
            {
              g_ptr_array_add (batch, op);
              if (op->kind != OP_SAVE)
                break;
            }
        }

      for (guint i = 0; i < batch->len; i++)
        if (((Op *) g_ptr_array_index (batch, i))->kind == OP_SAVE)
          saves++;

      if ((saves > 0 || retry_ids->length > 0) && stmt != NULL)
        {
          gboolean ok = exec_sql (self->writer_db, "BEGIN IMMEDIATE", &error);
          int code;

          /* What waited first, then this batch (a later snapshot of the same request wins). */
          for (GList *l = retry_ids->head; ok && l != NULL; l = l->next)
            ok = write_record (stmt, g_hash_table_lookup (retry, l->data), &error);
          for (guint i = 0; ok && i < batch->len; i++)
            {
              Op *o = g_ptr_array_index (batch, i);

              if (o->kind == OP_SAVE)
                ok = write_record (stmt, o->record, &error);
            }
          if (ok)
            ok = exec_sql (self->writer_db, "COMMIT", &error);

          code = ok ? SQLITE_OK : sqlite3_errcode (self->writer_db);
          if (ok)
            {
              if (retry_ids->length > 0 || failing)
                writer_clear_warning (self);
              g_queue_clear_full (retry_ids, g_free);
              g_hash_table_remove_all (retry);
              failing = FALSE;
              retry_wait = RETRY_FIRST_US;
            }
          else
            {
              g_autofree char *message = NULL;

              exec_sql (self->writer_db, "ROLLBACK", NULL);
              failing = TRUE;
              if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
                {
                  guint lost = 0;

                  /* Another program holds the lock: keep the rows and try again, less often
                   * the longer it lasts. */
                  retry_wait = MIN (retry_wait * 2, RETRY_LAST_US);
                  for (guint i = 0; i < batch->len; i++)
                    {
                      Op *o = g_ptr_array_index (batch, i);
                      const char *id;

                      if (o->kind != OP_SAVE || !JSON_NODE_HOLDS_OBJECT (o->record))
                        continue;
                      id = obj_string (json_node_get_object (o->record), "id");
                      if (id == NULL)
                        continue;
                      if (!g_hash_table_contains (retry, id))
                        {
                          if (retry_ids->length >= RETRY_MAX)
                            {
                              g_autofree char *oldest = g_queue_pop_head (retry_ids);

                              g_hash_table_remove (retry, oldest);
                              lost++;
                            }
                          g_queue_push_tail (retry_ids, g_strdup (id));
                        }
                      g_hash_table_replace (retry, g_strdup (id), g_steal_pointer (&o->record));
                    }
                  if (lost > 0)
                    {
                      g_mutex_lock (&self->warning_mutex);
                      self->dropped += lost;
                      self->dropped_since_flush = TRUE;
                      lost = self->dropped;
                      g_mutex_unlock (&self->warning_mutex);
                      message = g_strdup_printf ("The request database %s is locked by another program; "
                                                 "%u request(s) will be saved when it is free, "
                                                 "%u could not be kept",
                                                 self->path, retry_ids->length, lost);
                    }
                  else
                    message = g_strdup_printf ("The request database %s is locked by another program; "
                                               "%u request(s) will be saved when it is free",
                                               self->path, retry_ids->length);
                }
              else
                {
                  message = g_strdup_printf ("Could not save %u request(s) to %s: %s",
                                             saves + retry_ids->length, self->path, error->message);
                  g_queue_clear_full (retry_ids, g_free);
                  g_hash_table_remove_all (retry);
                }
              g_debug ("%s", message);
              writer_set_warning (self, message);
            }
        }
      else if (saves > 0)
        {
          writer_set_warning (self, "The request database is not writable");
        }

      for (guint i = 0; i < batch->len; i++)
        {
          Op *o = g_ptr_array_index (batch, i);

          switch (o->kind)
            {
            case OP_PRAGMA:
              {
                g_autoptr(GError) pragma_error = NULL;

                if (!exec_sql (self->writer_db, o->sql, &pragma_error))
                  writer_set_warning (self, pragma_error->message);
              }
              break;
            case OP_FLUSH:
              signal_flush (o, !failing && retry_ids->length == 0 && stmt != NULL);
              break;
            case OP_STOP:
              running = FALSE;
              break;
            case OP_SAVE:
            default:
              break;
            }
        }
    }

  g_clear_pointer (&stmt, sqlite3_finalize);
  g_queue_free_full (retry_ids, g_free);

  return NULL;
}

static gboolean
apply_warning_cb (gpointer data)
{
  PmStore *self = data;
  g_autofree char *pending = NULL;
  gboolean clear;

  g_mutex_lock (&self->warning_mutex);
  pending = g_steal_pointer (&self->pending_warning);
  clear = self->pending_clear;
  self->pending_clear = FALSE;
  g_mutex_unlock (&self->warning_mutex);

  if (pending == NULL && clear && self->warning != NULL)
    {
      g_clear_pointer (&self->warning, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WARNING]);
    }
  else if (pending != NULL && g_strcmp0 (pending, self->warning) != 0)
    {
      g_free (self->warning);
      self->warning = g_steal_pointer (&pending);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WARNING]);
    }

  return G_SOURCE_REMOVE;
}

/* The writer saved again after failing: the warning goes away. */
static void
writer_clear_warning (PmStore *self)
{
  g_mutex_lock (&self->warning_mutex);
  g_clear_pointer (&self->pending_warning, g_free);
  self->pending_clear = TRUE;
  g_mutex_unlock (&self->warning_mutex);

  g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT, apply_warning_cb,
                              g_object_ref (self), g_object_unref);
}

static void
writer_set_warning (PmStore    *self,
                    const char *message)
{
  g_mutex_lock (&self->warning_mutex);
  g_free (self->pending_warning);
  self->pending_warning = g_strdup (message);
  self->pending_clear = FALSE;
  self->failed_since_flush = TRUE;
  g_mutex_unlock (&self->warning_mutex);

  g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT, apply_warning_cb,
                              g_object_ref (self), g_object_unref);
}

/* ---- object ---- */

static void
pm_store_dispose (GObject *object)
{
  PmStore *self = (PmStore *)object;

  /* Here, not in finalize: the writer may still take a reference to report a warning. */
  pm_store_close (self);

  G_OBJECT_CLASS (pm_store_parent_class)->dispose (object);
}

static void
pm_store_finalize (GObject *object)
{
  PmStore *self = (PmStore *)object;

  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->pending_warning, g_free);
  g_clear_pointer (&self->warning, g_free);
  g_mutex_clear (&self->reader_mutex);
  g_mutex_clear (&self->warning_mutex);

  G_OBJECT_CLASS (pm_store_parent_class)->finalize (object);
}

static void
pm_store_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  PmStore *self = PM_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_WARNING:
      g_value_set_string (value, pm_store_get_warning (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_store_class_init (PmStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_store_dispose;
  object_class->finalize = pm_store_finalize;
  object_class->get_property = pm_store_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_WARNING] =
    g_param_spec_string ("warning", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pm_store_init (PmStore *self)
{
  g_mutex_init (&self->reader_mutex);
  g_mutex_init (&self->warning_mutex);
  self->queue = g_async_queue_new_full ((GDestroyNotify) op_free);
  self->main_context = g_main_context_ref_thread_default ();
}

static sqlite3 *
open_db (const char  *path,
         gboolean     create,
         GError     **error)
{
  sqlite3 *db = NULL;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);

  if (sqlite3_open_v2 (path, &db, flags, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Opening the request database");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (db, 0);

  return db;
}

PmStore *
pm_store_open (const char  *path,
               GError     **error)
{
  g_autoptr(PmStore) self = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  self = g_object_new (PM_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  if (!(self->writer_db = open_db (path, TRUE, error)))
    return NULL;

  if (!exec_sql (self->writer_db, "PRAGMA journal_mode = WAL", error) ||
      !exec_sql (self->writer_db, "PRAGMA synchronous = NORMAL", error) ||
      !migrate (self->writer_db, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  if (!(self->reader_db = open_db (path, FALSE, error)))
    return NULL;

  self->thread = g_thread_new ("pm-store-writer", writer_thread, self);

  return g_steal_pointer (&self);
}

const char *
pm_store_get_path (PmStore *self)
{
  g_return_val_if_fail (PM_IS_STORE (self), NULL);

  return self->path;
}

void
pm_store_save (PmStore  *self,
               PmRecord *record)
{
  Op *op;

  g_return_if_fail (PM_IS_STORE (self));
  g_return_if_fail (PM_IS_RECORD (record));

  if (self->closed)
    return;

  if (g_async_queue_length (self->queue) >= QUEUE_MAX)
    {
      g_autofree char *message = NULL;

      g_mutex_lock (&self->warning_mutex);
      self->dropped++;
      self->dropped_since_flush = TRUE;
      message = g_strdup_printf ("The request database is falling behind: %u record(s) not saved",
                                 self->dropped);
      g_mutex_unlock (&self->warning_mutex);
      writer_set_warning (self, message);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = OP_SAVE;
  op->record = pm_record_to_store_json (record);
  g_async_queue_push (self->queue, op);
}

gboolean
pm_store_flush (PmStore  *self,
                GError  **error)
{
  GMutex mutex;
  GCond cond;
  gboolean done = FALSE;
  gboolean saved = FALSE;
  gboolean failed;
  Op *op;

  g_return_val_if_fail (PM_IS_STORE (self), FALSE);

  if (self->closed || self->thread == NULL)
    return TRUE;

  g_mutex_init (&mutex);
  g_cond_init (&cond);

  op = g_new0 (Op, 1);
  op->kind = OP_FLUSH;
  op->mutex = &mutex;
  op->cond = &cond;
  op->done = &done;
  op->saved = &saved;
  g_async_queue_push (self->queue, op);

  g_mutex_lock (&mutex);
  while (!done)
    g_cond_wait (&cond, &mutex);
  g_mutex_unlock (&mutex);

  g_mutex_clear (&mutex);
  g_cond_clear (&cond);

  g_mutex_lock (&self->warning_mutex);
  /* Not saved: the last write failed, saves wait for a lock, or some were dropped. */
  failed = !saved || self->dropped_since_flush;
  self->failed_since_flush = FALSE;
  self->dropped_since_flush = FALSE;
  if (failed)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                 self->pending_warning != NULL ? self->pending_warning :
                 self->warning != NULL ? self->warning : "Could not save to the request database");
  g_mutex_unlock (&self->warning_mutex);

  /* Bring the main-thread copy up to date right away. */
  if (g_main_context_is_owner (self->main_context))
    apply_warning_cb (self);

  return !failed;
}

/**
 * pm_store_set_max_size:
 * @max_bytes: the largest the database may grow (0 = no limit beyond SQLite's)
 *
 * Caps the database size. Writes beyond it fail like a full disk: the record is not saved and
 * the store reports a warning. Applied in order with queued saves.
 */
void
pm_store_set_max_size (PmStore *self,
                       gint64   max_bytes)
{
  Op *op;

  g_return_if_fail (PM_IS_STORE (self));

  if (self->closed)
    return;

  op = g_new0 (Op, 1);
  op->kind = OP_PRAGMA;
  /* page_size is 4096 by default; max_page_count never shrinks below the current size. */
  op->sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT,
                             max_bytes > 0 ? MAX (max_bytes / 4096, 1) : (gint64) 1073741823);
  g_async_queue_push (self->queue, op);
}

static JsonNode *
row_to_json (sqlite3_stmt *stmt)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) raw = NULL;
  g_autoptr(PmRecord) record = NULL;
  const char *text_columns[] = { "id", NULL, "session", "agent", "kind", "api", "requested_model",
                                 "model", "effort", "provider" };
  const char *explanation;

  json_builder_begin_object (builder);
  for (int i = 0; i < (int) G_N_ELEMENTS (text_columns); i++)
    {
      if (text_columns[i] == NULL)
        continue;
      if (sqlite3_column_type (stmt, i) == SQLITE_NULL)
        continue;
      json_builder_set_member_name (builder, text_columns[i]);
      json_builder_add_string_value (builder, (const char *) sqlite3_column_text (stmt, i));
    }
  json_builder_set_member_name (builder, "time");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 1));
  json_builder_set_member_name (builder, "routed");
  json_builder_add_boolean_value (builder, sqlite3_column_int (stmt, 10) != 0);

  json_builder_set_member_name (builder, "usage");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "input");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 11));
  json_builder_set_member_name (builder, "cache_read");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 12));
  json_builder_set_member_name (builder, "cache_write_5m");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 13));
  json_builder_set_member_name (builder, "cache_write_1h");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 14));
  json_builder_set_member_name (builder, "output");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 15));
  json_builder_set_member_name (builder, "reasoning");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 16));
  json_builder_set_member_name (builder, "seen");
  json_builder_add_boolean_value (builder, sqlite3_column_int (stmt, 26) != 0);
  if (sqlite3_column_type (stmt, 27) != SQLITE_NULL)
    {
      json_builder_set_member_name (builder, "reported_cost");
      json_builder_add_double_value (builder, sqlite3_column_double (stmt, 27));
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "cost");
  json_builder_add_double_value (builder, sqlite3_column_double (stmt, 17));
  json_builder_set_member_name (builder, "baseline_cost");
  json_builder_add_double_value (builder, sqlite3_column_double (stmt, 18));
  json_builder_set_member_name (builder, "ttfb_ms");
  json_builder_add_double_value (builder, sqlite3_column_double (stmt, 19));
  json_builder_set_member_name (builder, "total_ms");
  json_builder_add_double_value (builder, sqlite3_column_double (stmt, 20));
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 21));
  if (sqlite3_column_type (stmt, 22) != SQLITE_NULL)
    {
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, (const char *) sqlite3_column_text (stmt, 22));
    }
  if (sqlite3_column_type (stmt, 23) != SQLITE_NULL)
    {
      json_builder_set_member_name (builder, "summary");
      json_builder_add_string_value (builder, (const char *) sqlite3_column_text (stmt, 23));
    }
  explanation = (const char *) sqlite3_column_text (stmt, 24);
  if (explanation != NULL)
    {
      json_builder_set_member_name (builder, "explanation");
      json_builder_add_string_value (builder, explanation);
    }
  if (sqlite3_column_type (stmt, 25) != SQLITE_NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, (const char *) sqlite3_column_text (stmt, 25));
    }
  if (sqlite3_column_type (stmt, 28) != SQLITE_NULL)
    {
      json_builder_set_member_name (builder, "prompt");
      json_builder_add_string_value (builder, (const char *) sqlite3_column_text (stmt, 28));
    }
  json_builder_end_object (builder);

  /* Through PmRecord, so the shape is exactly pm_record_to_json ()'s. */
  raw = json_builder_get_root (builder);
  record = pm_record_new_from_json (json_node_get_object (raw));
  if (record == NULL)
    return NULL;

  return pm_record_to_json (record);
}

JsonArray *
pm_store_list_recent (PmStore  *self,
                      guint     limit,
                      GError  **error)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (PM_IS_STORE (self), NULL);

  if (self->reader_db == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The request database is closed");
      return NULL;
    }

  sql = g_strdup_printf ("%s ORDER BY time DESC, rowid DESC LIMIT ?1", select_columns);

  g_mutex_lock (&self->reader_mutex);
  if (sqlite3_prepare_v2 (self->reader_db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->reader_db, "Reading the request database");
      g_mutex_unlock (&self->reader_mutex);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonNode *node = row_to_json (stmt);

      if (node != NULL)
        json_array_add_element (array, node);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->reader_db, "Reading the request database");
      sqlite3_finalize (stmt);
      g_mutex_unlock (&self->reader_mutex);
      return NULL;
    }
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->reader_mutex);

  return g_steal_pointer (&array);
}

/**
 * pm_store_get_spend_today:
 *
 * What requests cost since the start of the current UTC day: the same day as the router's
 * daily budget (pm_router_get_spend_today counts per UTC day, `now / G_TIME_SPAN_DAY`), so
 * seeding the router from this at start adds exactly the spend the router would have counted.
 */
double
pm_store_get_spend_today (PmStore *self)
{
  sqlite3_stmt *stmt = NULL;
  double spend = 0.0;
  gint64 day_start;

  g_return_val_if_fail (PM_IS_STORE (self), 0.0);

  if (self->reader_db == NULL)
    return 0.0;

  /* Record times are microseconds since the Unix epoch (UTC). */
  day_start = (g_get_real_time () / G_TIME_SPAN_DAY) * G_TIME_SPAN_DAY;

  g_mutex_lock (&self->reader_mutex);
  if (sqlite3_prepare_v2 (self->reader_db, "SELECT TOTAL(cost) FROM requests WHERE time >= ?1",
                          -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, day_start);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        spend = sqlite3_column_double (stmt, 0);
    }
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->reader_mutex);

  return spend;
}

const char *
pm_store_get_warning (PmStore *self)
{
  g_return_val_if_fail (PM_IS_STORE (self), NULL);

  return self->warning;
}

/**
 * pm_store_close:
 *
 * Writes what is queued, stops the writer and closes the database. Further saves are ignored.
 */
void
pm_store_close (PmStore *self)
{
  g_return_if_fail (PM_IS_STORE (self));

  if (self->closed)
    return;
  self->closed = TRUE;

  if (self->thread != NULL)
    {
      Op *op = g_new0 (Op, 1);

      op->kind = OP_STOP;
      g_async_queue_push (self->queue, op);
      g_thread_join (g_steal_pointer (&self->thread));
    }

  g_mutex_lock (&self->reader_mutex);
  g_clear_pointer (&self->reader_db, sqlite3_close);
  g_mutex_unlock (&self->reader_mutex);
  g_clear_pointer (&self->writer_db, sqlite3_close);
}
