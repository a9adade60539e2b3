"""Control calls for stories (architecture.md section 6.4): ``POST`` / ``GET /_sandbox/accounts/<id>/stories``.

A story is listed by Instagram's ``/me/stories`` and answers its insights for 24 hours after
``published_at``; the control API keeps listing it afterwards (``live: false``) so tests can see it.
"""

from __future__ import annotations

from flask import Response

from .audience import Story, validate_story
from .common import control_error, json_response, state
from .control import BadRequest, body, bp
from .util import digits, iso_z


@bp.post("/accounts/<acc_id>/stories")
def add_story(acc_id: str) -> Response:
    data = body()
    st = state()
    with st.lock:
        acc = st.accounts.get(acc_id)
        if acc is None:
            return control_error(404, "not_found", f"no sandbox account {acc_id!r}")
        if acc.platform != "instagram":
            raise BadRequest("stories are Instagram only")
        now = st.now()
        try:
            spec = validate_story(data, now)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        story_id = "179" + digits(14, acc.seed, "story", len(acc.stories), now.isoformat())
        acc.stories.append(Story(id=story_id, **spec))
        st.save()
        return json_response({"id": story_id}, 201)


@bp.get("/accounts/<acc_id>/stories")
def list_stories(acc_id: str) -> Response:
    st = state()
    with st.lock:
        acc = st.accounts.get(acc_id)
        if acc is None:
            return control_error(404, "not_found", f"no sandbox account {acc_id!r}")
        now = st.now()
        return json_response(
            {
                "stories": [
                    {**s.to_json(), "published_at": iso_z(s.published_at), "live": s.live(now)} for s in acc.stories
                ]
            }
        )
