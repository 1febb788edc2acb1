/* pm-app-core.h — the core headers the app uses
 *
 * PM_APP_HAVE_CORE is defined by src/app/meson.build once every core unit the app calls is in
 * the core library (the core is written in parallel; until then the app builds without it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "pm-catalog.h"
#include "pm-config.h"
#include "pm-keyring.h"
#include "pm-objective.h"
#include "pm-proxy.h"
#include "pm-record.h"
#include "pm-request-log.h"
#include "pm-request.h"
#include "pm-router.h"
#include "pm-sim-upstream.h"
#include "pm-store.h"
#include "pm-types.h"
#include "pm-usage.h"

#ifndef PM_APP_HAVE_CORE
# define PM_APP_HAVE_CORE 0
#endif
