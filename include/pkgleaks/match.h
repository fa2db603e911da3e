/* The matcher: runs a compiled ruleset over one text and reports confirmed,
 * filtered secrets. It knows nothing about where the text came from.
 *
 * Engine: the Hyperscan database reports candidate end offsets; PCRE2 (JIT)
 * confirms in a window ending there and captures `secret`; then the filters
 * run: checksum, entropy, placeholders and known example values, and the
 * inline `pkgleaks:allow` comment on the secret's line. */
#ifndef PKGLEAKS_MATCH_H
#define PKGLEAKS_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include "pkgleaks/rules.h"

/* One confirmed secret in the text handed to pl_matcher_scan(). Offsets are
 * relative to that text; pointers are valid only during the callback. */
struct pl_match {
	const struct pl_rule *rule;
	size_t start, end;               /* the whole regex match */
	size_t secret_start, secret_end; /* the `secret` capture */
	size_t part2_start, part2_end;   /* composite rules: the second part's secret
	                                    (the first is secret_start..end); else 0, 0 */
};

/* Return 0 to go on, non-zero to stop the scan (returned by pl_matcher_scan). */
typedef int (*pl_match_fn)(const struct pl_match *m, const char *text, void *ctx);

/* Per-thread state: Hyperscan scratch and PCRE2 match data. The ruleset must
 * be compiled and must outlive the matcher. */
struct pl_matcher;
int pl_matcher_new(const struct pl_ruleset *rs, struct pl_matcher **out);
void pl_matcher_free(struct pl_matcher *m);

/* Scans text[0, len). Only matches whose start is in [report_from, report_to)
 * are reported (chunked scanning: the caller overlaps chunks). Matches are
 * reported in order of rule, then start. Returns 0, the callback's non-zero
 * value, or a negative error. */
int pl_matcher_scan(struct pl_matcher *m, const char *text, size_t len, size_t report_from,
		    size_t report_to, pl_match_fn fn, void *ctx);

/* Filters, exposed for tests and decoders. */
double pl_entropy(const char *s, size_t len);
/* True when the value is a placeholder or a documented example, not a secret. */
int pl_is_placeholder(const char *s, size_t len);
/* True when the rule's checksum (if any) holds for the secret. */
int pl_checksum_ok(enum pl_checksum kind, const char *s, size_t len);

#endif
