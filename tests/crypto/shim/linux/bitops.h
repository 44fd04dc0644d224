/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bitops.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_BITOPS_H
#define WGC_SHIM_LINUX_BITOPS_H

#include <linux/types.h>

static inline u32 rol32(u32 w, unsigned int s)
{
	return (w << (s & 31)) | (w >> ((-s) & 31));
}

static inline u32 ror32(u32 w, unsigned int s)
{
	return (w >> (s & 31)) | (w << ((-s) & 31));
}

#endif
