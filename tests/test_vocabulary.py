"""One vocabulary: platform ids and display names are defined once, in ``app/models/platforms.py``.

Before, three modules kept their own ``PLATFORMS`` with different contents; the scan below fails when
any module of the product (the sandbox plays the platforms and shares nothing with it) defines one again.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.models.platforms import CONNECTABLE, PLATFORM_NAMES, PLATFORMS

APP = Path(__file__).resolve().parent.parent / "app"
VOCABULARY = APP / "models" / "platforms.py"
DEFINITION = re.compile(r"^\s*(PLATFORMS|PLATFORM_NAMES|CONNECTABLE)\b\s*(:[^=\n]+)?=[^=]", re.MULTILINE)


def test_the_platform_lists_are_defined_in_one_module():
    offenders = [
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if "sandbox" not in path.relative_to(APP).parts and path != VOCABULARY and DEFINITION.search(path.read_text())
    ]
    assert offenders == []
    assert DEFINITION.search(VOCABULARY.read_text())  # the scan does see a definition


def test_ids_names_and_connectable_agree():
    assert tuple(PLATFORM_NAMES) == PLATFORMS
    assert set(CONNECTABLE) <= set(PLATFORMS)
    assert PLATFORM_NAMES["youtube"] == "YouTube"
    assert PLATFORM_NAMES["tiktok"] == "TikTok"


def test_connection_cards_are_the_connectable_platforms_by_name(app, client, factory):
    from app.platforms.registry import CREDENTIAL_KEYS

    # every platform's app configured (a platform without credentials is hidden: tests/portal/test_x_pages.py)
    app.config.update({key: "configured" for keys in CREDENTIAL_KEYS.values() for key in keys})
    factory.client(email="c@example.com")
    client.login("c@example.com")
    text = client.get("/portal/settings/connections").get_data(as_text=True)
    for platform in CONNECTABLE:
        assert f'id="conn-{platform}"' in text
        assert f">{PLATFORM_NAMES[platform]}</h3>" in text
    for platform in set(PLATFORMS) - set(CONNECTABLE):
        assert f'id="conn-{platform}"' not in text
        assert client.get(f"/portal/settings/connections/{platform}/permissions").status_code == 404


def test_staff_sync_page_names_platforms_from_the_vocabulary(client, factory):
    factory.admin(email="admin@example.com")
    client.login("admin@example.com")
    text = client.get("/admin/sync").get_data(as_text=True)
    for platform in CONNECTABLE:
        assert f'<th scope="row">{PLATFORM_NAMES[platform]}</th><td data-testid="calls-{platform}">' in text
