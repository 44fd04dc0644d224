"""Find kernel reports (Oops, BUG, WARNING, KASAN, ...) in kernel log text.

``find_reports(text)`` returns one ``KernelReport`` per report, in log order,
with its kind, its first line and the whole report text.

How a report is delimited
-------------------------
A report *starts* at a line that matches one of the start patterns below
(matched against the line with its ``[ 12.345678]`` timestamp, optional
``[T123]`` caller id and ``<4>`` priority prefix removed, and anchored at the
start of the line, so boot messages such as ``RETBleed: WARNING: ...`` are not
reports).  A ``------------[ cut here ]------------`` line a few lines before
the start line (a WARN() message comes in between), or a framing ``=====``
line just before it, is included in the report.

A report *ends* at the first of:

* its end marker: ``---[ end trace ... ]---`` (Oops, BUG, WARNING, UBSAN in
  "cut here" style), ``---[ end Kernel panic ... ]---`` (panic), or the closing
  ``=====`` line of a framed report (KASAN, UBSAN, KFENCE, lockdep);
* for reports that have no end marker (lockdep, hung task, RCU stall,
  lockups, kmemleak, "BUG: sleeping function called ..."), the end of the
  call trace: the first non-indented line after the ``Call Trace:`` block
  (or, with no call trace at all, after the indented body, as kmemleak prints);
* the start of the next report, or ``MAX_LINES`` lines.

Lines that continue a report (``Oops: 0002 [#1]`` after ``BUG: unable to
handle page fault``, ``invalid opcode`` after ``kernel BUG at``) never start a
new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS: tuple[str, ...] = (
    "Oops", "BUG", "WARNING", "KASAN", "UBSAN", "lockdep", "RCU stall", "hung task",
    "soft lockup", "hard lockup", "panic", "kmemleak", "netdev refcount",
)

MAX_LINES = 400
CUT_HERE_LOOKBACK = 6   # lines between "cut here" and the report's title (WARN() messages)

_PREFIX = re.compile(r"^(?:<\d+>)?(?:\[\s*\d+\.\d+\])?(?:\[\s*[CT]\d+\])?\s?")

_LOCKDEP_WARN = (
    r"possible circular locking dependency detected|possible recursive locking detected"
    r"|inconsistent lock state|suspicious RCU usage|possible irq lock inversion dependency detected"
    r"|\S+-safe -> \S+-unsafe lock order detected|bad unlock balance detected!|held lock freed!"
    r"|lock held when returning to user space!|Nested lock was not taken|bad contention detected!"
    r"|lock held at task exit time!|still has locks held!|Illegal context switch in RCU"
)

# (kind, pattern) in priority order; the first match decides the kind.
_STARTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pat))
    for kind, pat in (
        ("KASAN", r"^BUG: KASAN: "),
        ("UBSAN", r"^UBSAN: "),
        ("soft lockup", r"^(?:watchdog: )?BUG: soft lockup"),
        ("hard lockup", r"^(?:NMI )?watchdog: (?:Watchdog detected hard LOCKUP|BUG: hard lockup)"),
        ("hung task", r"^INFO: task \S.* blocked for more than \d+ seconds"),
        ("RCU stall", r"^(?:rcu: )?INFO: rcu_\w+ (?:self-)?detected (?:expedited )?stalls?"),
        ("lockdep", rf"^WARNING: (?:{_LOCKDEP_WARN})"),
        ("lockdep", r"^BUG: (?:MAX_LOCKDEP_\w+ too low|MAX_STACK_TRACE_ENTRIES too low|looking up invalid subclass|key \S+ has not been registered)"),
        ("lockdep", r"^INFO: trying to register non-static key"),
        ("Oops", r"^BUG: (?:unable to handle|kernel NULL pointer dereference|kernel paging request)"),
        ("Oops", r"^(?:Oops: |general protection fault|Internal error: Oops|stack segment: |double fault: )"),
        ("BUG", r"^kernel BUG at "),
        ("BUG", r"^BUG: "),
        ("WARNING", r"^WARNING: "),
        ("panic", r"^Kernel panic - not syncing"),
        ("kmemleak", r"^unreferenced object 0x[0-9a-f]+"),
        ("kmemleak", r"^kmemleak: \d+ new suspected memory leaks?"),
        # a device that cannot be freed: something still holds a reference (every 10 s)
        ("netdev refcount", r"^unregister_netdevice: waiting for \S+ to become free"),
    )
)

# Lines that would match a start pattern but continue the current report.
_CONTINUES: dict[str, re.Pattern[str]] = {
    "Oops": re.compile(r"^(?:Oops: |general protection fault|invalid opcode: |Internal error: |stack segment: )"),
    "BUG": re.compile(r"^(?:Oops: |invalid opcode: |Internal error: |general protection fault)"),
    "KASAN": re.compile(r"^(?:Oops: |general protection fault)"),
}

# An "invalid opcode" line on its own (old kernels print it after "kernel BUG at",
# where it continues the BUG) starts an Oops.
_OOPS_ALONE = re.compile(r"^invalid opcode: [0-9a-f]+ \[#\d+\]")

_END_TRACE = re.compile(r"^---\[ end trace[^\]]*\]---")
_END_PANIC = re.compile(r"^---\[ end Kernel panic")
_FRAME = re.compile(r"^={20,}\s*$")
_CUT_HERE = re.compile(r"^-+\[ cut here \]-+\s*$")
_CALL_TRACE = re.compile(r"^(?:Call Trace:|Call trace:|backtrace(?: \(crc [0-9a-f]+\))?:)")

# Kinds whose report normally ends with an explicit marker.
_MARKED = {"Oops": _END_TRACE, "BUG": _END_TRACE, "WARNING": _END_TRACE, "UBSAN": _END_TRACE,
           "hard lockup": _END_TRACE, "panic": _END_PANIC}
# One-line reports.
_ONE_LINE = re.compile(r"^(?:kmemleak: \d+ new suspected memory leaks?|unregister_netdevice: waiting for )")
# Non-indented lines that still belong to an Oops/WARNING after its call trace.
_TAIL = re.compile(
    r"^(?:Modules linked in:|CR2:|RIP:|Code:|RSP:|RAX:|RDX:|RBP:|R\d+:|FS:|CS:|DR\d:|PKRU:|note: |"
    r"Dumping ftrace|Kernel Offset:|irq event stamp:|hardirqs last|softirqs last|Rebooting in|"
    r"CPU: |Hardware name:|---\[ end)"
)


@dataclass(frozen=True)
class KernelReport:
    kind: str       # one of KINDS
    title: str      # the start line, without timestamp
    text: str       # the whole report as it appeared in the log (timestamps kept)
    line: int       # 1-based line number of the title in the text given

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}\n{self.text}"


def strip_prefix(line: str) -> str:
    """A log line without its timestamp/caller/priority prefix and trailing CR."""
    return _PREFIX.sub("", line.rstrip("\r\n"), count=1)


_PREFIX_ONLY = re.compile(r"^(?:<\d+>)?(?:\[\s*\d+\.\d+\])?(?:\[\s*[CT]\d+\])?")


def _keep_indent(line: str) -> str:
    """The line without its timestamp prefix, keeping the kernel's own indentation."""
    m = _PREFIX_ONLY.match(line)
    rest = line[m.end():] if m else line
    if m and m.end() > 0 and rest.startswith(" "):
        rest = rest[1:]  # the one space the kernel puts after the timestamp
    return rest.rstrip("\r\n")


def _classify(body: str) -> str | None:
    for kind, pat in _STARTS:
        if pat.match(body):
            return kind
    if _OOPS_ALONE.match(body):
        return "Oops"
    return None


def _indented(raw: str) -> bool:
    return raw[:1] in (" ", "\t") or raw.startswith(("<TASK>", "</TASK>", "<IRQ>", "</IRQ>", "<NMI>", "</NMI>"))


def _find_end(lines: list[str], bodies: list[str], start: int, kind: str, framed: bool) -> int:
    """Index one past the last line of the report whose title is ``lines[start]``."""
    if _ONE_LINE.match(bodies[start]):
        return start + 1
    marker = _MARKED.get(kind)
    cont = _CONTINUES.get(kind)
    in_trace = after_trace = False
    limit = min(len(lines), start + MAX_LINES)
    for i in range(start + 1, limit):
        body = bodies[i]
        raw = _keep_indent(lines[i])
        if _classify(body) is not None and not (cont and cont.match(body)):
            return i
        if marker is not None and marker.match(body):
            return i + 1
        if framed:
            if _FRAME.match(body):
                return i + 1
            continue  # framed reports (KASAN) hold several traces: only the frame ends them
        if _CALL_TRACE.match(body):
            in_trace, after_trace = True, False
            continue
        solid = bool(raw.strip()) and not _indented(raw)
        if kind == "kmemleak" and solid:
            return i
        if (in_trace or after_trace) and solid:
            if _TAIL.match(body):
                in_trace, after_trace = False, True
                continue
            return i
    return limit


def find_reports(text: str) -> list[KernelReport]:
    """All kernel reports in ``text``, in order. A clean log gives []."""
    lines = text.splitlines()
    bodies = [strip_prefix(line) for line in lines]
    reports: list[KernelReport] = []
    reports_end: list[int] = []
    i = 0
    while i < len(lines):
        kind = _classify(bodies[i])
        if kind is None:
            i += 1
            continue
        first = i
        framed = False
        # WARN(cond, "fmt") prints "cut here", then its message, then "WARNING: ...": keep the message
        cut = next((j for j in range(i - 1, max(i - 1 - CUT_HERE_LOOKBACK, -1), -1) if _CUT_HERE.match(bodies[j])), None)
        prev_end = reports_end[-1] if reports_end else 0
        if cut is not None and cut >= prev_end:
            first = cut
        elif i > 0 and _FRAME.match(bodies[i - 1]):
            first = i - 1
            framed = kind != "lockdep"  # lockdep has a frame line on top only
        end = _find_end(lines, bodies, i, kind, framed)
        text_end = end
        while text_end - 1 > i and not bodies[text_end - 1].strip():
            text_end -= 1  # blank lines between reports belong to none
        reports.append(KernelReport(kind=kind, title=bodies[i], text="\n".join(lines[first:text_end]), line=i + 1))
        reports_end.append(end)
        i = max(end, i + 1)
    return reports


def first_panic(reports: list[KernelReport]) -> KernelReport | None:
    return next((r for r in reports if r.kind == "panic"), None)


def summarize(reports: list[KernelReport], max_chars: int = 6000) -> str:
    """The reports quoted for an error message (long ones are cut)."""
    parts = []
    for r in reports:
        text = r.text if len(r.text) <= max_chars else r.text[:max_chars] + "\n[... report cut ...]"
        parts.append(f"--- {r.kind} (log line {r.line}) ---\n{text}")
    return "\n".join(parts)
