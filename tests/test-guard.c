/* test-guard.c — PmGuard: loopback-only Host, no cross-origin, local token, limits
 *
 * The pure checks are tested directly; the libsoup glue is tested over real loopback sockets
 * against a SoupServer that calls the guard the way the proxy does (early handler + handler),
 * with raw HTTP written by the test so that Host, Origin and sizes are exactly what a browser
 * or an attacker would send.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "pm-guard.h"
#include "pm-keyring.h"
#include "pm-test-utils.h"

/* ---- Log capture (the core logs structured) ---- */

static GMutex log_mutex;
static GPtrArray *guard_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }

  if (g_strcmp0 (domain, "pm-guard") == 0 && message != NULL)
    {
      g_mutex_lock (&log_mutex);
      g_ptr_array_add (guard_log, g_strdup (message));
      g_mutex_unlock (&log_mutex);
      return G_LOG_WRITER_HANDLED;
    }

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);

  return G_LOG_WRITER_HANDLED;
}

static guint
guard_log_len (void)
{
  guint n;

  g_mutex_lock (&log_mutex);
  n = guard_log->len;
  g_mutex_unlock (&log_mutex);
  return n;
}

static char *
guard_log_last (void)
{
  char *s;

  g_mutex_lock (&log_mutex);
  s = guard_log->len ? g_strdup (g_ptr_array_index (guard_log, guard_log->len - 1)) : NULL;
  g_mutex_unlock (&log_mutex);
  return s;
}

/* ---- Pure checks ---- */

static void
test_host (void)
{
  const char *loopback[] = {
    "localhost", "LOCALHOST", "localhost:8080", "localhost.", "127.0.0.1", "127.0.0.1:4141",
    "127.1.2.3:80", "[::1]", "[::1]:4141", " 127.0.0.1",
  };
  const char *refused[] = {
    "", "evil.example", "evil.example:4141", "127.0.0.1.evil.example", "localhost.evil.example",
    "10.0.0.1", "192.168.1.2:4141", "0.0.0.0", "[::]", "[::2]", "127.1", "2130706433",
    "::1", "localhost:", "localhost:abc", "localhost:123456", "[::1", "[::1]x",
    "user@localhost", "127.0.0.1, evil.example", "localhost/x", "0x7f000001",
  };

  for (guint i = 0; i < G_N_ELEMENTS (loopback); i++)
    {
      g_test_message ("loopback: '%s'", loopback[i]);
      g_assert_true (pm_guard_host_is_loopback (loopback[i]));
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_test_message ("refused: '%s'", refused[i]);
      g_assert_false (pm_guard_host_is_loopback (refused[i]));
    }
  g_assert_false (pm_guard_host_is_loopback (NULL));
}

static void
test_origin (void)
{
  const char *loopback[] = {
    "http://localhost", "http://localhost:3000", "https://127.0.0.1:4141", "http://[::1]:8080",
    "HTTP://LOCALHOST:1",
  };
  const char *refused[] = {
    "null", "", "http://evil.example", "https://localhost.evil.example",
    "http://127.0.0.1.nip.io", "file://", "chrome-extension://abcdef", "http://10.0.0.1:4141",
    "http://user@evil.example", "ftp://localhost",
  };

  for (guint i = 0; i < G_N_ELEMENTS (loopback); i++)
    g_assert_true (pm_guard_origin_is_loopback (loopback[i]));
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_test_message ("refused origin: '%s'", refused[i]);
      g_assert_false (pm_guard_origin_is_loopback (refused[i]));
    }
}

static void
test_json_depth (void)
{
  const char *flat = "{\"a\":1,\"b\":[1,2,3]}";
  const char *strings = "{\"a\":\"[[[[{{{{\",\"b\":\"\\\"[[[[\"}";
  g_autoptr(GString) deep = g_string_new (NULL);

  g_assert_cmpuint (pm_guard_json_depth (flat, strlen (flat), 100), ==, 2);
  g_assert_cmpuint (pm_guard_json_depth (strings, strlen (strings), 100), ==, 1);
  g_assert_cmpuint (pm_guard_json_depth ("", 0, 100), ==, 0);
  g_assert_cmpuint (pm_guard_json_depth ("]]]]}}}", 7, 100), ==, 0);
  g_assert_cmpuint (pm_guard_json_depth ("[[]][[[]]]", 10, 100), ==, 3);

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, i % 2 ? '{' : '[');
  /* The scan stops just past the limit. */
  g_assert_cmpuint (pm_guard_json_depth (deep->str, deep->len, 128), ==, 129);
  g_assert_cmpuint (pm_guard_json_depth (deep->str, deep->len, G_MAXUINT - 1), ==, 100000);
  /* Only length bytes are read. */
  g_assert_cmpuint (pm_guard_json_depth (deep->str, 5, 128), ==, 5);
}

static void
test_json_single_value (void)
{
  const char *single[] = {
    "", "   ", "{}", " {\"a\":[1,{\"b\":\"}{\"}]} \n", "[1,2]", "\"x\\\"y\"", "42", "true", "null ",
    "{\"a\":\"\\\\\"}",
  };
  const char *several[] = {
    "{}{}", "{\"a\":1}\n{\"b\":2}", "[1] [2]", "\"a\" \"b\"", "1 2", "{} x", "true false",
  };

  for (guint i = 0; i < G_N_ELEMENTS (single); i++)
    {
      g_test_message ("single: %s", single[i]);
      g_assert_true (pm_guard_json_single_value (single[i], strlen (single[i])));
    }
  for (guint i = 0; i < G_N_ELEMENTS (several); i++)
    {
      g_test_message ("several: %s", several[i]);
      g_assert_false (pm_guard_json_single_value (several[i], strlen (several[i])));
    }
  /* Agrees with json-glib on what a single valid document is. */
  for (guint i = 0; i < G_N_ELEMENTS (single); i++)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (single[i]));
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (*stripped != '\0')
        g_assert_true (json_parser_load_from_data (parser, single[i], -1, NULL));
    }
}

static void
test_token (void)
{
  g_autofree char *a = pm_guard_generate_token ();
  g_autofree char *b = pm_guard_generate_token ();

  g_assert_true (g_str_has_prefix (a, "pm-local-"));
  g_assert_cmpuint (strlen (a), ==, strlen ("pm-local-") + 43);
  for (const char *p = a + 9; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
  g_assert_cmpstr (a, !=, b);

  g_assert_true (pm_guard_token_equal (a, a));
  g_assert_false (pm_guard_token_equal (a, b));
  g_assert_false (pm_guard_token_equal (a, ""));
  g_assert_false (pm_guard_token_equal ("", ""));
  g_assert_false (pm_guard_token_equal (a, NULL));
  g_assert_false (pm_guard_token_equal ("abc", "abcd"));
  g_assert_false (pm_guard_token_equal ("abcd", "abc"));
}

static GHashTable *
headers_new (const char *first, ...)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  va_list ap;

  va_start (ap, first);
  for (const char *name = first; name != NULL; name = va_arg (ap, const char *))
    g_hash_table_replace (h, g_strdup (name), g_strdup (va_arg (ap, const char *)));
  va_end (ap);

  return h;
}

static void
assert_refused (PmGuard     *guard,
                const char  *method,
                GHashTable  *headers,
                PmGuardError code,
                guint        status)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (pm_guard_check_headers (guard, method, headers, &error));
  g_assert_error (error, PM_GUARD_ERROR, (gint) code);
  g_assert_cmpuint (pm_guard_error_status (error), ==, status);
}

static void
assert_allowed (PmGuard    *guard,
                const char *method,
                GHashTable *headers)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pm_guard_check_headers (guard, method, headers, &error));
  g_assert_no_error (error);
}

static void
test_check_headers (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  g_autoptr(GHashTable) ok = headers_new ("host", "127.0.0.1:4141", "content-type", "application/json", NULL);
  g_autoptr(GHashTable) no_host = headers_new ("content-type", "application/json", NULL);
  g_autoptr(GHashTable) rebinding = headers_new ("host", "attacker.example:4141", NULL);
  g_autoptr(GHashTable) cross = headers_new ("host", "localhost:4141", "origin", "https://evil.example", NULL);
  g_autoptr(GHashTable) null_origin = headers_new ("host", "localhost:4141", "origin", "null", NULL);
  g_autoptr(GHashTable) local_origin = headers_new ("host", "localhost:4141", "origin", "http://localhost:4141",
                                                    "sec-fetch-site", "same-origin", NULL);
  g_autoptr(GHashTable) same_site = headers_new ("host", "localhost:4141", "sec-fetch-site", "same-site", NULL);
  g_autoptr(GHashTable) cross_site = headers_new ("host", "localhost:4141", "sec-fetch-site", "cross-site", NULL);
  g_autoptr(GHashTable) fetch_none = headers_new ("host", "localhost:4141", "sec-fetch-site", "none", NULL);
  g_autoptr(GHashTable) big_length = headers_new ("host", "localhost", "content-length", "1048577", NULL);
  g_autoptr(GHashTable) bad_length = headers_new ("host", "localhost", "content-length", "-1", NULL);
  g_autoptr(GHashTable) fine_length = headers_new ("host", "localhost", "content-length", "1048576", NULL);
  g_autoptr(GHashTable) huge = headers_new ("host", "localhost", NULL);

  assert_allowed (guard, "POST", ok);
  assert_allowed (guard, "GET", ok);
  assert_refused (guard, "POST", no_host, PM_GUARD_ERROR_HOST, 403);
  assert_refused (guard, "POST", rebinding, PM_GUARD_ERROR_HOST, 403);
  assert_refused (guard, "POST", cross, PM_GUARD_ERROR_CROSS_ORIGIN, 403);
  assert_refused (guard, "POST", null_origin, PM_GUARD_ERROR_CROSS_ORIGIN, 403);
  assert_allowed (guard, "POST", local_origin);
  assert_refused (guard, "POST", same_site, PM_GUARD_ERROR_CROSS_ORIGIN, 403);
  assert_refused (guard, "POST", cross_site, PM_GUARD_ERROR_CROSS_ORIGIN, 403);
  assert_allowed (guard, "POST", fetch_none);
  /* A CORS preflight is refused whatever its headers: the proxy speaks no CORS. */
  assert_refused (guard, "OPTIONS", ok, PM_GUARD_ERROR_CROSS_ORIGIN, 403);

  /* Allowed hosts extend the loopback set. */
  pm_guard_add_allowed_host (guard, "Attacker.Example");
  assert_allowed (guard, "POST", rebinding);

  pm_guard_set_max_body (guard, 1024 * 1024);
  assert_refused (guard, "POST", big_length, PM_GUARD_ERROR_BODY_TOO_LARGE, 413);
  assert_refused (guard, "POST", bad_length, PM_GUARD_ERROR_BODY_TOO_LARGE, 413);
  assert_allowed (guard, "POST", fine_length);

  pm_guard_set_max_header_bytes (guard, 4096);
  g_hash_table_replace (huge, g_strdup ("x-padding"), g_strnfill (4096, 'a'));
  assert_refused (guard, "POST", huge, PM_GUARD_ERROR_HEADERS_TOO_LARGE, 431);
  pm_guard_set_max_header_bytes (guard, 0);
  assert_allowed (guard, "POST", huge);
}

static void
test_check_token (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  const char *token = "pm-local-test-token-not-real-0001";
  g_autoptr(GHashTable) none = headers_new ("host", "localhost", NULL);
  g_autoptr(GHashTable) api_key = headers_new ("host", "localhost", "x-api-key", token, NULL);
  g_autoptr(GHashTable) bearer = headers_new ("host", "localhost", "authorization",
                                              "Bearer pm-local-test-token-not-real-0001", NULL);
  g_autoptr(GHashTable) own = headers_new ("host", "localhost", "x-pointsman-token", token, NULL);
  g_autoptr(GHashTable) wrong = headers_new ("host", "localhost", "x-api-key", "pm-local-test-token-not-real-0002",
                                             "authorization", "Bearer nope", NULL);
  g_autoptr(GHashTable) prefix = headers_new ("host", "localhost", "x-api-key", "pm-local-test-token-not-real-000", NULL);
  g_autoptr(GHashTable) basic = headers_new ("host", "localhost", "authorization",
                                             "Basic pm-local-test-token-not-real-0001", NULL);
  g_autoptr(GHashTable) lan = headers_new ("host", "192.168.7.7:4141", "x-api-key", token, NULL);

  /* Off by default on loopback: anything goes (the agent's own key is ignored). */
  g_assert_false (pm_guard_get_token_required (guard));
  assert_allowed (guard, "POST", none);
  assert_allowed (guard, "POST", wrong);

  /* Enabled without a token: fail closed. */
  pm_guard_set_token_enabled (guard, TRUE);
  g_assert_true (pm_guard_get_token_required (guard));
  assert_refused (guard, "POST", api_key, PM_GUARD_ERROR_UNAUTHORIZED, 401);

  pm_guard_set_token (guard, token);
  g_assert_true (pm_guard_has_token (guard));
  assert_refused (guard, "POST", none, PM_GUARD_ERROR_UNAUTHORIZED, 401);
  assert_refused (guard, "POST", wrong, PM_GUARD_ERROR_UNAUTHORIZED, 401);
  assert_refused (guard, "POST", prefix, PM_GUARD_ERROR_UNAUTHORIZED, 401);
  assert_refused (guard, "POST", basic, PM_GUARD_ERROR_UNAUTHORIZED, 401);
  assert_allowed (guard, "POST", api_key);
  assert_allowed (guard, "POST", bearer);
  assert_allowed (guard, "POST", own);

  /* Host checks come first: a token does not let a rebinding request through. */
  assert_refused (guard, "POST", lan, PM_GUARD_ERROR_HOST, 403);

  /* Bound beyond loopback: the token is required even when the switch is off, and the
   * listen address names us. */
  pm_guard_set_token_enabled (guard, FALSE);
  pm_guard_set_listen_host (guard, "192.168.7.7");
  g_assert_true (pm_guard_get_token_required (guard));
  assert_allowed (guard, "POST", lan);
  g_hash_table_remove (lan, "x-api-key");
  assert_refused (guard, "POST", lan, PM_GUARD_ERROR_UNAUTHORIZED, 401);
  assert_refused (guard, "POST", none, PM_GUARD_ERROR_UNAUTHORIZED, 401);

  pm_guard_set_listen_host (guard, "0.0.0.0");
  g_assert_true (pm_guard_get_token_required (guard));
  pm_guard_set_listen_host (guard, "::1");
  g_assert_false (pm_guard_get_token_required (guard));
  pm_guard_set_listen_host (guard, "localhost");
  g_assert_false (pm_guard_get_token_required (guard));

  /* The error message never carries the token. */
  {
    g_autoptr(GError) error = NULL;

    pm_guard_set_token_enabled (guard, TRUE);
    g_assert_false (pm_guard_check_headers (guard, "POST", wrong, &error));
    g_assert_null (strstr (error->message, token));
    g_assert_null (strstr (error->message, "not-real"));
  }
}

static void
test_check_body (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"messages\":");
  const char *ok = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"[[[[[[[[\"}]}";

  pm_guard_set_max_depth (guard, 16);
  g_assert_true (pm_guard_check_body (guard, ok, strlen (ok), &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 16; i++)
    g_string_append_c (deep, '[');
  g_assert_false (pm_guard_check_body (guard, deep->str, deep->len, &error));
  g_assert_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_TOO_DEEP);
  g_assert_cmpuint (pm_guard_error_status (error), ==, 400);
  g_clear_error (&error);

  /* Exactly at the limit is fine. */
  g_string_truncate (deep, deep->len - 1);
  g_assert_true (pm_guard_check_body (guard, deep->str, deep->len, &error));

  pm_guard_set_max_body (guard, 10);
  g_assert_false (pm_guard_check_body (guard, ok, strlen (ok), &error));
  g_assert_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_BODY_TOO_LARGE);
  g_assert_cmpuint (pm_guard_error_status (error), ==, 413);
  g_clear_error (&error);
  g_assert_true (pm_guard_check_body (guard, ok, 10, &error));
}

static void
test_streams (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  g_autoptr(GError) error = NULL;

  pm_guard_set_max_streams (guard, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_true (pm_guard_stream_acquire (guard, NULL));
  g_assert_cmpuint (pm_guard_get_n_streams (guard), ==, 3);
  g_assert_false (pm_guard_stream_acquire (guard, &error));
  g_assert_error (error, PM_GUARD_ERROR, PM_GUARD_ERROR_TOO_MANY_STREAMS);
  g_assert_cmpuint (pm_guard_error_status (error), ==, 429);
  g_assert_cmpuint (pm_guard_get_n_streams (guard), ==, 3);

  pm_guard_stream_release (guard);
  g_assert_true (pm_guard_stream_acquire (guard, NULL));
  for (guint i = 0; i < 3; i++)
    pm_guard_stream_release (guard);
  g_assert_cmpuint (pm_guard_get_n_streams (guard), ==, 0);
}

static gpointer
acquire_release_thread (gpointer data)
{
  PmGuard *guard = data;
  guint got = 0;

  for (guint i = 0; i < 20000; i++)
    if (pm_guard_stream_acquire (guard, NULL))
      {
        g_assert_cmpuint (pm_guard_get_n_streams (guard), <=, pm_guard_get_max_streams (guard));
        pm_guard_stream_release (guard);
        got++;
      }

  return GUINT_TO_POINTER (got);
}

static void
test_streams_threads (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  GThread *threads[4];
  guint total = 0;

  pm_guard_set_max_streams (guard, 2);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("guard", acquire_release_thread, guard);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    total += GPOINTER_TO_UINT (g_thread_join (threads[i]));

  g_assert_cmpuint (total, >, 0);
  g_assert_cmpuint (pm_guard_get_n_streams (guard), ==, 0);
}

static void
test_error_bodies (void)
{
  const struct {
    PmGuardError code;
    const char  *anthropic_type;
    guint        status;
  } cases[] = {
    { PM_GUARD_ERROR_HOST, "permission_error", 403 },
    { PM_GUARD_ERROR_CROSS_ORIGIN, "permission_error", 403 },
    { PM_GUARD_ERROR_UNAUTHORIZED, "authentication_error", 401 },
    { PM_GUARD_ERROR_HEADERS_TOO_LARGE, "request_too_large", 431 },
    { PM_GUARD_ERROR_BODY_TOO_LARGE, "request_too_large", 413 },
    { PM_GUARD_ERROR_TOO_DEEP, "invalid_request_error", 400 },
    { PM_GUARD_ERROR_TOO_MANY_STREAMS, "rate_limit_error", 429 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new (PM_GUARD_ERROR, cases[i].code, "refused %u", i);
      g_autofree char *anthropic = pm_guard_error_body (PM_API_ANTHROPIC, error);
      g_autofree char *chat = pm_guard_error_body (PM_API_OPENAI_CHAT, error);
      g_autofree char *responses = pm_guard_error_body (PM_API_OPENAI_RESPONSES, error);
      g_autofree char *message = g_strdup_printf ("refused %u", i);
      g_autoptr(JsonNode) a = json_from_string (anthropic, NULL);
      g_autoptr(JsonNode) c = json_from_string (chat, NULL);
      g_autoptr(JsonNode) r = json_from_string (responses, NULL);
      JsonObject *err;

      g_assert_cmpuint (pm_guard_error_status (error), ==, cases[i].status);

      /* Anthropic: {"type":"error","error":{"type":…,"message":…}} */
      g_assert_nonnull (a);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (a), "type"), ==, "error");
      err = json_object_get_object_member (json_node_get_object (a), "error");
      g_assert_cmpstr (json_object_get_string_member (err, "type"), ==, cases[i].anthropic_type);
      g_assert_cmpstr (json_object_get_string_member (err, "message"), ==, message);

      /* OpenAI: {"error":{"message":…,"type":…}} */
      for (JsonNode *n = c; n != NULL; n = (n == c ? r : NULL))
        {
          g_assert_nonnull (n);
          err = json_object_get_object_member (json_node_get_object (n), "error");
          g_assert_nonnull (err);
          g_assert_cmpstr (json_object_get_string_member (err, "message"), ==, message);
          g_assert_true (json_object_has_member (err, "type"));
        }
    }
}

static void
test_keyring_token (void)
{
  g_autoptr(PmKeyring) keyring = pm_keyring_new_memory ();
  g_autoptr(PmGuard) guard = pm_guard_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *none = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *stored = NULL;

  none = pm_guard_load_token (guard, keyring, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  g_assert_false (pm_guard_has_token (guard));

  first = pm_guard_load_token (guard, keyring, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, "pm-local-"));
  g_assert_true (pm_guard_has_token (guard));

  stored = pm_keyring_lookup_sync (keyring, PM_GUARD_TOKEN_PROVIDER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, first);

  /* A second load finds the same token instead of making a new one. */
  second = pm_guard_load_token (guard, keyring, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, first);
}

/* The real Secret Service, when the test runs under build-aux/test.sh. */
static void
test_keyring_token_real (void)
{
  g_autoptr(PmKeyring) keyring = NULL;
  g_autoptr(PmGuard) guard = pm_guard_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *again = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("no session bus (run under build-aux/test.sh)");
      return;
    }

  keyring = pm_keyring_new ();
  pm_keyring_set_timeout (keyring, 10);
  pm_keyring_remove_sync (keyring, PM_GUARD_TOKEN_PROVIDER, NULL, NULL);
  token = pm_guard_load_token (guard, keyring, TRUE, NULL, &error);
  if (error != NULL)
    {
      g_autofree char *msg = g_strdup_printf ("no usable keyring: %s", error->message);

      g_test_skip (msg);
      return;
    }
  g_assert_nonnull (token);

  {
    g_autoptr(PmGuard) other = pm_guard_new ();

    again = pm_guard_load_token (other, keyring, FALSE, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (again, ==, token);
  }

  g_assert_true (pm_keyring_remove_sync (keyring, PM_GUARD_TOKEN_PROVIDER, NULL, &error));
  g_assert_no_error (error);
}

/* ---- The libsoup glue over loopback ---- */

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  PmGuard      *guard;
  guint         port;
  GMutex        mutex;
  GCond         cond;
  gboolean      ready;
  gint          n_handled;       /* atomic: requests that reached the handler */
  GPtrArray    *held;            /* SoupServerMessage held open (server thread only) */
} Server;

static PmApi
api_for_path (const char *path)
{
  if (g_str_has_prefix (path, "/v1/chat/"))
    return PM_API_OPENAI_CHAT;
  if (g_str_has_prefix (path, "/v1/responses"))
    return PM_API_OPENAI_RESPONSES;
  return PM_API_ANTHROPIC;
}

static void
early_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  Server *s = user_data;

  pm_guard_check_message_headers (s->guard, msg, api_for_path (path));
}

/* Server thread: a held message is done (the client hung up); stop writing to it. */
static void
held_finished (SoupServerMessage *msg,
               gpointer           user_data)
{
  Server *s = user_data;

  g_signal_handlers_disconnect_by_func (msg, held_finished, s);
  g_ptr_array_remove (s->held, msg);
}

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Server *s = user_data;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  PmApi api = api_for_path (path);

  g_atomic_int_inc (&s->n_handled);

  if (!pm_guard_check_message (s->guard, msg, api))
    return;
  if (!pm_guard_acquire_stream_for_message (s->guard, msg, api))
    return;

  /* What an upstream might send: the guard strips it. */
  soup_message_headers_replace (response_headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (response_headers, "access-control-allow-headers", "*");
  pm_guard_strip_cors (response_headers);

  if (query != NULL && g_hash_table_contains (query, "hold"))
    {
      soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
      soup_message_headers_set_content_type (response_headers, "text/event-stream", NULL);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                                "event: ping\ndata: {}\n\n", 22);
      g_ptr_array_add (s->held, g_object_ref (msg));
      g_signal_connect (msg, "finished", G_CALLBACK (held_finished), s);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{\"ok\":true}", 11);
}

static gpointer
server_thread (gpointer data)
{
  Server *s = data;
  g_autoptr(GError) error = NULL;
  GSList *listeners;

  g_main_context_push_thread_default (s->context);
  s->server = soup_server_new ("server-header", NULL, NULL);
  soup_server_add_early_handler (s->server, NULL, early_handler, s, NULL);
  soup_server_add_handler (s->server, NULL, handler, s, NULL);
  soup_server_listen_local (s->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  listeners = soup_server_get_listeners (s->server);
  {
    GSocketAddress *addr = g_socket_get_local_address (listeners->data, &error);

    g_assert_no_error (error);
    s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
    g_object_unref (addr);
  }
  g_slist_free (listeners);   /* the list is ours, the sockets are the server's */

  g_mutex_lock (&s->mutex);
  s->ready = TRUE;
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->mutex);

  g_main_loop_run (s->loop);

  while (s->held->len > 0)
    held_finished (g_ptr_array_index (s->held, 0), s);
  soup_server_disconnect (s->server);
  g_clear_object (&s->server);
  while (g_main_context_iteration (s->context, FALSE))
    ;
  g_main_context_pop_thread_default (s->context);

  return NULL;
}

static Server *
server_start (PmGuard *guard)
{
  Server *s = g_new0 (Server, 1);

  s->guard = g_object_ref (guard);
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  s->held = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&s->mutex);
  g_cond_init (&s->cond);
  s->thread = g_thread_new ("guard-server", server_thread, s);

  g_mutex_lock (&s->mutex);
  while (!s->ready)
    g_cond_wait (&s->cond, &s->mutex);
  g_mutex_unlock (&s->mutex);

  return s;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
server_stop (Server *s)
{
  g_main_context_invoke (s->context, quit_loop, s->loop);
  g_thread_join (s->thread);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_ptr_array_unref (s->held);
  g_object_unref (s->guard);
  g_mutex_clear (&s->mutex);
  g_cond_clear (&s->cond);
  g_free (s);
}

/* Raw HTTP over a real loopback socket. */
typedef struct
{
  guint       status;
  GHashTable *headers;      /* lower-case */
  char       *body;
} RawResponse;

static void
raw_response_free (RawResponse *r)
{
  g_clear_pointer (&r->headers, g_hash_table_unref);
  g_free (r->body);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawResponse, raw_response_free)

static GSocketConnection *
raw_connect (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_timeout (client, 20);
  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);

  return conn;
}

static void
raw_send (GSocketConnection *conn,
          const char        *head,
          const char        *body,
          gsize              body_len)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, &error);
  g_assert_no_error (error);
  if (body != NULL)
    {
      g_output_stream_write_all (out, body, body_len, NULL, NULL, &error);
      g_assert_no_error (error);
    }
}

/* Reads one response: head, then Content-Length bytes, or up to the first SSE event. */
static RawResponse *
raw_read (GSocketConnection *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (in);
  g_autoptr(GError) error = NULL;
  RawResponse *r = g_new0 (RawResponse, 1);
  g_autofree char *status_line = NULL;
  const char *length;
  char *line;

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data), FALSE);
  g_data_input_stream_set_newline_type (data, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  status_line = g_data_input_stream_read_line (data, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (status_line);
  g_assert_true (g_str_has_prefix (status_line, "HTTP/1.1 "));
  r->status = (guint) g_ascii_strtoull (status_line + 9, NULL, 10);

  while ((line = g_data_input_stream_read_line (data, NULL, NULL, &error)) != NULL && *line != '\0')
    {
      char *colon = strchr (line, ':');

      if (colon != NULL)
        {
          *colon = '\0';
          g_hash_table_replace (r->headers, g_ascii_strdown (line, -1), g_strdup (g_strstrip (colon + 1)));
        }
      g_free (line);
    }
  g_free (line);
  g_assert_no_error (error);

  length = g_hash_table_lookup (r->headers, "content-length");
  if (length != NULL)
    {
      gsize n = g_ascii_strtoull (length, NULL, 10);
      gsize got = 0;

      r->body = g_malloc0 (n + 1);
      g_input_stream_read_all (G_INPUT_STREAM (data), r->body, n, &got, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (got, ==, n);
    }
  else
    {
      /* Chunked: the first chunk-size line and the chunk. */
      g_autofree char *size_line = g_data_input_stream_read_line (data, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (size_line);
      r->body = g_data_input_stream_read_line (data, NULL, NULL, &error);
      g_assert_no_error (error);
    }

  return r;
}

static RawResponse *
raw_request (guint       port,
             const char *head_fmt,
             ...)
{
  g_autoptr(GSocketConnection) conn = raw_connect (port);
  g_autofree char *head = NULL;
  va_list ap;

  va_start (ap, head_fmt);
  head = g_strdup_vprintf (head_fmt, ap);
  va_end (ap);

  raw_send (conn, head, NULL, 0);
  return raw_read (conn);
}

static JsonObject *
error_object (RawResponse *r,
              JsonNode   **holder)
{
  *holder = json_from_string (r->body, NULL);
  g_assert_nonnull (*holder);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*holder));
  g_assert_true (json_object_has_member (json_node_get_object (*holder), "error"));
  return json_object_get_object_member (json_node_get_object (*holder), "error");
}

static void
assert_no_cors (RawResponse *r)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, r->headers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_assert_false (g_str_has_prefix (key, "access-control-"));
}

static void
test_soup_refusals (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  Server *s;
  const char *json = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}";
  guint refused_before;

  pm_guard_set_max_body (guard, 4096);
  pm_guard_set_max_depth (guard, 32);
  pm_guard_set_max_header_bytes (guard, 8192);
  s = server_start (guard);

  /* Allowed: plain loopback request; the upstream-style CORS headers were stripped. */
  {
    g_autoptr(RawResponse) r = raw_request (s->port,
      "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", s->port, strlen (json), json);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (r->body, ==, "{\"ok\":true}");
    assert_no_cors (r);
  }

  /* DNS rebinding: a page on attacker.example resolved to 127.0.0.1. */
  {
    g_autoptr(JsonNode) holder = NULL;
    g_autoptr(RawResponse) r = NULL;
    g_autofree char *line = NULL;
    JsonObject *err;

    refused_before = guard_log_len ();
    r = raw_request (s->port,
      "POST /v1/messages HTTP/1.1\r\nHost: attacker.example:%u\r\nContent-Type: application/json\r\n"
      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", s->port, strlen (json), json);
    g_assert_cmpuint (r->status, ==, 403);
    assert_no_cors (r);
    err = error_object (r, &holder);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (holder), "type"), ==, "error");
    g_assert_cmpstr (json_object_get_string_member (err, "type"), ==, "permission_error");
    g_assert_nonnull (strstr (json_object_get_string_member (err, "message"), "attacker.example"));

    /* One log line per refusal. */
    g_assert_cmpuint (guard_log_len (), ==, refused_before + 1);
    line = guard_log_last ();
    g_assert_nonnull (strstr (line, "403"));
    g_assert_nonnull (strstr (line, "/v1/messages"));
  }

  /* Cross-origin fetch from a web page, in the OpenAI shape for a Chat Completions path. */
  {
    g_autoptr(JsonNode) holder = NULL;
    g_autoptr(RawResponse) r = raw_request (s->port,
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost:%u\r\nOrigin: https://evil.example\r\n"
      "Sec-Fetch-Site: cross-site\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
      "Connection: close\r\n\r\n%s", s->port, strlen (json), json);
    JsonObject *err;

    g_assert_cmpuint (r->status, ==, 403);
    assert_no_cors (r);
    err = error_object (r, &holder);
    g_assert_false (json_object_has_member (json_node_get_object (holder), "type"));
    g_assert_true (json_object_has_member (err, "message"));
  }

  /* CORS preflight: refused, and nothing in the answer allows the origin. */
  {
    g_autoptr(RawResponse) r = raw_request (s->port,
      "OPTIONS /v1/messages HTTP/1.1\r\nHost: localhost:%u\r\nOrigin: http://localhost:3000\r\n"
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-api-key\r\n"
      "Content-Length: 0\r\nConnection: close\r\n\r\n", s->port);

    g_assert_cmpuint (r->status, ==, 403);
    assert_no_cors (r);
  }

  /* Body too large, refused from the headers alone: with "Expect: 100-continue" (curl's
   * default for large bodies) the 100 MB body is never even sent. */
  {
    g_autoptr(JsonNode) holder = NULL;
    gint handled = g_atomic_int_get (&s->n_handled);
    g_autoptr(RawResponse) r = raw_request (s->port,
      "POST /v1/responses HTTP/1.1\r\nHost: localhost:%u\r\nContent-Type: application/json\r\n"
      "Content-Length: 104857600\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", s->port);
    JsonObject *err;

    g_assert_cmpuint (r->status, ==, 413);
    err = error_object (r, &holder);
    g_assert_true (json_object_has_member (err, "message"));
    g_assert_cmpint (g_atomic_int_get (&s->n_handled), ==, handled);
  }

  /* The same with the body sent at once: drained, refused before the handler. */
  {
    g_autoptr(GSocketConnection) conn = raw_connect (s->port);
    g_autofree char *body = g_strnfill (8000, ' ');
    g_autofree char *head = g_strdup_printf (
      "POST /v1/messages HTTP/1.1\r\nHost: localhost:%u\r\nContent-Type: application/json\r\n"
      "Content-Length: 8000\r\nConnection: close\r\n\r\n", s->port);
    gint handled = g_atomic_int_get (&s->n_handled);
    g_autoptr(RawResponse) r = NULL;

    raw_send (conn, head, body, 8000);
    r = raw_read (conn);
    g_assert_cmpuint (r->status, ==, 413);
    g_assert_cmpint (g_atomic_int_get (&s->n_handled), ==, handled);
  }

  /* Body too large with chunked encoding (no length up front): refused in the handler. */
  {
    g_autoptr(GSocketConnection) conn = raw_connect (s->port);
    g_autoptr(GString) chunked = g_string_new (NULL);
    g_autoptr(RawResponse) r = NULL;
    g_autofree char *head = g_strdup_printf (
      "POST /v1/messages HTTP/1.1\r\nHost: localhost:%u\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n", s->port);

    for (guint i = 0; i < 5; i++)
      {
        g_string_append_printf (chunked, "400\r\n");
        for (guint j = 0; j < 0x400; j++)
          g_string_append_c (chunked, ' ');
        g_string_append (chunked, "\r\n");
      }
    g_string_append (chunked, "0\r\n\r\n");
    raw_send (conn, head, chunked->str, chunked->len);
    r = raw_read (conn);
    g_assert_cmpuint (r->status, ==, 413);
  }

  /* JSON nested beyond the limit: 400 before any parser recurses into it. */
  {
    g_autoptr(GString) deep = g_string_new ("{\"model\":\"m\",\"messages\":");
    g_autoptr(JsonNode) holder = NULL;
    g_autoptr(RawResponse) r = NULL;
    JsonObject *err;

    for (guint i = 0; i < 40; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 40; i++)
      g_string_append_c (deep, ']');
    g_string_append_c (deep, '}');
    r = raw_request (s->port,
      "POST /v1/messages HTTP/1.1\r\nHost: localhost:%u\r\nContent-Type: application/json\r\n"
      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", s->port, deep->len, deep->str);
    g_assert_cmpuint (r->status, ==, 400);
    err = error_object (r, &holder);
    g_assert_cmpstr (json_object_get_string_member (err, "type"), ==, "invalid_request_error");
  }

  /* Headers too large. */
  {
    g_autofree char *pad = g_strnfill (9000, 'p');
    g_autoptr(RawResponse) r = raw_request (s->port,
      "POST /v1/messages HTTP/1.1\r\nHost: localhost:%u\r\nX-Pad: %s\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n", s->port, pad);

    g_assert_cmpuint (r->status, ==, 431);
  }

  g_assert_cmpuint (pm_guard_get_n_refused (guard), ==, 8);
  server_stop (s);
}

static void
test_soup_token (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  const char *token = "pm-local-test-token-not-real-0042";
  Server *s;

  pm_guard_set_token (guard, token);
  pm_guard_set_token_enabled (guard, TRUE);
  s = server_start (guard);

  {
    g_autoptr(JsonNode) holder = NULL;
    g_autoptr(RawResponse) r = raw_request (s->port,
      "GET /v1/models HTTP/1.1\r\nHost: localhost:%u\r\nx-api-key: sk-ant-test-not-real\r\n"
      "Connection: close\r\n\r\n", s->port);
    g_autofree char *line = guard_log_last ();
    JsonObject *err;

    g_assert_cmpuint (r->status, ==, 401);
    err = error_object (r, &holder);
    g_assert_cmpstr (json_object_get_string_member (err, "type"), ==, "authentication_error");
    g_assert_null (strstr (r->body, token));
    g_assert_null (strstr (r->body, "sk-ant-test-not-real"));
    g_assert_null (strstr (line, token));
    g_assert_null (strstr (line, "sk-ant-test-not-real"));
  }
  {
    g_autoptr(RawResponse) r = raw_request (s->port,
      "GET /v1/models HTTP/1.1\r\nHost: localhost:%u\r\nAuthorization: Bearer %s\r\n"
      "Connection: close\r\n\r\n", s->port, token);

    g_assert_cmpuint (r->status, ==, 200);
  }
  {
    g_autoptr(RawResponse) r = raw_request (s->port,
      "GET /v1/models HTTP/1.1\r\nHost: localhost:%u\r\nX-Pointsman-Token: %s\r\n"
      "Connection: close\r\n\r\n", s->port, token);

    g_assert_cmpuint (r->status, ==, 200);
  }

  server_stop (s);
}

/* Server thread: keep writing to held streams (a relay would), so hang-ups are noticed. */
static gboolean
poke_held (gpointer data)
{
  Server *s = data;

  for (guint i = 0; i < s->held->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (s->held, i);

      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                                "event: ping\ndata: {}\n\n", 22);
      soup_server_message_unpause (msg);
    }

  return pm_guard_get_n_streams (s->guard) > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
test_soup_streams (void)
{
  g_autoptr(PmGuard) guard = pm_guard_new ();
  GSocketConnection *held[2];
  Server *s;
  const char *json = "{\"model\":\"m\",\"stream\":true}";

  pm_guard_set_max_streams (guard, 2);
  s = server_start (guard);

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_autofree char *head = g_strdup_printf (
        "POST /v1/messages?hold=1 HTTP/1.1\r\nHost: localhost:%u\r\nContent-Type: application/json\r\n"
        "Content-Length: %zu\r\n\r\n%s", s->port, strlen (json), json);
      g_autoptr(RawResponse) r = NULL;

      held[i] = raw_connect (s->port);
      raw_send (held[i], head, NULL, 0);
      r = raw_read (held[i]);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_true (g_str_has_prefix (r->body, "event: ping"));
    }
  g_assert_cmpuint (pm_guard_get_n_streams (guard), ==, 2);

  {
    g_autoptr(JsonNode) holder = NULL;
    g_autoptr(RawResponse) r = raw_request (s->port,
      "POST /v1/responses HTTP/1.1\r\nHost: localhost:%u\r\nContent-Type: application/json\r\n"
      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", s->port, strlen (json), json);
    JsonObject *err;

    g_assert_cmpuint (r->status, ==, 429);
    g_assert_nonnull (g_hash_table_lookup (r->headers, "retry-after"));
    err = error_object (r, &holder);
    g_assert_cmpstr (json_object_get_string_member (err, "type"), ==, "rate_limit_error");
  }

  /* The clients hang up: the slots come back when the messages finish (the server notices
   * on its next write), without the handler releasing anything itself. */
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_io_stream_close (G_IO_STREAM (held[i]), NULL, NULL);
      g_object_unref (held[i]);
    }
  {
    GSource *source = g_timeout_source_new (10);

    g_source_set_callback (source, poke_held, s, NULL);
    g_source_attach (source, s->context);
    g_source_unref (source);
  }
  for (guint i = 0; i < 2000 && pm_guard_get_n_streams (guard) > 0; i++)
    g_usleep (5000);
  g_assert_cmpuint (pm_guard_get_n_streams (guard), ==, 0);

  {
    g_autoptr(RawResponse) r = raw_request (s->port,
      "POST /v1/messages HTTP/1.1\r\nHost: localhost:%u\r\nContent-Type: application/json\r\n"
      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", s->port, strlen (json), json);

    g_assert_cmpuint (r->status, ==, 200);
  }
  for (guint i = 0; i < 2000 && pm_guard_get_n_streams (guard) > 0; i++)
    g_usleep (5000);
  g_assert_cmpuint (pm_guard_get_n_streams (guard), ==, 0);

  server_stop (s);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  guard_log = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/pm/guard/host", test_host);
  g_test_add_func ("/pm/guard/origin", test_origin);
  g_test_add_func ("/pm/guard/json-depth", test_json_depth);
  g_test_add_func ("/pm/guard/json-single-value", test_json_single_value);
  g_test_add_func ("/pm/guard/token", test_token);
  g_test_add_func ("/pm/guard/check-headers", test_check_headers);
  g_test_add_func ("/pm/guard/check-token", test_check_token);
  g_test_add_func ("/pm/guard/check-body", test_check_body);
  g_test_add_func ("/pm/guard/streams", test_streams);
  g_test_add_func ("/pm/guard/streams-threads", test_streams_threads);
  g_test_add_func ("/pm/guard/error-bodies", test_error_bodies);
  g_test_add_func ("/pm/guard/keyring-token", test_keyring_token);
  g_test_add_func ("/pm/guard/keyring-token-real", test_keyring_token_real);
  g_test_add_func ("/pm/guard/soup/refusals", test_soup_refusals);
  g_test_add_func ("/pm/guard/soup/token", test_soup_token);
  g_test_add_func ("/pm/guard/soup/streams", test_soup_streams);

  return g_test_run ();
}
