"""Builders for test data with overridable defaults; rows go through the same services as the app."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from app.extensions import db
from app.models import Client, Deliverable, Role, User
from app.services import accounts
from tests.conftest import PASSWORD

_seq = itertools.count(1)


class Factory:
    def user(
        self,
        role: Role | str = Role.COACH,
        *,
        email: str | None = None,
        name: str | None = None,
        password: str | None = PASSWORD,
        coach: User | None = None,
    ) -> User:
        n = next(_seq)
        return accounts.create_user(email or f"user{n}@example.com", name or f"User {n}", role, password, coach=coach)

    def admin(self, **kw: Any) -> User:
        return self.user(Role.ADMIN, **kw)

    def coach(self, **kw: Any) -> User:
        return self.user(Role.COACH, **kw)

    def client(
        self,
        coach: User | None = None,
        *,
        program_start: date | None = None,
        program_end: date | None = None,
        **kw: Any,
    ) -> Client:
        user = self.user(Role.CLIENT, coach=coach, **kw)
        assert user.client is not None
        user.client.program_start = program_start
        user.client.program_end = program_end
        db.session.commit()
        return user.client

    def deliverable(self, client: Client, code: str = "M1", title: str = "Milestone", **kw: Any) -> Deliverable:
        d = Deliverable(client=client, code=code, title=title, position=len(client.deliverables) + 1, **kw)
        db.session.add(d)
        db.session.commit()
        return d
