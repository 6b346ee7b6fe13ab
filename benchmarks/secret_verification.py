"""Client-secret verification cost: our fast path against Django's PBKDF2 hasher.

Run from the repository root::

    python benchmarks/secret_verification.py

It prints the median time of one verification (µs) for a generated secret checked by
``django_app_delegation.secrets.verify_secret`` (right secret, wrong secret, unknown client) and
for the same secret hashed by Django's ``PBKDF2PasswordHasher`` at 1,000,000 iterations (what
La Suite Meet uses), then the ratios. It exits non-zero when our right-secret median exceeds
50 µs (the acceptance figure of issue 2) or when a wrong secret and an unknown client differ by
more than ``--oracle-ratio`` (an enumeration oracle).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

#: The acceptance figure of issue 2: one verification of a generated secret, at most.
FAST_PATH_BUDGET_US = 50.0
#: La Suite Meet's figure (Django 5.2's default); pinned so the comparison is the same on any
#: Django version (Django 6.0 raised its default).
PBKDF2_ITERATIONS = 1_000_000


def configure_django() -> None:
    settings.configure(
        SECRET_KEY="benchmarks-only",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
        USE_TZ=True,
    )
    django.setup()


def measure(
    cases: dict[str, Callable[[], object]], *, repeat: int, number: int
) -> dict[str, list[float]]:
    """Time each case ``repeat`` times (``number`` calls each), interleaved; µs per call."""
    timers = {name: timeit.Timer(func) for name, func in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for timer in timers.values():  # warm-up
        timer.timeit(max(1, number // 10))
    for _ in range(repeat):
        # Interleave the cases so that noise from other processes hits all of them alike.
        for name, timer in timers.items():
            samples[name].append(timer.timeit(number) / number * 1e6)
    return samples


def summarize(samples: list[float]) -> tuple[float, float, float]:
    return statistics.median(samples), min(samples), max(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=101, help="fast-path runs (default 101)")
    parser.add_argument(
        "--number", type=int, default=1000, help="verifications per fast-path run (default 1000)"
    )
    parser.add_argument(
        "--pbkdf2-runs", type=int, default=7, help="PBKDF2 verifications per case (default 7)"
    )
    parser.add_argument(
        "--oracle-ratio",
        type=float,
        default=1.5,
        help="largest accepted ratio between wrong-secret and unknown-client medians (1.5)",
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

    fast = measure(
        {
            "ours, right secret": lambda: client_secrets.verify_secret(secret, encoded),
            "ours, wrong secret": lambda: client_secrets.verify_secret(wrong, encoded),
            "ours, unknown client": lambda: client_secrets.verify_secret(secret, None),
        },
        repeat=args.repeat,
        number=args.number,
    )
    slow = measure(
        {
            "PBKDF2, right secret": lambda: check_password(secret, pbkdf2_encoded),
            "PBKDF2, wrong secret": lambda: check_password(wrong, pbkdf2_encoded),
        },
        repeat=args.pbkdf2_runs,
        number=1,
    )
    results = {**fast, **slow}

    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(
        f"ours: {client_secrets.FAST_ALGORITHM} on a generated secret "
        f"({args.repeat} runs x {args.number} calls); "
        f"PBKDF2: pbkdf2_sha256, {PBKDF2_ITERATIONS:,} iterations ({args.pbkdf2_runs} runs); "
        f"Django's default here: {PBKDF2PasswordHasher.iterations:,}"
    )
    print()
    print(f"{'case':<24} {'median µs':>12} {'min µs':>12} {'max µs':>12}")
    medians: dict[str, float] = {}
    for name, samples in results.items():
        median, low, high = summarize(samples)
        medians[name] = median
        print(f"{name:<24} {median:>12,.2f} {low:>12,.2f} {high:>12,.2f}")
    print()

    ours = medians["ours, right secret"]
    pbkdf2 = medians["PBKDF2, right secret"]
    oracle = medians["ours, wrong secret"] / medians["ours, unknown client"]
    right_wrong = medians["ours, right secret"] / medians["ours, wrong secret"]
    print(f"PBKDF2 / ours (right secret):          {pbkdf2 / ours:,.0f}x")
    print(
        "PBKDF2 / ours (wrong secret):          "
        f"{medians['PBKDF2, wrong secret'] / medians['ours, wrong secret']:,.0f}x"
    )
    print(f"ours, wrong secret / unknown client:   {oracle:.2f}")
    print(f"ours, right secret / wrong secret:     {right_wrong:.2f}")
    print(
        f"verifications per second on one core:  ours {1e6 / ours:,.0f}, PBKDF2 {1e6 / pbkdf2:,.1f}"
    )
    print()

    status = 0
    if ours <= FAST_PATH_BUDGET_US:
        print(f"OK: generated-secret verification {ours:.2f} µs <= {FAST_PATH_BUDGET_US:g} µs")
    else:
        print(f"FAIL: generated-secret verification {ours:.2f} µs > {FAST_PATH_BUDGET_US:g} µs")
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
