// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20 for SSSE3: four blocks at a time in xmm registers.
 * Compiled with the flags of bundled.mk for this instruction set (the
 * userspace build uses the same); chacha20.c calls it inside a vector
 * section only when the CPU has the instructions (simd.h).
 *
 * Locking: none; the caller owns state and the buffers.
 */
#if !defined(__CHECKER__) && !defined(__SSSE3__)
#error "chacha20_ssse3.c needs -mssse3 (bundled.mk)"
#endif

#define WGC_VW 4
#include "chacha20_vec.h"
#undef WGC_VW

void wgc_chacha20_xor_ssse3(u32 state[16], u8 *dst, const u8 *src,
			    size_t len, u8 tail[64])
{
	size_t done = 0;

	done += wgc_vgroups4(state, dst + done, src + done,
				len - done);
	wgc_vtail4(state, dst + done, src + done, len - done, tail);
}
