"""Load on a running app: simultaneous chat sessions through ``POST /v1/answer/stream``.

Each session asks its questions in turn, the later ones as follow-ups (the earlier questions, as the
server redacted them, go along as ``history``), like a patient in the chat. Reported: errors, and
p50/p95 of the time to the first draft token and of the whole answer, against one session alone
measured just before (the baseline, same run). Start the app first
(``careguide serve``), then::

    python -m benchmarks.load_chat --url http://127.0.0.1:7860
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
    args = parser.parse_args()
    conversations = [c.split("|") for c in args.conversation] if args.conversation else CONVERSATIONS
    results = run(args.url, args.sessions, args.questions, args.timeout, conversations, not args.no_baseline)
    raise SystemExit(1 if any(r.error for r in results) else 0)


if __name__ == "__main__":
    main()
