/* pm-quality-model.c — hashed n-gram logistic regression per model, trained in C
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Weights file (little-endian):
 *   "PMQM" | u32 version (1) | u32 hash_bits | u32 n_struct | u32 n_models
 *   n_models × { u32 id_length | id bytes (UTF-8, no NUL) }
 *   n_models × { f32 weights[2^hash_bits + n_struct] | f32 bias }
 */
#define G_LOG_DOMAIN "pm-quality"

#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "pm-quality-model.h"
#include "pm-types.h"

#define MAGIC "PMQM"
#define FORMAT_VERSION 1

struct _PmQualityModel
{
  GObject   parent_instance;

  guint     hash_bits;
  guint     n_models;
  guint     dims;         /* 2^hash_bits + n_struct, bias kept apart */
  char    **model_ids;
  float    *weights;      /* n_models × dims */
  float    *bias;         /* n_models */
};

G_DEFINE_FINAL_TYPE (PmQualityModel, pm_quality_model, G_TYPE_OBJECT)

static void
pm_quality_model_finalize (GObject *object)
{
  PmQualityModel *self = PM_QUALITY_MODEL (object);

  g_clear_pointer (&self->model_ids, g_strfreev);
  g_clear_pointer (&self->weights, g_free);
  g_clear_pointer (&self->bias, g_free);

  G_OBJECT_CLASS (pm_quality_model_parent_class)->finalize (object);
}

static void
pm_quality_model_class_init (PmQualityModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pm_quality_model_finalize;
}

static void
pm_quality_model_init (PmQualityModel *self)
{
}

static PmQualityModel *
model_alloc (guint hash_bits,
             guint n_models)
{
  PmQualityModel *self = g_object_new (PM_TYPE_QUALITY_MODEL, NULL);

  self->hash_bits = hash_bits;
  self->n_models = n_models;
  self->dims = (1u << hash_bits) + PM_QUALITY_MODEL_N_STRUCT;
  self->model_ids = g_new0 (char *, n_models + 1);
  self->weights = g_new0 (float, (gsize) n_models * self->dims);
  self->bias = g_new0 (float, MAX (n_models, 1));

  return self;
}

PmQualityModel *
pm_quality_model_new (const char * const *model_ids,
                      guint               hash_bits)
{
  PmQualityModel *self;
  guint n;

  g_return_val_if_fail (model_ids != NULL, NULL);
  g_return_val_if_fail (hash_bits >= 4 && hash_bits <= 20, NULL);

  n = g_strv_length ((char **) model_ids);
  self = model_alloc (hash_bits, n);
  for (guint i = 0; i < n; i++)
    self->model_ids[i] = g_strdup (model_ids[i]);

  return self;
}

/* ---- features ------------------------------------------------------------------------------ */

static guint32
fnv1a (const char *s,
       gsize       len,
       guint32     h)
{
  for (gsize i = 0; i < len; i++)
    {
      h ^= (guchar) s[i];
      h *= 16777619u;
    }
  return h;
}

typedef struct
{
  guint  index;
  float  value;
} Feature;

static int
compare_features (const void *a,
                  const void *b)
{
  const Feature *fa = a;
  const Feature *fb = b;

  return fa->index < fb->index ? -1 : fa->index > fb->index ? 1 : 0;
}

void
pm_quality_model_featurize (guint       hash_bits,
                            const char *text,
                            GArray     *indices,
                            GArray     *values)
{
  g_autoptr(GArray) feats = g_array_new (FALSE, FALSE, sizeof (Feature));
  guint32 mask = (1u << hash_bits) - 1;
  guint32 prev = 0;
  gboolean have_prev = FALSE;
  gsize len, n_lines = 1, n_paths = 0;
  gboolean code = FALSE, traceback = FALSE, error_word = FALSE;
  double norm = 0.0;
  guint n_ngram;
  const char *p;

  g_return_if_fail (hash_bits >= 4 && hash_bits <= 20);
  g_return_if_fail (indices != NULL && values != NULL);

  if (text == NULL)
    text = "";
  len = strlen (text);

  /* Word tokens: runs of ASCII letters, digits and '_' (lower-cased). */
  p = text;
  while (*p)
    {
      char buf[64];
      gsize tl = 0;

      while (*p && !(g_ascii_isalnum (*p) || *p == '_'))
        {
          if (*p == '\n')
            n_lines++;
          p++;
        }
      if (!*p)
        break;
      while (*p && (g_ascii_isalnum (*p) || *p == '_'))
        {
          if (tl < sizeof buf)
            buf[tl++] = g_ascii_tolower (*p);
          p++;
        }
      if (*p == '.' && p[1] == 'p' && p[2] == 'y')
        n_paths++;

      {
        guint32 h = fnv1a (buf, tl, 2166136261u);
        Feature f = { h & mask, 1.0f };

        g_array_append_val (feats, f);
        if (have_prev)
          {
            guint32 hb = fnv1a (buf, tl, prev * 31u + 0x9e3779b9u);
            Feature fb = { hb & mask, 1.0f };

            g_array_append_val (feats, fb);
          }
        prev = h;
        have_prev = TRUE;
      }
    }

  code = strstr (text, "```") != NULL || strstr (text, "    ") != NULL;
  traceback = strstr (text, "Traceback") != NULL;
  error_word = strstr (text, "Error") != NULL || strstr (text, "error") != NULL;

  /* Merge duplicates, then L2-normalise the n-gram part. */
  if (feats->len > 0)
    {
      guint w = 0;

      qsort (feats->data, feats->len, sizeof (Feature), compare_features);
      for (guint r = 1; r < feats->len; r++)
        {
          Feature *fw = &g_array_index (feats, Feature, w);
          Feature *fr = &g_array_index (feats, Feature, r);

          if (fr->index == fw->index)
            fw->value += fr->value;
          else
            g_array_index (feats, Feature, ++w) = *fr;
        }
      g_array_set_size (feats, w + 1);
    }
  for (guint i = 0; i < feats->len; i++)
    norm += g_array_index (feats, Feature, i).value * g_array_index (feats, Feature, i).value;
  norm = norm > 0 ? 1.0 / sqrt (norm) : 0.0;
  n_ngram = feats->len;

  for (guint i = 0; i < n_ngram; i++)
    {
      Feature *f = &g_array_index (feats, Feature, i);
      float v = (float) (f->value * norm);

      g_array_append_val (indices, f->index);
      g_array_append_val (values, v);
    }

  {
    float s[PM_QUALITY_MODEL_N_STRUCT] = {
      (float) (log1p ((double) len) / 10.0),
      (float) (log1p ((double) n_lines) / 6.0),
      code ? 1.0f : 0.0f,
      traceback ? 1.0f : 0.0f,
      error_word ? 1.0f : 0.0f,
      (float) (log1p ((double) n_paths) / 3.0),
    };
    guint base = 1u << hash_bits;

    for (guint k = 0; k < PM_QUALITY_MODEL_N_STRUCT; k++)
      {
        guint idx = base + k;

        g_array_append_val (indices, idx);
        g_array_append_val (values, s[k]);
      }
  }
}

/* ---- training -------------------------------------------------------------------------------- */

static double
sigmoid (double z)
{
  if (z >= 0)
    return 1.0 / (1.0 + exp (-z));
  else
    {
      double e = exp (z);

      return e / (1.0 + e);
    }
}

gboolean
pm_quality_model_train (PmQualityModel             *self,
                        const char * const         *texts,
                        guint                       n_texts,
                        const double               *labels,
                        const PmQualityTrainParams *params,
                        GError                    **error)
{
  PmQualityTrainParams defaults = PM_QUALITY_TRAIN_PARAMS_INIT;
  g_autofree guint *offsets = NULL;
  g_autoptr(GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) val = g_array_new (FALSE, FALSE, sizeof (float));
  g_autofree double *grad = NULL;

  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), FALSE);
  g_return_val_if_fail (texts != NULL || n_texts == 0, FALSE);
  g_return_val_if_fail (labels != NULL || n_texts == 0, FALSE);

  if (params == NULL)
    params = &defaults;

  if (n_texts == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_FAILED, "No training examples");
      return FALSE;
    }

  offsets = g_new (guint, n_texts + 1);
  for (guint t = 0; t < n_texts; t++)
    {
      offsets[t] = idx->len;
      pm_quality_model_featurize (self->hash_bits, texts[t], idx, val);
    }
  offsets[n_texts] = idx->len;

  grad = g_new (double, self->dims);
  for (guint m = 0; m < self->n_models; m++)
    {
      float *w = self->weights + (gsize) m * self->dims;
      guint n_pos = 0, n_lab = 0;
      double b;

      for (guint t = 0; t < n_texts; t++)
        {
          double y = labels[(gsize) t * self->n_models + m];

          if (isnan (y))
            continue;
          n_lab++;
          n_pos += y >= 0.5;
        }
      memset (w, 0, sizeof (float) * self->dims);
      if (n_lab == 0)
        {
          self->bias[m] = 0.0f;
          continue;
        }
      /* Start from the smoothed base rate. */
      b = log ((n_pos + 0.5) / (n_lab - n_pos + 0.5));

      for (guint it = 0; it < params->iterations; it++)
        {
          double gb = 0.0;

          memset (grad, 0, sizeof (double) * self->dims);
          for (guint t = 0; t < n_texts; t++)
            {
              double y = labels[(gsize) t * self->n_models + m];
              double z = b, r;

              if (isnan (y))
                continue;
              for (guint k = offsets[t]; k < offsets[t + 1]; k++)
                z += w[g_array_index (idx, guint, k)] * g_array_index (val, float, k);
              r = sigmoid (z) - (y >= 0.5 ? 1.0 : 0.0);
              gb += r;
              for (guint k = offsets[t]; k < offsets[t + 1]; k++)
                grad[g_array_index (idx, guint, k)] += r * g_array_index (val, float, k);
            }
          for (guint d = 0; d < self->dims; d++)
            w[d] -= (float) (params->learning_rate * (grad[d] / n_lab + params->l2 * w[d]));
          b -= params->learning_rate * gb / n_lab;
        }
      self->bias[m] = (float) b;
    }

  return TRUE;
}

void
pm_quality_model_fold_assignment (guint    n,
                                  guint    folds,
                                  guint32  seed,
                                  guint   *fold_of)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree guint *perm = g_new (guint, MAX (n, 1));

  g_return_if_fail (folds >= 1 && fold_of != NULL);

  for (guint i = 0; i < n; i++)
    perm[i] = i;
  for (guint i = n; i > 1; i--)
    {
      guint j = g_rand_int_range (rand, 0, (gint32) i);
      guint tmp = perm[i - 1];

      perm[i - 1] = perm[j];
      perm[j] = tmp;
    }
  for (guint i = 0; i < n; i++)
    fold_of[perm[i]] = i % folds;
}

double
pm_quality_model_cross_validate (const char * const         *model_ids,
                                 guint                       hash_bits,
                                 const char * const         *texts,
                                 guint                       n_texts,
                                 const double               *labels,
                                 const PmQualityTrainParams *params,
                                 guint                       folds,
                                 guint32                     seed,
                                 double                     *oof)
{
  guint n_models;
  g_autofree guint *fold_of = NULL;
  double loss = 0.0;
  guint n_loss = 0;

  g_return_val_if_fail (model_ids != NULL && texts != NULL && labels != NULL, NAN);
  g_return_val_if_fail (folds >= 2 && n_texts >= folds, NAN);

  n_models = g_strv_length ((char **) model_ids);
  fold_of = g_new (guint, n_texts);
  pm_quality_model_fold_assignment (n_texts, folds, seed, fold_of);

  for (guint f = 0; f < folds; f++)
    {
      g_autoptr(PmQualityModel) model = pm_quality_model_new (model_ids, hash_bits);
      g_autoptr(GPtrArray) tr_texts = g_ptr_array_new ();
      g_autoptr(GArray) tr_labels = g_array_new (FALSE, FALSE, sizeof (double));
      g_autofree double *pred = g_new (double, n_models);

      for (guint t = 0; t < n_texts; t++)
        {
          if (fold_of[t] == f)
            continue;
          g_ptr_array_add (tr_texts, (gpointer) texts[t]);
          g_array_append_vals (tr_labels, labels + (gsize) t * n_models, n_models);
        }
      if (!pm_quality_model_train (model, (const char * const *) tr_texts->pdata, tr_texts->len,
                                   (const double *) tr_labels->data, params, NULL))
        return NAN;

      for (guint t = 0; t < n_texts; t++)
        {
          if (fold_of[t] != f)
            continue;
          pm_quality_model_predict_all (model, texts[t], pred);
          for (guint m = 0; m < n_models; m++)
            {
              double y = labels[(gsize) t * n_models + m];
              double p = CLAMP (pred[m], 1e-6, 1 - 1e-6);

              if (oof)
                oof[(gsize) t * n_models + m] = pred[m];
              if (isnan (y))
                continue;
              loss += y >= 0.5 ? -log (p) : -log (1 - p);
              n_loss++;
            }
        }
    }

  return n_loss > 0 ? loss / n_loss : NAN;
}

double
pm_quality_model_tune_l2 (const char * const *model_ids,
                          guint               hash_bits,
                          const char * const *texts,
                          guint               n_texts,
                          const double       *labels,
                          const double       *grid,
                          guint               n_grid,
                          guint               folds,
                          guint32             seed)
{
  PmQualityTrainParams params = PM_QUALITY_TRAIN_PARAMS_INIT;
  double best_l2, best_loss = INFINITY;

  g_return_val_if_fail (grid != NULL && n_grid > 0, params.l2);

  best_l2 = grid[0];
  for (guint g = 0; g < n_grid; g++)
    {
      double loss;

      params.l2 = grid[g];
      loss = pm_quality_model_cross_validate (model_ids, hash_bits, texts, n_texts, labels,
                                              &params, folds, seed, NULL);
      if (isfinite (loss) && loss < best_loss)
        {
          best_loss = loss;
          best_l2 = grid[g];
        }
    }

  return best_l2;
}

/* ---- prediction ------------------------------------------------------------------------------ */

static double
predict_index (PmQualityModel *self,
               GArray         *idx,
               GArray         *val,
               guint           m)
{
  const float *w = self->weights + (gsize) m * self->dims;
  double z = self->bias[m];

  for (guint k = 0; k < idx->len; k++)
    z += w[g_array_index (idx, guint, k)] * g_array_index (val, float, k);

  return sigmoid (z);
}

double
pm_quality_model_predict (PmQualityModel *self,
                          const char     *text,
                          const char     *model_id)
{
  g_autoptr(GArray) idx = NULL;
  g_autoptr(GArray) val = NULL;
  int m;

  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), -1.0);
  g_return_val_if_fail (model_id != NULL, -1.0);

  m = pm_quality_model_find_model (self, model_id);
  if (m < 0)
    return -1.0;

  idx = g_array_new (FALSE, FALSE, sizeof (guint));
  val = g_array_new (FALSE, FALSE, sizeof (float));
  pm_quality_model_featurize (self->hash_bits, text, idx, val);

  return predict_index (self, idx, val, (guint) m);
}

void
pm_quality_model_predict_all (PmQualityModel *self,
                              const char     *text,
                              double         *out)
{
  g_autoptr(GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) val = g_array_new (FALSE, FALSE, sizeof (float));

  g_return_if_fail (PM_IS_QUALITY_MODEL (self));
  g_return_if_fail (out != NULL);

  pm_quality_model_featurize (self->hash_bits, text, idx, val);
  for (guint m = 0; m < self->n_models; m++)
    out[m] = predict_index (self, idx, val, m);
}

guint
pm_quality_model_get_n_models (PmQualityModel *self)
{
  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), 0);
  return self->n_models;
}

const char *
pm_quality_model_get_model_id (PmQualityModel *self,
                               guint           index)
{
  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), NULL);
  g_return_val_if_fail (index < self->n_models, NULL);
  return self->model_ids[index];
}

int
pm_quality_model_find_model (PmQualityModel *self,
                             const char     *model_id)
{
  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), -1);
  g_return_val_if_fail (model_id != NULL, -1);

  for (guint i = 0; i < self->n_models; i++)
    if (g_str_equal (self->model_ids[i], model_id))
      return (int) i;
  return -1;
}

guint
pm_quality_model_get_hash_bits (PmQualityModel *self)
{
  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), 0);
  return self->hash_bits;
}

/* ---- serialisation --------------------------------------------------------------------------- */

static void
put_u32 (GByteArray *out,
         guint32     v)
{
  guint32 le = GUINT32_TO_LE (v);

  g_byte_array_append (out, (const guint8 *) &le, 4);
}

static void
put_f32 (GByteArray *out,
         float       f)
{
  guint32 bits;

  memcpy (&bits, &f, 4);
  put_u32 (out, bits);
}

GBytes *
pm_quality_model_to_bytes (PmQualityModel *self)
{
  GByteArray *out;

  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), NULL);

  out = g_byte_array_new ();
  g_byte_array_append (out, (const guint8 *) MAGIC, 4);
  put_u32 (out, FORMAT_VERSION);
  put_u32 (out, self->hash_bits);
  put_u32 (out, PM_QUALITY_MODEL_N_STRUCT);
  put_u32 (out, self->n_models);
  for (guint m = 0; m < self->n_models; m++)
    {
      guint32 len = strlen (self->model_ids[m]);

      put_u32 (out, len);
      g_byte_array_append (out, (const guint8 *) self->model_ids[m], len);
    }
  for (guint m = 0; m < self->n_models; m++)
    {
      for (guint d = 0; d < self->dims; d++)
        put_f32 (out, self->weights[(gsize) m * self->dims + d]);
      put_f32 (out, self->bias[m]);
    }

  return g_byte_array_free_to_bytes (out);
}

gboolean
pm_quality_model_save (PmQualityModel  *self,
                       const char      *path,
                       GError         **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (PM_IS_QUALITY_MODEL (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create %s", dir);
      return FALSE;
    }
  bytes = pm_quality_model_to_bytes (self);

  return g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                              error);
}

typedef struct
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
} Reader;

static gboolean
get_u32 (Reader  *r,
         guint32 *v)
{
  guint32 le;

  if (r->len - r->pos < 4)
    return FALSE;
  memcpy (&le, r->data + r->pos, 4);
  r->pos += 4;
  *v = GUINT32_FROM_LE (le);
  return TRUE;
}

static gboolean
get_f32 (Reader *r,
         float  *f)
{
  guint32 bits;

  if (!get_u32 (r, &bits))
    return FALSE;
  memcpy (f, &bits, 4);
  return isfinite (*f);
}

PmQualityModel *
pm_quality_model_new_from_bytes (GBytes  *bytes,
                                 GError **error)
{
  g_autoptr(PmQualityModel) self = NULL;
  Reader r = { 0 };
  guint32 version, bits, n_struct, n_models;

  g_return_val_if_fail (bytes != NULL, NULL);

  r.data = g_bytes_get_data (bytes, &r.len);
  if (r.len < 4 || memcmp (r.data, MAGIC, 4) != 0)
    goto bad;
  r.pos = 4;
  if (!get_u32 (&r, &version) || version != FORMAT_VERSION ||
      !get_u32 (&r, &bits) || bits < 4 || bits > 20 ||
      !get_u32 (&r, &n_struct) || n_struct != PM_QUALITY_MODEL_N_STRUCT ||
      !get_u32 (&r, &n_models) || n_models == 0 || n_models > 4096)
    goto bad;

  self = model_alloc (bits, n_models);
  for (guint m = 0; m < n_models; m++)
    {
      guint32 len;

      if (!get_u32 (&r, &len) || len == 0 || len > 256 || r.len - r.pos < len)
        goto bad;
      self->model_ids[m] = g_strndup ((const char *) r.data + r.pos, len);
      if (!g_utf8_validate (self->model_ids[m], -1, NULL))
        goto bad;
      r.pos += len;
    }
  if (r.len - r.pos != (gsize) n_models * (self->dims + 1) * 4)
    goto bad;
  for (guint m = 0; m < n_models; m++)
    {
      for (guint d = 0; d < self->dims; d++)
        if (!get_f32 (&r, &self->weights[(gsize) m * self->dims + d]))
          goto bad;
      if (!get_f32 (&r, &self->bias[m]))
        goto bad;
    }

  return g_steal_pointer (&self);

bad:
  g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "Not a Pointsman quality-model file (or damaged)");
  return NULL;
}

PmQualityModel *
pm_quality_model_new_from_file (const char  *path,
                                GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);

  return pm_quality_model_new_from_bytes (bytes, error);
}
