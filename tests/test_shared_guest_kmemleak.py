"""SharedGuest's leak scan: it scans the guest that ran the tests, never a freshly booted one."""

from __future__ import annotations

import contextlib

from vmtests.conftest import SharedGuest


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

    return SharedGuest(start), booted


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
    assert booted[0].scanned == 0
