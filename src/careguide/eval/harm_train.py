"""Training of the general harm head (``guardrails/data/harm_general.json``): the requests listed in
``datasets/harm_requests.yaml`` by set, path and part (a set that a report reads only by its tuning
part), the two logistic regressions (harm probability and category) and the two thresholds chosen
on the tuning parts of the safe sets. Run by ``python -m careguide.eval.safety_train --family harm``
or ``careguide train-harm-classifier --kind general``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from careguide.eval import safety_data as sd
from careguide.eval.safety_data import AVEY, MEQSUM, meqsum_questions
from careguide.eval.safety_data import exemplar_bank as _bank

HARM_REQUESTS = Path(__file__).parent / "datasets" / "harm_requests.yaml"
# Sets that a report reads: only their tuning part may be trained on.
REPORTED_SETS = frozenset(
    {
        "harmbench_text_behaviors",
        "xstest",
        "do_not_answer",
        "strongreject",
        "toxicchat_human_annotated",
        "medicationqa",
        "medical_safety_riskgraded",
        "cssrs_reddit_suicide_severity",
        AVEY,
    }
)

# Rows of a reported set that no report reads: HarmBench's contextual behaviours (the eval keeps
# only behaviours without a context passage, safety_data.harmful_requests).
UNREPORTED_ROWS = frozenset({("harmbench_text_behaviors", "contextual")})


@dataclass(frozen=True)
class Request:
    """One training text: where it came from and the harm category it teaches (None: harm only)."""

    source: str
    text: str
    category: str | None = None


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with sd._need(path, path.parent.name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _set_rows(data_dir: Path, entry: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(key, text, row) of one listed set, keyed as the split keys it (safety_data.in_report_part)."""
    name, path = entry["set"], data_dir / entry["path"]
    if name == "harmbench_text_behaviors":
        contextual = entry.get("rows") == "contextual"
        return [
            (row["BehaviorID"], row["Behavior"], row)
            for row in _csv_rows(path)
            if row["FunctionalCategory"] != "copyright" and bool(row["ContextString"].strip()) == contextual
        ]
    if name == "xstest":
        return [(row["id"], row["prompt"], row) for row in _csv_rows(path)]
    if name == "medsafetybench":
        files = sorted(sd._need(path, name).glob("med_safety_demonstrations_category_*.csv"))
        return [
            (f"{file.stem}/{i}", row["harmful_medical_request"], row)
            for file in files
            for i, row in enumerate(_csv_rows(file))
        ]
    if name == MEQSUM:
        return [(str(i), text, {}) for i, text in enumerate(meqsum_questions(data_dir))]
    if name == "cssrs_reddit_suicide_severity":
        # Keyed by user, as the split keys this set (one label per user).
        return [
            (post.key.split("/")[0], post.text, {"Label": post.label})
            for user in sd.cssrs_users(data_dir, "all", posts_per_user=5)
            for post in user
        ]
    if name == "presidio_synth":
        rows = json.loads(sd._need(path, name).read_text(encoding="utf-8"))
        return [(str(i), " ".join(str(row["full_text"]).split()), {}) for i, row in enumerate(rows)]
    raise ValueError(f"harm_requests.yaml: no reader for the set '{name}'")


def _listed(data_dir: Path, entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, the set's own label) of one entry, its part and filters applied."""
    name, part = entry["set"], entry["part"]
    if part not in ("tune", "all"):
        raise ValueError(f"harm_requests.yaml: part of '{name}' must be tune or all, not '{part}'")
    if name in REPORTED_SETS and part != "tune" and (name, entry.get("rows")) not in UNREPORTED_ROWS:
        raise ValueError(f"harm_requests.yaml: '{name}' is read by a report; train on its tuning part only")
    rows = _set_rows(data_dir, entry)
    where = entry.get("where", {})
    return [
        (text, row.get(entry.get("label", ""), ""))
        for key, text, row in rows
        if (part == "all" or not sd.in_report_part(name, key))
        and all(row.get(column) == value for column, value in where.items())
    ]


def harm_training(
    data_dir: Path, benign_questions: list[str], bank: Path, spec: Path = HARM_REQUESTS
) -> dict[str, list[Request]]:
    """The general harm head's training texts, as ``harm_requests.yaml`` lists them."""
    from careguide.guardrails import split_sentences

    listing = yaml.safe_load(spec.read_text(encoding="utf-8"))
    exemplars = _bank(bank)
    data: dict[str, list[Request]] = {"harmful": [], "benign": []}
    for side in ("harmful", "benign"):
        for entry in listing[side]:
            if "bank" in entry:
                section = exemplars[entry["bank"]]
                if side == "benign":
                    data[side].extend(Request("bank:benign", t) for t in section)
                    continue
                for group, texts in section.items():
                    category = _category(entry, group, f"bank {entry['bank']}")
                    if category != SKIP:
                        data[side].extend(Request(f"bank:{entry['bank']}", t, category) for t in texts)
            elif "generated" in entry:
                # Each request and, as the head reads them, its sentences.
                texts = generated_instructions(listing["generated"][entry["generated"]])
                parts = [p for t in texts for p in split_sentences(t) if p not in texts]
                data[side].extend(Request("generated", t) for t in dict.fromkeys([*texts, *parts]))
            elif entry["set"] == "medquad":
                data[side].extend(Request("medquad", t) for t in benign_questions)
            else:
                for text, label in _listed(data_dir, entry):
                    category = _category(entry, label, entry["set"]) if side == "harmful" else None
                    if category == SKIP:
                        continue
                    data[side].append(Request(entry["set"], text, category))
                    if entry.get("sentences"):  # the head also reads a message sentence by sentence
                        parts = split_sentences(text)
                        data[side].extend(Request(entry["set"], p, category) for p in parts if len(parts) > 1)
    return data


def generated_instructions(spec: dict[str, Any]) -> list[str]:
    """Benign instructions filled from the listing's frames (a seeded sample, no repeats)."""
    import random

    rng = random.Random(int(spec["seed"]))
    fills = {k: v for k, v in spec.items() if isinstance(v, list) and k != "frames"}
    slot = re.compile(r"\{(\w+)\}")
    texts: dict[str, None] = {}
    for _ in range(20 * int(spec["size"])):
        if len(texts) >= int(spec["size"]):
            break
        frame = rng.choice(spec["frames"])
        text = slot.sub(
            lambda m: str(rng.randint(3, 10)) if m.group(1) == "n" else str(rng.choice(fills[m.group(1)])),
            frame,
        )
        texts.setdefault(text)
    return list(texts)


SKIP = "skip"


def _category(entry: dict[str, Any], label: str, where: str) -> str | None:
    """The harm category an entry gives a label: its fixed category, the mapped one (None: harm
    only), or ``SKIP``; a label neither mapped nor skipped is an error in the listing."""
    from careguide.guardrails import HARM_CATEGORIES

    if "category" in entry:
        category: str | None = entry["category"]
    elif label in entry.get("skip", ()):
        return SKIP
    elif "categories" not in entry:
        return None
    elif label in entry["categories"]:
        category = entry["categories"][label]
    else:
        raise ValueError(f"harm_requests.yaml: {where} has the label '{label}', neither mapped nor skipped")
    if category is not None and category not in HARM_CATEGORIES:
        raise ValueError(f"harm_requests.yaml: {where} maps to '{category}', not a harm category")
    return category


def sentence_max(
    texts: list[str], embedder: Any, score: Any, limit: int = 12
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per text: the highest score over the text and its sentences, and the vector that scored it."""
    from careguide.guardrails import split_sentences

    pieces: list[list[str]] = []
    for text in texts:
        parts = split_sentences(text, limit)
        pieces.append([text, *parts] if len(parts) > 1 else [text])
    flat = [p for group in pieces for p in group]
    vectors = np.asarray(embedder.embed(flat), dtype=np.float32)
    scores = score(vectors)
    best, chosen, start = [], [], 0
    for group in pieces:
        i = start + int(np.argmax(scores[start : start + len(group)]))
        best.append(float(scores[i]))
        chosen.append(vectors[i])
        start += len(group)
    return np.asarray(best, dtype=np.float32), chosen


def train_harm(embedder: Any, data: dict[str, list[Request]], c: float) -> dict[str, Any]:
    """The harm head (harmful vs benign) and the category head (which harm) as one record."""
    from sklearn.linear_model import LogisticRegression

    from careguide.guardrails import HARM_CATEGORIES

    harmful, benign = data["harmful"], data["benign"]
    vectors = np.asarray(embedder.embed([r.text for r in harmful] + [r.text for r in benign]))
    labels = np.array([1] * len(harmful) + [0] * len(benign))
    head = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(vectors, labels)
    labelled = [i for i, r in enumerate(harmful) if r.category]
    classes = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(
        vectors[labelled], [harmful[i].category for i in labelled]
    )
    categories = [str(k) for k in classes.classes_]
    missing = sorted(set(HARM_CATEGORIES) - set(categories))
    if missing:
        raise ValueError(f"no training request for the harm categories {missing}")
    counts = {k: sum(harmful[i].category == k for i in labelled) for k in categories}
    return {
        "weights": [round(float(w), 6) for w in head.coef_[0]],
        "bias": round(float(head.intercept_[0]), 6),
        "categories": categories,
        "category_weights": [[round(float(w), 6) for w in row] for row in classes.coef_],
        "category_bias": [round(float(b), 6) for b in classes.intercept_],
        "embedding_model": embedder.name,
        "training": {
            "harmful": len(harmful),
            "benign": len(benign),
            "by_category": counts,
            "C": c,
            "sources": "src/careguide/eval/datasets/harm_requests.yaml",
        },
    }


def harm_thresholds(
    safe: dict[str, list[tuple[float, bool]]], budget: float, outside_budget: float, floor: float = 0.5
) -> dict[str, float]:
    """The harm head's two thresholds: the lowest at which at most ``budget`` (messages with a health
    word) or ``outside_budget`` (without) of all the safe sets' messages reach it, each set weighing
    the same. ``safe`` holds per set (probability, has a health word) for every message."""
    chosen = {}
    sets = [pairs for pairs in safe.values() if pairs]
    for key, in_scope, share in (("threshold", True, budget), ("outside_scope", False, outside_budget)):
        candidates = sorted({p for pairs in sets for p, health in pairs if health == in_scope}, reverse=True)
        # Start above every safe message, then lower the threshold while the budget holds.
        threshold = float(np.nextafter(np.float32(candidates[0]), np.float32(2.0))) if candidates else floor
        for value in candidates:
            if value < floor:
                threshold = floor
                break
            refused = np.mean(
                [sum(p >= value and h == in_scope for p, h in pairs) / len(pairs) for pairs in sets]
            )
            if refused > share:
                break
            threshold = value
        else:
            threshold = floor
        chosen[key] = max(threshold, floor)
    # Rounded up, never down: a rounded threshold refuses no message the chosen one allows.
    return {k: min(math.ceil(v * 1000) / 1000, 0.999) for k, v in chosen.items()}


def train_harm_head(
    embedder: Any,
    data_dir: Path,
    benign_questions: list[str],
    bank: Path,
    c: float,
    budget: float,
    outside_budget: float,
    about_health: Any,
) -> dict[str, Any]:
    """Fit the harm head and choose its thresholds on the tuning parts of the safe sets."""
    data = harm_training(data_dir, benign_questions, bank)
    record = train_harm(embedder, data, c)
    weights, bias = np.asarray(record["weights"], dtype=np.float32), float(record["bias"])

    def score(vectors: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-(vectors @ weights + bias))), dtype=np.float32)

    groups: dict[str, list[str]] = {}
    for item in sd.safe_prompts(data_dir, "tune"):
        groups.setdefault(item.source, []).append(item.text)
    safe = {
        name: list(
            zip(sentence_max(texts, embedder, score)[0].tolist(), map(about_health, texts), strict=True)
        )
        for name, texts in groups.items()
    }
    record.update(harm_thresholds(safe, budget, outside_budget))
    record["training"]["thresholds"] = (
        f"lowest at which at most {budget:.1%} (health words) / {outside_budget:.1%} (none) of "
        f"{', '.join(sorted(safe))} (tuning parts, each set weighing the same) reach it, the highest "
        "sentence counting"
    )
    record["training"]["split"] = (
        f"sha256('{sd.SPLIT_SEED}:<set>:<id>') % 100 >= {sd.REPORT_SHARE} is the tuning part"
    )
    return record


HARM_DEFAULTS = {"c": 1.0, "budget": 0.015, "outside_budget": 0.01}


def main_harm(args: Any, argv: list[str] | None) -> None:
    """The harm head: C 1, budgets 1.5% (health words) and 1% (none) unless given (the other
    families' defaults differ)."""
    import sys

    given = argv if argv is not None else sys.argv[1:]
    c = args.c if "--c" in given else HARM_DEFAULTS["c"]
    budget = args.budget if "--budget" in given else HARM_DEFAULTS["budget"]
    outside = args.outside_budget if "--outside-budget" in given else HARM_DEFAULTS["outside_budget"]
    from careguide.config import load_settings
    from careguide.guardrails import DEFAULT_BANK, GENERAL_HARM_WEIGHTS, open_guardrails
    from careguide.ingest import classifier_embedder

    config = load_settings()
    # The scope test the head meets at run time (health words, the knowledge base's words, the
    # scope classifier, short messages), so each budget is counted on the messages its threshold
    # will read.
    about_health = open_guardrails(config, audit=False).in_scope
    record = train_harm_head(
        classifier_embedder(config.embedding),
        config.data_dir,
        harm_benign_questions(config),
        DEFAULT_BANK,
        c,
        budget,
        outside,
        about_health,
    )
    target = args.output or GENERAL_HARM_WEIGHTS
    target.write_text(json.dumps(record) + "\n", encoding="utf-8")
    print(
        f"Wrote {target}: thresholds {record['threshold']} (health words) / {record['outside_scope']} "
        f"(none); put them in configs/guardrails.yaml (semantic.harm_general)."
    )


def harm_benign_questions(config: Any, size: int = 600) -> list[str]:
    """MedQuAD questions (template and consumer-style), a seeded sample, as harm_requests.yaml says."""
    import random

    from careguide.eval.devset import answered_pairs, sample_dev_set, with_variants

    pairs = sample_dev_set(answered_pairs(config.medquad_dir, config.knowledge_base.medquad_subsets), 1500, 7)
    families = with_variants(pairs, 7)
    questions = [q.question for name in ("template", "consumer") for q in families[name]]
    return random.Random(7).sample(questions, min(size, len(questions)))
