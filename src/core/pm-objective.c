/* pm-objective.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-objective"

#include "config.h"

#include <math.h>

#include "pm-objective.h"

struct _PmObjective
{
  GObject               parent_instance;

  double                tradeoff;
  double                quality_floor;
  PmEffort              max_effort;
  double                daily_budget;
  char                **disabled_models;
  char                **auto_aliases;
  PmPinPolicy           pin_policy;
  PmClientEffortPolicy  client_effort_policy;
};

G_DEFINE_FINAL_TYPE (PmObjective, pm_objective, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TRADEOFF,
  PROP_QUALITY_FLOOR,
  PROP_MAX_EFFORT,
  PROP_DAILY_BUDGET,
  PROP_DISABLED_MODELS,
  PROP_AUTO_ALIASES,
  PROP_PIN_POLICY,
  PROP_CLIENT_EFFORT_POLICY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *default_auto_aliases[] = { "pointsman/auto", "pointsman-auto", "auto", NULL };

static void
pm_objective_finalize (GObject *object)
{
  PmObjective *self = (PmObjective *)object;

  g_clear_pointer (&self->disabled_models, g_strfreev);
  g_clear_pointer (&self->auto_aliases, g_strfreev);

  G_OBJECT_CLASS (pm_objective_parent_class)->finalize (object);
}

static void
pm_objective_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PmObjective *self = PM_OBJECTIVE (object);

  switch (prop_id)
    {
    case PROP_TRADEOFF:
      g_value_set_double (value, self->tradeoff);
      break;
    case PROP_QUALITY_FLOOR:
      g_value_set_double (value, self->quality_floor);
      break;
    case PROP_MAX_EFFORT:
      g_value_set_string (value, pm_effort_to_string (self->max_effort));
      break;
    case PROP_DAILY_BUDGET:
      g_value_set_double (value, self->daily_budget);
      break;
    case PROP_DISABLED_MODELS:
      g_value_set_boxed (value, self->disabled_models);
      break;
    case PROP_AUTO_ALIASES:
      g_value_set_boxed (value, self->auto_aliases);
      break;
    case PROP_PIN_POLICY:
      g_value_set_int (value, self->pin_policy);
      break;
    case PROP_CLIENT_EFFORT_POLICY:
      g_value_set_int (value, self->client_effort_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_objective_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PmObjective *self = PM_OBJECTIVE (object);

  switch (prop_id)
    {
    case PROP_TRADEOFF:
      pm_objective_set_tradeoff (self, g_value_get_double (value));
      break;
    case PROP_QUALITY_FLOOR:
      pm_objective_set_quality_floor (self, g_value_get_double (value));
      break;
    case PROP_MAX_EFFORT:
      pm_objective_set_max_effort (self, pm_effort_from_string (g_value_get_string (value)));
      break;
    case PROP_DAILY_BUDGET:
      pm_objective_set_daily_budget (self, g_value_get_double (value));
      break;
    case PROP_DISABLED_MODELS:
      g_strfreev (self->disabled_models);
      self->disabled_models = g_value_dup_boxed (value);
      if (self->disabled_models == NULL)
        self->disabled_models = g_new0 (char *, 1);
      g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_AUTO_ALIASES:
      pm_objective_set_auto_aliases (self, g_value_get_boxed (value));
      break;
    case PROP_PIN_POLICY:
      pm_objective_set_pin_policy (self, g_value_get_int (value));
      break;
    case PROP_CLIENT_EFFORT_POLICY:
      pm_objective_set_client_effort_policy (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pm_objective_class_init (PmObjectiveClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pm_objective_finalize;
  object_class->get_property = pm_objective_get_property;
  object_class->set_property = pm_objective_set_property;

  properties[PROP_TRADEOFF] =
    g_param_spec_double ("tradeoff", NULL, NULL, 0.0, 1.0, 0.5,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_QUALITY_FLOOR] =
    g_param_spec_double ("quality-floor", NULL, NULL, 0.0, 1.0, 0.9,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_EFFORT] =
    g_param_spec_string ("max-effort", NULL, NULL, "high",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DAILY_BUDGET] =
    g_param_spec_double ("daily-budget", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISABLED_MODELS] =
    g_param_spec_boxed ("disabled-models", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTO_ALIASES] =
    g_param_spec_boxed ("auto-aliases", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PIN_POLICY] =
    g_param_spec_int ("pin-policy", NULL, NULL, PM_PIN_HONOUR, PM_PIN_ROUTE_ALL, PM_PIN_HONOUR,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT_EFFORT_POLICY] =
    g_param_spec_int ("client-effort-policy", NULL, NULL,
                      PM_CLIENT_EFFORT_CEILING, PM_CLIENT_EFFORT_EXACT, PM_CLIENT_EFFORT_CEILING,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pm_objective_init (PmObjective *self)
{
  self->tradeoff = 0.5;
  self->quality_floor = 0.9;
  self->max_effort = PM_EFFORT_HIGH;
  self->daily_budget = 0.0;
  self->disabled_models = g_new0 (char *, 1);
  self->auto_aliases = g_strdupv ((char **)default_auto_aliases);
  self->pin_policy = PM_PIN_HONOUR;
  self->client_effort_policy = PM_CLIENT_EFFORT_CEILING;
}

PmObjective *
pm_objective_new (void)
{
  return g_object_new (PM_TYPE_OBJECTIVE, NULL);
}

PmObjective *
pm_objective_copy (PmObjective *self)
{
  PmObjective *copy;

  g_return_val_if_fail (PM_IS_OBJECTIVE (self), NULL);

  copy = pm_objective_new ();
  copy->tradeoff = self->tradeoff;
  copy->quality_floor = self->quality_floor;
  copy->max_effort = self->max_effort;
  copy->daily_budget = self->daily_budget;
  g_strfreev (copy->disabled_models);
  copy->disabled_models = g_strdupv (self->disabled_models);
  g_strfreev (copy->auto_aliases);
  copy->auto_aliases = g_strdupv (self->auto_aliases);
  copy->pin_policy = self->pin_policy;
  copy->client_effort_policy = self->client_effort_policy;

  return copy;
}

double
pm_objective_get_tradeoff (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), 0.5);
  return self->tradeoff;
}

void
pm_objective_set_tradeoff (PmObjective *self,
                           double       tradeoff)
{
  g_return_if_fail (PM_IS_OBJECTIVE (self));

  tradeoff = CLAMP (tradeoff, 0.0, 1.0);
  if (tradeoff != self->tradeoff)
    {
      self->tradeoff = tradeoff;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRADEOFF]);
    }
}

double
pm_objective_get_quality_floor (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), 0.9);
  return self->quality_floor;
}

void
pm_objective_set_quality_floor (PmObjective *self,
                                double       floor)
{
  g_return_if_fail (PM_IS_OBJECTIVE (self));

  floor = CLAMP (floor, 0.0, 1.0);
  if (floor != self->quality_floor)
    {
      self->quality_floor = floor;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUALITY_FLOOR]);
    }
}

PmEffort
pm_objective_get_max_effort (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), PM_EFFORT_HIGH);
  return self->max_effort;
}

void
pm_objective_set_max_effort (PmObjective *self,
                             PmEffort     effort)
{
  g_return_if_fail (PM_IS_OBJECTIVE (self));
  g_return_if_fail (effort < PM_EFFORT_LAST);

  if (effort == PM_EFFORT_UNSET)
    effort = PM_EFFORT_MAX;

  if (effort != self->max_effort)
    {
      self->max_effort = effort;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_EFFORT]);
    }
}

double
pm_objective_get_daily_budget (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), 0.0);
  return self->daily_budget;
}

void
pm_objective_set_daily_budget (PmObjective *self,
                               double       usd)
{
  g_return_if_fail (PM_IS_OBJECTIVE (self));

  usd = MAX (usd, 0.0);
  if (usd != self->daily_budget)
    {
      self->daily_budget = usd;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAILY_BUDGET]);
    }
}

gboolean
pm_objective_model_enabled (PmObjective *self,
                            const char  *model_id)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), FALSE);
  g_return_val_if_fail (model_id != NULL, FALSE);

  return !g_strv_contains ((const char * const *)self->disabled_models, model_id);
}

void
pm_objective_set_model_enabled (PmObjective *self,
                                const char  *model_id,
                                gboolean     enabled)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_if_fail (PM_IS_OBJECTIVE (self));
  g_return_if_fail (model_id != NULL);

  if (enabled == pm_objective_model_enabled (self, model_id))
    return;

  builder = g_strv_builder_new ();
  for (guint i = 0; self->disabled_models[i]; i++)
    if (!g_str_equal (self->disabled_models[i], model_id))
      g_strv_builder_add (builder, self->disabled_models[i]);
  if (!enabled)
    g_strv_builder_add (builder, model_id);

  g_strfreev (self->disabled_models);
  self->disabled_models = g_strv_builder_end (builder);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISABLED_MODELS]);
}

const char * const *
pm_objective_get_disabled_models (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), NULL);
  return (const char * const *)self->disabled_models;
}

PmPinPolicy
pm_objective_get_pin_policy (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), PM_PIN_HONOUR);
  return self->pin_policy;
}

void
pm_objective_set_pin_policy (PmObjective *self,
                             PmPinPolicy  policy)
{
  g_return_if_fail (PM_IS_OBJECTIVE (self));

  if (policy != self->pin_policy)
    {
      self->pin_policy = policy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PIN_POLICY]);
    }
}

PmClientEffortPolicy
pm_objective_get_client_effort_policy (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), PM_CLIENT_EFFORT_CEILING);
  return self->client_effort_policy;
}

void
pm_objective_set_client_effort_policy (PmObjective          *self,
                                       PmClientEffortPolicy  policy)
{
  g_return_if_fail (PM_IS_OBJECTIVE (self));

  if (policy != self->client_effort_policy)
    {
      self->client_effort_policy = policy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT_EFFORT_POLICY]);
    }
}

gboolean
pm_objective_is_auto_model (PmObjective *self,
                            const char  *model)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), FALSE);

  if (model == NULL || *model == '\0')
    return TRUE;

  for (guint i = 0; self->auto_aliases[i]; i++)
    if (g_ascii_strcasecmp (self->auto_aliases[i], model) == 0)
      return TRUE;

  return FALSE;
}

void
pm_objective_set_auto_aliases (PmObjective        *self,
                               const char * const *aliases)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_if_fail (PM_IS_OBJECTIVE (self));

  builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, default_auto_aliases);
  for (guint i = 0; aliases != NULL && aliases[i]; i++)
    if (!g_strv_contains (default_auto_aliases, aliases[i]))
      g_strv_builder_add (builder, aliases[i]);

  g_strfreev (self->auto_aliases);
  self->auto_aliases = g_strv_builder_end (builder);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_ALIASES]);
}

/* λ converts dollars into probability units. At tradeoff 0 cost does not matter; at 1 a cent
 * weighs as much as the whole quality scale, so the cheapest capable candidate wins. In
 * between it is exponential, so the slider is useful over the whole range of step costs
 * ($0.0001 … $1). */
double
pm_objective_get_lambda (PmObjective *self)
{
  g_return_val_if_fail (PM_IS_OBJECTIVE (self), 0.0);

  if (self->tradeoff <= 0.0)
    return 0.0;

  return pow (10.0, -1.0 + 5.0 * self->tradeoff) - 0.1;
}

static gboolean
read_double_member (JsonObject  *object,
                    const char  *name,
                    double       min,
                    double       max,
                    double      *out,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
       json_node_get_value_type (node) != G_TYPE_INT64))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG,
                   "objective.%s: expected a number between %g and %g", name, min, max);
      return FALSE;
    }

  *out = json_node_get_double (node);
  if (*out < min || *out > max)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG,
                   "objective.%s: %g is outside %g … %g", name, *out, min, max);
      return FALSE;
    }

  return TRUE;
}

static gboolean
read_strv_member (JsonObject   *object,
                  const char   *name,
                  char       ***out,
                  GError      **error)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "objective.%s: expected a list of names", name);
      return FALSE;
    }

  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_set_error (error, PM_ERROR, PM_ERROR_CONFIG,
                       "objective.%s[%u]: expected a string", name, i);
          return FALSE;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  *out = g_strv_builder_end (builder);
  return TRUE;
}

static const char *pin_policy_names[] = { "honour", "route-all" };
static const char *client_effort_names[] = { "ceiling", "floor", "ignore", "exact" };

static gboolean
read_choice_member (JsonObject  *object,
                    const char  *name,
                    const char **choices,
                    guint        n_choices,
                    int         *out,
                    GError     **error)
{
  const char *str;

  if (!json_object_has_member (object, name))
    return TRUE;

  str = json_object_get_string_member_with_default (object, name, NULL);
  for (guint i = 0; str != NULL && i < n_choices; i++)
    {
      if (g_str_equal (str, choices[i]))
        {
          *out = (int)i;
          return TRUE;
        }
    }

  {
    g_autofree char *joined = g_strjoinv ("|", (char **)choices);
    (void)n_choices;
    g_set_error (error, PM_ERROR, PM_ERROR_CONFIG, "objective.%s: expected one of %s", name, joined);
  }
  return FALSE;
}

gboolean
pm_objective_load_json (PmObjective  *self,
                        JsonObject   *object,
                        GError      **error)
{
  double tradeoff = self->tradeoff;
  double floor = self->quality_floor;
  double budget = self->daily_budget;
  g_auto(GStrv) disabled = NULL;
  g_auto(GStrv) aliases = NULL;
  int pin = self->pin_policy;
  int client_effort = self->client_effort_policy;
  const char *pins[] = { pin_policy_names[0], pin_policy_names[1], NULL };
  const char *efforts[] = { client_effort_names[0], client_effort_names[1],
                            client_effort_names[2], client_effort_names[3], NULL };

  g_return_val_if_fail (PM_IS_OBJECTIVE (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  if (!read_double_member (object, "tradeoff", 0.0, 1.0, &tradeoff, error) ||
      !read_double_member (object, "quality_floor", 0.0, 1.0, &floor, error) ||
      !read_double_member (object, "daily_budget", 0.0, 1e9, &budget, error) ||
      !read_strv_member (object, "disabled_models", &disabled, error) ||
      !read_strv_member (object, "auto_aliases", &aliases, error) ||
      !read_choice_member (object, "pinned_models", pins, 2, &pin, error) ||
      !read_choice_member (object, "client_effort", efforts, 4, &client_effort, error))
    return FALSE;

  if (json_object_has_member (object, "max_effort"))
    {
      const char *str = json_object_get_string_member_with_default (object, "max_effort", NULL);
      PmEffort effort = pm_effort_from_string (str);

      if (effort == PM_EFFORT_UNSET)
        {
          g_set_error (error, PM_ERROR, PM_ERROR_CONFIG,
                       "objective.max_effort: expected none|minimal|low|medium|high|xhigh|max");
          return FALSE;
        }
      pm_objective_set_max_effort (self, effort);
    }

  pm_objective_set_tradeoff (self, tradeoff);
  pm_objective_set_quality_floor (self, floor);
  pm_objective_set_daily_budget (self, budget);
  pm_objective_set_pin_policy (self, pin);
  pm_objective_set_client_effort_policy (self, client_effort);
  if (disabled != NULL)
    g_object_set (self, "disabled-models", disabled, NULL);
  if (aliases != NULL)
    pm_objective_set_auto_aliases (self, (const char * const *)aliases);

  return TRUE;
}

JsonNode *
pm_objective_to_json (PmObjective *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (PM_IS_OBJECTIVE (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tradeoff");
  json_builder_add_double_value (builder, self->tradeoff);
  json_builder_set_member_name (builder, "quality_floor");
  json_builder_add_double_value (builder, self->quality_floor);
  json_builder_set_member_name (builder, "max_effort");
  json_builder_add_string_value (builder, pm_effort_to_string (self->max_effort));
  json_builder_set_member_name (builder, "daily_budget");
  json_builder_add_double_value (builder, self->daily_budget);
  json_builder_set_member_name (builder, "disabled_models");
  json_builder_begin_array (builder);
  for (guint i = 0; self->disabled_models[i]; i++)
    json_builder_add_string_value (builder, self->disabled_models[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "pinned_models");
  json_builder_add_string_value (builder, pin_policy_names[self->pin_policy]);
  json_builder_set_member_name (builder, "client_effort");
  json_builder_add_string_value (builder, client_effort_names[self->client_effort_policy]);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
