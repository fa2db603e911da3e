/* The scan pipeline: expands inputs into files, then worker threads walk each
 * file (archives and all) and match its blobs, feeding one serialised sink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "scan/scan_int.h"
#include "util/alloc.h"
#include "util/hex.h"
#include "util/buf.h"
#include "util/preload.h"

/* Directory trees deeper than this are a loop or an attack. */
#define PL_MAX_DIR_DEPTH 256
/* Metadata files handed to the sink are at most this long. */
#define PL_METADATA_MAX (1024 * 1024)

void pl_limits_default(struct pl_limits *l)
{
	l->max_depth = 8;
	l->max_entry_bytes = 256ull << 20;
	l->max_archive_bytes = 4ull << 30;
	l->max_ratio = 200;
	l->ratio_floor = 8ull << 20;
	l->max_entries = 100000;
	l->max_seconds = 300;
}

void pl_scan_options_default(struct pl_scan_options *o)
{
	memset(o, 0, sizeof(*o));
	pl_limits_default(&o->limits);
	o->read_ignore_files = 1;
}

static struct {
	_Atomic uint64_t files, bytes, findings, errors;
} progress;

static struct pl_scan_progress progress_view;

const struct pl_scan_progress *pl_scan_progress_get(void)
{
	progress_view.files = atomic_load(&progress.files);
	progress_view.bytes = atomic_load(&progress.bytes);
	progress_view.findings = atomic_load(&progress.findings);
	progress_view.errors = atomic_load(&progress.errors);
	return &progress_view;
}

/* One file to scan: its name as reached from the input, and that name
 * relative to the directory input it came from (for ignore globs). */
struct job {
	char *source;
	size_t rel;    /* offset of the relative part in source */
	off_t size;    /* for scheduling: biggest first */
};

struct scan {
	const struct pl_ruleset *rs;
	const struct pl_scan_options *opt;
	const struct pl_sink_ops *sink;
	void *sink_ctx;
	pthread_mutex_t lock;
	struct pl_ignore *ignore;
	struct job *jobs;
	size_t njobs, cap_jobs;
	_Atomic size_t next;
	const struct pl_scan_feed *feed; /* pl_scan_streams: inputs come from here */
	int fatal; /* a worker could not start */
	char fatal_msg[256];
};

/* ---- sink, serialised ---- */

static void sink_error(struct scan *s, const char *source, const char *path, const char *why)
{
	atomic_fetch_add(&progress.errors, 1);
	pthread_mutex_lock(&s->lock);
	s->sink->error(s->sink_ctx, source, path, why);
	pthread_mutex_unlock(&s->lock);
}

static void sink_warning(struct scan *s, const char *source, const char *path, const char *why)
{
	pthread_mutex_lock(&s->lock);
	if (s->sink->warning)
		s->sink->warning(s->sink_ctx, source, path, why);
	pthread_mutex_unlock(&s->lock);
}

/* ---- one worker's view of the file it is scanning ---- */

struct file_ctx {
	struct scan *scan;
	struct pl_chunker *chunker;
	const struct job *job;
	char *source_display; /* the name as given (raw bytes; reports escape) */
	uint64_t bytes;
	struct pl_walk walk;
	int fd;
	int64_t pos;
	EVP_MD_CTX *sha;   /* the file's SHA-256 (hash_inputs), fed as it is read */
	/* A seekable file is hashed while it is read in order from the start
	 * (tar, gzip: all of it); [sha_upto, end) is read again at the end.
	 * -1: a stream, hashed as read. */
	int64_t sha_upto;
	/* Dedup (a sink with blob_seen and a blob key): one MAC context and one
	 * blob buffer, made at the first blob and reused for every blob of the
	 * file. */
	EVP_CIPHER_CTX *blob_mac;
	struct pl_buf blob;
	struct pl_scan_input *in; /* pl_scan_streams: the input read instead of fd */
	char top_error[256];      /* the last error reported for the file itself */
};

static void emit_finding(void *ctx, struct pl_finding *f)
{
	struct file_ctx *fc = ctx;
	atomic_fetch_add(&progress.findings, 1);
	pthread_mutex_lock(&fc->scan->lock);
	fc->scan->sink->finding(fc->scan->sink_ctx, f);
	pthread_mutex_unlock(&fc->scan->lock);
}

static void emit_error(void *ctx, const char *path, const char *why)
{
	struct file_ctx *fc = ctx;
	if (!path[0])
		snprintf(fc->top_error, sizeof(fc->top_error), "%s", why);
	sink_error(fc->scan, fc->source_display, path, why);
}

static void emit_warning(void *ctx, const char *path, const char *why)
{
	struct file_ctx *fc = ctx;
	sink_warning(fc->scan, fc->source_display, path, why);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

int pl_scan_is_metadata(const char *path)
{
	const char *base = base_name(path);
	size_t depth = count_char(path, '/');
	if (strstr(path, "!/")) /* only a .deb's control is one level down */
		return strncmp(path, "control.tar", 11) == 0 && strcmp(base, "control") == 0 &&
		       count_char(path, '!') == 1;
	if (strcmp(base, "PKG-INFO") == 0)
		return depth >= 1 && depth <= 2;
	if (strcmp(base, "METADATA") == 0) {
		size_t n = strlen(path);
		return depth == 1 && n > 20 && strstr(path, ".dist-info/METADATA") == path + n - 19;
	}
	if (strcmp(base, "package.json") == 0)
		return depth == 1;
	return strcmp(path, "metadata.gz") == 0 || strcmp(path, "metadata") == 0;
}

/* The innermost name of a blob: what decoders go by. */
static const char *blob_name(const struct file_ctx *fc, const char *path)
{
	return path[0] ? path : fc->source_display;
}

/* Reads the rest of a blob after its head into b; 1 when it all fit. */
static int buffer_blob(struct pl_buf *b, const unsigned char *head, size_t headlen,
		       struct pl_stream *rest)
{
	if (pl_buf_append(b, head, headlen) < 0)
		return 0;
	char tmp[65536];
	for (;;) {
		ssize_t n = rest->read(rest->ctx, tmp, sizeof(tmp));
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		if (pl_buf_append(b, tmp, (size_t)n) < 0) {
			/* Too big to decode: keep what we read for raw matching. */
			b->max = 0;
			(void)pl_buf_append(b, tmp, (size_t)n);
			return 0;
		}
	}
}

/* The buffered start of a blob, then the rest of its stream. */
struct concat_src {
	const char *data;
	size_t len, pos;
	struct pl_stream *rest; /* NULL when the buffer is the whole blob */
};

static ssize_t concat_read(void *ctx, void *buf, size_t n)
{
	struct concat_src *c = ctx;
	if (c->pos < c->len) {
		if (n > c->len - c->pos)
			n = c->len - c->pos;
		memcpy(buf, c->data + c->pos, n);
		c->pos += n;
		return (ssize_t)n;
	}
	return c->rest ? c->rest->read(c->rest->ctx, buf, n) : 0;
}

/* Raw matching of a buffered blob (and whatever of it is still unread),
 * then its decoded views when the whole blob fit. */
static int scan_buffered(struct file_ctx *fc, const char *path, struct pl_buf *b, int whole,
			 struct pl_stream *rest, uint64_t *n, int decode)
{
	const unsigned char *data = (const unsigned char *)(b->data ? b->data : "");
	struct concat_src cs = {(const char *)data, b->len, 0, whole == 0 ? rest : NULL};
	struct pl_stream s = {.read = concat_read, .ctx = &cs};
	int rc = 0;
	struct pl_views vs = {0};
	if (whole == 1 && decode && pl_decode_views(blob_name(fc, path), data, b->len, &vs) < 0)
		emit_error(fc, path, pl_error_message());
	if (whole == 1 && decode &&
	    (pl_decode_replaces_raw(data, b->len) || pl_views_cover_raw(blob_name(fc, path), &vs)))
		*n += b->len;
	else if (whole == 1)
		rc = pl_chunker_feed_memory(fc->chunker, (const char *)data, b->len, n);
	else
		rc = pl_chunker_feed_stream(fc->chunker, NULL, 0, &s, n) < 0 ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < vs.n; i++)
		rc = pl_chunker_feed_view(fc->chunker, &vs.v[i]);
	pl_views_release(&vs);
	return rc;
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* OpenSSL 3 looks EVP_sha256() up again on every use; one explicit fetch
 * serves every hash. */
static void fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* Starts a SHA-256 in c (made if NULL); c is reused from one blob to the
 * next (no allocation, no provider look-up per blob). */
static EVP_MD_CTX *sha256_start(EVP_MD_CTX *c)
{
	pthread_once(&sha256_once, fetch_sha256);
	if (!c)
		c = EVP_MD_CTX_new();
	if (!c || !sha256_md || EVP_DigestInit_ex2(c, sha256_md, NULL) != 1) {
		fprintf(stderr, "pkgleaks: cannot initialise SHA-256\n");
		abort();
	}
	return c;
}

static void sha256_hex(EVP_MD_CTX *c, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(c, md, &n) != 1 || n != 32) {
		fprintf(stderr, "pkgleaks: SHA-256 failed\n");
		abort();
	}
	pl_hex_encode(md, 32, out);
}

static EVP_CIPHER *gcm_cipher;
static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;

static void fetch_gcm(void)
{
	gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
}

/* Starts a blob id (PL_BLOB_ID_LEN in scan.h says why GMAC) in c. A new
 * context gets the key; one reused from the blob before keeps its key
 * schedule and only takes the nonce again, which starts a new GHASH. */
static EVP_CIPHER_CTX *blob_id_start(EVP_CIPHER_CTX *c, const unsigned char *key)
{
	pthread_once(&gcm_once, fetch_gcm);
	const unsigned char *nonce = key + PL_BLOB_GMAC_KEY_LEN;
	int ok;
	if (c) {
		ok = EVP_EncryptInit_ex2(c, NULL, NULL, nonce, NULL) == 1;
	} else {
		c = gcm_cipher ? EVP_CIPHER_CTX_new() : NULL;
		ok = c && EVP_EncryptInit_ex2(c, gcm_cipher, key, nonce, NULL) == 1;
	}
	if (!ok) {
		fprintf(stderr, "pkgleaks: cannot initialise AES-GCM\n");
		abort();
	}
	return c;
}

/* Feeds bytes to the blob id: GCM's additional data, nothing encrypted. */
static void blob_id_update(EVP_CIPHER_CTX *c, const unsigned char *p, size_t n)
{
	while (n) {
		int piece = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n, out = 0;
		if (EVP_EncryptUpdate(c, NULL, &out, p, piece) != 1) {
			fprintf(stderr, "pkgleaks: GMAC failed\n");
			abort();
		}
		p += piece;
		n -= (size_t)piece;
	}
}

static void blob_id_hex(EVP_CIPHER_CTX *c, char out[PL_BLOB_ID_LEN + 1])
{
	unsigned char tag[PL_BLOB_ID_LEN / 2], none[16];
	int n = 0;
	if (EVP_EncryptFinal_ex(c, none, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)sizeof(tag), tag) != 1) {
		fprintf(stderr, "pkgleaks: GMAC failed\n");
		abort();
	}
	pl_hex_encode(tag, sizeof(tag), out);
}

/* buffer_blob for the dedup path: reads straight into b (the file's reused
 * buffer: no bounce copy) and feeds each piece to the blob id while it is
 * still in cache, as long as the blob is within PL_BLOB_DEDUP_MAX, so the
 * id is whole when the blob is whole and that small. 1 when it all fit; 0 when it
 * passed b->max (what was read is kept for raw matching, the rest is still
 * in the stream); -1 on a read error. */
static int buffer_blob_hashed(struct pl_buf *b, const unsigned char *head, size_t headlen,
			      struct pl_stream *rest, EVP_CIPHER_CTX *id)
{
	enum { PIECE = 65536 };
	if (pl_buf_append(b, head, headlen) < 0)
		return 0;
	if (headlen)
		blob_id_update(id, head, headlen);
	for (;;) {
		PL_GROW(b->data, b->cap, b->len + PIECE + 1);
		ssize_t n = rest->read(rest->ctx, b->data + b->len, PIECE);
		if (n <= 0) {
			b->data[b->len] = '\0';
			return n < 0 ? -1 : 1;
		}
		size_t len = b->len + (size_t)n;
		if (len <= PL_BLOB_DEDUP_MAX)
			blob_id_update(id, (const unsigned char *)b->data + b->len, (size_t)n);
		b->len = len;
		b->data[len] = '\0';
		if (b->max && len > b->max) {
			b->max = 0; /* too big to decode: raw matching only */
			return 0;
		}
	}
}

/* Without the scan's lock, as the blob events (scan.h): parsing a
 * package.json while holding it kept the other workers' blob events
 * waiting. */
static void sink_metadata(struct file_ctx *fc, const char *path, const struct pl_buf *b)
{
	fc->scan->sink->metadata(fc->scan->sink_ctx, fc->source_display, path,
				 b->data ? b->data : "", b->len);
}

/* Whether blobs are deduplicated: the sink asks and the scan has a key. */
static int dedups(const struct pl_scan_options *opt, const struct pl_sink_ops *sink)
{
	return sink->blob_seen && opt->blob_key;
}

/* Bytes of a blob matched: the file's count and the progress bar's. */
static void count_scanned(struct file_ctx *fc, uint64_t n)
{
	fc->bytes += n;
	atomic_fetch_add(&progress.bytes, n);
}

/* A stream that feeds what it reads to a blob id, for a blob matched as it
 * streams. */
struct id_src {
	struct pl_stream *in;
	EVP_CIPHER_CTX *id;
	uint64_t len;
	int failed;
};

static ssize_t id_read(void *ctx, void *buf, size_t n)
{
	struct id_src *s = ctx;
	ssize_t r = s->in->read(s->in->ctx, buf, n);
	if (r > 0) {
		blob_id_update(s->id, buf, (size_t)r);
		s->len += (uint64_t)r;
	}
	s->failed |= r < 0;
	return r;
}

/* The blob's size when known before reading it: all of it in the head, or
 * the size its archive member declares (a hint); 0 when unknown. */
static int known_size(size_t headlen, const struct pl_stream *rest, uint64_t *size)
{
	if (headlen < PL_WALK_HEAD_SIZE) {
		*size = headlen;
		return 1;
	}
	*size = rest->size;
	return rest->has_size;
}

/* Whether the sink says no blob of this one's size was ever recorded. */
static int new_by_size(struct file_ctx *fc, const char *path, size_t headlen,
		       const struct pl_stream *rest)
{
	const struct pl_sink_ops *sink = fc->scan->sink;
	uint64_t size;
	if (!sink->blob_size_new || !known_size(headlen, rest, &size) || size > PL_BLOB_DEDUP_MAX)
		return 0;
	return sink->blob_size_new(fc->scan->sink_ctx, fc->source_display, path, size);
}

/* A blob the sink cannot have seen, matched as it streams (as without a
 * store) while its id is computed; the id goes to blob_done when the whole
 * blob, and no more than PL_BLOB_DEDUP_MAX, went through. */
static int on_data_new(struct file_ctx *fc, const char *path, const unsigned char *head,
		       size_t headlen, struct pl_stream *rest)
{
	struct pl_emitter em = {emit_finding, emit_error, fc};
	fc->blob_mac = blob_id_start(fc->blob_mac, fc->scan->opt->blob_key);
	blob_id_update(fc->blob_mac, head, headlen);
	struct id_src src = {rest, fc->blob_mac, headlen, 0};
	struct pl_stream s = {.read = id_read, .ctx = &src};
	uint64_t n = 0;
	int rc = pl_chunker_feed_stream(fc->chunker, head, headlen, &s, &n);
	pl_chunker_end(fc->chunker, fc->source_display, path, &em);
	char probe;
	int whole = rc == 0 && !src.failed && src.len <= PL_BLOB_DEDUP_MAX &&
		    (headlen < PL_WALK_HEAD_SIZE || id_read(&src, &probe, 1) == 0);
	if (whole && fc->scan->sink->blob_done) {
		char id[PL_BLOB_ID_LEN + 1];
		blob_id_hex(fc->blob_mac, id);
		fc->scan->sink->blob_done(fc->scan->sink_ctx, fc->source_display, path, id, src.len);
	}
	count_scanned(fc, n);
	return rc;
}

/* With a deduplicating sink: a blob small enough is buffered and its id
 * computed (in the same pass); one the sink has seen is not matched again.
 * The buffer and the MAC context are the file's, reused blob after blob.
 * A blob of a size the sink never recorded is new: matched as it streams. */
static int on_data_dedup(struct file_ctx *fc, const char *path, const unsigned char *head,
			 size_t headlen, struct pl_stream *rest, int meta)
{
	/* The head is the buffer's first bytes below: asked once. */
	int decode = pl_decode_wants(blob_name(fc, path), head, headlen);
	if (!meta && !decode && new_by_size(fc, path, headlen, rest))
		return on_data_new(fc, path, head, headlen, rest);
	struct pl_emitter em = {emit_finding, emit_error, fc};
	struct pl_buf *b = &fc->blob;
	pl_buf_reset(b);
	if (b->cap > 2 * (size_t)PL_BLOB_DEDUP_MAX)
		pl_buf_release(b); /* kept for blobs up to the dedup size, not for giants */
	b->max = PL_BLOB_DEDUP_MAX > PL_DECODE_MAX_BLOB ? PL_BLOB_DEDUP_MAX : PL_DECODE_MAX_BLOB;
	fc->blob_mac = blob_id_start(fc->blob_mac, fc->scan->opt->blob_key);
	int whole = buffer_blob_hashed(b, head, headlen, rest, fc->blob_mac);
	char why[512], id[PL_BLOB_ID_LEN + 1] = "";
	snprintf(why, sizeof(why), "%s", pl_error_message());
	uint64_t n = 0;
	int rc = 0;
	if (meta && whole == 1 && b->len <= PL_METADATA_MAX)
		sink_metadata(fc, path, b);
	if (whole == 1 && b->len <= PL_BLOB_DEDUP_MAX) {
		blob_id_hex(fc->blob_mac, id);
		int seen = fc->scan->sink->blob_seen(fc->scan->sink_ctx, fc->source_display, path, id);
		if (seen) {
			pl_chunker_end(fc->chunker, fc->source_display, path, &em);
			return 0;
		}
	}
	rc = scan_buffered(fc, path, b, whole, rest, &n, decode);
	pl_chunker_end(fc->chunker, fc->source_display, path, &em);
	if (id[0] && fc->scan->sink->blob_done)
		fc->scan->sink->blob_done(fc->scan->sink_ctx, fc->source_display, path, id, b->len);
	count_scanned(fc, n);
	if (whole < 0) {
		pl_error_set(PL_EIO, "%s", why);
		rc = -1;
	}
	return rc;
}

static int on_data(void *ctx, const char *path, const unsigned char *head, size_t headlen,
		   struct pl_stream *rest)
{
	struct file_ctx *fc = ctx;
	struct pl_emitter em = {emit_finding, emit_error, fc};
	uint64_t n = 0;
	int rc = 0;
	pl_chunker_begin(fc->chunker);
	int meta = fc->scan->sink->metadata && pl_scan_is_metadata(path);
	int dedup = dedups(fc->scan->opt, fc->scan->sink);
	if (dedup)
		return on_data_dedup(fc, path, head, headlen, rest, meta);
	if (!meta && !pl_decode_wants(blob_name(fc, path), head, headlen)) {
		rc = pl_chunker_feed_stream(fc->chunker, head, headlen, rest, &n);
	} else {
		struct pl_buf b;
		pl_buf_init(&b, PL_DECODE_MAX_BLOB);
		int whole = buffer_blob(&b, head, headlen, rest);
		if (meta && whole == 1 && b.len <= PL_METADATA_MAX)
			sink_metadata(fc, path, &b);
		char why[512];
		snprintf(why, sizeof(why), "%s", pl_error_message());
		rc = scan_buffered(fc, path, &b, whole, rest, &n, 1);
		if (whole < 0) {
			pl_error_set(PL_EIO, "%s", why);
			rc = -1;
		}
		pl_buf_release(&b);
	}
	pl_chunker_end(fc->chunker, fc->source_display, path, &em);
	count_scanned(fc, n);
	return rc;
}

static int on_ignored(void *ctx, const char *path)
{
	struct file_ctx *fc = ctx;
	return pl_ignore_match(fc->scan->ignore, fc->job->source + fc->job->rel, path);
}

static const struct pl_walk_ops walk_ops = {on_data, on_ignored, emit_error, emit_warning};

static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
	struct file_ctx *fc = ctx;
	ssize_t r;
	do
		r = fc->pos >= 0 ? pread(fc->fd, buf, n, fc->pos) : read(fc->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return pl_error_set(PL_EIO, "read error: %s", strerror(errno));
	if (fc->sha && (fc->pos < 0 || fc->pos == fc->sha_upto)) {
		EVP_DigestUpdate(fc->sha, buf, (size_t)r);
		if (fc->pos >= 0)
			fc->sha_upto += r;
	}
	if (fc->pos >= 0)
		fc->pos += r;
	fc->walk.source_bytes += (uint64_t)r;
	if (pl_walk_account(&fc->walk, 0) < 0)
		return -1;
	return r;
}

static int64_t fd_seek(void *ctx, int64_t off, int whence)
{
	struct file_ctx *fc = ctx;
	struct stat st;
	if (whence == SEEK_SET)
		fc->pos = off;
	else if (whence == SEEK_CUR)
		fc->pos += off;
	else if (fstat(fc->fd, &st) == 0)
		fc->pos = st.st_size + off;
	else
		return -1;
	return fc->pos;
}

/* A stream was hashed as it was read. A seekable file was hashed as far as
 * the walk read it in order from the start (all of a tar or gzip file; zip
 * reading jumps around): the rest is read again here, from the page cache. */
static void finish_hash(struct file_ctx *fc, struct pl_file_facts *facts)
{
	if (fc->sha_upto >= 0) {
		static _Thread_local unsigned char buf[1 << 16];
		ssize_t r;
		off_t off = (off_t)fc->sha_upto;
		while ((r = pread(fc->fd, buf, sizeof(buf), off)) > 0) {
			EVP_DigestUpdate(fc->sha, buf, (size_t)r);
			off += r;
		}
		facts->size = (uint64_t)off;
	}
	sha256_hex(fc->sha, facts->sha256);
}

static void deliver_facts(struct scan *s, const struct file_ctx *fc,
			  const struct pl_file_facts *facts)
{
	atomic_fetch_add(&progress.files, 1);
	pthread_mutex_lock(&s->lock);
	if (s->sink->file_done)
		s->sink->file_done(s->sink_ctx, fc->source_display, fc->bytes);
	if (s->sink->file_facts)
		s->sink->file_facts(s->sink_ctx, fc->source_display, facts);
	pthread_mutex_unlock(&s->lock);
	/* Unlocked: the other workers go on while this one writes. */
	if (s->sink->file_write)
		s->sink->file_write(s->sink_ctx, fc->source_display);
}

/* What a file's scan holds at its end. */
static void file_ctx_release(struct file_ctx *fc)
{
	if (fc->sha) /* else libcrypto may not be loaded */
		EVP_MD_CTX_free(fc->sha);
	if (fc->blob_mac)
		EVP_CIPHER_CTX_free(fc->blob_mac);
	pl_buf_release(&fc->blob);
	free(fc->source_display);
}

static void scan_file(struct scan *s, struct pl_chunker *chunker, const struct job *job)
{
	struct file_ctx fc = {.scan = s, .chunker = chunker, .job = job, .fd = -1, .pos = -1,
			      .sha_upto = -1};
	fc.source_display = pl_xstrdup(job->source);
	int is_stdin = strcmp(job->source, "-") == 0;
	fc.fd = is_stdin ? STDIN_FILENO : open(job->source, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fc.fd < 0) {
		sink_error(s, fc.source_display, "", strerror(errno));
		goto cleanup;
	}
	if (fstat(fc.fd, &st) == 0 && S_ISREG(st.st_mode))
		fc.pos = 0; /* seekable: zip reads its central directory */
	else if (!is_stdin && fstat(fc.fd, &st) == 0 && S_ISDIR(st.st_mode))
		goto cleanup;
	fc.walk = (struct pl_walk){.limits = &s->opt->limits, .ops = &walk_ops, .ctx = &fc,
				   .top_name = job->source};
	struct pl_stream top = {.read = fd_read, .seek = fc.pos >= 0 ? fd_seek : NULL, .ctx = &fc};
	if (s->opt->hash_inputs) {
		fc.sha = sha256_start(NULL);
		fc.sha_upto = fc.pos >= 0 ? 0 : -1;
	}
	if (pl_walk_run(&fc.walk, &top) < 0 && !fc.walk.stop_reported && !fc.walk.stopped)
		sink_error(s, fc.source_display, "", pl_error_message());
	struct pl_file_facts facts = {.size = fc.walk.source_bytes, .bytes_scanned = fc.bytes,
				      .newest_mtime = fc.walk.newest_mtime,
				      .stopped_by_limit = fc.walk.stopped};
	if (fc.pos >= 0)
		facts.size = (uint64_t)st.st_size;
	if (s->opt->hash_inputs)
		finish_hash(&fc, &facts);
	deliver_facts(s, &fc, &facts);
cleanup:
	if (fc.fd >= 0 && !is_stdin)
		close(fc.fd);
	file_ctx_release(&fc);
}

/* ---- inputs that are streams (pl_scan_streams) ---- */

static ssize_t in_read(void *ctx, void *buf, size_t n)
{
	struct file_ctx *fc = ctx;
	ssize_t r = fc->in->read(fc->in->ctx, buf, n);
	if (r < 0)
		return -1;
	if (fc->sha)
		EVP_DigestUpdate(fc->sha, buf, (size_t)r);
	fc->walk.source_bytes += (uint64_t)r;
	if (pl_walk_account(&fc->walk, 0) < 0)
		return -1;
	return r;
}

static int64_t in_seek(void *ctx, int64_t off, int whence)
{
	struct file_ctx *fc = ctx;
	return fc->in->seek(fc->in->ctx, off, whence);
}

/* The input's own verdict (a download that broke off, a hash that does not
 * match the index) replaces a failure of the walk as the file's error. */
static void scan_input(struct scan *s, struct pl_chunker *chunker, struct pl_scan_input *in,
		       struct pl_file_facts *facts)
{
	struct job job = {(char *)in->name, 0, 0};
	struct file_ctx fc = {.scan = s, .chunker = chunker, .job = &job, .fd = -1, .pos = -1,
			      .sha_upto = -1, .in = in};
	fc.source_display = pl_xstrdup(in->name);
	fc.walk = (struct pl_walk){.limits = &s->opt->limits, .ops = &walk_ops, .ctx = &fc,
				   .top_name = in->name};
	struct pl_stream top = {.read = in_read, .seek = in->seek ? in_seek : NULL, .ctx = &fc};
	if (s->opt->hash_inputs && !in->seek)
		fc.sha = sha256_start(NULL);
	int rc = pl_walk_run(&fc.walk, &top);
	char why[512];
	snprintf(why, sizeof(why), "%s", pl_error_message());
	*facts = (struct pl_file_facts){.size = fc.walk.source_bytes, .bytes_scanned = fc.bytes,
					.newest_mtime = fc.walk.newest_mtime,
					.stopped_by_limit = fc.walk.stopped, .meta = in->meta};
	if (fc.sha)
		finish_hash(&fc, facts);
	const char *verdict = in->finish ? in->finish(in->ctx, &facts->size, facts->sha256) : NULL;
	facts->fetch_failed = verdict != NULL;
	if (verdict && strcmp(verdict, fc.top_error) != 0) /* not said by the walk already */
		sink_error(s, fc.source_display, "", verdict);
	else if (rc < 0 && !fc.walk.stop_reported && !fc.walk.stopped)
		sink_error(s, fc.source_display, "", why);
	deliver_facts(s, &fc, facts);
	file_ctx_release(&fc);
}

/* One input from the feed; 0 when the feed is over. */
static int feed_one(struct scan *s, struct pl_chunker *chunker)
{
	struct pl_scan_input in = {0};
	int r = s->feed->next(s->feed->ctx, &in);
	if (r < 0) {
		pthread_mutex_lock(&s->lock);
		s->fatal = 1;
		snprintf(s->fatal_msg, sizeof(s->fatal_msg), "%s", pl_error_message());
		pthread_mutex_unlock(&s->lock);
	}
	if (r <= 0)
		return 0;
	struct pl_file_facts facts;
	scan_input(s, chunker, &in, &facts);
	s->feed->done(s->feed->ctx, &in, &facts);
	return 1;
}

static void *worker(void *arg)
{
	struct scan *s = arg;
	struct pl_chunker *chunker;
	if (pl_chunker_new(s->rs, &chunker) < 0) {
		pthread_mutex_lock(&s->lock);
		s->fatal = 1;
		snprintf(s->fatal_msg, sizeof(s->fatal_msg), "%s", pl_error_message());
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	while (s->feed && feed_one(s, chunker))
		;
	for (; !s->feed;) {
		size_t i = atomic_fetch_add(&s->next, 1);
		if (i >= s->njobs)
			break;
		scan_file(s, chunker, &s->jobs[i]);
	}
	if (s->sink->worker_idle)
		s->sink->worker_idle(s->sink_ctx);
	pl_chunker_free(chunker);
	return NULL;
}

/* ---- expanding inputs ---- */

static void add_job(struct scan *s, const char *path, size_t rel)
{
	struct stat st;
	off_t size = strcmp(path, "-") != 0 && stat(path, &st) == 0 ? st.st_size : 0;
	PL_GROW(s->jobs, s->cap_jobs, s->njobs + 1);
	s->jobs[s->njobs++] = (struct job){pl_xstrdup(path), rel, size};
}

/* Largest files first: the workers then finish together (LPT scheduling). */
static int job_cmp(const void *a, const void *b)
{
	const struct job *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->source, y->source);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct scan *s, const char *dir, size_t rel, unsigned depth);

static void visit(struct scan *s, const char *path, size_t rel, unsigned depth)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		sink_error(s, path, "", strerror(errno));
		return;
	}
	/* Inside a tree, links are not followed: no loops, no escaping the tree. */
	if (S_ISLNK(st.st_mode))
		return;
	if (pl_ignore_match(s->ignore, path + rel, ""))
		return;
	if (S_ISDIR(st.st_mode))
		walk_dir(s, path, rel, depth + 1);
	else if (S_ISREG(st.st_mode))
		add_job(s, path, rel);
}

static void walk_dir(struct scan *s, const char *dir, size_t rel, unsigned depth)
{
	DIR *d = depth > PL_MAX_DIR_DEPTH ? NULL : opendir(dir);
	if (!d) {
		sink_error(s, dir, "", depth > PL_MAX_DIR_DEPTH ? "directory tree too deep"
								 : strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".git"))
			continue;
		PL_GROW(names, cap, n + 1);
		names[n++] = pl_xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	size_t dl = strlen(dir);
	for (size_t i = 0; i < n; i++) {
		char *child = pl_xasprintf("%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]);
		visit(s, child, rel, depth);
		free(child);
		free(names[i]);
	}
	free(names);
}

static int expand_input(struct scan *s, const char *in)
{
	struct stat st;
	if (strcmp(in, "-") == 0) {
		add_job(s, in, 0);
		return 0;
	}
	if (stat(in, &st) < 0) {
		sink_error(s, in, "", strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (!pl_ignore_match(s->ignore, in, ""))
			add_job(s, in, 0);
		return 0;
	}
	if (s->opt->read_ignore_files) {
		char *f = pl_xasprintf("%s/.pkgleaksignore", in);
		int rc = pl_ignore_add_file(s->ignore, f);
		free(f);
		if (rc)
			return rc;
	}
	/* Globs see paths relative to the directory given: "x.whl" for "dist/x.whl". */
	size_t rel = strlen(in);
	if (rel && in[rel - 1] != '/')
		rel++;
	walk_dir(s, in, rel, 0);
	return 0;
}

static unsigned default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int run_workers(struct scan *s, unsigned jobs)
{
	if (!s->feed && jobs > s->njobs)
		jobs = s->njobs ? (unsigned)s->njobs : 1;
	pthread_t *t = pl_xcalloc(jobs, sizeof(*t));
	unsigned started = 0;
	for (; started < jobs; started++)
		if (pthread_create(&t[started], NULL, worker, s) != 0)
			break;
	if (started == 0)
		worker(s);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	if (s->fatal)
		return pl_error_set(PL_ERROR, "%s", s->fatal_msg);
	return 0;
}

static struct pl_preload preload;

static void *preload_main(void *arg)
{
	(void)arg;
	if (pl_dl_crypto() == 0) {
		pthread_once(&sha256_once, fetch_sha256);
		pthread_once(&gcm_once, fetch_gcm);
	}
	return NULL;
}

void pl_scan_preload_crypto(void)
{
	pl_preload_start(&preload, preload_main);
}

void pl_scan_preload_wait(void)
{
	pl_preload_wait(&preload);
}

/* File hashes and blob ids need libcrypto from the start; a plain scan
 * loads it only with its first finding (pl_fingerprint). */
static int load_crypto(const struct pl_scan_options *opt, const struct pl_sink_ops *sink)
{
	pl_scan_preload_wait();
	if (opt->hash_inputs || dedups(opt, sink))
		return pl_dl_crypto();
	return 0;
}

int pl_scan_run(const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		const char *const *inputs, size_t ninputs, const struct pl_sink_ops *sink,
		void *sink_ctx)
{
	int lrc = load_crypto(opt, sink);
	if (lrc < 0)
		return lrc;
	struct scan s = {.rs = rs, .opt = opt, .sink = sink, .sink_ctx = sink_ctx};
	pthread_mutex_init(&s.lock, NULL);
	s.ignore = pl_ignore_new();
	int rc = 0;
	for (const char *const *g = opt->ignore; g && *g; g++)
		pl_ignore_add(s.ignore, *g);
	if (opt->read_ignore_files)
		rc = pl_ignore_add_file(s.ignore, ".pkgleaksignore");
	for (size_t i = 0; rc == 0 && i < ninputs; i++)
		rc = expand_input(&s, inputs[i]);
	if (rc == 0 && s.njobs > 1)
		qsort(s.jobs, s.njobs, sizeof(*s.jobs), job_cmp);
	if (rc == 0)
		rc = run_workers(&s, opt->jobs ? opt->jobs : default_jobs());
	for (size_t i = 0; i < s.njobs; i++)
		free(s.jobs[i].source);
	free(s.jobs);
	pl_ignore_free(s.ignore);
	pthread_mutex_destroy(&s.lock);
	return rc;
}

int pl_scan_streams(const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		    const struct pl_scan_feed *feed, const struct pl_sink_ops *sink,
		    void *sink_ctx)
{
	int lrc = load_crypto(opt, sink);
	if (lrc < 0)
		return lrc;
	struct scan s = {.rs = rs, .opt = opt, .sink = sink, .sink_ctx = sink_ctx, .feed = feed};
	pthread_mutex_init(&s.lock, NULL);
	s.ignore = pl_ignore_new();
	for (const char *const *g = opt->ignore; g && *g; g++)
		pl_ignore_add(s.ignore, *g);
	int rc = run_workers(&s, opt->jobs ? opt->jobs : default_jobs());
	pl_ignore_free(s.ignore);
	pthread_mutex_destroy(&s.lock);
	return rc;
}
