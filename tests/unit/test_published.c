/* Unit tests of source/published: the glob helpers, MANIFEST.in replay
 * (setuptools' FileList semantics) and npm's reasons, without running npm
 * or a Python build (tests/e2e/test_prevention.sh does that); and
 * util/proc: a missing program, exit status, output capture. */
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "source/published_int.h"
#include "test.h"
#include "util/proc.h"

static void check_reason(struct pl_sdist_info *s, const char *rel, const char *want)
{
	char *got = pl_published_python_reason(s, rel);
	CHECK_STR(got, want);
	free(got);
}

static void test_globs(void)
{
	CHECK(pl_published_glob_dir("lib", "lib/a/b.js"));
	CHECK(pl_published_glob_dir("dist/*.js", "dist/x.js"));
	CHECK(!pl_published_glob_dir("dist/*.js", "dist/sub/x.js"));
	CHECK(pl_published_glob_dir("*.js", "index.js"));
	CHECK(!pl_published_glob_dir("lib", "library/x.js"));
	CHECK(pl_published_glob_tail("*.cfg", "a/b/c.cfg"));
	CHECK(pl_published_glob_tail("b/*.cfg", "a/b/c.cfg"));
	CHECK(!pl_published_glob_tail("*.cfg", "a/b/c.cfg.bak"));
}

static void test_manifest(void)
{
	struct pl_sdist_info s = { 0 };
	pl_published_manifest_parse(&s, "# comment\n"
					"include README.md\n"
					"include conf/*.cfg   \n"
					"\n"
					"recursive-include data *.json\n"
					"graft assets\n"
					"prune assets/private\n"
					"global-exclude *.bak\n"
					"global-include *.ini\n"
					"exclude conf/local.cfg\n");
	CHECK(s.nmanifest == 8);
	check_reason(&s, "conf/settings.cfg", "MANIFEST.in: include conf/*.cfg");
	/* include is anchored at the root and '*' stays in one directory. */
	check_reason(&s, "conf/sub/x.cfg", "package data (package_data, include_package_data or "
					   "the build backend's defaults); MANIFEST.in does not name it");
	check_reason(&s, "data/a/b/c.json", "MANIFEST.in: recursive-include data *.json");
	check_reason(&s, "assets/logo.png", "MANIFEST.in: graft assets");
	check_reason(&s, "deep/dir/app.ini", "MANIFEST.in: global-include *.ini");
	/* A later exclude undoes an include. */
	char *r = pl_published_python_reason(&s, "assets/private/key.pem");
	CHECK(strncmp(r, "MANIFEST.in", 11) != 0);
	free(r);
	r = pl_published_python_reason(&s, "conf/local.cfg");
	CHECK(strncmp(r, "MANIFEST.in", 11) != 0);
	free(r);
	check_reason(&s, "setup.cfg", "setuptools always ships setup.py, setup.cfg, "
				      "pyproject.toml, README and license files");
	check_reason(&s, "src/pkg/keys.py", "a module of the package: setuptools ships every "
					    "package's .py files");
	check_reason(&s, "PKG-INFO", "written by the build (package metadata)");
	check_reason(&s, "src/pkg.egg-info/SOURCES.txt", "written by the build (package metadata)");
	s.scm = 1;
	check_reason(&s, "tools/deploy.sh", "setuptools-scm: every file git tracks ships in the sdist");
	pl_published_python_release(&s);
}

static void test_npm(void)
{
	char *patterns[] = { "index.js", "lib" };
	struct pl_npm_info n = { .has_files_field = 1, .patterns = patterns, .npatterns = 2 };
	char *r = pl_published_npm_reason(&n, "lib/util/x.js");
	CHECK_STR(r, "package.json \"files\" lists \"lib\"");
	free(r);
	r = pl_published_npm_reason(&n, "README.md");
	CHECK(strstr(r, "always packs") != NULL);
	free(r);
	n.has_files_field = 0;
	r = pl_published_npm_reason(&n, ".env");
	CHECK(strstr(r, "no \"files\" field and there is no .npmignore") != NULL);
	free(r);
	n.has_npmignore = 1;
	r = pl_published_npm_reason(&n, ".env");
	CHECK(strstr(r, ".npmignore does not exclude it") != NULL);
	free(r);
}

static void test_proc(void)
{
	struct pl_proc_result res;
	const char *missing[] = { "/nonexistent/pkgleaks-no-such-tool", NULL };
	CHECK(pl_proc_run(missing, NULL, &res) == PL_ENOTFOUND);
	pl_proc_result_release(&res);
	const char *sh[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	CHECK(pl_proc_run(sh, "/", &res) == 0);
	CHECK(res.status == 3);
	CHECK_STR(res.out.data, "out\n");
	char *last = pl_proc_last_line(&res);
	CHECK_STR(last, "err");
	free(last);
	pl_proc_result_release(&res);
	const char *bad_dir[] = { "true", NULL };
	CHECK(pl_proc_run(bad_dir, "/nonexistent-dir", &res) < 0);
	pl_proc_result_release(&res);
	char *tmp = NULL;
	CHECK(pl_tmpdir_new("unit", &tmp) == 0);
	CHECK(pl_rmtree(tmp) == 0);
	free(tmp);
}

int main(void)
{
	test_globs();
	test_manifest();
	test_npm();
	test_proc();
	TEST_MAIN_END();
}
