"""The ``careguide`` command line (Typer). Every command has ``--help``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from careguide.cli.console import (
    RichObserver,
    State,
    err,
    fail,
    out,
    progress_bar,
    settings,
    user_errors,
)
from careguide.cli.eval import eval_app
from careguide.cli.models import models_app
from careguide.cli.review import users_app
from careguide.cli.train import train_harm_classifier
from careguide.config import Settings

app = typer.Typer(
    name="careguide",
    help="careguide: cited, plain-language patient education from trusted sources.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(eval_app, name="eval")
app.command("train-harm-classifier")(train_harm_classifier)
app.add_typer(models_app, name="models")
app.add_typer(users_app, name="users")


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
    # Everything careguide writes (review database and its -wal/-shm, audit log, logs, index,
    # session secret, exports) may hold patient text or secrets: readable by its owner only.
    os.umask(0o077)
    State.profile = config
    with user_errors():
        settings()  # validate the profile and environment before any work


def default_paths(config: Settings, first: bool = False) -> list[Path]:
    """The default knowledge base's subset folders, ``first_subsets`` first (only those with first)."""
    from careguide.ingest import ordered_subsets

    root = config.medquad_dir
    if not root.is_dir():
        raise FileNotFoundError(
            f"MedQuAD was not found at {root}; set data_dir (CAREGUIDE_DATA_DIR) to the folder "
            f"holding medquad/ (source: github.com/abachaa/MedQuAD, CC BY 4.0)."
        )
    subsets = ordered_subsets(config)
    if first:
        subsets = [s for s in subsets if s in config.knowledge_base.first_subsets]
    return [root / subset for subset in subsets]


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
    first: Annotated[
        bool,
        typer.Option(
            "--first",
            help="Only knowledge_base.first_subsets (`careguide serve --index-rest` adds the rest).",
        ),
    ] = False,
    rebuild: Annotated[
        bool,
        typer.Option(help="Empty the collection first (e.g. after changing embedding.backend)."),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="local: chunk and embed in this process; ray: spread the work over Ray workers "
            "(pip install 'careguide[cluster]'; workers write to the Chroma server when vector_store.url "
            "is set)."
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join ('auto' or ray://host:10001); none starts a local one."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Ray workers (one embedding model each).")] = 2,
) -> None:
    """Index documents (MedQuAD XML, PDF, HTML, Markdown, text) into the knowledge base.

    Re-running on unchanged input does no embedding work; changed files replace their old chunks;
    an interrupted run resumes. Files that fail are listed and the exit status is 1. With
    `--engine ray` the same run is planned here and its chunking and embedding run on Ray workers:
    the chunk ids, idempotence and resume are the same.
    """
    from careguide.ingest import (
        Chunker,
        Indexer,
        KnowledgeBase,
        LocalIndexer,
        RayIndexer,
        SourceInfo,
        ingest_with,
        load_embedder,
    )

    with user_errors():
        if engine not in ("local", "ray"):
            raise fail(f"Unknown engine '{engine}'; use local or ray.")
        config = settings()
        targets = list(paths) if paths else default_paths(config, first)
        knowledge = KnowledgeBase.open(config, collection, check=not rebuild)
        store = knowledge.store
        if rebuild:
            knowledge.reset()
        indexer: Indexer
        if engine == "ray":
            indexer = RayIndexer(config, store, address=address, workers=workers)
        else:
            embedder = load_embedder(config.embedding)
            chunker = Chunker(
                embedder.count_tokens, config.chunking.max_tokens, config.chunking.overlap_tokens
            )
            indexer = LocalIndexer(store, embedder, chunker)
        info = SourceInfo(
            source=source,
            organisation=organisation,
            license=license,
            audience=config.knowledge_base.audience,
        )
        try:
            with progress_bar() as progress:
                report = ingest_with(targets, knowledge, indexer, info, prune, RichObserver(progress))
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


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, or '-' to read one per line from stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (see README).")] = False,
    stream: Annotated[
        bool, typer.Option("--stream", help="Show the model's draft as it is written.")
    ] = False,
    level: Annotated[
        str | None, typer.Option("--level", help="Reading level: standard (grade 6-8) or simpler.")
    ] = None,
    follow_up: Annotated[
        bool,
        typer.Option(
            "--conversation/--no-conversation",
            help="With '-': treat the lines as one conversation, so follow-ups borrow earlier topics.",
        ),
    ] = False,
    model: Annotated[
        str | None, typer.Option(help="Override llm.model: a packaged model name or a GGUF path.")
    ] = None,
) -> None:
    """Answer a health question from the knowledge base with checked citations.

    The model is the configured backend (llm section): by default the embedded llama.cpp server,
    started for this command and stopped after it.
    """
    from careguide.guardrails import open_guardrails
    from careguide.ingest import KnowledgeBase
    from careguide.models import ModelError, open_backend
    from careguide.rag import LLMError, answer_safely, client_for, open_assistant, open_retriever

    with user_errors():
        config = settings()
        if model:
            config = config.model_copy(update={"llm": config.llm.model_copy(update={"model": model})})
        knowledge = KnowledgeBase.open(config)
        retriever = open_retriever(config, knowledge=knowledge)
        guard = open_guardrails(config, knowledge=knowledge)
        history: list[str] = []
        try:
            with open_backend(config) as backend:
                llm = client_for(backend, config.llm.request_timeout_s)
                assistant = open_assistant(config, retriever, llm)
                for item in _read_questions() if question == "-" else [question]:
                    on_token = (lambda t: err.print(t, end="", highlight=False)) if stream else None
                    guarded = answer_safely(
                        assistant, guard, item, "cli", history if follow_up else (), level, on_token
                    )
                    history.append(guarded.input.redacted)
                    if stream:
                        err.print()
                    answer = guarded.answer
                    if as_json or question == "-":
                        print(json.dumps(guarded.to_json(), ensure_ascii=False), flush=True)
                        continue
                    out.print(answer.answer, highlight=False)
                    for citation in answer.citations:
                        c = citation.passage.chunk
                        out.print(f"  [{citation.n}] {c.title} — {c.organisation} — {c.url}", highlight=False)
        except (ModelError, LLMError, ValueError) as exc:
            raise fail(str(exc)) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    index_rest: Annotated[
        bool,
        typer.Option(
            "--index-rest",
            help="Index the rest of the default knowledge base in the background while serving.",
        ),
    ] = False,
) -> None:
    """Serve careguide on http://HOST:PORT: the patient chat at /, the search page at /search and
    the REST API under /v1 (models load once; see README, Web app)."""
    import uvicorn

    from careguide.guardrails import open_guardrails
    from careguide.ingest import KnowledgeBase
    from careguide.rag import open_retriever
    from careguide.review import ReviewError
    from careguide.ui import SecretError, StartupError, check_startup, create_app, open_feedback_sink

    with user_errors():
        config = settings()
        try:
            check_startup(config)
            feedback = open_feedback_sink(config)
        except (ReviewError, SecretError, StartupError) as exc:
            raise fail(str(exc)) from None
        try:
            # The composition root: one knowledge base for the process, which the retriever
            # follows, the guardrails take their terms from and publishing writes to.
            knowledge = KnowledgeBase.open(config)
            retriever = open_retriever(config, knowledge=knowledge)
            guard = open_guardrails(config, knowledge=knowledge)
            try:
                app = create_app(config, retriever, guard=guard, feedback=feedback, knowledge=knowledge)
            except SecretError as exc:
                raise fail(str(exc)) from None
            if index_rest:
                from careguide.ingest import BackgroundIndexer

                BackgroundIndexer(knowledge, default_paths(config)).start()
            err.print(
                f"careguide: starting the language model, then serving on http://{host}:{port} "
                "(Ctrl-C to stop)"
            )
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            feedback.close()


@app.command("serve-llm")
def serve_llm(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the vllm command and exit.")] = False,
) -> None:
    """Run a vLLM server with the llm.vllm settings (see configs/vllm.yaml) until Ctrl-C."""
    from careguide.models import ModelError, run_serve_llm

    with user_errors():
        try:
            raise typer.Exit(run_serve_llm(settings(), dry_run))
        except ModelError as exc:
            raise fail(str(exc)) from None


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


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print the parts as JSON.")] = False,
) -> None:
    """What is installed and ready (model runtime, model file, index, review database, Chroma,
    disk), and for each missing part the one command that fixes it. Exit status 1 if one is."""
    from careguide.doctor import diagnose

    with user_errors():
        parts = diagnose(settings())
    if as_json:
        print(json.dumps([p.to_json() for p in parts], ensure_ascii=False, indent=2))
    else:
        for part in parts:
            mark = "[green]ok[/]     " if part.ok else "[bold red]missing[/]"
            out.print(f"{mark} [bold]{part.name:<16}[/] {part.detail}", highlight=False)
            if part.fix:
                out.print(f"        {'':<16} fix: [bold]{part.fix}[/]", highlight=False)
        broken = [p for p in parts if not p.ok]
        out.print("careguide is ready." if not broken else f"{len(broken)} part(s) need the fix shown.")
    if any(not p.ok for p in parts):
        raise typer.Exit(1)


@app.command("config")
def show_config() -> None:
    """Print the effective settings (profile plus CAREGUIDE_* overrides) as JSON."""
    with user_errors():
        print(settings().model_dump_json(indent=2))
