/* pm-objective.h — the user's objective: trade-off, floor, max effort, budget, pool
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

/* How a concrete model name sent by the client is treated. */
typedef enum
{
  PM_PIN_HONOUR = 0,          /* a concrete model is used as asked; only auto names are routed */
  PM_PIN_ROUTE_ALL,           /* route everything */
} PmPinPolicy;

/* How an effort the client asked for is treated. */
typedef enum
{
  PM_CLIENT_EFFORT_CEILING = 0,
  PM_CLIENT_EFFORT_FLOOR,
  PM_CLIENT_EFFORT_IGNORE,
  PM_CLIENT_EFFORT_EXACT,
} PmClientEffortPolicy;

#define PM_TYPE_OBJECTIVE (pm_objective_get_type ())
G_DECLARE_FINAL_TYPE (PmObjective, pm_objective, PM, OBJECTIVE, GObject)

/* Properties: "tradeoff" (double 0..1: 0 = quality first, 1 = cost first), "quality-floor"
 * (double 0..1), "max-effort" (string), "daily-budget" (double USD, 0 = none),
 * "disabled-models" (strv), "pin-policy" (int), "client-effort-policy" (int),
 * "auto-aliases" (strv: model names treated as pointsman/auto). */
PmObjective          *pm_objective_new                     (void);
PmObjective          *pm_objective_copy                    (PmObjective  *self);
double                pm_objective_get_tradeoff            (PmObjective  *self);
void                  pm_objective_set_tradeoff            (PmObjective  *self,
                                                            double        tradeoff);
double                pm_objective_get_quality_floor       (PmObjective  *self);
void                  pm_objective_set_quality_floor       (PmObjective  *self,
                                                            double        floor);
PmEffort              pm_objective_get_max_effort          (PmObjective  *self);
void                  pm_objective_set_max_effort          (PmObjective  *self,
                                                            PmEffort      effort);
double                pm_objective_get_daily_budget        (PmObjective  *self);
void                  pm_objective_set_daily_budget        (PmObjective  *self,
                                                            double        usd);
gboolean              pm_objective_model_enabled           (PmObjective  *self,
                                                            const char   *model_id);
void                  pm_objective_set_model_enabled       (PmObjective  *self,
                                                            const char   *model_id,
                                                            gboolean      enabled);
const char * const   *pm_objective_get_disabled_models     (PmObjective  *self);
PmPinPolicy           pm_objective_get_pin_policy          (PmObjective  *self);
void                  pm_objective_set_pin_policy          (PmObjective  *self,
                                                            PmPinPolicy   policy);
PmClientEffortPolicy  pm_objective_get_client_effort_policy (PmObjective *self);
void                  pm_objective_set_client_effort_policy (PmObjective *self,
                                                            PmClientEffortPolicy policy);
gboolean              pm_objective_is_auto_model           (PmObjective  *self,
                                                            const char   *model);
void                  pm_objective_set_auto_aliases        (PmObjective  *self,
                                                            const char * const *aliases);
/* λ for utility Q − λ·C, derived from the trade-off (monotone, 0 at tradeoff 0). */
double                pm_objective_get_lambda              (PmObjective  *self);
/* Load from / save to the "objective" member of the configuration. */
gboolean              pm_objective_load_json               (PmObjective  *self,
                                                            JsonObject   *object,
                                                            GError      **error);
JsonNode             *pm_objective_to_json                 (PmObjective  *self);

G_END_DECLS
