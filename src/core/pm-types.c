/* pm-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-types.h"

G_DEFINE_QUARK (pm-error-quark, pm_error)

static const char *api_names[] = { "anthropic", "openai-chat", "openai-responses" };
static const char *effort_names[] = { "", "none", "minimal", "low", "medium", "high", "xhigh", "max" };
static const char *agent_names[] = { "other", "claude-code", "codex", "opencode", "aider", "gemini-cli", "qwen-code" };
static const char *kind_names[] = { "main", "subagent", "background", "compaction" };
static const char *step_names[] = { "continue", "instruction", "planning", "tool-result", "error-recovery", "think" };

G_STATIC_ASSERT (G_N_ELEMENTS (api_names) == PM_API_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (effort_names) == PM_EFFORT_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (agent_names) == PM_AGENT_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (kind_names) == PM_KIND_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (step_names) == PM_STEP_LAST);

const char *
pm_api_to_string (PmApi api)
{
  g_return_val_if_fail (api < PM_API_LAST, "unknown");
  return api_names[api];
}

gboolean
pm_api_from_string (const char *str,
                    PmApi      *api)
{
  g_return_val_if_fail (api != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (api_names); i++)
    {
      if (g_str_equal (str, api_names[i]))
        {
          *api = (PmApi) i;
          return TRUE;
        }
    }

  /* Accepted synonyms */
  if (g_str_equal (str, "openai") || g_str_equal (str, "chat") || g_str_equal (str, "openai-completions"))
    {
      *api = PM_API_OPENAI_CHAT;
      return TRUE;
    }
  if (g_str_equal (str, "responses"))
    {
      *api = PM_API_OPENAI_RESPONSES;
      return TRUE;
    }
  if (g_str_equal (str, "messages"))
    {
      *api = PM_API_ANTHROPIC;
      return TRUE;
    }

  return FALSE;
}

const char *
pm_effort_to_string (PmEffort effort)
{
  g_return_val_if_fail (effort < PM_EFFORT_LAST, "");
  return effort_names[effort];
}

PmEffort
pm_effort_from_string (const char *str)
{
  if (str == NULL || *str == '\0')
    return PM_EFFORT_UNSET;

  for (guint i = 1; i < G_N_ELEMENTS (effort_names); i++)
    if (g_ascii_strcasecmp (str, effort_names[i]) == 0)
      return (PmEffort) i;

  if (g_ascii_strcasecmp (str, "med") == 0)
    return PM_EFFORT_MEDIUM;

  return PM_EFFORT_UNSET;
}

const char *
pm_agent_to_string (PmAgent agent)
{
  g_return_val_if_fail (agent < PM_AGENT_LAST, "other");
  return agent_names[agent];
}

const char *
pm_kind_to_string (PmKind kind)
{
  g_return_val_if_fail (kind < PM_KIND_LAST, "main");
  return kind_names[kind];
}

const char *
pm_step_to_string (PmStep step)
{
  g_return_val_if_fail (step < PM_STEP_LAST, "continue");
  return step_names[step];
}
