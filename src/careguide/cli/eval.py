"""`careguide eval ...` and `careguide train-harm-classifier`: the evaluator's commands."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from careguide.cli.console import RichObserver, State, err, fail, out, progress_bar, settings, user_errors
from careguide.config import ConfigError, Settings
from careguide.eval import medquad_answers

eval_app = typer.Typer(
    help="Offline evaluation suites; reports go under the reports_dir setting (default reports/).",
    no_args_is_help=True,
)


@eval_app.command("retrieval")
def eval_retrieval(
    size: Annotated[int, typer.Option(help="Questions sampled from MedQuAD (seeded).")] = 1000,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    output: Annotated[Path | None, typer.Option(help="Report folder (default: reports_dir).")] = None,
    collection: Annotated[str | None, typer.Option(help="Chroma collection.")] = None,
) -> None:
    """Recall@1/5/10, MRR@10 and nDCG@10 for dense, BM25 and hybrid on a MedQuAD dev set."""
    from careguide.eval import consumer_refit_line, run_retrieval_eval, write_retrieval_report
    from careguide.rag import open_retriever

    with user_errors():
        config = settings()
        retriever = open_retriever(config, collection)
        with progress_bar() as progress:
            report = run_retrieval_eval(config, retriever, size, seed, RichObserver(progress))
        json_path, md_path = write_retrieval_report(report, output or config.reports_dir)
    table = Table(title=f"Retrieval on {report['dev_set']['questions']} MedQuAD questions")
    for column in ("variant", "mode", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"):
        table.add_column(column)
    for row in report["rows"]:
        table.add_row(
            row["variant"],
            row["mode"],
            *(f"{row[m]:.3f}" for m in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")),
        )
    out.print(table)
    consumer = report.get("consumer")
    if consumer:
        mapped = consumer["set"]
        skipped = sum(mapped.get("not_indexed", {}).values())
        table = Table(
            title=f"Consumer questions (MEDIQA 2019, {mapped['questions']} mapped, "
            f"{skipped} not in this index and not scored)"
        )
        for column in (
            "part",
            "stage",
            "n",
            "recall@1",
            "recall@5",
            "recall@10",
            "mrr@10",
            "ndcg@10",
            "doc@10",
        ):
            table.add_column(column)
        for row in consumer["rows"]:
            metrics = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "document@10")
            table.add_row(
                row["part"], row["stage"], str(row["questions"]), *(f"{row[m]:.3f}" for m in metrics)
            )
        out.print(table)
        out.print(consumer_refit_line(consumer.get("entailment_refit")))
    out.print(f"Reports: {json_path} and {md_path}")


QUICK_SUBSETS = ("9_CDC_QA", "8_NHLBI_QA_XML")
QUICK_COLLECTION = "eval-quick"
QUICK_LIMITS = {"answers": 6, "readability": 3}


@eval_app.command("run")
def eval_run(
    suite: Annotated[
        str, typer.Option(help="Comma-separated suites: retrieval, answers, readability, phi, safety.")
    ] = "retrieval,answers,readability,phi,safety",
    limit: Annotated[int | None, typer.Option(help="Seeded sample size per suite (default: full).")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Profile to evaluate (e.g. configs/vllm.yaml).")
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            help="Seeded small slice: index two MedQuAD subsets into 'eval-quick'; 200 items per "
            "suite, 6 per answer question set, 3 readability questions."
        ),
    ] = False,
    collection: Annotated[str | None, typer.Option(help="Chroma collection to evaluate.")] = None,
    output: Annotated[
        Path | None, typer.Option(help="Parent folder of the report folder (default: reports_dir).")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Fail (exit 1) when a metric drops below this baseline beyond tolerance."),
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option(help="Store this run's metrics as a baseline.")
    ] = None,
) -> None:
    """Run evaluation suites and write reports/<timestamp>/ (results.json, summary.md, report.html)."""
    from careguide.eval import (
        MODEL_SUITES,
        compare_metrics,
        comparison_markdown,
        load_metrics,
        parse_suites,
        run_suites,
        write_run,
    )

    if config is not None:
        State.profile = config
    with user_errors():
        try:
            suites = parse_suites(suite)
        except ValueError as exc:
            raise fail(str(exc)) from None
        cfg = settings()
        limits: int | dict[str, int | None] | None = limit
        if quick:
            collection = collection or QUICK_COLLECTION
            limits = limit or {name: QUICK_LIMITS.get(name, 200) for name in suites}
            if {"retrieval", *MODEL_SUITES} & set(suites):
                _index_quick_slice(cfg, collection)
        with progress_bar() as progress:
            results = run_suites(
                cfg,
                suites,
                limits,
                collection,
                on_suite=lambda name: progress.console.print(f"Running the {name} suite ..."),
                observer=RichObserver(progress),
            )
        folder = write_run(results, output or cfg.reports_dir)
        out.print(f"Report: {folder}/report.html (results.json, summary.md)")
        if write_baseline is not None:
            write_baseline.parent.mkdir(parents=True, exist_ok=True)
            keep = ("created", "git_commit", "suites", "limit", "collection", "metrics")
            write_baseline.write_text(json.dumps({k: results[k] for k in keep}, indent=2) + "\n")
            out.print(f"Baseline written to {write_baseline}")
        if baseline is not None:
            differences = compare_metrics(load_metrics(baseline), results["metrics"])
            regressions = [d for d in differences if d.regression]
            print(comparison_markdown([d for d in differences if d.before is not None]))
            if regressions:
                raise fail(
                    f"{len(regressions)} metric(s) fell below the baseline {baseline}: "
                    + ", ".join(d.metric for d in regressions),
                    code=1,
                )
            out.print(f"No regression against {baseline}.")


def _index_quick_slice(config: Settings, collection: str) -> None:
    from careguide.ingest import Chunker, KnowledgeBase, load_embedder
    from careguide.ingest import ingest as run_ingest

    knowledge = KnowledgeBase.open(config, collection)
    embedder = load_embedder(config.embedding)
    chunker = Chunker(embedder.count_tokens, config.chunking.max_tokens, config.chunking.overlap_tokens)
    paths = [config.medquad_dir / subset for subset in QUICK_SUBSETS]
    for path in paths:
        if not path.is_dir():
            raise FileNotFoundError(
                f"MedQuAD subset {path} is missing; set data_dir (github.com/abachaa/MedQuAD)."
            )
    with progress_bar() as progress:
        run_ingest(paths, knowledge, embedder, chunker, observer=RichObserver(progress))


@eval_app.command("compare")
def eval_compare(
    before: Annotated[Path, typer.Argument(help="Report folder (or results/baseline JSON) to compare from.")],
    after: Annotated[Path, typer.Argument(help="Report folder (or results JSON) to compare to.")],
) -> None:
    """Metric-by-metric differences between two runs; exit 1 when a metric regressed beyond tolerance."""
    from careguide.eval import compare_metrics, comparison_markdown, load_metrics

    with user_errors():
        differences = compare_metrics(load_metrics(before), load_metrics(after))
    print(comparison_markdown(differences))
    regressions = [d.metric for d in differences if d.regression]
    if regressions:
        raise fail(f"{len(regressions)} regression(s): {', '.join(regressions)}", code=1)


@eval_app.command("answers")
def eval_answers(
    size: Annotated[int, typer.Option(help="Answerable MedQuAD questions (seeded sample).")] = 100,
    unanswerable: Annotated[int, typer.Option(help="Drug/herb questions not in the knowledge base.")] = 50,
    dosing: Annotated[int, typer.Option(help="MedicationQA dose questions.")] = 50,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    consumer: Annotated[
        int,
        typer.Option(help="Real consumer questions (MEDIQA 2019 mapped; 0 = none, -1 = all of the part)."),
    ] = -1,
    part: Annotated[str, typer.Option(help="Consumer set part: report, tune or all.")] = "report",
    modes: Annotated[
        str, typer.Option(help="Comma-separated answer modes compared in one run (model = today's path).")
    ] = "model,extractive,hybrid",
    collection: Annotated[str | None, typer.Option(help="Chroma collection.")] = None,
    output: Annotated[Path | None, typer.Option(help="Report folder (default: reports_dir).")] = None,
) -> None:
    """Citation recall/precision (ALCE, by the support checker), answered with a gold source cited,
    abstention, numbers not in the cited passages, reading grade and latency of the Assistant's
    answers, per answer mode; the checker's agreement with hand labels."""
    from careguide.eval import (
        answer_cases,
        answering,
        answers_markdown,
        checker_agreement,
        consumer_cases,
        indexed_answer_ids,
        run_answer_eval,
        write_report,
    )
    from careguide.models import ModelError
    from careguide.rag import MODES, LLMError, open_retriever

    with user_errors():
        config = settings()
        if collection:
            store = config.vector_store.model_copy(update={"collection": collection})
            config = config.model_copy(update={"vector_store": store})
        chosen = [m.strip() for m in modes.split(",") if m.strip()]
        unknown = [m for m in chosen if m not in MODES]
        if unknown or part not in ("report", "tune", "all"):
            raise fail(
                f"Unknown mode or part {unknown or part}; use modes from {', '.join(MODES)} "
                "and a part from report, tune, all."
            )
        indexed = indexed_answer_ids(open_retriever(config))
        cases = consumer_cases(config, part, None if consumer < 0 else consumer) if consumer else []
        cases += answer_cases(config, indexed, size, unanswerable, dosing, seed)
        try:
            with answering(config) as answer, progress_bar() as progress:
                task = progress.add_task("Answering", total=len(cases) * len(chosen))
                report = run_answer_eval(cases, answer, lambda: progress.advance(task), chosen)
        except (ModelError, LLMError) as exc:
            raise fail(str(exc)) from None
        report["checker_agreement"] = checker_agreement(part="report")
        report["config"] = {"llm": config.llm.model_dump(), "answer": config.answer.model_dump()}
        json_path, md_path = write_report(
            report, answers_markdown(report), output or config.reports_dir, "answers"
        )
    out.print(md_path.read_text(), highlight=False)
    out.print(f"Reports: {json_path} and {md_path}")


@eval_app.command("readability")
def eval_readability(
    part: Annotated[str, typer.Option(help="Cochrane simplification set part: val or test.")] = "val",
    limit: Annotated[int | None, typer.Option(help="Only the first paragraphs of the part.")] = None,
    output: Annotated[Path | None, typer.Option(help="Report folder (default: reports_dir).")] = None,
) -> None:
    """The plain-language rewriting step alone, on Cochrane review paragraphs (Devaraj et al. 2021):
    Flesch-Kincaid grade as written vs after the rewrite, numbers and names kept, sentences the
    verifier rejected. (`eval run --suite readability` grades the Assistant's answers instead.)"""
    from careguide.eval import rewrite_markdown, run_rewrite_eval, write_report

    with user_errors():
        if part not in ("val", "test"):
            raise fail(f"Unknown part {part!r}; use val or test.")
        config = settings()
        report = run_rewrite_eval(config.data_dir, part, limit)
        json_path, md_path = write_report(
            report, rewrite_markdown(report), output or config.reports_dir, "readability"
        )
    out.print(md_path.read_text(), highlight=False)
    out.print(f"Reports: {json_path} and {md_path}")


@eval_app.command("phi")
def eval_phi(
    limit: Annotated[int | None, typer.Option(help="Score only this many presidio_synth sentences.")] = None,
    clean: Annotated[int, typer.Option(help="PHI-free MedQuAD sentences for false positives.")] = 500,
    output: Annotated[Path | None, typer.Option(help="Report folder (default: reports_dir).")] = None,
    part: Annotated[
        str,
        typer.Option(
            help="Clinical-style dev set part: report (default), tune or none (eval/phi_clinical.py)."
        ),
    ] = "report",
) -> None:
    """PHI span precision/recall/F2 on presidio_synth (careguide vs Presidio's defaults), false
    positives on MedQuAD sentences, and PHI leaks on clinical-style messages."""
    from careguide.eval import (
        clinical_sets,
        load_presidio_synth,
        medquad_sentences,
        phi_markdown,
        run_phi_eval,
        write_report,
    )
    from careguide.guardrails import (
        PRESIDIO_DEFAULT_ENTITIES,
        AllowList,
        PhiRedactor,
        PhiSettings,
        Span,
        open_guardrails,
    )

    with user_errors():
        config = settings()
        sentences = load_presidio_synth(config.data_dir)[: limit or None]
        clean_sentences = medquad_sentences(medquad_answers(config), clean, seed=0)
        guard = open_guardrails(config, audit=False)
        default = PhiRedactor(
            PhiSettings(entities=PRESIDIO_DEFAULT_ENTITIES, placeholders={}, score_threshold=0.0),
            AllowList(frozenset()),
            custom=False,
        )
        assert guard.redactor is not None
        detectors: dict[str, Callable[[str], list[Span]]] = {
            "careguide": guard.redactor.find,
            "presidio default": default.find,
        }
        clinical = None
        if part != "none":
            presidio_path = config.data_dir / "presidio_synth" / "data" / "synth_dataset_v2.json"
            clinical = (*clinical_sets(presidio_path, config.medquad_dir, part), part)
        with err.status("Scoring PHI detectors ..."):
            report = run_phi_eval(detectors, sentences, clean_sentences, clinical)
        json_path, md_path = write_report(report, phi_markdown(report), output or config.reports_dir, "phi")
    out.print(md_path.read_text())
    out.print(f"Reports: {json_path} and {md_path}")


@eval_app.command("safety")
def eval_safety(
    limit: Annotated[int | None, typer.Option(help="Sample at most this many prompts per dataset.")] = None,
    output: Annotated[Path | None, typer.Option(help="Report folder (default: reports_dir).")] = None,
    part: Annotated[
        str,
        typer.Option(help="Part of the public sets: report (default), tune or all; see eval/safety_data.py."),
    ] = "report",
    compare: Annotated[
        str,
        typer.Option(
            help="Comma-separated input layers (e.g. emergency_sentences,emergency_concepts): also run the "
            "public sets with these layers off, in the same run, and show off vs on."
        ),
    ] = "",
) -> None:
    """Refusals on MedSafetyBench, over-refusal on XSTest, emergency recall, planted injections, and
    the public sets written by others (AskDocs urgency, C-SSRS, harmful requests, safe prompts)."""

    from careguide.eval import (
        guard_without,
        layers_markdown,
        public_safety_markdown,
        run_public_safety_eval,
        run_safety_eval,
        safety_markdown,
        write_report,
    )
    from careguide.guardrails import open_guardrails

    with user_errors():
        config = settings()
        answers = medquad_answers(config)
        passages = random.Random(0).sample(answers, min(200, len(answers)))
        guard = open_guardrails(config, audit=False)
        with err.status("Running the safety suites ..."):
            report = run_safety_eval(guard, config.data_dir, passages, limit)
            if part not in ("report", "tune", "all"):
                raise ConfigError(f"--part must be report, tune or all, not '{part}'.")
            names = [n.strip() for n in compare.split(",") if n.strip()]
            try:
                without = guard_without(guard, names) if names else None
            except ValueError as exc:
                raise ConfigError(f"--compare: {exc}") from None
            if without is not None:
                report["public_without"] = run_public_safety_eval(
                    without.check_input,
                    config.data_dir,
                    part,  # type: ignore[arg-type]
                    limit,
                )
                report["compared_layers"] = names
            report["public"] = run_public_safety_eval(
                guard.check_input,
                config.data_dir,
                part,  # type: ignore[arg-type]
                limit,
            )
        markdown = safety_markdown(report) + "\n".join(public_safety_markdown(report["public"]))
        if names:
            markdown += "\n" + "\n".join(layers_markdown(report["public_without"], report["public"], names))
        json_path, md_path = write_report(report, markdown, output or config.reports_dir, "safety")
    out.print(md_path.read_text())
    out.print(f"Reports: {json_path} and {md_path}")


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
    MedQuAD questions and half of MedicationQA's), or (--kind general) the general harm head from the
    requests listed in src/careguide/eval/datasets/harm_requests.yaml (HarmBench and XSTest unsafe
    tuning parts, C-SSRS supportive posts, MeQSum, presidio_synth sentences, MedQuAD, generated
    benign instructions and the exemplar bank; `python -m careguide.eval.safety_train --family harm`
    does the same)."""
    from careguide.eval import answered_pairs, harm_training_data, sample_dev_set, with_variants
    from careguide.guardrails import MEDICAL_HARM_WEIGHTS, HarmClassifier, train_harm_weights
    from careguide.ingest import classifier_embedder

    with user_errors():
        config = settings()
        pairs = sample_dev_set(
            answered_pairs(config.medquad_dir, config.knowledge_base.medquad_subsets), 1500, 7
        )
        families = with_variants(pairs, 7)
        questions = [q.question for name in ("template", "consumer") for q in families[name]]
        if kind not in ("medical", "general"):
            raise ConfigError(f"--kind must be medical or general, not '{kind}'.")
        if kind == "general":
            _train_general(config, output)
            return
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
        f"MedicationQA questions refused {held_benign:.1%}."
    )


def _train_general(config: Settings, output: Path | None) -> None:
    """The general harm head, as ``python -m careguide.eval.safety_train --family harm`` trains it."""
    from careguide.eval import HARM_DEFAULTS, harm_benign_questions, train_harm_head
    from careguide.guardrails import DEFAULT_BANK, GENERAL_HARM_WEIGHTS, Guardrails, load_policy
    from careguide.ingest import classifier_embedder

    policy = load_policy(config.guardrails)
    about_health = Guardrails(
        policy.model_copy(update={"checks": policy.checks.model_copy(update={"phi": False})})
    ).about_health
    record = train_harm_head(
        classifier_embedder(config.embedding),
        config.data_dir,
        harm_benign_questions(config),
        DEFAULT_BANK,
        c=HARM_DEFAULTS["c"],
        budget=HARM_DEFAULTS["budget"],
        outside_budget=0.025,
        about_health=about_health,
    )
    target = output or GENERAL_HARM_WEIGHTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out.print(
        f"Wrote {target}: thresholds {record['threshold']} (health words) / {record['outside_scope']} "
        "(none), chosen on the tuning parts; set them in configs/guardrails.yaml (semantic.harm_general)."
    )
