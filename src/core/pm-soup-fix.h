/* pm-soup-fix.h — work-arounds for the libsoup the proxy runs on
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _PmSocketReleaser PmSocketReleaser;

PmSocketReleaser *pm_socket_releaser_new     (GMainContext      *context);
void              pm_socket_releaser_watch   (PmSocketReleaser  *self,
                                              SoupServerMessage *msg);
void              pm_socket_releaser_flush   (PmSocketReleaser  *self);
guint             pm_socket_releaser_get_n_released (PmSocketReleaser *self);
void              pm_socket_releaser_free    (PmSocketReleaser  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmSocketReleaser, pm_socket_releaser_free)

G_END_DECLS
