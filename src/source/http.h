/* The registry client: one libcurl multi handle driven by its own thread.
 * Connections are reused across requests (and multiplexed over HTTP/2);
 * at most max_active transfers run at once, the rest wait in a queue.
 * HTTPS is always verified; a 5xx, 408, 429, timeout or broken connection
 * is retried with exponential backoff (Retry-After obeyed on 429 and 503),
 * a body that broke off resumes with a Range request where the server
 * allows it. Every body has a size cap. */
#ifndef PL_SOURCE_HTTP_H
#define PL_SOURCE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct pl_http_options {
	const char *user_agent;  /* borrowed */
	unsigned max_active;     /* transfers (and connections) at once; default 4 */
	unsigned retries;        /* attempts after the first; default 4 */
	double backoff;          /* seconds before the first retry, doubled each time
	                            (times 0.5-1.5 at random); default 1 */
	double max_backoff;      /* longest wait between attempts; default 60 */
	double max_retry_after;  /* longest Retry-After obeyed; a longer one ends the
	                            request as failed; default 300 */
	double connect_timeout;  /* default 10 */
	double stall_timeout;    /* seconds without a byte before an attempt is
	                            abandoned as timed out; default 30 */
};
void pl_http_options_default(struct pl_http_options *o);

/* What a response said beside its body. */
struct pl_http_info {
	long status;       /* final HTTP status; 0 when no response came */
	char *etag;        /* owned; NULL when none */
	int64_t serial;    /* X-PyPI-Last-Serial, -1 when absent */
	int64_t length;    /* the entity's size (Content-Length / Content-Range), -1 unknown */
	unsigned attempts; /* attempts made */
	int tls_untrusted; /* the last attempt failed because the server's
	                      certificate was not trusted (CA, name, date) */
};
void pl_http_info_release(struct pl_http_info *i);

/* What a streamed request hands its body to; called on the client thread. */
struct pl_http_sink {
	/* Body bytes of a 2xx response, in order, each byte once over every
	 * attempt; total is the whole body's size when the server said it
	 * (else -1). Negative aborts the request (ctx keeps why). */
	int (*data)(void *ctx, const void *buf, size_t n, int64_t total);
	/* Exactly once: error NULL when the whole body was delivered, else why
	 * not. info is valid during the call only. */
	void (*done)(void *ctx, const char *error, const struct pl_http_info *info);
	void *ctx;
};

/* How a request's TLS connections are set up; NULL (or all zero) is the
 * default: the system's CAs, the server verified, no client certificate.
 * Strings are borrowed for the pl_http_stream or pl_http_get call only
 * (the client copies them). */
struct pl_http_tls {
	const char *cafile; /* a PEM bundle trusted instead of the system's
	                       (CURLOPT_CAINFO), or NULL */
	const char *ca_pem; /* PEM certificates trusted instead of the system's
	                       (CURLOPT_CAINFO_BLOB; wins over cafile), or NULL */
	int insecure;       /* the server's certificate and name are not verified */
	const char *certfile, *keyfile; /* a client certificate (PEM) and its key,
	                                   presented to this URL's scheme, host and
	                                   port only: a request carrying one follows
	                                   redirects itself and drops them (and its
	                                   Authorization) on one to another origin */
	const char *cert_pem, *key_pem; /* the same given inline (PEM text), when
	                                   certfile is NULL; same scope */
};

struct pl_http_request {
	const char *url;
	const char *accept;   /* Accept header, or NULL */
	const char *etag;     /* sent as If-None-Match, or NULL */
	uint64_t max_bytes;   /* body cap: a larger body ends the request as failed */
	int compressed;       /* accept gzip/br (index documents; never for files) */
	const char *auth;     /* Authorization header value ("Bearer ...") or NULL;
	                         copied and wiped after. libcurl sends it to this
	                         URL's scheme, host and port only: never across a
	                         redirect to another (no CURLOPT_UNRESTRICTED_AUTH) */
	const struct pl_http_tls *tls; /* NULL: the defaults */
};

struct pl_http;
int pl_http_new(const struct pl_http_options *o, struct pl_http **out);
/* Ends what is still queued or running (done is called with "cancelled"). */
void pl_http_free(struct pl_http *h);

/* Queues a streamed request; its strings are copied. */
void pl_http_stream(struct pl_http *h, const struct pl_http_request *rq,
		    const struct pl_http_sink *s);

/* A request whose body is kept in body (its cap is rq->max_bytes); blocks
 * the calling thread. 0 when a final response came: its status is in info
 * (2xx with the body, 304, 404, ...); negative with the message set when
 * none did (a transport error, or a status still retryable after every
 * attempt). *info is filled in both cases. */
int pl_http_get(struct pl_http *h, const struct pl_http_request *rq, struct pl_buf *body,
		struct pl_http_info *info);

/* url for messages: a password in it (https://user:pass@host/) replaced
 * by "***". A new string. */
char *pl_http_display_url(const char *url);

/* Bytes received by every transfer so far (for a rate). */
uint64_t pl_http_bytes(const struct pl_http *h);

#endif
