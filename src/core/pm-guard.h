/* pm-guard.h — who may talk to the proxy, and how much: localhost security and limits
 *
 * The proxy listens on the user's machine and holds their provider keys. Every request passes
 * these checks before anything else happens:
 *
 *   - Host must name a loopback host (localhost, 127.0.0.0/8, [::1]) or one configured as
 *     allowed: anything else is a DNS-rebinding attempt → 403.
 *   - Browser cross-origin requests are refused: an Origin that is not a loopback origin, a
 *     Sec-Fetch-Site of cross-site/same-site, or a CORS preflight (OPTIONS) → 403. The proxy
 *     never sends CORS headers.
 *   - An optional local access token (kept in the keyring under PM_GUARD_TOKEN_PROVIDER) is
 *     required when enabled, and always when the listen address is not loopback → 401. It is
 *     accepted as x-api-key, Authorization: Bearer or x-pointsman-token.
 *   - Limits: header bytes (431), body bytes (413), JSON nesting depth (400), concurrent
 *     streams (429).
 *
 * Each refusal is a PM_GUARD_ERROR; the soup helpers answer it with the status and an error
 * body in the client API's own shape (pm_error_body) and log one line (never a key or token).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "pm-types.h"

G_BEGIN_DECLS

/* The keyring "provider" id the local access token is stored under. */
#define PM_GUARD_TOKEN_PROVIDER           "pointsman-local-token"

#define PM_GUARD_DEFAULT_MAX_HEADER_BYTES (64 * 1024)
#define PM_GUARD_DEFAULT_MAX_BODY         (32 * 1024 * 1024)
#define PM_GUARD_DEFAULT_MAX_DEPTH        128
#define PM_GUARD_DEFAULT_MAX_STREAMS      512

#define PM_GUARD_ERROR (pm_guard_error_quark ())
GQuark pm_guard_error_quark (void);

typedef enum
{
  PM_GUARD_ERROR_HOST,                /* 403: Host is not loopback (DNS rebinding) */
  PM_GUARD_ERROR_CROSS_ORIGIN,        /* 403: browser cross-origin request or preflight */
  PM_GUARD_ERROR_UNAUTHORIZED,        /* 401: local access token missing or wrong */
  PM_GUARD_ERROR_HEADERS_TOO_LARGE,   /* 431 */
  PM_GUARD_ERROR_BODY_TOO_LARGE,      /* 413 */
  PM_GUARD_ERROR_TOO_DEEP,            /* 400: JSON nested too deeply */
  PM_GUARD_ERROR_TOO_MANY_STREAMS,    /* 429 */
} PmGuardError;

#define PM_TYPE_GUARD (pm_guard_get_type ())
G_DECLARE_FINAL_TYPE (PmGuard, pm_guard, PM, GUARD, GObject)

/* Defaults: listen host 127.0.0.1, no token, the PM_GUARD_DEFAULT_* limits. */
PmGuard    *pm_guard_new                   (void);
/* From the configuration: listen host, the token switch ("listen": {"token"}) and the limits
 * (max_body_bytes, max_header_bytes, max_depth, max_streams). The token itself is not loaded:
 * call pm_guard_load_token when pm_guard_get_token_required. */
PmGuard    *pm_guard_new_for_config        (PmConfig      *config);

void        pm_guard_set_listen_host       (PmGuard       *self,
                                            const char    *host);
const char *pm_guard_get_listen_host       (PmGuard       *self);
/* Another Host name (or address) to accept, e.g. a LAN name when bound beyond loopback. */
void        pm_guard_add_allowed_host      (PmGuard       *self,
                                            const char    *host);
/* The local access token (NULL = none). */
void        pm_guard_set_token             (PmGuard       *self,
                                            const char    *token);
gboolean    pm_guard_has_token             (PmGuard       *self);
/* Require the token (the user's switch). */
void        pm_guard_set_token_enabled     (PmGuard       *self,
                                            gboolean       enabled);
/* TRUE when enabled, or when the listen host is not loopback. With no token set, every
 * request is then refused (fail closed). */
gboolean    pm_guard_get_token_required    (PmGuard       *self);
/* Look the token up in the keyring; with create, generate and store one when missing.
 * Returns the token (the caller frees it), or NULL with no error when none and !create. */
char       *pm_guard_load_token            (PmGuard       *self,
                                            PmKeyring     *keyring,
                                            gboolean       create,
                                            GCancellable  *cancellable,
                                            GError       **error);

void        pm_guard_set_max_header_bytes  (PmGuard       *self,
                                            gsize          bytes);
gsize       pm_guard_get_max_header_bytes  (PmGuard       *self);
void        pm_guard_set_max_body          (PmGuard       *self,
                                            gsize          bytes);
gsize       pm_guard_get_max_body          (PmGuard       *self);
void        pm_guard_set_max_depth         (PmGuard       *self,
                                            guint          depth);
guint       pm_guard_get_max_depth         (PmGuard       *self);
void        pm_guard_set_max_streams       (PmGuard       *self,
                                            guint          streams);
guint       pm_guard_get_max_streams       (PmGuard       *self);
guint       pm_guard_get_n_streams         (PmGuard       *self);
/* Refusals so far (all kinds). */
guint       pm_guard_get_n_refused         (PmGuard       *self);

/* ---- Pure checks ---- */

/* host: a Host header value ("localhost:8080", "127.0.0.1", "[::1]:80"). */
gboolean    pm_guard_host_is_loopback      (const char    *host);
/* origin: an Origin header value ("http://localhost:3000"); "null" is not loopback. */
gboolean    pm_guard_origin_is_loopback    (const char    *origin);
gboolean    pm_guard_address_is_loopback   (const char    *address);
/* The deepest nesting of arrays/objects in JSON text, counting stops at limit + 1 (the scan
 * ends there). Strings and escapes are skipped; the text need not be valid JSON. */
guint       pm_guard_json_depth            (const char    *data,
                                            gsize          length,
                                            guint          limit);
/* TRUE when the text holds at most one JSON value (plus whitespace). json-glib 1.6 accepts
 * "{…}\n{…}" (e.g. an SSE event with two data: lines), keeps the last value and leaks the
 * first: check with this before json_parser_load_from_data on untrusted text. */
gboolean    pm_guard_json_single_value     (const char    *data,
                                            gsize          length);
/* A fresh random token ("pm-local-" + 43 base64url characters). */
char       *pm_guard_generate_token        (void);
/* Constant-time comparison (for equal lengths). */
gboolean    pm_guard_token_equal           (const char    *a,
                                            const char    *b);

/* ---- Request checks ----
 * headers: lower-case name → value, as pm_request_new takes them. */
gboolean    pm_guard_check_headers         (PmGuard       *self,
                                            const char    *method,
                                            GHashTable    *headers,
                                            GError       **error);
gboolean    pm_guard_check_body            (PmGuard       *self,
                                            const char    *data,
                                            gsize          length,
                                            GError       **error);
/* Take one of max_streams slots; release it with pm_guard_stream_release. Thread-safe. */
gboolean    pm_guard_stream_acquire        (PmGuard       *self,
                                            GError       **error);
void        pm_guard_stream_release        (PmGuard       *self);

/* The HTTP status and the error type (pm_error_body vocabulary) for a refusal. */
guint       pm_guard_error_status          (const GError  *error);
const char *pm_guard_error_type            (const GError  *error);
/* The refusal as a body in the client's API shape. */
char       *pm_guard_error_body            (PmApi          client_api,
                                            const GError  *error);

/* ---- libsoup glue: the calls the proxy makes ----
 *
 * In an early handler (headers read, body not yet): pm_guard_check_message_headers.
 * In the handler: pm_guard_check_message (headers again, body size and depth), then for a
 * forwarded request pm_guard_acquire_stream_for_message (released when the message finishes).
 * Each returns FALSE after answering the message with the refusal; the handler just returns. */
GHashTable *pm_guard_headers_table         (SoupMessageHeaders *headers);
gboolean    pm_guard_check_message_headers (PmGuard            *self,
                                            SoupServerMessage  *msg,
                                            PmApi               client_api);
gboolean    pm_guard_check_message         (PmGuard            *self,
                                            SoupServerMessage  *msg,
                                            PmApi               client_api);
gboolean    pm_guard_acquire_stream_for_message (PmGuard       *self,
                                            SoupServerMessage  *msg,
                                            PmApi               client_api);
/* Answer msg with the refusal (status, body in the client's shape, no CORS) and log it. */
void        pm_guard_reject_message        (PmGuard            *self,
                                            SoupServerMessage  *msg,
                                            PmApi               client_api,
                                            const GError       *error);
/* Remove Access-Control-* headers (e.g. copied from an upstream response). */
void        pm_guard_strip_cors            (SoupMessageHeaders *response_headers);

G_END_DECLS
