"""The emergency layers that read a message piece by piece: sentence and clause splitting, the
red-flag combination rule (with a fake embedder: one axis per key word), the per-sentence
classifier rule, and their switches in the policy. The concept file itself is tested in
test_red_flag_concepts.py; the real model is exercised in
tests/integration/guardrails/test_red_flags.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from careguide.guardrails.classifiers import LinearModel
from careguide.guardrails.red_flag_concepts import Combination, RedFlags
from careguide.guardrails.red_flags import (
    ConceptCheck,
    MessagePieces,
    SentenceClassifierCheck,
    clauses,
    piece_layers,
    sentences,
    windows,
)
from careguide.guardrails.semantic import ExemplarBank
from careguide.guardrails.settings import Checks, ConceptLayer, Semantic, load_policy
from careguide.guardrails.types import CheckContext
from tests.unit.guardrails.fakes import WordEmbedder, write_flags


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREGUIDE_CACHE_DIR", str(tmp_path))


# -- splitting ---------------------------------------------------------------------------------


def test_sentences_split_at_ends_and_line_breaks_but_not_titles_or_decimals():
    text = "Dr. Lee saw him at 9.30 today.He has 38.5 fever!  Is that bad?\nShe also feels sick"
    assert sentences(text) == [
        "Dr. Lee saw him at 9.30 today",
        "He has 38.5 fever",
        "Is that bad",
        "She also feels sick",
    ]


def test_windows_are_sentences_and_adjacent_pairs():
    assert windows(["a", "b", "c"]) == ["a", "b", "c", "a. b", "b. c"]
    assert windows(["only"]) == ["only"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # commas and joining words split; the whole comma-level segment is kept as well
        # how long it has lasted says nothing about which symptom
        ("fever since Monday, neck is stiff for 2 days", ["fever", "Monday", "neck is stiff"]),
        ("for the last half hour there is a heavy pressure in my chest", ["heavy pressure in my chest"]),
        ("she took the pills about an hour ago", ["took the pills"]),
        (
            "sudden and severe belly pain with vomiting",
            [
                "sudden and severe belly pain with vomiting",
                "sudden",
                "severe belly pain",
                "vomiting",
                # adjacent parts together: "and" may join the words of one symptom
                "sudden and severe belly pain",
                "severe belly pain and vomiting",
            ],
        ),
        # who and the linking verb go: the symptom alone is compared with the concepts
        ("My 4 year old son has been very sleepy", ["very sleepy"]),
        ("Tonight she is floppy", ["floppy"]),
        # clauses that say a symptom is absent are not read
        ("No rash, denies vomiting, fever but no stiff neck", ["fever"]),
        # a segment with an absent symptom is read only in its other parts
        ("She has a fever and is without a headache", ["fever"]),
    ],
)
def test_clauses(text, expected):
    assert clauses(text) == expected


def test_clauses_keep_each_distinct_piece_once():
    assert clauses("fever. fever, fever") == ["fever"]


# -- the red-flag combination rule -----------------------------------------------------------------


def concept_check(tmp_path: Path, together: float = 0.9, alone: float = 0.95) -> ConceptCheck:
    embedder = WordEmbedder()
    flags = RedFlags.load(write_flags(tmp_path), embedder)
    return ConceptCheck(flags, MessagePieces(embedder), together, alone, lambda c: f"{c.reason} CALL 911")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("My daughter has had a fever since yesterday. Her neck hurts when she bends it.", "meningitis"),
        ("he has a fever and collapsed", "meningitis"),  # either concept of a group will do
        ("my husband is bleeding from a cut", "bleeding"),  # a concept that is an emergency alone
        ("sudden belly pain in my son", "abdominal"),  # a qualified concept with its qualifier
        ("My wife has belly pain out of nowhere", "abdominal"),
    ],
)
def test_a_combination_escalates_with_its_reason(tmp_path, text, category):
    decision = concept_check(tmp_path).check(text, CheckContext())
    assert decision.action == "escalate", text
    assert decision.category == f"emergency.{category}"
    assert decision.checks == ("emergency_concepts",)
    assert decision.message.endswith("CALL 911") and decision.message != "CALL 911"


@pytest.mark.parametrize(
    "text",
    [
        "my son has a fever",  # one concept of a pair
        "my son has belly pain after dinner",  # a qualified concept without its qualifier
        "my son has belly pain but it is not severe",  # or with its qualifier denied
        "my son has a fever but no stiff neck",  # the absent symptom is not read
        "what causes a fever with a stiff neck?",  # a general question names no one
        "nice weather today",
    ],
)
def test_without_a_whole_combination_the_message_is_allowed(tmp_path, text):
    assert concept_check(tmp_path).check(text, CheckContext()).action == "allow", text


def test_together_and_alone_thresholds_are_separate(tmp_path):
    # "fever and neck" in one clause: the clause is 0.71 similar to each concept.
    text = "my son: fever neck"
    assert concept_check(tmp_path, together=0.7).check(text, CheckContext()).action == "escalate"
    assert concept_check(tmp_path, together=0.75).check(text, CheckContext()).action == "allow"
    lone = "my son: bleeding weather"  # 0.71 similar to the alone concept
    assert concept_check(tmp_path, alone=0.7).check(lone, CheckContext()).action == "escalate"
    assert concept_check(tmp_path, together=0.7, alone=0.75).check(lone, CheckContext()).action == "allow"


def test_every_combination_present_is_a_reason(tmp_path):
    decision = concept_check(tmp_path).check(
        "my dad has a fever, a stiff neck and is bleeding", CheckContext()
    )
    assert decision.category == "emergency.meningitis"  # the first in the file replies
    assert [r.split(" (")[0] for r in decision.reasons] == [
        "emergency_concepts: fever neck",
        "emergency_concepts: bleeding",
    ]


# -- the per-sentence classifier ---------------------------------------------------------------------


def sentence_check(embedder: WordEmbedder, threshold: float = 0.7) -> SentenceClassifierCheck:
    # The probability rises with "collapse" only.
    model = LinearModel(np.array([0, 0, 0, 0, 0, 6.0], dtype=np.float32), -3.0, "fake-words", {})
    bank = ExemplarBank(
        embedder, [("emergency", "unconscious_seizure"), ("benign", "")], ["collapse", "weather"]
    )
    return SentenceClassifierCheck(model, threshold, lambda c: f"WHY {c}", bank, MessagePieces(embedder))


def test_one_alarming_sentence_in_a_long_message_escalates():
    long = ". ".join(["My dad is 70 and we talk about the weather a lot"] * 8 + ["Today he had a collapse"])
    decision = sentence_check(WordEmbedder()).check(long, CheckContext())
    assert decision.action == "escalate" and decision.message == "WHY unconscious_seizure"
    assert decision.checks == ("emergency_sentences",)
    assert decision.reasons == (
        "emergency_sentences: emergency classifier p=0.95 on one part of the message "
        "(threshold 0.70; nearest: unconscious seizure)",
    )
    assert decision.category == "emergency.unconscious_seizure"


def test_questions_and_sentences_that_only_deny_a_symptom_are_not_read():
    embedder = WordEmbedder()
    check = sentence_check(embedder)
    assert check.pieces("My dad is well today. No collapse. Is that odd? He is 70 years old.").windows == [
        "My dad is well today",
        "He is 70 years old",
        "My dad is well today. He is 70 years old",
    ]


def test_a_one_sentence_message_is_left_to_the_whole_message_classifier():
    check = sentence_check(WordEmbedder())
    assert check.check("my dad had a collapse", CheckContext()).action == "allow"
    assert check.check("My dad is fine. The weather is nice.", CheckContext()).action == "allow"
    assert check.check("My dad had a collapse. What should I do?", CheckContext()).action == "allow"


def test_both_layers_embed_all_pieces_of_a_message_in_one_call(tmp_path):
    embedder = WordEmbedder()
    pieces = MessagePieces(embedder)
    flags = RedFlags.load(write_flags(tmp_path), embedder)
    _ = flags.vectors
    sentence = sentence_check(embedder)
    _ = sentence.bank.vectors
    sentence = SentenceClassifierCheck(sentence.model, 0.7, sentence.reply, sentence.bank, pieces)
    concepts = ConceptCheck(flags, pieces, 0.9, 0.95, lambda c: c.reason)
    before = len(embedder.calls)
    text = "My son has a fever, and a stiff neck. He had a collapse this morning."
    assert sentence.check(text, CheckContext()).action == "escalate"
    assert concepts.check(text, CheckContext()).action == "escalate"
    assert len(embedder.calls) == before + 1
    assert embedder.calls[-1] == len(set(pieces(text).windows) | set(pieces(text).clauses))


# -- the shipped file and the policy -----------------------------------------------------------------


def test_the_layers_are_on_by_default_and_switch_off_in_the_policy():
    assert Checks().emergency_sentences and Checks().emergency_concepts
    assert Semantic().emergency_concepts == ConceptLayer(together=0.65, alone=0.73)
    policy = load_policy()
    assert policy.checks.emergency_sentences and policy.checks.emergency_concepts
    assert policy.semantic.emergency_sentences.threshold == 0.75
    assert piece_layers(policy, None) == []  # no embedder: no semantic layer


def test_each_layer_is_built_only_when_switched_on():
    policy = load_policy()
    embedder = WordEmbedder()
    names = [check.name for _, check in piece_layers(policy, embedder)]
    assert names == ["emergency_sentences", "emergency_concepts"]
    for off, left in (
        ("emergency_sentences", ["emergency_concepts"]),
        ("emergency_concepts", ["emergency_sentences"]),
    ):
        checks = policy.checks.model_copy(update={off: False})
        layers = piece_layers(policy.model_copy(update={"checks": checks}), embedder)
        assert [check.name for _, check in layers] == left
    both_off = policy.checks.model_copy(update={"emergency_sentences": False, "emergency_concepts": False})
    assert piece_layers(policy.model_copy(update={"checks": both_off}), embedder) == []


def test_the_concept_reply_is_the_reason_and_the_emergency_message_or_the_poisoning_message():
    policy = load_policy()
    _, concepts = piece_layers(policy, WordEmbedder())[1]
    assert isinstance(concepts, ConceptCheck)
    meningitis = next(c for c in concepts.flags.combinations if c.category == "meningitis")
    assert concepts.reply(meningitis) == f"{meningitis.reason} {policy.message('emergency')}"
    poisoning = Combination("overdose", "overdose_poisoning", (("overdose",),), "", "poisoning")
    assert concepts.reply(poisoning) == policy.message("poisoning")
