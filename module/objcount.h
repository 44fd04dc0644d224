/* SPDX-License-Identifier: GPL-2.0 */
/*
 * objcount.h - live object counts, in WG_DEBUG builds.
 *
 * Owns: one counter per kind of object the module allocates for as long as
 * a device lives (devices, peers, keypairs, allowed-IP trie nodes), raised
 * where one is made and lowered where it is freed (or handed to RCU to be
 * freed), and the read-only module parameter "objects" that prints them:
 *
 *   devices 0 peers 0 keypairs 0 aip_nodes 0
 *
 * for tests that create and delete interfaces many times and then check
 * that nothing is left behind. Release builds count nothing: the calls
 * compile to nothing.
 *
 * Locking: atomics; any context.
 */
#ifndef WGM_OBJCOUNT_H
#define WGM_OBJCOUNT_H

enum wg_obj {
	WG_OBJ_DEVICE,
	WG_OBJ_PEER,
	WG_OBJ_KEYPAIR,
	WG_OBJ_AIP_NODE,
	WG_OBJ_KINDS,
};

#ifdef WG_DEBUG
void wg_obj_made(enum wg_obj kind);
void wg_obj_freed(enum wg_obj kind);
#else
static inline void wg_obj_made(enum wg_obj kind) { }
static inline void wg_obj_freed(enum wg_obj kind) { }
#endif

#endif /* WGM_OBJCOUNT_H */
