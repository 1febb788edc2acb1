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
  GString    *scratch;   /* the string just read, NUL-terminated; reused for every string */
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

#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

/* Eight bytes with no quote, no backslash, no control character and nothing above 0x7f. */
static inline gboolean
plain_ascii8 (const char *p)
{
  guint64 w;

  memcpy (&w, p, sizeof w);
  if (w & HIGHS)
    return FALSE;
  /* with every high bit clear, (x - ONES) sets a byte's high bit exactly when a byte before
   * or at it is zero (the first one found is exact, which is all this needs) */
  return (((w - 0x20 * ONES) | ((w ^ (0x22 * ONES)) - ONES) | ((w ^ (0x5c * ONES)) - ONES)) & HIGHS) == 0;
}

/* The length of the well-formed UTF-8 sequence (2–4 bytes) at p, or 0. Accepts exactly what
 * g_utf8_validate () accepts: no overlong forms, no surrogates, nothing above U+10FFFF. */
static inline gsize
utf8_sequence (const guchar *p,
               const guchar *end)
{
  guchar c = p[0];
  gsize avail = end - p;

  if (c >= 0xC2 && c <= 0xDF)
    return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF)
    {
      guchar lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;

      return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
  if (c >= 0xF0 && c <= 0xF4)
    {
      guchar lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;

      return avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
    }
  return 0;
}

/* r->p is just past the opening quote. Reads the string into r->scratch (NUL-terminated,
 * valid until the next read_string) and returns it, or NULL. */
static const char *
read_string (Reader *r)
{
  const char *start = r->p;
  const char *q = start;
  GString *s = r->scratch;

  g_string_truncate (s, 0);
  for (;;)
    {
      /* the plain run: no quote, no backslash, no control character, valid UTF-8 */
      for (;;)
        {
          while (r->end - q >= 8 && plain_ascii8 (q))
            q += 8;
          if (q >= r->end)
            goto fail;
          if ((guchar) *q >= 0x80)
            {
              gsize n = utf8_sequence ((const guchar *) q, (const guchar *) r->end);

              if (n == 0)
                goto fail;
              q += n;
            }
          else if (*q == '"' || *q == '\\')
            break;
          else if ((guchar) *q < 0x20)
            goto fail;
          else
            q++;
        }
      g_string_append_len (s, start, q - start);
      if (*q == '"')
        {
          r->p = q + 1;
          return s->str;
        }

      /* an escape */
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
      char buf[64];
      g_autofree char *heap_name = NULL;
      const char *text, *name;
      JsonNode *member;

      skip_ws (r);
      if (r->p >= r->end || *r->p != '"')
        goto fail;
      r->p++;
      text = read_string (r);
      if (text == NULL)
        goto fail;
      /* the value may overwrite r->scratch: keep the name apart (names are short) */
      if (r->scratch->len < sizeof buf)
        name = memcpy (buf, text, r->scratch->len + 1);
      else
        name = heap_name = g_strndup (text, r->scratch->len);
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
        const char *text;

        r->p++;
        text = read_string (r);
        if (text == NULL)
          return NULL;
        return json_node_init_string (json_node_alloc (), text);
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
  r = (Reader) { data, data + size, 0, g_string_sized_new (4096) };
  root = read_value (&r);
  g_string_free (r.scratch, TRUE);
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

/* ---- writing ---- */

/* Eight bytes none of which needs escaping in a JSON string (no quote, backslash, control
 * byte or DEL; bytes of UTF-8 sequences pass as they are). */
static inline gboolean
plain_out8 (const char *p)
{
  guint64 w, q, b, d;

  memcpy (&w, p, sizeof w);
  q = w ^ (0x22 * ONES);
  b = w ^ (0x5c * ONES);
  d = w ^ (0x7f * ONES);
  /* (x - k·ONES) & ~x & HIGHS is non-zero iff some byte of x is below k (exactly: a borrow
   * only runs on from a byte that is itself a hit) */
  return (((w - 0x20 * ONES) & ~w) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((d - ONES) & ~d)) & HIGHS ? FALSE : TRUE;
}

static void
write_string (GString    *out,
              const char *s)
{
  static const char hex[] = "0123456789abcdef";
  gsize len = strlen (s);
  const char *p = s;
  const char *end = s + len;
  const char *run = s;

  g_string_append_c (out, '"');
  for (;;)
    {
      while (end - p >= 8 && plain_out8 (p))
        p += 8;
      if (p >= end)
        break;
      if ((guchar) *p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
        {
          p++;   /* the escape is further on in these 8 bytes */
          continue;
        }

      g_string_append_len (out, run, p - run);
      switch (*p)
        {
        case '"': g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\b': g_string_append_len (out, "\\b", 2); break;
        case '\f': g_string_append_len (out, "\\f", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[((guchar) *p) >> 4], hex[((guchar) *p) & 15] };

            g_string_append_len (out, u, 6);
          }
          break;
        }
      p++;
      run = p;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

static void
write_node (GString  *out,
            JsonNode *node)
{
  switch (node != NULL ? JSON_NODE_TYPE (node) : JSON_NODE_NULL)
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            write_string (out, name);
            g_string_append_c (out, ':');
            write_node (out, member);
          }
        g_string_append_c (out, '}');
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            write_node (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          {
            const char *s = json_node_get_string (node);

            if (s != NULL)
              write_string (out, s);
            else
              g_string_append_len (out, "null", 4);
          }
          break;
        case G_TYPE_INT64:
          {
            char buf[24];
            gint64 v = json_node_get_int (node);
            guint64 u = v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
            char *q = buf + sizeof buf;

            do
              *--q = '0' + (char) (u % 10);
            while ((u /= 10) > 0);
            if (v < 0)
              *--q = '-';
            g_string_append_len (out, q, buf + sizeof buf - q);
          }
          break;
        case G_TYPE_DOUBLE:
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];

            /* as json-glib writes it: %.17g, and always with a fraction or an exponent */
            g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node));
            g_string_append (out, buf);
            if (strpbrk (buf, ".eEnN") == NULL)
              g_string_append_len (out, ".0", 2);
          }
          break;
        case G_TYPE_BOOLEAN:
          if (json_node_get_boolean (node))
            g_string_append_len (out, "true", 4);
          else
            g_string_append_len (out, "false", 5);
          break;
        default:
          g_string_append_len (out, "null", 4);
          break;
        }
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append_len (out, "null", 4);
      break;
    }
}

char *
pm_json_fast_to_string (JsonNode *node,
                        gsize    *length)
{
  GString *out = g_string_sized_new (4096);

  write_node (out, node);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}
