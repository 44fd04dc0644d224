/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/compiler.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_COMPILER_H
#define WGC_SHIM_LINUX_COMPILER_H

#define OPTIMIZER_HIDE_VAR(var) __asm__ ("" : "=r" (var) : "0" (var))

#endif
