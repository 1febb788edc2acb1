/* test-app-why.c — the why-pane and the request list render the core's records robustly:
 * the router's explanation JSON in its documented shape, with members missing, of the wrong
 * type, or not JSON at all; a live record that changes while it streams; 10 000 rows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gtk/gtk.h>
#include <adwaita.h>

#include "pm-batch-model.h"
#include "pm-request-list.h"
#include "pm-savings-series.h"
#include "pm-test-utils.h"
#include "pm-why-pane.h"

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
spin (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;
  guint id = g_timeout_add (10, tick, NULL);

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static PmRecord *
make_record (const char *id,
             const char *session,
             const char *model,
             const char *explanation_json,
             double      cost,
             double      baseline)
{
  PmRecord *r = pm_record_new (id, g_get_real_time ());
  g_autoptr(JsonNode) expl = NULL;
  PmUsage usage;

  pm_record_set_request (r, session, PM_AGENT_CLAUDE_CODE, PM_KIND_MAIN, PM_API_ANTHROPIC, "pointsman/auto");
  if (explanation_json != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, explanation_json, -1, NULL))
        expl = json_node_copy (json_parser_get_root (parser));
    }
  pm_record_set_decision (r, model, "medium", "anthropic", TRUE,
                          "Kept sonnet: switching would re-read 40k cached tokens.", expl);
  pm_usage_init (&usage);
  usage.input = 1200;
  usage.cache_read = 40000;
  usage.output = 300;
  usage.seen = TRUE;
  pm_record_set_usage (r, &usage, cost, baseline);
  pm_record_set_timing (r, 420.0, 1800.0);
  pm_record_set_state (r, PM_RECORD_DONE, 200, NULL);

  return r;
}

static const char *good_explanation =
  "{\"model\":\"claude-sonnet-4-5\",\"lambda\":0.42,\"quality_floor\":0.9,"
  "\"session\":{\"id\":\"session-aaaa-1111\",\"steps\":7,\"previous_model\":\"claude-sonnet-4-5\",\"switches\":1},"
  "\"candidates\":["
  "{\"model\":\"claude-sonnet-4-5\",\"effort\":\"medium\",\"q\":0.81,\"cost\":0.0213,\"utility\":0.62,\"cached_tokens\":40000,"
  "\"reprefill_tokens\":0,\"chosen\":true,\"current\":true,\"fixup_cost\":0.0040,\"uncached_tokens\":1200,"
  "\"cache_write_tokens\":300,\"output_tokens\":900,\"prior_source\":\"SWE-bench Verified\"},"
  "{\"model\":\"claude-haiku-4-5\",\"effort\":\"low\",\"q\":0.55,\"step_cost\":0.0310,\"cached_tokens\":0,"
  "\"excluded\":\"below the quality floor\"},"
  "{\"model\":\"gpt-5\",\"effort\":\"high\",\"q\":0.84,\"cost\":0.0921,\"utility\":0.12,\"cached_tokens\":0,"
  "\"reprefill_tokens\":41500}],"
  "\"reasons\":[\"Main-agent step digesting a failing test run.\","
  "\"Switching to haiku would re-read 40000 cached tokens uncached.\"]}";

static void
test_render_explanation (void)
{
  GtkWidget *window = gtk_window_new ();
  PmWhyPane *why = PM_WHY_PANE (pm_why_pane_new ());
  g_autoptr(PmRequestLog) log = pm_request_log_new (0);
  g_autoptr(PmRecord) r = make_record ("r1", "session-aaaa-1111", "claude-sonnet-4-5", good_explanation, 0.0213, 0.0580);
  g_autofree char *text = NULL;

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (why));
  gtk_window_present (GTK_WINDOW (window));
  pm_request_log_append (log, r);
  pm_why_pane_set_record (why, G_LIST_MODEL (log), r);
  gtk_test_widget_wait_for_draw (window);

  g_assert_cmpuint (pm_why_pane_get_n_candidates (why), ==, 3);
  g_assert_cmpuint (pm_why_pane_get_n_reasons (why), ==, 2);
  text = pm_why_pane_dup_text (why);
  g_test_message ("%s", text);
  /* chosen candidate marked, numbers formatted, exclusion note and reasons in plain words */
  g_assert_nonnull (strstr (text, "✓ claude-sonnet-4-5"));
  g_assert_nonnull (strstr (text, "0.81"));
  g_assert_nonnull (strstr (text, "$0.0213"));
  g_assert_nonnull (strstr (text, "40.0k"));
  g_assert_nonnull (strstr (text, "below the quality floor"));
  g_assert_nonnull (strstr (text, "Switching to haiku would re-read 40000 cached tokens uncached."));
  g_assert_nonnull (strstr (text, "Kept sonnet"));
  /* figures: cost, default-model cost, saved */
  g_assert_nonnull (strstr (text, "$0.0580"));
  g_assert_nonnull (strstr (text, "$0.0367"));
  g_assert_nonnull (strstr (text, "1 request in this session"));
  g_assert_null (strstr (text, "✓ gpt-5"));
  /* the excluded candidate shows its step cost; tokens at stake for a switch */
  g_assert_nonnull (strstr (text, "$0.0310"));
  g_assert_nonnull (strstr (text, "41.5k"));
  /* the decision's figures in words */
  g_assert_nonnull (strstr (text, "failure risk priced at $0.0040"));
  g_assert_nonnull (strstr (text, "quality prior from SWE-bench Verified"));
  g_assert_nonnull (strstr (text, "λ = 0.42"));
  g_assert_nonnull (strstr (text, "step 7"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_render_malformed (void)
{
  static const char *cases[] = {
    NULL,
    "not json at all {",
    "[1,2,3]",
    "{\"candidates\":\"nope\",\"reasons\":7}",
    "{\"candidates\":[1,\"x\",null,{\"model\":42,\"q\":\"high\",\"cost\":null}],\"reasons\":[null,{\"text\":\"object reason\"},3]}",
    "{}",
  };
  static const guint want_candidates[] = { 0, 0, 0, 0, 1, 0 };
  static const guint want_reasons[] = { 0, 0, 0, 0, 1, 0 };
  GtkWidget *window = gtk_window_new ();
  PmWhyPane *why = PM_WHY_PANE (pm_why_pane_new ());
  g_autoptr(PmRequestLog) log = pm_request_log_new (0);

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (why));
  gtk_window_present (GTK_WINDOW (window));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = g_strdup_printf ("m%u", i);
      g_autoptr(PmRecord) r = make_record (id, "s", "claude-haiku-4-5", cases[i], 0.001, 0.002);
      g_autofree char *text = NULL;

      pm_request_log_append (log, r);
      pm_why_pane_set_record (why, G_LIST_MODEL (log), r);
      gtk_test_widget_wait_for_draw (window);
      g_assert_cmpuint (pm_why_pane_get_n_candidates (why), ==, want_candidates[i]);
      g_assert_cmpuint (pm_why_pane_get_n_reasons (why), ==, want_reasons[i]);
      text = pm_why_pane_dup_text (why);
      g_assert_nonnull (strstr (text, "claude-haiku-4-5"));
      if (want_reasons[i] == 0)
        g_assert_nonnull (strstr (text, "No reasons recorded."));
      else
        g_assert_nonnull (strstr (text, "object reason"));
    }

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_live_update (void)
{
  GtkWidget *window = gtk_window_new ();
  PmWhyPane *why = PM_WHY_PANE (pm_why_pane_new ());
  g_autoptr(PmRequestLog) log = pm_request_log_new (0);
  g_autoptr(PmRecord) r = pm_record_new ("live", g_get_real_time ());
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *before = NULL, *after = NULL;
  PmUsage usage;

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (why));
  gtk_window_present (GTK_WINDOW (window));
  pm_record_set_request (r, "s-live", PM_AGENT_CODEX, PM_KIND_SUBAGENT, PM_API_OPENAI_RESPONSES, "gpt-5");
  pm_request_log_append (log, r);
  pm_why_pane_set_record (why, G_LIST_MODEL (log), r);
  gtk_test_widget_wait_for_draw (window);
  before = pm_why_pane_dup_text (why);
  g_assert_nonnull (strstr (before, "not decided"));

  /* The proxy decides, then usage arrives: the pane follows without being told. */
  g_assert_true (json_parser_load_from_data (parser, good_explanation, -1, NULL));
  pm_record_set_decision (r, "gpt-5-mini", "low", "openai", TRUE, "Sub-agent search: the small model is enough.",
                          json_parser_get_root (parser));
  pm_usage_init (&usage);
  usage.input = 5000;
  usage.output = 100;
  usage.seen = TRUE;
  pm_record_set_usage (r, &usage, 0.0015, 0.02);
  pm_record_set_state (r, PM_RECORD_DONE, 200, NULL);
  /* The pane coalesces a burst of notifications into one refresh shortly after. */
  for (guint i = 0; i < 200; i++)
    {
      g_free (after);
      after = pm_why_pane_dup_text (why);
      if (strstr (after, "gpt-5-mini") != NULL)
        break;
      spin (10);
    }
  g_assert_nonnull (strstr (after, "gpt-5-mini · effort low"));
  g_assert_nonnull (strstr (after, "Sub-agent search"));
  g_assert_nonnull (strstr (after, "$0.0015"));
  g_assert_cmpuint (pm_why_pane_get_n_candidates (why), ==, 3);
  /* The timeline followed the record's model without reading the log again. */
  g_assert_cmpuint (pm_session_timeline_get_n_scans (pm_why_pane_get_timeline (why)), ==, 1);
  g_assert_cmpstr (pm_session_timeline_get_models (pm_why_pane_get_timeline (why))[0], ==, "gpt-5-mini");
  g_assert_nonnull (strstr (pm_session_timeline_get_summary (pm_why_pane_get_timeline (why)), "gpt-5-mini ×1"));

  /* Another record of the session: read again, both steps. */
  {
    g_autoptr(PmRecord) second = pm_record_new ("live-2", g_get_real_time ());

    pm_record_set_request (second, "s-live", PM_AGENT_CODEX, PM_KIND_MAIN, PM_API_OPENAI_RESPONSES, "gpt-5");
    pm_record_set_decision (second, "gpt-5", "medium", "openai", TRUE, "Main turn.", NULL);
    pm_request_log_append (log, second);
    pm_why_pane_set_record (why, G_LIST_MODEL (log), second);
    g_assert_cmpuint (pm_session_timeline_get_n_scans (pm_why_pane_get_timeline (why)), ==, 2);
    g_assert_cmpuint (pm_session_timeline_get_n_steps (pm_why_pane_get_timeline (why)), ==, 2);
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

/* GTK 4.8's list view warns, and ignores the request, when an adjustment value cannot be mapped
 * onto rows yet ("failed to scroll to given position"); whether it happens depends on frame
 * timing under Xvfb (seen once in CI). The test checks where the list ends up, so warnings are
 * not fatal while it runs; criticals still are. (g_test_log_set_fatal_handler does not apply to
 * GTK's structured log messages, so the fatal mask is lowered instead.) */
static void
test_list_large (void)
{
  GtkWidget *window = gtk_window_new ();
  PmRequestList *list = PM_REQUEST_LIST (pm_request_list_new ());
  g_autoptr(PmRequestLog) log = pm_request_log_new (0);
  GtkSingleSelection *selection = pm_request_list_get_selection (list);
  guint n = 10000;

  GLogLevelFlags fatal_mask = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 600);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (list));
  gtk_window_present (GTK_WINDOW (window));
  pm_request_list_set_model (list, G_LIST_MODEL (log));

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("big-%u", i);
      g_autofree char *session = g_strdup_printf ("session-%u", i % 7);
      g_autoptr(PmRecord) r = make_record (id, session, i % 3 ? "claude-haiku-4-5" : "claude-sonnet-4-5",
                                           NULL, (i % 101) * 0.001, 0.2);

      pm_request_log_append (log, r);
    }
  gtk_test_widget_wait_for_draw (window);
  spin (200);   /* incremental sorting */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (selection)), ==, n);

  pm_request_list_set_session_filter (list, "session-3");
  spin (50);
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, n / 7 + (n % 7 > 3 ? 1 : 0));
  pm_request_list_set_session_filter (list, NULL);
  g_assert_cmpuint (pm_request_list_get_n_shown (list), ==, n);

  /* At the top, the list follows the newest rows as they arrive; scrolled away, it stays. */
  {
    GtkAdjustment *vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (pm_request_list_get_column_view (list)));

    g_assert_true (pm_request_list_get_following (list));
    for (guint round = 0; round < 2; round++)
      {
        for (guint i = 0; i < 40; i++)
          {
            g_autofree char *id = g_strdup_printf ("more-%u-%u", round, i);
            g_autoptr(PmRecord) r = make_record (id, "session-more", "claude-haiku-4-5", NULL, 0.001, 0.2);

            pm_request_log_append (log, r);
          }
        spin (300);
        if (round == 0)
          {
            g_assert_cmpfloat (gtk_adjustment_get_value (vadj), ==, 0.0);
            /* The user scrolls down (between frames, as an event does). */
            gtk_adjustment_set_value (vadj, 3000.0);
            g_assert_false (pm_request_list_get_following (list));
          }
        else
          g_assert_cmpfloat (gtk_adjustment_get_value (vadj), >, 0.0);
      }
    gtk_adjustment_set_value (vadj, 0.0);
    g_assert_true (pm_request_list_get_following (list));
  }

  /* Selecting a row exposes the record. */
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (selection), 5, TRUE);
  g_assert_nonnull (pm_request_list_get_selected (list));

  gtk_window_destroy (GTK_WINDOW (window));
  g_log_set_always_fatal (fatal_mask);
}

/* The incremental savings series equals a full recompute at every step: records appended done,
 * appended pending and finishing later (out of time order too), failing, and the oldest dropped
 * by a full log; it never recomputes in the meantime. */
static int
compare_time (gconstpointer a,
              gconstpointer b)
{
  const PmSavingsPoint *pa = a, *pb = b;

  return pa->time_us < pb->time_us ? -1 : pa->time_us > pb->time_us;
}

static void
assert_series_equal (PmSavingsSeries *incremental,
                     GListModel      *log)
{
  g_autoptr(PmSavingsSeries) full = pm_savings_series_new ();
  GArray *a, *b;
  guint n;

  pm_savings_series_set_model (full, log);
  n = pm_savings_series_get_n_points (full);
  g_assert_cmpuint (pm_savings_series_get_n_points (incremental), ==, n);
  g_assert_cmpint (pm_savings_series_get_begin (incremental), ==, pm_savings_series_get_begin (full));
  g_assert_cmpint (pm_savings_series_get_end (incremental), ==, pm_savings_series_get_end (full));
  g_assert_cmpfloat_with_epsilon (pm_savings_series_get_max (incremental), pm_savings_series_get_max (full), 1e-9);
  for (guint i = 0; i < n; i++)
    {
      PmSavingsPoint p, q;

      g_assert_true (pm_savings_series_get_point (incremental, i, &p));
      g_assert_true (pm_savings_series_get_point (full, i, &q));
      g_assert_cmpint (p.time_us, ==, q.time_us);
      g_assert_cmpfloat_with_epsilon (p.actual, q.actual, 1e-9);
      g_assert_cmpfloat_with_epsilon (p.baseline, q.baseline, 1e-9);
      g_assert_cmpstr (p.model, ==, q.model);
    }
  g_assert_false (pm_savings_series_get_point (incremental, n, &(PmSavingsPoint) { 0 }));

  /* And both equal the sums straight from the log: finished records in time order. */
  {
    g_autoptr(GArray) done = g_array_new (FALSE, FALSE, sizeof (PmSavingsPoint));
    double actual = 0, baseline = 0;

    for (guint i = 0; i < g_list_model_get_n_items (log); i++)
      {
        g_autoptr(PmRecord) r = g_list_model_get_item (log, i);
        PmSavingsPoint p = { pm_record_get_time (r), pm_record_get_cost (r), pm_record_get_baseline_cost (r), NULL };

        if (pm_record_get_state (r) == PM_RECORD_DONE)
          g_array_append_val (done, p);
      }
    g_array_sort (done, compare_time);
    g_assert_cmpuint (done->len, ==, n);
    for (guint i = 0; i < done->len; i++)
      {
        PmSavingsPoint p;

        actual += g_array_index (done, PmSavingsPoint, i).actual;
        baseline += g_array_index (done, PmSavingsPoint, i).baseline;
        g_assert_true (pm_savings_series_get_point (incremental, i, &p));
        g_assert_cmpint (p.time_us, ==, g_array_index (done, PmSavingsPoint, i).time_us);
        g_assert_cmpfloat_with_epsilon (p.actual, actual, 1e-9);
        g_assert_cmpfloat_with_epsilon (p.baseline, baseline, 1e-9);
      }
  }
  a = pm_savings_series_get_shares (incremental);
  b = pm_savings_series_get_shares (full);
  g_assert_cmpuint (a->len, ==, b->len);
  /* Same models, requests and costs (the order of near-equal costs may differ by rounding). */
  for (guint i = 0; i < a->len; i++)
    {
      const PmModelShare *sa = &g_array_index (a, PmModelShare, i);
      const PmModelShare *sb = NULL;

      if (i > 0)
        g_assert_cmpfloat (sa->cost, <=, g_array_index (a, PmModelShare, i - 1).cost + 1e-9);
      for (guint j = 0; j < b->len; j++)
        if (g_strcmp0 (g_array_index (b, PmModelShare, j).model, sa->model) == 0)
          sb = &g_array_index (b, PmModelShare, j);
      g_assert_nonnull (sb);
      g_assert_cmpuint (sa->requests, ==, sb->requests);
      g_assert_cmpfloat_with_epsilon (sa->cost, sb->cost, 1e-9);
    }
}

/* The list's batch model follows the log a main-loop iteration late, in at most two
 * items-changed however many records arrived and left, and always ends equal to the log. */
static void
assert_same_items (GListModel *a,
                   GListModel *b)
{
  g_assert_cmpuint (g_list_model_get_n_items (a), ==, g_list_model_get_n_items (b));
  for (guint i = 0; i < g_list_model_get_n_items (a); i++)
    {
      g_autoptr(GObject) x = g_list_model_get_item (a, i);
      g_autoptr(GObject) y = g_list_model_get_item (b, i);

      g_assert_true (x == y);
    }
}

static void
test_batch_model (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (30);
  g_autoptr(PmBatchModel) batched = NULL;
  guint emitted, round = 0;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("pre-%u", i);
      g_autoptr(PmRecord) r = pm_record_new (id, g_get_real_time ());

      pm_request_log_append (log, r);
    }
  batched = pm_batch_model_new (G_LIST_MODEL (log));
  assert_same_items (G_LIST_MODEL (batched), G_LIST_MODEL (log));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (batched)) == g_list_model_get_item_type (G_LIST_MODEL (log)));

  /* Appends, then appends that make the full log drop its oldest (each its own items-changed
   * in the log): nothing until the main loop runs, then at most a removal and an append. */
  {
    static const guint batches[] = { 5, 15, 12, 45, 1 };

    for (guint b = 0; b < G_N_ELEMENTS (batches); b++)
      {
        guint before = g_list_model_get_n_items (G_LIST_MODEL (batched));

        emitted = pm_batch_model_get_n_emitted (batched);
        for (guint i = 0; i < batches[b]; i++)
          {
            g_autofree char *id = g_strdup_printf ("r-%u-%u", b, i);
            g_autoptr(PmRecord) r = pm_record_new (id, g_get_real_time ());

            pm_request_log_append (log, r);
          }
        g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (batched)), ==, before);
        while (g_main_context_iteration (NULL, FALSE))
          ;
        assert_same_items (G_LIST_MODEL (batched), G_LIST_MODEL (log));
        g_assert_cmpuint (pm_batch_model_get_n_emitted (batched) - emitted, <=, 2);
        round++;
      }
  }
  g_assert_cmpuint (round, ==, 5);

  /* Anything else (cleared, then refilled): one replacement. */
  emitted = pm_batch_model_get_n_emitted (batched);
  pm_request_log_clear (log);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("after-clear-%u", i);
      g_autoptr(PmRecord) r = pm_record_new (id, g_get_real_time ());

      pm_request_log_append (log, r);
    }
  pm_batch_model_flush (batched);
  assert_same_items (G_LIST_MODEL (batched), G_LIST_MODEL (log));
  g_assert_cmpuint (pm_batch_model_get_n_emitted (batched) - emitted, <=, 2);
}

static void
count_cb (guint *count)
{
  (*count)++;
}

static void
test_savings_incremental (void)
{
  g_autoptr(PmRequestLog) log = pm_request_log_new (40);
  g_autoptr(PmSavingsSeries) series = pm_savings_series_new ();
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 t0 = g_get_real_time ();
  guint changed = 0;
  PmSavingsPoint first;

  pm_savings_series_set_model (series, G_LIST_MODEL (log));
  g_signal_connect_swapped (series, "changed", G_CALLBACK (count_cb), &changed);
  g_assert_cmpuint (pm_savings_series_get_n_recomputes (series), ==, 1);

  for (guint i = 0; i < 130; i++)
    {
      g_autofree char *id = g_strdup_printf ("s-%u", i);
      g_autoptr(PmRecord) r = pm_record_new (id, t0 + (gint64) i * 1000000);
      PmUsage usage;

      pm_record_set_request (r, "sess", PM_AGENT_CLAUDE_CODE, PM_KIND_MAIN, PM_API_ANTHROPIC, "pointsman/auto");
      pm_record_set_decision (r, i % 4 == 0 ? "claude-sonnet-4-5" : i % 4 == 1 ? "gpt-5-mini" : "claude-haiku-4-5",
                              "medium", "anthropic", TRUE, "test", NULL);
      pm_usage_init (&usage);
      usage.seen = TRUE;
      usage.input = 100 + i;
      if (i % 5 == 2)
        {
          /* Streaming: finishes a few appends later, after younger records did. */
          pm_record_set_state (r, PM_RECORD_STREAMING, 200, NULL);
          g_ptr_array_add (pending, g_object_ref (r));
        }
      else
        {
          pm_record_set_usage (r, &usage, 0.001 * (i % 17), 0.02);
          pm_record_set_state (r, i % 11 == 3 ? PM_RECORD_FAILED : PM_RECORD_DONE, 200, NULL);
        }
      pm_request_log_append (log, r);
      if (pending->len == 3)
        {
          /* The newest first: out of time order. */
          for (guint k = pending->len; k-- > 0;)
            {
              PmRecord *p = g_ptr_array_index (pending, k);

              pm_record_set_usage (p, &usage, 0.003 * k + 0.0005, 0.02);
              pm_record_set_state (p, k == 1 ? PM_RECORD_FAILED : PM_RECORD_DONE, 200, NULL);
            }
          g_ptr_array_set_size (pending, 0);
        }
      assert_series_equal (series, G_LIST_MODEL (log));
    }
  /* The log kept its newest 40: the series starts at the oldest finished one of them. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 40);
  g_assert_true (pm_savings_series_get_point (series, 0, &first));
  g_assert_cmpint (first.time_us, >=, t0 + 90 * (gint64) 1000000);
  g_assert_cmpuint (pm_savings_series_get_n_recomputes (series), ==, 1);

  /* "changed" comes once per main-loop iteration, not once per record. */
  changed = 0;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  changed = 0;
  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *id = g_strdup_printf ("t-%u", i);
      g_autoptr(PmRecord) r = pm_record_new (id, t0 + (gint64) (200 + i) * 1000000);

      pm_record_set_decision (r, "gpt-5-mini", "low", "openai", TRUE, "test", NULL);
      pm_record_set_state (r, PM_RECORD_DONE, 200, NULL);
      pm_request_log_append (log, r);
    }
  g_assert_cmpuint (changed, ==, 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (changed, ==, 1);
  assert_series_equal (series, G_LIST_MODEL (log));

  /* Cleared: empty. */
  pm_request_log_clear (log);
  g_assert_cmpuint (pm_savings_series_get_n_points (series), ==, 0);
  g_assert_cmpfloat (pm_savings_series_get_max (series), ==, 0);
  g_assert_cmpuint (pm_savings_series_get_shares (series)->len, ==, 0);
  g_assert_cmpint (pm_savings_series_lookup (series, 0.5), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display (run under ./build-aux/test.sh or xvfb-run)\n");
      return 0;
    }
  adw_init ();

  g_test_add_func ("/app/why/render", test_render_explanation);
  g_test_add_func ("/app/why/malformed", test_render_malformed);
  g_test_add_func ("/app/why/live-update", test_live_update);
  g_test_add_func ("/app/list/large", test_list_large);
  g_test_add_func ("/app/savings/incremental", test_savings_incremental);
  g_test_add_func ("/app/list/batch-model", test_batch_model);

  return g_test_run ();
}
