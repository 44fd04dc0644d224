#!/bin/bash
# Sourced by the guest-side benchmarks: two namespaces joined by a veth pair,
# removed again on exit, and the WireGuard implementation under test loaded.
#
#   netns_pair A B PREFIX   ns A: veth-a PREFIX.1/24 ==veth== ns B: veth-b PREFIX.2/24
#   load_wireguard IMPL     ours | reference (the kernel's own) | anything else: nothing
#   kernel_implementation IMPL
#                           exits 2, naming IMPL, unless it is ours or reference

netns_pair() {
	local a=$1 b=$2 prefix=$3
	_PAIR_NAMESPACES=("$a" "$b")  # global: the EXIT trap runs after this function returned
	_pair_cleanup() {
		local ns
		for ns in "${_PAIR_NAMESPACES[@]}"; do
			ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
			ip netns del "$ns" 2>/dev/null || true
		done
	}
	trap _pair_cleanup EXIT
	_pair_cleanup
	ip netns add "$a"
	ip netns add "$b"
	ip link add veth-a netns "$a" type veth peer name veth-b netns "$b"
	ip -n "$a" addr add "$prefix.1/24" dev veth-a
	ip -n "$b" addr add "$prefix.2/24" dev veth-b
	ip -n "$a" link set veth-a up
	ip -n "$b" link set veth-b up
	ip -n "$a" link set lo up
	ip -n "$b" link set lo up
}

load_wireguard() {
	rmmod wireguard 2>/dev/null || true
	case $1 in
	ours) modprobe wireguard ;;
	reference) wgc-load-reference ;;
	esac
}

kernel_implementation() {
	case $1 in
	ours | reference) ;;
	*) echo "unknown implementation $1 (ours or reference)" >&2; exit 2 ;;
	esac
}
