/* pm-router.c — the decision: which model and which effort, and why
 *
 * For every enabled model × accepted effort: Q (probability the step needs no redo, from
 * published priors, the step's kind and the session's trouble), C (this step's dollars with the
 * cache that model would read now, plus (1 − Q) × the fix-up a failure causes) and the utility
 * Q − λ·C. A switch's re-prefill is amortised over the steps the new model is expected to keep
 * (hysteresis); an effort change on the current model wins over a switch unless the switch is
 * clearly better. docs/ROUTING.md explains every constant.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-router"

#include "config.h"

#include <math.h>
#include <string.h>

#include "pm-catalog.h"
#include "pm-json-fast.h"
#include "pm-objective.h"
#include "pm-quality-model.h"
#include "pm-quality.h"
#include "pm-request-private.h"
#include "pm-router.h"
#include "pm-session.h"
#include "pm-wire.h"

/* A failed step is redone on the strongest candidate, and loops make it worse. */
#define FIXUP_FACTOR        1.5
/* Utility a switch must win by over the best candidate on the current model. */
#define SWITCH_MARGIN       0.02
#define MAX_SESSIONS        512
#define SESSION_IDLE_US     (24 * G_TIME_SPAN_HOUR)
#define EXPLAIN_CANDIDATES  8
/* Pseudo-count of the prior against outcomes observed on this device. */
#define OUTCOME_PRIOR_WEIGHT 20.0
/* Clean steps in a row before an escalated session may come back down to a weaker model. */
#define RECOVERY_STEPS      3

struct _PmRouter
{
  GObject          parent_instance;

  GMutex           mutex;
  PmCatalog       *catalog;
  PmObjective     *objective;
  GStrv            pool;
  const PmModelInfo **pool_infos;  /* resolved pool entries (catalog-owned, stable) or NULL */
  char            *default_model;
  const PmModelInfo *default_info; /* resolved default model (catalog-owned), or NULL */
  PmQuality       *quality;
  PmQualityModel  *learned;
  GHashTable      *sessions;       /* id → PmSession */
  GArray          *scratch;        /* candidates of the decision in progress (under the mutex) */
  double           spent_today;
  gint64           spent_day;      /* UTC day number of spent_today */
};

G_DEFINE_FINAL_TYPE (PmRouter, pm_router, G_TYPE_OBJECT)

/* Why a candidate was left out (compared by pointer). */
static const char EXCL_WINDOW[] = "request and output do not fit the context window";
static const char EXCL_THINKING[] = "signed thinking of another model in this turn";
static const char EXCL_ORPHAN[] = "a tool_use without its result: only the current model";
static const char EXCL_IMAGES[] = "the request has images and the model reads text only";
static const char EXCL_THINK_CUE[] = "the user asked for thinking: effort below medium";
static const char EXCL_BUDGET[] = "over the daily budget";
static const char EXCL_FLOOR[] = "below the quality floor";
static const char EXCL_ESCALATED[] = "escalated: stays until the session has recovered for a few steps";

typedef struct
{
  const PmModelInfo *model;
  PmEffort           effort;        /* as written (UNSET: model without effort controls) */
  double             prior;         /* task-level success prior */
  const char        *prior_source;
  double             q;
  PmCacheQuote       quote;
  gint64             output_tokens;
  double             cost_step;     /* this step, cache as it is */
  double             cost_steady;   /* this step if the cache were warm on this model */
  double             reprefill_cost;
  gint64             reprefill_tokens;
  double             fixup;         /* (1 − Q) × fix-up */
  double             cost;          /* amortised step + fixup: what λ multiplies */
  double             utility;
  gboolean           current;
  gboolean           warm;          /* the current model, keeping the cache it has now */
  const char        *excluded;      /* static reason, or NULL */
} Candidate;

/* What the explanation is built from: a decision keeps these and builds the JSON on first use
 * (records serialise it once the request is on its way upstream). */
struct _PmExplainDraft
{
  PmCatalog  *catalog;          /* keeps the candidates' models alive */
  char       *model;
  PmEffort    effort;
  gboolean    routed;
  double      lambda;
  double      quality_floor;
  double      trouble;
  char       *thinking_writer;
  char       *session_id;
  gint64      steps;
  char       *previous_model;
  gint64      switches;
  double      token_scale;
  gint64      token_offset;
  Candidate  *listed;           /* the candidates shown, in order */
  guint       n_listed;
  int         chosen;           /* index into listed, or -1 */
  GPtrArray  *reasons;          /* char* */
  PmRequest  *request;          /* for its features */
};

static void
explain_draft_free (PmExplainDraft *d)
{
  g_clear_object (&d->catalog);
  g_free (d->model);
  g_free (d->thinking_writer);
  g_free (d->session_id);
  g_free (d->previous_model);
  g_free (d->listed);
  g_clear_pointer (&d->reasons, g_ptr_array_unref);
  g_clear_pointer (&d->request, pm_request_unref);
  g_free (d);
}

static JsonNode *explain_draft_build (const PmExplainDraft *d);

/* ------------------------------------------------------------------------------------------ */
/* PmDecision                                                                                  */

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
  g_clear_pointer (&self->explanation_node, json_node_unref);
  g_clear_pointer (&self->explain_draft, explain_draft_free);
  g_clear_pointer (&self->fallbacks, g_ptr_array_unref);
  g_free (self);
}

static JsonObject *
explanation_object (PmDecision *self)
{
  JsonNode *node = pm_decision_get_explanation (self);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_clear_pointer (&self->explanation_node, json_node_unref);
      self->explanation_node = json_node_init_object (json_node_alloc (), json_object_new ());
    }

  return json_node_get_object (self->explanation_node);
}

JsonNode *
pm_decision_get_explanation (PmDecision *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->explain_draft != NULL)
    {
      g_clear_pointer (&self->explanation_node, json_node_unref);
      self->explanation_node = explain_draft_build (self->explain_draft);
      g_clear_pointer (&self->explain_draft, explain_draft_free);
    }

  return self->explanation_node;
}

JsonNode *
pm_decision_peek_explanation (const PmDecision *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->explain_draft == NULL ? self->explanation_node : NULL;
}

char *
pm_decision_dup_explanation_text (PmDecision *self)
{
  JsonNode *node;

  g_return_val_if_fail (self != NULL, NULL);

  node = pm_decision_get_explanation (self);
  return node != NULL ? pm_json_fast_to_string (node, NULL) : NULL;
}

void
pm_decision_set_explanation (PmDecision *self,
                             JsonNode   *explanation)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->explain_draft, explain_draft_free);
  if (explanation != NULL)
    json_node_ref (explanation);
  g_clear_pointer (&self->explanation_node, json_node_unref);
  self->explanation_node = explanation;
}

const char *
pm_decision_get_thinking_writer (const PmDecision *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->explain_draft != NULL)
    return self->explain_draft->thinking_writer;
  if (self->explanation_node != NULL && JSON_NODE_HOLDS_OBJECT (self->explanation_node))
    return json_object_get_string_member_with_default (json_node_get_object (self->explanation_node),
                                                       "thinking_writer", NULL);
  return NULL;
}

void
pm_decision_add_reason (PmDecision *self,
                        const char *reason)
{
  JsonObject *object;

  g_return_if_fail (self != NULL);
  g_return_if_fail (reason != NULL);

  if (self->explain_draft != NULL)
    {
      /* not built yet: the reason joins the others */
      g_ptr_array_add (self->explain_draft->reasons, g_strdup (reason));
      return;
    }
  object = explanation_object (self);
  if (!json_object_has_member (object, "reasons") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "reasons")))
    json_object_set_array_member (object, "reasons", json_array_new ());
  json_array_add_string_element (json_object_get_array_member (object, "reasons"), reason);
}

/* ------------------------------------------------------------------------------------------ */
/* GObject                                                                                     */

static void
pm_router_finalize (GObject *object)
{
  PmRouter *self = (PmRouter *) object;

  g_clear_object (&self->catalog);
  g_clear_object (&self->objective);
  g_clear_object (&self->learned);
  g_clear_pointer (&self->pool, g_strfreev);
  g_clear_pointer (&self->pool_infos, g_free);
  g_clear_pointer (&self->default_model, g_free);
  g_clear_pointer (&self->quality, pm_quality_free);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->scratch, g_array_unref);
  g_mutex_clear (&self->mutex);

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
  g_mutex_init (&self->mutex);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) pm_session_free);
  self->scratch = g_array_sized_new (FALSE, TRUE, sizeof (Candidate), 48);
}

static PmQualityModel *
load_learned_model (void)
{
  const char *env = g_getenv ("PM_QUALITY_MODEL");
  /* where `pointsman-cli train` writes by default: the user's own weights beat shipped ones */
  g_autofree char *user = g_build_filename (g_get_user_data_dir (), "pointsman", "quality-model.bin", NULL);
  g_autofree char *installed = g_build_filename (PKGDATADIR, "quality-model.bin", NULL);
  g_autofree char *source = g_build_filename (PM_SOURCE_DATADIR, "quality-model.bin", NULL);
  const char *path = NULL;
  g_autoptr(GError) error = NULL;
  PmQualityModel *model;

  if (env != NULL && *env != '\0')
    path = env;
  else if (g_file_test (user, G_FILE_TEST_IS_REGULAR))
    path = user;
  else if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    path = installed;
  else if (g_file_test (source, G_FILE_TEST_IS_REGULAR))
    path = source;
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;

  model = pm_quality_model_new_from_file (path, &error);
  if (model == NULL)
    g_debug ("learned quality model not loaded: %s", error->message);

  return model;
}

PmRouter *
pm_router_new (PmCatalog          *catalog,
               PmObjective        *objective,
               const char * const *pool,
               const char         *default_model)
{
  PmRouter *self;

  g_return_val_if_fail (PM_IS_CATALOG (catalog), NULL);
  g_return_val_if_fail (PM_IS_OBJECTIVE (objective), NULL);

  self = g_object_new (PM_TYPE_ROUTER, NULL);
  self->catalog = g_object_ref (catalog);
  self->objective = g_object_ref (objective);
  self->pool = g_strdupv ((char **) pool);
  self->pool_infos = g_new0 (const PmModelInfo *, self->pool != NULL ? g_strv_length (self->pool) + 1 : 1);
  self->default_model = g_strdup (default_model);
  self->quality = pm_quality_new_default ();
  self->learned = load_learned_model ();

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

gboolean
pm_router_open_outcomes (PmRouter    *self,
                         const char  *path,
                         GError     **error)
{
  gboolean ret;

  g_return_val_if_fail (PM_IS_ROUTER (self), FALSE);

  g_mutex_lock (&self->mutex);
  ret = pm_quality_open_outcomes (self->quality, path, error);
  g_mutex_unlock (&self->mutex);

  return ret;
}

char *
pm_router_dup_outcomes_path (const char *database)
{
  g_autofree char *dir = NULL;

  if (database == NULL || *database == '\0' || g_str_equal (database, ":memory:"))
    dir = g_build_filename (g_get_user_data_dir (), "pointsman", NULL);
  else
    dir = g_path_get_dirname (database);
  g_mkdir_with_parents (dir, 0700);

  return g_build_filename (dir, "router.db", NULL);
}

void
pm_router_reset (PmRouter *self)
{
  g_return_if_fail (PM_IS_ROUTER (self));

  g_mutex_lock (&self->mutex);
  g_hash_table_remove_all (self->sessions);
  self->spent_today = 0;
  g_mutex_unlock (&self->mutex);
}

static double budget_spent (PmRouter *self,
                            gint64    now_us);

void
pm_router_add_spend (PmRouter *self,
                     double    usd,
                     gint64    now_us)
{
  g_return_if_fail (PM_IS_ROUTER (self));

  if (!(usd > 0))
    return;

  g_mutex_lock (&self->mutex);
  budget_spent (self, now_us);
  self->spent_today += usd;
  g_mutex_unlock (&self->mutex);
}

double
pm_router_get_spend_today (PmRouter *self,
                           gint64    now_us)
{
  double spent;

  g_return_val_if_fail (PM_IS_ROUTER (self), 0.0);

  g_mutex_lock (&self->mutex);
  spent = budget_spent (self, now_us);
  g_mutex_unlock (&self->mutex);

  return spent;
}

/* The catalog entry for a name: the pool's own ids first (a pointer compare of resolved
 * entries, no allocation), else the catalog's full lookup (aliases, suffixes, providers). */
static const PmModelInfo *
router_lookup (PmRouter   *self,
               const char *name)
{
  if (name == NULL)
    return NULL;

  for (guint i = 0; self->pool != NULL && self->pool[i] != NULL; i++)
    {
      const PmModelInfo *info = self->pool_infos[i];

      /* Catalog entries live as long as the catalog (merges update them in place). */
      if (info == NULL)
        info = self->pool_infos[i] = pm_catalog_lookup (self->catalog, self->pool[i]);
      if (info != NULL && strcmp (info->id, name) == 0)
        return info;
    }
  if (self->default_info != NULL && strcmp (self->default_info->id, name) == 0)
    return self->default_info;

  return pm_catalog_lookup (self->catalog, name);
}

static const PmModelInfo *
default_info (PmRouter *self)
{
  if (self->default_info == NULL && self->default_model != NULL)
    self->default_info = pm_catalog_lookup (self->catalog, self->default_model);

  return self->default_info;
}

/* ------------------------------------------------------------------------------------------ */
/* Sessions                                                                                    */

static void
prune_sessions (PmRouter *self,
                gint64    now_us)
{
  GHashTableIter iter;
  PmSession *session;

  if (g_hash_table_size (self->sessions) < MAX_SESSIONS)
    return;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (now_us - session->last_us > SESSION_IDLE_US)
      g_hash_table_iter_remove (&iter);

  if (g_hash_table_size (self->sessions) >= MAX_SESSIONS)
    {
      /* Still full: drop the idlest half. */
      gint64 cutoff = 0;
      guint n = 0;

      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
        {
          cutoff += (now_us - session->last_us) / MAX_SESSIONS;
          n++;
        }
      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
        if (now_us - session->last_us >= cutoff)
          g_hash_table_iter_remove (&iter);
    }
}

static PmSession *
get_session (PmRouter   *self,
             const char *id,
             const char *parent,
             gint64      now_us,
             gboolean    create)
{
  PmSession *session = g_hash_table_lookup (self->sessions, id);

  if (session == NULL && create)
    {
      prune_sessions (self, now_us);
      session = pm_session_new (id, parent, now_us);
      g_hash_table_insert (self->sessions, session->id, session);
    }

  return session;
}

/* Compaction reads the main conversation's prefix: it shares the parent's caches. */
static PmSession *
cache_session_for (PmRouter  *self,
                   PmRequest *request,
                   PmSession *session,
                   gint64     now_us)
{
  const char *parent = pm_request_get_parent_session_id (request);

  if (pm_request_get_kind (request) == PM_KIND_COMPACTION && parent != NULL)
    return get_session (self, parent, NULL, now_us, TRUE);

  return session;
}

/* ------------------------------------------------------------------------------------------ */
/* Quality and cost                                                                            */

static double
step_difficulty (PmKind kind,
                 PmStep step)
{
  double d;

  if (kind == PM_KIND_BACKGROUND)
    return 0.05;
  if (kind == PM_KIND_COMPACTION)
    return 0.5;

  switch (step)
    {
    case PM_STEP_INSTRUCTION: d = 1.0; break;
    case PM_STEP_PLANNING: d = 1.2; break;
    case PM_STEP_THINK: d = 1.2; break;
    case PM_STEP_TOOL_RESULT: d = 0.45; break;
    case PM_STEP_ERROR_RECOVERY: d = 1.0; break;
    case PM_STEP_CONTINUE:
    case PM_STEP_LAST:
    default: d = 0.5; break;
    }

  if (kind == PM_KIND_SUBAGENT)
    d *= 0.85;

  return d;
}

static gint64
reasoning_tokens (PmEffort effort)
{
  switch (effort)
    {
    case PM_EFFORT_NONE: return 0;
    case PM_EFFORT_MINIMAL: return 100;
    case PM_EFFORT_LOW: return 400;
    case PM_EFFORT_MEDIUM: return 1200;
    case PM_EFFORT_HIGH: return 3000;
    case PM_EFFORT_XHIGH: return 6000;
    case PM_EFFORT_MAX: return 10000;
    case PM_EFFORT_UNSET:
    case PM_EFFORT_LAST:
    default: return 1200;
    }
}

static gint64
expected_output (PmRequest         *request,
                 PmSession         *session,
                 const PmModelInfo *model,
                 PmEffort           effort)
{
  PmKind kind = pm_request_get_kind (request);
  PmStep step = pm_request_get_step (request);
  double base;
  double think_factor;
  gint64 think;
  gint64 total;
  gint64 max_out = pm_request_get_max_output (request);

  if (kind == PM_KIND_BACKGROUND)
    {
      base = 40;
      think_factor = 0.1;
    }
  else if (kind == PM_KIND_COMPACTION)
    {
      base = 2500;
      think_factor = 0.3;
    }
  else
    {
      switch (step)
        {
        case PM_STEP_PLANNING: base = 800; think_factor = 1.3; break;
        case PM_STEP_THINK: base = 600; think_factor = 1.5; break;
        case PM_STEP_TOOL_RESULT: base = 250; think_factor = 0.5; break;
        case PM_STEP_ERROR_RECOVERY: base = 400; think_factor = 1.2; break;
        case PM_STEP_INSTRUCTION: base = 400; think_factor = 1.0; break;
        case PM_STEP_CONTINUE:
        case PM_STEP_LAST:
        default: base = 300; think_factor = 0.7; break;
        }
    }

  /* Truth beats estimate: what this session's steps really wrote. */
  if (session != NULL && session->output_ema >= 0)
    base = 0.5 * base + 0.5 * session->output_ema;

  if (model->effort_style == NULL || g_str_equal (model->effort_style, "none"))
    think = 0;
  else
    think = (gint64) (reasoning_tokens (effort == PM_EFFORT_UNSET ? model->default_effort : effort) * think_factor);

  total = (gint64) base + think;
  if (max_out > 0)
    total = MIN (total, max_out);
  if (model->max_output > 0)
    total = MIN (total, model->max_output);

  return MAX (total, 1);
}

static double
quote_cost (const PmModelInfo  *model,
            const PmCacheQuote *quote,
            gint64              output_tokens)
{
  gint64 prompt = quote->cached + quote->written + quote->uncached;
  gboolean is_long = pm_model_info_is_long (model, prompt);
  double input = is_long ? model->long_input : model->input;
  double read = is_long ? model->long_cache_read : model->cache_read;
  double w5 = is_long ? model->long_cache_write_5m : model->cache_write_5m;
  double w1 = is_long ? model->long_cache_write_1h : model->cache_write_1h;
  double output = is_long ? model->long_output : model->output;
  double write;

  if (read <= 0)
    read = input;
  if (w5 <= 0)
    w5 = input;
  if (w1 <= 0)
    w1 = w5;
  write = quote->write_1h ? w1 : w5;

  return quote->uncached * input + quote->cached * read + quote->written * write + output_tokens * output;
}

/* Session trouble is evidence, not a single event. One failing tool result is what an agent
 * loop normally produces (the reproduction of a bug, a test about to be fixed, grep without a
 * match): the error-recovery step's own difficulty prices it in. Trouble counts the failures
 * beyond the first in a row, a failing call repeated, and the user's corrections. */
static double
trouble_level (PmRequest *request,
               PmSession *session)
{
  const PmRequestFeatures *f = pm_request_get_features (request);
  double t = session != NULL ? session->trouble : 0.0;

  /* What the history shows counts even for a session we have not seen (replays, restarts). */
  if (f->tail_tool_errors > 1)
    t = MAX (t, (double) (MIN (f->tail_tool_errors, 6) - 1));
  if (f->repeated_call > 0 && pm_request_get_step (request) == PM_STEP_ERROR_RECOVERY)
    t += 0.5 * MIN (f->repeated_call, 4);
  if (f->user_correction || f->interrupted)
    t += 1.0;

  return t;
}

static double
candidate_q (PmRouter          *self,
             PmRequest         *request,
             PmSession         *session,
             Candidate         *c,
             double             trouble,
             double             learned)
{
  PmKind kind = pm_request_get_kind (request);
  double s = c->prior;
  double d = step_difficulty (kind, pm_request_get_step (request));
  gint64 tokens = pm_request_get_input_tokens (request);
  double f;
  guint succ = 0, fail = 0;

  /* The learned text model (when shipped) nudges the prior on new instructions only: text
   * alone predicts little (ROUTING-NOTES: median AUC 0.50). */
  if (learned >= 0)
    s = 0.75 * s + 0.25 * learned;

  d *= 1.0 + 0.15 * log2 (1.0 + tokens / 50000.0);
  if (kind == PM_KIND_MAIN || kind == PM_KIND_SUBAGENT)
    d *= 1.0 + 0.5 * trouble;

  f = (1.0 - s) * d;

  /* Outcomes seen on this device recalibrate the model's own failure rate (observed against
   * what its prior expects of a typical judged step, mostly tool results); they scale the step's
   * failure, never replace it. Replacing it let a model with a long calm history keep its Q
   * through an error-recovery step while every other candidate carried the step's difficulty
   * and the session's trouble, so the floor pinned the session to it. */
  pm_quality_get_outcomes (self->quality, c->model->id, c->effort, kind, &succ, &fail);
  /* ...from other sessions: this session's own steps speak through its trouble, which rises
   * and fades; counted twice, a calm start would pin the session to its first model. */
  if (session != NULL && succ + fail > 0)
    {
      PmOutcomeTally *own = pm_session_get_tally (session, c->model->id, c->effort, FALSE);

      if (own != NULL)
        {
          succ -= MIN (succ, own->successes);
          fail -= MIN (fail, own->failures);
        }
    }
  if (succ + fail > 0)
    {
      double expected = (1.0 - s) * step_difficulty (kind, PM_STEP_TOOL_RESULT);
      double observed;

      expected = CLAMP (expected, 0.002, 0.98);
      observed = (fail + OUTCOME_PRIOR_WEIGHT * expected) / (succ + fail + OUTCOME_PRIOR_WEIGHT);
      f *= observed / expected;
    }

  return 1.0 - CLAMP (f, 0.002, 0.98);
}

static gboolean
effort_allowed (PmObjective *objective,
                PmEffort     effort,
                PmEffort     client_effort,
                gboolean     client_effort_applies)
{
  PmEffort max_effort = pm_objective_get_max_effort (objective);

  if (effort != PM_EFFORT_UNSET && max_effort != PM_EFFORT_UNSET && effort > max_effort)
    return FALSE;

  if (client_effort_applies && client_effort != PM_EFFORT_UNSET && effort != PM_EFFORT_UNSET)
    {
      switch (pm_objective_get_client_effort_policy (objective))
        {
        case PM_CLIENT_EFFORT_CEILING:
          return effort <= client_effort;
        case PM_CLIENT_EFFORT_FLOOR:
          return effort >= client_effort;
        case PM_CLIENT_EFFORT_EXACT:
          return effort == client_effort;
        case PM_CLIENT_EFFORT_IGNORE:
        default:
          return TRUE;
        }
    }

  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Explanation                                                                                 */

/* Summaries are formatted into stack buffers: a decision writes a handful of them. */
#define FMT_BUF 48

static const char *
format_tokens (gint64 tokens,
               char   buf[FMT_BUF])
{
  if (tokens >= 10000)
    g_snprintf (buf, FMT_BUF, "%" G_GINT64_FORMAT "k", (tokens + 500) / 1000);
  else if (tokens >= 1000)
    g_snprintf (buf, FMT_BUF, "%.1fk", tokens / 1000.0);
  else
    g_snprintf (buf, FMT_BUF, "%" G_GINT64_FORMAT, tokens);
  return buf;
}

static const char *
format_usd (double usd,
            char   buf[FMT_BUF])
{
  if (usd >= 0.1)
    g_snprintf (buf, FMT_BUF, "$%.2f", usd);
  else if (usd >= 0.001)
    g_snprintf (buf, FMT_BUF, "$%.3f", usd);
  else
    g_snprintf (buf, FMT_BUF, "$%.5f", usd);
  return buf;
}

static const char *
candidate_label (const Candidate *c,
                 char             buf[160])
{
  if (c->effort == PM_EFFORT_UNSET)
    g_strlcpy (buf, c->model->id, 160);
  else
    g_snprintf (buf, 160, "%s (%s)", c->model->id, pm_effort_to_string (c->effort));
  return buf;
}

/* Full detail for the chosen candidate, the figures that rank them for the others, and the
 * reason for excluded ones (the explanation is built on every decision: keep it lean). */
static JsonObject *
candidate_json (const Candidate *c,
                gboolean         chosen)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "model", c->model->id);
  json_object_set_string_member (o, "effort", pm_effort_to_string (c->effort));
  json_object_set_double_member (o, "q", round (c->q * 10000) / 10000);
  json_object_set_double_member (o, "step_cost", c->cost_step);
  json_object_set_int_member (o, "cached_tokens", c->quote.cached);
  if (c->excluded != NULL)
    {
      json_object_set_string_member (o, "excluded", c->excluded);
      return o;
    }
  json_object_set_double_member (o, "cost", c->cost);
  json_object_set_double_member (o, "utility", round (c->utility * 1e6) / 1e6);
  /* the re-prefill only where a switch has one (always on the chosen candidate) */
  if (chosen || c->reprefill_tokens > 0)
    {
      json_object_set_int_member (o, "reprefill_tokens", c->reprefill_tokens);
      json_object_set_double_member (o, "reprefill_cost", c->reprefill_cost);
    }
  if (c->current)
    json_object_set_boolean_member (o, "current", TRUE);
  if (chosen)
    {
      json_object_set_double_member (o, "prior", round (c->prior * 1000) / 1000);
      json_object_set_boolean_member (o, "chosen", TRUE);
      json_object_set_double_member (o, "fixup_cost", c->fixup);
      json_object_set_int_member (o, "cache_write_tokens", c->quote.written);
      json_object_set_int_member (o, "uncached_tokens", c->quote.uncached);
      json_object_set_int_member (o, "output_tokens", c->output_tokens);
      json_object_set_string_member (o, "prior_source", c->prior_source);
    }

  return o;
}

static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const Candidate *x = a;
  const Candidate *y = b;

  if ((x->excluded != NULL) != (y->excluded != NULL))
    return x->excluded != NULL ? 1 : -1;
  if (x->utility != y->utility)
    return x->utility > y->utility ? -1 : 1;
  return x->cost < y->cost ? -1 : x->cost > y->cost ? 1 : 0;
}

/* Stable insertion sort in place: a few dozen candidates, and no temporary buffer (the
 * library sort allocates one this large). */
static void
sort_candidates (GArray *cands)
{
  Candidate *v = (Candidate *) (gpointer) cands->data;

  for (guint i = 1; i < cands->len; i++)
    {
      Candidate tmp;
      guint j = i;

      if (compare_candidates (&v[i - 1], &v[i]) <= 0)
        continue;
      tmp = v[i];
      while (j > 0 && compare_candidates (&v[j - 1], &tmp) > 0)
        {
          v[j] = v[j - 1];
          j--;
        }
      v[j] = tmp;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Decide                                                                                      */

/* Judge the previous step of this session from what the client sends now. */
static void
judge_previous (PmRouter  *self,
                PmSession *session,
                PmRequest *request)
{
  const PmRequestFeatures *f = pm_request_get_features (request);
  gboolean failed;
  gboolean judged = TRUE;

  if (f->n_tool_results > session->last_tool_results)
    /* A repeated call is a loop only when it fails again (re-running the tests after a fix
     * is progress). */
    failed = f->tail_tool_errors > 0;
  else if (f->user_correction || f->interrupted)
    failed = TRUE;
  else if (pm_request_get_step (request) == PM_STEP_INSTRUCTION ||
           pm_request_get_step (request) == PM_STEP_PLANNING)
    failed = FALSE;
  else
    {
      failed = FALSE;
      judged = FALSE;
    }

  if (failed)
    {
      /* The first failure in a row is an ordinary step of an agent loop; from the second on
       * the session shows trouble. A failing call repeated is a loop either way. */
      session->fail_streak++;
      session->trouble += (session->fail_streak >= 2 || f->user_correction || f->interrupted ? 1.0 : 0.0) +
                          (f->repeated_call > 0 ? 0.5 : 0.0);
      session->calm_steps = 0;
    }
  else if (judged)
    {
      session->fail_streak = 0;
      session->calm_steps++;
      /* Recovery: trouble fades a step at a time once things go right again. */
      session->trouble = MAX (0.0, session->trouble - 1.0);
    }
  session->trouble = MIN (session->trouble, 6.0);

  if (judged && session->pending_outcome && session->pending_model != NULL)
    {
      PmOutcomeTally *tally = pm_session_get_tally (session, session->pending_model, session->pending_effort, TRUE);

      pm_quality_record_outcome (self->quality, session->pending_model, session->pending_effort,
                                 session->pending_kind, !failed);
      if (failed)
        tally->failures++;
      else
        tally->successes++;
    }

  session->pending_outcome = FALSE;
  session->last_tool_results = f->n_tool_results;
  session->last_tool_errors = f->n_tool_errors;
}

/* The best candidate on @model: best_current when there is one, else its best by utility
 * among those the floor left out (what staying would have been). */
static const Candidate *
best_on_model (GArray            *cands,
               int                best_current,
               const PmModelInfo *model)
{
  const Candidate *best = NULL;

  if (best_current >= 0)
    return &g_array_index (cands, Candidate, best_current);
  for (guint i = 0; model != NULL && i < cands->len; i++)
    {
      const Candidate *o = &g_array_index (cands, Candidate, i);

      if (o->model == model && (o->excluded == NULL || o->excluded == EXCL_FLOOR) &&
          (best == NULL || o->utility > best->utility))
        best = o;
    }

  return best;
}

/* Whether any candidate on @model fits the context window. */
static gboolean
model_fits (GArray            *cands,
            const PmModelInfo *model)
{
  for (guint i = 0; i < cands->len; i++)
    {
      const Candidate *o = &g_array_index (cands, Candidate, i);

      if (o->model == model && o->excluded != EXCL_WINDOW)
        return TRUE;
    }

  return FALSE;
}

/* The prior of the model that served the previous step, at its effort (else any of its). */
static double
prev_prior_of (GArray            *cands,
               const PmModelInfo *prev,
               PmEffort           effort)
{
  double prior = -1;

  for (guint i = 0; prev != NULL && i < cands->len; i++)
    {
      const Candidate *o = &g_array_index (cands, Candidate, i);

      if (o->model == prev && (prior < 0 || o->effort == effort))
        prior = o->prior;
    }

  return prior;
}

static const char *
step_phrase (PmRequest *request)
{
  switch (pm_request_get_kind (request))
    {
    case PM_KIND_BACKGROUND:
      return "background call";
    case PM_KIND_COMPACTION:
      return "compaction";
    case PM_KIND_SUBAGENT:
    case PM_KIND_MAIN:
    case PM_KIND_LAST:
    default:
      break;
    }

  switch (pm_request_get_step (request))
    {
    case PM_STEP_INSTRUCTION: return "new instruction";
    case PM_STEP_PLANNING: return "planning step";
    case PM_STEP_TOOL_RESULT: return "tool-result step";
    case PM_STEP_ERROR_RECOVERY: return "error-recovery step";
    case PM_STEP_THINK: return "step with a think cue";
    case PM_STEP_CONTINUE:
    case PM_STEP_LAST:
    default: return "step";
    }
}

/* Keep what the explanation shows (the candidates listed, the figures, the reasons); the JSON
 * is built from it by explain_draft_build when someone asks. Takes over @reasons. */
static void
build_explanation (PmRouter     *self,
                   PmDecision   *decision,
                   PmRequest    *request,
                   PmSession    *session,
                   GArray       *cands,
                   guint         chosen_index,
                   GPtrArray    *reasons,
                   double        lambda,
                   double        trouble,
                   const char   *thinking_writer)
{
  PmExplainDraft *d = g_new0 (PmExplainDraft, 1);
  guint shown = 0;
  guint excluded = 0;
  Candidate listed[2 * EXPLAIN_CANDIDATES + 2];
  guint n_listed = 0;

  d->catalog = g_object_ref (self->catalog);
  d->model = g_strdup (decision->model);
  d->effort = decision->effort;
  d->routed = decision->routed;
  d->lambda = lambda;
  d->quality_floor = pm_objective_get_quality_floor (self->objective);
  d->trouble = trouble;
  d->thinking_writer = g_strdup (thinking_writer);
  d->session_id = g_strdup (session->id);
  d->steps = session->steps;
  d->previous_model = g_strdup (session->model);
  d->switches = session->switches;
  d->token_scale = session->fit.scale;
  d->token_offset = session->fit.offset;
  d->chosen = -1;

  for (guint i = 0; cands != NULL && i < cands->len; i++)
    {
      const Candidate *c = &g_array_index (cands, Candidate, i);

      if (c->excluded != NULL)
        {
          /* Excluded: one entry per model and reason (its best effort), and none for a model
           * already ranked at another effort. */
          gboolean seen = FALSE;

          for (guint k = 0; k < n_listed && !seen; k++)
            seen = listed[k].model == c->model && (listed[k].excluded == NULL || listed[k].excluded == c->excluded);
          /* models the request does not fit: named in the reasons instead */
          if (seen || c->excluded == EXCL_WINDOW || excluded++ >= EXPLAIN_CANDIDATES)
            continue;
        }
      else if (shown++ >= EXPLAIN_CANDIDATES && i != chosen_index)
        continue;
      /* at most EXPLAIN_CANDIDATES + 1 ranked (the chosen one past them) and
       * EXPLAIN_CANDIDATES + 1 excluded */
      g_assert (n_listed < G_N_ELEMENTS (listed));
      if (i == chosen_index)
        d->chosen = (int) n_listed;
      listed[n_listed++] = *c;
    }
  d->listed = g_memdup2 (listed, n_listed * sizeof (Candidate));
  d->n_listed = n_listed;
  d->reasons = g_ptr_array_ref (reasons);
  d->request = pm_request_ref (request);

  g_clear_pointer (&decision->explanation_node, json_node_unref);
  g_clear_pointer (&decision->explain_draft, explain_draft_free);
  decision->explain_draft = d;
}

static JsonNode *
explain_draft_build (const PmExplainDraft *d)
{
  JsonObject *o = json_object_new ();
  JsonObject *so = json_object_new ();
  JsonArray *array = json_array_sized_new (d->n_listed);
  JsonArray *ra = json_array_sized_new (d->reasons->len);
  JsonNode *node;

  json_object_set_string_member (o, "model", d->model);
  json_object_set_string_member (o, "effort", pm_effort_to_string (d->effort));
  json_object_set_boolean_member (o, "routed", d->routed);
  json_object_set_double_member (o, "lambda", d->lambda);
  json_object_set_double_member (o, "quality_floor", d->quality_floor);
  json_object_set_double_member (o, "trouble", d->trouble);
  if (d->thinking_writer != NULL)
    json_object_set_string_member (o, "thinking_writer", d->thinking_writer);

  json_object_set_string_member (so, "id", d->session_id);
  json_object_set_int_member (so, "steps", d->steps);
  if (d->previous_model != NULL)
    json_object_set_string_member (so, "previous_model", d->previous_model);
  else
    json_object_set_null_member (so, "previous_model");
  json_object_set_int_member (so, "switches", d->switches);
  json_object_set_double_member (so, "token_scale", round (d->token_scale * 1000) / 1000);
  json_object_set_int_member (so, "token_offset", d->token_offset);
  json_object_set_object_member (o, "session", so);

  for (guint i = 0; i < d->n_listed; i++)
    json_array_add_object_element (array, candidate_json (&d->listed[i], (int) i == d->chosen));
  json_object_set_array_member (o, "candidates", array);

  for (guint i = 0; i < d->reasons->len; i++)
    json_array_add_string_element (ra, g_ptr_array_index (d->reasons, i));
  json_object_set_array_member (o, "reasons", ra);
  json_object_set_member (o, "features", pm_request_features_to_json (d->request));

  node = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  return node;
}

static double
budget_spent (PmRouter *self,
              gint64    now_us)
{
  gint64 day = now_us / G_TIME_SPAN_DAY;

  if (day != self->spent_day)
    {
      self->spent_day = day;
      self->spent_today = 0;
    }

  return self->spent_today;
}

static const char *
writer_of_thinking (PmRouter  *self,
                    PmSession *session,
                    PmRequest *request)
{
  const PmModelInfo *info;

  if (!pm_request_has_thinking_blocks (request))
    return NULL;
  if (session->thinking_model != NULL)
    return session->thinking_model;
  /* Unknown session: the model the client asked for wrote its history. */
  info = router_lookup (self, pm_request_get_model (request));

  return info != NULL ? info->id : NULL;
}

/* The default model at its default effort, with its own (shadow) cache history: what the
 * request would have cost without Pointsman. Remembered for pm_router_baseline_cost (). */
static void
compute_baseline (PmRouter   *self,
                  PmDecision *decision,
                  PmRequest  *request,
                  PmSession  *session,
                  PmSession  *cache_session,
                  int         bp,
                  gint64      now_us)
{
  const PmModelInfo *base = default_info (self);
  char key[160];
  PmCacheState *shadow;
  PmCacheQuote q;

  if (base == NULL)
    {
      decision->expected_baseline_cost = decision->expected_cost;
      return;
    }

  g_snprintf (key, sizeof key, "baseline:%s", base->id);
  shadow = pm_session_get_cache (cache_session, key);
  pm_cache_state_quote_bp (shadow, base, request, bp, 0, &session->fit, now_us, &q);
  session->baseline_request = request;
  session->baseline_quote = q;
  decision->expected_baseline_cost = quote_cost (base, &q, expected_output (request, session, base, PM_EFFORT_UNSET));
  pm_cache_state_store (shadow, base, request, 0, &session->fit, now_us, -1, -1);
}

static PmDecision *
decide_pinned (PmRouter          *self,
               PmRequest         *request,
               PmSession         *session,
               PmSession         *cache_session,
               const PmModelInfo *info,
               const char        *thinking_writer,
               gint64             now_us)
{
  const char *requested = pm_request_get_model (request);
  PmEffort effort = pm_request_get_effort (request);
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) cands = g_array_new (FALSE, TRUE, sizeof (Candidate));
  int bp = pm_cache_last_breakpoint (request);
  PmDecision *decision;

  decision = pm_decision_new (info != NULL ? info->id : requested, PM_EFFORT_UNSET);
  decision->routed = FALSE;

  if (info != NULL)
    {
      Candidate c = { 0, };

      if (effort != PM_EFFORT_UNSET)
        effort = pm_wire_nearest_effort (info, effort);
      decision->effort = effort;
      c.model = info;
      c.effort = effort;
      c.prior = pm_quality_task_prior (self->quality, info, effort, &c.prior_source);
      c.q = candidate_q (self, request, session, &c, trouble_level (request, session), -1);
      pm_cache_state_quote_bp (g_hash_table_lookup (cache_session->caches, info->id), info, request, bp,
                               pm_cache_salt_for (info, effort), &session->fit, now_us, &c.quote);
      c.output_tokens = expected_output (request, session, info, effort);
      c.cost_step = c.cost_steady = c.cost = quote_cost (info, &c.quote, c.output_tokens);
      c.current = TRUE;
      g_array_append_val (cands, c);
      decision->expected_cached_tokens = c.quote.cached;
      decision->expected_cost = c.cost_step;
    }

  compute_baseline (self, decision, request, session, cache_session, bp, now_us);
  decision->summary = g_strdup_printf ("%s pinned by the client: honoured (pin policy), "
                                       "so Pointsman did not route this request.", requested);
  g_ptr_array_add (reasons, g_strdup (decision->summary));
  build_explanation (self, decision, request, session, cands, 0, reasons,
                     pm_objective_get_lambda (self->objective), trouble_level (request, session),
                     thinking_writer);
  return decision;
}

/* The catalog has no modality field yet: these families take text only (DeepSeek V3.2,
 * Qwen3-Coder, GLM-4.6, Kimi K2 — their vision models are separate ids). */
static gboolean
model_is_text_only (const PmModelInfo *model)
{
  static const char *prefixes[] = { "deepseek", "qwen3-coder", "glm-4", "kimi-k2" };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (model->id, prefixes[i]) && strstr (model->id, "vision") == NULL &&
        !g_str_has_suffix (model->id, "v"))
      return TRUE;

  return FALSE;
}

static gboolean
decision_thinks (PmRequest        *request,
                 const PmDecision *decision)
{
  if (decision->effort == PM_EFFORT_UNSET)
    return pm_request_get_features (request)->thinking_enabled ||
           pm_request_get_api (request) != PM_API_ANTHROPIC;

  return decision->effort != PM_EFFORT_NONE;
}

PmDecision *
pm_router_decide (PmRouter   *self,
                  PmRequest  *request,
                  gint64      now_us,
                  GError    **error)
{
  const PmRequestFeatures *f;
  PmSession *session;
  PmSession *cache_session;
  PmObjective *objective;
  GArray *cands = NULL;
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  const char *requested;
  const PmModelInfo *requested_info;
  const PmModelInfo *current_info = NULL;
  const char *thinking_writer;
  PmEffort client_effort;
  gboolean free_switch;
  double lambda;
  double floor_q;
  double trouble;
  g_autofree char *learned_text = NULL;
  double horizon;
  gint64 current_cached = 0;
  double best_q = 0;
  double fixup_base = 0;
  int chosen = -1;
  int best_current = -1;
  int best_any = -1;
  int cheapest = -1;
  int bp;
  gboolean kept_below_floor = FALSE;
  PmDecision *decision;
  PmKind kind;

  g_return_val_if_fail (PM_IS_ROUTER (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->mutex);

  f = pm_request_get_features (request);
  kind = pm_request_get_kind (request);
  objective = self->objective;
  session = get_session (self, pm_request_get_session_id (request),
                         pm_request_get_parent_session_id (request), now_us, TRUE);
  cache_session = cache_session_for (self, request, session, now_us);
  judge_previous (self, session, request);
  trouble = trouble_level (request, session);
  thinking_writer = writer_of_thinking (self, session, request);

  requested = pm_request_get_model (request);
  client_effort = pm_request_get_effort (request);

  /* Client pins: a concrete model is honoured unless the settings route everything. */
  if (!pm_objective_is_auto_model (objective, requested) &&
      pm_objective_get_pin_policy (objective) == PM_PIN_HONOUR)
    {
      requested_info = router_lookup (self, requested);
      decision = decide_pinned (self, request, session, cache_session, requested_info,
                                thinking_writer, now_us);
      goto done;
    }

  lambda = pm_objective_get_lambda (objective);
  bp = pm_cache_last_breakpoint (request);   /* once for every quote below */
  /* Sub-agent starts, background calls and compaction are free switch points: no cache of
   * theirs is at stake on any other model. */
  free_switch = session->model == NULL || kind == PM_KIND_BACKGROUND;
  if (!free_switch)
    current_info = router_lookup (self, session->model);
  horizon = 1.0 + MIN (session->steps, 8) / 4.0;

  if (self->learned != NULL && kind == PM_KIND_MAIN && pm_request_get_step (request) == PM_STEP_INSTRUCTION &&
      f->n_user_turns <= 1)
    learned_text = pm_request_dup_last_user_text (request);

  /* Candidates */
  /* reused from one decision to the next: no allocation per decision */
  cands = self->scratch;
  g_array_set_size (cands, 0);
  for (guint i = 0; self->pool != NULL && self->pool[i] != NULL; i++)
    {
      const PmModelInfo *info = self->pool_infos[i];
      gboolean dup = FALSE;
      gboolean no_effort;

      /* Catalog entries live as long as the catalog (merges update them in place). */
      if (info == NULL)
        info = self->pool_infos[i] = pm_catalog_lookup (self->catalog, self->pool[i]);

      if (info == NULL || !pm_objective_model_enabled (objective, info->id))
        continue;
      for (guint k = 0; k < cands->len && !dup; k++)
        dup = g_array_index (cands, Candidate, k).model == info;
      if (dup)
        continue;
      no_effort = info->efforts == 0 || g_strcmp0 (info->effort_style, "none") == 0;

      for (int e = PM_EFFORT_UNSET; e < PM_EFFORT_LAST; e++)
        {
          Candidate c = { 0, };

          if (no_effort)
            {
              if (e != PM_EFFORT_UNSET)
                break;
            }
          else if (e == PM_EFFORT_UNSET || !pm_model_info_accepts_effort (info, e))
            continue;

          if (!effort_allowed (objective, e, client_effort, TRUE))
            continue;
          c.model = info;
          c.effort = e;
          g_array_append_val (cands, c);
        }
    }

  if (cands->len == 0)
    {
      g_set_error (error, PM_ERROR, PM_ERROR_NO_CANDIDATE,
                   "No enabled model can serve this request (pool empty, all disabled, or no "
                   "effort within the limits)");
      decision = NULL;
      goto done;
    }

  if (current_info != NULL)
    {
      PmCacheQuote q;

      pm_cache_state_quote_bp (g_hash_table_lookup (cache_session->caches, current_info->id),
                               current_info, request, bp, pm_cache_salt_for (current_info, session->effort),
                               &session->fit, now_us, &q);
      current_cached = q.cached;
    }

  /* Pass 1: filters, Q, step cost */
  {
    /* signed thinking of a known, enabled model in this turn: only that model may continue */
    gboolean writer_binds = f->thinking_in_turn && thinking_writer != NULL &&
                            pm_objective_model_enabled (objective, thinking_writer) &&
                            router_lookup (self, thinking_writer) != NULL;
    gint64 prompt = pm_token_fit_apply (&session->fit, pm_request_get_input_tokens (request));
    const PmModelInfo *last_model = NULL;
    PmCacheQuote last_quote = { 0, };
    guint64 last_salt = G_MAXUINT64;

    for (guint i = 0; i < cands->len; i++)
      {
        Candidate *c = &g_array_index (cands, Candidate, i);
        guint64 salt = pm_cache_salt_for (c->model, c->effort);
        gint64 needed_out;

        c->current = current_info == c->model;
        c->warm = FALSE;
        c->output_tokens = expected_output (request, session, c->model, c->effort);
        needed_out = pm_request_get_max_output (request) > 0
          ? MIN (pm_request_get_max_output (request), c->model->max_output > 0 ? c->model->max_output : G_MAXINT64)
          : c->output_tokens;

        if (c->model->context_window > 0 && prompt + needed_out > c->model->context_window)
          c->excluded = EXCL_WINDOW;
        else if (writer_binds && !g_str_equal (thinking_writer, c->model->id))
          c->excluded = EXCL_THINKING;
        else if (f->orphan_tool_use && current_info != NULL && c->model != current_info)
          c->excluded = EXCL_ORPHAN;
        else if (pm_request_has_images (request) && model_is_text_only (c->model))
          c->excluded = EXCL_IMAGES;
        else if (pm_request_get_step (request) == PM_STEP_THINK && c->effort != PM_EFFORT_UNSET &&
                 c->effort < PM_EFFORT_MEDIUM)
          c->excluded = EXCL_THINK_CUE;

        if (c->model != last_model || salt != last_salt)
          {
            pm_cache_state_quote_bp (g_hash_table_lookup (cache_session->caches, c->model->id), c->model,
                                     request, bp, salt, &session->fit, now_us, &last_quote);
            last_model = c->model;
            last_salt = salt;
          }
        c->quote = last_quote;
        c->warm = c->current && current_cached > 0 && c->quote.cached >= current_cached;
        c->cost_step = quote_cost (c->model, &c->quote, c->output_tokens);

        /* Steady state: the cache this model would have had, had it served the session. */
        if (!free_switch && !c->current && current_cached > c->quote.cached)
          {
            PmCacheQuote warm = c->quote;
            gint64 gain = current_cached - warm.cached;

            warm.cached = current_cached;
            if (warm.written >= gain)
              warm.written -= gain;
            else
              {
                warm.uncached -= gain - warm.written;
                warm.written = 0;
              }
            warm.uncached = MAX (warm.uncached, 0);
            c->cost_steady = quote_cost (c->model, &warm, c->output_tokens);
            c->reprefill_tokens = gain;
            c->reprefill_cost = MAX (0.0, c->cost_step - c->cost_steady);
          }
        else
          c->cost_steady = c->cost_step;

        c->prior = pm_quality_task_prior (self->quality, c->model, c->effort, &c->prior_source);
        c->q = candidate_q (self, request, session, c, trouble,
                            learned_text != NULL ? pm_quality_model_predict (self->learned, learned_text, c->model->id) : -1);
        if (c->excluded == NULL && c->q > best_q)
          best_q = c->q;
      }

    /* The fix-up of a failed step: redoing it on a strong model at a sensible effort — the
     * cheapest candidate within 2 % of the best Q. */
    fixup_base = -1;
    for (guint i = 0; i < cands->len; i++)
      {
        const Candidate *c = &g_array_index (cands, Candidate, i);

        if (c->excluded == NULL && c->q >= 0.98 * best_q && (fixup_base < 0 || c->cost_step < fixup_base))
          fixup_base = c->cost_step;
      }
    fixup_base = MAX (fixup_base, 0.0);
  }

  /* Pass 2: utility and constraints */
  floor_q = pm_objective_get_quality_floor (objective) * best_q;
  {
    double budget = pm_objective_get_daily_budget (objective);
    double spent = budget_spent (self, now_us);
    double current_prior = 0;
    double best_switch_u = 0;
    int best_switch = -1;
    /* Hysteresis on the way down: a session that escalated (and paid the stronger model's
     * prefill) stays until it has been clean for a few steps; after that, coming down is a
     * switch like any other, its re-prefill amortised (the weaker model's cache may still be
     * warm, which its quote counts). */
    gboolean recovering = session->escalated && current_info != NULL && session->calm_steps < RECOVERY_STEPS;

    /* An escalation under trouble is kept at least until the session has been clean for
     * RECOVERY_STEPS steps (below), so its prefill is spread over that stay at least. */
    double up_horizon = MAX (horizon, 1.0 + RECOVERY_STEPS);
    double served_prior = prev_prior_of (cands, current_info, session->effort);

    for (guint i = 0; recovering && i < cands->len; i++)
      if (g_array_index (cands, Candidate, i).current)
        current_prior = MAX (current_prior, g_array_index (cands, Candidate, i).prior);

    for (guint i = 0; i < cands->len; i++)
      {
        Candidate *c = &g_array_index (cands, Candidate, i);
        gboolean escalation = !c->current && trouble >= 1 && served_prior >= 0 && c->prior > served_prior + 0.005;
        double amortised = c->cost_steady + (c->cost_step - c->cost_steady) / (escalation ? up_horizon : horizon);

        c->fixup = (1.0 - c->q) * FIXUP_FACTOR * fixup_base;
        c->cost = amortised + c->fixup;
        c->utility = c->q - lambda * c->cost;
        /* Background calls (titles, topics, quota probes): the cheapest capable model. Every
         * model does them; the quality floor still applies. */
        if (kind == PM_KIND_BACKGROUND)
          c->utility = -c->cost;

        if (c->excluded == NULL && cheapest < 0)
          cheapest = (int) i;
        else if (c->excluded == NULL && c->cost_step < g_array_index (cands, Candidate, cheapest).cost_step)
          cheapest = (int) i;
      }

    for (guint i = 0; i < cands->len; i++)
      {
        Candidate *c = &g_array_index (cands, Candidate, i);

        if (c->excluded != NULL)
          continue;
        if (budget > 0 && spent + c->cost_step > budget && (int) i != cheapest)
          c->excluded = EXCL_BUDGET;
        else if (c->q < floor_q - 1e-12 && !c->warm)
          c->excluded = EXCL_FLOOR;
        else if (recovering && !c->current && c->prior < current_prior - 0.005)
          c->excluded = EXCL_ESCALATED;
        else if (c->q >= floor_q - 1e-12 && !c->current && (best_switch < 0 || c->utility > best_switch_u))
          {
            best_switch = (int) i;
            best_switch_u = c->utility;
          }
      }

    /* The floor and the warm model: the floor must not force a switch that costs more than it
     * gains. A candidate on the current model that keeps its cache stays in below the floor
     * while the best switch the floor allows does not win on utility — the switch's re-prefill
     * (amortised) against its Q gain and the fix-ups it saves. */
    for (guint i = 0; i < cands->len; i++)
      {
        Candidate *c = &g_array_index (cands, Candidate, i);

        if (c->excluded != NULL || !c->warm || c->q >= floor_q - 1e-12)
          continue;
        if (best_switch >= 0 &&
            best_switch_u - c->utility >= SWITCH_MARGIN * MAX (1.0, fabs (best_switch_u)))
          c->excluded = EXCL_FLOOR;
        else
          kept_below_floor = TRUE;
      }
  }

  sort_candidates (cands);
  for (guint i = 0; i < cands->len; i++)
    {
      Candidate *c = &g_array_index (cands, Candidate, i);

      if (c->excluded != NULL)
        break;
      if (best_any < 0)
        best_any = (int) i;
      if (c->current && best_current < 0)
        best_current = (int) i;
    }

  if (best_any < 0)
    {
      /* Everything was filtered: the context window or thinking rules leave nothing. Fall
       * back to the least bad: the first candidate that fits, whatever the floor, budget or
       * escalation hold (an escalated model the session has outgrown must not strand it). */
      for (guint i = 0; i < cands->len && best_any < 0; i++)
        {
          Candidate *c = &g_array_index (cands, Candidate, i);

          if (c->excluded == EXCL_FLOOR || c->excluded == EXCL_BUDGET ||
              c->excluded == EXCL_ESCALATED)
            best_any = (int) i;
        }
      if (best_any < 0)
        {
          gboolean all_window = TRUE;

          for (guint i = 0; i < cands->len && all_window; i++)
            all_window = g_array_index (cands, Candidate, i).excluded == EXCL_WINDOW;
          g_set_error (error, PM_ERROR, all_window ? PM_ERROR_TOO_LARGE : PM_ERROR_NO_CANDIDATE,
                       "No model in the pool can take this request (%s)",
                       g_array_index (cands, Candidate, 0).excluded);
          decision = NULL;
          goto done;
        }
    }

  chosen = best_any;
  /* Hysteresis: a switch must beat the best option on the current model by a margin; an
   * effort change on the current model keeps the cache. */
  if (best_current >= 0 && best_current != best_any)
    {
      const Candidate *a = &g_array_index (cands, Candidate, best_any);
      const Candidate *cur = &g_array_index (cands, Candidate, best_current);
      double margin = SWITCH_MARGIN * MAX (1.0, fabs (a->utility));

      if (a->utility - cur->utility < margin)
        chosen = best_current;
    }

  /* Reasons, decision */
  {
    Candidate *c = &g_array_index (cands, Candidate, chosen);
    char label_buf[160], cost_buf[FMT_BUF];
    const char *label = candidate_label (c, label_buf);
    const char *cost_s = format_usd (c->cost_step, cost_buf);
    const PmModelInfo *prev = current_info;
    char *summary = NULL;

    decision = pm_decision_new (c->model->id, c->effort);
    decision->expected_cached_tokens = c->quote.cached;
    decision->expected_cost = c->cost_step;

    if (kind == PM_KIND_BACKGROUND)
      summary = g_strdup_printf ("%s (%s): no cache at stake, so the cheapest capable model: %s at %s.",
                                 step_phrase (request), f->kind_reason, label, cost_s);
    else if (free_switch)
      summary = g_strdup_printf ("%s of a new %s: no cache at stake on any model; %s is the best "
                                 "trade-off (Q %.2f, %s).",
                                 step_phrase (request),
                                 kind == PM_KIND_SUBAGENT ? "sub-agent" : "session",
                                 label, c->q, cost_s);
    else if (prev == c->model)
      {
        /* Stayed: say what a switch to the best other model would have cost. */
        const Candidate *alt = NULL;

        for (guint i = 0; i < cands->len; i++)
          {
            const Candidate *o = &g_array_index (cands, Candidate, i);

            if (o->excluded == NULL && o->model != c->model && o->cost_steady < c->cost_step &&
                (alt == NULL || o->utility > alt->utility))
              alt = o;
          }
        gboolean bound = FALSE;

        for (guint i = 0; i < cands->len && !bound; i++)
          bound = g_array_index (cands, Candidate, i).excluded == EXCL_THINKING;

        if (bound)
          summary = g_strdup_printf ("stayed on %s: this turn carries its signed thinking, which no other "
                                     "model may continue (Q %.2f, %s).", label, c->q, cost_s);
        else if (session->effort != c->effort && session->effort != PM_EFFORT_UNSET && c->effort != PM_EFFORT_UNSET)
          {
            char cached_s_buf[FMT_BUF];
            const char *cached_s = format_tokens (c->quote.cached, cached_s_buf);
            const char *dir = c->effort > session->effort ? "raised" : "lowered";

            if (c->quote.cached > 0)
              summary = g_strdup_printf ("%s effort on %s from %s to %s instead of switching model "
                                         "(keeps %s cached tokens)%s.",
                                         dir, c->model->id, pm_effort_to_string (session->effort),
                                         pm_effort_to_string (c->effort), cached_s,
                                         trouble >= 1 ? "; the session shows trouble" : "");
            else
              summary = g_strdup_printf ("%s effort on %s from %s to %s for this %s (Q %.2f, %s)%s.",
                                         dir, c->model->id, pm_effort_to_string (session->effort),
                                         pm_effort_to_string (c->effort), step_phrase (request), c->q, cost_s,
                                         trouble >= 1 ? "; the session shows trouble" : "");
          }
        else if (alt != NULL && alt->reprefill_tokens > 0)
          {
            char tok_s_buf[FMT_BUF], re_s_buf[FMT_BUF], save_s_buf[FMT_BUF];
            const char *tok_s = format_tokens (alt->reprefill_tokens, tok_s_buf);
            const char *re_s = format_usd (alt->reprefill_cost, re_s_buf);
            const char *save_s = format_usd (MAX (0.0, c->cost_step - alt->cost_steady), save_s_buf);

            summary = g_strdup_printf ("stayed on %s: switching to %s would re-prefill %s tokens (%s) "
                                       "for an expected saving of %s per step.",
                                       c->model->id, alt->model->id, tok_s, re_s, save_s);
          }
        else
          summary = g_strdup_printf ("stayed on %s: still the best trade-off for this %s (Q %.2f, %s).",
                                     label, step_phrase (request), c->q, cost_s);
      }
    else
      {
        char tok_s_buf[FMT_BUF], re_s_buf[FMT_BUF];
        const char *tok_s = format_tokens (c->reprefill_tokens, tok_s_buf);
        const char *re_s = format_usd (c->reprefill_cost, re_s_buf);

        double prev_prior = prev_prior_of (cands, prev, session->effort);
        const Candidate *cur_best = NULL;

        gboolean bound = FALSE;

        for (guint i = 0; i < cands->len && !bound; i++)
          bound = g_array_index (cands, Candidate, i).excluded == EXCL_THINKING;

        if (bound)
          summary = g_strdup_printf ("switched from %s to %s: this turn carries %s's signed thinking, "
                                     "which no other model may continue.",
                                     prev != NULL ? prev->id : "?", label, c->model->id);
        else if (trouble >= 1 && prev_prior >= 0 && c->prior > prev_prior + 0.005)
          summary = g_strdup_printf ("escalated from %s to %s: the session shows trouble (%.0f), so a "
                                     "stronger model is worth re-prefilling %s tokens (%s).",
                                     prev != NULL ? prev->id : "?", label, trouble, tok_s, re_s);
        else if (prev != NULL && !model_fits (cands, prev))
          summary = g_strdup_printf ("moved from %s to %s: the request and its output no longer fit %s's "
                                     "context window.", prev->id, label, prev->id);
        else if (prev_prior >= 0 && c->prior < prev_prior - 0.005 && session->escalated)
          summary = g_strdup_printf ("came back down from %s to %s: the session has been clean for %u "
                                     "steps; re-prefilling %s tokens (%s) is repaid over the next steps.",
                                     prev != NULL ? prev->id : "?", label, session->calm_steps, tok_s, re_s);
        else if ((cur_best = best_on_model (cands, best_current, prev)) != NULL &&
                 c->cost_step > cur_best->cost_step)
          {
            const Candidate *cur = cur_best;
            char more_s_buf[FMT_BUF];
            const char *more_s = format_usd (c->cost_step - cur->cost_step, more_s_buf);

            summary = g_strdup_printf ("switched from %s to %s for quality: Q %.2f against %.2f is worth "
                                       "%s more on this step (re-prefill of %s tokens included).",
                                       prev != NULL ? prev->id : "?", label, c->q, cur->q, more_s, tok_s);
          }
        else if (c->reprefill_tokens > 0)
          summary = g_strdup_printf ("switched from %s to %s: the saving outweighs re-prefilling %s "
                                     "tokens (%s) over the next steps.",
                                     prev != NULL ? prev->id : "?", label, tok_s, re_s);
        else if (c->quote.cached > 0)
          {
            char cached_s_buf[FMT_BUF];
            const char *cached_s = format_tokens (c->quote.cached, cached_s_buf);

            summary = g_strdup_printf ("switched from %s to %s: its own cache is still warm (%s tokens), so "
                                       "the switch re-prefills nothing.",
                                       prev != NULL ? prev->id : "?", label, cached_s);
          }
        else
          summary = g_strdup_printf ("switched from %s to %s: nothing cached at stake (cache expired "
                                     "or below the minimum), so the switch is free.",
                                     prev != NULL ? prev->id : "?", label);
      }
    g_ptr_array_add (reasons, summary);
    decision->summary = g_strdup (summary);

    /* Escalated: a stronger model under trouble, its prefill paid; it stays until the session
     * has recovered (hysteresis above). Coming down, or a free switch point, ends it. */
    if (free_switch)
      session->escalated = FALSE;
    else if (prev != NULL && prev != c->model && prev_prior_of (cands, prev, session->effort) >= 0)
      {
        double pp = prev_prior_of (cands, prev, session->effort);

        if (trouble >= 1 && c->prior > pp + 0.005)
          session->escalated = TRUE;
        else if (c->prior < pp - 0.005)
          session->escalated = FALSE;
      }

    if (kept_below_floor && c->warm && c->q < floor_q - 1e-12)
      g_ptr_array_add (reasons, g_strdup_printf ("%s is below the quality floor (Q %.2f < %.2f) but keeps "
                                                 "%" G_GINT64_FORMAT " cached tokens: no switch the floor "
                                                 "allows is worth its re-prefill",
                                                 c->model->id, c->q, floor_q, c->quote.cached));

    if (trouble >= 1 && kind != PM_KIND_BACKGROUND)
      g_ptr_array_add (reasons, g_strdup_printf ("session trouble %.1f (%u tool error%s in a row%s%s): "
                                                 "harder steps are priced in",
                                                 trouble, f->tail_tool_errors,
                                                 f->tail_tool_errors == 1 ? "" : "s",
                                                 f->repeated_call > 0 ? ", a repeated call" : "",
                                                 f->user_correction ? ", a user correction" : ""));
    else if (f->tail_tool_errors == 1 && kind != PM_KIND_BACKGROUND)
      g_ptr_array_add (reasons, g_strdup ("1 tool error in a row: priced in as a harder step; one failure "
                                          "is an ordinary step of an agent loop, not yet session trouble"));
    {
      /* Models the request does not fit are named here, not listed as candidates. */
      GString *models = NULL;
      const PmModelInfo *last = NULL;

      for (guint i = 0; i < cands->len; i++)
        {
          const Candidate *o = &g_array_index (cands, Candidate, i);
          gboolean seen = FALSE;

          if (o->excluded != EXCL_WINDOW || o->model == last)
            continue;
          for (guint k = 0; k < i && !seen; k++)
            seen = g_array_index (cands, Candidate, k).excluded == EXCL_WINDOW &&
                   g_array_index (cands, Candidate, k).model == o->model;
          last = o->model;
          if (seen)
            continue;
          if (models == NULL)
            models = g_string_new ("the request and its output do not fit the context window of ");
          else
            g_string_append (models, ", ");
          g_string_append (models, o->model->id);
        }
      if (models != NULL)
        g_ptr_array_add (reasons, g_string_free (models, FALSE));
    }
    if (thinking_writer != NULL && !g_str_equal (thinking_writer, c->model->id))
      g_ptr_array_add (reasons, g_strdup_printf ("signed thinking from %s is dropped and thinking "
                                                 "disabled for this request", thinking_writer));

    /* Fallbacks: the next best other models */
    for (guint i = 0; i < cands->len && decision->fallbacks->len < 3; i++)
      {
        const Candidate *o = &g_array_index (cands, Candidate, i);
        gboolean seen = o->model == c->model;

        if (o->excluded != NULL)
          break;
        for (guint k = 0; k < decision->fallbacks->len && !seen; k++)
          seen = g_str_equal (g_ptr_array_index (decision->fallbacks, k), o->model->id);
        if (!seen)
          g_ptr_array_add (decision->fallbacks, g_strdup (o->model->id));
      }

    compute_baseline (self, decision, request, session, cache_session, bp, now_us);
    if (self->default_model != NULL && !g_str_equal (self->default_model, c->model->id) &&
        decision->expected_baseline_cost > 0)
      {
        char base_s_buf[FMT_BUF];
        const char *base_s = format_usd (decision->expected_baseline_cost, base_s_buf);

        g_ptr_array_add (reasons, g_strdup_printf ("expected %s for this step; %s on the default model "
                                                   "%s with its own cache", cost_s, base_s,
                                                   self->default_model));
      }

    build_explanation (self, decision, request, session, cands, (guint) chosen, reasons, lambda,
                       trouble, thinking_writer);
  }

done:
  if (decision != NULL)
    {
      const PmModelInfo *chosen_info = router_lookup (self, decision->model);

      if (session->model != NULL && !g_str_equal (session->model, decision->model))
        session->switches++;
      session->steps++;
      session->last_us = now_us;
      g_free (session->history_writer);
      session->history_writer = g_strdup (thinking_writer);
      session->history_request = request;
      session->pending_outcome = TRUE;
      g_free (session->pending_model);
      session->pending_model = g_strdup (chosen_info != NULL ? chosen_info->id : decision->model);
      session->pending_effort = decision->effort;
      session->pending_kind = kind;
      g_free (session->model);
      session->model = g_strdup (decision->model);
      session->effort = decision->effort;
      /* A writer we only inferred (the client's pinned model) becomes known. */
      if (session->thinking_model == NULL && thinking_writer != NULL)
        session->thinking_model = g_strdup (thinking_writer);
      /* The next signed thinking in this history will be the chosen model's — if it thinks
       * (effort above none) and the client's API carries thinking back signed (Claude on
       * Anthropic Messages, encrypted reasoning on Responses). Otherwise the history keeps its
       * earlier writer. */
      if (chosen_info != NULL && decision_thinks (request, decision) &&
          ((pm_request_get_api (request) == PM_API_ANTHROPIC && g_str_has_prefix (chosen_info->effort_style, "anthropic")) ||
           (pm_request_get_api (request) == PM_API_OPENAI_RESPONSES && chosen_info->api == PM_API_OPENAI_RESPONSES)))
        {
          g_free (session->thinking_model);
          session->thinking_model = g_strdup (chosen_info->id);
        }
      session->last_trouble = trouble_level (request, session);
    }
  g_mutex_unlock (&self->mutex);

  return decision;
}

/* ------------------------------------------------------------------------------------------ */
/* Observe, baseline, apply                                                                    */

void
pm_router_observe (PmRouter         *self,
                   PmRequest        *request,
                   const PmDecision *decision,
                   const PmUsage    *usage,
                   guint             status,
                   gint64            now_us)
{
  const PmModelInfo *info;
  PmSession *session;
  PmSession *cache_session;
  gboolean known;
  double cost;

  g_return_if_fail (PM_IS_ROUTER (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (decision != NULL);

  g_mutex_lock (&self->mutex);
  /* The outcomes judged while deciding go to the file now, off the request path. */
  pm_quality_flush_outcomes (self->quality);
  info = router_lookup (self, decision->model);
  session = get_session (self, pm_request_get_session_id (request),
                         pm_request_get_parent_session_id (request), now_us, TRUE);
  cache_session = cache_session_for (self, request, session, now_us);
  session->last_us = now_us;

  if (status >= 400 || info == NULL)
    {
      /* Nothing was served (or an unknown model): no cache written, no outcome to judge. */
      if (status >= 400)
        session->pending_outcome = FALSE;
      g_mutex_unlock (&self->mutex);
      return;
    }

  known = usage != NULL && usage->seen;
  if (known)
    {
      gint64 prompt = pm_usage_prompt_total (usage);
      gint64 est = pm_request_get_input_tokens (request);

      if (prompt > 0 && est > 0)
        {
          /* The estimate's own error is a ratio (kept within what the estimator can be off
           * by); the rest is an offset: prompt parts the body does not show us. */
          double ratio = CLAMP ((double) prompt / (double) est, 0.7, 1.5);
          gint64 offset = prompt - (gint64) (est * ratio);
          gboolean first = session->fit.scale == 1.0 && session->fit.offset == 0;

          session->fit.scale = first ? ratio : 0.5 * session->fit.scale + 0.5 * ratio;
          session->fit.offset = first ? offset : (session->fit.offset + offset) / 2;
        }
      if (usage->output > 0)
        session->output_ema = session->output_ema < 0 ? usage->output
                                                       : 0.7 * session->output_ema + 0.3 * usage->output;
    }

  pm_cache_state_store (pm_session_get_cache (cache_session, info->id), info, request,
                        pm_cache_salt_for (info, decision->effort), &session->fit, now_us,
                        known ? usage->cache_read : -1,
                        known ? usage->cache_write_5m + usage->cache_write_1h : -1);

  cost = known ? (usage->reported_cost >= 0 ? usage->reported_cost : pm_usage_cost (usage, info))
               : decision->expected_cost;
  budget_spent (self, now_us);
  self->spent_today += cost;
  session->cost_today += cost;

  g_free (session->model);
  session->model = g_strdup (info->id);
  session->effort = decision->effort;
  g_mutex_unlock (&self->mutex);
}

double
pm_router_baseline_cost (PmRouter      *self,
                         PmRequest     *request,
                         const PmUsage *usage)
{
  const PmModelInfo *base;
  PmCacheQuote q;
  PmUsage u;
  gint64 prompt;
  gint64 quoted;
  PmSession *session;

  g_return_val_if_fail (PM_IS_ROUTER (self), 0.0);
  g_return_val_if_fail (request != NULL, 0.0);

  g_mutex_lock (&self->mutex);
  base = default_info (self);
  g_mutex_unlock (&self->mutex);
  if (base == NULL)
    return 0.0;

  /* The quote the default model got at decide time, from its own (shadow) cache history. */
  memset (&q, 0, sizeof q);
  g_mutex_lock (&self->mutex);
  session = g_hash_table_lookup (self->sessions, pm_request_get_session_id (request));
  if (session != NULL && session->baseline_request == (gconstpointer) request)
    q = session->baseline_quote;
  else
    q.uncached = pm_request_get_input_tokens (request);
  g_mutex_unlock (&self->mutex);

  /* Scaled to the prompt the provider reported (truth beats estimate). */
  prompt = usage != NULL && usage->seen ? pm_usage_prompt_total (usage) : 0;
  quoted = q.cached + q.written + q.uncached;
  if (prompt > 0 && quoted > 0)
    {
      double scale = (double) prompt / (double) quoted;

      q.cached = (gint64) (q.cached * scale);
      q.written = (gint64) (q.written * scale);
      q.uncached = prompt - q.cached - q.written;
    }

  pm_usage_init (&u);
  u.input = q.uncached;
  u.cache_read = q.cached;
  if (q.write_1h)
    u.cache_write_1h = q.written;
  else
    u.cache_write_5m = q.written;
  u.output = usage != NULL && usage->seen ? usage->output : expected_output (request, NULL, base, PM_EFFORT_UNSET);

  return pm_usage_cost (&u, base);
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
  const PmModelInfo *info;
  const char *writer = NULL;
  gboolean drop = FALSE;
  PmEffort effort;

  g_return_val_if_fail (PM_IS_ROUTER (self), FALSE);
  g_return_val_if_fail (decision != NULL, FALSE);
  g_return_val_if_fail (body != NULL, FALSE);

  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error_literal (error, PM_ERROR, PM_ERROR_INVALID_REQUEST, "request body must be a JSON object");
      return FALSE;
    }

  info = pm_catalog_lookup (self->catalog, decision->model);
  writer = pm_decision_get_thinking_writer (decision);
  g_mutex_lock (&self->mutex);
  if (writer == NULL && request != NULL && pm_request_has_thinking_blocks (request))
    {
      /* A decision without our explanation (the proxy's fail-over attempts): the session
       * knows who wrote this request's thinking. */
      PmSession *session = g_hash_table_lookup (self->sessions, pm_request_get_session_id (request));

      if (session != NULL && session->history_request == (gconstpointer) request)
        writer = session->history_writer;
      else
        {
          const PmModelInfo *asked = pm_catalog_lookup (self->catalog, pm_request_get_model (request));

          /* Unknown writer (an auto name, no session): keep the blocks. */
          writer = asked != NULL ? asked->id : NULL;
        }
    }
  if (writer != NULL)
    drop = !(info != NULL ? g_str_equal (writer, info->id) : g_str_equal (writer, decision->model));
  g_mutex_unlock (&self->mutex);

  if (info == NULL)
    {
      /* Unknown model (a pinned name the catalog lacks): name only, nothing else touched. */
      json_object_set_string_member (json_node_get_object (body), "model",
                                     upstream_model_name != NULL ? upstream_model_name : decision->model);
      if (drop)
        pm_wire_drop_thinking (upstream_api, json_node_get_object (body));
      return TRUE;
    }

  effort = decision->effort;
  return pm_wire_apply (info, upstream_api, pm_wire_guess_provider (upstream_api, upstream_model_name),
                        upstream_model_name, effort, drop, json_node_get_object (body), error);
}

JsonNode *
pm_router_session_to_json (PmRouter   *self,
                           const char *session_id,
                           gint64      now_us)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  PmSession *session;
  GHashTableIter iter;
  const char *model;
  PmCacheState *cache;

  g_return_val_if_fail (PM_IS_ROUTER (self), NULL);
  g_return_val_if_fail (session_id != NULL, NULL);

  g_mutex_lock (&self->mutex);
  session = g_hash_table_lookup (self->sessions, session_id);
  if (session == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return NULL;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, session->id);
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, session->steps);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, session->model);
  json_builder_set_member_name (b, "effort");
  json_builder_add_string_value (b, pm_effort_to_string (session->effort));
  json_builder_set_member_name (b, "trouble");
  json_builder_add_double_value (b, session->trouble);
  json_builder_set_member_name (b, "switches");
  json_builder_add_int_value (b, session->switches);
  json_builder_set_member_name (b, "token_scale");
  json_builder_add_double_value (b, session->fit.scale);
  json_builder_set_member_name (b, "token_offset");
  json_builder_add_int_value (b, session->fit.offset);
  json_builder_set_member_name (b, "cache_entries");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, session->caches);
  while (g_hash_table_iter_next (&iter, (gpointer *) &model, (gpointer *) &cache))
    {
      json_builder_set_member_name (b, model);
      json_builder_add_int_value (b, pm_cache_state_get_size (cache, now_us));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_mutex_unlock (&self->mutex);

  return json_builder_get_root (b);
}
