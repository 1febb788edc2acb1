/* pm-translate-stream.c — event-by-event stream translation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-translate"

#include "config.h"

#include <string.h>

#include "pm-translate-private.h"

struct _PmStreamTranslator
{
  PmApi  from;
  PmApi  to;
  char  *client_model;
};

PmStreamTranslator *
pm_stream_translator_new (PmApi       from,
                          PmApi       to,
                          const char *client_model)
{
  PmStreamTranslator *self;

  g_return_val_if_fail (from < PM_API_LAST && to < PM_API_LAST, NULL);

  self = g_new0 (PmStreamTranslator, 1);
  self->from = from;
  self->to = to;
  self->client_model = g_strdup (client_model);
  return self;
}

void
pm_stream_translator_free (PmStreamTranslator *self)
{
  if (self == NULL)
    return;
  g_free (self->client_model);
  g_free (self);
}

gboolean
pm_stream_translator_feed (PmStreamTranslator  *self,
                           const char          *event,
                           const char          *data,
                           GString             *out,
                           GError             **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (self->from == self->to)
    {
      _pm_sse_append (out, event, data);
      return TRUE;
    }

  g_set_error (error, PM_ERROR, PM_ERROR_UNSUPPORTED,
               "Translating streams from %s to %s is not supported yet",
               pm_api_to_string (self->from), pm_api_to_string (self->to));
  return FALSE;
}

void
pm_stream_translator_finish (PmStreamTranslator *self,
                             GString            *out)
{
  g_return_if_fail (self != NULL);
}
