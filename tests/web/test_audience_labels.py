"""The audience's platform codes are shown as words (``app/web/audience_labels.py``)."""

from __future__ import annotations

from app.web.audience_labels import audience_group, audience_label


def test_youtube_codes_read_as_youtube_studio_names_them() -> None:
    assert audience_label("traffic_sources", "RELATED_VIDEO") == "Suggested videos"
    assert audience_label("traffic_sources", "YT_SEARCH") == "YouTube search"
    assert audience_label("traffic_sources", "NO_LINK_OTHER") == "Direct or unknown"
    assert audience_label("devices", "DESKTOP") == "Computer"
    assert audience_label("devices", "UNKNOWN_PLATFORM") == "Unknown"
    assert audience_label("content_types", "long_form") == "Long-form videos"
    assert audience_label("content_types_watch", "shorts") == "Shorts"
    assert audience_label("gender", "other") == "Other or not given"


def test_countries_are_named_in_the_readers_locale_and_unknown_codes_kept() -> None:
    assert audience_label("countries", "IN") == "India"
    assert audience_label("countries", "de") == "Germany"
    assert audience_label("countries", "DE", "fr_FR") == "Allemagne"
    assert audience_label("countries", "DE", "not-a-locale") == "Germany"
    assert audience_label("countries", "QQ") == "QQ"  # no such territory: the code, not a blank
    assert audience_label("countries", "<b>") == "<b>"  # escaped by the template like any text


def test_new_values_are_made_readable_not_dropped() -> None:
    assert audience_label("traffic_sources", "SOME_NEW_SOURCE") == "Some new source"
    assert audience_label("devices", "smart_fridge") == "Smart fridge"
    assert audience_label("age", "18-24") == "18-24"
    assert audience_label("cities", "São Paulo, BR") == "São Paulo, BR"
    assert audience_group("countries") == "Country"
    assert audience_group("mystery_group") == "Mystery group"
