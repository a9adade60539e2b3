"""Serving stored thumbnails from our origin: scoped like the posts, cached privately with an ETag,
shown lazily with alt text in the top content list, the platform's content table and the post page;
a post without one shows a placeholder; the CSP stays as it was (images from our origin only)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from app.extensions import db
from app.stats.query import today
from app.sync.thumbnails import store
from tests.support import history as h

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def creator(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram", username="cora_ig")
    h.daily(ig, today() - timedelta(days=10), [1000 + i for i in range(11)])
    with_thumb = h.post(ig, today() - timedelta(days=1), likes=50, caption='Sunrise run "5k" <b>', views=900)
    without = h.post(ig, today() - timedelta(days=2), likes=40, caption="no picture yet", views=800)
    store(with_thumb.id, "https://scontent.cdninstagram.com/v/x.jpg", "image/png", PNG)
    db.session.commit()
    return {"client": c, "with": with_thumb.id, "without": without.id}


def test_the_thumbnail_is_served_with_its_type_etag_and_private_cache(client, creator):
    client.login("c@example.com")
    resp = client.get(f"/portal/thumbs/{creator['with']}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.data == PNG
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["ETag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
    assert resp.headers["Cache-Control"] == "private, max-age=604800"
    again = client.get(f"/portal/thumbs/{creator['with']}", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    # other pages keep no-store
    assert client.get("/portal/analytics").headers["Cache-Control"] == "no-store"


def test_none_stored_or_not_yours_is_404(client, factory, creator):
    client.login("c@example.com")
    assert client.get(f"/portal/thumbs/{creator['without']}").status_code == 404
    assert client.get("/portal/thumbs/999999").status_code == 404
    client.logout()
    factory.client(email="o@example.com")
    client.login("o@example.com")
    resp = client.get(f"/portal/thumbs/{creator['with']}")
    assert resp.status_code == 404
    assert resp.headers["Cache-Control"] == "no-store"
    client.logout()
    assert client.get(f"/portal/thumbs/{creator['with']}").status_code in (302, 401)


def test_staff_see_thumbnails_of_their_visible_clients_only(client, factory, creator):
    factory.coach(email="other-coach@example.com")
    factory.admin(email="admin@example.com")
    client.login("other-coach@example.com")
    assert client.get(f"/portal/thumbs/{creator['with']}").status_code == 404
    client.logout()
    for email in ("coach@example.com", "admin@example.com"):
        client.login(email)
        assert client.get(f"/portal/thumbs/{creator['with']}").status_code == 200, email
        client.logout()


def img_tag(text: str, content_id: int) -> str:
    start = text.index(f'src="/portal/thumbs/{content_id}"')
    return text[text.rindex("<img", 0, start) : text.index(">", start) + 1]


@pytest.mark.parametrize("url", ["/portal/analytics?range=30d", "/portal/analytics/instagram?range=30d"])
def test_pages_show_the_thumbnail_lazily_with_alt_text_and_a_placeholder(client, creator, url):
    client.login("c@example.com")
    resp = client.get(url)
    text = resp.get_data(as_text=True)
    tag = img_tag(text, creator["with"])
    assert 'loading="lazy"' in tag
    assert 'width="64" height="36"' in tag
    assert 'alt="Sunrise run &#34;5k&#34; &lt;b&gt;"' in tag
    assert f'src="/portal/thumbs/{creator["without"]}"' not in text
    assert 'class="thumb thumb-small thumb-none" aria-hidden="true"' in text
    assert "img-src 'self' data:" in resp.headers["Content-Security-Policy"]


def test_the_post_page_shows_the_large_thumbnail(client, creator):
    client.login("c@example.com")
    text = client.get(f"/portal/analytics/content/{creator['with']}").get_data(as_text=True)
    tag = img_tag(text, creator["with"])
    assert 'loading="lazy"' in tag
    assert 'width="320" height="180"' in tag
    assert "alt=" in tag
    page = client.get(f"/portal/analytics/content/{creator['without']}").get_data(as_text=True)
    assert "/portal/thumbs/" not in page
    assert "thumb-none" in page


def test_the_thumbnail_goes_with_its_post(client, creator):
    from app.models import ContentItem
    from app.models.history import ContentThumbnail

    db.session.delete(db.session.get(ContentItem, creator["with"]))
    db.session.commit()
    assert db.session.get(ContentThumbnail, creator["with"]) is None
