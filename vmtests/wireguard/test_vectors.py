"""Known-answer handshake: the transcript of module/selftest/handshake_vector.h against a live responder.

     +------------------------------------------------------------------+
     | ns v (lo: 127.0.0.1)                                             |
     |   initiator.py  127.0.0.1:40000  --initiation 148-->  wg0 :51820 |
     |   (the vector's initiator,       <--response 92----   10.9.0.2/24|
     |    stdlib-only Noise IKpsk2)     --ping 10.9.0.1 -> 10.9.0.2 --> |
     |                                  <--echo reply------             |
     +------------------------------------------------------------------+

wg0 is the responder with the vector's static key and preshared key and the
vector's initiator as its only peer (allowed IPs 10.9.0.1/32). initiator.py
sends the vector's initiation byte for byte, authenticates the response,
derives the transport keys, sends one ICMP echo request through the tunnel and
decrypts the echo reply. The module self-test proves noise.c produces these
bytes; this proves a responder (ours or the kernel's own) accepts them.
"""

from __future__ import annotations

import base64

from vmtests.lib import handshake_vector
from vmtests.lib.topology import Keypair, Topology

INITIATION, RESPONSE = 148, 92
# initiator.py's echo request: IPv4 header 20 + ICMP header 8 + b"wgcompat-interop" 16 = 44 bytes,
# padded to 48; a data message is header 16 + padded packet + tag 16. The echo reply is as long.
PING_DATA = 16 + 48 + 16


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_known_answer_handshake_and_a_ping(topo: Topology) -> None:
    vector = handshake_vector.load()
    ns = topo.netns("v")
    wg = topo.wireguard(ns, listen_port=51820, addresses=["10.9.0.2/24"],
                        keys=Keypair(b64(vector["responder_static"]), b64(vector["responder_public"])))
    initiator = wg.add_peer(b64(vector["initiator_public"]), ["10.9.0.1/32"], preshared_key=b64(vector["psk"]))
    assert wg.show().public_key == b64(vector["responder_public"]), "wg0 derived another public key"
    assert wg.transfer()[initiator] == (0, 0)

    tool = topo.put_tool("initiator.py")
    topo.put_text(f"{topo.workdir}/vector.txt", handshake_vector.initiator_file(vector))
    run = ns.run(f"python3 {tool} {topo.workdir}/vector.txt", timeout=300)
    assert run.ok and "INTEROP OK" in run.output, f"initiator.py (exit {run.status}):\n{run.output}"

    peer = wg.peer(initiator)
    assert peer.latest_handshake > 0, "wg show has no handshake with the vector's initiator"
    assert peer.endpoint == "127.0.0.1:40000"
    assert (peer.rx_bytes, peer.tx_bytes) == (INITIATION + PING_DATA, RESPONSE + PING_DATA), \
        f"wg0 counted {peer.rx_bytes} bytes received, {peer.tx_bytes} sent"
