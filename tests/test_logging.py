"""Log lines are single-line JSON with the request id, and never carry a token (P1, P2). The real worker,
cron and gunicorn processes write nothing else, each record once; the request id is honoured when safe,
echoed, and on exactly one access line per request."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import runpy
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from flask import Response

from app.logging_setup import RoutineFilter, make_handler
from tests.conftest import SECRET_KEY, TOKEN_KEY, app_config
from tests.support.live import serve_wsgi
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
CANARY_APP = "CANARYappTOKENf00d1234"
CANARY_URLLIB = "CANARYurllibTOKENbeef5678"
GENERATED_ID = re.compile(r"[0-9a-f]{16}")


def leaky_job(closed_port: int) -> None:
    """Run by the worker subprocess: the app logs a bearer token, urllib3 logs a retry of a URL carrying
    an access token, and the job dies of urllib3's error (whose text has the URL) so rq logs the traceback."""
    logging.getLogger("app.tests.leaky").warning(
        "platform answered 401 to Authorization: Bearer %s", CANARY_APP, extra={"event": "leaky_job"}
    )
    http = urllib3.PoolManager(retries=urllib3.Retry(total=1, backoff_factor=0))
    http.request("GET", f"http://127.0.0.1:{closed_port}/refresh_access_token?access_token={CANARY_URLLIB}")


def _logger(stream: io.StringIO) -> logging.Logger:
    logger = logging.getLogger(f"test.logging.{id(stream)}")
    logger.handlers = [make_handler(stream)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def json_lines_once(*outputs: str) -> list[dict[str, Any]]:
    """Every line of a process's stdout and stderr is a JSON object, and no line appears twice."""
    lines = [line for out in outputs for line in out.splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert isinstance(record, dict), line
        records.append(record)
    twice = [line for line, n in Counter(lines).items() if n > 1]
    assert not twice, f"lines written more than once: {twice}"
    return records


def _process_env(app: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "SYNC_", "RQ_", "LOG_"))}
    env.pop("PLATFORM_SANDBOX_URL", None)
    env.update(
        APP_ENV="test",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        INSTANCE_PATH=app.config["INSTANCE_PATH"],
        SECRET_KEY=SECRET_KEY,
        TOKEN_ENCRYPTION_KEYS=f"k1:{TOKEN_KEY}",
        TOKEN_ENCRYPTION_ACTIVE_KEY="k1",
        PUBLIC_BASE_URL="https://portal.example.com",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def test_exception_text_is_kept_but_scrubbed():
    stream = io.StringIO()
    log = _logger(stream)
    try:
        raise requests.HTTPError(
            "400 Client Error for url: https://graph.instagram.com/refresh_access_token"
            "?grant_type=ig_refresh_token&access_token=CANARY123"
        )
    except requests.HTTPError as exc:
        log.error("refresh failed", exc_info=exc, extra={"event": "refresh_failed"})
    out = stream.getvalue()
    assert "CANARY123" not in out
    record = json.loads(out)
    assert record["event"] == "refresh_failed"
    assert "HTTPError" in record["exc"]


def test_newlines_in_values_stay_on_one_line(app):
    stream = io.StringIO()
    log = _logger(stream)
    with app.test_request_context("/x"):
        from flask import g

        g.request_id = "req-1"
        log.info("login failed for %s", "eve\nINFO forged line", extra={"event": "login_failure"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["request_id"] == "req-1"
    assert record["path"] == "/x"
    assert "forged line" in record["msg"]


def test_every_kind_of_line_break_is_escaped():
    """CR, LF and NUL (escaped by JSON itself), NEL and the other C1 controls, U+2028 and U+2029 (which
    ``str.splitlines`` and some shippers split on, and json.dumps leaves raw): one line, the text intact.
    Terminal colour codes (rq colours its messages on a terminal) are dropped."""
    stream = io.StringIO()
    name = "eve\r\nINFO forged\x85NEL\u2028LS\u2029PS\x00NUL\x1b[31mred"
    _logger(stream).info("login failed for %s", name)
    out = stream.getvalue()
    assert out.count("\n") == 1
    assert len(out.splitlines()) == 1
    assert json.loads(out)["msg"] == "login failed for " + name.replace("\x1b[31m", "")


def test_secret_path_segments_never_reach_the_log(client, caplog):
    """/invite/<token>, /s/<token> ...: a capability in the path is redacted on the access line."""
    caplog.set_level(logging.INFO, logger="app.access")
    client.get("/invite/SECRETinviteTOKEN.abc")
    client.get("/s/SECRETshareTOKEN")
    client.get("/password/reset/SECRETresetTOKEN.abc")
    access = [r for r in caplog.records if r.name == "app.access"]
    assert [r.path for r in access] == ["/invite/[REDACTED]", "/s/[REDACTED]", "/password/reset/[REDACTED]"]
    assert not [r for r in access if "SECRET" in r.getMessage() + str(r.__dict__)]


def test_routine_records_are_demoted_to_debug_not_dropped():
    flt = RoutineFilter()

    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.INFO, __file__, 1, msg, None, None)

    routine = [
        record("rq.cron", "Enqueued job cron_heartbeat to queue default"),
        record("rq.worker", "Worker w1: default: app.jobs.system.cron_heartbeat() (job-1)"),
        record("rq.worker", "Worker w1: cleaning registries for queue: sync"),
        record("werkzeug", '127.0.0.1 - - [01/Dec/2026 12:00:00] "GET /healthz HTTP/1.1" 200 -'),
    ]
    news = [
        record("rq.cron", "Enqueued job sweep_outbox to queue default"),
        record("rq.worker", "Worker w1: default: app.jobs.sync.sync_connection(3, 'daily') (sync-3)"),
        record("werkzeug", " * Running on http://127.0.0.1:5000"),
    ]
    for r in routine + news:
        assert flt.filter(r)  # nothing is dropped here; the handler's level decides
    assert [r.levelname for r in routine] == ["DEBUG"] * len(routine)
    assert [r.levelname for r in news] == ["INFO"] * len(news)


def test_request_id_is_honoured_when_safe_echoed_and_on_one_access_line(make_app, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    app = make_app()

    def slow_export() -> Response:
        def chunks() -> Iterator[str]:
            for i in range(3):
                time.sleep(0.1)
                yield f"row {i}\n"

        return Response(chunks(), mimetype="text/csv")

    app.add_url_rule("/test-streamed-export", view_func=slow_export)
    bad = ["abc 123", "a" * 129, "abc<script>", "abc\tdef", ""]
    with serve_wsgi(app) as base:
        good = requests.get(f"{base}/healthz", headers={"X-Request-ID": "abc-123"}, timeout=10)
        replaced = [requests.get(f"{base}/healthz", headers={"X-Request-ID": b}, timeout=10) for b in bad]
        streamed = requests.get(f"{base}/test-streamed-export", headers={"X-Request-ID": "export-1"}, timeout=10)
        deadline = time.monotonic() + 5  # a streamed response is logged when the server closes it
        while time.monotonic() < deadline and not [
            r for r in caplog.records if r.__dict__.get("request_id") == "export-1"
        ]:
            time.sleep(0.05)
    access = [r for r in caplog.records if r.name == "app.access"]

    assert good.headers["X-Request-ID"] == "abc-123"
    assert [r.request_id for r in access].count("abc-123") == 1
    for resp in replaced:
        new_id = resp.headers["X-Request-ID"]
        assert GENERATED_ID.fullmatch(new_id), new_id
        assert [r.request_id for r in access].count(new_id) == 1
    assert not {r.request_id for r in access} & set(bad)
    assert streamed.text == "row 0\nrow 1\nrow 2\n"
    assert streamed.headers["X-Request-ID"] == "export-1"
    (line,) = [r for r in access if r.request_id == "export-1"]
    assert line.status == 200
    assert line.method == "GET"
    assert line.duration_ms >= 300
    assert len(access) == 2 + len(bad)


@pytest.mark.slow
def test_worker_writes_each_record_once_as_scrubbed_json(app):
    """``python worker.py``: the app's, urllib3's and rq's records (the failed job's traceback too) are
    JSON lines, once each, with the tokens scrubbed; the heartbeat job runs without a line at INFO."""
    from rq import Queue

    from app.jobs.system import HEARTBEAT_KEY
    from app.redis_conn import get_redis

    conn = get_redis()
    queue = Queue("default", connection=conn)
    queue.enqueue("tests.test_logging.leaky_job", free_port(), job_timeout=60)
    queue.enqueue("app.jobs.system.cron_heartbeat", job_timeout=30)
    result = subprocess.run(
        [sys.executable, "worker.py", "--burst", "--queues", "default"],
        cwd=ROOT,
        env=_process_env(app, LOG_LEVEL="INFO"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    records = json_lines_once(result.stdout, result.stderr)
    assert CANARY_APP not in out
    assert CANARY_URLLIB not in out

    (app_line,) = [r for r in records if r.get("event") == "leaky_job"]
    assert app_line["msg"] == "platform answered 401 to Authorization: [REDACTED]"
    retries = [r for r in records if r["logger"].startswith("urllib3") and "Retrying" in r["msg"]]
    assert len(retries) == 1
    assert "access_token=[REDACTED]" in retries[0]["msg"]
    tracebacks = [r for r in records if r["logger"] == "rq.worker" and "Traceback" in r["msg"]]
    assert tracebacks
    assert "MaxRetryError" in tracebacks[0]["msg"]
    assert "access_token=[REDACTED]" in tracebacks[0]["msg"]
    assert len([r for r in records if "started with PID" in r["msg"]]) == 1

    assert conn.get(HEARTBEAT_KEY)  # the heartbeat ran ...
    assert not [r for r in records if "cron_heartbeat" in r["msg"]]  # ... and said nothing at INFO


@pytest.mark.slow
def test_a_worker_that_crashes_says_so_in_a_json_line(app):
    """Redis unreachable: the uncaught exception is a record (JSON, scrubbed), not a raw traceback."""
    env = _process_env(app, LOG_LEVEL="INFO")
    env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    result = subprocess.run(
        [sys.executable, "worker.py", "--burst"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    records = json_lines_once(result.stdout, result.stderr)
    (crash,) = [r for r in records if r["level"] == "CRITICAL"]
    assert crash["msg"] == "uncaught exception"
    assert "ConnectionError" in crash["exc"]


@pytest.mark.slow
def test_cron_writes_json_once_and_its_heartbeat_quietly(app):
    from rq import Queue

    from app.cron import SCHEDULE
    from app.redis_conn import get_redis

    queue = Queue("default", connection=get_redis())
    proc = subprocess.Popen(
        [sys.executable, "worker.py", "cron"],
        cwd=ROOT,
        env=_process_env(app, LOG_LEVEL="INFO"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any(job.func_name == "app.jobs.system.cron_heartbeat" for job in queue.get_jobs()):
                break
            time.sleep(0.2)
        else:
            pytest.fail("cron never enqueued the heartbeat")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-3000:]
    records = json_lines_once(out, err)
    registered = [r["msg"] for r in records if r["msg"].startswith("Registered ")]
    assert len(registered) == len(set(registered)) == len(SCHEDULE)
    assert not [r for r in records if "Enqueued job cron_heartbeat" in r["msg"]]  # enqueued, at DEBUG


@pytest.mark.slow
def test_gunicorn_starts_with_its_config_serves_and_logs_json_lines(tmp_path, redis_url):
    """``gunicorn --config gunicorn.conf.py wsgi:app`` on a free port, a fresh migrated SQLite database
    and the test Redis: /healthz answers, the request id comes back, and gunicorn's own lines and the
    app's access lines are JSON, once each, with exactly one access line per request."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    database_url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    migrate_app = create_app(app_config(database_url, redis_url, tmp_path))
    with migrate_app.app_context():
        upgrade()
        db.engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "LOG_", "TRUST_"))}
    env.pop("PLATFORM_SANDBOX_URL", None)
    env.update(
        APP_ENV="production",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INSTANCE_PATH=str(tmp_path),
        SECRET_KEY=SECRET_KEY,
        TOKEN_ENCRYPTION_KEYS=f"k1:{TOKEN_KEY}",
        TOKEN_ENCRYPTION_ACTIVE_KEY="k1",
        PUBLIC_BASE_URL="https://portal.example.com",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "gunicorn exited"
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.monotonic() < deadline, "gunicorn never answered /healthz"
            time.sleep(0.3)
        good = requests.get(f"{base}/healthz", headers={"X-Request-ID": "abc-123"}, timeout=10)
        bad = requests.get(f"{base}/healthz", headers={"X-Request-ID": "abc 123<script>"}, timeout=10)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    records = json_lines_once(out, err)

    assert good.status_code == 200
    assert good.json() == {"status": "ok"}
    assert good.headers["X-Request-ID"] == "abc-123"
    replaced = bad.headers["X-Request-ID"]
    assert GENERATED_ID.fullmatch(replaced)
    access = [r for r in records if r["logger"] == "app.access"]
    assert [r["request_id"] for r in access].count("abc-123") == 1
    assert [r["request_id"] for r in access].count(replaced) == 1
    assert "<script>" not in out + err
    assert all(r["path"] == "/healthz" and r["status"] == 200 for r in access)
    assert not [r for r in records if r["logger"] == "gunicorn.access"]  # the app's line is the one
    messages = [r["msg"] for r in records if r["logger"] == "gunicorn.error"]
    assert any(m.startswith("Starting gunicorn") for m in messages)
    assert "Using worker: gthread" in messages
    assert any(m.startswith(f"Listening at: http://0.0.0.0:{port}") for m in messages)


@pytest.mark.parametrize(
    ("hops", "allow", "trusted"),
    [("0", None, []), ("0", "10.0.0.2", []), ("1", None, ["*"]), ("1", "10.0.0.2", ["10.0.0.2"])],
)
def test_gunicorn_believes_forwarded_headers_only_when_the_app_does(monkeypatch, hops, allow, trusted):
    """TRUST_PROXY_HOPS=0: the app trusts no proxy, and gunicorn takes no scheme from X-Forwarded-*
    from anyone (its own default trusts 127.0.0.1 and every Unix-socket peer)."""
    from gunicorn.config import Config

    monkeypatch.setenv("TRUST_PROXY_HOPS", hops)
    monkeypatch.setenv("PORT", "8123")
    if allow is None:
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", allow)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    for name, value in settings.items():
        if name in cfg.settings:
            cfg.set(name, value)  # gunicorn's own validation of every value
    assert cfg.forwarded_allow_ips == trusted
    assert cfg.secure_scheme_headers == ({} if hops == "0" else Config().secure_scheme_headers)
    assert cfg.bind == ["0.0.0.0:8123"]
    assert cfg.worker_class_str == "gthread"
    assert cfg.logconfig_dict["root"]["handlers"] == ["json"]
