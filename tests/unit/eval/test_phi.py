"""The PHI eval's report: presidio_synth scores, MedQuAD false positives and the clinical part."""

from __future__ import annotations

from careguide.eval.phi import GoldSentence, phi_markdown, run_phi_eval
from careguide.eval.phi_clinical import ClinicalMessage, Element
from careguide.guardrails import Span


def detect(text: str) -> list[Span]:
    start = text.find("Ada")
    return [Span("PERSON", start, start + 3, 1.0)] if start >= 0 else []


def test_the_clinical_part_is_scored_and_rendered_beside_presidio_synth():
    sentences = [GoldSentence("I am Ada", (Span("PERSON", 5, 8, 1.0),))]
    phi = [ClinicalMessage("Ada Lund at UCSF", (Element("NAME", 0, 8), Element("FACILITY", 12, 16)), (), "t")]
    clean = [ClinicalMessage("Is Crohn's disease inherited?", (), ((3, 18),), "n")]
    report = run_phi_eval({"careguide": detect}, sentences, ["No PHI here."], (phi, clean, "report"))
    scores = report["detectors"]["careguide"]
    assert scores["overall"]["recall"] == 1.0
    assert scores["clinical"]["leak_by_kind"] == {
        "FACILITY": {"elements": 1, "leaked": 1, "rate": 1.0},
        "NAME": {"elements": 1, "leaked": 1, "rate": 1.0},  # "Lund" stays readable
    }
    assert scores["clinical"]["clean_changed"] == 0 and "ms_per_message" in scores["clinical"]
    markdown = phi_markdown(report)
    assert "Clinical-style messages (report part)" in markdown and "| … NAME (1) | 100.0% (1) |" in markdown


def test_without_the_clinical_part_the_report_has_none():
    report = run_phi_eval({"careguide": detect}, [], [])
    assert report["dataset"]["clinical_part"] is None and "Clinical" not in phi_markdown(report)
