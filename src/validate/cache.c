/* The validation cache file: one JSON object per line, keyed by a hash of
 * the secret's fingerprint and the endpoint it was checked against (so a
 * test run against a fake issuer never answers for the real one). Only the
 * issuer's decisive answers (valid, invalid) are kept, for a validity
 * window; the secret itself is never written. A missing, corrupt or stale
 * file only means checking again. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "validate/vcache.h"

/* A cache file bigger than this is ignored (and rewritten smaller). */
#define PL_VCACHE_MAX_FILE (64u * 1024 * 1024)

struct entry {
	char key[65];
	struct pl_validation *v; /* NULL: empty slot */
};

struct pl_vcache {
	char *path;
	double ttl;
	struct entry *slots;
	size_t cap, n;
	int dirty;
};

static size_t hash(const char *key)
{
	size_t h = 0;
	for (int i = 0; i < 16 && key[i]; i++)
		h = h << 4 | (size_t)(key[i] <= '9' ? key[i] - '0' : key[i] - 'a' + 10);
	return h;
}

static struct entry *slot(struct pl_vcache *c, const char *key)
{
	size_t i = hash(key) & (c->cap - 1);
	while (c->slots[i].v && strcmp(c->slots[i].key, key) != 0)
		i = (i + 1) & (c->cap - 1);
	return &c->slots[i];
}

static void grow(struct pl_vcache *c)
{
	struct entry *old = c->slots;
	size_t oldcap = c->cap;
	c->cap = oldcap ? oldcap * 2 : 256;
	c->slots = pl_xcalloc(c->cap, sizeof(*c->slots));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].v)
			*slot(c, old[i].key) = old[i];
	free(old);
}

static void put(struct pl_vcache *c, const char *key, struct pl_validation *v)
{
	if ((c->n + 1) * 2 > c->cap)
		grow(c);
	struct entry *e = slot(c, key);
	if (e->v)
		pl_validation_free(e->v);
	else
		c->n++;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->v = v;
}

void pl_vcache_key(const char *fingerprint, const char *endpoint, char out[65])
{
	/* pl_validator_new loaded it, or failed: reaching here without it is a bug. */
	if (pl_dl_crypto() < 0) {
		fprintf(stderr, "pkgleaks: %s\n", pl_error_message());
		abort();
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, "pkgleaks-validation-v1|", 23) ||
	    !EVP_DigestUpdate(ctx, fingerprint, strlen(fingerprint)) ||
	    !EVP_DigestUpdate(ctx, "|", 1) ||
	    !EVP_DigestUpdate(ctx, endpoint ? endpoint : "", endpoint ? strlen(endpoint) : 0) ||
	    !EVP_DigestFinal_ex(ctx, md, &len) || len != 32) {
		fprintf(stderr, "pkgleaks: SHA-256 failed (out of memory?)\n");
		abort();
	}
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int key_ok(const char *k)
{
	if (!k || strlen(k) != 64)
		return 0;
	for (const char *p = k; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static void load_line(struct pl_vcache *c, const char *line, size_t len, double now)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *key = json_string_value(json_object_get(o, "key"));
	const char *st = json_string_value(json_object_get(o, "status"));
	json_t *at = json_object_get(o, "at"), *det = json_object_get(o, "details");
	if (!key_ok(key) || !st || !json_is_integer(at) ||
	    (double)json_integer_value(at) + c->ttl < now) {
		json_decref(o);
		return;
	}
	struct pl_validation *v = pl_xcalloc(1, sizeof(*v));
	v->status = strcmp(st, "valid") == 0	 ? PL_VALIDATION_VALID
		    : strcmp(st, "invalid") == 0 ? PL_VALIDATION_INVALID
						 : PL_VALIDATION_NONE;
	v->checked_at = json_integer_value(at);
	v->cached = 1;
	const char *reason = json_string_value(json_object_get(o, "reason"));
	if (reason)
		v->reason = pl_xstrdup(reason);
	size_t i;
	json_t *pair;
	json_array_foreach(det, i, pair) {
		const char *k = json_string_value(json_array_get(pair, 0));
		const char *val = json_string_value(json_array_get(pair, 1));
		if (!k || !val)
			continue;
		v->details = pl_xrealloc(v->details, (v->ndetails + 1) * sizeof(*v->details));
		v->details[v->ndetails].key = pl_xstrdup(k);
		v->details[v->ndetails].value = pl_xstrdup(val);
		v->ndetails++;
	}
	if (v->status == PL_VALIDATION_NONE)
		pl_validation_free(v);
	else
		put(c, key, v);
	json_decref(o); /* key points into o */
}

static void load(struct pl_vcache *c)
{
	FILE *f = fopen(c->path, "rb");
	if (!f)
		return;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size > (off_t)PL_VCACHE_MAX_FILE) {
		fclose(f);
		c->dirty = 1;
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	double now = (double)time(NULL);
	while ((n = getline(&line, &cap, f)) > 0)
		load_line(c, line, (size_t)n, now);
	free(line);
	fclose(f);
}

struct pl_vcache *pl_vcache_open(const char *path, double ttl)
{
	struct pl_vcache *c = pl_xcalloc(1, sizeof(*c));
	c->path = path && *path && ttl > 0 ? pl_xstrdup(path) : NULL;
	c->ttl = ttl;
	grow(c);
	if (c->path)
		load(c);
	return c;
}

const struct pl_validation *pl_vcache_get(struct pl_vcache *c, const char *key)
{
	if (!c->path)
		return NULL;
	struct entry *e = slot(c, key);
	if (!e->v || (double)e->v->checked_at + c->ttl < (double)time(NULL))
		return NULL;
	return e->v;
}

void pl_vcache_put(struct pl_vcache *c, const char *key, const struct pl_validation *v)
{
	if (!c->path || (v->status != PL_VALIDATION_VALID && v->status != PL_VALIDATION_INVALID))
		return;
	struct pl_validation *copy = pl_validation_copy(v);
	copy->cached = 1;
	put(c, key, copy);
	c->dirty = 1;
}

static int mkdirs(const char *path)
{
	char *d = pl_xstrdup(path);
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) != 0 && errno != EEXIST) {
			free(d);
			return -1;
		}
		*p = '/';
	}
	free(d);
	return 0;
}

int pl_vcache_save(struct pl_vcache *c)
{
	if (!c->path || !c->dirty)
		return 0;
	if (mkdirs(c->path) != 0)
		return pl_error_set(PL_EIO, "cannot create the directory of %s: %s", c->path,
				    strerror(errno));
	char *tmp = pl_xasprintf("%s.%ld.tmp", c->path, (long)getpid());
	mode_t old = umask(077);
	FILE *f = fopen(tmp, "w");
	umask(old);
	if (!f) {
		int rc = pl_error_set(PL_EIO, "cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	double now = (double)time(NULL);
	for (size_t i = 0; i < c->cap; i++) {
		const struct pl_validation *v = c->slots[i].v;
		if (!v || (double)v->checked_at + c->ttl < now)
			continue;
		json_t *o = json_object(), *det = json_array();
		json_object_set_new(o, "key", json_string(c->slots[i].key));
		json_object_set_new(o, "status", json_string(pl_validation_status_name(v->status)));
		json_object_set_new(o, "at", json_integer(v->checked_at));
		if (v->reason)
			json_object_set_new(o, "reason", json_string(v->reason));
		for (size_t k = 0; k < v->ndetails; k++)
			json_array_append_new(det, json_pack("[ss]", v->details[k].key,
							     v->details[k].value));
		json_object_set_new(o, "details", det);
		char *s = json_dumps(o, JSON_COMPACT);
		if (s)
			fprintf(f, "%s\n", s);
		free(s);
		json_decref(o);
	}
	int bad = ferror(f) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, c->path) != 0) {
		int rc = pl_error_set(PL_EIO, "cannot write %s", c->path);
		unlink(tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	c->dirty = 0;
	return 0;
}

void pl_vcache_free(struct pl_vcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		pl_validation_free(c->slots[i].v);
	free(c->slots);
	free(c->path);
	free(c);
}

char *pl_vcache_default_path(void)
{
	const char *dir = getenv("PKGLEAKS_CACHE_DIR"), *base = getenv("XDG_CACHE_HOME");
	if (dir)
		return *dir ? pl_xasprintf("%s/validations.jsonl", dir) : NULL;
	if (base && *base)
		return pl_xasprintf("%s/pkgleaks/validations.jsonl", base);
	const char *home = getenv("HOME");
	if (home && *home)
		return pl_xasprintf("%s/.cache/pkgleaks/validations.jsonl", home);
	return NULL;
}
