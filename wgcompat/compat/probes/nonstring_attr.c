// SPDX-License-Identifier: GPL-2.0
/*
 * probe: nonstring_attr
 * define: WGC_HAVE_NONSTRING_ATTR
 * kind: compile
 * detects: the __nonstring attribute macro
 * when: 4.20 (compiler_attributes.h)
 */
#include <linux/compiler.h>

const char wgc_probe_label[8] __nonstring;
const char wgc_probe_label[8] __nonstring = "mac1----";
