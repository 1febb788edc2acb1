/* pm-translate-private.h — helpers shared by the pm-translate-*.c files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pm-translate.h"

G_BEGIN_DECLS

/* Safe JSON accessors: NULL / default when the member is missing or of another type. */
const char *_pm_json_get_string  (JsonObject  *object,
                                  const char  *member);
gint64      _pm_json_get_int     (JsonObject  *object,
                                  const char  *member,
                                  gint64       fallback);
gboolean    _pm_json_get_bool    (JsonObject  *object,
                                  const char  *member,
                                  gboolean     fallback);
JsonObject *_pm_json_get_object  (JsonObject  *object,
                                  const char  *member);
JsonArray  *_pm_json_get_array   (JsonObject  *object,
                                  const char  *member);
char       *_pm_json_object_to_string (JsonObject *object);
JsonObject *_pm_json_parse_object (const char *text,
                                   gssize      length);

/* Stop reasons: Anthropic ⇄ Chat finish_reason. */
const char *_pm_stop_reason_to_finish (const char *stop_reason);
const char *_pm_finish_to_stop_reason (const char *finish_reason);

/* Append one SSE event in wire form (no event line when event is NULL). */
void        _pm_sse_append       (GString     *out,
                                  const char  *event,
                                  const char  *data);

/* A fresh id with a prefix, e.g. "msg_", "chatcmpl-", "resp_", "call_". */
char       *_pm_make_id          (const char  *prefix);

G_END_DECLS
