/* The validation cache (cache.c): fingerprint + endpoint -> the issuer's last
 * decisive answer, kept in a JSON-lines file for a validity window. Not
 * thread-safe: the validator calls it under its lock. */
#ifndef PL_VALIDATE_VCACHE_H
#define PL_VALIDATE_VCACHE_H

#include "pkgleaks/finding.h"

struct pl_vcache;

/* Loads path (NULL or "" or ttl <= 0: an empty cache that keeps nothing). */
struct pl_vcache *pl_vcache_open(const char *path, double ttl);
void pl_vcache_free(struct pl_vcache *c);
/* The unexpired answer for key, or NULL; borrowed until the next put. */
const struct pl_validation *pl_vcache_get(struct pl_vcache *c, const char *key);
/* Keeps a copy of v when it is VALID or INVALID. */
void pl_vcache_put(struct pl_vcache *c, const char *key, const struct pl_validation *v);
/* Rewrites the file (mode 0600) when anything changed; 0 or PL_EIO. */
int pl_vcache_save(struct pl_vcache *c);

/* Hex SHA-256 of the fingerprint and the endpoint identity. */
void pl_vcache_key(const char *fingerprint, const char *endpoint, char out[65]);
/* $PKGLEAKS_CACHE_DIR/validations.jsonl ("" dir: NULL), else
 * $XDG_CACHE_HOME/pkgleaks/..., else ~/.cache/pkgleaks/...; caller frees. */
char *pl_vcache_default_path(void);

#endif
