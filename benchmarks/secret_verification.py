"""Client-secret verification cost: our fast path against Django's PBKDF2 hasher.

Run from the repository root::

    python benchmarks/secret_verification.py

It times ``django_app_delegation.secrets.verify_secret`` on a generated secret (right secret,
wrong secret, unknown client) and Django's ``PBKDF2PasswordHasher`` at 1,000,000 iterations (what
La Suite Meet uses) on the same secret, side by side in interleaved rounds, and prints the time of
one verification (µs: median, minimum, maximum, and the gate figure) and the ratios. It asserts
ratios only, never an absolute time: it exits non-zero when our verification is less than
``--min-speedup`` times faster than PBKDF2, or when a wrong secret and an unknown client differ by
more than ``--oracle-ratio`` (an enumeration oracle). The gate compares low figures (the 10th
percentile of a case with 20 samples or more, else its minimum), not medians: noise from other
jobs only ever adds time, and on a busy machine a median moved by it failed the gate in both
directions. ``make bench-secrets`` runs it, in CI too.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

#: La Suite Meet's figure (Django 5.2's default); pinned so the comparison is the same on any
#: Django version (Django 6.0 raised its default).
PBKDF2_ITERATIONS = 1_000_000
#: The smallest accepted PBKDF2 / ours ratio. Measured: about 100,000x; a fast path that lost
#: two orders of magnitude would still pass, one that lost its point would not.
MIN_SPEEDUP = 1_000.0
#: The largest accepted ratio between the wrong-secret and unknown-client gate figures (either way).
#: Measured: 0.9 to 1.2. Skipping the dummy verification for unknown clients makes it about 20x.
ORACLE_RATIO = 2.0


@dataclass
class Case:
    """One timed call: ``number`` calls per sample, ``samples_per_round`` samples per round."""

    func: Callable[[], object]
    number: int
    samples_per_round: int


def configure_django() -> None:
    settings.configure(
        SECRET_KEY="benchmarks-only",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
        USE_TZ=True,
    )
    django.setup()


def measure(cases: dict[str, Case], *, rounds: int) -> dict[str, list[float]]:
    """Time every case in each of ``rounds`` rounds, so noise hits all alike; µs per call."""
    timers = {name: timeit.Timer(case.func) for name, case in cases.items()}
    for name, case in cases.items():  # warm-up
        timers[name].timeit(max(1, case.number // 10))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            for _ in range(case.samples_per_round):
                samples[name].append(timers[name].timeit(case.number) / case.number * 1e6)
    return samples


def summarize(samples: list[float]) -> tuple[float, float, float]:
    return statistics.median(samples), min(samples), max(samples)


#: The percentile the gate reads, for cases with at least ``GATE_MIN_SAMPLES`` samples.
GATE_PERCENTILE = 0.10
GATE_MIN_SAMPLES = 20


def gate_figure(samples: list[float]) -> float:
    """A low figure that noise barely moves: the 10th percentile, or the minimum of few samples.

    Noise (other jobs, frequency changes) only adds time to a sample; a low percentile keeps the
    cost of the code itself, where a median follows the load of the moment.
    """
    ordered = sorted(samples)
    if len(ordered) < GATE_MIN_SAMPLES:
        return ordered[0]
    return ordered[int(GATE_PERCENTILE * (len(ordered) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=7,
        help="interleaved rounds; each times every case, PBKDF2 once per round (default 7)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=105,
        help="fast-path samples per case, spread over the rounds (default 105)",
    )
    parser.add_argument(
        "--number", type=int, default=1000, help="verifications per fast-path sample (default 1000)"
    )
    parser.add_argument(
        "--min-speedup",
        type=float,
        default=MIN_SPEEDUP,
        help=f"smallest accepted PBKDF2 / ours ratio of gate figures (default {MIN_SPEEDUP:,.0f})",
    )
    parser.add_argument(
        "--oracle-ratio",
        type=float,
        default=ORACLE_RATIO,
        help=f"largest accepted wrong-secret / unknown-client ratio (default {ORACLE_RATIO:g})",
    )
    args = parser.parse_args(argv)

    configure_django()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password

    from django_app_delegation import secrets as client_secrets

    secret = client_secrets.generate_client_secret()
    wrong = client_secrets.generate_client_secret()  # same length and alphabet
    encoded = client_secrets.hash_secret(secret)
    assert encoded.startswith(client_secrets.FAST_ALGORITHM + "$"), encoded
    assert client_secrets.verify_secret(secret, encoded)
    assert not client_secrets.verify_secret(wrong, encoded)
    assert not client_secrets.verify_secret(secret, None)

    hasher = PBKDF2PasswordHasher()
    pbkdf2_encoded = hasher.encode(secret, hasher.salt(), iterations=PBKDF2_ITERATIONS)
    assert check_password(secret, pbkdf2_encoded)
    assert not check_password(wrong, pbkdf2_encoded)

    per_round = math.ceil(args.repeat / args.rounds)
    samples = measure(
        {
            "ours, right secret": Case(
                lambda: client_secrets.verify_secret(secret, encoded), args.number, per_round
            ),
            "ours, wrong secret": Case(
                lambda: client_secrets.verify_secret(wrong, encoded), args.number, per_round
            ),
            "ours, unknown client": Case(
                lambda: client_secrets.verify_secret(secret, None), args.number, per_round
            ),
            "PBKDF2, right secret": Case(lambda: check_password(secret, pbkdf2_encoded), 1, 1),
            "PBKDF2, wrong secret": Case(lambda: check_password(wrong, pbkdf2_encoded), 1, 1),
        },
        rounds=args.rounds,
    )

    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(
        f"{args.rounds} interleaved rounds; ours: {client_secrets.FAST_ALGORITHM} on a generated "
        f"secret ({per_round * args.rounds} samples x {args.number} calls per case); "
        f"PBKDF2: pbkdf2_sha256, {PBKDF2_ITERATIONS:,} iterations ({args.rounds} calls per case); "
        f"Django's default here: {PBKDF2PasswordHasher.iterations:,}"
    )
    print()
    print(f"{'case':<24} {'median µs':>12} {'min µs':>12} {'max µs':>12} {'gate µs':>12}")
    medians: dict[str, float] = {}
    gates: dict[str, float] = {}
    for name, values in samples.items():
        median, low, high = summarize(values)
        medians[name] = median
        gates[name] = gate_figure(values)
        print(f"{name:<24} {median:>12,.2f} {low:>12,.2f} {high:>12,.2f} {gates[name]:>12,.2f}")
    print("(gate: the 10th percentile, or the minimum of fewer than 20 samples)")
    print()

    speedups = {
        kind: gates[f"PBKDF2, {kind}"] / gates[f"ours, {kind}"]
        for kind in ("right secret", "wrong secret")
    }
    oracle = gates["ours, wrong secret"] / gates["ours, unknown client"]
    right_wrong = gates["ours, right secret"] / gates["ours, wrong secret"]
    for kind, speedup in speedups.items():
        print(f"{'PBKDF2 / ours (' + kind + '):':<38} {speedup:,.0f}x")
    print(f"{'ours, wrong secret / unknown client:':<38} {oracle:.2f}")
    print(f"{'ours, right secret / wrong secret:':<38} {right_wrong:.2f}")
    ours, pbkdf2 = medians["ours, right secret"], medians["PBKDF2, right secret"]
    print(
        f"{'verifications per second on one core:':<38} "
        f"ours {1e6 / ours:,.0f}, PBKDF2 {1e6 / pbkdf2:,.1f}"
    )
    print()

    status = 0
    bound = f"{args.min_speedup:,g}x"
    for kind, speedup in speedups.items():
        if speedup >= args.min_speedup:
            print(f"OK: {kind}: ours {speedup:,.0f}x faster than PBKDF2 (at least {bound})")
        else:
            print(f"FAIL: {kind}: ours only {speedup:,.1f}x faster than PBKDF2 (less than {bound})")
            status = 1
    if 1 / args.oracle_ratio <= oracle <= args.oracle_ratio:
        print(
            f"OK: wrong secret and unknown client within {args.oracle_ratio:g}x of each other "
            f"({oracle:.2f})"
        )
    else:
        print(
            f"FAIL: wrong secret / unknown client = {oracle:.2f}, outside "
            f"{args.oracle_ratio:g}x: an enumeration oracle"
        )
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
