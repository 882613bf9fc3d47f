"""Training-data helpers of the guardrails' classifiers: urgency grades, voices, thresholds."""

import numpy as np
import pytest

from careguide.eval.safety_train import (
    EMERGENCY_DIAGNOSES,
    UNCERTAIN_DIAGNOSES,
    Vignette,
    _grade,
    caregiver,
    first_person,
    threshold_for,
)


def vignette(text: str, age: str = "61 year", sex: str = "Male") -> Vignette:
    return Vignette("1", "Meningitis", "emergency", f"{age} old {sex}. Fever. {text}", age, sex)


@pytest.mark.parametrize(
    ("diagnosis", "grade"),
    [
        ("Meningitis", "emergency"),
        ("Ruptured  Ectopic Pregnancy", "emergency"),
        ("Pneumonia", "uncertain"),
        ("Tension Headache", "routine"),
        # The first name on each line of the lists (line breaks and indentation must not hide them).
        ("Myocardial Infarction", "emergency"),
        ("Testicular Torsion", "emergency"),
        ("Foreign Body Aspiration", "emergency"),
        ("Croup", "uncertain"),
        ("Threatened Abortion", "uncertain"),
    ],
)
def test_diagnoses_are_graded_by_urgency(diagnosis, grade):
    assert _grade(diagnosis) == grade


def test_every_listed_diagnosis_is_a_clean_name():
    for name in EMERGENCY_DIAGNOSES | UNCERTAIN_DIAGNOSES:
        assert name == " ".join(name.split()) and name == name.lower() and name, repr(name)
    assert not EMERGENCY_DIAGNOSES & UNCERTAIN_DIAGNOSES


def test_a_vignette_reads_in_the_first_person():
    text = first_person(
        vignette("He reports headache and his neck is stiff. He feels sick and she watches him.")
    )
    assert text.startswith("I'm a 61 year old man.")
    assert "I report headache and my neck is stiff" in text and "I feel sick" in text
    assert " he " not in f" {text.lower()} "


def test_a_vignette_reads_as_a_caregiver_by_age():
    assert caregiver(vignette("He is drowsy.")).startswith("My 61 year old father: He is drowsy.")
    assert caregiver(vignette("She is drowsy.", "3 year", "Female")).startswith("My 3 year old daughter:")
    assert caregiver(vignette("He is drowsy.", "8 month", "Male")).startswith("My 8 month old son:")


@pytest.mark.parametrize("budget", [0.0, 0.1, 0.25, 0.5])
def test_the_threshold_keeps_false_alarms_within_the_budget(budget):
    negatives = np.random.default_rng(0).random(200)
    threshold = threshold_for(negatives, budget)
    assert (negatives >= threshold).mean() <= budget
    # and it is the lowest such threshold: one step lower would exceed the budget
    assert (negatives >= np.sort(negatives)[::-1][int(budget * 200)]).mean() > budget


def test_vignettes_are_split_like_every_public_set_and_graded(tmp_path):
    import json

    from careguide.eval.safety_train import AVEY, vignettes

    folder = tmp_path / AVEY
    folder.mkdir()
    rows = [
        {
            "orig_index": i,
            "demographics": "7 year old Female",
            "chief_complaints": "Belly pain",
            "presentation": "She has pain.",
            "correct_diagnosis": ("Acute Appendicitis", "Tension Headache", "Pneumonia")[i % 3],
        }
        for i in range(90)
    ]
    (folder / "avey_vignettes_filtered.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    tune, report = vignettes(tmp_path, "tune"), vignettes(tmp_path, "report")
    assert len(tune) + len(report) == 90 and not {v.key for v in tune} & {v.key for v in report}
    assert {v.label for v in report} == {"emergency", "routine", "uncertain"}
    assert report[0].text.startswith("7 year old Female. Belly pain. She has pain.")
    assert report[0].age == "7 year" and report[0].sex == "Female"


def test_a_missing_vignette_set_names_the_folder(tmp_path):
    from careguide.eval.safety_train import vignettes

    with pytest.raises(FileNotFoundError, match="avey_vignettes_minus_semigran"):
        vignettes(tmp_path)
