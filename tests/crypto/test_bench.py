"""`invoke bench-crypto`: the table has every row the issue asks for, side by side."""

from __future__ import annotations

import math

import pytest

from wgcompat.bench import crypto as bench


def test_run_reports_every_primitive_and_size_against_libsodium():
    rows = bench.run(repeat=1)
    keys = {(r.primitive, r.size, r.reference_name) for r in rows}
    assert ("X25519", None, "libsodium") in keys
    for size in (64, 1420, 65536):
        assert ("ChaCha20-Poly1305 encrypt", size, "libsodium") in keys
        assert ("BLAKE2s-256", size, "libsodium BLAKE2b-256") in keys
    impls = {r.implementation for r in rows if r.primitive == "ChaCha20-Poly1305 encrypt"}
    expected = {"portable", "ssse3", "avx2", "avx512"} if bench.has_x86_simd() else {"portable"}
    # each implementation the CPU has gets its rows (the CPU may lack the wider ones)
    assert "portable" in impls and impls <= expected, impls
    for r in rows:
        assert math.isfinite(r.ours) and math.isfinite(r.reference)
        assert r.ratio == pytest.approx(r.ours / r.reference)


def test_main_prints_the_table(capsys):
    assert bench.main(["1"]) == 0
    out = capsys.readouterr().out
    assert "X25519" in out and "ChaCha20-Poly1305 encrypt" in out and "ratio" in out
    assert "portable" in out


def test_main_refuses_a_bad_repeat_count(capsys):
    assert bench.main(["many"]) == 2
    assert "repeat must be an integer" in capsys.readouterr().err
    assert bench.main(["0"]) == 1
    assert "repeat must be at least 1" in capsys.readouterr().err


def test_arm64_build_runs_under_qemu_user_with_each_implementation():
    """`invoke bench-crypto --arch arm64`: portable and neon side by side, timed under
    qemu-aarch64 and their instructions counted; the NEON ChaCha20 executes well under half
    the portable code's instructions on long messages (the figure emulation can vouch for)."""
    from wgcompat import arch
    from wgcompat.bench import crypto_emulated

    rows = crypto_emulated.run(arch.get("arm64"), repeat=1)
    keys = {(r.primitive, r.implementation, r.size) for r in rows}
    for primitive in ("ChaCha20-Poly1305 encrypt", "ChaCha20"):
        for size in bench.SIZES:
            assert {(primitive, "portable", size), (primitive, "neon", size)} <= keys, keys
    by_key = {(r.primitive, r.implementation, r.size): r for r in rows}
    assert by_key[("ChaCha20", "neon", 65536)].insns_vs_portable < 0.5
    assert by_key[("ChaCha20", "portable", 65536)].insns_vs_portable == 1.0
    table = crypto_emulated.format_table(rows)
    assert "neon" in table and "insns/B" in table


def test_main_refuses_an_unknown_architecture(capsys):
    assert bench.main(["--arch", "vax"]) == 1
    assert "--arch vax" in capsys.readouterr().err
