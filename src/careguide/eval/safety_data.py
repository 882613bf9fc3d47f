"""Public safety sets written by other people, each split into a tuning part and a report part.

The split is seeded and fixed (``SPLIT_SEED`` and ``in_report_part`` below are the committed
rule): an item is in the report part when the hash of its key falls in the top 70%. Thresholds and
exemplars are tuned on the tuning part only; figures are reported on the report part. None of these
files is shipped: they are read by path from ``data_dir``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

SPLIT_SEED = 13
REPORT_SHARE = 70  # percent of each set kept for reporting
Part = Literal["tune", "report", "all"]

LICENCES = {
    "medical_safety_riskgraded": "Abercrombie & Rieser, AACL 2022, GPL-3.0 (evaluation only)",
    "cssrs_reddit_suicide_severity": "Gaur et al., WWW 2019, CC BY (evaluation only)",
    "do_not_answer": "Wang et al., 2023, CC BY-NC-SA 4.0 (evaluation only)",
    "harmbench_text_behaviors": "Mazeika et al., ICML 2024, MIT",
    "strongreject": "Souly et al., 2024, no licence stated (evaluation only)",
    "toxicchat_human_annotated": "Lin et al., 2023, CC BY-NC 4.0 (evaluation only)",
    "xstest": "Röttger et al., NAACL 2024, prompts CC BY 4.0",
    "medicationqa": "Ben Abacha et al., MEDINFO 2019, no licence stated (evaluation only)",
}


@dataclass(frozen=True)
class Item:
    """One message with its label: ``source`` names the set, ``label`` its own category."""

    source: str
    key: str
    text: str
    label: str


def in_report_part(source: str, key: str, seed: int = SPLIT_SEED) -> bool:
    digest = hashlib.sha256(f"{seed}:{source}:{key}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < REPORT_SHARE


def select(items: list[Item], part: Part) -> list[Item]:
    if part == "all":
        return items
    return [i for i in items if in_report_part(i.source, i.key) == (part == "report")]


def _need(path: Path, name: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"{name} was not found at {path}; put it under <data_dir>/{name} (see ../shared/data/README.md)."
        )
    return path


RISK_LABELS = {"0": "not_medical", "1": "non_serious", "2": "serious", "3": "critical"}


def riskgraded(data_dir: Path, part: Part = "report") -> list[Item]:
    """r/AskDocs questions graded by clinicians (serious and critical should be escalated)."""
    name = "medical_safety_riskgraded"
    path = _need(data_dir / name / "medicheck-expert.csv", name)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    items = [
        Item(name, str(i), row["query"].strip(), RISK_LABELS[row["query-label-expert"].strip()])
        for i, row in enumerate(rows)
        if row["query-label-expert"].strip() in RISK_LABELS and row["query"].strip()
    ]
    return select(items, part)


_POST_SPLIT = re.compile(r"""['"]\s*,\s*['"]""")


def cssrs_users(data_dir: Path, part: Part = "report", posts_per_user: int = 5) -> list[tuple[Item, ...]]:
    """Reddit users' posts on the C-SSRS scale; one tuple of posts per user (label is per user)."""
    name = "cssrs_reddit_suicide_severity"
    path = _need(data_dir / name / "500_Reddit_users_posts_labels.csv", name)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    users = []
    for row in rows:
        key = row["User"]
        if (part != "all") and in_report_part(name, key) != (part == "report"):
            continue
        raw = row["Post"].strip()[1:-1]
        posts = [p.strip(" '\"") for p in _POST_SPLIT.split(raw) if p.strip(" '\"")]
        users.append(
            tuple(
                Item(name, f"{key}/{n}", p[:1500], row["Label"]) for n, p in enumerate(posts[:posts_per_user])
            )
        )
    return users


def harmful_requests(data_dir: Path, part: Part = "report") -> list[Item]:
    """Requests that should not be answered, labelled by their set's own category."""
    items: list[Item] = []
    name = "harmbench_text_behaviors"
    with _need(data_dir / name / "harmbench_behaviors_text_all.csv", name).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["FunctionalCategory"] == "copyright" or row["ContextString"].strip():
                continue
            items.append(Item(name, row["BehaviorID"], row["Behavior"], row["SemanticCategory"]))
    name = "strongreject"
    with _need(data_dir / name / "strongreject_dataset.csv", name).open(encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            items.append(Item(name, str(i), row["forbidden_prompt"], row["category"]))
    name = "do_not_answer"
    with _need(data_dir / name / "do_not_answer_en.csv", name).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            items.append(Item(name, row["id"], row["question"], row["types_of_harm"]))
    return select(items, part)


def safe_prompts(data_dir: Path, part: Part = "report", toxicchat_limit: int = 600) -> list[Item]:
    """Prompts that should be answered (or politely redirected), never refused for safety."""
    items: list[Item] = []
    name = "xstest"
    with _need(data_dir / name / "xstest_prompts.csv", name).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["label"] == "safe":
                items.append(Item(name, row["id"], row["prompt"], row["type"]))
    name = "toxicchat_human_annotated"
    path = _need(data_dir / name / "toxic_chat_test.json", name)
    instances = json.loads(path.read_text(encoding="utf-8"))["instances"]
    clean = [
        r
        for r in instances
        if r["annotations"]["toxicity"]["majority_human"] == "0"
        and r["annotations"]["jailbreaking"]["majority_human"] == "0"
        and len(r["instance"]) <= 1500
    ]
    clean.sort(key=lambda r: hashlib.sha256(f"{SPLIT_SEED}:{r['id']}".encode()).hexdigest())
    items.extend(Item(name, r["id"], r["instance"], "non_toxic") for r in clean[:toxicchat_limit])
    items.extend(medication_questions(data_dir, "all"))
    return select(items, part)


def medication_questions(data_dir: Path, part: Part = "report") -> list[Item]:
    """MedicationQA's consumer questions about medicines (safe: never to be refused)."""
    name = "medicationqa"
    items: list[Item] = []
    with _need(data_dir / name / "MedInfo2019-QA-Medications.csv", name).open(encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if row["Question"].strip():
                items.append(Item(name, str(i), row["Question"].strip(), "medication_question"))
    return select(items, part)


def toxicchat_toxic(data_dir: Path, part: Part = "report") -> list[Item]:
    name = "toxicchat_human_annotated"
    path = _need(data_dir / name / "toxic_chat_test.json", name)
    instances = json.loads(path.read_text(encoding="utf-8"))["instances"]
    items = [
        Item(name, r["id"], r["instance"][:1500], "toxic")
        for r in instances
        if r["annotations"]["toxicity"]["majority_human"] == "1"
    ]
    return select(items, part)


AVEY = "avey_vignettes_minus_semigran"
MEQSUM = "meqsum_minus_liveqa_test"


def meqsum_questions(data_dir: Path) -> list[str]:
    """Consumer health questions sent to the NLM (CC BY 4.0): benign health wording."""
    path = _need(data_dir / MEQSUM / "meqsum_filtered.jsonl", MEQSUM)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        " ".join(str(r["chq"]).replace("SUBJECT:", "").replace("MESSAGE:", "").split())[:1000] for r in rows
    ]


def exemplar_bank(bank: Path) -> dict[str, Any]:
    """careguide's exemplar bank (guardrails/data/exemplars.yaml) as written."""
    data: dict[str, Any] = yaml.safe_load(bank.read_text(encoding="utf-8"))
    return data
