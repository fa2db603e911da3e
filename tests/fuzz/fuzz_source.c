/* libFuzzer target for what the registry code reads from a registry's own
 * answers (source/index.c, npmrc.c, published*.c): version strings of every
 * release (PEP 440, npm), upload times, hrefs in a PyPI Simple page, a
 * registry URL's nerf dart, a MANIFEST.in and its globs. The input is cut
 * at newlines into fields; each field is fed to each reader. Checked:
 * version order is a total order on what it saw (reflexive, antisymmetric,
 * transitive),
 * resolved URLs are NUL-terminated and no longer than page and href
 * together, parsed MANIFEST.in lines are trimmed and have a command. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/fetch_int.h"
#include "source/npmrc.h"
#include "source/published_int.h"

#define MAX_FIELDS 8

static int sign(int c)
{
	return (c > 0) - (c < 0);
}

static void check_versions(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pl_version_cmp(f[i], f[i]) != 0)
			abort();
		(void)pl_version_is_pre(f[i]);
		(void)pl_parse_iso_time(f[i]);
		for (size_t j = i + 1; j < n; j++)
			if (sign(pl_version_cmp(f[i], f[j])) != -sign(pl_version_cmp(f[j], f[i])))
				abort();
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			for (size_t k = 0; k < n; k++)
				if (pl_version_cmp(f[i], f[j]) < 0 && pl_version_cmp(f[j], f[k]) < 0 &&
				    pl_version_cmp(f[i], f[k]) >= 0)
					abort();
}

static void check_urls(char **f, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		char *r = pl_url_resolve(f[i], f[i + 1]);
		/* "https:" is the one thing added when page names no scheme. */
		if (!r || strlen(r) > strlen(f[i]) + strlen(f[i + 1]) + 6)
			abort();
		free(r);
		free(pl_url_join(f[i], f[i + 1]));
		(void)pl_published_glob_dir(f[i], f[i + 1]);
		(void)pl_published_glob_tail(f[i], f[i + 1]);
	}
	for (size_t i = 0; i < n; i++)
		free(npm_nerf_dart(f[i]));
}

static void check_manifest(const char *text)
{
	struct pl_sdist_info s = {0};
	pl_published_manifest_parse(&s, text);
	for (size_t i = 0; i < s.nmanifest; i++) {
		const struct pl_manifest_line *m = &s.manifest[i];
		size_t len = strlen(m->text);
		if (!m->words || !m->words[0] || m->words[0][0] == '#')
			abort();
		if (len && strchr(" \t\r", m->text[len - 1]))
			abort();
	}
	pl_published_python_release(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_manifest(text);
	char *f[MAX_FIELDS];
	size_t n = 0;
	for (char *p = text, *nl; n < MAX_FIELDS; p = nl + 1) {
		f[n++] = p;
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
	}
	check_versions(f, n);
	check_urls(f, n);
	free(text);
	return 0;
}
