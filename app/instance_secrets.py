"""Secrets generated into ``instance/secrets.json`` on first run when the environment gives none.

Why: a fresh machine must run with no hand steps, yet a constant default secret would be shared by
every deployment. So the first process to need a secret generates it with a CSPRNG and writes it
with mode 0600; later processes (worker, cron, a second web process) read the same file. The file
lives in ``instance/`` which git ignores. Only in development and tests: production refuses to start
without its secrets (``create_app``), and ``python -m app.instance_secrets`` prints a fresh set for a
secret manager.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

try:  # pragma: no cover - fcntl exists on every POSIX system we deploy to
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def _new_token_keys() -> dict[str, str]:
    key = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    return {"TOKEN_ENCRYPTION_KEYS": f"k1:{key}", "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1"}


GENERATE_COMMAND = "python -m app.instance_secrets"

GENERATORS: dict[str, Callable[[], dict[str, str]]] = {
    "SECRET_KEY": lambda: {"SECRET_KEY": secrets.token_hex(32)},
    "TOKEN_ENCRYPTION_KEYS": _new_token_keys,
}


def load_or_create(instance_path: str, wanted: list[str]) -> dict[str, str]:
    """Return the generated secrets named in ``wanted``, creating the missing ones under a file lock."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secrets.json"
    lock_path = folder / ".secrets.lock"
    with open(lock_path, "a+") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        changed = False
        for name in wanted:
            if name not in data:
                data.update(GENERATORS[name]())
                changed = True
        if changed:
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh, indent=2)
            os.replace(tmp, path)
    return data


def generated_environment() -> str:
    """A fresh set of secrets as ``NAME=value`` lines (what ``python -m app.instance_secrets`` prints)."""
    values: dict[str, str] = {}
    for make in GENERATORS.values():
        values.update(make())
    return "".join(f"{name}={value}\n" for name, value in values.items())


if __name__ == "__main__":  # pragma: no cover - exercised as a subprocess by tests/test_config.py
    print(generated_environment(), end="")
