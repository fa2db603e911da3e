/* The matcher: Hyperscan finds where candidates end, PCRE2 confirms each in a
 * window ending there and captures the secret, then the filters decide. */
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "pkgleaks/match.h"
#include "rules/rules_int.h"
#include "util/alloc.h"

/* Bytes either side of a secret searched for the allow marker. */
#define PL_ALLOW_REACH 4096
/* Backtracking bound: a hostile text must not make one rule run for minutes. */
#define PL_PCRE_MATCH_LIMIT 200000

struct window {
	unsigned rule;
	size_t lo, hi;
};

struct pl_matcher {
	const struct pl_ruleset *rs;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	struct window *open;   /* per rule: the window being grown (hi == 0: none) */
	/* Rules with a hit in the current scan, so that closing the open windows
	 * costs the rules that fired, not every rule (most files fire a few). */
	unsigned *fired;
	size_t nfired;
	unsigned *fired_in;    /* per rule: the scan that last added it to fired */
	unsigned scan_no;      /* counts scans; 0 is never a scan's number */
	struct window *wins;   /* closed windows of the current scan */
	size_t nwins, cap_wins;
	struct pl_match *found; /* confirmed matches, delivered after pairing */
	size_t nfound, cap_found;
	size_t len;            /* length of the text being scanned */
};

/* A clone of the ruleset's prototype scratch, made here the first time
 * (the lock makes the lazy part as thread-safe as the JIT's). */
static hs_error_t clone_scratch(const struct pl_ruleset *crs, hs_scratch_t **out)
{
	struct pl_ruleset *rs = (struct pl_ruleset *)crs;
	pthread_mutex_lock(&rs->jit_lock);
	hs_error_t hr = rs->scratch ? HS_SUCCESS : hs_alloc_scratch(rs->db, &rs->scratch);
	if (hr == HS_SUCCESS)
		hr = hs_clone_scratch(rs->scratch, out);
	pthread_mutex_unlock(&rs->jit_lock);
	return hr;
}

int pl_matcher_new(const struct pl_ruleset *rs, struct pl_matcher **out)
{
	if (!rs->db)
		return pl_error_set(PL_EINVAL, "ruleset is not compiled");
	struct pl_matcher *m = pl_xcalloc(1, sizeof(*m));
	m->rs = rs;
	if (clone_scratch(rs, &m->scratch) != HS_SUCCESS) {
		free(m);
		return pl_error_set(PL_ERROR, "cannot allocate Hyperscan scratch space");
	}
	m->md = pcre2_match_data_create(64, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	if (!m->md || !m->mctx) {
		pl_matcher_free(m);
		return pl_error_set(PL_ERROR, "cannot allocate PCRE2 match data");
	}
	pcre2_set_match_limit(m->mctx, PL_PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, PL_PCRE_MATCH_LIMIT);
	m->open = pl_xcalloc(rs->n, sizeof(*m->open));
	m->fired = pl_xcalloc(rs->n, sizeof(*m->fired));
	m->fired_in = pl_xcalloc(rs->n, sizeof(*m->fired_in));
	*out = m;
	return 0;
}

void pl_matcher_free(struct pl_matcher *m)
{
	if (!m)
		return;
	hs_free_scratch(m->scratch);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	free(m->open);
	free(m->fired);
	free(m->fired_in);
	free(m->wins);
	free(m->found);
	free(m);
}

static void close_window(struct pl_matcher *m, struct window *w)
{
	PL_GROW(m->wins, m->cap_wins, m->nwins + 1);
	m->wins[m->nwins++] = *w;
	w->hi = 0;
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to,
		  unsigned int flags, void *ctx)
{
	(void)from;
	(void)flags;
	struct pl_matcher *m = ctx;
	if (id >= m->rs->n)
		return 0; /* a filler literal (PL_RULE_FILLER_ID), not a rule */
	const struct pl_rule_prog *p = &m->rs->progs[id];
	size_t end = (size_t)to, w = p->max_width;
	size_t lo = end > w ? end - w : 0;
	size_t hi = p->by_keyword ? (end + w < m->len ? end + w : m->len) : end;
	struct window *open = &m->open[id];
	if (m->fired_in[id] != m->scan_no) {
		m->fired_in[id] = m->scan_no;
		m->fired[m->nfired++] = id;
	}
	if (open->hi && lo <= open->hi) {
		if (hi > open->hi)
			open->hi = hi;
		return 0;
	}
	if (open->hi)
		close_window(m, open);
	*open = (struct window){.rule = id, .lo = lo, .hi = hi ? hi : 1};
	return 0;
}

static int window_cmp(const void *a, const void *b)
{
	const struct window *x = a, *y = b;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* True when the line holding [start, end) carries the allow marker. */
static int line_allows(const char *text, size_t len, size_t start, size_t end)
{
	static const char marker[] = "pkgleaks:allow";
	size_t lo = start > PL_ALLOW_REACH ? start - PL_ALLOW_REACH : 0;
	size_t hi = end + PL_ALLOW_REACH < len ? end + PL_ALLOW_REACH : len;
	const char *nl = memrchr(text + lo, '\n', start - lo);
	if (nl)
		lo = (size_t)(nl - text) + 1;
	nl = memchr(text + end, '\n', hi - end);
	if (nl)
		hi = (size_t)(nl - text);
	return memmem(text + lo, hi - lo, marker, sizeof(marker) - 1) != NULL;
}

static int passes_filters(const struct pl_rule *r, const struct pl_rule_prog *p,
			  const PCRE2_SIZE *ov, const char *text, size_t len)
{
	size_t s = ov[2 * p->secret_group], e = ov[2 * p->secret_group + 1];
	if (s == PCRE2_UNSET || e <= s)
		return 0;
	if (!pl_checksum_ok(r->checksum, text + s, e - s))
		return 0;
	size_t vs = s, ve = e;
	if (p->password_group > 0 && ov[2 * p->password_group] != PCRE2_UNSET) {
		vs = ov[2 * p->password_group];
		ve = ov[2 * p->password_group + 1];
	}
	if (r->min_entropy > 0 && pl_entropy(text + vs, ve - vs) < r->min_entropy)
		return 0;
	if (pl_is_placeholder(text + vs, ve - vs))
		return 0;
	return !line_allows(text, len, s, e);
}

struct scan_range {
	const char *text;
	size_t len, from, to;
	pl_match_fn fn;
	void *ctx;
};

/* Runs one rule's PCRE2 program over one window, collecting confirmed matches. */
static void confirm_window(struct pl_matcher *m, const struct window *w, size_t *last_end,
			  const struct scan_range *sr)
{
	const struct pl_rule *r = m->rs->rules[w->rule];
	const struct pl_rule_prog *p = &m->rs->progs[w->rule];
	size_t off = w->lo > *last_end ? w->lo : *last_end;
	const pcre2_code *re = pl_rule_prog_code((struct pl_ruleset *)m->rs, (struct pl_rule_prog *)p);
	if (!re)
		return; /* a pattern PCRE2 refused: the rule confirms nothing */
	/* The whole text is the subject (a match may run past the window);
	 * only its start is bounded, by the window's end. */
	pcre2_set_offset_limit(m->mctx, w->hi);
	while (off <= w->hi && off < sr->len) {
		int rc = pcre2_match(re, (PCRE2_SPTR)sr->text, sr->len, off, 0, m->md, m->mctx);
		if (rc < 0)
			return; /* no match, or a resource limit: nothing confirmed */
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		if (ov[0] > w->hi)
			break;
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		if (ov[0] < sr->from || ov[0] >= sr->to)
			continue;
		if (!passes_filters(r, p, ov, sr->text, sr->len))
			continue;
		*last_end = ov[1];
		PL_GROW(m->found, m->cap_found, m->nfound + 1);
		m->found[m->nfound++] = (struct pl_match){
			.rule = r,
			.start = ov[0],
			.end = ov[1],
			.secret_start = ov[2 * p->secret_group],
			.secret_end = ov[2 * p->secret_group + 1],
		};
	}
}

static size_t gap(const struct pl_match *a, const struct pl_match *b)
{
	return a->start > b->start ? a->start - b->start : b->start - a->start;
}

/* Pairs parts of composite rules: each first part takes the nearest unused
 * second part within the rule's distance; both then stand as one match. */
static void pair_composites(struct pl_matcher *m)
{
	const struct pl_ruleset *rs = m->rs;
	size_t n = m->nfound;
	if (n == 0)
		return;
	for (size_t c = 0; c < rs->n; c++) {
		const struct pl_rule_prog *cp = &rs->progs[c];
		if (cp->part_a < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			struct pl_match *a = &m->found[i];
			if (!a->rule || a->rule->index != (unsigned)cp->part_a)
				continue;
			struct pl_match *best = NULL;
			for (size_t j = 0; j < n; j++) {
				struct pl_match *b = &m->found[j];
				if (b->rule && b->rule->index == (unsigned)cp->part_b &&
				    gap(a, b) <= rs->rules[c]->distance && (!best || gap(a, b) < gap(a, best)))
					best = b;
			}
			if (!best)
				continue;
			struct pl_match pair = *a;
			pair.rule = rs->rules[c];
			pair.start = a->start < best->start ? a->start : best->start;
			pair.end = a->end > best->end ? a->end : best->end;
			pair.part2_start = best->secret_start;
			pair.part2_end = best->secret_end;
			best->rule = NULL; /* consumed */
			PL_GROW(m->found, m->cap_found, m->nfound + 1);
			a = &m->found[i]; /* the array may have moved */
			a->rule = NULL;
			m->found[m->nfound++] = pair;
		}
	}
}

static int match_cmp(const void *x, const void *y)
{
	const struct pl_match *a = x, *b = y;
	if (a->rule->index != b->rule->index)
		return a->rule->index < b->rule->index ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

static int deliver(struct pl_matcher *m, const struct scan_range *sr)
{
	size_t kept = 0;
	for (size_t i = 0; i < m->nfound; i++)
		if (m->found[i].rule)
			m->found[kept++] = m->found[i];
	m->nfound = kept;
	if (m->nfound > 1) /* found is NULL before the first match */
		qsort(m->found, m->nfound, sizeof(*m->found), match_cmp);
	for (size_t i = 0; i < m->nfound; i++) {
		int stop = sr->fn(&m->found[i], sr->text, sr->ctx);
		if (stop)
			return stop;
	}
	return 0;
}

int pl_matcher_scan(struct pl_matcher *m, const char *text, size_t len, size_t report_from,
		    size_t report_to, pl_match_fn fn, void *ctx)
{
	if (len == 0)
		return 0;
	if (len > 0xffffffffu)
		return pl_error_set(PL_ELIMIT, "text of %zu bytes is too large for one scan", len);
	m->nwins = 0;
	m->nfired = 0;
	if (++m->scan_no == 0) { /* wrapped: forget every stamp */
		memset(m->fired_in, 0, m->rs->n * sizeof(*m->fired_in));
		m->scan_no = 1;
	}
	m->len = len;
	hs_error_t hr = hs_scan(m->rs->db, text, (unsigned)len, 0, m->scratch, on_hit, m);
	if (hr != HS_SUCCESS) {
		for (size_t i = 0; i < m->nfired; i++) /* none may outlive this scan */
			m->open[m->fired[i]].hi = 0;
		return pl_error_set(PL_ERROR, "Hyperscan scan failed (%d)", (int)hr);
	}
	for (size_t i = 0; i < m->nfired; i++)
		if (m->open[m->fired[i]].hi)
			close_window(m, &m->open[m->fired[i]]);
	if (m->nwins > 1) /* wins is NULL before the first window: qsort wants non-NULL */
		qsort(m->wins, m->nwins, sizeof(*m->wins), window_cmp);
	struct scan_range sr = {text, len, report_from, report_to, fn, ctx};
	size_t last_end = 0;
	m->nfound = 0;
	for (size_t i = 0; i < m->nwins; i++) {
		if (i == 0 || m->wins[i].rule != m->wins[i - 1].rule)
			last_end = 0;
		confirm_window(m, &m->wins[i], &last_end, &sr);
	}
	pair_composites(m);
	return deliver(m, &sr);
}
