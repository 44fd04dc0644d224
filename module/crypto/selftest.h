/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-test of the crypto the module uses (WG_DEBUG=1 builds only): RFC
 * vectors through the wgc_* API, so it checks whichever implementation
 * compat.h selected, the kernel library or the bundled one. Prints
 * "wireguard: selftest crypto: pass" or "... FAIL"; returns false on
 * failure, which must make module load fail. May sleep (process context).
 */
#ifndef WGC_CRYPTO_SELFTEST_H
#define WGC_CRYPTO_SELFTEST_H

#include <linux/types.h>

bool wgc_crypto_selftest(void);

#endif /* WGC_CRYPTO_SELFTEST_H */
