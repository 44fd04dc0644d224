"""Host-only checks of the handshake vector reader (no VM)."""

from __future__ import annotations

import pytest

from vmtests.lib.handshake_vector import INITIATOR_FIELDS, initiator_file, load, parse_header


def test_parse_header_reads_each_array() -> None:
    text = ("#define HV_INITIATOR_INDEX 0x11223344U\n"
            "static const u8 hv_psk[4] = {\n\t0x64, 0x65,\n\t0x66, 0xff,\n};\n"
            "static const u8 hv_timestamp[2] = {\n\t0x40, 0x00,\n};\n")
    assert parse_header(text) == {"psk": bytes([0x64, 0x65, 0x66, 0xFF]), "timestamp": b"\x40\x00"}


def test_parse_header_rejects_a_short_array_and_an_empty_file() -> None:
    with pytest.raises(ValueError, match="hv_psk declares 4 bytes but lists 3"):
        parse_header("static const u8 hv_psk[4] = { 0x01, 0x02, 0x03, };\n")
    with pytest.raises(ValueError, match="no hv_ arrays"):
        parse_header("/* nothing */\n")


def test_the_repository_header_has_what_the_vm_test_needs() -> None:
    vector = load()
    sizes = {name: len(value) for name, value in vector.items()}
    assert sizes == {"initiator_static": 32, "responder_static": 32, "initiator_ephemeral": 32,
                     "responder_ephemeral": 32, "psk": 32, "timestamp": 12, "initiator_public": 32,
                     "responder_public": 32, "initiation": 148, "response": 92, "initiator_send": 32,
                     "initiator_recv": 32}
    assert vector["initiation"][:4] == b"\x01\x00\x00\x00"
    lines = initiator_file(vector).splitlines()
    assert [ln.split()[0] for ln in lines] == list(INITIATOR_FIELDS)
    assert lines[-1] == "initiation " + vector["initiation"].hex()
