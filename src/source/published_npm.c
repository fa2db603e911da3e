/* npm: `npm pack --dry-run --json --ignore-scripts` gives the exact file
 * list (npm's own rules: "files", .npmignore or .gitignore, the files it
 * always adds or drops). Lifecycle scripts are not run: scanning must not
 * execute the project, and must not change it. package.json is read to say
 * why a file ships. */
#include "source/published_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/proc.h"

#define PL_PACKAGE_JSON_MAX (16u * 1024 * 1024)

/* "./lib/" and "/lib" are written for "lib". */
static char *clean_path(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	while (*s == '/')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == '/')
		n--;
	return pl_xstrndup(s, n);
}

static void push(char ***arr, size_t *n, char *s)
{
	*arr = pl_xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = s;
}

static void read_bins(struct pl_npm_info *n, json_t *bin)
{
	if (json_is_string(bin)) {
		push(&n->bins, &n->nbins, clean_path(json_string_value(bin)));
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(bin, key, v)
		if (json_is_string(v))
			push(&n->bins, &n->nbins, clean_path(json_string_value(v)));
}

static int read_package_json(struct pl_npm_info *n, const char *dir)
{
	char *path = pl_xasprintf("%s/package.json", dir);
	struct stat st;
	json_error_t jerr;
	json_t *doc = NULL;
	int rc = 0;
	if (stat(path, &st) != 0 || st.st_size > (off_t)PL_PACKAGE_JSON_MAX)
		rc = pl_error_set(PL_ELIMIT, "%s is missing or larger than 16 MiB", path);
	else if (!(doc = json_load_file(path, 0, &jerr)) || !json_is_object(doc))
		rc = pl_error_set(PL_EFORMAT, "%s: not a JSON object (%s)", path,
				  doc ? "wrong type" : jerr.text);
	if (!rc) {
		json_t *files = json_object_get(doc, "files"), *v;
		size_t i;
		n->has_files_field = json_is_array(files);
		json_array_foreach(files, i, v)
			if (json_is_string(v))
				push(&n->patterns, &n->npatterns, clean_path(json_string_value(v)));
		json_t *main = json_object_get(doc, "main");
		n->main = json_is_string(main) ? clean_path(json_string_value(main)) : NULL;
		read_bins(n, json_object_get(doc, "bin"));
	}
	json_decref(doc);
	free(path);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The JSON npm prints: [{"id", "filename", "files": [{"path"}, ...]}]. */
static int parse_pack(struct pl_npm_info *n, const char *text, size_t len, char **id)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	json_t *pkg = json_array_get(doc, 0), *files = json_object_get(pkg, "files"), *v;
	if (!json_is_array(files)) {
		json_decref(doc);
		return pl_error_set(PL_EFORMAT, "npm pack --json printed no file list (%s)",
				    doc ? "unexpected shape" : jerr.text);
	}
	size_t i;
	json_array_foreach(files, i, v) {
		const char *path = json_string_value(json_object_get(v, "path"));
		if (path)
			push(&n->files, &n->nfiles, pl_xstrdup(path));
	}
	const char *s = json_string_value(json_object_get(pkg, "id"));
	*id = pl_xstrdup(s ? s : "the package");
	json_decref(doc);
	qsort(n->files, n->nfiles, sizeof(*n->files), cmp_str);
	return 0;
}

static int run_pack(struct pl_npm_info *n, const char *dir, char **id)
{
	const char *npm = pl_published_tool("npm");
	const char *argv[] = { npm, "pack", "--dry-run", "--json", "--ignore-scripts", NULL };
	struct pl_proc_result res;
	int rc = pl_proc_run(argv, dir, &res);
	if (rc == PL_ENOTFOUND)
		rc = pl_error_set(PL_ENOTFOUND,
				  "--as-published needs npm to list what `npm publish` would ship, "
				  "and %s is not installed (Debian: apt-get install npm)", npm);
	else if (!rc && (res.status != 0 || res.timed_out)) {
		char *why = pl_proc_last_line(&res);
		rc = pl_error_set(PL_ERROR, "`npm pack --dry-run` failed in %s (exit %d): %s", dir,
				  res.status, why);
		free(why);
	} else if (!rc) {
		rc = parse_pack(n, res.out.data ? res.out.data : "", res.out.len, id);
	}
	pl_proc_result_release(&res);
	return rc;
}

static const char *why_all(const struct pl_npm_info *n)
{
	if (n->has_files_field)
		return "only what package.json \"files\" lists";
	if (n->has_npmignore)
		return "everything .npmignore does not exclude (no \"files\" in package.json)";
	if (n->has_gitignore)
		return "everything .gitignore does not exclude (no \"files\" in package.json, "
		       "no .npmignore)";
	return "everything (package.json has no \"files\" field and there is no .npmignore)";
}

int pl_published_npm(struct pl_published *p)
{
	struct pl_npm_info *n = &p->npm;
	char *id = NULL;
	int rc = read_package_json(n, p->dir);
	if (!rc)
		rc = run_pack(n, p->dir, &id);
	if (rc < 0) {
		free(id);
		return rc;
	}
	char *ignore = pl_xasprintf("%s/.npmignore", p->dir), *git = pl_xasprintf("%s/.gitignore", p->dir);
	struct stat st;
	n->has_npmignore = stat(ignore, &st) == 0;
	n->has_gitignore = stat(git, &st) == 0;
	free(ignore);
	free(git);
	n->summary = pl_xasprintf("npm pack --dry-run: %zu file%s of %s would be published: %s",
				  n->nfiles, n->nfiles == 1 ? "" : "s", id, why_all(n));
	free(id);
	for (size_t i = 0; i < n->nfiles; i++)
		pl_published_add_input(p, pl_published_join(p, n->files[i]));
	return 0;
}

/* ---- why one file ships ---- */

static int starts_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int always_packed(const struct pl_npm_info *n, const char *rel)
{
	if (strcmp(rel, "package.json") == 0 ||
	    (!strchr(rel, '/') && (starts_ci(rel, "readme") || starts_ci(rel, "license") ||
				   starts_ci(rel, "licence"))))
		return 1;
	if (n->main && strcmp(n->main, rel) == 0)
		return 1;
	for (size_t i = 0; i < n->nbins; i++)
		if (strcmp(n->bins[i], rel) == 0)
			return 1;
	return 0;
}

char *pl_published_npm_reason(const struct pl_npm_info *n, const char *rel)
{
	if (always_packed(n, rel))
		return pl_xstrdup("npm always packs package.json, README, LICENSE and the main "
				  "and bin files");
	if (n->has_files_field) {
		for (size_t i = 0; i < n->npatterns; i++)
			if (n->patterns[i][0] != '!' && pl_published_glob_dir(n->patterns[i], rel))
				return pl_xasprintf("package.json \"files\" lists \"%s\"",
						    n->patterns[i]);
		return pl_xstrdup("package.json \"files\" (as npm matched it)");
	}
	if (n->has_npmignore)
		return pl_xstrdup("package.json has no \"files\" field and .npmignore does not "
				  "exclude it");
	if (n->has_gitignore)
		return pl_xstrdup("package.json has no \"files\" field and there is no .npmignore; "
				  ".gitignore, which npm uses instead, does not exclude it");
	return pl_xstrdup("package.json has no \"files\" field and there is no .npmignore: "
			  "every file not ignored by default ships");
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void pl_published_npm_release(struct pl_npm_info *n)
{
	free(n->summary);
	free_list(n->files, n->nfiles);
	free_list(n->patterns, n->npatterns);
	free_list(n->bins, n->nbins);
	free(n->main);
	memset(n, 0, sizeof(*n));
}
