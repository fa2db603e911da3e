/* Local mirrors: the package files of a tree, minus those the store holds.
 * A bandersnatch mirror keeps files under web/packages/xx/yy/<hash>/ (its
 * web/simple and web/json are index pages, and *.metadata files beside
 * wheels are PEP 658 copies of their METADATA): only web/packages is read.
 * Project and version come from the files themselves, as for `scan`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "pkgleaks/source.h"
#include "pkgleaks/store.h"
#include "util/alloc.h"

/* Directory trees deeper than this are a loop or an attack. */
#define MIRROR_MAX_DEPTH 64

struct mirror_walk {
	struct pl_store *st;
	const char *ruleset;
	int rescan, bandersnatch;
	struct pl_mirror_list *out;
	size_t cap;
	unsigned char buf[1 << 16];
};

static int file_sha256(struct mirror_walk *w, const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pl_error_set(PL_EIO, "%s: %s", path, strerror(errno));
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "pkgleaks: cannot initialise SHA-256\n");
		abort();
	}
	ssize_t r;
	while ((r = read(fd, w->buf, sizeof(w->buf))) > 0)
		EVP_DigestUpdate(c, w->buf, (size_t)r);
	int err = r < 0 ? errno : 0;
	close(fd);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_DigestFinal_ex(c, md, &n);
	EVP_MD_CTX_free(c);
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return err ? pl_error_set(PL_EIO, "%s: %s", path, strerror(err)) : 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n > k && strcmp(s + n - k, suf) == 0;
}

/* A file to scan unless the store holds it (an unreadable one is listed:
 * the scan then reports why). */
static void consider(struct mirror_walk *w, const char *path, const struct stat *st)
{
	if (w->bandersnatch && has_suffix(path, ".metadata"))
		return;
	char sha[65] = "";
	if (w->st && !w->rescan && file_sha256(w, path, sha) == 0 &&
	    pl_store_artifact_known(w->st, sha, NULL, w->ruleset) == 1) {
		w->out->skipped++;
		return;
	}
	PL_GROW(w->out->paths, w->cap, w->out->n + 1);
	w->out->paths[w->out->n++] = pl_xstrdup(path);
	w->out->bytes += (uint64_t)st->st_size;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct mirror_walk *w, const char *dir, unsigned depth)
{
	DIR *d = depth > MIRROR_MAX_DEPTH ? NULL : opendir(dir);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			PL_GROW(names, cap, n + 1);
			names[n++] = pl_xstrdup(e->d_name);
		}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char *path = pl_xasprintf("%s/%s", dir, names[i]);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			walk(w, path, depth + 1);
		else if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			consider(w, path, &st);
		free(path);
		free(names[i]);
	}
	free(names);
}

int pl_mirror_list(const char *dir, struct pl_store *st, const char *ruleset_version, int rescan,
		   struct pl_mirror_list *out)
{
	*out = (struct pl_mirror_list){0};
	struct stat sb;
	if (stat(dir, &sb) < 0)
		return pl_error_set(PL_ENOTFOUND, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return pl_error_set(PL_EINVAL, "%s: not a directory", dir);
	int lrc = st && !rescan ? pl_dl_crypto() : 0; /* files are looked up by SHA-256 */
	if (lrc < 0)
		return lrc;
	struct mirror_walk *w = pl_xcalloc(1, sizeof(*w));
	*w = (struct mirror_walk){
		.st = st, .ruleset = ruleset_version, .rescan = rescan, .out = out};
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	char *top = pl_xstrndup(dir, n);
	char *root = pl_xasprintf("%s/web/packages", top);
	w->bandersnatch = stat(root, &sb) == 0 && S_ISDIR(sb.st_mode);
	walk(w, w->bandersnatch ? root : top, 0);
	free(root);
	free(top);
	free(w);
	return 0;
}

void pl_mirror_list_release(struct pl_mirror_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	*l = (struct pl_mirror_list){0};
}
