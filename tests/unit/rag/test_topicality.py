"""What a question is about and whether a text is about it (careguide.rag.topicality)."""

from __future__ import annotations

from careguide.rag import topicality
from careguide.rag.words import content_words


def test_the_question_topic_leaves_out_the_asking_words() -> None:
    assert topicality.question_topic("what are the symptoms of shingles in my dad?") == content_words(
        "shingles"
    )
    assert topicality.question_topic("is klinefelter's inherited?") == content_words("klinefelter")


def test_asked_names_keep_names_and_drop_greetings() -> None:
    assert topicality.asked_names({"tetracycline", "please", "information", "dr"}) == {"tetracycline"}


def test_a_question_naming_the_passage_focus_is_on_topic() -> None:
    question = "what causes familial mediterranean fever"
    asked = topicality.question_topic(question)
    text = "This inherited condition causes recurrent fevers and painful inflammation."
    focus = "Familial Mediterranean fever"
    assert topicality.on_topic(asked, text, focus, content_words(question)) == 1.0


def test_a_passage_about_something_else_is_not_on_topic() -> None:
    asked = topicality.question_topic("is shingles contagious")
    assert topicality.on_topic(asked, "Asthma is a disease of the airways.", "Asthma", asked) == 0.0


def test_a_name_the_passage_never_mentions_rules_it_out() -> None:
    asked = topicality.question_topic("can tetracycline cause a rash")
    text = "A rash can be caused by many medicines."
    assert topicality.on_topic(asked, text, "Rashes", asked, frozenset({"tetracycline"})) == 0.0


def test_spelled_allows_another_ending_only_for_long_words() -> None:
    assert topicality.spelled("lymphocytice", {"lymphocytic"})
    assert not topicality.spelled("flux", {"flu"})


def test_another_numbered_kind_is_not_the_same_kind() -> None:
    asked = topicality.kinds("foods to avoid with type 2 diabetes")
    assert asked == {"type": {"2"}}
    assert not topicality.same_kind(asked, "Type 1 diabetes is an autoimmune disease.")
    assert topicality.same_kind(asked, "Type 2 diabetes is the most common kind.")
    assert topicality.same_kind(asked, "Diabetes affects how the body uses sugar.")
