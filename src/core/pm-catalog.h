/* pm-catalog.h — the model catalog: prices, windows, efforts, cache rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

/* One model. All prices are USD per token. Plain data, owned by the catalog. */
struct _PmModelInfo
{
  char      *id;                    /* catalog id, e.g. "claude-sonnet-4-5" */
  char     **aliases;               /* other names clients use (NULL-terminated, may be NULL) */
  char      *display_name;
  char      *vendor;                /* "anthropic", "openai", "google", "deepseek", "qwen", "zai", "moonshot" */
  PmApi      api;                   /* the API family the vendor speaks natively */

  double     input;                 /* uncached input */
  double     cache_read;
  double     cache_write_5m;        /* 0 where writes are not billed separately */
  double     cache_write_1h;
  double     output;                /* includes reasoning tokens */

  gint64     long_threshold;        /* prompt tokens above which long_* apply; 0 = none */
  double     long_input;
  double     long_cache_read;
  double     long_cache_write_5m;
  double     long_cache_write_1h;
  double     long_output;

  gint64     context_window;        /* max input tokens */
  gint64     max_output;

  guint      efforts;               /* bitmask of (1 << PmEffort) accepted on the wire */
  PmEffort   default_effort;        /* what the model does when no effort is given */
  char      *effort_style;          /* "anthropic-budget" | "anthropic-adaptive" | "openai" | "gemini" | "none" */

  char      *cache_style;           /* "anthropic" (explicit breakpoints) | "automatic" | "implicit" | "none" */
  gint64     cache_min_tokens;      /* minimum cacheable prefix */
  gint64     cache_ttl_seconds;     /* default TTL of a cache entry */

  /* Thinking budget (tokens) written for each effort by the "anthropic-budget" and "gemini"
   * styles (e.g. effort_budget[PM_EFFORT_LOW] = 1024); 0 = not applicable. */
  gint64     effort_budget[PM_EFFORT_LAST];

  double     web_search;            /* USD per server-side web search (Anthropic: 0.01); 0 = n/a */
};

gboolean pm_model_info_accepts_effort (const PmModelInfo *info,
                                       PmEffort           effort);
/* The prompt-size tier: TRUE when prompt_tokens is above the model's long_threshold. */
gboolean pm_model_info_is_long        (const PmModelInfo *info,
                                       gint64             prompt_tokens);

#define PM_TYPE_CATALOG (pm_catalog_get_type ())
G_DECLARE_FINAL_TYPE (PmCatalog, pm_catalog, PM, CATALOG, GObject)

PmCatalog         *pm_catalog_new_from_file      (const char   *path,
                                                  GError      **error);
PmCatalog         *pm_catalog_new_from_data      (const char   *json,
                                                  gssize        length,
                                                  GError      **error);
/* The installed catalog (PKGDATADIR/catalog.json, falling back to the source tree), with the
 * user catalog (pm_catalog_user_path (), written by `catalog import`) merged on top. $PM_CATALOG,
 * when set, names the one file to load instead. */
PmCatalog         *pm_catalog_new_default        (GError      **error);
/* $XDG_DATA_HOME/pointsman/catalog.json */
char              *pm_catalog_user_path          (void);
/* Prices, windows and cache minimums of other's models replace those of the same id here;
 * models only in other are appended. */
void               pm_catalog_merge              (PmCatalog    *self,
                                                  PmCatalog    *other);
/* By id or alias; also strips "provider/" prefixes and date suffixes ("-20250929"). */
const PmModelInfo *pm_catalog_lookup             (PmCatalog    *self,
                                                  const char   *name);
/* Array of const PmModelInfo*, in catalog order. */
GPtrArray         *pm_catalog_get_models         (PmCatalog    *self);
/* Refresh prices and windows from a LiteLLM-format price file. Returns models updated. */
guint              pm_catalog_import_litellm     (PmCatalog    *self,
                                                  const char   *path,
                                                  GError      **error);
JsonNode          *pm_catalog_to_json            (PmCatalog    *self);
gboolean           pm_catalog_save               (PmCatalog    *self,
                                                  const char   *path,
                                                  GError      **error);

G_END_DECLS
