import json

import pytest

from careguide.eval.answers import (
    alce_scores,
    answer_metrics,
    checker_agreement,
    percentile,
    reading_grade,
    summarise,
    unverified_numbers,
)

PASSAGES = [
    "Acromegaly causes large hands and feet. It is caused by too much growth hormone.",
    "Metformin comes in 500 mg and 850 mg tablets taken twice a day.",
]


def test_alce_counts_supported_statements_and_precise_citations():
    text = (
        "Acromegaly causes large hands and feet [1]. Metformin comes in 500 mg tablets [2]. "
        "It is caused by eating sugar [1]. Metformin comes in 1000 mg tablets [2][1]. "
        "Ask your doctor about your dose."
    )
    scores = alce_scores(text, PASSAGES)
    assert scores.statements == 4  # the referral is not a statement
    assert scores.supported == 2
    assert scores.citations == 5 and scores.precise == 2


def test_a_statement_without_citation_is_unsupported():
    assert alce_scores("Acromegaly causes large hands and feet.", PASSAGES).supported == 0


def test_unverified_numbers():
    assert unverified_numbers("Take 500 mg [1].", PASSAGES[1:]) == []
    assert unverified_numbers("Take 750 mg twice [1].", PASSAGES[1:]) == ["750 mg"]


def test_summary_and_metrics():
    def record(kind, abstained, grade=6.0, numbers=()):
        return {
            "kind": kind, "abstained": abstained, "gold_cited": kind == "medquad",
            "unverified_numbers": list(numbers), "grade": None if abstained else grade,
            "draft_scores": {"statements": 2, "supported": 1, "citations": 2, "precise": 1},
            "shown_scores": {"statements": 1, "supported": 1, "citations": 1, "precise": 1},
            "timings": {} if abstained else {"first_token_ms": 1000.0, "total_ms": 3000.0},
        }  # fmt: skip

    records = [record("medquad", False), record("medquad", True), record("unanswerable", True),
               record("dosing", False, numbers=["5 mg"]), record("medquad", False, grade=9.5)]  # fmt: skip
    summary = summarise(records)
    assert summary["medquad"]["fk_share_at_most_8"] == 0.5
    records.pop()
    summary = summarise(records)
    assert summary["medquad"]["answered"] == 0.5 and summary["medquad"]["gold_cited"] == 1.0
    assert summary["medquad"]["citation_recall_draft"] == 0.5
    assert summary["medquad"]["citation_precision_shown"] == 1.0
    assert summary["unanswerable"]["abstained"] == 1.0
    assert summary["dosing"]["no_unverified_numbers"] == 0.0
    assert summary["latency"]["first_token_ms_p50"] == 1000.0
    metrics = answer_metrics(summary)
    assert metrics["answers.dosing.no_unverified_numbers"] == 0.0
    assert metrics["answers.unanswerable.abstained"] == 1.0


def test_percentile():
    assert percentile([5, 1, 3], 50) == 3 and percentile([], 95) == 0.0


def test_reading_grade_ignores_citation_markers():
    assert reading_grade("The cat sat on the mat [1].") == reading_grade("The cat sat on the mat.")
    assert reading_grade("Hypercholesterolemia necessitates pharmacological intervention.") > 12


def test_checker_agreement_counts(tmp_path):
    rows = [
        {
            "question": "q1",
            "sentence": "Acromegaly causes large hands and feet.",
            "passages": PASSAGES[:1],
            "supported": True,
        },
        {
            "question": "q1",
            "sentence": "Acromegaly is caused by large hands.",
            "passages": PASSAGES[:1],
            "supported": False,
        },
        {
            "question": "q2",
            "sentence": "Metformin tablets are 500 mg.",
            "passages": PASSAGES[1:],
            "supported": True,
        },
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = checker_agreement(path)
    assert result["answers"] == 2 and result["sentences"] == 3
    # the lexical checker accepts cause and effect swapped: every word of it is in the passage
    assert result["agreement"] == pytest.approx(2 / 3)
    assert result["checker_precision"] == pytest.approx(2 / 3) and result["checker_recall"] == 1.0


def test_the_committed_fixture_is_hand_labelled_model_sentences():
    from careguide.eval.answers import LABELLED

    rows = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    assert len({r["question"] for r in rows}) >= 30
    assert all(
        isinstance(r["supported"], bool) and r["passages"] and r["sentence"] and r["model"] for r in rows
    )
    assert {r["supported"] for r in rows} == {True, False}  # agreement means nothing with one class
    assert 0.0 <= checker_agreement()["kappa"] <= 1.0


def test_the_labels_split_into_a_tuning_and_a_report_part():
    from careguide.eval.answers import LABELLED, labelled_part

    rows = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    parts = {labelled_part(r["question"]) for r in rows}
    assert parts == {"tune", "report"}
    report = checker_agreement(part="report")
    assert 0 < report["sentences"] < len(rows) and report["part"] == "report"


def test_lists_count_as_sentences_in_the_reading_grade():
    listed = "Signs include [1]:\n- joint aches\n- thick oily skin\n- large lips and nose"
    assert reading_grade(listed) < reading_grade(
        "Signs include joint aches thick oily skin large lips and nose"
    )


def test_hybrid_answers_are_first_shown_at_the_extract():
    from careguide.eval.answers import first_shown_ms

    record = {
        "mode": "hybrid",
        "timings": {"extract_ms": 80.0, "first_token_ms": 9000.0, "total_ms": 20000.0},
    }
    first_shown_ms(record)
    assert record["timings"]["first_shown_ms"] == 80.0
    model = {"mode": "model", "timings": {"first_token_ms": 9000.0, "total_ms": 20000.0}}
    first_shown_ms(model)
    assert model["timings"]["first_shown_ms"] == 20000.0


def test_the_configured_modes_answers_are_one_group_whichever_path_answered():
    from types import SimpleNamespace

    from careguide.eval.answers import Case, run_answer_eval

    def answered_by(mode: str) -> SimpleNamespace:
        answer = SimpleNamespace(
            answer="I don't know.", abstained=True, draft="", passages=(), citations=(), mode=mode,
            question="q", dropped_sentences=(), timings={"total_ms": 5.0},
        )  # fmt: skip
        allow = SimpleNamespace(action="allow", notice="")
        return SimpleNamespace(answer=answer, input=allow, output=None)

    paths = iter(["model", "extractive (model too slow)", "model"])
    cases = [Case("dosing", f"question {i}") for i in range(3)]
    report = run_answer_eval(cases, lambda question, **_: answered_by(next(paths)))
    assert list(report["modes"]) == [""] and report["summary"]["dosing"]["questions"] == 3
    assert [r["shown_by"] for r in report["records"]] == ["model", "extractive (model too slow)", "model"]
