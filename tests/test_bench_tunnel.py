"""Parsing of the guest's iperf3 report for `invoke bench`."""

import json

import pytest

from wgcompat.bench.tunnel import Throughput, parse_iperf, summarize
from wgcompat.errors import UserError


def report(bps: float, retransmits: int = 3) -> str:
    return "noise before the report\n" + json.dumps(
        {"end": {"sum_sent": {"bits_per_second": bps * 1.01, "retransmits": retransmits},
                 "sum_received": {"bits_per_second": bps}}})


def test_received_rate_is_what_counts():
    t = parse_iperf("ours", report(812e6))
    assert t == Throughput("ours", 812e6, 3)


def test_missing_report_names_the_implementation():
    with pytest.raises(UserError) as err:
        parse_iperf("reference", "iperf3: error - unable to connect to server")
    assert "reference" in err.value.cause and "unable to connect" in err.value.cause


def test_means_per_implementation():
    rows = [Throughput("ours", 100.0, 0), Throughput("ours", 300.0, 0), Throughput("reference", 250.0, 0)]
    assert summarize(rows) == {"ours": 200.0, "reference": 250.0}
