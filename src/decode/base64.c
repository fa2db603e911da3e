/* Base64 runs that decode to text: an encoded .env, a kubeconfig, a
 * Kubernetes Secret's data, credentials a package author hid from grep.
 *
 * Cost matters here more than anywhere in the module, because every text
 * blob goes through it. Runs are found 64 bytes at a time with SSE2 (bit
 * masks of alphabet bytes, then shifts for 32 ones in a row), and by
 * striding elsewhere. A run is decoded only when its first bytes decode to
 * text, so image and key material cost a few dozen bytes each, not their
 * length.
 *
 * Own table decoder rather than OpenSSL's EVP_DecodeBlock: runs mix the
 * standard and URL-safe alphabets, and come without padding. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode/decode_int.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/escape.h"

/* Decoded bytes a view needs, and the share of them that must be text. */
#define MIN_DECODED 16
#define MIN_TEXT_PERCENT 90
#define MIN_ASCII_PERCENT 50
/* Alphabet chars decoded to judge a run before decoding all of it. */
#define PROBE_CHARS 64
/* Wrapped blocks (PEM-style, `base64` output): shortest line width joined. */
#define MIN_WRAP_WIDTH 40
/* How far before ";base64," a data URI's "data:" may be. */
#define MAX_MEDIA_TYPE 128

/* Value + 1 of each alphabet byte (0: not base64); both alphabets. */
static const unsigned char b64[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['-'] = 63,
	['/'] = 64, ['_'] = 64,
};

/* One text being searched for runs. */
struct scan {
	const unsigned char *d;
	size_t len;
	unsigned depth;              /* 1: the blob's own text (or a view of it) */
	int with_lines;              /* depth 1: d's lines are the blob's */
	uint64_t fixed_line, fixed_column; /* else: where every view is placed */
	size_t counted;              /* lines are counted up to here */
	uint64_t line;               /* line of d[counted] */
	size_t line_start;           /* where that line starts */
	struct pl_views *out;
};

/* The alphabet run holding d[a, b), grown both ways but not before from:
 * [*s, *e). Whether it is long enough to decode. */
static int grow_run(const unsigned char *d, size_t len, size_t from, size_t a, size_t b,
		    size_t *s, size_t *e)
{
	while (a > from && b64[d[a - 1]])
		a--;
	while (b < len && b64[d[b]])
		b++;
	*s = a;
	*e = b;
	return b - a >= PL_BASE64_MIN_RUN;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* Bytes of c in [lo, hi] (unsigned), as 0xff lanes. */
static inline __m128i in_range(__m128i c, char lo, char hi)
{
	__m128i x = _mm_sub_epi8(c, _mm_set1_epi8(lo));
	__m128i top = _mm_set1_epi8((char)(hi - lo));
	return _mm_cmpeq_epi8(_mm_max_epu8(x, top), top);
}

/* Bit i set when p[i] is a base64 byte (either alphabet). */
static inline unsigned alphabet_mask16(const unsigned char *p)
{
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i letters = in_range(_mm_or_si128(c, _mm_set1_epi8(0x20)), 'a', 'z');
	/* '+' to '9' holds + - / and the digits, and also ',' and '.'. */
	__m128i comma_dot = _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8(',')),
					 _mm_cmpeq_epi8(c, _mm_set1_epi8('.')));
	__m128i digits = _mm_andnot_si128(comma_dot, in_range(c, '+', '9'));
	__m128i m = _mm_or_si128(_mm_or_si128(letters, digits),
				 _mm_cmpeq_epi8(c, _mm_set1_epi8('_')));
	return (unsigned)_mm_movemask_epi8(m);
}

/* Bit i set when p[i] is in '+'..'z', a range that holds the whole alphabet
 * but not spaces, quotes, parentheses, braces or line ends: one compare
 * rules out most blocks of text. */
static inline unsigned rough_mask16(const unsigned char *p)
{
	return (unsigned)_mm_movemask_epi8(
		in_range(_mm_loadu_si128((const __m128i *)(const void *)p), '+', 'z'));
}

/* Whether one of the four 16-byte blocks at p is all in the rough range:
 * 64 bytes judged with one branch (a full mask plus one carries into bit 16,
 * so the sums are ORed, not four comparisons joined by branches). */
static inline int any_rough_block(const unsigned char *p)
{
	unsigned full = (rough_mask16(p) + 1) | (rough_mask16(p + 16) + 1) |
			(rough_mask16(p + 32) + 1) | (rough_mask16(p + 48) + 1);
	return (full & 0x10000u) != 0;
}

/* A run of PL_BASE64_MIN_RUN (32) holds a whole 16-byte block at from + 16k
 * for some k: only blocks that are all alphabet (first by the rough range,
 * then exactly) are looked at more closely, byte by byte around them. The
 * run found is the same as the scalar search's: the first one, its start
 * not before from. */
static int next_run(const unsigned char *d, size_t len, size_t from, size_t *s, size_t *e)
{
	for (size_t i = from; i + 16 <= len; i += 16) {
		if (i + 64 <= len && !any_rough_block(d + i)) {
			i += 48; /* with the loop's 16: the next four blocks */
			continue;
		}
		if (rough_mask16(d + i) != 0xffff || alphabet_mask16(d + i) != 0xffff)
			continue;
		if (grow_run(d, len, from, i, i + 16, s, e))
			return 1;
		/* d[*e] ends this run: the next one starts after it. */
		from = *e;
		i = *e - 16; /* the loop adds 16: the next block starts at *e */
	}
	return 0;
}
#else
/* Finds the next run of >= PL_BASE64_MIN_RUN alphabet bytes at or after
 * from: [*s, *e). Scalar: a run that long covers every
 * PL_BASE64_MIN_RUN-th byte, so only those are tested, and a run is
 * extended around a hit. */
static int next_run(const unsigned char *d, size_t len, size_t from, size_t *s, size_t *e)
{
	size_t p = from + PL_BASE64_MIN_RUN - 1;
	while (p < len) {
		if (!b64[d[p]]) {
			p += PL_BASE64_MIN_RUN;
			continue;
		}
		if (grow_run(d, len, from, p, p + 1, s, e))
			return 1;
		/* d[*e] ends a run: the next one ends at *e + MIN_RUN or later. */
		from = *e;
		p = *e + PL_BASE64_MIN_RUN;
	}
	return 0;
}

#endif

static int prefix_ci(const unsigned char *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	return n >= k && strncasecmp((const char *)p, lit, k) == 0;
}

/* The run at d[s] is the payload of a data: URI of binary media (images,
 * fonts, audio, video): never text, and often huge. */
static int in_binary_data_uri(const unsigned char *d, size_t s)
{
	static const char *const binary[] = {"image/", "font/", "audio/", "video/",
					     "application/font", "application/x-font",
					     "application/octet-stream"};
	if (s < 8 || memcmp(d + s - 8, ";base64,", 8) != 0)
		return 0;
	size_t tag = s - 8, lo = tag > MAX_MEDIA_TYPE ? tag - MAX_MEDIA_TYPE : 0;
	for (size_t i = tag; i-- > lo && d[i] != '\n';) {
		if (!prefix_ci(d + i, tag - i, "data:"))
			continue;
		for (size_t k = 0; k < sizeof(binary) / sizeof(binary[0]); k++)
			if (prefix_ci(d + i + 5, tag - i - 5, binary[k]))
				return 1;
		return 0;
	}
	return 0;
}

/* Subresource-integrity and npm lockfile hashes ("sha512-..."): '-' is in
 * the URL-safe alphabet, so the prefix is part of the run. */
static int is_integrity_hash(const unsigned char *d, size_t s, size_t e)
{
	static const char *const prefixes[] = {"sha1-", "sha256-", "sha384-", "sha512-"};
	for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		size_t n = strlen(prefixes[k]);
		if (e - s > n && memcmp(d + s, prefixes[k], n) == 0)
			return 1;
	}
	return 0;
}

/* Decodes n alphabet bytes (no padding; n % 4 == 1 drops the last one). */
static size_t b64_decode(const unsigned char *src, size_t n, unsigned char *o)
{
	size_t w = 0, i = 0;
	for (; i + 4 <= n; i += 4) {
		unsigned long v = (unsigned long)(b64[src[i]] - 1) << 18 |
				  (unsigned long)(b64[src[i + 1]] - 1) << 12 |
				  (unsigned long)(b64[src[i + 2]] - 1) << 6 |
				  (unsigned long)(b64[src[i + 3]] - 1);
		o[w++] = (unsigned char)(v >> 16);
		o[w++] = (unsigned char)(v >> 8);
		o[w++] = (unsigned char)v;
	}
	size_t r = n - i;
	if (r >= 2) {
		unsigned long v = (unsigned long)(b64[src[i]] - 1) << 18 |
				  (unsigned long)(b64[src[i + 1]] - 1) << 12;
		if (r == 3)
			v |= (unsigned long)(b64[src[i + 2]] - 1) << 6;
		o[w++] = (unsigned char)(v >> 16);
		if (r == 3)
			o[w++] = (unsigned char)(v >> 8);
	}
	return w;
}

/* At least MIN_TEXT_PERCENT of t is printable ASCII, tab, line ends or
 * valid UTF-8 beyond ASCII, and at least MIN_ASCII_PERCENT is ASCII: a run
 * of one repeated letter decodes to a repeated valid 3-byte sequence. */
static int mostly_text(const unsigned char *t, size_t n)
{
	/* Most runs tried are identifiers or binary, which decode to noise:
	 * stop as soon as the bad bytes pass the share allowed. */
	size_t bad = 0, ascii = 0, max_bad = n * (100 - MIN_TEXT_PERCENT) / 100;
	for (size_t i = 0; i < n;) {
		unsigned char c = t[i];
		size_t k = 1;
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			bad++;
		else if (c < 0x80)
			ascii++;
		else if (!(k = pl_utf8_seq_len(t + i, n - i)))
			bad++, k = 1;
		if (bad > max_bad)
			return 0;
		i += k;
	}
	return ascii * 100 >= n * MIN_ASCII_PERCENT;
}

/* Whether the first bytes of the run decode to text (cheap rejection of
 * binary payloads, hashes and identifiers that happen to be long). */
static int head_is_text(const unsigned char *src, size_t n)
{
	unsigned char t[PROBE_CHARS / 4 * 3];
	size_t m = b64_decode(src, n < PROBE_CHARS ? n : PROBE_CHARS, t);
	return m >= MIN_DECODED && mostly_text(t, m);
}

static int is_eol(const unsigned char *d, size_t len, size_t i)
{
	return i >= len || d[i] == '\n' || (d[i] == '\r' && i + 1 < len && d[i + 1] == '\n');
}

/* Index after the line break at i and the indentation that follows. */
static size_t next_line(const unsigned char *d, size_t len, size_t i)
{
	i += d[i] == '\r' ? 2 : 1;
	while (i < len && (d[i] == ' ' || d[i] == '\t'))
		i++;
	return i;
}

/* If the run [s, e) is the first line of a block wrapped at a fixed width
 * (every line that width, the last one shorter), joins the block's
 * alphabet bytes into j and returns where it ends; else returns e. */
static size_t join_wrapped(const unsigned char *d, size_t len, size_t s, size_t e,
			   struct pl_buf *j)
{
	size_t width = e - s, end = e;
	if (width < MIN_WRAP_WIDTH || width % 4 || e >= len || !is_eol(d, len, e))
		return e;
	while (end < len && is_eol(d, len, end)) {
		size_t p = next_line(d, len, end), q = p;
		while (q < len && b64[d[q]] && q - p <= width)
			q++;
		if (q == p || q - p > width)
			break;
		int last = q - p < width;
		if (!is_eol(d, len, q) && !(last && (d[q] == '=' || d[q] == '"' || d[q] == '\'')))
			break; /* a line of the block holds nothing else */
		if (j->len == 0 && pl_buf_append(j, d + s, width) < 0)
			break;
		if (pl_buf_append(j, d + p, q - p) < 0)
			break;
		end = q;
		if (last)
			break;
	}
	return j->len ? end : e;
}

/* Line and column of the run at s: counted in the text at depth 1 (lazily,
 * only for runs that decode), else the outer run's place. */
static void place(struct scan *sc, size_t s, uint64_t *line, uint64_t *column)
{
	if (sc->depth > 1 || !sc->with_lines) {
		*line = sc->fixed_line;
		*column = sc->fixed_column;
		return;
	}
	const unsigned char *nl;
	while (sc->counted < s && (nl = memchr(sc->d + sc->counted, '\n', s - sc->counted))) {
		sc->line++;
		sc->line_start = sc->counted = (size_t)(nl - sc->d) + 1;
	}
	sc->counted = s;
	*line = sc->line;
	*column = s - sc->line_start + 1;
}

static int scan_text(struct scan *sc);

/* Decodes src[0, n) (the run at sc->d[s]) and, when it is text, adds it as a
 * view and looks for base64 inside it. */
static int decode_run(struct scan *sc, const unsigned char *src, size_t n, size_t s)
{
	size_t cap = n / 4 * 3 + 3;
	if (cap > pl_views_room(sc->out) + 3)
		return pl_error_set(PL_ELIMIT, "decoded views pass %u bytes; the rest not scanned",
				    PL_DECODE_MAX_VIEW_BYTES);
	unsigned char *t = pl_xmalloc(cap + 1);
	size_t m = b64_decode(src, n, t);
	if (m < MIN_DECODED || !mostly_text(t, m)) {
		free(t);
		return 0;
	}
	for (size_t i = 0; i < m; i++)
		if (t[i] < 0x20 && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
			t[i] = ' '; /* views are C strings; controls match nothing */
	t[m] = '\0';
	uint64_t line, column;
	place(sc, s, &line, &column);
	int rc = pl_views_add(sc->out, (char *)t, m, "base64", line, column);
	if (rc < 0 || sc->depth >= PL_DECODE_MAX_DEPTH)
		return rc;
	struct scan inner = {.d = t, .len = m, .depth = sc->depth + 1, .fixed_line = line,
			     .fixed_column = column, .out = sc->out};
	return scan_text(&inner);
}

/* Judges the run [s, e) (with the lines wrapped after it); *resume is
 * where the search goes on. */
static int try_run(struct scan *sc, size_t s, size_t e, size_t *resume)
{
	struct pl_buf j;
	pl_buf_init(&j, PL_DECODE_MAX_BLOB);
	*resume = join_wrapped(sc->d, sc->len, s, e, &j);
	const unsigned char *src = j.len ? (const unsigned char *)j.data : sc->d + s;
	size_t n = j.len ? j.len : e - s;
	int rc = head_is_text(src, n) ? decode_run(sc, src, n, s) : 0;
	pl_buf_release(&j);
	return rc;
}

static int scan_text(struct scan *sc)
{
	size_t from = 0, s, e;
	while (next_run(sc->d, sc->len, from, &s, &e)) {
		from = e;
		if (is_integrity_hash(sc->d, s, e) || in_binary_data_uri(sc->d, s))
			continue;
		int rc = try_run(sc, s, e, &from);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pl_base64_views(const char *text, size_t len, int with_lines, struct pl_views *out)
{
	struct scan sc = {.d = (const unsigned char *)text, .len = len, .depth = 1,
			  .with_lines = with_lines, .fixed_line = PL_VIEW_NO_LINES,
			  .line = 1, .out = out};
	return scan_text(&sc);
}

int pl_base64_probe(const unsigned char *d, size_t len)
{
	size_t from = 0, s, e;
	while (next_run(d, len, from, &s, &e)) {
		from = e;
		if (!is_integrity_hash(d, s, e) && !in_binary_data_uri(d, s) &&
		    head_is_text(d + s, e - s))
			return 1;
	}
	return 0;
}
