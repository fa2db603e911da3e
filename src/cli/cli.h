/* The command-line front end: one cmd_<name>.c per subcommand, dispatched
 * from the table in main.c. Uses only the public API in include/pkgleaks. */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <stdint.h>

#include "pkgleaks/rules.h"

/* Exit codes, documented in pkgleaks(1). */
enum {
	PL_EXIT_CLEAN = 0,
	PL_EXIT_FOUND = 1,
	PL_EXIT_ERROR = 2,
};

int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);

/* "256M", "4G", "1024" into bytes; -1 on a malformed value. */
int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_uint(const char *s, unsigned long long max, unsigned long long *out);
int cli_parse_double(const char *s, double *out);
/* Loads built-in rules plus extra files, compiled; prints the error and
 * returns NULL on failure. */
struct pl_ruleset *cli_load_rules(char **extra, int nextra);
/* Prints "pkgleaks: msg" to stderr and returns PL_EXIT_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
