"""get_adapter: settings -> configured adapters behind the one interface."""

from __future__ import annotations

import pytest

from app.models.platforms import CONNECTABLE as PLATFORMS
from app.platforms import PlatformAdapter, PlatformNotConfigured, get_adapter
from app.platforms.facebook import FacebookAdapter
from app.platforms.http import TimeoutSession
from app.platforms.instagram import InstagramAdapter
from app.platforms.linkedin import LinkedInAdapter
from app.platforms.registry import CREDENTIAL_KEYS, configured_platforms, is_configured
from app.platforms.tiktok import TikTokAdapter
from app.platforms.x import XAdapter
from app.platforms.youtube import YouTubeAdapter
from tests.platforms.conftest import adapter_settings


def test_every_platform_builds_and_satisfies_the_protocol() -> None:
    settings = adapter_settings("http://127.0.0.1:5055")
    types = {
        "instagram": InstagramAdapter,
        "tiktok": TikTokAdapter,
        "youtube": YouTubeAdapter,
        "x": XAdapter,
        "facebook": FacebookAdapter,
        "linkedin": LinkedInAdapter,
    }
    assert set(types) <= set(PLATFORMS)
    assert set(CREDENTIAL_KEYS) == set(PLATFORMS)  # every connectable platform names its credentials
    for platform in types:
        adapter = get_adapter(platform, settings)
        assert isinstance(adapter, types[platform])
        assert isinstance(adapter, PlatformAdapter)
        assert adapter.name == platform
        assert adapter.required_scopes
        session = adapter.http.session  # type: ignore[attr-defined]
        assert isinstance(session, TimeoutSession)
        assert session.timeout == (2.0, 5.0)
        assert "secret" not in repr(adapter)


def test_settings_are_read() -> None:
    settings = adapter_settings(
        "http://127.0.0.1:5055/",
        INSTAGRAM_API_VERSION="v26.0",
        TIKTOK_USE_PKCE="false",
        YOUTUBE_SCOPES="https://www.googleapis.com/auth/youtube.readonly",
        PLATFORM_HOST_OVERRIDES="youtube.googleapis.com=www.googleapis.com",
    )
    ig = get_adapter("instagram", settings)
    assert isinstance(ig, InstagramAdapter)
    assert ig.api_version == "v26.0"
    tt = get_adapter("tiktok", settings)
    assert not tt.uses_pkce
    assert "code_challenge" not in tt.authorize_url("s", "http://127.0.0.1/cb")
    yt = get_adapter("youtube", settings)
    assert yt.required_scopes == {"https://www.googleapis.com/auth/youtube.readonly"}
    assert yt.http.hosts.url("https://youtube.googleapis.com/youtube/v3/channels") == (  # type: ignore[attr-defined]
        "http://127.0.0.1:5055/www.googleapis.com/youtube/v3/channels"
    )
    real = get_adapter("youtube", {k: v for k, v in settings.items() if k != "PLATFORM_SANDBOX_URL"})
    assert real.authorize_url("s", "https://app.example/cb", "c" * 43).startswith(
        "https://accounts.google.com/o/oauth2/v2/auth?"
    )


def test_missing_configuration_is_refused() -> None:
    with pytest.raises(PlatformNotConfigured):
        get_adapter("myspace", adapter_settings("http://x:1"))
    for key in ("INSTAGRAM_CLIENT_SECRET", "TIKTOK_CLIENT_KEY", "YOUTUBE_CLIENT_ID", "FACEBOOK_APP_SECRET"):
        settings = adapter_settings("http://x:1", **{key: ""})
        platform = key.split("_")[0].lower()
        with pytest.raises(PlatformNotConfigured, match=key):
            get_adapter(platform, settings)
    with pytest.raises(PlatformNotConfigured):
        get_adapter("instagram", adapter_settings("http://x:1", PLATFORM_HOST_OVERRIDES="nonsense"))


def test_a_platform_without_credentials_is_not_configured() -> None:
    """Generic for every platform: no client id or secret, not offered (hidden rather than failing)."""
    settings = adapter_settings("http://127.0.0.1:5055")
    assert configured_platforms(settings) == PLATFORMS
    for platform, keys in CREDENTIAL_KEYS.items():
        for key in keys:
            for blank in (None, "", "   "):
                partial = {**settings, key: blank}
                assert not is_configured(platform, partial)
                assert platform not in configured_platforms(partial)
                assert len(configured_platforms(partial)) == len(PLATFORMS) - 1
    assert not is_configured("myspace", settings)
