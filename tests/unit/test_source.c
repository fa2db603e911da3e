/* Unit tests for the registry sources' helpers: PEP 440 ordering, URL
 * resolution (PyPI's Simple pages use relative links), index times, and
 * where the npm registry comes from (never a built-in default). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "pkgleaks/source.h"
#include "source/fetch_int.h"
#include "test.h"

static void test_versions(void)
{
	CHECK(pl_version_cmp("1.0", "1.0.0") == 0 || pl_version_cmp("1.0", "1.0.0") < 0);
	CHECK(pl_version_cmp("1.10", "1.9") > 0);
	CHECK(pl_version_cmp("2.0", "2.0rc1") > 0);
	CHECK(pl_version_cmp("2.0rc1", "2.0b2") > 0);
	CHECK(pl_version_cmp("2.0b2", "2.0a9") > 0);
	CHECK(pl_version_cmp("2.0a1", "2.0.dev3") > 0);
	CHECK(pl_version_cmp("2.0.post1", "2.0") > 0);
	CHECK(pl_version_cmp("1!0.1", "9.9") > 0);
	CHECK(pl_version_cmp("1.0.dev1", "1.0.dev2") < 0);
	CHECK(pl_version_cmp("v3.1", "3.0") > 0);
	CHECK(pl_version_is_pre("1.0rc1"));
	CHECK(pl_version_is_pre("1.0.dev0"));
	CHECK(!pl_version_is_pre("1.0"));
	CHECK(!pl_version_is_pre("1.0.post2"));
}

static void check_resolve(const char *page, const char *url, const char *want)
{
	char *got = pl_url_resolve(page, url);
	CHECK_STR(got, want);
	free(got);
}

static void test_urls(void)
{
	check_resolve("https://pypi.org/simple/foo/", "../../packages/ab/cd/foo-1.0.tar.gz#sha256=x",
		      "https://pypi.org/packages/ab/cd/foo-1.0.tar.gz");
	check_resolve("https://pypi.org/simple/foo/", "/files/1/foo.whl",
		      "https://pypi.org/files/1/foo.whl");
	check_resolve("https://pypi.org/simple/foo/", "https://files.example/x.whl#frag",
		      "https://files.example/x.whl");
	check_resolve("https://pypi.org/simple/foo/", "//cdn.example/x.whl",
		      "https://cdn.example/x.whl");
	check_resolve("http://127.0.0.1:8/simple/foo/", "foo-1.0.zip",
		      "http://127.0.0.1:8/simple/foo/foo-1.0.zip");
	char *d = pl_http_display_url("https://me:s3cret@idx.example/simple/");
	CHECK_STR(d, "https://***@idx.example/simple/");
	free(d);
	d = pl_http_display_url("https://idx.example/a@b");
	CHECK_STR(d, "https://idx.example/a@b");
	free(d);
	char *j = pl_url_join("https://idx.example/root/", "/pypi/x/json");
	CHECK_STR(j, "https://idx.example/root/pypi/x/json");
	free(j);
}

static void test_times(void)
{
	CHECK(pl_parse_iso_time("2023-05-22T15:12:44.175568Z") == 1684768364);
	CHECK(pl_parse_iso_time("2023-05-22T15:12:44") == 1684768364);
	CHECK(pl_parse_iso_time("2023-05-22T17:12:44+02:00") == 1684768364);
	CHECK(pl_parse_iso_time("yesterday") == -1);
	CHECK(pl_parse_iso_time(NULL) == -1);
}

static void test_npm_registry(void)
{
	char dir[] = "/tmp/pkgleaks-test-source-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(dir) == 0);
	setenv("HOME", dir, 1);
	unsetenv("npm_config_registry");
	unsetenv("NPM_CONFIG_REGISTRY");
	char *r = NULL;
	CHECK(pl_npm_registry_find(NULL, &r) == PL_ENOTFOUND && r == NULL);
	CHECK(strstr(pl_error_message(), "--registry") && strstr(pl_error_message(), ".npmrc"));
	FILE *fp = fopen(".npmrc", "w");
	CHECK(fp != NULL);
	fputs("# c\n@acme:registry=http://127.0.0.1:1/scoped/\nregistry = \"http://127.0.0.1:2/r/\"\n",
	      fp);
	fclose(fp);
	CHECK(pl_npm_registry_find(NULL, &r) == 0);
	CHECK_STR(r, "http://127.0.0.1:2/r/");
	free(r);
	setenv("npm_config_registry", "http://127.0.0.1:3/env/", 1);
	CHECK(pl_npm_registry_find(NULL, &r) == 0);
	CHECK_STR(r, "http://127.0.0.1:3/env/");
	free(r);
	CHECK(pl_npm_registry_find("http://127.0.0.1:4/flag/", &r) == 0);
	CHECK_STR(r, "http://127.0.0.1:4/flag/");
	free(r);
	unsetenv("npm_config_registry");
	CHECK(unlink(".npmrc") == 0);
	CHECK(chdir(cwd) == 0);
	CHECK(rmdir(dir) == 0);
}

int main(void)
{
	test_versions();
	test_urls();
	test_times();
	test_npm_registry();
	TEST_MAIN_END();
}
