/* pm-guard.c — who may talk to the proxy, and how much: localhost security and limits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-guard"

#include "config.h"

#include <string.h>

#include "pm-config.h"
#include "pm-guard.h"
#include "pm-keyring.h"
#include "pm-translate.h"

struct _PmGuard
{
  GObject     parent_instance;

  char       *listen_host;
  GPtrArray  *allowed_hosts;     /* lower-case names without port */
  char       *token;
  gboolean    token_enabled;

  gsize       max_header_bytes;
  gsize       max_body;
  guint       max_depth;
  guint       max_streams;

  gint        n_streams;         /* atomic */
  guint       n_refused;         /* atomic */
};

G_DEFINE_TYPE (PmGuard, pm_guard, G_TYPE_OBJECT)

G_DEFINE_QUARK (pm-guard-error-quark, pm_guard_error)

static void
pm_guard_finalize (GObject *object)
{
  PmGuard *self = PM_GUARD (object);

  g_clear_pointer (&self->listen_host, g_free);
  g_clear_pointer (&self->allowed_hosts, g_ptr_array_unref);
  if (self->token != NULL)
    {
      memset (self->token, 0, strlen (self->token));
      g_clear_pointer (&self->token, g_free);
    }

  G_OBJECT_CLASS (pm_guard_parent_class)->finalize (object);
}

static void
pm_guard_class_init (PmGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pm_guard_finalize;
}

static void
pm_guard_init (PmGuard *self)
{
  self->listen_host = g_strdup ("127.0.0.1");
  self->allowed_hosts = g_ptr_array_new_with_free_func (g_free);
  self->max_header_bytes = PM_GUARD_DEFAULT_MAX_HEADER_BYTES;
  self->max_body = PM_GUARD_DEFAULT_MAX_BODY;
  self->max_depth = PM_GUARD_DEFAULT_MAX_DEPTH;
  self->max_streams = PM_GUARD_DEFAULT_MAX_STREAMS;
}

PmGuard *
pm_guard_new (void)
{
  return g_object_new (PM_TYPE_GUARD, NULL);
}

PmGuard *
pm_guard_new_for_config (PmConfig *config)
{
  PmGuard *self;

  g_return_val_if_fail (PM_IS_CONFIG (config), NULL);

  self = pm_guard_new ();
  pm_guard_set_listen_host (self, pm_config_get_listen_host (config));
  pm_guard_set_token_enabled (self, pm_config_get_listen_token (config));
  if (pm_config_get_max_body (config) > 0)
    pm_guard_set_max_body (self, pm_config_get_max_body (config));
  if (pm_config_get_max_header_bytes (config) > 0)
    pm_guard_set_max_header_bytes (self, pm_config_get_max_header_bytes (config));
  if (pm_config_get_max_depth (config) > 0)
    pm_guard_set_max_depth (self, pm_config_get_max_depth (config));
  if (pm_config_get_max_streams (config) > 0)
    pm_guard_set_max_streams (self, pm_config_get_max_streams (config));

  return self;
}

/* ---- Settings ---- */

/* "host", "host:port", "[v6]", "[v6]:port" → lower-case host without brackets and port, or NULL
 * when the value is malformed. */
static char *
split_host (const char *value)
{
  const char *end;
  const char *port = NULL;
  g_autofree char *host = NULL;

  if (value == NULL)
    return NULL;
  while (*value == ' ' || *value == '\t')
    value++;
  if (*value == '\0')
    return NULL;

  if (value[0] == '[')
    {
      end = strchr (value, ']');
      if (end == NULL)
        return NULL;
      host = g_strndup (value + 1, end - value - 1);
      if (end[1] == ':')
        port = end + 2;
      else if (end[1] != '\0')
        return NULL;
    }
  else
    {
      end = strchr (value, ':');
      if (end != NULL)
        {
          /* A bare IPv6 address without brackets is not a valid Host. */
          if (strchr (end + 1, ':') != NULL)
            return NULL;
          host = g_strndup (value, end - value);
          port = end + 1;
        }
      else
        host = g_strdup (value);
    }

  if (port != NULL)
    {
      if (*port == '\0' || strlen (port) > 5)
        return NULL;
      for (const char *p = port; *p; p++)
        if (!g_ascii_isdigit (*p))
          return NULL;
    }
  if (*host == '\0')
    return NULL;
  for (const char *p = host; *p; p++)
    if ((guchar) *p <= ' ' || *p == '/' || *p == '@' || (guchar) *p >= 0x7f)
      return NULL;

  return g_ascii_strdown (host, -1);
}

gboolean
pm_guard_address_is_loopback (const char *address)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *lower = NULL;

  if (address == NULL || *address == '\0')
    return FALSE;
  /* What every local client sends, without an allocation (checked once per request). */
  if (strcmp (address, "127.0.0.1") == 0 || strcmp (address, "::1") == 0)
    return TRUE;

  lower = g_ascii_strdown (address, -1);
  if (g_str_equal (lower, "localhost") || g_str_equal (lower, "localhost."))
    return TRUE;

  /* inet_pton forms only: "127.1" or "2130706433" are not addresses here. */
  inet = g_inet_address_new_from_string (lower);
  if (inet == NULL)
    return FALSE;

  return g_inet_address_get_is_loopback (inet);
}

gboolean
pm_guard_host_is_loopback (const char *host)
{
  g_autofree char *name = split_host (host);

  return name != NULL && pm_guard_address_is_loopback (name);
}

gboolean
pm_guard_origin_is_loopback (const char *origin)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (origin == NULL)
    return FALSE;

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (uri);
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    return FALSE;
  if (g_uri_get_userinfo (uri) != NULL)
    return FALSE;
  host = g_uri_get_host (uri);

  return host != NULL && pm_guard_address_is_loopback (host);
}

void
pm_guard_set_listen_host (PmGuard    *self,
                          const char *host)
{
  g_return_if_fail (PM_IS_GUARD (self));

  g_free (self->listen_host);
  self->listen_host = g_strdup (host != NULL && *host != '\0' ? host : "127.0.0.1");
}

const char *
pm_guard_get_listen_host (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), NULL);

  return self->listen_host;
}

void
pm_guard_add_allowed_host (PmGuard    *self,
                           const char *host)
{
  char *name;

  g_return_if_fail (PM_IS_GUARD (self));
  g_return_if_fail (host != NULL);

  name = split_host (host);
  if (name != NULL)
    g_ptr_array_add (self->allowed_hosts, name);
}

void
pm_guard_set_token (PmGuard    *self,
                    const char *token)
{
  g_return_if_fail (PM_IS_GUARD (self));

  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  self->token = (token != NULL && *token != '\0') ? g_strdup (token) : NULL;
}

gboolean
pm_guard_has_token (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), FALSE);

  return self->token != NULL;
}

void
pm_guard_set_token_enabled (PmGuard  *self,
                            gboolean  enabled)
{
  g_return_if_fail (PM_IS_GUARD (self));

  self->token_enabled = !!enabled;
}

gboolean
pm_guard_get_token_required (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), TRUE);

  return self->token_enabled || !pm_guard_address_is_loopback (self->listen_host);
}

char *
pm_guard_load_token (PmGuard       *self,
                     PmKeyring     *keyring,
                     gboolean       create,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autofree char *token = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (PM_IS_GUARD (self), NULL);
  g_return_val_if_fail (PM_IS_KEYRING (keyring), NULL);

  token = pm_keyring_lookup_sync (keyring, PM_GUARD_TOKEN_PROVIDER, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (token == NULL && create)
    {
      token = pm_guard_generate_token ();
      if (!pm_keyring_store_sync (keyring, PM_GUARD_TOKEN_PROVIDER, token, cancellable, error))
        return NULL;
    }

  if (token != NULL)
    pm_guard_set_token (self, token);

  return g_steal_pointer (&token);
}

void
pm_guard_set_max_header_bytes (PmGuard *self,
                               gsize    bytes)
{
  g_return_if_fail (PM_IS_GUARD (self));

  self->max_header_bytes = bytes;
}

gsize
pm_guard_get_max_header_bytes (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), 0);

  return self->max_header_bytes;
}

void
pm_guard_set_max_body (PmGuard *self,
                       gsize    bytes)
{
  g_return_if_fail (PM_IS_GUARD (self));

  self->max_body = bytes;
}

gsize
pm_guard_get_max_body (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), 0);

  return self->max_body;
}

void
pm_guard_set_max_depth (PmGuard *self,
                        guint    depth)
{
  g_return_if_fail (PM_IS_GUARD (self));

  self->max_depth = depth;
}

guint
pm_guard_get_max_depth (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), 0);

  return self->max_depth;
}

void
pm_guard_set_max_streams (PmGuard *self,
                          guint    streams)
{
  g_return_if_fail (PM_IS_GUARD (self));

  self->max_streams = streams;
}

guint
pm_guard_get_max_streams (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), 0);

  return self->max_streams;
}

guint
pm_guard_get_n_streams (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), 0);

  return (guint) g_atomic_int_get (&self->n_streams);
}

guint
pm_guard_get_n_refused (PmGuard *self)
{
  g_return_val_if_fail (PM_IS_GUARD (self), 0);

  return (guint) g_atomic_int_get ((gint *) &self->n_refused);
}

/* ---- Pure helpers ---- */

guint
pm_guard_json_depth (const char *data,
                     gsize       length,
                     guint       limit)
{
  guint depth = 0;
  guint deepest = 0;
  gboolean in_string = FALSE;

  if (data == NULL)
    return 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          depth++;
          if (depth > deepest)
            {
              deepest = depth;
              if (deepest > limit)
                return deepest;
            }
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return deepest;
}

gboolean
pm_guard_json_single_value (const char *data,
                            gsize       length)
{
  gsize i = 0;
  guint depth = 0;
  gboolean in_string = FALSE;

  if (data == NULL)
    return TRUE;

  while (i < length && g_ascii_isspace (data[i]))
    i++;
  if (i == length)
    return TRUE;

  if (data[i] == '{' || data[i] == '[' || data[i] == '"')
    {
      /* Up to the end of the first value. */
      for (; i < length; i++)
        {
          char c = data[i];

          if (in_string)
            {
              if (c == '\\')
                i++;
              else if (c == '"')
                {
                  in_string = FALSE;
                  if (depth == 0)
                    {
                      i++;
                      break;
                    }
                }
              continue;
            }
          if (c == '"')
            in_string = TRUE;
          else if (c == '{' || c == '[')
            depth++;
          else if ((c == '}' || c == ']') && depth > 0 && --depth == 0)
            {
              i++;
              break;
            }
        }
    }
  else
    {
      /* A bare literal or number. */
      while (i < length && !g_ascii_isspace (data[i]) && data[i] != '{' && data[i] != '[' &&
             data[i] != '"')
        i++;
    }

  while (i < length && g_ascii_isspace (data[i]))
    i++;

  return i >= length;
}

char *
pm_guard_generate_token (void)
{
  guint8 raw[32];
  g_autofree char *b64 = NULL;
  GString *token;

  for (guint i = 0; i < G_N_ELEMENTS (raw); i += 4)
    {
      guint32 r = g_random_int ();

      memcpy (raw + i, &r, 4);
    }

  /* Prefer the kernel's generator when available. */
  {
    g_autoptr(GFile) file = g_file_new_for_path ("/dev/urandom");
    g_autoptr(GFileInputStream) in = g_file_read (file, NULL, NULL);

    if (in != NULL)
      {
        guint8 extra[32];
        gsize n = 0;

        if (g_input_stream_read_all (G_INPUT_STREAM (in), extra, sizeof extra, &n, NULL, NULL) &&
            n == sizeof extra)
          for (guint i = 0; i < sizeof raw; i++)
            raw[i] ^= extra[i];
        memset (extra, 0, sizeof extra);
      }
  }

  b64 = g_base64_encode (raw, sizeof raw);
  memset (raw, 0, sizeof raw);

  token = g_string_new ("pm-local-");
  for (const char *p = b64; *p; p++)
    {
      if (*p == '+')
        g_string_append_c (token, '-');
      else if (*p == '/')
        g_string_append_c (token, '_');
      else if (*p != '=')
        g_string_append_c (token, *p);
    }
  memset (b64, 0, strlen (b64));

  return g_string_free (token, FALSE);
}

gboolean
pm_guard_token_equal (const char *a,
                      const char *b)
{
  gsize la, lb;
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;

  la = strlen (a);
  lb = strlen (b);
  diff = la != lb;
  for (gsize i = 0; i < la; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i % (lb ? lb : 1)];

  return diff == 0 && lb > 0;
}

/* For log lines and messages: printable ASCII only, at most 64 characters. */
static char *
sanitize (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; p != NULL && *p && out->len < 64; p++)
    g_string_append_c (out, ((guchar) *p >= 0x20 && (guchar) *p < 0x7f) ? *p : '?');
  if (value != NULL && strlen (value) > 64)
    g_string_append (out, "…");

  return g_string_free (out, FALSE);
}

/* ---- Request checks ---- */

static gboolean
host_allowed (PmGuard    *self,
              const char *host)
{
  g_autofree char *name = split_host (host);
  g_autofree char *listen = NULL;

  if (name == NULL)
    return FALSE;
  if (pm_guard_address_is_loopback (name))
    return TRUE;

  for (guint i = 0; i < self->allowed_hosts->len; i++)
    if (g_str_equal (name, g_ptr_array_index (self->allowed_hosts, i)))
      return TRUE;

  /* Bound to a specific non-loopback address: that address names us. */
  listen = split_host (self->listen_host);
  if (listen != NULL && !g_str_equal (listen, "0.0.0.0") && !g_str_equal (listen, "::") &&
      g_str_equal (name, listen))
    return TRUE;

  return FALSE;
}

static const char *
bearer_token (const char *authorization)
{
  if (authorization == NULL)
    return NULL;
  while (*authorization == ' ')
    authorization++;
  if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    return NULL;
  authorization += 7;
  while (*authorization == ' ')
    authorization++;

  return authorization;
}

gboolean
pm_guard_check_headers (PmGuard     *self,
                        const char  *method,
                        GHashTable  *headers,
                        GError     **error)
{
  GHashTableIter iter;
  gpointer key, value;
  gsize header_bytes = 0;
  const char *host, *origin, *fetch_site, *length;

  g_return_val_if_fail (PM_IS_GUARD (self), FALSE);
  g_return_val_if_fail (headers != NULL, FALSE);

  g_hash_table_iter_init (&iter, headers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    header_bytes += strlen (key) + (value ? strlen (value) : 0) + 4;
  if (self->max_header_bytes > 0 && header_bytes > self->max_header_bytes)
    {
      g_set_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_HEADERS_TOO_LARGE,
                   "Request headers are too large (%" G_GSIZE_FORMAT " bytes; the limit is %"
                   G_GSIZE_FORMAT ")", header_bytes, self->max_header_bytes);
      return FALSE;
    }

  host = g_hash_table_lookup (headers, "host");
  if (host == NULL)
    {
      g_set_error_literal (error, PM_GUARD_ERROR, PM_GUARD_ERROR_HOST,
                           "The request has no Host header; Pointsman only answers requests "
                           "addressed to a loopback host");
      return FALSE;
    }
  if (!host_allowed (self, host))
    {
      g_autofree char *shown = sanitize (host);

      g_set_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_HOST,
                   "Host “%s” is not a loopback host; Pointsman refuses it (DNS rebinding "
                   "protection)", shown);
      return FALSE;
    }

  if (method != NULL && g_ascii_strcasecmp (method, "OPTIONS") == 0)
    {
      g_set_error_literal (error, PM_GUARD_ERROR, PM_GUARD_ERROR_CROSS_ORIGIN,
                           "Cross-origin requests are not allowed (no CORS)");
      return FALSE;
    }

  origin = g_hash_table_lookup (headers, "origin");
  if (origin != NULL && !pm_guard_origin_is_loopback (origin))
    {
      g_autofree char *shown = sanitize (origin);

      g_set_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_CROSS_ORIGIN,
                   "Cross-origin requests are not allowed (Origin “%s”)", shown);
      return FALSE;
    }

  fetch_site = g_hash_table_lookup (headers, "sec-fetch-site");
  if (fetch_site != NULL &&
      (g_ascii_strcasecmp (fetch_site, "cross-site") == 0 ||
       g_ascii_strcasecmp (fetch_site, "same-site") == 0))
    {
      g_set_error_literal (error, PM_GUARD_ERROR, PM_GUARD_ERROR_CROSS_ORIGIN,
                           "Cross-origin requests are not allowed (Sec-Fetch-Site)");
      return FALSE;
    }

  if (pm_guard_get_token_required (self))
    {
      const char *candidates[3];
      gboolean ok = FALSE;

      if (self->token == NULL)
        {
          g_set_error_literal (error, PM_GUARD_ERROR, PM_GUARD_ERROR_UNAUTHORIZED,
                               "A local access token is required but none is set up; create "
                               "one in Pointsman's settings");
          return FALSE;
        }

      candidates[0] = g_hash_table_lookup (headers, "x-pointsman-token");
      candidates[1] = g_hash_table_lookup (headers, "x-api-key");
      candidates[2] = bearer_token (g_hash_table_lookup (headers, "authorization"));
      for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
        if (candidates[i] != NULL && pm_guard_token_equal (candidates[i], self->token))
          ok = TRUE;

      if (!ok)
        {
          g_set_error_literal (error, PM_GUARD_ERROR, PM_GUARD_ERROR_UNAUTHORIZED,
                               "Missing or wrong local access token (send it as x-api-key, "
                               "Authorization: Bearer or x-pointsman-token)");
          return FALSE;
        }
    }

  length = g_hash_table_lookup (headers, "content-length");
  if (length != NULL && self->max_body > 0)
    {
      guint64 n = 0;

      if (!g_ascii_string_to_unsigned (length, 10, 0, G_MAXUINT64, &n, NULL) ||
          n > self->max_body)
        {
          g_set_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_BODY_TOO_LARGE,
                       "Request body is too large (the limit is %" G_GSIZE_FORMAT " bytes)",
                       self->max_body);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
pm_guard_check_body (PmGuard     *self,
                     const char  *data,
                     gsize        length,
                     GError     **error)
{
  g_return_val_if_fail (PM_IS_GUARD (self), FALSE);

  if (self->max_body > 0 && length > self->max_body)
    {
      g_set_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_BODY_TOO_LARGE,
                   "Request body is too large (%" G_GSIZE_FORMAT " bytes; the limit is %"
                   G_GSIZE_FORMAT ")", length, self->max_body);
      return FALSE;
    }

  if (self->max_depth > 0 && pm_guard_json_depth (data, length, self->max_depth) > self->max_depth)
    {
      g_set_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_TOO_DEEP,
                   "Request JSON is nested too deeply (the limit is %u levels)", self->max_depth);
      return FALSE;
    }

  return TRUE;
}

gboolean
pm_guard_stream_acquire (PmGuard  *self,
                         GError  **error)
{
  g_return_val_if_fail (PM_IS_GUARD (self), FALSE);

  for (;;)
    {
      gint n = g_atomic_int_get (&self->n_streams);

      if (self->max_streams > 0 && (guint) n >= self->max_streams)
        {
          g_set_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_TOO_MANY_STREAMS,
                       "Too many concurrent requests (the limit is %u); retry shortly",
                       self->max_streams);
          return FALSE;
        }
      if (g_atomic_int_compare_and_exchange (&self->n_streams, n, n + 1))
        return TRUE;
    }
}

void
pm_guard_stream_release (PmGuard *self)
{
  g_return_if_fail (PM_IS_GUARD (self));

  if (g_atomic_int_get (&self->n_streams) <= 0)
    {
      g_critical ("pm_guard_stream_release() without a matching acquire");
      return;
    }
  g_atomic_int_add (&self->n_streams, -1);
}

guint
pm_guard_error_status (const GError *error)
{
  if (error == NULL || error->domain != PM_GUARD_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;

  switch ((PmGuardError) error->code)
    {
    case PM_GUARD_ERROR_HOST:
    case PM_GUARD_ERROR_CROSS_ORIGIN:
      return SOUP_STATUS_FORBIDDEN;
    case PM_GUARD_ERROR_UNAUTHORIZED:
      return SOUP_STATUS_UNAUTHORIZED;
    case PM_GUARD_ERROR_HEADERS_TOO_LARGE:
      return 431;
    case PM_GUARD_ERROR_BODY_TOO_LARGE:
      return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    case PM_GUARD_ERROR_TOO_DEEP:
      return SOUP_STATUS_BAD_REQUEST;
    case PM_GUARD_ERROR_TOO_MANY_STREAMS:
      return 429;
    default:
      return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
}

const char *
pm_guard_error_type (const GError *error)
{
  if (error == NULL || error->domain != PM_GUARD_ERROR)
    return "api_error";

  switch ((PmGuardError) error->code)
    {
    case PM_GUARD_ERROR_HOST:
    case PM_GUARD_ERROR_CROSS_ORIGIN:
      return "permission_error";
    case PM_GUARD_ERROR_UNAUTHORIZED:
      return "authentication_error";
    case PM_GUARD_ERROR_HEADERS_TOO_LARGE:
    case PM_GUARD_ERROR_BODY_TOO_LARGE:
      return "request_too_large";
    case PM_GUARD_ERROR_TOO_DEEP:
      return "invalid_request_error";
    case PM_GUARD_ERROR_TOO_MANY_STREAMS:
      return "rate_limit_error";
    default:
      return "api_error";
    }
}

char *
pm_guard_error_body (PmApi         client_api,
                     const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return pm_error_body (client_api, pm_guard_error_type (error), error->message);
}

/* ---- libsoup glue ---- */

GHashTable *
pm_guard_headers_table (SoupMessageHeaders *headers)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_return_val_if_fail (headers != NULL, table);

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      char *lower = g_ascii_strdown (name, -1);
      const char *previous = g_hash_table_lookup (table, lower);

      /* Repeated headers join with ", " as HTTP allows; a second Host then fails the check. */
      if (previous != NULL)
        g_hash_table_replace (table, lower, g_strconcat (previous, ", ", value, NULL));
      else
        g_hash_table_replace (table, lower, g_strdup (value));
    }

  return table;
}

void
pm_guard_strip_cors (SoupMessageHeaders *response_headers)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  g_return_if_fail (response_headers != NULL);

  soup_message_headers_iter_init (&iter, response_headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strncasecmp (name, "access-control-", 15) == 0)
      g_ptr_array_add (names, g_strdup (name));

  for (guint i = 0; i < names->len; i++)
    soup_message_headers_remove (response_headers, g_ptr_array_index (names, i));
}

void
pm_guard_reject_message (PmGuard           *self,
                         SoupServerMessage *msg,
                         PmApi              client_api,
                         const GError      *error)
{
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  SoupMessageHeaders *response_headers;
  GUri *uri;
  guint status;

  g_return_if_fail (PM_IS_GUARD (self));
  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));
  g_return_if_fail (error != NULL);

  status = pm_guard_error_status (error);
  body = pm_guard_error_body (client_api, error);

  response_headers = soup_server_message_get_response_headers (msg);
  pm_guard_strip_cors (response_headers);
  if (error->code == PM_GUARD_ERROR_TOO_MANY_STREAMS)
    soup_message_headers_replace (response_headers, "retry-after", "1");
  if (error->code == PM_GUARD_ERROR_BODY_TOO_LARGE || error->code == PM_GUARD_ERROR_HEADERS_TOO_LARGE)
    soup_message_headers_replace (response_headers, "connection", "close");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&body), strlen (body));

  g_atomic_int_inc ((gint *) &self->n_refused);

  uri = soup_server_message_get_uri (msg);
  path = sanitize (uri != NULL ? g_uri_get_path (uri) : "?");
  g_message ("Refused %s %s with %u: %s",
             soup_server_message_get_method (msg), path, status, error->message);
}

/* Bodies without a length up front (chunked): count as they arrive, and once past the limit
 * stop keeping them; pm_guard_check_message then refuses with 413. */
#define BODY_WATCH_KEY "pm-guard-body-watch"

typedef struct
{
  gsize    max;
  gsize    received;
  gboolean too_large;
} BodyWatch;

static void
on_request_got_chunk (SoupServerMessage *msg,
                      GBytes            *chunk,
                      gpointer           user_data)
{
  BodyWatch *watch = user_data;

  watch->received += g_bytes_get_size (chunk);
  if (!watch->too_large && watch->max > 0 && watch->received > watch->max)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);

      watch->too_large = TRUE;
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
    }
}

gboolean
pm_guard_check_message_headers (PmGuard           *self,
                                SoupServerMessage *msg,
                                PmApi              client_api)
{
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (PM_IS_GUARD (self), FALSE);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);

  headers = pm_guard_headers_table (soup_server_message_get_request_headers (msg));
  if (!pm_guard_check_headers (self, soup_server_message_get_method (msg), headers, &error))
    {
      /* libsoup still drains a body that is on its way (unless the client asked
       * "Expect: 100-continue"): drop it rather than keep it in memory. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      pm_guard_reject_message (self, msg, client_api, error);
      return FALSE;
    }

  if (g_object_get_data (G_OBJECT (msg), BODY_WATCH_KEY) == NULL)
    {
      BodyWatch *watch = g_new0 (BodyWatch, 1);

      watch->max = self->max_body;
      g_object_set_data_full (G_OBJECT (msg), BODY_WATCH_KEY, watch, g_free);
      g_signal_connect (msg, "got-chunk", G_CALLBACK (on_request_got_chunk), watch);
    }

  return TRUE;
}

gboolean
pm_guard_check_message (PmGuard           *self,
                        SoupServerMessage *msg,
                        PmApi              client_api)
{
  g_autoptr(GError) error = NULL;
  SoupMessageBody *body;
  BodyWatch *watch;

  g_return_val_if_fail (PM_IS_GUARD (self), FALSE);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);

  if (!pm_guard_check_message_headers (self, msg, client_api))
    return FALSE;

  watch = g_object_get_data (G_OBJECT (msg), BODY_WATCH_KEY);
  if (watch != NULL && watch->too_large)
    {
      g_set_error (&error, PM_GUARD_ERROR, PM_GUARD_ERROR_BODY_TOO_LARGE,
                   "Request body is too large (the limit is %" G_GSIZE_FORMAT " bytes)",
                   self->max_body);
      pm_guard_reject_message (self, msg, client_api, error);
      return FALSE;
    }

  body = soup_server_message_get_request_body (msg);
  if (body != NULL && body->length > 0 &&
      !pm_guard_check_body (self, body->data, body->length, &error))
    {
      pm_guard_reject_message (self, msg, client_api, error);
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  PmGuard  *guard;
  gboolean  released;
} StreamSlot;

static void
stream_slot_release (StreamSlot *slot)
{
  if (!slot->released)
    {
      slot->released = TRUE;
      pm_guard_stream_release (slot->guard);
    }
}

static void
stream_slot_free (gpointer  data,
                  GClosure *closure)
{
  StreamSlot *slot = data;

  stream_slot_release (slot);
  g_clear_object (&slot->guard);
  g_free (slot);
}

static void
on_message_finished (SoupServerMessage *msg,
                     gpointer           user_data)
{
  stream_slot_release (user_data);
}

gboolean
pm_guard_acquire_stream_for_message (PmGuard           *self,
                                     SoupServerMessage *msg,
                                     PmApi              client_api)
{
  g_autoptr(GError) error = NULL;
  StreamSlot *slot;

  g_return_val_if_fail (PM_IS_GUARD (self), FALSE);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);

  if (!pm_guard_stream_acquire (self, &error))
    {
      pm_guard_reject_message (self, msg, client_api, error);
      return FALSE;
    }

  slot = g_new0 (StreamSlot, 1);
  slot->guard = g_object_ref (self);
  g_signal_connect_data (msg, "finished", G_CALLBACK (on_message_finished), slot,
                         stream_slot_free, 0);

  return TRUE;
}
