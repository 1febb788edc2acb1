/* test-fuzz-replay.c — the fuzz targets as a regular test: seeds, saved crashes, mutations
 *
 * For each target in fuzz/pm-fuzz-targets.c this replays
 *   1. the seed corpus built from tests/fixtures (the same seeds build-aux/fuzz.sh starts from),
 *   2. every input saved under fuzz/corpus/<target>/ (regressions: crashes found earlier),
 *   3. a fixed number of deterministic mutations of each seed (truncations, bit flips, byte
 *      insertions and splices; fixed random seed, so a failure reproduces).
 * A crash, a sanitizer report or a broken invariant inside a target fails the test.
 *
 * `test-fuzz-replay --write-seeds DIR` writes the seed corpus to DIR/<target>/ for libFuzzer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "../fuzz/pm-fuzz-targets.c"
#include "pm-test-utils.h"

typedef struct
{
  char   *name;
  GBytes *bytes;
} Seed;

static void
seed_free (gpointer data)
{
  Seed *seed = data;

  g_free (seed->name);
  g_bytes_unref (seed->bytes);
  g_free (seed);
}

static void
add_seed (GPtrArray    *seeds,
          const char   *name,
          const guint8 *prefix,
          gsize         prefix_len,
          const char   *contents,
          gsize         length)
{
  Seed *seed = g_new0 (Seed, 1);
  guint8 *buf = g_malloc (prefix_len + length);

  memcpy (buf, prefix, prefix_len);
  memcpy (buf + prefix_len, contents, length);
  seed->name = g_strdup (name);
  seed->bytes = g_bytes_new_take (buf, prefix_len + length);
  g_ptr_array_add (seeds, seed);
}

static char *
read_fixture (const char *name,
              gsize      *length)
{
  g_autofree char *path = pm_test_fixture_path (name);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);

  return contents;
}

/* Fixture, client API, header flags. */
static const struct {
  const char *file;
  guint8      api;
} request_fixtures[] = {
  { "translate/anthropic-request.json", 0 },
  { "translate/chat-request.json", 1 },
  { "translate/responses-request.json", 2 },
  { "requests/claude-code-compaction.json", 0 | 0x10 },
  { "requests/claude-code-error.json", 0 | 0x10 },
  { "requests/claude-code-subagent.json", 0 | 0x10 },
  { "requests/claude-code-title.json", 0 | 0x10 },
  { "requests/claude-code-tool-result.json", 0 | 0x10 },
  { "requests/codex-responses.json", 2 | 0x20 },
  { "requests/chat-tool-error.json", 1 },
};

static const struct {
  const char *file;
  guint8      api;
} stream_fixtures[] = {
  { "translate/anthropic-stream.sse", 0 },
  { "translate/chat-stream.sse", 1 },
  { "translate/responses-stream.sse", 2 },
};

/* Small hand-written responses (non-streamed) in each API, and error bodies. */
static const struct {
  const char *text;
  guint8      api;
} response_seeds[] = {
  { "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\","
    "\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"sig\"},"
    "{\"type\":\"text\",\"text\":\"Hi\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Read\","
    "\"input\":{\"path\":\"a.c\"}}],\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":10,"
    "\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":2,\"output_tokens\":3}}", 0 },
  { "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-5-mini\",\"choices\":"
    "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\",\"tool_calls\":[{\"id\":"
    "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"Read\",\"arguments\":\"{\\\"path\\\":"
    "\\\"a.c\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":10,"
    "\"completion_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":5},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":1}}}", 1 },
  { "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-5\","
    "\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},{\"type\":\"message\","
    "\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hi\"}]},"
    "{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":\"Read\",\"arguments\":\"{}\"}],"
    "\"usage\":{\"input_tokens\":10,\"output_tokens\":3,\"input_tokens_details\":{\"cached_tokens\":5},"
    "\"output_tokens_details\":{\"reasoning_tokens\":1}}}", 2 },
  { "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", 0 },
  { "{\"error\":{\"message\":\"Rate limit\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}", 1 },
  { "<html><body>502 Bad Gateway</body></html>", 2 },
};

static const char *guard_seeds[] = {
  "\x01host: 127.0.0.1:4141\ncontent-type: application/json\ncontent-length: 12\n",
  "\x00host: evil.example\norigin: https://evil.example\nsec-fetch-site: cross-site\n",
  "\x01host: [::1]:80\nx-api-key: pm-local-fuzz-token-not-real\n",
  "\x01host: localhost\nauthorization: Bearer pm-local-fuzz-token-not-real\n",
  "\x00host: localhost.\norigin: null\n",
};

static GPtrArray *
build_seeds (const char *target)
{
  GPtrArray *seeds = g_ptr_array_new_with_free_func (seed_free);

  if (g_str_equal (target, "request"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (request_fixtures); i++)
        {
          gsize len;
          g_autofree char *text = read_fixture (request_fixtures[i].file, &len);
          g_autofree char *name = g_path_get_basename (request_fixtures[i].file);

          add_seed (seeds, name, &request_fixtures[i].api, 1, text, len);
        }
    }
  else if (g_str_equal (target, "sse"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (stream_fixtures); i++)
        for (guint8 stride = 0; stride < 3; stride++)
          {
            gsize len;
            g_autofree char *text = read_fixture (stream_fixtures[i].file, &len);
            g_autofree char *base = g_path_get_basename (stream_fixtures[i].file);
            g_autofree char *name = g_strdup_printf ("%s-%u", base, stride);
            guint8 prefix = stride * 5;

            add_seed (seeds, name, &prefix, 1, text, len);
          }
      {
        const char *crlf = "event: a\r\ndata: 1\r\n\r\n: comment\r\ndata: x\rdata: y\r\r";

        add_seed (seeds, "crlf", (const guint8 *) "\x03", 1, crlf, strlen (crlf));
      }
    }
  else if (g_str_equal (target, "translate-request"))
    {
      for (guint i = 0; i < 3; i++)
        for (guint8 to = 0; to < 3; to++)
          {
            gsize len;
            g_autofree char *text = read_fixture (request_fixtures[i].file, &len);
            g_autofree char *base = g_path_get_basename (request_fixtures[i].file);
            g_autofree char *name = g_strdup_printf ("%s-to-%u", base, to);
            guint8 prefix[2] = { (guint8) (request_fixtures[i].api | ((i + to) << 4)), (guint8) (to | (to == 1 ? 0x80 : 0)) };

            add_seed (seeds, name, prefix, 2, text, len);
          }
    }
  else if (g_str_equal (target, "translate-response"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (response_seeds); i++)
        for (guint8 to = 0; to < 3; to++)
          {
            g_autofree char *name = g_strdup_printf ("response-%u-to-%u", i, to);
            guint8 prefix[2] = { response_seeds[i].api, to };

            add_seed (seeds, name, prefix, 2, response_seeds[i].text, strlen (response_seeds[i].text));
          }
    }
  else if (g_str_equal (target, "translate-stream"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (stream_fixtures); i++)
        for (guint8 to = 0; to < 3; to++)
          {
            gsize len;
            g_autofree char *text = read_fixture (stream_fixtures[i].file, &len);
            g_autofree char *base = g_path_get_basename (stream_fixtures[i].file);
            g_autofree char *name = g_strdup_printf ("%s-to-%u", base, to);
            guint8 prefix[2] = { stream_fixtures[i].api, to };

            add_seed (seeds, name, prefix, 2, text, len);
          }
    }
  else if (g_str_equal (target, "guard"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (guard_seeds); i++)
        {
          g_autofree char *name = g_strdup_printf ("headers-%u", i);

          /* The first byte may be NUL: count from the second. */
          add_seed (seeds, name, (const guint8 *) guard_seeds[i], 1,
                    guard_seeds[i] + 1, strlen (guard_seeds[i] + 1));
        }
    }

  return seeds;
}

/* Saved inputs: fuzz/corpus/<target>/ (regressions and hand-made seeds). */
static void
add_saved (GPtrArray  *seeds,
           const char *target)
{
  g_autofree char *dir_path = g_build_filename (pm_test_source_dir (), "fuzz", "corpus", target, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autoptr(GError) error = NULL;
      char *contents = NULL;
      gsize len = 0;
      Seed *seed;

      if (name[0] == '.' || g_str_has_suffix (name, ".md"))
        continue;
      g_file_get_contents (path, &contents, &len, &error);
      g_assert_no_error (error);
      seed = g_new0 (Seed, 1);
      seed->name = g_strdup_printf ("corpus/%s", name);
      seed->bytes = g_bytes_new_take (contents, len);
      g_ptr_array_add (seeds, seed);
    }
}

static GBytes *
mutate (GRand  *rand,
        GBytes *base,
        GBytes *other)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (base, &len);
  GByteArray *out = g_byte_array_sized_new (len + 16);
  guint kind = g_rand_int_range (rand, 0, 6);

  g_byte_array_append (out, data, len);
  if (len == 0)
    return g_byte_array_free_to_bytes (out);

  switch (kind)
    {
    case 0:   /* truncate (keeps the prefix bytes most of the time) */
      g_byte_array_set_size (out, g_rand_int_range (rand, 0, (gint32) len + 1));
      break;
    case 1:   /* flip bits */
      for (guint i = 0; i < 4; i++)
        out->data[g_rand_int_range (rand, 0, (gint32) len)] ^= 1 << g_rand_int_range (rand, 0, 8);
      break;
    case 2:   /* interesting bytes */
      {
        static const guint8 interesting[] = { '"', '\\', '{', '}', '[', ']', ':', ',', '\n', '\r', 0, 0xff, 0xc3 };

        for (guint i = 0; i < 4; i++)
          out->data[g_rand_int_range (rand, 0, (gint32) len)] =
            interesting[g_rand_int_range (rand, 0, G_N_ELEMENTS (interesting))];
      }
      break;
    case 3:   /* delete a range */
      {
        guint at = g_rand_int_range (rand, 0, (gint32) len);
        guint n = g_rand_int_range (rand, 1, (gint32) MIN (len - at, 64) + 1);

        g_byte_array_remove_range (out, at, n);
      }
      break;
    case 4:   /* duplicate a range */
      {
        guint at = g_rand_int_range (rand, 0, (gint32) len);
        guint n = g_rand_int_range (rand, 1, (gint32) MIN (len - at, 256) + 1);
        g_autofree guint8 *copy = g_memdup2 (data + at, n);

        for (guint r = 0; r < 3; r++)
          g_byte_array_append (out, copy, n);
      }
      break;
    default:  /* splice with another seed */
      {
        gsize other_len;
        const guint8 *other_data = g_bytes_get_data (other, &other_len);
        guint cut = g_rand_int_range (rand, 0, (gint32) len);
        guint from = other_len ? g_rand_int_range (rand, 0, (gint32) other_len) : 0;

        g_byte_array_set_size (out, cut);
        g_byte_array_append (out, other_data + from, other_len - from);
      }
      break;
    }

  return g_byte_array_free_to_bytes (out);
}

static guint
mutations_per_seed (void)
{
  const char *env = g_getenv ("PM_FUZZ_REPLAY_MUTATIONS");

  if (env != NULL)
    return (guint) g_ascii_strtoull (env, NULL, 10);
  return 150;
}

static void
test_target (gconstpointer data)
{
  const PmFuzzTarget *target = data;
  g_autoptr(GPtrArray) seeds = build_seeds (target->name);
  g_autoptr(GRand) rand = g_rand_new_with_seed (0x5eed + strlen (target->name));
  guint n_mutations = mutations_per_seed ();
  guint runs = 0;

  add_saved (seeds, target->name);
  g_assert_cmpuint (seeds->len, >, 0);

  for (guint i = 0; i < seeds->len; i++)
    {
      Seed *seed = g_ptr_array_index (seeds, i);
      gsize len;
      const guint8 *bytes = g_bytes_get_data (seed->bytes, &len);

      g_test_message ("%s: %s (%" G_GSIZE_FORMAT " bytes)", target->name, seed->name, len);
      g_assert_cmpint (target->func (bytes, len), ==, 0);
      runs++;
    }

  for (guint i = 0; i < seeds->len; i++)
    {
      Seed *seed = g_ptr_array_index (seeds, i);
      Seed *other = g_ptr_array_index (seeds, (i + 1) % seeds->len);

      for (guint m = 0; m < n_mutations; m++)
        {
          g_autoptr(GBytes) input = mutate (rand, seed->bytes, other->bytes);
          gsize len;
          const guint8 *bytes = g_bytes_get_data (input, &len);

          g_assert_cmpint (target->func (bytes ? bytes : (const guint8 *) "", len), ==, 0);
          runs++;
        }
    }

  g_test_message ("%s: %u inputs", target->name, runs);
}

static int
write_seeds (const char *dir)
{
  for (const PmFuzzTarget *t = pm_fuzz_targets; t->name != NULL; t++)
    {
      g_autofree char *target_dir = g_build_filename (dir, t->name, NULL);
      g_autoptr(GPtrArray) seeds = build_seeds (t->name);

      g_mkdir_with_parents (target_dir, 0755);
      for (guint i = 0; i < seeds->len; i++)
        {
          Seed *seed = g_ptr_array_index (seeds, i);
          g_autofree char *path = g_build_filename (target_dir, seed->name, NULL);
          g_autoptr(GError) error = NULL;
          gsize len;
          const char *bytes = g_bytes_get_data (seed->bytes, &len);

          if (!g_file_set_contents (path, bytes, len, &error))
            {
              g_printerr ("%s\n", error->message);
              return 1;
            }
        }
    }

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--write-seeds"))
    return write_seeds (argv[2]);

  g_test_init (&argc, &argv, NULL);

  for (const PmFuzzTarget *t = pm_fuzz_targets; t->name != NULL; t++)
    {
      g_autofree char *path = g_strdup_printf ("/pm/fuzz-replay/%s", t->name);

      g_test_add_data_func (path, t, test_target);
    }

  return g_test_run ();
}
