#!/bin/bash
# Guest side of test_churn.py: CYCLES times, two namespaces joined by a veth, a
# WireGuard interface in each, configured with the given keys, one ping through
# the tunnel, then both namespaces deleted (and with them the interfaces).
#
#   ns PREFIX-a: wg0 10.77.0.1/24, veth-a 10.76.0.1/24 ==veth== ns PREFIX-b: veth-b 10.76.0.2/24, wg0 10.77.0.2/24
#
# usage: churn.sh PREFIX CYCLES KEYFILE_A KEYFILE_B
# prints "cycles N pings M" (M: cycles whose ping got its reply); exits non-zero
# at the first command that fails.
set -euo pipefail
prefix=$1
cycles=$2
key_a=$3
key_b=$4
pub_a=$(wg pubkey < "$key_a")
pub_b=$(wg pubkey < "$key_b")
a=$prefix-a
b=$prefix-b
pings=0
for _ in $(seq "$cycles"); do
	ip netns add "$a"
	ip netns add "$b"
	ip -n "$a" link set lo up
	ip -n "$b" link set lo up
	ip link add veth-a netns "$a" type veth peer name veth-b netns "$b"
	ip -n "$a" addr add 10.76.0.1/24 dev veth-a
	ip -n "$b" addr add 10.76.0.2/24 dev veth-b
	ip -n "$a" link set veth-a up
	ip -n "$b" link set veth-b up
	ip -n "$a" link add wg0 type wireguard
	ip -n "$b" link add wg0 type wireguard
	ip netns exec "$a" wg set wg0 private-key "$key_a" listen-port 51820 \
		peer "$pub_b" allowed-ips 10.77.0.2/32,fd77::2/128 endpoint 10.76.0.2:51820
	ip netns exec "$b" wg set wg0 private-key "$key_b" listen-port 51820 \
		peer "$pub_a" allowed-ips 10.77.0.1/32,fd77::1/128 endpoint 10.76.0.1:51820
	ip -n "$a" addr add 10.77.0.1/24 dev wg0
	ip -n "$b" addr add 10.77.0.2/24 dev wg0
	ip -n "$a" link set wg0 up
	ip -n "$b" link set wg0 up
	if ip netns exec "$a" ping -n -q -c 1 -W 5 10.77.0.2 >/dev/null; then
		pings=$((pings + 1))
	fi
	ip netns del "$a"
	ip netns del "$b"
done
echo "cycles $cycles pings $pings"
