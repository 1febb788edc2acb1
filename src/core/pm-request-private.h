/* pm-request-private.h — what the router reads from a parsed request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "pm-request.h"

G_BEGIN_DECLS

/* Which part of the prompt a prefix mark closes. The cached prefix always runs
 * tools → system → messages, whatever the client API. */
typedef enum
{
  PM_SECTION_TOOLS = 0,
  PM_SECTION_SYSTEM,
  PM_SECTION_MESSAGES,
} PmSection;

/* A block boundary: the hash of everything before it (chained) and the tokens up to it. */
typedef struct
{
  guint64   hash;
  gint64    tokens;
  guint8    section;          /* PmSection */
  guint8    breakpoint;       /* a cache_control breakpoint ends here (Anthropic) */
  guint8    ttl_1h;           /* that breakpoint asked for the 1 h TTL */
  guint8    padding;
  guint     message;          /* index of the message it closes (messages section) */
  guint     blocks;           /* content blocks (tools, system blocks, message blocks) before it */
} PmPrefixMark;

typedef struct
{
  gint64    tools_tokens;
  gint64    system_tokens;
  gint64    messages_tokens;
  gint64    last_turn_tokens;       /* tokens of the newest user/tool content */
  gint64    image_count;
  guint     n_messages;
  guint     n_user_turns;           /* user messages with real text (not only tool results) */
  guint     n_assistant_turns;
  guint     n_tools;
  guint     n_tool_results;
  guint     n_tool_errors;          /* in the whole history */
  guint     tail_tool_errors;       /* consecutive failing tool results, newest first */
  guint     recent_tool_errors;     /* failing among the last 8 tool results */
  guint     repeated_call;          /* times the newest tool call appeared before (same name+input) */
  guint     breakpoints;            /* cache_control markers seen */
  gboolean  has_1h_ttl;
  gboolean  top_level_cache;        /* Anthropic top-level cache_control (automatic breakpoint) */
  gboolean  stack_trace;
  gboolean  failing_tests;
  gboolean  nonzero_exit;
  gboolean  think_cue;
  gboolean  planning_cue;
  gboolean  user_correction;
  gboolean  interrupted;
  gboolean  web_search;
  gboolean  orphan_tool_use;        /* a tool call without its result in the next turn */
  gboolean  thinking_in_turn;       /* signed thinking after the last real user message */
  gboolean  thinking_enabled;       /* the request itself asks for thinking */
  gint64    thinking_budget;
  guint64   system_hash;
  guint64   first_user_hash;
  const char *kind_reason;          /* static string: why the kind was chosen */
  const char *agent_reason;
  const char *session_source;       /* "header", "metadata", "prompt_cache_key", "hash" … */
} PmRequestFeatures;

const PmRequestFeatures *pm_request_get_features      (PmRequest  *self);
/* Block-boundary marks, in prompt order (tools, system, messages). */
const PmPrefixMark      *pm_request_get_marks         (PmRequest  *self,
                                                       guint      *n_marks);
/* Text of the newest user message (tool results excluded), or NULL. */
char                    *pm_request_dup_last_user_text (PmRequest *self);

/* Fast token estimate of a UTF-8 string, no tokenizer file. */
gint64                   pm_estimate_tokens           (const char *text,
                                                       gsize       length);

/* 64-bit mixing used by the prefix chain and the sessions. */
static inline guint64
pm_hash_mix (guint64 h,
             guint64 v)
{
  h ^= v + G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  return h;
}

G_END_DECLS
