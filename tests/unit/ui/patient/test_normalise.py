"""Request text cleaning."""

from __future__ import annotations

from careguide.ui.patient.normalise import MAX_RAW_CHARS, clean_text, too_large


def test_clean_text_removes_what_no_keyboard_types_and_collapses_whitespace() -> None:
    assert clean_text("\ud800what\udfff is\x00 asthma\x1b?") == "what is asthma?"
    assert clean_text(" " * 100_000 + "hi\t\t there" + "\n" * 5_000) == "hi there"
    assert clean_text("a\r\n\r\n\r\n  b\n c") == "a\n\nb\nc"
    assert clean_text("cafe\u0301") == "café"  # NFC
    assert clean_text("👩\u200d⚕️ doctor") == "👩\u200d⚕️ doctor"  # joiners kept
    assert clean_text("") == "" and clean_text("\x00 \u2028") == ""
    assert too_large("a" * (MAX_RAW_CHARS + 1)) and not too_large("a" * 10)
