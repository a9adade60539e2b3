"""``POST /_sandbox/replicas``: many accounts copied from a few, in one call (architecture.md section 6.3).

A benchmark that needs 30,000 connected accounts a day after their first sync cannot connect and sync
each (an OAuth round trip and an initial sync per account: hours). It connects and syncs a few, then asks
for replicas of their accounts: each replica has its template's follower history, posts, numbers and
tokens in force (``SandboxState.replicate_account``), under its own ids, so a copy of what the app stored
about the template, renamed with the answer's maps, is what the app would hold about the replica.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from .common import control_error, json_response, state
from .control import BadRequest, body, bp
from .state import Token

#: replicas one call may ask for: the call holds the sandbox's lock while it copies
MAX_REPLICAS = 2000
ITEM_KEYS = {"of", "username"}


def _items(data: dict[str, Any]) -> list[dict[str, str]]:
    unknown = set(data) - {"replicas"}
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))}")
    items = data.get("replicas")
    if not isinstance(items, list) or not items:
        raise BadRequest("replicas must be a non-empty list of {of, username}")
    if len(items) > MAX_REPLICAS:
        raise BadRequest(f"at most {MAX_REPLICAS} replicas a call (got {len(items)}); send them in batches")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"replicas[{i}] must be an object")
        extra = set(item) - ITEM_KEYS
        if extra:
            raise BadRequest(f"replicas[{i}] has unknown keys: {', '.join(sorted(extra))}")
        for key in ("of", "username"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise BadRequest(f"replicas[{i}].{key} must be a non-empty string")
        out.append({"of": item["of"], "username": item["username"].strip()})
    return out


@bp.post("/replicas")
def create_replicas() -> Response:
    """``{"replicas": [{"of": <account id>, "username"}]}`` -> 201 ``{"replicas": [{"id", "of", "platform",
    "platform_user_id", "scoped_id", "username", "posts": {template post id: replica's}, "tokens":
    {template token: replica's}}]}``, in the order asked; all or none are made."""
    items = _items(body())
    st = state()
    with st.lock:
        for item in items:
            if item["of"] not in st.accounts:
                return control_error(404, "not_found", f"no sandbox account {item['of']!r}")
        taken: set[tuple[str, str]] = set()
        for acc in st.accounts.values():
            taken.add((acc.platform, acc.platform_user_id))
            if acc.platform == "linkedin":
                taken.add(("linkedin-org", acc.scoped_id))
        held: dict[str, list[Token]] = {item["of"]: [] for item in items}
        for tok in st.tokens.values():
            if tok.account_id in held:
                held[tok.account_id].append(tok)
        out = []
        for item in items:
            template = st.accounts[item["of"]]
            rep, posts, tokens = st.replicate_account(template, item["username"], taken, held[template.id])
            out.append(
                {
                    "id": rep.id,
                    "of": template.id,
                    "platform": rep.platform,
                    "platform_user_id": rep.platform_user_id,
                    "scoped_id": rep.scoped_id,
                    "username": rep.username,
                    "posts": posts,
                    "tokens": tokens,
                }
            )
        st.save()
        return json_response({"replicas": out}, 201)
