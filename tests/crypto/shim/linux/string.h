/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/string.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_STRING_H
#define WGC_SHIM_LINUX_STRING_H

#include <string.h>

/* memset that the compiler may not drop as a dead store */
static inline void memzero_explicit(void *s, size_t n)
{
	memset(s, 0, n);
	__asm__ __volatile__("" : : "r"(s) : "memory");
}

#endif
