"""The guarded thumbnail fetcher against the sandbox's media hosts over real HTTP, and its URL checks."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.platforms.http import PlatformHosts
from app.platforms.media import MediaFetcher, MediaRefused, host_allowed, media_fetcher_from_settings, sniff_image
from tests.platforms.conftest import adapter_settings
from tests.support.sandbox import SandboxControl

YT = "https://i.ytimg.com/vi/abc/hqdefault.jpg"


@pytest.fixture
def fetcher(sandbox: SandboxControl, sandbox_url: str) -> MediaFetcher:
    return MediaFetcher(PlatformHosts(sandbox_url), max_bytes=64 * 1024, timeout=1.0)


def refused(fetcher: MediaFetcher, platform: str, url: str) -> str:
    with pytest.raises(MediaRefused) as info:
        fetcher.fetch(platform, url)
    return info.value.reason


def test_fetches_each_platforms_thumbnail(fetcher: MediaFetcher, sandbox: SandboxControl) -> None:
    expires = int(time.time()) + 3600
    for platform, url in (
        ("youtube", YT),
        ("instagram", "https://scontent.cdninstagram.com/v/t51.2885-15/1790001_thumb.jpg"),
        ("tiktok", f"https://p16-sign.tiktokcdn-us.com/obj/t/7301~tplv-noop.image?x-expires={expires}&x-signature=ab"),
    ):
        image = fetcher.fetch(platform, url)
        assert image.mime == "image/png"
        assert sniff_image(image.content) == "image/png"


def test_from_settings(sandbox: SandboxControl, sandbox_url: str) -> None:
    fetcher = media_fetcher_from_settings(adapter_settings(sandbox_url, THUMBNAIL_MAX_BYTES=2048))
    assert fetcher.max_bytes == 2048
    assert fetcher.fetch("youtube", YT).content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("platform", "url", "reason"),
    [
        ("youtube", "https://evil.example.com/x.jpg", "host"),
        ("youtube", "https://i.ytimg.com.evil.example/x.jpg", "host"),
        ("youtube", "https://scontent.cdninstagram.com/v/x.jpg", "host"),  # another platform's host
        ("instagram", "https://notcdninstagram.com/x.jpg", "host"),
        ("youtube", "http://i.ytimg.com/vi/a/default.jpg", "scheme"),
        ("youtube", "https://i.ytimg.com:8443/vi/a/default.jpg", "scheme"),
        ("youtube", "https://user:pw@i.ytimg.com/vi/a/default.jpg", "scheme"),
        ("youtube", "http://127.0.0.1:5055/i.ytimg.com/vi/a/default.jpg", "address"),
        ("youtube", "https://169.254.169.254/latest/meta-data/", "address"),
        ("youtube", "https://[::1]/x.jpg", "address"),
        ("youtube", "https://8.8.8.8/x.jpg", "host"),
        ("youtube", "file:///etc/passwd", "scheme"),
    ],
)
def test_urls_off_the_list_are_refused_before_any_request(
    fetcher: MediaFetcher, sandbox: SandboxControl, platform: str, url: str, reason: str
) -> None:
    sandbox.clear_calls()
    assert refused(fetcher, platform, url) == reason


def test_host_list() -> None:
    assert host_allowed("youtube", "i.ytimg.com")
    assert host_allowed("youtube", "I9.YTIMG.COM.")
    assert host_allowed("instagram", "scontent-lhr8-1.cdninstagram.com")
    assert host_allowed("instagram", "scontent.xx.fbcdn.net")
    assert host_allowed("tiktok", "p16-sign-va.tiktokcdn.com")
    assert not host_allowed("tiktok", "tiktokcdn.com.attacker.net")
    assert not host_allowed("linkedin", "i.ytimg.com")


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["127.0.0.1"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["142.250.1.1", "192.168.1.1"],
        [],
    ],
)
def test_production_resolves_and_refuses_private_addresses(addresses: list[str]) -> None:
    fetcher = MediaFetcher(PlatformHosts(None), resolve=lambda host: addresses)
    with pytest.raises(MediaRefused) as info:
        fetcher.check_url("youtube", YT)
    assert info.value.reason == "address"


def test_production_passes_a_public_address() -> None:
    seen: list[str] = []

    def resolve(host: str) -> list[str]:
        seen.append(host)
        return ["142.250.1.1", "2a00:1450:4001:80b::200e"]

    MediaFetcher(PlatformHosts(None), resolve=resolve).check_url("youtube", YT)
    assert seen == ["i.ytimg.com"]


@pytest.mark.parametrize(
    ("kind", "options", "reason"),
    [
        ("huge", {}, "size"),
        ("slow", {"seconds": 2.5}, "timeout"),
        ("redirect", {}, "address"),  # the cloud metadata address
        ("html", {}, "type"),
        ("bad_magic", {}, "magic"),
        ("not_found", {}, "status"),
    ],
)
def test_media_faults_are_refused(
    fetcher: MediaFetcher, sandbox: SandboxControl, kind: str, options: dict[str, Any], reason: str
) -> None:
    sandbox.add_media_fault(kind, **options)
    assert refused(fetcher, "youtube", YT) == reason


def test_huge_with_content_length_is_refused_before_reading(fetcher: MediaFetcher, sandbox: SandboxControl) -> None:
    fetcher.max_bytes = 100  # the normal PNG is ~1 KB and declares its length
    assert refused(fetcher, "youtube", YT) == "size"


def test_redirect_to_the_sandbox_itself_on_loopback_is_refused(
    fetcher: MediaFetcher, sandbox: SandboxControl, sandbox_url: str
) -> None:
    # the sandbox is reachable on 127.0.0.1 as transport, but a media host sending us there is refused
    sandbox.add_media_fault("redirect", location=f"{sandbox_url}/i.ytimg.com/vi/abc/hqdefault.jpg")
    assert refused(fetcher, "youtube", YT) == "address"
    sandbox.add_media_fault("redirect", location="https://localhost/x.jpg")
    assert refused(fetcher, "youtube", YT) == "host"


def test_redirects_to_allowed_hosts_are_followed_at_most_twice(fetcher: MediaFetcher, sandbox: SandboxControl) -> None:
    sandbox.add_media_fault("redirect", times=2, location="https://i.ytimg.com/vi/abc/mqdefault.jpg")
    assert fetcher.fetch("youtube", YT).mime == "image/png"  # two hops, then the image
    sandbox.add_media_fault("redirect", times=3, location="https://i.ytimg.com/vi/abc/mqdefault.jpg")
    assert refused(fetcher, "youtube", YT) == "redirects"
    sandbox.clear_media_faults()
    sandbox.add_media_fault("redirect", location="/vi/other/default.jpg")  # relative: same host
    assert fetcher.fetch("youtube", YT).mime == "image/png"
