/* JSON string literals, unescaped in place: a notebook cell's source line
 * `"api_key = \"key-...\"\n",` becomes `"api_key = "key-..." ",`, which
 * keyword rules written for source code match. Cell outputs, package.json
 * scripts and source maps' sourcesContent are covered the same way.
 *
 * Hand-written rather than jansson: a parser gives values, not where they
 * were; this scanner rewrites each literal on its own line, so every match
 * keeps the notebook's own line number. An escape never expands (\uXXXX is
 * 6 bytes for at most 3 of UTF-8, a surrogate pair 12 for 4) and never
 * produces a line break, so the view is at most as long as the blob and has
 * exactly its lines. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode/decode_int.h"
#include "decode/find.h"
#include "util/alloc.h"

int pl_json_name(const char *path)
{
	static const char *const suffixes[] = {".json", ".ipynb", ".jsonl", ".ndjson", ".map"};
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);
		if (n >= k && path[n - k] == '.' && strcasecmp(path + n - k, suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

static int hex4(const unsigned char *s, size_t avail, unsigned *out)
{
	unsigned v = 0;
	if (avail < 4)
		return 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return 0;
		v = v << 4 | d;
	}
	*out = v;
	return 1;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX (and its low surrogate) at s[0..]: writes the character to o and
 * returns the bytes consumed; *wrote gets the bytes written. */
static size_t unescape_u(const unsigned char *s, size_t avail, unsigned char *o, size_t *wrote)
{
	unsigned u, lo;
	*wrote = 1;
	if (!hex4(s + 2, avail - 2, &u)) {
		*o = '?';
		return 2;
	}
	if (u >= 0xd800 && u <= 0xdbff && avail >= 12 && s[6] == '\\' && s[7] == 'u' &&
	    hex4(s + 8, avail - 8, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
		*wrote = put_utf8(o, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
		return 12;
	}
	if (u >= 0xd800 && u <= 0xdfff)
		*o = '?';
	else if (u < 0x20 || u == 0x7f)
		*o = ' '; /* \u000a must not add a line */
	else
		*wrote = put_utf8(o, u);
	return 6;
}

/* One escape at s[0] == '\\': writes its meaning to o; returns bytes consumed. */
static size_t unescape(const unsigned char *s, size_t avail, unsigned char *o, size_t *wrote)
{
	*wrote = 1;
	if (avail < 2) {
		*o = '?';
		return 1;
	}
	switch (s[1]) {
	case '"':
	case '\\':
	case '/':
		*o = s[1];
		return 2;
	case 'n':
	case 'r':
	case 't':
	case 'b':
	case 'f':
		*o = ' ';
		return 2;
	case 'u':
		return unescape_u(s, avail, o, wrote);
	case '\n':
		*o = '?';
		return 1; /* keep the line break itself */
	default:
		*o = '?';
		return 2;
	}
}

/* Copies the literal whose opening quote is s[*i] to o, unescaped; leaves
 * *i after its closing quote (or at the line end that cut it short, so one
 * stray quote cannot swallow the rest of the file). Returns bytes written. */
static size_t copy_literal(const unsigned char *s, size_t len, size_t *i, unsigned char *o,
			   size_t *escapes)
{
	size_t j = *i + 1, w = 1;
	o[0] = '"';
	while (j < len) {
		/* The bytes that end a plain stretch of the literal. */
		size_t k = pl_find_any3(s, len, j, '"', '\\', '\n');
		memcpy(o + w, s + j, k - j);
		w += k - j;
		j = k;
		if (j >= len || s[j] == '\n')
			break;
		if (s[j] == '"') {
			o[w++] = '"';
			j++;
			break;
		}
		size_t wrote;
		j += unescape(s + j, len - j, o + w, &wrote);
		w += wrote;
		(*escapes)++;
	}
	*i = j;
	return w;
}

int pl_json_views(const unsigned char *d, size_t len, struct pl_views *out)
{
	if (!memchr(d, '\\', len))
		return 0; /* the view would equal the raw text */
	unsigned char *text = pl_xmalloc(len + 1);
	size_t w = 0, escapes = 0;
	for (size_t i = 0; i < len;) {
		size_t at = pl_find_any3(d, len, i, '"', '"', '"');
		memcpy(text + w, d + i, at - i);
		w += at - i;
		i = at;
		if (i < len)
			w += copy_literal(d, len, &i, text + w, &escapes);
	}
	text[w] = '\0';
	if (!escapes) {
		free(text);
		return 0;
	}
	return pl_views_add(out, (char *)text, w, "json", 0, 0);
}
