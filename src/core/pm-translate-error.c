/* pm-translate-error.c — errors in each client API's own shape
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-translate"

#include "config.h"

#include <string.h>

#include "pm-translate-private.h"

/* Anthropic error types are the canonical vocabulary; OpenAI gets (type, code) pairs. */
static const struct {
  const char *anthropic;
  const char *openai_type;
  const char *openai_code;
  guint       status;
} error_types[] = {
  { "invalid_request_error", "invalid_request_error", NULL, 400 },
  { "authentication_error", "authentication_error", "invalid_api_key", 401 },
  { "permission_error", "permission_error", NULL, 403 },
  { "not_found_error", "invalid_request_error", "not_found", 404 },
  { "request_too_large", "invalid_request_error", "request_too_large", 413 },
  { "rate_limit_error", "rate_limit_error", "rate_limit_exceeded", 429 },
  { "api_error", "server_error", NULL, 500 },
  { "overloaded_error", "server_error", "overloaded", 529 },
};

static guint
find_error_type (const char *type)
{
  if (type == NULL)
    return G_N_ELEMENTS (error_types);

  for (guint i = 0; i < G_N_ELEMENTS (error_types); i++)
    if (g_str_equal (type, error_types[i].anthropic))
      return i;
  return G_N_ELEMENTS (error_types);
}

static const char *
anthropic_type_for_status (guint status)
{
  switch (status)
    {
    case 400: case 422: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503: case 529: return "overloaded_error";
    default: break;
    }
  if (status >= 400 && status < 500)
    return "invalid_request_error";
  return "api_error";
}

/* Map an OpenAI type/code to an Anthropic type (status as fallback). */
const char *
_pm_error_type_from_openai (const char *type,
                           const char *code,
                           guint       status)
{
  if (code != NULL)
    {
      if (g_str_equal (code, "rate_limit_exceeded") || g_str_equal (code, "insufficient_quota"))
        return "rate_limit_error";
      if (g_str_equal (code, "invalid_api_key"))
        return "authentication_error";
      if (g_str_equal (code, "overloaded"))
        return "overloaded_error";
      if (g_str_equal (code, "context_length_exceeded") || g_str_equal (code, "request_too_large"))
        return status == 413 ? "request_too_large" : "invalid_request_error";
      if (g_str_equal (code, "model_not_found") || g_str_equal (code, "not_found"))
        return "not_found_error";
    }
  if (type != NULL)
    {
      if (g_str_equal (type, "server_error"))
        return status == 503 || status == 529 ? "overloaded_error" : "api_error";
      if (find_error_type (type) < G_N_ELEMENTS (error_types))
        return type;
      if (g_str_equal (type, "insufficient_quota") || g_str_equal (type, "requests") ||
          g_str_equal (type, "tokens"))
        return "rate_limit_error";
    }
  return anthropic_type_for_status (status);
}

static JsonObject *
openai_error_object (const char *type,
                     const char *code,
                     const char *message)
{
  JsonObject *err = json_object_new ();
  guint i = find_error_type (type);

  json_object_set_string_member (err, "message", message ? message : "");
  if (i < G_N_ELEMENTS (error_types))
    {
      json_object_set_string_member (err, "type", error_types[i].openai_type);
      if (code == NULL)
        code = error_types[i].openai_code;
    }
  else
    json_object_set_string_member (err, "type", type ? type : "api_error");
  json_object_set_null_member (err, "param");
  if (code != NULL)
    json_object_set_string_member (err, "code", code);
  else
    json_object_set_null_member (err, "code");
  return err;
}

static JsonObject *
anthropic_error_root (const char *type,
                      const char *message)
{
  JsonObject *root = json_object_new ();
  JsonObject *err = json_object_new ();

  json_object_set_string_member (err, "type", type ? type : "api_error");
  json_object_set_string_member (err, "message", message ? message : "");
  json_object_set_string_member (root, "type", "error");
  json_object_set_object_member (root, "error", err);
  return root;
}

static char *
error_body_full (PmApi       client_api,
                 const char *type,
                 const char *code,
                 const char *param,
                 const char *message)
{
  g_autoptr(JsonObject) root = NULL;

  if (client_api == PM_API_ANTHROPIC)
    {
      root = anthropic_error_root (type, message);
    }
  else
    {
      JsonObject *err = openai_error_object (type, code, message);

      if (param != NULL)
        json_object_set_string_member (err, "param", param);
      root = json_object_new ();
      json_object_set_object_member (root, "error", err);
    }
  return _pm_json_object_to_string (root);
}

char *
pm_error_body (PmApi       client_api,
               const char *type,
               const char *message)
{
  g_return_val_if_fail (client_api < PM_API_LAST, NULL);

  return error_body_full (client_api, type, NULL, NULL, message);
}

char *
pm_error_event (PmApi       client_api,
                const char *type,
                const char *message)
{
  return pm_error_event_at (client_api, type, message, 0);
}

/**
 * pm_error_event_at:
 * @sequence_number: for Responses clients, the sequence_number the error event carries (the
 *   following response.failed gets the next one): the number after the last event the client
 *   already got (pm_responses_next_sequence ()), so the stream's numbers keep increasing.
 *   Ignored for the other APIs.
 *
 * pm_error_event () in the middle of a stream.
 */
char *
pm_error_event_at (PmApi       client_api,
                   const char *type,
                   const char *message,
                   gint64      sequence_number)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *data = NULL;

  g_return_val_if_fail (client_api < PM_API_LAST, NULL);

  switch (client_api)
    {
    case PM_API_ANTHROPIC:
      data = pm_error_body (client_api, type, message);
      _pm_sse_append (out, "error", data);
      break;

    case PM_API_OPENAI_CHAT:
      data = pm_error_body (client_api, type, message);
      _pm_sse_append (out, NULL, data);
      break;

    case PM_API_OPENAI_RESPONSES:
      {
        gint64 sequence = MAX (sequence_number, 0);

        _pm_responses_error_events (out, type, message, &sequence, NULL);
      }
      break;

    case PM_API_LAST:
    default:
      g_assert_not_reached ();
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * pm_responses_next_sequence:
 * @sse: SSE text as sent to a Responses client (whole events)
 * @next: the number the next event would carry before this text
 *
 * Returns: the sequence_number the event after @sse must carry: one more than the highest
 * `"sequence_number"` member in @sse, or @next when there is none as high. A member name
 * inside a JSON string cannot match: its quotes are escaped there.
 */
gint64
pm_responses_next_sequence (const char *sse,
                            gsize       len,
                            gint64      next)
{
  static const char name[] = "\"sequence_number\"";
  const char *p = sse;
  const char *end = sse + len;

  if (sse == NULL)
    return next;

  while (p < end && (p = memmem (p, end - p, name, sizeof name - 1)) != NULL)
    {
      gint64 value = 0;
      gboolean digits = FALSE;

      p += sizeof name - 1;
      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      if (p >= end || *p != ':')
        continue;
      p++;
      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      while (p < end && g_ascii_isdigit (*p) && value < G_MAXINT64 / 10 - 10)
        {
          value = value * 10 + (*p - '0');
          digits = TRUE;
          p++;
        }
      if (digits && value + 1 > next)
        next = value + 1;
    }

  return next;
}

void
_pm_responses_error_events (GString    *out,
                            const char *type,
                            const char *message,
                            gint64     *sequence,
                            JsonObject *response)
{
  g_autoptr(JsonObject) ev = openai_error_object (type, NULL, message);
  g_autoptr(JsonObject) failed = json_object_new ();
  g_autofree char *data = NULL;
  g_autofree char *failed_data = NULL;
  JsonObject *err = json_object_new ();
  const char *code = _pm_json_get_string (ev, "code");

  /* ResponseErrorEvent: {type:"error", code, message, param, sequence_number} */
  json_object_set_string_member (ev, "type", "error");
  if (code == NULL)
    json_object_set_string_member (ev, "code", type ? type : "api_error");
  json_object_set_int_member (ev, "sequence_number", (*sequence)++);
  data = _pm_json_object_to_string (ev);
  _pm_sse_append (out, "error", data);

  /* Then response.failed: Codex ends a turn on it and ignores a bare error event. */
  if (response == NULL)
    {
      g_autofree char *id = _pm_make_id ("resp_");

      response = _pm_responses_object (id, NULL, "failed", NULL, NULL, NULL);
    }
  json_object_set_string_member (response, "status", "failed");
  json_object_set_string_member (err, "code", type ? type : "api_error");
  json_object_set_string_member (err, "message", message ? message : "");
  json_object_set_object_member (response, "error", err);
  json_object_set_string_member (failed, "type", "response.failed");
  json_object_set_int_member (failed, "sequence_number", (*sequence)++);
  json_object_set_object_member (failed, "response", response);
  failed_data = _pm_json_object_to_string (failed);
  _pm_sse_append (out, "response.failed", failed_data);
}

char *
pm_translate_error (PmApi       from,
                    PmApi       to,
                    guint       status,
                    const char *body,
                    gsize       length)
{
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *plain = NULL;
  const char *message = NULL;
  const char *type = NULL;
  const char *code = NULL;
  const char *param = NULL;
  const char *anthropic_type;

  g_return_val_if_fail (to < PM_API_LAST, NULL);

  if (body != NULL && length > 0)
    root = _pm_json_parse_object (body, length);

  if (root != NULL)
    {
      JsonObject *err = _pm_json_get_object (root, "error");

      if (err != NULL)
        {
          /* Anthropic {type:"error",error:{type,message}} or OpenAI {error:{message,type,param,code}} */
          message = _pm_json_get_string (err, "message");
          type = _pm_json_get_string (err, "type");
          code = _pm_json_get_string (err, "code");
          param = _pm_json_get_string (err, "param");
          if (code == NULL && json_object_has_member (err, "code") &&
              JSON_NODE_HOLDS_VALUE (json_object_get_member (err, "code")))
            {
              /* Some gateways send a numeric code. */
              code = NULL;
            }
        }
      else if (json_object_has_member (root, "error") &&
               JSON_NODE_HOLDS_VALUE (json_object_get_member (root, "error")))
        {
          /* {"error":"message"} (Ollama, llama.cpp and a few gateways) */
          message = _pm_json_get_string (root, "error");
        }
      else if (g_strcmp0 (_pm_json_get_string (root, "type"), "error") == 0)
        {
          /* A Responses stream error event as a body. */
          message = _pm_json_get_string (root, "message");
          code = _pm_json_get_string (root, "code");
        }
      else
        {
          message = _pm_json_get_string (root, "message");
          if (message == NULL)
            message = _pm_json_get_string (root, "detail");
        }
    }

  if (message == NULL)
    {
      if (body != NULL && length > 0 && root == NULL)
        {
          gsize n = MIN (length, 2000);

          plain = g_utf8_make_valid (body, n);
          g_strstrip (plain);
        }
      if (plain == NULL || *plain == '\0')
        {
          g_free (plain);
          plain = g_strdup_printf ("Upstream returned HTTP %u", status);
        }
      message = plain;
    }

  if (from == PM_API_ANTHROPIC && find_error_type (type) < G_N_ELEMENTS (error_types))
    anthropic_type = type;
  else
    anthropic_type = _pm_error_type_from_openai (type, code, status);

  if (to == PM_API_ANTHROPIC)
    return error_body_full (to, anthropic_type, NULL, NULL, message);

  /* OpenAI-shaped client: keep an OpenAI upstream's own type and code. */
  if (from != PM_API_ANTHROPIC && type != NULL && find_error_type (type) >= G_N_ELEMENTS (error_types))
    {
      g_autoptr(JsonObject) out = json_object_new ();
      JsonObject *err = json_object_new ();

      json_object_set_string_member (err, "message", message);
      json_object_set_string_member (err, "type", type);
      if (param != NULL)
        json_object_set_string_member (err, "param", param);
      else
        json_object_set_null_member (err, "param");
      if (code != NULL)
        json_object_set_string_member (err, "code", code);
      else
        json_object_set_null_member (err, "code");
      json_object_set_object_member (out, "error", err);
      return _pm_json_object_to_string (out);
    }

  return error_body_full (to, anthropic_type, from != PM_API_ANTHROPIC ? code : NULL, param, message);
}
