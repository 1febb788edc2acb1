/* pm-sse.c — an incremental Server-Sent Events parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-sse"

#include "config.h"

#include <string.h>

#include "pm-sse.h"

struct _PmSseParser
{
  GString  *buffer;        /* bytes not yet consumed as complete lines */
  GString  *data;          /* data lines of the current event, joined by \n */
  char     *event;         /* event field of the current event */
  gboolean  have_data;     /* at least one data: line in the current event */
  gboolean  skip_lf;       /* the previous feed ended on \r: drop a leading \n */
  gboolean  bom_checked;
  gsize     scanned;       /* bytes at the start of buffer known to hold no line ending */
  gsize     tail;          /* bytes fed since the last blank line (the end of an event) */
};

PmSseParser *
pm_sse_parser_new (void)
{
  PmSseParser *self = g_new0 (PmSseParser, 1);

  self->buffer = g_string_new (NULL);
  self->data = g_string_new (NULL);

  return self;
}

void
pm_sse_parser_free (PmSseParser *self)
{
  if (self == NULL)
    return;

  g_string_free (self->buffer, TRUE);
  g_string_free (self->data, TRUE);
  g_free (self->event);
  g_free (self);
}

static void
reset_event (PmSseParser *self)
{
  g_string_truncate (self->data, 0);
  g_clear_pointer (&self->event, g_free);
  self->have_data = FALSE;
}

/* Returns FALSE when func asked to stop. */
static gboolean
process_line (PmSseParser    *self,
              const char     *line,
              gsize           len,
              PmSseEventFunc  func,
              gpointer        user_data)
{
  const char *colon;
  const char *value;
  gsize field_len;
  gsize value_len;

  g_assert (self != NULL);

  if (len == 0)
    {
      gboolean ret = TRUE;

      /* Dispatch. An event with no data lines is not dispatched (per the spec). */
      if (self->have_data)
        {
          if (func != NULL)
            ret = func (self->event, self->data->str, self->data->len, user_data);
        }
      reset_event (self);
      return ret;
    }

  if (line[0] == ':')
    return TRUE;  /* comment */

  colon = memchr (line, ':', len);
  if (colon != NULL)
    {
      field_len = colon - line;
      value = colon + 1;
      value_len = len - field_len - 1;
      if (value_len > 0 && value[0] == ' ')
        {
          value++;
          value_len--;
        }
    }
  else
    {
      field_len = len;
      value = line + len;
      value_len = 0;
    }

  if (field_len == 4 && memcmp (line, "data", 4) == 0)
    {
      if (self->have_data)
        g_string_append_c (self->data, '\n');
      g_string_append_len (self->data, value, value_len);
      self->have_data = TRUE;
    }
  else if (field_len == 5 && memcmp (line, "event", 5) == 0)
    {
      g_free (self->event);
      self->event = g_strndup (value, value_len);
    }
  /* id:, retry: and unknown fields are ignored: the proxy relays bytes, it does not reconnect. */

  return TRUE;
}

gboolean
pm_sse_parser_feed (PmSseParser    *self,
                    const char     *data,
                    gsize           len,
                    PmSseEventFunc  func,
                    gpointer        user_data)
{
  gsize pos = 0;
  gsize start;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (len == 0)
    return TRUE;

  self->tail += len;
  g_string_append_len (self->buffer, data, len);

  if (!self->bom_checked)
    {
      if (self->buffer->len < 3 && memcmp (self->buffer->str, "\xEF\xBB\xBF", self->buffer->len) == 0)
        return TRUE;
      if (self->buffer->len >= 3 && memcmp (self->buffer->str, "\xEF\xBB\xBF", 3) == 0)
        g_string_erase (self->buffer, 0, 3);
      self->bom_checked = TRUE;
    }

  if (self->skip_lf && self->buffer->len > 0)
    {
      if (self->buffer->str[0] == '\n')
        pos = 1;
      self->skip_lf = FALSE;
    }

  start = pos;
  pos = MAX (pos, self->scanned);
  self->scanned = 0;
  while (pos < self->buffer->len)
    {
      char c = self->buffer->str[pos];

      if (c == '\n' || c == '\r')
        {
          gboolean keep_going;
          gsize line_end = pos;

          pos++;
          if (c == '\r')
            {
              if (pos < self->buffer->len)
                {
                  if (self->buffer->str[pos] == '\n')
                    pos++;
                }
              else
                {
                  self->skip_lf = TRUE;
                }
            }

          if (line_end == start)
            self->tail = self->buffer->len - pos;   /* a blank line: an event ends at pos */
          keep_going = process_line (self, self->buffer->str + start, line_end - start, func, user_data);
          start = pos;

          if (!keep_going)
            {
              /* Leave the rest of this feed unparsed. */
              g_string_erase (self->buffer, 0, start);
              return FALSE;
            }
        }
      else
        {
          const char *nl = memchr (self->buffer->str + pos, '\n', self->buffer->len - pos);
          const char *cr = memchr (self->buffer->str + pos, '\r', self->buffer->len - pos);
          const char *next = nl;

          if (cr != NULL && (next == NULL || cr < next))
            next = cr;
          if (next == NULL)
            {
              pos = self->buffer->len;
              break;
            }
          pos = next - self->buffer->str;
        }
    }

  g_string_erase (self->buffer, 0, start);
  self->scanned = self->buffer->len;

  return TRUE;
}

gsize
pm_sse_parser_get_tail (PmSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->tail;
}

gsize
pm_sse_parser_pending (PmSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->buffer->len + self->data->len + (self->event != NULL ? strlen (self->event) : 0);
}

void
pm_sse_append_event (GString    *out,
                     const char *event,
                     const char *data)
{
  const char *p;

  g_return_if_fail (out != NULL);

  if (event != NULL)
    g_string_append_printf (out, "event: %s\n", event);

  if (data == NULL)
    data = "";

  /* Each line of data becomes its own data: line. */
  p = data;
  for (;;)
    {
      const char *nl = strchr (p, '\n');

      g_string_append (out, "data: ");
      if (nl == NULL)
        {
          g_string_append (out, p);
          g_string_append_c (out, '\n');
          break;
        }
      g_string_append_len (out, p, nl - p);
      g_string_append_c (out, '\n');
      p = nl + 1;
    }

  g_string_append_c (out, '\n');
}
