"""All models, imported here so Alembic and the app see one metadata."""

from app.models.alert import Alert, AlertCooldown, AlertReceipt, AlertType, Severity
from app.models.audience import AudienceSnapshot, StoryItem, VideoAnalytics
from app.models.base import Base
from app.models.brand import BrandSettings, ShareCard
from app.models.client import Client, ClientStatus, Deliverable
from app.models.comment import Comment, CommentReply, ReplyStatus
from app.models.compliance import XComplianceJob
from app.models.connection import Connection, ConnectionStatus, DataDeletionRequest, OAuthState
from app.models.fan import FanLink, FanLinkIdentity, FanLinkPage
from app.models.fan_summary import FanDay, FanDayCount, FanSummary
from app.models.goal import Goal
from app.models.history import (
    AccountInsight,
    ContentItem,
    ContentKind,
    ContentMetricSnapshot,
    ContentThumbnail,
    DailySnapshot,
    PortfolioConnectionState,
    PortfolioDailyTotal,
    Provenance,
)
from app.models.impact import AttentionAction, AttentionNote, CaseStudyConsent, UsageDay, UsageKind
from app.models.notification import EmailMode, NotificationPreference
from app.models.ops import OpsAlert, WorkAction
from app.models.outbox import EmailStatus, OutboxEmail
from app.models.report import Report, ReportFile, ReportKind, ReportLink, ReportSettings, ReportStatus
from app.models.sync import RawResponse, SyncRun, SyncStatus, SyncTrigger
from app.models.tactic import ContentTactic, Tactic
from app.models.user import Invite, LoginAttempt, PasswordReset, Role, User, UserSession

__all__ = [
    "Alert",
    "AlertCooldown",
    "AlertReceipt",
    "AlertType",
    "Severity",
    "AccountInsight",
    "AttentionAction",
    "AttentionNote",
    "AudienceSnapshot",
    "CaseStudyConsent",
    "UsageDay",
    "UsageKind",
    "Base",
    "BrandSettings",
    "Client",
    "Comment",
    "FanDay",
    "FanDayCount",
    "FanSummary",
    "CommentReply",
    "ReplyStatus",
    "ClientStatus",
    "Connection",
    "ContentItem",
    "ContentKind",
    "ContentTactic",
    "ContentMetricSnapshot",
    "ContentThumbnail",
    "ConnectionStatus",
    "DailySnapshot",
    "DataDeletionRequest",
    "Deliverable",
    "EmailMode",
    "EmailStatus",
    "FanLink",
    "FanLinkIdentity",
    "FanLinkPage",
    "Goal",
    "Invite",
    "LoginAttempt",
    "NotificationPreference",
    "OAuthState",
    "OpsAlert",
    "OutboxEmail",
    "PasswordReset",
    "PortfolioConnectionState",
    "PortfolioDailyTotal",
    "Provenance",
    "Report",
    "Tactic",
    "ReportFile",
    "ReportKind",
    "ReportLink",
    "ReportSettings",
    "ReportStatus",
    "ShareCard",
    "RawResponse",
    "Role",
    "StoryItem",
    "VideoAnalytics",
    "SyncRun",
    "SyncStatus",
    "SyncTrigger",
    "User",
    "UserSession",
    "WorkAction",
    "XComplianceJob",
]
