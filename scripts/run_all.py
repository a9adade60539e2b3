"""``make run``: start the embedded stores, the platform sandbox, web, worker and cron in one terminal.

Sets up the database (migrations, demo data when empty), prints the URL and demo logins, and on Ctrl-C
(or SIGTERM, SIGHUP) stops every process it started, the embedded redis-server included, whatever state
the start-up reached. Each process's output is relayed line by line behind its name (``worker  | {...}``):
the processes write JSON lines (``app/logging_setup.py``, where routine records such as the per-minute
cron heartbeat are DEBUG), and the label says whose line it is. Honors PORT, SANDBOX_PORT, DATABASE_URL,
REDIS_URL (contract 6.1).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
FLASK = str(VENV_BIN / "flask")
LABEL_WIDTH = 7  # the longest name: sandbox

_output = threading.Lock()


def say(name: str, text: str, stream: IO[str] | None = None) -> None:
    """A line of the launcher's own, labelled like the processes' lines."""
    with _output:
        print(f"{name:<{LABEL_WIDTH}} | {text}", file=stream or sys.stdout, flush=True)


def relay(name: str, pipe: IO[bytes]) -> None:
    """Copy a process's output to ours, line by line, each behind the process's name."""
    prefix = f"{name:<{LABEL_WIDTH}} | ".encode()
    out = sys.stdout.buffer
    for line in iter(pipe.readline, b""):
        with _output:
            out.write(prefix + line.rstrip(b"\r\n") + b"\n")
            out.flush()
    pipe.close()


# `flask run` behind the portal's logging configuration: the sandbox has none of its own, and so writes
# scrubbed JSON lines like the rest, its request lines (each platform call of each sync) at DEBUG.
FLASK_CLI = "from app.logging_setup import configure_logging; configure_logging(); from flask.cli import main; main()"


def flask_run(app_path: str, port: int) -> list[str]:
    cli = [str(VENV_BIN / "python"), "-c", FLASK_CLI]
    return [*cli, "--app", app_path, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"]


def wait_http(url: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own localhost URL
                if resp.status < 500:
                    return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def banner(url: str, sandbox_url: str | None) -> None:
    lines = [
        "=" * 64,
        f"  Creator Portal is running at {url}",
        *([f"  Platform sandbox:            {sandbox_url}"] if sandbox_url else []),
        "  Demo logins (password demo-portal-2026):",
        "    admin   admin@example.com",
        "    coach   maya@example.com   daniel@example.com",
        "    client  sofia@example.com  kenji@example.com  (and 10 more)",
        "  Press Ctrl-C to stop everything.",
        "=" * 64,
    ]
    with _output:
        print("\n" + "\n".join(lines) + "\n", flush=True)


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


def _interrupt(signum: int, frame: object) -> None:
    """The first signal ends the run; any later one is ignored from here on, so a second Ctrl-C or a
    signal sent twice (``pkill`` matching both ``timeout`` and the launcher) cannot interrupt the
    clean-up that follows (it once left every process running)."""
    _ignore_signals()
    raise KeyboardInterrupt


def main() -> int:
    from app.config import env_value  # PORT and SANDBOX_PORT are declared (type, default) with the settings

    port = env_value("PORT")
    sandbox_port = env_value("SANDBOX_PORT")
    env = dict(os.environ)
    env.setdefault("APP_ENV", "development")
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    instance = Path(env.get("INSTANCE_PATH") or ROOT / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    env["INSTANCE_PATH"] = str(instance)
    env["PYTHONUNBUFFERED"] = "1"

    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    relays: list[threading.Thread] = []

    def start(name: str, args: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        procs.append((name, proc))
        assert proc.stdout is not None
        thread = threading.Thread(target=relay, args=(name, proc.stdout), name=f"relay-{name}", daemon=True)
        thread.start()
        relays.append(thread)
        return proc

    def step(name: str, args: list[str]) -> None:
        """A set-up command: run it to the end (it is stopped with the rest if interrupted)."""
        proc = start(name, args)
        if proc.wait() != 0:
            raise subprocess.CalledProcessError(proc.returncode, args)
        procs.remove((name, proc))

    # Ctrl-C, SIGTERM and SIGHUP (the terminal closed) raise KeyboardInterrupt, so the `finally` below
    # stops everything however the launcher is told to end (SIGINT too when started with it ignored).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    embedded = False
    try:
        if not env.get("REDIS_URL"):
            from app.redis_conn import start_embedded

            embedded = True
            env["REDIS_URL"] = start_embedded(str(instance))
            say("redis", f"embedded redis-server at {env['REDIS_URL']}")

        sandbox_ok = (ROOT / "app" / "sandbox" / "__init__.py").exists()
        if sandbox_ok:
            env.setdefault("PLATFORM_SANDBOX_URL", f"http://127.0.0.1:{sandbox_port}")
            env.setdefault("SANDBOX_STATE_FILE", str(instance / "sandbox-state.json"))
            start("sandbox", flask_run("app.sandbox", sandbox_port))
            if not wait_http(f"{env['PLATFORM_SANDBOX_URL']}/_sandbox/clock"):
                say("sandbox", "did not start; continuing without it", sys.stderr)

        try:
            step("migrate", [FLASK, "--app", "wsgi", "db", "upgrade"])
            step("demo", [FLASK, "--app", "wsgi", "demo", "--if-empty"])
        except subprocess.CalledProcessError as exc:
            say("run", f"set-up failed: {exc}", sys.stderr)
            return 1

        start("web", flask_run("wsgi", port))
        start("worker", [str(VENV_BIN / "python"), "worker.py"])
        start("cron", [str(VENV_BIN / "python"), "worker.py", "cron"])
        url = f"http://127.0.0.1:{port}"
        if wait_http(f"{url}/healthz"):
            banner(url, env["PLATFORM_SANDBOX_URL"] if sandbox_ok else None)
        else:
            say("web", "did not answer /healthz in time", sys.stderr)

        return watch(procs)
    except KeyboardInterrupt:
        return 0
    finally:
        stop(procs, relays, embedded)


def watch(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> int:
    """Wait until a process exits (then 1: everything is stopped); Ctrl-C ends the wait first."""
    while True:
        for name, proc in procs:
            if proc.poll() is not None:
                say(name, f"exited with {proc.returncode}; stopping everything", sys.stderr)
                return 1
        time.sleep(0.5)


def stop(procs: list[tuple[str, subprocess.Popen[bytes]]], relays: list[threading.Thread], embedded: bool) -> None:
    """SIGTERM each process group, SIGKILL what is left after 15 s (work-horses included), then the
    embedded redis-server (saved, so queued jobs survive a restart). A second Ctrl-C does not cut it short."""
    _ignore_signals()
    for _name, proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _name, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                tree = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
            except psutil.NoSuchProcess:
                tree = [proc.pid]
            for pid in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait()
    for thread in relays:
        thread.join(timeout=2)
    if embedded:
        from app.redis_conn import stop_embedded

        stop_embedded(save=True)
    say("run", "stopped.")


if __name__ == "__main__":
    sys.exit(main())
