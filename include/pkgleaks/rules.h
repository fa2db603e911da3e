/* Rules: secret detectors as data (YAML under rules/), built into the binary.
 *
 * A ruleset is loaded, then compiled once per run into one Hyperscan database
 * (prefilter) and one PCRE2 JIT program per rule (confirmation and capture).
 * After pl_ruleset_compile() a ruleset is read-only and shared by threads. */
#ifndef PKGLEAKS_RULES_H
#define PKGLEAKS_RULES_H

#include <stddef.h>
#include <stdio.h>

enum pl_confidence {
	PL_CONF_LOW = 0,    /* generic: a keyword and a literal */
	PL_CONF_MEDIUM = 1, /* keyword context plus entropy */
	PL_CONF_HIGH = 2,   /* checksum verified or a fixed unique prefix */
};

/* Offline structure checks a secret must pass to be reported. */
enum pl_checksum {
	PL_CHECKSUM_NONE = 0,
	PL_CHECKSUM_GITHUB_CRC32,    /* 4-char prefix, 30 chars, base62(CRC32) of 6 (gh?_, npm_) */
	PL_CHECKSUM_ATLASSIAN_CRC32, /* trailing 8 hex = CRC32 of everything before */
};

/* How to read one kind of issuer answer (`validator.answers` in YAML): every
 * condition given must hold; the first answer that matches decides. */
struct pl_rule_answer {
	int *status;          /* HTTP codes (0-terminated; 2 means any 2xx, 4 any 4xx);
	                         NULL = any status */
	char *body_contains;  /* a substring of the body, or NULL */
	char **json_paths;    /* NULL-terminated: JSON paths ("error", "data.me.user.name",
	                         "items[0].id") that must hold ... */
	char **json_values;   /* ... parallel: the accepted values, '|'-separated ("true",
	                         "invalid_auth|token_revoked"); "*" = present, not null,
	                         false, 0 or empty */
	int result;           /* enum pl_validation_status (finding.h): VALID or INVALID */
};

/* A rule's `validator:` block: how to ask the issuer whether a secret works
 * (docs/rules.md). kind "http" is declarative: a request built from templates
 * and answers read by status and JSON fields. Other kinds name C code in
 * src/validate/ (aws-sigv4, azure-storage, gcp-service-account, postgres,
 * mysql, redis, mongodb, amqp, pypi) or `none` (never sent, with a reason).
 * Templates substitute {secret}, {part1} and {part2} (the two sides of a
 * composite secret "<part1>:<part2>") and the named groups of `extract`. */
struct pl_rule_validator {
	char *kind;           /* "http" (default) or a built-in validator's name */
	char *service;        /* issuer name: rate limits, cache, PKGLEAKS_<SERVICE>_URL */
	char *url;            /* URL template, https; its scheme://host[:port] is what
	                         PKGLEAKS_<SERVICE>_URL replaces */
	char *method;         /* GET (default), POST, HEAD */
	char **headers;       /* NULL-terminated "Name: value template" */
	char *body;           /* body template, or NULL */
	char *basic_auth;     /* "user:password" template sent as HTTP Basic, or NULL */
	char *extract;        /* PCRE2 run on the secret; named groups become variables */
	struct pl_rule_answer *answers; /* in order; the first that matches decides */
	size_t nanswers;
	char **detail_names;  /* NULL-terminated detail names ... */
	char **detail_paths;  /* ... parallel: a JSON path or "header:Name" */
	char *reason;         /* kind none: why it is never checked */
	double rate;          /* most requests per second to this service (0 = default) */
	unsigned concurrency; /* most requests in flight to this service (0 = default) */
};

/* One detector. Strings are owned by the ruleset; arrays are NULL-terminated. */
struct pl_rule {
	char *id;                /* stable identifier, e.g. "github-pat-classic" */
	char *name;              /* human name, e.g. "GitHub personal access token" */
	char *pattern;           /* PCRE2 syntax; named group `secret` is the secret;
	                            NULL for a composite rule */
	char **parts;            /* composite rule: ids of the two rules it pairs (an id
	                            and its secret), NULL otherwise; see docs/rules.md */
	unsigned distance;       /* composite: most bytes between the two parts' starts */
	int by_keyword;          /* `prefilter: keywords`: Hyperscan looks for the keywords
	                            only, PCRE2 searches `window` bytes either side; for
	                            patterns too costly for Hyperscan's prefilter compiler */
	unsigned window;         /* bytes either side of a keyword hit (default 4096) */
	char *prefilter_pattern; /* `prefilter_pattern:` a cheaper regex that every match
	                            implies (for Hyperscan, in prefilter mode): a hit opens
	                            a window of `window` bytes either side, like a keyword;
	                            for patterns whose own prefilter is slow; or NULL */
	char **keywords;         /* literals that must occur in the match (case-insensitive) */
	double min_entropy;      /* Shannon bits/char the secret must reach; 0 = no check */
	enum pl_checksum checksum;
	enum pl_confidence confidence;
	char *remediation;       /* how to revoke and replace; may be NULL */
	char *inspect;           /* offline inspector (match/inspect.h) or NULL */
	struct pl_rule_validator *validator; /* how to check it with its issuer, or NULL */
	char **references;       /* documentation URLs */
	char **examples;         /* texts in which the rule must find a secret */
	char **example_secrets;  /* parallel to examples: the secret it must capture, or "" */
	char **negative_examples; /* texts in which it must find nothing */
	char *origin;            /* rule file it came from ("builtin:github.yaml") */
	unsigned index;          /* position in the ruleset */
};

struct pl_ruleset;

/* Creates an empty ruleset. Aborts on out-of-memory. */
struct pl_ruleset *pl_ruleset_new(void);
void pl_ruleset_free(struct pl_ruleset *rs);

/* Adds the rules built into the binary. */
int pl_ruleset_add_builtin(struct pl_ruleset *rs);
/* Adds the rules of one YAML file; a rule whose id exists replaces it. */
int pl_ruleset_add_file(struct pl_ruleset *rs, const char *path);
/* Adds rules from YAML text; `origin` names it in messages. */
int pl_ruleset_add_yaml(struct pl_ruleset *rs, const char *text, size_t len, const char *origin);

/* Compiles every rule; on failure the message names the rule. */
int pl_ruleset_compile(struct pl_ruleset *rs);

size_t pl_ruleset_count(const struct pl_ruleset *rs);
const struct pl_rule *pl_ruleset_get(const struct pl_ruleset *rs, size_t i);
const struct pl_rule *pl_ruleset_find(const struct pl_ruleset *rs, const char *id);
/* A short hash of every rule's content: scans under equal versions are equal. */
const char *pl_ruleset_version(const struct pl_ruleset *rs);

/* Runs every example and negative example through the real engine; prints
 * one line per failure to `out` and returns the number of failures. */
int pl_ruleset_check(const struct pl_ruleset *rs, FILE *out);

const char *pl_confidence_name(enum pl_confidence c);

#endif
