/* Chunked matching of one data blob: bounded memory whatever the blob's size,
 * line and column of every occurrence, and grouping by (rule, secret). */
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "scan/scan_int.h"
#include "util/alloc.h"
#include "util/cpu.h"
#include "match/inspect.h"
#include "util/escape.h"

/* Bytes of the line shown either side of a secret. */
#define PL_CONTEXT 80

struct hit {
	const struct pl_rule *rule;
	size_t secret_start, secret_end; /* relative to the chunk */
	size_t part2_start, part2_end;   /* composite rules: the second part */
	size_t span_end;                 /* where the last part ends (for overlaps) */
};

struct pl_chunker {
	struct pl_matcher *matcher;
	char *buf; /* PL_CHUNK_SIZE + PL_CHUNK_OVERLAP: a stream's chunks are read here */
	size_t len;
	/* The chunk being matched: buf, or text already in memory (a view, a
	 * buffered blob, a blob that is all head), matched where it lies. */
	const char *text;
	size_t text_len;
	struct hit *hits;
	size_t nhits, cap_hits;
	/* Position of buf[0] in the blob. */
	uint64_t line;       /* 1-based line number at buf[0] */
	uint64_t column;     /* 1-based column of buf[0] */
	/* What is being fed: raw text (encoding "") or a decoded view. */
	const char *encoding;
	uint64_t fixed_line, fixed_column; /* fixed_line > 0: every position is this one */
	/* Findings of the current blob. */
	struct pl_finding **found;
	size_t nfound, cap_found;
	int overflow; /* more findings than PL_MAX_FINDINGS_PER_BLOB */
};

int pl_chunker_new(const struct pl_ruleset *rs, struct pl_chunker **out)
{
	struct pl_chunker *c = pl_xcalloc(1, sizeof(*c));
	int rc = pl_matcher_new(rs, &c->matcher);
	if (rc) {
		free(c);
		return rc;
	}
	c->buf = pl_xmalloc(PL_CHUNK_SIZE + PL_CHUNK_OVERLAP);
	*out = c;
	return 0;
}

void pl_chunker_free(struct pl_chunker *c)
{
	if (!c)
		return;
	pl_matcher_free(c->matcher);
	for (size_t i = 0; i < c->nfound; i++)
		pl_finding_free(c->found[i]);
	free(c->found);
	free(c->hits);
	free(c->buf);
	free(c);
}

static int on_match(const struct pl_match *m, const char *text, void *ctx)
{
	(void)text;
	struct pl_chunker *c = ctx;
	PL_GROW(c->hits, c->cap_hits, c->nhits + 1);
	size_t span_end = m->part2_end > m->secret_end ? m->part2_end : m->secret_end;
	c->hits[c->nhits++] = (struct hit){m->rule, m->secret_start, m->secret_end,
					   m->part2_start, m->part2_end, span_end};
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->secret_start != y->secret_start)
		return x->secret_start < y->secret_start ? -1 : 1;
	return x->rule->index < y->rule->index ? -1 : x->rule->index > y->rule->index;
}

static struct pl_finding *find_same(struct pl_chunker *c, const struct pl_rule *rule,
				    const char *secret, size_t len)
{
	for (size_t i = 0; i < c->nfound; i++) {
		struct pl_finding *f = c->found[i];
		if (f->rule == rule && f->secret_len == len && memcmp(f->secret, secret, len) == 0)
			return f;
	}
	return NULL;
}

static int has_line(const struct pl_finding *f, uint64_t line)
{
	for (size_t i = 0; i < f->npositions; i++)
		if (f->positions[i].line == line)
			return 1;
	return 0;
}

static void add_position(struct pl_finding *f, uint64_t line, uint64_t column)
{
	if (f->npositions >= PL_MAX_POSITIONS)
		return;
	/* Two matches of one secret at one place (overlapping windows): one. */
	if (f->npositions && f->positions[f->npositions - 1].line == line &&
	    f->positions[f->npositions - 1].column == column)
		return;
	f->positions = pl_xrealloc(f->positions, (f->npositions + 1) * sizeof(*f->positions));
	f->positions[f->npositions++] = (struct pl_position){line, column};
}

static void record_secret(struct pl_chunker *c, const struct hit *h, const char *s, size_t n,
			  size_t line_start, uint64_t line, uint64_t column);

/* Records one hit at (line, column); line_start is where its line begins in buf. */
static void record(struct pl_chunker *c, const struct hit *h, size_t line_start,
		   uint64_t line, uint64_t column)
{
	const char *s = c->text + h->secret_start;
	size_t n = h->secret_end - h->secret_start;
	char *joined = NULL;
	if (h->part2_end > h->part2_start) {
		/* A composite secret is "<first part>:<second part>". */
		size_t n2 = h->part2_end - h->part2_start;
		joined = pl_xmalloc(n + 1 + n2);
		memcpy(joined, s, n);
		joined[n] = ':';
		memcpy(joined + n + 1, c->text + h->part2_start, n2);
		s = joined;
		n += 1 + n2;
	}
	record_secret(c, h, s, n, line_start, line, column);
	free(joined);
}

static void record_secret(struct pl_chunker *c, const struct hit *h, const char *s, size_t n,
			  size_t line_start, uint64_t line, uint64_t column)
{
	struct pl_finding *f = find_same(c, h->rule, s, n);
	if (!f) {
		if (c->nfound >= PL_MAX_FINDINGS_PER_BLOB) {
			c->overflow = 1;
			return;
		}
		f = pl_xcalloc(1, sizeof(*f));
		f->rule = h->rule;
		f->secret = pl_xstrndup(s, n);
		f->secret_len = n;
		f->encoding = c->encoding;
		if (h->rule->inspect && !pl_inspect(h->rule->inspect, s, n, f)) {
			pl_finding_free(f);
			return;
		}
		pl_fingerprint(h->rule->id, s, n, f->fingerprint);
		size_t from = h->secret_start - line_start > PL_CONTEXT ? h->secret_start - PL_CONTEXT
									: line_start;
		f->before = pl_escape(c->text + from, h->secret_start - from);
		size_t to = h->secret_end;
		while (to < c->text_len && to - h->secret_end < PL_CONTEXT && c->text[to] != '\n' &&
		       c->text[to] != '\r')
			to++;
		f->after = pl_escape(c->text + h->secret_end, to - h->secret_end);
		PL_GROW(c->found, c->cap_found, c->nfound + 1);
		c->found[c->nfound++] = f;
	}
	/* A view keeps lines, not columns (unescaping shortens a line): the
	 * raw text may have placed this secret on this line already. */
	if (c->encoding[0] && !c->fixed_line && has_line(f, line))
		return;
	if (c->fixed_line == PL_VIEW_NO_LINES)
		add_position(f, 0, 0);
	else if (c->fixed_line)
		add_position(f, c->fixed_line, c->fixed_column);
	else
		add_position(f, line, column);
}

/* One value found by several rules (a specific one and the generic
 * assignment rule) is one secret: keep the most confident rule's hit. */
static int outranks(const struct hit *a, const struct hit *b)
{
	if (a->rule->confidence != b->rule->confidence)
		return a->rule->confidence > b->rule->confidence;
	return a->rule->index < b->rule->index;
}

static void drop_overlaps(struct pl_chunker *c)
{
	size_t kept = 0;
	for (size_t i = 0; i < c->nhits; i++) {
		struct hit *h = &c->hits[i];
		struct hit *prev = kept ? &c->hits[kept - 1] : NULL;
		if (prev && h->secret_start < prev->span_end) {
			if (outranks(h, prev))
				*prev = *h;
			continue;
		}
		c->hits[kept++] = *h;
	}
	c->nhits = kept;
}

/* Turns the chunk's hits into positions: one sweep counting newlines. */
static void resolve_hits(struct pl_chunker *c)
{
	if (c->nhits > 1) /* hits is NULL before the first hit */
		qsort(c->hits, c->nhits, sizeof(*c->hits), hit_cmp);
	drop_overlaps(c);
	size_t pos = 0, line_start = 0;
	uint64_t line = c->line;
	int at_buf_start = 1; /* the current line began before buf[0] */
	for (size_t i = 0; i < c->nhits; i++) {
		const struct hit *h = &c->hits[i];
		while (pos < h->secret_start) {
			const char *nl = memchr(c->text + pos, '\n', h->secret_start - pos);
			if (!nl) {
				pos = h->secret_start;
				break;
			}
			line++;
			pos = (size_t)(nl - c->text) + 1;
			line_start = pos;
			at_buf_start = 0;
		}
		uint64_t column = h->secret_start - line_start + 1;
		if (at_buf_start)
			column += c->column - 1;
		record(c, h, line_start, line, column);
	}
	c->nhits = 0;
}

/* Advances the line/column of the chunk's start past its first n bytes. */
static void advance(struct pl_chunker *c, size_t n)
{
	const char *p = c->text, *end = c->text + n, *last = NULL, *nl;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		c->line++;
		last = nl;
		p = nl + 1;
	}
	c->column = last ? (uint64_t)(end - last) : c->column + n;
}

/* Matches text[0, len) as one chunk; unless it is the last, matches starting
 * in its final PL_CHUNK_OVERLAP bytes are left to the next chunk, and the
 * line/column move to where that one starts: *done bytes on. */
static int match_text(struct pl_chunker *c, const char *text, size_t len, int final,
		      size_t *done)
{
	size_t report_to = final ? len : len - PL_CHUNK_OVERLAP;
	c->text = text;
	c->text_len = len;
	int rc = pl_matcher_scan(c->matcher, text, len, 0, report_to, on_match, c);
	pl_cpu_clear_upper(); /* Hyperscan's AVX-512 code, like ISA-L's */
	if (rc < 0)
		return rc;
	resolve_hits(c);
	if (!final)
		advance(c, report_to);
	*done = report_to;
	return 0;
}

static int match_chunk(struct pl_chunker *c, int final)
{
	size_t done;
	int rc = match_text(c, c->buf, c->len, final, &done);
	if (rc < 0 || final)
		return rc;
	memmove(c->buf, c->buf + done, c->len - done);
	c->len -= done;
	return 0;
}

/* Text already in memory is matched where it lies, chunk by chunk as a
 * stream would be (same overlap), without a copy into buf. */
static int match_memory(struct pl_chunker *c, const char *text, size_t len)
{
	const size_t cap = PL_CHUNK_SIZE + PL_CHUNK_OVERLAP;
	c->line = 1;
	c->column = 1;
	c->nhits = 0;
	for (size_t off = 0;;) {
		size_t n = len - off < cap ? len - off : cap, done;
		int final = off + n == len;
		if (match_text(c, text + off, n, final, &done) < 0)
			return -1;
		if (final)
			return 0;
		off += done;
	}
}

void pl_chunker_begin(struct pl_chunker *c)
{
	c->nfound = 0;
	c->overflow = 0;
}

static int by_secret(const void *a, const void *b)
{
	const struct pl_finding *x = *(struct pl_finding *const *)a, *y = *(struct pl_finding *const *)b;
	if (x->secret_len != y->secret_len)
		return x->secret_len < y->secret_len ? -1 : 1;
	int c = memcmp(x->secret, y->secret, x->secret_len);
	if (c)
		return c;
	if (x->rule->confidence != y->rule->confidence)
		return x->rule->confidence > y->rule->confidence ? -1 : 1;
	return x->rule->index < y->rule->index ? -1 : x->rule->index > y->rule->index;
}

/* One value found by two rules in one blob (say in raw bytes and in a
 * decoded view) is one secret: the most confident rule keeps it. */
static void drop_same_secret(struct pl_chunker *c)
{
	if (c->nfound < 2)
		return;
	qsort(c->found, c->nfound, sizeof(*c->found), by_secret);
	size_t kept = 1;
	for (size_t i = 1; i < c->nfound; i++) {
		struct pl_finding *prev = c->found[kept - 1], *f = c->found[i];
		if (f->secret_len == prev->secret_len &&
		    memcmp(f->secret, prev->secret, f->secret_len) == 0) {
			pl_finding_free(f);
			continue;
		}
		c->found[kept++] = f;
	}
	c->nfound = kept;
}

void pl_chunker_end(struct pl_chunker *c, const char *source, const char *path,
		    const struct pl_emitter *em)
{
	drop_same_secret(c);
	for (size_t i = 0; i < c->nfound; i++) {
		struct pl_finding *f = c->found[i];
		f->source = pl_xstrdup(source);
		f->path = pl_xstrdup(path);
		f->path_kind = pl_path_kind(source, path);
		em->finding(em->ctx, f);
	}
	c->nfound = 0;
	if (c->overflow)
		em->error(em->ctx, path, "more than 10000 distinct secrets in one file: the rest "
					 "were not recorded");
	c->overflow = 0;
}

/* A blob whose end is known (text[0, len) is all of it): matched where it
 * lies. failed: the read that met its end failed; that error is returned,
 * after what was read has been matched (findings so far count). */
static int match_all(struct pl_chunker *c, const char *text, size_t len, int failed)
{
	char saved[1024];
	snprintf(saved, sizeof(saved), "%s", failed ? pl_error_message() : "");
	size_t done;
	int rc = len ? match_text(c, text, len, 1, &done) : 0;
	if (failed) {
		pl_error_set(PL_EIO, "%s", saved);
		return -1;
	}
	return rc;
}

/* The first read of the rest goes where it would land after the head; when
 * the stream is already over (most members of a package fit in the head),
 * the head is matched where it lies and never copied. */
static int feed(struct pl_chunker *c, const unsigned char *head, size_t headlen,
		struct pl_stream *rest, uint64_t *bytes)
{
	const size_t cap = PL_CHUNK_SIZE + PL_CHUNK_OVERLAP;
	c->line = 1;
	c->column = 1;
	c->nhits = 0;
	c->len = 0;
	/* The head is at most the walker's sniff size, far below one chunk. */
	if (headlen > cap)
		headlen = cap;
	*bytes += headlen;
	ssize_t first = rest && headlen < cap ? rest->read(rest->ctx, c->buf + headlen, cap - headlen) : 0;
	if (first <= 0)
		return match_all(c, (const char *)head, headlen, first < 0);
	if (headlen)
		memcpy(c->buf, head, headlen);
	c->len = headlen + (size_t)first;
	*bytes += (uint64_t)first;
	int rc = 0, eof = 0;
	while (rc == 0 && !eof) {
		while (c->len < cap) {
			ssize_t n = rest->read(rest->ctx, c->buf + c->len, cap - c->len);
			if (n <= 0) {
				eof = 1;
				rc = n < 0 ? -1 : 0;
				break;
			}
			c->len += (size_t)n;
			*bytes += (uint64_t)n;
		}
		/* Match what we have even after a read error: findings so far count. */
		char saved[1024];
		snprintf(saved, sizeof(saved), "%s", pl_error_message());
		if (match_chunk(c, eof) < 0 && rc == 0)
			rc = -1;
		else if (rc < 0)
			pl_error_set(PL_EIO, "%s", saved);
	}
	return rc;
}

int pl_chunker_feed_stream(struct pl_chunker *c, const unsigned char *head, size_t headlen,
			   struct pl_stream *rest, uint64_t *bytes)
{
	c->encoding = "";
	c->fixed_line = c->fixed_column = 0;
	return feed(c, head, headlen, rest, bytes);
}

int pl_chunker_feed_memory(struct pl_chunker *c, const char *text, size_t len, uint64_t *bytes)
{
	c->encoding = "";
	c->fixed_line = c->fixed_column = 0;
	*bytes += len;
	return match_memory(c, text, len);
}

int pl_chunker_feed_view(struct pl_chunker *c, const struct pl_view *v)
{
	c->encoding = v->encoding;
	c->fixed_line = v->line;
	c->fixed_column = v->column;
	int rc = match_memory(c, v->text, v->len);
	c->encoding = "";
	c->fixed_line = c->fixed_column = 0;
	return rc;
}

int pl_chunker_scan_blob(struct pl_chunker *c, const char *source, const char *path,
			 const unsigned char *head, size_t headlen, struct pl_stream *rest,
			 const struct pl_emitter *em, uint64_t *bytes)
{
	pl_chunker_begin(c);
	*bytes = 0;
	int rc = pl_chunker_feed_stream(c, head, headlen, rest, bytes);
	pl_chunker_end(c, source, path, em);
	return rc;
}
