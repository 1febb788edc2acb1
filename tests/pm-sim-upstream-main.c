/* pm-sim-upstream-main.c — the scripted upstream as a standalone program, for the tests that
 * drive real clients (tests/npm) through pointsman-cli serve.
 *
 *   pm-sim-upstream [--port N] [--key KEY] [--script FILE] [--record DIR]
 *
 * Prints its URL on the first line of standard output, then serves until killed. With
 * --record, every request that arrives is written to DIR/request-N.json as
 * {"path", "headers", "body"} (credential headers say only "<present>"), so a test can check
 * what the upstream received. The script
 * is a JSON array of replies, queued in order; once they are used up every request gets the
 * default text reply. A reply:
 *   {"text": "…", "thinking": "…", "tool_calls": [{"name": "…", "arguments": {…}}],
 *    "error": {"status": 429, "type": "rate_limit_error", "message": "…"},
 *    "chunk_size": 8, "between_ms": 0, "repeat": 1}
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "pm-sim-upstream.h"

static gboolean
load_script (PmSimUpstream  *sim,
             const char     *path,
             GError        **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *replies;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: expected an array of replies", path);
      return FALSE;
    }
  replies = json_node_get_array (root);

  for (guint i = 0; i < json_array_get_length (replies); i++)
    {
      JsonObject *o = json_array_get_object_element (replies, i);
      g_autoptr(PmSimReply) reply = NULL;
      JsonArray *calls;
      JsonObject *err;
      gint64 repeat;

      if (o == NULL)
        continue;
      reply = pm_sim_reply_new (json_object_get_string_member_with_default (o, "text", NULL));
      if (json_object_has_member (o, "thinking"))
        pm_sim_reply_set_thinking (reply, json_object_get_string_member (o, "thinking"));
      calls = json_object_has_member (o, "tool_calls") ? json_object_get_array_member (o, "tool_calls") : NULL;
      for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
        {
          JsonObject *call = json_array_get_object_element (calls, j);
          JsonNode *args = json_object_get_member (call, "arguments");
          g_autofree char *text = NULL;

          if (args != NULL && JSON_NODE_HOLDS_VALUE (args))
            text = g_strdup (json_node_get_string (args));
          else if (args != NULL)
            text = json_to_string (args, FALSE);
          else
            text = g_strdup ("{}");
          pm_sim_reply_add_tool_call (reply, json_object_get_string_member (call, "name"), text);
        }
      err = json_object_has_member (o, "error") ? json_object_get_object_member (o, "error") : NULL;
      if (err != NULL)
        pm_sim_reply_set_error (reply,
                                json_object_get_int_member_with_default (err, "status", 500),
                                json_object_get_string_member_with_default (err, "type", "api_error"),
                                json_object_get_string_member_with_default (err, "message", "Simulated error"),
                                json_object_get_int_member_with_default (err, "retry_after", 0));
      if (json_object_has_member (o, "chunk_size"))
        pm_sim_reply_set_chunk_size (reply, json_object_get_int_member (o, "chunk_size"));
      if (json_object_has_member (o, "between_ms"))
        pm_sim_reply_set_delays (reply, 0, json_object_get_int_member (o, "between_ms"));

      repeat = json_object_get_int_member_with_default (o, "repeat", 1);
      for (gint64 k = 0; k < MAX (repeat, 1); k++)
        pm_sim_upstream_push_reply (sim, reply);
    }
  return TRUE;
}

typedef struct
{
  PmSimUpstream *sim;
  char          *dir;
  guint          seen;
} Recorder;

static gboolean
record_cb (gpointer user_data)
{
  Recorder *rec = user_data;
  guint n = pm_sim_upstream_get_n_requests (rec->sim);

  if (n != rec->seen)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;
      g_autofree char *name = g_strdup_printf ("request-%u.json", n);
      g_autofree char *path = g_build_filename (rec->dir, name, NULL);
      GHashTable *headers = pm_sim_upstream_get_last_headers (rec->sim);
      JsonNode *body = pm_sim_upstream_get_last_json (rec->sim);
      GHashTableIter iter;
      gpointer key, value;

      rec->seen = n;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, pm_sim_upstream_get_last_path (rec->sim));
      json_builder_set_member_name (builder, "headers");
      json_builder_begin_object (builder);
      if (headers != NULL)
        {
          g_hash_table_iter_init (&iter, headers);
          while (g_hash_table_iter_next (&iter, &key, &value))
            {
              gboolean secret = g_str_equal (key, "authorization") || g_str_equal (key, "x-api-key");

              json_builder_set_member_name (builder, key);
              json_builder_add_string_value (builder, secret ? "<present>" : value);
            }
        }
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "body");
      if (body != NULL)
        json_builder_add_value (builder, json_node_copy (body));
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, FALSE);
      g_file_set_contents (path, text, -1, NULL);
    }
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— scripted upstream for tests");
  g_autoptr(PmSimUpstream) sim = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *key = NULL;
  g_autofree char *record = NULL;
  g_autofree char *url = NULL;
  Recorder rec = { 0 };
  int port = 0;
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0: any)", "N" },
    { "key", 0, 0, G_OPTION_ARG_STRING, &key, "Require this API key", "KEY" },
    { "script", 0, 0, G_OPTION_ARG_FILENAME, &script, "Replies to queue (JSON array)", "FILE" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &record, "Write each request to DIR/request-N.json", "DIR" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  sim = pm_sim_upstream_new ();
  if (key != NULL)
    pm_sim_upstream_set_required_key (sim, key);
  if (script != NULL && !load_script (sim, script, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (!pm_sim_upstream_start (sim, port, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  url = pm_sim_upstream_dup_url (sim);
  g_print ("%s\n", url);
  fflush (stdout);

  if (record != NULL)
    {
      rec.sim = sim;
      rec.dir = record;
      g_mkdir_with_parents (record, 0700);
      /* Requests here come one at a time from one client; 10 ms polling sees each of them. */
      g_timeout_add (10, record_cb, &rec);
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  return EXIT_SUCCESS;
}
