/* Archive traversal with libarchive: streamed, nested, bounded. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "walk/walk.h"

/* Bytes read to sniff a blob; also the first chunk handed to the data callback. */
#define WALK_READ_SIZE (128 * 1024)
/* gzip layers in a row (a .gz of a .gz ...) before we stop peeling. */
#define WALK_MAX_FILTERS 4

double pl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

ssize_t pl_stream_read_full(struct pl_stream *s, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = s->read(s->ctx, (char *)buf + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int limit_hit(struct pl_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int limit_hit(struct pl_walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w->stopped = 1;
	vsnprintf(w->stop_reason, sizeof(w->stop_reason), fmt, ap);
	va_end(ap);
	return pl_error_set(PL_ELIMIT, "%s", w->stop_reason);
}

/* Reports a per-blob error once (a broken stream fails its entry, then the
 * archive around it, with the same message). */
static void report_error(struct pl_walk *w, const char *path, const char *reason)
{
	if (strcmp(w->last_error, reason) == 0)
		return;
	snprintf(w->last_error, sizeof(w->last_error), "%s", reason);
	w->ops->error(w->ctx, path, reason);
}

/* A read failed at path: a limit ends the whole file (reported once), any
 * other error ends only this blob. */
static int blob_failed(struct pl_walk *w, const char *path, const char *reason)
{
	if (w->stopped) {
		if (!w->stop_reported)
			w->ops->error(w->ctx, path, w->stop_reason);
		w->stop_reported = 1;
		return PL_ELIMIT;
	}
	report_error(w, path, reason);
	return 0;
}

int pl_walk_account(struct pl_walk *w, size_t produced)
{
	const struct pl_limits *l = w->limits;
	w->produced += produced;
	if (w->stopped)
		return pl_error_set(PL_ELIMIT, "scan of this file was stopped by a limit");
	if (w->produced > l->max_archive_bytes)
		return limit_hit(w, "more than %llu uncompressed bytes (--max-archive-bytes)",
				 (unsigned long long)l->max_archive_bytes);
	double src = w->source_bytes ? (double)w->source_bytes : 1.0;
	if (w->produced > l->ratio_floor && (double)w->produced / src > l->max_ratio)
		return limit_hit(w,
				 "compression ratio above %.0f (%.0f bytes from a smaller input): "
				 "likely a decompression bomb (--max-ratio)",
				 l->max_ratio, (double)w->produced);
	if (pl_now() > w->deadline)
		return limit_hit(w, "took longer than %.0f s (--max-seconds)", l->max_seconds);
	return 0;
}

/* ---- libarchive glue ---- */

/* Feeds libarchive from a parent stream, serving the sniffed head first. */
struct archive_src {
	struct pl_stream *in;
	const unsigned char *head;
	size_t headlen;
	unsigned char *buf;
	int64_t pos; /* for seekable inputs */
};

static la_ssize_t src_read(struct archive *a, void *ctx, const void **out)
{
	struct archive_src *s = ctx;
	if (s->headlen) {
		*out = s->head;
		size_t n = s->headlen;
		s->headlen = 0;
		return (la_ssize_t)n;
	}
	ssize_t n = s->in->read(s->in->ctx, s->buf, WALK_READ_SIZE);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", pl_error_message());
		return -1;
	}
	*out = s->buf;
	return (la_ssize_t)n;
}

static la_int64_t src_seek(struct archive *a, void *ctx, la_int64_t off, int whence)
{
	(void)a;
	struct archive_src *s = ctx;
	s->headlen = 0; /* the stream position is authoritative once we seek */
	return s->in->seek(s->in->ctx, off, whence);
}

static la_int64_t src_skip(struct archive *a, void *ctx, la_int64_t request)
{
	struct archive_src *s = ctx;
	if (!s->in->seek)
		return 0; /* libarchive then reads and discards */
	int64_t cur = s->in->seek(s->in->ctx, 0, SEEK_CUR);
	int64_t end = s->in->seek(s->in->ctx, request, SEEK_CUR);
	(void)a;
	if (cur < 0 || end < 0)
		return 0;
	s->headlen = 0;
	return end - cur;
}

/* An entry's data as a stream, bounded by --max-entry-bytes. */
struct entry_src {
	struct pl_walk *w;
	struct archive *a;
	uint64_t read;
	int truncated;
};

static ssize_t entry_read(void *ctx, void *buf, size_t n)
{
	struct entry_src *e = ctx;
	uint64_t cap = e->w->limits->max_entry_bytes;
	if (e->read >= cap) {
		char probe;
		if (archive_read_data(e->a, &probe, 1) > 0)
			e->truncated = 1;
		return 0;
	}
	if (n > cap - e->read)
		n = (size_t)(cap - e->read);
	la_ssize_t r = archive_read_data(e->a, buf, n);
	if (r < 0)
		return pl_error_set(PL_EFORMAT, "%s", archive_error_string(e->a) ?
							   archive_error_string(e->a) :
							   "cannot read archive entry");
	e->read += (uint64_t)r;
	if (r > 0 && pl_walk_account(e->w, (size_t)r) < 0)
		return -1;
	return r;
}

static int walk_blob(struct pl_walk *w, struct pl_stream *in, const char *path,
		     unsigned depth, unsigned filters);

static void report_truncated(struct pl_walk *w, const char *path)
{
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "larger than %llu bytes (--max-entry-bytes): only the start was scanned",
		 (unsigned long long)w->limits->max_entry_bytes);
	w->ops->error(w->ctx, path, msg);
}


static char *join_path(const char *parent, const char *name)
{
	if (!parent[0])
		return pl_xstrdup(name);
	return pl_xasprintf("%s!/%s", parent, name);
}

static int suspicious_name(const char *name)
{
	return name[0] == '/' || strncmp(name, "../", 3) == 0 || strstr(name, "/../") ||
	       (strlen(name) >= 3 && strcmp(name + strlen(name) - 3, "/..") == 0) ||
	       strcmp(name, "..") == 0;
}

/* Name of an entry as stored (raw bytes: reports escape it); never NULL. */
static char *entry_name(struct archive_entry *ent)
{
	const char *raw = archive_entry_pathname(ent);
	if (!raw)
		raw = archive_entry_pathname_utf8(ent);
	if (!raw)
		return pl_xstrdup("(unnamed)");
	/* "./usr/lib/x" (as in .deb data) and "usr/lib/x" are the same member. */
	while (raw[0] == '.' && raw[1] == '/' && raw[2])
		raw += 2;
	return pl_xstrdup(raw);
}

static int walk_entry(struct pl_walk *w, struct archive *a, struct archive_entry *ent,
		      const char *parent, unsigned depth, unsigned filters, int raw)
{
	char *name = entry_name(ent);
	char *path = raw ? pl_xstrdup(parent) : join_path(parent, name);
	int rc = 0;
	if (!raw && suspicious_name(archive_entry_pathname(ent) ? archive_entry_pathname(ent) : ""))
		w->ops->warning(w->ctx, path, "member name is absolute or climbs out with '..'");
	if (!raw && w->ops->ignored(w->ctx, path))
		goto cleanup;
	if (!raw && archive_entry_mtime_is_set(ent) && archive_entry_mtime(ent) > w->newest_mtime)
		w->newest_mtime = (int64_t)archive_entry_mtime(ent);
	struct entry_src es = {.w = w, .a = a};
	struct pl_stream s = {.read = entry_read, .ctx = &es};
	if (archive_entry_size_is_set(ent) && archive_entry_size(ent) >= 0) {
		s.size = (uint64_t)archive_entry_size(ent);
		s.has_size = 1;
	}
	rc = walk_blob(w, &s, path, raw ? depth : depth + 1, raw ? filters + 1 : 0);
	if (es.truncated)
		report_truncated(w, path);
cleanup:
	free(name);
	free(path);
	return rc;
}

/* Every format libarchive reads but xar (macOS installer archives, never a
 * package here): its reader is the only user of libxml2, which brings ICU,
 * and loading those two was a sixth of pkgleaks' start-up. With libarchive
 * linked statically, a format not named here is not even linked in. */
static void support_formats(struct archive *a)
{
	archive_read_support_format_7zip(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_empty(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_lha(a);
	archive_read_support_format_mtree(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_warc(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_raw(a);
}

static struct archive *archive_open(struct archive_src *src)
{
	struct archive *a = archive_read_new();
	if (!a) {
		fprintf(stderr, "pkgleaks: out of memory\n");
		abort();
	}
	archive_read_support_filter_all(a);
	support_formats(a);
	archive_read_set_callback_data(a, src);
	archive_read_set_read_callback(a, src_read);
	archive_read_set_skip_callback(a, src_skip);
	if (src->in->seek)
		archive_read_set_seek_callback(a, src_seek);
	return a;
}

/* Walks the entries of one archive; errors inside it are reported at `path`
 * and end only this archive. Returns negative when a limit stopped the file. */
static int walk_archive(struct pl_walk *w, struct pl_stream *in, const unsigned char *head,
			size_t headlen, const char *path, unsigned depth, unsigned filters)
{
	struct archive_src src = {.in = in, .head = head, .headlen = headlen};
	src.buf = pl_xmalloc(WALK_READ_SIZE);
	if (in->seek) {
		src.headlen = 0;
		if (in->seek(in->ctx, 0, SEEK_SET) < 0) {
			free(src.buf);
			return -1;
		}
	}
	struct archive *a = archive_open(&src);
	int rc = 0;
	uint64_t entries = 0;
	const char *what = path[0] ? path : "";
	if (archive_read_open1(a) != ARCHIVE_OK) {
		rc = blob_failed(w, what, archive_error_string(a) ? archive_error_string(a)
								  : "cannot open archive");
		goto cleanup;
	}
	for (;;) {
		struct archive_entry *ent;
		int r = archive_read_next_header(a, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN || w->stopped) {
			rc = blob_failed(w, what, archive_error_string(a) ? archive_error_string(a)
									  : "corrupt archive");
			break;
		}
		if (++entries > w->limits->max_entries) {
			char msg[128];
			snprintf(msg, sizeof(msg), "more than %llu entries (--max-entries): rest skipped",
				 (unsigned long long)w->limits->max_entries);
			w->ops->error(w->ctx, what, msg);
			break;
		}
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		int raw = archive_format(a) == ARCHIVE_FORMAT_RAW;
		rc = walk_entry(w, a, ent, path, depth, filters, raw);
		if (rc < 0 || w->stopped) {
			rc = rc < 0 ? rc : PL_ELIMIT;
			break;
		}
	}
cleanup:
	archive_read_free(a);
	free(src.buf);
	return rc;
}

static int walk_gzip(struct pl_walk *w, struct pl_stream *in, const unsigned char *head,
		     size_t headlen, const char *path, unsigned depth, unsigned filters)
{
	struct pl_gunzip *g = pl_gunzip_new(w, in, head, headlen);
	struct pl_stream s = pl_gunzip_stream(g);
	int rc = walk_blob(w, &s, path, depth, filters + 1);
	pl_gunzip_free(g);
	return rc;
}

/* A top-level file that is plain data is one "entry": --max-entry-bytes
 * bounds it as it bounds an archive member. */
struct capped_src {
	struct pl_stream *in;
	uint64_t read, cap;
	int truncated;
};

static ssize_t capped_read(void *ctx, void *buf, size_t n)
{
	struct capped_src *c = ctx;
	if (c->read >= c->cap) {
		char probe;
		if (c->in->read(c->in->ctx, &probe, 1) > 0)
			c->truncated = 1;
		return 0;
	}
	if (n > c->cap - c->read)
		n = (size_t)(c->cap - c->read);
	ssize_t r = c->in->read(c->in->ctx, buf, n);
	if (r > 0)
		c->read += (uint64_t)r;
	return r;
}

static int walk_data(struct pl_walk *w, struct pl_stream *in, const char *path,
		     const unsigned char *head, size_t headlen)
{
	if (path[0])
		return w->ops->data(w->ctx, path, head, headlen, in);
	struct capped_src c = {.in = in, .read = headlen, .cap = w->limits->max_entry_bytes};
	struct pl_stream s = {.read = capped_read, .ctx = &c};
	int rc = w->ops->data(w->ctx, path, head, headlen, &s);
	if (c.truncated)
		report_truncated(w, path);
	return rc;
}

/* Content decides, but a .whl that is not a zip deserves a word. */
static void warn_name_mismatch(struct pl_walk *w, const char *path)
{
	const char *name = path[0] ? path : (w->top_name ? w->top_name : "");
	const char *slash = strrchr(name, '/');
	const char *claim = pl_sniff_name_claim(slash ? slash + 1 : name);
	if (!claim)
		return;
	char msg[160];
	snprintf(msg, sizeof(msg), "named like a %s but the content is not one: scanned as data",
		 claim);
	w->ops->warning(w->ctx, path, msg);
}

/* A head buffer for the blob about to be walked (see struct pl_walk). */
static unsigned char *head_take(struct pl_walk *w)
{
	unsigned l = w->level++;
	if (l >= PL_WALK_HEAD_LEVELS)
		return pl_xmalloc(PL_WALK_HEAD_SIZE);
	if (!w->heads[l])
		w->heads[l] = pl_xmalloc(PL_WALK_HEAD_SIZE);
	return w->heads[l];
}

static void head_done(struct pl_walk *w, unsigned char *head)
{
	if (--w->level >= PL_WALK_HEAD_LEVELS)
		free(head);
}

static int walk_blob(struct pl_walk *w, struct pl_stream *in, const char *path,
		     unsigned depth, unsigned filters)
{
	unsigned char *head = head_take(w);
	int rc = 0;
	ssize_t n = pl_stream_read_full(in, head, PL_WALK_HEAD_SIZE);
	if (n < 0) {
		rc = blob_failed(w, path, pl_error_message());
		goto cleanup;
	}
	enum pl_blob_kind kind = pl_sniff(head, (size_t)n);
	if (kind != PL_BLOB_DATA && filters >= WALK_MAX_FILTERS)
		kind = PL_BLOB_DATA;
	if (kind != PL_BLOB_DATA && depth > w->limits->max_depth) {
		char msg[128];
		snprintf(msg, sizeof(msg), "archive nested deeper than %u levels (--max-depth): not opened",
			 w->limits->max_depth);
		w->ops->error(w->ctx, path, msg);
		goto cleanup;
	}
	if (kind == PL_BLOB_DATA && filters == 0)
		warn_name_mismatch(w, path);
	if (kind == PL_BLOB_GZIP)
		rc = walk_gzip(w, in, head, (size_t)n, path, depth, filters);
	else if (kind == PL_BLOB_ARCHIVE)
		rc = walk_archive(w, in, head, (size_t)n, path, depth, filters);
	else if (walk_data(w, in, path, head, (size_t)n) < 0)
		rc = blob_failed(w, path, pl_error_message());
cleanup:
	head_done(w, head);
	return rc;
}

int pl_walk_run(struct pl_walk *w, struct pl_stream *top)
{
	w->produced = 0;
	w->newest_mtime = -1;
	w->stopped = 0;
	w->stop_reported = 0;
	w->last_error[0] = '\0';
	w->deadline = pl_now() + w->limits->max_seconds;
	w->level = 0;
	int rc = walk_blob(w, top, "", 0, 0);
	for (unsigned i = 0; i < PL_WALK_HEAD_LEVELS; i++) {
		free(w->heads[i]);
		w->heads[i] = NULL;
	}
	if (w->stopped && rc == 0)
		rc = PL_ELIMIT;
	return rc;
}
