"""MedQuAD XML: one Document per answered question-answer pair."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from careguide.ingest.documents import Document, Section
from careguide.ingest.errors import LoadError

MEDQUAD_LICENSE = "CC BY 4.0"
MEDQUAD_CITATION = (
    "Ben Abacha & Demner-Fushman, 'A Question-Entailment Approach to Question Answering', "
    "BMC Bioinformatics 20:511 (2019)"
)
ORGANISATIONS = {
    "CancerGov": "National Cancer Institute (cancer.gov)",
    "GARD": "Genetic and Rare Diseases Information Center (NIH)",
    "GHR": "Genetics Home Reference (National Library of Medicine)",
    "MPlusHealthTopics": "MedlinePlus Health Topics (National Library of Medicine)",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases",
    "NINDS": "National Institute of Neurological Disorders and Stroke",
    "NIHSeniorHealth": "NIHSeniorHealth (National Institute on Aging)",
    "NHLBI": "National Heart, Lung, and Blood Institute",
    "CDC": "Centers for Disease Control and Prevention",
}


@dataclass(frozen=True)
class MedQuadPair:
    """One question-answer pair as MedQuAD stores it."""

    answer_id: str
    question: str
    question_type: str
    answer: str
    focus: str
    source: str
    url: str


def answer_id_for(source: str, document_id: str, pid: str) -> str:
    """MedQuAD's own answer identifier, e.g. ``GHR_0000123_Sec2``."""
    return f"{source}_{document_id}_Sec{pid}"


def _child(element: ET.Element, *names: str) -> ET.Element | None:
    for child in element:
        if child.tag.lower() in names:
            return child
    return None


def _pairs(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.tag.lower() in ("qapair", "pair")]


def read_pairs(path: Path) -> Iterator[MedQuadPair]:
    """Yield every question-answer pair of one MedQuAD XML file (answered or not).

    MedQuAD uses three spellings of its schema (``<Document id source>``, ``<DiseaseFile fid>``
    and ``<doc docid corpus>``); all are read.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise LoadError(path, f"is not well-formed XML ({exc})") from None
    pairs = _pairs(root)
    container = _child(root, "qapairs")
    if root.tag.lower() not in ("document", "diseasefile", "doc") or container is None:
        raise LoadError(path, "is XML but not a MedQuAD document with question-answer pairs")
    source = root.get("source") or root.get("corpus") or ""
    document_id = root.get("id") or root.get("fid") or root.get("docid") or ""
    url = root.get("url", "")
    focus_element = _child(root, "focus", "doctitle-focus")
    focus = " ".join((focus_element.text or "").split()) if focus_element is not None else ""
    for pair in pairs:
        question = _child(pair, "question")
        answer = _child(pair, "answer")
        yield MedQuadPair(
            answer_id=answer_id_for(source, document_id, pair.get("pid", "")),
            question=" ".join((question.text or "").split()) if question is not None else "",
            question_type=question.get("qtype", "") if question is not None else "",
            answer=(answer.text or "").strip() if answer is not None else "",
            focus=focus,
            source=source,
            url=url,
        )


def load_medquad(path: Path, audience: str = "patients") -> list[Document]:
    """Load the answered pairs of a MedQuAD file; a file with no answers yields nothing."""
    documents = []
    for pair in read_pairs(path):
        if not pair.answer:
            continue
        documents.append(
            Document(
                source_key=pair.answer_id,
                title=pair.question,
                sections=(Section(text=pair.answer, headings=()),),
                source=pair.source,
                organisation=ORGANISATIONS.get(pair.source, pair.source),
                url=pair.url,
                license=MEDQUAD_LICENSE,
                answer_id=pair.answer_id,
                topic=pair.focus,
                question_type=pair.question_type,
                audience=audience,
                section_label=pair.answer_id.rsplit("_", 1)[-1],
            )
        )
    return documents
