"""Calibrating the question-entailment signal on MEDIQA 2019's labelled RQE pairs.

Each pair is a consumer question (CHQ) and an FAQ question with a true/false label ("an answer to
the FAQ answers the CHQ"). The features are the ones the answer ranker computes for a candidate
answer: embedding similarity of the two questions, of the CHQ's FAQ-style rewrite and the FAQ,
focus agreement and question-type agreement. A logistic regression turns them into a probability.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from careguide.ingest import Embedder
from careguide.rag.understanding import QuestionAnalyzer, question_types

RQE_FILE = "MEDIQA_Task2_RQE/MEDIQA2019-Task2-RQE-TestSet-wLabels.xml"
FEATURES = ("question_sim", "rewrite_sim", "focus", "type")


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


def fit_entailment(features: np.ndarray, labels: Sequence[bool]) -> tuple[list[float], float]:
    """Logistic-regression weights and bias for :data:`FEATURES`."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=10.0, max_iter=1000).fit(features, np.asarray(labels, dtype=int))
    return [round(float(c), 3) for c in model.coef_[0]], round(float(model.intercept_[0]), 3)
