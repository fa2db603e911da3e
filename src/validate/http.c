/* The one HTTP client of the validators (libcurl). Every request: HTTPS only
 * (plain http only to a loopback override, for tests), the host resolved and
 * vetted once and pinned with CURLOPT_RESOLVE, no redirects, no proxy from
 * the environment, no .netrc, connect and total timeouts, a capped answer. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dl/dl_curl.h"
#include "util/alloc.h"
#include "validate/validate_int.h"

/* Header bytes kept from one answer. */
#define PL_HTTP_MAX_HEADERS (64 * 1024)

/* npm tokens go to the registry the user configured: pkgleaks carries no
 * npm registry address. Only the environment counts, never an .npmrc: a
 * scanned directory's own .npmrc could name a host that collects every token
 * found. Untrusted: HTTPS and the public-address vetting apply. */
static const char *npm_registry(void)
{
	const char *r = getenv("npm_config_registry");
	if (!r || !*r)
		r = getenv("NPM_CONFIG_REGISTRY");
	return r && *r ? r : NULL;
}

const char *pl_vbase(const char *service, const char *dflt, int *trusted)
{
	char env[128];
	size_t n = (size_t)snprintf(env, sizeof(env), "PKGLEAKS_");
	for (const char *c = service; c && *c && n + 5 < sizeof(env); c++)
		env[n++] = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
	memcpy(env + n, "_URL", 5);
	const char *v = getenv(env);
	if (v && *v) {
		*trusted = 1;
		return v;
	}
	*trusted = 0;
	if (!dflt && service && strcmp(service, "npm") == 0)
		return npm_registry();
	return dflt;
}

size_t pl_vurl_origin_len(const char *url)
{
	const char *s = strstr(url, "://");
	if (!s)
		return 0;
	s += 3;
	size_t n = strcspn(s, "/?#");
	return (size_t)(s - url) + n;
}

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

int pl_vurl_host_is_plain(const char *url)
{
	size_t n = pl_vurl_origin_len(url);
	const char *host = strstr(url, "://");
	for (size_t i = host ? (size_t)(host + 3 - url) : n; i < n; i++)
		if (!host_char(url[i]) && url[i] != ':')
			return 0;
	return 1;
}

int pl_vurl_keeps_origin(const char *tpl, const char *url)
{
	size_t tn = pl_vurl_origin_len(tpl), un = pl_vurl_origin_len(url);
	const char *open = memchr(tpl, '{', tn);
	if (!open)
		return un == tn && memcmp(url, tpl, tn) == 0;
	size_t pre = (size_t)(open - tpl);
	if (tpl[tn - 1] == '}') /* a path follows the host: the host is what precedes it */
		return un == pre && memcmp(url, tpl, pre) == 0;
	const char *tail = tpl + tn;
	while (tail > open && tail[-1] != '}')
		tail--;
	if (tail == open) /* a '/' inside the braces: no template of ours */
		return 0;
	size_t suf = (size_t)(tpl + tn - tail);
	if (un < pre + suf + 1 || memcmp(url, tpl, pre) != 0 ||
	    memcmp(url + un - suf, tail, suf) != 0)
		return 0;
	for (size_t i = pre; i < un - suf; i++)
		if (!host_char(url[i]))
			return 0;
	return 1;
}

char *pl_vurl_rebase(const char *base, const char *url)
{
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	const char *rest = url + pl_vurl_origin_len(url);
	return pl_xasprintf("%.*s%s", (int)bl, base, rest);
}

void pl_http_response_release(struct pl_http_response *rs)
{
	pl_buf_release(&rs->body);
	pl_buf_release(&rs->headers);
}

struct xfer {
	struct pl_http_response *rs;
	int too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (pl_buf_append(&x->rs->body, p, len) != 0) {
		x->too_large = 1;
		return 0; /* aborts the transfer */
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	/* A new status line (after 100 Continue): only the last answer counts. */
	if (len > 5 && memcmp(p, "HTTP/", 5) == 0)
		pl_buf_reset(&x->rs->headers);
	if (pl_buf_append(&x->rs->headers, p, len) != 0) {
		x->too_large = 1;
		return 0;
	}
	return len;
}

char *pl_http_header(const struct pl_http_response *rs, const char *name)
{
	size_t nl = strlen(name);
	const char *p = rs->headers.data, *end = p ? p + rs->headers.len : NULL;
	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1, *ve = p + ll;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			return pl_xstrndup(v, (size_t)(ve - v));
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}

static double parse_retry_after(const struct pl_http_response *rs)
{
	char *v = pl_http_header(rs, "Retry-After");
	if (!v)
		return -1;
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end) {
		time_t t = curl_getdate(v, NULL);
		d = t > 0 ? difftime(t, time(NULL)) : -1;
		if (t > 0 && d < 0)
			d = 0;
	}
	free(v);
	return d;
}

static int loopback_literal(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	       strcmp(host, "::1") == 0 || strncmp(host, "127.", 4) == 0;
}

static CURLcode setup(CURL *h, const struct pl_http_request *rq, struct curl_slist *hdrs,
		      struct curl_slist *resolve, int plain_http, const struct pl_validate_options *o,
		      struct xfer *x)
{
	CURLcode rc = CURLE_OK;
#define SET(opt, val)                                          \
	do {                                                   \
		if (rc == CURLE_OK)                            \
			rc = curl_easy_setopt(h, opt, val);    \
	} while (0)
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_PROTOCOLS_STR, plain_http ? "http" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout * 1000));
	SET(CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_response);
	SET(CURLOPT_USERAGENT, "pkgleaks/" PKGLEAKS_VERSION " (credential validation)");
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_RESOLVE, resolve);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_ACCEPT_ENCODING, NULL);
	if (strcmp(rq->method, "POST") == 0) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
	} else if (strcmp(rq->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		SET(CURLOPT_HTTPGET, 1L);
	}
#undef SET
	return rc;
}

static void transport_error(CURLcode rc, struct xfer *x, struct pl_validation *out)
{
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED || rc == CURLE_WRITE_ERROR) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "answer too large");
		return;
	}
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		pl_vset(out, PL_VALIDATION_UNKNOWN, "timeout");
		return;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		pl_vset(out, PL_VALIDATION_UNKNOWN, "tls: %s", curl_easy_strerror(rc));
		return;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: %s", curl_easy_strerror(rc));
		return;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		pl_vset(out, PL_VALIDATION_UNKNOWN, "connection broken: %s", curl_easy_strerror(rc));
		return;
	default:
		pl_vset(out, PL_VALIDATION_UNKNOWN, "http: %s", curl_easy_strerror(rc));
	}
}

int pl_http_send(struct pl_vctx *cx, const struct pl_http_request *rq,
		 struct pl_http_response *rs, struct pl_validation *out)
{
	memset(rs, 0, sizeof(*rs));
	pl_buf_init(&rs->body, cx->opt->max_response);
	pl_buf_init(&rs->headers, PL_HTTP_MAX_HEADERS);
	rs->retry_after = -1;
	int ret = -1;
	char *scheme = NULL, *host = NULL, *port = NULL, *pin = NULL;
	struct curl_slist *hdrs = NULL, *resolve = NULL;
	CURL *h = NULL;
	CURLU *u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, rq->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "policy: malformed URL");
		goto cleanup;
	}
	int plain = strcmp(scheme, "http") == 0;
	if (!(strcmp(scheme, "https") == 0 || (plain && rq->trusted && loopback_literal(host)))) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "policy: only https (plain http only to a "
							"loopback override)");
		goto cleanup;
	}
	struct pl_vaddr addr;
	if (pl_net_vet(cx, host, rq->trusted, &addr, out) != 0)
		goto cleanup;
	/* CURLOPT_RESOLVE wants the name as written in the URL (brackets
	 * stripped for IPv6 literals) and IPv6 addresses in brackets. */
	const char *hn = host;
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[') {
		hn = host + 1;
		hl -= 2;
	}
	pin = addr.family == AF_INET6 ? pl_xasprintf("%.*s:%s:[%s]", (int)hl, hn, port, addr.ip)
				      : pl_xasprintf("%.*s:%s:%s", (int)hl, hn, port, addr.ip);
	resolve = curl_slist_append(NULL, pin);
	/* No "Expect: 100-continue" round trip; no default Accept. */
	hdrs = curl_slist_append(NULL, "Expect:");
	for (const char *const *hd = rq->headers; hd && *hd && hdrs; hd++) {
		struct curl_slist *t = curl_slist_append(hdrs, *hd);
		if (!t) {
			curl_slist_free_all(hdrs);
			hdrs = NULL;
		} else
			hdrs = t;
	}
	h = curl_easy_init();
	if (!resolve || !hdrs || !h) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "http: out of memory");
		goto cleanup;
	}
	struct xfer x = {rs, 0};
	CURLcode rc = setup(h, rq, hdrs, resolve, plain, cx->opt, &x);
	if (rc != CURLE_OK) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "http: %s", curl_easy_strerror(rc));
		goto cleanup;
	}
	pl_vctx_count_request(cx);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		transport_error(rc, &x, out);
		goto cleanup;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	rs->retry_after = parse_retry_after(rs);
	ret = 0;
cleanup:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(resolve);
	free(pin);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

enum pl_vcheck pl_http_unmatched(struct pl_vctx *cx, const struct pl_http_response *rs,
				 struct pl_validation *out)
{
	if (rs->status == 429) {
		double wait = rs->retry_after >= 0 ? rs->retry_after : 1.0 * (cx->attempt + 1);
		if (cx->attempt < cx->opt->retries_429 && wait <= cx->opt->max_retry_after) {
			cx->retry_after = wait;
			return PL_VCHECK_RETRY;
		}
		pl_vset(out, PL_VALIDATION_UNKNOWN, "rate limited (429)");
	} else if (rs->status >= 500) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "server error (http %ld)", rs->status);
	} else {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "unexpected answer (http %ld)", rs->status);
	}
	return PL_VCHECK_DONE;
}
