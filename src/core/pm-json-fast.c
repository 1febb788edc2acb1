/* pm-json-fast.c — a single-pass JSON reader building json-glib nodes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-json-fast"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "pm-json-fast.h"

#define MAX_DEPTH 512

typedef struct
{
  const char *p;
  const char *end;
  guint       depth;
} Reader;

static JsonNode *read_value (Reader *r);

static inline void
skip_ws (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static int
hex4 (const char *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);

      if (d < 0)
        return -1;
      v = (v << 4) | d;
    }
  return v;
}

/* r->p is just past the opening quote. Returns a newly allocated string, or NULL. */
static char *
read_string (Reader *r)
{
  const char *start = r->p;
  const char *q = start;
  GString *s = NULL;

  for (;;)
    {
      /* the plain run: no quote, no backslash, no control character */
      while (q < r->end && *q != '"' && *q != '\\' && (guchar) *q >= 0x20)
        q++;
      if (q >= r->end || (guchar) *q < 0x20)
        goto fail;
      if (!g_utf8_validate_len (start, q - start, NULL))
        goto fail;
      if (*q == '"')
        {
          char *out;

          if (s == NULL)
            out = g_strndup (start, q - start);
          else
            {
              g_string_append_len (s, start, q - start);
              out = g_string_free (s, FALSE);
            }
          r->p = q + 1;
          return out;
        }

      /* an escape */
      if (s == NULL)
        s = g_string_sized_new ((q - start) + 16);
      g_string_append_len (s, start, q - start);
      if (q + 1 >= r->end)
        goto fail;
      switch (q[1])
        {
        case '"': g_string_append_c (s, '"'); q += 2; break;
        case '\\': g_string_append_c (s, '\\'); q += 2; break;
        case '/': g_string_append_c (s, '/'); q += 2; break;
        case 'b': g_string_append_c (s, '\b'); q += 2; break;
        case 'f': g_string_append_c (s, '\f'); q += 2; break;
        case 'n': g_string_append_c (s, '\n'); q += 2; break;
        case 'r': g_string_append_c (s, '\r'); q += 2; break;
        case 't': g_string_append_c (s, '\t'); q += 2; break;
        case 'u':
          {
            int cp;

            if (q + 6 > r->end || (cp = hex4 (q + 2)) < 0)
              goto fail;
            q += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF)
              {
                int lo;

                if (q + 6 > r->end || q[0] != '\\' || q[1] != 'u' || (lo = hex4 (q + 2)) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                  goto fail;   /* a lone surrogate: leave it to json-glib */
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
              }
            else if (cp >= 0xDC00 && cp <= 0xDFFF)
              goto fail;
            if (cp == 0)
              goto fail;   /* NUL inside a C string: leave it to json-glib */
            g_string_append_unichar (s, cp);
          }
          break;
        default:
          goto fail;
        }
      start = q;
    }

fail:
  if (s != NULL)
    g_string_free (s, TRUE);
  return NULL;
}

static JsonNode *
read_number (Reader *r)
{
  const char *start = r->p;
  const char *q = start;
  gboolean is_double = FALSE;
  char buf[64];
  char *copy;
  char *endptr = NULL;
  JsonNode *node;

  if (q < r->end && *q == '-')
    q++;
  if (q >= r->end || !g_ascii_isdigit (*q))
    return NULL;
  if (*q == '0')
    q++;
  else
    while (q < r->end && g_ascii_isdigit (*q))
      q++;
  if (q < r->end && *q == '.')
    {
      is_double = TRUE;
      q++;
      if (q >= r->end || !g_ascii_isdigit (*q))
        return NULL;
      while (q < r->end && g_ascii_isdigit (*q))
        q++;
    }
  if (q < r->end && (*q == 'e' || *q == 'E'))
    {
      is_double = TRUE;
      q++;
      if (q < r->end && (*q == '+' || *q == '-'))
        q++;
      if (q >= r->end || !g_ascii_isdigit (*q))
        return NULL;
      while (q < r->end && g_ascii_isdigit (*q))
        q++;
    }

  /* the input need not be NUL-terminated: parse a copy */
  if ((gsize) (q - start) < sizeof buf)
    {
      memcpy (buf, start, q - start);
      buf[q - start] = '\0';
      copy = buf;
    }
  else
    copy = g_strndup (start, q - start);

  errno = 0;
  node = json_node_alloc ();
  if (is_double)
    json_node_init_double (node, g_ascii_strtod (copy, &endptr));
  else
    {
      gint64 v = g_ascii_strtoll (copy, &endptr, 10);

      if (errno == ERANGE)
        g_clear_pointer (&node, json_node_unref);   /* json-glib decides */
      else
        json_node_init_int (node, v);
    }
  if (copy != buf)
    g_free (copy);
  r->p = q;
  return node;
}

static gboolean
read_literal (Reader     *r,
              const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (r->end - r->p) < len || memcmp (r->p, word, len) != 0)
    return FALSE;
  r->p += len;
  return TRUE;
}

static JsonNode *
read_object (Reader *r)
{
  JsonObject *object = json_object_new ();
  JsonNode *node;

  r->p++;   /* { */
  skip_ws (r);
  if (r->p < r->end && *r->p == '}')
    {
      r->p++;
      goto done;
    }
  for (;;)
    {
      g_autofree char *name = NULL;
      JsonNode *member;

      skip_ws (r);
      if (r->p >= r->end || *r->p != '"')
        goto fail;
      r->p++;
      name = read_string (r);
      if (name == NULL)
        goto fail;
      skip_ws (r);
      if (r->p >= r->end || *r->p != ':')
        goto fail;
      r->p++;
      member = read_value (r);
      if (member == NULL)
        goto fail;
      json_object_set_member (object, name, member);
      skip_ws (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == '}')
        {
          r->p++;
          break;
        }
      goto fail;
    }

done:
  node = json_node_alloc ();
  json_node_init_object (node, object);
  json_object_unref (object);
  return node;

fail:
  json_object_unref (object);
  return NULL;
}

static JsonNode *
read_array (Reader *r)
{
  JsonArray *array = json_array_new ();
  JsonNode *node;

  r->p++;   /* [ */
  skip_ws (r);
  if (r->p < r->end && *r->p == ']')
    {
      r->p++;
      goto done;
    }
  for (;;)
    {
      JsonNode *element = read_value (r);

      if (element == NULL)
        goto fail;
      json_array_add_element (array, element);
      skip_ws (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == ']')
        {
          r->p++;
          break;
        }
      goto fail;
    }

done:
  node = json_node_alloc ();
  json_node_init_array (node, array);
  json_array_unref (array);
  return node;

fail:
  json_array_unref (array);
  return NULL;
}

static JsonNode *
read_value (Reader *r)
{
  JsonNode *node = NULL;

  skip_ws (r);
  if (r->p >= r->end)
    return NULL;

  switch (*r->p)
    {
    case '{':
    case '[':
      if (++r->depth > MAX_DEPTH)
        return NULL;
      node = *r->p == '{' ? read_object (r) : read_array (r);
      r->depth--;
      return node;
    case '"':
      {
        char *text;

        r->p++;
        text = read_string (r);
        if (text == NULL)
          return NULL;
        node = json_node_init_string (json_node_alloc (), text);
        g_free (text);
        return node;
      }
    case 't':
      if (!read_literal (r, "true"))
        return NULL;
      return json_node_init_boolean (json_node_alloc (), TRUE);
    case 'f':
      if (!read_literal (r, "false"))
        return NULL;
      return json_node_init_boolean (json_node_alloc (), FALSE);
    case 'n':
      if (!read_literal (r, "null"))
        return NULL;
      return json_node_init_null (json_node_alloc ());
    default:
      return read_number (r);
    }
}

JsonNode *
pm_json_fast_parse (const char *data,
                    gsize       size)
{
  Reader r;
  JsonNode *root;

  /* Checked before any pointer arithmetic: NULL + 0 is undefined (found by the request fuzzer). */
  if (data == NULL || size == 0)
    return NULL;
  r = (Reader) { data, data + size, 0 };
  root = read_value (&r);
  if (root == NULL)
    return NULL;
  skip_ws (&r);
  if (r.p != r.end)
    {
      json_node_unref (root);
      return NULL;
    }
  return root;
}
