"""Injected faults, each answered in the platform's own error format."""

from __future__ import annotations

from typing import Any

from flask import Response


def render(platform: str, fault: dict[str, Any], path: str) -> Response:
    from . import facebook, instagram, linkedin, tiktok, x, youtube

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
