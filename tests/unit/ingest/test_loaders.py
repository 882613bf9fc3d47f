import pytest

from careguide.ingest import LoadError, SourceInfo
from careguide.ingest.loaders import (
    html_sections,
    iter_source_files,
    load_html,
    load_markdown,
    load_pdf,
    load_text,
    loader_for,
    markdown_sections,
)
from tests.conftest import make_pdf

INFO = SourceInfo(source="clinic", organisation="Example Clinic", license="internal")


def test_markdown_keeps_heading_path_and_ignores_fenced_hashes():
    title, sections = markdown_sections(
        "# Asthma\nIntro.\n## Triggers\nSmoke.\n```\n# not a heading\n```\n### At home\nDust.\n## Care\nRest."
    )
    assert title == "Asthma"
    assert [s.headings for s in sections] == [
        ("Asthma",),
        ("Asthma", "Triggers"),
        ("Asthma", "Triggers", "At home"),
        ("Asthma", "Care"),
    ]
    assert "# not a heading" in sections[1].text


HTML = """<html><head><title>Flu | Clinic</title><script>var x=1;</script></head><body>
<header><nav><ul><li>Home</li><li>Menu item</li></ul></nav></header>
<main><h1>Flu</h1><p>Flu is an infection.</p><h2>Symptoms</h2><ul><li>Fever</li><li>Cough</li></ul>
<div role="navigation">Skip links</div></main>
<footer><p>Copyright footer</p></footer></body></html>"""


def test_html_main_text_without_menus():
    title, sections = html_sections(HTML)
    assert title == "Flu | Clinic"
    text = " ".join(s.text for s in sections)
    assert "Flu is an infection." in text and "Fever" in text
    for noise in ("Menu item", "Copyright footer", "var x", "Skip links"):
        assert noise not in text
    assert sections[-1].headings == ("Flu", "Symptoms")


def test_html_document_carries_source_info(tmp_path):
    path = tmp_path / "flu.html"
    path.write_text(HTML, encoding="utf-8")
    (document,) = load_html(path, INFO)
    assert document.source == "clinic" and document.organisation == "Example Clinic"
    assert document.license == "internal" and document.url.startswith("file://")


def test_pdf_pages_are_kept(tmp_path):
    path = make_pdf(tmp_path / "leaflet.pdf", ["Page one text.", "Page two text."])
    (document,) = load_pdf(path, INFO)
    assert [(s.page, s.text) for s in document.sections] == [
        (1, "Page one text."),
        (2, "Page two text."),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"   \n", "is empty"),
        ("binary.txt", b"\x00\x01\x02binary", "looks binary"),
        ("latin1.md", "Caf\u00e9 fever".encode("latin-1"), "not UTF-8"),
        ("corrupt.pdf", b"%PDF-1.4\nthis is not really a pdf", "not a readable PDF"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_bad_files_raise_one_clear_sentence(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    loader = loader_for(path)
    assert loader is not None
    with pytest.raises(LoadError, match=message) as raised:
        loader(path, INFO)
    assert str(raised.value).startswith(str(path))


def test_encrypted_pdf_is_reported(tmp_path):
    path = make_pdf(tmp_path / "secret.pdf", ["Hidden."], password="pw")
    with pytest.raises(LoadError, match="encrypted"):
        load_pdf(path, INFO)


def test_text_and_markdown_load_utf8_with_bom(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes("\ufeffDrink water.".encode())
    assert load_text(path, INFO)[0].sections[0].text == "Drink water."
    md = tmp_path / "care.md"
    md.write_text("# Care\nRest well.", encoding="utf-8")
    assert load_markdown(md, INFO)[0].title == "Care"


def test_unsupported_suffix_and_hidden_files(tmp_path):
    (tmp_path / "a.docx").write_bytes(b"PK")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.txt").write_text("x")
    (tmp_path / "c.txt").write_text("y")
    files = list(iter_source_files([tmp_path]))
    assert [f.name for f in files] == ["a.docx", "c.txt"]
    assert loader_for(files[0]) is None
    with pytest.raises(FileNotFoundError):
        list(iter_source_files([tmp_path / "missing"]))
