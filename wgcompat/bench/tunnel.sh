#!/bin/bash
# Guest side of `invoke bench`: throughput through a WireGuard tunnel between two
# network namespaces, for one implementation, measured with iperf3: a TCP stream
# (tcp), or 64-byte UDP datagrams sent as fast as they go (udp64: packets/s).
#
#   ns wga: tuna 10.200.0.1/24, veth 10.100.0.1/24 ==veth== ns wgb: veth 10.100.0.2/24, tunb 10.200.0.2/24
#   (distinct names: wireguard-go's control socket is /var/run/wireguard/<name>.sock in every netns)
#
# usage: tunnel.sh ours|reference|wireguard-go|none SECONDS [tcp|udp64]
# prints iperf3's JSON report (the host parses it)
set -euo pipefail
impl=$1
seconds=$2
mode=${3:-tcp}
case $mode in
tcp) load=() ;;
udp64) load=(-u -b 0 -l 64) ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac

. "$(dirname "$0")/netns-pair.sh"
netns_pair wga wgb 10.100.0

if [ "$impl" = none ]; then
	server=10.100.0.2
else
	load_wireguard "$impl"
	umask 077
	wg genkey > /tmp/ka
	wg genkey > /tmp/kb
	for side in a b; do
		if [ "$impl" = wireguard-go ]; then
			mkdir -p /dev/net
			[ -e /dev/net/tun ] || mknod /dev/net/tun c 10 200
			ip netns exec "wg$side" env WG_PROCESS_FOREGROUND=1 wireguard-go "tun$side" >/dev/null 2>&1 &
			for _ in $(seq 100); do [ -S "/var/run/wireguard/tun$side.sock" ] && break; sleep 0.1; done
		else
			ip -n "wg$side" link add "tun$side" type wireguard
		fi
	done
	ip netns exec wga wg set tuna private-key /tmp/ka listen-port 51820 \
		peer "$(wg pubkey < /tmp/kb)" allowed-ips 10.200.0.2/32 endpoint 10.100.0.2:51820
	ip netns exec wgb wg set tunb private-key /tmp/kb listen-port 51820 \
		peer "$(wg pubkey < /tmp/ka)" allowed-ips 10.200.0.1/32 endpoint 10.100.0.1:51820
	ip -n wga addr add 10.200.0.1/24 dev tuna
	ip -n wgb addr add 10.200.0.2/24 dev tunb
	ip -n wga link set tuna up
	ip -n wgb link set tunb up
	ip netns exec wga ping -c 1 -W 10 10.200.0.2 >/dev/null
	server=10.200.0.2
fi

ip netns exec wgb iperf3 -s -1 -D -B "$server" >/dev/null
for _ in $(seq 100); do ip netns exec wgb ss -ltn | grep -q ":5201 " && break; sleep 0.1; done
ip netns exec wga iperf3 -c "$server" -t "$seconds" "${load[@]}" -J > /tmp/iperf.json
cat /tmp/iperf.json
