"""The rewriting step alone on Cochrane-style paragraphs: grades, facts kept, rejected sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from careguide.eval.rewrite import (
    FOLDER,
    load_cochrane,
    rewrite_markdown,
    rewrite_paragraph,
    run_rewrite_eval,
)

SOURCE = (
    "Chronic kidney disease (CKD) was studied in 12 trials with 1554 participants, and they were "
    "followed for 2 years. Hypertension was common (odds ratio 1.8; 95% CI 1.2 to 2.6). "
    "The NSAIDs group had more nausea."
)
TARGET = "Kidney disease was studied in 12 trials. High blood pressure was common."


def cochrane(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    folder = tmp_path / FOLDER
    folder.mkdir()
    for index, kind in enumerate(("source", "target", "doi")):
        (folder / f"val.{kind}").write_text("\n".join(r[index] for r in rows) + "\n", encoding="utf-8")
    return tmp_path


def test_a_paragraph_is_rewritten_sentence_by_sentence_with_its_facts():
    done = rewrite_paragraph(SOURCE)
    assert done.sentences == 3 and done.changed == 3 and not done.rejected
    assert "Chronic kidney disease was studied in 12 trials with 1554 participants." in done.text
    assert "They were followed for 2 years." in done.text
    assert "High blood pressure (hypertension) was common (odds ratio 1.8; 95% CI 1.2 to 2.6)." in done.text
    assert "upset stomach (nausea)" in done.text


def test_the_report_counts_grades_facts_and_rejections(tmp_path: Path):
    data = cochrane(
        tmp_path, [(SOURCE, TARGET, "10.1/a"), ("Influenza spreads quickly.", "Flu spreads.", "10.1/b")]
    )
    report = run_rewrite_eval(data, "val")
    s = report["summary"]
    assert s["paragraphs"] == 2 and s["sentences"] == 4
    assert s["numbers_kept"] == 1.0 and s["numbers_added"] == 0 and s["names_kept"] == 1.0
    assert s["paragraphs_all_facts_kept"] == 1.0 and s["sentences_rejected"] == 0.0
    assert s["long_sentences_after"] < s["long_sentences_before"]
    assert s["fk_grade_target_median"] > 0
    assert "FK grade, median" in rewrite_markdown(report)


def test_a_rewrite_the_verifier_rejects_is_shown_as_written(monkeypatch: pytest.MonkeyPatch):
    import careguide.rag.plain as plain

    def adds_a_word(sentence: str, seen=None, keep=frozenset()):
        return [sentence.replace("common", "common with diabetes")], []

    monkeypatch.setattr(plain, "simplify", adds_a_word)
    done = rewrite_paragraph("Hypertension was common in the trials.")
    assert done.text == "Hypertension was common in the trials."
    assert done.changed == 0 and done.rejected == ("words added: diabet",)


def test_missing_data_and_unknown_parts_are_explained(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="Devaraj"):
        load_cochrane(tmp_path, "val")
    with pytest.raises(ValueError, match="val, test"):
        load_cochrane(tmp_path, "train")
