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

The general harm head's training (``--family harm``) is in ``careguide.eval.harm_train``.

AskDocs (GPL-3.0), Do-Not-Answer (CC BY-NC-SA), ToxicChat (CC BY-NC), StrongREJECT and MedicationQA
(no licence stated) are never trained on: their tuning parts choose thresholds, their report parts
are reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from careguide.eval import safety_data as sd
from careguide.eval.safety_data import AVEY, meqsum_questions
from careguide.eval.safety_data import exemplar_bank as _bank


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


RISK_LABELS = ("Ideation", "Behavior", "Attempt")


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
    return fit_budgeted(
        embedder,
        build(data_dir, benign_questions, bank),
        list(budget_negatives(family, data_dir).values()),
        c,
        budget,
        sources=SOURCES[family],
        budget_text=f"at most {budget:.1%} of {BUDGETS[family]} reach the threshold",
    )


def fit_budgeted(
    embedder: Any,
    data: dict[str, list[str]],
    budget_groups: list[list[str]],
    c: float,
    budget: float,
    sources: str,
    budget_text: str,
) -> dict[str, Any]:
    """A logistic regression on ``data['positive']`` vs ``data['negative']`` and the lowest threshold
    at which at most ``budget`` of each group of (never trained on) negatives reaches it: the weights
    file's record."""
    texts = data["positive"] + data["negative"]
    labels = np.array([1] * len(data["positive"]) + [0] * len(data["negative"]))
    weights, bias = fit(np.asarray(embedder.embed(texts)), labels, c)
    threshold = 0.0
    for group in budget_groups:
        negatives = np.asarray(embedder.embed(group))
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
            "sources": sources,
            "threshold_budget": budget_text,
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
        "--outside-budget", type=float, default=0.01, help="harm: the budget without a health word."
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.family == "harm":
        from careguide.eval.harm_train import main_harm

        main_harm(args, argv)
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


if __name__ == "__main__":
    main()
