/* pm-quality-model.h — the learned quality model: P(success | task text, model)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hashed word uni- and bigrams of the task text plus a few structure features (length, lines,
 * code, tracebacks, file paths), one logistic regression per model, trained in C by full-batch
 * gradient descent. The weights file is small and binary (see pm-quality-model.c for the
 * layout). The router calls pm_quality_model_predict () with the first user message of a
 * session; the evaluation (pm-eval, `pointsman-cli eval`) uses the very same function.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PM_QUALITY_MODEL_DEFAULT_HASH_BITS 12
#define PM_QUALITY_MODEL_N_STRUCT          6

typedef struct
{
  double  l2;               /* L2 strength on the mean log-loss (bias not regularised) */
  double  learning_rate;
  guint   iterations;       /* full-batch gradient steps */
} PmQualityTrainParams;

#define PM_QUALITY_TRAIN_PARAMS_INIT { 1e-3, 2.0, 200 }

#define PM_TYPE_QUALITY_MODEL (pm_quality_model_get_type ())
G_DECLARE_FINAL_TYPE (PmQualityModel, pm_quality_model, PM, QUALITY_MODEL, GObject)

/* An untrained model (predicts 0.5) for the given model ids. hash_bits in 4..20. */
PmQualityModel *pm_quality_model_new             (const char * const *model_ids,
                                                  guint               hash_bits);
PmQualityModel *pm_quality_model_new_from_file   (const char         *path,
                                                  GError            **error);
PmQualityModel *pm_quality_model_new_from_bytes  (GBytes             *bytes,
                                                  GError            **error);
gboolean        pm_quality_model_save            (PmQualityModel     *self,
                                                  const char         *path,
                                                  GError            **error);
GBytes         *pm_quality_model_to_bytes        (PmQualityModel     *self);

/* labels: n_texts × n_models row-major, 1 = success, 0 = failure, NAN = unknown (skipped). */
gboolean        pm_quality_model_train           (PmQualityModel     *self,
                                                  const char * const *texts,
                                                  guint               n_texts,
                                                  const double       *labels,
                                                  const PmQualityTrainParams *params,
                                                  GError            **error);

/* k-fold cross-validation (folds ≥ 2, tasks assigned to folds by a @seed-ed shuffle): trains a
 * fresh model on each k−1 folds and predicts the held-out fold. Writes the out-of-fold
 * predictions to @oof (n_texts × n_models, may be NULL) and returns the mean log-loss over the
 * known labels (lower is better), or NAN on error. */
double          pm_quality_model_cross_validate  (const char * const *model_ids,
                                                  guint               hash_bits,
                                                  const char * const *texts,
                                                  guint               n_texts,
                                                  const double       *labels,
                                                  const PmQualityTrainParams *params,
                                                  guint               folds,
                                                  guint32             seed,
                                                  double             *oof);
/* Picks the L2 strength with the lowest cross-validated log-loss among @grid (n_grid values). */
double          pm_quality_model_tune_l2         (const char * const *model_ids,
                                                  guint               hash_bits,
                                                  const char * const *texts,
                                                  guint               n_texts,
                                                  const double       *labels,
                                                  const double       *grid,
                                                  guint               n_grid,
                                                  guint               folds,
                                                  guint32             seed);
/* Assigns n items to folds 0..folds-1 in a shuffled, balanced way (deterministic per seed). */
void            pm_quality_model_fold_assignment (guint               n,
                                                  guint               folds,
                                                  guint32             seed,
                                                  guint              *fold_of);

/* P(success) of @model_id on a task described by @text; -1 when the model is unknown.
 * Pure computation, microseconds for a few kB of text; thread-safe on a trained model. */
double          pm_quality_model_predict         (PmQualityModel     *self,
                                                  const char         *text,
                                                  const char         *model_id);
/* The same for every model at once: @out holds n_models values, in model order. */
void            pm_quality_model_predict_all     (PmQualityModel     *self,
                                                  const char         *text,
                                                  double             *out);

guint           pm_quality_model_get_n_models    (PmQualityModel     *self);
const char     *pm_quality_model_get_model_id    (PmQualityModel     *self,
                                                  guint               index);
/* Exact id, or -1. */
int             pm_quality_model_find_model      (PmQualityModel     *self,
                                                  const char         *model_id);
guint           pm_quality_model_get_hash_bits   (PmQualityModel     *self);

/* The sparse feature vector of @text: appends guint indices and float values (L2-normalised
 * n-gram part, then structure features at indices 2^hash_bits + k). Exposed for tests. */
void            pm_quality_model_featurize       (guint               hash_bits,
                                                  const char         *text,
                                                  GArray             *indices,
                                                  GArray             *values);

G_END_DECLS
