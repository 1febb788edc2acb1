/* test-app-record-watch.c — PmRecordWatch: one notify::state handler per record, connected once,
 * gone after remove, remove-all and free, and removable from inside the handler itself.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-record-watch.h"

typedef struct
{
  PmRecordWatch *watch;
  guint          calls;
  gboolean       remove_when_done;
} Counter;

static void
on_state (PmRecord   *record,
          GParamSpec *pspec,
          Counter    *counter)
{
  counter->calls++;
  if (counter->remove_when_done && pm_record_get_state (record) >= PM_RECORD_DONE)
    g_assert_true (pm_record_watch_remove (counter->watch, record));
}

static void
test_add_remove (void)
{
  Counter counter = { 0 };
  g_autoptr(PmRecord) a = pm_record_new ("a", 1);
  g_autoptr(PmRecord) b = pm_record_new ("b", 2);

  counter.watch = pm_record_watch_new (G_CALLBACK (on_state), &counter);
  g_assert_false (pm_record_watch_contains (counter.watch, a));
  g_assert_true (pm_record_watch_add (counter.watch, a));
  g_assert_false (pm_record_watch_add (counter.watch, a));
  g_assert_true (pm_record_watch_contains (counter.watch, a));
  g_assert_false (pm_record_watch_contains (counter.watch, b));

  /* Connected once, though added twice; b is not watched. */
  pm_record_set_state (a, PM_RECORD_STREAMING, 0, NULL);
  g_assert_cmpuint (counter.calls, ==, 1);
  pm_record_set_state (b, PM_RECORD_STREAMING, 0, NULL);
  g_assert_cmpuint (counter.calls, ==, 1);

  g_assert_true (pm_record_watch_remove (counter.watch, a));
  g_assert_false (pm_record_watch_remove (counter.watch, a));
  g_assert_false (pm_record_watch_contains (counter.watch, a));
  pm_record_set_state (a, PM_RECORD_DONE, 200, NULL);
  g_assert_cmpuint (counter.calls, ==, 1);

  /* Added again after its removal, it is connected again. */
  g_assert_true (pm_record_watch_add (counter.watch, a));
  pm_record_set_state (a, PM_RECORD_FAILED, 500, "x");
  g_assert_cmpuint (counter.calls, ==, 2);

  pm_record_watch_free (counter.watch);
}

static void
test_remove_in_handler (void)
{
  Counter counter = { 0 };
  g_autoptr(PmRecord) a = pm_record_new ("a", 1);

  counter.watch = pm_record_watch_new (G_CALLBACK (on_state), &counter);
  counter.remove_when_done = TRUE;
  pm_record_watch_add (counter.watch, a);
  pm_record_set_state (a, PM_RECORD_STREAMING, 0, NULL);
  pm_record_set_state (a, PM_RECORD_DONE, 200, NULL);
  g_assert_cmpuint (counter.calls, ==, 2);
  g_assert_false (pm_record_watch_contains (counter.watch, a));
  pm_record_set_state (a, PM_RECORD_FAILED, 500, "x");
  g_assert_cmpuint (counter.calls, ==, 2);

  pm_record_watch_free (counter.watch);
}

static void
test_remove_all_and_free (void)
{
  Counter counter = { 0 };
  g_autoptr(PmRecord) a = pm_record_new ("a", 1);
  g_autoptr(PmRecord) b = pm_record_new ("b", 2);

  counter.watch = pm_record_watch_new (G_CALLBACK (on_state), &counter);
  pm_record_watch_add (counter.watch, a);
  pm_record_watch_add (counter.watch, b);
  pm_record_watch_remove_all (counter.watch);
  g_assert_false (pm_record_watch_contains (counter.watch, a));
  g_assert_false (pm_record_watch_contains (counter.watch, b));
  pm_record_set_state (a, PM_RECORD_STREAMING, 0, NULL);
  pm_record_set_state (b, PM_RECORD_STREAMING, 0, NULL);
  g_assert_cmpuint (counter.calls, ==, 0);

  /* Freeing the set disconnects what is still watched. */
  pm_record_watch_add (counter.watch, a);
  pm_record_watch_free (counter.watch);
  pm_record_set_state (a, PM_RECORD_DONE, 200, NULL);
  g_assert_cmpuint (counter.calls, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/record-watch/add-remove", test_add_remove);
  g_test_add_func ("/app/record-watch/remove-in-handler", test_remove_in_handler);
  g_test_add_func ("/app/record-watch/remove-all-and-free", test_remove_all_and_free);

  return g_test_run ();
}
