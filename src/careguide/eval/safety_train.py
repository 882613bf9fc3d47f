"""Training data for the guardrails' calibrated classifiers, from sets whose licence allows shipping
what is learnt from them, split like every other public set (``safety_data.in_report_part``).

- Emergency: Avey's clinical vignettes (MIT), labelled here by diagnosis: an emergency (go to an
  emergency department now), a routine condition, or left out when the urgency depends on details
  the vignette may not give. Each vignette is also read in the first person and as a caregiver
  ("My 61 year old father ...") so the classifier meets the voices patients write in. Benign
  health wording: MeQSum consumer questions (CC BY 4.0), MedQuAD questions (CC BY 4.0), careguide's
  own look-alike messages and exemplar bank.
- Crisis: C-SSRS Reddit posts (CC BY): ideation, behaviour and attempt against supportive and
  indicator posts, plus careguide's own crisis and benign exemplars.

AskDocs (GPL-3.0), Do-Not-Answer (CC BY-NC-SA), ToxicChat (CC BY-NC), StrongREJECT and MedicationQA
(no licence stated) are never trained on: their tuning parts choose thresholds, their report parts
are reported.
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

AVEY = "avey_vignettes_minus_semigran"
MEQSUM = "meqsum_minus_liveqa_test"


def _names(text: str) -> frozenset[str]:
    """Diagnoses separated by semicolons, whitespace (line breaks, indentation) normalised."""
    return frozenset(" ".join(name.split()) for name in text.split(";") if name.strip())


# Needs an emergency department now (diagnosis as Avey spells it).
EMERGENCY_DIAGNOSES = _names(
    """abdominal aortic aneurysm; abruptio placenta; acute angle closure glaucoma; acute appendicitis;
    acute cholangitis; acute pancreatitis; acute renal failure; aortic dissection; asthma; brain abscess;
    cardiac tamponade; cerebral stroke; diabetic ketoacidosis; ectopic pregnancy; epiglottitis;
    foreign body aspiration; infantile meningitis; infective endocarditis; malaria; meningitis;
    myocardial infarction; myocarditis; peritonitis; pre-eclampsia; preterm labor;
    primary spontaneous pneumothorax; pulmonary embolism; rhabdomyolysis;
    ruptured abdominal aortic aneurysm; ruptured ectopic pregnancy; secondary spontaneous pneumothorax;
    testicular torsion; unstable angina; upper gastrointestinal bleeding"""
)
# Urgent or emergent depending on details (how breathless, how dehydrated): left out of training
# and of the vignette figures rather than guessed.
UNCERTAIN_DIAGNOSES = _names(
    """acute bacterial gastroenteritis; acute cholecystitis; acute prostatitis; adrenal insufficiency;
    bronchiolitis; cholera; chronic obstructive pulmonary disease; congestive heart failure; covid 19;
    croup; deep venous thrombosis; dengue fever; diverticulitis; food poisoning; heart failure;
    hyperemesis gravidarum; hypotension; liver abscess; molar pregnancy; nephrolithiasis;
    pelvic inflammatory disease; pericardial effusion; pericarditis; pneumonia; pyelonephritis;
    sheehan syndrome; shoulder dislocation; shoulder fracture; sickle cell anemia; spontaneous abortion;
    threatened abortion; typical pneumonia; variant angina; vertebral fracture"""
)


@dataclass(frozen=True)
class Vignette:
    key: str
    diagnosis: str
    label: str  # emergency, routine or uncertain
    text: str  # third person, as published
    age: str
    sex: str


def _grade(diagnosis: str) -> str:
    name = " ".join(diagnosis.lower().split())
    if name in EMERGENCY_DIAGNOSES:
        return "emergency"
    return "uncertain" if name in UNCERTAIN_DIAGNOSES else "routine"


def vignettes(data_dir: Path, part: sd.Part = "report") -> list[Vignette]:
    """Avey's clinical vignettes with careguide's urgency grade by diagnosis."""
    path = sd._need(data_dir / AVEY / "avey_vignettes_filtered.jsonl", AVEY)
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        key = str(row["orig_index"])
        if part != "all" and sd.in_report_part(AVEY, key) != (part == "report"):
            continue
        match = re.match(r"\s*(\d+)\s*(\w+)\s+old\s+(\w+)", row["demographics"], re.IGNORECASE)
        age, unit, sex = (match.group(1), match.group(2), match.group(3)) if match else ("", "", "")
        age = f"{age} {unit.rstrip('s')}" if age else ""
        text = f"{row['demographics']}. {row['chief_complaints']}. {row['presentation']}"
        items.append(
            Vignette(key, row["correct_diagnosis"], _grade(row["correct_diagnosis"]), text, age, sex)
        )
    return items


_FIRST_PERSON = [
    (r"\bhe's\b|\bshe's\b", "I'm"),
    (r"\bhe is\b|\bshe is\b", "I am"),
    (r"\bhe was\b|\bshe was\b", "I was"),
    (r"\bhe has\b|\bshe has\b", "I have"),
    (r"\bhe\b|\bshe\b", "I"),
    (r"\bhimself\b|\bherself\b", "myself"),
    (r"\bhis\b|\bhers\b", "my"),
    (r"\bhim\b", "me"),
    (r"\bher\b(?=\s+(?:to|and|at|in|up|down|out|off|for|with|$))", "me"),
    (r"\bher\b", "my"),
    (r"\bthe patient\b|\bpatient\b", "I"),
]


_NOT_VERBS = frozenset("was has is does always sometimes as this its thus us yes plus less".split())


def _drop_s(match: re.Match[str]) -> str:
    """ "I reports" -> "I report" after the pronoun swap (third-person verbs)."""
    word = match.group(1)
    if word.lower() in _NOT_VERBS:
        return match.group(0)
    if word.endswith("ies"):
        return f"I {word[:-3]}y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return f"I {word[:-2]}"
    return f"I {word[:-1]}"


def first_person(vignette: Vignette) -> str:
    """The vignette as the patient might write it ("I am a 61 year old man. I started ...")."""
    text = vignette.text.split(". ", 2)[-1]
    for pattern, repl in _FIRST_PERSON:
        text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    text = re.sub(r"\bI has\b", "I have", text)
    text = re.sub(r"\bI is\b", "I am", text)
    text = re.sub(r"\bI does(n't)?\b", r"I do\1", text)
    text = re.sub(r"\bI (\w+s)\b", _drop_s, text)
    who = {"male": "man", "female": "woman"}.get(vignette.sex.lower(), "person")
    return f"I'm a {vignette.age} old {who}. {text}" if vignette.age else text


def caregiver(vignette: Vignette) -> str:
    """The vignette as a relative might write it ("My 61 year old father ...")."""
    years = int(vignette.age.split()[0]) if vignette.age[:1].isdigit() else 40
    child = "year" not in vignette.age or years < 13
    male = vignette.sex.lower() == "male"
    if child:
        who = "son" if male else "daughter"
    elif years >= 55:
        who = "father" if male else "mother"
    else:
        who = "husband" if male else "wife"
    text = vignette.text.split(". ", 2)[-1]
    return f"My {vignette.age} old {who}: {text}" if vignette.age else f"My {who}: {text}"


def meqsum_questions(data_dir: Path) -> list[str]:
    """Consumer health questions sent to the NLM (CC BY 4.0): benign health wording."""
    path = sd._need(data_dir / MEQSUM / "meqsum_filtered.jsonl", MEQSUM)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        " ".join(str(r["chq"]).replace("SUBJECT:", "").replace("MESSAGE:", "").split())[:1000] for r in rows
    ]


RISK_LABELS = ("Ideation", "Behavior", "Attempt")


def _bank(bank: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(bank.read_text(encoding="utf-8"))
    return data


def emergency_training(data_dir: Path, benign_questions: list[str], bank: Path) -> dict[str, list[str]]:
    """Emergencies (Avey tuning-part emergencies in three voices, the bank, careguide's own set)
    against routine vignettes, consumer questions and look-alikes."""
    from careguide.eval.safety import triage_messages

    exemplars = _bank(bank)
    tune = [v for v in vignettes(data_dir, "tune") if v.label != "uncertain"]
    voices = {v.key: (v.text, first_person(v), caregiver(v)) for v in tune}
    triage = triage_messages()
    return {
        "positive": [t for v in tune if v.label == "emergency" for t in voices[v.key]]
        + [t for items in exemplars["emergency"].values() for t in items]
        + [m["text"] for m in triage if m["emergency"]],
        "negative": [t for v in tune if v.label == "routine" for t in voices[v.key]]
        + list(exemplars["benign"])
        + [m["text"] for m in triage if not m["emergency"]]
        + meqsum_questions(data_dir)
        + benign_questions,
    }


def crisis_training(data_dir: Path, benign_questions: list[str], bank: Path) -> dict[str, list[str]]:
    """Crisis language (C-SSRS tuning-part ideation, behaviour and attempt posts; the bank's crisis
    exemplars) against supportive posts and consumer questions. XSTest's safe prompts are not trained
    on: their tuning part counts the threshold's budget, which must be counted on unseen prompts."""
    exemplars = _bank(bank)
    users = sd.cssrs_users(data_dir, "tune", posts_per_user=5)
    return {
        "positive": [p.text for u in users for p in u if p.label in RISK_LABELS]
        + [t for items in exemplars["crisis"].values() for t in items],
        "negative": [p.text for u in users for p in u if p.label == "Supportive"]
        + list(exemplars["benign"])
        + meqsum_questions(data_dir)
        + benign_questions,
    }


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


def fit(vectors: np.ndarray, labels: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Logistic regression (L2, inverse strength ``c``): weights and bias."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(vectors, labels)
    return np.asarray(model.coef_[0], dtype=np.float32), float(model.intercept_[0])


def threshold_for(negative_probabilities: np.ndarray, budget: float) -> float:
    """The lowest threshold at which at most ``budget`` of the negatives reach it."""
    ranked = np.sort(np.asarray(negative_probabilities))[::-1]
    allowed = int(np.floor(budget * len(ranked)))
    if allowed >= len(ranked):
        return 0.0
    return float(np.nextafter(ranked[allowed], np.float32(1.0)))


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


SOURCES = {
    "emergency": "Avey vignettes tuning part (MIT; urgency graded by diagnosis in "
    "careguide.eval.safety_train), MeQSum questions (CC BY 4.0), MedQuAD questions (CC BY 4.0), "
    "careguide's exemplar bank and emergency set",
    "crisis": "C-SSRS Reddit posts tuning part (Gaur et al. 2019, CC BY), MeQSum and MedQuAD questions "
    "(CC BY 4.0), careguide's exemplar bank",
}
# Where the threshold's false-alarm budget is counted (tuning parts, never trained on).
BUDGETS = {
    "emergency": "AskDocs non-serious questions (tuning part)",
    "crisis": "each of XSTest safe, ToxicChat non-toxic, MedicationQA and AskDocs (tuning parts)",
}


def budget_negatives(family: str, data_dir: Path) -> dict[str, list[str]]:
    """The tuning-part messages the threshold may escalate at most ``budget`` of, set by set."""
    if family == "emergency":
        return {"askdocs": [i.text for i in sd.riskgraded(data_dir, "tune") if i.label == "non_serious"]}
    groups: dict[str, list[str]] = {"askdocs": [i.text for i in sd.riskgraded(data_dir, "tune")]}
    for item in sd.safe_prompts(data_dir, "tune"):
        groups.setdefault(item.source, []).append(item.text)
    return groups


def train_family(
    family: str,
    embedder: Any,
    data_dir: Path,
    benign_questions: list[str],
    bank: Path,
    c: float,
    budget: float,
) -> dict[str, Any]:
    """Fit a family's classifier and choose its threshold for ``budget`` false alarms."""
    build = emergency_training if family == "emergency" else crisis_training
    data = build(data_dir, benign_questions, bank)
    texts = data["positive"] + data["negative"]
    labels = np.array([1] * len(data["positive"]) + [0] * len(data["negative"]))
    weights, bias = fit(np.asarray(embedder.embed(texts)), labels, c)
    threshold = 0.0
    for texts in budget_negatives(family, data_dir).values():
        negatives = np.asarray(embedder.embed(texts))
        probabilities = 1.0 / (1.0 + np.exp(-(negatives @ weights + bias)))
        threshold = max(threshold, threshold_for(probabilities, budget))
    return {
        "weights": [round(float(w), 6) for w in weights],
        "bias": round(bias, 6),
        "embedding_model": embedder.name,
        "threshold": round(threshold, 4),
        "training": {
            "positive": len(data["positive"]),
            "negative": len(data["negative"]),
            "C": c,
            "sources": SOURCES[family],
            "threshold_budget": f"at most {budget:.1%} of {BUDGETS[family]} reach the threshold",
            "split": f"sha256('{sd.SPLIT_SEED}:<set>:<id>') % 100 >= {sd.REPORT_SHARE} is the tuning part",
        },
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m careguide.eval.safety_train --family emergency|crisis|harm``: retrain and write the
    weights (harm: the general harm head, guardrails/data/harm_general.json)."""
    import argparse
    import random

    from careguide.config import load_settings
    from careguide.eval.devset import answered_pairs, sample_dev_set, with_variants
    from careguide.guardrails import DEFAULT_BANK, MODEL_FILES
    from careguide.ingest import classifier_embedder

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--family", choices=[*sorted(MODEL_FILES), "harm"], required=True)
    parser.add_argument("--c", type=float, default=2.0, help="Inverse L2 strength of the regression.")
    parser.add_argument("--budget", type=float, default=0.05, help="False alarms allowed on the tuning part.")
    parser.add_argument(
        "--outside-budget", type=float, default=0.025, help="harm: the budget without a health word."
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.family == "harm":
        _main_harm(args, argv)
        return
    config = load_settings()
    pairs = sample_dev_set(answered_pairs(config.medquad_dir, config.knowledge_base.medquad_subsets), 1500, 7)
    families = with_variants(pairs, 7)
    questions = [q.question for name in ("template", "consumer") for q in families[name]]
    questions = random.Random(7).sample(questions, min(800, len(questions)))
    embedder = classifier_embedder(config.embedding)
    record = train_family(
        args.family, embedder, config.data_dir, questions, DEFAULT_BANK, args.c, args.budget
    )
    target = args.output or MODEL_FILES[args.family]
    target.write_text(json.dumps(record) + "\n", encoding="utf-8")
    print(f"Wrote {target}: threshold {record['threshold']} ({record['training']['threshold_budget']}).")


HARM_DEFAULTS = {"c": 4.0, "budget": 0.015}


def _main_harm(args: Any, argv: list[str] | None) -> None:
    """The harm head: C 4 and a 1.5% budget unless given (the other families' defaults differ)."""
    import sys

    given = argv if argv is not None else sys.argv[1:]
    c = args.c if "--c" in given else HARM_DEFAULTS["c"]
    budget = args.budget if "--budget" in given else HARM_DEFAULTS["budget"]
    from careguide.config import load_settings
    from careguide.guardrails import DEFAULT_BANK, GENERAL_HARM_WEIGHTS, Guardrails, load_policy
    from careguide.ingest import classifier_embedder

    config = load_settings()
    policy = load_policy(config.guardrails)
    checks = policy.checks.model_copy(update={"phi": False})
    about_health = Guardrails(policy.model_copy(update={"checks": checks})).about_health
    record = train_harm_head(
        classifier_embedder(config.embedding),
        config.data_dir,
        harm_benign_questions(config),
        DEFAULT_BANK,
        c,
        budget,
        args.outside_budget,
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


if __name__ == "__main__":
    main()
