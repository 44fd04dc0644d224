/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/compiler.h> (tests/crypto only). */
#ifndef WGC_SHIM_LINUX_COMPILER_H
#define WGC_SHIM_LINUX_COMPILER_H

#ifndef __always_inline	/* glibc's <sys/cdefs.h> has one */
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define __maybe_unused __attribute__((__unused__))

#define OPTIMIZER_HIDE_VAR(var) __asm__ ("" : "=r" (var) : "0" (var))

#endif
