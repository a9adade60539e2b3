"""``app.services.transaction.atomic``: a service call that fails leaves nothing for a later commit of
the same request (views no longer roll back themselves)."""

from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Client
from app.services.transaction import atomic


def test_a_failed_call_is_rolled_back_before_the_error_leaves(app, factory):
    c = factory.client(name="Before")

    @atomic
    def rename_then_refuse(client: Client) -> None:
        client.display_name = "Half done"
        raise ValidationFailed("refused", field="name")

    with pytest.raises(ValidationFailed):
        rename_then_refuse(c)
    db.session.commit()  # what the rest of the request might do
    db.session.expire_all()
    assert db.session.get(Client, c.id).display_name == "Before"


def test_a_successful_call_keeps_its_result(app, factory):
    c = factory.client(name="Before")

    @atomic
    def rename(client: Client) -> str:
        client.display_name = "After"
        db.session.commit()
        return client.display_name

    assert rename(c) == "After"
    db.session.expire_all()
    assert db.session.get(Client, c.id).display_name == "After"
