"""The per-host rate limit: slots reserved in a lock file, shared by threads and processes."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

from newswire_testing.clock import FakeTime

from newswire.ingest.fetch import ratelimit
from newswire.ingest.fetch.ratelimit import HostRateLimiter


def test_requests_to_one_host_are_spaced_by_the_interval(tmp_path: Path):
    fake = FakeTime(1000.0)
    limiter = HostRateLimiter(tmp_path, clock=fake.clock, sleep=fake.sleep)

    waits = [limiter.acquire("news.example", 4.0) for _ in range(3)]

    assert waits == [0.0, 0.25, 0.25]


def test_hosts_do_not_share_slots(tmp_path: Path):
    fake = FakeTime(1000.0)
    limiter = HostRateLimiter(tmp_path, clock=fake.clock, sleep=fake.sleep)

    limiter.acquire("a.example", 1.0)

    assert limiter.acquire("b.example", 1.0) == 0.0


def test_defer_pushes_the_next_slot(tmp_path: Path):
    fake = FakeTime(1000.0)
    limiter = HostRateLimiter(tmp_path, clock=fake.clock, sleep=fake.sleep)

    limiter.defer("news.example", fake.now + 30.0)

    assert limiter.acquire("news.example", 10.0) == 30.0


_WORKER = textwrap.dedent(
    """
    import importlib.util, sys, time
    from pathlib import Path

    # Load the module by path: importing the package would pull in httpx and pydantic (slow).
    spec = importlib.util.spec_from_file_location("ratelimit", sys.argv[2])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    HostRateLimiter = module.HostRateLimiter

    limiter = HostRateLimiter(Path(sys.argv[1]))
    slots = []
    for _ in range(20):
        slots.append(limiter.reserve("shared.example", 10.0))
        time.sleep(0.001)
    print(" ".join(f"{t:.6f}" for t in slots))
    """
)


def test_processes_share_the_host_limit(tmp_path: Path):
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(tmp_path), ratelimit.__file__],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)

    times = sorted(float(value) for output in outputs for value in output.split())

    assert len(times) == 40
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # 10 requests/s => every slot, whichever process took it, is 0.1 s after the previous one.
    assert all(abs(gap - 0.1) < 1e-3 for gap in gaps), gaps


def test_threads_of_one_process_share_the_host_limit(tmp_path: Path):
    """The pass's lanes are threads: their reserved slots never come closer than the interval."""
    from concurrent.futures import ThreadPoolExecutor

    limiter = HostRateLimiter(tmp_path, clock=lambda: 1000.0)

    with ThreadPoolExecutor(max_workers=8) as pool:
        slots = sorted(pool.map(lambda _: limiter.reserve("news.example", 10.0), range(80)))

    assert len(set(slots)) == 80
    assert all(b - a >= 0.1 - 1e-6 for a, b in itertools.pairwise(slots))
    assert limiter.reserve("other.example", 10.0) == 1000.0
