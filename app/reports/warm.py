"""The first PDF render's one-off costs, paid when a process that renders PDFs starts (issue 17's speed line).

The first render in a process took ~1.3 s on a quiet box against ~170 ms for the next ones (bench/README.md,
reports): importing xhtml2pdf and ReportLab (~0.3 s), parsing the packaged TTFs twice over (``pdf.coverage``
probes what each font has: DejaVu and the three fallbacks; xhtml2pdf registers each face it embeds: DejaVu
regular and bold, and for a CJK name Noto Sans SC's two 10 MB files, ~0.5-0.9 s together) and compiling
the report templates (~0.1-0.3 s). Fonts stay registered with ReportLab for the life of the process, so
``warm`` renders one small document that needs every face (Latin, CJK, Hangul and emoji, regular and
bold) through the same ``render_pdf``, and compiles the report templates:

* the RQ worker calls it before it starts working (``worker.py``), when it serves a queue that renders
  PDFs; with the forking worker that is the parent, so every work-horse forked from it starts warm;
* gunicorn's master calls ``warm_fonts`` before it forks its workers (``gunicorn.conf.py``: the app is not
  preloaded, so the fonts and libraries, which need no app, are loaded there once and shared by every
  worker); each serving process then compiles the templates after building its app (``wsgi.py``), which
  is also all that the development server (``flask run``) pays beyond the fonts.

Processes that never render (cron, a worker of the sync queue only, ``flask db upgrade``) skip it. A failure
(a font missing: ``make setup`` not run) never stops the process: it is logged (``pdf_warm_failed``) and
``/readyz`` reports ``degraded`` with the reason, and the first render then fails with the same message.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from typing import Any

log = logging.getLogger(__name__)

#: Latin, Greek, Cyrillic, Arabic, Hebrew (DejaVu); Chinese and kana (Noto Sans SC); Hangul (Noto Sans KR);
#: an emoji (Noto Emoji): every face a report can embed, so none is parsed by a client's first report
SAMPLE = "Zoë Ωμέγα Жук محمد שלום 渡辺 かな 한국어 🚀"
#: the body faces of templates/reports/pdf.html (tests/reports/test_pdf_warm.py checks they are the same)
BODY_FACES = (
    "@font-face { font-family: Body; src: url('static:fonts/DejaVuSans.ttf'); }\n"
    "@font-face { font-family: Body; src: url('static:fonts/DejaVuSans-Bold.ttf'); font-weight: bold; }"
)
#: a one-line chart: xhtml2pdf's SVG path (svglib) is imported and used once too
_SVG = (
    "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxMCIgaGVpZ2h0"
    "PSIxMCI+PHBhdGggZD0iTTAgMEwxMCAxMCIgc3Ryb2tlPSIjMDAwIi8+PC9zdmc+"
)


@dataclass(frozen=True)
class WarmState:
    """What this process paid at start-up. ``state``: ``cold`` (not attempted: a process that renders no
    PDFs, or the tests' apps), ``warm`` or ``failed`` (``error`` says why). ``pid`` is the process that
    loaded the fonts: gunicorn's master or the RQ worker's parent when they were inherited by a fork."""

    state: str = "cold"
    fonts_pid: int | None = None
    fonts_ms: float | None = None
    templates: int = 0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "fonts_pid": self.fonts_pid,
            "fonts_ms": None if self.fonts_ms is None else round(self.fonts_ms),
            "templates": self.templates,
            "error": self.error,
        }


_state = WarmState()


def state() -> WarmState:
    """This process's warm-up (inherited from the parent it was forked from)."""
    return _state


def _sample_html() -> str:
    from app.reports.pdf import FALLBACK_MARK, pdf_text

    text = pdf_text(SAMPLE)
    return (
        '<html><head><meta charset="utf-8"><style>\n'
        f"{BODY_FACES}\nbody {{ font-family: Body; }}\n{FALLBACK_MARK}\n</style></head><body>"
        f'<p>{text}</p><p><b>{text}</b></p><img src="{_SVG}" width="10" height="10"></body></html>'
    )


def _failed(step: str, exc: BaseException) -> WarmState:
    global _state
    error = f"{step}: {exc}"
    _state = replace(_state, state="failed", error=error)
    log.warning(
        "PDF warm-up failed (%s); the process runs, its first PDF pays the loading or fails the same way",
        error,
        extra={"event": "pdf_warm_failed", "error": error},
    )
    return _state


def warm_fonts() -> WarmState:
    """Import the PDF libraries and register every packaged face with ReportLab (once per process; a
    forked child inherits it). Needs no app: gunicorn's master runs it before it forks."""
    global _state
    if _state.fonts_pid is not None:
        return _state
    started = time.perf_counter()
    try:
        from app.reports.pdf import FONT_DIR, FONTS, render_pdf

        missing = sorted(name for name in FONTS if not (FONT_DIR / name).is_file())
        if missing:
            raise FileNotFoundError(
                f"{', '.join(missing)} missing from {FONT_DIR} (run `make setup`: npm run build copies the fonts)"
            )
        render_pdf(_sample_html())
    except Exception as exc:  # noqa: BLE001 - the process starts anyway; the reason is logged and reported
        return _failed("fonts", exc)
    ms = (time.perf_counter() - started) * 1000
    _state = replace(_state, state="warm", fonts_pid=os.getpid(), fonts_ms=ms, error=None)
    log.info("PDF fonts and libraries loaded in %.0f ms", ms, extra={"event": "pdf_warmed", "ms": round(ms)})
    return _state


def warm_templates(app: Any) -> WarmState:
    """Compile the report templates into ``app``'s Jinja environment (its cache lives with the app, so a
    process pays this after building its app; ~0.1 s). Also configures the ORM mappers, which the first
    render's brand query would otherwise do."""
    global _state
    try:
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
        env = app.jinja_env
        names = env.list_templates(filter_func=lambda n: n.startswith("reports/") and n.endswith(".html"))
        for name in names:
            env.get_template(name)
    except Exception as exc:  # noqa: BLE001 - as in warm_fonts
        return _failed("templates", exc)
    _state = replace(_state, templates=len(names))
    return _state


def warm(app: Any) -> WarmState:
    """Everything the first report PDF of a process would pay: the fonts, then the templates."""
    warm_fonts()
    if _state.state == "failed":
        return _state
    return warm_templates(app)
