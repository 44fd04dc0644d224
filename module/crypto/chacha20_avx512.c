// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20 for AVX-512 (F and VL): sixteen blocks in zmm registers,
 * then eight and four in ymm and xmm, rotating with one instruction.
 * Compiled with the flags of bundled.mk for this instruction set (the
 * userspace build uses the same); chacha20.c calls it inside a vector
 * section only when the CPU has the instructions (simd.h).
 *
 * Locking: none; the caller owns state and the buffers.
 */
#if !defined(__CHECKER__) && \
	!(defined(__AVX512F__) && defined(__AVX512VL__))
#error "chacha20_avx512.c needs -mavx512f -mavx512vl (bundled.mk)"
#endif

#define WGC_VW 16
#include "chacha20_vec.h"
#undef WGC_VW
#define WGC_VW 8
#include "chacha20_vec.h"
#undef WGC_VW
#define WGC_VW 4
#include "chacha20_vec.h"
#undef WGC_VW

void wgc_chacha20_xor_avx512(u32 state[16], u8 *dst, const u8 *src,
			     size_t len, u8 tail[64])
{
	size_t done = 0;

	done += wgc_vgroups16(state, dst, src, len);
	done += wgc_vgroups8(state, dst + done, src + done,
				len - done);
	done += wgc_vgroups4(state, dst + done, src + done,
				len - done);
	wgc_vtail4(state, dst + done, src + done, len - done, tail);
}
