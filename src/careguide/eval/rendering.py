"""The Markdown summary and the HTML report (with matplotlib plots) of one harness run."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

from careguide.eval.comparison import Difference

DEFINITIONS = {
    "recall@k": "share of questions whose gold MedQuAD answer is among the first k answers retrieved",
    "mrr@10": "mean of 1/rank of the gold answer within the first 10 (0 when absent)",
    "ndcg@10": "1/log2(rank+1) of the gold answer within the first 10 (one relevant answer per question)",
    "phi precision/recall/F2": "span-level, by character coverage >= 0.5 on presidio_synth; "
    "F2 weighs recall 4x",
    "phi.medquad_sentences_flagged": "share of PHI-free MedQuAD answer sentences with any PHI span found",
    "safety.medsafetybench.refusal": "share of MedSafetyBench train requests (the Llama-2 half, which the "
    "medical classifier is not trained on) refused or escalated by a safety check",
    "safety.xstest.safe_false_refusal": "share of XSTest safe prompts refused by a safety check "
    "(redirects of non-health prompts not counted)",
    "safety.xstest.unsafe_refusal": "share of XSTest unsafe prompts refused by a safety check",
    "safety.emergency.recall": "share of careguide's written emergency messages escalated",
    "safety.emergency.false_alarm": "share of look-alike non-emergencies escalated",
    "safety.bipia.detected": "share of BIPIA text attacks planted in a MedQuAD passage that are flagged",
    "safety.bipia.clean_flagged": "share of clean MedQuAD passages flagged as carrying instructions",
    "answers.*.citation_recall_draft/shown": "ALCE citation recall: share of statements (sentences "
    "other than 'ask your doctor') whose cited passages together support them, judged by careguide's "
    "lexical support checker, on the model's draft and on the answer shown after the checks",
    "answers.*.citation_precision_draft/shown": "ALCE citation precision: share of citations that support "
    "their statement alone or without which it is no longer supported",
    "answers.medquad.answered": "share of answerable MedQuAD questions answered (not abstained)",
    "answers.medquad.gold_cited": "share of answered MedQuAD questions citing the question's own answer",
    "answers.unanswerable.abstained": "share of MedQuAD drug/herb questions (not in the knowledge base) "
    "where careguide abstained",
    "answers.*.no_unverified_numbers": "share of answers with no number or dose missing from its cited "
    "passages (must be 1)",
    "answers.checker_agreement": "share of hand-labelled model sentences where the support checker agrees "
    "with the human label",
    "readability.*.fk_grade_mean": "mean Flesch-Kincaid grade (textstat) of answers at each reading level, "
    "and of the passages they cite",
    "readability.standard.share_at_most_grade_8": "share of standard-level answers at grade 8 or below",
}


def pct(rate: Mapping[str, Any]) -> str:
    """A rate (``Rate.to_json``'s form) as the Markdown tables show it: ``12.5% (3/24)``."""
    return f"{100 * rate['rate']:.1f}% ({rate['hits']}/{rate['total']})"


def _png(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(results: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, base64 PNG) for each plot the run's suites support."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures: list[tuple[str, str]] = []
    suites = results["results"]
    if "retrieval" in suites:
        rows = suites["retrieval"]["report"]["rows"]
        variants = list(dict.fromkeys(r["variant"] for r in rows))
        fig, axes = plt.subplots(1, len(variants), figsize=(3.2 * len(variants), 3), sharey=True)
        for ax, variant in zip(axes if len(variants) > 1 else [axes], variants, strict=True):
            for row in (r for r in rows if r["variant"] == variant):
                ax.plot(
                    [1, 5, 10],
                    [row["recall@1"], row["recall@5"], row["recall@10"]],
                    marker="o",
                    label=row["mode"],
                )
            ax.set_title(variant)
            ax.set_xlabel("k")
            ax.set_ylim(0, 1)
        (axes[0] if len(variants) > 1 else axes).set_ylabel("recall@k")
        fig.legend(*(axes[0] if len(variants) > 1 else axes).get_legend_handles_labels(), loc="lower right")
        figures.append(("Retrieval: recall@k by question variant", _png(fig)))
    if "safety" in suites:
        report = suites["safety"]["report"]
        for title, data in (
            ("Emergency recall by category", report["emergency"]["recall_by_category"]),
            ("MedSafetyBench refusal by category", report["medsafetybench_train"]["by_category"]),
            (
                "XSTest safe prompts: false safety refusals by type",
                report["xstest"]["safe_false_refusal_by_type"],
            ),
        ):
            fig, ax = plt.subplots(figsize=(7, 3))
            ax.barh(list(data), [v["rate"] for v in data.values()])
            ax.set_xlim(0, 1)
            ax.set_title(title)
            figures.append((title, _png(fig)))
    if "answers" in suites:
        records = suites["answers"]["report"]["records"]
        timed = [r["timings"] for r in records if "first_token_ms" in r["timings"]]
        if timed:
            fig, ax = plt.subplots(figsize=(7, 3))
            ax.hist(
                [[t["first_token_ms"] / 1000 for t in timed], [t["total_ms"] / 1000 for t in timed]],
                bins=15,
                label=["first token", "total"],
            )
            ax.set_xlabel("seconds")
            ax.set_ylabel("answers")
            ax.legend()
            ax.set_title("Answer latency distribution")
            figures.append(("Answer latency distribution", _png(fig)))
    if "readability" in suites:
        rows = suites["readability"]["report"]["rows"]
        series = {
            level: [r[level] for r in rows if r.get(level) is not None]
            for level in ("source", "standard", "simpler")
        }
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.hist(list(series.values()), bins=10, label=list(series))
        ax.axvline(8, color="black", linestyle="--", linewidth=1)
        ax.set_xlabel("Flesch-Kincaid grade")
        ax.legend()
        ax.set_title("Readability: cited sources vs answers at each reading level")
        figures.append(("Readability histogram", _png(fig)))
    if "phi" in suites:
        by_type = suites["phi"]["report"]["detectors"]["careguide"]["by_type"]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.barh(list(by_type), [v["recall"] for v in by_type.values()])
        ax.set_xlim(0, 1)
        ax.set_title("PHI recall by entity type (presidio_synth)")
        figures.append(("PHI recall by entity type", _png(fig)))
    return figures


def summary_markdown(results: dict[str, Any]) -> str:
    lines = [
        "# careguide evaluation",
        "",
        f"Created {results['created']} at commit `{results['git_commit'][:12]}`; suites: "
        f"{', '.join(results['suites'])}; limit: {results['limit'] or 'none (full)'}; "
        f"collection: {results['collection']}.",
        "",
        "| metric | value |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {value:.4f} |" for name, value in results["metrics"].items()]
    lines += ["", "## Definitions", ""] + [f"- **{k}**: {v}" for k, v in DEFINITIONS.items()]
    lines += ["", "## Datasets", ""] + [f"- {k}: {v}" for k, v in results["datasets"].items()] + [""]
    return "\n".join(lines)


def report_html(results: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v:.4f}</td></tr>" for k, v in results["metrics"].items()
    )
    definitions = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in DEFINITIONS.items()
    )
    datasets = "".join(
        f"<li>{html.escape(k)}: {html.escape(str(v))}</li>" for k, v in results["datasets"].items()
    )
    images = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{png}"><figcaption>{html.escape(t)}'
        f"</figcaption></figure>"
        for t, png in plots(results)
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>careguide evaluation {html.escape(results["created"])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td{{border:1px solid #ccc;padding:.2rem .5rem}}img{{max-width:100%}}</style>
</head><body><h1>careguide evaluation</h1>
<p>Created {html.escape(results["created"])}, commit <code>{html.escape(results["git_commit"])}</code>,
suites {html.escape(", ".join(results["suites"]))}, limit {html.escape(str(results["limit"]))}.</p>
<h2>Metrics</h2><table>{rows}</table><h2>Plots</h2>{images}
<h2>Definitions</h2><ul>{definitions}</ul><h2>Datasets and licenses</h2><ul>{datasets}</ul>
</body></html>"""


def comparison_markdown(differences: Sequence[Difference]) -> str:
    lines = ["| metric | before | after | change | |", "| --- | --- | --- | --- | --- |"]
    for d in differences:
        before = "—" if d.before is None else f"{d.before:.4f}"
        after = "—" if d.after is None else f"{d.after:.4f}"
        delta = "" if d.delta is None else f"{d.delta:+.4f}"
        lines.append(
            f"| {d.metric} | {before} | {after} | {delta} | {'REGRESSION' if d.regression else ''} |"
        )
    return "\n".join(lines)
