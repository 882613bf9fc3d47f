"""Where a long sentence is cut and when an enumeration becomes a list (the rewrite's cases, with
term replacement and verification, are in test_plain.py)."""

from __future__ import annotations

from careguide.rag.splitting import split_sentence


def test_a_semicolon_with_a_subject_on_each_side_makes_two_sentences():
    sentences, items = split_sentence(
        "The cast stays on for about six weeks; it is then removed at the clinic by a nurse."
    )
    assert sentences == [
        "The cast stays on for about six weeks.",
        "It is then removed at the clinic by a nurse.",
    ]
    assert not items


def test_an_enumeration_joined_by_semicolons_stays_one_sentence():
    text = "Rest the joint as much as you can; keep it raised on a pillow; and put ice on it twice a day."
    assert split_sentence(text) == ([text], [])


def test_an_explicit_enumeration_becomes_a_list_and_a_short_sentence_is_left_alone():
    sentences, items = split_sentence("Common triggers include dust, pollen, pet hair and cold air.")
    assert sentences == ["Common triggers include:"] and items == ["dust", "pollen", "pet hair", "cold air"]
    assert split_sentence("Rest helps a sprain heal.") == (["Rest helps a sprain heal."], [])
