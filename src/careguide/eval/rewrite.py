"""The rewriting step alone, on the Cochrane simplification set (Devaraj et al., NAACL 2021).

Each technical paragraph (a Cochrane review abstract's results, ``<part>.source``) is rewritten
sentence by sentence by careguide's plain-language step (:func:`careguide.rag.plain.rewrite`: plain
words for medical terms, long sentences split, defined abbreviations dropped, lists; each rewrite
kept only where the verifier accepts it) and compared with the paragraph as written:
- reading grade: Flesch-Kincaid (textstat) of the paragraph before and after, and of the authors'
  plain-language summary (``<part>.target``) for reference;
- facts kept: the paragraph's numbers with their units, and its names (capitalised or hyphenated
  words: drugs, conditions, scales), all still there after the rewrite;
- sentences the verifier rejected (shown as written), with the reasons.

``careguide eval readability`` reads the validation part (``val``) by default; no rule of the
rewriting step was chosen on either part (they were chosen on MedQuAD sentences).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careguide.eval.answers import reading_grade
from careguide.ingest import split_sentences
from careguide.rag import abbreviations, names, quantities, rewrite, used_abbreviations

FOLDER = "cochrane_simplification_devaraj2021"
PARTS = ("val", "test")


@dataclass(frozen=True)
class Paragraph:
    doi: str
    source: str
    target: str


def load_cochrane(data_dir: Path, part: str = "val", limit: int | None = None) -> list[Paragraph]:
    """The line-aligned paragraphs of one part, in file order (``limit``: the first ones)."""
    if part not in PARTS:
        raise ValueError(f"Unknown part {part!r}; use one of {', '.join(PARTS)}.")
    folder = data_dir / FOLDER
    paths = [folder / f"{part}.{kind}" for kind in ("source", "target", "doi")]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"The Cochrane simplification set was not found at {folder} (missing {missing[0].name}); put "
            "it under <data_dir>/" + FOLDER + " (github.com/AshOlogn/Paragraph-level-Simplification-of-"
            "Medical-Texts; cite Devaraj et al., NAACL 2021)."
        )
    sources, targets, dois = (p.read_text(encoding="utf-8").splitlines() for p in paths)
    if not len(sources) == len(targets) == len(dois):
        raise ValueError(f"{folder}: {part}.source, .target and .doi differ in length.")
    rows = [
        Paragraph(d.strip(), s.strip(), t.strip()) for s, t, d in zip(sources, targets, dois, strict=True)
    ]
    rows = [r for r in rows if r.source]
    return rows[:limit] if limit else rows


@dataclass(frozen=True)
class Rewritten:
    """One paragraph after the rewriting step."""

    text: str  # the rewritten paragraph (list items on lines of their own)
    sentences: int
    changed: int  # sentences shown rewritten
    rejected: tuple[str, ...]  # the verifier's reason for each sentence shown as written instead


def rewrite_paragraph(text: str) -> Rewritten:
    """The paragraph sentence by sentence through the rewriting step, as an answer shows it: a
    term is bracketed once per paragraph, an abbreviation the paragraph uses again keeps its
    brackets."""
    seen: set[str] = set()
    keep = used_abbreviations([text])
    lines: list[str] = []
    prose: list[str] = []
    sentences = split_sentences(text)
    changed = 0
    rejected: list[str] = []
    for sentence in sentences:
        shown = rewrite(sentence, seen, keep)
        if shown.rejected:
            rejected.append(shown.rejected)
        elif shown.changed:
            changed += 1
        prose += list(shown.sentences)
        if shown.items:
            lines += [" ".join(prose), *(f"- {i}" for i in shown.items)]
            prose = []
    if prose:
        lines.append(" ".join(prose))
    return Rewritten("\n".join(lines), len(sentences), changed, tuple(rejected))


def _names(text: str) -> set[str]:
    return {n for sentence in split_sentences(text) for n in names(sentence)}


def paragraph_record(paragraph: Paragraph) -> dict[str, Any]:
    done = rewrite_paragraph(paragraph.source)
    before_numbers, after_numbers = quantities(paragraph.source), quantities(done.text)
    before_names = _names(paragraph.source)
    after_text = done.text.lower()
    spelled = {  # a short form dropped beside its spelled-out name is no lost name
        form
        for short, long in abbreviations(paragraph.source).items()
        if long.lower() in after_text
        for form in (short.lower(), f"{short.lower()}s")
    }
    lost_names = sorted(n for n in before_names if n not in after_text and n not in spelled)
    words = [len(s.split()) for s in split_sentences(paragraph.source)]
    shown = [len(s.split()) for line in done.text.splitlines() for s in split_sentences(line)]
    return {
        "doi": paragraph.doi,
        "grade_before": reading_grade(paragraph.source),
        "grade_after": reading_grade(done.text),
        "grade_target": reading_grade(paragraph.target) if paragraph.target else None,
        "sentences": done.sentences,
        "changed": done.changed,
        "rejected": list(done.rejected),
        "numbers": len(before_numbers),
        "numbers_lost": sorted(before_numbers - after_numbers),
        "numbers_added": sorted(after_numbers - before_numbers),
        "names": len(before_names),
        "names_lost": lost_names,
        "long_sentences_before": sum(w > 15 for w in words),
        "long_sentences_after": sum(w > 15 for w in shown),
        "shown_sentences": len(shown),
        "text": done.text,
    }


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def summarise_rewrites(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    sentences = sum(r["sentences"] for r in records)
    rejected = [reason for r in records for reason in r["rejected"]]
    targets = [r["grade_target"] for r in records if r["grade_target"] is not None]
    numbers = sum(r["numbers"] for r in records)
    names_total = sum(r["names"] for r in records)
    reasons = Counter(reason.split(":")[0] for reason in rejected)
    return {
        "paragraphs": n,
        "sentences": sentences,
        "fk_grade_before_median": _median([r["grade_before"] for r in records]),
        "fk_grade_after_median": _median([r["grade_after"] for r in records]),
        "fk_grade_before_mean": statistics.fmean(r["grade_before"] for r in records) if n else 0.0,
        "fk_grade_after_mean": statistics.fmean(r["grade_after"] for r in records) if n else 0.0,
        "fk_grade_target_median": _median(targets),
        "sentences_rewritten": sum(r["changed"] for r in records) / sentences if sentences else 0.0,
        "sentences_rejected": len(rejected) / sentences if sentences else 0.0,
        "rejected_reasons": dict(reasons.most_common()),
        "numbers": numbers,
        "numbers_kept": 1 - sum(len(r["numbers_lost"]) for r in records) / numbers if numbers else 1.0,
        "numbers_added": sum(len(r["numbers_added"]) for r in records),
        "names": names_total,
        "names_kept": 1 - sum(len(r["names_lost"]) for r in records) / names_total if names_total else 1.0,
        "paragraphs_all_facts_kept": (
            sum(not (r["numbers_lost"] or r["numbers_added"] or r["names_lost"]) for r in records) / n
            if n
            else 0.0
        ),
        "long_sentences_before": sum(r["long_sentences_before"] for r in records) / sentences
        if sentences
        else 0.0,
        "long_sentences_after": (
            sum(r["long_sentences_after"] for r in records)
            / max(1, sum(r["shown_sentences"] for r in records))
        ),
    }


def run_rewrite_eval(data_dir: Path, part: str = "val", limit: int | None = None) -> dict[str, Any]:
    """Every paragraph of the part (or the first ``limit``) before and after the rewriting step."""
    records = [paragraph_record(p) for p in load_cochrane(data_dir, part, limit)]
    return {"dataset": FOLDER, "part": part, "summary": summarise_rewrites(records), "records": records}


def rewrite_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    reasons = ", ".join(f"{k} {v}" for k, v in s["rejected_reasons"].items()) or "none"
    return "\n".join(
        [
            f"# The rewriting step alone: Cochrane simplification set, {report['part']} part",
            "",
            f"{s['paragraphs']} paragraphs, {s['sentences']} sentences.",
            "",
            "| | as written | after the rewrite | authors' plain summary |",
            "| --- | --- | --- | --- |",
            f"| FK grade, median | {s['fk_grade_before_median']:.1f} | {s['fk_grade_after_median']:.1f} | "
            f"{s['fk_grade_target_median']:.1f} |",
            f"| FK grade, mean | {s['fk_grade_before_mean']:.1f} | {s['fk_grade_after_mean']:.1f} | |",
            f"| sentences over 15 words | {s['long_sentences_before']:.3f} | "
            f"{s['long_sentences_after']:.3f} | |",
            "",
            f"- sentences rewritten: {s['sentences_rewritten']:.3f}; rejected by the verifier (shown as "
            f"written): {s['sentences_rejected']:.3f} ({reasons})",
            f"- numbers kept: {s['numbers_kept']:.3f} of {s['numbers']} (added: {s['numbers_added']}); names "
            f"kept: {s['names_kept']:.3f} of {s['names']}; paragraphs with every fact kept: "
            f"{s['paragraphs_all_facts_kept']:.3f}",
            "",
        ]
    )
