# SPDX-License-Identifier: GPL-2.0
#
# Kbuild fragment: the objects of the bundled portable crypto. module/Kbuild
# includes this file and adds $(wgc-bundled-crypto-y) to wireguard-y when
# compat.mk says WGC_CRYPTO := bundled. crypto/selftest.o is separate: it is
# added with WG_DEBUG=1 whichever crypto is selected.
wgc-bundled-crypto-y := crypto/chacha20.o crypto/poly1305.o \
	crypto/chacha20poly1305.o crypto/chacha20poly1305_sg.o \
	crypto/blake2s.o crypto/curve25519.o
