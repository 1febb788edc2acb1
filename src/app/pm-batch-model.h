/* pm-batch-model.h — a GListModel that follows another one a main-loop iteration late
 *
 * The request log emits items-changed for every record (and one more when a full log drops its
 * oldest). The live list's filter → sort → selection → column view chain does its work per
 * items-changed: with records arriving faster than frames, that is work for rows nobody sees
 * in between. PmBatchModel mirrors the source and applies what changed once per main-loop
 * iteration (an idle before GTK's layout and redraw): the usual "dropped at the front,
 * appended at the end" as at most two items-changed, anything else as one replacement.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PM_TYPE_BATCH_MODEL (pm_batch_model_get_type ())
G_DECLARE_FINAL_TYPE (PmBatchModel, pm_batch_model, PM, BATCH_MODEL, GObject)

PmBatchModel *pm_batch_model_new          (GListModel   *source);
GListModel   *pm_batch_model_get_source   (PmBatchModel *self);
/* Apply what is pending now (tests; also done on idle). */
void          pm_batch_model_flush        (PmBatchModel *self);
/* items-changed emitted so far (for tests and benchmarks). */
guint         pm_batch_model_get_n_emitted (PmBatchModel *self);

G_END_DECLS
