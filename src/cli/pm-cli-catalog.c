/* pm-cli-catalog.c — pointsman-cli catalog: list models, import LiteLLM prices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pm-catalog.h"
#include "pm-cli.h"

static void
catalog_usage (FILE *stream)
{
  fprintf (stream,
           "Usage:\n"
           "  pointsman-cli catalog [--json] [--catalog FILE]\n"
           "      List the models with prices (USD per 1M tokens), windows and efforts.\n"
           "  pointsman-cli catalog show NAME [--catalog FILE]\n"
           "      Resolve a model name as clients send it (aliases, provider/ prefixes, date\n"
           "      suffixes) and print that model's catalog entry.\n"
           "  pointsman-cli catalog import FILE [--output OUT] [--catalog FILE]\n"
           "      Refresh prices and windows of the known models from a LiteLLM-format price\n"
           "      file (model_prices_and_context_window.json) and write the result to OUT\n"
           "      (default: the user catalog, which overrides the installed one's prices).\n"
           "\n"
           "Without --catalog the catalog is $PM_CATALOG, else the installed catalog.json with\n"
           "the user catalog (%s) applied on top.\n", "$XDG_DATA_HOME/pointsman/catalog.json");
}

static char *
efforts_string (const PmModelInfo *info)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint e = PM_EFFORT_NONE; e < PM_EFFORT_LAST; e++)
    {
      if (info->efforts & (1u << e))
        g_string_append_printf (out, "%s%s", out->len ? "," : "", pm_effort_to_string (e));
    }
  if (out->len == 0)
    g_string_append (out, "-");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
price_string (double per_token)
{
  double per_million = per_token * 1e6;

  if (per_token <= 0)
    return g_strdup ("-");
  if (per_million < 0.1)
    return g_strdup_printf ("%.4f", per_million);
  return g_strdup_printf ("%.3f", per_million);
}

static char *
tokens_string (gint64 tokens)
{
  if (tokens <= 0)
    return g_strdup ("-");
  if (tokens % 1000000 == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT "M", tokens / 1000000);
  if (tokens >= 1000)
    return g_strdup_printf ("%" G_GINT64_FORMAT "k", (tokens + 500) / 1000);
  return g_strdup_printf ("%" G_GINT64_FORMAT, tokens);
}

static void
print_table (PmCatalog *catalog)
{
  GPtrArray *models = pm_catalog_get_models (catalog);

  printf ("%-22s %-9s %-16s %8s %8s %8s %8s %8s %6s %6s  %s\n",
          "MODEL", "VENDOR", "API", "IN", "READ", "W5M", "W1H", "OUT", "CTX", "MAXOUT", "EFFORTS");
  for (guint i = 0; i < models->len; i++)
    {
      const PmModelInfo *info = g_ptr_array_index (models, i);
      g_autofree char *in = price_string (info->input);
      g_autofree char *rd = price_string (info->cache_read);
      g_autofree char *w5 = price_string (info->cache_write_5m);
      g_autofree char *w1 = price_string (info->cache_write_1h);
      g_autofree char *out = price_string (info->output);
      g_autofree char *ctx = tokens_string (info->context_window);
      g_autofree char *maxout = tokens_string (info->max_output);
      g_autofree char *efforts = efforts_string (info);

      printf ("%-22s %-9s %-16s %8s %8s %8s %8s %8s %6s %6s  %s\n",
              info->id, info->vendor, pm_api_to_string (info->api),
              in, rd, w5, w1, out, ctx, maxout, efforts);
      if (info->long_threshold > 0)
        {
          g_autofree char *lin = price_string (info->long_input);
          g_autofree char *lrd = price_string (info->long_cache_read);
          g_autofree char *lw5 = price_string (info->long_cache_write_5m);
          g_autofree char *lw1 = price_string (info->long_cache_write_1h);
          g_autofree char *lout = price_string (info->long_output);
          g_autofree char *threshold = tokens_string (info->long_threshold);
          g_autofree char *label = g_strdup_printf ("  prompt > %s", threshold);

          printf ("%-22s %-9s %-16s %8s %8s %8s %8s %8s\n", label, "", "", lin, lrd, lw5, lw1, lout);
        }
    }
  printf ("\nPrices in USD per 1M tokens.\n");
}

static void
print_node (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

static int
show_model (PmCatalog  *catalog,
            const char *name)
{
  const PmModelInfo *info = pm_catalog_lookup (catalog, name);
  g_autoptr(JsonNode) root = NULL;
  JsonArray *models;

  if (info == NULL)
    {
      fprintf (stderr, "pointsman-cli catalog show: no model in the catalog is called “%s”\n", name);
      return 1;
    }

  root = pm_catalog_to_json (catalog);
  models = json_object_get_array_member (json_node_get_object (root), "models");
  for (guint i = 0; i < json_array_get_length (models); i++)
    {
      JsonObject *entry = json_array_get_object_element (models, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "id", NULL), info->id) == 0)
        {
          print_node (json_array_get_element (models, i));
          return 0;
        }
    }

  fprintf (stderr, "pointsman-cli catalog show: “%s” has no entry\n", info->id);
  return 1;
}

static int
print_json (PmCatalog *catalog)
{
  g_autoptr(JsonNode) root = pm_catalog_to_json (catalog);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
  return 0;
}

int
pm_cli_catalog (int    argc,
                char **argv)
{
  g_autoptr(PmCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  const char *catalog_path = NULL;
  const char *import_path = NULL;
  const char *output_arg = NULL;
  gboolean json = FALSE;
  gboolean import = FALSE;
  gboolean show = FALSE;
  const char *show_name = NULL;
  guint updated;

  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"))
        {
          catalog_usage (stdout);
          return 0;
        }
      else if (g_str_equal (arg, "--json"))
        json = TRUE;
      else if (g_str_equal (arg, "--catalog") || g_str_equal (arg, "--output"))
        {
          if (i + 1 >= argc)
            {
              fprintf (stderr, "pointsman-cli catalog: %s needs a FILE\n", arg);
              return 2;
            }
          if (g_str_equal (arg, "--catalog"))
            catalog_path = argv[++i];
          else
            output_arg = argv[++i];
        }
      else if (g_str_equal (arg, "import") && !import && !show && i == 1)
        import = TRUE;
      else if (g_str_equal (arg, "show") && !import && !show && i == 1)
        show = TRUE;
      else if (show && show_name == NULL && arg[0] != '-')
        show_name = arg;
      else if (import && import_path == NULL && arg[0] != '-')
        import_path = arg;
      else
        {
          fprintf (stderr, "pointsman-cli catalog: unexpected argument “%s”\n\n", arg);
          catalog_usage (stderr);
          return 2;
        }
    }

  if (import && import_path == NULL)
    {
      fprintf (stderr, "pointsman-cli catalog import: expected a LiteLLM price FILE\n");
      return 2;
    }

  if (show && show_name == NULL)
    {
      fprintf (stderr, "pointsman-cli catalog show: expected a model NAME\n");
      return 2;
    }

  if (catalog_path != NULL)
    catalog = pm_catalog_new_from_file (catalog_path, &error);
  else
    catalog = pm_catalog_new_default (&error);
  if (catalog == NULL)
    {
      fprintf (stderr, "pointsman-cli catalog: %s\n", error->message);
      return 1;
    }

  if (show)
    return show_model (catalog, show_name);

  if (!import)
    {
      if (json)
        return print_json (catalog);
      print_table (catalog);
      return 0;
    }

  updated = pm_catalog_import_litellm (catalog, import_path, &error);
  if (error != NULL)
    {
      fprintf (stderr, "pointsman-cli catalog import: %s\n", error->message);
      return 1;
    }

  output = output_arg ? g_strdup (output_arg) : pm_catalog_user_path ();
  if (!pm_catalog_save (catalog, output, &error))
    {
      fprintf (stderr, "pointsman-cli catalog import: %s\n", error->message);
      return 1;
    }

  printf ("Updated %u of %u models from %s; wrote %s\n",
          updated, pm_catalog_get_models (catalog)->len, import_path, output);
  return 0;
}
