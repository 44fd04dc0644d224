"""SharedGuest's leak scan: it scans the guest that ran the tests, never a freshly booted one,
and every guest at the end of its life unless its console broke."""

from __future__ import annotations

import contextlib

import pytest

from vmtests.conftest import SharedGuest, leak_checked


class FakeGuest:
    def __init__(self, n: int) -> None:
        self.n = n
        self.scanned = 0

    def run(self, cmd: str, timeout: float = 60.0) -> str:
        return f"guest {self.n}: {cmd}"

    def check_kmemleak(self) -> list[str]:
        self.scanned += 1
        return []


def shared() -> tuple[SharedGuest, list[FakeGuest]]:
    booted: list[FakeGuest] = []

    @contextlib.contextmanager
    def start(n: int):
        booted.append(FakeGuest(n))
        yield booted[-1]

    return SharedGuest(lambda n: leak_checked(start(n))), booted


def test_scan_runs_on_the_guest_in_use() -> None:
    guest, booted = shared()
    guest.run("true")
    assert guest.check_kmemleak() == []
    assert len(booted) == 1 and booted[0].scanned == 1


def test_a_retired_guest_is_not_replaced_just_to_be_scanned() -> None:
    guest, booted = shared()
    guest.run("true")
    guest.retire()
    assert guest.check_kmemleak() == []
    assert len(booted) == 1, "the scan booted a fresh guest"
    assert booted[0].scanned == 1, "the guest was not scanned as it retired"


def test_every_guest_is_scanned_when_it_retires_and_the_next_one_too() -> None:
    guest, booted = shared()
    guest.run("true")
    guest.retire()
    guest.run("true")
    guest.retire()
    assert [g.scanned for g in booted] == [1, 1]


def test_a_guest_whose_console_broke_retires_without_a_scan() -> None:
    guest, booted = shared()
    guest.run("true")
    broken = ConnectionError("console gone")
    guest.retire(broken=broken)
    assert booted[0].scanned == 0
    guest.run("true")
    assert len(booted) == 2


def test_a_leak_found_at_retirement_is_raised_after_the_guest_is_down() -> None:
    down: list[int] = []

    class Leaky(FakeGuest):
        def check_kmemleak(self) -> list[str]:
            raise AssertionError("kmemleak: 1 new suspected memory leak")

    @contextlib.contextmanager
    def start(n: int):
        try:
            yield Leaky(n)
        finally:
            down.append(n)

    guest = SharedGuest(lambda n: leak_checked(start(n)))
    guest.run("true")
    with pytest.raises(AssertionError, match="suspected memory leak"):
        guest.retire()
    assert down == [0]
