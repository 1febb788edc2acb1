/* pm-types.h — shared enums and forward declarations for the Pointsman core
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PmCatalog      PmCatalog;
typedef struct _PmConfig       PmConfig;
typedef struct _PmDecision     PmDecision;
typedef struct _PmKeyring      PmKeyring;
typedef struct _PmModelInfo    PmModelInfo;
typedef struct _PmObjective    PmObjective;
typedef struct _PmProxy        PmProxy;
typedef struct _PmRecord       PmRecord;
typedef struct _PmRequest      PmRequest;
typedef struct _PmRequestLog   PmRequestLog;
typedef struct _PmRouter       PmRouter;
typedef struct _PmStore        PmStore;
typedef struct _PmUsage        PmUsage;

/* Wire API families. The same enum names the client side and the upstream side. */
typedef enum
{
  PM_API_ANTHROPIC = 0,       /* Anthropic Messages */
  PM_API_OPENAI_CHAT,         /* OpenAI Chat Completions */
  PM_API_OPENAI_RESPONSES,    /* OpenAI Responses */
  PM_API_LAST
} PmApi;

typedef enum
{
  PM_EFFORT_UNSET = 0,        /* not specified: the model's own default */
  PM_EFFORT_NONE,
  PM_EFFORT_MINIMAL,
  PM_EFFORT_LOW,
  PM_EFFORT_MEDIUM,
  PM_EFFORT_HIGH,
  PM_EFFORT_XHIGH,
  PM_EFFORT_MAX,
  PM_EFFORT_LAST
} PmEffort;

typedef enum
{
  PM_AGENT_OTHER = 0,
  PM_AGENT_CLAUDE_CODE,
  PM_AGENT_CODEX,
  PM_AGENT_OPENCODE,
  PM_AGENT_AIDER,
  PM_AGENT_GEMINI_CLI,
  PM_AGENT_QWEN_CODE,
  PM_AGENT_LAST
} PmAgent;

/* What a request is, as far as routing goes. */
typedef enum
{
  PM_KIND_MAIN = 0,           /* a step of the main agent loop */
  PM_KIND_SUBAGENT,           /* a step of a sub-agent (own session and cache) */
  PM_KIND_BACKGROUND,         /* title, topic, quota probe, commit message … */
  PM_KIND_COMPACTION,         /* summary / compaction of the conversation */
  PM_KIND_LAST
} PmKind;

/* For main and sub-agent steps: what the latest turn asks for. */
typedef enum
{
  PM_STEP_CONTINUE = 0,       /* plain continuation */
  PM_STEP_INSTRUCTION,        /* a new user instruction */
  PM_STEP_PLANNING,           /* planning / design request */
  PM_STEP_TOOL_RESULT,        /* digesting tool results */
  PM_STEP_ERROR_RECOVERY,     /* tool errors, stack traces, failing tests */
  PM_STEP_THINK,              /* explicit "think hard" cues */
  PM_STEP_LAST
} PmStep;

const char *pm_api_to_string    (PmApi        api);
gboolean    pm_api_from_string  (const char  *str,
                                 PmApi       *api);
const char *pm_effort_to_string (PmEffort     effort);
PmEffort    pm_effort_from_string (const char *str);
const char *pm_agent_to_string  (PmAgent      agent);
const char *pm_kind_to_string   (PmKind       kind);
const char *pm_step_to_string   (PmStep       step);

/* Error domain for the whole core. */
#define PM_ERROR (pm_error_quark ())
GQuark pm_error_quark (void);

typedef enum
{
  PM_ERROR_FAILED,
  PM_ERROR_INVALID_REQUEST,     /* malformed client request: 400 */
  PM_ERROR_TOO_LARGE,           /* 413 */
  PM_ERROR_RATE_LIMITED,        /* 429 */
  PM_ERROR_CONFIG,              /* bad configuration file */
  PM_ERROR_NO_CANDIDATE,        /* nothing can serve this request */
  PM_ERROR_UPSTREAM,            /* upstream failure */
  PM_ERROR_KEYRING,             /* no key / keyring unavailable */
  PM_ERROR_UNSUPPORTED,
} PmErrorCode;

G_END_DECLS
