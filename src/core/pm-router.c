/* pm-router.c — the decision: which model and which effort, and why
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-router"

#include "config.h"

#include "pm-objective.h"
#include "pm-request.h"
#include "pm-router.h"

struct _PmRouter
{
  GObject       parent_instance;
  PmCatalog    *catalog;
  PmObjective  *objective;
  GStrv         pool;
  char         *default_model;
};

G_DEFINE_FINAL_TYPE (PmRouter, pm_router, G_TYPE_OBJECT)

PmDecision *
pm_decision_new (const char *model,
                 PmEffort    effort)
{
  PmDecision *self = g_new0 (PmDecision, 1);

  self->model = g_strdup (model);
  self->effort = effort;
  self->routed = TRUE;
  self->fallbacks = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
pm_decision_free (PmDecision *self)
{
  if (self == NULL)
    return;

  g_free (self->model);
  g_free (self->summary);
  g_clear_pointer (&self->explanation, json_node_unref);
  g_clear_pointer (&self->fallbacks, g_ptr_array_unref);
  g_free (self);
}

void
pm_decision_add_reason (PmDecision *self,
                        const char *reason)
{
  JsonObject *object;
  JsonArray *reasons;

  g_return_if_fail (self != NULL);
  g_return_if_fail (reason != NULL);

  if (self->explanation == NULL || !JSON_NODE_HOLDS_OBJECT (self->explanation))
    {
      g_clear_pointer (&self->explanation, json_node_unref);
      self->explanation = json_node_init_object (json_node_alloc (), json_object_new ());
    }
  object = json_node_get_object (self->explanation);
  if (!json_object_has_member (object, "reasons") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "reasons")))
    json_object_set_array_member (object, "reasons", json_array_new ());
  reasons = json_object_get_array_member (object, "reasons");
  json_array_add_string_element (reasons, reason);
}

static void
pm_router_finalize (GObject *object)
{
  PmRouter *self = (PmRouter *) object;

  g_clear_object (&self->catalog);
  g_clear_object (&self->objective);
  g_clear_pointer (&self->pool, g_strfreev);
  g_clear_pointer (&self->default_model, g_free);

  G_OBJECT_CLASS (pm_router_parent_class)->finalize (object);
}

static void
pm_router_class_init (PmRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pm_router_finalize;
}

static void
pm_router_init (PmRouter *self)
{
}

PmRouter *
pm_router_new (PmCatalog          *catalog,
               PmObjective        *objective,
               const char * const *pool,
               const char         *default_model)
{
  PmRouter *self;

  g_return_val_if_fail (catalog != NULL, NULL);
  g_return_val_if_fail (PM_IS_OBJECTIVE (objective), NULL);

  self = g_object_new (PM_TYPE_ROUTER, NULL);
  self->catalog = g_object_ref (catalog);
  self->objective = g_object_ref (objective);
  self->pool = g_strdupv ((char **) pool);
  self->default_model = g_strdup (default_model);
  return self;
}

PmCatalog *
pm_router_get_catalog (PmRouter *self)
{
  g_return_val_if_fail (PM_IS_ROUTER (self), NULL);
  return self->catalog;
}

PmObjective *
pm_router_get_objective (PmRouter *self)
{
  g_return_val_if_fail (PM_IS_ROUTER (self), NULL);
  return self->objective;
}

const char *
pm_router_get_default_model (PmRouter *self)
{
  g_return_val_if_fail (PM_IS_ROUTER (self), NULL);
  return self->default_model;
}

/* First version: the default model, as asked. The cache-aware decision replaces this. */
PmDecision *
pm_router_decide (PmRouter   *self,
                  PmRequest  *request,
                  gint64      now_us,
                  GError    **error)
{
  PmDecision *decision;
  const char *model;

  g_return_val_if_fail (PM_IS_ROUTER (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  model = self->default_model;
  if (model == NULL && self->pool != NULL && self->pool[0] != NULL)
    model = self->pool[0];
  if (model == NULL)
    {
      g_set_error_literal (error, PM_ERROR, PM_ERROR_NO_CANDIDATE, "no model configured");
      return NULL;
    }

  decision = pm_decision_new (model, PM_EFFORT_UNSET);
  decision->summary = g_strdup_printf ("default model %s", model);
  pm_decision_add_reason (decision, decision->summary);
  return decision;
}

void
pm_router_observe (PmRouter         *self,
                   PmRequest        *request,
                   const PmDecision *decision,
                   const PmUsage    *usage,
                   guint             status,
                   gint64            now_us)
{
  g_return_if_fail (PM_IS_ROUTER (self));
}

double
pm_router_baseline_cost (PmRouter      *self,
                         PmRequest     *request,
                         const PmUsage *usage)
{
  g_return_val_if_fail (PM_IS_ROUTER (self), 0.0);
  return 0.0;
}

gboolean
pm_router_apply_decision (PmRouter         *self,
                          PmRequest        *request,
                          const PmDecision *decision,
                          PmApi             upstream_api,
                          const char       *upstream_model_name,
                          JsonNode         *body,
                          GError          **error)
{
  g_return_val_if_fail (PM_IS_ROUTER (self), FALSE);
  g_return_val_if_fail (decision != NULL, FALSE);
  g_return_val_if_fail (body != NULL, FALSE);

  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "request body must be a JSON object");
      return FALSE;
    }

  json_object_set_string_member (json_node_get_object (body), "model",
                                 upstream_model_name != NULL ? upstream_model_name : decision->model);
  return TRUE;
}

void
pm_router_reset (PmRouter *self)
{
  g_return_if_fail (PM_IS_ROUTER (self));
}
