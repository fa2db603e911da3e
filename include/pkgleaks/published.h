/* What a project would publish: `pkgleaks scan --as-published DIR`.
 *
 * Given a project directory, finds what its packaging would ship and why:
 *  - npm (package.json): the exact file list of `npm pack --dry-run --json
 *    --ignore-scripts`, run in DIR (which it does not modify); those files
 *    are scanned in place, as if they were the tarball.
 *  - Python (pyproject.toml or setup.py): the sdist, built in a temporary
 *    copy of DIR with `python3 -m build --sdist --no-isolation` when the
 *    `build` module is installed, else `python3 setup.py sdist`; the built
 *    archive is scanned.
 * A project with both is published both ways, and both are scanned.
 *
 * Findings then go through pl_published_sink, which names the project file
 * (DIR/conf/settings.cfg rather than the temporary archive) and adds the
 * detail `published_because`: why packaging ships that file
 * ("MANIFEST.in: include conf/settings.cfg", "package.json has no files field and
 * no .npmignore: every file not ignored by default ships").
 *
 * Helper programs can be overridden with PKGLEAKS_NPM and PKGLEAKS_PYTHON. */
#ifndef PKGLEAKS_PUBLISHED_H
#define PKGLEAKS_PUBLISHED_H

#include <stddef.h>
#include <stdio.h>

#include "pkgleaks/scan.h"

struct pl_published;

/* Inspects dir and runs the packaging tools. PL_ENOTFOUND when dir is not a
 * project (no package.json, pyproject.toml nor setup.py) or a tool is
 * missing, PL_ERROR when packaging fails; the message says which and what to
 * install. On success *out is owned by the caller. */
int pl_published_open(const char *dir, struct pl_published **out);

/* Removes the temporary copy and archives, and frees p. NULL is allowed. */
void pl_published_free(struct pl_published *p);

/* The files and archives to scan, valid until pl_published_free. */
const char *const *pl_published_inputs(const struct pl_published *p, size_t *n);

/* Writes what was built or listed, one "note:" line per packaging, to out. */
void pl_published_describe(const struct pl_published *p, FILE *out);

/* Why packaging ships rel (a path relative to the project directory); kind
 * is "npm" or "sdist". A new string the caller frees; never NULL. */
char *pl_published_reason(const struct pl_published *p, const char *kind, const char *rel);

/* Sets the sink everything is forwarded to, after rewriting: the context of
 * pl_published_sink is then p. */
void pl_published_set_sink(struct pl_published *p, const struct pl_sink_ops *inner, void *ctx);
extern const struct pl_sink_ops pl_published_sink;

#endif
