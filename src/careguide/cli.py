"""The ``careguide`` command line (Typer). Every command has ``--help``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from careguide.config import ConfigError, Settings, load_settings

app = typer.Typer(
    name="careguide",
    help="careguide: cited, plain-language patient education from trusted sources.",
    no_args_is_help=True,
    add_completion=False,
)
eval_app = typer.Typer(help="Offline evaluation suites; reports go under reports/.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class _State:
    profile: Path | None = None


def settings() -> Settings:
    return load_settings(_State.profile)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one line and exit status 2, never a traceback."""
    from careguide.ingest import EmbeddingError, StoreError
    from careguide.rag import FilterError

    try:
        yield
    except (ConfigError, StoreError, EmbeddingError, FilterError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="YAML profile (default configs/default.yaml, or $CAREGUIDE_CONFIG).",
        ),
    ] = None,
) -> None:
    """careguide: cited, plain-language patient education from trusted sources."""
    _State.profile = config
    with user_errors():
        settings()  # validate the profile and environment before any work


class RichObserver:
    """Shows ingest progress as rich progress bars and warnings above them."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def phase(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)

    def warn(self, message: str) -> None:
        self.progress.console.print(f"[yellow]{message}[/]", highlight=False)


def progress_bar(console: Console = err) -> Progress:
    return Progress(
        TextColumn("{task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def default_paths(config: Settings) -> list[Path]:
    root = config.medquad_dir
    if not root.is_dir():
        raise FileNotFoundError(
            f"MedQuAD was not found at {root}; set data_dir (CAREGUIDE_DATA_DIR) to the folder "
            f"holding medquad/ (source: github.com/abachaa/MedQuAD, CC BY 4.0)."
        )
    return [root / subset for subset in config.knowledge_base.medquad_subsets]


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to index; none = the default MedQuAD knowledge base."),
    ] = None,
    collection: Annotated[str | None, typer.Option(help="Chroma collection (default from settings).")] = None,
    prune: Annotated[
        bool, typer.Option(help="Remove indexed documents that were not found in this run.")
    ] = False,
    source: Annotated[str, typer.Option(help="Source name stored with your own files.")] = "local",
    organisation: Annotated[str, typer.Option(help="Publishing organisation shown to users.")] = "",
    license: Annotated[str, typer.Option(help="License of your own files, shown with quotes.")] = "",
) -> None:
    """Index documents (MedQuAD XML, PDF, HTML, Markdown, text) into the knowledge base.

    Re-running on unchanged input does no embedding work; changed files replace their old chunks;
    an interrupted run resumes. Files that fail are listed and the exit status is 1.
    """
    from careguide.ingest import ChromaStore, Chunker, SourceInfo, load_embedder
    from careguide.ingest import ingest as run_ingest

    with user_errors():
        config = settings()
        targets = list(paths) if paths else default_paths(config)
        store = ChromaStore(config, collection)
        embedder = load_embedder(config.embedding)
        chunker = Chunker(embedder.count_tokens, config.chunking.max_tokens, config.chunking.overlap_tokens)
        info = SourceInfo(
            source=source,
            organisation=organisation,
            license=license,
            audience=config.knowledge_base.audience,
        )
        try:
            with progress_bar() as progress:
                report = run_ingest(targets, store, embedder, chunker, info, prune, RichObserver(progress))
        except KeyboardInterrupt:
            raise fail(
                "Ingest interrupted; the index is consistent. Run the same command again to resume.",
                code=130,
            ) from None
    rate = report.chunks_indexed / report.embed_seconds if report.embed_seconds else 0.0
    err.print(
        f"{report.files_seen} files, {report.documents} documents: {report.documents_indexed} indexed "
        f"({report.chunks_indexed} chunks, {rate:.0f} chunks/s embedding), "
        f"{report.documents_unchanged} unchanged, {report.documents_removed} removed, "
        f"{len(report.files_skipped)} skipped, {len(report.failures)} failed "
        f"in {report.total_seconds:.1f} s. Collection '{store.name}' holds {store.count()} chunks."
    )
    if report.failures:
        err.print("[red]Failed files:[/]")
        for failure in report.failures:
            err.print(f"  {failure}", highlight=False)
        raise typer.Exit(1)


def _read_questions() -> Iterator[str]:
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="The question, or '-' to read one per line from stdin.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (see docs/search-json.md).")] = False,
    where: Annotated[
        list[str] | None,
        typer.Option(help="Metadata filter key=value (source, topic, audience, question_type); repeatable."),
    ] = None,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense or bm25 (default from settings).")] = None,
    collection: Annotated[str | None, typer.Option(help="Chroma collection.")] = None,
) -> None:
    """Find the passages of the knowledge base that answer a question."""
    from careguide.rag import open_retriever, parse_filter

    with user_errors():
        if mode not in (None, "hybrid", "dense", "bm25"):
            raise fail(f"Unknown mode '{mode}'; use hybrid, dense or bm25.")
        filters = parse_filter(where or [])
        retriever = open_retriever(settings(), collection)
        run: Callable[[str], Any] = lambda q: retriever.search_many([q], k, filters, mode)[0]  # type: ignore[arg-type]  # noqa: E731
        if question == "-":
            for line in _read_questions():
                print(json.dumps([p.to_json() for p in run(line)], ensure_ascii=False), flush=True)
            return
        passages = run(question)
    if as_json:
        print(json.dumps([p.to_json() for p in passages], ensure_ascii=False, indent=2))
        return
    if not passages:
        out.print("No passages found. Is the knowledge base indexed? Run `careguide ingest`.")
        return
    for rank, passage in enumerate(passages, start=1):
        c = passage.chunk
        ref = c.answer_id or (f"page {c.page}" if c.page else c.section)
        out.print(f"[bold]{rank}. {c.title}[/]  [dim]{c.organisation} · {ref} · {passage.score:.4f}[/]")
        out.print(f"   [link={c.url}]{c.url}[/link]", highlight=False)
        text = c.text if len(c.text) <= 400 else c.text[:400].rsplit(" ", 1)[0] + " …"
        out.print(f"   {text}\n", highlight=False)


@eval_app.command("retrieval")
def eval_retrieval(
    size: Annotated[int, typer.Option(help="Questions sampled from MedQuAD (seeded).")] = 1000,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    output: Annotated[Path, typer.Option(help="Report folder.")] = Path("reports"),
    collection: Annotated[str | None, typer.Option(help="Chroma collection.")] = None,
) -> None:
    """Recall@1/5/10, MRR@10 and nDCG@10 for dense, BM25 and hybrid on a MedQuAD dev set."""
    from careguide.eval.retrieval import run_retrieval_eval, write_retrieval_report
    from careguide.rag import open_retriever

    with user_errors():
        config = settings()
        retriever = open_retriever(config, collection)
        with progress_bar() as progress:
            report = run_retrieval_eval(config, retriever, size, seed, RichObserver(progress))
        json_path, md_path = write_retrieval_report(report, output)
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
    out.print(f"Reports: {json_path} and {md_path}")


def _medquad_answer_texts(config: Settings) -> list[str]:
    from careguide.ingest import read_pairs

    texts: list[str] = []
    for subset in config.knowledge_base.medquad_subsets:
        folder = config.medquad_dir / subset
        if not folder.is_dir():
            raise FileNotFoundError(
                f"MedQuAD subset {folder} is missing; set data_dir to the folder holding medquad/ "
                f"(github.com/abachaa/MedQuAD, CC BY 4.0)."
            )
        for path in sorted(folder.glob("*.xml")):
            texts.extend(p.answer for p in read_pairs(path) if p.answer)
    return texts


QUICK_SUBSETS = ("9_CDC_QA", "8_NHLBI_QA_XML")
QUICK_COLLECTION = "eval-quick"


@eval_app.command("run")
def eval_run(
    suite: Annotated[
        str, typer.Option(help="Comma-separated suites: retrieval, phi, safety.")
    ] = "retrieval,phi,safety",
    limit: Annotated[int | None, typer.Option(help="Seeded sample size per suite (default: full).")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Profile to evaluate (e.g. configs/vllm.yaml).")
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="Seeded small slice: index two MedQuAD subsets into 'eval-quick', limit 200.")
    ] = False,
    collection: Annotated[str | None, typer.Option(help="Chroma collection to evaluate.")] = None,
    output: Annotated[Path, typer.Option(help="Parent folder of the report folder.")] = Path("reports"),
    baseline: Annotated[
        Path | None,
        typer.Option(help="Fail (exit 1) when a metric drops below this baseline beyond tolerance."),
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option(help="Store this run's metrics as a baseline.")
    ] = None,
) -> None:
    """Run evaluation suites and write reports/<timestamp>/ (results.json, summary.md, report.html)."""
    from datetime import UTC, datetime

    from careguide.eval.harness import compare_metrics, load_metrics, parse_suites, run_suites
    from careguide.eval.rendering import comparison_markdown, report_html, summary_markdown

    if config is not None:
        _State.profile = config
    with user_errors():
        try:
            suites = parse_suites(suite)
        except ValueError as exc:
            raise fail(str(exc)) from None
        cfg = settings()
        if quick:
            limit, collection = limit or 200, collection or QUICK_COLLECTION
            if "retrieval" in suites:
                _index_quick_slice(cfg, collection)
        with err.status("Running the suites ...") as status:
            results = run_suites(
                cfg,
                suites,
                limit,
                collection,
                on_suite=lambda name: status.update(f"Running the {name} suite ..."),
            )
        folder = output / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        (folder / "summary.md").write_text(summary_markdown(results), encoding="utf-8")
        (folder / "report.html").write_text(report_html(results), encoding="utf-8")
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
    from careguide.ingest import ChromaStore, Chunker, load_embedder
    from careguide.ingest import ingest as run_ingest

    store = ChromaStore(config, collection)
    embedder = load_embedder(config.embedding)
    chunker = Chunker(embedder.count_tokens, config.chunking.max_tokens, config.chunking.overlap_tokens)
    paths = [config.medquad_dir / subset for subset in QUICK_SUBSETS]
    for path in paths:
        if not path.is_dir():
            raise FileNotFoundError(
                f"MedQuAD subset {path} is missing; set data_dir (github.com/abachaa/MedQuAD)."
            )
    with progress_bar() as progress:
        run_ingest(paths, store, embedder, chunker, observer=RichObserver(progress))


@eval_app.command("compare")
def eval_compare(
    before: Annotated[Path, typer.Argument(help="Report folder (or results/baseline JSON) to compare from.")],
    after: Annotated[Path, typer.Argument(help="Report folder (or results JSON) to compare to.")],
) -> None:
    """Metric-by-metric differences between two runs; exit 1 when a metric regressed beyond tolerance."""
    from careguide.eval.harness import compare_metrics, load_metrics
    from careguide.eval.rendering import comparison_markdown

    with user_errors():
        differences = compare_metrics(load_metrics(before), load_metrics(after))
    print(comparison_markdown(differences))
    regressions = [d.metric for d in differences if d.regression]
    if regressions:
        raise fail(f"{len(regressions)} regression(s): {', '.join(regressions)}", code=1)


@eval_app.command("phi")
def eval_phi(
    limit: Annotated[int | None, typer.Option(help="Score only this many presidio_synth sentences.")] = None,
    clean: Annotated[int, typer.Option(help="PHI-free MedQuAD sentences for false positives.")] = 500,
    output: Annotated[Path, typer.Option(help="Report folder.")] = Path("reports"),
) -> None:
    """PHI span precision/recall/F2 on presidio_synth (careguide vs Presidio's defaults) and false
    positives on MedQuAD sentences."""
    from careguide.eval.phi import load_presidio_synth, medquad_sentences, phi_markdown, run_phi_eval
    from careguide.eval.reports import write_report
    from careguide.guardrails import Span, open_guardrails
    from careguide.guardrails.phi import PRESIDIO_DEFAULT_ENTITIES, AllowList, PhiRedactor, PhiSettings

    with user_errors():
        config = settings()
        sentences = load_presidio_synth(config.data_dir)[: limit or None]
        clean_sentences = medquad_sentences(_medquad_answer_texts(config), clean, seed=0)
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
        with err.status("Scoring PHI detectors ..."):
            report = run_phi_eval(detectors, sentences, clean_sentences)
        json_path, md_path = write_report(report, phi_markdown(report), output, "phi")
    out.print(md_path.read_text())
    out.print(f"Reports: {json_path} and {md_path}")


@eval_app.command("safety")
def eval_safety(
    limit: Annotated[int | None, typer.Option(help="Sample at most this many prompts per dataset.")] = None,
    output: Annotated[Path, typer.Option(help="Report folder.")] = Path("reports"),
) -> None:
    """Refusals on MedSafetyBench, over-refusal on XSTest, emergency recall, planted injections."""
    import random

    from careguide.eval.reports import write_report
    from careguide.eval.safety import run_safety_eval, safety_markdown
    from careguide.guardrails import open_guardrails

    with user_errors():
        config = settings()
        answers = _medquad_answer_texts(config)
        passages = random.Random(0).sample(answers, min(200, len(answers)))
        guard = open_guardrails(config, audit=False)
        with err.status("Running the safety suites ..."):
            report = run_safety_eval(guard, config.data_dir, passages, limit)
        json_path, md_path = write_report(report, safety_markdown(report), output, "safety")
    out.print(md_path.read_text())
    out.print(f"Reports: {json_path} and {md_path}")


@app.command("train-harm-classifier")
def train_harm_classifier(
    threshold: Annotated[float, typer.Option(help="Refuse at or above this probability.")] = 0.5,
    output: Annotated[Path | None, typer.Option(help="Where to write the weights (JSON).")] = None,
) -> None:
    """Retrain the unethical-request classifier from MedSafetyBench, MedQuAD and MedicationQA."""
    from careguide.eval.devset import answered_pairs, sample_dev_set, with_variants
    from careguide.eval.safety import harm_training_data
    from careguide.guardrails.harm_classifier import DEFAULT_WEIGHTS, HarmClassifier, train
    from careguide.ingest import load_embedder

    with user_errors():
        config = settings()
        pairs = sample_dev_set(
            answered_pairs(config.medquad_dir, config.knowledge_base.medquad_subsets), 1500, 7
        )
        families = with_variants(pairs, 7)
        questions = [q.question for name in ("template", "consumer") for q in families[name]]
        data = harm_training_data(config.data_dir, questions)
        embedder = load_embedder(config.embedding)
        record = train(embedder, data["harmful"], data["benign"], threshold)
        target = output or DEFAULT_WEIGHTS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record) + "\n", encoding="utf-8")
        classifier = HarmClassifier.load(target, embedder, "")
        held_harm = float((classifier.probability(data["held_out_harmful"]) >= threshold).mean())
        held_benign = float((classifier.probability(data["held_out_benign"]) >= threshold).mean())
    out.print(
        f"Wrote {target}. Held out: MedSafetyBench (Llama-2 half) refused {held_harm:.1%}; "
        f"MedicationQA questions refused {held_benign:.1%}."
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
) -> None:
    """Serve careguide on http://HOST:PORT (search page and REST API; models load once)."""
    import uvicorn

    from careguide.ui import create_app

    with user_errors():
        config = settings()
        from careguide.rag import open_retriever

        retriever = open_retriever(config)
        err.print(f"careguide is serving on http://{host}:{port} (Ctrl-C to stop)")
        uvicorn.run(create_app(config, retriever), host=host, port=port, log_level="warning")


def _texts(text: str) -> Iterator[str]:
    if text == "-":
        yield from _read_questions()
    else:
        yield text


@app.command()
def redact(
    text: Annotated[str, typer.Argument(help="The text, or '-' to read one text per line from stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: redacted text and entities.")] = False,
) -> None:
    """Remove PHI (names, dates, record numbers, addresses...) and show what was found."""
    from careguide.guardrails import open_guardrails

    with user_errors():
        guard = open_guardrails(settings(), audit=False)
        for item in _texts(text):
            decision = guard.redact(item)
            if as_json or text == "-":
                record = decision.to_json()
                print(json.dumps({"redacted": record["redacted"], "entities": record["entities"]}))
            else:
                print(decision.redacted)
                for span in decision.spans:
                    err.print(f"  {span.entity_type} [{span.start}:{span.end}] score {span.score:.2f}")


@app.command()
def check(
    text: Annotated[str, typer.Argument(help="The message, or '-' to read one message per line from stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Run the input guardrails on a patient message: action, reasons and redacted text."""
    from careguide.guardrails import open_guardrails

    with user_errors():
        guard = open_guardrails(settings())
        for item in _texts(text):
            decision = guard.check_input(item, conversation_id="cli")
            if as_json or text == "-":
                print(json.dumps(decision.to_json(), ensure_ascii=False))
                continue
            out.print(f"[bold]{decision.action}[/] {decision.category}", highlight=False)
            for reason in decision.reasons:
                out.print(f"  - {reason}", highlight=False)
            out.print(f"  redacted: {decision.redacted}", highlight=False)
            if decision.message:
                out.print(f"  reply: {decision.message}", highlight=False)
            if decision.notice:
                out.print(f"  notice: {decision.notice}", highlight=False)


@app.command("config")
def show_config() -> None:
    """Print the effective settings (profile plus CAREGUIDE_* overrides) as JSON."""
    with user_errors():
        print(settings().model_dump_json(indent=2))


if __name__ == "__main__":
    app()
