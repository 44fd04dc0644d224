// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace stand-in for module/crypto/simd_kernel.c: the CPU's features
 * from __builtin_cpu_supports (x86_64) or the kernel's hwcaps (arm64:
 * getauxval's Advanced SIMD bit), no FPU section to begin (userspace
 * always owns its vector registers), and the active implementation set by
 * the tests through wgc_simd_force() (exported to ctypes). Starts at the best
 * the CPU runs, as the module does; WGC_SHIM_SIMD=<name> in the
 * environment starts at that one instead (the benchmark and ctcheck use it).
 */
#include <stdlib.h>
#include <string.h>
#ifdef WGC_CRYPTO_SIMD_ARM64
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "simd.h"	/* module/crypto/, on the include path */

static int wgc_shim_simd = -1;

bool wgc_simd_supported(unsigned int impl)
{
	switch (impl) {
	case WGC_SIMD_PORTABLE:
		return true;
#ifdef WGC_CRYPTO_SIMD_X86
	case WGC_SIMD_SSSE3:
		return __builtin_cpu_supports("ssse3");
	case WGC_SIMD_AVX2:
		return __builtin_cpu_supports("avx2");
	case WGC_SIMD_AVX512:
		return __builtin_cpu_supports("avx512f") &&
		       __builtin_cpu_supports("avx512vl");
#endif
#ifdef WGC_CRYPTO_SIMD_ARM64
	case WGC_SIMD_NEON:
		return getauxval(AT_HWCAP) & HWCAP_ASIMD;
#endif
	}
	return false;
}

static unsigned int wgc_shim_simd_best(void)
{
	const char *want = getenv("WGC_SHIM_SIMD");
	unsigned int impl;

	for (impl = 0; want && wgc_simd_name(impl); impl++)
		if (!strcmp(want, wgc_simd_name(impl)) &&
		    wgc_simd_supported(impl))
			return impl;
	impl = WGC_SIMD_COUNT;
	while (--impl && !wgc_simd_supported(impl))
		;
	return impl;
}

unsigned int wgc_simd_active(void)
{
	if (wgc_shim_simd < 0)
		wgc_shim_simd = (int)wgc_shim_simd_best();
	return (unsigned int)wgc_shim_simd;
}

bool wgc_simd_force(unsigned int impl)
{
	if (!wgc_simd_supported(impl))
		return false;
	wgc_shim_simd = (int)impl;
	return true;
}

bool wgc_simd_begin(void)
{
	return true;
}

void wgc_simd_end(void)
{
}
