/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "wireguard" generic netlink family (uapi/wireguard.h): GET_DEVICE
 * (a paginated dump) and SET_DEVICE.
 *
 * Locking: SET runs under rtnl and the device's update_lock; each dump
 * message is built under update_lock; the cursor between messages holds
 * references (device, peer) and an allowed-IPs sequence number.
 */
#ifndef WGM_NETLINK_H
#define WGM_NETLINK_H

int wgnl_family_add(void);
void wgnl_family_remove(void);

#endif /* WGM_NETLINK_H */
