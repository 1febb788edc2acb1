/* pm-what-if.h — re-route the last N requests under another objective
 *
 * The app keeps the parsed requests (PmRequest) of the last N logged records in a ring and runs
 * a fresh PmRouter, built with a copy of the objective, over them. It never changes what the
 * proxy does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "pm-app-core.h"

G_BEGIN_DECLS

typedef struct
{
  guint       n_requests;       /* requests replayed (finished ones only) */
  guint       n_changed;        /* requests whose model or effort would change */
  double      actual_cost;      /* what they cost (USD, measured) */
  double      baseline_cost;    /* what the default model would have cost (measured usage) */
  double      what_if_cost;     /* the recorded usage priced for the model the router picks, with
                                 * the cache it expects (unchanged requests: what they cost) */
  double      expected_cost;    /* the router's own expected cost (includes the failure risk) */
  GHashTable *actual_models;    /* model id → GUINT_TO_POINTER (count) */
  GHashTable *what_if_models;   /* model id → GUINT_TO_POINTER (count) */
} PmWhatIfResult;

void  pm_what_if_result_clear (PmWhatIfResult *result);
/* "model 60 %, model 40 %" by count, most used first. */
char *pm_what_if_format_models (GHashTable   *models,
                                guint         total);

#define PM_TYPE_WHAT_IF (pm_what_if_get_type ())
G_DECLARE_FINAL_TYPE (PmWhatIf, pm_what_if, PM, WHAT_IF, GObject)

PmWhatIf   *pm_what_if_new            (PmCatalog          *catalog,
                                       const char * const *pool,
                                       const char         *default_model);
/* Feeds the ring from the proxy's "request-routed" signal when the proxy has one. */
void        pm_what_if_attach_proxy   (PmWhatIf           *self,
                                       PmProxy            *proxy);
void        pm_what_if_push           (PmWhatIf           *self,
                                       PmRequest          *request,
                                       PmRecord           *record);
void        pm_what_if_clear          (PmWhatIf           *self);
void        pm_what_if_set_capacity   (PmWhatIf           *self,
                                       guint               capacity);
guint       pm_what_if_get_capacity   (PmWhatIf           *self);
guint       pm_what_if_get_n_items    (PmWhatIf           *self);
/* Runs synchronously (microseconds per request). objective is copied, never changed. */
gboolean    pm_what_if_run            (PmWhatIf           *self,
                                       PmObjective        *objective,
                                       PmWhatIfResult     *result,
                                       GError            **error);

G_END_DECLS
