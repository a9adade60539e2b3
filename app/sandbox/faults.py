"""Injected faults, each answered in the platform's own error format; and rendezvous.

A **rendezvous** (``POST /_sandbox/rendezvous``, off unless created) proves that calls overlap, without
timing them: it names 2-10 parties (a platform and a path, optionally a query, as a fault matches calls).
The first call matching each party arrives; every arrival but the last is held until all parties have
arrived (then all are answered: ``met``) or until the timeout (then it is answered and the rendezvous is
``failed``). Calls made one after the other can never meet; calls in flight together always do. Each
party is a fault entry of kind ``rendezvous`` (listed, cleared and reset with the faults).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app


def render(platform: str, fault: dict[str, Any], path: str) -> Response | None:
    """The fault's answer; ``None`` (the call answered as usual) for a rendezvous, once it is over."""
    from . import facebook, instagram, linkedin, tiktok, x, youtube

    if fault["kind"] == "rendezvous":
        arrive(str(fault["rendezvous"]))
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


@dataclass
class Rendezvous:
    name: str
    parties: int
    timeout: float
    arrived: int = 0
    state: str = "waiting"  # met | failed
    done: threading.Condition = field(default_factory=threading.Condition)

    def view(self) -> dict[str, Any]:
        with self.done:
            return {"name": self.name, "parties": self.parties, "arrived": self.arrived, "state": self.state}


def rendezvous() -> dict[str, Rendezvous]:
    """This sandbox app's rendezvous by name."""
    found: dict[str, Rendezvous] = current_app.extensions.setdefault("sandbox_rendezvous", {})
    return found


def arrive(name: str) -> None:
    """One party arrives: the last one releases the others; the others wait for it, or give up."""
    meeting = rendezvous().get(name)
    if meeting is None:
        return
    with meeting.done:
        meeting.arrived += 1
        if meeting.state != "waiting":
            return
        if meeting.arrived >= meeting.parties:
            meeting.state = "met"
            meeting.done.notify_all()
            return
        if not meeting.done.wait_for(lambda: meeting.state != "waiting", meeting.timeout):
            meeting.state = "failed"
            meeting.done.notify_all()
