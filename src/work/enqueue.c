/* Filling the work queue: files an index lists (through the registry
 * sources in list mode) and files of a mirror on disk. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "work/work_int.h"

/* Items per transaction when adding a mirror. */
#define ADD_BATCH 1000

/* The keys of listed files, kept alive while their items are added. */
static char **listed_keys(const struct pl_listed_file *files, size_t n)
{
	char **keys = pl_xcalloc(n + 1, sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		keys[i] = files[i].sha256 && files[i].sha256[0]
				  ? pl_xasprintf("sha256:%s", files[i].sha256)
				  : pl_xstrdup(files[i].url);
	return keys;
}

static void item_from_listed(struct pl_work_item *it, const struct pl_listed_file *l, char *key,
			     int priority)
{
	*it = (struct pl_work_item){
		.key = key, .ecosystem = (char *)l->ecosystem, .project = (char *)l->project,
		.version = (char *)l->version, .filename = (char *)l->filename,
		.url = (char *)l->url, .sha256 = (char *)l->sha256,
		.integrity = (char *)(l->integrity ? l->integrity : l->sha1),
		.size = l->size, .upload_time = l->upload_time, .yanked = l->yanked,
		.priority = priority};
}

int pl_work_lister(void *ctx, struct pl_store *st, const struct pl_listed_file *files,
		   size_t n)
{
	struct pl_work_lister_ctx *c = ctx;
	if (!st)
		return pl_error_set(PL_EINVAL, "the work queue needs a store (--db)");
	char **keys = listed_keys(files, n);
	struct pl_work_item *items = pl_xcalloc(n + 1, sizeof(*items));
	for (size_t i = 0; i < n; i++)
		item_from_listed(&items[i], &files[i], keys[i], c->priority);
	uint64_t added = 0;
	int rc = pl_store_work_add(st, items, n, c->requeue, &added);
	if (rc == 0) {
		c->listed += n;
		c->added += added;
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(items);
	return rc;
}

/* ---- mirrors ---- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int add_paths(struct pl_store *st, char *const *paths, size_t n, int priority,
		     int requeue, uint64_t *added)
{
	struct pl_work_item *items = pl_xcalloc(n + 1, sizeof(*items));
	char **keys = pl_xcalloc(n + 1, sizeof(*keys));
	for (size_t i = 0; i < n; i++) {
		keys[i] = pl_xasprintf("file:%s", paths[i]);
		items[i] = (struct pl_work_item){
			.key = keys[i], .ecosystem = "", .project = "", .version = "",
			.filename = (char *)base_name(paths[i]), .path = paths[i], .size = -1,
			.upload_time = -1, .yanked = -1, .priority = priority};
	}
	uint64_t a = 0;
	int rc = pl_store_work_add(st, items, n, requeue, &a);
	*added += a;
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(items);
	return rc;
}

int pl_work_add_mirror(struct pl_store *st, const char *dir, int priority, int requeue,
		       uint64_t *listed, uint64_t *added)
{
	*listed = *added = 0;
	char real[PATH_MAX];
	if (!realpath(dir, real))
		return pl_error_set(PL_ENOTFOUND, "%s: %s", dir, strerror(errno));
	struct pl_mirror_list l;
	/* No store: files are not hashed here (workers do that as they scan). */
	int rc = pl_mirror_list(real, NULL, NULL, 1, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i += ADD_BATCH)
		rc = add_paths(st, l.paths + i, l.n - i < ADD_BATCH ? l.n - i : ADD_BATCH, priority,
			       requeue, added);
	*listed = l.n;
	pl_mirror_list_release(&l);
	return rc;
}
