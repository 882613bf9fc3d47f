"""The drug-name vocabulary the PHI allow-list ships (``guardrails/data/drug_names.txt``).

Words of the focus names of MedQuAD's MedlinePlus drug questions (11_MPlusDrugs_QA, CC BY 4.0):
generic drug names, so that "Cabergoline" or "Aspirin" in a message is not redacted as a person
or a place even when the indexed knowledge base does not cover that drug. A word that is also a
person's name or a place in presidio_synth's gold spans (MIT) is left out, as are short words,
dosage-form words and everyday words that are also surnames (Silver, Salmon). Rebuild with
``python -m careguide.eval.drug_names``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from careguide.config import load_settings
from careguide.eval.phi import load_presidio_synth
from careguide.guardrails import DRUG_NAMES_FILE

_FOCUS = re.compile(r"<Focus>([^<]*)</Focus>")
_WORD = re.compile(r"[a-z]+")
_NOT_NAMES = frozenset(
    """and with oral injection injectable topical ophthalmic otic inhalation inhaler nasal
    transdermal rectal vaginal tablet tablets capsule capsules cream ointment lotion patch drops
    spray syrup suspension vaccine vaccines extended release delayed combination system implant
    powder solution sodium potassium calcium chloride acetate hydrochloride sulfate film gel
    shampoo foam kit pen vial intravenous subcutaneous intramuscular intrathecal silver salmon
    yellow origin fever human complex therapy hormone fatty acids stool""".split()
)


def drug_words(medquad_dir: Path, names_and_places: set[str]) -> list[str]:
    """The lower-case drug-name words of the drug subset's focus names, minus names and places."""
    words: set[str] = set()
    for xml in sorted((medquad_dir / "11_MPlusDrugs_QA").glob("*.xml")):
        for focus in _FOCUS.findall(xml.read_text(encoding="utf-8", errors="replace")):
            words.update(_WORD.findall(focus.lower()))
    return sorted(w for w in words if len(w) >= 5 and w not in _NOT_NAMES and w not in names_and_places)


def names_and_places(data_dir: Path) -> set[str]:
    """Every lower-case word of presidio_synth's gold person, place and organisation spans."""
    found: set[str] = set()
    for sentence in load_presidio_synth(data_dir):
        for span in sentence.spans:
            if span.entity_type in ("PERSON", "LOCATION", "GPE", "ORGANIZATION", "NRP"):
                found.update(_WORD.findall(sentence.text[span.start : span.end].lower()))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DRUG_NAMES_FILE)
    args = parser.parse_args(argv)
    settings = load_settings()
    words = drug_words(settings.medquad_dir, names_and_places(settings.data_dir))
    header = (
        "# Drug-name words from MedQuAD's MedlinePlus drug questions (11_MPlusDrugs_QA; CC BY 4.0,\n"
        "# Ben Abacha & Demner-Fushman 2019), minus words of presidio_synth's names and places.\n"
        "# Built by `python -m careguide.eval.drug_names`.\n"
    )
    args.output.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"Wrote {len(words)} words to {args.output}")


if __name__ == "__main__":
    main()
