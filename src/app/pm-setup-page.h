/* pm-setup-page.h — copyable agent snippets with the live address, and the demo
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "pm-application.h"

G_BEGIN_DECLS

#define PM_TYPE_SETUP_PAGE (pm_setup_page_get_type ())
G_DECLARE_FINAL_TYPE (PmSetupPage, pm_setup_page, PM, SETUP_PAGE, GtkWidget)

GtkWidget  *pm_setup_page_new         (void);
void        pm_setup_page_bind        (PmSetupPage *self,
                                       PmApplication *app);
/* The proxy's address (NULL when stopped: snippets show a placeholder port). */
void        pm_setup_page_set_url     (PmSetupPage *self,
                                       const char  *url);
/* The local access token to put in the snippets instead of the placeholder key (NULL: none;
 * set it when the configuration has "listen": {"token": true}). */
void        pm_setup_page_set_token   (PmSetupPage *self,
                                       const char  *token);
/* The snippet text for "claude-code", "codex", "opencode" or "aider". */
/* The "Require an Access Token" switch and the token row's subtitle (tests). */
GtkSwitch  *pm_setup_page_get_token_switch (PmSetupPage *self);
const char *pm_setup_page_get_token_status (PmSetupPage *self);
const char *pm_setup_page_get_snippet (PmSetupPage *self,
                                       const char  *agent);

G_END_DECLS
