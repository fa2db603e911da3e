/* Path ignores: gitignore-like globs, one per line in .pkgleaksignore.
 * A glob without '/' matches any single path component (`*.min.js`, `tests`);
 * a glob with '/' matches the whole source, the path inside archives, or
 * "source!/path" (`*` also crosses '/'). Lines starting with '#' are comments. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "scan/scan_int.h"
#include "util/alloc.h"

/* An ignore file this long is not a list of globs. */
#define PL_IGNORE_MAX_LINES 100000

struct pl_ignore {
	char **globs;
	size_t n, cap;
};

struct pl_ignore *pl_ignore_new(void)
{
	return pl_xcalloc(1, sizeof(struct pl_ignore));
}

void pl_ignore_free(struct pl_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		free(ig->globs[i]);
	free(ig->globs);
	free(ig);
}

void pl_ignore_add(struct pl_ignore *ig, const char *glob)
{
	size_t n = strlen(glob);
	while (n && (glob[n - 1] == '\n' || glob[n - 1] == '\r' || glob[n - 1] == ' ' ||
		     glob[n - 1] == '\t'))
		n--;
	while (n && (*glob == ' ' || *glob == '\t'))
		glob++, n--;
	if (n && glob[n - 1] == '/')
		n--; /* "tests/" means the directory, which any component match covers */
	if (n == 0 || glob[0] == '#')
		return;
	if (n > 2 && strncmp(glob, "./", 2) == 0)
		glob += 2, n -= 2;
	PL_GROW(ig->globs, ig->cap, ig->n + 1);
	ig->globs[ig->n++] = pl_xstrndup(glob, n);
}

int pl_ignore_add_file(struct pl_ignore *ig, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : pl_error_set(PL_EIO, "cannot read %s: %s", path,
							  strerror(errno));
	char line[4096];
	size_t lines = 0;
	while (fgets(line, sizeof(line), f) && lines++ < PL_IGNORE_MAX_LINES)
		pl_ignore_add(ig, line);
	fclose(f);
	return 0;
}

static int component_match(const char *glob, const char *s)
{
	char part[4096];
	while (*s) {
		size_t n = strcspn(s, "/");
		if (n && n < sizeof(part)) {
			memcpy(part, s, n);
			part[n] = '\0';
			/* "x.whl!" is the component "x.whl" followed by the "!/" join. */
			if (n > 1 && part[n - 1] == '!')
				part[n - 1] = '\0';
			if (fnmatch(glob, part, 0) == 0)
				return 1;
		}
		s += n;
		while (*s == '/')
			s++;
	}
	return 0;
}

static int whole_match(const char *glob, const char *source, const char *path)
{
	if (strncmp(source, "./", 2) == 0)
		source += 2;
	if (fnmatch(glob, source, 0) == 0 || (path[0] && fnmatch(glob, path, 0) == 0))
		return 1;
	if (!path[0])
		return 0;
	char *both = pl_xasprintf("%s!/%s", source, path);
	int hit = fnmatch(glob, both, 0) == 0;
	free(both);
	return hit;
}

int pl_ignore_match(const struct pl_ignore *ig, const char *source, const char *path)
{
	for (size_t i = 0; i < ig->n; i++) {
		const char *g = ig->globs[i];
		if (strchr(g, '/') ? whole_match(g, source, path)
				   : component_match(g, source) || component_match(g, path))
			return 1;
	}
	return 0;
}
