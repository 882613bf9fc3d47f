"""The answer checks parse with the PHI redactor's spaCy pipeline when one is loaded (real Presidio)."""

from __future__ import annotations

import pytest

from careguide.guardrails import AllowList, PhiRedactor, PhiSettings, loaded_pipeline
from careguide.rag import roles

pytestmark = pytest.mark.integration


def test_the_parser_is_the_redactors_once_a_redactor_is_loaded() -> None:
    PhiRedactor(PhiSettings(entities=("PERSON",), placeholders={}), AllowList(frozenset()))
    roles._parser.cache_clear()
    roles.warm()
    assert roles._parser() is loaded_pipeline()
    # parsed without the redactor's entity recogniser, as with a pipeline of its own
    assert roles.moved_subject("Shingles causes the virus.", "The virus causes shingles.")
