# SPDX-License-Identifier: GPL-2.0
#
# Kbuild fragment: the objects of the bundled crypto. module/Kbuild
# includes this file and adds $(wgc-bundled-crypto-y) to wireguard-y when
# compat.mk says WGC_CRYPTO := bundled. crypto/selftest.o is separate: it is
# added with WG_DEBUG=1 whichever crypto is selected.
wgc-bundled-crypto-y := crypto/chacha20.o crypto/poly1305.o \
	crypto/chacha20poly1305.o crypto/chacha20poly1305_sg.o \
	crypto/blake2s.o crypto/curve25519.o crypto/simd_kernel.o

# x86_64: the vector ChaCha20, one object per instruction set. The flags
# come after the kernel's -mno-sse -mno-avx..., so they allow the vector
# registers in these files only; chacha20.c calls them inside
# kernel_fpu_begin/end (simd_kernel.c). Left out, with the portable code
# running alone, when the compiler does not take the AVX-512 flags.
ifeq ($(CONFIG_X86_64),y)
ifneq ($(call cc-option,-mavx512f -mavx512vl),)
wgc-bundled-crypto-y += crypto/chacha20_ssse3.o crypto/chacha20_avx2.o \
	crypto/chacha20_avx512.o
CFLAGS_chacha20_ssse3.o += -mssse3
CFLAGS_chacha20_avx2.o += -mavx2
CFLAGS_chacha20_avx512.o += -mavx512f -mavx512vl
CFLAGS_chacha20.o += -DWGC_CRYPTO_SIMD_X86
CFLAGS_simd_kernel.o += -DWGC_CRYPTO_SIMD_X86
endif
endif
