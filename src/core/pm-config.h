/* pm-config.h — the configuration file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

typedef struct
{
  char        *id;
  PmApi        api;              /* what the upstream speaks */
  char        *base_url;         /* SDK convention: Anthropic without /v1, OpenAI with /v1 */
  char        *key;              /* "keyring" | "env:NAME" | "none" */
  char        *preset;           /* "anthropic", "openai", "openrouter", "gemini", "litellm",
                                  * "portkey", "ollama", … or NULL */
  GHashTable  *headers;          /* extra headers to send (name → value), never NULL */
  GHashTable  *model_names;      /* catalog id → the name this provider uses, never NULL */
} PmProviderConfig;

typedef struct
{
  char        *id;               /* catalog id (or alias) */
  char        *provider;         /* provider id */
  char        *upstream_name;    /* model name to send, NULL = as the provider maps it */
  gboolean     enabled;
} PmModelConfig;

#define PM_TYPE_CONFIG (pm_config_get_type ())
G_DECLARE_FINAL_TYPE (PmConfig, pm_config, PM, CONFIG, GObject)

/* $XDG_CONFIG_HOME/pointsman/config.json */
char             *pm_config_default_path      (void);
/* Loads path; when it does not exist and create_if_missing, writes the defaults there first.
 * Errors name the field and the line: "config.json:12: providers[1].api: …". */
PmConfig         *pm_config_load              (const char   *path,
                                               gboolean      create_if_missing,
                                               GError      **error);
PmConfig         *pm_config_new_from_data     (const char   *json,
                                               gssize        length,
                                               const char   *name_for_errors,
                                               GError      **error);
PmConfig         *pm_config_new_default       (void);
gboolean          pm_config_save              (PmConfig     *self,
                                               const char   *path,
                                               GError      **error);
JsonNode         *pm_config_to_json           (PmConfig     *self);

const char       *pm_config_get_path          (PmConfig     *self);
const char       *pm_config_get_listen_host   (PmConfig     *self);
guint             pm_config_get_listen_port   (PmConfig     *self);
void              pm_config_set_listen_port   (PmConfig     *self,
                                               guint         port);
/* Absolute path with ~ expanded. A relative "database" in the file is relative to the file's
 * directory; one given to set_database is relative to the working directory. */
const char       *pm_config_get_database      (PmConfig     *self);
void              pm_config_set_database      (PmConfig     *self,
                                               const char   *path);
const char       *pm_config_get_default_model (PmConfig     *self);
gsize             pm_config_get_max_body      (PmConfig     *self);   /* bytes, default 32 MiB */
/* "listen": {"token": true}: every request must carry the local access token (pm-guard.h;
 * kept in the keyring, generated on first use). Default FALSE. */
gboolean          pm_config_get_listen_token  (PmConfig     *self);
void              pm_config_set_listen_token  (PmConfig     *self,
                                               gboolean      required);
/* "limits" for the guard (pm-guard.h): request header bytes (431 above), JSON nesting depth
 * (400 above) and concurrent streams (429 above). Defaults PM_GUARD_DEFAULT_*. */
gsize             pm_config_get_max_header_bytes (PmConfig  *self);
guint             pm_config_get_max_depth     (PmConfig     *self);
guint             pm_config_get_max_streams   (PmConfig     *self);
/* Upstream timeouts in seconds: before the first byte, and idle between bytes. */
guint             pm_config_get_connect_timeout (PmConfig   *self);
guint             pm_config_get_idle_timeout  (PmConfig     *self);
gboolean          pm_config_get_store_prompts (PmConfig     *self);
PmObjective      *pm_config_get_objective     (PmConfig     *self);
/* Array of PmProviderConfig* / PmModelConfig* owned by the config. */
GPtrArray        *pm_config_get_providers     (PmConfig     *self);
GPtrArray        *pm_config_get_models        (PmConfig     *self);
PmProviderConfig *pm_config_lookup_provider   (PmConfig     *self,
                                               const char   *id);
PmModelConfig    *pm_config_lookup_model      (PmConfig     *self,
                                               const char   *id);
/* Catalog ids of the enabled models, NULL-terminated. */
GStrv             pm_config_dup_pool          (PmConfig     *self);
/* A top-level member this file does not interpret (e.g. a "router" section another part owns),
 * or NULL. Such members are kept when the configuration is saved. */
JsonNode         *pm_config_get_extra         (PmConfig     *self,
                                               const char   *member);
/* Set (node != NULL, copied) or remove (NULL) such a member. */
void              pm_config_set_extra         (PmConfig     *self,
                                               const char   *member,
                                               JsonNode     *node);
/* Every model of the pool (and default_model) resolves in catalog. Errors name the file and
 * line like loading does: "config.json:12: models[3].id: “gpt-6” is not in the model catalog". */
gboolean          pm_config_check_models      (PmConfig     *self,
                                               PmCatalog    *catalog,
                                               GError      **error);
/* Add or replace a provider (the app's providers page). */
void              pm_config_set_provider      (PmConfig     *self,
                                               const PmProviderConfig *provider);

G_END_DECLS
