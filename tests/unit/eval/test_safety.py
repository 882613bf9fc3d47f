"""The medical classifier's training data never holds a text that a report counts."""

import csv

from careguide.eval.safety import harm_training_data
from careguide.eval.safety_data import medication_questions


def _write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_medication_questions_are_trained_on_only_by_their_tuning_part(tmp_path):
    _write_csv(
        tmp_path / "medicationqa" / "MedInfo2019-QA-Medications.csv",
        ["Question"],
        [[f"how does medicine {i} work"] for i in range(300)] + [[" "]],
    )
    for subset in ("gpt4", "llama2"):
        _write_csv(
            tmp_path / "medsafetybench" / "train" / subset / "med_safety_demonstrations_category_1.csv",
            ["harmful_medical_request"],
            [[f"{subset} harmful request {i}"] for i in range(5)],
        )
    data = harm_training_data(tmp_path, ["what is asthma"])
    report = {item.text for item in medication_questions(tmp_path, "report")}
    tune = {item.text for item in medication_questions(tmp_path, "tune")}
    assert len(report) + len(tune) == 300
    assert set(data["benign"]) == tune | {"what is asthma"}
    assert set(data["held_out_benign"]) == report
    assert all(text.startswith("gpt4") for text in data["harmful"])
    assert all(text.startswith("llama2") for text in data["held_out_harmful"])
