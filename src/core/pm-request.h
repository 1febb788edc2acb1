/* pm-request.h — one client request, parsed once, with the features routing needs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pm-types.h"

G_BEGIN_DECLS

/* Headers are passed as a GHashTable of lower-case name → value (both char*). */
PmRequest   *pm_request_new                  (PmApi        api,
                                              GHashTable  *headers,
                                              JsonNode    *body,
                                              GError     **error);
/* Parses the body; errors are PM_ERROR_INVALID_REQUEST with a message fit for the client. */
PmRequest   *pm_request_new_from_bytes       (PmApi        api,
                                              GHashTable  *headers,
                                              GBytes      *body,
                                              GError     **error);
/* As above, knowing the URL path the client used: a path ending in /responses/compact (Codex
 * CLI's compaction endpoint) makes the request a compaction whatever its body says. */
PmRequest   *pm_request_new_for_path         (PmApi        api,
                                              const char  *path,
                                              GHashTable  *headers,
                                              JsonNode    *body,
                                              GError     **error);
PmRequest   *pm_request_new_from_bytes_for_path (PmApi      api,
                                              const char  *path,
                                              GHashTable  *headers,
                                              GBytes      *body,
                                              GError     **error);
PmRequest   *pm_request_ref                  (PmRequest   *self);
void         pm_request_unref                (PmRequest   *self);

PmApi        pm_request_get_api              (PmRequest   *self);
GHashTable  *pm_request_get_headers          (PmRequest   *self);
/* The body as the client sent it; callers that rewrite must deep-copy it first (json_node_copy ()
 * only adds references to the objects and arrays inside). */
JsonNode    *pm_request_get_body             (PmRequest   *self);
const char  *pm_request_get_header           (PmRequest   *self,
                                              const char  *lower_name);
const char  *pm_request_get_model            (PmRequest   *self);   /* as requested */
PmEffort     pm_request_get_effort           (PmRequest   *self);   /* as requested, or UNSET */
gboolean     pm_request_get_stream           (PmRequest   *self);
PmAgent      pm_request_get_agent            (PmRequest   *self);
const char  *pm_request_get_session_id       (PmRequest   *self);   /* never NULL */
const char  *pm_request_get_parent_session_id (PmRequest  *self);   /* sub-agent's parent, or NULL */
PmKind       pm_request_get_kind             (PmRequest   *self);
PmStep       pm_request_get_step             (PmRequest   *self);
gint64       pm_request_get_input_tokens     (PmRequest   *self);   /* fast estimate, whole prompt */
gint64       pm_request_get_max_output       (PmRequest   *self);   /* max_tokens asked, or 0 */
gboolean     pm_request_has_tools            (PmRequest   *self);
gboolean     pm_request_has_images           (PmRequest   *self);
gboolean     pm_request_has_thinking_blocks  (PmRequest   *self);   /* signed thinking in history */
/* Features as JSON, for explanations and `explain`. */
JsonNode    *pm_request_features_to_json     (PmRequest   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmRequest, pm_request_unref)

G_END_DECLS
