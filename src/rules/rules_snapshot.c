/* The loaded ruleset as bytes, and back: the build writes the built-in rules
 * this way (tools/gen_db.c), so a run does not parse half a megabyte of YAML
 * at start-up — most of a pre-commit hook's time once the database itself is
 * built in. The format is private to one build of pkgleaks (gen_db and the
 * binary come from the same sources), so it has no versioning beyond a magic.
 *
 * Hand-written: it is a flat dump of our own structs (strings, string lists,
 * numbers); no serialisation library knows them, and a schema-driven one
 * would cost more at start-up than this does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "rules/rules_int.h"
#include "rules/rules_validator.h"
#include "util/alloc.h"
#include "util/buf.h"

#define SNAP_MAGIC "PLRULES1"
#define SNAP_NULL UINT32_MAX /* a NULL string or list */

/* ---- writing ---- */

static void put_bytes(struct pl_buf *b, const void *p, size_t n)
{
	if (pl_buf_append(b, p, n) < 0)
		abort(); /* unbounded buffer: only out of memory, which aborts anyway */
}

static void put_u32(struct pl_buf *b, uint32_t v)
{
	put_bytes(b, &v, sizeof(v));
}

static void put_f64(struct pl_buf *b, double v)
{
	put_bytes(b, &v, sizeof(v));
}

static void put_str(struct pl_buf *b, const char *s)
{
	if (!s) {
		put_u32(b, SNAP_NULL);
		return;
	}
	size_t n = strlen(s);
	put_u32(b, (uint32_t)n);
	put_bytes(b, s, n);
}

static void put_strv(struct pl_buf *b, char *const *v)
{
	if (!v) {
		put_u32(b, SNAP_NULL);
		return;
	}
	uint32_t n = 0;
	while (v[n])
		n++;
	put_u32(b, n);
	for (uint32_t i = 0; i < n; i++)
		put_str(b, v[i]);
}

static void put_answer(struct pl_buf *b, const struct pl_rule_answer *a)
{
	uint32_t n = 0;
	while (a->status && a->status[n])
		n++;
	put_u32(b, a->status ? n : SNAP_NULL);
	for (uint32_t i = 0; i < n; i++)
		put_u32(b, (uint32_t)a->status[i]);
	put_str(b, a->body_contains);
	put_strv(b, a->json_paths);
	put_strv(b, a->json_values);
	put_u32(b, (uint32_t)a->result);
}

static void put_validator(struct pl_buf *b, const struct pl_rule_validator *v)
{
	put_u32(b, v ? 1 : 0);
	if (!v)
		return;
	put_str(b, v->kind);
	put_str(b, v->service);
	put_str(b, v->url);
	put_str(b, v->method);
	put_strv(b, v->headers);
	put_str(b, v->body);
	put_str(b, v->basic_auth);
	put_str(b, v->extract);
	put_u32(b, (uint32_t)v->nanswers);
	for (size_t i = 0; i < v->nanswers; i++)
		put_answer(b, &v->answers[i]);
	put_strv(b, v->detail_names);
	put_strv(b, v->detail_paths);
	put_str(b, v->reason);
	put_f64(b, v->rate);
	put_u32(b, v->concurrency);
}

static void put_rule(struct pl_buf *b, const struct pl_rule *r)
{
	put_str(b, r->id);
	put_str(b, r->name);
	put_str(b, r->pattern);
	put_strv(b, r->parts);
	put_u32(b, r->distance);
	put_u32(b, (uint32_t)r->by_keyword);
	put_u32(b, r->window);
	put_str(b, r->prefilter_pattern);
	put_strv(b, r->keywords);
	put_f64(b, r->min_entropy);
	put_u32(b, (uint32_t)r->checksum);
	put_u32(b, (uint32_t)r->confidence);
	put_str(b, r->remediation);
	put_str(b, r->inspect);
	put_validator(b, r->validator);
	put_strv(b, r->references);
	put_strv(b, r->examples);
	put_strv(b, r->example_secrets);
	put_strv(b, r->negative_examples);
	put_str(b, r->origin);
}

int pl_ruleset_snapshot(const struct pl_ruleset *rs, unsigned char **out, size_t *len)
{
	struct pl_buf b;
	pl_buf_init(&b, 0);
	put_bytes(&b, SNAP_MAGIC, 8);
	put_u32(&b, (uint32_t)rs->n);
	for (size_t i = 0; i < rs->n; i++)
		put_rule(&b, rs->rules[i]);
	*len = b.len;
	*out = (unsigned char *)pl_buf_detach(&b);
	return 0;
}

/* ---- reading ---- */

struct reader {
	const unsigned char *p, *end;
	int bad; /* ran past the end or met an impossible length */
};

static void get_raw(struct reader *r, void *out, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p, n);
	r->p += n;
}

static uint32_t get_u32(struct reader *r)
{
	uint32_t v;
	get_raw(r, &v, sizeof(v));
	return v;
}

static double get_f64(struct reader *r)
{
	double v;
	get_raw(r, &v, sizeof(v));
	return v;
}

static char *get_str(struct reader *r)
{
	uint32_t n = get_u32(r);
	if (n == SNAP_NULL || r->bad)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	char *s = pl_xmalloc((size_t)n + 1);
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	return s;
}

/* A count of things each at least `unit` bytes long that fit what is left. */
static int count_fits(struct reader *r, uint32_t n, size_t unit)
{
	if ((size_t)(r->end - r->p) / unit < n) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

static char **get_strv(struct reader *r)
{
	uint32_t n = get_u32(r);
	if (n == SNAP_NULL || r->bad || !count_fits(r, n, 4))
		return NULL;
	char **v = pl_xcalloc((size_t)n + 1, sizeof(char *));
	for (uint32_t i = 0; i < n; i++)
		v[i] = get_str(r);
	return v;
}

static void get_answer(struct reader *r, struct pl_rule_answer *a)
{
	uint32_t n = get_u32(r);
	if (n != SNAP_NULL && !r->bad && count_fits(r, n, 4)) {
		a->status = pl_xcalloc((size_t)n + 1, sizeof(int));
		for (uint32_t i = 0; i < n; i++)
			a->status[i] = (int)get_u32(r);
	}
	a->body_contains = get_str(r);
	a->json_paths = get_strv(r);
	a->json_values = get_strv(r);
	a->result = (int)get_u32(r);
}

static struct pl_rule_validator *get_validator(struct reader *r)
{
	if (!get_u32(r))
		return NULL;
	struct pl_rule_validator *v = pl_xcalloc(1, sizeof(*v));
	v->kind = get_str(r);
	v->service = get_str(r);
	v->url = get_str(r);
	v->method = get_str(r);
	v->headers = get_strv(r);
	v->body = get_str(r);
	v->basic_auth = get_str(r);
	v->extract = get_str(r);
	uint32_t n = get_u32(r);
	if (!r->bad && count_fits(r, n, 20)) {
		v->answers = pl_xcalloc(n ? n : 1, sizeof(*v->answers));
		v->nanswers = n;
		for (uint32_t i = 0; i < n; i++)
			get_answer(r, &v->answers[i]);
	}
	v->detail_names = get_strv(r);
	v->detail_paths = get_strv(r);
	v->reason = get_str(r);
	v->rate = get_f64(r);
	v->concurrency = get_u32(r);
	return v;
}

static struct pl_rule *get_rule(struct reader *r)
{
	struct pl_rule *x = pl_xcalloc(1, sizeof(*x));
	x->id = get_str(r);
	x->name = get_str(r);
	x->pattern = get_str(r);
	x->parts = get_strv(r);
	x->distance = get_u32(r);
	x->by_keyword = (int)get_u32(r);
	x->window = get_u32(r);
	x->prefilter_pattern = get_str(r);
	x->keywords = get_strv(r);
	x->min_entropy = get_f64(r);
	x->checksum = (enum pl_checksum)get_u32(r);
	x->confidence = (enum pl_confidence)get_u32(r);
	x->remediation = get_str(r);
	x->inspect = get_str(r);
	x->validator = get_validator(r);
	x->references = get_strv(r);
	x->examples = get_strv(r);
	x->example_secrets = get_strv(r);
	x->negative_examples = get_strv(r);
	x->origin = get_str(r);
	if (!x->id)
		r->bad = 1;
	return x;
}

int pl_ruleset_add_snapshot(struct pl_ruleset *rs, const unsigned char *data, size_t len)
{
	if (rs->db)
		return pl_error_set(PL_EINVAL, "ruleset already compiled");
	struct reader r = {data, data + len, 0};
	if (len < 8 || memcmp(data, SNAP_MAGIC, 8) != 0)
		return pl_error_set(PL_EFORMAT, "not a rules snapshot");
	r.p += 8;
	uint32_t n = get_u32(&r);
	/* Into an empty ruleset the ids are known unique (the snapshot was made
	 * from a loaded ruleset): appending skips n^2/2 id comparisons. */
	int append = rs->n == 0;
	for (uint32_t i = 0; i < n && !r.bad; i++) {
		struct pl_rule *x = get_rule(&r);
		if (r.bad) {
			pl_rule_free(x);
			break;
		}
		if (append) {
			PL_GROW(rs->rules, rs->cap, rs->n + 1);
			x->index = (unsigned)rs->n;
			rs->rules[rs->n++] = x;
		} else {
			pl_ruleset_put(rs, x);
		}
	}
	if (r.bad || r.p != r.end)
		return pl_error_set(PL_EFORMAT, "rules snapshot is truncated or corrupt");
	return 0;
}
