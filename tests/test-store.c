/* test-store.c — PmStore on real SQLite files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "pm-catalog.h"
#include "pm-objective.h"
#include "pm-router.h"
#include "pm-store.h"
#include "pm-test-utils.h"

static PmRecord *
make_record (const char *id,
             gint64      time_us,
             double      cost,
             gint64      input)
{
  PmRecord *record = pm_record_new (id, time_us);
  g_autoptr(JsonNode) explanation = json_from_string ("{\"reasons\":[\"the test said so\"],\"candidates\":[{\"model\":\"claude-haiku-4-5\",\"q\":0.8}]}", NULL);
  PmUsage usage;

  memset (&usage, 0, sizeof usage);
  usage.input = input;
  usage.cache_read = input * 3;
  usage.cache_write_5m = 10;
  usage.output = 42;
  usage.reasoning = 7;
  usage.seen = TRUE;
  usage.reported_cost = -1.0;

  pm_record_set_request (record, "sess-1", PM_AGENT_CLAUDE_CODE, PM_KIND_MAIN, PM_API_ANTHROPIC, "claude-sonnet-4-5");
  pm_record_set_decision (record, "claude-haiku-4-5", "low", "anthropic", TRUE, "A short step.", explanation);
  pm_record_set_usage (record, &usage, cost, cost * 4);
  pm_record_set_timing (record, 11.0, 99.0);
  pm_record_set_state (record, PM_RECORD_DONE, 200, NULL);

  return record;
}

static gint64
query_int (const char *path,
           const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return value;
}

static char *
query_text (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return value;
}

static void
test_open_and_schema (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "nested", "deeper", "requests.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *mode = NULL;
  PmStore *store;

  store = pm_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_cmpstr (pm_store_get_path (store), ==, path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_null (pm_store_get_warning (store));
  pm_store_close (store);
  g_assert_finalize_object (store);

  mode = query_text (path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (query_int (path, "SELECT MAX(version) FROM schema_version"), ==, 3);
  /* Reopening does not migrate twice. */
  store = pm_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_finalize_object (store);
  g_assert_cmpint (query_int (path, "SELECT COUNT(*) FROM schema_version"), ==, 3);
}

static void
test_save_update_list (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "requests.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmStore) store = pm_store_open (path, &error);
  g_autoptr(PmRecord) first = make_record ("req-a", 1000, 0.01, 100);
  g_autoptr(PmRecord) second = make_record ("req-b", 2000, 0.02, 200);
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(JsonArray) one = NULL;
  g_autoptr(JsonNode) expected = NULL;
  g_autofree char *expected_text = NULL;
  g_autofree char *got_text = NULL;
  JsonObject *row;
  PmUsage usage;

  g_assert_no_error (error);

  /* At start: pending, no usage. Then the end state overwrites the same row. */
  {
    g_autoptr(PmRecord) pending = pm_record_new ("req-a", 1000);

    pm_record_set_state (pending, PM_RECORD_STREAMING, 200, NULL);
    pm_store_save (store, pending);
  }
  pm_store_save (store, first);
  pm_store_save (store, second);
  g_assert_true (pm_store_flush (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (query_int (path, "SELECT COUNT(*) FROM requests"), ==, 2);
  g_assert_cmpint (query_int (path, "SELECT cache_read_tokens FROM requests WHERE id = 'req-a'"), ==, 300);
  g_assert_cmpint (query_int (path, "SELECT reasoning_tokens FROM requests WHERE id = 'req-b'"), ==, 7);
  {
    g_autofree char *explanation = query_text (path, "SELECT explanation FROM requests WHERE id = 'req-a'");
    g_autofree char *state = query_text (path, "SELECT state FROM requests WHERE id = 'req-a'");

    g_assert_nonnull (strstr (explanation, "the test said so"));
    g_assert_cmpstr (state, ==, "done");
  }

  rows = pm_store_list_recent (store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpstr (json_object_get_string_member (row, "id"), ==, "req-b");
  row = json_array_get_object_element (rows, 1);
  g_assert_cmpstr (json_object_get_string_member (row, "id"), ==, "req-a");
  g_assert_cmpstr (json_object_get_string_member (row, "model"), ==, "claude-haiku-4-5");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (row, "explanation")));

  /* The row reads back as exactly what the record serialises to. */
  expected = pm_record_to_json (first);
  expected_text = json_to_string (expected, FALSE);
  got_text = json_to_string (json_array_get_element (rows, 1), FALSE);
  g_assert_cmpstr (got_text, ==, expected_text);

  {
    g_autoptr(PmRecord) back = pm_record_new_from_json (row);

    pm_record_get_usage (back, &usage);
    g_assert_cmpint (usage.input, ==, 100);
    g_assert_cmpint (usage.cache_write_5m, ==, 10);
    g_assert_cmpfloat_with_epsilon (pm_record_get_baseline_cost (back), 0.04, 1e-12);
  }

  one = pm_store_list_recent (store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (one), ==, 1);
}

static void
test_persist_and_spend (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "requests.db", NULL);
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();
  PmStore *store;

  store = pm_store_open (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(PmRecord) today1 = make_record ("t1", now, 0.25, 10);
    g_autoptr(PmRecord) today2 = make_record ("t2", now - 1, 0.5, 10);
    g_autoptr(PmRecord) old = make_record ("old", now - 3 * G_TIME_SPAN_DAY, 100.0, 10);

    pm_store_save (store, today1);
    pm_store_save (store, today2);
    pm_store_save (store, old);
  }
  /* close writes what is queued */
  pm_store_close (store);
  g_assert_finalize_object (store);

  store = pm_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (pm_store_get_spend_today (store), 0.75, 1e-9);
  {
    g_autoptr(JsonArray) rows = pm_store_list_recent (store, 0, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (json_array_get_length (rows), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 2), "id"), ==, "old");
  }
  g_assert_finalize_object (store);
}

/* "Spend today" is the router's budget day, the UTC day, whatever the local time zone. main ()
 * runs these tests 14 h ahead of UTC (TZ=PMT-14), where local midnight is never UTC midnight:
 * of a request a second before UTC midnight and one a second after, a local-day count gets one
 * wrong. The router, fed the same requests, must agree. */
static void
test_spend_utc_day (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "requests.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmStore) store = NULL;
  g_autoptr(PmCatalog) catalog = pm_catalog_new_default (&error);
  g_autoptr(PmObjective) objective = pm_objective_new ();
  const char *pool[] = { "claude-haiku-4-5", NULL };
  g_autoptr(PmRouter) router = NULL;
  g_autoptr(GDateTime) local = g_date_time_new_now_local ();
  gint64 day_start = (g_get_real_time () / G_TIME_SPAN_DAY) * G_TIME_SPAN_DAY;

  /* The zone took effect: local time is not UTC here. */
  g_assert_cmpint (g_date_time_get_utc_offset (local), ==, 14 * G_TIME_SPAN_HOUR);

  g_assert_no_error (error);
  router = pm_router_new (catalog, objective, pool, "claude-haiku-4-5");
  store = pm_store_open (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(PmRecord) yesterday = make_record ("utc-yesterday", day_start - G_USEC_PER_SEC, 100.0, 10);
    g_autoptr(PmRecord) today = make_record ("utc-today", day_start + G_USEC_PER_SEC, 0.5, 10);

    pm_store_save (store, yesterday);
    pm_store_save (store, today);
    pm_router_add_spend (router, 100.0, day_start - G_USEC_PER_SEC);
    pm_router_add_spend (router, 0.5, day_start + G_USEC_PER_SEC);
  }
  g_assert_true (pm_store_flush (store, &error));
  g_assert_no_error (error);

  g_test_message ("store %.4f, router %.4f", pm_store_get_spend_today (store),
                  pm_router_get_spend_today (router, g_get_real_time ()));
  g_assert_cmpfloat_with_epsilon (pm_store_get_spend_today (store), 0.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (pm_router_get_spend_today (router, g_get_real_time ()),
                                  pm_store_get_spend_today (store), 1e-9);
}

/* A database written by schema version 1 is migrated in place and keeps its rows. */
static void
test_migrate_from_v1 (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "old.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmStore) store = NULL;
  g_autoptr(JsonArray) rows = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                                 "INSERT INTO schema_version VALUES (1);"
                                 "CREATE TABLE requests (id TEXT PRIMARY KEY, time INTEGER NOT NULL,"
                                 " session TEXT, agent TEXT, kind TEXT, api TEXT, requested_model TEXT,"
                                 " model TEXT, effort TEXT, provider TEXT, routed INTEGER NOT NULL DEFAULT 0,"
                                 " input_tokens INTEGER NOT NULL DEFAULT 0, cache_read_tokens INTEGER NOT NULL DEFAULT 0,"
                                 " cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,"
                                 " cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,"
                                 " output_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0,"
                                 " cost REAL NOT NULL DEFAULT 0, baseline_cost REAL NOT NULL DEFAULT 0,"
                                 " ttfb_ms REAL NOT NULL DEFAULT 0, total_ms REAL NOT NULL DEFAULT 0,"
                                 " status INTEGER NOT NULL DEFAULT 0, state TEXT, summary TEXT, explanation TEXT, error TEXT);"
                                 "INSERT INTO requests (id, time, model, input_tokens, cost, state)"
                                 " VALUES ('legacy', 5, 'gpt-5-mini', 1234, 0.5, 'done');",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = pm_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (query_int (path, "SELECT MAX(version) FROM schema_version"), ==, 3);
  g_assert_cmpint (query_int (path, "SELECT usage_seen FROM requests WHERE id = 'legacy'"), ==, 0);
  g_assert_cmpint (query_int (path, "SELECT COUNT(*) FROM requests WHERE prompt IS NULL"), ==, 1);

  rows = pm_store_list_recent (store, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "model"), ==, "gpt-5-mini");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (json_array_get_object_element (rows, 0), "usage"), "input"), ==, 1234);
}

/* No prompt text unless a record carries one (the user allowed it); then it round-trips. */
static void
test_prompt_only_when_set (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "prompts.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmStore) store = pm_store_open (path, &error);
  g_autoptr(PmRecord) without = make_record ("no-prompt", 1, 0.1, 10);
  g_autoptr(PmRecord) with = make_record ("with-prompt", 2, 0.1, 10);
  g_autoptr(JsonArray) rows = NULL;

  g_assert_no_error (error);
  pm_record_set_prompt (with, "Rename x to count — “quoted” ünïcode");
  pm_store_save (store, without);
  pm_store_save (store, with);
  g_assert_true (pm_store_flush (store, &error));
  g_assert_cmpint (query_int (path, "SELECT COUNT(*) FROM requests WHERE prompt IS NOT NULL"), ==, 1);

  rows = pm_store_list_recent (store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "prompt"), ==,
                   "Rename x to count — “quoted” ünïcode");
  g_assert_false (json_object_has_member (json_array_get_object_element (rows, 1), "prompt"));
}

static void
test_newer_schema_refused (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "future.db", NULL);
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  PmStore *store;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                                     "INSERT INTO schema_version VALUES (999);", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = pm_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "999"));
}

static void
test_bad_path (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (dir, "plain-file", NULL);
  g_autofree char *path = g_build_filename (file, "requests.db", NULL);
  g_autoptr(GError) error = NULL;
  PmStore *store;

  g_assert_true (g_file_set_contents (file, "not a directory", -1, NULL));
  store = pm_store_open (path, &error);
  g_assert_null (store);
  g_assert_nonnull (error);

  /* Not a database at all. */
  g_clear_error (&error);
  store = pm_store_open (file, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
}

static void
warning_notify_cb (GObject    *object,
                   GParamSpec *pspec,
                   gboolean   *flag)
{
  *flag = TRUE;
}

/* A full disk (a size cap here) loses the records that do not fit, warns, and recovers. */
static void
test_full_disk (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "small.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmStore) store = pm_store_open (path, &error);
  gboolean notified = FALSE;
  gint64 saved_rows;

  g_assert_no_error (error);
  g_signal_connect (store, "notify::warning", G_CALLBACK (warning_notify_cb), &notified);

  pm_store_set_max_size (store, 1);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *id = g_strdup_printf ("full-%u", i);
      g_autoptr(PmRecord) record = make_record (id, i, 0.001, 5);
      g_autofree char *big = g_strnfill (2000, 'x');
      g_autoptr(JsonNode) explanation = json_from_string ("{\"reasons\":[]}", NULL);

      json_object_set_string_member (json_node_get_object (explanation), "padding", big);
      pm_record_set_decision (record, "m", "low", "p", TRUE, "s", explanation);
      pm_store_save (store, record);
    }
  g_assert_false (pm_store_flush (store, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_nonnull (pm_store_get_warning (store));
  g_assert_true (pm_test_wait_for (&notified, 5000));

  saved_rows = query_int (path, "SELECT COUNT(*) FROM requests");
  g_assert_cmpint (saved_rows, <, 200);

  /* Lift the cap: saving works again. */
  pm_store_set_max_size (store, 0);
  {
    g_autoptr(PmRecord) record = make_record ("after", 1, 0.1, 5);

    pm_store_save (store, record);
  }
  g_assert_true (pm_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (path, "SELECT COUNT(*) FROM requests WHERE id = 'after'"), ==, 1);
}

/* Another program holds the write lock: the rows wait, the warning says so, and they are
 * written once the lock goes (nothing lost). */
static void
test_locked_database (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "locked.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmStore) store = pm_store_open (path, &error);
  sqlite3 *other = NULL;
  gint64 deadline;
  gboolean saved = FALSE;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("while-locked-%u", i);
      g_autoptr(PmRecord) record = make_record (id, i, 0.01, 10);

      pm_store_save (store, record);
    }
  g_assert_false (pm_store_flush (store, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_clear_error (&error);
  g_assert_nonnull (pm_store_get_warning (store));

  g_assert_cmpint (sqlite3_exec (other, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (other);

  /* The writer retries on its own; flush reports success once it has. */
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (!saved && g_get_monotonic_time () < deadline)
    {
      g_usleep (100 * 1000);
      saved = pm_store_flush (store, NULL);
    }
  g_assert_true (saved);
  g_assert_cmpint (query_int (path, "SELECT COUNT(*) FROM requests WHERE id LIKE 'while-locked-%'"), ==, 3);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (pm_store_get_warning (store));
}

typedef struct
{
  PmStore *store;
  guint    base;
} SaverData;

static gpointer
saver_thread (gpointer user_data)
{
  SaverData *data = user_data;

  for (guint i = 0; i < 250; i++)
    {
      g_autofree char *id = g_strdup_printf ("thr-%u-%u", data->base, i);
      g_autoptr(PmRecord) record = make_record (id, data->base * 1000 + i, 0.001, i);

      pm_store_save (data->store, record);
    }

  return NULL;
}

static void
test_threads (void)
{
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "threads.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PmStore) store = pm_store_open (path, &error);
  SaverData data[4];
  GThread *threads[4];

  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    {
      data[i].store = store;
      data[i].base = i;
      threads[i] = g_thread_new ("saver", saver_thread, &data[i]);
    }
  for (guint i = 0; i < 4; i++)
    g_thread_join (threads[i]);

  g_assert_true (pm_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (path, "SELECT COUNT(*) FROM requests"), ==, 1000);
  g_assert_cmpint (query_int (path, "SELECT SUM(input_tokens) FROM requests"), ==, 4 * (249 * 250 / 2));
}

int
main (int   argc,
      char *argv[])
{
  /* Far from UTC, before any thread exists: the store must not depend on the local zone. */
  g_setenv ("TZ", "PMT-14", TRUE);
  tzset ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/store/open-and-schema", test_open_and_schema);
  g_test_add_func ("/pm/store/save-update-list", test_save_update_list);
  g_test_add_func ("/pm/store/persist-and-spend", test_persist_and_spend);
  g_test_add_func ("/pm/store/spend-utc-day", test_spend_utc_day);
  g_test_add_func ("/pm/store/migrate-from-v1", test_migrate_from_v1);
  g_test_add_func ("/pm/store/prompt-only-when-set", test_prompt_only_when_set);
  g_test_add_func ("/pm/store/newer-schema-refused", test_newer_schema_refused);
  g_test_add_func ("/pm/store/bad-path", test_bad_path);
  g_test_add_func ("/pm/store/full-disk", test_full_disk);
  g_test_add_func ("/pm/store/threads", test_threads);
  g_test_add_func ("/pm/store/locked-database", test_locked_database);

  return g_test_run ();
}
