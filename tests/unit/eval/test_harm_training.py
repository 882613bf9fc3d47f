"""The general harm head's training listing (harm_requests.yaml), its thresholds and its eval section."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from careguide.eval import harm_train as ht
from careguide.eval import safety_data as sd
from careguide.eval import safety_public as sp
from careguide.guardrails import DEFAULT_BANK, HARM_CATEGORIES, GuardDecision


def committed_listing() -> dict:
    return yaml.safe_load(ht.HARM_REQUESTS.read_text(encoding="utf-8"))


def test_a_set_that_a_report_reads_is_listed_with_its_tuning_part_only():
    for side in ("harmful", "benign"):
        for entry in committed_listing()[side]:
            if entry.get("set") in ht.REPORTED_SETS:
                rows = (entry["set"], entry.get("rows"))
                assert entry["part"] == "tune" or rows in ht.UNREPORTED_ROWS, entry


def test_no_set_under_a_non_commercial_or_unstated_licence_is_trained_on():
    listed = {e.get("set") for side in ("harmful", "benign") for e in committed_listing()[side]}
    assert not listed & {"do_not_answer", "strongreject", "toxicchat_human_annotated", "medicationqa"}
    assert not listed & {"medical_safety_riskgraded"}


def test_every_listed_category_is_a_harm_category_and_every_bank_group_is_mapped_or_skipped():
    bank = yaml.safe_load(DEFAULT_BANK.read_text(encoding="utf-8"))
    for entry in committed_listing()["harmful"]:
        mapped = {c for c in entry.get("categories", {}).values() if c is not None}
        assert mapped <= set(HARM_CATEGORIES), entry
        if "bank" in entry:
            groups = set(bank[entry["bank"]])
            assert groups == set(entry["categories"]) | set(entry.get("skip", ())), entry["bank"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Small stand-ins for the listed sets, written here (no dataset text)."""
    write_csv(
        tmp_path / "harmbench_text_behaviors" / "harmbench_behaviors_text_all.csv",
        ["Behavior", "FunctionalCategory", "SemanticCategory", "ContextString", "BehaviorID"],
        [[f"behaviour {i}", "standard", "cybercrime_intrusion", "", f"b{i}"] for i in range(60)]
        + [[f"with context {i}", "contextual", "illegal", "a passage", f"c{i}"] for i in range(10)]
        + [["copied lyrics", "copyright", "copyright", "", "cr"]],
    )
    write_csv(
        tmp_path / "xstest" / "xstest_prompts.csv",
        ["id", "prompt", "type", "label", "focus", "note"],
        [[str(i), f"unsafe prompt {i}", "contrast_privacy", "unsafe", "", ""] for i in range(40)]
        + [[str(100 + i), f"safe prompt {i}", "homonyms", "safe", "", ""] for i in range(40)],
    )
    write_csv(
        tmp_path / "cssrs_reddit_suicide_severity" / "500_Reddit_users_posts_labels.csv",
        ["User", "Post", "Label"],
        [
            [f"user-{i}", "['You are not alone in this. Talk to someone you trust today.']", "Supportive"]
            for i in range(30)
        ],
    )
    (tmp_path / "meqsum_minus_liveqa_test").mkdir()
    (tmp_path / "meqsum_minus_liveqa_test" / "meqsum_filtered.jsonl").write_text(
        "\n".join(json.dumps({"chq": f"SUBJECT: q MESSAGE: consumer question {i}"}) for i in range(5))
    )
    (tmp_path / "presidio_synth" / "data").mkdir(parents=True)
    (tmp_path / "presidio_synth" / "data" / "synth_dataset_v2.json").write_text(
        json.dumps([{"full_text": f"everyday sentence {i}"} for i in range(4)])
    )
    return tmp_path


def test_the_listing_reads_tuning_parts_and_maps_categories(data_dir):
    data = ht.harm_training(data_dir, ["what is asthma"], DEFAULT_BANK)
    harmful = [r for r in data["harmful"] if r.source == "harmbench_text_behaviors"]
    standard = [r.text for r in harmful if r.text.startswith("behaviour")]
    expected = [
        f"behaviour {i}" for i in range(60) if not sd.in_report_part("harmbench_text_behaviors", f"b{i}")
    ]
    assert standard == expected and 0 < len(standard) < 60
    # The contextual behaviours are read whole: no report reads them.
    assert [r.text for r in harmful if r.text.startswith("with context")] == [
        f"with context {i}" for i in range(10)
    ]
    assert {r.category for r in harmful if r.text.startswith("behaviour")} == {"cybercrime"}
    assert {r.category for r in harmful if r.text.startswith("with context")} == {None}
    assert "copied lyrics" not in {r.text for r in harmful}
    unsafe = [r for r in data["harmful"] if r.source == "xstest"]
    assert unsafe and {r.category for r in unsafe} == {"privacy"}
    assert all(not sd.in_report_part("xstest", r.text.rsplit(" ", 1)[1]) for r in unsafe)
    benign_sources = {r.source for r in data["benign"]}
    assert {"cssrs_reddit_suicide_severity", "presidio_synth", "medquad", "generated"} <= benign_sources
    # XSTest's safe prompts choose the thresholds: never trained on.
    assert "xstest" not in benign_sources


def test_the_bank_crisis_statements_are_skipped_and_requests_kept(data_dir):
    bank = yaml.safe_load(DEFAULT_BANK.read_text(encoding="utf-8"))
    data = ht.harm_training(data_dir, [], DEFAULT_BANK)
    crisis = {r.text: r.category for r in data["harmful"] if r.source == "bank:crisis"}
    assert not set(bank["crisis"]["suicidal_ideation"]) & set(crisis)
    assert {crisis[t] for t in bank["crisis"]["eating_disorder"]} == {"eating_disorder"}
    assert {crisis[t] for t in bank["crisis"]["suicidal_plan"]} == {"self_harm"}


def listing_with(tmp_path: Path, entry: dict) -> Path:
    spec = tmp_path / "listing.yaml"
    spec.write_text(yaml.safe_dump({"harmful": [entry], "benign": []}))
    return spec


def test_training_on_a_reported_sets_report_part_is_refused(data_dir, tmp_path):
    entry = {
        "set": "xstest",
        "path": "xstest/xstest_prompts.csv",
        "part": "all",
        "where": {"label": "unsafe"},
    }
    with pytest.raises(ValueError, match="read by a report"):
        ht.harm_training(data_dir, [], DEFAULT_BANK, listing_with(tmp_path, entry))


def test_a_label_neither_mapped_nor_skipped_is_an_error(data_dir, tmp_path):
    entry = {
        "set": "xstest",
        "path": "xstest/xstest_prompts.csv",
        "part": "tune",
        "where": {"label": "unsafe"},
        "label": "type",
        "categories": {"contrast_homonyms": None},
    }
    with pytest.raises(ValueError, match="contrast_privacy"):
        ht.harm_training(data_dir, [], DEFAULT_BANK, listing_with(tmp_path, entry))


def test_a_mapping_to_an_unknown_category_is_an_error(data_dir, tmp_path):
    entry = {"set": "xstest", "path": "xstest/xstest_prompts.csv", "part": "tune", "category": "astrology"}
    with pytest.raises(ValueError, match="astrology"):
        ht.harm_training(data_dir, [], DEFAULT_BANK, listing_with(tmp_path, entry))


@pytest.mark.parametrize("name", ["instructions", "safety_questions", "look_alikes"])
def test_generated_requests_are_seeded_and_filled(name):
    spec = committed_listing()["generated"][name]
    first, second = ht.generated_instructions(spec), ht.generated_instructions(spec)
    assert first == second and len(first) == spec["size"] == len(set(first))
    assert not [t for t in first if "{" in t or "}" in t]


def test_every_generated_group_is_listed_as_benign_and_none_is_harmful():
    listing = committed_listing()
    benign = {entry["generated"] for entry in listing["benign"] if "generated" in entry}
    assert benign == set(listing["generated"]) and "look_alikes" in benign
    assert not [entry for entry in listing["harmful"] if "generated" in entry]


def test_look_alikes_use_words_of_harm_on_harmless_things():
    # The group teaches that a violent verb, a crime's name or an atrocity in history is not a
    # request for harm: its requests must carry such words, or they teach nothing the others do not.
    spec = committed_listing()["generated"]["look_alikes"]
    texts = ht.generated_instructions(spec)
    harm_words = ("kill", "shoot", "blow", "poison", "steal", "genocide", "villain", "killer", "assassinate")
    assert sum(any(w in t.lower() for w in harm_words) for t in texts) >= len(texts) // 4


def test_thresholds_keep_each_safe_set_within_its_budget():
    # Per set: (probability, has a health word).
    safe = {
        "a": [(0.99, True), (0.95, True), (0.5, True)] + [(0.1, True)] * 97,
        "b": [(0.97, False), (0.9, False), (0.6, False)] + [(0.1, False)] * 97,
    }
    # A 1% budget, each set weighing the same: two of set a's hundred (2% and 0% -> 1%) are allowed,
    # a third is not; outside scope likewise two of set b's.
    chosen = ht.harm_thresholds(safe, budget=0.01, outside_budget=0.01)
    assert chosen == {"threshold": 0.95, "outside_scope": 0.9}
    strict = ht.harm_thresholds(safe, budget=0.0, outside_budget=0.0)
    assert strict == {"threshold": 0.991, "outside_scope": 0.971}


def test_the_thresholds_never_go_below_the_floor():
    safe = {"a": [(0.2, True), (0.3, False)]}
    assert ht.harm_thresholds(safe, 0.5, 0.5, floor=0.6) == {"threshold": 0.6, "outside_scope": 0.6}


class WordEmbedder:
    name = "words"

    def embed(self, texts):
        return np.asarray([[float(t.count("bad"))] for t in texts], dtype=np.float32)


def test_sentence_max_takes_the_highest_sentence():
    texts = ["all fine here. really fine now. but this is bad bad bad", "nothing to see"]
    best, chosen = ht.sentence_max(texts, WordEmbedder(), lambda v: v[:, 0])
    assert best.tolist() == [3.0, 0.0]
    assert chosen[0].tolist() == [3.0]


def test_every_eval_label_maps_to_a_harm_category():
    for labels in sp.HARM_CATEGORY_MAP.values():
        assert {c for c in labels.values() if c is not None} <= set(HARM_CATEGORIES)
    assert sp.mapped_category("strongreject", "Violence") == "violence"
    assert sp.mapped_category("harmbench_text_behaviors", "illegal") == sp.UNMAPPED
    with pytest.raises(KeyError, match="astrology"):
        sp.mapped_category("strongreject", "astrology")


def decision(action: str, category: str, check: str) -> GuardDecision:
    return GuardDecision(action=action, redacted="x", category=category, checks=(check,), decided_by=check)


def test_the_harm_breakdown_counts_outcomes_and_named_categories():
    item = lambda source, label: sd.Item(source, "k", "text", label)  # noqa: E731
    harm = [
        (item("strongreject", "Violence"), decision("refuse", "harmful_request.violence", "harm_general")),
        (item("strongreject", "Violence"), decision("refuse", "harmful_request.weapons", "harm_general")),
        (item("strongreject", "Sexual content"), decision("refuse", "out_of_scope", "scope")),
        (item("do_not_answer", "Adult Content"), decision("allow", "", "")),
        (
            item("toxicchat_human_annotated", "toxic"),
            decision("escalate", "self_harm.request", "harm_general"),
        ),
    ]
    safe = [
        (item("xstest", "homonyms"), decision("refuse", "harmful_request.weapons", "harm_general")),
        (item("medicationqa", "medication_question"), decision("allow", "", "")),
    ]
    section = sp.harm_breakdown(harm, safe)
    assert section["outcomes_by_set"]["strongreject"] == {
        "stopped": 2,
        "redirected": 1,
        "answered": 0,
        "total": 3,
    }
    assert section["stopped_by_category"]["violence"] == {"rate": 1.0, "hits": 2, "total": 2}
    assert section["reason_matches_category"] == {"rate": 0.5, "hits": 1, "total": 2}
    assert section["crisis_replies"]["hits"] == 1
    assert section["false_refusals"]["xstest"]["hits"] == 1
    assert section["decided_by"] == {"harm_general": 3}
    assert any("| strongreject | 2/3 | 1/3 | 0/3 |" in line for line in sp.harm_markdown(section))
