/* Compiling a ruleset: one Hyperscan database (prefilter) for every rule and
 * one PCRE2 JIT program per rule (confirmation and capture). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "rules/rules_int.h"
#include "util/alloc.h"

static int compile_pcre(struct pl_rule *r, struct pl_rule_prog *p)
{
	if (!r->pattern)
		return 0; /* composite: resolved by resolve_parts */
	int err;
	PCRE2_SIZE off;
	/* USE_OFFSET_LIMIT: the matcher bounds where a match may start, not
	 * where it may end, so a confirmation never sees a cut-off text. */
	p->re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, PCRE2_USE_OFFSET_LIMIT,
			      &err, &off, NULL);
	if (!p->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof(msg));
		return pl_error_set(PL_EFORMAT, "rule %s (%s): pattern error at offset %zu: %s",
				    r->id, r->origin, (size_t)off, (char *)msg);
	}
	int g = pcre2_substring_number_from_name(p->re, (PCRE2_SPTR) "secret");
	p->secret_group = g > 0 ? g : 0;
	g = pcre2_substring_number_from_name(p->re, (PCRE2_SPTR) "password");
	p->password_group = g > 0 ? g : -1;
	if (p->secret_group == 0)
		return pl_error_set(PL_EFORMAT, "rule %s (%s): pattern has no (?P<secret>...) group",
				    r->id, r->origin);
	return 0;
}

/* Asks Hyperscan whether it takes the pattern, and how wide a match can be. */
static void probe_hyperscan(struct pl_rule *r, struct pl_rule_prog *p)
{
	if (!r->pattern)
		return;
	if (r->by_keyword || r->prefilter_pattern) {
		p->by_keyword = 1;
		p->max_width = r->window ? r->window : 4096;
		return;
	}
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *err = NULL;
	if (hs_expression_info(r->pattern, HS_FLAG_PREFILTER, &info, &err) != HS_SUCCESS) {
		hs_free_compile_error(err);
		p->by_keyword = 1;
		p->max_width = 4096;
		return;
	}
	p->max_width = info->max_width > PL_RULE_MAX_WINDOW ? PL_RULE_MAX_WINDOW : info->max_width;
	if (info->min_width == 0)
		p->by_keyword = 1;
	free(info);
}

/* A keyword as a Hyperscan regex that matches it literally. */
static char *literal_regex(const char *kw)
{
	size_t n = strlen(kw);
	char *out = pl_xmalloc(n * 4 + 1), *o = out;
	for (const unsigned char *c = (const unsigned char *)kw; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
			*o++ = (char)*c;
		else
			o += snprintf(o, 5, "\\x%02x", *c);
	}
	*o = '\0';
	return out;
}

struct hs_input {
	const char **exprs;
	unsigned *flags, *ids;
	char **owned; /* literal regexes to free */
	size_t n, cap, nowned, cap_owned, cap_flags, cap_ids;
};

static void hs_input_add(struct hs_input *in, const char *expr, unsigned flags, unsigned id)
{
	PL_GROW(in->exprs, in->cap, in->n + 1);
	PL_GROW(in->flags, in->cap_flags, in->n + 1);
	PL_GROW(in->ids, in->cap_ids, in->n + 1);
	in->exprs[in->n] = expr;
	in->flags[in->n] = flags;
	in->ids[in->n] = id;
	in->n++;
}

static void hs_input_release(struct hs_input *in)
{
	for (size_t i = 0; i < in->nowned; i++)
		free(in->owned[i]);
	free(in->owned);
	free(in->exprs);
	free(in->flags);
	free(in->ids);
	memset(in, 0, sizeof(*in));
}

static int collect_expressions(struct pl_ruleset *rs, struct hs_input *in)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct pl_rule *r = rs->rules[i];
		if (!r->pattern)
			continue;
		if (!rs->progs[i].by_keyword) {
			hs_input_add(in, r->pattern, HS_FLAG_PREFILTER, (unsigned)i);
			continue;
		}
		if (r->prefilter_pattern) {
			hs_input_add(in, r->prefilter_pattern, HS_FLAG_PREFILTER, (unsigned)i);
			continue;
		}
		if (!r->keywords[0])
			return pl_error_set(PL_EFORMAT,
					    "rule %s (%s): Hyperscan cannot take this pattern and "
					    "the rule has no keywords to prefilter it",
					    r->id, r->origin);
		for (char **k = r->keywords; *k; k++) {
			PL_GROW(in->owned, in->cap_owned, in->nowned + 1);
			char *lit = in->owned[in->nowned++] = literal_regex(*k);
			hs_input_add(in, lit, HS_FLAG_CASELESS, (unsigned)i);
		}
	}
	return 0;
}

/* Filler literals for a large ruleset (see docs/internals/match.md).
 * Hyperscan's literal matcher (FDR) hashes 12 bits of the input at each
 * position while it holds fewer than 1000 literals and 13 from 1000 on. A
 * few hundred rules give some 500 literals, many of them short ("AC", "EAA",
 * "KEY") and frequent in minified JavaScript and source maps; with 12 bits
 * many positions pass the hash and must be confirmed (13 bits made the
 * matcher some 6% faster on make bench's corpus). Literals that text does
 * not hold take the count past 1000; they never match anything real, and a
 * match of one (binary input could hold one) carries PL_RULE_FILLER_ID,
 * which the matcher ignores. A small ruleset stays as it is: up to some 90
 * literals Hyperscan picks Teddy, which filler would only push out. */
#define PL_FILLER_FROM 200 /* expressions from which a ruleset gets filler */
#define PL_FILLER_UPTO 1100 /* expressions with filler: past FDR's 1000 */

static void add_filler(struct hs_input *in)
{
	if (in->n < PL_FILLER_FROM)
		return;
	for (unsigned i = 0; in->n < PL_FILLER_UPTO; i++) {
		/* Only bytes 0xf0-0xff, which ASCII and most UTF-8 text lack, so
		 * that they add nothing to what the hash lets through. */
		char *lit = pl_xasprintf("\\xff\\xfe\\x%02x\\x%02x\\x%02x\\xfd", 0xf0 + ((i >> 8) & 15),
					 0xf0 + ((i >> 4) & 15), 0xf0 + (i & 15));
		PL_GROW(in->owned, in->cap_owned, in->nowned + 1);
		in->owned[in->nowned++] = lit;
		hs_input_add(in, lit, 0, PL_RULE_FILLER_ID);
	}
}

/* Compiles the database; a rule Hyperscan refuses falls back to its keywords. */
static int compile_database(struct pl_ruleset *rs)
{
	for (int attempt = 0; attempt < 64; attempt++) {
		struct hs_input in = {0};
		int rc = collect_expressions(rs, &in);
		if (rc) {
			hs_input_release(&in);
			return rc;
		}
		add_filler(&in);
		hs_compile_error_t *err = NULL;
		hs_error_t hr = hs_compile_multi(in.exprs, in.flags, in.ids, (unsigned)in.n,
						 HS_MODE_BLOCK, NULL, &rs->db, &err);
		if (hr == HS_SUCCESS) {
			hs_input_release(&in);
			return 0;
		}
		int bad = err->expression;
		if (bad >= 0 && in.ids[bad] == PL_RULE_FILLER_ID)
			bad = -1; /* filler refused: nothing a rule can fall back from */
		if (bad < 0 || rs->progs[in.ids[bad]].by_keyword) {
			rc = pl_error_set(PL_EFORMAT, "Hyperscan cannot compile the rules: %s%s%s",
					  err->message, bad >= 0 ? " in rule " : "",
					  bad >= 0 ? rs->rules[in.ids[bad]]->id : "");
			hs_free_compile_error(err);
			hs_input_release(&in);
			return rc;
		}
		rs->progs[in.ids[bad]].by_keyword = 1;
		hs_free_compile_error(err);
		hs_input_release(&in);
	}
	return pl_error_set(PL_EFORMAT, "Hyperscan refused too many rules");
}

static void compute_version(struct pl_ruleset *rs)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx) {
		fprintf(stderr, "pkgleaks: out of memory\n");
		abort();
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, PKGLEAKS_VERSION, strlen(PKGLEAKS_VERSION));
	for (size_t i = 0; i < rs->n; i++) {
		const struct pl_rule *r = rs->rules[i];
		char params[96];
		snprintf(params, sizeof(params), "|%.3f|%d|%d|%d|%u|", r->min_entropy,
			 (int)r->checksum, (int)r->confidence, r->by_keyword, r->window);
		EVP_DigestUpdate(ctx, r->id, strlen(r->id) + 1);
		if (r->pattern)
			EVP_DigestUpdate(ctx, r->pattern, strlen(r->pattern) + 1);
		if (r->prefilter_pattern)
			EVP_DigestUpdate(ctx, r->prefilter_pattern, strlen(r->prefilter_pattern) + 1);
		for (char **part = r->parts; part && *part; part++)
			EVP_DigestUpdate(ctx, *part, strlen(*part) + 1);
		for (char **kw = r->keywords; kw && *kw; kw++)
			EVP_DigestUpdate(ctx, *kw, strlen(*kw) + 1);
		EVP_DigestUpdate(ctx, params, strlen(params));
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 8; i++)
		snprintf(rs->version + 2 * i, 3, "%02x", md[i]);
}

/* ---- compiled-database cache ----
 * Hyperscan takes seconds to compile a few hundred prefilter patterns; a
 * pre-commit hook cannot wait that long on every run. The database is cached
 * per ruleset version (and Hyperscan version) in $PKGLEAKS_CACHE_DIR, else
 * $XDG_CACHE_HOME/pkgleaks, else ~/.cache/pkgleaks. A missing, stale or
 * corrupt cache only means compiling again. */

#define CACHE_MAGIC "PLHSDB3\n" /* 3: filler literals */

/* Per rule in the cache: by_keyword (1 byte), max_width (4 bytes). */
#define CACHE_RULE_BYTES 5

static char *cache_path(const struct pl_ruleset *rs)
{
	const char *dir = getenv("PKGLEAKS_CACHE_DIR"), *base = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *d;
	if (dir && !*dir)
		return NULL; /* PKGLEAKS_CACHE_DIR= turns the cache off */
	if (dir)
		d = pl_xstrdup(dir);
	else if (base && *base)
		d = pl_xasprintf("%s/pkgleaks", base);
	else if (home && *home)
		d = pl_xasprintf("%s/.cache/pkgleaks", home);
	else
		return NULL;
	char *p = pl_xasprintf("%s/rules-%s-hs%s.db", d, rs->version, hs_version());
	for (char *c = p + strlen(d) + 1; *c; c++)
		if (*c == ' ' || *c == '/')
			*c = '_';
	free(d);
	return p;
}

/* Installs a serialized database (the cache file format) into rs. */
static int cache_parse(struct pl_ruleset *rs, const unsigned char *d, size_t len)
{
	unsigned long long n, size;
	size_t per_rule = rs->n * CACHE_RULE_BYTES, head = 8 + 2 * sizeof(n);
	if (len < head || memcmp(d, CACHE_MAGIC, 8) != 0)
		return -1;
	memcpy(&n, d + 8, sizeof(n));
	memcpy(&size, d + 8 + sizeof(n), sizeof(size));
	if (n != rs->n || size != len - head - per_rule || len < head + per_rule)
		return -1;
	const unsigned char *e = d + head;
	for (size_t i = 0; i < rs->n; i++, e += CACHE_RULE_BYTES) {
		rs->progs[i].by_keyword = e[0] != 0;
		memcpy(&rs->progs[i].max_width, e + 1, 4);
		if (rs->progs[i].max_width > PL_RULE_MAX_WINDOW)
			return -1;
	}
	if (hs_deserialize_database((const char *)e, (size_t)size, &rs->db) != HS_SUCCESS) {
		rs->db = NULL;
		return -1;
	}
	return 0;
}

static int cache_load(struct pl_ruleset *rs)
{
	if (&pl_embedded_db && pl_embedded_db.version &&
	    strcmp(pl_embedded_db.version, rs->version) == 0 &&
	    cache_parse(rs, pl_embedded_db.data, pl_embedded_db.len) == 0)
		return 0;
	char *path = cache_path(rs);
	FILE *f = path ? fopen(path, "rb") : NULL;
	free(path);
	if (!f)
		return -1;
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, got;
	do {
		PL_GROW(data, cap, len + 65536);
		got = fread(data + len, 1, 65536, f);
		len += got;
	} while (got > 0 && len < (1u << 30));
	int rc = ferror(f) ? -1 : cache_parse(rs, data, len);
	fclose(f);
	free(data);
	return rc;
}

static void mkdir_parents(const char *path)
{
	char *d = pl_xstrdup(path);
	for (char *c = d + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		(void)mkdir(d, 0700);
		*c = '/';
	}
	free(d);
}

int pl_ruleset_serialize(const struct pl_ruleset *rs, unsigned char **out, size_t *len)
{
	char *blob = NULL;
	size_t size = 0;
	if (!rs->db || hs_serialize_database(rs->db, &blob, &size) != HS_SUCCESS)
		return pl_error_set(PL_ERROR, "cannot serialize the Hyperscan database");
	unsigned long long n = rs->n, sz = size;
	size_t head = 8 + 2 * sizeof(n), total = head + rs->n * CACHE_RULE_BYTES + size;
	unsigned char *d = pl_xmalloc(total), *e = d + head;
	memcpy(d, CACHE_MAGIC, 8);
	memcpy(d + 8, &n, sizeof(n));
	memcpy(d + 8 + sizeof(n), &sz, sizeof(sz));
	for (size_t i = 0; i < rs->n; i++, e += CACHE_RULE_BYTES) {
		e[0] = rs->progs[i].by_keyword ? 1 : 0;
		memcpy(e + 1, &rs->progs[i].max_width, 4);
	}
	memcpy(e, blob, size);
	free(blob);
	*out = d;
	*len = total;
	return 0;
}

/* Best effort: written to a temporary name, then renamed into place. */
static void cache_store(const struct pl_ruleset *rs)
{
	char *path = cache_path(rs);
	unsigned char *data = NULL;
	size_t len = 0;
	if (!path || pl_ruleset_serialize(rs, &data, &len) < 0) {
		free(path);
		return;
	}
	mkdir_parents(path);
	char *tmp = pl_xasprintf("%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	int ok = f && fwrite(data, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0)
		(void)unlink(tmp);
	free(data);
	free(tmp);
	free(path);
}

static int find_index(const struct pl_ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i]->id, id) == 0)
			return (int)i;
	return -1;
}

/* A composite rule pairs two pattern rules found near each other. */
static int resolve_parts(struct pl_ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct pl_rule *r = rs->rules[i];
		if (!r->parts)
			continue;
		int a = find_index(rs, r->parts[0]), b = find_index(rs, r->parts[1]);
		if (a < 0 || b < 0 || !rs->rules[a]->pattern || !rs->rules[b]->pattern || a == b)
			return pl_error_set(PL_EFORMAT,
					    "rule %s (%s): parts must be two different pattern rules "
					    "that exist (%s, %s)",
					    r->id, r->origin, r->parts[0], r->parts[1]);
		rs->progs[i].part_a = a;
		rs->progs[i].part_b = b;
		rs->progs[a].in_composite = rs->progs[b].in_composite = 1;
	}
	return 0;
}

/* Compiles the rule's pattern under rs->jit_lock, once. */
static void compile_lazily(struct pl_ruleset *rs, struct pl_rule_prog *p)
{
	if (atomic_load_explicit(&p->state, memory_order_relaxed) != PL_PROG_NONE)
		return;
	struct pl_rule *r = rs->rules[p - rs->progs];
	int ok = compile_pcre(r, p) == 0 && p->re;
	if (!ok)
		pl_error_clear();
	atomic_store_explicit(&p->state, ok ? PL_PROG_COMPILED : PL_PROG_BROKEN,
			      memory_order_release);
}

/* JIT works on a copy: other threads may be matching with p->re meanwhile. */
static void jit_lazily(struct pl_rule_prog *p)
{
	if (atomic_load_explicit(&p->jit, memory_order_relaxed))
		return;
	pcre2_code *copy = pcre2_code_copy(p->re);
	/* JIT is an optimisation: without it the interpreter gives the same
	 * answers, so a failure only means staying with the interpreter. */
	if (copy && pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE) == 0)
		atomic_store_explicit(&p->jit, copy, memory_order_release);
	else
		pcre2_code_free(copy);
}

const pcre2_code *pl_rule_prog_code(struct pl_ruleset *rs, struct pl_rule_prog *p)
{
	pcre2_code *jit = atomic_load_explicit(&p->jit, memory_order_acquire);
	if (jit)
		return jit;
	int state = atomic_load_explicit(&p->state, memory_order_acquire);
	unsigned uses = atomic_fetch_add_explicit(&p->uses, 1, memory_order_relaxed);
	if (state == PL_PROG_BROKEN)
		return NULL;
	if (state == PL_PROG_COMPILED && uses < PL_RULE_JIT_AFTER)
		return p->re;
	pthread_mutex_lock(&rs->jit_lock);
	compile_lazily(rs, p);
	state = atomic_load_explicit(&p->state, memory_order_relaxed);
	if (state == PL_PROG_COMPILED && uses >= PL_RULE_JIT_AFTER)
		jit_lazily(p);
	pthread_mutex_unlock(&rs->jit_lock);
	if (state == PL_PROG_BROKEN)
		return NULL;
	jit = atomic_load_explicit(&p->jit, memory_order_acquire);
	return jit ? jit : p->re;
}

int pl_ruleset_compile(struct pl_ruleset *rs)
{
	if (rs->db)
		return 0;
	if (rs->n == 0)
		return pl_error_set(PL_EINVAL, "no rules to compile");
	rs->progs = pl_xcalloc(rs->n, sizeof(*rs->progs));
	for (size_t i = 0; i < rs->n; i++)
		rs->progs[i].part_a = rs->progs[i].part_b = -1;
	int prc = resolve_parts(rs);
	if (prc)
		return prc;
	/* The embedded snapshot and database come from one build step: hashing
	 * the rules again would only start OpenSSL for nothing. */
	if (rs->pristine_builtin && &pl_embedded_db && pl_embedded_db.version)
		snprintf(rs->version, sizeof(rs->version), "%s", pl_embedded_db.version);
	else if ((prc = pl_dl_crypto()) < 0)
		return prc;
	else
		compute_version(rs);
	/* A cached database was compiled from these very patterns, so PCRE2
	 * took them then: each is compiled when a candidate first needs it
	 * (start-up is most of a pre-commit hook's time). */
	if (cache_load(rs) == 0)
		return 0;
	if (rs->db) {
		hs_free_database(rs->db);
		rs->db = NULL;
	}
	for (size_t i = 0; i < rs->n; i++) {
		int rc = compile_pcre(rs->rules[i], &rs->progs[i]);
		if (rc)
			return rc;
		atomic_store_explicit(&rs->progs[i].state, PL_PROG_COMPILED, memory_order_relaxed);
	}
	for (size_t i = 0; i < rs->n; i++)
		probe_hyperscan(rs->rules[i], &rs->progs[i]);
	int rc = compile_database(rs);
	if (rc == 0)
		cache_store(rs);
	return rc;
}
