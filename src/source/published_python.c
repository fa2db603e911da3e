/* Python: the sdist, built the way a release would build it, in a
 * temporary copy of the project (builds write egg-info and dist/ into the
 * tree they build). `python3 -m build --sdist --no-isolation` when the build
 * module is installed (any backend), else setuptools directly. MANIFEST.in
 * is replayed to say which of its lines brought a file in. */
#include "source/published_int.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/proc.h"

#define PL_PROJECT_FILE_MAX (1024u * 1024)

/* ---- reading small project files ---- */

/* The text of dir/name (its first MiB), or NULL when it cannot be read. */
static char *read_small(const char *dir, const char *name)
{
	char *path = pl_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	free(path);
	if (!f)
		return NULL;
	char *text = pl_xmalloc(PL_PROJECT_FILE_MAX + 1);
	size_t n = fread(text, 1, PL_PROJECT_FILE_MAX, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

static int file_mentions(const char *dir, const char *name, const char *needle)
{
	char *text = read_small(dir, name);
	int hit = text && strstr(text, needle);
	free(text);
	return hit;
}

/* ---- MANIFEST.in ---- */

/* Splits s[0, len) at blanks into a NULL-terminated array of new strings. */
static char **split_words(const char *s, size_t len)
{
	char **words = pl_xcalloc(len / 2 + 2, sizeof(char *));
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && strchr(" \t\r", s[i]))
			i++;
		size_t start = i;
		while (i < len && !strchr(" \t\r", s[i]))
			i++;
		if (i > start)
			words[n++] = pl_xstrndup(s + start, i - start);
	}
	return words;
}

static void parse_manifest_line(struct pl_sdist_info *s, const char *line, size_t len)
{
	char **words = split_words(line, len);
	if (!words[0] || words[0][0] == '#') {
		for (size_t i = 0; words[i]; i++)
			free(words[i]);
		free(words);
		return;
	}
	while (len && strchr(" \t\r", line[len - 1]))
		len--;
	while (len && strchr(" \t", *line)) {
		line++;
		len--;
	}
	PL_GROW(s->manifest, s->cap_manifest, s->nmanifest + 1);
	s->manifest[s->nmanifest++] =
		(struct pl_manifest_line){ .text = pl_xstrndup(line, len), .words = words };
}

void pl_published_manifest_parse(struct pl_sdist_info *s, const char *text)
{
	for (const char *line = text; line && *line;) {
		size_t len = strcspn(line, "\n");
		parse_manifest_line(s, line, len);
		line += len + (line[len] == '\n');
	}
}

static void read_manifest(struct pl_sdist_info *s, const char *dir)
{
	char *text = read_small(dir, "MANIFEST.in");
	pl_published_manifest_parse(s, text);
	free(text);
}

static int is_include(const char *cmd)
{
	return strcmp(cmd, "include") == 0 || strcmp(cmd, "recursive-include") == 0 ||
	       strcmp(cmd, "global-include") == 0 || strcmp(cmd, "graft") == 0;
}

/* The part of rel below dir ("." is the project itself), or NULL. */
static const char *below(const char *dir, const char *rel)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '.')
		return rel;
	return strncmp(rel, dir, n) == 0 && rel[n] == '/' ? rel + n + 1 : NULL;
}

/* One pattern of one command, with setuptools' FileList semantics:
 * include/exclude match the whole path from the root ('*' stays within a
 * directory); recursive-* and global-* match a trailing part of the path
 * (below the directory, or anywhere); graft/prune take whole directories. */
static int pattern_matches(const char *cmd, const char *pat, const char *rel, const char *tail)
{
	if (strcmp(cmd, "include") == 0 || strcmp(cmd, "exclude") == 0)
		return fnmatch(pat, rel, FNM_PATHNAME) == 0;
	if (strcmp(cmd, "graft") == 0 || strcmp(cmd, "prune") == 0)
		return pl_published_glob_dir(pat, rel) && strcmp(pat, rel) != 0;
	return pl_published_glob_tail(pat, tail);
}

static int line_matches(const struct pl_manifest_line *m, const char *rel)
{
	const char *cmd = m->words[0];
	int recursive = strncmp(cmd, "recursive-", 10) == 0;
	const char *tail = !recursive ? rel : m->words[1] ? below(m->words[1], rel) : NULL;
	for (size_t i = recursive ? 2 : 1; tail && m->words[i]; i++)
		if (pattern_matches(cmd, m->words[i], rel, tail))
			return 1;
	return 0;
}

/* The MANIFEST.in line that last brought rel in (and that no later exclude
 * undid), or NULL. */
static const struct pl_manifest_line *manifest_reason(const struct pl_sdist_info *s,
						      const char *rel)
{
	const struct pl_manifest_line *by = NULL;
	for (size_t i = 0; i < s->nmanifest; i++)
		if (line_matches(&s->manifest[i], rel))
			by = is_include(s->manifest[i].words[0]) ? &s->manifest[i] : NULL;
	return by;
}

/* ---- building ---- */

/* Which build command applies; argv has room for 12 entries. `-m build`
 * runs in tmp, which holds only src/ and dist/: in a directory that has a
 * build/ folder (most projects), `python3 -m build` would import that. */
static int choose_build(const char *py, const char *tmp, const char *src, const char *dist,
			const char **argv)
{
	struct pl_proc_result res;
	const char *probe[] = { py, "-m", "build", "--version", NULL };
	int rc = pl_proc_run(probe, tmp, &res);
	int have_build = rc == 0 && res.status == 0;
	pl_proc_result_release(&res);
	if (rc == PL_ENOTFOUND)
		return pl_error_set(PL_ENOTFOUND,
				    "--as-published needs %s to build the sdist, and it is not "
				    "installed (Debian: apt-get install python3 python3-setuptools)",
				    py);
	const char **a = argv;
	*a++ = py;
	if (have_build) {
		const char *rest[] = { "-m", "build", "--sdist", "--no-isolation", "--outdir", dist,
				       src, NULL };
		memcpy(a, rest, sizeof(rest));
		return 0;
	}
	char *setup = pl_xasprintf("%s/setup.py", src);
	int has_setup = access(setup, F_OK) == 0;
	free(setup);
	if (!has_setup && file_mentions(src, "pyproject.toml", "build-backend") &&
	    !file_mentions(src, "pyproject.toml", "setuptools.build_meta"))
		return pl_error_set(PL_ENOTFOUND,
				    "--as-published: pyproject.toml names a build backend other "
				    "than setuptools; install the `build` module to use it (Debian: "
				    "apt-get install python3-build)");
	/* Without setup.py, setuptools still reads pyproject.toml's [project]. */
	if (!has_setup)
		*a++ = "-c";
	const char *rest[] = { has_setup ? "setup.py" : "import setuptools; setuptools.setup()",
			       "-q", "sdist", "--dist-dir", dist, NULL };
	memcpy(a, rest, sizeof(rest));
	return 0;
}

static int run_checked(const char *const *argv, const char *cwd, const char *what)
{
	struct pl_proc_result res;
	int rc = pl_proc_run(argv, cwd, &res);
	if (!rc && (res.status != 0 || res.timed_out)) {
		char *why = pl_proc_last_line(&res);
		rc = pl_error_set(PL_ERROR, "%s failed (exit %d): %s", what, res.status, why);
		free(why);
	}
	pl_proc_result_release(&res);
	return rc;
}

static int is_archive(const char *name)
{
	size_t n = strlen(name);
	return (n > 7 && strcmp(name + n - 7, ".tar.gz") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".zip") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int list_archives(struct pl_sdist_info *s)
{
	DIR *d = opendir(s->dist_dir);
	if (!d)
		return pl_error_set(PL_ERROR, "the sdist build wrote no %s", s->dist_dir);
	for (struct dirent *e; (e = readdir(d));)
		if (is_archive(e->d_name)) {
			s->archives = pl_xrealloc(s->archives, (s->narchives + 1) * sizeof(char *));
			s->archives[s->narchives++] = pl_xasprintf("%s/%s", s->dist_dir, e->d_name);
		}
	closedir(d);
	qsort(s->archives, s->narchives, sizeof(char *), cmp_str);
	return s->narchives ? 0 : pl_error_set(PL_ERROR, "the sdist build produced no archive");
}

/* Copies the project, builds the sdist from the copy into tmp/dist. */
static int build_sdist(struct pl_published *p, const char **how)
{
	const char *tmp = pl_published_tmp(p);
	if (!tmp)
		return PL_EIO;
	char *from = pl_xasprintf("%s/.", p->dir), *src = pl_xasprintf("%s/src", tmp);
	p->sdist.dist_dir = pl_xasprintf("%s/dist", tmp);
	const char *cp[] = { "cp", "-a", "--", from, src, NULL };
	const char *argv[12] = { 0 };
	int rc = run_checked(cp, NULL, "copying the project");
	if (!rc)
		rc = choose_build(pl_published_tool("python3"), tmp, src, p->sdist.dist_dir, argv);
	if (!rc) {
		int module = strcmp(argv[1], "-m") == 0;
		*how = module			      ? "python3 -m build --sdist --no-isolation"
		       : strcmp(argv[1], "-c") == 0 ? "setuptools sdist"
						     : "python3 setup.py sdist";
		rc = run_checked(argv, module ? tmp : src, *how);
	}
	if (!rc)
		rc = list_archives(&p->sdist);
	free(from);
	free(src);
	return rc;
}

int pl_published_python(struct pl_published *p)
{
	struct pl_sdist_info *s = &p->sdist;
	const char *how = "";
	int rc = build_sdist(p, &how);
	if (rc < 0)
		return rc;
	read_manifest(s, p->dir);
	s->scm = file_mentions(p->dir, "pyproject.toml", "setuptools_scm") ||
		 file_mentions(p->dir, "pyproject.toml", "setuptools-scm") ||
		 file_mentions(p->dir, "setup.py", "setuptools_scm") ||
		 file_mentions(p->dir, "setup.cfg", "setuptools_scm");
	const char *base = strrchr(s->archives[0], '/') + 1;
	s->summary = pl_xasprintf("sdist built with `%s` in a temporary copy of %s: %s%s "
				  "(MANIFEST.in: %zu command%s%s)",
				  how, p->dir, base, s->narchives > 1 ? " and more" : "",
				  s->nmanifest, s->nmanifest == 1 ? "" : "s",
				  s->scm ? "; setuptools-scm adds every file git tracks" : "");
	for (size_t i = 0; i < s->narchives; i++)
		pl_published_add_input(p, pl_xstrdup(s->archives[i]));
	return 0;
}

/* ---- why one file ships ---- */

static int root_default(const char *rel)
{
	static const char *const exact[] = { "setup.py", "setup.cfg", "pyproject.toml",
					     "MANIFEST.in" };
	static const char *const prefix[] = { "README", "LICENSE", "LICENCE", "COPYING",
					      "NOTICE", "AUTHORS" };
	if (strchr(rel, '/'))
		return 0;
	for (size_t i = 0; i < sizeof(exact) / sizeof(*exact); i++)
		if (strcmp(rel, exact[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(*prefix); i++)
		if (strncasecmp(rel, prefix[i], strlen(prefix[i])) == 0)
			return 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *pl_published_python_reason(const struct pl_sdist_info *s, const char *rel)
{
	if (!rel[0])
		return pl_xstrdup("the sdist itself");
	if (strcmp(rel, "PKG-INFO") == 0 || strstr(rel, ".egg-info/"))
		return pl_xstrdup("written by the build (package metadata)");
	const struct pl_manifest_line *m = manifest_reason(s, rel);
	if (m)
		return pl_xasprintf("MANIFEST.in: %s", m->text);
	if (s->scm)
		return pl_xstrdup("setuptools-scm: every file git tracks ships in the sdist");
	if (root_default(rel))
		return pl_xstrdup("setuptools always ships setup.py, setup.cfg, pyproject.toml, "
				  "README and license files");
	if (ends_with(rel, ".py"))
		return pl_xstrdup("a module of the package: setuptools ships every package's "
				  ".py files");
	return pl_xstrdup("package data (package_data, include_package_data or the build "
			  "backend's defaults); MANIFEST.in does not name it");
}

void pl_published_python_release(struct pl_sdist_info *s)
{
	for (size_t i = 0; i < s->nmanifest; i++) {
		for (size_t j = 0; s->manifest[i].words[j]; j++)
			free(s->manifest[i].words[j]);
		free(s->manifest[i].words);
		free(s->manifest[i].text);
	}
	free(s->manifest);
	for (size_t i = 0; i < s->narchives; i++)
		free(s->archives[i]);
	free(s->archives);
	free(s->dist_dir);
	free(s->summary);
	memset(s, 0, sizeof(*s));
}
