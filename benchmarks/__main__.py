"""`make bench`: every benchmark, each with its own baseline measured in the same run."""

from __future__ import annotations

import argparse

from benchmarks import bench_answers, bench_chat, bench_guardrails, bench_ingest, bench_modes, bench_query


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--only", choices=("ingest", "query", "chat", "guardrails", "answers", "modes"), default=None
    )
    parser.add_argument(
        "--docs", type=int, default=None, help="Ingest sample, documents (default: about 3,000 chunks)."
    )
    parser.add_argument("--questions", type=int, default=200, help="Query benchmark questions.")
    parser.add_argument("--answers", type=int, default=20, help="End-to-end answer benchmark questions.")
    args = parser.parse_args()
    if args.only in (None, "query"):
        bench_query.run(args.questions)
    if args.only in (None, "chat"):
        bench_chat.run(min(args.answers, len(bench_answers.QUESTIONS)))
    if args.only in (None, "guardrails"):
        bench_guardrails.run()
    if args.only in (None, "ingest"):
        bench_ingest.run(args.docs or bench_ingest.DEFAULT_DOCS)
    if args.only in (None, "answers"):
        bench_answers.run(args.answers)
    if args.only in (None, "modes"):
        bench_modes.run(args.answers)


if __name__ == "__main__":
    main()
