/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bug.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_BUG_H
#define WGC_SHIM_LINUX_BUG_H

#include <stdio.h>

/* Counted so that tests can observe a misuse the kernel would WARN about. */
extern unsigned long wgc_shim_warnings;

#define WARN_ON_ONCE(cond) ({						\
	int __w = !!(cond);						\
	if (__w) {							\
		wgc_shim_warnings++;					\
		fprintf(stderr, "WARNING: %s:%d: %s\n", __FILE__,	\
			__LINE__, #cond);				\
	}								\
	__w;								\
})

#endif
