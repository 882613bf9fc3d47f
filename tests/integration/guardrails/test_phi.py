"""PHI redaction with real Presidio and the packaged spaCy model."""

from __future__ import annotations

import pytest

from careguide.guardrails import Guardrails, load_policy
from careguide.ingest import KnowledgeBaseTerms

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def guard() -> Guardrails:
    terms = KnowledgeBaseTerms(topics=("Guillain-Barre syndrome", "Hashimoto thyroiditis", "Crohn's Disease"))
    return Guardrails(load_policy(), terms)


@pytest.mark.parametrize(
    ("text", "placeholder", "secret"),
    [
        ("My name is John Smith and I have asthma.", "<NAME>", "John Smith"),
        ("My MRN is 48392017, can you check it?", "<MRN>", "48392017"),
        ("medical record number: AB-1234567", "<MRN>", "1234567"),
        ("My member ID is XJH4829301 with Aetna", "<INSURANCE_ID>", "XJH4829301"),
        ("Medicare number 1EG4TE5MK73", "<INSURANCE_ID>", "1EG4TE5MK73"),
        ("My grandmother is 93 years old", "<AGE>", "93"),
        ("I live at 42 Oak Street, Springfield, IL 62704", "<ADDRESS>", "42 Oak Street"),
        ("DOB: March 14, 1962", "<DATE>", "March 14, 1962"),
        ("I was born on 14/03/1962", "<DATE>", "14/03/1962"),
        ("I was treated at Mercy General Hospital last year", "<FACILITY>", "Mercy General"),
        ("call me at 312-555-0199", "<PHONE>", "555-0199"),
        ("email jane.doe@example.com", "<EMAIL>", "jane.doe@example.com"),
        ("my SSN is 078-05-1120", "<SSN>", "078-05-1120"),
        ("SSN 123 45 6789", "<SSN>", "6789"),
        ("my ss# is 123.45.6789 ok", "<SSN>", "123.45"),
        ("social security number: 123 - 45 - 6789", "<SSN>", "123"),
        ("her social security no 123456789", "<SSN>", "123456789"),
        ("case no. AB-12 3456 please", "<MRN>", "3456"),
        ("My MRN is #XY-998877", "<MRN>", "998877"),
        ("AB-123456 is on my wristband", "<MRN>", "123456"),
        ("my patient id: 44 55 66 77", "<MRN>", "66 77"),
        ("I was seen at Dr. Patel's office last week", "<FACILITY>", "Patel"),
        ("she was admitted to UCSF Medical Center", "<FACILITY>", "UCSF"),
        ("I had surgery at OHSU last year", "<FACILITY>", "OHSU"),
        ("I was treated at Johns Hopkins Hospital", "<FACILITY>", "Hopkins"),
        ("I was seen at UCSF medical center last week", "<FACILITY>", "UCSF"),
        ("they sent me to the Mayo clinic", "<FACILITY>", "Mayo"),
        ("transferred to Stanford Health Care overnight", "<FACILITY>", "Stanford"),
        ("seen in the ER at Mercy General", "<FACILITY>", "Mercy"),
        ("Mr. Okafor has a cough", "<NAME>", "Okafor"),
        ("my doctor, Dr Nguyen, said it's fine", "<NAME>", "Nguyen"),
        ("Mrs. Wilson stopped her statin", "<NAME>", "Wilson"),  # a title wins over the allow-list
        ("she was moved to Kristiansen Rehabilitation Hospital", "<FACILITY>", "Kristiansen"),
        ("account # TR/0048812 has a balance", "<MRN>", "0048812"),
    ],
)
def test_phi_is_replaced_by_a_typed_placeholder(guard, text, placeholder, secret):
    decision = guard.redact(text)
    assert decision.action == "redact"
    assert placeholder in decision.redacted
    assert secret not in decision.redacted
    assert decision.notice.startswith("To protect your privacy")


@pytest.mark.parametrize(
    "text",
    [
        "I was diagnosed with Guillain-Barre syndrome",
        "Does Hashimoto cause weight gain?",
        "Is Ozempic safe with Crohn's disease?",
        "What is Parkinson disease?",
        "My 45 year old husband has high blood pressure",
        "I have had diabetes since 2019",
        "Is Down syndrome inherited?",
        "I take 1000 mg of metformin twice a day and 20 units of insulin",
        "My A1C went from 8.1 to 6.9 in 3 months",
        "Is a BRCA-1 mutation the same as Lynch syndrome?",
        "I go to the ER when it's bad and they give me an IV",
        "Is Dr. Google right about Lyme disease?",
        "My CBT therapist at the clinic suggested DBT",
        "Is the Surgeon General warning on cigarettes about lung cancer?",
        "General question: how long does the flu last?",
        "Is my Gleason score of 7 high?",
        "Can I take Atorvastatin with Lisinopril?",
        "My HbA1c is 7.4 and my BMI is 29",
        "The pediatric cardiology department moved my appointment to next Tuesday",
        "Is Tamsulosin safe to take with Lamotrigine?",
        "Aspirin or Acetaminophen for a headache?",
    ],
)
def test_medical_terms_and_non_identifying_details_stay(guard, text):
    decision = guard.redact(text)
    assert decision.redacted == text, decision.reasons


def test_a_titled_surname_that_is_also_a_word_is_still_a_person(guard):
    assert "Silver" not in guard.redact("Mr. Silver takes Aspirin every morning").redacted


def test_a_person_named_like_a_disease_is_still_a_person(guard):
    assert "James" not in guard.redact("My neighbour James Parkinson has a cough").redacted
