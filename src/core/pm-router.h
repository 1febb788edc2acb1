/* pm-router.h — the decision: which model and which effort, and why
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "pm-types.h"
#include "pm-usage.h"

G_BEGIN_DECLS

typedef struct _PmExplainDraft PmExplainDraft;

struct _PmDecision
{
  char      *model;              /* catalog id of the chosen model */
  PmEffort   effort;             /* effort to write on the wire (UNSET = leave as is) */
  gboolean   routed;             /* FALSE when the client's pinned model was honoured */
  char      *summary;            /* one to three plain sentences */
  /* The explanation ({ "candidates": [...], "reasons": [...], ... }) is built from these on
   * first use (pm_decision_get_explanation): deciding keeps the figures only. Private. */
  JsonNode  *explanation_node;
  PmExplainDraft *explain_draft;
  gint64     expected_cached_tokens;
  double     expected_cost;      /* USD, this step, cache included */
  double     expected_baseline_cost;
  GPtrArray *fallbacks;          /* char*: catalog ids to fail over to, in order */
};

PmDecision *pm_decision_new        (const char  *model,
                                    PmEffort     effort);
void        pm_decision_free       (PmDecision  *self);
/* The explanation, built on the first call (transfer none: owned by the decision, valid until
 * it is freed or given another one); NULL when the decision has none. Changes made to it
 * (a gateway's cost) stay. */
JsonNode   *pm_decision_get_explanation (PmDecision  *self);
/* The explanation if it has been built (or set), else NULL: builds nothing. */
JsonNode   *pm_decision_peek_explanation (const PmDecision *self);
/* The explanation as compact JSON text (what records keep); NULL when there is none. */
char       *pm_decision_dup_explanation_text (PmDecision *self);
/* Replace the explanation (takes a reference; NULL: none). */
void        pm_decision_set_explanation (PmDecision  *self,
                                         JsonNode    *explanation);
/* Whose signed thinking the request carries, as the router saw it (NULL: none or unknown),
 * without building the explanation. */
const char *pm_decision_get_thinking_writer (const PmDecision *self);
/* Appends a reason to explanation.reasons (creating it) — used by the proxy on fail-over. */
void        pm_decision_add_reason (PmDecision  *self,
                                    const char  *reason);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmDecision, pm_decision_free)

#define PM_TYPE_ROUTER (pm_router_get_type ())
G_DECLARE_FINAL_TYPE (PmRouter, pm_router, PM, ROUTER, GObject)

/* pool: the configured models (char* catalog ids); default_model: the baseline model. */
PmRouter   *pm_router_new                 (PmCatalog    *catalog,
                                           PmObjective  *objective,
                                           const char * const *pool,
                                           const char   *default_model);
PmCatalog  *pm_router_get_catalog         (PmRouter     *self);
PmObjective *pm_router_get_objective      (PmRouter     *self);
const char *pm_router_get_default_model   (PmRouter     *self);
/* now_us: wall clock (g_get_real_time ()) or a simulated clock in replay. */
PmDecision *pm_router_decide              (PmRouter     *self,
                                           PmRequest    *request,
                                           gint64        now_us,
                                           GError      **error);
/* Tell the router what happened: usage as reported (may be NULL), HTTP status, and the time.
 * Updates session cache state (truth beats estimate) and outcomes. */
void        pm_router_observe             (PmRouter     *self,
                                           PmRequest    *request,
                                           const PmDecision *decision,
                                           const PmUsage *usage,
                                           guint         status,
                                           gint64        now_us);
/* What the default model would have cost for this request with the cache it would have had,
 * given the actual usage (its prompt total). */
double      pm_router_baseline_cost       (PmRouter     *self,
                                           PmRequest    *request,
                                           const PmUsage *usage);
/* Rewrite a body (already in the upstream's API) for the decision: model name, effort fields
 * as the model writes them, thinking handling, max_tokens clamp. */
gboolean    pm_router_apply_decision      (PmRouter     *self,
                                           PmRequest    *request,
                                           const PmDecision *decision,
                                           PmApi         upstream_api,
                                           const char   *upstream_model_name,
                                           JsonNode     *body,
                                           GError      **error);
/* Keep outcomes per user in SQLite at @path (the router's own table, its own file). */
gboolean    pm_router_open_outcomes       (PmRouter     *self,
                                           const char   *path,
                                           GError      **error);
/* Where a router keeps its outcomes for the request database at @database: router.db beside it
 * (so tests and --db keep everything in one place), or $XDG_DATA_HOME/pointsman/router.db when
 * @database is NULL, empty or ":memory:". Creates the directory. Free with g_free (). */
char       *pm_router_dup_outcomes_path   (const char   *database);
/* A session's routing state (model, effort, trouble, cache entries per model), or NULL. */
JsonNode   *pm_router_session_to_json     (PmRouter     *self,
                                           const char   *session_id,
                                           gint64        now_us);
/* Forget all sessions (tests, replays). */
void        pm_router_reset               (PmRouter     *self);
/* Count @usd towards the daily budget of the UTC day of @now_us (e.g. seeded at start from
 * pm_store_get_spend_today, so a restart does not forget what today already cost). */
void        pm_router_add_spend           (PmRouter     *self,
                                           double        usd,
                                           gint64        now_us);
/* What the daily budget has counted so far for the UTC day of @now_us. */
double      pm_router_get_spend_today     (PmRouter     *self,
                                           gint64        now_us);

G_END_DECLS
