"""The entailment signal's refit: candidates labelled by judged-good answers, and the logistic fit."""

from __future__ import annotations

import numpy as np

from careguide.rag.answers import ENTAILMENT_FEATURES
from careguide.rag.entailment import candidate_features, fit_entailment
from tests.unit.rag.test_answers import ranker


def test_candidates_are_labelled_by_their_answer_being_judged_good():
    answers = ranker()
    found = answers.signal_rankings(
        ["Can a person with angelman syndrome pass it on to their children?", "pneumonia treatment"]
    )
    features, labels = candidate_features(answers, found, [{"A_2"}, set()])
    keys = [answers.questions.units[u].key for u, c in sorted(found[0].candidates.items()) if c.features]
    assert features.shape == (len(keys), len(ENTAILMENT_FEATURES))
    assert labels.tolist() == [key == "A_2" for key in keys]  # the second message has no gold: no rows
    first = found[0].candidates[answers.questions.unit_of_key["A_2"]].features
    assert features[keys.index("A_2")].tolist() == [first[name] for name in ENTAILMENT_FEATURES]


def test_the_fit_weights_the_features_that_separate_good_answers():
    rng = np.random.default_rng(0)
    n = 600
    features = np.column_stack(
        [rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.integers(0, 2, n), rng.integers(0, 2, n)]
    ).astype(float)
    # Good answers: similar questions and the same focus; the type and the rewrite say nothing.
    z = 8 * features[:, 0] + 3 * features[:, 2] - 7 + rng.normal(0, 0.5, n)
    labels = z > 0
    coef, bias = fit_entailment(features, labels)
    assert coef[0] > 4 and coef[2] > 1.5 and bias < -3
    assert abs(coef[1]) < 1 and abs(coef[3]) < 1
    assert fit_entailment(features, labels) == (coef, bias)  # deterministic
