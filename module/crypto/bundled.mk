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
# running alone, when the compiler is not GCC (the files use GCC's
# __builtin_shuffle) or does not take the AVX-512 flags.
ifeq ($(CONFIG_X86_64)$(CONFIG_CC_IS_GCC),yy)
ifneq ($(call cc-option,-mavx512f -mavx512vl),)
wgc-bundled-crypto-y += crypto/chacha20_ssse3.o crypto/chacha20_avx2.o \
	crypto/chacha20_avx512.o
# Per-object flags are looked up by the object's path under the module
# (crypto/x.o) on newer kernels and by its file name (x.o) on older ones
# (4.19): give both. Each vector file #errors if its flags are missing.
wgc-flags-chacha20_ssse3 := -mssse3
wgc-flags-chacha20_avx2 := -mavx2
wgc-flags-chacha20_avx512 := -mavx512f -mavx512vl
wgc-flags-chacha20 := -DWGC_CRYPTO_SIMD_X86
wgc-flags-simd_kernel := -DWGC_CRYPTO_SIMD_X86
$(foreach o,chacha20_ssse3 chacha20_avx2 chacha20_avx512 chacha20 simd_kernel,\
	$(eval CFLAGS_$(o).o += $(wgc-flags-$(o)))\
	$(eval CFLAGS_crypto/$(o).o += $(wgc-flags-$(o))))
endif
endif

# arm64: the NEON ChaCha20. The kernel builds arm64 code with
# -mgeneral-regs-only (no FP/SIMD registers); the flag is removed for this
# object only, and chacha20.c calls it inside kernel_neon_begin/end
# (simd_kernel.c). GCC only, for __builtin_shuffle, as above.
ifeq ($(CONFIG_ARM64)$(CONFIG_CC_IS_GCC),yy)
wgc-bundled-crypto-y += crypto/chacha20_neon.o
CFLAGS_REMOVE_chacha20_neon.o += -mgeneral-regs-only
CFLAGS_REMOVE_crypto/chacha20_neon.o += -mgeneral-regs-only
$(foreach o,chacha20 simd_kernel,\
	$(eval CFLAGS_$(o).o += -DWGC_CRYPTO_SIMD_ARM64)\
	$(eval CFLAGS_crypto/$(o).o += -DWGC_CRYPTO_SIMD_ARM64))
endif
