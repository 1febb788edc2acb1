/* pm-session.h — per-session routing state and per-model prompt-cache state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "pm-catalog.h"
#include "pm-request-private.h"

G_BEGIN_DECLS

/* Estimated tokens → the provider's count: offset + scale × estimate, learned from the usage
 * responses report (the offset covers what the estimate cannot see, e.g. a system prompt a
 * transcript does not record). */
typedef struct
{
  double   scale;
  gint64   offset;
} PmTokenFit;

static inline gint64
pm_token_fit_apply (const PmTokenFit *fit,
                    gint64            estimate)
{
  if (fit == NULL)
    return estimate;
  return MAX ((gint64) 0, fit->offset + (gint64) (estimate * fit->scale));
}

/* What one model has cached for one session: prefix hash → tokens and expiry. */
typedef struct _PmCacheState PmCacheState;

typedef struct
{
  gint64   cached;          /* tokens read from cache */
  gint64   written;         /* tokens newly written to cache */
  gint64   uncached;        /* tokens billed at the input price */
  gboolean write_1h;        /* writes at the 1 h price */
} PmCacheQuote;

PmCacheState *pm_cache_state_new        (void);
void          pm_cache_state_free       (PmCacheState       *self);
/* Tokens the model would read now for this request. salt separates entries written under
 * settings that break the cache (thinking budget on Anthropic budget models). Pure: no refresh. */
void          pm_cache_state_quote      (PmCacheState       *self,
                                         const PmModelInfo  *model,
                                         PmRequest          *request,
                                         guint64             salt,
                                         const PmTokenFit   *fit,
                                         gint64              now_us,
                                         PmCacheQuote       *quote);
/* The same, with the request's last breakpoint already known (pm_cache_last_breakpoint ():
 * a decision quotes a dozen candidates for one request). */
#define PM_CACHE_BREAKPOINT_UNKNOWN (-2)
void          pm_cache_state_quote_bp   (PmCacheState       *self,
                                         const PmModelInfo  *model,
                                         PmRequest          *request,
                                         int                 breakpoint,
                                         guint64             salt,
                                         const PmTokenFit   *fit,
                                         gint64              now_us,
                                         PmCacheQuote       *quote);
/* Index of the request's last Anthropic cache breakpoint (a top-level cache_control is one on
 * the last block), or -1. */
int           pm_cache_last_breakpoint  (PmRequest          *request);
/* The request was served: refresh hits and write entries by the provider's rules. When
 * reported_prompt >= 0 the usage is known: reported_read/_written replace the estimate. */
void          pm_cache_state_store      (PmCacheState       *self,
                                         const PmModelInfo  *model,
                                         PmRequest          *request,
                                         guint64             salt,
                                         const PmTokenFit   *fit,
                                         gint64              now_us,
                                         gint64              reported_read,
                                         gint64              reported_written);
/* Live entries (for explanations and tests). */
guint         pm_cache_state_get_size   (PmCacheState       *self,
                                         gint64              now_us);
void          pm_cache_state_clear      (PmCacheState       *self);

typedef struct
{
  char        *id;
  char        *parent;
  gint64       created_us;
  gint64       last_us;
  guint        steps;               /* requests decided in this session */
  char        *model;               /* model that served the last request, or NULL */
  PmEffort     effort;
  char        *thinking_model;      /* model that wrote the signed thinking in the history */
  char        *history_writer;      /* writer of the thinking in the request last decided */
  gconstpointer history_request;    /* that request (compared, never dereferenced) */
  double       trouble;             /* 0 = fine; grows with errors, loops, corrections */
  double       last_trouble;        /* trouble as of the previous decision */
  guint        calm_steps;          /* consecutive clean steps since the last trouble */
  guint        fail_streak;         /* consecutive judged failures (0 after a clean step) */
  gboolean     escalated;           /* switched to a stronger model under trouble, not yet back down */
  guint        last_tool_results;
  guint        last_tool_errors;
  PmTokenFit   fit;                 /* estimate → reported prompt tokens (truth beats estimate) */
  double       output_ema;          /* observed output tokens per step, < 0 if none yet */
  guint        switches;
  gboolean     pending_outcome;     /* the last decision's outcome is judged at the next step */
  char        *pending_model;
  PmEffort     pending_effort;
  PmKind       pending_kind;
  double       cost_today;
  gconstpointer baseline_request;   /* the request the baseline quote below is for */
  PmCacheQuote baseline_quote;
  GHashTable  *caches;              /* model id → PmCacheState */
  GHashTable  *own_outcomes;        /* "model/effort" → outcomes judged in this session (PmOutcomeTally) */
} PmSession;

/* Successes and failures of one model × effort, as judged within one session. */
typedef struct
{
  guint successes;
  guint failures;
} PmOutcomeTally;

PmSession    *pm_session_new            (const char  *id,
                                         const char  *parent,
                                         gint64       now_us);
void          pm_session_free           (PmSession   *self);
PmCacheState *pm_session_get_cache      (PmSession   *self,
                                         const char  *model_id);
/* This session's own judged outcomes for a model × effort (created when @create). */
PmOutcomeTally *pm_session_get_tally    (PmSession   *self,
                                         const char  *model_id,
                                         PmEffort     effort,
                                         gboolean     create);

/* Whether changing effort on this model breaks its cached prefix (Anthropic budget-style
 * thinking: a new budget invalidates the message part). Returns the salt to use. */
guint64       pm_cache_salt_for         (const PmModelInfo *model,
                                         PmEffort           effort);

G_END_DECLS
