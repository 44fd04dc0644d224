// SPDX-License-Identifier: GPL-2.0
/*
 * probe: x86_cpu_has_xfeatures
 * define: WGC_HAVE_X86_CPU_HAS_XFEATURES
 * kind: compile
 * detects: cpu_has_xfeatures() and the XFEATURE_MASK_* names (is the AVX/AVX-512 register state enabled)
 * when: 4.4 (x86 only)
 */
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xstate.h>

int wgc_probe(void);
int wgc_probe(void)
{
	return boot_cpu_has(X86_FEATURE_AVX512VL) &&
	       cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM |
				 XFEATURE_MASK_AVX512, NULL);
}
