"""Text from a browser or an API client, made safe to read before anything reads it.

JSON can carry what no keyboard types: lone surrogates (``"\\ud800"``), which cannot be encoded
and crash the tokenizer, control characters, and megabytes of whitespace around a short question.
:func:`clean_text` removes the first two and collapses the third, so the size limit measures the
text that is analysed and every later step (redaction, the audit log, the model) sees the same
text.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_LINE_EDGES = re.compile(r" ?\n ?")
_KEEP = {"\n", "\t"}
MAX_RAW_CHARS = 1_000_000
"""Beyond this a field is refused unread (see :func:`too_large`), whatever it holds."""


def _kept(ch: str) -> bool:
    if ch in _KEEP:
        return True
    category = unicodedata.category(ch)
    # Cc: control characters; Cs: lone surrogates; Co/Cn: private use and unassigned code points.
    # Format characters (Cf) stay: zero-width joiners are part of emoji and some scripts.
    return category not in ("Cc", "Cs", "Co", "Cn")


def clean_text(text: str) -> str:
    """NFC-normalised text without control characters or lone surrogates, runs of spaces collapsed
    to one, blank-line runs to one blank line, and no space at either end."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if _kept(ch))
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text)
    text = _LINE_EDGES.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def too_large(text: str) -> bool:
    """True for a field so large it is refused before it is even cleaned."""
    return len(text) > MAX_RAW_CHARS
