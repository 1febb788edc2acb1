/* test-json-fast.c — pm_json_fast_parse builds the tree json-glib builds, or declines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "pm-json-fast.h"
#include "pm-request.h"
#include "pm-test-utils.h"

/* Same shape, same types (int vs double), same values, same member order. */
static void
assert_same_tree (JsonNode *a,
                  JsonNode *b)
{
  g_assert_cmpint (json_node_get_node_type (a), ==, json_node_get_node_type (b));
  switch (json_node_get_node_type (a))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *oa = json_node_get_object (a), *ob = json_node_get_object (b);
        g_autoptr(GList) ma = json_object_get_members (oa);
        g_autoptr(GList) mb = json_object_get_members (ob);

        g_assert_cmpuint (g_list_length (ma), ==, g_list_length (mb));
        for (GList *x = ma, *y = mb; x != NULL; x = x->next, y = y->next)
          {
            g_assert_cmpstr (x->data, ==, y->data);
            assert_same_tree (json_object_get_member (oa, x->data), json_object_get_member (ob, y->data));
          }
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *xa = json_node_get_array (a), *xb = json_node_get_array (b);

        g_assert_cmpuint (json_array_get_length (xa), ==, json_array_get_length (xb));
        for (guint i = 0; i < json_array_get_length (xa); i++)
          assert_same_tree (json_array_get_element (xa, i), json_array_get_element (xb, i));
      }
      break;
    case JSON_NODE_VALUE:
      g_assert_cmpuint (json_node_get_value_type (a), ==, json_node_get_value_type (b));
      if (json_node_get_value_type (a) == G_TYPE_STRING)
        g_assert_cmpstr (json_node_get_string (a), ==, json_node_get_string (b));
      else if (json_node_get_value_type (a) == G_TYPE_INT64)
        g_assert_cmpint (json_node_get_int (a), ==, json_node_get_int (b));
      else if (json_node_get_value_type (a) == G_TYPE_DOUBLE)
        g_assert_cmpfloat (json_node_get_double (a), ==, json_node_get_double (b));
      else
        g_assert_cmpint (json_node_get_boolean (a), ==, json_node_get_boolean (b));
      break;
    case JSON_NODE_NULL:
    default:
      break;
    }
}

static void
check_same (const char *text,
            gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) fast = pm_json_fast_parse (text, len);

  json_parser_load_from_data (parser, text, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fast);
  assert_same_tree (json_parser_get_root (parser), fast);
}

static void
test_fixtures (void)
{
  const char *names[] = { "chat-tool-error.json", "claude-code-compaction.json", "claude-code-error.json",
                          "claude-code-subagent.json", "claude-code-title.json", "claude-code-tool-result.json",
                          "codex-responses.json" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = g_build_filename ("requests", names[i], NULL);
      g_autofree char *path = pm_test_fixture_path (name);
      g_autofree char *text = NULL;
      gsize len = 0;
      g_autoptr(GError) error = NULL;

      g_file_get_contents (path, &text, &len, &error);
      g_assert_no_error (error);
      check_same (text, len);
    }
}

static void
test_values (void)
{
  const char *cases[] = {
    "{}", "[]", "  {\"a\" : [ 1 , -2, 3.5, -0.25e3, 1E2, 0, -0 ] }\n", "\"x\"", "true", "false", "null", "42",
    "{\"s\":\"tab\\tnl\\nq\\\"bs\\\\sl\\/ \\b\\f\\r\"}",
    "{\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00 caf\xc3\xa9 \xe2\x82\xac\"}",
    "{\"dup\":1,\"dup\":2,\"z\":{\"y\":[[],{}]}}",
    "[9223372036854775807,-9223372036854775808,1.7976931348623157e308,5e-324]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_same (cases[i], strlen (cases[i]));
}

/* Not strict JSON (or not representable): NULL, so the caller asks json-glib. */
static void
test_declines (void)
{
  const char *cases[] = {
    "", "   ", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "{\"a\" 1}", "[01]", "[1.]", "[.5]", "[+1]", "[1e]",
    "\"unterminated", "\"bad \\x escape\"", "\"raw\ncontrol\"", "\"\\ud800 lone\"", "\"\\u00\"",
    "\"\\u0000\"", "[1] x", "tru", "nul", "[99999999999999999999]", "\"\xff\xfe\"", "{\"a\":1}}",
  };
  GString *deep = g_string_new (NULL);
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) n = pm_json_fast_parse (cases[i], strlen (cases[i]));

      if (n != NULL)
        g_error ("accepted: %s", cases[i]);
    }

  /* deeper than 512 levels */
  for (guint i = 0; i < 600; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 600; i++)
    g_string_append_c (deep, ']');
  node = pm_json_fast_parse (deep->str, deep->len);
  g_assert_null (node);
  g_string_free (deep, TRUE);

  /* not NUL-terminated: the length is what counts */
  {
    g_autoptr(JsonNode) n = pm_json_fast_parse ("[12]345", 4);

    g_assert_nonnull (n);
    g_assert_cmpint (json_array_get_int_element (json_node_get_array (n), 0), ==, 12);
  }
}

/* The request path uses it and still reports json-glib's error for bad bodies. */
static void
test_request_from_bytes (void)
{
  g_autofree char *path = pm_test_fixture_path ("requests/claude-code-tool-result.json");
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) bad = g_bytes_new_static ("{\"messages\": [", 14);
  g_autoptr(PmRequest) request = NULL;
  g_autoptr(PmRequest) reference = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_autofree char *body = NULL;
  JsonNode *body_node;

  /* the fixture is {"api", "headers", "body"}: the body alone, as a client sends it */
  g_file_get_contents (path, &text, &len, &error);
  g_assert_no_error (error);
  json_parser_load_from_data (parser, text, len, &error);
  g_assert_no_error (error);
  body_node = json_object_get_member (json_node_get_object (json_parser_get_root (parser)), "body");
  g_assert_nonnull (body_node);
  body = json_to_string (body_node, TRUE);
  bytes = g_bytes_new (body, strlen (body));
  request = pm_request_new_from_bytes (PM_API_ANTHROPIC, NULL, bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pm_request_get_input_tokens (request), >, 0);
  reference = pm_request_new (PM_API_ANTHROPIC, NULL, body_node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pm_request_get_input_tokens (request), ==, pm_request_get_input_tokens (reference));
  assert_same_tree (pm_request_get_body (request), pm_request_get_body (reference));

  g_assert_null (pm_request_new_from_bytes (PM_API_ANTHROPIC, NULL, bad, &error));
  g_assert_error (error, PM_ERROR, PM_ERROR_INVALID_REQUEST);
  g_assert_true (strstr (error->message, "not valid JSON") != NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-fast/fixtures", test_fixtures);
  g_test_add_func ("/json-fast/values", test_values);
  g_test_add_func ("/json-fast/declines", test_declines);
  g_test_add_func ("/json-fast/request-from-bytes", test_request_from_bytes);
  return g_test_run ();
}
