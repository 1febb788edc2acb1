/* test-record.c — PmRecord (properties, notify, JSON) and PmRequestLog (GListModel)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include "pm-record.h"
#include "pm-request-log.h"

typedef struct
{
  GPtrArray *names;
} Notified;

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           Notified   *n)
{
  g_ptr_array_add (n->names, g_strdup (pspec->name));
}

static gboolean
notified (Notified   *n,
          const char *name)
{
  for (guint i = 0; i < n->names->len; i++)
    if (g_str_equal (g_ptr_array_index (n->names, i), name))
      return TRUE;
  return FALSE;
}

static PmUsage
sample_usage (void)
{
  PmUsage usage;

  memset (&usage, 0, sizeof usage);
  usage.input = 100;
  usage.cache_read = 800;
  usage.cache_write_5m = 60;
  usage.cache_write_1h = 40;
  usage.output = 250;
  usage.reasoning = 120;
  usage.seen = TRUE;
  usage.reported_cost = -1.0;

  return usage;
}

static void
test_record_properties (void)
{
  PmRecord *record = pm_record_new ("req-1", 1700000000000000);
  g_autoptr(JsonNode) explanation = json_from_string ("{\"reasons\":[\"cheap enough\"],\"candidates\":[]}", NULL);
  Notified n = { g_ptr_array_new_with_free_func (g_free) };
  PmUsage usage = sample_usage ();
  PmUsage back;
  g_autofree char *model = NULL;
  g_autofree char *expl = NULL;
  gint64 cache_write;
  double cache_hit;
  double saved;
  int state;

  g_signal_connect (record, "notify", G_CALLBACK (notify_cb), &n);

  pm_record_set_request (record, "sess-a", PM_AGENT_CLAUDE_CODE, PM_KIND_SUBAGENT, PM_API_ANTHROPIC,
                         "claude-sonnet-4-5");
  g_assert_true (notified (&n, "session"));
  g_assert_true (notified (&n, "agent"));
  g_assert_true (notified (&n, "kind"));
  g_assert_true (notified (&n, "requested-model"));
  g_assert_cmpstr (pm_record_get_agent (record), ==, "claude-code");
  g_assert_cmpstr (pm_record_get_kind (record), ==, "subagent");
  g_assert_cmpstr (pm_record_get_api (record), ==, "anthropic");

  g_ptr_array_set_size (n.names, 0);
  pm_record_set_decision (record, "claude-haiku-4-5", "low", "anthropic", TRUE, "Short step.", explanation);
  g_assert_true (notified (&n, "model"));
  g_assert_true (notified (&n, "effort"));
  g_assert_true (notified (&n, "routed"));
  g_assert_true (notified (&n, "explanation"));
  g_object_get (record, "model", &model, "explanation", &expl, NULL);
  g_assert_cmpstr (model, ==, "claude-haiku-4-5");
  g_assert_nonnull (strstr (expl, "cheap enough"));

  /* Setting the same values again notifies nothing. */
  g_ptr_array_set_size (n.names, 0);
  pm_record_set_decision (record, "claude-haiku-4-5", "low", "anthropic", TRUE, "Short step.", explanation);
  g_assert_cmpuint (n.names->len, ==, 0);

  pm_record_set_usage (record, &usage, 0.002, 0.010);
  g_assert_true (notified (&n, "input-tokens"));
  g_assert_true (notified (&n, "cache-hit"));
  g_assert_true (notified (&n, "saved"));
  g_assert_true (notified (&n, "cost"));
  g_object_get (record,
                "cache-write-tokens", &cache_write,
                "cache-hit", &cache_hit,
                "saved", &saved,
                NULL);
  g_assert_cmpint (cache_write, ==, 100);
  g_assert_cmpfloat_with_epsilon (cache_hit, 800.0 / 1000.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (saved, 0.008, 1e-12);
  pm_record_get_usage (record, &back);
  g_assert_cmpint (back.reasoning, ==, 120);

  g_ptr_array_set_size (n.names, 0);
  pm_record_set_state (record, PM_RECORD_STREAMING, 200, NULL);
  g_assert_true (notified (&n, "state"));
  g_assert_true (notified (&n, "status"));
  pm_record_set_timing (record, 12.5, 340.0);
  g_assert_true (notified (&n, "ttfb-ms"));
  pm_record_set_state (record, PM_RECORD_DONE, 200, NULL);
  g_object_get (record, "state", &state, NULL);
  g_assert_cmpint (state, ==, PM_RECORD_DONE);

  g_signal_handlers_disconnect_by_func (record, notify_cb, &n);
  g_ptr_array_unref (n.names);
  g_assert_finalize_object (record);
}

static void
test_record_json_roundtrip (void)
{
  g_autoptr(PmRecord) record = pm_record_new ("req-2", 1700000000123456);
  g_autoptr(PmRecord) back = NULL;
  g_autoptr(JsonNode) explanation = json_from_string ("{\"reasons\":[\"r1\"],\"candidates\":[{\"model\":\"m\",\"q\":0.9}]}", NULL);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) json2 = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  g_autoptr(JsonNode) reparsed = NULL;
  JsonObject *object;
  PmUsage usage = sample_usage ();
  PmUsage back_usage;

  pm_record_set_request (record, "sess-b", PM_AGENT_CODEX, PM_KIND_MAIN, PM_API_OPENAI_RESPONSES, "pointsman/auto");
  pm_record_set_decision (record, "gpt-5-mini", "medium", "openai", TRUE, "Routine edit.", explanation);
  pm_record_set_usage (record, &usage, 0.0125, 0.05);
  pm_record_set_timing (record, 80.0, 1500.0);
  pm_record_set_state (record, PM_RECORD_FAILED, 502, "upstream closed the connection");

  /* No prompt: no member at all. */
  {
    g_autoptr(JsonNode) plain = pm_record_to_json (record);

    g_assert_false (json_object_has_member (json_node_get_object (plain), "prompt"));
  }
  pm_record_set_prompt (record, "fix the failing test in utils.c");

  json = pm_record_to_json (record);
  object = json_node_get_object (json);
  /* The explanation is embedded as JSON, not as a string. */
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "explanation")));
  g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 502);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (object, "usage"), "cache_read"), ==, 800);

  /* Through text, as the store and the HTTP endpoint carry it. */
  text = json_to_string (json, FALSE);
  reparsed = json_from_string (text, NULL);
  g_assert_nonnull (reparsed);
  back = pm_record_new_from_json (json_node_get_object (reparsed));
  g_assert_nonnull (back);
  g_assert_cmpstr (pm_record_get_id (back), ==, "req-2");
  g_assert_cmpint (pm_record_get_time (back), ==, 1700000000123456);
  g_assert_cmpstr (pm_record_get_session (back), ==, "sess-b");
  g_assert_cmpstr (pm_record_get_agent (back), ==, "codex");
  g_assert_cmpstr (pm_record_get_api (back), ==, "openai-responses");
  g_assert_cmpstr (pm_record_get_requested_model (back), ==, "pointsman/auto");
  g_assert_cmpstr (pm_record_get_model (back), ==, "gpt-5-mini");
  g_assert_cmpstr (pm_record_get_effort (back), ==, "medium");
  g_assert_true (pm_record_get_routed (back));
  g_assert_cmpfloat_with_epsilon (pm_record_get_cost (back), 0.0125, 1e-12);
  g_assert_cmpfloat_with_epsilon (pm_record_get_baseline_cost (back), 0.05, 1e-12);
  g_assert_cmpfloat_with_epsilon (pm_record_get_ttfb_ms (back), 80.0, 1e-9);
  g_assert_cmpuint (pm_record_get_status (back), ==, 502);
  g_assert_cmpint (pm_record_get_state (back), ==, PM_RECORD_FAILED);
  g_assert_cmpstr (pm_record_get_error (back), ==, "upstream closed the connection");
  g_assert_cmpstr (pm_record_get_prompt (back), ==, "fix the failing test in utils.c");
  pm_record_get_usage (back, &back_usage);
  g_assert_cmpint (back_usage.input, ==, 100);
  g_assert_cmpint (back_usage.cache_write_1h, ==, 40);
  g_assert_cmpint (back_usage.output, ==, 250);
  g_assert_true (back_usage.seen);

  json2 = pm_record_to_json (back);
  text2 = json_to_string (json2, FALSE);
  g_assert_cmpstr (text, ==, text2);

  /* No id: rejected. */
  {
    g_autoptr(JsonNode) bad = json_from_string ("{\"model\":\"x\"}", NULL);

    g_assert_null (pm_record_new_from_json (json_node_get_object (bad)));
  }
}

typedef struct
{
  guint position;
  guint removed;
  guint added;
  guint count;
} Changed;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changed    *c)
{
  c->position = position;
  c->removed += removed;
  c->added += added;
  c->count++;
}

static void
test_log_model (void)
{
  PmRequestLog *log = pm_request_log_new (3);
  Changed c = { 0 };
  PmRecord *keep = NULL;

  g_assert_true (G_IS_LIST_MODEL (log));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (log)) == PM_TYPE_RECORD);
  g_signal_connect (log, "items-changed", G_CALLBACK (items_changed_cb), &c);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("r%u", i);
      g_autoptr(PmRecord) record = pm_record_new (id, i);

      pm_request_log_append (log, record);
      g_assert_cmpuint (c.position, ==, i);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 3);
  g_assert_cmpuint (c.added, ==, 3);

  /* The same id twice is ignored. */
  {
    g_autoptr(PmRecord) dup = pm_record_new ("r1", 99);

    pm_request_log_append (log, dup);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 3);
    g_assert_true (pm_request_log_lookup (log, "r1") != dup);
  }

  /* Beyond max: the oldest goes. */
  {
    g_autoptr(PmRecord) record = pm_record_new ("r3", 3);
    g_autoptr(PmRecord) first = NULL;
    g_autoptr(PmRecord) last = NULL;

    pm_request_log_append (log, record);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 3);
    g_assert_cmpuint (c.removed, ==, 1);
    g_assert_null (pm_request_log_lookup (log, "r0"));
    g_assert_true (pm_request_log_lookup (log, "r3") == record);
    first = g_list_model_get_item (G_LIST_MODEL (log), 0);
    last = g_list_model_get_item (G_LIST_MODEL (log), 2);
    g_assert_cmpstr (pm_record_get_id (first), ==, "r1");
    g_assert_cmpstr (pm_record_get_id (last), ==, "r3");
    g_assert_null (g_list_model_get_item (G_LIST_MODEL (log), 3));
  }

  keep = g_object_ref (pm_request_log_lookup (log, "r2"));
  pm_request_log_clear (log);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 0);
  g_assert_null (pm_request_log_lookup (log, "r2"));
  g_assert_cmpuint (c.removed, ==, 4);

  /* Records do not outlive their last reference. */
  g_assert_finalize_object (keep);
  g_signal_handlers_disconnect_by_func (log, items_changed_cb, &c);
  g_assert_finalize_object (log);
}

static void
test_log_unlimited (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (0);

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *id = g_strdup_printf ("id-%u", i);
      g_autoptr(PmRecord) record = pm_record_new (id, i);

      pm_request_log_append (log, record);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 2000);
  g_assert_cmpint (pm_record_get_time (pm_request_log_lookup (log, "id-1234")), ==, 1234);
}

/* Resident size of this process in kB (/proc/self/statm). */
static long
rss_kb (void)
{
  g_autofree char *statm = NULL;
  long pages = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL) ||
      sscanf (statm, "%ld %ld", &pages, &resident) != 2)
    return -1;
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

#ifdef HAVE_MALLOC_TRIM
/* Bytes glibc's malloc has handed out (0 when another allocator replaced it). */
static gsize
heap_in_use (void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  return mallinfo2 ().uordblks;
#else
  return G_MAXSIZE;   /* cannot tell: the RSS check decides */
#endif
}
#endif

/* A full log drops its oldest record on every append. What the dropped records held is freed
 * below memory that lives on, where glibc keeps the pages resident; the log has them given back
 * (malloc_trim) soon after. Without that, the process stays as big as the most the log ever held. */
static void
test_log_gives_memory_back (void)
{
#ifndef HAVE_MALLOC_TRIM
  g_test_skip ("no malloc_trim in this C library");
#else
  g_autoptr(PmRequestLog) log = pm_request_log_new (1000);
  g_autofree char *text = g_strnfill (32 * 1024, 'x');
  g_autofree char *pin = NULL;
  long before, full, after;
  gint64 deadline;

  gsize heap_before;

  pm_request_log_set_keep_full (log, 0);
  heap_before = heap_in_use ();
  before = rss_kb ();
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *id = g_strdup_printf ("big-%u", i);
      g_autoptr(PmRecord) record = pm_record_new (id, i);

      pm_record_set_prompt (record, text);
      pm_request_log_append (log, record);
    }
  /* Something allocated after them that stays: the heap cannot just shrink from the top. */
  pin = g_malloc (100 * 1024);
  memset (pin, 1, 100 * 1024);
  full = rss_kb ();
  /* Under ASan or valgrind another allocator (with its own quarantine of freed blocks) serves
   * malloc: glibc's heap does not hold the records and trimming it cannot give them back. */
  if ((heap_before != G_MAXSIZE && heap_in_use () < heap_before + 24 * 1024 * 1024) ||
      before < 0 || full - before < 24 * 1024)
    {
      g_test_skip ("the 32 MiB of records are not on glibc's heap here (valgrind or a sanitizer?)");
      return;
    }

  /* 1,000 small records push all the big ones out. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *id = g_strdup_printf ("small-%u", i);
      g_autoptr(PmRecord) record = pm_record_new (id, 1000 + i);

      pm_request_log_append (log, record);
    }
  g_assert_null (pm_request_log_lookup (log, "big-999"));

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((after = rss_kb ()) > full - 24 * 1024 && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (20 * 1000);
    }
  g_test_message ("RSS %ld kB before, %ld kB with 1,000 records of 32 kB, %ld kB after they were dropped",
                  before, full, after);
  g_assert_cmpint (after, <=, full - 24 * 1024);
  g_assert_cmpint (pin[100 * 1024 - 1], ==, 1);
#endif
}

/* A record that failed before any decision (bad JSON, refused) has no model yet: its string
 * properties read "" rather than NULL, so the app's GtkStringSorter columns (which casefold the
 * value) can sort such rows. Before this, sorting the list by Model aborted the app. */
static void
test_record_unset_strings (void)
{
  g_autoptr(PmRecord) record = pm_record_new ("pm-empty", 1);
  const char *names[] = { "session", "agent", "kind", "api", "requested-model", "model",
                          "effort", "provider" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *value = NULL;

      g_object_get (record, names[i], &value, NULL);
      g_assert_nonnull (value);
      g_assert_cmpstr (value, ==, "");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/record/properties", test_record_properties);
  g_test_add_func ("/pm/record/json-roundtrip", test_record_json_roundtrip);
  g_test_add_func ("/pm/record/unset-strings", test_record_unset_strings);
  g_test_add_func ("/pm/request-log/model", test_log_model);
  g_test_add_func ("/pm/request-log/unlimited", test_log_unlimited);
  g_test_add_func ("/pm/request-log/gives-memory-back", test_log_gives_memory_back);

  return g_test_run ();
}
