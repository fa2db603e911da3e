/* The vector unit's state between libraries built for different CPUs. */
#ifndef PL_UTIL_CPU_H
#define PL_UTIL_CPU_H

/* Whether the CPU has AVX and the kernel saves its registers, asked once.
 * Not __builtin_cpu_supports: that links libgcc's constructor, which asks
 * the CPU for every feature it knows at start-up, and each CPUID is a trap
 * to the hypervisor on a virtual machine (0.15 ms of a 4.5 ms start-up). */
int pl_cpu_has_avx(void);

/* ISA-L's inflate and CRC, and Hyperscan's scanner, return from their
 * AVX-512 code with the upper halves of the vector registers dirty (no
 * vzeroupper). Until something clears them, every legacy SSE instruction
 * (our SIMD code in src/decode, libarchive's and the compiler's vectorised
 * loops) waits on a merge with the full register: the decoders ran 1.5-2x
 * slower after an inflate than before it. One vzeroupper (an AVX
 * instruction: only where AVX exists) right after such a call puts that
 * back. Cheap: a flag test and one instruction. */
static inline void pl_cpu_clear_upper(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (pl_cpu_has_avx())
		__asm__ volatile("vzeroupper" ::: "memory");
#endif
}

#endif
