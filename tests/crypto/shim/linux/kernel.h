/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/kernel.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_KERNEL_H
#define WGC_SHIM_LINUX_KERNEL_H

#include <linux/types.h>

#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))

#endif
