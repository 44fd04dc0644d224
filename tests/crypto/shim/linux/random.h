/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/random.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_RANDOM_H
#define WGC_SHIM_LINUX_RANDOM_H

#include <stdlib.h>
#include <sys/random.h>
#include <linux/types.h>

static inline void get_random_bytes(void *buf, size_t len)
{
	u8 *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0)
			abort();
		p += n;
		len -= (size_t)n;
	}
}

#endif
