/* Disclosure (issue 8): owner contacts, each secret's disclosure state per
 * project, and what a disclosure report needs, read in a few queries.
 *
 * A release is (ecosystem, project, version), dated by its newest artifact,
 * ordered by (time, version) as the study's persistence table orders them:
 * "fixed" is exactly "not in the newest release" there. */
#include "pkgleaks/disclose.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "store/contacts.h"
#include "store/store_int.h"
#include "util/alloc.h"

/* ---- contacts ---- */

#define CONTACT_COLS 6

int pl_store_write_contacts(struct pl_store *st, int64_t artifact_id,
			    const struct pl_contact *c, size_t n, int existed)
{
	struct pl_sql_value id = pl_sql_int(artifact_id);
	int rc = existed ? pl_store_exec_later(st, "DELETE FROM contacts WHERE artifact_id = $1",
					       &id, 1)
			 : 0;
	if (rc < 0 || n == 0)
		return rc;
	struct pl_sql_value *v = pl_xcalloc(n * CONTACT_COLS, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct pl_sql_value *r = v + i * CONTACT_COLS;
		r[0] = pl_sql_int(artifact_id);
		r[1] = pl_sql_int((int64_t)i);
		r[2] = pl_sql_text(c[i].role);
		r[3] = pl_sql_text(c[i].name);
		r[4] = pl_sql_text(c[i].email);
		r[5] = pl_sql_text(c[i].url);
	}
	rc = pl_store_insert_rows_later(
		st, "INSERT INTO contacts (artifact_id, seq, role, name, email, url) VALUES ",
		CONTACT_COLS, v, n, "");
	free(v);
	return rc;
}

int pl_store_contacts_backfill(struct pl_store *st, const char *sha256,
			       const struct pl_contact *c, size_t n)
{
	if (n == 0)
		return 0;
	struct pl_sql_value p = pl_sql_text(sha256);
	int64_t aid = -1;
	int rc = pl_store_query_int(st,
				    "SELECT a.id FROM artifacts a WHERE a.sha256 = $1 AND NOT EXISTS"
				    " (SELECT 1 FROM contacts c WHERE c.artifact_id = a.id)",
				    &p, 1, &aid);
	if (rc <= 0 || aid < 0)
		return rc < 0 ? rc : 0;
	return pl_store_write_contacts(st, aid, c, n, 0);
}

/* ---- disclosure state ---- */

/* Which projects, over table alias t ("a.", "d." or ""): the filter ($1
 * ecosystem, $2 project case-insensitively; NULL = any) or exactly one. */
#define SCOPE_FILTER(t)                                                                   \
	"(CAST($1 AS TEXT) IS NULL OR " t "ecosystem = $1) AND (CAST($2 AS TEXT) IS NULL OR" \
	" LOWER(" t "project) = LOWER($2))"
#define SCOPE_EXACT(t) t "ecosystem = $1 AND " t "project = $2"

/* a and b differ, NULL counting as a value. */
#define DIFFERENT(a, b)                                                                   \
	"(CASE WHEN " a " IS NULL THEN " b " IS NOT NULL WHEN " b " IS NULL THEN 1 = 1"     \
	" ELSE " a " <> " b " END)"

/* A row for every secret found in the projects ($3: now). */
#define INSERT_ROWS(S)                                                                     \
	"INSERT INTO disclosures (secret_id, ecosystem, project, state, state_at)"          \
	" SELECT DISTINCT o.secret_id, a.ecosystem, a.project, 'new', CAST($3 AS BIGINT)"    \
	" FROM artifacts a JOIN occurrences o ON o.artifact_id = a.id WHERE " S("a.")       \
	" ON CONFLICT (secret_id, ecosystem, project) DO NOTHING"

/* Fixed: the release after the last one holding the secret, when there is
 * one; fixed_at is when the store first saw it so ($3: now). */
/* Releases count when an artifact of theirs was read whole or holds a secret: one
 * that could not be fetched or read says nothing about what it holds. */
#define READ(a)                                                                            \
	"(" a "status = 'ok' OR EXISTS (SELECT 1 FROM occurrences x"                        \
	" WHERE x.artifact_id = " a "id))"

/* The state from fixed version f and the rotated and notified times of row
 * (a table name and '.', or ""): the furthest one reached. */
#define STATE_OF(f, row)                                                                   \
	"CASE WHEN " f " IS NOT NULL THEN 'fixed' WHEN " row "rotated_at IS NOT NULL"       \
	" THEN 'rotated' WHEN " row "notified_at IS NOT NULL THEN 'notified' ELSE 'new' END"

/* ...so a write, which can change only fixed, sets the state here too. */
#define FIXED(S)                                                                           \
	"WITH fa AS (SELECT a.id, a.ecosystem, a.project, a.version, a.upload_time"        \
	" FROM artifacts a WHERE " S("a.") " AND " READ("a.") "),"                          \
	" rel AS (SELECT ecosystem, project, version, MAX(COALESCE(upload_time, -1)) AS t"  \
	" FROM fa GROUP BY ecosystem, project, version),"                                    \
	" rk AS (SELECT ecosystem, project, version, ROW_NUMBER() OVER"                       \
	" (PARTITION BY ecosystem, project ORDER BY t, version) AS k FROM rel),"            \
	" held AS (SELECT o.secret_id, rk.ecosystem, rk.project, MAX(rk.k) AS k"             \
	" FROM occurrences o JOIN fa ON fa.id = o.artifact_id JOIN rk ON"                    \
	" rk.ecosystem = fa.ecosystem AND rk.project = fa.project AND rk.version = fa.version" \
	" GROUP BY o.secret_id, rk.ecosystem, rk.project),"                                  \
	" fx AS (SELECT held.secret_id, held.ecosystem, held.project, nx.version AS version"  \
	" FROM held LEFT JOIN rk nx ON nx.ecosystem = held.ecosystem"                        \
	" AND nx.project = held.project AND nx.k = held.k + 1)"                              \
	" UPDATE disclosures SET fixed_version = fx.version, fixed_at = CASE WHEN fx.version" \
	" IS NULL THEN NULL ELSE COALESCE(disclosures.fixed_at, CAST($3 AS BIGINT)) END,"     \
	" state = " STATE_OF("fx.version", "disclosures.") ", state_at = CASE WHEN"         \
	" disclosures.state = " STATE_OF("fx.version", "disclosures.")                       \
	" THEN disclosures.state_at ELSE CAST($3 AS BIGINT) END"                             \
	" FROM fx WHERE disclosures.secret_id = fx.secret_id"                                \
	" AND disclosures.ecosystem = fx.ecosystem AND disclosures.project = fx.project"     \
	" AND " DIFFERENT("disclosures.fixed_version", "fx.version")

/* Rotated: the first check saying invalid after the last one saying valid,
 * or, never valid, after the notice. */
#define ROTATED(S)                                                                         \
	"WITH rv AS (SELECT d.secret_id, d.ecosystem, d.project, (SELECT MIN(v.checked_at)"  \
	" FROM validations v WHERE v.secret_id = d.secret_id AND v.status = 'invalid'"       \
	" AND v.checked_at > COALESCE((SELECT MAX(w.checked_at) FROM validations w"          \
	" WHERE w.secret_id = d.secret_id AND w.status = 'valid'), d.notified_at - 1)) AS r" \
	" FROM disclosures d WHERE " S("d.") ")"                                             \
	" UPDATE disclosures SET rotated_at = rv.r FROM rv"                                  \
	" WHERE disclosures.secret_id = rv.secret_id AND disclosures.ecosystem = rv.ecosystem" \
	" AND disclosures.project = rv.project AND " DIFFERENT("disclosures.rotated_at", "rv.r")

/* The furthest state reached ($3: now, when it changes). */
#define STATE_EXPR STATE_OF("fixed_version", "")
#define STATE(S)                                                                           \
	"UPDATE disclosures SET state = " STATE_EXPR ", state_at = CAST($3 AS BIGINT)"      \
	" WHERE " S("") " AND state <> " STATE_EXPR

struct refresh_sql {
	const char *insert, *fixed, *rotated, *state;
};

static const struct refresh_sql by_filter = {INSERT_ROWS(SCOPE_FILTER), FIXED(SCOPE_FILTER),
					     ROTATED(SCOPE_FILTER), STATE(SCOPE_FILTER)};
static const struct refresh_sql by_project = {INSERT_ROWS(SCOPE_EXACT), FIXED(SCOPE_EXACT),
					      ROTATED(SCOPE_EXACT), STATE(SCOPE_EXACT)};

/* What a refresh recomputes: a write can add secrets and change fixed (whose
 * statement sets the state too); validations and notices change only rotated
 * and the state. */
enum { R_INSERT = 1, R_FIXED = 2, R_ROTATED = 4 };

static int refresh(struct pl_store *st, const struct refresh_sql *q, const char *ecosystem,
		   const char *project, int64_t now, unsigned what)
{
	struct pl_sql_value p[] = {pl_sql_text(ecosystem), pl_sql_text(project), pl_sql_int(now)};
	int rc = what & R_INSERT ? pl_store_exec(st, q->insert, p, 3) : 0;
	if (rc == 0 && (what & R_FIXED))
		rc = pl_store_exec(st, q->fixed, p, 3);
	if (rc == 0 && (what & R_ROTATED))
		rc = pl_store_exec(st, q->rotated, p, 2);
	if (rc == 0 && (what & R_ROTATED))
		rc = pl_store_exec(st, q->state, p, 3);
	return rc < 0 ? pl_store_error_context(rc, "disclosure state") : 0;
}

static int refresh_project(struct pl_store *st, const char *ecosystem, const char *project,
			   int found, int64_t now)
{
	if (!found) {
		/* Most artifacts a crawl writes hold no secret, nor do their
		 * projects: one cheap look instead of the fixed statement, which
		 * PostgreSQL plans anew each time (about 0.5 ms). */
		struct pl_sql_value p[] = {pl_sql_text(ecosystem), pl_sql_text(project)};
		int64_t any = 0;
		int rc = pl_store_query_int(st, "SELECT COUNT(*) FROM (SELECT 1 FROM disclosures"
						" WHERE " SCOPE_EXACT("") " LIMIT 1) x", p, 2, &any);
		if (rc < 0)
			return pl_store_error_context(rc, "disclosure state");
		if (any == 0)
			return 0;
	}
	/* A fix is a later release: with one version stored, nothing is
	 * fixed nor ever was (artifacts are not deleted), and the fixed
	 * statement, most of a refresh, would change nothing. */
	struct pl_sql_value p[] = {pl_sql_text(ecosystem), pl_sql_text(project)};
	int64_t versions = 2;
	int rc = pl_store_query_int(st, "SELECT COUNT(*) FROM (SELECT DISTINCT version FROM"
					" artifacts WHERE " SCOPE_EXACT("") " LIMIT 2) x",
				    p, 2, &versions);
	if (rc < 0)
		return pl_store_error_context(rc, "disclosure state");
	return refresh(st, &by_project, ecosystem, project, now,
		       (found ? R_INSERT : 0) | (versions > 1 ? R_FIXED : 0));
}

void pl_store_disclosure_stale(struct pl_store *st, const char *ecosystem, const char *project,
			       int found, int64_t now)
{
	for (size_t i = 0; i < st->nstale; i++) {
		struct pl_store_stale *p = &st->stale[i];
		if (strcmp(p->project, project) == 0 && strcmp(p->ecosystem, ecosystem) == 0) {
			p->found |= found;
			p->now = now > p->now ? now : p->now;
			return;
		}
	}
	PL_GROW(st->stale, st->capstale, st->nstale + 1);
	st->stale[st->nstale++] = (struct pl_store_stale){pl_xstrdup(ecosystem),
							  pl_xstrdup(project), found, now};
}

void pl_store_disclosure_stale_clear(struct pl_store *st)
{
	for (size_t i = 0; i < st->nstale; i++) {
		free(st->stale[i].ecosystem);
		free(st->stale[i].project);
	}
	st->nstale = 0;
}

int pl_store_disclosure_refresh_stale(struct pl_store *st)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < st->nstale; i++) {
		const struct pl_store_stale *p = &st->stale[i];
		rc = refresh_project(st, p->ecosystem, p->project, p->found, p->now);
	}
	pl_store_disclosure_stale_clear(st);
	return rc;
}

/* Runs fn in the open transaction, or in one of its own. */
static int in_transaction(struct pl_store *st, int (*fn)(struct pl_store *, void *), void *ctx)
{
	if (st->in_tx)
		return fn(st, ctx);
	int rc = pl_store_begin(st);
	if (rc == 0)
		rc = fn(st, ctx);
	if (rc == 0)
		return pl_store_commit(st);
	if (st->in_tx)
		pl_store_rollback(st);
	return rc;
}

struct refresh_args {
	const struct pl_disclose_filter *f;
	int64_t now;
};

static int refresh_tx(struct pl_store *st, void *ctx)
{
	struct refresh_args *a = ctx;
	return refresh(st, &by_filter, a->f->ecosystem, a->f->project, a->now,
		       R_INSERT | R_FIXED | R_ROTATED);
}

int pl_store_disclosure_refresh(struct pl_store *st, const struct pl_disclose_filter *f,
				int64_t now)
{
	struct refresh_args a = {f, now};
	return in_transaction(st, refresh_tx, &a);
}

/* ---- marking secrets notified ---- */

/* Only secrets an issuer accepted at least once, when parameter n is not 0. */
#define ONLY_VALID(id, n)                                                                  \
	"(CAST(" n " AS INTEGER) = 0 OR EXISTS (SELECT 1 FROM validations v"                 \
	" WHERE v.secret_id = " id " AND v.status = 'valid'))"

struct mark_args {
	const struct pl_disclose_filter *f;
	char **fps; /* full fingerprints once resolved */
	size_t n;
	int64_t at;
	uint64_t marked, already;
};

/* Lower-case hex of 8 to 64 digits. */
static char *normalise_fingerprint(const char *s)
{
	size_t n = strlen(s);
	if (n < 8 || n > 64)
		return NULL;
	char *out = pl_xstrdup(s);
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)out[i])) {
			free(out);
			return NULL;
		}
		out[i] = (char)tolower((unsigned char)out[i]);
	}
	return out;
}

struct matches {
	char *first;
	size_t n;
};

static int take_match(void *ctx, size_t ncols, const char *const *v)
{
	struct matches *m = ctx;
	if (ncols >= 1 && v[0] && m->n++ == 0)
		m->first = pl_xstrdup(v[0]);
	return 0;
}

/* A prefix to the one fingerprint it names. */
static int resolve(struct pl_store *st, char **fp)
{
	struct pl_sql_value p = pl_sql_text(*fp);
	struct matches m = {NULL, 0};
	int rc = pl_store_query(st,
				"SELECT fingerprint FROM secrets WHERE SUBSTR(fingerprint, 1,"
				" LENGTH(CAST($1 AS TEXT))) = $1 ORDER BY fingerprint LIMIT 2",
				&p, 1, take_match, &m);
	if (rc == 0 && m.n == 0)
		rc = pl_error_set(PL_ENOTFOUND, "no secret with fingerprint %s in the store", *fp);
	else if (rc == 0 && m.n > 1)
		rc = pl_error_set(PL_EINVAL, "fingerprint %s is ambiguous: give more digits", *fp);
	if (rc == 0) {
		free(*fp);
		*fp = m.first;
		m.first = NULL;
	}
	free(m.first);
	return rc;
}

static int mark_one(struct pl_store *st, struct mark_args *a, const char *fp)
{
	const struct pl_disclose_filter *f = a->f;
	struct pl_sql_value p[] = {pl_sql_text(f->ecosystem), pl_sql_text(f->project),
				   pl_sql_text(fp), pl_sql_int(a->at)};
	int64_t before = 0;
	int rc = pl_store_query_int(st,
				    "SELECT COUNT(*) FROM disclosures d JOIN secrets s ON s.id = d.secret_id"
				    " WHERE " SCOPE_FILTER("d.") " AND s.fingerprint = $3"
				    " AND d.notified_at IS NOT NULL",
				    p, 3, &before);
	if (rc < 0)
		return rc;
	rc = pl_store_exec(st,
			   "UPDATE disclosures SET notified_at = CAST($4 AS BIGINT) WHERE "
			   SCOPE_FILTER("") " AND notified_at IS NULL"
			   " AND secret_id = (SELECT id FROM secrets WHERE fingerprint = $3)",
			   p, 4);
	uint64_t now = rc == 0 ? st->ops->changes(st->conn) : 0;
	if (rc == 0 && now == 0 && before == 0)
		rc = f->project ? pl_error_set(PL_ENOTFOUND, "secret %.12s is not in project %s", fp,
					       f->project)
				: pl_error_set(PL_ENOTFOUND, "secret %.12s is in none of the projects"
							     " selected", fp);
	a->marked += now;
	a->already += (uint64_t)before;
	return rc;
}

static int mark_project(struct pl_store *st, struct mark_args *a)
{
	const struct pl_disclose_filter *f = a->f;
	struct pl_sql_value p[] = {pl_sql_text(f->ecosystem), pl_sql_text(f->project),
				   pl_sql_int(f->only_valid ? 1 : 0), pl_sql_int(a->at)};
	int64_t before = 0;
	int rc = pl_store_query_int(st,
				    "SELECT COUNT(*) FROM disclosures d WHERE " SCOPE_FILTER("d.")
				    " AND d.notified_at IS NOT NULL AND "
				    ONLY_VALID("d.secret_id", "$3"),
				    p, 3, &before);
	if (rc < 0)
		return rc;
	rc = pl_store_exec(st,
			   "UPDATE disclosures SET notified_at = CAST($4 AS BIGINT) WHERE "
			   SCOPE_FILTER("") " AND notified_at IS NULL AND "
			   ONLY_VALID("disclosures.secret_id", "$3"),
			   p, 4);
	a->marked += rc == 0 ? st->ops->changes(st->conn) : 0;
	a->already += (uint64_t)before;
	return rc;
}

static int mark_tx(struct pl_store *st, void *ctx)
{
	struct mark_args *a = ctx;
	int rc = refresh(st, &by_filter, a->f->ecosystem, a->f->project, a->at,
			 R_INSERT | R_FIXED | R_ROTATED);
	for (size_t i = 0; rc == 0 && i < a->n; i++)
		rc = resolve(st, &a->fps[i]);
	for (size_t i = 0; rc == 0 && i < a->n; i++)
		rc = mark_one(st, a, a->fps[i]);
	if (rc == 0 && a->n == 0)
		rc = mark_project(st, a);
	struct pl_sql_value p[] = {pl_sql_text(a->f->ecosystem), pl_sql_text(a->f->project),
				   pl_sql_int(a->at)};
	if (rc == 0)
		rc = pl_store_exec(st, STATE(SCOPE_FILTER), p, 3);
	return rc;
}

int pl_store_mark_notified(struct pl_store *st, const struct pl_disclose_filter *f,
			   const char *const *fingerprints, size_t n, int64_t at, uint64_t *marked,
			   uint64_t *already)
{
	*marked = *already = 0;
	if (n == 0 && !f->project)
		return pl_error_set(PL_EINVAL, "name the secrets (fingerprints) or the project"
					       " whose owner was told");
	struct mark_args a = {f, pl_xcalloc(n + 1, sizeof(char *)), n, at, 0, 0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (!(a.fps[i] = normalise_fingerprint(fingerprints[i])))
			rc = pl_error_set(PL_EINVAL, "'%s' is not a fingerprint (8 to 64 hex digits)",
					  fingerprints[i]);
	if (rc == 0)
		rc = in_transaction(st, mark_tx, &a);
	for (size_t i = 0; i < n; i++)
		free(a.fps[i]);
	free(a.fps);
	if (rc == 0) {
		*marked = a.marked;
		*already = a.already;
	}
	return rc;
}

/* ---- reading a disclosure ---- */

/* fa: the artifacts of the projects selected; rel: their releases; sel:
 * the secrets reported ($3: only valid ones). */
#define D_FA                                                                               \
	"WITH fa AS (SELECT * FROM artifacts a WHERE " SCOPE_FILTER("a.") " AND " READ("a.") "),"
#define D_REL                                                                              \
	" rel AS (SELECT ecosystem, project, version, MAX(COALESCE(upload_time, -1)) AS t"  \
	" FROM fa GROUP BY ecosystem, project, version)"
#define D_ONLY(id) ONLY_VALID(id, "$3")
#define D_SR                                                                               \
	", sr AS (SELECT DISTINCT o.secret_id, a.ecosystem, a.project, a.version"            \
	" FROM occurrences o JOIN fa a ON a.id = o.artifact_id WHERE " D_ONLY("o.secret_id") ")"

static const char secrets_sql[] =
	D_FA D_REL D_SR
	", newest AS (SELECT ecosystem, project, version, t FROM (SELECT ecosystem, project,"
	" version, t, ROW_NUMBER() OVER (PARTITION BY ecosystem, project"
	" ORDER BY t DESC, version DESC) AS rn FROM rel) r WHERE rn = 1),"
	" srt AS (SELECT sr.secret_id, sr.ecosystem, sr.project, sr.version, rel.t,"
	" ROW_NUMBER() OVER (PARTITION BY sr.secret_id, sr.ecosystem, sr.project"
	" ORDER BY rel.t, sr.version) AS rf,"
	" ROW_NUMBER() OVER (PARTITION BY sr.secret_id, sr.ecosystem, sr.project"
	" ORDER BY rel.t DESC, sr.version DESC) AS rl"
	" FROM sr JOIN rel ON rel.ecosystem = sr.ecosystem AND rel.project = sr.project"
	" AND rel.version = sr.version)"
	" SELECT f.ecosystem, f.project, n.version, n.t, s.fingerprint, s.rule, s.redacted,"
	" f.version, f.t, l.version, l.t, CASE WHEN l.version = n.version THEN 1 ELSE 0 END,"
	" lv.status, lv.checked_at, lv.detail,"
	" (SELECT MAX(v.checked_at) FROM validations v WHERE v.secret_id = f.secret_id"
	" AND v.status = 'valid'),"
	" d.state, d.notified_at, d.rotated_at, d.fixed_version, d.fixed_at, d.state_at"
	" FROM srt f JOIN srt l ON l.secret_id = f.secret_id AND l.ecosystem = f.ecosystem"
	" AND l.project = f.project AND l.rl = 1"
	" JOIN secrets s ON s.id = f.secret_id"
	" JOIN newest n ON n.ecosystem = f.ecosystem AND n.project = f.project"
	" LEFT JOIN validations lv ON lv.id = (SELECT v.id FROM validations v"
	" WHERE v.secret_id = f.secret_id ORDER BY v.checked_at DESC, v.id DESC LIMIT 1)"
	" LEFT JOIN disclosures d ON d.secret_id = f.secret_id AND d.ecosystem = f.ecosystem"
	" AND d.project = f.project"
	" WHERE f.rf = 1 ORDER BY f.ecosystem, f.project, s.fingerprint";

static const char releases_sql[] =
	D_FA D_REL D_SR
	" SELECT sr.ecosystem, sr.project, s.fingerprint, sr.version FROM sr"
	" JOIN rel ON rel.ecosystem = sr.ecosystem AND rel.project = sr.project"
	" AND rel.version = sr.version JOIN secrets s ON s.id = sr.secret_id"
	" ORDER BY sr.ecosystem, sr.project, s.fingerprint, rel.t, sr.version";

/* $4: locations kept per secret and project. */
static const char locations_sql[] =
	D_FA D_REL
	", oc AS (SELECT a.ecosystem, a.project, o.secret_id, a.version, a.filename, o.path,"
	" o.line, o.col, ROW_NUMBER() OVER (PARTITION BY a.ecosystem, a.project, o.secret_id"
	" ORDER BY rel.t, a.version, a.filename, o.path, o.line, o.col, o.id) AS rn,"
	" COUNT(*) OVER (PARTITION BY a.ecosystem, a.project, o.secret_id) AS total"
	" FROM occurrences o JOIN fa a ON a.id = o.artifact_id JOIN rel"
	" ON rel.ecosystem = a.ecosystem AND rel.project = a.project AND rel.version = a.version"
	" WHERE " D_ONLY("o.secret_id") ")"
	" SELECT oc.ecosystem, oc.project, s.fingerprint, oc.version, oc.filename, oc.path,"
	" oc.line, oc.col, oc.total FROM oc JOIN secrets s ON s.id = oc.secret_id"
	" WHERE oc.rn <= CAST($4 AS INTEGER) ORDER BY oc.ecosystem, oc.project, s.fingerprint, oc.rn";

/* Contacts of the projects reported, newest release first. */
static const char contacts_sql[] =
	D_FA D_REL D_SR
	", pj AS (SELECT DISTINCT ecosystem, project FROM sr)"
	" SELECT a.ecosystem, a.project, a.version, c.role, c.name, c.email, c.url"
	" FROM contacts c JOIN fa a ON a.id = c.artifact_id"
	" JOIN pj ON pj.ecosystem = a.ecosystem AND pj.project = a.project"
	" JOIN rel ON rel.ecosystem = a.ecosystem AND rel.project = a.project"
	" AND rel.version = a.version"
	" ORDER BY a.ecosystem, a.project, rel.t DESC, a.version DESC, a.filename, a.id, c.seq";

static const char counts_sql[] =
	D_FA " ss AS (SELECT DISTINCT o.secret_id FROM occurrences o JOIN fa a ON a.id = o.artifact_id)"
	" SELECT (SELECT COUNT(*) FROM ss),"
	" (SELECT COUNT(*) FROM ss WHERE EXISTS (SELECT 1 FROM validations v"
	" WHERE v.secret_id = ss.secret_id)),"
	" (SELECT COUNT(*) FROM ss WHERE EXISTS (SELECT 1 FROM validations v"
	" WHERE v.secret_id = ss.secret_id AND v.status = 'valid'))";

static char *str(const char *s)
{
	return pl_xstrdup(s ? s : "");
}

static char *opt_str(const char *s)
{
	return s ? pl_xstrdup(s) : NULL;
}

static int need(size_t ncols, size_t want)
{
	return ncols < want ? pl_error_set(PL_EIO, "store: %zu columns, expected %zu", ncols, want)
			    : 0;
}

struct reader {
	struct pl_disclosure *d;
	size_t capp;
	size_t *caps; /* secrets capacity per project */
};

static struct pl_disclose_project *add_project(struct reader *r, const char *eco,
					       const char *project)
{
	struct pl_disclosure *d = r->d;
	if (d->nprojects) {
		struct pl_disclose_project *last = &d->projects[d->nprojects - 1];
		if (strcmp(last->ecosystem, eco) == 0 && strcmp(last->project, project) == 0)
			return last;
	}
	size_t old = r->capp;
	PL_GROW(d->projects, r->capp, d->nprojects + 1);
	if (r->capp != old) {
		r->caps = pl_xrealloc(r->caps, r->capp * sizeof(*r->caps));
		memset(r->caps + old, 0, (r->capp - old) * sizeof(*r->caps));
	}
	struct pl_disclose_project *p = &d->projects[d->nprojects++];
	memset(p, 0, sizeof(*p));
	p->ecosystem = str(eco);
	p->project = str(project);
	return p;
}

static int row_secret(void *ctx, size_t n, const char *const *v)
{
	struct reader *r = ctx;
	if (need(n, 22))
		return PL_EIO;
	struct pl_disclose_project *p = add_project(r, v[0] ? v[0] : "", v[1] ? v[1] : "");
	if (!p->newest_version) {
		p->newest_version = str(v[2]);
		p->newest_time = pl_store_int(v[3], -1);
	}
	size_t pi = (size_t)(p - r->d->projects);
	PL_GROW(p->secrets, r->caps[pi], p->nsecrets + 1);
	struct pl_disclose_secret *s = &p->secrets[p->nsecrets++];
	*s = (struct pl_disclose_secret){
		.fingerprint = str(v[4]), .rule = str(v[5]), .redacted = str(v[6]),
		.first_version = str(v[7]), .first_time = pl_store_int(v[8], -1),
		.last_version = str(v[9]), .last_time = pl_store_int(v[10], -1),
		.in_newest = pl_store_int(v[11], 0) != 0,
		.validation = str(v[12] ? v[12] : "unchecked"),
		.checked_at = pl_store_int(v[13], -1), .validation_detail = opt_str(v[14]),
		.valid_at = pl_store_int(v[15], -1), .state = str(v[16] ? v[16] : "new"),
		.notified_at = pl_store_int(v[17], -1), .rotated_at = pl_store_int(v[18], -1),
		.fixed_version = opt_str(v[19]), .fixed_at = pl_store_int(v[20], -1),
		.state_at = pl_store_int(v[21], -1)};
	return 0;
}

static int cmp_project(const char *eco, const char *project, const struct pl_disclose_project *p)
{
	int c = strcmp(eco, p->ecosystem);
	return c ? c : strcmp(project, p->project);
}

static int cmp_projects(const void *a, const void *b)
{
	const struct pl_disclose_project *x = a, *y = b;
	return cmp_project(x->ecosystem, x->project, y);
}

static int by_fingerprint(const void *a, const void *b)
{
	const struct pl_disclose_secret *x = a, *y = b;
	return strcmp(x->fingerprint, y->fingerprint);
}

static int by_rule(const void *a, const void *b)
{
	const struct pl_disclose_secret *x = a, *y = b;
	int c = strcmp(x->rule, y->rule);
	return c ? c : strcmp(x->fingerprint, y->fingerprint);
}

static struct pl_disclose_project *find_project(struct pl_disclosure *d, const char *eco,
						const char *project)
{
	size_t lo = 0, hi = d->nprojects;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_project(eco, project, &d->projects[mid]);
		if (c == 0)
			return &d->projects[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static struct pl_disclose_secret *find_secret(struct pl_disclose_project *p, const char *fp)
{
	size_t lo = 0, hi = p->nsecrets;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(fp, p->secrets[mid].fingerprint);
		if (c == 0)
			return &p->secrets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The secret a row (ecosystem, project, fingerprint first) is about. */
static struct pl_disclose_secret *row_target(struct pl_disclosure *d, const char *const *v)
{
	if (!v[0] || !v[1] || !v[2])
		return NULL;
	struct pl_disclose_project *p = find_project(d, v[0], v[1]);
	return p ? find_secret(p, v[2]) : NULL;
}

static int row_release(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 4))
		return PL_EIO;
	struct pl_disclose_secret *s = row_target(ctx, v);
	if (!s)
		return 0;
	s->releases = pl_xrealloc(s->releases, (s->nreleases + 1) * sizeof(*s->releases));
	s->releases[s->nreleases++] = str(v[3]);
	return 0;
}

static int row_location(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 9))
		return PL_EIO;
	struct pl_disclose_secret *s = row_target(ctx, v);
	if (!s || s->nlocations >= PL_DISCLOSE_MAX_LOCATIONS)
		return 0;
	s->locations = pl_xrealloc(s->locations, (s->nlocations + 1) * sizeof(*s->locations));
	s->locations[s->nlocations++] = (struct pl_disclose_location){
		str(v[3]), str(v[4]), str(v[5]), pl_store_int(v[6], 0), pl_store_int(v[7], 0)};
	int64_t total = pl_store_int(v[8], 0);
	s->locations_total = total > 0 ? (uint64_t)total : s->nlocations;
	return 0;
}

static int same_contact(const struct pl_contact *a, const char *const *v)
{
	const char *f[] = {a->role, a->name, a->email, a->url};
	for (size_t i = 0; i < 4; i++)
		if ((f[i] == NULL) != (v[i] == NULL) || (f[i] && strcmp(f[i], v[i])))
			return 0;
	return 1;
}

static int row_contact(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 7))
		return PL_EIO;
	if (!v[0] || !v[1] || !v[3])
		return 0;
	struct pl_disclose_project *p = find_project(ctx, v[0], v[1]);
	if (!p || p->ncontacts >= PL_CONTACTS_MAX)
		return 0;
	for (size_t i = 0; i < p->ncontacts; i++)
		if (same_contact(&p->contacts[i].c, v + 3))
			return 0;
	p->contacts = pl_xrealloc(p->contacts, (p->ncontacts + 1) * sizeof(*p->contacts));
	p->contacts[p->ncontacts++] = (struct pl_disclose_contact){
		{str(v[3]), opt_str(v[4]), opt_str(v[5]), opt_str(v[6])}, str(v[2])};
	return 0;
}

static int row_counts(void *ctx, size_t n, const char *const *v)
{
	struct pl_disclosure *d = ctx;
	if (need(n, 3))
		return PL_EIO;
	int64_t c[3];
	for (size_t i = 0; i < 3; i++)
		c[i] = pl_store_int(v[i], 0);
	d->secrets = c[0] > 0 ? (uint64_t)c[0] : 0;
	d->checked = c[1] > 0 ? (uint64_t)c[1] : 0;
	d->valid = c[2] > 0 ? (uint64_t)c[2] : 0;
	return 0;
}

int pl_store_disclosure(struct pl_store *st, const struct pl_disclose_filter *f,
			struct pl_disclosure *out)
{
	memset(out, 0, sizeof(*out));
	struct pl_sql_value p[] = {pl_sql_text(f->ecosystem), pl_sql_text(f->project),
				   pl_sql_int(f->only_valid ? 1 : 0),
				   pl_sql_int(PL_DISCLOSE_MAX_LOCATIONS)};
	struct reader r = {out, 0, NULL};
	int rc = pl_store_query(st, counts_sql, p, 2, row_counts, out);
	if (rc == 0)
		rc = pl_store_query(st, secrets_sql, p, 3, row_secret, &r);
	free(r.caps);
	/* Lookups below go by (ecosystem, project) and fingerprint. */
	if (rc == 0 && out->nprojects) {
		qsort(out->projects, out->nprojects, sizeof(*out->projects), cmp_projects);
		for (size_t i = 0; i < out->nprojects; i++)
			qsort(out->projects[i].secrets, out->projects[i].nsecrets,
			      sizeof(*out->projects[i].secrets), by_fingerprint);
	}
	if (rc == 0 && out->nprojects)
		rc = pl_store_query(st, releases_sql, p, 3, row_release, out);
	if (rc == 0 && out->nprojects)
		rc = pl_store_query(st, locations_sql, p, 4, row_location, out);
	if (rc == 0 && out->nprojects)
		rc = pl_store_query(st, contacts_sql, p, 3, row_contact, out);
	for (size_t i = 0; rc == 0 && i < out->nprojects; i++)
		qsort(out->projects[i].secrets, out->projects[i].nsecrets,
		      sizeof(*out->projects[i].secrets), by_rule);
	if (rc < 0) {
		pl_store_error_context(rc, "disclosure");
		pl_disclosure_release(out);
	}
	return rc;
}

static void secret_release(struct pl_disclose_secret *s)
{
	char *strs[] = {s->fingerprint, s->rule, s->redacted, s->first_version, s->last_version,
			s->validation, s->validation_detail, s->state, s->fixed_version};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	for (size_t i = 0; i < s->nreleases; i++)
		free(s->releases[i]);
	free(s->releases);
	for (size_t i = 0; i < s->nlocations; i++) {
		free(s->locations[i].version);
		free(s->locations[i].filename);
		free(s->locations[i].path);
	}
	free(s->locations);
}

void pl_disclosure_release(struct pl_disclosure *d)
{
	for (size_t i = 0; i < d->nprojects; i++) {
		struct pl_disclose_project *p = &d->projects[i];
		for (size_t k = 0; k < p->nsecrets; k++)
			secret_release(&p->secrets[k]);
		free(p->secrets);
		for (size_t k = 0; k < p->ncontacts; k++) {
			struct pl_contact *c = &p->contacts[k].c;
			free(c->role);
			free(c->name);
			free(c->email);
			free(c->url);
			free(p->contacts[k].version);
		}
		free(p->contacts);
		free(p->ecosystem);
		free(p->project);
		free(p->newest_version);
	}
	free(d->projects);
	memset(d, 0, sizeof(*d));
}
