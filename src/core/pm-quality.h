/* pm-quality.h — quality priors per model × effort from published figures, and outcomes
 * observed on this device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "pm-catalog.h"

G_BEGIN_DECLS

typedef struct _PmQuality PmQuality;

PmQuality  *pm_quality_new                (void);
/* The installed priors (PM_PRIORS, PKGDATADIR/priors.json, then the source tree). A missing
 * file is not an error: every model then gets the price-based fallback. */
PmQuality  *pm_quality_new_default        (void);
gboolean    pm_quality_load_priors        (PmQuality          *self,
                                           const char         *path,
                                           GError            **error);
void        pm_quality_free               (PmQuality          *self);

/* Probability that the model solves a SWE-bench-Verified-like task with the mini-SWE-agent
 * scaffold at this effort (0..1). *source (static string) says where the figure came from. */
double      pm_quality_task_prior         (PmQuality          *self,
                                           const PmModelInfo  *model,
                                           PmEffort            effort,
                                           const char        **source);
/* Multiplier on the failure rate for an effort relative to the measured one (aider figures). */
double      pm_quality_effort_factor      (PmQuality          *self,
                                           const char         *effort_style,
                                           PmEffort            effort,
                                           PmEffort            reference);

/* Outcomes kept per user in SQLite (a table of the router's own, separate file). */
gboolean    pm_quality_open_outcomes      (PmQuality          *self,
                                           const char         *path,
                                           GError            **error);
/* Counts at once; the row is written to the outcomes file by pm_quality_flush_outcomes (the
 * router calls it once a request has been answered, so no write happens while one is being
 * decided), after PENDING_OUTCOMES_MAX tallies, and when @self is freed. */
void        pm_quality_record_outcome     (PmQuality          *self,
                                           const char         *model_id,
                                           PmEffort            effort,
                                           int                 kind,
                                           gboolean            success);
/* Write the outcomes counted since the last flush, in one transaction. */
void        pm_quality_flush_outcomes     (PmQuality          *self);
void        pm_quality_get_outcomes       (PmQuality          *self,
                                           const char         *model_id,
                                           PmEffort            effort,
                                           int                 kind,
                                           guint              *successes,
                                           guint              *failures);

G_END_DECLS
