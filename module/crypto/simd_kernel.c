// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of simd.h: which ChaCha20 implementation the bundled
 * crypto runs, and the FPU sections around it.
 *
 * The choice is the best implementation that the CPU has the instructions
 * for and whose register state the kernel enabled (x86: XSAVE), up to what
 * the crypto_simd module parameter allows: "auto" (the default),
 * "portable", and the architecture's own names (x86_64: "ssse3", "avx2",
 * "avx512"; arm64: "neon"; another architecture's are refused). It is made
 * once, at the first use (the self-test at load in WG_DEBUG builds),
 * printed once, and read back in /sys/module/<module>/parameters/crypto_simd.
 * Kernels without the FPU API (compat.h: WGC_HAVE_X86_KERNEL_FPU,
 * WGC_HAVE_ARM64_KERNEL_NEON), compilers bundled.mk builds no vector file
 * with, and other architectures get the portable code only.
 *
 * Locking: the choice is one word, set with cmpxchg so that it is printed
 * once; wgc_simd_force() (self-tests) runs before any traffic.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "../compat.h"
#include "simd.h"

#if defined(WGC_CRYPTO_SIMD_X86) && WGC_HAVE_X86_KERNEL_FPU
#define WGC_SIMD_KERNEL_X86 1
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/simd.h>
#if WGC_HAVE_X86_CPU_HAS_XFEATURES
#include <asm/fpu/xstate.h>
#endif
#else
#define WGC_SIMD_KERNEL_X86 0
#endif

#if defined(WGC_CRYPTO_SIMD_ARM64) && WGC_HAVE_ARM64_KERNEL_NEON
#define WGC_SIMD_KERNEL_ARM64 1
#include <asm/neon.h>
#include <asm/simd.h>
#else
#define WGC_SIMD_KERNEL_ARM64 0
#endif

/* what crypto_simd takes on this architecture (wgc_simd_of_arch()) */
#if defined(CONFIG_X86_64)
#define WGC_SIMD_CHOICES "auto, portable, ssse3, avx2 or avx512"
#elif defined(CONFIG_ARM64)
#define WGC_SIMD_CHOICES "auto, portable or neon"
#else
#define WGC_SIMD_CHOICES "auto or portable"
#endif

/*
 * the most the parameter allows; WGC_SIMD_COUNT is "auto" (not the last
 * entry, which crypto_simd can also name as a cap)
 */
static unsigned int wgc_simd_limit = WGC_SIMD_COUNT;
/* the choice, or -1 before the first use */
static int wgc_simd_choice = -1;

#if WGC_SIMD_KERNEL_X86
/* Whether the kernel saves and restores the registers of mask (XSAVE). */
static bool wgc_simd_xstate(u64 mask)
{
#if WGC_HAVE_X86_CPU_HAS_XFEATURES
	return cpu_has_xfeatures(mask, NULL);
#else
	return false;
#endif
}

bool wgc_simd_supported(unsigned int impl)
{
	switch (impl) {
	case WGC_SIMD_PORTABLE:
		return true;
	case WGC_SIMD_SSSE3:
		return boot_cpu_has(X86_FEATURE_SSSE3);
	case WGC_SIMD_AVX2:
		return boot_cpu_has(X86_FEATURE_AVX) &&
		       boot_cpu_has(X86_FEATURE_AVX2) &&
		       wgc_simd_xstate(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM);
	case WGC_SIMD_AVX512:
		return boot_cpu_has(X86_FEATURE_AVX512F) &&
		       boot_cpu_has(X86_FEATURE_AVX512VL) &&
		       wgc_simd_xstate(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM |
				       XFEATURE_MASK_AVX512);
	}
	return false;
}

bool wgc_simd_begin(void)
{
	if (!may_use_simd())
		return false;
	kernel_fpu_begin();
	return true;
}

void wgc_simd_end(void)
{
	kernel_fpu_end();
}
#elif WGC_SIMD_KERNEL_ARM64
bool wgc_simd_supported(unsigned int impl)
{
	switch (impl) {
	case WGC_SIMD_PORTABLE:
		return true;
	case WGC_SIMD_NEON:
		/* FP and Advanced SIMD, which arm64 has both or neither of */
		return cpu_has_neon();
	}
	return false;
}

bool wgc_simd_begin(void)
{
	if (!may_use_simd())
		return false;
	kernel_neon_begin();
	return true;
}

void wgc_simd_end(void)
{
	kernel_neon_end();
}
#else
bool wgc_simd_supported(unsigned int impl)
{
	return impl == WGC_SIMD_PORTABLE;
}

bool wgc_simd_begin(void)
{
	return false;
}

void wgc_simd_end(void)
{
}
#endif

/*
 * Whether crypto_simd takes impl's name: portable or this architecture's
 * (WGC_SIMD_CHOICES), whether or not this build has its code.
 */
static bool wgc_simd_of_arch(unsigned int impl)
{
	switch (impl) {
	case WGC_SIMD_PORTABLE:
		return true;
	case WGC_SIMD_SSSE3:
	case WGC_SIMD_AVX2:
	case WGC_SIMD_AVX512:
		return IS_ENABLED(CONFIG_X86_64);
	case WGC_SIMD_NEON:
		return IS_ENABLED(CONFIG_ARM64);
	}
	return false;
}

static noinline unsigned int wgc_simd_choose(void)
{
	unsigned int impl = wgc_simd_limit;

	while (impl && !wgc_simd_supported(impl))
		impl--;
	if (cmpxchg(&wgc_simd_choice, -1, (int)impl) == -1)
		pr_info("%s: bundled ChaCha20: %s (crypto_simd=%s)\n",
			KBUILD_MODNAME, wgc_simd_name(impl),
			wgc_simd_limit == WGC_SIMD_COUNT ?
			"auto" : wgc_simd_name(wgc_simd_limit));
	return (unsigned int)READ_ONCE(wgc_simd_choice);
}

unsigned int wgc_simd_active(void)
{
	int impl = READ_ONCE(wgc_simd_choice);

	return likely(impl >= 0) ? (unsigned int)impl : wgc_simd_choose();
}

bool wgc_simd_force(unsigned int impl)
{
	if (!wgc_simd_supported(impl))
		return false;
	WRITE_ONCE(wgc_simd_choice, (int)impl);
	return true;
}

static int wgc_simd_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int impl;

	if (sysfs_streq(val, "auto")) {
		wgc_simd_limit = WGC_SIMD_COUNT;
		return 0;
	}
	for (impl = 0; impl < WGC_SIMD_COUNT; impl++) {
		if (wgc_simd_of_arch(impl) &&
		    sysfs_streq(val, wgc_simd_name(impl))) {
			wgc_simd_limit = impl;
			return 0;
		}
	}
	pr_err("%s: crypto_simd=%s: use " WGC_SIMD_CHOICES "\n",
	       KBUILD_MODNAME, val);
	return -EINVAL;
}

static int wgc_simd_param_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%s\n", wgc_simd_name(wgc_simd_active()));
}

static const struct kernel_param_ops wgc_simd_param_ops = {
	.set = wgc_simd_param_set,
	.get = wgc_simd_param_get,
};

module_param_cb(crypto_simd, &wgc_simd_param_ops, NULL, 0444);
MODULE_PARM_DESC(crypto_simd,
		 "bundled ChaCha20 at most: " WGC_SIMD_CHOICES " (auto: the best the CPU has); reads back the one running");
