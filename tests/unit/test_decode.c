/* Unit tests of the decoders: UTF-16, .pyc constants, JSON string literals,
 * base64 runs, the dispatch, and hostile input (truncated, corrupted and
 * random bytes, nesting bombs, huge lengths, reference loops), which must
 * end without a crash, a leak or an unbounded view. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/decode_int.h"
#include "decode_samples.h"
#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "test.h"

static size_t count_lines(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* The single view of data under this name, or NULL (vs released by caller). */
static const struct pl_view *only_view(const char *name, const void *data, size_t len,
				       struct pl_views *vs)
{
	CHECK(pl_decode_views(name, data, len, vs) == 0);
	CHECK(vs->n == 1);
	return vs->n == 1 ? &vs->v[0] : NULL;
}

static size_t utf16_encode(const char *s, int be, int bom, unsigned char *o)
{
	size_t w = 0;
	if (bom) {
		o[w++] = be ? 0xfe : 0xff;
		o[w++] = be ? 0xff : 0xfe;
	}
	for (; *s; s++) {
		o[w++] = be ? 0 : (unsigned char)*s;
		o[w++] = be ? (unsigned char)*s : 0;
	}
	return w;
}

static void test_utf16_orders(void)
{
	const char *text = "Hello\r\nAWS_SECRET=abcdefghijklmnop\nlast line\n";
	unsigned char buf[256];
	for (int be = 0; be <= 1; be++) {
		for (int bom = 0; bom <= 1; bom++) {
			size_t n = utf16_encode(text, be, bom, buf);
			struct pl_views vs = {0};
			CHECK(pl_decode_wants("x.txt", buf, n));
			CHECK(pl_decode_replaces_raw(buf, n));
			const struct pl_view *v = only_view("x.txt", buf, n, &vs);
			if (v) {
				CHECK_STR(v->text, text);
				CHECK_STR(v->encoding, be ? "utf16be" : "utf16le");
				CHECK(v->line == 0);
				CHECK(count_lines(v->text, v->len) == 3);
			}
			pl_views_release(&vs);
		}
	}
}

static void test_utf16_units(void)
{
	/* BOM, 'A', U+1F600 as a pair, a lone high surrogate before 'B', a lone
	 * low surrogate, U+0000, U+00E9, then an odd byte. */
	static const unsigned char in[] = {0xff, 0xfe, 'A', 0, 0x3d, 0xd8, 0x00, 0xde,
					   0x00, 0xd8, 'B', 0, 0x00, 0xdc, 0, 0, 0xe9, 0,
					   'C', 0, 'D', 0, 'E', 0, 'F', 0, 'G', 0, 'H', 0,
					   'I', 0, 'J', 0, 'K', 0, 'L', 0, 'M', 0, 'N', 0, 'O'};
	static const char want[] = "A\xf0\x9f\x98\x80\xef\xbf\xbd"
				   "B\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9"
				   "CDEFGHIJKLMN\xef\xbf\xbd";
	struct pl_views vs = {0};
	CHECK(pl_utf16_views(in, sizeof(in), &vs) == 0);
	CHECK(vs.n == 1);
	if (vs.n == 1) {
		CHECK(vs.v[0].len == strlen(want));
		CHECK(memcmp(vs.v[0].text, want, strlen(want)) == 0);
	}
	pl_views_release(&vs);
}

static void test_utf16_negatives(void)
{
	static const char ascii[] = "plain ASCII text, no NULs at all, long enough to judge\n";
	CHECK(pl_utf16_detect((const unsigned char *)ascii, strlen(ascii), NULL) == PL_UTF16_NONE);
	CHECK(!pl_decode_replaces_raw((const unsigned char *)ascii, strlen(ascii)));
	/* UTF-32LE with its BOM (FF FE 00 00) is not UTF-16. */
	unsigned char u32[4 + 4 * 20] = {0xff, 0xfe, 0, 0};
	for (int i = 0; i < 20; i++)
		u32[4 + 4 * i] = 'a' + i;
	CHECK(pl_utf16_detect(u32, sizeof(u32), NULL) == PL_UTF16_NONE);
	/* Binary: FF FE then controls; and a run of zeros. */
	unsigned char bin[64] = {0xff, 0xfe, 1, 2, 3, 4, 5, 6};
	CHECK(pl_utf16_detect(bin, sizeof(bin), NULL) == PL_UTF16_NONE);
	CHECK(pl_utf16_detect(bin + 8, sizeof(bin) - 8, NULL) == PL_UTF16_NONE);
	/* Too short to judge without a BOM. */
	CHECK(pl_utf16_detect((const unsigned char *)"a\0b\0", 4, NULL) == PL_UTF16_NONE);
}

/* ---- .pyc ---- */

static void check_pyc_view(const unsigned char *pyc, size_t len, const char *label)
{
	struct pl_views vs = {0};
	CHECK(pl_decode_wants("m.pyc", pyc, len < 64 ? len : 64));
	CHECK(pl_decode_wants("no-name", pyc, len < 64 ? len : 64)); /* by magic */
	CHECK(!pl_decode_replaces_raw(pyc, len));
	const struct pl_view *v = only_view("m.pyc", pyc, len, &vs);
	if (v) {
		if (!strstr(v->text, "HEROKU_API_KEY connect\n"
				     "HEROKU_API_KEY = \"9f5621ad-21c1-4bae-af0d-afff3995f274\"\n"))
			fprintf(stderr, "%s view:\n%s\n", label, v->text);
		CHECK(strstr(v->text, "HEROKU_API_KEY connect\nHEROKU_API_KEY = "
				      "\"9f5621ad-21c1-4bae-af0d-afff3995f274\"\n"));
		CHECK(strstr(v->text, "token\ntoken = \"local-token-value\"\n"));
		CHECK(strstr(v->text, "\n\"nested-in-tuple\"\n"));
		CHECK_STR(v->encoding, "pyc");
		CHECK(v->line == PL_VIEW_NO_LINES && v->column == 0);
	}
	pl_views_release(&vs);
}

static void test_pyc_versions(void)
{
	check_pyc_view(pyc36, sizeof(pyc36), "3.6");
	check_pyc_view(pyc38, sizeof(pyc38), "3.8");
	check_pyc_view(pyc311, sizeof(pyc311), "3.11");
	check_pyc_view(pyc313, sizeof(pyc313), "3.13");
	CHECK(pl_pyc_header(pyc36, sizeof(pyc36)) == 12);
	CHECK(pl_pyc_header(pyc311, sizeof(pyc311)) == 16);
	/* A .pyc name does not make text a .pyc. */
	struct pl_views vs = {0};
	CHECK(pl_pyc_views((const unsigned char *)"not a pyc at all, just text", 27, &vs) == 0);
	CHECK(vs.n == 0);
}

/* Every truncation and every single-byte corruption of a real .pyc: any
 * view made is well formed, and the reader ends. */
static void test_pyc_damaged(void)
{
	static const unsigned char values[] = {0x00, 0xff, 0x7f, 0x80, 'r', 'r' | 0x80, '(',
					       'c', '{', 's', 0x01};
	unsigned char buf[sizeof(pyc311)];
	for (size_t n = 0; n <= sizeof(pyc311); n++) {
		struct pl_views vs = {0};
		CHECK(pl_decode_views("t.pyc", pyc311, n, &vs) == 0);
		for (size_t i = 0; i < vs.n; i++)
			CHECK(vs.v[i].text[vs.v[i].len] == '\0');
		pl_views_release(&vs);
	}
	for (size_t i = 16; i < sizeof(pyc311); i++) {
		for (size_t k = 0; k < sizeof(values); k++) {
			memcpy(buf, pyc311, sizeof(buf));
			buf[i] = values[k];
			struct pl_views vs = {0};
			CHECK(pl_decode_views("t.pyc", buf, sizeof(buf), &vs) == 0);
			pl_views_release(&vs);
		}
	}
}

/* A 3.11 header and the fixed fields of a code object up to co_code. */
static size_t pyc_prefix(unsigned char *o)
{
	static const unsigned char head[] = {0xa7, 0x0d, '\r', '\n', 0, 0, 0, 0,
					     0, 0, 0, 0, 0, 0, 0, 0, 'c'};
	memcpy(o, head, sizeof(head));
	memset(o + sizeof(head), 0, 20);       /* five int32 fields */
	memcpy(o + sizeof(head) + 20, "s\0\0\0\0", 5); /* empty co_code */
	return sizeof(head) + 25;
}

static void put_i32(unsigned char *o, uint32_t v)
{
	o[0] = (unsigned char)v;
	o[1] = (unsigned char)(v >> 8);
	o[2] = (unsigned char)(v >> 16);
	o[3] = (unsigned char)(v >> 24);
}

static void test_pyc_bombs(void)
{
	size_t depth = 200000, cap = 64 + depth * 5;
	unsigned char *b = calloc(1, cap);
	/* co_consts = ((((...)))) nested far past the depth bound. */
	size_t n = pyc_prefix(b);
	for (size_t i = 0; i < depth; i++) {
		b[n++] = '(';
		put_i32(b + n, 1);
		n += 4;
	}
	struct pl_views vs = {0};
	CHECK(pl_decode_views("bomb.pyc", b, n, &vs) == 0);
	CHECK(vs.n == 0);
	pl_views_release(&vs);

	/* Huge lengths: a string, a tuple and a long claiming 2^31 - 1. */
	static const unsigned char types[] = {'s', 'u', '(', '[', '<', 'l'};
	for (size_t t = 0; t < sizeof(types); t++) {
		n = pyc_prefix(b);
		b[n++] = types[t];
		put_i32(b + n, 0x7fffffff);
		n += 4;
		memset(b + n, 'A', 100);
		CHECK(pl_decode_views("big.pyc", b, n + 100, &vs) == 0);
		pl_views_release(&vs);
	}
	n = pyc_prefix(b); /* a long of -2^31 digits */
	b[n++] = 'l';
	put_i32(b + n, 0x80000000u);
	CHECK(pl_decode_views("neg.pyc", b, n + 4, &vs) == 0);
	pl_views_release(&vs);
	free(b);
}

/* A list that contains itself through FLAG_REF/TYPE_REF, references out of
 * range, and one string referenced 10000 times (written once). */
static void test_pyc_refs(void)
{
	unsigned char b[128 + 10000 * 5];
	struct pl_views vs = {0};
	size_t n = pyc_prefix(b);
	b[n++] = '[' | 0x80; /* ref slot 0 */
	put_i32(b + n, 2);
	n += 4;
	b[n++] = 'r';
	put_i32(b + n, 0); /* itself, still being read */
	n += 4;
	b[n++] = 'r';
	put_i32(b + n, 99); /* out of range */
	n += 4;
	CHECK(pl_decode_views("loop.pyc", b, n, &vs) == 0);
	pl_views_release(&vs);

	n = pyc_prefix(b);
	b[n++] = '(';
	put_i32(b + n, 10001);
	n += 4;
	b[n++] = 'z' | 0x80; /* ref slot 0: a short ASCII string */
	b[n++] = 20;
	memcpy(b + n, "repeated-secret-1234", 20);
	n += 20;
	for (int i = 0; i < 10000; i++) {
		b[n++] = 'r';
		put_i32(b + n, 0);
		n += 4;
	}
	b[n++] = ')'; /* co_names: () */
	b[n++] = 0;
	const struct pl_view *v = only_view("refs.pyc", b, n, &vs);
	if (v)
		CHECK_STR(v->text, "\"repeated-secret-1234\"\n");
	pl_views_release(&vs);
}

/* The fields of a 3.11 code object after co_names, all empty. */
static size_t code_tail(unsigned char *o)
{
	static const unsigned char tail[] = {')', 0, 's', 0, 0, 0, 0, 'z', 1, 'f', 'z', 1, 'g',
					     'z', 1, 'g', 1, 0, 0, 0, 's', 0, 0, 0, 0, 's', 0,
					     0, 0, 0};
	memcpy(o, tail, sizeof(tail));
	return sizeof(tail);
}

/* CPython shares equal tuples: an inner function's co_names tuple comes
 * back as a constant of the module through a back-reference. */
static void test_pyc_shared_tuple(void)
{
	unsigned char b[256];
	size_t n = pyc_prefix(b);
	b[n++] = '(';
	put_i32(b + n, 2);
	n += 4;
	b[n++] = 'c'; /* the inner code object */
	memset(b + n, 0, 20);
	n += 20;
	memcpy(b + n, "s\0\0\0\0)\0", 7); /* co_code, co_consts = () */
	n += 7;
	b[n++] = ')' | 0x80; /* co_names, ref slot 0 */
	b[n++] = 1;
	b[n++] = 'z';
	b[n++] = 12;
	memcpy(b + n, "shared-value", 12);
	n += 12;
	n += code_tail(b + n);
	b[n++] = 'r'; /* the module's second constant: that tuple */
	put_i32(b + n, 0);
	n += 4;
	b[n++] = ')'; /* the module's co_names */
	b[n++] = 0;
	n += code_tail(b + n);
	struct pl_views vs = {0};
	const struct pl_view *v = only_view("shared.pyc", b, n, &vs);
	if (v)
		CHECK_STR(v->text, "\"shared-value\"\n");
	pl_views_release(&vs);
}

/* LOAD_CONST i (with EXTENDED_ARG prefixes) as 3.11 bytecode. */
static size_t put_op(unsigned char *o, unsigned op, uint32_t arg)
{
	size_t w = 0;
	if (arg > 0xffff) {
		o[w++] = 144;
		o[w++] = (unsigned char)(arg >> 16);
	}
	if (arg > 0xff) {
		o[w++] = 144;
		o[w++] = (unsigned char)(arg >> 8);
	}
	o[w++] = (unsigned char)op;
	o[w++] = (unsigned char)arg;
	return w;
}

/* A module of 70000 `nNNNNN = "vNNNNNN"` assignments: pairing stays
 * O(n log n) (a linear lookup per pair took minutes). */
static void test_pyc_many_pairs(void)
{
	enum { N = 70000 };
	unsigned char *b = malloc(64 + (size_t)N * 40);
	size_t n = pyc_prefix(b) - 5; /* co_code written here */
	size_t code_at = n;
	n += 5;
	for (uint32_t i = 0; i < N; i++) {
		n += put_op(b + n, 100, i);
		n += put_op(b + n, 90, i);
	}
	b[code_at] = 's';
	put_i32(b + code_at + 1, (uint32_t)(n - code_at - 5));
	for (int t = 0; t < 2; t++) { /* co_consts, then co_names */
		b[n++] = '(';
		put_i32(b + n, N);
		n += 4;
		for (uint32_t i = 0; i < N; i++) {
			b[n++] = 'z';
			b[n++] = 8;
			n += (size_t)snprintf((char *)b + n, 9, t ? "n%07u" : "v%07u", i);
		}
	}
	n += code_tail(b + n);
	struct pl_views vs = {0};
	const struct pl_view *v = only_view("many.pyc", b, n, &vs);
	if (v) {
		CHECK(strstr(v->text, "\nn0000000 = \"v0000000\"\n"));
		CHECK(strstr(v->text, "\nn0069999 = \"v0069999\"\n"));
	}
	pl_views_release(&vs);
	free(b);
}

/* ---- JSON ---- */

static void test_json_notebook(void)
{
	static const char nb[] =
		"{\n"
		" \"cells\": [{\n"
		"   \"source\": [\n"
		"    \"import requests\\n\",\n"
		"    \"mailgun_api_key = \\\"key-390c7670336567d2effc01dc76e9e435\\\"\\n\",\n"
		"    \"caf\\u00e9 \\ud83d\\ude00 \\ud800 \\u000a \\x \\/ \\\\ end\"\n"
		"   ],\n"
		"   \"outputs\": [{\"text\": \"token=\\\"abc\\\"\"}]\n"
		" }]\n"
		"}\n";
	struct pl_views vs = {0};
	CHECK(pl_decode_wants("nb/demo.ipynb", (const unsigned char *)nb, 16));
	const struct pl_view *v = only_view("nb/demo.ipynb", nb, strlen(nb), &vs);
	if (v) {
		CHECK_STR(v->encoding, "json");
		CHECK(v->line == 0);
		CHECK(count_lines(v->text, v->len) == count_lines(nb, strlen(nb)));
		/* Line 5 of the view is line 5 of the notebook, unescaped. */
		const char *l5 = v->text;
		for (int i = 0; i < 4; i++)
			l5 = strchr(l5, '\n') + 1;
		static const char l5want[] =
			"    \"mailgun_api_key = \"key-390c7670336567d2effc01dc76e9e435\" \",\n";
		CHECK(strncmp(l5, l5want, strlen(l5want)) == 0);
		CHECK(strstr(v->text, "\"caf\xc3\xa9 \xf0\x9f\x98\x80 ?   ? / \\ end\""));
		CHECK(strstr(v->text, "{\"text\": \"token=\"abc\"\"}"));
	}
	pl_views_release(&vs);

	/* No escape: no view (it would equal the raw text). */
	static const char plain[] = "{\"a\": \"b\", \"c\": [1, 2]}\n";
	CHECK(pl_decode_views("x.json", (const unsigned char *)plain, strlen(plain), &vs) == 0);
	CHECK(vs.n == 0);
	/* A line break inside a broken literal ends it; lines stay. */
	static const char broken[] = "{\"a\": \"unterminated\n\"b\\n\": 1}\n";
	v = only_view("x.json", broken, strlen(broken), &vs);
	if (v)
		CHECK_STR(v->text, "{\"a\": \"unterminated\n\"b \": 1}\n");
	pl_views_release(&vs);
}

/* ---- base64 ---- */

static char *b64(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)o, (const unsigned char *)s, (int)n);
	return o;
}

static const char env[] = "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
			  "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

static void test_base64_env(void)
{
	char *enc = b64(env), text[1024];
	snprintf(text, sizeof(text), "# config\nname: demo\nenv_b64: %s\nother: 1\n", enc);
	struct pl_views vs = {0};
	CHECK(pl_decode_wants("deploy.yaml", (const unsigned char *)text, strlen(text)));
	const struct pl_view *v = only_view("deploy.yaml", text, strlen(text), &vs);
	if (v) {
		CHECK_STR(v->text, env);
		CHECK_STR(v->encoding, "base64");
		CHECK(v->line == 3);
		CHECK(v->column == 10);
	}
	pl_views_release(&vs);
	free(enc);
}

static void test_base64_nested(void)
{
	char *inner = b64(env);
	char outer_text[512];
	snprintf(outer_text, sizeof(outer_text), "KUBECONFIG_DATA=%s\n", inner);
	char *outer = b64(outer_text), text[2048];
	snprintf(text, sizeof(text), "line one\n  secret: \"%s\"\n", outer);
	struct pl_views vs = {0};
	CHECK(pl_decode_views("values.yaml", (const unsigned char *)text, strlen(text), &vs) == 0);
	CHECK(vs.n == 2);
	if (vs.n == 2) {
		CHECK_STR(vs.v[0].text, outer_text);
		CHECK_STR(vs.v[1].text, env);
		CHECK(vs.v[0].line == 2 && vs.v[1].line == 2);
		CHECK(vs.v[0].column == 12 && vs.v[1].column == 12);
	}
	pl_views_release(&vs);
	free(inner);
	free(outer);
}

static void test_base64_skipped(void)
{
	char *enc = b64(env), text[2048];
	/* The same text-decoding payload behind an image data URI and as an
	 * integrity hash is not decoded; random binary payloads neither. */
	snprintf(text, sizeof(text),
		 "<img src=\"data:image/png;base64,%s\">\n"
		 "\"integrity\": \"sha512-%s\"\n"
		 "png: iVBORw0KGgoAAAANSUhEUp2iBGLr6A3Wts26Tjy/27M8wP7C3pV+8G3mv5c0jYiSukYt9PxTPIYg==\n"
		 "ident: this_is_a_very_long_identifier_name_in_some_code_base\n"
		 "path: /usr/lib/python3/dist-packages/some/module/with/long/path.py\n"
		 "hex: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
		 enc, enc);
	struct pl_views vs = {0};
	CHECK(pl_decode_views("page.html", (const unsigned char *)text, strlen(text), &vs) == 0);
	CHECK(vs.n == 0);
	pl_views_release(&vs);
	free(enc);
}

static void test_base64_wrapped(void)
{
	/* `base64` wraps at 76 columns: the block is decoded whole. */
	char *enc = b64(env), text[2048];
	size_t n = strlen(enc), w = 0;
	w += (size_t)snprintf(text, sizeof(text), "data: |\n");
	for (size_t i = 0; i < n; i += 76)
		w += (size_t)snprintf(text + w, sizeof(text) - w, "    %.76s\n", enc + i);
	struct pl_views vs = {0};
	const struct pl_view *v = only_view("secret.yaml", text, w, &vs);
	if (v) {
		CHECK_STR(v->text, env);
		CHECK(v->line == 2 && v->column == 5);
	}
	pl_views_release(&vs);
	free(enc);
}

static void test_base64_in_json(void)
{
	/* PHP-style "\/" escapes split a run in the raw text; the JSON view
	 * makes it whole again. */
	const char *json = "{\n  \"env\": "
			   "\"QVdTX1NFQ1JFVF9BQ0NFU1NfS0VZPXdKYWxyWFV0bkZFTUkvSzdNREVORy9iUHhSZmlDWUVYQU1QTEVLRVk/Pz4+Cg==\"\n}\n";
	char esc[512];
	size_t w = 0;
	for (const char *p = json; *p; p++) {
		if (*p == '/')
			esc[w++] = '\\';
		esc[w++] = *p;
	}
	esc[w] = '\0';
	struct pl_views vs = {0};
	CHECK(pl_decode_views("composer.json", (const unsigned char *)esc, w, &vs) == 0);
	CHECK(vs.n == 2);
	if (vs.n == 2) {
		CHECK_STR(vs.v[0].encoding, "json");
		CHECK_STR(vs.v[1].encoding, "base64");
		CHECK_STR(vs.v[1].text,
			  "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY?\?>>\n");
		CHECK(vs.v[1].line == 2);
	}
	pl_views_release(&vs);
}

static void test_base64_budget(void)
{
	/* Many short runs that all decode: views stop at PL_DECODE_MAX_VIEWS
	 * with PL_ELIMIT, and what was made is kept. */
	char *enc = b64("password=abcdefghijklmnopqrstu");
	size_t k = strlen(enc), lines = PL_DECODE_MAX_VIEWS + 100;
	char *text = malloc(lines * (k + 1) + 1);
	for (size_t i = 0; i < lines; i++) {
		memcpy(text + i * (k + 1), enc, k);
		text[i * (k + 1) + k] = i % 2 ? '\n' : ' '; /* not one wrapped block */
	}
	struct pl_views vs = {0};
	int rc = pl_decode_views("many.txt", (const unsigned char *)text, lines * (k + 1), &vs);
	CHECK(rc == PL_ELIMIT);
	CHECK(vs.n == PL_DECODE_MAX_VIEWS);
	pl_views_release(&vs);
	free(text);
	free(enc);
}

/* Split literals: the view joins each chain on its first line and keeps
 * only the lines that hold one (the raw text is scanned anyway); every line
 * stays where it was. */
static void test_concat(void)
{
	const char *src = "import os\n"
			  "x = 'plain'\n"
			  "key = 'sk-ant-' +\n    'api03-abc'\n"
			  "y = 2\n";
	struct pl_views vs = {0};
	CHECK(pl_decode_has_concat((const unsigned char *)src, strlen(src)));
	CHECK(pl_decode_concat((const unsigned char *)src, strlen(src), &vs) == 0);
	CHECK(vs.n == 1);
	if (vs.n == 1)
		CHECK_STR(vs.v[0].text, "\n\nkey = 'sk-ant-api03-abc'\n\n\n");
	pl_views_release(&vs);
	const char *plain = "a = 'x'\nb = \"y\" # 'not' 'closed\n";
	CHECK(!pl_decode_has_concat((const unsigned char *)plain, strlen(plain)) ||
	      pl_decode_concat((const unsigned char *)plain, strlen(plain), &vs) == 0);
	pl_views_release(&vs);
	/* Python adjacency, two chains on two lines. */
	const char *py = "A = 'ab' 'cd'\nskip = 1\nB = \"ef\" \"gh\"\n";
	CHECK(pl_decode_concat((const unsigned char *)py, strlen(py), &vs) == 0 && vs.n == 1);
	if (vs.n == 1)
		CHECK_STR(vs.v[0].text, "A = 'abcd'\n\nB = \"efgh\"\n");
	pl_views_release(&vs);
}

/* Runs, escapes and quotes at every offset around the 16- and 64-byte
 * blocks the searches work in, after filler that passes the quick range
 * test ('.' and ',' are in '+'..'z') but is not base64: found exactly
 * where the byte-by-byte definitions put them. */
static void test_block_edges(void)
{
	char *enc = b64("export TOKEN=abc-123-xyz"), text[512]; /* 24 bytes: 32 chars */
	for (size_t o = 0; o < 80; o++) {
		for (size_t cut = 31; cut <= 32; cut++) {
			size_t n = 0;
			for (size_t i = 0; i < o; i++)
				text[n++] = (o - i) % 2 ? '.' : (i % 7 == 6 ? ' ' : 'q');
			memcpy(text + n, enc, cut);
			n += cut;
			n += (size_t)snprintf(text + n, sizeof(text) - n, ",%.*s", (int)(o % 40),
					      "..........,,,,,,,,,,..........zzzzzzzzzz");
			struct pl_views vs = {0};
			CHECK(pl_base64_views(text, n, 1, &vs) == 0);
			CHECK(vs.n == (cut == 32));
			if (vs.n == 1) {
				CHECK_STR(vs.v[0].text, "export TOKEN=abc-123-xyz");
				CHECK(vs.v[0].column == o + 1);
			}
			CHECK(pl_base64_probe((const unsigned char *)text, n) == (cut == 32));
			pl_views_release(&vs);
		}
	}
	free(enc);
	for (size_t o = 0; o < 40; o++) {
		char want[256];
		int n = snprintf(text, sizeof(text), "{\"k\": \"%.*s\\\"q\\\" x\\ny\", \"n\": 1}\n",
				 (int)o, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		snprintf(want, sizeof(want), "{\"k\": \"%.*s\"q\" x y\", \"n\": 1}\n", (int)o,
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		struct pl_views vs = {0};
		CHECK(pl_json_views((const unsigned char *)text, (size_t)n, &vs) == 0 && vs.n == 1);
		if (vs.n == 1)
			CHECK_STR(vs.v[0].text, want);
		pl_views_release(&vs);
		n = snprintf(text, sizeof(text), "x = %*s'a\\'b' + 'cd' # \"e\"\nz = 'f'\n", (int)o, "");
		snprintf(want, sizeof(want), "x = %*s'a\\'bcd' # \"e\"\n\n", (int)o, "");
		CHECK(pl_decode_has_concat((const unsigned char *)text, (size_t)n));
		CHECK(pl_decode_concat((const unsigned char *)text, (size_t)n, &vs) == 0 && vs.n == 1);
		if (vs.n == 1)
			CHECK_STR(vs.v[0].text, want);
		pl_views_release(&vs);
	}
}

static void test_wants(void)
{
	static const char plain[] = "def f(x):\n    return x + 1  # nothing encoded here\n";
	CHECK(!pl_decode_wants("a.py", (const unsigned char *)plain, strlen(plain)));
	CHECK(pl_decode_wants("a.JSON", (const unsigned char *)plain, strlen(plain)));
	CHECK(pl_decode_wants("x/__pycache__/a.cpython-311.pyc", (const unsigned char *)"", 0));
	static const unsigned char bin[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0};
	CHECK(!pl_decode_wants("lib.so", bin, sizeof(bin)));
	struct pl_views vs = {0};
	CHECK(pl_decode_views("lib.so", bin, sizeof(bin), &vs) == 0);
	CHECK(vs.n == 0);
}

/* Random bytes and random mutations of every sample, under every name. */
static void test_random(void)
{
	static const char *const names[] = {"a.txt", "b.pyc", "c.ipynb", "d.json", "e"};
	uint64_t x = 88172645463325252ull;
	unsigned char *buf = malloc(1 << 16);
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = (size_t)(x % (1 << 16));
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = (unsigned char)x;
			if (iter % 3 == 1)
				buf[i] = "AZaz09+/=\n\"\\u"[x % 14]; /* base64- and JSON-ish */
		}
		if (iter % 3 == 2 && n > sizeof(pyc311))
			memcpy(buf, pyc311, 20); /* a valid header, random body */
		struct pl_views vs = {0};
		int rc = pl_decode_views(names[iter % 5], buf, n, &vs);
		CHECK(rc == 0 || rc == PL_ELIMIT);
		pl_views_release(&vs);
		(void)pl_decode_wants(names[iter % 5], buf, n);
	}
	free(buf);
}

int main(void)
{
	CHECK(pl_dl_crypto() == 0); /* b64() calls OpenSSL itself */
	test_concat();
	test_utf16_orders();
	test_utf16_units();
	test_utf16_negatives();
	test_pyc_versions();
	test_pyc_damaged();
	test_pyc_bombs();
	test_pyc_refs();
	test_pyc_shared_tuple();
	test_pyc_many_pairs();
	test_json_notebook();
	test_base64_env();
	test_base64_nested();
	test_base64_skipped();
	test_base64_wrapped();
	test_base64_in_json();
	test_base64_budget();
	test_wants();
	test_block_edges();
	test_random();
	TEST_MAIN_END();
}
