/* pm-sse.h — an incremental Server-Sent Events parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PmSseParser PmSseParser;

/* event: the `event:` field or NULL; data: the joined `data:` lines (NUL-terminated). Return
 * FALSE to stop parsing (the rest of the current feed is left unparsed). */
typedef gboolean (*PmSseEventFunc) (const char *event,
                                    const char *data,
                                    gsize       data_len,
                                    gpointer    user_data);

PmSseParser *pm_sse_parser_new    (void);
void         pm_sse_parser_free   (PmSseParser    *self);
/* Feed any number of bytes; calls func once per complete event. Handles \n, \r\n and \r line
 * endings, comments, and events split across feeds. */
gboolean     pm_sse_parser_feed   (PmSseParser    *self,
                                   const char     *data,
                                   gsize           len,
                                   PmSseEventFunc  func,
                                   gpointer        user_data);
/* Bytes buffered but not yet part of a complete event. */
gsize        pm_sse_parser_pending (PmSseParser   *self);
/* Of all bytes fed, how many came after the last blank line (the end of the last event,
 * dispatched or not): a relay that forwards everything else forwards whole events only. */
gsize        pm_sse_parser_get_tail (PmSseParser  *self);

/* Append one event in wire form ("event: x\ndata: y\n\n"; no event line when event is NULL). */
void         pm_sse_append_event  (GString        *out,
                                   const char     *event,
                                   const char     *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmSseParser, pm_sse_parser_free)

G_END_DECLS
