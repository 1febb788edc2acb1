/* pm-session.c — per-session routing state and per-model prompt-cache state
 *
 * The cache state of one model in one session is a set of prefix entries: the hash of a prompt
 * prefix ending at a block boundary, its token count and when it expires. A request reads the
 * longest prefix that is still alive. Entries are written by the provider's rules when a request
 * is served: Anthropic at the cache_control breakpoints (5 m or 1 h, refreshed on every hit,
 * nothing below the model's minimum), OpenAI and Gemini automatically for every prefix of a
 * prompt at or above the minimum.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-session"

#include "config.h"

#include <string.h>

#include "pm-session.h"

#define MAX_ENTRIES 2048
#define DEFAULT_TTL_S 300

typedef struct
{
  guint64 key;
  gint64  tokens;          /* estimated tokens (unscaled) */
  gint64  expires_us;
  gint64  ttl_us;
} CacheEntry;

struct _PmCacheState
{
  GHashTable *entries;     /* guint64* (in the entry) → CacheEntry */
  guint64     salts[8];    /* salts entries were written under (lookups of others can skip) */
  guint       n_salts;     /* G_MAXUINT: too many to track */
  guint       misses;      /* reported reads of 0 where we expected a hit, in a row */
};

/* After this many expected hits the provider did not confirm, stop expecting any. */
#define MAX_MISSES 2

static void
note_salt (PmCacheState *self,
           guint64       salt)
{
  if (self->n_salts == G_MAXUINT)
    return;
  for (guint i = 0; i < self->n_salts; i++)
    if (self->salts[i] == salt)
      return;
  if (self->n_salts == G_N_ELEMENTS (self->salts))
    self->n_salts = G_MAXUINT;
  else
    self->salts[self->n_salts++] = salt;
}

static gboolean
may_hold_salt (PmCacheState *self,
               guint64       salt)
{
  if (self->n_salts == G_MAXUINT)
    return TRUE;
  for (guint i = 0; i < self->n_salts; i++)
    if (self->salts[i] == salt)
      return TRUE;
  return FALSE;
}

static guint
key_hash (gconstpointer key)
{
  guint64 k = *(const guint64 *) key;

  return (guint) (k ^ (k >> 32));
}

static gboolean
key_equal (gconstpointer a,
           gconstpointer b)
{
  return *(const guint64 *) a == *(const guint64 *) b;
}

PmCacheState *
pm_cache_state_new (void)
{
  PmCacheState *self = g_new0 (PmCacheState, 1);

  self->entries = g_hash_table_new_full (key_hash, key_equal, NULL, g_free);
  return self;
}

void
pm_cache_state_free (PmCacheState *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->entries);
  g_free (self);
}

void
pm_cache_state_clear (PmCacheState *self)
{
  g_return_if_fail (self != NULL);
  g_hash_table_remove_all (self->entries);
  self->n_salts = 0;
}

guint
pm_cache_state_get_size (PmCacheState *self,
                         gint64        now_us)
{
  GHashTableIter iter;
  CacheEntry *entry;
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->expires_us > now_us)
      n++;

  return n;
}

guint64
pm_cache_salt_for (const PmModelInfo *model,
                   PmEffort           effort)
{
  /* Anthropic: changing the thinking budget invalidates cached messages (tools and system
   * stay). Adaptive thinking (4.6+) takes effort without a budget; OpenAI and Gemini cache
   * the input prefix whatever the reasoning effort. */
  if (model != NULL && g_strcmp0 (model->effort_style, "anthropic-budget") == 0)
    return 0x51ULL + (guint64) (effort == PM_EFFORT_UNSET ? PM_EFFORT_NONE : effort);

  return 0;
}

static inline guint64
salted (const PmPrefixMark *mark,
        guint64             salt)
{
  if (salt == 0 || mark->section != PM_SECTION_MESSAGES)
    return mark->hash;

  return pm_hash_mix (mark->hash, salt);
}

static gboolean
is_anthropic_style (const PmModelInfo *model)
{
  return g_strcmp0 (model->cache_style, "anthropic") == 0;
}

static gboolean
caches_at_all (const PmModelInfo *model)
{
  return model->cache_style != NULL && g_strcmp0 (model->cache_style, "none") != 0;
}

/* Index of the last breakpoint (Anthropic), or -1. A top-level cache_control is an automatic
 * breakpoint on the last block. */
static int
last_breakpoint (PmRequest          *request,
                 const PmPrefixMark *marks,
                 guint               n)
{
  if (pm_request_get_features (request)->top_level_cache && n > 0)
    return (int) n - 1;

  for (guint i = n; i > 0; i--)
    if (marks[i - 1].breakpoint)
      return (int) i - 1;

  return -1;
}

/* Anthropic looks for an earlier cache entry at each breakpoint and up to 20 blocks before it. */
#define ANTHROPIC_LOOKBACK_BLOCKS 20

static CacheEntry *
find_hit (PmCacheState       *self,
          const PmPrefixMark *marks,
          int                 upto,
          guint64             salt,
          gint64              now_us,
          gboolean            lookback,
          int                *index_out)
{
  guint nearest_bp = upto >= 0 ? marks[upto].blocks : 0;

  if (g_hash_table_size (self->entries) == 0)
    return NULL;
  /* Messages written under another salt cannot match; tools/system marks are unsalted. */
  if (!may_hold_salt (self, salt))
    {
      int last = -1;

      while (last + 1 <= upto && marks[last + 1].section != PM_SECTION_MESSAGES)
        last++;
      for (int i = last; i >= 0; i--)
        {
          CacheEntry *entry;

          entry = g_hash_table_lookup (self->entries, &marks[i].hash);
          if (entry != NULL && entry->expires_us > now_us)
            {
              if (index_out != NULL)
                *index_out = i;
              return entry;
            }
        }
      return NULL;
    }

  for (int i = upto; i >= 0; i--)
    {
      guint64 key;
      CacheEntry *entry;

      if (lookback)
        {
          if (marks[i].breakpoint)
            nearest_bp = marks[i].blocks;
          if (nearest_bp - marks[i].blocks > ANTHROPIC_LOOKBACK_BLOCKS)
            continue;
        }
      key = salted (&marks[i], salt);
      entry = g_hash_table_lookup (self->entries, &key);

      if (entry != NULL && entry->expires_us > now_us)
        {
          if (index_out != NULL)
            *index_out = i;
          return entry;
        }
    }

  return NULL;
}

int
pm_cache_last_breakpoint (PmRequest *request)
{
  const PmPrefixMark *marks;
  guint n = 0;

  g_return_val_if_fail (request != NULL, -1);

  marks = pm_request_get_marks (request, &n);
  return last_breakpoint (request, marks, n);
}

void
pm_cache_state_quote (PmCacheState      *self,
                      const PmModelInfo *model,
                      PmRequest         *request,
                      guint64            salt,
                      const PmTokenFit  *fit,
                      gint64             now_us,
                      PmCacheQuote      *quote)
{
  pm_cache_state_quote_bp (self, model, request, PM_CACHE_BREAKPOINT_UNKNOWN, salt, fit, now_us, quote);
}

void
pm_cache_state_quote_bp (PmCacheState      *self,
                         const PmModelInfo *model,
                         PmRequest         *request,
                         int                breakpoint,
                         guint64            salt,
                         const PmTokenFit  *fit,
                         gint64             now_us,
                         PmCacheQuote      *quote)
{
  const PmPrefixMark *marks;
  guint n = 0;
  gint64 total;
  int upto;

  g_return_if_fail (model != NULL);
  g_return_if_fail (request != NULL);
  g_return_if_fail (quote != NULL);

  memset (quote, 0, sizeof *quote);

  marks = pm_request_get_marks (request, &n);
  total = pm_token_fit_apply (fit, pm_request_get_input_tokens (request));
  quote->uncached = total;

  if (!caches_at_all (model) || n == 0)
    return;
  if (self != NULL && self->misses >= MAX_MISSES)
    self = NULL;   /* the provider keeps not reading what we think it has: expect nothing */

  if (is_anthropic_style (model))
    {
      int bp = breakpoint != PM_CACHE_BREAKPOINT_UNKNOWN ? breakpoint : last_breakpoint (request, marks, n);
      gint64 bp_tokens;

      if (bp < 0)
        return;   /* no breakpoint: Anthropic neither reads nor writes */

      upto = bp;
      if (self != NULL)
        {
          CacheEntry *hit = find_hit (self, marks, upto, salt, now_us, TRUE, NULL);

          if (hit != NULL)
            quote->cached = pm_token_fit_apply (fit, hit->tokens);
        }
      bp_tokens = pm_token_fit_apply (fit, marks[bp].tokens);
      if (bp_tokens >= model->cache_min_tokens && bp_tokens > quote->cached)
        quote->written = bp_tokens - quote->cached;
      quote->write_1h = marks[bp].ttl_1h;
    }
  else
    {
      upto = (int) n - 1;
      if (self != NULL)
        {
          CacheEntry *hit = find_hit (self, marks, upto, salt, now_us, FALSE, NULL);

          if (hit != NULL)
            quote->cached = pm_token_fit_apply (fit, hit->tokens);
        }
    }

  quote->cached = MIN (quote->cached, total);
  quote->written = MIN (quote->written, total - quote->cached);
  quote->uncached = total - quote->cached - quote->written;
}

static void
put_entry (PmCacheState *self,
           guint64       key,
           gint64        tokens,
           gint64        now_us,
           gint64        ttl_us)
{
  CacheEntry *entry = g_hash_table_lookup (self->entries, &key);

  if (entry == NULL)
    {
      entry = g_new0 (CacheEntry, 1);
      entry->key = key;
      g_hash_table_insert (self->entries, &entry->key, entry);
    }
  entry->tokens = tokens;
  entry->ttl_us = MAX (entry->ttl_us, ttl_us);
  entry->expires_us = MAX (entry->expires_us, now_us + ttl_us);
}

static void
prune (PmCacheState *self,
       gint64        now_us)
{
  GHashTableIter iter;
  CacheEntry *entry;

  if (g_hash_table_size (self->entries) < MAX_ENTRIES)
    return;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->expires_us <= now_us)
      g_hash_table_iter_remove (&iter);

  /* Still too many live entries: keep the longest prefixes only. */
  if (g_hash_table_size (self->entries) >= MAX_ENTRIES)
    {
      g_hash_table_remove_all (self->entries);
      self->n_salts = 0;
    }
}

void
pm_cache_state_store (PmCacheState      *self,
                      const PmModelInfo *model,
                      PmRequest         *request,
                      guint64            salt,
                      const PmTokenFit  *fit,
                      gint64             now_us,
                      gint64             reported_read,
                      gint64             reported_written)
{
  const PmPrefixMark *marks;
  guint n = 0;
  gint64 default_ttl_us;
  gboolean known = reported_read >= 0 && reported_written >= 0;
  int hit_index = -1;

  g_return_if_fail (self != NULL);
  g_return_if_fail (model != NULL);
  g_return_if_fail (request != NULL);

  if (!caches_at_all (model))
    return;

  marks = pm_request_get_marks (request, &n);
  if (n == 0)
    return;

  prune (self, now_us);
  note_salt (self, salt);
  default_ttl_us = (gint64) (model->cache_ttl_seconds > 0 ? model->cache_ttl_seconds : DEFAULT_TTL_S) * G_USEC_PER_SEC;

  if (is_anthropic_style (model))
    {
      int bp = last_breakpoint (request, marks, n);
      CacheEntry *hit;

      /* A hit refreshes its TTL. */
      hit = bp >= 0 ? find_hit (self, marks, bp, salt, now_us, TRUE, &hit_index) : NULL;
      if (hit != NULL)
        hit->expires_us = now_us + hit->ttl_us;
      if (known && hit != NULL && reported_read == 0)
        self->misses++;
      else if (known && reported_read > 0)
        self->misses = 0;

      if (known && reported_read == 0 && reported_written == 0)
        return;   /* nothing was cached: below the minimum, or breakpoints stripped */

      if (bp < 0 && known)
        {
          /* The usage says something was cached although the client set no breakpoint
           * (added on the way, e.g. by translation): the whole prompt is the prefix. */
          bp = (int) n - 1;
        }
      if (bp < 0)
        return;

      /* The provider reported a write or a read: it caches what we would have thought too
       * short (truth beats the catalog's minimum). */
      gint64 min_tokens = known && reported_read + reported_written > 0 ? 0 : model->cache_min_tokens;

      for (int i = 0; i <= bp; i++)
        {
          gboolean is_bp = marks[i].breakpoint || i == bp;

          if (!is_bp || pm_token_fit_apply (fit, marks[i].tokens) < min_tokens)
            continue;
          put_entry (self, salted (&marks[i], salt), marks[i].tokens, now_us,
                     (gint64) (marks[i].ttl_1h ? 3600 : 300) * G_USEC_PER_SEC);
        }
    }
  else
    {
      /* Automatic / implicit: every prefix of a cached prompt is a hit later. */
      gint64 total = marks[n - 1].tokens;

      if (known && reported_read == 0 && pm_token_fit_apply (fit, total) >= model->cache_min_tokens * 4 &&
          find_hit (self, marks, (int) n - 1, salt, now_us, FALSE, NULL) != NULL)
        {
          /* We expected a hit and there was none: the provider evicted it. */
          guint misses = self->misses + 1;

          pm_cache_state_clear (self);
          self->misses = misses;
        }
      else if (known && reported_read > 0)
        self->misses = 0;
      if (pm_token_fit_apply (fit, total) < model->cache_min_tokens)
        return;
      for (guint i = 0; i < n; i++)
        if (pm_token_fit_apply (fit, marks[i].tokens) >= model->cache_min_tokens)
          put_entry (self, salted (&marks[i], salt), marks[i].tokens, now_us, default_ttl_us);
    }

  /* Truth beats estimate: a reported read longer than what we knew means those prefixes
   * were cached (e.g. by requests that bypassed Pointsman). */
  if (known && reported_read > 0)
    {
      for (guint i = 0; i < n; i++)
        if (pm_token_fit_apply (fit, marks[i].tokens) <= reported_read &&
            pm_token_fit_apply (fit, marks[i].tokens) >= model->cache_min_tokens)
          put_entry (self, salted (&marks[i], salt), marks[i].tokens, now_us, default_ttl_us);
    }
}

/* ------------------------------------------------------------------------------------------ */

PmSession *
pm_session_new (const char *id,
                const char *parent,
                gint64      now_us)
{
  PmSession *self = g_new0 (PmSession, 1);

  self->id = g_strdup (id);
  self->parent = g_strdup (parent);
  self->created_us = now_us;
  self->last_us = now_us;
  self->fit.scale = 1.0;
  self->fit.offset = 0;
  self->output_ema = -1.0;
  self->caches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) pm_cache_state_free);
  self->own_outcomes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

PmOutcomeTally *
pm_session_get_tally (PmSession  *self,
                      const char *model_id,
                      PmEffort    effort,
                      gboolean    create)
{
  char key[160];
  PmOutcomeTally *tally;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (model_id != NULL, NULL);

  if (!create && g_hash_table_size (self->own_outcomes) == 0)
    return NULL;
  /* the key on the stack: looked up for every candidate of every decision */
  g_snprintf (key, sizeof key, "%s/%s", model_id, pm_effort_to_string (effort));
  tally = g_hash_table_lookup (self->own_outcomes, key);
  if (tally == NULL && create)
    {
      tally = g_new0 (PmOutcomeTally, 1);
      g_hash_table_insert (self->own_outcomes, g_strdup (key), tally);
    }

  return tally;
}

void
pm_session_free (PmSession *self)
{
  if (self == NULL)
    return;

  g_free (self->id);
  g_free (self->parent);
  g_free (self->model);
  g_free (self->thinking_model);
  g_free (self->history_writer);
  g_free (self->pending_model);
  g_hash_table_unref (self->caches);
  g_hash_table_unref (self->own_outcomes);
  g_free (self);
}

PmCacheState *
pm_session_get_cache (PmSession  *self,
                      const char *model_id)
{
  PmCacheState *cache;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (model_id != NULL, NULL);

  cache = g_hash_table_lookup (self->caches, model_id);
  if (cache == NULL)
    {
      cache = pm_cache_state_new ();
      g_hash_table_insert (self->caches, g_strdup (model_id), cache);
    }

  return cache;
}
