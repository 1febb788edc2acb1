/* test-request-log.c — PmRequestLog as a ring: order, signals, lookups and compaction while the
 * oldest records are dropped and the ring wraps around
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-record.h"
#include "pm-request-log.h"

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

static PmRecord *
record_new (guint n)
{
  g_autofree char *id = g_strdup_printf ("rec-%u", n);

  return pm_record_new (id, n);
}

/* The log holds exactly the records first..last (by number), oldest first. */
static void
assert_holds (PmRequestLog *log,
              guint         first,
              guint         last)
{
  GListModel *model = G_LIST_MODEL (log);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, last - first + 1);
  for (guint i = first; i <= last; i++)
    {
      g_autoptr(PmRecord) item = g_list_model_get_item (model, i - first);
      g_autofree char *id = g_strdup_printf ("rec-%u", i);

      g_assert_nonnull (item);
      g_assert_cmpstr (pm_record_get_id (item), ==, id);
      g_assert_true (pm_request_log_lookup (log, id) == item);
    }
  g_assert_null (g_list_model_get_item (model, last - first + 1));
}

/* A full log of 7 takes 50 records: each append past 7 drops the oldest (items-changed 0,1,0)
 * then adds at the end (6,0,1), and the log reads in order across the ring's wrap. */
static void
test_ring_order (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (7);
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));

  g_signal_connect (log, "items-changed", G_CALLBACK (items_changed_cb), changes);

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(PmRecord) record = record_new (i);
      const Change *change;

      g_array_set_size (changes, 0);
      pm_request_log_append (log, record);
      assert_holds (log, i < 7 ? 0 : i - 6, i);
      if (i >= 7)
        {
          g_autofree char *dropped = g_strdup_printf ("rec-%u", i - 7);

          g_assert_null (pm_request_log_lookup (log, dropped));
          g_assert_cmpuint (changes->len, ==, 2);
          change = &g_array_index (changes, Change, 0);
          g_assert_cmpuint (change->position, ==, 0);
          g_assert_cmpuint (change->removed, ==, 1);
          g_assert_cmpuint (change->added, ==, 0);
        }
      change = &g_array_index (changes, Change, changes->len - 1);
      g_assert_cmpuint (change->position, ==, MIN (i, 6));
      g_assert_cmpuint (change->removed, ==, 0);
      g_assert_cmpuint (change->added, ==, 1);
    }

  /* An id already in the log, wherever the ring put it, is not added twice. */
  {
    g_autoptr(PmRecord) again = record_new (45);

    g_array_set_size (changes, 0);
    pm_request_log_append (log, again);
    g_assert_cmpuint (changes->len, ==, 0);
    assert_holds (log, 43, 49);
    g_assert_true (pm_request_log_lookup (log, "rec-45") != again);
  }
  g_signal_handlers_disconnect_by_func (log, items_changed_cb, changes);
}

/* Dropped records are released; cleared ones too; the log starts again after a clear. */
static void
test_ring_releases (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (4);
  PmRecord *first = record_new (0);
  PmRecord *last;

  g_object_add_weak_pointer (G_OBJECT (first), (gpointer *) &first);
  pm_request_log_append (log, first);
  g_object_unref (first);
  g_assert_nonnull (first);
  for (guint i = 1; i <= 4; i++)
    {
      g_autoptr(PmRecord) record = record_new (i);

      pm_request_log_append (log, record);
    }
  g_assert_null (first);
  assert_holds (log, 1, 4);

  last = g_object_ref (pm_request_log_lookup (log, "rec-4"));
  g_object_add_weak_pointer (G_OBJECT (last), (gpointer *) &last);
  pm_request_log_clear (log);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 0);
  g_assert_null (pm_request_log_lookup (log, "rec-4"));
  g_object_unref (last);
  g_assert_null (last);

  for (guint i = 10; i < 19; i++)
    {
      g_autoptr(PmRecord) record = record_new (i);

      pm_request_log_append (log, record);
    }
  assert_holds (log, 15, 18);
}

/* Without a limit the ring grows (doubling) and keeps every record in order. */
static void
test_ring_unlimited (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (0);

  for (guint i = 0; i < 3000; i++)
    {
      g_autoptr(PmRecord) record = record_new (i);

      pm_request_log_append (log, record);
    }
  assert_holds (log, 0, 2999);
}

static void
run_idles (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A finished record with a few kB of explanation (compressible, as real ones are). */
static PmRecord *
finished_record_new (guint n)
{
  g_autoptr(PmRecord) record = record_new (n);
  g_autoptr(GString) json = g_string_new ("{\"candidates\":[");
  g_autoptr(JsonNode) explanation = NULL;

  for (guint i = 0; i < 40; i++)
    g_string_append_printf (json, "%s{\"model\":\"model-%u\",\"score\":%u,\"why\":\"cheaper\"}",
                            i > 0 ? "," : "", i, n + i);
  g_string_append (json, "]}");
  explanation = json_from_string (json->str, NULL);
  g_assert_nonnull (explanation);
  pm_record_set_decision (record, "model-1", NULL, "sim", TRUE, "cheaper", explanation);
  pm_record_set_state (record, PM_RECORD_DONE, 200, NULL);
  return g_steal_pointer (&record);
}

/* Compaction walks the log by position while the ring drops and wraps: every record past the
 * newest keep_full ends compacted, the newest do not, and all read back the same explanation. */
static void
test_ring_compaction (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (20);
  GListModel *model = G_LIST_MODEL (log);

  pm_request_log_set_keep_full (log, 5);
  for (guint i = 0; i < 97; i++)
    {
      g_autoptr(PmRecord) record = finished_record_new (i);

      pm_request_log_append (log, record);
      if (i % 3 == 0)
        run_idles ();
    }
  run_idles ();
  assert_holds (log, 77, 96);

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(PmRecord) item = g_list_model_get_item (model, i);
      g_autofree char *want = g_strdup_printf ("\"score\":%u,", 77 + i);

      g_assert_cmpint (pm_record_is_compact (item), ==, i < 15);
      g_assert_nonnull (strstr (pm_record_get_explanation (item), want));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pm/request-log/ring/order", test_ring_order);
  g_test_add_func ("/pm/request-log/ring/releases", test_ring_releases);
  g_test_add_func ("/pm/request-log/ring/unlimited", test_ring_unlimited);
  g_test_add_func ("/pm/request-log/ring/compaction", test_ring_compaction);

  return g_test_run ();
}
