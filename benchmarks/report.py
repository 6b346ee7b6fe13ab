"""Write the results of a ``make bench`` run: a Markdown report and a PNG chart.

Run from the repository root, after ``endpoints.py``, ``scale.py`` and ``mixed_load.py``::

    python benchmarks/report.py --name bench-2026-11-30 [--note "machine shared, load 2-4"]

It reads ``benchmarks/results/raw/{endpoints,scale,mixed_load}.json`` (whichever exist) and
writes ``benchmarks/results/<name>.md`` (issue 10's table row by row, "what | now | target", then
every figure, with the machine details), ``<name>-plans.md`` (the EXPLAIN plans of the scale run),
``<name>.png`` (the chart) and ``<name>.json`` (the raw figures together).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from harness import fmt

#: (ratio key in endpoints.py, what, target) for the rows of issue 10's table.
TARGETS = [
    ("vs_dot", "token issuance vs django-oauth-toolkit, default hashed secret", "keep ≥ 50×"),
    ("vs_meet", "vs a Meet-configured view (PBKDF2 check per request)", "≥ 150×"),
    ("vs_dot_plain", "vs django-oauth-toolkit with `hash_client_secret=False`", "≥ 2×"),
    ("vs_meet_fast", "vs Meet's view with a fast secret", "≥ 2×"),
    ("vs_noop", "vs a DRF no-op POST (throughput)", "≥ 0.25 (≤ 4×)"),
    ("list_auth", "authenticated list / same view without auth", "≤ 1.2×"),
    ("retrieve_auth", "authenticated retrieve / without auth", "≤ 1.2×"),
    ("create_provenance", "create with provenance / without", "≤ 1.2×"),
]


def ratio_cell(ratio: dict[str, Any]) -> str:
    suffix = "×"
    if ratio["min"] == ratio["max"]:
        return f"**{fmt(ratio['median'])}{suffix}**"
    return f"**{fmt(ratio['median'])}{suffix}** ({fmt(ratio['min'])}–{fmt(ratio['max'])})"


def issue_table(endpoints: dict | None, scale: dict | None) -> str:
    modes = list((endpoints or {}).get("modes", {}))
    headers = ["what", *(f"now, gunicorn {mode}" for mode in modes), "target"]
    rows = []

    def in_process(cell: str) -> list[str]:
        """A scale figure: measured once, in-process (no gunicorn), so one cell for all modes."""
        return [cell, *["(in-process: see left)"] * (len(modes) - 1)]

    for key, what, target in TARGETS:
        cells = [ratio_cell(endpoints["modes"][mode]["ratios"][key]) for mode in modes]
        rows.append([what, *cells, target])
    if scale:
        lists = {(r["rooms"], r["mode"], r["user"]): r for r in scale["lists"]}
        small = min(rooms for rooms, _m, _u in lists)
        large = max(rooms for rooms, _m, _u in lists)
        for user in ("typical", "heavy"):
            for mode in ("application", "user"):
                low, high = lists[(small, mode, user)], lists[(large, mode, user)]
                scans = ", ".join(high["seq_scans"]) or "no sequential scan of the host table"
                if high["seq_scans"]:
                    scans = f"sequential scan of {scans}"
                count = "10-room" if user == "typical" else "1,000-room"
                rows.append(
                    [
                        f"list, {count} user, {large:,} rooms vs {small:,} "
                        f"(`OBJECT_VISIBILITY` `{mode}`)",
                        *in_process(
                            f"{fmt(high['p50_ms'])} ms vs {fmt(low['p50_ms'])} ms, {scans}"
                        ),
                        "flat: index-only plans",
                    ]
                )
        tokens = sorted(scale["tokens"], key=lambda t: t["users"])
        low, high = tokens[0], tokens[-1]
        scans = ", ".join(high["seq_scans"])
        scans = f"sequential scan of {scans}" if scans else "no sequential scan of the user table"
        rows.append(
            [
                f"token issuance at {high['users']:,} users vs {low['users']:,}",
                *in_process(f"{fmt(high['p50_ms'])} vs {fmt(low['p50_ms'])} ms, {scans}"),
                "flat",
            ]
        )
    if not modes:
        headers = ["what", "now", "target"]
    return harness.markdown_table(headers, rows)


def endpoint_tables(endpoints: dict) -> list[str]:
    parts = []
    labels = endpoints["labels"]
    for mode, data in endpoints["modes"].items():
        options = data["options"]
        parts.append(
            f"### gunicorn {mode}: {options['workers']} workers × {options['threads']} threads, "
            f"wrk {options['connections']} connections\n"
        )
        parts.append(
            harness.markdown_table(
                ["endpoint", "req/s", "p50 ms", "p99 ms", "CPU ms/request", "requests", "errors"],
                [
                    [
                        labels[key],
                        fmt(s["rps"], 1),
                        fmt(s["p50_ms"]),
                        fmt(s["p99_ms"]),
                        fmt(s["cpu_ms"]),
                        f"{s['requests']:,}",
                        s["errors"],
                    ]
                    for key, s in data["summary"].items()
                ],
                "lrrrrrr",
            )
        )
        parts.append("\nRatios, median of the per-round ratios (min–max over rounds):\n")
        parts.append(
            harness.markdown_table(
                ["ratio", "median", "per round"],
                [
                    [r["label"], fmt(r["median"]), ", ".join(fmt(v) for v in r["per_round"])]
                    for r in data["ratios"].values()
                ],
                "lrl",
            )
        )
        parts.append("")
    return parts


def scale_tables(scale: dict) -> list[str]:
    return [
        harness.markdown_table(
            ["users", "token p50 ms", "min ms", "queries", "sequential scans of host tables"],
            [
                [
                    f"{t['users']:,}",
                    fmt(t["p50_ms"]),
                    fmt(t["min_ms"]),
                    t["queries"],
                    ", ".join(t["seq_scans"]) or "none",
                ]
                for t in scale["tokens"]
            ],
            "rrrrl",
        ),
        "",
        harness.markdown_table(
            [
                "rooms",
                "OBJECT_VISIBILITY",
                "user",
                "list p50 ms",
                "min ms",
                "queries",
                "sequential scans of host tables",
            ],
            [
                [
                    f"{r['rooms']:,}",
                    r["mode"],
                    r["user"],
                    fmt(r["p50_ms"]),
                    fmt(r["min_ms"]),
                    r["queries"],
                    ", ".join(r["seq_scans"]) or "none",
                ]
                for r in scale["lists"]
            ],
            "rllrrrl",
        ),
        "",
    ]


def mixed_section(mixed: dict) -> list[str]:
    load, outage = mixed["load"], mixed["outage"]
    samples = load["rss_samples"]
    first, last = samples[0]["rss_mb"], samples[-1]["rss_mb"]
    rows = [
        ["requests (tokens, list, create, retrieve in turn)", f"{load['requests']:,}"],
        [
            "req/s; p50; p99",
            f"{fmt(load['rps'], 1)}; {fmt(load['p50_ms'])} ms; {fmt(load['p99_ms'])} ms",
        ],
        ["statuses", ", ".join(f"{k}: {v:,}" for k, v in sorted(load["statuses"].items()))],
        ["errors (socket errors, non-2xx)", str(load["errors"])],
        [
            "worker RSS, first and last sample (MiB)",
            "; ".join(f"{fmt(a, 1)} → {fmt(b, 1)}" for a, b in zip(first, last, strict=True)),
        ],
        [
            "worker RSS growth after the first quarter (MiB)",
            ", ".join(fmt(v, 2) for v in load["rss_growth_mb"])
            + (" (flat)" if load["rss_flat"] else " (**not flat**)"),
        ],
        [
            f"answers while the database was gone ({fmt(outage['outage_s'], 0)} s)",
            ", ".join(f"{k}: {v}" for k, v in outage["answers_during_outage"].items()),
        ],
        ["JSON 503 during the outage", "yes" if outage["json_503"] else "**no**"],
        [
            "service back after the database, without restart",
            f"yes, in {fmt(outage['recovery_s'])} s" if outage["recovered"] else "**no**",
        ],
    ]
    parts = [harness.markdown_table(["mixed load", "figure"], rows), ""]
    for answer, body in outage["examples"].items():
        snippet = " ".join(body.split())[:120]
        parts.append(f"- `{answer}` during the outage, body starts: `{snippet}`")
    parts.append("")
    return parts


def plans_document(scale: dict, name: str) -> str:
    parts = [f"# EXPLAIN plans of the scale run ({name})\n"]
    parts.append(
        "`EXPLAIN (ANALYZE, BUFFERS)` of every query of one request that reads a host table, "
        "captured by `benchmarks/scale.py`.\n"
    )
    cases = [(f"token issuance at {t['users']:,} users", t) for t in scale["tokens"]]
    cases += [
        (f"list at {r['rooms']:,} rooms, OBJECT_VISIBILITY {r['mode']}, {r['user']} user", r)
        for r in scale["lists"]
    ]
    for title, case in cases:
        flag = ", ".join(case["seq_scans"])
        parts.append(f"## {title}" + (f" (sequential scan: {flag})" if flag else "") + "\n")
        for plan in case["plans"]:
            parts.append(f"```sql\n{plan['sql']}\n```\n\n```text\n{plan['plan']}\n```\n")
    return "\n".join(parts)


def chart(endpoints: dict | None, scale: dict | None, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        harness.log("matplotlib is missing (benchmarks/requirements.txt): no chart")
        return False
    panels = [p for p in (endpoints, scale) if p]
    if not panels:
        return False
    figure, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 6), squeeze=False)
    index = 0
    if endpoints:
        axis = axes[0][index]
        index += 1
        labels = endpoints["labels"]
        modes = list(endpoints["modes"])
        keys = [key for key in labels if key in endpoints["modes"][modes[0]]["summary"]]
        height = 0.8 / len(modes)
        for position, mode in enumerate(modes):
            summary = endpoints["modes"][mode]["summary"]
            axis.barh(
                [i + position * height for i in range(len(keys))],
                [summary[key]["cpu_ms"] for key in keys],
                height=height,
                label=f"gunicorn {mode}",
            )
        axis.set_yticks([i + height * (len(modes) - 1) / 2 for i in range(len(keys))])
        axis.set_yticklabels([labels[key] for key in keys], fontsize=7)
        axis.invert_yaxis()
        axis.set_xscale("log")
        axis.set_xlabel("gunicorn CPU per request, ms (log scale)")
        axis.set_title("Endpoints and peers")
        axis.legend(fontsize=8)
    if scale:
        axis = axes[0][index]
        for mode in ("application", "user"):
            for user in ("typical", "heavy"):
                points = sorted(
                    (r["rooms"], r["p50_ms"])
                    for r in scale["lists"]
                    if r["mode"] == mode and r["user"] == user
                )
                axis.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    marker="o",
                    label=f"{user} user, {mode} mode",
                )
        axis.set_xscale("log")
        axis.set_xlabel("rooms in the table (log scale)")
        axis.set_ylabel("list p50, ms")
        axis.set_title("Room list at scale")
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True, help="file name, e.g. bench-2026-11-30")
    parser.add_argument("--note", default="", help="a sentence on the conditions of the run")
    parser.add_argument("--command", default="make bench", help="the command that reproduces it")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="read the smoke runs' raw files (*-smoke) and write into results/raw/ (not kept)",
    )
    args = parser.parse_args(argv)
    suffix = "-smoke" if args.smoke else ""
    endpoints = harness.read_raw(f"endpoints{suffix}")
    scale = harness.read_raw(f"scale{suffix}")
    mixed = harness.read_raw(f"mixed_load{suffix}")
    if not (endpoints or scale or mixed):
        raise SystemExit("no raw results in benchmarks/results/raw/: run the benchmarks first")
    results = harness.RAW if args.smoke else harness.RESULTS
    results.mkdir(parents=True, exist_ok=True)
    first = next(data for data in (endpoints, scale, mixed) if data)
    machine = first["machine"]
    parts = [f"# Benchmark results: {args.name}\n"]
    parts.append(f"Reproduce with `{args.command}` from the repository root.")
    if args.note:
        parts.append(f"\n{args.note}")
    parts.append("\n## Machine\n")
    rows = [[key, value] for key, value in machine.items()]
    for label, data in (("endpoints", endpoints), ("scale", scale), ("mixed load", mixed)):
        if data:
            rows.append(
                [
                    f"{label}: started; load average at end",
                    f"{data['started']}; {data.get('load_average_at_end', '–')}",
                ]
            )
    parts.append(harness.markdown_table(["", ""], rows))
    parts.append("\n## Issue 10's table\n")
    if endpoints:
        settings = endpoints["settings"]
        parts.append(
            f"Ratios paired per round ({settings['rounds']} interleaved rounds, "
            f"{fmt(settings['duration_s'], 0)} s per endpoint, "
            f"{fmt(settings['slow_duration_s'], 0)} s for the PBKDF2 peers), median (min–max). "
            "Peers: throughput, ours / peer. "
            "Overheads: gunicorn CPU per request, ours / the same view without the layer. "
            f"PBKDF2: {settings['pbkdf2_iterations']:,} iterations; our secrets: "
            f"`{settings['our_secret_algorithm']}`.\n"
        )
    parts.append(issue_table(endpoints, scale))
    if endpoints:
        parts.append("\n## Endpoints (`benchmarks/endpoints.py`)\n")
        parts.extend(endpoint_tables(endpoints))
    if scale:
        settings = scale["settings"]
        parts.append("## Scale (`benchmarks/scale.py`)\n")
        parts.append(
            f"{settings['applications']:,} applications; users {settings['users']}; rooms "
            f"{settings['rooms']}; p50 of {settings['requests']} requests in-process (Django's "
            f"test client). Plans: [{args.name}-plans.md]({args.name}-plans.md).\n"
        )
        parts.extend(scale_tables(scale))
        (results / f"{args.name}-plans.md").write_text(plans_document(scale, args.name))
    if mixed:
        parts.append(
            f"## Mixed load and outage (`benchmarks/mixed_load.py`, "
            f"{fmt(mixed['settings']['duration'], 0)} s)\n"
        )
        parts.extend(mixed_section(mixed))
    png = results / f"{args.name}.png"
    if chart(endpoints, scale, png):
        parts.append(f"![CPU per request and list latency at scale]({png.name})\n")
    (results / f"{args.name}.md").write_text("\n".join(parts).rstrip() + "\n")
    combined = {"endpoints": endpoints, "scale": scale, "mixed_load": mixed}
    (results / f"{args.name}.json").write_text(json.dumps(combined, indent=1, default=str) + "\n")
    print(f"wrote {(results / args.name).relative_to(harness.REPO)}.md, .png, .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
