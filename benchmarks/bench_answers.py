"""End-to-end answer latency on the embedded model: time to first token and total time for fixed
questions, the share of the model's time spent reading the prompt (prefill, up to the first token),
for the 1.5B and 0.5B models and prompt variants. Baseline: the default model and prompt, same run.

Variants:
- ``default``: as careguide asks by default: 4 passages trimmed to 120 words, the fixed system
  message first (llama.cpp reuses the key/value cache of the longest common prefix with the previous
  request, so the system message is read once), the citation grammar (``llm.cited_grammar``);
- ``no citation grammar``: the same prompt, sampled without the grammar (what the grammar costs);
- ``no prefix reuse``: the same prompt with a per-request marker at its start, which defeats that reuse;
- ``trimmed``: 3 passages of 60 words.
Needs the default knowledge base indexed (`make ingest`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import httpx

from benchmarks.common import percentile, print_table
from careguide.config import load_settings
from careguide.models import pull
from careguide.models.server import CITED_GRAMMAR, LlamaServer
from careguide.rag import ChatClient, open_retriever
from careguide.rag.assistant import Assistant, build_messages

QUESTIONS = (
    "What are the symptoms of acromegaly?",
    "How is high blood pressure treated?",
    "What causes asthma attacks?",
    "Is glaucoma inherited?",
    "What are the early signs of Parkinson's disease?",
    "How can I prevent type 2 diabetes?",
    "What is the outlook for people with kidney failure?",
    "How is Lyme disease spread?",
    "What are the symptoms of anemia?",
    "Who is at risk for osteoporosis?",
    "How is shingles treated?",
    "What causes migraines?",
    "What are the treatments for psoriasis?",
    "How do I know if I have the flu?",
    "What is celiac disease?",
    "How is sleep apnea diagnosed?",
    "What are the symptoms of a thyroid problem?",
    "Can hepatitis C be cured?",
    "What causes gout?",
    "What are the risk factors for stroke?",
)
MODELS = {"1.5B": "qwen2.5-coder-1.5b-instruct-q4_k_m", "0.5B": "qwen2.5-coder-0.5b-instruct"}


@dataclass(frozen=True)
class Variant:
    name: str
    model: str
    k: int = 4
    words: int = 120
    prefix_reuse: bool = True
    grammar: bool = True


VARIANTS = (
    Variant("1.5B default", "1.5B"),
    Variant("1.5B no citation grammar", "1.5B", grammar=False),
    Variant("1.5B no prefix reuse", "1.5B", prefix_reuse=False),
    Variant("1.5B trimmed (3 × 60 words)", "1.5B", k=3, words=60),
    Variant("0.5B default", "0.5B"),
)


def prompt_tokens(base_url: str, messages: list[dict[str, str]]) -> int:
    """Tokens of the prompt text as the server's tokenizer counts them (0 when it cannot say)."""
    text = "\n".join(m["content"] for m in messages)
    try:
        reply = httpx.post(
            f"{base_url.removesuffix('/v1')}/extras/tokenize", json={"input": text}, timeout=30
        )
        return len(reply.json()["tokens"]) if reply.status_code == 200 else 0
    except (httpx.HTTPError, KeyError, ValueError):
        return 0


def measure(
    variant: Variant, assistant: Assistant, client: ChatClient, questions: list[str]
) -> dict[str, float]:
    first, total, prefill_share, tokens = [], [], [], []
    client = replace(client, extra_body={"grammar": CITED_GRAMMAR} if variant.grammar else {})
    for number, question in enumerate(questions):
        passages = assistant.retriever.search(question, variant.k).passages
        messages = build_messages(question, passages, variant.words)
        if not variant.prefix_reuse:
            messages[0] = {
                "role": "system",
                "content": f"Request {number}-{time.time_ns()}. {messages[0]['content']}",
            }
        tokens.append(prompt_tokens(client.base_url(), messages))
        started = time.perf_counter()
        first_at = None
        for _ in client.stream(messages, assistant.max_tokens):
            first_at = first_at or time.perf_counter()
        ended = time.perf_counter()
        ttft = (first_at or ended) - started
        first.append(1000 * ttft)
        total.append(1000 * (ended - started))
        prefill_share.append(ttft / (ended - started) if ended > started else 0.0)
    return {
        "ttft_p50": percentile(first, 50),
        "ttft_p95": percentile(first, 95),
        "total_p50": percentile(total, 50),
        "total_p95": percentile(total, 95),
        "prefill_share": sum(prefill_share) / len(prefill_share),
        "prompt_tokens": sum(tokens) / len(tokens),
    }


def run(n_questions: int = 20) -> None:
    settings = load_settings()
    retriever = open_retriever(settings)
    questions = list(QUESTIONS[:n_questions])
    results: dict[str, dict[str, float]] = {}
    log = settings.index_dir.parent / "logs" / "bench-llm.log"
    for label, name in MODELS.items():
        with LlamaServer(pull(name), log, n_threads=settings.llm.n_threads) as server:
            client = ChatClient(server.ensure_running)
            assistant = Assistant(retriever, client, max_tokens=settings.llm.max_tokens)
            client.complete([{"role": "user", "content": "Say OK."}], 4)  # warm-up: weights paged in
            for variant in (v for v in VARIANTS if v.model == label):
                results[variant.name] = measure(variant, assistant, client, questions)
    base = results[VARIANTS[0].name]
    rows = [
        [
            name,
            f"{r['prompt_tokens']:.0f}",
            f"{r['ttft_p50']:.0f}",
            f"{r['ttft_p95']:.0f}",
            f"{r['total_p50']:.0f}",
            f"{r['total_p95']:.0f}",
            f"{r['prefill_share']:.2f}",
            f"{base['ttft_p50'] / r['ttft_p50']:.2f}×" if r["ttft_p50"] else "-",
            f"{base['total_p50'] / r['total_p50']:.2f}×" if r["total_p50"] else "-",
        ]
        for name, r in results.items()
    ]
    print_table(
        f"End-to-end answers: {len(questions)} questions, {settings.llm.n_threads} threads "
        "(baseline: 1.5B default; speed-up > 1 is faster)",
        ["variant", "prompt tokens", "TTFT p50 ms", "TTFT p95 ms", "total p50 ms", "total p95 ms",
         "prefill share", "TTFT speed-up", "total speed-up"],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=20)
    run(parser.parse_args().questions)
