/* The registry client (http.h): one thread runs a libcurl multi handle;
 * other threads queue requests and wake it. A request keeps its easy
 * handle over its attempts, so a retry reuses the multi's connections. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dl/dl_curl.h"
#include "pkgleaks/error.h"
#include "pkgleaks/source.h"
#include "source/http.h"
#include "util/alloc.h"
#include "util/preload.h"

/* An error body is read (for connection reuse) up to this much, then the
 * transfer is cut. */
#define HTTP_ERROR_BODY_MAX 65536
/* libcurl's receive buffer: on a fast link each write callback (a spool
 * append, a hash update, maybe a reader's wake-up) then carries up to this
 * much. */
#define HTTP_BUFFER_SIZE (1L << 20)
/* Easy handles kept for the next requests, per transfer slot (no more
 * than that many run at once): a new one costs its allocations, the
 * receive buffer above among them. */
#define HTTP_POOL_PER_SLOT 1
/* Redirects followed, by libcurl or (a request with a client certificate)
 * by the client itself. */
#define HTTP_MAX_REDIRECTS 5

void pl_http_options_default(struct pl_http_options *o)
{
	*o = (struct pl_http_options){.user_agent = "pkgleaks/" PKGLEAKS_VERSION,
				      .max_active = 4, .retries = 4, .backoff = 1,
				      .max_backoff = 60, .max_retry_after = 300,
				      .connect_timeout = 10, .stall_timeout = 30};
}

void pl_http_info_release(struct pl_http_info *i)
{
	free(i->etag);
	i->etag = NULL;
}

struct req {
	struct pl_http *h;
	char *url, *accept, *etag;
	char *auth; /* "Authorization: ..." (wiped when freed), or NULL */
	/* TLS (pl_http_tls), owned; has_tls: any of them set */
	char *cafile, *ca_pem, *certfile, *keyfile, *cert_pem, *key_pem;
	int insecure, has_tls;
	int own_redirects;  /* redirects followed here, not by libcurl (a client
	                       certificate must not follow one to another origin) */
	unsigned redirects; /* followed here */
	char fatal[256];    /* why the request cannot be made: no retry */
	uint64_t max;
	int compressed;
	struct pl_http_sink sink;
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	double due;         /* monotonic seconds before which it does not start */
	uint64_t delivered; /* body bytes the sink has, over every attempt */
	/* this attempt */
	uint64_t skip;        /* bytes to drop: a resume the server answered whole */
	uint64_t discarded;   /* bytes of an error body read */
	int decided, body_ok; /* the status was looked at; the body goes to the sink */
	int capped, aborted;  /* the cap was passed; the sink refused */
	int64_t range_start;  /* Content-Range start, -1 */
	double retry_after;   /* seconds, -1 when not sent */
	struct pl_http_info info;
	char reason[512];
	struct req *next;    /* in the queue or the running list */
};

struct pl_http {
	struct pl_http_options o;
	CURLM *multi;
	pthread_t thread;
	pthread_mutex_t lock;
	struct req *queue;   /* waiting to start, in submission order */
	struct req *running; /* in the multi handle */
	unsigned active;
	int stop;
	unsigned seed;
	_Atomic uint64_t bytes;
	/* finished easy handles for the next requests (the client thread's) */
	CURL **pool;
	size_t npool, cappool;
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t pl_http_bytes(const struct pl_http *h)
{
	return atomic_load(&h->bytes);
}

/* ---- response headers ---- */

static int header_is(const char *line, size_t n, const char *name, const char **value)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return 0;
	*value = line + k + 1;
	while (**value == ' ' || **value == '\t')
		(*value)++;
	return 1;
}

/* Retry-After: seconds, or an HTTP date. */
static double parse_retry_after(const char *v)
{
	char *end;
	double s = strtod(v, &end);
	if (end != v && s >= 0)
		return s;
	struct tm tm = {0};
	if (!strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		return -1;
	double d = difftime(timegm(&tm), time(NULL));
	return d > 0 ? d : 0;
}

static void header_value(struct req *r, const char *line, size_t n)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) - 1 ? n : sizeof(buf) - 1), line);
	size_t len = strlen(buf);
	while (len && (buf[len - 1] == '\r' || buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	const char *v;
	long long a, b, t;
	if (header_is(buf, len, "ETag", &v)) {
		free(r->info.etag);
		r->info.etag = pl_xstrdup(v);
	} else if (header_is(buf, len, "X-PyPI-Last-Serial", &v)) {
		r->info.serial = strtoll(v, NULL, 10);
	} else if (header_is(buf, len, "Retry-After", &v)) {
		r->retry_after = parse_retry_after(v);
	} else if (header_is(buf, len, "Content-Length", &v) && r->range_start < 0) {
		r->info.length = strtoll(v, NULL, 10);
	} else if (header_is(buf, len, "Content-Range", &v) &&
		   sscanf(v, "bytes %lld-%lld/%lld", &a, &b, &t) == 3) {
		r->range_start = a;
		r->info.length = t;
	}
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct req *r = ud;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or a 100): forget the last one. */
		const char *sp = memchr(line, ' ', n);
		r->info.status = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->retry_after = -1;
		r->range_start = -1;
		r->info.length = -1;
		free(r->info.etag);
		r->info.etag = NULL;
	} else {
		header_value(r, line, n);
	}
	return n;
}

/* ---- body ---- */

static void decide(struct req *r)
{
	r->decided = 1;
	long s = r->info.status;
	r->body_ok = s >= 200 && s < 300;
	if (s == 206 && r->range_start != (int64_t)r->delivered) {
		snprintf(r->reason, sizeof(r->reason), "the server resumed at the wrong offset");
		r->body_ok = 0;
	} else if (s != 206 && r->body_ok) {
		r->skip = r->delivered; /* the Range was ignored: drop what we have */
	}
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct req *r = ud;
	size_t n = size * nmemb, all = n;
	atomic_fetch_add(&r->h->bytes, n);
	if (!r->decided)
		decide(r);
	if (!r->body_ok) {
		r->discarded += n;
		return r->discarded > HTTP_ERROR_BODY_MAX ? 0 : all;
	}
	size_t k = r->skip < n ? (size_t)r->skip : n;
	p += k;
	n -= k;
	r->skip -= k;
	if (!n)
		return all;
	if (r->delivered + n > r->max) {
		r->capped = 1;
		snprintf(r->reason, sizeof(r->reason), "larger than %llu bytes (the size cap)",
			 (unsigned long long)r->max);
		return 0;
	}
	if (r->sink.data(r->sink.ctx, p, n, r->info.length) < 0) {
		r->aborted = 1;
		return 0;
	}
	r->delivered += n;
	return all;
}

/* ---- one attempt ---- */

#define SET(opt, val) (void)curl_easy_setopt(r->easy, opt, val)

/* TLS settings after the defaults; a handle that had them is reset before
 * it goes back to the pool (release_easy), since setting CURLOPT_CAINFO to
 * NULL would not bring back libcurl's built-in default. */
static void configure_tls(struct req *r)
{
	if (r->ca_pem) {
		struct curl_blob b = {r->ca_pem, strlen(r->ca_pem), CURL_BLOB_COPY};
		if (curl_easy_setopt(r->easy, CURLOPT_CAINFO_BLOB, &b) != CURLE_OK)
			snprintf(r->fatal, sizeof(r->fatal),
				 "this libcurl cannot take inline CA certificates (ca=; "
				 "libcurl 7.77 or later can): use cafile= instead");
		SET(CURLOPT_CAPATH, NULL); /* these CAs only, as npm's ca= */
	} else if (r->cafile) {
		SET(CURLOPT_CAINFO, r->cafile);
		SET(CURLOPT_CAPATH, NULL);
	}
	if (r->insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->certfile && r->keyfile) {
		SET(CURLOPT_SSLCERT, r->certfile);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLKEY, r->keyfile);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	} else if (r->cert_pem && r->key_pem) {
		struct curl_blob cert = {r->cert_pem, strlen(r->cert_pem), CURL_BLOB_COPY};
		struct curl_blob key = {r->key_pem, strlen(r->key_pem), CURL_BLOB_COPY};
		if (curl_easy_setopt(r->easy, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
		    curl_easy_setopt(r->easy, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK)
			snprintf(r->fatal, sizeof(r->fatal),
				 "this libcurl cannot take an inline client certificate (cert=, "
				 "key=; libcurl 7.71 or later can): use //host/:certfile= and "
				 ":keyfile= instead");
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	}
}

/* Every option a request sets is set again here, so that a handle from
 * the pool keeps nothing of its last request but its buffers. */
static void configure(struct pl_http *h, struct req *r)
{
	r->easy = h->npool ? h->pool[--h->npool] : curl_easy_init();
	if (!r->easy) {
		fprintf(stderr, "pkgleaks: out of memory (curl)\n");
		abort();
	}
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_USERAGENT, h->o.user_agent);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* Never from https down to http. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR,
	    strncmp(r->url, "https:", 6) == 0 ? "https" : "http,https");
	SET(CURLOPT_FOLLOWLOCATION, r->own_redirects ? 0L : 1L);
	SET(CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRECTS);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (r->has_tls)
		configure_tls(r);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_PIPEWAIT, 1L); /* wait to multiplex rather than open a connection */
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(h->o.connect_timeout * 1000));
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, (long)(h->o.stall_timeout < 1 ? 1 : h->o.stall_timeout));
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max);
	/* Bigger writes: fewer callbacks, spool writes and reader wake-ups. */
	SET(CURLOPT_BUFFERSIZE, HTTP_BUFFER_SIZE);
	SET(CURLOPT_ACCEPT_ENCODING, r->compressed ? "" : NULL);
	if (r->accept) {
		char *a = pl_xasprintf("Accept: %s", r->accept);
		r->headers = curl_slist_append(r->headers, a);
		free(a);
	}
	if (r->etag) {
		char *e = pl_xasprintf("If-None-Match: %s", r->etag);
		r->headers = curl_slist_append(r->headers, e);
		free(e);
	}
	if (r->auth)
		r->headers = curl_slist_append(r->headers, r->auth);
	SET(CURLOPT_HTTPHEADER, r->headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_PRIVATE, r);
	if (r->fatal[0]) /* fail at once, without a connection */
		SET(CURLOPT_URL, "");
}

static void attempt_start(struct pl_http *h, struct req *r)
{
	if (!r->easy)
		configure(h, r);
	char range[32];
	snprintf(range, sizeof(range), "%llu-", (unsigned long long)r->delivered);
	SET(CURLOPT_RANGE, r->delivered && !r->compressed ? range : NULL);
	r->skip = r->discarded = 0;
	r->decided = r->body_ok = r->capped = r->aborted = 0;
	r->retry_after = -1;
	r->range_start = -1;
	r->errbuf[0] = r->reason[0] = 0;
	r->info.status = 0;
	r->info.tls_untrusted = 0;
	r->info.attempts++;
	h->active++;
	r->next = h->running;
	h->running = r;
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		fprintf(stderr, "pkgleaks: curl_multi_add_handle failed\n");
		abort();
	}
}

#undef SET

/* A credential is not left in freed memory. */
static void wipe(char *s)
{
	for (volatile char *v = s; v && *v; v++)
		*v = 0;
}

/* The request's client certificate, whichever way it was given; the key's
 * text is wiped. */
static void drop_client_cert(struct req *r)
{
	free(r->certfile);
	free(r->keyfile);
	free(r->cert_pem);
	wipe(r->key_pem);
	free(r->key_pem);
	r->certfile = r->keyfile = r->cert_pem = r->key_pem = NULL;
}

/* A finished handle goes back to the pool (its connection stays in the
 * multi handle's cache either way). */
static void release_easy(struct pl_http *h, CURL *easy, int tainted)
{
	if (!easy)
		return;
	if (tainted) /* TLS options or redirects of its own */
		curl_easy_reset(easy);
	if (h->npool >= (size_t)h->o.max_active * HTTP_POOL_PER_SLOT) {
		curl_easy_cleanup(easy);
		return;
	}
	PL_GROW(h->pool, h->cappool, h->npool + 1);
	h->pool[h->npool++] = easy;
}

static void free_headers(struct req *r)
{
	for (struct curl_slist *l = r->auth ? r->headers : NULL; l; l = l->next)
		wipe(l->data);
	curl_slist_free_all(r->headers);
	r->headers = NULL;
}

static void complete(struct req *r, const char *error)
{
	r->sink.done(r->sink.ctx, error, &r->info);
	release_easy(r->h, r->easy, r->has_tls || r->own_redirects);
	free_headers(r);
	pl_http_info_release(&r->info);
	free(r->url);
	free(r->cafile);
	free(r->ca_pem);
	drop_client_cert(r);
	free(r->accept);
	free(r->etag);
	wipe(r->auth);
	free(r->auth);
	free(r);
}

static int retryable_code(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static int retryable_status(long s)
{
	return s == 408 || s == 429 || s >= 500;
}

/* Seconds before the next attempt: the server's Retry-After, else
 * backoff * 2^(attempt - 1) with jitter. Negative: do not retry. */
static double retry_delay(struct pl_http *h, struct req *r)
{
	if (r->retry_after >= 0 && (r->info.status == 429 || r->info.status == 503)) {
		if (r->retry_after > h->o.max_retry_after) {
			snprintf(r->reason, sizeof(r->reason),
				 "HTTP %ld: Retry-After %.0f s is longer than %.0f s",
				 r->info.status, r->retry_after, h->o.max_retry_after);
			return -1;
		}
		return r->retry_after;
	}
	double d = h->o.backoff;
	for (unsigned i = 1; i < r->info.attempts && d < h->o.max_backoff; i++)
		d *= 2;
	d *= 0.5 + (double)rand_r(&h->seed) / RAND_MAX;
	return d < h->o.max_backoff ? d : h->o.max_backoff;
}

/* Why this attempt failed (reason filled), or 0 when it succeeded. 1 when
 * another attempt may do better. */
static int judge(struct req *r, CURLcode res, int *retry)
{
	long s = r->info.status;
	*retry = 0;
	if (r->fatal[0]) {
		snprintf(r->reason, sizeof(r->reason), "%s", r->fatal);
		return 1;
	}
	if (r->aborted)
		snprintf(r->reason, sizeof(r->reason), "the body could not be kept");
	if (r->capped || r->aborted)
		return 1;
	if (r->reason[0] && !r->body_ok) /* a bad resume */
		return 1;
	if (res == CURLE_OK || (res == CURLE_WRITE_ERROR && !r->body_ok)) {
		if ((s >= 200 && s < 300) || s == 304)
			return 0;
		snprintf(r->reason, sizeof(r->reason), "HTTP %ld", s);
		*retry = retryable_status(s);
		return 1;
	}
	if (res == CURLE_FILESIZE_EXCEEDED) {
		snprintf(r->reason, sizeof(r->reason), "larger than %llu bytes (the size cap)",
			 (unsigned long long)r->max);
		return 1;
	}
	*retry = retryable_code(res);
	r->info.tls_untrusted = res == CURLE_PEER_FAILED_VERIFICATION;
	snprintf(r->reason, sizeof(r->reason), "%s%s%s",
		 res == CURLE_OPERATION_TIMEDOUT ? "timed out: " : "",
		 r->errbuf[0] ? r->errbuf : curl_easy_strerror(res),
		 res == CURLE_PARTIAL_FILE ? " (truncated body)" : "");
	return 1;
}

/* "scheme://host:port" of url (lowercase, the port always), or NULL. */
static char *origin_of(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *o = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		o = pl_xasprintf("%s://%s:%s", scheme, host, port);
		for (char *p = o; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return o;
}

static int is_redirect(long s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* A redirect answered to a request that follows its own (one with a client
 * certificate): the request goes on at the new URL with a new handle,
 * without its certificate and Authorization when that is another origin.
 * 0 when it was queued again; else judge() reports the 3xx (or fatal). */
static int follow_redirect(struct pl_http *h, struct req *r)
{
	char *loc = NULL;
	if (curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
		return -1;
	char *to = pl_xstrdup(loc);
	char *from_o = origin_of(r->url), *to_o = origin_of(to);
	if (r->redirects >= HTTP_MAX_REDIRECTS)
		snprintf(r->fatal, sizeof(r->fatal), "more than %d redirects", HTTP_MAX_REDIRECTS);
	else if (!to_o || (strncmp(to_o, "http://", 7) && strncmp(to_o, "https://", 8)))
		snprintf(r->fatal, sizeof(r->fatal), "redirected to a URL that is not http(s)");
	else if (strncmp(from_o ? from_o : "", "https:", 6) == 0 && strncmp(to_o, "https:", 6))
		snprintf(r->fatal, sizeof(r->fatal), "redirected from https to http: refused");
	int same = from_o && to_o && strcmp(from_o, to_o) == 0;
	free(from_o);
	free(to_o);
	if (r->fatal[0]) {
		free(to);
		return -1;
	}
	free(r->url);
	r->url = to;
	r->redirects++;
	r->info.attempts--; /* a redirect is no failed attempt */
	release_easy(h, r->easy, 1);
	r->easy = NULL;
	free_headers(r);
	if (!same) {
		drop_client_cert(r);
		wipe(r->auth);
		free(r->auth);
		r->auth = NULL;
		r->own_redirects = 0; /* nothing left to keep from another origin */
	}
	r->due = 0;
	pthread_mutex_lock(&h->lock);
	r->next = h->queue;
	h->queue = r;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void unlink_running(struct pl_http *h, struct req *r)
{
	for (struct req **pp = &h->running; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	h->active--;
}

/* Called on the client thread without the lock: a sink's done may queue
 * the next request. */
static void attempt_over(struct pl_http *h, struct req *r, CURLcode res)
{
	curl_multi_remove_handle(h->multi, r->easy);
	pthread_mutex_lock(&h->lock);
	unlink_running(h, r);
	pthread_mutex_unlock(&h->lock);
	if (r->own_redirects && res == CURLE_OK && !r->fatal[0] && is_redirect(r->info.status) &&
	    follow_redirect(h, r) == 0)
		return;
	int retry;
	if (!judge(r, res, &retry)) {
		complete(r, NULL);
		return;
	}
	double delay = retry && r->info.attempts <= h->o.retries ? retry_delay(h, r) : -1;
	if (delay >= 0) {
		r->due = now_mono() + delay;
		pthread_mutex_lock(&h->lock);
		struct req **tail = &h->queue;
		while (*tail)
			tail = &(*tail)->next;
		r->next = NULL;
		*tail = r;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	char msg[600];
	if (retry && r->info.attempts > 1)
		snprintf(msg, sizeof(msg), "%s (after %u attempts)", r->reason, r->info.attempts);
	else
		snprintf(msg, sizeof(msg), "%s", r->reason);
	complete(r, msg);
}

/* ---- the client thread ---- */

/* Starts what is due while there is room; returns ms until the next due. */
static long start_due(struct pl_http *h)
{
	double now = now_mono(), next = -1;
	struct req **pp = &h->queue;
	while (*pp) {
		struct req *r = *pp;
		if (r->due <= now && h->active < h->o.max_active) {
			*pp = r->next;
			attempt_start(h, r);
			continue;
		}
		if (r->due > now && (next < 0 || r->due < next))
			next = r->due;
		pp = &r->next;
	}
	if (next < 0)
		return 1000;
	long ms = (long)((next - now) * 1000) + 1;
	return ms < 1000 ? ms : 1000;
}

static void drain_messages(struct pl_http *h)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct req *r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		CURLcode res = m->data.result;
		attempt_over(h, r, res);
	}
}

static void cancel_all(struct pl_http *h)
{
	pthread_mutex_lock(&h->lock);
	struct req *run = h->running, *queued = h->queue;
	h->running = h->queue = NULL;
	h->active = 0;
	pthread_mutex_unlock(&h->lock);
	while (run) {
		struct req *r = run;
		run = r->next;
		curl_multi_remove_handle(h->multi, r->easy);
		complete(r, "cancelled");
	}
	while (queued) {
		struct req *r = queued;
		queued = r->next;
		complete(r, "cancelled");
	}
}

static void *client_loop(void *arg)
{
	struct pl_http *h = arg;
	for (;;) {
		pthread_mutex_lock(&h->lock);
		int stop = h->stop;
		long wait = stop ? 0 : start_due(h);
		pthread_mutex_unlock(&h->lock);
		if (stop)
			break;
		int running = 0;
		curl_multi_perform(h->multi, &running);
		drain_messages(h);
		pthread_mutex_lock(&h->lock);
		if (h->queue)
			wait = start_due(h);
		pthread_mutex_unlock(&h->lock);
		curl_multi_poll(h->multi, NULL, 0, (int)wait, NULL);
	}
	cancel_all(h);
	return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_init(void)
{
	curl_ok = pl_dl_curl() == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static struct pl_preload preload;

static void *preload_main(void *arg)
{
	(void)arg;
	pthread_once(&curl_once, curl_init);
	return NULL;
}

void pl_source_preload(void)
{
	pl_preload_start(&preload, preload_main);
}

void pl_source_preload_wait(void)
{
	pl_preload_wait(&preload);
}

int pl_http_new(const struct pl_http_options *o, struct pl_http **out)
{
	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (!curl_ok)
		return pl_dl_curl() < 0 ? PL_ENOTFOUND : pl_error_set(PL_ERROR, "cannot initialise libcurl");
	struct pl_http *h = pl_xcalloc(1, sizeof(*h));
	h->o = *o;
	if (!h->o.max_active)
		h->o.max_active = 1;
	h->seed = (unsigned)time(NULL);
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return pl_error_set(PL_ERROR, "cannot create a libcurl multi handle");
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)h->o.max_active);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)h->o.max_active);
	pthread_mutex_init(&h->lock, NULL);
	if (pthread_create(&h->thread, NULL, client_loop, h) != 0) {
		pthread_mutex_destroy(&h->lock);
		curl_multi_cleanup(h->multi);
		free(h);
		return pl_error_set(PL_ERROR, "cannot start the HTTP thread");
	}
	*out = h;
	return 0;
}

void pl_http_free(struct pl_http *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = 1;
	pthread_mutex_unlock(&h->lock);
	curl_multi_wakeup(h->multi);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	curl_multi_cleanup(h->multi);
	free(h);
}

void pl_http_stream(struct pl_http *h, const struct pl_http_request *rq,
		    const struct pl_http_sink *s)
{
	struct req *r = pl_xcalloc(1, sizeof(*r));
	r->h = h;
	r->url = pl_xstrdup(rq->url);
	r->accept = rq->accept ? pl_xstrdup(rq->accept) : NULL;
	r->etag = rq->etag ? pl_xstrdup(rq->etag) : NULL;
	r->auth = rq->auth ? pl_xasprintf("Authorization: %s", rq->auth) : NULL;
	if (rq->tls) {
		const struct pl_http_tls *t = rq->tls;
		r->cafile = t->cafile ? pl_xstrdup(t->cafile) : NULL;
		r->ca_pem = t->ca_pem ? pl_xstrdup(t->ca_pem) : NULL;
		if (t->certfile && t->keyfile) {
			r->certfile = pl_xstrdup(t->certfile);
			r->keyfile = pl_xstrdup(t->keyfile);
		} else if (t->cert_pem && t->key_pem) {
			r->cert_pem = pl_xstrdup(t->cert_pem);
			r->key_pem = pl_xstrdup(t->key_pem);
		}
		r->insecure = t->insecure;
		r->has_tls = r->cafile || r->ca_pem || r->certfile || r->cert_pem || r->insecure;
		r->own_redirects = r->certfile || r->cert_pem;
	}
	r->max = rq->max_bytes;
	r->compressed = rq->compressed;
	r->sink = *s;
	r->info.serial = -1;
	r->info.length = -1;
	pthread_mutex_lock(&h->lock);
	struct req **tail = &h->queue;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	pthread_mutex_unlock(&h->lock);
	curl_multi_wakeup(h->multi);
}

/* ---- the blocking form ---- */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	struct pl_buf *body;
	struct pl_http_info info;
	char error[600];
	int has_error;
};

static int waiter_data(void *ctx, const void *buf, size_t n, int64_t total)
{
	(void)total;
	struct waiter *w = ctx;
	return pl_buf_append(w->body, buf, n) < 0 ? -1 : 0;
}

static void waiter_done(void *ctx, const char *error, const struct pl_http_info *info)
{
	struct waiter *w = ctx;
	pthread_mutex_lock(&w->lock);
	w->info = *info;
	w->info.etag = info->etag ? pl_xstrdup(info->etag) : NULL;
	w->has_error = error != NULL;
	snprintf(w->error, sizeof(w->error), "%s", error ? error : "");
	w->finished = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int pl_http_get(struct pl_http *h, const struct pl_http_request *rq, struct pl_buf *body,
		struct pl_http_info *info)
{
	struct waiter w = {.body = body};
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	body->max = rq->max_bytes;
	struct pl_http_sink s = {waiter_data, waiter_done, &w};
	pl_http_stream(h, rq, &s);
	pthread_mutex_lock(&w.lock);
	while (!w.finished)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	*info = w.info;
	/* A final 4xx is an answer, not a failure of the request. */
	long st = w.info.status;
	if (w.has_error && !(st >= 300 && st < 500 && st != 408 && st != 429)) {
		char *shown = pl_http_display_url(rq->url);
		int rc = pl_error_set(PL_EIO, "%s: %s", shown, w.error);
		free(shown);
		return rc;
	}
	return 0;
}

char *pl_http_display_url(const char *url)
{
	const char *host = strstr(url, "://");
	const char *at = host ? strchr(host + 3, '@') : NULL;
	const char *slash = host ? strchr(host + 3, '/') : NULL;
	if (!at || (slash && slash < at))
		return pl_xstrdup(url);
	return pl_xasprintf("%.*s***%s", (int)(host + 3 - url), url, at);
}
