/* A finding: one secret (rule + value) in one file, with every place it occurs. */
#ifndef PKGLEAKS_FINDING_H
#define PKGLEAKS_FINDING_H

#include <stddef.h>
#include <stdint.h>
#include "pkgleaks/rules.h"

/* Where an occurrence is: 1-based line, 1-based byte column. */
struct pl_position {
	uint64_t line;
	uint64_t column;
};

/* What the secret itself says, found offline (PyPI scope, JWT issuer, ...). */
struct pl_detail {
	char *key;   /* owned, e.g. "scope" */
	char *value; /* owned, e.g. "project:requests" (escaped, printable) */
};

/* What the issuer said about a secret (pkgleaks scan --validate). Only an
 * answer from the issuer itself is VALID or INVALID; everything that could
 * not be decided is UNKNOWN, and what was deliberately not sent is
 * NOT_CHECKED (see src/validate/ and docs/internals/validate.md). */
enum pl_validation_status {
	PL_VALIDATION_NONE = 0,    /* validation was not asked for */
	PL_VALIDATION_VALID,       /* the issuer accepted it */
	PL_VALIDATION_INVALID,     /* the issuer said it is revoked, expired or wrong */
	PL_VALIDATION_UNKNOWN,     /* no decisive answer: timeout, 5xx, 429, TLS, odd answer */
	PL_VALIDATION_NOT_CHECKED, /* not sent: no validator, private host, example key, policy */
};

struct pl_validation {
	enum pl_validation_status status;
	char *reason;              /* owned, printable; why UNKNOWN or NOT_CHECKED (e.g.
	                              "timeout", "http 503", "private host"); may be NULL */
	int64_t checked_at;        /* Unix seconds of the check (of the cached check) */
	int cached;                /* the answer came from the validation cache file */
	struct pl_detail *details; /* owned; what the issuer said (account, scopes, expiry) */
	size_t ndetails;
};

/* "valid", "invalid", "unknown", "not_checked" ("" for NONE). */
const char *pl_validation_status_name(enum pl_validation_status s);
/* A deep copy (NULL gives NULL); aborts on out-of-memory. */
struct pl_validation *pl_validation_copy(const struct pl_validation *v);
/* Frees v and everything it owns. NULL is allowed. */
void pl_validation_free(struct pl_validation *v);

struct pl_finding {
	const struct pl_rule *rule; /* borrowed from the compiled ruleset */
	char *secret;               /* the raw value (owned); redact before printing */
	size_t secret_len;
	char fingerprint[65];       /* hex SHA-256 of "<rule id>:<secret>" */
	char *source;               /* file on disk as reached from the input (owned) */
	char *path;                 /* path inside archives, "!/"-joined; "" for plain files (owned).
	                               source and path are raw bytes: escape them to print */
	char *before;               /* up to 80 bytes of the line before the secret (owned, escaped) */
	char *after;                /* up to 80 bytes of the line after it (owned, escaped) */
	struct pl_position *positions; /* every occurrence in this file, in order (owned) */
	size_t npositions;
	struct pl_detail *details;  /* owned; see match/inspect.h */
	size_t ndetails;
	const char *encoding;       /* static: "" for plain text, else the decoder that
	                               revealed it ("utf16le", "pyc", "json", "base64") */
	const char *path_kind;      /* static: code, config, test, docs, example, other */
	struct pl_validation *validation; /* owned; NULL unless validation ran */
};

/* Frees the finding and everything it owns. NULL is allowed. */
void pl_finding_free(struct pl_finding *f);

/* Writes the redacted form ("ghp_…": first 4 characters then U+2026) into a
 * new string the caller frees; a secret of fewer than 8 characters shows only
 * half of them (rounded down: "abc" gives "a…"), so short values never print
 * whole. Characters are UTF-8 sequences (an invalid byte counts as one) and
 * are escaped with pl_escape. With show != 0, the full secret, escaped. */
char *pl_finding_display_secret(const struct pl_finding *f, int show);

/* "source!/path" or "source" when path is empty; the caller frees. */
char *pl_finding_location(const struct pl_finding *f);

/* Hex SHA-256 of "<rule_id>:<secret>" into out[65]. */
void pl_fingerprint(const char *rule_id, const char *secret, size_t len, char out[65]);

#endif
