/* The validate module's private parts: what one check sees, the backends'
 * table, and the helpers they share (address vetting, HTTP, templates).
 *
 * Module map (docs/internals/validate.md):
 *   validate.c    queue, workers, per-service limits, 429 back-off, dedup, sink
 *   cache.c       the cache file (fingerprint -> answer, with its time)
 *   net.c         resolving once, classifying addresses, the private-host rule
 *   http.c        the one libcurl client (https only, no redirects, caps)
 *   template.c    {secret} {part1} {part2} {named} substitution
 *   http_rule.c   kind http: the declarative validator of the rule files
 *   aws.c azure.c gcp.c pypi.c postgres.c mysql.c redis.c mongodb.c amqp.c
 *                 one file per service that needs code
 *   registry.c    the table of kinds */
#ifndef PL_VALIDATE_INT_H
#define PL_VALIDATE_INT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pkgleaks/finding.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/validate.h"
#include "util/buf.h"

/* One secret being checked. */
struct pl_vsecret {
	const struct pl_rule *rule;
	const struct pl_rule_validator *spec; /* rule->validator, never NULL here */
	const char *secret;                   /* not NUL-safe: use len */
	size_t len;
	const char *fingerprint;
	const struct pl_detail *details;      /* the finding's offline details */
	size_t ndetails;
};

/* What a check runs with. */
struct pl_vctx {
	const struct pl_validate_options *opt;
	struct pl_validator *validator; /* for counters; may be NULL in unit tests */
	double retry_after;             /* set by a check that returns PL_VCHECK_RETRY */
	unsigned attempt;               /* 0 for the first try */
};

enum pl_vcheck {
	PL_VCHECK_DONE = 0, /* *out holds the answer */
	PL_VCHECK_RETRY,    /* 429: try again after cx->retry_after seconds */
};

/* A backend: C code for one kind of validator. */
struct pl_validator_ops {
	const char *kind;
	enum pl_vcheck (*check)(struct pl_vctx *cx, const struct pl_vsecret *s,
				struct pl_validation *out);
};
const struct pl_validator_ops *pl_validator_ops_find(const char *kind);

extern const struct pl_validator_ops pl_vops_http, pl_vops_aws, pl_vops_azure_storage,
	pl_vops_gcp, pl_vops_pypi, pl_vops_postgres, pl_vops_mysql, pl_vops_redis,
	pl_vops_mongodb, pl_vops_amqp;

/* True when the secret is a documented example (vendor docs, emulators,
 * the rule's own examples) that must never be sent anywhere. */
int pl_validate_is_example(const struct pl_rule *rule, const char *secret, size_t len);

/* ---- answers ---- */

/* A client library opened on first use (dl/dl.h) that did not load: the
 * secret is not checked, and the reason says which library is missing.
 * Returns PL_VCHECK_DONE for the caller to return. */
enum pl_vcheck pl_vlib_missing(struct pl_validation *out);

/* Sets status and reason (printf-style; NULL fmt = no reason). */
void pl_vset(struct pl_validation *out, enum pl_validation_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds an issuer detail: value escaped and cut to PL_VDETAIL_MAX bytes. */
void pl_vdetail(struct pl_validation *out, const char *key, const char *value, size_t len);
#define PL_VDETAIL_MAX 200

/* Counts one request sent (HTTP request or database login attempt). */
void pl_vctx_count_request(struct pl_vctx *cx);

/* ---- addresses (net.c) ---- */

enum pl_addr_class {
	PL_ADDR_PUBLIC = 0,
	PL_ADDR_LOOPBACK,
	PL_ADDR_PRIVATE,     /* RFC 1918, fc00::/7 */
	PL_ADDR_LINKLOCAL,   /* 169.254/16 (cloud metadata), fe80::/10 */
	PL_ADDR_CGNAT,       /* 100.64/10 */
	PL_ADDR_UNSPECIFIED, /* 0.0.0.0/8, :: */
	PL_ADDR_MULTICAST,
	PL_ADDR_RESERVED,    /* documentation, benchmarking, 240/4, NAT64/6to4/Teredo we cannot vet */
};
enum pl_addr_class pl_addr_classify(const struct sockaddr *sa);
const char *pl_addr_class_name(enum pl_addr_class c);

/* A vetted address: what to connect to instead of resolving again. */
struct pl_vaddr {
	char ip[64];  /* numeric, no brackets */
	int family;   /* AF_INET or AF_INET6 */
};

/* Resolves host (a name or a numeric address, brackets allowed) once and
 * vets every address it has. trusted: the host came from the user's own
 * override (PKGLEAKS_<SERVICE>_URL), so loopback is allowed. Returns 0 with
 * *addr set, or -1 with *out set (NOT_CHECKED "private host ..." or UNKNOWN
 * "dns ..."). PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 (tests) refuses anything
 * but loopback. */
int pl_net_vet(struct pl_vctx *cx, const char *host, int trusted, struct pl_vaddr *addr,
	       struct pl_validation *out);

/* Opens a TCP connection to addr:port within timeout seconds; returns the
 * socket or -1 with *out set (UNKNOWN "timeout" / "connect: ..."). */
int pl_net_connect(const struct pl_vaddr *addr, unsigned port, double timeout,
		   struct pl_validation *out);

/* ---- HTTP (http.c) ---- */

struct pl_http_request {
	const char *method;             /* GET, POST, HEAD */
	const char *url;
	const char *const *headers;     /* NULL-terminated "Name: value" */
	const char *body;               /* NULL: none */
	size_t body_len;
	int trusted;                    /* the URL's host is the user's override */
};

struct pl_http_response {
	long status;
	struct pl_buf body;             /* capped at opt->max_response */
	struct pl_buf headers;          /* raw header lines of the last response */
	double retry_after;             /* seconds, -1 when absent */
};

/* Sends one request to the vetted address of the URL's host. Returns 0 when
 * an answer came (any status), else -1 with *out set (UNKNOWN timeout, tls,
 * connect, too large; NOT_CHECKED private host / insecure URL). rs is
 * initialised either way: release it with pl_http_response_release. */
int pl_http_send(struct pl_vctx *cx, const struct pl_http_request *rq,
		 struct pl_http_response *rs, struct pl_validation *out);
void pl_http_response_release(struct pl_http_response *rs);
/* A response header's value (trimmed) into a new string, or NULL. */
char *pl_http_header(const struct pl_http_response *rs, const char *name);
/* Maps a status no answer rule matched: 429 (retry or UNKNOWN), 5xx, other. */
enum pl_vcheck pl_http_unmatched(struct pl_vctx *cx, const struct pl_http_response *rs,
				 struct pl_validation *out);

/* The base URL for a service: PKGLEAKS_<SERVICE>_URL when set (trusted = 1),
 * else dflt (trusted = 0); for npm without dflt, the registry the environment
 * names (npm_config_registry, untrusted). Never NULL when dflt is not NULL. */
const char *pl_vbase(const char *service, const char *dflt, int *trusted);
/* Joins an override base ("http://127.0.0.1:8080[/prefix]") with the path
 * and query of url; the caller frees. */
char *pl_vurl_rebase(const char *base, const char *url);
/* "scheme://host[:port]" prefix length of url, or 0. */
size_t pl_vurl_origin_len(const char *url);
/* Whether url's host[:port] holds only letters, digits, '-', '.' and ':'. */
int pl_vurl_host_is_plain(const char *url);
/* Whether url, expanded from the template tpl, still goes to the host tpl
 * names, whatever the variables held: an origin without a variable is kept
 * exactly; one that ends in a variable ("https://discord.com{path|raw}")
 * takes a path there, so its origin is the literal before it; a variable
 * inside the host ("https://{dc}.api.mailchimp.com") may only add letters,
 * digits, '-' and '.' between the literal start and end. A found secret
 * must never move its own check to a host of its choosing. */
int pl_vurl_keeps_origin(const char *tpl, const char *url);

/* ---- templates (template.c) ---- */

#define PL_VARS_MAX 16
struct pl_vars {
	const char *names[PL_VARS_MAX]; /* static or owned by names_owned */
	char *values[PL_VARS_MAX];      /* owned */
	char *names_owned[PL_VARS_MAX];
	size_t n;
};
/* secret, part1/part2 (split at the first ':'), and extract's named groups.
 * Returns 0, or -1 when extract does not match (the secret is not of the
 * shape the validator needs) or is not a valid pattern. */
int pl_vars_init(struct pl_vars *v, const char *secret, size_t len, const char *extract);
void pl_vars_release(struct pl_vars *v);
const char *pl_vars_get(const struct pl_vars *v, const char *name);

enum pl_tpl_mode {
	PL_TPL_RAW,    /* headers, bodies: as is ({x|url}, {x|form}, {x|json} to encode) */
	PL_TPL_URL,    /* URLs: percent-encoded unless {x|raw} */
};
/* Expands tpl; returns NULL when a variable is unknown or a header value
 * would hold CR, LF or NUL. */
char *pl_template_expand(const char *tpl, const struct pl_vars *v, enum pl_tpl_mode mode);

/* Base64 (standard alphabet, padded); the caller frees. */
char *pl_b64(const unsigned char *data, size_t len);
/* Base64url without padding (JWT). */
char *pl_b64url(const unsigned char *data, size_t len);
/* Decodes standard base64; NULL on a malformed input. */
unsigned char *pl_b64_decode(const char *s, size_t len, size_t *out_len);

/* A JSON path ("a.b[0].c") in a jansson value; NULL when absent. */
struct json_t;
struct json_t *pl_json_path(struct json_t *root, const char *path);
/* A JSON value as text for matching and details: strings as they are,
 * numbers and booleans in JSON form, arrays of scalars joined with ", ";
 * NULL for null, objects and missing values. The caller frees. */
char *pl_json_text(struct json_t *v);

/* ---- URIs of databases (dburi.c) ---- */

struct pl_dburi {
	char *scheme;   /* lower-case, driver suffix dropped ("postgresql+psycopg2" -> "postgresql") */
	char *user;     /* percent-decoded, may be "" */
	char *password; /* percent-decoded */
	char *host;     /* first host, without brackets */
	unsigned port;  /* 0 = scheme default */
	char *path;     /* database / vhost, percent-decoded, without the leading '/'; may be "" */
	char *query;    /* raw query string without '?', may be "" */
	int nhosts;     /* hosts listed (MongoDB seed lists) */
};
int pl_dburi_parse(const char *uri, size_t len, struct pl_dburi *out);
void pl_dburi_release(struct pl_dburi *u);
/* The value of key in the URI's query (percent-decoded), or NULL; caller frees. */
char *pl_dburi_param(const struct pl_dburi *u, const char *key);

/* Prepares a database check: parses the URI into *u, vets the host (the
 * private-address rule) and counts the login attempt. Returns 0 (release
 * *u after) or -1 with *out set and nothing to release. */
int pl_db_prepare(struct pl_vctx *cx, const struct pl_vsecret *s, struct pl_dburi *u,
		  unsigned default_port, struct pl_vaddr *addr, struct pl_validation *out);

#endif
