/* pm-savings-series.h — the savings chart's data: model → series → normalised series
 *
 * Follows Sysprof's pipeline: PmSavingsSeries reads the request log (a GListModel of PmRecord)
 * into cumulative points (time, actual cost, default-model cost) and per-model cost; the
 * normalised view maps them to 0..1 on both axes for the layers to draw.
 *
 * The series is incremental: it mirrors the log's items-changed, adds a point when a record
 * finishes (appended finished, or its state turns done later), keeps running totals and the
 * per-model shares, and drops the points of records that leave the log (the oldest, when the
 * log is full) by moving an offset — O(1) amortised per record. Only a record that finishes out
 * of time order, or leaves from the middle, touches the points after it. "changed" is emitted
 * once per main-loop iteration however many records arrived (an idle before GTK's redraw).
 * pm_savings_series_update recomputes everything (a new model).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  gint64      time_us;
  double      actual;       /* cumulative USD */
  double      baseline;     /* cumulative USD */
  const char *model;        /* the request's model (interned by the series) */
} PmSavingsPoint;

typedef struct
{
  const char *model;
  double      cost;         /* USD, this model's part of the actual cost */
  guint       requests;
} PmModelShare;

#define PM_TYPE_SAVINGS_SERIES (pm_savings_series_get_type ())
G_DECLARE_FINAL_TYPE (PmSavingsSeries, pm_savings_series, PM, SAVINGS_SERIES, GObject)

PmSavingsSeries      *pm_savings_series_new          (void);
/* Watches model's items-changed; the series emits "changed" (coalesced) when points change. */
void                  pm_savings_series_set_model    (PmSavingsSeries *self,
                                                      GListModel      *model);
/* Recompute everything from the model now (emits "changed"). */
void                  pm_savings_series_update       (PmSavingsSeries *self);
guint                 pm_savings_series_get_n_points (PmSavingsSeries *self);
/* The point at index (time order), its totals cumulative from the first point. */
gboolean              pm_savings_series_get_point    (PmSavingsSeries *self,
                                                      guint            index,
                                                      PmSavingsPoint  *point);
/* Shares sorted by cost, largest first (models without a request left out). */
GArray               *pm_savings_series_get_shares   (PmSavingsSeries *self);
double                pm_savings_series_get_max      (PmSavingsSeries *self);
gint64                pm_savings_series_get_begin    (PmSavingsSeries *self);
gint64                pm_savings_series_get_end      (PmSavingsSeries *self);
/* Normalised coordinates (x by time, y by the larger cumulative total), 0..1. */
void                  pm_savings_series_normalize    (PmSavingsSeries *self,
                                                      guint            index,
                                                      double          *x,
                                                      double          *y_actual,
                                                      double          *y_baseline);
/* The point nearest to normalised x, or -1 (binary search). */
int                   pm_savings_series_lookup       (PmSavingsSeries *self,
                                                      double           x);
/* Full recomputations so far (set_model, update): stays put while records stream. */
guint                 pm_savings_series_get_n_recomputes (PmSavingsSeries *self);

G_END_DECLS
