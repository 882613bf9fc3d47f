"""The public safety sets' loaders and the committed tuning/report split."""

import csv

import pytest

from careguide.eval import safety_data as sd


def test_split_is_fixed_and_keeps_about_seventy_percent_for_reporting():
    keys = [str(i) for i in range(2000)]
    share = sum(sd.in_report_part("any_set", k) for k in keys) / len(keys)
    assert 0.66 < share < 0.74
    assert [sd.in_report_part("any_set", k) for k in keys[:50]] == [
        sd.in_report_part("any_set", k) for k in keys[:50]
    ]


def test_tune_and_report_parts_do_not_overlap(tmp_path):
    folder = tmp_path / "medical_safety_riskgraded"
    folder.mkdir()
    with (folder / "medicheck-expert.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["query", "query-label-expert"])
        for i in range(200):
            writer.writerow([f"question {i}", str(i % 4)])
    tune, report = sd.riskgraded(tmp_path, "tune"), sd.riskgraded(tmp_path, "report")
    assert len(tune) + len(report) == 200
    assert not {i.key for i in tune} & {i.key for i in report}
    assert {i.label for i in report} == {"not_medical", "non_serious", "serious", "critical"}


def test_cssrs_posts_are_split_per_user(tmp_path):
    folder = tmp_path / "cssrs_reddit_suicide_severity"
    folder.mkdir()
    with (folder / "500_Reddit_users_posts_labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["User", "Post", "Label"])
        for i in range(40):
            writer.writerow([f"user-{i}", "['first post', \"second, with a comma\", 'third']", "Ideation"])
    users = sd.cssrs_users(tmp_path, "all", posts_per_user=2)
    assert len(users) == 40
    assert [p.text for p in users[0]] == ["first post", "second, with a comma"]


def test_a_missing_set_names_where_it_belongs(tmp_path):
    with pytest.raises(FileNotFoundError, match="medical_safety_riskgraded"):
        sd.riskgraded(tmp_path)
