/* The ruleset's private parts, shared by the rules and match modules. */
#ifndef PL_RULES_INT_H
#define PL_RULES_INT_H

#include <hs/hs.h>
#include <pthread.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pkgleaks/rules.h"

/* Confirmation windows never reach further back than this from a hit. */
#define PL_RULE_MAX_WINDOW (64 * 1024)

/* The Hyperscan id of filler literals (rules_compile.c add_filler): not a
 * rule; the matcher ignores its matches. */
#define PL_RULE_FILLER_ID 0xffffffffu

/* What the compiler made of one rule. */
struct pl_rule_prog {
	/* Compiled on first use, JIT-compiled once it has been used
	 * PL_RULE_JIT_AFTER times (pl_rule_prog_code); the groups are set with re. */
	pcre2_code *re;
	pcre2_code *_Atomic jit; /* a JIT-compiled copy of re, once made */
	_Atomic int state;       /* PL_PROG_NONE, PL_PROG_COMPILED, PL_PROG_BROKEN */
	_Atomic unsigned uses;
	int secret_group;      /* capture number of `secret`; 0 = whole match */
	int password_group;    /* capture number of `password`; -1 = none */
	unsigned max_width;    /* bytes from a hit's end back to the match start */
	int by_keyword;        /* Hyperscan could not take the pattern: keywords prefilter it,
	                          and the window spans max_width on both sides */
	int part_a, part_b;    /* composite rule: indices of its parts; -1 otherwise */
	int in_composite;      /* this rule is a part of some composite rule */
};

struct pl_ruleset {
	struct pl_rule **rules; /* owned */
	size_t n, cap;
	struct pl_rule_prog *progs; /* parallel to rules after compile */
	hs_database_t *db;          /* one database for all rules; NULL before compile */
	/* Made at the first matcher, never scanned with: every matcher clones it
	 * (hs_clone_scratch copies ~150 KB in microseconds; hs_alloc_scratch takes
	 * 0.6 ms, which a worker would pay for every item it scans). */
	hs_scratch_t *scratch;
	pthread_mutex_t jit_lock;   /* serialises lazy JIT compilation and the scratch */
	/* Exactly the embedded snapshot (nothing added or replaced since): its
	 * version is the embedded database's, known without hashing the rules. */
	int pristine_builtin;
	char version[17];
};

enum { PL_PROG_NONE, PL_PROG_COMPILED, PL_PROG_BROKEN };

/* Uses of a rule's program before it is JIT-compiled: JIT costs about as much
 * as a few dozen interpreted confirmations, and most rules never fire. */
#define PL_RULE_JIT_AFTER 32

/* The rule's PCRE2 program, compiled the first time any thread asks and
 * JIT-compiled after PL_RULE_JIT_AFTER uses (thread-safe; the ruleset is
 * otherwise read-only after compile). NULL for a pattern PCRE2 refuses, which
 * pl_ruleset_compile reports whenever it compiles the Hyperscan database. */
const pcre2_code *pl_rule_prog_code(struct pl_ruleset *rs, struct pl_rule_prog *p);

/* The compiled database in the cache file format (magic, counts, per-rule
 * prefilter facts, Hyperscan's serialization); the caller frees *out. */
int pl_ruleset_serialize(const struct pl_ruleset *rs, unsigned char **out, size_t *len);

/* Frees one rule and everything it owns. */
void pl_rule_free(struct pl_rule *r);
/* Adds r (owned from now), replacing a rule with the same id. */
void pl_ruleset_put(struct pl_ruleset *rs, struct pl_rule *r);

/* The built-in rules parsed from their YAML text, as pl_ruleset_add_builtin
 * does when the binary has no snapshot of them (tests, tools). */
int pl_ruleset_add_builtin_yaml(struct pl_ruleset *rs);

/* The loaded rules as bytes (rules_snapshot.c), and back: what the build
 * embeds so that a run need not parse YAML. The caller frees *out. */
int pl_ruleset_snapshot(const struct pl_ruleset *rs, unsigned char **out, size_t *len);
int pl_ruleset_add_snapshot(struct pl_ruleset *rs, const unsigned char *data, size_t len);

/* The built-in rules' snapshot, made at build time by tools/gen_db.c and
 * linked into pkgleaks; absent (weak) in tests and tools. */
struct pl_embedded_rules {
	const unsigned char *data;
	size_t len;
};
extern const struct pl_embedded_rules pl_embedded_rules __attribute__((weak));

/* The built-in ruleset's database, compiled at build time (tools/gen_db.c)
 * and linked into the pkgleaks binary; absent (weak, NULL) in tests and
 * tools, which fall back to the cache or compile. */
struct pl_embedded_db {
	const char *version; /* ruleset version it was compiled from */
	const unsigned char *data;
	size_t len;
};
extern const struct pl_embedded_db pl_embedded_db __attribute__((weak));

#endif
