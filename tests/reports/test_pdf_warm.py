"""The first report PDF of a started process is rendered warm (issue 17's speed line, app/reports/warm.py):
a real ``python worker.py`` serving the reports queue (forking, and ``--no-fork``) and a real gunicorn
have loaded the fonts and compiled the templates before the first job or request, so the first render
parses no TrueType file; a worker that renders no PDFs does not pay for it; a missing font lets the
process start, logged, and ``/readyz`` says ``degraded``. Checked by what the render loads (counted in
the job, tests/support/pdf_probe.py), not by timing it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.queueing.queues import get_queue
from app.reports import warm
from tests.chaos.support import ROOT, worker_env
from tests.reports.test_reports import END
from tests.support.smtp import free_port

PROBE = "tests.support.pdf_probe.render_and_count"
#: a name that needs every fallback face (Noto Sans SC, Noto Sans KR, Noto Emoji) besides DejaVu
NAME = "Zoë 渡辺 한국 🚀"


@pytest.fixture
def payload(seeded):
    from app.reports import build

    numbers = build.weekly(seeded, END)
    numbers["client"]["name"] = NAME
    return json.loads(json.dumps(numbers, default=str))  # as a stored report's numbers


def _run_worker(app, tmp_path, payload, queue: str, *extra: str):
    """A real worker in burst mode on ``queue``, after the probe job was queued there; its result."""
    job = get_queue(queue).enqueue(PROBE, payload, job_timeout=120)
    log = tmp_path / "worker.log"
    env = worker_env(app, "http://127.0.0.1:1")
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "worker.py", "--queues", queue, "--burst", *extra],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            assert proc.wait(timeout=120) == 0, log.read_text()[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    job.refresh()
    result = job.return_value()
    assert result is not None, log.read_text()[-3000:]
    return proc.pid, result, log.read_text()


def test_warm_up_sample_uses_the_report_templates_body_faces():
    template = (ROOT / "templates" / "reports" / "pdf.html").read_text()
    for line in warm.BODY_FACES.splitlines():
        assert line in template  # else the warm-up registers other faces than a report embeds


MODES = {"fork": [], "no-fork": ["--no-fork"], "pool": ["--no-fork", "--processes", "2"]}


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(MODES))
def test_a_started_reports_worker_renders_its_first_pdf_without_loading_fonts(app, payload, tmp_path, mode):
    pid, result, log = _run_worker(app, tmp_path, payload, "reports", *MODES[mode])
    assert result["is_pdf"]
    assert result["fonts_parsed"] == []  # every face already registered in this process
    assert result["template_was_compiled"]
    assert result["warm"]["state"] == "warm"
    assert result["warm"]["templates"] > 0
    if mode in ("fork", "pool"):  # loaded by the worker before it forked this job's work-horse, or by
        assert result["pid"] != pid  # the pool's parent before it forked its workers (worker.py --processes)
        assert result["warm"]["fonts_pid"] == pid
    else:
        assert result["pid"] == result["warm"]["fonts_pid"] == pid
    assert log.count('"event": "pdf_warmed"') == 1  # once, also for a pool of two workers


@pytest.mark.slow
def test_a_worker_that_renders_no_pdfs_does_not_load_the_fonts(app, payload, tmp_path):
    """The control: a sync-only worker starts cold, and the counter does see its first render load them."""
    _pid, result, log = _run_worker(app, tmp_path, payload, "sync", "--no-fork")
    assert result["warm"]["state"] == "cold"
    assert result["is_pdf"]
    names = {Path(p).name for p in result["fonts_parsed"]}
    assert {"DejaVuSans.ttf", "NotoSansSC-Regular.ttf", "NotoSansKR-Regular.ttf", "NotoEmoji-Regular.ttf"} <= names
    assert "pdf_warmed" not in log


@pytest.mark.slow
def test_a_worker_starts_when_a_font_is_missing_and_says_so(app, tmp_path):
    empty = tmp_path / "fonts"
    empty.mkdir()
    code = (
        "import pathlib, sys; import app.reports.pdf as pdf; pdf.FONT_DIR = pathlib.Path(sys.argv[1]); "
        "import worker; sys.exit(worker.main(sys.argv[2:]))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, str(empty), "--queues", "reports", "--burst", "--no-fork"],
        cwd=ROOT,
        env=worker_env(app, "http://127.0.0.1:1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    failed = [json.loads(line) for line in out.stderr.splitlines() if '"pdf_warm_failed"' in line]
    assert len(failed) == 1, out.stderr[-3000:]
    assert "DejaVuSans.ttf" in failed[0]["error"]
    assert "make setup" in failed[0]["error"]


def test_readyz_is_degraded_when_the_warm_up_failed(make_app, monkeypatch, tmp_path):
    from app.jobs.system import cron_heartbeat
    from app.reports import pdf

    app = make_app()
    with app.app_context():
        cron_heartbeat()
    monkeypatch.setattr(warm, "_state", warm.WarmState())  # this process's real state comes back afterwards
    assert app.test_client().get("/readyz").json["background"]["pdf"]["state"] == "cold"
    assert app.test_client().get("/readyz").json["status"] == "ready"  # the tests' apps never warm: not degraded
    monkeypatch.setattr(pdf, "FONT_DIR", tmp_path)
    assert warm.warm(app).state == "failed"
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "degraded"
    assert ready.json["background"]["pdf"]["state"] == "failed"
    assert "missing" in ready.json["background"]["pdf"]["error"]


@pytest.mark.slow
def test_gunicorn_workers_inherit_the_fonts_from_the_master(app, tmp_path):
    port = free_port()
    env = worker_env(app, "http://127.0.0.1:1", PORT=str(port), WEB_CONCURRENCY="2")
    log = tmp_path / "web.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:  # the master listens before its workers have booted: a read can wait, then time out
                ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.3)
        pdf = ready.json()["background"]["pdf"]
        assert pdf["state"] == "warm", pdf
        assert pdf["fonts_pid"] == proc.pid  # the master, before forking the worker that answered
        assert pdf["templates"] > 0  # compiled by the worker, after building its app
    finally:
        os.kill(proc.pid, signal.SIGINT)  # quick shutdown (SIGTERM waits for the workers gracefully)
        proc.wait(timeout=60)
    assert log.read_text().count('"pdf_warmed"') == 1  # once, in the master


def test_font_digests_are_computed_once_per_file_version(tmp_path):
    """xhtml2pdf hashes each declared font file on every render; the hash is kept until the file changes."""
    from app.reports import pdf_digest

    calls: list[str | None] = []

    def original(name):
        calls.append(name)
        return None if name is None else f"digest-{len(calls)}"

    digest = pdf_digest.kept(original)
    font = tmp_path / "Face.ttf"
    font.write_bytes(b"first")
    assert digest(str(font)) == digest(str(font)) == "digest-1"
    font.write_bytes(b"second, longer")  # replaced: another size (and modification time)
    assert digest(str(font)) == "digest-2"
    assert digest(str(tmp_path / "gone.ttf")) == "digest-3"  # unreadable: xhtml2pdf's own answer, not kept
    assert digest(None) is None
    assert len(calls) == 4


def test_rendering_installs_the_kept_digests():
    from xhtml2pdf import context

    from app.reports import pdf

    pdf.render_pdf(warm._sample_html())
    assert context._file_digest.__qualname__ == "kept.<locals>.digest"
