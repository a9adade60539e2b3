"""Start-up time of the processes, for one or more checkouts side by side (the report-PDF warm-up's cost,
app/reports/warm.py): each process is started ``--runs`` times, checkouts alternating, on an empty
queue set:

* ``worker --queues sync --burst`` (renders no PDFs: must not pay the warm-up), ``worker --queues reports
  --burst`` (renders them: pays it before its first job); a burst worker exits once it finds the queues
  empty, so its wall and CPU time (its own and its work-horses') is the start-up plus the exit;
* ``cron --burst``-like: ``worker.py cron`` does not exit, so it is not timed here (its start-up path is
  the sync worker's, without the queues);
* ``gunicorn`` (``gunicorn.conf.py``, ``WEB_CONCURRENCY`` workers): until ``/readyz`` answers; then stopped;
* ``flask run`` (the development server): until ``/healthz`` answers; then stopped.

    .venv/bin/python bench/startup.py --root /path/to/before --root /path/to/after \\
        --database-url postgresql://postgres@127.0.0.1:5432/<db> --redis-url redis://127.0.0.1:6379/<n> [--runs 5]

The database must be migrated (``flask --app wsgi db upgrade``); each root needs its ``.venv`` and
``static/vendor`` (README). Not part of pytest.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(args: argparse.Namespace, instance: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "RQ_"))}
    env.update(
        APP_ENV="test",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        INSTANCE_PATH=instance,
        SECRET_KEY="s" * 64,
        TOKEN_ENCRYPTION_KEYS="k1:" + base64.urlsafe_b64encode(b"k" * 32).decode(),
        TOKEN_ENCRYPTION_ACTIVE_KEY="k1",
        PUBLIC_BASE_URL="https://bench.local",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY=str(args.web_workers),
    )
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def burst_worker(root: Path, env: dict[str, str], queues: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``worker.py --queues <queues> --burst`` on empty queues."""
    cpu, wall = children_cpu(), time.perf_counter()
    subprocess.run(  # noqa: S603
        [str(root / ".venv" / "bin" / "python"), "worker.py", "--queues", queues, "--burst"],
        cwd=root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - wall, children_cpu() - cpu


def served(root: Path, env: dict[str, str], kind: str) -> tuple[float, float]:
    """Wall seconds until the web process answers, and the CPU of its process tree until then."""
    import psutil

    port = free_port()
    env = {**env, "PORT": str(port)}
    if kind == "gunicorn":
        cmd, path = [str(root / ".venv" / "bin" / "gunicorn"), "--config", "gunicorn.conf.py", "wsgi:app"], "/readyz"
    else:
        cmd = [str(root / ".venv" / "bin" / "flask"), "--app", "wsgi", "run", "--port", str(port), "--no-reload"]
        path = "/healthz"
    wall = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{kind} in {root} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5):  # noqa: S310 - ours
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        elapsed = time.perf_counter() - wall
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        cpu = 0.0
        for p in tree:
            times = p.cpu_times()
            cpu += times.user + times.system
        return elapsed, cpu
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


KINDS = ("worker sync", "worker reports", "gunicorn", "flask run")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", action="append", required=True, type=Path, help="a checkout (repeat)")
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--redis-url", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--web-workers", type=int, default=2)
    args = ap.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-startup-")
    env = environment(args, instance)
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; {args.runs} runs each")
    try:  # each process is stopped by the function that started it (a burst worker exits by itself)
        for _ in range(args.runs):
            for kind in KINDS:
                for root in args.root:
                    worker = kind.startswith("worker")
                    got = burst_worker(root, env, kind.split()[1]) if worker else served(root, env, kind)
                    found.setdefault((kind, str(root)), []).append(got)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| process | checkout | wall p50 / max s | CPU p50 / max s |\n|---|---|---|---|")
    for (kind, root), runs in found.items():
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"| {kind} | {root} | {statistics.median(walls):.2f} / {max(walls):.2f} "
            f"| {statistics.median(cpus):.2f} / {max(cpus):.2f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
