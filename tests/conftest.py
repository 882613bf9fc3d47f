"""Shared test helpers: small real files of every supported kind, made on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest

from careguide.config import load_settings

DATA_DIR = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


def make_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    """Write a real PDF with one text line per page (Helvetica), optionally encrypted."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    body = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(body)
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        writer.append(PdfReader(path))
        writer.encrypt(password)
        with path.open("wb") as handle:
            writer.write(handle)
    return path


@pytest.fixture
def medquad_dir() -> Path:
    folder = load_settings().medquad_dir.resolve()
    if not folder.is_dir():
        pytest.fail(f"MedQuAD is expected at {folder} (../shared/data/medquad)")
    return folder
