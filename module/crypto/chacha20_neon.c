// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20 for arm64 NEON (Advanced SIMD): four blocks at a time in q
 * registers. The kernel builds arm64 code with -mgeneral-regs-only;
 * bundled.mk removes that flag for this file alone, and chacha20.c calls
 * it only inside a kernel_neon_begin/end section (simd_kernel.c) on a CPU
 * with the instructions (simd.h).
 *
 * Four blocks, the width of one q register. No interleaved eight-block
 * variant: it would execute the same instructions per byte (its gain, if
 * any, is in instruction-level parallelism, which only an arm64 core can
 * show, and none was at hand), and its state alone would take all 32
 * vector registers.
 *
 * Locking: none; the caller owns state and the buffers.
 */
#if !defined(__CHECKER__) && !defined(__ARM_NEON)
#error "chacha20_neon.c needs the FP/SIMD registers (bundled.mk drops -mgeneral-regs-only)"
#endif

#define WGC_VW 4
#include "chacha20_vec.h"
#undef WGC_VW

void wgc_chacha20_xor_neon(u32 state[16], u8 *dst, const u8 *src,
			   size_t len, u8 tail[64])
{
	size_t done;

	done = wgc_vgroups4(state, dst, src, len);
	wgc_vtail4(state, dst + done, src + done, len - done, tail);
}
