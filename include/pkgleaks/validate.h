/* Validation: asking a secret's own issuer, read-only, whether it still works.
 *
 * Off unless asked for (pkgleaks scan --validate). Each unique secret (by
 * fingerprint) is checked once per run and, across runs, answers are kept in
 * a cache file for a validity window. Requests go only to the issuer named by
 * the rule's validator (a fixed host per type); where the secret names its
 * own host (database URIs, webhook URLs, shop domains) the host is resolved
 * once, refused when it is loopback, private, link-local, CGNAT, multicast or
 * unspecified (unless allow_private), and the vetted address is the one
 * connected to. HTTPS only, no redirects, timeouts and a response cap;
 * per-service concurrency and rate limits; 429 backs off (Retry-After).
 *
 * Every base URL can be pointed elsewhere with PKGLEAKS_<SERVICE>_URL (the
 * service upper-cased, '-' as '_'), e.g. PKGLEAKS_GITHUB_URL=http://127.0.0.1:8080:
 * plain http is accepted only for loopback overrides (tests). */
#ifndef PKGLEAKS_VALIDATE_H
#define PKGLEAKS_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "pkgleaks/finding.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/scan.h"

struct pl_validate_options {
	int allow_private;          /* connect to hosts that resolve to non-public addresses */
	int pypi_upload_probe;      /* PyPI: send the rejected-upload probe (a write endpoint) */
	unsigned jobs;              /* worker threads (default 8) */
	double timeout;             /* total seconds per request (default 10) */
	double connect_timeout;     /* seconds to connect (default 5) */
	double rate;                /* default requests/s per service (default 10) */
	int force_rate;             /* rate applies to every service, over the rules' own */
	unsigned concurrency;       /* default requests in flight per service (default 4) */
	double max_retry_after;     /* longest Retry-After honoured, seconds (default 30) */
	unsigned retries_429;       /* retries after a 429 (default 2) */
	size_t max_response;        /* bytes of an answer read (default 256 KiB) */
	const char *cache_file;     /* NULL: $PKGLEAKS_CACHE_DIR, $XDG_CACHE_HOME/pkgleaks or
	                               ~/.cache/pkgleaks + /validations.jsonl; "" = no file cache */
	double cache_ttl;           /* seconds a valid/invalid answer is reused (default 86400;
	                               0 = no file cache) */
};

void pl_validate_options_default(struct pl_validate_options *o);

/* Counters for the run (safe to read after pl_validator_wait). */
struct pl_validate_stats {
	uint64_t submitted;   /* findings handed to the validator */
	uint64_t unique;      /* distinct fingerprints among them */
	uint64_t requests;    /* requests sent (HTTP requests and database logins) */
	uint64_t from_cache;  /* answers taken from the cache file */
	uint64_t retries;     /* requests repeated after a 429 */
	uint64_t by_status[5]; /* unique secrets per enum pl_validation_status */
};

struct pl_validator;

/* Starts the worker threads and loads the cache file. */
int pl_validator_new(const struct pl_validate_options *o, struct pl_validator **out);
/* Waits for pending checks, saves the cache file, stops the workers. */
void pl_validator_free(struct pl_validator *v);

/* Queues a check of one secret (copied) unless its fingerprint was seen in
 * this run; returns at once. details (may be NULL) are the finding's offline
 * details (e.g. canary=yes), read before sending. */
void pl_validator_submit(struct pl_validator *v, const struct pl_rule *rule, const char *secret,
			 size_t len, const char *fingerprint, const struct pl_detail *details,
			 size_t ndetails);
/* The same for a raw value read back from a store (pkgleaks validate): the
 * offline details the scan had are found again with the rule's inspector. */
void pl_validator_submit_value(struct pl_validator *v, const struct pl_rule *rule,
			       const char *secret, size_t len, const char *fingerprint);
/* Waits until every submitted check has an answer. */
void pl_validator_wait(struct pl_validator *v);
/* After wait: gives f a copy of its fingerprint's answer (NOT_CHECKED "not
 * submitted" when it was never submitted). */
void pl_validator_attach(struct pl_validator *v, struct pl_finding *f);
/* Writes the cache file now (also done by pl_validator_free); 0 or PL_EIO. */
int pl_validator_save(struct pl_validator *v);
void pl_validator_stats(struct pl_validator *v, struct pl_validate_stats *out);

/* Checks one secret now, bypassing the queue (but not the cache, limits or
 * safety rules); *out receives a new answer the caller frees. */
int pl_validator_check(struct pl_validator *v, const struct pl_rule *rule, const char *secret,
		       size_t len, const char *fingerprint, struct pl_validation **out);

/* A sink that submits every finding to a validator, then hands it on to the
 * next sink unchanged: pass &s->ops and s to pl_scan_run, then attach the
 * answers (pl_validator_attach) after pl_validator_wait. */
struct pl_validate_sink {
	struct pl_validator *validator;
	const struct pl_sink_ops *next;
	void *next_ctx;
	struct pl_sink_ops ops; /* forwards what next has */
};
void pl_validate_sink_init(struct pl_validate_sink *s, struct pl_validator *v,
			   const struct pl_sink_ops *next, void *next_ctx);

#endif
