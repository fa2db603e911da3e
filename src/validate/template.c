/* Templates of declarative validators: {secret}, {part1}, {part2} and the
 * named groups of `extract`, with encoders ({x|url}, {x|form}, {x|json},
 * {x|raw}). A value from a package is hostile: in URLs it is percent-encoded
 * by default, and nothing may put a line break into a header. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/alloc.h"
#include "util/base64.h"
#include "util/buf.h"
#include "validate/validate_int.h"

/* ---- variables ---- */

static void put(struct pl_vars *v, const char *name, char *owned_name, const char *val,
		size_t n)
{
	if (v->n >= PL_VARS_MAX) {
		free(owned_name);
		return;
	}
	v->names[v->n] = owned_name ? owned_name : name;
	v->names_owned[v->n] = owned_name;
	v->values[v->n] = pl_xstrndup(val, n);
	v->n++;
}

int pl_vars_init(struct pl_vars *v, const char *secret, size_t len, const char *extract)
{
	memset(v, 0, sizeof(*v));
	put(v, "secret", NULL, secret, len);
	const char *colon = memchr(secret, ':', len);
	if (colon) {
		put(v, "part1", NULL, secret, (size_t)(colon - secret));
		put(v, "part2", NULL, colon + 1, len - (size_t)(colon - secret) - 1);
	}
	if (!extract)
		return 0;
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)extract, PCRE2_ZERO_TERMINATED, 0, &err, &off,
				       NULL);
	if (!re)
		return -1;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	if (!md) {
		pcre2_code_free(re);
		return -1;
	}
	int rc = pcre2_match(re, (PCRE2_SPTR)secret, len, 0, 0, md, NULL);
	if (rc < 0) {
		pcre2_match_data_free(md);
		pcre2_code_free(re);
		return -1;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t count = 0, size = 0;
	PCRE2_SPTR table;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * size;
		int g = (e[0] << 8) | e[1];
		const char *gname = (const char *)(e + 2);
		if (ov[2 * g] == PCRE2_UNSET)
			continue;
		/* A group named like a built-in replaces it (extract may trim). */
		for (size_t k = 0; k < v->n; k++) {
			if (strcmp(v->names[k], gname) == 0) {
				free(v->values[k]);
				v->values[k] = pl_xstrndup(secret + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
				gname = NULL;
				break;
			}
		}
		if (gname)
			put(v, NULL, pl_xstrdup(gname), secret + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}

void pl_vars_release(struct pl_vars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->values[i]);
		free(v->names_owned[i]);
	}
	memset(v, 0, sizeof(*v));
}

const char *pl_vars_get(const struct pl_vars *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->names[i], name) == 0)
			return v->values[i];
	return NULL;
}

/* ---- expansion ---- */

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static void append_pct(struct pl_buf *b, const char *s, int form, int keep_colon)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p) || (keep_colon && *p == ':')) {
			(void)pl_buf_append(b, p, 1);
		} else if (form && *p == ' ') {
			(void)pl_buf_append(b, "+", 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			(void)pl_buf_append(b, e, 3);
		}
	}
}

static void append_json(struct pl_buf *b, const char *s)
{
	json_t *str = json_string(s);
	char *dump = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
	json_decref(str);
	if (dump && strlen(dump) >= 2)
		(void)pl_buf_append(b, dump + 1, strlen(dump) - 2); /* without the quotes */
	free(dump);
}

char *pl_template_expand(const char *tpl, const struct pl_vars *v, enum pl_tpl_mode mode)
{
	struct pl_buf b;
	pl_buf_init(&b, 0);
	const char *p = tpl;
	while (*p) {
		const char *open = strchr(p, '{');
		if (!open) {
			(void)pl_buf_appends(&b, p);
			break;
		}
		(void)pl_buf_append(&b, p, (size_t)(open - p));
		const char *close = strchr(open, '}');
		if (!close || close - open > 64)
			goto fail;
		char name[72];
		memcpy(name, open + 1, (size_t)(close - open - 1));
		name[close - open - 1] = '\0';
		char *filter = strchr(name, '|');
		if (filter)
			*filter++ = '\0';
		const char *val = pl_vars_get(v, name);
		if (!val)
			goto fail;
		if (filter && strcmp(filter, "url") == 0)
			append_pct(&b, val, 0, 0);
		else if (filter && strcmp(filter, "form") == 0)
			append_pct(&b, val, 1, 0);
		else if (filter && strcmp(filter, "json") == 0)
			append_json(&b, val);
		else if (filter && strcmp(filter, "raw") == 0)
			(void)pl_buf_appends(&b, val);
		else if (filter)
			goto fail;
		else if (mode == PL_TPL_URL)
			append_pct(&b, val, 0, 1);
		else
			(void)pl_buf_appends(&b, val);
		p = close + 1;
	}
	char *out = pl_buf_detach(&b);
	if (strpbrk(out, "\r\n")) {
		free(out);
		return NULL;
	}
	return out;
fail:
	pl_buf_release(&b);
	return NULL;
}

/* ---- base64 ---- */

static char *b64(const unsigned char *d, size_t n, const char *alpha, int pad)
{
	char *out = pl_xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t x = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
		*o++ = alpha[x >> 18];
		*o++ = alpha[(x >> 12) & 63];
		*o++ = alpha[(x >> 6) & 63];
		*o++ = alpha[x & 63];
	}
	if (i < n) {
		uint32_t x = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0);
		*o++ = alpha[x >> 18];
		*o++ = alpha[(x >> 12) & 63];
		if (i + 1 < n)
			*o++ = alpha[(x >> 6) & 63];
		else if (pad)
			*o++ = '=';
		if (pad)
			*o++ = '=';
	}
	*o = '\0';
	return out;
}

char *pl_b64(const unsigned char *data, size_t len)
{
	return b64(data, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 1);
}

char *pl_b64url(const unsigned char *data, size_t len)
{
	return b64(data, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 0);
}

unsigned char *pl_b64_decode(const char *s, size_t len, size_t *out_len)
{
	return pl_base64_decode(s, len, 0, out_len);
}

/* ---- JSON paths ---- */

json_t *pl_json_path(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *p = path;
	while (cur && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			char *end;
			unsigned long i = strtoul(p + 1, &end, 10);
			if (*end != ']')
				return NULL;
			cur = json_is_array(cur) ? json_array_get(cur, i) : NULL;
			p = end + 1;
			continue;
		}
		size_t n = strcspn(p, ".[");
		char key[128];
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		p += n;
	}
	return cur;
}

static char *scalar_text(json_t *v)
{
	if (json_is_string(v))
		return pl_xstrndup(json_string_value(v), json_string_length(v));
	if (json_is_true(v))
		return pl_xstrdup("true");
	if (json_is_false(v))
		return pl_xstrdup("false");
	if (json_is_integer(v))
		return pl_xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return pl_xasprintf("%g", json_real_value(v));
	return NULL;
}

char *pl_json_text(json_t *v)
{
	if (!v || json_is_null(v) || json_is_object(v))
		return NULL;
	if (!json_is_array(v))
		return scalar_text(v);
	struct pl_buf b;
	pl_buf_init(&b, 0);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		char *t = scalar_text(e);
		if (!t && json_is_object(e)) {
			/* Lists of objects: their name-like field ({"name": ...}). */
			static const char *const keys[] = {"name", "handle", "id", "login"};
			for (size_t k = 0; !t && k < sizeof(keys) / sizeof(keys[0]); k++)
				t = scalar_text(json_object_get(e, keys[k]));
		}
		if (!t)
			continue;
		if (b.len)
			(void)pl_buf_appends(&b, ", ");
		(void)pl_buf_appends(&b, t);
		free(t);
	}
	return pl_buf_detach(&b);
}
