/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/kernel.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_KERNEL_H
#define WGC_SHIM_LINUX_KERNEL_H

#include <linux/types.h>

/* like the kernel's: each argument is evaluated exactly once */
#define min_t(type, a, b) ({ type __a = (a); type __b = (b); __a < __b ? __a : __b; })
#define max_t(type, a, b) ({ type __a = (a); type __b = (b); __a > __b ? __a : __b; })

#endif
