/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding peers: by static public key (configuration, handshake
 * consumption) and by 32-bit receiver index (every received response,
 * cookie reply and data message).
 *
 * Locking: the key table changes only under the device's update_lock
 * (asserted); the index table under its own spinlock (BH), because noise.h
 * changes indices from handshake work. Both are read under RCU.
 */
#ifndef WGM_PEERLOOKUP_H
#define WGM_PEERLOOKUP_H

#include "device.h"

struct wgpeer;

struct wgm_key_table *wgm_key_table_alloc(void);
void wgm_key_table_add(struct wgdev *wg, struct wgpeer *peer);
void wgm_key_table_del(struct wgdev *wg, struct wgpeer *peer);
/* Peer with @key, RCU read side held by the caller; no reference taken. */
struct wgpeer *wgm_key_table_find(struct wgdev *wg, const u8 *key);

struct wgm_index_table *wgm_index_table_alloc(void);
extern const struct wg_index_ops wgm_index_ops;
/*
 * Entry of @kind under @index, RCU-bh read side held by the caller; no
 * reference taken.
 */
struct wg_index_entry *wgm_index_find(struct wgdev *wg, __le32 index,
				      enum wg_index_kind kind);

#endif /* WGM_PEERLOOKUP_H */
