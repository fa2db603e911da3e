/* Blobs already stored, in memory (see pl_blob_cache in store_int.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/alloc.h"

/* Hex digit values (lower case, as stored); 16 marks anything else. Parsing
 * the 64 digits was most of a lookup: a table, not a chain of comparisons. */
static const unsigned char hex_value[256] = {
#define X16 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16
	X16, X16, X16,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 16, 16, 16, 16, 16,       /* '0'.. */
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, /* 'a'.. */
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	X16, X16, X16, X16, X16, X16, X16, X16,
#undef X16
};

/* The blob id's PL_BLOB_ID_LEN hex digits as two words; -1 for anything
 * else (an id of an older store, made with another hash, never matches). */
static int id_key(const char *hex, uint64_t key[2])
{
	const unsigned char *h = (const unsigned char *)hex;
	if (strlen(hex) != PL_BLOB_ID_LEN)
		return -1;
	for (int w = 0; w < 2; w++) {
		uint64_t v = 0;
		for (int i = 0; i < 16; i++) {
			unsigned d = hex_value[h[w * 16 + i]];
			if (d == 16) /* not hex, or the end of a short string */
				return -1;
			v = v << 4 | d;
		}
		key[w] = v;
	}
	return key[0] | key[1] ? 0 : -1; /* all zero marks an empty slot */
}

static int used(const struct pl_blob_slot *s)
{
	return (s->key[0] | s->key[1]) != 0;
}

/* Open addressing, linear probing: the slot holding key, or the empty one
 * where it would go. */
static struct pl_blob_slot *cache_slot(const struct pl_blob_cache *c, const uint64_t key[2])
{
	size_t i = (size_t)key[0] & (c->cap - 1);
	while (used(&c->slots[i])) {
		if (memcmp(c->slots[i].key, key, sizeof(c->slots[i].key)) == 0)
			return &c->slots[i];
		i = (i + 1) & (c->cap - 1);
	}
	return &c->slots[i];
}

static void grow(struct pl_blob_cache *c)
{
	struct pl_blob_slot *old = c->slots;
	size_t cap = c->cap;
	c->slots = pl_xcalloc(2 * cap, sizeof(*c->slots));
	c->cap = 2 * cap;
	for (size_t i = 0; i < cap; i++)
		if (used(&old[i]))
			*cache_slot(c, old[i].key) = old[i];
	free(old);
}

/* The size table's slot holding size + 1, or the empty one where it goes. */
static uint64_t *size_slot(const struct pl_blob_cache *c, uint64_t size)
{
	uint64_t v = size + 1;
	/* Sizes cluster (small files): a multiplicative hash spreads them. */
	size_t i = (size_t)((v * 0x9e3779b97f4a7c15u) >> 20) & (c->size_cap - 1);
	while (c->sizes[i] && c->sizes[i] != v)
		i = (i + 1) & (c->size_cap - 1);
	return &c->sizes[i];
}

static void grow_sizes(struct pl_blob_cache *c)
{
	uint64_t *old = c->sizes;
	size_t cap = c->size_cap;
	c->size_cap = cap ? 2 * cap : 1024;
	c->sizes = pl_xcalloc(c->size_cap, sizeof(*c->sizes));
	for (size_t i = 0; i < cap; i++)
		if (old[i])
			*size_slot(c, old[i] - 1) = old[i];
	free(old);
}

static void add_size(struct pl_blob_cache *c, int64_t size)
{
	if (size < 0 || size == INT64_MAX) {
		c->any_size = 1;
		return;
	}
	if (2 * (c->size_count + 1) > c->size_cap)
		grow_sizes(c);
	uint64_t *slot = size_slot(c, (uint64_t)size);
	c->size_count += !*slot;
	*slot = (uint64_t)size + 1;
}

void pl_blob_cache_add(struct pl_blob_cache *c, const char *blob_id, int64_t nfindings,
		       int64_t size)
{
	uint64_t key[2];
	if (!c->slots || id_key(blob_id, key) < 0)
		return;
	if (c->count >= PL_BLOB_CACHE_MAX) {
		c->complete = 0; /* full: misses ask the store from now on */
		return;
	}
	if (2 * (c->count + 1) > c->cap)
		grow(c);
	struct pl_blob_slot *slot = cache_slot(c, key);
	c->count += !used(slot);
	memcpy(slot->key, key, sizeof(key));
	slot->nfindings = nfindings;
	add_size(c, size);
}

int pl_blob_cache_size_new(const struct pl_blob_cache *c, uint64_t size)
{
	if (!c->slots || !c->complete || c->any_size)
		return 0;
	return !c->sizes || !*size_slot(c, size);
}

int64_t pl_blob_cache_find(const struct pl_blob_cache *c, const char *blob_id)
{
	uint64_t key[2];
	if (!c->slots || id_key(blob_id, key) < 0)
		return -1;
	const struct pl_blob_slot *slot = cache_slot(c, key);
	return used(slot) ? slot->nfindings : -1;
}

static int take_blob(void *ctx, size_t ncols, const char *const *v)
{
	struct pl_blob_cache *c = ctx;
	if (ncols >= 3 && v[0])
		pl_blob_cache_add(c, v[0], pl_store_int(v[1], 0), v[2] ? pl_store_int(v[2], -1) : -1);
	return 0;
}

void pl_blob_cache_load(struct pl_blob_cache *c, struct pl_store *st, const char *ruleset)
{
	*c = (struct pl_blob_cache){.slots = pl_xcalloc(1024, sizeof(struct pl_blob_slot)),
				    .cap = 1024, .complete = 1};
	struct pl_sql_value p[] = {pl_sql_text(ruleset), pl_sql_int(PL_BLOB_CACHE_MAX + 1)};
	if (pl_store_query(st, "SELECT id, nfindings, size FROM blobs WHERE ruleset_version = $1"
			       " LIMIT $2", p, 2, take_blob, c) < 0 || !c->complete) {
		/* Too many (or unreadable): keep none, ask the store each time. */
		pl_blob_cache_release(c);
	}
}

void pl_blob_cache_release(struct pl_blob_cache *c)
{
	free(c->slots);
	free(c->sizes);
	*c = (struct pl_blob_cache){0};
}
