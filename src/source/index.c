/* What index readers share: JSON documents over HTTP, URLs, times and
 * version ordering. */
#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "source/fetch_int.h"
#include "util/alloc.h"

int pl_fetch_json(struct pl_fetch *f, const char *url, const char *accept, const char *etag,
		  const char *auth, const struct pl_http_tls *tls, json_t **out,
		  struct pl_http_info *info)
{
	*out = NULL;
	struct pl_buf body;
	pl_buf_init(&body, 0);
	struct pl_http_request rq = {.url = url, .accept = accept, .etag = etag,
				     .max_bytes = fetch_options(f)->max_index_bytes,
				     .compressed = 1, .auth = auth, .tls = tls};
	int rc = pl_http_get(fetch_http(f), &rq, &body, info);
	char *shown = pl_http_display_url(url);
	if (rc == 0 && (info->status == 404 || info->status == 410))
		rc = pl_error_set(PL_ENOTFOUND, "not found (HTTP %ld)", info->status);
	else if (rc == 0 && info->status == 304)
		rc = 0;
	else if (rc == 0 && (info->status == 401 || info->status == 403))
		rc = pl_error_set(PL_EIO, "%s: HTTP %ld (%s)", shown, info->status,
				  auth ? "the credential was refused"
				       : "no credential was sent");
	else if (rc == 0 && (info->status < 200 || info->status >= 300))
		rc = pl_error_set(PL_EIO, "%s: HTTP %ld", shown, info->status);
	else if (rc == 0) {
		json_error_t err;
		*out = json_loadb(body.data ? body.data : "", body.len, 0, &err);
		if (!*out)
			rc = pl_error_set(PL_EFORMAT, "%s: not JSON (%s at line %d)", shown, err.text,
					  err.line);
	}
	free(shown);
	pl_buf_release(&body);
	return rc;
}

/* ---- URLs ---- */

char *pl_url_join(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	while (*path == '/')
		path++;
	return pl_xasprintf("%.*s/%s", (int)n, base, path);
}

static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return 0;
	const char *slash = strchr(p + 3, '/');
	return slash ? (size_t)(slash - url) : strlen(url);
}

char *pl_url_resolve(const char *page, const char *url)
{
	size_t n = strcspn(url, "#");
	if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		return pl_xstrndup(url, n);
	if (url[0] == '/' && url[1] == '/') { /* scheme-relative */
		const char *colon = strchr(page, ':');
		return pl_xasprintf("%.*s:%.*s", (int)(colon ? colon - page : 5),
				    colon ? page : "https", (int)n, url);
	}
	if (url[0] == '/')
		return pl_xasprintf("%.*s%.*s", (int)origin_len(page), page, (int)n, url);
	const char *q = page + strcspn(page, "?#");
	const char *dir = q;
	while (dir > page + origin_len(page) && dir[-1] != '/')
		dir--;
	char *base = pl_xstrndup(page, (size_t)(dir - page));
	/* ../ segments, as PyPI's Simple pages use them */
	while (strncmp(url, "../", 3) == 0) {
		size_t bl = strlen(base), min = origin_len(base) + 1;
		if (bl > min)
			bl--; /* the trailing '/' */
		while (bl > min && base[bl - 1] != '/')
			bl--;
		base[bl] = 0;
		url += 3;
		n -= 3;
	}
	char *r = pl_xasprintf("%s%.*s", base, (int)n, url);
	free(base);
	return r;
}

/* ---- times ---- */

int64_t pl_parse_iso_time(const char *s)
{
	struct tm tm = {0};
	const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!rest)
		return -1;
	int64_t t = (int64_t)timegm(&tm);
	if (*rest == '.')
		for (rest++; isdigit((unsigned char)*rest); rest++)
			;
	int sh, sm;
	if ((*rest == '+' || *rest == '-') && sscanf(rest + 1, "%2d:%2d", &sh, &sm) == 2)
		t -= (*rest == '+' ? 1 : -1) * (int64_t)(sh * 3600 + sm * 60);
	return t;
}

/* ---- PEP 440, simplified ---- */

enum phase { PH_DEV = 0, PH_A, PH_B, PH_RC, PH_FINAL, PH_POST };

struct pver {
	long epoch;
	long rel[10];
	int nrel;
	enum phase phase;
	long phase_n, post, dev; /* dev -1: none */
};

static long number(const char **p)
{
	while (**p == '.' || **p == '-' || **p == '_')
		(*p)++;
	/* Saturates: a registry may list any string as a version. */
	long v = 0;
	for (; isdigit((unsigned char)**p); (*p)++) {
		int d = **p - '0';
		v = v > (LONG_MAX - d) / 10 ? LONG_MAX : v * 10 + d;
	}
	return v;
}

static int take_word(const char **p, const char *w)
{
	const char *s = *p;
	while (*s == '.' || *s == '-' || *s == '_')
		s++;
	size_t n = strlen(w);
	if (strncasecmp(s, w, n) != 0)
		return 0;
	*p = s + n;
	return 1;
}

static void pre_phase(const char **s, struct pver *v)
{
	static const struct {
		const char *w;
		enum phase ph;
	} pre[] = {{"alpha", PH_A}, {"beta", PH_B}, {"rc", PH_RC}, {"c", PH_RC},
		   {"a", PH_A}, {"b", PH_B}, {"pre", PH_RC}, {"preview", PH_RC}};
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (take_word(s, pre[i].w)) {
			v->phase = pre[i].ph;
			v->phase_n = number(s);
			return;
		}
}

static void parse_version(const char *s, struct pver *v)
{
	*v = (struct pver){.phase = PH_FINAL, .dev = -1};
	if (*s == 'v' || *s == 'V')
		s++;
	const char *bang = strchr(s, '!');
	if (bang) {
		v->epoch = strtol(s, NULL, 10);
		s = bang + 1;
	}
	while (isdigit((unsigned char)*s) && v->nrel < 10) {
		v->rel[v->nrel++] = number(&s);
		if (*s == '.' && isdigit((unsigned char)s[1]))
			s++;
		else
			break;
	}
	pre_phase(&s, v);
	if (take_word(&s, "post") || take_word(&s, "rev") || take_word(&s, "r")) {
		v->post = number(&s);
		if (v->phase == PH_FINAL)
			v->phase = PH_POST;
	}
	if (take_word(&s, "dev")) {
		v->dev = number(&s);
		if (v->phase == PH_FINAL)
			v->phase = PH_DEV;
	}
}

static int cmp_long(long a, long b)
{
	return (a > b) - (a < b);
}

int pl_version_cmp(const char *a, const char *b)
{
	struct pver x, y;
	parse_version(a, &x);
	parse_version(b, &y);
	int c = cmp_long(x.epoch, y.epoch);
	for (int i = 0; !c && i < 10; i++)
		c = cmp_long(i < x.nrel ? x.rel[i] : 0, i < y.nrel ? y.rel[i] : 0);
	if (!c)
		c = cmp_long(x.phase, y.phase);
	if (!c)
		c = cmp_long(x.phase_n, y.phase_n);
	if (!c)
		c = cmp_long(x.post, y.post);
	if (!c) /* a .devN sorts before the same version without one */
		c = cmp_long(x.dev < 0 ? LONG_MAX : x.dev, y.dev < 0 ? LONG_MAX : y.dev);
	return c ? c : strcmp(a, b);
}

int pl_version_is_pre(const char *s)
{
	struct pver v;
	parse_version(s, &v);
	return v.phase < PH_FINAL || v.dev >= 0;
}
