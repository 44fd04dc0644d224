#!/bin/bash
# Guest side of `invoke bench --setconf-peers`: how long `wg setconf` takes to load a
# large configuration into an interface that has none.
#
#   ns sca: interface big, PEERS peers with IPS allowed IPs each (no traffic)
#
# The configuration (random public keys, distinct /32s and /128s) is written once;
# each of ROUNDS rounds creates the interface afresh and times `wg setconf` on it.
#
# usage: setconf.sh ours|reference PEERS IPS ROUNDS
# prints: "SETCONF <peers> <allowed ips> <seconds of all rounds> <rounds>"
set -euo pipefail
impl=$1
peers=$2
ips=$3
rounds=$4

. "$(dirname "$0")/netns-pair.sh"
kernel_implementation "$impl"
netns_pair sca scb 10.104.0
load_wireguard "$impl"

conf=/tmp/setconf-$peers-$ips.conf
if [ ! -s "$conf" ]; then
	python3 - "$peers" "$ips" > "$conf.part" <<'PY'
import binascii, os, sys
peers, ips = int(sys.argv[1]), int(sys.argv[2])
print("[Interface]\nPrivateKey = %s" % binascii.b2a_base64(os.urandom(32)).decode().strip())
for p in range(peers):
    key = binascii.b2a_base64(os.urandom(32)).decode().strip()
    nets = []
    for i in range(ips):
        n = p * ips + i
        nets.append("10.%d.%d.%d/32" % (n >> 16 & 255, n >> 8 & 255, n & 255) if i % 2 == 0
                    else "fd00::%x:%x/128" % (n >> 16, n & 0xffff))
    print("[Peer]\nPublicKey = %s\nAllowedIPs = %s" % (key, ", ".join(nets)))
PY
	mv "$conf.part" "$conf"
fi

now() { cut -d" " -f1 /proc/uptime; }  # seconds, 10 ms resolution (busybox date has no %N)
total=0
for _ in $(seq "$rounds"); do
	ip -n sca link del big 2>/dev/null || true
	ip -n sca link add big type wireguard
	start=$(now)
	ip netns exec sca wg setconf big "$conf"
	end=$(now)
	total=$(awk -v t="$total" -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", t + b - a }')
	[ "$(ip netns exec sca wg show big peers | wc -l)" = "$peers" ] || { echo "setconf loaded the wrong number of peers" >&2; exit 1; }
done
ip -n sca link del big
echo "SETCONF $peers $((peers * ips)) $total $rounds"
