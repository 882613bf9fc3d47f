"""Checks of the values a caller hands the review store: one sentence per problem."""

from __future__ import annotations

from careguide.review.types import ReviewError

MAX_ROW_ID = 2**63 - 1
"""The largest id a database integer column holds (SQLite and PostgreSQL bigint)."""


def text_field(name: str, value: str, limit: int | None = None) -> str:
    value = value.strip()
    if not value:
        raise ReviewError(f"The {name} is empty; give a {name}.")
    if limit is not None and len(value) > limit:
        raise ReviewError(f"The {name} is longer than {limit} characters; shorten it.")
    return value


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ReviewError(f"Unknown {name} '{value}'; use one of: {', '.join(allowed)}.")
    return value
