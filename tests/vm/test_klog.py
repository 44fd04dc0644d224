"""The kernel-log detector on captured logs: each report kind, and clean logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from wgcompat.vm import klog

DATA = Path(__file__).parent / "data"

# file -> [(kind, start of title, text of the report's last line)]
EXPECTED: dict[str, list[tuple[str, str, str]]] = {
    "oops_null.log": [("Oops", "BUG: kernel NULL pointer dereference, address: 0000000000000008",
                       "---[ end trace 0000000000000000 ]---")],
    "bug_at.log": [("BUG", "kernel BUG at drivers/net/wireguard/queueing.c:102!", "---[ end trace 1a2b3c4d5e6f7a8b ]---")],
    "warning.log": [
        ("WARNING", "WARNING: CPU: 1 PID: 245 at drivers/net/wireguard/peer.c:88", "---[ end trace 0000000000000000 ]---"),
        ("WARNING", "WARNING: net/core/dev.c:11034 at unregister_netdevice_many_notify", "---[ end trace 0000000000000000 ]---"),
    ],
    "warn_message.log": [("WARNING", "WARNING: CPU: 0 PID: 250 at lib/refcount.c:28", "---[ end trace 0000000000000000 ]---")],
    "kasan.log": [("KASAN", "BUG: KASAN: slab-use-after-free in wg_packet_receive", "=" * 66)],
    "ubsan.log": [
        ("UBSAN", "UBSAN: array-index-out-of-bounds in drivers/net/wireguard/allowedips.c:42:17", "=" * 80),
        ("UBSAN", "UBSAN: shift-out-of-bounds in drivers/net/wireguard/timers.c:60:30", "---[ end trace ]---"),
    ],
    "lockdep.log": [
        ("lockdep", "WARNING: possible circular locking dependency detected", "</TASK>"),
        ("lockdep", "WARNING: suspicious RCU usage", "</TASK>"),
        ("lockdep", "WARNING: inconsistent lock state", "</TASK>"),
    ],
    "stalls.log": [
        ("RCU stall", "rcu: INFO: rcu_preempt self-detected stall on CPU", "</TASK>"),
        ("hung task", "INFO: task wg:341 blocked for more than 122 seconds.", "</TASK>"),
        ("soft lockup", "watchdog: BUG: soft lockup - CPU#1 stuck for 26s!", "</TASK>"),
        ("hard lockup", "NMI watchdog: Watchdog detected hard LOCKUP on cpu 0", "---[ end trace 0000000000000000 ]---"),
    ],
    "panic.log": [("panic", "Kernel panic - not syncing: Attempted to kill init!",
                   "---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100 ]---")],
    "kmemleak.log": [
        ("kmemleak", "kmemleak: 2 new suspected memory leaks", "kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"),
        ("kmemleak", "unreferenced object 0xffff888005a3c000 (size 64):", "wg_peer_create+0x7c/0x4a0 [wireguard]"),
        ("kmemleak", "unreferenced object 0xffff888005a3c400 (size 32):", "wg_noise_handshake_init+0x20/0x80 [wireguard]"),
    ],
    "netdev_refcount.log": [
        ("netdev refcount", "unregister_netdevice: waiting for wg0 to become free. Usage count = 2",
         "waiting for wg0 to become free. Usage count = 2"),
        ("netdev refcount", "unregister_netdevice: waiting for wg0 to become free. Usage count = 2",
         "waiting for wg0 to become free. Usage count = 2"),
    ],
    "sleeping.log": [
        ("BUG", "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580", "</TASK>"),
        ("WARNING", "WARNING: CPU: 0 PID: 1 at kernel/panic.c:700", "</TASK>"),
        ("panic", "Kernel panic - not syncing: kernel: panic_on_warn set ...", "Kernel Offset: disabled"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_report_kind_is_found_with_its_whole_text(name: str) -> None:
    reports = klog.find_reports((DATA / name).read_text())
    got = [(r.kind, r.title, r.text.splitlines()[-1]) for r in reports]
    assert len(got) == len(EXPECTED[name]), got
    for (kind, title, last), (want_kind, want_title, want_last) in zip(got, EXPECTED[name]):
        assert kind == want_kind
        assert title.startswith(want_title)
        assert last.rstrip().endswith(want_last)


def test_every_kind_is_covered_by_a_sample() -> None:
    covered = {kind for reports in EXPECTED.values() for kind, _, _ in reports}
    assert covered == set(klog.KINDS)


@pytest.mark.parametrize("name", ["clean_boot.log", "clean_plain.log"])
def test_clean_logs_give_no_report(name: str) -> None:
    assert klog.find_reports((DATA / name).read_text()) == []


def test_oops_report_keeps_registers_trace_and_modules_but_not_the_next_command() -> None:
    (report,) = klog.find_reports((DATA / "oops_null.log").read_text())
    assert "Oops: 0000 [#1] PREEMPT SMP NOPTI" in report.text
    assert "set_peer+0x2a1/0x500 [wireguard]" in report.text
    assert "Modules linked in: wireguard(O)" in report.text
    assert "wgcompat-sync" not in report.text
    assert report.line == 2


def test_cut_here_and_frame_lines_belong_to_the_report() -> None:
    (kasan,) = klog.find_reports((DATA / "kasan.log").read_text())
    assert kasan.text.splitlines()[0].endswith("=" * 66)
    assert "Freed by task 240:" in kasan.text
    assert "Disabling lock debugging" not in kasan.text
    warning = klog.find_reports((DATA / "warning.log").read_text())[0]
    assert "[ cut here ]" in warning.text.splitlines()[0]


def test_lockdep_report_holds_the_whole_chain() -> None:
    circular = klog.find_reports((DATA / "lockdep.log").read_text())[0]
    for needle in ("the existing dependency chain", "*** DEADLOCK ***", "2 locks held by ip/312:", "check_noncircular"):
        assert needle in circular.text
    assert "suspicious RCU usage" not in circular.text


def test_hung_task_stops_after_its_stack() -> None:
    hung = klog.find_reports((DATA / "stalls.log").read_text())[1]
    assert "wg_set_device+0x7b/0xa30" in hung.text
    assert "Showing all locks" not in hung.text


def test_log_with_carriage_returns_and_no_timestamps() -> None:
    text = "boot\r\nWARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\r\nCall Trace:\r\n f+0x1/0x2\r\n---[ end trace 0 ]---\r\nafter\r\n"
    (report,) = klog.find_reports(text)
    assert report.kind == "WARNING"
    assert "after" not in report.text


def test_summary_quotes_reports_and_cuts_long_ones() -> None:
    reports = klog.find_reports((DATA / "warning.log").read_text())
    text = klog.summarize(reports, max_chars=100)
    assert "--- WARNING (log line 3) ---" in text
    assert "[... report cut ...]" in text


def test_a_warn_message_between_cut_here_and_the_title_is_kept() -> None:
    (report,) = klog.find_reports((DATA / "warn_message.log").read_text())
    lines = report.text.splitlines()
    assert "[ cut here ]" in lines[0]
    assert lines[1].endswith("refcount_t: underflow; use-after-free.")
    assert "wgcompat-sync" not in report.text
