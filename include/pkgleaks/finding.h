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
