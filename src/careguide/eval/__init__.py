"""Offline evaluation suites (retrieval first) with JSON and Markdown reports under reports/.

The names below are the package's face for the command line and the workspace. They are loaded on
first use, so that importing the package loads none of its modules: ``python -m
careguide.eval.safety_train`` runs a module that the suites import, which must not be loaded before
it runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from careguide.eval.answers import (
        answer_cases,
        answers_markdown,
        checker_agreement,
        consumer_cases,
        run_answer_eval,
    )
    from careguide.eval.comparison import Difference, compare_metrics
    from careguide.eval.consumer import consumer_refit_line
    from careguide.eval.devset import answered_pairs, sample_dev_set, with_variants
    from careguide.eval.harm_train import HARM_DEFAULTS, harm_benign_questions, train_harm_head
    from careguide.eval.harness import MODEL_SUITES, answering, medquad_answers, parse_suites, run_suites
    from careguide.eval.phi import load_presidio_synth, medquad_sentences, phi_markdown, run_phi_eval
    from careguide.eval.phi_clinical import clinical_sets
    from careguide.eval.rendering import DEFINITIONS, comparison_markdown
    from careguide.eval.reports import ResultsError, load_metrics, read_results, write_report, write_run
    from careguide.eval.retrieval import indexed_answer_ids, run_retrieval_eval, write_retrieval_report
    from careguide.eval.rewrite import rewrite_markdown, run_rewrite_eval
    from careguide.eval.safety import harm_training_data, run_safety_eval, safety_markdown
    from careguide.eval.safety_data import in_report_part, safe_prompts
    from careguide.eval.safety_public import (
        guard_without,
        layers_markdown,
        public_safety_markdown,
        run_public_safety_eval,
    )

# module -> the names it contributes to the face
_FACE: dict[str, tuple[str, ...]] = {
    "answers": ("answer_cases", "answers_markdown", "checker_agreement", "consumer_cases", "run_answer_eval"),
    "comparison": ("Difference", "compare_metrics"),
    "consumer": ("consumer_refit_line",),
    "devset": ("answered_pairs", "sample_dev_set", "with_variants"),
    "harness": ("MODEL_SUITES", "answering", "medquad_answers", "parse_suites", "run_suites"),
    "phi": ("load_presidio_synth", "medquad_sentences", "phi_markdown", "run_phi_eval"),
    "phi_clinical": ("clinical_sets",),
    "rendering": ("DEFINITIONS", "comparison_markdown"),
    "reports": ("ResultsError", "load_metrics", "read_results", "write_report", "write_run"),
    "retrieval": ("indexed_answer_ids", "run_retrieval_eval", "write_retrieval_report"),
    "rewrite": ("rewrite_markdown", "run_rewrite_eval"),
    "safety": ("harm_training_data", "run_safety_eval", "safety_markdown"),
    "safety_data": ("in_report_part", "safe_prompts"),
    "safety_public": ("guard_without", "layers_markdown", "public_safety_markdown", "run_public_safety_eval"),
    "harm_train": ("HARM_DEFAULTS", "harm_benign_questions", "train_harm_head"),
}


def __getattr__(name: str) -> Any:
    for module, names in _FACE.items():
        if name in names:
            return getattr(importlib.import_module(f"careguide.eval.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFINITIONS",
    "HARM_DEFAULTS",
    "MODEL_SUITES",
    "Difference",
    "ResultsError",
    "answer_cases",
    "answered_pairs",
    "answering",
    "answers_markdown",
    "checker_agreement",
    "clinical_sets",
    "compare_metrics",
    "comparison_markdown",
    "consumer_cases",
    "consumer_refit_line",
    "guard_without",
    "harm_benign_questions",
    "harm_training_data",
    "in_report_part",
    "indexed_answer_ids",
    "layers_markdown",
    "load_metrics",
    "load_presidio_synth",
    "medquad_answers",
    "medquad_sentences",
    "parse_suites",
    "phi_markdown",
    "public_safety_markdown",
    "read_results",
    "rewrite_markdown",
    "run_answer_eval",
    "run_phi_eval",
    "run_public_safety_eval",
    "run_retrieval_eval",
    "run_rewrite_eval",
    "run_safety_eval",
    "run_suites",
    "safe_prompts",
    "safety_markdown",
    "sample_dev_set",
    "train_harm_head",
    "with_variants",
    "write_report",
    "write_retrieval_report",
    "write_run",
]
