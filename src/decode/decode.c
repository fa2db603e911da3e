/* Dispatch: which decoders apply to a blob, in which order, and the shared
 * bounded list of views. */
#include "decode/decode.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode/decode_int.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"

/* A NUL this early means binary (UTF-16 and .pyc are recognised before). */
#define BINARY_SNIFF 8192

/* suffix starts with '.': comparing that byte first keeps strcasecmp (a
 * dozen suffixes tried for every member of every package) for names whose
 * dot is in the right place. */
static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && s[n - k] == suffix[0] && strcasecmp(s + n - k, suffix) == 0;
}

/* Languages whose authors split string literals with '+' or by adjacency. */
static int is_source(const char *path)
{
	static const char *const exts[] = {".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx",
					   ".py", ".rb", ".java", ".kt", ".cs", ".go", NULL};
	for (const char *const *e = exts; *e; e++)
		if (ends_with(path, *e))
			return 1;
	return 0;
}

static int looks_binary(const unsigned char *d, size_t len)
{
	return memchr(d, 0, len < BINARY_SNIFF ? len : BINARY_SNIFF) != NULL;
}

int pl_views_add(struct pl_views *vs, char *text, size_t len, const char *encoding,
		 uint64_t line, uint64_t column)
{
	if (vs->n >= PL_DECODE_MAX_VIEWS) {
		free(text);
		return pl_error_set(PL_ELIMIT, "more than %u decoded views; the rest not scanned",
				    PL_DECODE_MAX_VIEWS);
	}
	if (len > pl_views_room(vs)) {
		free(text);
		return pl_error_set(PL_ELIMIT, "decoded views pass %u bytes; the rest not scanned",
				    PL_DECODE_MAX_VIEW_BYTES);
	}
	PL_GROW(vs->v, vs->cap, vs->n + 1);
	vs->v[vs->n++] = (struct pl_view){text, len, encoding, line, column};
	vs->total += len;
	return 0;
}

size_t pl_views_room(const struct pl_views *vs)
{
	return vs->total >= PL_DECODE_MAX_VIEW_BYTES ? 0 : PL_DECODE_MAX_VIEW_BYTES - vs->total;
}

void pl_views_release(struct pl_views *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].text);
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

int pl_decode_wants(const char *path, const unsigned char *head, size_t headlen)
{
	if (path && (ends_with(path, ".pyc") || ends_with(path, ".pyo") || pl_json_name(path)))
		return 1;
	if (pl_pyc_header(head, headlen) || pl_utf16_detect(head, headlen, NULL))
		return 1;
	if (looks_binary(head, headlen))
		return 0;
	/* Split literals ('sk-ant-' + '...') in source code. */
	/* The probe walks every literal: the first 16 KiB tell enough. */
	if (path && is_source(path) && pl_decode_has_concat(head, headlen < 16384 ? headlen : 16384))
		return 1;
	/* Base64 may hide in any text, but buffering every text blob costs
	 * memory: only when its head already shows a decodable run. */
	return pl_base64_probe(head, headlen);
}

int pl_views_cover_raw(const char *path, const struct pl_views *vs)
{
	return path && ends_with(path, ".map") && vs->n > 0 &&
	       strcmp(vs->v[0].encoding, "json") == 0;
}

int pl_decode_replaces_raw(const unsigned char *data, size_t len)
{
	return !pl_pyc_header(data, len) && pl_utf16_detect(data, len, NULL) != PL_UTF16_NONE;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A source map's "mappings" is base64 VLQ of positions, never text: about
 * 40% of a map's bytes, which no rule can match. The view keeps the key with
 * an empty value (a value holding a line break, which VLQ never does, is
 * kept, so lines stay where they are). */
static void drop_mappings(struct pl_view *v)
{
	static const char key[] = "\"mappings\"";
	const char *end = v->text + v->len;
	char *k = memmem(v->text, v->len, key, sizeof(key) - 1);
	if (!k)
		return;
	const char *p = skip_blanks(k + sizeof(key) - 1, end);
	if (p >= end || *p != ':')
		return;
	p = skip_blanks(p + 1, end);
	if (p >= end || *p != '"')
		return;
	char *open = (char *)p + 1, *close = memchr(open, '"', (size_t)(end - open));
	if (!close || memchr(open, '\n', (size_t)(close - open)))
		return;
	memmove(open, close, (size_t)(end - close) + 1); /* with the NUL */
	v->len -= (size_t)(close - open);
}

/* Base64 inside the view a decoder just added (if it added one). */
static int base64_in_new_view(struct pl_views *out, size_t before, int with_lines)
{
	if (out->n == before)
		return 0;
	const struct pl_view v = out->v[before]; /* copy: out->v may move */
	return pl_base64_views(v.text, v.len, with_lines, out);
}

int pl_decode_views(const char *path, const unsigned char *data, size_t len,
		    struct pl_views *out)
{
	if (len > PL_DECODE_MAX_BLOB)
		return 0;
	size_t before = out->n;
	int rc;
	if (pl_pyc_header(data, len)) {
		rc = pl_pyc_views(data, len, out);
		return rc < 0 ? rc : base64_in_new_view(out, before, 0);
	}
	if (pl_utf16_detect(data, len, NULL)) {
		rc = pl_utf16_views(data, len, out);
		return rc < 0 ? rc : base64_in_new_view(out, before, 1);
	}
	if (looks_binary(data, len))
		return 0;
	if (path && pl_json_name(path)) {
		/* The unescaped view holds everything the raw text does (same
		 * lines), and base64 with \/ escapes only becomes whole there. */
		rc = pl_json_views(data, len, out);
		if (rc == 0 && out->n > before && ends_with(path, ".map"))
			drop_mappings(&out->v[before]);
		if (rc < 0 || out->n > before)
			return rc < 0 ? rc : base64_in_new_view(out, before, 1);
	}
	if (path && is_source(path)) {
		rc = pl_decode_concat(data, len, out);
		if (rc < 0)
			return rc;
	}
	return pl_base64_views((const char *)data, len, 1, out);
}
