"""The harness's pure functions: wrk's result line, statistics, /proc parsing, plans, gates."""

import math

import harness
import pytest
from scale import seq_scans
from secret_verification import gate_figure

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:8000/bare/
  1 threads and 4 connections
  Latency Distribution
     50%    1.20ms
WRK_RESULT {"requests": 1000, "duration_us": 2000000, "p50_us": 1200, "p99_us": 9500, \
"errors": {"connect": 0, "read": 1, "write": 0, "timeout": 2, "status": 3}, \
"statuses": {"200": 994, "500": 3}}
"""


def test_parse_wrk_reads_the_result_line_and_counts_every_failure():
    figures = harness.parse_wrk(WRK_OUTPUT)
    assert figures["requests"] == 1000
    assert figures["rps"] == 500
    assert figures["p50_ms"] == 1.2
    assert figures["p99_ms"] == 9.5
    assert figures["statuses"] == {"200": 994, "500": 3}
    assert figures["socket_errors"] == {"connect": 0, "read": 1, "write": 0, "timeout": 2}
    # Three 500s and three socket errors; wrk's own "status" count is not added twice.
    assert figures["errors"] == 6


def test_parse_wrk_without_a_result_line_says_which_script_is_missing():
    with pytest.raises(ValueError, match=r"report\.lua"):
        harness.parse_wrk("Running 1s test\n")


def test_parse_wrk_with_no_status_is_no_error():
    output = (
        'WRK_RESULT {"requests": 0, "duration_us": 1000000, "p50_us": 0, "p99_us": 0, '
        '"errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0, "status": 0}, '
        '"statuses": {}}'
    )
    figures = harness.parse_wrk(output)
    assert figures["errors"] == 0
    assert figures["rps"] == 0


def test_percentile_interpolates_between_ranks():
    assert harness.percentile([4, 1, 3, 2], 0.5) == 2.5
    assert harness.percentile([1, 2, 3], 0) == 1
    assert harness.percentile([1, 2, 3], 1) == 3
    assert math.isnan(harness.percentile([], 0.5))


def test_ratios_are_paired_per_round_and_their_median_reported():
    rounds = [
        {"ours": {"rps": 100.0}, "peer": {"rps": 2.0}},
        {"ours": {"rps": 90.0}, "peer": {"rps": 1.0}},
        {"ours": {"rps": 120.0}, "peer": {"rps": 3.0}},
        {"ours": {"rps": 120.0}},  # the peer missing: the round is left out
    ]
    values = harness.paired_ratios(rounds, "ours", "peer", "rps")
    assert values == [50.0, 90.0, 40.0]
    assert harness.median_of_ratios(values) == 50.0
    assert harness.spread(values) == (40.0, 90.0)


def test_a_ratio_with_nothing_to_divide_by_is_missing_not_infinite():
    assert math.isnan(harness.ratio(1.0, 0.0))
    assert math.isnan(harness.median_of_ratios([]))
    assert harness.paired_ratios([{"a": {"x": 1.0}, "b": {"x": 0.0}}], "a", "b", "x") == []


def test_cpu_ticks_are_user_plus_system_time_even_with_spaces_in_the_name():
    line = "4242 (gunicorn: worker (x)) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 25 0 0 20 0 1 0"
    assert harness.cpu_ticks_of(line) == 175


def test_markdown_table_aligns_numbers_right():
    table = harness.markdown_table(["what", "ms"], [["list", 1.5]], "lr")
    assert table.splitlines() == ["| what | ms |", "|---|---:|", "| list | 1.5 |"]


def test_fmt_marks_a_missing_figure():
    assert harness.fmt(float("nan")) == "–"
    assert harness.fmt(1234.567, 1) == "1,234.6"


def test_seq_scans_flags_host_tables_only():
    plan = (
        "Limit\n  ->  Seq Scan on bench_room\n        Filter: (SubPlan 1)\n"
        "  ->  Index Scan using app_delegation_prov_user_obj on app_delegation_resourceprovenance\n"
        "  ->  Seq Scan on django_content_type"
    )
    assert seq_scans(plan) == ["bench_room"]
    assert seq_scans("Index Only Scan using bench_user_email_lower on bench_user") == []


def test_the_secret_gate_reads_a_low_percentile_or_the_minimum_of_few_samples():
    many = [float(value) for value in range(100, 0, -1)]  # 1..100, shuffled order
    assert gate_figure(many) == 10.0  # the 10th percentile, whatever the order
    assert gate_figure([5.0, 3.0, 9.0]) == 3.0  # too few samples: the minimum
