"""Load on a running app: simultaneous chat sessions through ``POST /v1/answer/stream``.

Each session asks its questions in turn, the later ones as follow-ups (the earlier questions, as the
server redacted them, go along as ``history``), like a patient in the chat. Reported: errors, and
p50/p95 of the time to the first draft token and of the whole answer, against one session alone
measured just before (the baseline, same run). Start the app first
(``careguide serve``), then::

    python -m benchmarks.load_chat --url http://127.0.0.1:7860

With ``--cluster`` it starts the loopback cluster of ``make test-cluster`` itself (nginx, two app
processes, vllm-router, two llama.cpp servers with the 0.5B model, PostgreSQL, a Chroma server with
the small knowledge base of tests/cluster) and runs the same load with two model servers and then
with one (the other stopped; the router drops it), after the one-session baseline. Needs the
``cluster`` extra, nginx and PostgreSQL (``make test-cluster`` installs them)::

    python -m benchmarks.load_chat --cluster
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from benchmarks.common import console, median, percentile, print_table

CONVERSATIONS = (
    ("What are the symptoms of acromegaly?", "How is it treated?"),
    ("What causes high blood pressure?", "What about in children?"),
    ("What is glaucoma?", "Can it be prevented?"),
    ("What are the symptoms of asthma?", "How is it diagnosed?"),
    ("What is type 2 diabetes?", "What are the treatments for it?"),
    ("What is Parkinson's disease?", "Is it inherited?"),
    ("What are the signs of a stroke?", "Who is at risk for it?"),
    ("What is osteoporosis?", "How can I prevent it?"),
)


@dataclass(frozen=True)
class Result:
    """One question's outcome; ``first_s`` is the first token (or the answer, if none was streamed)."""

    session: int
    first_s: float
    total_s: float
    error: str = ""
    abstained: bool = False


def parse_event(block: str) -> tuple[str, dict[str, object]]:
    """One server-sent event; a comment (keep-alive) block has no name."""
    lines = [line for line in block.splitlines() if not line.startswith(":")]
    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
    return fields.get("event", ""), json.loads(fields.get("data", "{}"))


async def ask(
    client: httpx.AsyncClient, url: str, session: int, question: str, history: list[str]
) -> tuple[Result, str]:
    """One streamed answer; returns the result and the question as the server kept it (redacted)."""
    body = {"question": question, "history": history, "conversation_id": f"load-{session}"}
    started = time.perf_counter()
    first: float | None = None
    buffer = ""
    try:
        async with client.stream("POST", f"{url}/v1/answer/stream", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                error = f"HTTP {response.status_code}: {response.text[:120]}"
                return Result(session, 0.0, time.perf_counter() - started, error), question
            async for chunk in response.aiter_text():
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    name, data = parse_event(block)
                    if not name:
                        continue
                    now = time.perf_counter()
                    first = first if first is not None else now
                    if name == "error":
                        return Result(
                            session, first - started, now - started, str(data.get("message"))
                        ), question
                    if name == "answer":
                        kept = str(data.get("question") or question)
                        return (
                            Result(
                                session, first - started, now - started, abstained=bool(data.get("abstained"))
                            ),
                            kept,
                        )
    except httpx.HTTPError as exc:
        return Result(session, 0.0, time.perf_counter() - started, f"{type(exc).__name__}: {exc}"), question
    return Result(session, 0.0, time.perf_counter() - started, "the stream ended without an answer"), question


async def conversation(
    client: httpx.AsyncClient, url: str, session: int, questions: Sequence[str]
) -> list[Result]:
    history: list[str] = []
    results = []
    for question in questions:
        result, kept = await ask(client, url, session, question, history)
        results.append(result)
        history.append(kept)
    return results


async def load(
    url: str, sessions: int, questions: int, timeout: float, conversations: Sequence[Sequence[str]]
) -> tuple[list[Result], float]:
    """All sessions at once (session i takes conversation i, round robin); returns every result and
    the wall time."""
    chosen = [conversations[s % len(conversations)] for s in range(sessions)]
    plans = [[plan[q % len(plan)] for q in range(questions)] for plan in chosen]
    limits = httpx.Limits(max_connections=sessions * 2)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        done = await asyncio.gather(*(conversation(client, url, s, plan) for s, plan in enumerate(plans)))
    return [r for results in done for r in results], time.perf_counter() - started


def summary_row(name: str, values: Sequence[float]) -> list[str]:
    return [name, f"{median(values):.2f}", f"{percentile(values, 95):.2f}", f"{max(values, default=0):.2f}"]


def report(results: Sequence[Result], wall_s: float, sessions: int) -> None:
    ok = [r for r in results if not r.error]
    first = [r.first_s for r in ok]
    total = [r.total_s for r in ok]
    rows = [summary_row("time to first token (s)", first), summary_row("total per answer (s)", total)]
    print_table(
        f"Chat load: {sessions} sessions, {len(results)} questions, {len(results) - len(ok)} errors, "
        f"{sum(r.abstained for r in ok)} abstained, {wall_s:.1f} s wall, "
        f"{len(ok) / wall_s if wall_s else 0:.2f} answers/s",
        ["", "p50", "p95", "max"],
        rows,
    )
    for r in results:
        if r.error:
            console.print(f"session {r.session}: {r.error}", highlight=False)


def _p95(values: Sequence[float]) -> float:
    return percentile(values, 95)


def compare(alone: Sequence[Result], loaded: Sequence[Result], sessions: int) -> None:
    """The loaded run against the baseline of one session measured just before it."""
    rows = []
    for name, field in (("time to first token (s)", "first_s"), ("total per answer (s)", "total_s")):
        for label, stat in (("p50", median), ("p95", _p95)):
            base = stat([getattr(r, field) for r in alone if not r.error])
            under = stat([getattr(r, field) for r in loaded if not r.error])
            ratio = f"{under / base:.2f}x" if base else "n/a"
            rows.append([f"{name} {label}", f"{base:.2f}", f"{under:.2f}", ratio])
    print_table(
        f"{sessions} sessions against 1 session alone (baseline, same run)",
        ["", "1 session", f"{sessions} sessions", "ratio"],
        rows,
    )


def run(
    url: str,
    sessions: int = 8,
    questions: int = 2,
    timeout: float = 900.0,
    conversations: Sequence[Sequence[str]] = CONVERSATIONS,
    baseline: bool = True,
) -> list[Result]:
    """One session alone first (the baseline), then ``sessions`` at once; prints their tables and
    returns the loaded run's results. ``make bench`` may call this with a started app."""
    url = url.rstrip("/")
    alone: list[Result] = []
    if baseline:
        alone, wall_s = asyncio.run(load(url, 1, questions, timeout, conversations))
        report(alone, wall_s, 1)
    results, wall_s = asyncio.run(load(url, sessions, questions, timeout, conversations))
    report(results, wall_s, sessions)
    if baseline:
        compare(alone, results, sessions)
    return alone + results


CLUSTER_CONVERSATIONS = (
    ("What are the symptoms of asthma?", "How is it treated?"),
    ("What causes high blood pressure?", "How can I lower it?"),
    ("What is acromegaly?", "How is it treated?"),
    ("What is Aarskog-Scott syndrome?", "Is it inherited?"),
)
"""Questions about the documents the loopback cluster indexes (tests/cluster/harness.KB_FILES)."""


def _row(label: str, results: Sequence[Result]) -> list[str]:
    first = [r.first_s for r in results if not r.error]
    errors = sum(bool(r.error) for r in results)
    return [label, f"{median(first):.2f}", f"{percentile(first, 95):.2f}", str(errors), str(len(results))]


def run_cluster(sessions: int, questions: int, timeout: float, model: str) -> list[Result]:
    """The load through the loopback cluster with 2 model servers, then with 1 (see the docstring)."""
    import importlib
    import shutil
    import tempfile
    from pathlib import Path

    from careguide.config import LLMSettings
    from careguide.models.backends import resolve_model_file

    harness = importlib.import_module("tests.cluster.harness")
    base = Path(tempfile.mkdtemp(prefix="careguide-cluster-"))
    base.chmod(0o755)
    cluster = harness.Cluster(base, resolve_model_file(LLMSettings(model=model)), apps=2, models=2)
    try:
        url = str(cluster.proxy.url)
        alone, _ = asyncio.run(load(url, 1, questions, timeout, CLUSTER_CONVERSATIONS))
        two, wall_two = asyncio.run(load(url, sessions, questions, timeout, CLUSTER_CONVERSATIONS))
        cluster.models[1].stop()
        time.sleep(5)  # the router's health check (every 2 s) takes the stopped server out
        one, wall_one = asyncio.run(load(url, sessions, questions, timeout, CLUSTER_CONVERSATIONS))
    finally:
        cluster.close()
        shutil.rmtree(base, ignore_errors=True)
    print_table(
        f"Chat load through the loopback cluster: {sessions} sessions x {questions} questions, "
        "time to first token (s)",
        ["", "p50", "p95", "errors", "questions"],
        [
            _row("1 session alone (baseline)", alone),
            _row(f"{sessions} sessions, 1 model server ({wall_one:.0f} s wall)", one),
            _row(f"{sessions} sessions, 2 model servers ({wall_two:.0f} s wall)", two),
        ],
    )
    for r in alone + one + two:
        if r.error:
            console.print(f"session {r.session}: {r.error}", highlight=False)
    return alone + one + two


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_chat", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:7860", help="The running app.")
    parser.add_argument("--sessions", type=int, default=8, help="Simultaneous chat sessions.")
    parser.add_argument("--questions", type=int, default=2, help="Questions per session.")
    parser.add_argument("--timeout", type=float, default=900.0, help="Seconds one answer may take.")
    parser.add_argument(
        "--no-baseline", action="store_true", help="Skip the one-session baseline run before the load."
    )
    parser.add_argument(
        "--conversation",
        action="append",
        default=None,
        metavar="Q1|Q2",
        help="A conversation's questions separated by '|' (repeatable; default: common conditions "
        "of the default knowledge base).",
    )
    parser.add_argument(
        "--cluster", action="store_true", help="Start the loopback cluster; compare 1 and 2 model servers."
    )
    parser.add_argument(
        "--model", default="qwen2.5-coder-0.5b-instruct", help="Model of --cluster's servers."
    )
    args = parser.parse_args()
    if args.cluster:
        done = run_cluster(args.sessions, args.questions, args.timeout, args.model)
        raise SystemExit(1 if any(r.error for r in done) else 0)
    conversations = [c.split("|") for c in args.conversation] if args.conversation else CONVERSATIONS
    results = run(args.url, args.sessions, args.questions, args.timeout, conversations, not args.no_baseline)
    raise SystemExit(1 if any(r.error for r in results) else 0)


if __name__ == "__main__":
    main()
