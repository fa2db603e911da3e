/* Shared helpers of the subcommands: value parsing, rule loading, errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pkgleaks/error.h"

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pkgleaks: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return PL_EXIT_ERROR;
}

int cli_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end && end[1] && !((end[1] == 'B' || end[1] == 'b' || end[1] == 'i') && !end[2]) &&
	    !(end[1] == 'i' && (end[2] == 'B' || end[2] == 'b') && !end[3]))
		return -1;
	if (shift && v > (~0ull >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int cli_parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		return -1;
	double v = strtod(s, &end);
	if (errno || *end || !(v > 0))
		return -1;
	*out = v;
	return 0;
}

int cli_parse_seconds(const char *opt, const char *v, double min, double *out)
{
	char *end = NULL;
	errno = 0;
	double d = v && *v ? strtod(v, &end) : -1;
	if (!end || errno || *end || !(d >= min) || d > 1e9)
		return cli_fail("invalid value '%s' for %s: expected seconds (>= %g)", v ? v : "", opt,
				min);
	*out = d;
	return 0;
}

int cli_parse_choice(const char *opt, const char *v, const char *a, const char *b, int *out)
{
	if (strcmp(v, a) && strcmp(v, b))
		return cli_fail("invalid value '%s' for %s: expected %s or %s", v, opt, a, b);
	*out = strcmp(v, b) == 0;
	return 0;
}

static void *names_oom(void *p)
{
	if (!p) {
		fputs("pkgleaks: out of memory\n", stderr);
		abort();
	}
	return p;
}

void cli_names_add(struct cli_names *l, const char *name, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = names_oom(realloc(l->v, l->cap * sizeof(*l->v)));
	}
	l->v[l->n++] = names_oom(strndup(name, len));
}

int cli_names_read(struct cli_names *l, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!fp)
		return cli_fail("cannot read %s: %s", path, strerror(errno));
	char line[1024];
	while (fgets(line, sizeof(line), fp)) {
		char *s = line + strspn(line, " \t");
		size_t len = strcspn(s, "#\r\n");
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len)
			cli_names_add(l, s, len);
	}
	int bad = ferror(fp);
	if (fp != stdin)
		fclose(fp);
	return bad ? cli_fail("cannot read %s", path) : 0;
}

void cli_names_release(struct cli_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct cli_names){0};
}

struct pl_ruleset *cli_load_rules(char **extra, int nextra)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	int rc = pl_ruleset_add_builtin(rs);
	for (int i = 0; rc == 0 && i < nextra; i++)
		rc = pl_ruleset_add_file(rs, extra[i]);
	if (rc == 0)
		rc = pl_ruleset_compile(rs);
	if (rc) {
		cli_fail("%s", pl_error_message());
		pl_ruleset_free(rs);
		return NULL;
	}
	return rs;
}
