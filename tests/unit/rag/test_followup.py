from __future__ import annotations

import pytest

from careguide.rag.followup import is_follow_up, resolve


@pytest.mark.parametrize(
    "message",
    [
        "what about for children?",
        "And for adults?",
        "is it contagious?",
        "How is it treated?",
        "What causes them?",
        "how about during pregnancy?",
    ],
)
def test_follow_ups_are_recognised(message):
    assert is_follow_up(message)


@pytest.mark.parametrize(
    "message",
    [
        "What are the symptoms of acromegaly?",
        "How is asthma treated in children?",
        "Is Holmes-Adie syndrome inherited?",
        "What is the outlook for people with Parkinson's disease and dementia?",
    ],
)
def test_standalone_questions_are_searched_as_they_are(message):
    assert not is_follow_up(message)
    query = resolve(message, ["What are the symptoms of acromegaly?"])
    assert query.search == message and not query.rewritten


def test_follow_up_borrows_the_last_standalone_topic():
    history = ["What are the symptoms of glaucoma?", "How is asthma treated?"]
    query = resolve("what about for children?", history)
    assert query.rewritten and query.context == "How is asthma treated?"
    assert query.search == "How is asthma treated? what about for children?"


def test_a_chain_of_follow_ups_keeps_the_original_topic():
    history = ["How is asthma treated?", "what about for children?"]
    assert resolve("and for adults?", history).context == "How is asthma treated?"


def test_no_history_means_no_rewrite():
    query = resolve("is it contagious?", [])
    assert query.search == "is it contagious?" and not query.rewritten
