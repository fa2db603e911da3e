/* Unit tests for pl_path_kind (scan/scan_int.h): a table of paths as they
 * appear in packages, and the order test > example > docs > config > code. */
#include <stdlib.h>
#include <string.h>

#include "scan/scan_int.h"
#include "test.h"
#include "util/alloc.h"

static const struct {
	const char *source, *path, *kind;
} cases[] = {
	/* test */
	{ "a.whl", "pkg/tests/test_api.py", "test" },
	{ "a.whl", "pkg/test/helpers.py", "test" },
	{ "a.tgz", "package/__tests__/index.js", "test" },
	{ "a.gem", "spec/models/user_spec.rb", "test" },
	{ "a.tgz", "package/src/app.test.js", "test" },
	{ "a.tgz", "package/src/app.spec.ts", "test" },
	{ "a.tar.gz", "pkg-1.0/conftest.py", "test" },
	{ "a.tar.gz", "pkg-1.0/pkg/test_settings.py", "test" },
	{ "a.tar.gz", "pkg-1.0/pkg/client_test.py", "test" },
	{ "a.tar.gz", "pkg-1.0/pkg/tests.py", "test" },
	{ "a.tar.gz", "mod/server_test.go", "test" },
	{ "a.jar", "src/test/java/org/x/ClientTest.java", "test" },
	{ "a.jar", "src/main/java/org/x/ClientTests.java", "test" },
	{ "a.tar.gz", "pkg-1.0/testing/util.py", "test" },
	{ "a.tgz", "package/fixtures/keys.json", "test" },
	{ "a.tgz", "package/test-data/creds.txt", "test" },
	{ "a.tgz", "package/integration_tests/run.sh", "test" },
	{ "a.whl", "pkg/__pycache__/test_x.cpython-312.pyc", "test" },
	{ "a.whl", "pkg/__pycache__/x_test.cpython-312.pyc", "test" },
	/* a test fixture archive: the outer member's directory counts */
	{ "a.tgz", "package/tests/data/fixture.tar.gz!/fixture/conf/settings.json", "test" },
	/* a README or config inside tests/ is test data */
	{ "a.tgz", "package/tests/README.md", "test" },
	{ "a.tgz", "package/test/.env", "test" },
	/* and beats examples */
	{ "a.tgz", "package/examples/tests/run.py", "test" },
	{ "a.tgz", "package/tests/examples/run.py", "test" },
	{ "tests/conftest.py", "", "test" },
	{ "TESTS/Settings.PY", "", "test" },

	/* example */
	{ "a.tgz", "package/examples/basic.js", "example" },
	{ "a.tgz", "package/example/config.yaml", "example" },
	{ "a.tgz", "package/samples/app.py", "example" },
	{ "a.tgz", "package/demo/index.html", "example" },
	{ "a.tgz", "package/examples_advanced/x.py", "example" },
	{ "a.tgz", "package/.env.example", "example" },
	{ "a.tgz", "package/.env.sample", "example" },
	{ "a.tgz", "package/config.example.json", "example" },
	{ "a.tgz", "package/settings.py.example", "example" },
	{ "a.tgz", "package/config.php.dist", "example" },
	{ "a.tgz", "package/env.template", "example" },
	{ "a.tgz", "package/sample.env", "example" },
	{ "a.tgz", "package/example.py", "example" },
	{ "a.tgz", "package/local_settings_example.py", "example" },
	{ "a.tgz", "package/examples/README.md", "example" },

	/* docs */
	{ "a.tgz", "package/README.md", "docs" },
	{ "a.tgz", "package/README", "docs" },
	{ "a.tgz", "package/readme.rst", "docs" },
	{ "a.deb", "data.tar.xz!/usr/share/doc/foo/README.Debian", "docs" },
	{ "a.deb", "data.tar.xz!/usr/share/doc/foo/copyright", "docs" },
	{ "a.deb", "data.tar.xz!/usr/share/doc/foo/changelog.Debian.gz", "docs" },
	{ "a.deb", "data.tar.xz!/usr/share/man/man1/foo.1.gz", "docs" },
	{ "a.deb", "data.tar.xz!/usr/share/info/foo.info.gz", "docs" },
	{ "a.tar.gz", "pkg-1.0/docs/conf.py", "docs" },
	{ "a.tar.gz", "pkg-1.0/doc/tutorial.py", "docs" },
	{ "a.tar.gz", "pkg-1.0/CHANGELOG", "docs" },
	{ "a.tar.gz", "pkg-1.0/CHANGES.rst", "docs" },
	{ "a.tar.gz", "pkg-1.0/LICENSE-MIT", "docs" },
	{ "a.tar.gz", "pkg-1.0/notes.txt", "docs" },
	{ "a.tar.gz", "pkg-1.0/guide.adoc", "docs" },
	{ "a.tar.gz", "pkg-1.0/PKG-INFO", "docs" },
	{ "a.whl", "pkg-1.0.dist-info/METADATA", "docs" },
	/* docs beat config */
	{ "a.tgz", "package/docs/config.yaml", "docs" },

	/* config */
	{ "a.tgz", "package/.env", "config" },
	{ "a.tgz", "package/.env.production", "config" },
	{ "a.tgz", "package/prod.env", "config" },
	{ "a.tgz", "package/.npmrc", "config" },
	{ "a.tar.gz", "pkg-1.0/.pypirc", "config" },
	{ "a.tar.gz", "pkg-1.0/setup.cfg", "config" },
	{ "a.tar.gz", "pkg-1.0/tox.ini", "config" },
	{ "a.tar.gz", "pkg-1.0/pyproject.toml", "config" },
	{ "a.tar.gz", "pkg-1.0/app.yaml", "config" },
	{ "a.tar.gz", "pkg-1.0/.github/workflows/deploy.yml", "config" },
	{ "a.tar.gz", "pkg-1.0/.travis.yml", "config" },
	{ "a.tar.gz", "pkg-1.0/nginx.conf", "config" },
	{ "a.jar", "src/main/resources/application.properties", "config" },
	{ "a.tar.gz", "pkg-1.0/Dockerfile", "config" },
	{ "a.tar.gz", "pkg-1.0/Dockerfile.prod", "config" },
	{ "a.tar.gz", "pkg-1.0/docker-compose.override.yml", "config" },
	{ "a.tar.gz", "pkg-1.0/pkg/settings.py", "config" },
	{ "a.whl", "pkg/local_settings.py", "config" },
	{ "a.whl", "pkg/config.py", "config" },
	{ "a.tgz", "package/config.js", "config" },
	{ "a.tgz", "package/webpack.config.js", "config" },
	{ "a.tgz", "package/config/production.json", "config" },
	{ "a.tgz", "package/config/routes.rb", "config" },
	{ "a.tgz", "package/service-account.json", "config" },
	{ "a.tgz", "package/credentials.json", "config" },
	{ "a.tgz", "package/package.json", "config" },
	{ "a.tgz", "package/tsconfig.json", "config" },
	{ "a.tgz", "package/.eslintrc.json", "config" },
	{ "a.tgz", "package/.babelrc", "config" },
	{ "a.tgz", "package/auth-keys.json", "config" },
	{ "a.deb", "data.tar.xz!/etc/foo/foo.conf", "config" },
	{ "a.deb", "data.tar.xz!/etc/default/foo", "config" },
	{ "a.tar.gz", "pkg-1.0/requirements.txt", "config" },
	{ "a.tar.gz", "pkg-1.0/requirements-dev.txt", "config" },
	{ "a.tar.gz", "pkg-1.0/server.key", "config" },
	{ "a.tar.gz", "pkg-1.0/main.tf", "config" },
	{ ".aws/credentials", "", "config" },
	{ "home/.kube/config", "", "config" },

	/* code */
	{ "a.whl", "pkg/client.py", "code" },
	{ "a.whl", "pkg/__pycache__/client.cpython-311.pyc", "code" },
	{ "a.tgz", "package/dist/index.mjs", "code" },
	{ "a.tgz", "package/lib/index.cjs", "code" },
	{ "a.tgz", "package/src/app.ts", "code" },
	{ "a.gem", "lib/foo.rb", "code" },
	{ "a.tar.gz", "mod/server.go", "code" },
	{ "a.tar.gz", "pkg-1.0/scripts/deploy.sh", "code" },
	{ "a.tar.gz", "pkg-1.0/notebooks/analysis.ipynb", "code" },
	{ "a.tar.gz", "pkg-1.0/pkg/history.py", "code" },
	{ "a.tar.gz", "pkg-1.0/pkg/latest.py", "code" },
	{ "a.jar", "src/main/java/org/x/Latest.java", "code" },
	{ "a.tar.gz", "pkg-1.0/pkg/contest.py", "code" },
	{ "a.tar.gz", "pkg-1.0/pkg/samplers/gibbs.py", "code" },
	{ "a.whl", "pkg/wheel.whl!/inner/api.py", "code" },
	{ "src/app.py", "", "code" },
	{ "src/app.py", NULL, "code" },

	/* other */
	{ "a.whl", "pkg/data/countries.json", "other" },
	{ "a.whl", "pkg/authors.json", "other" },
	{ "a.tgz", "package/package-lock.json", "other" },
	{ "a.whl", "pkg/static/logo.png", "other" },
	{ "a.whl", "pkg-1.0.dist-info/RECORD", "other" },
	{ "a.tar.gz", "pkg-1.0/pkg.egg-info/top_level.txt", "other" },
	{ "a.deb", "data.tar.xz!/usr/lib/x86_64-linux-gnu/libfoo.so.1", "other" },
	{ "a.tar.gz", "pkg-1.0/news.json", "other" },
	{ "a.tar.gz", "", "other" },
	{ "", "", "other" },
	{ "a.tar.gz", "!/", "other" },
	{ "a.tar.gz", "!/!/!/", "other" },
	{ "a.tar.gz", "/", "other" },
	{ "a.tar.gz", "./../", "other" },
	/* Windows separators in zip member names */
	{ "a.zip", "pkg\\tests\\data.bin", "test" },
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = pl_path_kind(cases[i].source, cases[i].path);
		if (strcmp(got, cases[i].kind) != 0)
			fprintf(stderr, "path_kind(\"%s\", \"%s\") = %s, want %s\n", cases[i].source,
				cases[i].path ? cases[i].path : "(null)", got, cases[i].kind);
		CHECK_STR(got, cases[i].kind);
	}
}

/* A hostile member name: long, full of separators and "!/", no NUL inside. */
static void test_long(void)
{
	size_t n = 1 << 20;
	char *p = pl_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		p[i] = "ab/!/."[i % 6];
	p[n] = '\0';
	const char *k = pl_path_kind("x.tar", p);
	CHECK(k != NULL);
	memset(p, '/', n);
	CHECK_STR(pl_path_kind("x.tar", p), "other");
	memcpy(p + n - 10, "tests/a.py", 10);
	CHECK_STR(pl_path_kind("x.tar", p), "test");
	free(p);
}

int main(void)
{
	test_table();
	test_long();
	TEST_MAIN_END();
}
