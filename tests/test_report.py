"""The matrix summary: one row per kernel with its stages and links to its logs."""

from pathlib import Path

from wgcompat import report


def test_markdown_summary_has_a_row_per_kernel_with_log_links(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "REPORTS", tmp_path)
    good = report.Cell("6.1", release="6.1.192", build="cached", build_s=3, test="passed", test_s=40,
                       summary="12 passed in 40s", links={"compat.h": Path("/cache/m/compat.h")})
    bad = report.Cell("7.2", release="7.2.13", build="failed", build_s=90, test="skipped",
                      error="wireguard.ko failed to build against 7.2.13")
    assert good.ok and not bad.ok
    path = report.write_markdown([good, bad], "normal")
    text = path.read_text()
    assert path.name == "matrix-normal.md"
    assert "| 6.1 | 6.1.192 | cached | 3 | passed | 40 | 12 passed in 40s | [compat.h](file:///cache/m/compat.h) |" in text
    assert "| 7.2 | 7.2.13 | failed | 90 | skipped | 0 | wireguard.ko failed to build against 7.2.13 |" in text


def test_a_forced_crypto_run_reports_apart_from_the_default_one(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "REPORTS", tmp_path)
    assert report.run_label("normal", "auto") == "normal"
    assert report.run_label("debug", "bundled") == "debug-bundled"
    default = report.write_markdown([report.Cell("6.1")], report.run_label("normal", "auto"))
    bundled = report.write_markdown([report.Cell("6.1")], report.run_label("normal", "bundled"))
    assert default != bundled and default.is_file() and bundled.is_file()
    assert bundled.name == "matrix-normal-bundled.md"
    # the per-kernel folders of `invoke test` and `invoke matrix` follow the same rule
    assert report.vmtests_report_dir("6.1", "normal", "auto").name == "6.1-normal"
    assert report.vmtests_report_dir("6.1", "debug", "bundled").name == "6.1-debug-bundled"
