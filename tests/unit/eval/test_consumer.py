"""The consumer-question retrieval eval: questions outside the index are skipped and counted, and the
entailment weights are refitted on the tuning part's candidates."""

from __future__ import annotations

from careguide.config import RetrievalSettings
from careguide.eval.consumer import consumer_markdown, consumer_refit_line, reachable, refit_entailment
from careguide.eval.devset import ConsumerQuestion
from careguide.rag import Retriever
from careguide.rag.retrieval import LexicalRetriever
from tests.unit.rag.test_answers import ranker


def question(qid: str, answers: set[str], urls: set[str] | None = None) -> ConsumerQuestion:
    return ConsumerQuestion(qid, f"question {qid}", frozenset(answers), frozenset(urls or ()), "tune")


def test_questions_whose_gold_is_not_indexed_are_skipped_and_counted():
    items = [
        question("a", {"A_1"}),  # indexed answer
        question("b", {"X_9"}),  # answer of a subset not in this index
        question("c", {"X_9", "A_2"}, {"other.org/page"}),  # one of two answers indexed
        question("d", set(), {"example.org/pneumonia"}),  # document-level gold only, indexed
        question("e", set(), {"other.org/page"}),
    ]
    kept, not_indexed = reachable(items, {"A_1", "A_2", "B_1"}, {"example.org/pneumonia"})
    assert not_indexed == 2
    assert [q.qid for q in kept] == ["a", "c", "d"]
    assert kept[1].gold_answers == {"A_2"} and not kept[1].gold_urls  # gold cut to what is indexed
    assert kept[2].gold_urls == {"example.org/pneumonia"}


def retriever() -> Retriever:
    answers = ranker()
    assert answers.lexical is not None
    return Retriever(RetrievalSettings(), None, LexicalRetriever(answers.lexical), answers)


def test_refit_learns_from_the_tuning_candidates_and_reports_the_committed_weights():
    r = retriever()
    assert r.answers is not None
    items = [
        ConsumerQuestion("1", "is angelman syndrome inherited by children", frozenset({"A_2"}), frozenset()),
        ConsumerQuestion("2", "how do you treat pneumonia", frozenset({"B_1"}), frozenset()),
        ConsumerQuestion("3", "signs of pneumonia to watch for", frozenset({"B_2"}), frozenset()),
        ConsumerQuestion("4", "what is angelman syndrome", frozenset({"A_1"}), frozenset()),
    ]
    found = r.answers.signal_rankings([q.question for q in items])
    refit = refit_entailment(r, found, items)
    assert refit is not None
    assert refit["questions"] == 4 and refit["positives"] == 4 and refit["candidates"] > 4
    assert len(refit["coef"]) == len(refit["features"]) == 4
    assert refit["coef"][0] > 0  # the FAQ question's similarity to the message marks good answers
    line = consumer_refit_line(refit)
    assert "4 good" in line and "committed" in line
    # Nothing to learn from: no message with a good answer among its candidates.
    assert (
        refit_entailment(
            r, found, [ConsumerQuestion(q.qid, q.question, frozenset(), frozenset()) for q in items]
        )
        is None
    )


def test_the_report_names_the_skipped_questions_and_the_refit():
    report = {
        "set": {
            "questions": 10,
            "tune": 4,
            "report": 3,
            "not_indexed": {"tune": 1, "report": 2},
            "with_answer_gold": 9,
            "with_url_gold": 5,
        },
        "tuned_weights": {},
        "entailment_refit": None,
        "rows": [],
        "misses": [],
    }
    text = "\n".join(consumer_markdown(report))
    assert "not in this index (not scored): tuning part 1, report part 2" in text
    assert "not refitted" in text
