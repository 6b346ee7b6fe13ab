"""A mixed load under gunicorn, PostgreSQL and Redis; then the database cut for a while.

Run from the repository root (``make bench`` runs it with the defaults)::

    python benchmarks/mixed_load.py            # 60 s of load, then a 10 s outage
    python benchmarks/mixed_load.py --smoke    # 5 s of load, then a 3 s outage

Set-up as ``endpoints.py`` (database ``bench_mixed``). gunicorn (2 sync workers, pinned to one
core) reaches PostgreSQL through a small TCP proxy that this script runs, and keeps its throttle
cache in Redis (``BENCH_REDIS``, default ``redis://127.0.0.1:6379/14``), with rates too high to
refuse anything, so that every request goes through the throttles.

1. **Load.** wrk (``wrk/mixed.lua``, pinned to the other core) sends tokens, list, create and
   retrieve requests in turn for ``--duration`` seconds, while the workers' RSS is sampled every
   ``--sample-every`` seconds. Required: no error (socket error or non-2xx answer), and RSS flat:
   no worker grows by more than ``--rss-growth`` MiB between the first sample after a quarter of
   the run and the last.
2. **Outage.** A client sends the four requests in turn; after a few seconds the proxy closes
   every connection and refuses new ones for ``--outage`` seconds (PostgreSQL itself keeps
   running), then accepts again. The script reports what the clients got during the outage
   (status, content type, start of the body) and how long service took to come back. Required:
   every kind of request answers 2xx again within ``--recovery`` seconds, without a restart.
   ``--expect-json-503`` also requires every answer during the outage to be a JSON 503.

Raw figures: ``benchmarks/results/raw/mixed_load.json``. Exit status 1 if a requirement fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import endpoints
import harness

KINDS = ("token_ours", "list_ours", "create_ours", "retrieve_ours")


class TcpProxy:
    """Forward 127.0.0.1:<port> to a target; ``cut()`` drops every connection and refuses new
    ones (the listening socket is closed), ``restore()`` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = harness.free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, one: socket.socket, other: socket.socket) -> None:
        peers = {one: other, other: one}
        try:
            while True:
                readable, _w, _x = select.select([one, other], [], [], 1.0)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    peers[source].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (one, other):
                with contextlib.suppress(OSError):
                    sock.close()
            with self.lock:
                self.sockets.difference_update((one, other))

    def cut(self) -> None:
        if self.listener is not None:
            # shutdown() wakes the thread blocked in accept(), which close() alone does not.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            sockets = list(self.sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


def mixed_environment(requests: dict[str, tuple[harness.Request, int]]) -> dict[str, str]:
    env = {"WRK_COUNT": str(len(KINDS))}
    for index, kind in enumerate(KINDS, start=1):
        request = requests[kind][0]
        env.update(
            {f"WRK_{index}_{key[4:]}": value for key, value in request.environment().items()}
        )
        env[f"WRK_{index}_PATH"] = request.path
    return env


def load_phase(
    server: harness.Gunicorn, requests: dict[str, tuple[harness.Request, int]], args: Any
) -> dict[str, Any]:
    workers = server.worker_pids()
    sampler = harness.Sampler(lambda: [harness.rss_mb(pid) for pid in workers], args.sample_every)
    sampler.start()
    figures = harness.run_wrk(
        server.base_url,
        requests[KINDS[0]][0],
        duration=args.duration,
        connections=4,
        script="mixed.lua",
        environment=mixed_environment(requests),
    )
    samples = sampler.stop()
    reference = next(
        (values for elapsed, values in samples if elapsed >= args.duration / 4), samples[0][1]
    )
    last = samples[-1][1]
    growth = [after - before for before, after in zip(reference, last, strict=True)]
    figures.update(
        rss_samples=[{"t": round(elapsed, 1), "rss_mb": values} for elapsed, values in samples],
        rss_growth_mb=growth,
        rss_flat=all(value <= args.rss_growth for value in growth),
        workers_restarted=sorted(server.worker_pids()) != sorted(workers),
    )
    return figures


def probe(base_url: str, request: harness.Request) -> dict[str, Any]:
    started = time.monotonic()
    try:
        reply = harness.http(
            base_url + request.path,
            request.method,
            request.body.encode() or None,
            request.headers,
            timeout=10,
        )
    except OSError as error:
        return {"status": type(error).__name__, "content_type": "", "body": "", "ms": 0.0}
    return {
        "status": reply.status,
        "content_type": reply.content_type.split(";")[0],
        "body": reply.body[:160].decode("utf-8", "replace"),
        "ms": (time.monotonic() - started) * 1000,
    }


def outage_phase(
    server: harness.Gunicorn,
    proxy: TcpProxy,
    requests: dict[str, tuple[harness.Request, int]],
    args: Any,
) -> dict[str, Any]:
    answers: list[dict[str, Any]] = []
    phase = "before"
    started = time.monotonic()
    restored_at = cut_at = 0.0
    recovered_at: float | None = None
    index = 0
    while True:
        now = time.monotonic() - started
        if phase == "before" and now >= args.before:
            proxy.cut()
            phase, cut_at = "outage", now
            harness.log(f"  database cut at {now:.1f} s")
        elif phase == "outage" and now >= cut_at + args.outage:
            proxy.restore()
            phase, restored_at = "after", now
            harness.log(f"  database back at {now:.1f} s")
        elif phase == "after" and now >= restored_at + args.recovery:
            break
        kind = KINDS[index % len(KINDS)]
        index += 1
        answer = probe(server.base_url, requests[kind][0])
        answer.update(kind=kind, phase=phase, t=round(time.monotonic() - started, 2))
        answers.append(answer)
        if phase == "after":
            recent = [a for a in answers if a["phase"] == "after"][-len(KINDS) :]
            if len(recent) == len(KINDS) and all(
                isinstance(a["status"], int) and 200 <= a["status"] < 300 for a in recent
            ):
                recovered_at = recent[0]["t"]
                break
        time.sleep(0.05)
    during = [a for a in answers if a["phase"] == "outage"]
    seen = Counter(f"{a['status']} {a['content_type'] or '-'}" for a in during)
    examples = {}
    for answer in during:
        examples.setdefault(f"{answer['status']} {answer['content_type'] or '-'}", answer["body"])
    return {
        "outage_s": args.outage,
        "answers_during_outage": dict(seen),
        "examples": examples,
        "json_503": bool(during)
        and all(a["status"] == 503 and a["content_type"] == "application/json" for a in during),
        "recovered": recovered_at is not None,
        "recovery_s": None if recovered_at is None else round(recovered_at - restored_at, 2),
        "errors_before_cut": sum(
            1
            for a in answers
            if a["phase"] == "before" and not (isinstance(a["status"], int) and a["status"] < 300)
        ),
        "workers_restarted": False,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_mixed", help="PostgreSQL database (bench*)")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of mixed load")
    parser.add_argument("--sample-every", type=float, default=3, help="RSS sampling period, s")
    parser.add_argument("--rss-growth", type=float, default=8, help="largest RSS growth, MiB")
    parser.add_argument("--before", type=float, default=3, help="seconds of probes before the cut")
    parser.add_argument("--outage", type=float, default=10, help="seconds without the database")
    parser.add_argument("--recovery", type=float, default=30, help="seconds allowed to recover")
    parser.add_argument("--expect-json-503", action="store_true", help="fail unless JSON 503s")
    parser.add_argument("--smoke", action="store_true", help="5 s of load, a 3 s outage")
    parser.add_argument("--output", default="mixed_load", help="name of the raw results file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.sample_every, args.before, args.outage = 5, 1, 1, 3
    harness.require_wrk()
    db_url = harness.database_url(args.database)
    machine = harness.machine_details(db_url)
    harness.log(f"setting up {db_url} ...")
    setup = endpoints.set_up(db_url)
    requests = endpoints.build_requests(setup)
    from urllib.parse import urlsplit

    target = urlsplit(db_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    proxied = target._replace(netloc=f"{target.username or 'postgres'}@127.0.0.1:{proxy.port}")
    server = harness.Gunicorn(
        environment={
            "BENCH_DATABASE_URL": proxied.geturl(),
            "BENCH_REDIS_URL": args.redis,
            "BENCH_THROTTLE": "on",
        },
        log_path=harness.RAW / "mixed_load-gunicorn.log",
    )
    with server:
        endpoints.check_endpoints(server.base_url, requests)
        harness.log(f"mixed load for {args.duration:g} s")
        load = load_phase(server, requests, args)
        harness.log(f"  {load['requests']:,} requests, errors {load['errors']}")
        harness.log(f"outage of {args.outage:g} s")
        outage = outage_phase(server, proxy, requests, args)
        outage["workers_restarted"] = len(server.worker_pids()) < server.workers
    results = {
        "machine": machine,
        "started": harness.now(),
        "settings": {key: value for key, value in vars(args).items() if key != "output"},
        "load": load,
        "outage": outage,
        "load_average_at_end": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }
    path = harness.write_raw(args.output, results)
    harness.log(f"raw results: {path.relative_to(harness.REPO)}")
    failures = []
    if load["errors"]:
        failures.append(f"{load['errors']} failed requests under load ({load['statuses']})")
    if not load["rss_flat"]:
        failures.append(f"worker RSS grew by {load['rss_growth_mb']} MiB")
    if not outage["recovered"]:
        failures.append(f"service not back {args.recovery:g} s after the database")
    if args.expect_json_503 and not outage["json_503"]:
        failures.append(f"not JSON 503s during the outage: {outage['answers_during_outage']}")
    print(
        json.dumps(
            {"load": {k: v for k, v in load.items() if k != "rss_samples"}, "outage": outage},
            indent=2,
        )
    )
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
