// SPDX-License-Identifier: GPL-2.0
/*
 * probe: x86_kernel_fpu
 * define: WGC_HAVE_X86_KERNEL_FPU
 * kind: compile
 * detects: x86 kernel-mode FPU sections: kernel_fpu_begin/end, may_use_simd
 * when: 4.2 (x86 only; absent on every other architecture)
 */
#include <asm/fpu/api.h>
#include <asm/simd.h>

void wgc_probe(void);
void wgc_probe(void)
{
	if (may_use_simd()) {
		kernel_fpu_begin();
		kernel_fpu_end();
	}
}
