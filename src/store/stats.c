/* The study's figures, computed in SQL by the store. Every query takes the
 * same four parameters: ecosystem, project, since, until (NULL = no filter),
 * and starts from the artifacts they select. Ties are broken down to unique
 * columns, so SQLite and PostgreSQL return the same rows in the same order. */
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"

#define WHO_FILTER                                                               \
	"(CAST($1 AS TEXT) IS NULL OR ecosystem = $1)"                           \
	" AND (CAST($2 AS TEXT) IS NULL OR LOWER(project) = LOWER($2))"

/* fa: the artifacts the filter selects. */
#define FA                                                                       \
	"WITH fa AS (SELECT * FROM artifacts WHERE " WHO_FILTER                  \
	" AND (CAST($3 AS BIGINT) IS NULL OR upload_time >= $3)"                 \
	" AND (CAST($4 AS BIGINT) IS NULL OR upload_time < $4))"

/* oc: their occurrences. */
#define OC ", oc AS (SELECT o.*, a.ecosystem, a.project FROM occurrences o JOIN fa a ON a.id = o.artifact_id)"

static const char headline_sql[] =
	FA OC ", ss AS (SELECT DISTINCT secret_id FROM oc),"
	" st AS (SELECT x.status FROM ss JOIN secret_status x ON x.secret_id = ss.secret_id)"
	" SELECT (SELECT COUNT(*) FROM ss), (SELECT COUNT(*) FROM oc), (SELECT COUNT(*) FROM fa),"
	" (SELECT COUNT(*) FROM (SELECT DISTINCT ecosystem, project FROM fa) p),"
	" (SELECT COUNT(*) FROM (SELECT DISTINCT ecosystem, project FROM oc) p),"
	" (SELECT COUNT(DISTINCT s.rule) FROM ss JOIN secrets s ON s.id = ss.secret_id),"
	" (SELECT COUNT(*) FROM st WHERE status = 'valid'),"
	" (SELECT COUNT(*) FROM st WHERE status = 'invalid'),"
	" (SELECT COUNT(*) FROM st WHERE status = 'unknown'),"
	" (SELECT COUNT(*) FROM st WHERE status = 'unchecked')";

static const char rules_sql[] =
	FA OC ", sv AS (SELECT x.secret_id FROM secret_status x WHERE x.status = 'valid')"
	" SELECT s.rule, COUNT(DISTINCT oc.secret_id), COUNT(*),"
	" COUNT(DISTINCT oc.ecosystem || '/' || oc.project),"
	" COUNT(DISTINCT CASE WHEN sv.secret_id IS NOT NULL THEN oc.secret_id END)"
	" FROM oc JOIN secrets s ON s.id = oc.secret_id"
	" LEFT JOIN sv ON sv.secret_id = oc.secret_id"
	" GROUP BY s.rule ORDER BY 2 DESC, 3 DESC, 1";

/* First seen is over every release of the selected projects; the time
 * filter then picks the periods. %s is the back end's period expression. */
static const char trends_fmt[] =
	"WITH fp AS (SELECT * FROM artifacts WHERE " WHO_FILTER "),"
	" fs AS (SELECT o.secret_id, MIN(a.upload_time) AS first_seen FROM occurrences o"
	" JOIN fp a ON a.id = o.artifact_id WHERE a.upload_time IS NOT NULL GROUP BY o.secret_id)"
	" SELECT %s AS period, s.rule, COUNT(*),"
	" SUM(CASE WHEN x.status = 'valid' THEN 1 ELSE 0 END)"
	" FROM fs JOIN secrets s ON s.id = fs.secret_id"
	" JOIN secret_status x ON x.secret_id = fs.secret_id"
	" WHERE (CAST($3 AS BIGINT) IS NULL OR fs.first_seen >= $3)"
	" AND (CAST($4 AS BIGINT) IS NULL OR fs.first_seen < $4)"
	" GROUP BY 1, 2 ORDER BY 1, 2";

static const char ext_sql[] =
	FA OC " SELECT ext, COUNT(DISTINCT secret_id), COUNT(*) FROM oc GROUP BY ext"
	" ORDER BY 2 DESC, 3 DESC, 1";

static const char kind_sql[] =
	FA OC " SELECT path_kind, COUNT(DISTINCT secret_id), COUNT(*) FROM oc GROUP BY path_kind"
	" ORDER BY 2 DESC, 3 DESC, 1";

/* A release is (ecosystem, project, version), dated by its newest artifact.
 * The last release holding a secret is the newest one exactly when the
 * secret is still there. */
static const char persist_sql[] =
	FA ", rel AS (SELECT ecosystem, project, version, MAX(COALESCE(upload_time, -1)) AS t"
	" FROM fa GROUP BY ecosystem, project, version),"
	" newest AS (SELECT ecosystem, project, version FROM (SELECT ecosystem, project, version,"
	" ROW_NUMBER() OVER (PARTITION BY ecosystem, project ORDER BY t DESC, version DESC) AS rn"
	" FROM rel) r WHERE rn = 1),"
	" sr AS (SELECT DISTINCT o.secret_id, a.ecosystem, a.project, a.version"
	" FROM occurrences o JOIN fa a ON a.id = o.artifact_id),"
	" srt AS (SELECT sr.secret_id, sr.ecosystem, sr.project, sr.version, rel.t,"
	" ROW_NUMBER() OVER (PARTITION BY sr.secret_id, sr.ecosystem, sr.project"
	" ORDER BY rel.t, sr.version) AS rf,"
	" ROW_NUMBER() OVER (PARTITION BY sr.secret_id, sr.ecosystem, sr.project"
	" ORDER BY rel.t DESC, sr.version DESC) AS rl,"
	" COUNT(*) OVER (PARTITION BY sr.secret_id, sr.ecosystem, sr.project) AS releases"
	" FROM sr JOIN rel ON rel.ecosystem = sr.ecosystem AND rel.project = sr.project"
	" AND rel.version = sr.version)"
	" SELECT s.fingerprint, s.rule, s.redacted, f.ecosystem, f.project, f.version, f.t,"
	" l.version, l.t, f.releases, n.version,"
	" CASE WHEN l.version = n.version THEN 1 ELSE 0 END,"
	" COALESCE(d.state, 'new'), d.notified_at, d.state_at, d.fixed_version,"
	" (SELECT MIN(a2.upload_time) FROM occurrences o2 JOIN artifacts a2"
	" ON a2.id = o2.artifact_id WHERE o2.secret_id = f.secret_id),"
	" (SELECT MAX(v.checked_at) FROM validations v WHERE v.secret_id = f.secret_id"
	" AND v.status = 'valid')"
	" FROM srt f JOIN srt l ON l.secret_id = f.secret_id AND l.ecosystem = f.ecosystem"
	" AND l.project = f.project AND l.rl = 1"
	" JOIN secrets s ON s.id = f.secret_id"
	" JOIN newest n ON n.ecosystem = f.ecosystem AND n.project = f.project"
	" LEFT JOIN disclosures d ON d.secret_id = f.secret_id AND d.ecosystem = f.ecosystem"
	" AND d.project = f.project"
	" WHERE f.rf = 1 ORDER BY s.rule, s.fingerprint, f.ecosystem, f.project";

static const char artifacts_sql[] =
	FA " SELECT a.ecosystem, a.project, a.version, a.filename, a.sha256, a.status, a.error,"
	" a.size, (SELECT COUNT(DISTINCT o.secret_id) FROM occurrences o WHERE o.artifact_id = a.id),"
	" (SELECT COUNT(*) FROM occurrences o WHERE o.artifact_id = a.id),"
	" COALESCE(a.upload_time, -1), a.scan_time"
	" FROM fa a ORDER BY a.ecosystem, a.project, a.version, a.filename, a.sha256";

/* ---- rows into structs ---- */

static uint64_t u(const char *s)
{
	int64_t v = pl_store_int(s, 0);
	return v < 0 ? 0 : (uint64_t)v;
}

static char *str(const char *s)
{
	return pl_xstrdup(s ? s : "");
}

static int need(size_t ncols, size_t want)
{
	return ncols < want ? pl_error_set(PL_EIO, "store: %zu columns, expected %zu", ncols, want) : 0;
}

static int row_headline(void *ctx, size_t n, const char *const *v)
{
	struct pl_stats_headline *h = ctx;
	if (need(n, 10))
		return PL_EIO;
	*h = (struct pl_stats_headline){u(v[0]), u(v[1]), u(v[2]), u(v[3]), u(v[4]),
					u(v[5]), u(v[6]), u(v[7]), u(v[8]), u(v[9])};
	return 0;
}

struct grow {
	void **items;
	size_t *n, cap, size;
};

static void *grow_one(struct grow *g)
{
	pl_xgrow(g->items, &g->cap, *g->n + 1, g->size);
	char *item = (char *)*g->items + *g->n * g->size;
	memset(item, 0, g->size);
	(*g->n)++;
	return item;
}

static int row_rule(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 5))
		return PL_EIO;
	struct pl_stats_rule *r = grow_one(ctx);
	*r = (struct pl_stats_rule){str(v[0]), u(v[1]), u(v[2]), u(v[3]), u(v[4])};
	return 0;
}

static int row_trend(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 4))
		return PL_EIO;
	struct pl_stats_trend *t = grow_one(ctx);
	*t = (struct pl_stats_trend){str(v[0]), str(v[1]), u(v[2]), u(v[3])};
	return 0;
}

static int row_where(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 3))
		return PL_EIO;
	struct pl_stats_where *w = grow_one(ctx);
	*w = (struct pl_stats_where){str(v[0]), u(v[1]), u(v[2])};
	return 0;
}

static int row_persist(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 18))
		return PL_EIO;
	struct pl_stats_persist *p = grow_one(ctx);
	*p = (struct pl_stats_persist){
		.fingerprint = str(v[0]), .rule = str(v[1]), .redacted = str(v[2]),
		.ecosystem = str(v[3]), .project = str(v[4]), .first_version = str(v[5]),
		.first_time = pl_store_int(v[6], -1), .last_version = str(v[7]),
		.last_time = pl_store_int(v[8], -1), .releases = u(v[9]),
		.newest_version = str(v[10]), .still = u(v[11]) != 0, .state = str(v[12]),
		.notified_at = pl_store_int(v[13], -1), .state_at = pl_store_int(v[14], -1),
		.fixed_version = v[15] ? str(v[15]) : NULL, .first_seen = pl_store_int(v[16], -1),
		.last_valid = pl_store_int(v[17], -1)};
	return 0;
}

static int row_artifact(void *ctx, size_t n, const char *const *v)
{
	if (need(n, 12))
		return PL_EIO;
	struct pl_stats_artifact *a = grow_one(ctx);
	*a = (struct pl_stats_artifact){
		.ecosystem = str(v[0]), .project = str(v[1]), .version = str(v[2]),
		.filename = str(v[3]), .sha256 = str(v[4]), .status = str(v[5]),
		.error = v[6] ? str(v[6]) : NULL, .size = u(v[7]), .secrets = u(v[8]),
		.occurrences = u(v[9]), .upload_time = pl_store_int(v[10], -1),
		.scan_time = pl_store_int(v[11], -1)};
	return 0;
}

/* ---- running them ---- */

static int table(struct pl_store *st, const char *sql, const struct pl_sql_value *p,
		 pl_sql_row_fn fn, void *items, size_t *n, size_t size)
{
	struct grow g = {items, n, 0, size};
	return pl_store_query(st, sql, p, 4, fn, &g);
}

static int trends(struct pl_store *st, const struct pl_stats_filter *f,
		  const struct pl_sql_value *p, struct pl_stats *out)
{
	char *sql = pl_xasprintf(trends_fmt, st->ops->period_expr(f->period));
	int rc = table(st, sql, p, row_trend, &out->trends, &out->ntrends, sizeof(*out->trends));
	free(sql);
	return rc;
}

int pl_store_stats(struct pl_store *st, const struct pl_stats_filter *f, int want_artifacts,
		   struct pl_stats *out)
{
	memset(out, 0, sizeof(*out));
	struct pl_sql_value p[] = {pl_sql_text(f->ecosystem), pl_sql_text(f->project),
				   pl_sql_int_or_null(f->since), pl_sql_int_or_null(f->until)};
	int rc = pl_store_query(st, headline_sql, p, 4, row_headline, &out->headline);
	if (rc == 0)
		rc = table(st, rules_sql, p, row_rule, &out->rules, &out->nrules, sizeof(*out->rules));
	if (rc == 0)
		rc = trends(st, f, p, out);
	if (rc == 0)
		rc = table(st, ext_sql, p, row_where, &out->extensions, &out->nextensions,
			   sizeof(*out->extensions));
	if (rc == 0)
		rc = table(st, kind_sql, p, row_where, &out->kinds, &out->nkinds, sizeof(*out->kinds));
	if (rc == 0)
		rc = table(st, persist_sql, p, row_persist, &out->persist, &out->npersist,
			   sizeof(*out->persist));
	if (rc == 0 && want_artifacts)
		rc = table(st, artifacts_sql, p, row_artifact, &out->artifacts, &out->nartifacts,
			   sizeof(*out->artifacts));
	if (rc == 0)
		rc = pl_store_totals(st, &out->totals);
	if (rc < 0)
		pl_stats_release(out);
	return rc;
}

static void free_where(struct pl_stats_where *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].key);
	free(w);
}

void pl_stats_release(struct pl_stats *s)
{
	for (size_t i = 0; i < s->nrules; i++)
		free(s->rules[i].rule);
	for (size_t i = 0; i < s->ntrends; i++) {
		free(s->trends[i].period);
		free(s->trends[i].rule);
	}
	for (size_t i = 0; i < s->npersist; i++) {
		struct pl_stats_persist *p = &s->persist[i];
		char *strs[] = {p->fingerprint, p->rule, p->redacted, p->ecosystem, p->project,
				p->first_version, p->last_version, p->newest_version,
				p->state, p->fixed_version};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(strs[k]);
	}
	for (size_t i = 0; i < s->nartifacts; i++) {
		struct pl_stats_artifact *a = &s->artifacts[i];
		char *strs[] = {a->ecosystem, a->project, a->version, a->filename,
				a->sha256, a->status, a->error};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(strs[k]);
	}
	free(s->rules);
	free(s->trends);
	free_where(s->extensions, s->nextensions);
	free_where(s->kinds, s->nkinds);
	free(s->persist);
	free(s->artifacts);
	memset(s, 0, sizeof(*s));
}
