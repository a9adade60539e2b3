"""Injected faults, each answered in the platform's own error format; and rendezvous.

A **rendezvous** (``POST /_sandbox/rendezvous``, off unless created) proves that calls overlap, without
timing them: it names 2-10 parties (a platform and a path, optionally a query, as a fault matches calls).
The first call matching each party arrives; every arrival but the last is held until all parties have
arrived (then all are answered: ``met``) or until the timeout (then it is answered and the rendezvous is
``failed``). Calls made one after the other can never meet; calls in flight together always do. Each
party is a fault entry of kind ``rendezvous`` (listed, cleared and reset with the faults); the meetings
themselves are ``control.Rendezvous`` (kept there: this module imports the platforms, and the Facebook
sandbox imports the control API).
"""

from __future__ import annotations

from typing import Any

from flask import Response


def render(platform: str, fault: dict[str, Any], path: str) -> Response | None:
    """The fault's answer; ``None`` (the call answered as usual) for a rendezvous, once it is over."""
    from . import facebook, instagram, linkedin, tiktok, x, youtube
    from .control import rendezvous

    if fault["kind"] == "rendezvous":
        meeting = rendezvous().get(str(fault["rendezvous"]))
        if meeting is not None:
            meeting.arrive()
        return None
    if platform == "facebook":
        return facebook.fault_response(fault, path)
    if platform == "linkedin":
        return linkedin.fault_response(fault, path)
    if platform == "instagram":
        return instagram.fault_response(fault, path)
    if platform == "tiktok":
        return tiktok.fault_response(fault, path)
    if platform == "x":
        return x.fault_response(fault, path)
    return youtube.fault_response(fault, path)
