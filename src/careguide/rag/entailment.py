"""Calibrating the question-entailment signal: a logistic regression over the features the answer
ranker computes for a candidate answer (embedding similarity of the two questions, of the message's
FAQ-style rewrite and the FAQ question, focus agreement and question-type agreement).

Two sources of labels: the retrieval candidates of consumer messages whose judged-good answers are
known (:func:`candidate_features`; the committed weights are fitted this way on the consumer set's
tuning part), and MEDIQA 2019's labelled RQE pairs (:func:`pair_features`), each a consumer question
(CHQ) and an FAQ question with a true/false label ("an answer to the FAQ answers the CHQ").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from careguide.ingest import Embedder
from careguide.rag.answers import ENTAILMENT_FEATURES, AnswerRanker, SignalRankings
from careguide.rag.understanding import QuestionAnalyzer, question_types

RQE_FILE = "MEDIQA_Task2_RQE/MEDIQA2019-Task2-RQE-TestSet-wLabels.xml"
FEATURES = ENTAILMENT_FEATURES


@dataclass(frozen=True)
class RqePair:
    pid: str
    chq: str
    faq: str
    entails: bool


def load_rqe_pairs(mediqa_dir: Path) -> list[RqePair]:
    path = mediqa_dir / RQE_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"The RQE pairs were not found at {path}; set data_dir to the folder holding mediqa2019/."
        )
    return [
        RqePair(
            pair.get("pid", ""),
            " ".join((pair.findtext("chq") or "").split()),
            " ".join((pair.findtext("faq") or "").split()),
            pair.get("value", "").lower() == "true",
        )
        for pair in ET.parse(path).getroot().iter("pair")
    ]


def pair_features(pairs: Sequence[RqePair], analyzer: QuestionAnalyzer, embedder: Embedder) -> np.ndarray:
    """One row of :data:`FEATURES` per pair, computed as the ranker computes them."""
    analyses = [analyzer.analyse(p.chq) for p in pairs]
    chq = np.asarray(embedder.embed([p.chq for p in pairs]), dtype=np.float32)
    faq = np.asarray(embedder.embed([p.faq for p in pairs]), dtype=np.float32)
    rows = []
    for i, (pair, analysis) in enumerate(zip(pairs, analyses, strict=True)):
        rewrite_sim = 0.0
        if analysis.rewrites:
            rv = np.asarray(embedder.embed(list(analysis.rewrites)), dtype=np.float32)
            rewrite_sim = float((rv @ faq[i]).max())
        faq_focus = analyzer.lexicon.find(pair.faq, limit=1)
        topics = {t: m.score for m in analysis.focus for t in m.topics}
        focus = max((topics.get(t, 0.0) for m in faq_focus for t in m.topics), default=0.0)
        qtype = 1.0 if question_types(pair.faq)[0] in analysis.types else 0.0
        rows.append([float(chq[i] @ faq[i]), rewrite_sim, focus, qtype])
    return np.asarray(rows, dtype=np.float64)


def candidate_features(
    ranker: AnswerRanker, found: Sequence[SignalRankings], golds: Sequence[Collection[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """One row of :data:`FEATURES` per entailment candidate of each message, and its label: is the
    candidate's answer (``answer_id``) among the message's good answers? Messages without any good
    answer give no rows (nothing to learn from them)."""
    rows: list[list[float]] = []
    labels: list[bool] = []
    for message, good in zip(found, golds, strict=True):
        if not good:
            continue
        for unit, candidate in sorted(message.candidates.items()):
            if candidate.features:
                rows.append([candidate.features.get(name, 0.0) for name in FEATURES])
                labels.append(ranker.questions.units[unit].key in good)
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES)), np.asarray(labels, dtype=bool)


def fit_entailment(features: np.ndarray, labels: Sequence[bool] | np.ndarray) -> tuple[list[float], float]:
    """Logistic-regression weights and bias for :data:`FEATURES` (deterministic: lbfgs, no sampling)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=10.0, max_iter=1000).fit(features, np.asarray(labels, dtype=int))
    return [round(float(c), 3) for c in model.coef_[0]], round(float(model.intercept_[0]), 3)
