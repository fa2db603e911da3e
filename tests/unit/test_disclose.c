/* Unit tests for disclosure (issue 8): owner contacts from each metadata
 * format (merging, lists, placeholders, hostile values, caps), and the
 * disclosure state machine on a SQLite store with controlled times (new,
 * notified, rotated and back, fixed and back), and the report data. The
 * PostgreSQL side runs in tests/e2e/test_disclose.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkgleaks/disclose.h"
#include "pkgleaks/error.h"
#include "pkgleaks/finding.h"
#include "pkgleaks/store.h"
#include "store/store_int.h"
#include "test.h"
#include "util/alloc.h"

/* ---- contacts ---- */

static struct pl_package_id parse(const char *path, const char *text)
{
	struct pl_package_id id = PL_PACKAGE_ID_INIT;
	pl_package_id_from_metadata(&id, path, text, strlen(text));
	return id;
}

static int has(const struct pl_package_id *id, const char *role, const char *name,
	       const char *email, const char *url)
{
	for (size_t i = 0; i < id->ncontacts; i++) {
		const struct pl_contact *c = &id->contacts[i];
		const char *want[] = {role, name, email, url}, *got[] = {c->role, c->name, c->email, c->url};
		int same = 1;
		for (size_t k = 0; k < 4; k++)
			same &= (!want[k] && !got[k]) || (want[k] && got[k] && strcmp(want[k], got[k]) == 0);
		if (same)
			return 1;
	}
	for (size_t i = 0; i < id->ncontacts; i++)
		fprintf(stderr, "#   have %s | %s | %s | %s\n", id->contacts[i].role,
			id->contacts[i].name ? id->contacts[i].name : "-",
			id->contacts[i].email ? id->contacts[i].email : "-",
			id->contacts[i].url ? id->contacts[i].url : "-");
	return 0;
}

static void test_pkg_info(void)
{
	struct pl_package_id id = parse(
		"acme-1.0/PKG-INFO",
		"Metadata-Version: 2.1\r\nName: acme\r\nVersion: 1.0\r\nAuthor: Jane Doe\r\n"
		"Author-email: jane@example.org\r\n"
		"Maintainer-email: \"Ops\" <ops@example.org>,\r\n\tbob@example.com\r\n"
		"Home-page: UNKNOWN\r\nProject-URL: Bug Tracker, https://x.example/issues\r\n"
		"Project-URL: https://x.example/docs\r\n\r\nAuthor: body text\r\n");
	CHECK(id.ncontacts == 5);
	CHECK(has(&id, "author", "Jane Doe", "jane@example.org", NULL));
	CHECK(has(&id, "maintainer", "Ops", "ops@example.org", NULL));
	CHECK(has(&id, "maintainer", NULL, "bob@example.com", NULL));
	CHECK(has(&id, "project-url", "Bug Tracker", NULL, "https://x.example/issues"));
	CHECK(has(&id, "project-url", NULL, NULL, "https://x.example/docs"));
	pl_package_id_release(&id);

	/* PEP 621 style: names in the address list; Author then says nothing new. */
	id = parse("a-1/PKG-INFO", "Name: a\nAuthor: A, B\n"
				   "Author-email: A <a@example.org>, B <b@example.org>\n");
	CHECK(id.ncontacts == 2);
	CHECK(has(&id, "author", "A", "a@example.org", NULL));
	CHECK(has(&id, "author", "B", "b@example.org", NULL));
	pl_package_id_release(&id);

	/* One address: a comma in the name does not split it. */
	id = parse("a-1/PKG-INFO", "Name: a\nAuthor-email: Doe, Jane <jane@example.org>\n"
				   "Maintainer: Max Mustermann max@example.org\n");
	CHECK(has(&id, "author", "Doe, Jane", "jane@example.org", NULL));
	CHECK(has(&id, "maintainer", "Max Mustermann", "max@example.org", NULL));
	pl_package_id_release(&id);

	/* setuptools' placeholders name nobody. */
	id = parse("b-1/PKG-INFO", "Name: b\nAuthor: UNKNOWN\nAuthor-email: UNKNOWN\n"
				   "Home-page: None\n");
	CHECK(id.ncontacts == 0);
	pl_package_id_release(&id);
}

static void test_package_json(void)
{
	struct pl_package_id id = parse(
		"package/package.json",
		"{\"name\": \"w\", \"version\": \"1.0.0\","
		" \"author\": \"Barney Rubble <b@rubble.example> (http://barney.example/)\","
		" \"maintainers\": [{\"name\": \"M\", \"email\": \"m@example.org\"}, \"Acme Corp (Legal)\", 7],"
		" \"bugs\": \"https://example.org/bugs\","
		" \"repository\": {\"type\": \"git\", \"url\": \"git+https://github.com/x/y.git\"},"
		" \"homepage\": \"https://w.example\"}");
	CHECK(has(&id, "author", "Barney Rubble", "b@rubble.example", "http://barney.example/"));
	CHECK(has(&id, "maintainer", "M", "m@example.org", NULL));
	CHECK(has(&id, "maintainer", "Acme Corp (Legal)", NULL, NULL));
	CHECK(has(&id, "bugs", NULL, NULL, "https://example.org/bugs"));
	CHECK(has(&id, "repository", NULL, NULL, "https://github.com/x/y.git"));
	CHECK(has(&id, "homepage", NULL, NULL, "https://w.example"));
	CHECK(id.ncontacts == 6);
	pl_package_id_release(&id);

	id = parse("package/package.json", "{\"name\": \"v\", \"repository\": \"user/repo\","
					   " \"author\": {\"email\": \"not an address\"}}");
	CHECK(has(&id, "repository", NULL, NULL, "https://github.com/user/repo"));
	CHECK(id.ncontacts == 1);
	pl_package_id_release(&id);
}

static void test_debian(void)
{
	struct pl_package_id id = parse(
		"control.tar.xz!/./control",
		"Package: tool\nVersion: 1.2-1\nMaintainer: Debian Python Team <team@lists.example>\n"
		"Uploaders: A <a@example.org>,\n B <b@example.org>\nHomepage: https://tool.example\n"
		"Vcs-Browser: https://salsa.example/tool\n");
	CHECK(has(&id, "maintainer", "Debian Python Team", "team@lists.example", NULL));
	CHECK(has(&id, "uploader", "A", "a@example.org", NULL));
	CHECK(has(&id, "uploader", "B", "b@example.org", NULL));
	CHECK(has(&id, "homepage", NULL, NULL, "https://tool.example"));
	CHECK(has(&id, "repository", NULL, NULL, "https://salsa.example/tool"));
	pl_package_id_release(&id);
}

static void test_hostile(void)
{
	/* Control characters are escaped; long values are capped; the list is capped. */
	char *text = pl_xasprintf("Name: h\nAuthor: \x1b[31mEvil\x1b[0m\nAuthor-email: %0300d@x.example\n",
				  0);
	struct pl_package_id id = parse("h-1/PKG-INFO", text);
	CHECK(id.ncontacts == 1);
	CHECK(id.ncontacts == 1 && id.contacts[0].name && !strchr(id.contacts[0].name, '\x1b'));
	CHECK(id.ncontacts == 1 && !id.contacts[0].email); /* too long to be an address */
	pl_package_id_release(&id);
	free(text);

	size_t cap = 4096, n = 0;
	char *many = pl_xmalloc(cap);
	n += (size_t)snprintf(many, cap, "Name: m\n");
	for (int i = 0; i < 40 && n < cap - 64; i++)
		n += (size_t)snprintf(many + n, cap - n, "Project-URL: L%d, https://m.example/%d\n", i, i);
	id = parse("m-1/PKG-INFO", many);
	CHECK(id.ncontacts == PL_CONTACTS_MAX);
	pl_package_id_release(&id);
	free(many);

	/* The shallowest metadata file's contacts win, as its name does. */
	id = parse("a-1/a.egg-info/PKG-INFO", "Name: a\nAuthor-email: deep@example.org\n");
	pl_package_id_from_metadata(&id, "a-1/PKG-INFO", "Name: a\nAuthor-email: top@example.org\n",
				    strlen("Name: a\nAuthor-email: top@example.org\n"));
	CHECK(id.ncontacts == 1 && has(&id, "author", NULL, "top@example.org", NULL));
	pl_package_id_release(&id);
}

/* ---- the state machine ---- */

#define SECRET_A "ghp_0123456789abcdefghijABCDEFGHIJ012345"
#define SECRET_B "xoxb-1234567890-0987654321-abcdefghijklmnopqrstuvwx"

static char fp_a[65], fp_b[65];

/* Writes release `version` of project p, uploaded at t, holding A and/or B,
 * in the open group (begun if none). */
static void write_release(struct pl_store *st, const char *version, int64_t t, int with_a,
			  int with_b, const struct pl_contact *contacts, size_t ncontacts)
{
	static const struct pl_position pos = {3, 7};
	struct pl_store_find finds[2];
	size_t n = 0;
	if (with_a)
		finds[n++] = (struct pl_store_find){fp_a, "github-pat-classic", "ghp_…", NULL, NULL,
						    "p/conf.py", "code", ".py", "", &pos, 1};
	if (with_b)
		finds[n++] = (struct pl_store_find){fp_b, "slack-bot-token", "xoxb…", NULL, NULL,
						    "p/slack.py", "code", ".py", "", &pos, 1};
	char *file = pl_xasprintf("p-%s.tar.gz", version), sha[65];
	pl_fingerprint("p", version, strlen(version), sha);
	struct pl_store_artifact a = {.ecosystem = "pypi", .project = "p", .version = version,
				      .filename = file, .sha256 = sha, .size = 10, .upload_time = t,
				      .scan_time = t, .ruleset_version = "v", .status = "ok",
				      .finds = finds, .nfinds = n, .contacts = contacts,
				      .ncontacts = ncontacts};
	struct pl_store_written w;
	CHECK(pl_store_write_artifact(st, &a, 0, &w) == 0);
	free(file);
}

/* The same, committed. */
static void release(struct pl_store *st, const char *version, int64_t t, int with_a, int with_b,
		    const struct pl_contact *contacts, size_t ncontacts)
{
	write_release(st, version, t, with_a, with_b, contacts, ncontacts);
	CHECK(pl_store_group_commit(st) == 0);
}

/* Whether A's disclosure row says fixed, read without a refresh. */
static int a_is_fixed(struct pl_store *st)
{
	struct pl_sql_value p = pl_sql_text(fp_a);
	int64_t n = -1;
	CHECK(pl_store_query_int(st, "SELECT COUNT(*) FROM disclosures d JOIN secrets s"
				     " ON s.id = d.secret_id WHERE s.fingerprint = $1"
				     " AND d.state = 'fixed'", &p, 1, &n) == 1);
	return n == 1;
}

static const struct pl_disclose_filter all = {NULL, NULL, 0}, valid_only = {NULL, NULL, 1};

/* The state of the secret with fingerprint fp, after a refresh at now. */
static void expect(struct pl_store *st, int64_t now, const char *fp, const char *state,
		   const char *fixed, int line)
{
	CHECK(pl_store_disclosure_refresh(st, &all, now) == 0);
	struct pl_disclosure d;
	CHECK(pl_store_disclosure(st, &all, &d) == 0);
	const struct pl_disclose_secret *s = NULL;
	for (size_t i = 0; i < d.nprojects; i++)
		for (size_t k = 0; k < d.projects[i].nsecrets; k++)
			if (strcmp(d.projects[i].secrets[k].fingerprint, fp) == 0)
				s = &d.projects[i].secrets[k];
	if (!s || strcmp(s->state, state) != 0 ||
	    (fixed ? !s->fixed_version || strcmp(s->fixed_version, fixed) : s->fixed_version != NULL)) {
		fprintf(stderr, "%s:%d: state %s (fixed in %s), expected %s (%s)\n", __FILE__, line,
			s ? s->state : "(none)", s && s->fixed_version ? s->fixed_version : "-", state,
			fixed ? fixed : "-");
		pl_test_failures++;
	}
	pl_disclosure_release(&d);
}
#define EXPECT(now, fp, state, fixed) expect(st, now, fp, state, fixed, __LINE__)

static void test_states(struct pl_store *st)
{
	pl_fingerprint("github-pat-classic", SECRET_A, strlen(SECRET_A), fp_a);
	pl_fingerprint("slack-bot-token", SECRET_B, strlen(SECRET_B), fp_b);
	struct pl_contact c[] = {{"author", "Jane", "jane@example.org", NULL},
				 {"homepage", NULL, NULL, "https://p.example"}};
	release(st, "1.0", 100, 1, 1, c, 2);
	EXPECT(150, fp_a, "new", NULL);

	/* --only-valid before any check: nothing; the counts say why. */
	struct pl_disclosure d;
	CHECK(pl_store_disclosure(st, &valid_only, &d) == 0);
	CHECK(d.nprojects == 0 && d.secrets == 2 && d.checked == 0 && d.valid == 0);
	pl_disclosure_release(&d);

	CHECK(pl_store_add_validation(st, fp_a, 200, "valid", "login=octo") == 0);
	CHECK(pl_store_add_validation(st, fp_b, 200, "invalid", NULL) == 0);
	EXPECT(250, fp_a, "new", NULL);
	EXPECT(250, fp_b, "new", NULL); /* invalid, but never valid nor notified */

	uint64_t marked, already;
	const char *prefix[] = {"ABCDEF0123"};
	CHECK(pl_store_mark_notified(st, &all, prefix, 1, 300, &marked, &already) < 0);
	char short_a[13];
	snprintf(short_a, sizeof(short_a), "%.12s", fp_a);
	const char *fps[] = {short_a};
	CHECK(pl_store_mark_notified(st, &all, fps, 1, 300, &marked, &already) == 0);
	CHECK(marked == 1 && already == 0);
	EXPECT(350, fp_a, "notified", NULL);
	EXPECT(350, fp_b, "new", NULL);

	/* Invalid after valid: rotated; valid again (a flaky answer): back. */
	CHECK(pl_store_add_validation(st, fp_a, 400, "invalid", NULL) == 0);
	CHECK(pl_store_add_validation(st, fp_a, 410, "unknown", "timeout") == 0);
	EXPECT(450, fp_a, "rotated", NULL);
	CHECK(pl_store_add_validation(st, fp_a, 500, "valid", NULL) == 0);
	EXPECT(550, fp_a, "notified", NULL);

	/* Notified, never valid, then a check says invalid: rotated. */
	struct pl_disclose_filter proj = {"pypi", "P", 0};
	CHECK(pl_store_mark_notified(st, &proj, NULL, 0, 600, &marked, &already) == 0);
	CHECK(marked == 1 && already == 1);
	CHECK(pl_store_add_validation(st, fp_b, 650, "invalid", NULL) == 0);
	EXPECT(660, fp_b, "rotated", NULL);

	/* 1.1 drops A: fixed when 1.1 is written (no refresh asked for). */
	release(st, "1.1", 700, 0, 1, c, 1);
	int64_t n = 0;
	struct pl_sql_value p = pl_sql_text(fp_a);
	CHECK(pl_store_query_int(st, "SELECT COUNT(*) FROM disclosures d JOIN secrets s"
				     " ON s.id = d.secret_id WHERE s.fingerprint = $1"
				     " AND d.state = 'fixed' AND d.fixed_version = '1.1'", &p, 1, &n) == 1);
	CHECK(n == 1);
	EXPECT(750, fp_a, "fixed", "1.1");

	/* The report data: releases, locations, contacts of the newest release first. */
	CHECK(pl_store_disclosure(st, &all, &d) == 0);
	CHECK(d.nprojects == 1);
	if (d.nprojects == 1) {
		const struct pl_disclose_project *pr = &d.projects[0];
		CHECK_STR(pr->newest_version, "1.1");
		CHECK(pr->nsecrets == 2);
		CHECK(pr->ncontacts == 2);
		if (pr->ncontacts == 2) {
			CHECK_STR(pr->contacts[0].version, "1.1");
			CHECK_STR(pr->contacts[0].c.email, "jane@example.org");
			CHECK_STR(pr->contacts[1].c.url, "https://p.example");
		}
		CHECK_STR(pl_disclose_owner(pr), "jane@example.org");
		const struct pl_disclose_secret *a = &pr->secrets[0]; /* github-pat-classic first */
		CHECK_STR(a->rule, "github-pat-classic");
		CHECK(a->nreleases == 1 && !a->in_newest && a->first_time == 100);
		CHECK(a->nlocations == 1 && a->locations_total == 1);
		if (a->nlocations == 1) {
			CHECK_STR(a->locations[0].path, "p/conf.py");
			CHECK(a->locations[0].line == 3 && a->locations[0].column == 7);
		}
		CHECK_STR(a->validation, "valid");
		CHECK(a->checked_at == 500 && a->valid_at == 500 && a->notified_at == 300);
		const struct pl_disclose_secret *b = &pr->secrets[1];
		CHECK(b->nreleases == 2 && b->in_newest);
		if (b->nreleases == 2) {
			CHECK_STR(b->releases[0], "1.0");
			CHECK_STR(b->releases[1], "1.1");
		}
	}
	pl_disclosure_release(&d);
	CHECK(pl_store_disclosure(st, &valid_only, &d) == 0);
	CHECK(d.nprojects == 1 && d.projects[0].nsecrets == 1 && d.valid == 1 && d.checked == 2);
	pl_disclosure_release(&d);

	/* 1.2 brings A back: no longer fixed. */
	release(st, "1.2", 800, 1, 1, NULL, 0);
	EXPECT(850, fp_a, "notified", NULL);

	/* Releases written in one group refresh the project once, at the
	 * commit: 1.3 holds A, 1.4 drops it; A is fixed in 1.4 once it
	 * commits, and not before (the refresh waits for the last release). */
	write_release(st, "1.3", 900, 1, 1, NULL, 0);
	write_release(st, "1.4", 910, 0, 1, NULL, 0);
	CHECK(st->nstale == 1);
	CHECK(!a_is_fixed(st));
	CHECK(pl_store_group_commit(st) == 0);
	CHECK(st->nstale == 0);
	CHECK(a_is_fixed(st));
	EXPECT(950, fp_a, "fixed", "1.4");

	/* A rolled back group refreshes nothing: 1.5 (with A) never was. */
	write_release(st, "1.5", 1000, 1, 1, NULL, 0);
	CHECK(st->nstale == 1);
	pl_store_rollback(st);
	CHECK(st->nstale == 0);
	CHECK(a_is_fixed(st));
}

int main(void)
{
	test_pkg_info();
	test_package_json();
	test_debian();
	test_hostile();
	char dir[] = "/tmp/pkgleaks-test-disclose.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *path = pl_xasprintf("%s/d.db", dir);
	struct pl_store *st = NULL;
	CHECK(pl_store_open(path, PL_STORE_CREATE, &st) == 0);
	if (st)
		test_states(st);
	pl_store_free(st);
	char *cmd = pl_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(path);
	TEST_MAIN_END();
}
