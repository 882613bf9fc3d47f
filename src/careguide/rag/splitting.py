"""Where a long sentence may be cut into short ones, and when an enumeration becomes a list.

A sentence of more than :data:`LONG_SENTENCE` words is split at safe joints only: a semicolon
outside brackets (not inside a "; and ..." enumeration), a comma before a clause with its own
subject, "because", a result (", causing ..."), a contrast (", but ..."), a definition ("X is a N
that ..."); never after a dependent head ("If ...", "With ..."), a title or a superlative noun. An
explicit enumeration of three or more short items ("include A, B, C and D") becomes a list. The
pieces keep the source's words: :mod:`careguide.rag.plain` replaces terms before the split and
verifies the whole rewrite after it.
"""

from __future__ import annotations

import re

__all__ = ["LONG_SENTENCE", "MIN_PIECE", "split_sentence"]

_LIST = re.compile(
    r"^(?P<lead>.*?\b(?:include|includes|including|such as)):?\s+(?P<items>[^.;:]+?)\.?$", re.I
)
"""Only an explicit enumeration becomes a list: after "foods that are lower in" the items would
lose the words they share."""


def _sentence(text: str) -> str:
    text = text.strip().strip(",;")
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text[-1:] in ".!?:" else f"{text}."


def _as_list(sentence: str) -> tuple[str, list[str]] | None:
    """ "Symptoms include A, B, C, and D." -> ("Symptoms include:", [A, B, C, D]) for 3+ items."""
    match = _LIST.match(sentence.strip())
    if not match or match["lead"].count("(") != match["lead"].count(")"):
        return None  # "... (including Spain, France, Italy)": the list would cut the bracket
    items = [
        i.strip() for i in re.split(r",\s+(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", match["items"]) if i.strip()
    ]
    if len(items) < 3 or any(len(i.split()) > 8 or _NOT_ITEM.search(i) for i in items):
        return None
    return f"{match['lead'].strip()}:", items


_NOT_ITEM = re.compile(
    r"\b(?:and|or|but|of|in|to|with|for|the|a|an|by|from)$"  # "ulcers in the nose and, in some cases, ..."
    r"|^(?:in|for|at|on)\s+(?:some|most|many|rare|other|certain|severe|mild)?\s*(?:cases?|instances?|examples?)$"
    r"|^(?:for example|for instance|however|also|often|usually|sometimes)$"
    r"|\b(?:can|cannot|may|might|is|are|was|were|will|could|should|causes?|caused)\b",
    re.I,
)
"""A piece between commas that cannot be a list item: an open phrase, an aside, or the rest of
the sentence ("Germs, such as bacteria, viruses and fungi, can cause pneumonia")."""


_SUBJECTS = r"it|they|this|these|most(?!\s+\w+(?:ly|able|ible)\b)|many|some|people|you|there|he|she|we"
"""Words that start a clause of its own ("most" only as a subject: not "most commonly a leg")."""
_VERB = (
    r"(?:is|are|was|were|can|cannot|may|might|will|could|should|would|must|does|do|did|has|have|had|"
    r"often|usually|also|then|still|[a-z]+(?:es|ed))\b"
)
_CLAUSE = re.compile(
    rf",\s+(?:and\s+)?(?=(?:but\s+|so\s+)?(?:{_SUBJECTS})\s)"  # "..., and it may take months"
    rf"|,\s+(?=but\s+(?:the|a|an|your|{_SUBJECTS})\s)"  # "..., but the virus can spread"
    rf"|\s+and\s+(?=(?:it|they|this|these|he|she|we)\s+{_VERB})",  # "... and it can spread"
    re.I,
)
_NOUN_CLAUSE = re.compile(
    r",\s+(?P<joint>and|but)\s+(?=(?:the|a|an|your|their|its|certain|other|such|[A-Z][a-z]+)\s)"
)
"""A new clause whose subject is a noun phrase: "..., but certain exercises can be done ..."; only
when an auxiliary verb follows within :data:`_SUBJECT_WORDS` words ("fever, chills, and the
flu" is a list)."""
_AUXILIARY = re.compile(
    r"\b(?:is|are|was|were|can|cannot|may|might|will|could|should|would|must|does|do|did|has|have|had)\b"
)
_SUBJECT_WORDS = 5
_AND_PREDICATE = re.compile(
    r"\s+and\s+(?:(?P<adverb>also|often|usually|typically|sometimes|rarely|generally|commonly|then)\s+)?"
    r"(?P<verb>is|are|was|were|has|have|can|cannot|may|might|will|could|should|often)\b"
)
"""A second predicate of the same subject: "The colon is the first part of the large intestine
and is about 5 feet long" -> "... It is about 5 feet long"."""
_EMBEDDED = re.compile(
    r"\b(?:who|whom|whose|which|that|when|whenever|where|if|because|whether|than|while|although|"
    r"though|unless|until|since|and|or)\b|,",
    re.I,
)
"""A head holding another clause or a coordination: the second predicate may belong to it
("People who smoke and are overweight ...")."""
_MEANING = re.compile(r",\s+meaning\s+(?=that\s|\w)")
"""", meaning that ..." -> ". This means that ..."."""
_SINGULAR = frozenset("is was has".split())
_PLURAL = frozenset("are were have".split())


def _predicate_pronoun(head: str, verb: str) -> str:
    """ "It" or "They" for a second predicate of the head's subject ("" when unsure)."""
    verb = verb.lower()
    if verb in _SINGULAR:
        return "It"
    if verb in _PLURAL:
        return "They"
    first = re.search(r"\b(is|was|has|are|were|have)\b", head, re.I)
    if first is None:
        return ""
    return "It" if first.group(1).lower() in _SINGULAR else "They"


_BECAUSE = re.compile(r",?\s+because\s+(?=(?:the|a|an|it|they|this|these|your|of)\b)", re.I)
"""A reason after "because" becomes its own sentence: "... This is because the ..."."""


_WHICH = re.compile(
    r",\s+which\s+(?=(?P<verb>is|was|has|means|are|were|have|can|cannot|may|might|will|could|"
    r"would|should|often|usually|also|(?![a-z]+ss\b)[a-z]{3,}s)\b)",
    re.I,
)
"""A comment on what was just said: "..., which means both copies ..." -> "... This means both
copies ..." ("These are ..." after a plural verb)."""
_PLURAL_VERB = frozenset({"are", "were", "have"})
_RESULT = re.compile(r",\s+(?P<verb>causing|leading to|resulting in|allowing)\s+(?=\w)", re.I)
"""A result of what was just said: "..., causing pain in the joints" -> "... This causes pain in
the joints"."""
_RESULT_VERB = {
    "causing": "causes",
    "leading to": "leads to",
    "resulting in": "results in",
    "allowing": "allows",
}
_COPULA_THAT = re.compile(
    r"^(?P<head>(?P<subject>(?:[^,;()]|\([^(),;]*\))+?)\s+(?P<copula>is\s+(?:a|an)|are(?!\s+the\b))\s+"
    r"(?P<noun>(?:[^,;()]|\([^()]*\))+?))"
    r"\s+(?:(?P<relative>that|which|who)\s+(?P<verb>[a-z]+)\b|(?P<participle>characterized|marked)\s+by\b)",
    re.I,
)
"""A definition with a relative clause on its noun: "X is a brain disorder that leads to ..." ->
"X is a brain disorder. It leads to ..."; "X is a condition characterized by ..." -> "X is a
condition. It is characterized by ...". Only when the noun phrase holds no preposition (in "a
lack of cells that carry oxygen" the clause is about the cells, not the lack) and the verb agrees
with the pronoun ("is a ... that leads", "are ... that lead"). Not after "the" ("X is the N
that ...": the clause picks out which N), nor "a N who ..." ("It" is no pronoun for a person)."""
_COMMA = re.compile(r",(?!\d{3}\b)")
"""A comma, not one inside a number ("1 in 10,000")."""
_IN_WHICH = re.compile(
    r"^(?P<head>(?:[^,;()]|\([^(),;]*\))+?\s+(?:is|are)\s+(?P<article>a|an)\s+(?P<noun>[^,;()]+?))\s+in\s+which\s+(?P<rest>.+)$",
    re.I,
)
"""A definition whose clause says what happens in it: "X is a disease in which the body ..." ->
"X is a disease. In this disease, the body ..."."""
_PREPOSITION = re.compile(
    r"\b(?:of|in|on|for|with|without|from|to|by|at|into|between|among|than|like|as|or|who|which|that)\b",
    re.I,
)
_SUPERLATIVE = re.compile(r"\b(?:most|least|only|first|last|main|leading|best|worst|[a-z]{3,}est)\b", re.I)
"""'X are the most common diseases that lead to ...': the clause picks which diseases; alone,
the head would say something else."""
_EMPTY_NOUNS = frozenset("term name word phrase way manner".split())
"""'X is a term that refers to ...', 'X is a way in which ...': the head alone would say nothing."""
_MODAL = frozenset("can cannot may might will could would should often usually also".split())
_ALTHOUGH = re.compile(
    rf"^(?:Although|Though)\s+(?P<concession>[^,;]+),\s+(?P<main>(?:{_SUBJECTS}|the|a|an|your|their|its)\s.+)$",
    re.I,
)
"""A concession before the main clause: "Although these drugs do not halt the disease, they can
improve symptoms" -> "These drugs do not halt the disease. But they can improve symptoms"."""


_CONTRAST = re.compile(
    r",\s+(?P<joint>but|although|though|while|whereas)\s+"
    r"(?!(?:not|only|also|often|still|then|rather|instead|sometimes|never|always|less|more|as|if|when|"
    r"is|are|was|were|be|can|cannot|may|might|will|could|should|would|must|does|do|did|has|have|had|"
    r"[a-z]+ly|[a-z]+ing)\b)(?=[a-z])",
    re.I,
)
"""A contrast whose second half has its own subject: "There is no cure, but medicines can help"
-> "There is no cure. But medicines can help"; "..., although X" and "..., while others ..."
likewise ("But ..."). Not before an adverb, a verb or "not" ("..., but not always", "..., but
can be treated": no subject of their own)."""
_CONTRAST_SUBJECT = re.compile(
    r"(?:others|other|some|many|most|few|the|a|an|its|their|this|these|those|it|they|he|she|we|you|"
    r"anyone|none|little|one|each|both)\s",
    re.I,
)
"""Words that open a subject ("while others ...", "but the ...")."""
_INTRODUCTORY = re.compile(
    r"^(?:in|on|at|by|for|with|after|during)\s+(?:[\w-]+\s+){0,3}[\w-]+,\s+(?=\S)", re.I
)


def _own_subject(rest: str) -> bool:
    """Does the clause ``rest`` start with a subject of its own? A pronoun or determiner
    ("others", "the ..."), or a noun with an auxiliary right after it ("medicines can ..."), after
    an opening phrase closed by a comma ("in this case, the ...") if any."""
    rest = _INTRODUCTORY.sub("", rest)
    if _CONTRAST_SUBJECT.match(rest):
        return True
    words = rest.split()
    if not words or re.match(r"(?:in|on|at|by|for|with|after|during|to|from|as)$", words[0], re.I):
        return False
    return any(_AUXILIARY.fullmatch(w) or w.lower().endswith("n't") for w in words[1:5])


def _which(match: re.Match[str]) -> str:
    return "These " if match["verb"].lower() in _PLURAL_VERB else "This "


def _copula_split(sentence: str) -> tuple[str, str] | None:
    """(head, tail) of a definition with a relative clause on its noun, or None."""
    match = _COPULA_THAT.match(sentence)
    if not match:
        return None
    noun = re.sub(r"\([^()]*\)", "", match["noun"]).split()
    if (
        _PREPOSITION.search(" ".join(noun))
        or _SUPERLATIVE.search(" ".join(noun))
        or len(noun) > 6
        or noun[-1].lower() in _EMPTY_NOUNS
    ):
        return None
    plural = match["copula"].lower().startswith("are")
    if match["relative"] and match["relative"].lower() == "who" and not plural:
        return None
    pronoun = "They" if plural else "It"
    rest = sentence[match.end() :]
    if match["participle"]:
        return match["head"], f"{pronoun} {'are' if plural else 'is'} {match['participle'].lower()} by{rest}"
    verb = match["verb"].lower()
    agrees = verb in _MODAL or (
        (verb in {"are", "were", "have"} or not verb.endswith("s"))
        if plural
        else (verb in {"is", "was", "has"} or (verb.endswith("s") and not verb.endswith("ss")))
    )
    if not agrees or verb in {
        "the",
        "a",
        "an",
        "it",
        "they",
        "you",
        "we",
        "people",
        "is" if plural else "are",
    }:
        return None
    return match["head"], f"{pronoun} {match['verb']}{rest}"


def _in_which_split(sentence: str) -> tuple[str, str] | None:
    """(head, tail) of "X is a N in which ..." -> "X is a N." / "In this N, ..." (a short noun
    phrase without a preposition; its last word names it again)."""
    match = _IN_WHICH.match(sentence)
    if not match:
        return None
    noun = match["noun"].split()
    if _PREPOSITION.search(match["noun"]) or len(noun) > 4 or noun[-1].lower() in _EMPTY_NOUNS:
        return None
    return match["head"], f"In this {noun[-1]}, {match['rest']}"


def _clauses(sentence: str) -> list[str]:
    """A long sentence split at a safe joint: where a new clause with its own subject starts
    ("..., and it may take months" -> "... It may take months"), at a comment on what was said
    ("..., which means" -> "This means"), at a result ("..., causing" -> "This causes"), at a
    contrast ("A, but the drug helps" -> "A. But the drug helps"), after a definition's noun ("X
    is a disorder that causes ..." -> "X is a disorder. It causes ..."; "X is a disease in which
    ..." -> "X is a disease. In this disease, ..."), after a concession ("Although A, B" -> "A.
    But B"), or before "because" ("This is because ..."); both halves keep :data:`MIN_PIECE`
    words or more."""
    if len(sentence.split()) <= LONG_SENTENCE:
        return [sentence]
    for match in _CLAUSE.finditer(sentence):
        head, tail = sentence[: match.start()], sentence[match.end() :]
        if _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    for match in _NOUN_CLAUSE.finditer(sentence):
        head, tail = sentence[: match.start()], sentence[match.end() :]
        if match["joint"] == "and" and _COMMA.search(head):
            continue  # "a high fever, headache, and the skin may peel": the end of an enumeration
        tail = f"But {tail}" if match["joint"] == "but" else tail
        if _AUXILIARY.search(" ".join(tail.split()[: _SUBJECT_WORDS + 1])) and _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    for match in _MEANING.finditer(sentence):
        head, tail = sentence[: match.start()], "This means " + sentence[match.end() :]
        if _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    for match in _AND_PREDICATE.finditer(sentence):
        head = sentence[: match.start()]
        pronoun = _predicate_pronoun(head, match["verb"])
        if not pronoun or _EMBEDDED.search(head.rstrip().removesuffix(",")):
            continue
        tail = f"{pronoun} {sentence[match.start('adverb') if match['adverb'] else match.start('verb') :]}"
        if _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    concession = _ALTHOUGH.match(sentence)
    if concession:
        head, tail = concession["concession"], "But " + concession["main"]
        if _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    for match in _CONTRAST.finditer(sentence):
        head, rest = sentence[: match.start()], sentence[match.end() :]
        if not _own_subject(rest) or (
            match["joint"].lower() == "while" and not re.match(r"(?:others|other|some)\s", rest, re.I)
        ):
            continue  # "..., but happens by chance"; "while" alone may just add ("..., while diet helps")
        tail = f"But {rest}"
        if _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    for match in _WHICH.finditer(sentence):
        head, tail = sentence[: match.start()], _which(match) + sentence[match.end() :]
        if _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    for match in _RESULT.finditer(sentence):
        verb = _RESULT_VERB[" ".join(match["verb"].lower().split())]
        head, tail = sentence[: match.start()], f"This {verb} {sentence[match.end() :]}"
        if _splittable(head, tail):
            return [*_clauses(head), *_clauses(tail)]
    defined = _copula_split(sentence) or _in_which_split(sentence)
    if defined and _splittable(*defined, head_words=3):  # "Gout is a disease." stands alone
        return [*_clauses(defined[0]), *_clauses(defined[1])]
    for match in _BECAUSE.finditer(sentence):
        head, tail = sentence[: match.start()], "This is because " + sentence[match.end() :]
        if _splittable(head, tail) and not re.search(r"\b(?:is|are|was|were|be)$", head.rstrip(), re.I):
            return [*_clauses(head), *_clauses(tail)]
    return [sentence]


_DEPENDENT = re.compile(
    r"^(?:if|when|whenever|while|although|though|because|unless|since|after|before|as|once|until|"
    r"whether|even|with|without|for|in|on|at|by|during|like|unlike|to|from|despite|instead|"
    r"depending|based|due)\b",
    re.I,
)
"""A head that starts like this is a dependent clause or phrase: "With some types of anemia, you
may ..." cannot lose its second half."""


_CONDITION = re.compile(r"\b(?:if|unless|whenever)\b", re.I)
"""A condition inside the head ("The thing to remember is that if you ..., you should ...") may end
where the split would be: the consequence would lose it."""


_HEADING = re.compile(r"^[A-Z][a-z]+\s+(?=[A-Z][a-z]*\s)")
"""A section title glued to its first sentence ("Overview To ..."): the sentence opens after it."""
_FINITE = re.compile(
    r"\b(?:is|are|was|were|be|been|can|cannot|may|might|will|could|should|would|must|does|do|did|has|"
    r"have|had|[a-z]{2,}(?<![isu])s|[a-z]{2,}ed|[a-z]+n't|come|go|cause|lead|make|take|get|happen|occur|run|need|help|"
    r"affect|develop|appear|begin|start|include|seem|become|remain|tend|vary|work|live|die|grow|form|"
    r"show|feel|look|keep|lose|use|carry|give|find|spread)\b"
)
"""A verb, roughly (an auxiliary, a common verb, a form in -s or -ed; not "-is", "-us", "-ss" as in
"arthritis", "virus", "loss"): a head without one is a title or a bare
noun phrase ("Lung high blood pressure (hypertension)"), not a sentence."""


def _splittable(head: str, tail: str, head_words: int = 0) -> bool:
    """Both halves are sentences of their own: long enough (:data:`MIN_PIECE` words, or
    ``head_words`` for the head), and the head not an open clause ("If you ..., it ..." keeps its
    condition) or an open bracket or quote."""
    if len(head.split()) < (head_words or MIN_PIECE) or len(tail.split()) < MIN_PIECE:
        return False
    opening = _HEADING.sub("", head)
    if _DEPENDENT.match(opening) or _CONDITION.search(head) or not _FINITE.search(head):
        return False
    return head.count("(") == head.count(")") and head.count('"') % 2 == 0


LONG_SENTENCE = 10
"""Words above which a sentence is split where it can be (semicolons, clauses, enumerations).
Chosen on the consumer set's tuning part and MedQuAD questions (extractive mode, standard level):
10 and :data:`MIN_PIECE` 4 gave median (mean) grades of 8.1 (8.3) on the consumer questions and
8.8 (9.1) on MedQuAD questions, against 8.2 (8.4) and 8.8 (9.2) with 12 and 8.2 (8.5) and 9.0
(9.3) with 15 and 5; the answers that cite a gold source stayed the same."""
MIN_PIECE = 4
"""Words each part of a split sentence keeps at least."""


def _semicolon_pieces(text: str) -> list[str]:
    """The text split at its semicolons outside brackets ("(OR 4.6; 95% CI 1.5 to 13.9)" stays)."""
    pieces: list[str] = []
    depth, start = 0, 0
    for match in re.finditer(r"[()]|;\s+", text):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            pieces.append(text[start : match.start()])
            start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def split_sentence(text: str) -> tuple[list[str], list[str]]:
    """Short sentences and list items for one sentence: (sentences, items)."""
    # "; and identify ..." continues the sentence: only a piece with its own subject stands alone
    # "eat smaller meals; avoid fatty foods; and eat less fiber" is one enumeration: not split
    enumeration = re.search(r";\s+(?:and|or)\s+(?!(?:" + _SUBJECTS + r")\s)", text, re.I)
    pieces = _semicolon_pieces(text) if ";" in text and not enumeration else [text]
    pieces = [c for p in pieces for c in _clauses(p)]
    sentences: list[str] = []
    items: list[str] = []
    for piece in pieces:
        listed = _as_list(piece) if len(piece.split()) > 12 or piece.count(",") >= 2 else None
        if listed and not items and piece is pieces[-1]:
            sentences.append(_sentence(listed[0]))
            items = listed[1]
        else:
            sentences.append(_sentence(piece))
    return [s for s in sentences if s], items
