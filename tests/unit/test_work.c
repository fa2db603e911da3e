/* Unit tests for the work queue (src/store/work.c): unique items and
 * priorities, claims that skip what others hold, the lease token checked
 * at finish, retries with their delay, parking after max attempts, expiry,
 * release, renewal, retry of failed items, status and the workers table.
 *
 * The queue needs PostgreSQL: those parts run when PL_TEST_PG_URL names a
 * database the test may empty (tests/e2e/test_workers.sh starts a server and
 * runs this binary with it); SQLite is checked to be refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "pkgleaks/store.h"
#include "store/store_int.h"
#include "test.h"
#include "util/alloc.h"

static struct pl_work_item file_item(const char *key, const char *path, int priority)
{
	return (struct pl_work_item){.key = (char *)key, .ecosystem = "", .project = "",
				     .version = "", .filename = (char *)path, .path = (char *)path,
				     .size = -1, .upload_time = -1, .yanked = -1,
				     .priority = priority};
}

static void test_sqlite_refused(void)
{
	char dir[] = "/tmp/pkgleaks-test-work.XXXXXX";
	if (!mkdtemp(dir))
		return;
	char *path = pl_xasprintf("%s/w.db", dir);
	struct pl_store *st;
	CHECK(pl_store_open(path, PL_STORE_CREATE, &st) == 0);
	struct pl_work_item it = file_item("file:/a", "/a", 0);
	uint64_t added = 9;
	CHECK(pl_store_work_add(st, &it, 1, 0, &added) == PL_EINVAL);
	CHECK(strstr(pl_error_message(), "PostgreSQL") != NULL);
	CHECK(pl_store_work_claim(st, "w", 10, &it) == PL_EINVAL);
	pl_store_free(st);
	unlink(path);
	rmdir(dir);
	free(path);
}

static void empty(struct pl_store *st)
{
	CHECK(pl_store_query(st, "DELETE FROM work", NULL, 0, NULL, NULL) == 0);
	CHECK(pl_store_query(st, "DELETE FROM workers", NULL, 0, NULL, NULL) == 0);
}

static void test_add_and_claim(struct pl_store *st)
{
	empty(st);
	struct pl_work_item items[] = {file_item("file:/low", "/low", 0),
				       file_item("file:/high", "/high", 5),
				       file_item("file:/low", "/low", 9)};
	uint64_t added = 0;
	CHECK(pl_store_work_add(st, items, 3, 0, &added) == 0);
	CHECK(added == 2); /* the same key twice: one item */
	CHECK(pl_store_work_add(st, items, 1, 0, &added) == 0 && added == 0);
	struct pl_work_item a, b, c;
	CHECK(pl_store_work_claim(st, "w1", 60, &a) == 1);
	CHECK_STR(a.key, "file:/high"); /* higher priority first */
	CHECK(a.attempts == 1 && a.lease > 0 && a.path && !a.url);
	CHECK(pl_store_work_claim(st, "w2", 60, &b) == 1);
	CHECK_STR(b.key, "file:/low");
	CHECK(b.lease != a.lease);
	CHECK(pl_store_work_claim(st, "w3", 60, &c) == 0); /* nothing left to claim */
	enum pl_work_outcome o;
	CHECK(pl_store_work_finish(st, a.id, b.lease, NULL, 3, 0, &o) == 0 && o == PL_WORK_LOST);
	CHECK(pl_store_work_finish(st, a.id, a.lease, NULL, 3, 0, &o) == 0 && o == PL_WORK_DONE);
	CHECK(pl_store_work_finish(st, a.id, a.lease, NULL, 3, 0, &o) == 0 && o == PL_WORK_LOST);
	CHECK(pl_store_work_release(st, b.id, b.lease, "stopping") == 1);
	CHECK(pl_store_work_release(st, b.id, b.lease, "again") == 0);
	CHECK(pl_store_work_claim(st, "w3", 60, &c) == 1);
	CHECK(c.id == b.id && c.attempts == 1); /* a release is no attempt */
	/* Queued again after a rules update: done items come back. */
	CHECK(pl_store_work_add(st, items, 2, 1, &added) == 0 && added == 1);
	pl_work_item_release(&a);
	pl_work_item_release(&b);
	pl_work_item_release(&c);
}

static void test_failures(struct pl_store *st)
{
	empty(st);
	struct pl_work_item it = file_item("file:/bad", "/bad", 0), got;
	uint64_t n;
	enum pl_work_outcome o;
	CHECK(pl_store_work_add(st, &it, 1, 0, &n) == 0 && n == 1);
	CHECK(pl_store_work_claim(st, "w", 60, &got) == 1);
	CHECK(pl_store_work_finish(st, got.id, got.lease, "corrupt", 2, 3600, &o) == 0);
	CHECK(o == PL_WORK_RETRY);
	pl_work_item_release(&got);
	CHECK(pl_store_work_claim(st, "w", 60, &got) == 0); /* waiting for its retry delay */
	struct pl_work_status s;
	CHECK(pl_store_work_status(st, 600, 86400, &s) == 0);
	CHECK(s.queued == 1 && s.waiting == 1 && s.done == 0);
	pl_work_status_release(&s);
	CHECK(pl_store_query(st, "UPDATE work SET not_before = 0", NULL, 0, NULL, NULL) == 0);
	CHECK(pl_store_work_claim(st, "w", 60, &got) == 1 && got.attempts == 2);
	CHECK(pl_store_work_finish(st, got.id, got.lease, "corrupt again", 2, 0, &o) == 0);
	CHECK(o == PL_WORK_PARKED);
	pl_work_item_release(&got);
	struct pl_work_failed *f;
	size_t nf;
	CHECK(pl_store_work_failed(st, 0, &f, &nf) == 0 && nf == 1);
	if (nf == 1) {
		CHECK_STR(f[0].error, "corrupt again");
		CHECK(f[0].attempts == 2);
		CHECK(pl_store_work_retry(st, &f[0].id, 1, &n) == 0 && n == 1);
	}
	pl_work_failed_free(f, nf);
	CHECK(pl_store_work_claim(st, "w", 60, &got) == 1 && got.attempts == 1);
	pl_work_item_release(&got);
}

static void test_leases(struct pl_store *st)
{
	empty(st);
	struct pl_work_item items[] = {file_item("file:/x", "/x", 0), file_item("file:/y", "/y", 0)};
	struct pl_work_item x, y;
	uint64_t n, requeued, parked;
	enum pl_work_outcome o;
	CHECK(pl_store_work_add(st, items, 2, 0, &n) == 0 && n == 2);
	CHECK(pl_store_work_claim(st, "dead", 1, &x) == 1);
	CHECK(pl_store_work_claim(st, "alive", 1, &y) == 1);
	CHECK(pl_store_work_renew(st, &y.lease, 1, 60) == 0);
	sleep(2);
	CHECK(pl_store_work_expire(st, 3, &requeued, &parked) == 0);
	CHECK(requeued == 1 && parked == 0); /* x only: y's lease was renewed */
	CHECK(pl_store_work_finish(st, x.id, x.lease, NULL, 3, 0, &o) == 0 && o == PL_WORK_LOST);
	struct pl_work_item again;
	CHECK(pl_store_work_claim(st, "other", 60, &again) == 1);
	CHECK(again.id == x.id && again.attempts == 2);
	CHECK(pl_store_work_finish(st, again.id, again.lease, NULL, 3, 0, &o) == 0);
	CHECK(o == PL_WORK_DONE);
	/* A lease expired at max attempts is parked, with why. */
	CHECK(pl_store_query(st, "UPDATE work SET lease_until = 0, attempts = 3 WHERE id = $1",
			     (struct pl_sql_value[]){{PL_SQL_INT, NULL, y.id}}, 1, NULL, NULL) == 0);
	CHECK(pl_store_work_expire(st, 3, &requeued, &parked) == 0 && parked == 1);
	struct pl_work_failed *f;
	size_t nf;
	CHECK(pl_store_work_failed(st, 10, &f, &nf) == 0 && nf == 1);
	CHECK(nf == 1 && strstr(f[0].error, "alive") && strstr(f[0].error, "expired"));
	pl_work_failed_free(f, nf);
	pl_work_item_release(&x);
	pl_work_item_release(&y);
	pl_work_item_release(&again);
}

static void test_workers_table(struct pl_store *st)
{
	CHECK(pl_store_worker_beat(st, "h:1", "h", 1, 4, "running", 0, 0, 1) == 0);
	CHECK(pl_store_worker_beat(st, "h:1", "h", 1, 4, "stopped", 7, 1, 0) == 0);
	struct pl_work_status s;
	CHECK(pl_store_work_status(st, 600, 86400, &s) == 0);
	CHECK(s.nworkers == 1);
	if (s.nworkers == 1) {
		CHECK_STR(s.workers[0].state, "stopped");
		CHECK(s.workers[0].done == 7 && s.workers[0].failed == 1 && s.workers[0].jobs == 4);
	}
	CHECK(s.done == 1 && s.failed == 1 && s.recent == 1 && s.window >= 60);
	pl_work_status_release(&s);
}

int main(void)
{
	test_sqlite_refused();
	const char *pg = getenv("PL_TEST_PG_URL");
	struct pl_store *st = NULL;
	if (!pg || !pg[0]) {
		fprintf(stderr, "# PostgreSQL part skipped: PL_TEST_PG_URL not set "
				"(tests/e2e/test_workers.sh runs it against a real server)\n");
		TEST_MAIN_END();
	}
	CHECK(pl_store_open(pg, PL_STORE_CREATE, &st) == 0);
	if (st) {
		test_add_and_claim(st);
		test_failures(st);
		test_leases(st);
		test_workers_table(st);
	}
	pl_store_free(st);
	TEST_MAIN_END();
}
