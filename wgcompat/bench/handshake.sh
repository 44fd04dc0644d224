#!/bin/bash
# Guest side of `invoke bench --handshakes`: how fast N complete handshakes finish.
#
#   ns hsa: N interfaces i0..iN-1, one peer each ==veth 10.101.0.0/24== ns hsb: interface resp, N peers
#
# Every initiator has persistent-keepalive set while down; one `ip -batch` brings
# them all up, which makes each send a keepalive at once and so start a handshake.
# The clock runs from that command until the responder lists N handshakes.
#
# usage: handshake.sh ours|reference N
# prints: "HANDSHAKES <n> <seconds>"
set -euo pipefail
impl=$1
n=$2

. "$(dirname "$0")/netns-pair.sh"
kernel_implementation "$impl"
netns_pair hsa hsb 10.101.0
load_wireguard "$impl"

umask 077
dir=$(mktemp -d)
wg genkey > "$dir/resp"
resp_pub=$(wg pubkey < "$dir/resp")
ip -n hsb link add resp type wireguard
conf="$dir/resp.conf"
{
	echo "[Interface]"
	echo "PrivateKey = $(cat "$dir/resp")"
	echo "ListenPort = 51820"
} > "$conf"
batch="$dir/up.batch"
: > "$batch"
for i in $(seq 0 "$((n - 1))"); do
	wg genkey > "$dir/k$i"
	ip -n hsa link add "i$i" type wireguard
	ip netns exec hsa wg set "i$i" private-key "$dir/k$i" \
		peer "$resp_pub" endpoint 10.101.0.2:51820 allowed-ips 10.102.0.2/32 persistent-keepalive 25
	printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.103.%d.%d/32\n' \
		"$(wg pubkey < "$dir/k$i")" "$((i / 250))" "$((i % 250 + 1))" >> "$conf"
	echo "link set i$i up" >> "$batch"
done
ip netns exec hsb wg setconf resp "$conf"
ip -n hsb link set resp up

count() { ip netns exec hsb wg show resp latest-handshakes | awk '$2 != 0' | wc -l; }
now() { cut -d" " -f1 /proc/uptime; }  # seconds, 10 ms resolution (busybox date has no %N)
start=$(now)
ip -n hsa -batch "$batch"
deadline=$(( $(date +%s) + 300 ))
while [ "$(count)" -lt "$n" ]; do
	[ "$(date +%s)" -lt "$deadline" ] || { echo "only $(count) of $n handshakes after 300 s" >&2; exit 1; }
done
end=$(now)
echo "HANDSHAKES $n $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
