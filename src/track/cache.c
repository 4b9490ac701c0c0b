/*
 * cache.c: the link cache (see cache.h). 64 shards, each a chained hash
 * table under its own mutex with a FIFO list for eviction. A shard's
 * bucket array starts small and doubles as its entries pass one per
 * bucket: sized for the entries actually held, the arrays stay dense, so
 * a lookup's bucket is more often in the CPU cache than in a sparse
 * array sized for max_entries. An entry is one
 * allocation: its header, then the target flattened into a blob whose
 * pointers point into the blob itself; a hit copies the blob into the
 * caller's arena and relocates those pointers.
 */
#include "track/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SHARDS      64
#define GEN_PAGE    4096 /* ids per page of counters */
#define GEN_PAGES   4096 /* pages: ids up to 16M have a counter each */
#define ALIGN       16
#define BUCKETS_MIN 16
#define BUCKETS_MAX ((size_t)1 << 24) /* per shard */

struct gens {
    _Atomic(_Atomic uint32_t *) pages[GEN_PAGES];
    _Atomic uint32_t overflow; /* shared by ids past the pages */
    pthread_mutex_t mu;        /* creating a page */
};

struct entry {
    struct entry *next;          /* hash chain */
    struct entry *older, *newer; /* FIFO */
    uint64_t hash;
    char key[TL_CACHE_KEY_MAX];
    bool found;
    uint32_t all_gen;
    uint32_t links_gen;
    uint32_t campaign_gen;
    uint32_t program_gen;
    int64_t campaign_id;
    int64_t program_id;
    size_t size; /* bytes of this allocation */
    size_t blob_len;
    unsigned char *blob; /* the flattened target; points into this allocation */
};

struct shard {
    pthread_mutex_t mu;
    struct entry **buckets;
    size_t n_buckets; /* power of two */
    size_t n;
    struct entry *oldest, *newest;
    size_t bytes;
};

struct tl_cache {
    struct shard shards[SHARDS];
    struct gens campaigns, programs;
    _Atomic uint32_t all; /* bumped to drop every entry */
    _Atomic uint32_t links;
    _Atomic uint64_t epoch;
    size_t max;           /* entries, in all shards together */
    _Atomic size_t total; /* entries held */
    unsigned char hash_key[16];
};

/* ---- generations ---- */

static _Atomic uint32_t *gen_cell(struct gens *g, int64_t id, bool create)
{
    _Atomic uint32_t *page;
    size_t p;

    if (id <= 0)
        return NULL;
    p = (size_t)(id / GEN_PAGE);
    if (p >= GEN_PAGES)
        return &g->overflow;
    page = atomic_load(&g->pages[p]);
    if (page == NULL) {
        if (!create)
            return NULL;
        pthread_mutex_lock(&g->mu);
        page = atomic_load(&g->pages[p]);
        if (page == NULL) {
            page = calloc(GEN_PAGE, sizeof(*page));
            if (page != NULL)
                atomic_store(&g->pages[p], page);
        }
        pthread_mutex_unlock(&g->mu);
        if (page == NULL)
            return &g->overflow; /* bumping the shared counter is safe */
    }
    return &page[id % GEN_PAGE];
}

static uint32_t gen_get(struct gens *g, int64_t id)
{
    _Atomic uint32_t *cell = gen_cell(g, id, false);

    return cell != NULL ? atomic_load(cell) : 0;
}

/* The epoch moves first: see tl_cache_put for why. */
static void gen_bump(struct tl_cache *c, struct gens *g, int64_t id)
{
    _Atomic uint32_t *cell;

    atomic_fetch_add(&c->epoch, 1);
    cell = gen_cell(g, id, true);
    if (cell != NULL)
        atomic_fetch_add(cell, 1);
}

void tl_cache_bump_campaign(struct tl_cache *c, int64_t campaign_id)
{
    gen_bump(c, &c->campaigns, campaign_id);
}

void tl_cache_bump_program(struct tl_cache *c, int64_t program_id)
{
    gen_bump(c, &c->programs, program_id);
}

void tl_cache_bump_links(struct tl_cache *c)
{
    atomic_fetch_add(&c->epoch, 1);
    atomic_fetch_add(&c->links, 1);
}

void tl_cache_bump_all(struct tl_cache *c)
{
    atomic_fetch_add(&c->epoch, 1);
    atomic_fetch_add(&c->all, 1);
}

uint64_t tl_cache_stamp(struct tl_cache *c)
{
    return atomic_load(&c->epoch);
}

/* ---- life ---- */

struct tl_cache *tl_cache_new(size_t max_entries)
{
    struct tl_cache *c = calloc(1, sizeof(*c));
    size_t i;

    if (c == NULL)
        return NULL;
    c->max = max_entries;
    randombytes_buf(c->hash_key, sizeof(c->hash_key));
    pthread_mutex_init(&c->campaigns.mu, NULL);
    pthread_mutex_init(&c->programs.mu, NULL);
    for (i = 0; i < SHARDS; i++) {
        struct shard *s = &c->shards[i];

        pthread_mutex_init(&s->mu, NULL);
        s->n_buckets = BUCKETS_MIN;
        s->buckets = calloc(s->n_buckets, sizeof(*s->buckets));
        if (s->buckets == NULL) {
            tl_cache_free(c);
            return NULL;
        }
    }
    return c;
}

void tl_cache_free(struct tl_cache *c)
{
    struct entry *e, *next;
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < SHARDS; i++) {
        for (e = c->shards[i].oldest; e != NULL; e = next) {
            next = e->newer;
            free(e);
        }
        free(c->shards[i].buckets);
        pthread_mutex_destroy(&c->shards[i].mu);
    }
    for (i = 0; i < GEN_PAGES; i++) {
        free((void *)atomic_load(&c->campaigns.pages[i]));
        free((void *)atomic_load(&c->programs.pages[i]));
    }
    pthread_mutex_destroy(&c->campaigns.mu);
    pthread_mutex_destroy(&c->programs.mu);
    free(c);
}

/* ---- flattening a target ---- */

static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static size_t strs_size(const char *const *v, size_t n)
{
    size_t i, sum = 0;

    for (i = 0; i < n; i++)
        sum += str_size(v[i]);
    return sum;
}

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static size_t flat_size(const struct tl_target *t)
{
    return round_up(sizeof(*t)) +
           round_up((t->n_domains + t->n_pages + t->n_links) * sizeof(char *)) +
           round_up(t->n_links * sizeof(int64_t)) + round_up(t->n_links * sizeof(bool)) +
           str_size(t->landing) + strs_size(t->link_subs, 4) + str_size(t->default_landing) +
           str_size(t->click_param) + str_size(t->currency) + strs_size(t->landing_parts, 3) +
           strs_size(t->default_parts, 3) + strs_size(t->domains, t->n_domains) +
           strs_size(t->pages, t->n_pages) + strs_size(t->link_landings, t->n_links);
}

static char *put_str(char **cursor, const char *s)
{
    char *d;
    size_t n;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    d = *cursor;
    memcpy(d, s, n);
    *cursor += n;
    return d;
}

static void flatten(const struct tl_target *t, unsigned char *blob)
{
    struct tl_target *d = (struct tl_target *)blob;
    const char **ptrs = (const char **)(blob + round_up(sizeof(*t)));
    int64_t *ids = (int64_t *)((unsigned char *)ptrs +
                               round_up((t->n_domains + t->n_pages + t->n_links) * sizeof(char *)));
    bool *active = (bool *)((unsigned char *)ids + round_up(t->n_links * sizeof(int64_t)));
    char *cursor = (char *)active + round_up(t->n_links * sizeof(bool));
    size_t i;

    *d = *t;
    d->landing = put_str(&cursor, t->landing);
    d->default_landing = put_str(&cursor, t->default_landing);
    d->click_param = put_str(&cursor, t->click_param);
    d->currency = put_str(&cursor, t->currency);
    for (i = 0; i < 3; i++) {
        d->landing_parts[i] = put_str(&cursor, t->landing_parts[i]);
        d->default_parts[i] = put_str(&cursor, t->default_parts[i]);
    }
    d->domains = t->n_domains > 0 ? ptrs : NULL;
    for (i = 0; i < t->n_domains; i++)
        *ptrs++ = put_str(&cursor, t->domains[i]);
    d->pages = t->n_pages > 0 ? ptrs : NULL;
    for (i = 0; i < t->n_pages; i++)
        *ptrs++ = put_str(&cursor, t->pages[i]);
    d->link_landings = t->n_links > 0 ? ptrs : NULL;
    for (i = 0; i < t->n_links; i++)
        *ptrs++ = put_str(&cursor, t->link_landings[i]);
    d->link_ids = t->n_links > 0 ? ids : NULL;
    if (t->n_links > 0)
        memcpy(ids, t->link_ids, t->n_links * sizeof(*ids));
    d->links_active = t->n_links > 0 ? active : NULL;
    for (i = 0; i < t->n_links; i++)
        active[i] = t->links_active == NULL || t->links_active[i];
    for (i = 0; i < 4; i++)
        d->link_subs[i] = put_str(&cursor, t->link_subs[i]);
}

/* Moves a pointer that pointed into the blob at from to the copy at to. */
static const void *move(const void *p, const unsigned char *from, unsigned char *to)
{
    return p == NULL ? NULL : to + ((const unsigned char *)p - from);
}

static void relocate(struct tl_target *t, const unsigned char *from, unsigned char *to)
{
    size_t i;

    t->landing = move(t->landing, from, to);
    t->default_landing = move(t->default_landing, from, to);
    t->click_param = move(t->click_param, from, to);
    t->currency = move(t->currency, from, to);
    for (i = 0; i < 3; i++) {
        t->landing_parts[i] = move(t->landing_parts[i], from, to);
        t->default_parts[i] = move(t->default_parts[i], from, to);
    }
    t->domains = (const char **)move(t->domains, from, to);
    t->pages = (const char **)move(t->pages, from, to);
    t->link_landings = (const char **)move(t->link_landings, from, to);
    t->link_ids = (int64_t *)move(t->link_ids, from, to);
    t->links_active = (bool *)move(t->links_active, from, to);
    for (i = 0; i < 4; i++)
        t->link_subs[i] = move(t->link_subs[i], from, to);
    for (i = 0; i < t->n_domains; i++)
        t->domains[i] = move(t->domains[i], from, to);
    for (i = 0; i < t->n_pages; i++)
        t->pages[i] = move(t->pages[i], from, to);
    for (i = 0; i < t->n_links; i++)
        t->link_landings[i] = move(t->link_landings[i], from, to);
}

/* ---- the table ---- */

static uint64_t key_hash(const struct tl_cache *c, const char *key)
{
    uint64_t h;

    crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key), c->hash_key);
    return h;
}

static struct shard *shard_of(struct tl_cache *c, uint64_t h)
{
    return &c->shards[h % SHARDS];
}

static struct entry **slot_of(struct shard *s, uint64_t h, const char *key)
{
    struct entry **p = &s->buckets[(h / SHARDS) & (s->n_buckets - 1)];

    while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
        p = &(*p)->next;
    return p;
}

/*
 * Doubles the buckets of s (under its lock) once it holds more entries
 * than buckets. Without memory for the new array the old one stays: the
 * chains grow longer, and lookups stay right.
 */
static void maybe_grow(struct shard *s)
{
    size_t n_buckets = s->n_buckets * 2;
    struct entry **buckets, *e, **b;

    if (s->n <= s->n_buckets || n_buckets > BUCKETS_MAX)
        return;
    buckets = calloc(n_buckets, sizeof(*buckets));
    if (buckets == NULL)
        return;
    for (e = s->oldest; e != NULL; e = e->newer) {
        b = &buckets[(e->hash / SHARDS) & (n_buckets - 1)];
        e->next = *b;
        *b = e;
    }
    free(s->buckets);
    s->buckets = buckets;
    s->n_buckets = n_buckets;
}

static void fifo_unlink(struct shard *s, struct entry *e)
{
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        s->oldest = e->newer;
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        s->newest = e->older;
}

static void remove_entry(struct tl_cache *c, struct shard *s, struct entry **slot)
{
    struct entry *e = *slot;

    *slot = e->next;
    fifo_unlink(s, e);
    s->n--;
    atomic_fetch_sub(&c->total, 1);
    s->bytes -= e->size;
    free(e);
}

/*
 * Evicts the oldest entry of another shard, for a put into shard mine
 * (whose lock is held) when mine has none to give. Other locks are only
 * tried, so two puts can never wait for each other.
 */
static bool evict_elsewhere(struct tl_cache *c, struct shard *mine)
{
    size_t i;

    for (i = 0; i < SHARDS; i++) {
        struct shard *o = &c->shards[i];

        if (o == mine || pthread_mutex_trylock(&o->mu) != 0)
            continue;
        if (o->oldest != NULL) {
            remove_entry(c, o, slot_of(o, o->oldest->hash, o->oldest->key));
            pthread_mutex_unlock(&o->mu);
            return true;
        }
        pthread_mutex_unlock(&o->mu);
    }
    return false;
}

static bool fresh(struct tl_cache *c, const struct entry *e)
{
    if (e->all_gen != atomic_load(&c->all))
        return false;
    if (!e->found && e->campaign_id == 0)
        return e->links_gen == atomic_load(&c->links);
    return e->campaign_gen == gen_get(&c->campaigns, e->campaign_id) &&
           (!e->found || e->program_gen == gen_get(&c->programs, e->program_id));
}

bool tl_cache_get(struct tl_cache *c, const char *key, struct tl_arena *a, struct tl_target *out,
                  bool *found)
{
    uint64_t h = key_hash(c, key);
    struct shard *s = shard_of(c, h);
    struct entry *e;
    unsigned char *copy = NULL;
    bool hit = false;

    pthread_mutex_lock(&s->mu);
    e = *slot_of(s, h, key);
    if (e != NULL && fresh(c, e)) {
        hit = true;
        *found = e->found;
        if (e->found) {
            copy = tl_arena_alloc_raw(a, e->blob_len); /* overwritten whole */
            if (copy != NULL) {
                memcpy(copy, e->blob, e->blob_len);
                *out = *(struct tl_target *)copy;
                relocate(out, e->blob, copy);
            } else {
                hit = false;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    return hit;
}

enum tl_err tl_cache_put(struct tl_cache *c, const char *key, uint64_t stamp,
                         const struct tl_target *t, int64_t negative_campaign)
{
    uint64_t h = key_hash(c, key);
    struct shard *s = shard_of(c, h);
    size_t blob_len = t != NULL ? flat_size(t) : 0;
    size_t head = round_up(sizeof(struct entry));
    struct entry *e, **slot;

    if (strlen(key) >= TL_CACHE_KEY_MAX)
        return TL_ERR_INVALID;
    e = malloc(head + blob_len);
    if (e == NULL)
        return TL_ERR_NOMEM;
    memset(e, 0, sizeof(*e));
    e->hash = h;
    memcpy(e->key, key, strlen(key) + 1); /* fits: checked above */
    e->size = head + blob_len;
    e->found = t != NULL;
    e->blob = (unsigned char *)e + head;
    e->blob_len = blob_len;
    if (t != NULL) {
        flatten(t, e->blob);
        e->campaign_id = t->campaign_id;
        e->program_id = t->program_id;
    } else {
        e->campaign_id = negative_campaign;
    }
    /* Counters first, then the epoch: a bump moves the epoch before its
     * counter, so if the epoch is still the stamp's, no bump had begun when
     * the counters were read, and the entry holds no newer counter than the
     * data it was filled with. */
    e->all_gen = atomic_load(&c->all);
    e->links_gen = atomic_load(&c->links);
    e->campaign_gen = gen_get(&c->campaigns, e->campaign_id);
    e->program_gen = gen_get(&c->programs, e->program_id);
    if (atomic_load(&c->epoch) != stamp) {
        free(e);
        return TL_OK;
    }
    pthread_mutex_lock(&s->mu);
    slot = slot_of(s, h, key);
    if (*slot != NULL)
        remove_entry(c, s, slot);
    /* Reserve a place under the global bound, evicting this shard's
     * oldest entries to make one; a shard with nothing left to evict
     * caches nothing (only when the cache is full of other shards'). */
    for (;;) {
        size_t cur = atomic_load(&c->total);

        if (cur < c->max) {
            if (atomic_compare_exchange_weak(&c->total, &cur, cur + 1))
                break;
            continue;
        }
        if (s->oldest != NULL)
            remove_entry(c, s, slot_of(s, s->oldest->hash, s->oldest->key));
        else if (!evict_elsewhere(c, s)) {
            pthread_mutex_unlock(&s->mu);
            free(e);
            return TL_OK;
        }
    }
    slot = slot_of(s, h, key);
    e->next = NULL;
    *slot = e;
    e->older = s->newest;
    if (s->newest != NULL)
        s->newest->newer = e;
    else
        s->oldest = e;
    s->newest = e;
    s->n++;
    s->bytes += e->size;
    maybe_grow(s);
    pthread_mutex_unlock(&s->mu);
    return TL_OK;
}

size_t tl_cache_count(struct tl_cache *c)
{
    size_t i, n = 0;

    for (i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].mu);
        n += c->shards[i].n;
        pthread_mutex_unlock(&c->shards[i].mu);
    }
    return n;
}

size_t tl_cache_bytes(struct tl_cache *c)
{
    size_t i, n = 0;

    for (i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].mu);
        n += c->shards[i].bytes + c->shards[i].n_buckets * sizeof(struct entry *);
        pthread_mutex_unlock(&c->shards[i].mu);
    }
    return n;
}

void tl_cache_on_change(void *cache, const struct tl_change *change)
{
    struct tl_cache *c = cache;

    switch (change->kind) {
    case TL_CHANGE_PROGRAM:
        if (change->id > 0)
            tl_cache_bump_program(c, change->id);
        break;
    case TL_CHANGE_CAMPAIGN:
    case TL_CHANGE_TASK_PARTNERS:
    case TL_CHANGE_LINK_UPDATED:
        if (change->campaign_id > 0)
            tl_cache_bump_campaign(c, change->campaign_id);
        break;
    case TL_CHANGE_LINK_CREATED:
        if (change->campaign_id > 0)
            tl_cache_bump_campaign(c, change->campaign_id);
        tl_cache_bump_links(c);
        break;
    case TL_CHANGE_ALL: tl_cache_bump_all(c); break;
    case TL_CHANGE_API_KEY_REVOKED: break;
    }
}
