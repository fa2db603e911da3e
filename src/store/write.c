/* Writing one artifact: its row, its secrets, its occurrences (found and
 * replayed), and the blobs it matched, all in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"

/* The artifact's distinct secrets, sorted by fingerprint, with their ids. */
struct secret_ids {
	const struct pl_store_find **s; /* one find per fingerprint */
	int64_t *id;
	size_t n;
};

static int by_fingerprint(const void *a, const void *b)
{
	const struct pl_store_find *x = *(const struct pl_store_find *const *)a;
	const struct pl_store_find *y = *(const struct pl_store_find *const *)b;
	int c = strcmp(x->fingerprint, y->fingerprint);
	/* One with a sealed value first, so it is the one kept. */
	return c ? c : (y->sealed != NULL) - (x->sealed != NULL);
}

static void secret_ids_build(struct secret_ids *ids, const struct pl_store_artifact *a)
{
	ids->s = pl_xcalloc(a->nfinds + 1, sizeof(*ids->s));
	ids->id = pl_xcalloc(a->nfinds + 1, sizeof(*ids->id));
	for (size_t i = 0; i < a->nfinds; i++)
		ids->s[i] = &a->finds[i];
	qsort(ids->s, a->nfinds, sizeof(*ids->s), by_fingerprint);
	ids->n = 0;
	for (size_t i = 0; i < a->nfinds; i++)
		if (!ids->n || strcmp(ids->s[ids->n - 1]->fingerprint, ids->s[i]->fingerprint))
			ids->s[ids->n++] = ids->s[i];
	for (size_t i = 0; i < ids->n; i++)
		ids->id[i] = -1;
}

static void secret_ids_release(struct secret_ids *ids)
{
	free(ids->s);
	free(ids->id);
}

static int64_t secret_id(const struct secret_ids *ids, const char *fingerprint)
{
	size_t lo = 0, hi = ids->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ids->s[mid]->fingerprint, fingerprint);
		if (c == 0)
			return ids->id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int take_secret_id(void *ctx, size_t ncols, const char *const *v)
{
	struct secret_ids *ids = ctx;
	if (ncols < 2 || !v[0] || !v[1])
		return pl_error_set(PL_EIO, "store: bad secret id row");
	size_t lo = 0, hi = ids->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ids->s[mid]->fingerprint, v[1]);
		if (c == 0) {
			ids->id[mid] = pl_store_int(v[0], -1);
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Inserts the secrets not stored yet, keeps a newly sealed raw value where
 * none was, then reads every id back. */
static int write_secrets(struct pl_store *st, struct secret_ids *ids)
{
	struct pl_sql_value *v = pl_xcalloc(ids->n * 4 + 1, sizeof(*v));
	for (size_t i = 0; i < ids->n; i++) {
		v[4 * i] = pl_sql_text(ids->s[i]->fingerprint);
		v[4 * i + 1] = pl_sql_text(ids->s[i]->rule);
		v[4 * i + 2] = pl_sql_text(ids->s[i]->redacted);
		v[4 * i + 3] = pl_sql_text(ids->s[i]->sealed);
	}
	int rc = pl_store_insert_new_rows(st, "secrets (fingerprint, rule, redacted, sealed)", 4, v,
					  ids->n, "", NULL, NULL);
	for (size_t i = 0; rc == 0 && i < ids->n; i++) {
		if (!ids->s[i]->sealed)
			continue;
		struct pl_sql_value p[] = {pl_sql_text(ids->s[i]->sealed),
					   pl_sql_text(ids->s[i]->fingerprint)};
		rc = pl_store_exec_later(st, "UPDATE secrets SET sealed = $1 WHERE fingerprint = $2"
					     " AND sealed IS NULL", p, 2);
	}
	/* The ids, by a join with the fingerprints as a VALUES list (its column is
	 * column1 in both SQLite and PostgreSQL). */
	for (size_t i = 0; i < ids->n; i++)
		v[i] = pl_sql_text(ids->s[i]->fingerprint);
	if (rc == 0)
		rc = pl_store_insert_rows(st, "SELECT s.id, s.fingerprint FROM secrets s JOIN (VALUES ",
					  1, v, ids->n, ") AS w ON w.column1 = s.fingerprint",
					  take_secret_id, ids);
	for (size_t i = 0; rc == 0 && i < ids->n; i++)
		if (ids->id[i] < 0)
			rc = pl_error_set(PL_EIO, "store: secret %s has no id", ids->s[i]->fingerprint);
	free(v);
	return rc;
}

static int take_id(void *ctx, size_t ncols, const char *const *v)
{
	int64_t *id = ctx;
	*id = ncols ? pl_store_int(v[0], -1) : -1;
	return 0;
}

static int upsert_artifact(struct pl_store *st, const struct pl_store_artifact *a, int64_t *id)
{
	struct pl_sql_value p[] = {
		pl_sql_text(a->ecosystem), pl_sql_text(a->project), pl_sql_text(a->version),
		pl_sql_text(a->filename), pl_sql_text(a->sha256), pl_sql_int((int64_t)a->size),
		pl_sql_int_or_null(a->upload_time), pl_sql_int(a->scan_time),
		pl_sql_text(a->ruleset_version), pl_sql_text(a->status), pl_sql_text(a->error),
		pl_sql_int((int64_t)a->bytes_scanned), pl_sql_text(a->url),
		pl_sql_int_or_null(a->yanked),
	};
	*id = -1;
	int rc = pl_store_query(
		st,
		"INSERT INTO artifacts (ecosystem, project, version, filename, sha256, size,"
		" upload_time, scan_time, ruleset_version, status, error, bytes_scanned, url, yanked)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
		" ON CONFLICT (sha256) DO UPDATE SET ecosystem = excluded.ecosystem,"
		" project = excluded.project, version = excluded.version,"
		" filename = excluded.filename, size = excluded.size,"
		" upload_time = excluded.upload_time, scan_time = excluded.scan_time,"
		" ruleset_version = excluded.ruleset_version, status = excluded.status,"
		" error = excluded.error, bytes_scanned = excluded.bytes_scanned,"
		" url = COALESCE(excluded.url, artifacts.url),"
		" yanked = COALESCE(excluded.yanked, artifacts.yanked) RETURNING id",
		p, sizeof(p) / sizeof(p[0]), take_id, id);
	if (rc == 0 && *id < 0)
		rc = pl_error_set(PL_EIO, "store: no id for artifact %s", a->sha256);
	return rc;
}

static size_t count_positions(const struct pl_store_find *f, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += f[i].npos;
	return total;
}

#define OCC_COLS 9

static int write_occurrences(struct pl_store *st, const struct pl_store_artifact *a, int64_t aid,
			     const struct secret_ids *ids, uint64_t *written)
{
	size_t n = count_positions(a->finds, a->nfinds), k = 0;
	struct pl_sql_value *v = pl_xcalloc(n * OCC_COLS + 1, sizeof(*v));
	for (size_t i = 0; i < a->nfinds; i++) {
		const struct pl_store_find *f = &a->finds[i];
		int64_t sid = secret_id(ids, f->fingerprint);
		for (size_t j = 0; j < f->npos; j++, k += OCC_COLS) {
			v[k] = pl_sql_int(sid);
			v[k + 1] = pl_sql_int(aid);
			v[k + 2] = pl_sql_text(f->blob);
			v[k + 3] = pl_sql_text(f->path);
			v[k + 4] = pl_sql_int((int64_t)f->pos[j].line);
			v[k + 5] = pl_sql_int((int64_t)f->pos[j].column);
			v[k + 6] = pl_sql_text(f->path_kind);
			v[k + 7] = pl_sql_text(f->ext);
			v[k + 8] = pl_sql_text(f->encoding);
		}
	}
	int rc = pl_store_insert_rows_later(st,
					    "INSERT INTO occurrences (secret_id, artifact_id, blob, path,"
					    " line, col, path_kind, ext, encoding) VALUES ",
					    OCC_COLS, v, n, "");
	free(v);
	*written += n;
	return rc;
}

/* ---- blobs ---- */

static int by_id_then_first(const void *a, const void *b)
{
	const struct pl_store_blob *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->first > y->first) - (x->first < y->first);
}

/* The artifact's blobs, one record per id (the first place it was met). */
static struct pl_store_blob *unique_blobs(const struct pl_store_artifact *a, size_t *n)
{
	struct pl_store_blob *b = pl_xcalloc(a->nblobs + 1, sizeof(*b));
	if (a->nblobs)
		memcpy(b, a->blobs, a->nblobs * sizeof(*b));
	qsort(b, a->nblobs, sizeof(*b), by_id_then_first);
	size_t k = 0;
	for (size_t i = 0; i < a->nblobs; i++)
		if (!k || strcmp(b[k - 1].id, b[i].id))
			b[k++] = b[i];
	*n = k;
	return b;
}

/* Blobs this transaction inserted (the others were stored before). */
struct inserted {
	struct pl_store_blob *b;
	size_t n;
	unsigned char *mine;
};

static int take_inserted(void *ctx, size_t ncols, const char *const *v)
{
	struct inserted *in = ctx;
	if (ncols < 1 || !v[0])
		return 0;
	size_t lo = 0, hi = in->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(in->b[mid].id, v[0]);
		if (c == 0) {
			in->mine[mid] = 1;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

#define BF_COLS 6

static int write_blob_findings(struct pl_store *st, const struct pl_store_artifact *a,
			       const struct inserted *in, const struct secret_ids *ids)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < in->n; i++)
		if (in->mine[i])
			n += count_positions(a->finds + in->b[i].first, in->b[i].count);
	struct pl_sql_value *v = pl_xcalloc(n * BF_COLS + 1, sizeof(*v));
	for (size_t i = 0; i < in->n; i++) {
		for (size_t j = 0; in->mine[i] && j < in->b[i].count; j++) {
			const struct pl_store_find *f = &a->finds[in->b[i].first + j];
			for (size_t p = 0; p < f->npos; p++, k += BF_COLS) {
				v[k] = pl_sql_text(in->b[i].id);
				v[k + 1] = pl_sql_text(a->ruleset_version);
				v[k + 2] = pl_sql_int(secret_id(ids, f->fingerprint));
				v[k + 3] = pl_sql_int((int64_t)f->pos[p].line);
				v[k + 4] = pl_sql_int((int64_t)f->pos[p].column);
				v[k + 5] = pl_sql_text(f->encoding);
			}
		}
	}
	int rc = pl_store_insert_rows_later(st,
					    "INSERT INTO blob_findings (blob, ruleset_version, secret_id,"
					    " line, col, encoding) VALUES ",
					    BF_COLS, v, n, "");
	free(v);
	return rc;
}

#define BLOB_COLS 4
#define BLOB_INTO "blobs (id, ruleset_version, size, nfindings)"

/* Blobs with findings are inserted with RETURNING: their blob_findings are
 * written only for the rows this transaction inserted. Most blobs have none
 * and go in a plain INSERT (no result rows to make and read back). */
static int write_blobs(struct pl_store *st, const struct pl_store_artifact *a,
		       const struct secret_ids *ids)
{
	struct inserted in;
	in.b = unique_blobs(a, &in.n);
	in.mine = pl_xcalloc(in.n + 1, 1);
	struct pl_sql_value *v = pl_xcalloc(in.n * BLOB_COLS + 1, sizeof(*v));
	size_t nfound = 0, nclean = in.n;
	/* Rows with findings first, clean rows from the end (their order does
	 * not matter: rows already there are skipped, no rows back). */
	for (size_t i = 0; i < in.n; i++) {
		size_t npos = count_positions(a->finds + in.b[i].first, in.b[i].count);
		size_t k = npos ? nfound++ : --nclean;
		struct pl_sql_value *row = v + BLOB_COLS * k;
		row[0] = pl_sql_text(in.b[i].id);
		row[1] = pl_sql_text(a->ruleset_version);
		row[2] = pl_sql_int((int64_t)in.b[i].size);
		row[3] = pl_sql_int((int64_t)npos);
	}
	int rc = pl_store_insert_new_rows(st, BLOB_INTO, BLOB_COLS, v, nfound, " RETURNING id",
					  take_inserted, &in);
	if (rc == 0)
		rc = pl_store_insert_new_rows(st, BLOB_INTO, BLOB_COLS, v + BLOB_COLS * nfound,
					      in.n - nfound, "", NULL, NULL);
	if (rc == 0)
		rc = write_blob_findings(st, a, &in, ids);
	free(v);
	free(in.mine);
	free(in.b);
	return rc;
}

static int write_replays(struct pl_store *st, const struct pl_store_artifact *a, int64_t aid,
			 uint64_t *replayed)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < a->nreplays; i++) {
		const struct pl_store_replay *r = &a->replays[i];
		struct pl_sql_value p[] = {pl_sql_int(aid), pl_sql_text(r->path),
					   pl_sql_text(r->path_kind), pl_sql_text(r->ext),
					   pl_sql_text(r->blob_id), pl_sql_text(a->ruleset_version)};
		rc = pl_store_exec(st,
				   "INSERT INTO occurrences (secret_id, artifact_id, blob, path, line, col,"
				   " path_kind, ext, encoding) SELECT secret_id, $1, blob, $2, line, col,"
				   " $3, $4, encoding FROM blob_findings"
				   " WHERE blob = $5 AND ruleset_version = $6",
				   p, 6);
		uint64_t n = rc == 0 ? st->ops->changes(st->conn) : 0;
		/* Fewer rows than the blob had when it was skipped: its findings
		 * are not in the store (a group that failed to commit). */
		if (rc == 0 && n != (uint64_t)r->nfindings)
			rc = pl_error_set(PL_EIO, "store: blob %.12s had %lld findings, %llu are stored:"
						  " scan again", r->blob_id, (long long)r->nfindings,
					  (unsigned long long)n);
		*replayed += n;
	}
	return rc;
}

struct stored_state {
	int found;
	int whole; /* status ok under the same ruleset */
	const char *ruleset;
};

static int take_state(void *ctx, size_t ncols, const char *const *v)
{
	struct stored_state *s = ctx;
	s->found = 1;
	s->whole = ncols >= 2 && v[0] && v[1] && strcmp(v[0], "ok") == 0 &&
		   strcmp(v[1], s->ruleset) == 0;
	return 0;
}

/* existed: the artifact was stored before (its old occurrences go). */
static int write_rows(struct pl_store *st, const struct pl_store_artifact *a, int existed,
		      struct pl_store_written *out)
{
	struct secret_ids ids;
	secret_ids_build(&ids, a);
	int64_t aid = -1;
	struct pl_sql_value p[1];
	int rc = upsert_artifact(st, a, &aid);
	p[0] = pl_sql_int(aid);
	if (rc == 0 && existed)
		rc = pl_store_exec_later(st, "DELETE FROM occurrences WHERE artifact_id = $1", p, 1);
	if (rc == 0 && a->url && strcmp(a->status, "error") != 0) {
		/* A download that failed before (no hash known) is now whole. */
		struct pl_sql_value u[] = {pl_sql_text(a->url), pl_sql_text(a->sha256)};
		rc = pl_store_exec_later(st, "DELETE FROM artifacts WHERE url = $1 AND sha256 <> $2"
					     " AND sha256 LIKE 'unfetched:%'", u, 2);
	}
	if (rc == 0)
		rc = write_secrets(st, &ids);
	if (rc == 0)
		rc = write_occurrences(st, a, aid, &ids, &out->occurrences);
	if (rc == 0)
		rc = write_blobs(st, a, &ids);
	if (rc == 0)
		rc = write_replays(st, a, aid, &out->replayed);
	if (rc == 0)
		rc = pl_store_write_contacts(st, aid, a->contacts, a->ncontacts, existed);
	/* A new release can fix a leak of an older one (issue 8). */
	if (rc == 0)
		pl_store_disclosure_stale(st, a->ecosystem, a->project, a->nfinds + a->nreplays > 0,
					  a->scan_time);
	out->occurrences += out->replayed;
	secret_ids_release(&ids);
	return rc;
}

static int write_or_keep(struct pl_store *st, const struct pl_store_artifact *a, int force,
			 struct pl_store_written *out)
{
	struct stored_state state = {0, 0, a->ruleset_version};
	struct pl_sql_value sha = pl_sql_text(a->sha256);
	int rc = pl_store_query(st, "SELECT status, ruleset_version FROM artifacts WHERE sha256 = $1",
				&sha, 1, take_state, &state);
	if (rc == 0 && state.whole && !force) {
		out->unchanged = 1;
		/* Stored before contacts were kept: add them now. */
		rc = pl_store_contacts_backfill(st, a->sha256, a->contacts, a->ncontacts);
	} else if (rc == 0)
		rc = write_rows(st, a, state.found, out);
	return rc;
}

int pl_store_write_artifact(struct pl_store *st, const struct pl_store_artifact *a, int force,
			    struct pl_store_written *out)
{
	memset(out, 0, sizeof(*out));
	int rc = st->in_tx ? 0 : pl_store_begin(st);
	if (rc == 0)
		rc = pl_store_exec_later(st, "SAVEPOINT artifact", NULL, 0);
	if (rc == 0)
		rc = write_or_keep(st, a, force, out);
	if (rc == 0 && a->in_tx)
		rc = a->in_tx(a->in_tx_ctx, st, a->source, out->unchanged ? "ok" : a->status,
			      out->unchanged ? NULL : a->error);
	if (rc == 0)
		rc = pl_store_exec_later(st, "RELEASE SAVEPOINT artifact", NULL, 0);
	/* What was sent without waiting is checked here, so that a failure
	 * is this artifact's: its rows go back with its savepoint. */
	if (rc == 0)
		rc = pl_store_sync(st);
	if (rc == 0)
		return 0;
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", pl_error_message());
	(void)pl_store_sync(st); /* the rest of the pipeline, if any: after msg */
	if (!st->in_tx || pl_store_exec(st, "ROLLBACK TO SAVEPOINT artifact", NULL, 0) < 0 ||
	    pl_store_exec(st, "RELEASE SAVEPOINT artifact", NULL, 0) < 0) {
		out->group_lost = st->in_tx;
		if (st->in_tx)
			pl_store_rollback(st);
	}
	out->occurrences = out->replayed = 0;
	return pl_error_set(rc, "%s", msg);
}

int pl_store_group_commit(struct pl_store *st)
{
	return st->in_tx ? pl_store_commit(st) : 0;
}
