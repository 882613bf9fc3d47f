"""The packaged drug-name vocabulary's generator."""

from __future__ import annotations

from careguide.eval.drug_names import drug_words
from careguide.guardrails.phi import packaged_drug_words


def test_drug_words_come_from_focus_names_minus_names_places_and_forms(tmp_path):
    drugs = tmp_path / "11_MPlusDrugs_QA"
    drugs.mkdir()
    (drugs / "a.xml").write_text(
        "<Document><Focus>Lamotrigine Extended-Release Tablets</Focus></Document>", encoding="utf-8"
    )
    (drugs / "b.xml").write_text(
        "<Document><Focus>Silver Sulfadiazine Cream</Focus><Focus>Warfarin</Focus></Document>",
        encoding="utf-8",
    )
    assert drug_words(tmp_path, {"warfarin"}) == ["lamotrigine", "sulfadiazine"]


def test_the_packaged_list_holds_drugs_and_no_everyday_surnames():
    words = packaged_drug_words()
    assert {"aspirin", "lamotrigine", "tamsulosin"} <= words
    assert "silver" not in words and all(w == w.lower() and len(w) >= 5 for w in words)
