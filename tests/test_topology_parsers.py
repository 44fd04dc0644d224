"""Host-only checks of the parsers the scenarios rely on (no VM)."""

from __future__ import annotations

import pytest

from vmtests.lib.topology import (WaitTimeout, parse_counters, parse_dump, parse_key_values, parse_ping,
                                  parse_rule_counts, wait_until)

PRIV = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PUB = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
PEER1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
PEER2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="


def test_parse_dump_reads_device_and_peers() -> None:
    text = (f"{PRIV}\t{PUB}\t51820\toff\n"
            f"{PEER1}\t{PSK}\t127.0.0.1:10002\t10.9.0.2/32,fd09::2/128\t1732480000\t1372\t1460\t25\n"
            f"{PEER2}\t(none)\t(none)\t(none)\t0\t0\t0\toff\n")
    state = parse_dump(text)
    assert (state.private_key, state.public_key, state.listen_port, state.fwmark) == (PRIV, PUB, 51820, None)
    p1, p2 = state.peers[PEER1], state.peers[PEER2]
    assert p1.preshared_key == PSK and p1.endpoint == "127.0.0.1:10002"
    assert p1.allowed_ips == ("10.9.0.2/32", "fd09::2/128")
    assert (p1.latest_handshake, p1.rx_bytes, p1.tx_bytes, p1.persistent_keepalive) == (1732480000, 1372, 1460, 25)
    assert (p2.preshared_key, p2.endpoint, p2.allowed_ips, p2.persistent_keepalive) == (None, None, (), None)


def test_parse_dump_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_dump("Unable to access interface: Operation not permitted\n")


# Captured in a 6.1 guest (iptables-nft 1.8.9): `iptables -w -L INPUT -n -v -x 2>&1` in a
# namespace where `iptables-legacy -L` had run, so its legacy filter table exists. The warning
# is iptables-nft's, on stderr; the guest's shell merges it in front of the listing.
LISTING_WITH_LEGACY_WARNING = """\
# Warning: iptables-legacy tables present, use iptables-legacy to see them
Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination
       3      252            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:9 /* to port 9 */
       0        0            0    --  lo     *       0.0.0.0/0            0.0.0.0/0
      12     1344 DROP       1    --  wg0    *       10.9.0.0/24          0.0.0.0/0            /* pings */
"""


def test_rule_counts_are_read_by_comment_past_iptables_nft_warning() -> None:
    assert parse_rule_counts(LISTING_WITH_LEGACY_WARNING) == {"to port 9": 3, "pings": 12}
    assert parse_rule_counts("iptables: No chain/target/match by that name.\n") == {}


def test_parse_counters_and_key_values() -> None:
    c = parse_counters("/sys/class/net/wg0/statistics/rx_bytes:1372\n"
                       "/sys/class/net/wg0/statistics/tx_errors:3\n")
    assert (c.rx_bytes, c.tx_errors, c.tx_bytes) == (1372, 3, 0)
    assert parse_key_values(f"{PEER1}\t1732480000\n{PEER2}\t0\n") == {PEER1: 1732480000, PEER2: 0}


def test_parse_ping_summary() -> None:
    r = parse_ping("--- 10.9.0.2 ping statistics ---\n10 packets transmitted, 9 received, 10% packet loss\n")
    assert (r.transmitted, r.received) == (10, 9)
    assert parse_ping("ping: connect: Network is unreachable\n").transmitted == 0


def test_wait_until_returns_the_value_or_names_the_condition() -> None:
    values = iter([0, 0, 7])
    assert wait_until(lambda: next(values), 5, "a non-zero value", interval=0) == 7
    with pytest.raises(WaitTimeout, match="waiting for the impossible; last value: False"):
        wait_until(lambda: False, 0.05, "the impossible", interval=0.01)
