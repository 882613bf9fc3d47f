"""`careguide train-harm-classifier`: retrain the harm classifiers' weights from the cited sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from careguide.cli.console import out, settings, user_errors
from careguide.config import ConfigError, Settings


def train_harm_classifier(
    threshold: Annotated[
        float,
        typer.Option(
            help="medical: refuse at or above this probability (general: not used; the head's two thresholds "
            "are chosen on the tuning parts of the safe sets)."
        ),
    ] = 0.5,
    output: Annotated[Path | None, typer.Option(help="Where to write the weights (JSON).")] = None,
    kind: Annotated[
        str,
        typer.Option(help="medical (unethical medical practice) or general (harmful requests of any topic)."),
    ] = "medical",
) -> None:
    """Retrain the unethical-request classifier (harmful: MedSafetyBench's GPT-4 requests; benign:
    MedQuAD questions and the tuning part of MedicationQA's), or (--kind general) the general harm head
    from the requests listed in src/careguide/eval/datasets/harm_requests.yaml (HarmBench and XSTest unsafe
    tuning parts, C-SSRS supportive posts, MeQSum, presidio_synth sentences, MedQuAD, generated
    benign instructions and the exemplar bank; `python -m careguide.eval.safety_train --family harm`
    does the same)."""
    from careguide.eval import answered_pairs, harm_training_data, sample_dev_set, with_variants
    from careguide.guardrails import MEDICAL_HARM_WEIGHTS, HarmClassifier, train_harm_weights
    from careguide.ingest import classifier_embedder

    with user_errors():
        if kind not in ("medical", "general"):
            raise ConfigError(f"--kind must be medical or general, not '{kind}'.")
        config = settings()
        if kind == "general":
            _train_general(config, output)
            return
        pairs = sample_dev_set(
            answered_pairs(config.medquad_dir, config.knowledge_base.medquad_subsets), 1500, 7
        )
        families = with_variants(pairs, 7)
        questions = [q.question for name in ("template", "consumer") for q in families[name]]
        data = harm_training_data(config.data_dir, questions)
        embedder = classifier_embedder(config.embedding)
        record = train_harm_weights(embedder, data["harmful"], data["benign"], threshold)
        target = output or MEDICAL_HARM_WEIGHTS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record) + "\n", encoding="utf-8")
        classifier = HarmClassifier.load(target, embedder, "")
        held_harm = float((classifier.probability(data["held_out_harmful"]) >= threshold).mean())
        held_benign = float((classifier.probability(data["held_out_benign"]) >= threshold).mean())
    out.print(
        f"Wrote {target}. Held out: MedSafetyBench (Llama-2 half) refused {held_harm:.1%}; "
        f"MedicationQA questions (report part) refused {held_benign:.1%}."
    )


def _train_general(config: Settings, output: Path | None) -> None:
    """The general harm head, as ``python -m careguide.eval.safety_train --family harm`` trains it."""
    from careguide.eval import HARM_DEFAULTS, harm_benign_questions, train_harm_head
    from careguide.guardrails import DEFAULT_BANK, GENERAL_HARM_WEIGHTS, open_guardrails
    from careguide.ingest import classifier_embedder

    # The scope test the head meets at run time (knowledge-base words, the scope classifier, short
    # messages).
    about_health = open_guardrails(config, audit=False).in_scope
    record = train_harm_head(
        classifier_embedder(config.embedding),
        config.data_dir,
        harm_benign_questions(config),
        DEFAULT_BANK,
        c=HARM_DEFAULTS["c"],
        budget=HARM_DEFAULTS["budget"],
        outside_budget=HARM_DEFAULTS["outside_budget"],
        about_health=about_health,
    )
    target = output or GENERAL_HARM_WEIGHTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out.print(
        f"Wrote {target}: thresholds {record['threshold']} (health words) / {record['outside_scope']} "
        "(none), chosen on the tuning parts; set them in configs/guardrails.yaml (semantic.harm_general)."
    )
