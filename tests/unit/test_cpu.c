/* src/util/cpu.h: the AVX probe agrees with the compiler's, is stable, and
 * clearing the upper vector state leaves the values a caller holds alone. */
#include "test.h"
#include "util/cpu.h"

static double sum_after_clear(const double *v, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++) {
		s += v[i];
		pl_cpu_clear_upper();
	}
	return s;
}

int main(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	CHECK(pl_cpu_has_avx() == (__builtin_cpu_supports("avx") ? 1 : 0));
#else
	CHECK(pl_cpu_has_avx() == 0);
#endif
	CHECK(pl_cpu_has_avx() == pl_cpu_has_avx());
	double v[] = {0.5, 1.25, 2.0, 4.0};
	CHECK(sum_after_clear(v, 4) == 7.75);
	TEST_MAIN_END();
}
