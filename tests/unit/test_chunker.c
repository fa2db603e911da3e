/* Unit tests of chunked matching: secrets across chunk boundaries are found
 * exactly once with the right line and column; duplicates are grouped. */
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "pkgleaks/finding.h"
#include "scan/scan_int.h"
#include "test.h"

static const char yaml[] = PL_TEST_SK_RULE_YAML;

static const char secret[] = "SKe938b4fe9cfd70f19e97bc71ae3706f6";

struct mem {
	const char *data;
	size_t len, pos, step;
};

/* Delivers at most `step` bytes per read, like a decompressor would. */
static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t left = m->len - m->pos;
	if (n > left)
		n = left;
	if (n > m->step)
		n = m->step;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

struct found {
	struct pl_finding *f[8];
	int n, errors;
};

static void on_finding(void *ctx, struct pl_finding *f)
{
	struct found *fd = ctx;
	if (fd->n < 8)
		fd->f[fd->n++] = f;
	else
		pl_finding_free(f);
}

static void on_error(void *ctx, const char *path, const char *reason)
{
	(void)path;
	(void)reason;
	((struct found *)ctx)->errors++;
}

static ssize_t empty_read(void *ctx, void *buf, size_t n)
{
	(void)ctx, (void)buf, (void)n;
	return 0;
}

static ssize_t failing_read(void *ctx, void *buf, size_t n)
{
	(void)ctx, (void)buf, (void)n;
	return pl_error_set(PL_EIO, "disk on fire");
}

/* A blob that is all head (matched in place, not copied), and one whose
 * rest fails to read: the head's secret counts either way, with its place
 * and context, and the read error is the one returned. */
static void test_head_only(struct pl_chunker *c)
{
	static const char text[] = "a\nkey = SKe938b4fe9cfd70f19e97bc71ae3706f6 # end\nb\n";
	for (int fail = 0; fail < 2; fail++) {
		struct pl_stream rest = {.read = fail ? failing_read : empty_read};
		struct found fd = {0};
		struct pl_emitter em = {on_finding, on_error, &fd};
		uint64_t bytes = 0;
		int rc = pl_chunker_scan_blob(c, "s", "p", (const unsigned char *)text,
					      strlen(text), &rest, &em, &bytes);
		CHECK(rc == (fail ? -1 : 0));
		if (fail)
			CHECK_STR(pl_error_message(), "disk on fire");
		CHECK(bytes == strlen(text));
		CHECK(fd.n == 1);
		if (fd.n == 1) {
			CHECK(fd.f[0]->positions[0].line == 2);
			CHECK(fd.f[0]->positions[0].column == 7);
			CHECK_STR(fd.f[0]->after, " # end");
		}
		for (int i = 0; i < fd.n; i++)
			pl_finding_free(fd.f[i]);
	}
}

int main(void)
{
	setenv("PKGLEAKS_CACHE_DIR", "", 1);
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_yaml(rs, yaml, strlen(yaml), "t") == 0);
	CHECK(pl_ruleset_compile(rs) == 0);
	struct pl_chunker *c;
	CHECK(pl_chunker_new(rs, &c) == 0);

	/* 20 MB of lines of 99 dots + newline; secrets placed around the
	 * first chunk's overlap region and far beyond. */
	size_t len = 20u << 20;
	char *text = malloc(len);
	for (size_t i = 0; i < len; i++)
		text[i] = (i % 100 == 99) ? '\n' : '.';
	size_t at[] = {PL_CHUNK_SIZE - 7, PL_CHUNK_SIZE + PL_CHUNK_OVERLAP - 20, 15u << 20};
	for (int i = 0; i < 3; i++)
		memcpy(text + at[i], secret, strlen(secret));
	struct mem m = {text, len, 4096, 65536};
	struct pl_stream rest = {.read = mem_read, .ctx = &m};
	struct found fd = {0};
	struct pl_emitter em = {on_finding, on_error, &fd};
	uint64_t bytes = 0;
	CHECK(pl_chunker_scan_blob(c, "src", "p", (const unsigned char *)text, 4096, &rest, &em,
				   &bytes) == 0);
	CHECK(bytes == len);
	CHECK(fd.n == 1); /* one secret, grouped */
	CHECK(fd.errors == 0);
	if (fd.n == 1) {
		struct pl_finding *f = fd.f[0];
		CHECK(f->npositions == 3);
		for (size_t i = 0; i < f->npositions && i < 3; i++) {
			CHECK(f->positions[i].line == at[i] / 100 + 1);
			CHECK(f->positions[i].column == at[i] % 100 + 1);
		}
		CHECK_STR(f->source, "src");
		CHECK_STR(f->path, "p");
	}
	for (int i = 0; i < fd.n; i++)
		pl_finding_free(fd.f[i]);

	/* The same text in memory, matched where it lies: the same chunks. */
	fd = (struct found){0};
	bytes = 0;
	pl_chunker_begin(c);
	CHECK(pl_chunker_feed_memory(c, text, len, &bytes) == 0);
	pl_chunker_end(c, "src", "p", &em);
	CHECK(bytes == len);
	CHECK(fd.n == 1);
	if (fd.n == 1) {
		CHECK(fd.f[0]->npositions == 3);
		for (size_t i = 0; i < fd.f[0]->npositions && i < 3; i++) {
			CHECK(fd.f[0]->positions[i].line == at[i] / 100 + 1);
			CHECK(fd.f[0]->positions[i].column == at[i] % 100 + 1);
		}
	}
	for (int i = 0; i < fd.n; i++)
		pl_finding_free(fd.f[i]);
	test_head_only(c);

	/* One 20 MB line: the column keeps counting across chunks. */
	memset(text, 'x', len);
	memcpy(text + (12u << 20), " SKe938b4fe9cfd70f19e97bc71ae3706f6 ", 36);
	m = (struct mem){text, len, 0, 1 << 20};
	fd = (struct found){0};
	CHECK(pl_chunker_scan_blob(c, "s", "", NULL, 0, &rest, &em, &bytes) == 0);
	CHECK(fd.n == 1);
	if (fd.n == 1) {
		CHECK(fd.f[0]->positions[0].line == 1);
		CHECK(fd.f[0]->positions[0].column == (12u << 20) + 2);
		pl_finding_free(fd.f[0]);
	}
	free(text);
	pl_chunker_free(c);
	pl_ruleset_free(rs);
	TEST_MAIN_END();
}
