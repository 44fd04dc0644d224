// SPDX-License-Identifier: GPL-2.0
/*
 * probe: arm64_kernel_neon
 * define: WGC_HAVE_ARM64_KERNEL_NEON
 * kind: compile
 * detects: arm64 kernel-mode NEON sections: kernel_neon_begin/end without arguments, may_use_simd, cpu_has_neon
 * when: before 4.19 (arm64 only); 6.19 made kernel_neon_begin/end take a save area: this fails there, and the portable code runs
 */
#include <asm/neon.h>
#include <asm/simd.h>

void wgc_probe(void);
void wgc_probe(void)
{
	if (cpu_has_neon() && may_use_simd()) {
		kernel_neon_begin();
		kernel_neon_end();
	}
}
