"""The retrieval eval on a real (small) index of real MedQuAD files."""

from __future__ import annotations

import json

import pytest

from careguide.eval.retrieval import run_retrieval_eval, write_retrieval_report
from careguide.ingest import KnowledgeBase, ingest
from careguide.rag import Retriever

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_eval_reports_every_mode_and_variant(settings, embedder, chunker, medquad_sample, tmp_path):
    knowledge = KnowledgeBase.open(settings)
    ingest([medquad_sample], knowledge, embedder, chunker)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    report = run_retrieval_eval(settings, retriever, size=20, seed=0)
    assert report["dev_set"]["questions"] == 20
    assert {(r["variant"], r["mode"]) for r in report["rows"]} == {
        (v, m)
        for v in ("template", "lowercase", "typos", "consumer", "all")
        for m in ("dense", "bm25", "hybrid", "rrf-chunks")
    }
    template = {r["mode"]: r for r in report["rows"] if r["variant"] == "template"}
    for row in template.values():
        assert 0.0 <= row["recall@1"] <= row["recall@5"] <= row["recall@10"] <= 1.0
        assert row["mrr@10"] <= row["recall@10"]
    assert template["hybrid"]["recall@10"] >= 0.9  # template questions of a tiny index are easy
    # Four MedQuAD files hold few consumer questions' gold: the rest are counted, not scored as misses.
    consumer = report["consumer"]["set"]
    skipped = consumer["not_indexed"]
    assert (
        consumer["tune"] + consumer["report"] + skipped["tune"] + skipped["report"] == consumer["questions"]
    )
    assert skipped["tune"] + skipped["report"] > consumer["tune"] + consumer["report"]
    for row in report["consumer"]["rows"]:
        assert row["questions"] <= consumer[row["part"]]
    json_path, md_path = write_retrieval_report(report, tmp_path / "reports")
    assert json.loads(json_path.read_text())["rows"] == report["rows"]
    assert "| template | hybrid |" in md_path.read_text()
