"""ReportLab's text map for characters beyond U+FFFF, corrected (emoji in a PDF copy and search as emoji).

ReportLab (5.1) draws an astral glyph from an embedded TrueType subset correctly, but writes its entry
in the subset's ``ToUnicode`` map as five hex digits (``<01> <1F680>``) where the PDF reference asks for
UTF-16BE (``<01> <D83DDE80>``, a surrogate pair), so a reader extracts "Ὠ" for "🚀". ``install``
replaces the map writer with one that writes UTF-16BE for every entry (the same four digits as before
for the Basic Multilingual Plane). Once per process, before the first render; the map is otherwise the
one ReportLab writes.
"""

from __future__ import annotations

_installed = False


def _utf16(code: int) -> str:
    return chr(code).encode("utf-16-be").hex().upper()


def to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ``makeToUnicodeCMap`` with UTF-16BE destinations."""
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{i:02X}> <{_utf16(v)}>" for i, v in enumerate(subset)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


def install() -> None:
    """Use ``to_unicode_cmap`` for every embedded TrueType subset (once per process)."""
    global _installed
    if _installed:
        return
    from reportlab.pdfbase import ttfonts

    ttfonts.makeToUnicodeCMap = to_unicode_cmap
    _installed = True
