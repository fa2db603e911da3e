/* Database URIs (scheme://user:password@host:port/db?params), parsed for
 * the login validators, and the steps every database check shares. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "validate/validate_int.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 32);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *pct_decode(const char *s, size_t n)
{
	char *out = pl_xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

void pl_dburi_release(struct pl_dburi *u)
{
	free(u->scheme);
	free(u->user);
	if (u->password)
		memset(u->password, 0, strlen(u->password));
	free(u->password);
	free(u->host);
	free(u->path);
	free(u->query);
	memset(u, 0, sizeof(*u));
}

int pl_dburi_parse(const char *uri, size_t len, struct pl_dburi *u)
{
	memset(u, 0, sizeof(*u));
	const char *end = uri + len, *sep = NULL;
	for (const char *p = uri; p + 3 <= end; p++)
		if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
			sep = p;
			break;
		}
	if (!sep)
		return -1;
	u->scheme = pl_xstrndup(uri, (size_t)(sep - uri));
	for (char *c = u->scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	char *plus = strchr(u->scheme, '+');
	if (plus && strcmp(plus, "+srv") != 0)
		*plus = '\0'; /* a driver name: postgresql+psycopg2 */
	const char *p = sep + 3;
	const char *auth_end = p;
	while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
		auth_end++;
	const char *at = NULL;
	for (const char *q = p; q < auth_end; q++)
		if (*q == '@')
			at = q; /* the last '@' before the path ends the user info */
	if (!at)
		goto bad;
	const char *colon = memchr(p, ':', (size_t)(at - p));
	if (!colon)
		goto bad;
	u->user = pct_decode(p, (size_t)(colon - p));
	u->password = pct_decode(colon + 1, (size_t)(at - colon - 1));
	const char *h = at + 1, *hend = h;
	u->nhosts = 1;
	for (const char *q = h; q < auth_end; q++)
		if (*q == ',')
			u->nhosts++;
	while (hend < auth_end && *hend != ',')
		hend++;
	const char *port = NULL;
	if (h < hend && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(hend - h));
		if (!rb)
			goto bad;
		u->host = pl_xstrndup(h + 1, (size_t)(rb - h - 1));
		if (rb + 1 < hend && rb[1] == ':')
			port = rb + 2;
	} else {
		const char *pc = memchr(h, ':', (size_t)(hend - h));
		u->host = pct_decode(h, (size_t)((pc ? pc : hend) - h));
		if (pc)
			port = pc + 1;
	}
	if (!*u->host)
		goto bad;
	if (port) {
		unsigned long v = 0;
		const char *q = port;
		/* Stops past 65535: a longer run of digits must not wrap to a port. */
		for (; q < hend && isdigit((unsigned char)*q) && v <= 65535; q++)
			v = v * 10 + (unsigned long)(*q - '0');
		if (q != hend || q == port || v == 0 || v > 65535)
			goto bad;
		u->port = (unsigned)v;
	}
	const char *path = auth_end, *qs = path;
	while (qs < end && *qs != '?' && *qs != '#')
		qs++;
	u->path = path < qs && *path == '/' ? pct_decode(path + 1, (size_t)(qs - path - 1))
					    : pl_xstrdup("");
	const char *qe = qs < end && *qs == '?' ? memchr(qs, '#', (size_t)(end - qs)) : NULL;
	u->query = qs < end && *qs == '?' ? pl_xstrndup(qs + 1, (size_t)((qe ? qe : end) - qs - 1))
					  : pl_xstrdup("");
	return 0;
bad:
	pl_dburi_release(u);
	return -1;
}

char *pl_dburi_param(const struct pl_dburi *u, const char *key)
{
	size_t kl = strlen(key);
	const char *p = u->query;
	while (p && *p) {
		size_t n = strcspn(p, "&;");
		if (n > kl && p[kl] == '=' && strncasecmp(p, key, kl) == 0)
			return pct_decode(p + kl + 1, n - kl - 1);
		p += n;
		if (*p)
			p++;
	}
	return NULL;
}

int pl_db_prepare(struct pl_vctx *cx, const struct pl_vsecret *s, struct pl_dburi *u,
		  unsigned default_port, struct pl_vaddr *addr, struct pl_validation *out)
{
	if (pl_dburi_parse(s->secret, s->len, u) != 0) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "not a URI with user, password and host");
		return -1;
	}
	if (!u->port)
		u->port = default_port;
	if (pl_net_vet(cx, u->host, 0, addr, out) != 0) {
		pl_dburi_release(u);
		return -1;
	}
	pl_vctx_count_request(cx);
	return 0;
}
