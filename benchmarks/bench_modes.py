"""Answer modes on the embedded model: when the patient first reads text and when the answer is
complete, p50/p95 per mode. Baseline: ``model`` (the model's checked answer alone, careguide's
earlier path), measured in the same run on the same questions and server.

- ``model``: the first text shown is the whole checked answer (a draft is not an answer);
- ``hybrid``: the extract is shown at once, the model's answer replaces it if fully verified;
- ``extractive``: the extract alone, in plain words (no model call);
- ``extractive, as written``: the extract without the plain-language rewrite.
Needs the default knowledge base indexed (`make ingest`).
"""

from __future__ import annotations

from benchmarks.bench_answers import QUESTIONS
from benchmarks.common import percentile, print_table
from careguide.config import load_settings
from careguide.models import pull
from careguide.models.server import CITED_GRAMMAR, LlamaServer
from careguide.rag import ChatClient, open_retriever
from careguide.rag.assistant import Assistant

MODES = (("model", "model", True), ("hybrid", "hybrid", True), ("extractive", "extractive", True),
         ("extractive, as written", "extractive", False))  # fmt: skip


def run(n_questions: int = 20) -> None:
    settings = load_settings()
    retriever = open_retriever(settings)
    questions = list(QUESTIONS[:n_questions])
    results: dict[str, dict[str, list[float]]] = {name: {"shown": [], "total": []} for name, _, _ in MODES}
    answered: dict[str, int] = {name: 0 for name, _, _ in MODES}
    log = settings.index_dir.parent / "logs" / "bench-modes.log"
    with LlamaServer(pull(settings.llm.model), log, n_threads=settings.llm.n_threads) as server:
        grammar = {"grammar": CITED_GRAMMAR} if settings.llm.cited_grammar else {}
        client = ChatClient(server.ensure_running, extra_body=grammar)  # as the app asks
        client.complete([{"role": "user", "content": "Say OK."}], 4)  # warm-up: weights paged in
        for question in questions:
            for name, mode, plain in MODES:
                assistant = Assistant(retriever, client, max_tokens=settings.llm.max_tokens, plain=plain)
                answer = assistant.ask(question, mode=mode)
                t = answer.timings
                shown = t.get("extract_ms", t["total_ms"]) if mode != "model" else t["total_ms"]
                results[name]["shown"].append(shown)
                results[name]["total"].append(t["total_ms"])
                answered[name] += not answer.abstained
    base = results["model"]
    rows = []
    for name, r in results.items():
        shown50, total50 = percentile(r["shown"], 50), percentile(r["total"], 50)
        rows.append(
            [
                name,
                f"{answered[name]}/{len(questions)}",
                f"{shown50:.0f}",
                f"{percentile(r['shown'], 95):.0f}",
                f"{total50:.0f}",
                f"{percentile(r['total'], 95):.0f}",
                f"{percentile(base['shown'], 50) / shown50:.1f}×" if shown50 else "-",
                f"{percentile(base['total'], 50) / total50:.1f}×" if total50 else "-",
            ]
        )
    print_table(
        f"Answer modes: {len(questions)} questions, {settings.llm.n_threads} threads "
        "(baseline: model, the checked model answer alone; speed-up > 1 is faster)",
        ["mode", "answered", "first text p50 ms", "first text p95 ms", "total p50 ms", "total p95 ms",
         "first-text speed-up", "total speed-up"],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=20)
    run(parser.parse_args().questions)
