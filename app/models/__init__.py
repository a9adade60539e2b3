"""All models, imported here so Alembic and the app see one metadata."""

from app.models.base import Base
from app.models.client import Client, ClientStatus, Deliverable
from app.models.outbox import EmailStatus, OutboxEmail
from app.models.user import Invite, LoginAttempt, Role, User, UserSession

__all__ = [
    "Base",
    "Client",
    "ClientStatus",
    "Deliverable",
    "EmailStatus",
    "Invite",
    "LoginAttempt",
    "OutboxEmail",
    "Role",
    "User",
    "UserSession",
]
