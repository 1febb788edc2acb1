/* pm-soup-fix.c — gives back the socket reference libsoup 3.2's listener keeps
 *
 * libsoup 3.2 (Debian 12 ships 3.2.3) accepts a connection with g_socket_accept () in
 * soup-listener.c (listen_watch) and hands the socket to the new SoupServerConnection, which
 * takes its own reference; the listener never drops the one g_socket_accept () returned
 * (upstream added the g_object_unref () later). The connection closes the socket's file
 * descriptor, but the GSocket object, 336 bytes, stays allocated for ever. The proxy answers
 * every request with "Connection: close" (pm-proxy.c, early_cb), so that was 336 bytes per
 * request: bench-load's "+0.16 MiB per round of 500 requests" past the full request log was
 * exactly this (0.16 MiB / 500 = 336 bytes).
 *
 * A PmSocketReleaser watches the socket of each message it is shown. Once the message is gone
 * and the socket closed, and stays so for a while (SETTLE_US), a socket that is referenced
 * twice — the releaser's reference and one more — is held by nothing but the leaked
 * reference: the releaser drops both. Any other count (a libsoup without the leak leaves only
 * the releaser's own reference) drops the releaser's reference alone. Only on libsoup 3.2.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "pm-soup-fix.h"

#define SETTLE_US  (2 * G_USEC_PER_SEC)    /* after the message is gone, before the check */
#define GIVE_UP_US (30 * G_USEC_PER_SEC)   /* a socket still held elsewhere is left alone */

struct _PmSocketReleaser
{
  GMainContext *context;
  gboolean      active;       /* this libsoup has the leak */
  GPtrArray    *watches;      /* Watch* */
  GSource      *sweep;        /* while a watched message is gone */
  guint         n_released;
};

typedef struct
{
  PmSocketReleaser *owner;
  GObject          *msg;        /* weak; NULL once the message is finalized */
  GSocket          *socket;     /* the releaser's own reference */
  gint64            gone_us;
} Watch;

static G_DEFINE_QUARK (pm-socket-releaser-watched, watched)

/* Releases what has settled (everything whose message is gone, with @settle_us 0); TRUE while
 * something still waits. */
static gboolean
sweep (PmSocketReleaser *self,
       gint64            settle_us)
{
  gint64 now = g_get_monotonic_time ();
  gboolean waiting = FALSE;

  for (guint i = self->watches->len; i > 0; i--)
    {
      Watch *w = g_ptr_array_index (self->watches, i - 1);
      gint64 age;
      guint refs;

      if (w->msg != NULL)
        continue;
      age = now - w->gone_us;
      if (age < settle_us)
        {
          waiting = TRUE;
          continue;
        }

      refs = (guint) g_atomic_int_get ((gint *) &G_OBJECT (w->socket)->ref_count);
      if (refs == 2 && g_socket_is_closed (w->socket))
        {
          g_object_unref (w->socket);   /* the listener's */
          self->n_released++;
        }
      else if (refs != 1 && age < GIVE_UP_US && settle_us > 0)
        {
          waiting = TRUE;
          continue;
        }
      g_ptr_array_remove_index_fast (self->watches, i - 1);   /* drops the releaser's */
    }

  return waiting;
}

static gboolean
sweep_cb (gpointer data)
{
  PmSocketReleaser *self = data;

  if (sweep (self, SETTLE_US))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->sweep, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
msg_gone_cb (gpointer  data,
             GObject  *where_the_msg_was)
{
  Watch *w = data;
  PmSocketReleaser *self = w->owner;

  w->msg = NULL;
  w->gone_us = g_get_monotonic_time ();
  if (self->sweep == NULL)
    {
      self->sweep = g_timeout_source_new (500);
      g_source_set_callback (self->sweep, sweep_cb, self, NULL);
      g_source_attach (self->sweep, self->context);
    }
}

static void
watch_destroy (gpointer data)
{
  Watch *w = data;

  if (w->msg != NULL)
    g_object_weak_unref (w->msg, msg_gone_cb, w);
  g_clear_object (&w->socket);
  g_free (w);
}

PmSocketReleaser *
pm_socket_releaser_new (GMainContext *context)
{
  PmSocketReleaser *self = g_new0 (PmSocketReleaser, 1);

  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->active = soup_get_major_version () == 3 && soup_get_minor_version () == 2;
  self->watches = g_ptr_array_new_with_free_func (watch_destroy);
  return self;
}

/* Call from a SoupServer handler (the early one sees every request): once per connection. */
void
pm_socket_releaser_watch (PmSocketReleaser  *self,
                          SoupServerMessage *msg)
{
  GSocket *socket;
  Watch *w;

  g_return_if_fail (self != NULL);
  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));

  if (!self->active)
    return;
  socket = soup_server_message_get_socket (msg);
  if (socket == NULL || g_object_get_qdata (G_OBJECT (socket), watched_quark ()) != NULL)
    return;
  g_object_set_qdata (G_OBJECT (socket), watched_quark (), GINT_TO_POINTER (TRUE));

  w = g_new0 (Watch, 1);
  w->owner = self;
  w->msg = G_OBJECT (msg);
  w->socket = g_object_ref (socket);
  g_object_weak_ref (w->msg, msg_gone_cb, w);
  g_ptr_array_add (self->watches, w);
}

/* Now, without waiting for the sockets to settle: when the server has stopped (every
 * connection it had is closed) and nothing more will run. */
void
pm_socket_releaser_flush (PmSocketReleaser *self)
{
  g_return_if_fail (self != NULL);

  sweep (self, 0);
}

guint
pm_socket_releaser_get_n_released (PmSocketReleaser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_released;
}

void
pm_socket_releaser_free (PmSocketReleaser *self)
{
  if (self == NULL)
    return;
  if (self->sweep != NULL)
    {
      g_source_destroy (self->sweep);
      g_source_unref (self->sweep);
    }
  g_ptr_array_unref (self->watches);
  g_main_context_unref (self->context);
  g_free (self);
}
