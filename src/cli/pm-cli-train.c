/* pm-cli-train.c — `pointsman-cli train`: fit the quality model and write its weights file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-cli-train"

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "pm-catalog.h"
#include "pm-cli.h"
#include "pm-eval.h"
#include "pm-quality-model.h"

static const double l2_grid[] = { 1e-3, 1e-2, 1e-1 };

int
pm_cli_train (int argc, char **argv)
{
  g_autofree char *problems = NULL, *results = NULL, *routerbench = NULL, *output = NULL;
  g_autofree char *catalog_path = NULL;
  gboolean keep_names = FALSE;
  g_auto(GStrv) exclude = NULL;
  int folds = 5, seed = 1, bits = PM_QUALITY_MODEL_DEFAULT_HASH_BITS;
  double l2 = 0;
  GOptionEntry entries[] = {
    { "problems", 0, 0, G_OPTION_ARG_FILENAME, &problems, "SWE-bench problems JSONL (task texts)", "FILE" },
    { "results", 0, 0, G_OPTION_ARG_FILENAME, &results, "SWE-bench per-instance results CSV (labels)", "FILE" },
    { "routerbench", 0, 0, G_OPTION_ARG_FILENAME, &routerbench, "Train on a RouterBench CSV instead", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Weights file (default: ~/.local/share/pointsman/quality-model.bin)", "FILE" },
    { "folds", 0, 0, G_OPTION_ARG_INT, &folds, "Cross-validation folds for tuning and the report (default 5)", "K" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the fold assignment (default 1)", "N" },
    { "l2", 0, 0, G_OPTION_ARG_DOUBLE, &l2, "L2 strength (default: the best of 0.001, 0.01, 0.1 by cross-validation)", "X" },
    { "hash-bits", 0, 0, G_OPTION_ARG_INT, &bits, "Feature hash bits (default 12)", "B" },
    { "catalog", 0, 0, G_OPTION_ARG_FILENAME, &catalog_path, "Catalog whose ids name the columns (default: the installed one)", "FILE" },
    { "keep-names", 0, 0, G_OPTION_ARG_NONE, &keep_names, "Keep the data's model names instead of catalog ids", NULL },
    { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exclude, "Skip submissions containing this (default: claude-3-7-sonnet)", "TEXT" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- train the quality model on local data and write its weights");
  g_autoptr(GError) error = NULL;
  g_autoptr(PmEvalMatrix) m = NULL;
  g_autoptr(PmQualityModel) model = NULL;
  g_autofree double *labels = NULL;
  g_autofree double *oof = NULL;
  g_autofree double *scores = NULL;
  g_autofree gboolean *lab = NULL;
  const char *default_exclude[] = { "claude-3-7-sonnet", NULL };
  PmQualityTrainParams params = PM_QUALITY_TRAIN_PARAMS_INIT;
  double loss;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "Columns are named by catalog id where the catalog knows the model, so the router can ask\n"
    "pm_quality_model_predict () with its own ids; the router reads the file named by\n"
    "PM_QUALITY_MODEL. Keep weights trained on non-commercial data (SWE-bench per-instance\n"
    "results, RouterBench) as local files: do not ship them.\n");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (routerbench == NULL && (problems == NULL || results == NULL))
    {
      fprintf (stderr, "train: give --problems FILE --results FILE (SWE-bench) or --routerbench FILE\n");
      return 2;
    }
  folds = MAX (folds, 2);
  bits = CLAMP (bits, 4, 20);

  m = routerbench ? pm_eval_load_routerbench (routerbench, &error)
                  : pm_eval_load_swebench (problems, results,
                                           exclude ? (const char * const *) exclude : default_exclude,
                                           &error);
  if (m == NULL)
    goto fail;
  if (m->n_tasks < (guint) folds || m->task_texts[0] == NULL)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "Need task texts and at least %d tasks", folds);
      goto fail;
    }

  /* Name the columns as the router knows the models. */
  if (!keep_names && routerbench == NULL)
    {
      g_autoptr(GError) cat_error = NULL;
      g_autoptr(PmCatalog) catalog = catalog_path ? pm_catalog_new_from_file (catalog_path, &cat_error)
                                                  : pm_catalog_new_default (&cat_error);

      if (catalog == NULL)
        fprintf (stderr, "train: no catalog (%s); keeping the data's model names\n", cat_error->message);
      for (guint j = 0; catalog != NULL && j < m->n_models; j++)
        {
          const char *id = pm_eval_catalog_id (catalog, m->model_ids[j]);
          gboolean taken = FALSE;

          for (guint k = 0; id != NULL && k < m->n_models; k++)
            taken |= g_str_equal (m->model_ids[k], id);
          if (id != NULL && !taken)
            {
              g_free (m->model_ids[j]);
              m->model_ids[j] = g_strdup (id);
            }
        }
    }

  labels = g_new (double, (gsize) m->n_tasks * m->n_models);
  for (gsize i = 0; i < (gsize) m->n_tasks * m->n_models; i++)
    labels[i] = m->quality[i] >= 0.5 ? 1.0 : 0.0;

  params.l2 = l2 > 0 ? l2 : pm_quality_model_tune_l2 ((const char * const *) m->model_ids, bits,
                                                      (const char * const *) m->task_texts,
                                                      m->n_tasks, labels, l2_grid,
                                                      G_N_ELEMENTS (l2_grid), folds, seed);

  oof = g_new (double, (gsize) m->n_tasks * m->n_models);
  loss = pm_quality_model_cross_validate ((const char * const *) m->model_ids, bits,
                                          (const char * const *) m->task_texts, m->n_tasks, labels,
                                          &params, folds, seed + 1, oof);

  printf ("Quality model: %u tasks × %u models, %u hash bits, L2 %g%s\n", m->n_tasks, m->n_models,
          bits, params.l2, l2 > 0 ? "" : " (chosen by cross-validation)");
  printf ("%d-fold cross-validated log-loss %.4f\n", folds, loss);
  printf ("  %-34s %8s %6s\n", "model", "success", "AUC");
  scores = g_new (double, m->n_tasks);
  lab = g_new (gboolean, m->n_tasks);
  for (guint j = 0; j < m->n_models; j++)
    {
      double rate = 0;

      for (guint t = 0; t < m->n_tasks; t++)
        {
          scores[t] = oof[(gsize) t * m->n_models + j];
          lab[t] = labels[(gsize) t * m->n_models + j] >= 0.5;
          rate += lab[t];
        }
      printf ("  %-34s %7.1f%% %6.3f\n", m->model_ids[j], 100 * rate / m->n_tasks,
              pm_eval_auc (scores, lab, m->n_tasks));
    }

  model = pm_quality_model_new ((const char * const *) m->model_ids, bits);
  if (!pm_quality_model_train (model, (const char * const *) m->task_texts, m->n_tasks, labels,
                               &params, &error))
    goto fail;

  if (output == NULL)
    output = g_build_filename (g_get_user_data_dir (), "pointsman", "quality-model.bin", NULL);
  if (!pm_quality_model_save (model, output, &error))
    goto fail;
  printf ("Wrote %s (use it with PM_QUALITY_MODEL=%s)\n", output, output);

  return 0;

fail:
  fprintf (stderr, "train: %s\n", error->message);
  return 1;
}
