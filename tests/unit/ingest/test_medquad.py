import pytest

from careguide.ingest import LoadError
from careguide.ingest.medquad import load_medquad, read_pairs

DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000123" source="GHR" url="https://example.org/x">
<Focus>Example syndrome</Focus>
<QAPairs>
<QAPair pid="1"><Question qid="1" qtype="information">What is (are) Example syndrome ?</Question>
<Answer>Example syndrome is a condition.</Answer></QAPair>
<QAPair pid="2"><Question qid="2" qtype="treatment">What are the treatments for Example syndrome ?</Question>
<Answer></Answer></QAPair>
</QAPairs></Document>"""

DISEASE_FILE = """<?xml version="1.0"?><DiseaseFile fid="0000397" source="CDC" url="u">
<Focus>Parasites</Focus><QAPairs><QAPair pid="3"><Question qtype="causes">Why?</Question>
<Answer>Because.</Answer></QAPair></QAPairs></DiseaseFile>"""

DOC = """<?xml version="1.0"?><doc docid="0000007" corpus="NINDS" url="u2">
<doctitle-focus>Holmes-Adie</doctitle-focus><qaPairs><pair pid="1">
<question qtype="information">what is holmes-adie syndrome ?</question><answer>A disorder.</answer>
</pair></qaPairs></doc>"""


def write(tmp_path, text, name="x.xml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_one_document_per_answered_pair_with_medquad_answer_id(tmp_path):
    documents = load_medquad(write(tmp_path, DOCUMENT))
    assert len(documents) == 1
    (document,) = documents
    assert document.answer_id == "GHR_0000123_Sec1"
    assert document.title == "What is (are) Example syndrome ?"
    assert document.topic == "Example syndrome" and document.question_type == "information"
    assert document.source == "GHR" and document.url == "https://example.org/x"
    assert document.license == "CC BY 4.0" and document.section_label == "Sec1"
    assert "National Library of Medicine" in document.organisation


@pytest.mark.parametrize(
    ("text", "answer_id", "focus"),
    [(DISEASE_FILE, "CDC_0000397_Sec3", "Parasites"), (DOC, "NINDS_0000007_Sec1", "Holmes-Adie")],
)
def test_all_three_schema_spellings(tmp_path, text, answer_id, focus):
    (pair,) = list(read_pairs(write(tmp_path, text)))
    assert pair.answer_id == answer_id and pair.focus == focus and pair.answer


def test_not_medquad_xml(tmp_path):
    with pytest.raises(LoadError, match="not a MedQuAD document"):
        list(read_pairs(write(tmp_path, "<rss><channel/></rss>")))
    with pytest.raises(LoadError, match="not well-formed XML"):
        list(read_pairs(write(tmp_path, "<Document><QAPairs>")))


def test_real_medquad_file_from_the_data_dir(medquad_dir):
    pairs = list(read_pairs(medquad_dir / "3_GHR_QA" / "0000001.xml"))
    assert pairs[0].answer_id == "GHR_0000001_Sec1"
    assert pairs[0].focus == "Aarskog-Scott syndrome"


def test_unanswered_subsets_yield_no_documents(medquad_dir):
    path = sorted((medquad_dir / "11_MPlusDrugs_QA").glob("*.xml"))[0]
    assert list(read_pairs(path)) and load_medquad(path) == []
