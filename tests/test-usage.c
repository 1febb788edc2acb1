/* test-usage.c — usage parsing for each API, streamed and not, and cost maths
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "pm-catalog.h"
#include "pm-sse.h"
#include "pm-test-utils.h"
#include "pm-usage.h"

static PmCatalog *catalog;

static const PmModelInfo *
model (const char *id)
{
  const PmModelInfo *info = pm_catalog_lookup (catalog, id);

  g_assert_nonnull (info);
  return info;
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *json)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

typedef struct
{
  PmUsage *usage;
  PmApi    api;
  guint    events;
} StreamData;

static gboolean
on_event (const char *event,
          const char *data,
          gsize       data_len,
          gpointer    user_data)
{
  StreamData *stream = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();

  stream->events++;
  if (g_str_equal (data, "[DONE]"))
    return TRUE;
  g_assert_true (json_parser_load_from_data (parser, data, data_len, NULL));
  pm_usage_feed_event (stream->usage, stream->api, event,
                       json_node_get_object (json_parser_get_root (parser)));
  return TRUE;
}

/* Feed an SSE body through the real parser, in small slices like a network would. */
static guint
feed_stream (PmUsage    *usage,
             PmApi       api,
             const char *body)
{
  g_autoptr(PmSseParser) parser = pm_sse_parser_new ();
  StreamData stream = { usage, api, 0 };
  gsize len = strlen (body);

  for (gsize off = 0; off < len; off += 7)
    pm_sse_parser_feed (parser, body + off, MIN (7, len - off), on_event, &stream);
  g_assert_cmpuint (pm_sse_parser_pending (parser), ==, 0);
  return stream.events;
}

static void
test_anthropic_stream (void)
{
  /* message_start carries input and cache fields; message_delta usage is cumulative. */
  const char *body =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,"
    "\"usage\":{\"input_tokens\":1200,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":50000,"
    "\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000},\"output_tokens\":1}}}\n\n"
    "event: ping\ndata: {\"type\":\"ping\"}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":null},\"usage\":{\"output_tokens\":350}}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
    "\"usage\":{\"input_tokens\":1200,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":50000,"
    "\"output_tokens\":800,\"output_tokens_details\":{\"thinking_tokens\":120}}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  PmUsage usage;

  pm_usage_init (&usage);
  g_assert_false (usage.seen);
  g_assert_cmpfloat (usage.reported_cost, <, 0);

  g_assert_cmpuint (feed_stream (&usage, PM_API_ANTHROPIC, body), ==, 8);

  g_assert_true (usage.seen);
  g_assert_cmpint (usage.input, ==, 1200);
  g_assert_cmpint (usage.cache_read, ==, 50000);
  /* The last delta repeats the creation total without a breakdown: the 5m/1h split from
   * message_start stays, since the total agrees with it. */
  g_assert_cmpint (usage.cache_write_5m, ==, 1000);
  g_assert_cmpint (usage.cache_write_1h, ==, 2000);
  g_assert_cmpint (usage.output, ==, 800);
  g_assert_cmpint (usage.reasoning, ==, 120);
  g_assert_cmpint (pm_usage_prompt_total (&usage), ==, 54200);
}

static void
test_anthropic_stream_breakdown (void)
{
  const char *body =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1200,"
    "\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":50000,"
    "\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000},"
    "\"output_tokens\":1}}}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":800}}\n\n";
  PmUsage usage;
  double cost;

  pm_usage_init (&usage);
  feed_stream (&usage, PM_API_ANTHROPIC, body);

  g_assert_cmpint (usage.cache_write_5m, ==, 1000);
  g_assert_cmpint (usage.cache_write_1h, ==, 2000);
  g_assert_cmpint (usage.output, ==, 800);

  /* Sonnet 4.5 by hand: 1200·3 + 1000·3.75 + 2000·6 + 50000·0.30 + 800·15 per 1M
   * = 3600 + 3750 + 12000 + 15000 + 12000 = 46350 µ$ → $0.04635 */
  cost = pm_usage_cost (&usage, model ("claude-sonnet-4-5"));
  g_assert_cmpfloat_with_epsilon (cost, 0.04635, 1e-12);

  /* Haiku 4.5 for the same usage: 1200·1 + 1000·1.25 + 2000·2 + 50000·0.1 + 800·5
   * = 1200 + 1250 + 4000 + 5000 + 4000 = 15450 µ$ */
  cost = pm_usage_cost (&usage, model ("claude-haiku-4-5"));
  g_assert_cmpfloat_with_epsilon (cost, 0.01545, 1e-12);
}

static void
test_anthropic_response (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *response;
  PmUsage usage;

  /* No creation breakdown: all creation is billed as 5m (PROTOCOLS.md). */
  response = parse_object (parser,
    "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],"
    "\"model\":\"claude-opus-4-6\",\"stop_reason\":\"end_turn\","
    "\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":5000,\"cache_read_input_tokens\":0,"
    "\"output_tokens\":20,\"service_tier\":\"standard\"}}");

  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_ANTHROPIC, response);
  g_assert_true (usage.seen);
  g_assert_cmpint (usage.input, ==, 10);
  g_assert_cmpint (usage.cache_write_5m, ==, 5000);
  g_assert_cmpint (usage.cache_write_1h, ==, 0);
  g_assert_cmpint (usage.output, ==, 20);
  g_assert_cmpint (usage.reasoning, ==, 0);

  /* Opus 4.6: 10·5 + 5000·6.25 + 20·25 = 50 + 31250 + 500 = 31800 µ$ */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("claude-opus-4-6")), 0.0318, 1e-12);
  g_assert_cmpint (usage.web_search_requests, ==, 0);

  /* Server-side web searches are billed per search ($10 per 1,000). */
  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_ANTHROPIC, parse_object (parser,
    "{\"type\":\"message\",\"usage\":{\"input_tokens\":100,\"output_tokens\":10,"
    "\"server_tool_use\":{\"web_search_requests\":3,\"web_fetch_requests\":0}}}"));
  g_assert_cmpint (usage.web_search_requests, ==, 3);
  /* Sonnet 4.5: 100·3 + 10·15 = 450 µ$, + 3 × $0.01 */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("claude-sonnet-4-5")), 0.03045, 1e-12);
  {
    g_autoptr(JsonNode) node = pm_usage_to_json (&usage);

    g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "web_search_requests"), ==, 3);
  }
}

static void
test_chat_stream (void)
{
  const char *body =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":10000,\"completion_tokens\":500,\"total_tokens\":10500,"
    "\"prompt_tokens_details\":{\"cached_tokens\":8000},\"completion_tokens_details\":{\"reasoning_tokens\":300}}}\n\n"
    "data: [DONE]\n\n";
  PmUsage usage;

  pm_usage_init (&usage);
  g_assert_cmpuint (feed_stream (&usage, PM_API_OPENAI_CHAT, body), ==, 5);
  g_assert_true (usage.seen);
  g_assert_cmpint (usage.input, ==, 2000);
  g_assert_cmpint (usage.cache_read, ==, 8000);
  g_assert_cmpint (usage.cache_write_5m, ==, 0);
  g_assert_cmpint (usage.output, ==, 500);
  g_assert_cmpint (usage.reasoning, ==, 300);
  g_assert_cmpint (pm_usage_prompt_total (&usage), ==, 10000);

  /* GPT-5 mini: 2000·0.25 + 8000·0.025 + 500·2 = 500 + 200 + 1000 = 1700 µ$ */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("gpt-5-mini")), 0.0017, 1e-12);
}

static void
test_chat_stream_without_usage (void)
{
  const char *body =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";
  PmUsage usage;

  pm_usage_init (&usage);
  feed_stream (&usage, PM_API_OPENAI_CHAT, body);
  g_assert_false (usage.seen);
  g_assert_cmpint (pm_usage_prompt_total (&usage), ==, 0);
  g_assert_cmpfloat (pm_usage_cost (&usage, model ("gpt-5")), ==, 0.0);
}

static void
test_chat_response_deepseek (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  PmUsage usage;

  /* DeepSeek reports the cache as hit/miss counts. */
  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_OPENAI_CHAT, parse_object (parser,
    "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"deepseek-chat\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":50,\"total_tokens\":1050,"
    "\"prompt_cache_hit_tokens\":600,\"prompt_cache_miss_tokens\":400}}"));
  g_assert_cmpint (usage.input, ==, 400);
  g_assert_cmpint (usage.cache_read, ==, 600);
  g_assert_cmpint (usage.output, ==, 50);

  /* 400·0.28 + 600·0.028 + 50·0.42 = 112 + 16.8 + 21 = 149.8 µ$ */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("deepseek-chat")), 0.0001498, 1e-12);

  /* Only hit/miss, no prompt_tokens: the prompt is their sum. */
  pm_usage_init (&usage);
  pm_usage_merge_json (&usage, PM_API_OPENAI_CHAT, parse_object (parser,
    "{\"completion_tokens\":7,\"prompt_cache_hit_tokens\":64,\"prompt_cache_miss_tokens\":36}"));
  g_assert_cmpint (usage.input, ==, 36);
  g_assert_cmpint (usage.cache_read, ==, 64);
}

static void
test_chat_openrouter (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  PmUsage usage;
  double cost;

  /* OpenRouter: cache writes for Claude routes, its own cost. */
  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_OPENAI_CHAT, parse_object (parser,
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":5000,\"completion_tokens\":100,"
    "\"prompt_tokens_details\":{\"cached_tokens\":1000,\"cache_write_tokens\":3000},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":0},\"cost\":0.0123,"
    "\"cost_details\":{\"upstream_inference_cost\":0.0123}}}"));
  g_assert_cmpint (usage.input, ==, 1000);
  g_assert_cmpint (usage.cache_read, ==, 1000);
  g_assert_cmpint (usage.cache_write_5m, ==, 3000);
  g_assert_cmpfloat (usage.reported_cost, ==, 0.0123);

  /* pm_usage_cost ignores the reported cost: Sonnet 4.5 1000·3 + 1000·0.3 + 3000·3.75 + 100·15
   * = 3000 + 300 + 11250 + 1500 = 16050 µ$ */
  cost = pm_usage_cost (&usage, model ("claude-sonnet-4-5"));
  g_assert_cmpfloat_with_epsilon (cost, 0.01605, 1e-12);

  /* A model without a write price bills writes as input: gpt-5 1000·1.25 + 1000·0.125 +
   * 3000·1.25 + 100·10 = 1250 + 125 + 3750 + 1000 = 6125 µ$ */
  cost = pm_usage_cost (&usage, model ("gpt-5"));
  g_assert_cmpfloat_with_epsilon (cost, 0.006125, 1e-12);
}

/* A gateway in front of Gemini that leaves the thought tokens out of completion_tokens:
 * total_tokens tells, and reasoning is billed as output. A consistent report is left alone. */
static void
test_chat_reasoning_outside_completion (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  PmUsage usage;

  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_OPENAI_CHAT, parse_object (parser,
    "{\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":151,\"total_tokens\":553,"
    "\"completion_tokens_details\":{\"reasoning_tokens\":382}}}"));
  g_assert_cmpint (usage.output, ==, 533);
  g_assert_cmpint (usage.reasoning, ==, 382);
  /* Gemini 2.5 Flash: 20·0.30 + 533·2.50 = 6 + 1332.5 µ$ */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("gemini-2.5-flash")), 0.0013385, 1e-12);

  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_OPENAI_CHAT, parse_object (parser,
    "{\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":533,\"total_tokens\":553,"
    "\"completion_tokens_details\":{\"reasoning_tokens\":382}}}"));
  g_assert_cmpint (usage.output, ==, 533);

  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_OPENAI_RESPONSES, parse_object (parser,
    "{\"usage\":{\"input_tokens\":21,\"output_tokens\":0,\"total_tokens\":81,"
    "\"output_tokens_details\":{\"reasoning_tokens\":60}}}"));
  g_assert_cmpint (usage.output, ==, 60);

  /* prompt_tokens smaller than the cached count cannot include it (a gateway passing on
   * Anthropic's uncached input): the cached tokens are kept, not clamped away. */
  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_OPENAI_CHAT, parse_object (parser,
    "{\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":40,"
    "\"prompt_tokens_details\":{\"cached_tokens\":30000,\"cache_write_tokens\":2000}}}"));
  g_assert_cmpint (usage.input, ==, 12);
  g_assert_cmpint (usage.cache_read, ==, 30000);
  g_assert_cmpint (usage.cache_write_5m, ==, 2000);
  g_assert_cmpint (pm_usage_prompt_total (&usage), ==, 32012);
}

static void
test_responses_stream (void)
{
  const char *body =
    "event: response.created\n"
    "data: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"usage\":null}}\n\n"
    "event: response.in_progress\n"
    "data: {\"type\":\"response.in_progress\",\"sequence_number\":1,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"usage\":null}}\n\n"
    "event: response.output_item.added\n"
    "data: {\"type\":\"response.output_item.added\",\"sequence_number\":2,\"output_index\":0,\"item\":{\"type\":\"message\",\"id\":\"m1\"}}\n\n"
    "event: response.output_text.delta\n"
    "data: {\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"item_id\":\"m1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n\n"
    "event: response.completed\n"
    "data: {\"type\":\"response.completed\",\"sequence_number\":4,\"response\":{\"id\":\"resp_1\",\"status\":\"completed\","
    "\"usage\":{\"input_tokens\":5000,\"input_tokens_details\":{\"cached_tokens\":4096},"
    "\"output_tokens\":1200,\"output_tokens_details\":{\"reasoning_tokens\":1000},\"total_tokens\":6200}}}\n\n";
  PmUsage usage;

  pm_usage_init (&usage);
  g_assert_cmpuint (feed_stream (&usage, PM_API_OPENAI_RESPONSES, body), ==, 5);
  g_assert_true (usage.seen);
  g_assert_cmpint (usage.input, ==, 904);
  g_assert_cmpint (usage.cache_read, ==, 4096);
  g_assert_cmpint (usage.output, ==, 1200);
  g_assert_cmpint (usage.reasoning, ==, 1000);

  /* GPT-5: 904·1.25 + 4096·0.125 + 1200·10 = 1130 + 512 + 12000 = 13642 µ$ */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("gpt-5")), 0.013642, 1e-12);
}

static void
test_responses_incomplete_failed (void)
{
  static const char *events[] = { "response.incomplete", "response.failed" };

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autofree char *body = g_strdup_printf (
        "event: %s\n"
        "data: {\"type\":\"%s\",\"response\":{\"status\":\"incomplete\","
        "\"incomplete_details\":{\"reason\":\"max_output_tokens\"},"
        "\"usage\":{\"input_tokens\":300,\"input_tokens_details\":{\"cached_tokens\":0},"
        "\"output_tokens\":64,\"output_tokens_details\":{\"reasoning_tokens\":64}}}}\n\n",
        events[i], events[i]);
      PmUsage usage;

      pm_usage_init (&usage);
      feed_stream (&usage, PM_API_OPENAI_RESPONSES, body);
      g_assert_true (usage.seen);
      g_assert_cmpint (usage.input, ==, 300);
      g_assert_cmpint (usage.output, ==, 64);
      g_assert_cmpint (usage.reasoning, ==, 64);
    }
}

static void
test_responses_response (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  PmUsage usage;

  pm_usage_init (&usage);
  pm_usage_feed_response (&usage, PM_API_OPENAI_RESPONSES, parse_object (parser,
    "{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"completed\",\"output\":[],"
    "\"usage\":{\"input_tokens\":20000,\"input_tokens_details\":{\"cached_tokens\":19000,\"cache_write_tokens\":500},"
    "\"output_tokens\":40,\"output_tokens_details\":{\"reasoning_tokens\":0}}}"));
  g_assert_cmpint (usage.input, ==, 500);
  g_assert_cmpint (usage.cache_read, ==, 19000);
  g_assert_cmpint (usage.cache_write_5m, ==, 500);
  g_assert_cmpint (usage.output, ==, 40);
  g_assert_cmpint (pm_usage_prompt_total (&usage), ==, 20000);
}

static void
test_long_context_tier (void)
{
  PmUsage usage;

  /* Above 200k prompt tokens Sonnet 4.5 bills every token at the long rates. */
  pm_usage_init (&usage);
  usage.input = 10000;
  usage.cache_read = 240000;
  usage.output = 1000;
  /* 10000·6 + 240000·0.6 + 1000·22.5 = 60000 + 144000 + 22500 = 226500 µ$ */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("claude-sonnet-4-5")), 0.2265, 1e-12);

  /* Exactly at the threshold: still the base tier. 200000·3 + 1000·15 = 615000 µ$ */
  pm_usage_init (&usage);
  usage.input = 200000;
  usage.output = 1000;
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("claude-sonnet-4-5")), 0.615, 1e-12);

  /* One more token crosses it: 200001·6 + 1000·22.5 = 1222506 µ$ */
  usage.input = 200001;
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("claude-sonnet-4-5")), 1.222506, 1e-12);

  /* The tier counts cache writes too: 150000 input + 60000 written (1h) → long. */
  pm_usage_init (&usage);
  usage.input = 150000;
  usage.cache_write_1h = 60000;
  /* 150000·6 + 60000·12 = 900000 + 720000 µ$ */
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("claude-sonnet-4-5")), 1.62, 1e-12);

  /* Gemini 2.5 Pro above 200k: 250000·2.5 + 2000·15 = 625000 + 30000 µ$ */
  pm_usage_init (&usage);
  usage.input = 250000;
  usage.output = 2000;
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("gemini-2.5-pro")), 0.655, 1e-12);

  /* A model without tiers: Opus 4.6, 500000·5 = 2.5 $ */
  pm_usage_init (&usage);
  usage.input = 500000;
  g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, model ("claude-opus-4-6")), 2.5, 1e-12);
}

static void
test_to_json (void)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;
  PmUsage usage;

  pm_usage_init (&usage);
  usage.input = 1;
  usage.cache_read = 2;
  usage.cache_write_5m = 3;
  usage.cache_write_1h = 4;
  usage.output = 5;
  usage.reasoning = 6;
  usage.seen = TRUE;
  usage.reported_cost = 0.5;

  node = pm_usage_to_json (&usage);
  object = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (object, "input"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object, "cache_read"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (object, "cache_write_5m"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (object, "cache_write_1h"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (object, "output"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (object, "reasoning"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (object, "prompt_total"), ==, 10);
  g_assert_cmpfloat (json_object_get_double_member (object, "reported_cost"), ==, 0.5);

  g_clear_pointer (&node, json_node_unref);
  usage.reported_cost = -1;
  node = pm_usage_to_json (&usage);
  g_assert_false (json_object_has_member (json_node_get_object (node), "reported_cost"));
}

static void
test_garbage (void)
{
  static const char *inputs[] = {
    "{}",
    "{\"usage\": null}",
    "{\"usage\": \"lots\"}",
    "{\"usage\": {\"input_tokens\": \"12\", \"output_tokens\": true}}",
    "{\"usage\": {\"input_tokens\": -5, \"prompt_tokens\": -7, \"cache_creation\": 3}}",
    "{\"usage\": {\"prompt_tokens\": 10, \"prompt_tokens_details\": {\"cached_tokens\": 50}}}",
    "{\"usage\": {\"input_tokens\": 1e300}}",
    "{\"message\": 5, \"response\": [], \"type\": 3}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      for (PmApi api = 0; api < PM_API_LAST; api++)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *object = parse_object (parser, inputs[i]);
          PmUsage usage;

          pm_usage_init (&usage);
          pm_usage_feed_response (&usage, api, object);
          pm_usage_feed_event (&usage, api, NULL, object);
          pm_usage_feed_event (&usage, api, "message_start", object);
          pm_usage_feed_event (&usage, api, "response.completed", object);
          g_assert_cmpint (usage.input, >=, 0);
          g_assert_cmpint (usage.cache_read, >=, 0);
          g_assert_cmpint (usage.cache_write_5m, >=, 0);
          g_assert_cmpint (usage.output, >=, 0);
          g_assert_cmpint (pm_usage_prompt_total (&usage), >=, 0);
          g_assert_cmpfloat (pm_usage_cost (&usage, model ("gpt-5")), >=, 0);
        }
    }
}

/* Real usage recorded by Claude Code (../shared/data/claude_code_transcripts, read at test
 * time): every assistant message's usage parses to the same token counts, and its cost is
 * what the published prices say. */
static void
test_transcripts (void)
{
  g_autofree char *dir = g_build_filename (pm_test_shared_data (), "claude_code_transcripts", NULL);
  g_autoptr(GDir) listing = NULL;
  const char *name;
  guint messages = 0;
  guint with_1h = 0;
  double total = 0;

  listing = g_dir_open (dir, 0, NULL);
  if (listing == NULL)
    {
      g_test_skip ("claude_code_transcripts not found under PM_SHARED_DATA");
      return;
    }

  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_str_has_suffix (name, ".jsonl"))
        continue;
      path = g_build_filename (dir, name, NULL);
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      lines = g_strsplit (contents, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *line;
          JsonObject *message;
          JsonObject *raw;
          const PmModelInfo *info;
          const char *model_name;
          PmUsage usage;
          gint64 creation;
          gint64 w1h = 0;
          gint64 w5m = 0;
          double expected;

          if (*lines[i] == '\0' || !json_parser_load_from_data (parser, lines[i], -1, NULL))
            continue;
          line = json_node_get_object (json_parser_get_root (parser));
          if (g_strcmp0 (json_object_get_string_member_with_default (line, "type", ""), "assistant") != 0 ||
              !json_object_has_member (line, "message"))
            continue;
          message = json_object_get_object_member (line, "message");
          if (message == NULL || !json_object_has_member (message, "usage"))
            continue;
          raw = json_object_get_object_member (message, "usage");
          model_name = json_object_get_string_member_with_default (message, "model", "");
          info = pm_catalog_lookup (catalog, model_name);
          if (info == NULL)
            {
              /* "<synthetic>" messages Claude Code writes itself */
              g_assert_true (model_name[0] == '<');
              continue;
            }

          pm_usage_init (&usage);
          pm_usage_merge_json (&usage, PM_API_ANTHROPIC, raw);

          creation = json_object_get_int_member_with_default (raw, "cache_creation_input_tokens", 0);
          if (json_object_has_member (raw, "cache_creation"))
            {
              JsonObject *split = json_object_get_object_member (raw, "cache_creation");

              w1h = json_object_get_int_member_with_default (split, "ephemeral_1h_input_tokens", 0);
              w5m = creation - w1h;
            }
          else
            w5m = creation;

          g_assert_cmpint (usage.input, ==, json_object_get_int_member (raw, "input_tokens"));
          g_assert_cmpint (usage.cache_read, ==, json_object_get_int_member_with_default (raw, "cache_read_input_tokens", 0));
          g_assert_cmpint (usage.cache_write_1h, ==, w1h);
          g_assert_cmpint (usage.cache_write_5m, ==, w5m);
          g_assert_cmpint (usage.output, ==, json_object_get_int_member (raw, "output_tokens"));
          g_assert_cmpint (pm_usage_prompt_total (&usage), ==,
                           json_object_get_int_member (raw, "input_tokens") + creation +
                           json_object_get_int_member_with_default (raw, "cache_read_input_tokens", 0));

          /* Priced independently here from PROTOCOLS.md §1 multipliers on the input price. */
          expected = json_object_get_int_member (raw, "input_tokens") * info->input +
                     w5m * info->input * 1.25 +
                     w1h * info->input * 2.0 +
                     usage.cache_read * info->input * 0.1 +
                     usage.output * info->output +
                     usage.web_search_requests * 0.01;
          if (!pm_model_info_is_long (info, pm_usage_prompt_total (&usage)))
            g_assert_cmpfloat_with_epsilon (pm_usage_cost (&usage, info), expected, 1e-9);

          total += pm_usage_cost (&usage, info);
          messages++;
          if (w1h > 0)
            with_1h++;
        }
    }

  g_test_message ("%u assistant messages, %u with 1h cache writes, $%.4f", messages, with_1h, total);
  g_assert_cmpuint (messages, >, 100);
  g_assert_cmpuint (with_1h, >, 0);
  g_assert_cmpfloat (total, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  path = g_build_filename (pm_test_source_dir (), "data", "catalog.json", NULL);
  catalog = pm_catalog_new_from_file (path, &error);
  g_assert_no_error (error);

  g_test_add_func ("/pm/usage/anthropic-stream", test_anthropic_stream);
  g_test_add_func ("/pm/usage/anthropic-stream-breakdown", test_anthropic_stream_breakdown);
  g_test_add_func ("/pm/usage/anthropic-response", test_anthropic_response);
  g_test_add_func ("/pm/usage/chat-stream", test_chat_stream);
  g_test_add_func ("/pm/usage/chat-stream-without-usage", test_chat_stream_without_usage);
  g_test_add_func ("/pm/usage/chat-response-deepseek", test_chat_response_deepseek);
  g_test_add_func ("/pm/usage/chat-openrouter", test_chat_openrouter);
  g_test_add_func ("/pm/usage/chat-reasoning-outside-completion", test_chat_reasoning_outside_completion);
  g_test_add_func ("/pm/usage/responses-stream", test_responses_stream);
  g_test_add_func ("/pm/usage/responses-incomplete-failed", test_responses_incomplete_failed);
  g_test_add_func ("/pm/usage/responses-response", test_responses_response);
  g_test_add_func ("/pm/usage/long-context-tier", test_long_context_tier);
  g_test_add_func ("/pm/usage/to-json", test_to_json);
  g_test_add_func ("/pm/usage/garbage", test_garbage);
  g_test_add_func ("/pm/usage/transcripts", test_transcripts);

  ret = g_test_run ();
  g_clear_object (&catalog);
  return ret;
}
