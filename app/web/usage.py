"""``@tracked(kind)``: a client's successful request to a view is noted in ``usage_days`` (the impact
page's usage numbers). Staff requests and failed ones (4xx, 5xx) are not."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app
from flask_login import current_user

from app.models import Role, UsageKind
from app.services import clients, usage

F = TypeVar("F", bound=Callable[..., Any])


def tracked(kind: UsageKind) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            # who asks is read before the view: a view that commits (a PDF's download count) expires the
            # user, and reading the role afterwards would reload it here, in the web layer
            is_client = current_user.is_authenticated and current_user.role is Role.CLIENT
            resp = current_app.make_response(view(*args, **kwargs))
            if resp.status_code < 400 and is_client:
                usage.record(clients.own_client(current_user).id, kind)
            return resp

        return cast(F, wrapped)

    return decorator
