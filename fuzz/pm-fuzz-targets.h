/* pm-fuzz-targets.h — the fuzz targets, shared by the libFuzzer driver and the replay test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef int (*PmFuzzFunc) (const guint8 *data,
                           gsize         size);

typedef struct
{
  const char *name;
  PmFuzzFunc  func;
} PmFuzzTarget;

/* NULL-terminated. */
extern const PmFuzzTarget pm_fuzz_targets[];

int pm_fuzz_request            (const guint8 *data,
                                gsize         size);
int pm_fuzz_sse                (const guint8 *data,
                                gsize         size);
int pm_fuzz_translate_request  (const guint8 *data,
                                gsize         size);
int pm_fuzz_translate_response (const guint8 *data,
                                gsize         size);
int pm_fuzz_translate_stream   (const guint8 *data,
                                gsize         size);
int pm_fuzz_guard              (const guint8 *data,
                                gsize         size);

G_END_DECLS
