"""The scope classifier with the real embedding model and the committed weights.

The cases are written for these tests (not taken from any training or evaluation set): questions
about medicines, tests and lay complaints that have no word of the scope check's health list, and
everyday requests that have none either. Judged per table: the classifier keeps most of the first in
scope and redirects most of the second.
"""

from __future__ import annotations

import pytest

from careguide.guardrails import Guardrails, load_policy
from careguide.guardrails.policy import ScopeCheck
from careguide.guardrails.types import CheckContext

pytestmark = pytest.mark.integration

HEALTH_WITHOUT_A_LIST_WORD = [
    "how long does naproxen stay in your system",
    "is it ok to take amoxicillin with orange juice",
    "what does a high troponin number mean",
    "how do statins lower ldl",
    "can I crush carvedilol and mix it with applesauce",
    "how quickly does semaglutide kick in",
    "is it normal to bleed after a colonoscopy",
    "what is the difference between ibuprofen and acetaminophen",
    "why does my ankle click when I walk",
    "how often should adults get a tetanus booster",
]
EVERYDAY = [
    "what is the best way to learn spanish quickly",
    "recommend a good science fiction novel for a long flight",
    "how do I reset my router password",
    "what time does the football game start on sunday",
    "write a short poem about autumn leaves",
    "how many cups of flour go into a loaf of bread",
    "which laptop is better for programming",
    "what is the capital city of australia",
    "how can I improve my chess openings",
    "tips for painting a bedroom wall without streaks",
]


@pytest.fixture(scope="module")
def scope(embedder) -> ScopeCheck:
    guard = Guardrails(load_policy(), embedder=embedder)
    return next(c for c in guard.registry.checks if isinstance(c, ScopeCheck))


def test_every_case_lacks_a_health_word(scope):
    assert not [t for t in HEALTH_WITHOUT_A_LIST_WORD + EVERYDAY if scope.has_health_word(t)]


def test_health_questions_without_a_list_word_stay_in_scope(scope):
    kept = [t for t in HEALTH_WITHOUT_A_LIST_WORD if scope.check(t, CheckContext()).action == "allow"]
    assert len(kept) >= 8, sorted(set(HEALTH_WITHOUT_A_LIST_WORD) - set(kept))


def test_everyday_requests_are_still_redirected(scope):
    redirected = [t for t in EVERYDAY if scope.check(t, CheckContext()).category == "out_of_scope"]
    assert len(redirected) >= 9, sorted(set(EVERYDAY) - set(redirected))


def test_without_the_classifier_the_health_questions_are_redirected(embedder):
    policy = load_policy()
    policy = policy.model_copy(update={"checks": policy.checks.model_copy(update={"scope_model": False})})
    scope = next(
        c for c in Guardrails(policy, embedder=embedder).registry.checks if isinstance(c, ScopeCheck)
    )
    assert all(scope.check(t, CheckContext()).category == "out_of_scope" for t in HEALTH_WITHOUT_A_LIST_WORD)
