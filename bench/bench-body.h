/* bench-body.h — the Claude Code–shaped request bodies the decision and parse benchmarks share
 *
 * A system prompt with the billing line and a 1 h breakpoint, 12 tools, then a tool loop of
 * `messages` messages whose tool results hold `tokens_per_message` words each.
 * escaped_newlines: write line breaks in tool output as \\n (strict JSON, as clients send it)
 * rather than raw newlines (which json-glib accepts; bench-decide's historical bodies).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

static const char *words[] = {
  "the", "value", "parser", "returns", "a", "list", "of", "tokens", "for", "each", "line",
  "when", "input", "is", "empty", "we", "skip", "it", "and", "log", "nothing", "else",
  "def", "return", "self", "if", "None", "(", ")", ":", "=", "import", "from",
};

static inline char *
bench_make_body (guint    messages,
                 guint    tokens_per_message,
                 gboolean escaped_newlines)
{
  GString *s = g_string_new ("{\"model\":\"pointsman/auto\",\"max_tokens\":32000,\"stream\":true,"
                             "\"metadata\":{\"user_id\":\"user_x_account_y_session_bench-1\"},"
                             "\"tools\":[");

  for (guint t = 0; t < 12; t++)
    g_string_append_printf (s, "%s{\"name\":\"Tool%u\",\"description\":\"A tool that does thing number %u with care.\","
                               "\"input_schema\":{\"type\":\"object\",\"properties\":{\"arg\":{\"type\":\"string\"},"
                               "\"n\":{\"type\":\"integer\"}},\"required\":[\"arg\"]}}", t ? "," : "", t, t);
  g_string_append (s, "],\"system\":[{\"type\":\"text\",\"text\":\"x-anthropic-billing-header: cc_version=2.1.39\"},"
                      "{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.");
  for (guint i = 0; i < 3000; i++)
    {
      g_string_append (s, words[(i * 5) % G_N_ELEMENTS (words)]);
      g_string_append_c (s, ' ');
    }
  g_string_append (s, "\",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}],\"messages\":[");

  for (guint m = 0; m < messages; m++)
    {
      gboolean user = m % 2 == 0;

      if (m > 0)
        g_string_append_c (s, ',');
      if (m == 0)
        g_string_append (s, "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Fix the failing parser tests.\"}]}");
      else if (!user)
        g_string_append_printf (s, "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Checking step %u.\"},"
                                   "{\"type\":\"tool_use\",\"id\":\"toolu_%u\",\"name\":\"Tool%u\",\"input\":{\"arg\":\"src/file%u.py\"}}]}",
                                m, m, m % 12, m);
      else
        {
          g_string_append_printf (s, "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_%u\",\"content\":\"", m - 1);
          for (guint i = 0; i < tokens_per_message; i++)
            {
              g_string_append (s, words[(i * 7 + m) % G_N_ELEMENTS (words)]);
              if ((i % 12) == 11)
                g_string_append (s, escaped_newlines ? "\\n" : "\n");
              else
                g_string_append_c (s, ' ');
            }
          g_string_append_printf (s, "\"%s}]}", m + 1 == messages ? ",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}" : "");
        }
    }
  g_string_append (s, "]}");

  return g_string_free (s, FALSE);
}
