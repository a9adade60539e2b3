"""Serving processes refuse to start on stored tokens under unknown keys (T4) or http redirects (O3)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import ConfigurationError
from app.extensions import db
from app.models import Connection
from app.preflight import check_redirect_base, check_stored_keys
from app.security.crypto import Keyring, aad_for

ROOT = Path(__file__).resolve().parent.parent


def test_stored_tokens_under_a_key_missing_from_the_ring_stop_the_process(app, factory):
    client = factory.client()
    conn = Connection(client_id=client.id, platform="tiktok", platform_user_id="x1", status="connected")
    db.session.add(conn)
    db.session.commit()
    check_stored_keys(app)  # nothing stored under another key yet
    other = Keyring({"k9": os.urandom(32)}, "k9")
    conn.access_token_enc = other.encrypt("act.secret", aad_for("connections", conn.id, "access_token_enc"))
    db.session.commit()
    with pytest.raises(ConfigurationError, match="k9"):
        check_stored_keys(app)


def test_production_needs_https_redirects(make_app):
    with pytest.raises(ConfigurationError, match="https"):
        check_redirect_base(make_app(APP_ENV="production", PUBLIC_BASE_URL="http://portal.example.com"))
    check_redirect_base(make_app(APP_ENV="production", PUBLIC_BASE_URL="https://portal.example.com"))
    check_redirect_base(make_app(APP_ENV="development", PUBLIC_BASE_URL="http://127.0.0.1:5000"))


def test_worker_refuses_to_start(tmp_path):
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "PUBLIC_BASE_URL": "http://portal.example.com",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "TOKEN_ENCRYPTION_KEYS": f"k1:{key}",
        "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
        "SECRET_KEY": "s" * 40,
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    env.pop("PLATFORM_SANDBOX_URL", None)
    result = subprocess.run(
        [sys.executable, "worker.py", "--burst"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Refusing to start" in result.stderr
    assert "https" in result.stderr
