/* CPU features pkgleaks itself asks about (see cpu.h). */
#include <stdatomic.h>

#include "util/cpu.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

static int probe_avx(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	const unsigned osxsave = 1u << 27, avx = 1u << 28;
	if ((c & (osxsave | avx)) != (osxsave | avx))
		return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	return (lo & 6) == 6; /* the OS saves the SSE and AVX state */
}
#else
static int probe_avx(void)
{
	return 0;
}
#endif

int pl_cpu_has_avx(void)
{
	static atomic_int known = -1; /* a race only probes twice */
	int v = atomic_load_explicit(&known, memory_order_relaxed);
	if (v < 0) {
		v = probe_avx();
		atomic_store_explicit(&known, v, memory_order_relaxed);
	}
	return v;
}
