"""Parsing of the guest's iperf3 report for `invoke bench`."""

import json

import pytest

from wgcompat.bench.tunnel import Throughput, parse_iperf, summarize
from wgcompat.errors import UserError


def report(bps: float) -> str:
    return "noise before the report\n" + json.dumps(
        {"end": {"sum_sent": {"bits_per_second": bps * 1.01, "retransmits": 3},
                 "sum_received": {"bits_per_second": bps}}})


def test_received_rate_is_what_counts():
    t = parse_iperf("ours", report(812e6))
    assert t == Throughput("ours", 812e6)


def test_missing_report_names_the_implementation():
    with pytest.raises(UserError) as err:
        parse_iperf("reference", "iperf3: error - unable to connect to server")
    assert "reference" in err.value.cause and "unable to connect" in err.value.cause


def test_means_per_implementation():
    rows = [Throughput("ours", 100.0), Throughput("ours", 300.0), Throughput("reference", 250.0)]
    assert summarize(rows) == {"ours": 200.0, "reference": 250.0}


# The "end" of a UDP report as bookworm's iperf3 3.12 printed it in the guest (`tunnel.sh ours 5 udp64`)
UDP_REPORT = """iperf3 -c 10.200.0.2 -u -b 0 -l 64
{
	"end":	{
		"sum":	{
			"start":	0,
			"end":	5.206385,
			"seconds":	5.206385,
			"bytes":	2971520,
			"bits_per_second":	4753550.69170176,
			"jitter_ms":	0.0831784029769783,
			"lost_packets":	13861,
			"packets":	46430,
			"lost_percent":	29.85354296790868,
			"sender":	true
		}
	}
}
"""


def test_small_packets_count_what_the_server_received():
    from wgcompat.bench.tunnel import PacketRate, parse_udp

    rate = parse_udp("ours", UDP_REPORT)
    assert rate == PacketRate("ours", 46430 - 13861, 5.206385)
    assert round(rate.per_second) == 6256


def test_a_udp_run_without_a_report_names_the_implementation():
    from wgcompat.bench.tunnel import parse_udp

    with pytest.raises(UserError) as err:
        parse_udp("reference", "iperf3: error - the server is busy")
    assert "reference" in err.value.cause and "busy" in err.value.cause


def test_setconf_times_are_per_round_and_lower_is_better():
    from wgcompat.bench.tunnel import parse_setconf, ratio_rows

    ours = parse_setconf("ours", "noise\nSETCONF 1000 16000 1.200 3\n")
    ref = parse_setconf("reference", "SETCONF 1000 16000 1.500 3")
    assert (ours.peers, ours.allowed_ips, ours.rounds) == (1000, 16000, 3)
    assert abs(ours.per_round - 0.4) < 1e-9
    rows = {impl: ratio for impl, _, _, ratio in
            ratio_rows([("ours", ours.per_round), ("reference", ref.per_round)], higher_is_better=False)}
    assert rows == {"ours": "1.25", "reference": "1.00"}


def test_rates_ratio_against_the_in_tree_module():
    from wgcompat.bench.tunnel import ratio_rows

    rows = ratio_rows([("ours", 110.0), ("reference", 100.0), ("ours", 130.0), ("reference", 100.0)])
    assert [(impl, mean, ratio) for impl, _, mean, ratio in rows] == [("ours", 120.0, "1.20"),
                                                                      ("reference", 100.0, "1.00")]
    assert ratio_rows([("ours", 5.0)]) == [("ours", "5", 5.0, "-")]


def test_guest_scripts_get_their_arguments_as_quoted_words():
    import shlex

    from wgcompat.bench.tunnel import script_command

    assert script_command("/root/tunnel.sh", "ours", 10, "tcp") == "bash /root/tunnel.sh ours 10 tcp"
    line = script_command("/root/setconf.sh", "a b;c", 3)
    assert line == "bash /root/setconf.sh 'a b;c' 3"
    assert shlex.split(line) == ["bash", "/root/setconf.sh", "a b;c", "3"]
