"""Readings of a message with common obfuscations undone, for the injection and harmful-request checks.

People hide instructions and requests from pattern checks with leetspeak ("1gn0r3 y0ur rul3s"),
letters spaced or dotted apart ("i g n o r e"), zero-width or look-alike characters, base64, hex,
percent-encoding and rot13. The checks read every reading; the message itself is never changed
(what is stored and answered stays the redacted original).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from urllib.parse import unquote

# Zero-width and formatting characters that split words without showing.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u180e]")
# Cyrillic and Greek letters that look like Latin ones (the common homoglyph swaps).
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁɡһӏոԛѵԝАВЕКМНОРСТХІЈЅαεορτυνκιΑΒΕΗΙΚΜΝΟΡΤΧΥΖ",
    "aeopcyxijsdghlnqvwABEKMHOPCTXIJSaeoptuvkiABEHIKMNOPTXYZ",
)
_LEET = str.maketrans("013457@$!", "oieastasi")
# A token that mixes letters with the digits and symbols leetspeak uses ("pr0mpt", "1gn0re", "$y$tem").
_LEET_TOKEN = re.compile(r"(?=[\w@$!]*[a-z])(?=[\w@$!]*[0-9@$!])[\w@$!]{3,}", re.IGNORECASE)
# Single letters separated by spaces, dots, dashes, underscores or stars: "i g n o r e", "k.i.l.l".
_SPACED = re.compile(r"\b(?:[a-z][\s._*\-/|]{1,3}){3,}[a-z]\b", re.IGNORECASE)
_SPACED_WORDS = re.compile(r"\s{2,}|\s*/\s*|\s*\|\s*")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"\b(?:[0-9a-f]{2}[\s:]?){8,}\b", re.IGNORECASE)
_PERCENT = re.compile(r"%[0-9a-f]{2}", re.IGNORECASE)
_ENCODING_HINT = re.compile(r"\b(?:rot-?13|caesar|decode|decipher|backwards|reversed?)\b", re.IGNORECASE)


def clean(text: str) -> str:
    """Unicode compatibility form, invisible characters removed, look-alike letters mapped to Latin."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_HOMOGLYPHS)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")


def unleet(text: str) -> str:
    undone = _LEET_TOKEN.sub(lambda m: m.group(0).translate(_LEET), text)
    if undone != text:
        # In a message already in leetspeak, a lone "4" or "1" between words is "a" or "I".
        undone = re.sub(r"(?<=[a-z] )([41])(?= [a-z])", lambda m: "a" if m.group(1) == "4" else "i", undone)
    return undone


def unspace(text: str, keep_first: bool = False) -> str:
    """Join letters written apart; two or more spaces (or a slash) between groups mark a word break.

    With ``keep_first`` a leading "I" or "a" stays a word of its own ("I f a k e d" is "I faked").
    """

    def join(match: re.Match[str]) -> str:
        run = match.group(0)
        head = ""
        if keep_first and run[0] in "IiAa" and run[1] == " ":
            head, run = run[0] + " ", run[2:]
        words = _SPACED_WORDS.split(run)
        return head + " ".join(re.sub(r"[\s._*\-/|]", "", w) for w in words if w)

    return _SPACED.sub(join, text)


def _printable(raw: bytes) -> str | None:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    letters = sum(ch.isalpha() or ch.isspace() for ch in decoded)
    return decoded if decoded and letters / len(decoded) >= 0.8 else None


def decoded_parts(text: str) -> list[str]:
    """Text hidden in base64, hex or percent-encoding, when it decodes to readable words."""
    found: list[str] = []
    for token in _BASE64.findall(text):
        if token.isalpha() and (token.islower() or token.isupper()):
            continue  # an ordinary long word, not base64
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if (part := _printable(raw)) is not None:
            found.append(part)
    for token in _HEX.findall(text):
        try:
            raw = bytes.fromhex(re.sub(r"[\s:]", "", token))
        except ValueError:
            continue
        if (part := _printable(raw)) is not None:
            found.append(part)
    if _PERCENT.search(text):
        found.append(unquote(text))
    return found


def readings(text: str) -> list[str]:
    """The message and every distinct de-obfuscated reading of it (the original first)."""
    cleaned = clean(text)
    candidates = [
        text,
        cleaned,
        unspace(cleaned),
        unspace(cleaned, keep_first=True),
        unleet(cleaned),
        unleet(unspace(cleaned)),
    ]
    for part in decoded_parts(cleaned):
        candidates.extend([part, unleet(unspace(clean(part)))])
    if _ENCODING_HINT.search(cleaned):
        # Only when the message talks about encodings: rot13 and reversal of ordinary text are noise.
        candidates.extend([codecs.decode(cleaned, "rot13"), cleaned[::-1]])
    return list(dict.fromkeys(c for c in candidates if c.strip()))
