/* --as-published: the driver, the glob helpers, and the sink that turns
 * temporary build paths back into project paths and says why each file
 * ships. npm and Python specifics are in published_npm.c and
 * published_python.c. */
#include "source/published_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "match/inspect.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/fs.h"
#include "util/escape.h"
#include "util/proc.h"

/* ---- helpers shared by the packagers ---- */

char *pl_published_join(const struct pl_published *p, const char *rel)
{
	if (strcmp(p->dir, ".") == 0)
		return pl_xstrdup(rel);
	return pl_xasprintf("%s%s%s", p->dir, strcmp(p->dir, "/") ? "/" : "", rel);
}

void pl_published_add_input(struct pl_published *p, char *path)
{
	PL_GROW(p->inputs, p->cap_inputs, p->ninputs + 1);
	p->inputs[p->ninputs++] = path;
}

const char *pl_published_tmp(struct pl_published *p)
{
	if (!p->tmp && pl_tmpdir_new("published", &p->tmp) < 0)
		return NULL;
	return p->tmp;
}

const char *pl_published_tool(const char *name)
{
	const char *v = getenv(strcmp(name, "npm") == 0 ? "PKGLEAKS_NPM" : "PKGLEAKS_PYTHON");
	return v && v[0] ? v : name;
}

int pl_published_glob_dir(const char *pattern, const char *rel)
{
	if (fnmatch(pattern, rel, FNM_PATHNAME) == 0)
		return 1;
	/* A pattern naming a directory takes everything below it. */
	char *prefix = pl_xstrdup(rel);
	int hit = 0;
	for (char *slash = strrchr(prefix, '/'); slash && !hit; slash = strrchr(prefix, '/')) {
		*slash = '\0';
		hit = fnmatch(pattern, prefix, FNM_PATHNAME) == 0;
	}
	free(prefix);
	return hit;
}

int pl_published_glob_tail(const char *pattern, const char *rel)
{
	for (const char *s = rel; s; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL)
		if (fnmatch(pattern, s, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

/* ---- open and free ---- */

static char *normalise_dir(const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return pl_xstrndup(dir, n);
}

int pl_published_open(const char *dir, struct pl_published **out)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pl_error_set(PL_ENOTFOUND, "--as-published: %s is not a directory", dir);
	struct pl_published *p = pl_xcalloc(1, sizeof(*p));
	p->dir = normalise_dir(dir);
	p->npm.found = pl_fs_has(p->dir, "package.json", S_IFREG);
	p->sdist.found = pl_fs_has(p->dir, "pyproject.toml", S_IFREG) ||
			 pl_fs_has(p->dir, "setup.py", S_IFREG);
	int rc = 0;
	if (!p->npm.found && !p->sdist.found)
		rc = pl_error_set(PL_ENOTFOUND,
				  "--as-published: %s has no package.json, pyproject.toml or setup.py",
				  dir);
	if (!rc && p->npm.found)
		rc = pl_published_npm(p);
	if (!rc && p->sdist.found)
		rc = pl_published_python(p);
	if (rc < 0) {
		pl_published_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void pl_published_free(struct pl_published *p)
{
	if (!p)
		return;
	pl_published_npm_release(&p->npm);
	pl_published_python_release(&p->sdist);
	if (p->tmp && pl_rmtree(p->tmp) < 0)
		fprintf(stderr, "pkgleaks: warning: %s\n", pl_error_message());
	free(p->tmp);
	for (size_t i = 0; i < p->ninputs; i++)
		free(p->inputs[i]);
	free(p->inputs);
	free(p->dir);
	free(p);
}

const char *const *pl_published_inputs(const struct pl_published *p, size_t *n)
{
	*n = p->ninputs;
	return (const char *const *)p->inputs;
}

void pl_published_describe(const struct pl_published *p, FILE *out)
{
	if (p->npm.summary)
		fprintf(out, "pkgleaks: note: %s\n", p->npm.summary);
	if (p->sdist.summary)
		fprintf(out, "pkgleaks: note: %s\n", p->sdist.summary);
}

char *pl_published_reason(const struct pl_published *p, const char *kind, const char *rel)
{
	if (strcmp(kind, "npm") == 0)
		return pl_published_npm_reason(&p->npm, rel);
	return pl_published_python_reason(&p->sdist, rel);
}

/* ---- the sink ---- */

void pl_published_set_sink(struct pl_published *p, const struct pl_sink_ops *inner, void *ctx)
{
	p->inner = inner;
	p->inner_ctx = ctx;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The npm-relative path of a scanned source, or NULL when it is not one. */
static const char *npm_rel(const struct pl_published *p, const char *source)
{
	if (!p->npm.nfiles)
		return NULL;
	size_t dl = strlen(p->dir);
	const char *rel = strcmp(p->dir, ".") == 0	     ? source
			  : strncmp(source, p->dir, dl) == 0 ? source + dl + (source[dl] == '/')
							     : NULL;
	if (!rel)
		return NULL;
	const char *const *hit =
		bsearch(&rel, p->npm.files, p->npm.nfiles, sizeof(char *), cmp_str);
	return hit ? *hit : NULL;
}

/* The built archive source came from, or NULL. */
static const char *sdist_archive(const struct pl_published *p, const char *source)
{
	for (size_t i = 0; i < p->sdist.narchives; i++)
		if (strcmp(source, p->sdist.archives[i]) == 0)
			return p->sdist.archives[i];
	return NULL;
}

/* "DIR/dist/name.tar.gz": where a normal build would have written it. */
static char *display_archive(const struct pl_published *p, const char *archive)
{
	const char *base = strrchr(archive, '/');
	char *rel = pl_xasprintf("dist/%s", base ? base + 1 : archive);
	char *s = pl_published_join(p, rel);
	free(rel);
	return s;
}

static void add_reason(struct pl_finding *f, const char *key, const char *reason)
{
	char *esc = pl_escape(reason, strlen(reason));
	pl_finding_add_detail(f, key, esc);
	free(esc);
}

/* An sdist member "name-1.0/conf/x.cfg!/inner" names the project file
 * DIR/conf/x.cfg when that exists: the finding then points at what to fix. */
static void rewrite_sdist(const struct pl_published *p, const char *archive, struct pl_finding *f)
{
	const char *member = f->path ? f->path : "";
	const char *slash = strchr(member, '/');
	const char *nest = strstr(member, "!/");
	char *rel = slash && (!nest || slash < nest)
			    ? pl_xstrndup(slash + 1, nest ? (size_t)(nest - slash - 1) : strlen(slash + 1))
			    : pl_xstrdup("");
	char *reason = pl_published_python_reason(&p->sdist, rel);
	char *artifact = pl_xasprintf("%s!/%s", strrchr(archive, '/') + 1, member);
	char *project_file = pl_published_join(p, rel);
	struct stat st;
	if (rel[0] && lstat(project_file, &st) == 0 && S_ISREG(st.st_mode)) {
		free(f->source);
		f->source = project_file;
		project_file = NULL;
		char *inner = pl_xstrdup(nest ? nest + 2 : "");
		free(f->path);
		f->path = inner;
	} else {
		free(f->source);
		f->source = display_archive(p, archive);
	}
	add_reason(f, "published_because", reason);
	add_reason(f, "artifact", artifact);
	free(project_file);
	free(artifact);
	free(reason);
	free(rel);
}

static void sink_finding(void *ctx, struct pl_finding *f)
{
	struct pl_published *p = ctx;
	const char *archive = sdist_archive(p, f->source);
	const char *rel = archive ? NULL : npm_rel(p, f->source);
	if (archive) {
		rewrite_sdist(p, archive, f);
	} else if (rel) {
		char *reason = pl_published_npm_reason(&p->npm, rel);
		add_reason(f, "published_because", reason);
		free(reason);
	}
	p->inner->finding(p->inner_ctx, f);
}

/* Problems in a built archive are named as the archive in dist/, never as
 * our temporary directory. */
static char *display_source(const struct pl_published *p, const char *source)
{
	const char *archive = sdist_archive(p, source);
	return archive ? display_archive(p, archive) : pl_xstrdup(source);
}

static void sink_error(void *ctx, const char *source, const char *path, const char *reason)
{
	struct pl_published *p = ctx;
	char *s = display_source(p, source);
	p->inner->error(p->inner_ctx, s, path, reason);
	free(s);
}

static void sink_warning(void *ctx, const char *source, const char *path, const char *reason)
{
	struct pl_published *p = ctx;
	char *s = display_source(p, source);
	p->inner->warning(p->inner_ctx, s, path, reason);
	free(s);
}

static void sink_file_done(void *ctx, const char *source, uint64_t bytes)
{
	struct pl_published *p = ctx;
	char *s = display_source(p, source);
	p->inner->file_done(p->inner_ctx, s, bytes);
	free(s);
}

static void sink_file_facts(void *ctx, const char *source, const struct pl_file_facts *facts)
{
	struct pl_published *p = ctx;
	if (!p->inner->file_facts)
		return;
	char *s = display_source(p, source);
	p->inner->file_facts(p->inner_ctx, s, facts);
	free(s);
}

const struct pl_sink_ops pl_published_sink = {
	.finding = sink_finding,
	.error = sink_error,
	.warning = sink_warning,
	.file_done = sink_file_done,
	.file_facts = sink_file_facts,
};
