/* pm-request-list.h — the live request list (GtkColumnView over the core's request log)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "pm-app-core.h"

G_BEGIN_DECLS

#define PM_TYPE_REQUEST_LIST (pm_request_list_get_type ())
G_DECLARE_FINAL_TYPE (PmRequestList, pm_request_list, PM, REQUEST_LIST, GtkWidget)

GtkWidget          *pm_request_list_new                 (void);
/* A GListModel of PmRecord (the proxy's PmRequestLog). */
void                pm_request_list_set_model           (PmRequestList *self,
                                                         GListModel    *model);
GListModel         *pm_request_list_get_model           (PmRequestList *self);
/* The list applies the model's changes once per main-loop iteration (pm-batch-model.h); apply
 * what is pending now. */
void                pm_request_list_flush               (PmRequestList *self);
/* TRUE while the list stays at the top as rows arrive (the user has not scrolled away). */
gboolean            pm_request_list_get_following       (PmRequestList *self);
/* The selected record or NULL; "selected" notifies. */
PmRecord           *pm_request_list_get_selected        (PmRequestList *self);
GtkSingleSelection *pm_request_list_get_selection       (PmRequestList *self);
GtkColumnView      *pm_request_list_get_column_view     (PmRequestList *self);
/* NULL = all. */
void                pm_request_list_set_session_filter  (PmRequestList *self,
                                                         const char    *session);
void                pm_request_list_set_agent_filter    (PmRequestList *self,
                                                         const char    *agent);
/* Rows shown after filtering. */
guint               pm_request_list_get_n_shown         (PmRequestList *self);
/* How many times a streaming record's change re-sorted the list (tests). */
guint               pm_request_list_get_n_resorts       (PmRequestList *self);

/* Cell formatting, shared with the why-pane. */
char               *pm_format_cost                      (double         usd);
char               *pm_format_tokens                    (gint64         tokens);
/* "$0.0123 saved" or "$0.0123 more than the default model". */
char               *pm_format_saving                    (double         usd);

G_END_DECLS
