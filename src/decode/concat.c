/* Split string literals: 'sk-ant-api03-abc' + 'def' (JavaScript, Python),
 * and Python's implicit 'abc' 'def'. Authors split secrets like this to get
 * past push protection; the view joins each chain into one literal.
 *
 * The view keeps every line of the blob on its line: a chain is rewritten as
 * one literal followed by the newlines the chain spanned. Hand-written (a few
 * lines of lexing): no library tokenises string literals of several
 * languages with positions. */
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"
#include "decode/find.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Whitespace and at most one '+' between two literals of a chain. */
#define CONCAT_MAX_GAP 128

/* The buffer is sized to the input, which bounds the view: an append that
 * fails would be a bug, and the view is then only shorter. */
static void append(struct pl_buf *b, const void *data, size_t n)
{
	if (pl_buf_append(b, data, n) < 0)
		b->max = b->len; /* stop growing; later appends fail the same way */
}

/* End of the literal opened by the quote at s[i] (index after the closing
 * quote), or 0 when it does not close on this line. */
static size_t literal_end(const unsigned char *s, size_t len, size_t i)
{
	unsigned char q = s[i];
	for (size_t j = i + 1; (j = pl_find_any3(s, len, j, q, '\\', '\n')) < len; j++) {
		if (s[j] == '\\') {
			j++; /* the escaped byte */
			continue;
		}
		return s[j] == q ? j + 1 : 0;
	}
	return 0;
}

/* If a literal follows s[i] after whitespace and an optional '+', returns
 * the index of its opening quote, else 0. */
static size_t next_literal(const unsigned char *s, size_t len, size_t i, unsigned char q)
{
	size_t j = i;
	int plus = 0;
	while (j < len && j - i < CONCAT_MAX_GAP) {
		if (s[j] == '+' && !plus)
			plus = 1;
		else if (s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r')
			break;
		j++;
	}
	return j < len && s[j] == q && j > i ? j : 0;
}

/* Appends the chain starting at the literal s[i..e) to b; returns the index
 * after the chain and sets *joined when it had two or more literals. */
static size_t join_chain(const unsigned char *s, size_t len, size_t i, size_t e,
			 struct pl_buf *b, int *joined)
{
	unsigned char q = s[i];
	size_t newlines = 0;
	append(b, s + i, e - i - 1); /* without the closing quote */
	for (;;) {
		size_t k = next_literal(s, len, e, q), ke;
		if (!k || !(ke = literal_end(s, len, k)))
			break;
		for (size_t t = e; t < k; t++)
			newlines += s[t] == '\n';
		append(b, s + k + 1, ke - k - 2);
		*joined = 1;
		e = ke;
	}
	append(b, &q, 1);
	for (; newlines; newlines--)
		append(b, "\n", 1);
	return e;
}

/* The next quote of either kind at or after i (len: none). */
static size_t next_quote(const unsigned char *s, size_t len, size_t i)
{
	return pl_find_any3(s, len, i, '\'', '"', '"');
}

/* Where the view's joined chains are, to keep only their lines. */
struct spans {
	size_t *at; /* start, end, start, end, ... in the view, ascending */
	size_t n, cap;
};

/* Blanks every line of the view that holds no joined chain, keeping its
 * newline: the raw text is scanned anyway, so only a chain's own line (its
 * context: `api_key = 'sk-' + '...'`) is worth scanning again. */
static void keep_chain_lines(struct pl_buf *b, const struct spans *sp)
{
	size_t r = 0, w = 0, k = 0;
	while (r < b->len) {
		const char *nl = memchr(b->data + r, '\n', b->len - r);
		size_t end = nl ? (size_t)(nl - b->data) : b->len; /* the line is [r, end) */
		while (k < sp->n && sp->at[k + 1] <= r)
			k += 2;
		int keep = k < sp->n && sp->at[k] < end + 1;
		if (keep) {
			memmove(b->data + w, b->data + r, end - r);
			w += end - r;
		}
		if (nl)
			b->data[w++] = '\n';
		r = nl ? end + 1 : end;
	}
	b->len = w;
	b->data[w] = '\0';
}

int pl_decode_concat(const unsigned char *s, size_t len, struct pl_views *out)
{
	struct pl_buf b;
	/* A chain's view is never longer than the chain (quotes and '+' go,
	 * newlines stay), so the input's length bounds the view. */
	pl_buf_init(&b, len + 1);
	size_t i = 0;
	struct spans sp = {0};
	while (i < len) {
		size_t at = next_quote(s, len, i);
		append(&b, s + i, at - i);
		if (at >= len)
			break;
		size_t e = literal_end(s, len, at);
		if (!e) {
			append(&b, s + at, 1);
			i = at + 1;
			continue;
		}
		size_t from = b.len;
		int joined = 0;
		i = join_chain(s, len, at, e, &b, &joined);
		if (joined) {
			PL_GROW(sp.at, sp.cap, sp.n + 2);
			sp.at[sp.n++] = from;
			sp.at[sp.n++] = b.len;
		}
	}
	if (sp.n == 0) {
		free(sp.at);
		pl_buf_release(&b);
		return 0;
	}
	keep_chain_lines(&b, &sp);
	free(sp.at);
	size_t n = b.len;
	return pl_views_add(out, pl_buf_detach(&b), n, "concat", 0, 0);
}

int pl_decode_has_concat(const unsigned char *s, size_t len)
{
	for (size_t i = next_quote(s, len, 0); i + 1 < len; i = next_quote(s, len, i + 1)) {
		size_t e = literal_end(s, len, i);
		if (e && next_literal(s, len, e, s[i]))
			return 1;
		if (e)
			i = e - 1;
	}
	return 0;
}
