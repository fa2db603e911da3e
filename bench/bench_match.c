/* Matcher throughput alone: loads every regular file under DIR into memory,
 * then runs the compiled built-in ruleset over each, several times.
 * usage: bench_match DIR [ROUNDS [RULES.yaml]] — prints MB/s for one core
 * (thread CPU time, best round: steadier than wall time on a busy machine);
 * with RULES.yaml, only those rules (to compare rule-set sizes). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "pkgleaks/match.h"
#include "pkgleaks/rules.h"

struct blob {
	char *data;
	size_t len;
};

static struct blob *blobs;
static size_t nblobs, cap;
static size_t total;

static void load(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char *child = malloc(strlen(path) + strlen(e->d_name) + 2);
			sprintf(child, "%s/%s", path, e->d_name);
			load(child);
			free(child);
		}
		if (d)
			closedir(d);
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return;
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	if (nblobs == cap) {
		cap = cap ? cap * 2 : 256;
		blobs = realloc(blobs, cap * sizeof(*blobs));
	}
	struct blob *b = &blobs[nblobs];
	b->data = malloc((size_t)st.st_size);
	b->len = fread(b->data, 1, (size_t)st.st_size, f);
	fclose(f);
	total += b->len;
	nblobs++;
}

static int count(const struct pl_match *m, const char *text, void *ctx)
{
	(void)m;
	(void)text;
	(*(size_t *)ctx)++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_match DIR [ROUNDS [RULES.yaml]]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	load(argv[1]);
	struct pl_ruleset *rs = pl_ruleset_new();
	struct pl_matcher *m = NULL;
	int added = argc > 3 ? pl_ruleset_add_file(rs, argv[3]) : pl_ruleset_add_builtin(rs);
	if (added || pl_ruleset_compile(rs) || pl_matcher_new(rs, &m)) {
		fprintf(stderr, "bench_match: %s\n", pl_error_message());
		return 2;
	}
	double best = 1e30;
	size_t found = 0;
	for (int r = 0; r < rounds; r++) {
		struct timespec t0, t1;
		found = 0;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		for (size_t i = 0; i < nblobs; i++)
			pl_matcher_scan(m, blobs[i].data, blobs[i].len, 0, blobs[i].len, count, &found);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (s < best)
			best = s;
	}
	printf("rules %zu files %zu bytes %zu matches %zu best %.3f s  %.1f MB/s\n",
	       pl_ruleset_count(rs), nblobs, total, found, best, (double)total / 1e6 / best);
	pl_matcher_free(m);
	pl_ruleset_free(rs);
	for (size_t i = 0; i < nblobs; i++)
		free(blobs[i].data);
	free(blobs);
	return 0;
}
