"""The emergency layers that read a message piece by piece, on the real embedding model, the shipped
red-flag concepts and the shipped emergency classifier.

The messages are written for these tests (not the concepts' own descriptions, not dataset text):
a caregiver, a relative describing someone else, the writer themselves, and clinical style.
"""

from __future__ import annotations

import pytest

from careguide.guardrails import Guardrails, load_policy
from careguide.guardrails.red_flags import ConceptCheck, SentenceClassifierCheck, piece_layers
from careguide.guardrails.settings import GuardrailsPolicy
from careguide.guardrails.types import Check, CheckContext

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def layers(embedder) -> dict[str, Check]:
    return {check.name: check for _, check in piece_layers(load_policy(), embedder)}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a relative
        ("Hi, my husband (62) is sitting at the table and his speech is all slurred and garbled.", "stroke"),
        (
            "My grandson swallowed a handful of my blood pressure tablets about an hour ago.",
            "overdose_poisoning",
        ),
        ("She ate a cashew at the party and now her lips and tongue are puffing up.", "anaphylaxis"),
        # the writer
        (
            "I have asthma. It has been getting steadily worse all evening and my blue inhaler is doing "
            "nothing, I can hardly speak.",
            "breathing",
        ),
        # clinical style
        ("A 70 year old woman presents with sudden onset right sided weakness of the arm and leg.", "stroke"),
        (
            "58 year old man with central chest tightness for 40 minutes, diaphoretic and short of breath.",
            "cardiac",
        ),
    ],
)
def test_red_flags_in_clauses_escalate_with_the_reason(layers, text, category):
    decision = layers["emergency_concepts"].check(text, CheckContext())
    assert decision.action == "escalate", decision.reasons
    assert decision.category == f"emergency.{category}"
    assert "911" in decision.message or "Poison Control" in decision.message


@pytest.mark.parametrize(
    "text",
    [
        "I've had a cold for a few days with a blocked nose. How long does it usually last?",
        "My son fell off his bike and scraped his knee. How should I clean it?",
        "Is it normal to feel tired after a flu shot?",
        "What is the difference between a heart attack and angina?",
        "I get heartburn after spicy food, what can I take for it?",
        "My mum has had a mild headache since this morning, she has not slept well.",
        "My daughter had a fever last week but it is gone now and she is playing normally.",
        "I sometimes get a stiff neck after sleeping on a bad pillow.",
        "I had a runny nose and a scratchy throat for three days. No fever. No cough.",
    ],
)
def test_everyday_questions_are_left_to_the_answer(layers, text):
    for name in ("emergency_sentences", "emergency_concepts"):
        assert layers[name].check(text, CheckContext()).action == "allow", (name, text)


def test_a_long_post_with_one_alarming_part_is_read_sentence_by_sentence(layers):
    check = layers["emergency_sentences"]
    assert isinstance(check, SentenceClassifierCheck)
    calm = (
        "My father is 74 and has had high blood pressure for years. He takes his tablets every morning "
        "and walks the dog twice a day. Last month the GP changed one of his medicines. "
        "We went to the garden centre on Sunday and he seemed fine."
    )
    alarming = (
        f"{calm} Twenty minutes ago he suddenly could not lift his right arm and the right side of his "
        "face is drooping."
    )
    calm_p, _ = check.best(calm)
    alarming_p, window = check.best(alarming)
    assert alarming_p > calm_p
    assert "drooping" in window or "right arm" in window


def test_in_the_whole_guard_the_layer_decides_and_says_why(embedder):
    guard = Guardrails(load_policy(), embedder=embedder)
    text = "A 70 year old woman presents with sudden onset right sided weakness of the arm and leg."
    decision = guard.check_input(text)
    assert decision.action == "escalate" and decision.decided_by == "emergency_concepts"
    assert decision.message.startswith("Sudden weakness or numbness on one side of the body can be a stroke")
    assert "911" in decision.message
    assert any(r.startswith("emergency_concepts: one sided weakness") for r in decision.reasons)


def test_switched_off_the_layers_are_not_in_the_registry(embedder):
    policy = load_policy()
    checks = policy.checks.model_copy(update={"emergency_sentences": False, "emergency_concepts": False})
    off = Guardrails(GuardrailsPolicy(**{**policy.model_dump(), "checks": checks}), embedder=embedder)
    names = {c.name for c in off.registry.checks}
    assert not names & {"emergency_sentences", "emergency_concepts"}
    assert {"emergency_model", "triage"} <= names


def test_one_embedding_call_per_message_for_both_layers(layers, embedder, monkeypatch):
    concepts = layers["emergency_concepts"]
    assert isinstance(concepts, ConceptCheck)
    _ = concepts.flags.vectors
    sentences = layers["emergency_sentences"]
    assert isinstance(sentences, SentenceClassifierCheck)
    _ = sentences.bank.vectors
    calls: list[int] = []
    inner = embedder.embed

    def counting(texts):
        calls.append(len(texts))
        return inner(texts)

    monkeypatch.setattr(embedder, "embed", counting)
    text = "My son has had a fever since Tuesday. His neck is stiff. He is very sleepy."
    for name in ("emergency_sentences", "emergency_concepts"):
        layers[name].check(text, CheckContext())
    assert len(calls) == 1
