/* The fetch pipeline: planner threads read indexes and add files; each
 * file is downloaded by the HTTP client into a spool and read by a scan
 * worker at the same time (pl_scan_streams), then verified.
 *
 * A spool is a file in the fetch's private directory, unlinked as soon as
 * it is open (unless --keep), that the client appends to and the scan reads
 * with pread: a read waits for bytes that have not arrived, a seek to the
 * end waits for the whole file (zip). Files alive at once (downloading,
 * waiting for a worker, being scanned) are capped at concurrency + jobs,
 * which bounds the disk and memory a fast index can make us use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "pkgleaks/store.h"
#include "source/fetch_int.h"
#include "source/npmrc.h"
#include "util/alloc.h"
#include "util/hex.h"

struct fetch_project {
	enum pl_ecosystem eco;
	char *name;
	int64_t serial;
	char *version, *error;
	int retry_later;
	char **urls; /* files handed to the scan: each must end up in the store */
	size_t nurls, capurls;
	uint64_t files, failed, skipped;
	unsigned pending; /* files not finished by the scan */
	int ended;
	struct pl_listed_file *listed; /* list mode: the files read (strings owned) */
	size_t nlisted, caplisted;
};

struct artifact {
	struct pl_fetch *f;
	struct fetch_project *p;
	struct pl_artifact_meta meta; /* strings owned (ecosystem is static); its url is
	                                 for display (no password), download is fetched */
	char *download;
	char *auth; /* Authorization for download (npm), wiped when freed; or NULL */
	struct pl_http_tls tls; /* npm's TLS settings for download (strings are the
	                           fetch's npm configuration's); zero for PyPI */
	char *integrity, *sha1;
	int64_t size;
	int fd;
	unsigned char *mem; /* a spool in memory, of memory bytes (the budget it holds) */
	uint64_t memory;
	char *path; /* the spool's name while it exists (--keep), else NULL */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t written;
	int complete;
	uint64_t want;         /* the reader waits until written reaches this
	                          (UINT64_MAX: no reader waits) */
	char *spool_error;     /* why the spool could not take the bytes */
	char *transport_error; /* the download failed: reads fail too */
	char *verify_error;    /* it arrived whole but is not what the index says */
	char sha256[65];
	EVP_MD_CTX *h256, *hx; /* SHA-256; SHA-512 or SHA-1 for npm */
	const EVP_MD *xmd;
	int64_t pos;           /* the scan's position */
	int refs;              /* the download and the scan */
	struct artifact *next; /* in the ready queue */
};

/* Files alive (downloading, or waiting for or in a scan) beyond the
 * downloads and workers there are, so that planners, woken only when this
 * many can be added (feed_done), never leave a worker without a file. */
#define FETCH_ROOM_SLACK 3

struct pl_fetch {
	struct pl_source_options o;
	struct pl_http *http;
	char *tmpdir;
	/* npm's configuration, read once when first needed (fetch_npm_config) */
	pthread_mutex_t npm_lock;
	struct npm_config *npm;
	int npm_loaded;
	_Atomic unsigned long seq;
	_Atomic uint64_t spool_memory; /* bytes of the spools held in memory */
	_Atomic uint64_t bytes_done;   /* bytes received into spools */
	/* the store: one connection, the sink's; the planners borrow it
	 * (pl_store_sink_lock), or take store_lock when there is no sink */
	struct pl_store *st;
	struct pl_store_sink *st_sink;
	char *ruleset;
	pthread_mutex_t store_lock;
	const char *queue;
	/* the feed */
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* a project ended, the planner stopped, dead */
	pthread_cond_t room;       /* a file stopped being alive (planners wait) */
	pthread_cond_t has_ready;  /* a file entered the ready queue (workers wait) */
	struct artifact *ready, *ready_tail;
	unsigned alive, max_alive;
	unsigned projects_open;
	int producing, dead;
	atomic_int stopping;
	struct pl_fetch_progress progress;
	void (*on_project)(void *ctx, const struct pl_project_result *r);
	void *on_project_ctx;
	/* list mode (pl_fetch_set_lister) */
	int (*lister)(void *ctx, struct pl_store *st, const struct pl_listed_file *files,
		      size_t n);
	void *lister_ctx;
};

const char *pl_ecosystem_name(enum pl_ecosystem e)
{
	return e == PL_ECO_NPM ? "npm" : "pypi";
}

void pl_source_options_default(struct pl_source_options *o)
{
	*o = (struct pl_source_options){
		.index_url = PL_PYPI_DEFAULT_URL, .concurrency = 4, .retries = 4, .backoff = 1,
		.timeout = 30, .max_retry_after = 300, .max_file_bytes = 2ull << 30,
		.max_index_bytes = 256ull << 20, .since = -1};
}

struct pl_http *fetch_http(struct pl_fetch *f)
{
	return f->http;
}

const struct npm_config *fetch_npm_config(struct pl_fetch *f)
{
	pthread_mutex_lock(&f->npm_lock);
	if (!f->npm_loaded) {
		f->npm_loaded = 1;
		if (npm_config_load(&f->npm) < 0)
			fprintf(stderr, "pkgleaks: warning: npm configuration: %s\n",
				pl_error_message());
	}
	pthread_mutex_unlock(&f->npm_lock);
	return f->npm;
}

const struct pl_source_options *fetch_options(const struct pl_fetch *f)
{
	return &f->o;
}

int fetch_stopping(const struct pl_fetch *f)
{
	return atomic_load(&((struct pl_fetch *)f)->stopping);
}

void pl_fetch_stop(struct pl_fetch *f)
{
	atomic_store(&f->stopping, 1);
}

struct pl_store *fetch_store_lock(struct pl_fetch *f)
{
	if (f->st_sink)
		return pl_store_sink_lock(f->st_sink);
	pthread_mutex_lock(&f->store_lock);
	return f->st;
}

void fetch_store_unlock(struct pl_fetch *f)
{
	if (f->st_sink)
		pl_store_sink_unlock(f->st_sink);
	else
		pthread_mutex_unlock(&f->store_lock);
}

void fetch_store_flush(struct pl_fetch *f)
{
	if (f->st_sink)
		(void)pl_store_sink_flush(f->st_sink); /* failures go to on_error */
}

void pl_fetch_progress(const struct pl_fetch *f, struct pl_fetch_progress *out)
{
	struct pl_fetch *m = (struct pl_fetch *)f;
	pthread_mutex_lock(&m->lock);
	*out = m->progress;
	pthread_mutex_unlock(&m->lock);
	out->bytes_done = atomic_load(&m->bytes_done);
}

void pl_fetch_set_lister(struct pl_fetch *f,
			 int (*fn)(void *ctx, struct pl_store *st,
				   const struct pl_listed_file *files, size_t n),
			 void *ctx)
{
	f->lister = fn;
	f->lister_ctx = ctx;
}

void pl_fetch_on_project(struct pl_fetch *f,
			 void (*fn)(void *ctx, const struct pl_project_result *r), void *ctx)
{
	f->on_project = fn;
	f->on_project_ctx = ctx;
}

/* ---- lifecycle ---- */

static char *make_tmpdir(const char *parent)
{
	if (!parent || !parent[0])
		parent = getenv("TMPDIR");
	if (!parent || !parent[0])
		parent = "/tmp";
	char *t = pl_xasprintf("%s/pkgleaks-fetch-XXXXXX", parent);
	if (!mkdtemp(t)) {
		pl_error_set(PL_EIO, "cannot create a temporary directory in %s: %s", parent,
			     strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

int pl_fetch_new(const struct pl_source_options *o, struct pl_fetch **out)
{
	*out = NULL;
	int lrc = pl_dl_crypto(); /* every download is hashed */
	if (lrc < 0)
		return lrc;
	struct pl_fetch *f = pl_xcalloc(1, sizeof(*f));
	f->o = *o;
	if (!f->o.index_url)
		f->o.index_url = PL_PYPI_DEFAULT_URL;
	if (!f->o.concurrency)
		f->o.concurrency = 4;
	if (f->o.keep_dir && mkdir(f->o.keep_dir, 0755) < 0 && errno != EEXIST) {
		int rc = pl_error_set(PL_EIO, "cannot create %s: %s", f->o.keep_dir,
				      strerror(errno));
		free(f);
		return rc;
	}
	struct pl_http_options ho;
	pl_http_options_default(&ho);
	ho.user_agent = "pkgleaks/" PKGLEAKS_VERSION " (+https://github.com/pkgleaks/pkgleaks)";
	ho.max_active = f->o.concurrency;
	ho.retries = f->o.retries;
	ho.backoff = f->o.backoff;
	ho.stall_timeout = f->o.timeout;
	ho.max_retry_after = f->o.max_retry_after;
	if (!(f->tmpdir = make_tmpdir(f->o.tmp_dir)) || pl_http_new(&ho, &f->http) < 0) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", pl_error_message());
		if (f->tmpdir)
			rmdir(f->tmpdir);
		free(f->tmpdir);
		free(f);
		return pl_error_set(PL_ERROR, "%s", msg);
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	pthread_cond_init(&f->room, NULL);
	pthread_cond_init(&f->has_ready, NULL);
	pthread_mutex_init(&f->store_lock, NULL);
	pthread_mutex_init(&f->npm_lock, NULL);
	*out = f;
	return 0;
}

/* Spools are unlinked when opened (or when a --keep one is moved or
 * fails), so the directory is normally empty; what is left goes too. */
static void remove_tmpdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			(void)unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	if (rmdir(dir) < 0)
		fprintf(stderr, "pkgleaks: warning: cannot remove %s: %s\n", dir, strerror(errno));
}

void pl_fetch_free(struct pl_fetch *f)
{
	if (!f)
		return;
	pl_http_free(f->http);
	remove_tmpdir(f->tmpdir);
	free(f->tmpdir);
	free(f->ruleset);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	pthread_cond_destroy(&f->room);
	pthread_cond_destroy(&f->has_ready);
	pthread_mutex_destroy(&f->store_lock);
	pthread_mutex_destroy(&f->npm_lock);
	npm_config_free(f->npm);
	free(f);
}

void pl_fetch_set_store(struct pl_fetch *f, struct pl_store *st, const char *ruleset_version,
			struct pl_store_sink *sink)
{
	f->st = st;
	f->st_sink = sink;
	free(f->ruleset);
	f->ruleset = pl_xstrdup(ruleset_version ? ruleset_version : "");
}

/* ---- the spool ---- */

/* A file name safe to create: the index's base name with anything odd
 * replaced. */
static char *safe_name(const char *name)
{
	const char *base = strrchr(name, '/');
	char *s = pl_xstrdup(base ? base + 1 : name);
	for (char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_' || *c == '+'))
			*c = '_';
	if (!s[0] || s[0] == '.')
		s[0] = '_';
	return s;
}

/* Where a spool goes: a small file of known size lives in memory (no
 * system call, no file system work, no name anywhere), within a budget for
 * all spools at once; a bigger one, one of unknown size, or one to keep is
 * a file in the private directory. */
#define SPOOL_MEMORY_MAX (64ull << 20)
#define SPOOL_MEMORY_BUDGET (256ull << 20)

static int spool_in_memory(struct artifact *a, int64_t total)
{
	struct pl_fetch *f = a->f;
	if (f->o.keep_dir || total < 0 || (uint64_t)total > SPOOL_MEMORY_MAX)
		return 0;
	if (atomic_fetch_add(&f->spool_memory, (uint64_t)total) + (uint64_t)total >
	    SPOOL_MEMORY_BUDGET) {
		atomic_fetch_sub(&f->spool_memory, (uint64_t)total);
		return 0;
	}
	a->memory = (uint64_t)total;
	a->mem = pl_xmalloc(a->memory ? a->memory : 1);
	return 1;
}

static int spool_open(struct artifact *a, int64_t total)
{
	struct pl_fetch *f = a->f;
	if (spool_in_memory(a, total))
		return 0;
	char *safe = safe_name(a->meta.filename);
	char *path = pl_xasprintf("%s/%lu-%s", f->tmpdir, atomic_fetch_add(&f->seq, 1), safe);
	free(safe);
	a->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		int rc = pl_error_set(PL_EIO, "cannot create a spool file in %s: %s", f->tmpdir,
				      strerror(errno));
		free(path);
		return rc;
	}
	if (f->o.keep_dir)
		a->path = path;
	else {
		unlink(path);
		free(path);
	}
	return 0;
}

static EVP_MD_CTX *digest_new(const EVP_MD *md)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, md, NULL) != 1) {
		fprintf(stderr, "pkgleaks: cannot initialise a digest\n");
		abort();
	}
	return c;
}

/* The spool is made when the first bytes come, when their total is known. */
static int spool_data(void *ctx, const void *buf, size_t n, int64_t total)
{
	struct artifact *a = ctx;
	const char *p = buf;
	if (a->fd < 0 && !a->mem && spool_open(a, total) < 0) {
		a->spool_error = pl_xstrdup(pl_error_message());
		return -1;
	}
	if (a->mem && a->written + n > a->memory) {
		a->spool_error = pl_xstrdup("more bytes than the server announced");
		return -1;
	}
	if (a->mem) /* the reader only reads below written: no lock needed to fill */
		memcpy(a->mem + a->written, buf, n);
	for (size_t done = 0; !a->mem && done < n;) {
		ssize_t w = pwrite(a->fd, p + done, n - done, (off_t)(a->written + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			a->spool_error = pl_xasprintf("writing the spool: %s",
						      w < 0 ? strerror(errno) : "no space");
			return -1;
		}
		done += (size_t)w;
	}
	EVP_DigestUpdate(a->h256, buf, n);
	if (a->hx)
		EVP_DigestUpdate(a->hx, buf, n);
	pthread_mutex_lock(&a->lock);
	a->written += n;
	if (a->written >= a->want) /* wake the reader only when it has what it asked */
		pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	atomic_fetch_add(&a->f->bytes_done, n);
	return 0;
}

/* What the index promised against what arrived; NULL when they agree. */
static char *verify(struct artifact *a)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_DigestFinal_ex(a->h256, md, &n);
	pl_hex_encode(md, n, a->sha256);
	if (a->meta.sha256 && strcasecmp(a->meta.sha256, a->sha256) != 0)
		return pl_xasprintf("sha256 mismatch: the index says %s, the download is %s",
				    a->meta.sha256, a->sha256);
	if (!a->hx)
		return NULL;
	EVP_DigestFinal_ex(a->hx, md, &n);
	if (a->integrity) {
		unsigned char b64[2 * EVP_MAX_MD_SIZE];
		EVP_EncodeBlock(b64, md, (int)n);
		const char *want = a->integrity + 7; /* after "sha512-" */
		if (strcmp(want, (const char *)b64) != 0)
			return pl_xasprintf("integrity mismatch: the registry says sha512-%s, the "
					    "download is sha512-%s", want, (const char *)b64);
		return NULL;
	}
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	pl_hex_encode(md, n, hex);
	if (strcasecmp(a->sha1, hex) != 0)
		return pl_xasprintf("sha1 mismatch: the registry says %s, the download is %s",
				    a->sha1, hex);
	return NULL;
}

/* A verified download kept under --keep. */
static void keep(struct artifact *a)
{
	char *safe = safe_name(a->meta.filename);
	char *dest = pl_xasprintf("%s/%s", a->f->o.keep_dir, safe);
	free(safe);
	if (rename(a->path, dest) == 0) {
		free(a->path);
		a->path = NULL;
	} else {
		fprintf(stderr, "pkgleaks: warning: cannot keep %s: %s\n", dest, strerror(errno));
	}
	free(dest);
}

static void artifact_release(struct artifact *a);

static void spool_done(void *ctx, const char *error, const struct pl_http_info *info)
{
	struct artifact *a = ctx;
	(void)info;
	char *transport = error ? pl_xasprintf("download failed: %s",
					       a->spool_error ? a->spool_error : error)
				: NULL;
	char *bad = error ? NULL : verify(a);
	if (a->path && !transport && !bad)
		keep(a);
	pthread_mutex_lock(&a->lock);
	a->transport_error = transport;
	a->verify_error = bad;
	a->complete = 1;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	artifact_release(a);
}

/* ---- the scan's side of a spool ---- */

static ssize_t spool_read(void *ctx, void *buf, size_t n)
{
	struct artifact *a = ctx;
	pthread_mutex_lock(&a->lock);
	a->want = (uint64_t)a->pos + n;
	while (a->written < a->want && !a->complete)
		pthread_cond_wait(&a->cond, &a->lock);
	a->want = UINT64_MAX;
	uint64_t avail = (uint64_t)a->pos < a->written ? a->written - (uint64_t)a->pos : 0;
	const char *err = a->transport_error;
	pthread_mutex_unlock(&a->lock);
	if (!avail) {
		if (err)
			return pl_error_set(PL_EIO, "%s", err);
		return 0;
	}
	ssize_t r;
	if (a->mem) {
		r = (ssize_t)(n < avail ? n : avail);
		memcpy(buf, a->mem + a->pos, (size_t)r);
	} else {
		do
			r = pread(a->fd, buf, n < avail ? n : (size_t)avail, a->pos);
		while (r < 0 && errno == EINTR);
	}
	if (r < 0)
		return pl_error_set(PL_EIO, "reading the spool: %s", strerror(errno));
	a->pos += r;
	return r;
}

static void wait_complete(struct artifact *a)
{
	pthread_mutex_lock(&a->lock);
	while (!a->complete)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

static int64_t spool_seek(void *ctx, int64_t off, int whence)
{
	struct artifact *a = ctx;
	if (whence == SEEK_END) {
		wait_complete(a);
		if (a->transport_error)
			return pl_error_set(PL_EIO, "%s", a->transport_error);
		a->pos = (int64_t)a->written + off;
	} else {
		a->pos = whence == SEEK_SET ? off : a->pos + off;
	}
	return a->pos < 0 ? -1 : a->pos;
}

static const char *spool_finish(void *ctx, uint64_t *size, char sha256[65])
{
	struct artifact *a = ctx;
	wait_complete(a);
	*size = a->written;
	if (a->sha256[0])
		memcpy(sha256, a->sha256, 65);
	return a->transport_error ? a->transport_error : a->verify_error;
}

/* ---- artifacts ---- */

static void artifact_free(struct artifact *a)
{
	if (a->fd >= 0)
		close(a->fd);
	atomic_fetch_sub(&a->f->spool_memory, a->memory);
	free(a->mem);
	if (a->path) /* a --keep spool that did not verify */
		unlink(a->path);
	free(a->path);
	free((char *)a->meta.project);
	free((char *)a->meta.version);
	free((char *)a->meta.filename);
	free((char *)a->meta.url);
	free(a->download);
	npm_auth_free(a->auth);
	free((char *)a->meta.sha256);
	free(a->integrity);
	free(a->sha1);
	free(a->spool_error);
	free(a->transport_error);
	free(a->verify_error);
	EVP_MD_CTX_free(a->h256);
	EVP_MD_CTX_free(a->hx);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}

static void artifact_release(struct artifact *a)
{
	pthread_mutex_lock(&a->lock);
	int last = --a->refs == 0;
	pthread_mutex_unlock(&a->lock);
	if (last)
		artifact_free(a);
}

static char *dup_or_null(const char *s)
{
	return s && s[0] ? pl_xstrdup(s) : NULL;
}

static struct artifact *artifact_new(struct pl_fetch *f, struct fetch_project *p,
				     const struct fetch_file *ff)
{
	struct artifact *a = pl_xcalloc(1, sizeof(*a));
	a->f = f;
	a->p = p;
	a->fd = -1;
	a->refs = 2;
	a->want = UINT64_MAX;
	a->size = ff->size;
	a->download = pl_xstrdup(ff->url);
	if (p->eco == PL_ECO_NPM) {
		const char *reg = ff->registry ? ff->registry : f->o.registry_url;
		a->auth = npm_config_auth(fetch_npm_config(f), ff->url, reg);
		npm_config_tls(fetch_npm_config(f), ff->url, reg, &a->tls);
	}
	a->meta = (struct pl_artifact_meta){
		.ecosystem = pl_ecosystem_name(p->eco),
		.project = pl_xstrdup(ff->project && ff->project[0] ? ff->project : p->name),
		.version = pl_xstrdup(ff->version ? ff->version : ""),
		.filename = pl_xstrdup(ff->filename), .url = pl_http_display_url(ff->url),
		.sha256 = dup_or_null(ff->sha256), .upload_time = ff->upload_time,
		.yanked = ff->yanked};
	if (ff->integrity && strncmp(ff->integrity, "sha512-", 7) == 0) {
		a->integrity = pl_xstrdup(ff->integrity);
		a->xmd = EVP_sha512();
	} else if (ff->sha1 && strlen(ff->sha1) == 40) {
		a->sha1 = pl_xstrdup(ff->sha1);
		a->xmd = EVP_sha1();
	}
	a->h256 = digest_new(EVP_sha256());
	a->hx = a->xmd ? digest_new(a->xmd) : NULL;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	return a;
}

/* Starts the download; the spool is made by its first bytes. */
static void artifact_start(struct pl_fetch *f, struct artifact *a)
{
	struct pl_http_request rq = {.url = a->download, .max_bytes = f->o.max_file_bytes,
				     .auth = a->auth, .tls = &a->tls};
	struct pl_http_sink s = {spool_data, spool_done, a};
	pl_http_stream(f->http, &rq, &s);
}

/* ---- projects ---- */

struct fetch_project *fetch_project_begin(struct pl_fetch *f, enum pl_ecosystem eco,
					  const char *name, int64_t serial)
{
	struct fetch_project *p = pl_xcalloc(1, sizeof(*p));
	p->eco = eco;
	p->name = pl_xstrdup(name);
	p->serial = serial;
	pthread_mutex_lock(&f->lock);
	f->projects_open++;
	pthread_mutex_unlock(&f->lock);
	return p;
}

static int already_stored(struct pl_fetch *f, const struct fetch_file *ff)
{
	if (f->o.rescan)
		return 0;
	char *shown = pl_http_display_url(ff->url);
	int known;
	if (f->st_sink) { /* without writing the sink's batch */
		known = pl_store_sink_known(f->st_sink, ff->sha256, shown);
	} else {
		struct pl_store *st = fetch_store_lock(f);
		known = st ? pl_store_artifact_known(st, ff->sha256, shown, f->ruleset) : 0;
		fetch_store_unlock(f);
	}
	free(shown);
	return known == 1;
}

/* List mode: the file is kept for the lister (one planner thread reads a
 * project, so p needs no lock). */
static int list_file(struct pl_fetch *f, struct fetch_project *p, const struct fetch_file *ff)
{
	PL_GROW(p->listed, p->caplisted, p->nlisted + 1);
	p->listed[p->nlisted++] = (struct pl_listed_file){
		.ecosystem = pl_ecosystem_name(p->eco),
		.project = pl_xstrdup(ff->project && ff->project[0] ? ff->project : p->name),
		.version = pl_xstrdup(ff->version ? ff->version : ""),
		.filename = pl_xstrdup(ff->filename), .url = pl_xstrdup(ff->url),
		.sha256 = dup_or_null(ff->sha256), .integrity = dup_or_null(ff->integrity),
		.sha1 = dup_or_null(ff->sha1), .upload_time = ff->upload_time, .size = ff->size,
		.yanked = ff->yanked};
	pthread_mutex_lock(&f->lock);
	p->files++;
	f->progress.files++;
	f->progress.files_done++;
	f->progress.bytes_expected += ff->size > 0 ? (uint64_t)ff->size : 0;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void listed_free(struct fetch_project *p)
{
	for (size_t i = 0; i < p->nlisted; i++) {
		struct pl_listed_file *l = &p->listed[i];
		free((char *)l->project);
		free((char *)l->version);
		free((char *)l->filename);
		free((char *)l->url);
		free((char *)l->sha256);
		free((char *)l->integrity);
		free((char *)l->sha1);
	}
	free(p->listed);
}

int fetch_project_add(struct pl_fetch *f, struct fetch_project *p, const struct fetch_file *ff)
{
	if (already_stored(f, ff)) {
		pthread_mutex_lock(&f->lock);
		p->skipped++;
		f->progress.files_skipped++;
		pthread_mutex_unlock(&f->lock);
		return 1;
	}
	if (f->lister)
		return list_file(f, p, ff);
	pthread_mutex_lock(&f->lock);
	while (f->alive >= f->max_alive && !f->dead)
		pthread_cond_wait(&f->room, &f->lock);
	if (f->dead) {
		pthread_mutex_unlock(&f->lock);
		return pl_error_set(PL_ERROR, "the scan has stopped");
	}
	f->alive++;
	p->pending++;
	f->progress.files++;
	f->progress.bytes_expected += ff->size > 0 ? (uint64_t)ff->size : 0;
	PL_GROW(p->urls, p->capurls, p->nurls + 1);
	p->urls[p->nurls++] = pl_http_display_url(ff->url);
	pthread_mutex_unlock(&f->lock);
	struct artifact *a = artifact_new(f, p, ff);
	artifact_start(f, a);
	pthread_mutex_lock(&f->lock);
	if (f->ready_tail)
		f->ready_tail->next = a;
	else
		f->ready = a;
	f->ready_tail = a;
	pthread_mutex_unlock(&f->lock);
	/* One file, one worker: waking every thread for each file (planners
	 * waiting for room too) cost more than the download's own work. After
	 * the unlock, so that the woken worker does not block on the lock. */
	pthread_cond_signal(&f->has_ready);
	return 0;
}

static void project_free(struct fetch_project *p)
{
	listed_free(p);
	for (size_t i = 0; i < p->nurls; i++)
		free(p->urls[i]);
	free(p->urls);
	free(p->name);
	free(p->version);
	free(p->error);
	free(p);
}

/* Every file handed to the scan must be in the store (any status): a
 * write that failed leaves the project in error, to be tried again. */
static char *check_recorded(struct pl_store *st, const struct fetch_project *p)
{
	size_t missing = 0;
	for (size_t i = 0; i < p->nurls; i++)
		missing += pl_store_artifact_known(st, NULL, p->urls[i], NULL) != 1;
	return missing ? pl_xasprintf("%zu file%s could not be recorded in the store", missing,
				      missing == 1 ? "" : "s")
		       : NULL;
}

/* In the queue, a project with files that failed is in error too, so that
 * --retry-errors goes back for them (its stored files are skipped). */
static void queue_finish(struct pl_fetch *f, struct pl_store *st, const struct fetch_project *p,
			 const char *err)
{
	char *failed = !err && p->failed ? pl_xasprintf("%llu of %llu files could not be fetched "
							"whole and verified",
							(unsigned long long)p->failed,
							(unsigned long long)p->files)
					 : NULL;
	if (pl_store_queue_finish(st, f->queue, pl_ecosystem_name(p->eco), p->name, p->serial,
				  err ? err : failed) < 0)
		fprintf(stderr, "pkgleaks: error: store: %s\n", pl_error_message());
	free(failed);
}

static void project_complete(struct pl_fetch *f, struct fetch_project *p)
{
	struct pl_store *st = fetch_store_lock(f);
	char *err = p->error ? pl_xstrdup(p->error) : NULL;
	if (!err && f->lister && p->nlisted && !p->retry_later &&
	    f->lister(f->lister_ctx, st, p->listed, p->nlisted) < 0)
		err = pl_xasprintf("%s", pl_error_message());
	if (st && !err)
		err = check_recorded(st, p);
	if (st && f->queue && !p->retry_later)
		queue_finish(f, st, p, err);
	fetch_store_unlock(f);
	struct pl_project_result r = {pl_ecosystem_name(p->eco), p->name,
				      p->version ? p->version : "", err, p->files, p->failed,
				      p->skipped};
	if (f->on_project)
		f->on_project(f->on_project_ctx, &r);
	free(err);
	pthread_mutex_lock(&f->lock);
	f->progress.projects_done++;
	f->projects_open--;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	project_free(p);
}

void fetch_project_end(struct pl_fetch *f, struct fetch_project *p, const char *version,
		       const char *error, int retry_later)
{
	pthread_mutex_lock(&f->lock);
	p->version = pl_xstrdup(version ? version : "");
	p->error = error ? pl_xstrdup(error) : NULL;
	p->retry_later = retry_later;
	p->ended = 1;
	int complete = p->pending == 0;
	pthread_mutex_unlock(&f->lock);
	if (complete)
		project_complete(f, p);
}

/* ---- the feed the scan reads ---- */

static int spool_complete(struct artifact *a)
{
	pthread_mutex_lock(&a->lock);
	int complete = a->complete;
	pthread_mutex_unlock(&a->lock);
	return complete;
}

/* The oldest ready file whose download is over, else the oldest: a worker
 * that takes a file still arriving waits for its bytes while one that has
 * arrived waits behind it (the queue holds at most max_alive files). */
static struct artifact *ready_take(struct pl_fetch *f)
{
	struct artifact **pick = &f->ready, *before = NULL;
	for (struct artifact **pp = &f->ready, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next)
		if (spool_complete(*pp)) {
			pick = pp;
			before = prev;
			break;
		}
	struct artifact *a = *pick;
	if (!a)
		return NULL;
	*pick = a->next;
	if (f->ready_tail == a)
		f->ready_tail = before;
	a->next = NULL;
	return a;
}

static int feed_next(void *ctx, struct pl_scan_input *in)
{
	struct pl_fetch *f = ctx;
	pthread_mutex_lock(&f->lock);
	while (!f->ready && f->producing)
		pthread_cond_wait(&f->has_ready, &f->lock);
	struct artifact *a = ready_take(f);
	pthread_mutex_unlock(&f->lock);
	if (!a)
		return 0;
	*in = (struct pl_scan_input){.name = a->meta.url, .read = spool_read, .seek = spool_seek,
				     .finish = spool_finish, .ctx = a, .meta = &a->meta};
	return 1;
}

static void feed_done(void *ctx, struct pl_scan_input *in, const struct pl_file_facts *facts)
{
	struct pl_fetch *f = ctx;
	struct artifact *a = in->ctx;
	struct fetch_project *p = a->p;
	pthread_mutex_lock(&f->lock);
	p->files++;
	p->failed += facts->fetch_failed != 0;
	f->progress.files_done++;
	f->progress.files_failed += facts->fetch_failed != 0;
	f->progress.bytes_expected_done += a->size > 0 ? (uint64_t)a->size : 0;
	int complete = --p->pending == 0 && p->ended;
	f->alive--;
	/* A planner woken for every file that ends (and the worker it then
	 * preempts) was most of a crawl's 3,600 context switches: one is woken
	 * when FETCH_ROOM_SLACK + 1 files can be added at once. */
	int wake = f->alive + FETCH_ROOM_SLACK < f->max_alive;
	pthread_mutex_unlock(&f->lock);
	if (wake)
		pthread_cond_signal(&f->room);
	artifact_release(a);
	if (complete)
		project_complete(f, p);
}

/* ---- running ---- */

struct planner_run {
	struct pl_fetch *f;
	int (*planner)(struct pl_fetch *f, void *arg);
	void *arg;
	int rc;
	char msg[1024];
};

static void *planner_main(void *arg)
{
	struct planner_run *pr = arg;
	pr->rc = pr->planner(pr->f, pr->arg);
	if (pr->rc < 0)
		snprintf(pr->msg, sizeof(pr->msg), "%s", pl_error_message());
	pthread_mutex_lock(&pr->f->lock);
	pr->f->producing = 0;
	pthread_cond_broadcast(&pr->f->cond);
	pthread_cond_broadcast(&pr->f->has_ready);
	pthread_mutex_unlock(&pr->f->lock);
	return NULL;
}

static unsigned cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int fetch_run(struct pl_fetch *f, const char *queue, int (*planner)(struct pl_fetch *f, void *arg),
	      void *arg, const struct pl_ruleset *rs, const struct pl_scan_options *opt,
	      const struct pl_sink_ops *sink, void *sink_ctx)
{
	struct planner_run pr = {f, planner, arg, 0, ""};
	f->queue = queue;
	f->max_alive = f->o.concurrency + (opt->jobs ? opt->jobs : cores()) + FETCH_ROOM_SLACK;
	f->producing = 1;
	f->dead = 0;
	pthread_t t;
	if (pthread_create(&t, NULL, planner_main, &pr) != 0)
		return pl_error_set(PL_ERROR, "cannot start the planner thread");
	struct pl_scan_feed feed = {feed_next, feed_done, f};
	int rc = pl_scan_streams(rs, opt, &feed, sink, sink_ctx);
	if (rc < 0) {
		/* No worker reads any more: release whoever waits for room. */
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", pl_error_message());
		pl_fetch_stop(f);
		pthread_mutex_lock(&f->lock);
		f->dead = 1;
		pthread_cond_broadcast(&f->cond);
		pthread_cond_broadcast(&f->room);
		pthread_mutex_unlock(&f->lock);
		pthread_join(t, NULL);
		return pl_error_set(rc, "%s", msg);
	}
	pthread_join(t, NULL);
	return pr.rc < 0 ? pl_error_set(pr.rc, "%s", pr.msg) : 0;
}

/* ---- planner helpers ---- */

struct items_run {
	struct pl_fetch *f;
	enum pl_ecosystem eco;
	const struct fetch_item *items;
	size_t n;
	_Atomic size_t next, read;
};

static void *items_worker(void *arg)
{
	struct items_run *ir = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&ir->next, 1);
		if (i >= ir->n || fetch_stopping(ir->f))
			break;
		if (ir->eco == PL_ECO_NPM)
			pl_npm_project(ir->f, &ir->items[i]);
		else
			pl_pypi_project(ir->f, &ir->items[i]);
		atomic_fetch_add(&ir->read, 1);
	}
	return NULL;
}

void fetch_items(struct pl_fetch *f, enum pl_ecosystem eco, const struct fetch_item *items,
		 size_t n)
{
	struct items_run ir = {f, eco, items, n, 0, 0};
	pthread_mutex_lock(&f->lock);
	f->progress.projects += n;
	pthread_mutex_unlock(&f->lock);
	unsigned nt = f->o.concurrency < n ? f->o.concurrency : (unsigned)n;
	pthread_t *t = pl_xcalloc(nt + 1, sizeof(*t));
	unsigned started = 0;
	for (; started < nt; started++)
		if (pthread_create(&t[started], NULL, items_worker, &ir) != 0)
			break;
	if (!started)
		items_worker(&ir);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	/* Items not read because of a stop are no longer expected. */
	size_t read = atomic_load(&ir.read);
	if (read < n) {
		pthread_mutex_lock(&f->lock);
		f->progress.projects -= n - read;
		pthread_mutex_unlock(&f->lock);
	}
}

void fetch_wait_idle(struct pl_fetch *f)
{
	pthread_mutex_lock(&f->lock);
	while (f->projects_open && !f->dead)
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
}

void fetch_sleep(struct pl_fetch *f, double seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + seconds;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		double left = end - ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
		if (left <= 0 || fetch_stopping(f))
			return;
		double step = left < 0.2 ? left : 0.2;
		struct timespec d = {(time_t)step, (long)((step - (double)(time_t)step) * 1e9)};
		nanosleep(&d, NULL);
	}
}
