/* Shared by published.c (the driver and the rewriting sink), published_npm.c
 * and published_python.c; not public API (see pkgleaks/published.h). */
#ifndef PL_PUBLISHED_INT_H
#define PL_PUBLISHED_INT_H

#include <stddef.h>

#include "pkgleaks/published.h"

/* What npm would pack and what decides it (package.json, .npmignore). */
struct pl_npm_info {
	int found;           /* DIR has a package.json */
	char *summary;       /* one line for pl_published_describe (owned) */
	char **files;        /* paths npm packs, relative to DIR, sorted (owned) */
	size_t nfiles;
	int has_files_field; /* package.json has "files" */
	char **patterns;     /* its entries, as written (owned) */
	size_t npatterns;
	char *main;          /* package.json "main", or NULL (owned) */
	char **bins;         /* "bin" file(s) (owned) */
	size_t nbins;
	int has_npmignore, has_gitignore;
};

/* One MANIFEST.in line, parsed. */
struct pl_manifest_line {
	char *text;  /* the line as written, trimmed (owned) */
	char **words; /* the command (include, recursive-include, graft, ...) then
	                 its arguments (owned, NULL-terminated; at least one) */
};

/* The sdist a Python build writes and what decides its contents. */
struct pl_sdist_info {
	int found;           /* DIR has pyproject.toml or setup.py */
	char *summary;       /* one line for pl_published_describe (owned) */
	char *dist_dir;      /* temporary directory the sdist was built into (owned) */
	char **archives;     /* full paths of the built archives (owned) */
	size_t narchives;
	struct pl_manifest_line *manifest; /* MANIFEST.in, in order (owned) */
	size_t nmanifest, cap_manifest;
	int scm;             /* setuptools-scm: every file git tracks ships */
};

struct pl_published {
	char *dir;                   /* the project directory, no trailing '/' (owned) */
	char *tmp;                   /* our temporary directory or NULL (owned; removed) */
	struct pl_npm_info npm;
	struct pl_sdist_info sdist;
	char **inputs;               /* what to scan (owned) */
	size_t ninputs, cap_inputs;
	const struct pl_sink_ops *inner;
	void *inner_ctx;
};

/* "dir/rel", or rel when dir is "."; the caller frees. */
char *pl_published_join(const struct pl_published *p, const char *rel);
/* Takes ownership of path. */
void pl_published_add_input(struct pl_published *p, char *path);
/* Creates p->tmp on first use and returns it, or NULL with the error set. */
const char *pl_published_tmp(struct pl_published *p);
/* The program to run for "npm" or "python3": $PKGLEAKS_NPM / $PKGLEAKS_PYTHON
 * when set and not empty. */
const char *pl_published_tool(const char *name);

/* Lists what npm would pack; fills p->npm and adds the files as inputs. */
int pl_published_npm(struct pl_published *p);
char *pl_published_npm_reason(const struct pl_npm_info *n, const char *rel);
void pl_published_npm_release(struct pl_npm_info *n);

/* Builds the sdist in a copy of the project; fills p->sdist and adds the
 * archives as inputs. */
int pl_published_python(struct pl_published *p);
char *pl_published_python_reason(const struct pl_sdist_info *s, const char *rel);
/* Adds the commands of a MANIFEST.in text (NULL: none) to s->manifest. */
void pl_published_manifest_parse(struct pl_sdist_info *s, const char *text);
void pl_published_python_release(struct pl_sdist_info *s);

/* True when pattern (a glob, '*' not crossing '/') matches rel or one of
 * the directories that contain it (npm "files" and MANIFEST.in graft). */
int pl_published_glob_dir(const char *pattern, const char *rel);
/* True when pattern matches a trailing part of rel that starts at a path
 * component: "*.cfg" matches "a/b.cfg" (MANIFEST.in global-include). */
int pl_published_glob_tail(const char *pattern, const char *rel);

#endif
