"""The console protocol against the real guest-side server run locally (no VM)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from wgcompat.vm.console import (CommandTimeout, Console, ConsoleBroken, ConsoleLog, GuestDied, new_token)

SERVER = Path(__file__).resolve().parents[2] / "wgcompat/image/files/wgc-server"


@pytest.fixture
def kmsg(tmp_path: Path) -> Path:
    return tmp_path / "kmsg"


@pytest.fixture
def console(kmsg: Path) -> Iterator[Console]:
    token = new_token()
    child = pexpect.spawn("bash", [str(SERVER)], encoding="utf-8", timeout=None,
                          env={**os.environ, "WGC_KMSG": str(kmsg), "WGC_TOKEN": token})
    con = Console(child)
    con.wait_ready(token, timeout=30)
    yield con
    child.close(force=True)


def test_output_and_exit_status_come_back_separately(console: Console) -> None:
    r = console.run("echo hello; echo to-stderr >&2; exit 7", timeout=30)
    assert r.status == 7
    assert r.output == "hello\nto-stderr\n"


def test_output_without_final_newline_is_kept_exactly(console: Console) -> None:
    assert console.run("printf 'a\\n\\nb'", timeout=30).output == "a\n\nb"
    assert console.run("true", timeout=30).output == ""
    assert console.run("echo", timeout=30).output == "\n"


def test_quotes_markers_and_multiline_commands_need_no_escaping(console: Console) -> None:
    cmd = "x='it'\"'\"'s'; printf '%s\\n' \"$x\" 'WGC0000-E 0' \"$((6*7))\"\nfor i in 1 2; do echo line$i; done"
    r = console.run(cmd, timeout=30)
    assert r.output == "it's\nWGC0000-E 0\n42\nline1\nline2\n"
    assert r.status == 0


def test_commands_cannot_read_the_protocol_stream(console: Console) -> None:
    r = console.run("cat; echo after-cat", timeout=30)
    assert r.output == "after-cat\n"
    assert console.run("echo still-in-sync", timeout=30).output == "still-in-sync\n"


def test_large_output_arrives_whole(console: Console) -> None:
    r = console.run("seq 1 20000", timeout=60)
    lines = r.output.splitlines()
    assert len(lines) == 20000 and lines[0] == "1" and lines[-1] == "20000"


def test_each_command_leaves_a_sync_line_in_the_kernel_log(console: Console, kmsg: Path) -> None:
    token = new_token()
    console.run("true", timeout=30, token=token)
    log = ConsoleLog(kmsg)
    assert log.wait_for(f"wgcompat-sync {token}", 0, timeout=10) == kmsg.stat().st_size


def test_a_command_that_never_returns_times_out_and_breaks_the_console(console: Console) -> None:
    with pytest.raises(CommandTimeout) as err:
        console.run("echo started; sleep 600", timeout=1)
    assert "sleep 600" in str(err.value)
    assert "did not finish within 1 s" in str(err.value)
    assert "started" in err.value.tail  # the console tail shows what the command printed
    with pytest.raises(ConsoleBroken):
        console.run("echo more", timeout=5)


def test_the_guest_going_away_is_reported(console: Console) -> None:
    with pytest.raises(GuestDied) as err:
        console.run("kill -9 $PPID", timeout=30)
    assert "kill -9" in str(err.value)


def test_put_writes_an_exact_copy(console: Console, tmp_path: Path) -> None:
    data = os.urandom(150_000)
    target = tmp_path / "sub dir" / "copy.bin"
    console.put_bytes(data, str(target), mode=0o600)
    assert target.read_bytes() == data
    assert (target.stat().st_mode & 0o777) == 0o600
    r = console.run(f"sha256sum '{target}'", timeout=30)
    assert r.output.split()[0] == hashlib.sha256(data).hexdigest()
