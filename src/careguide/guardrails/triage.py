"""Emergency and self-harm triage: transparent patterns, one list per category.

Patterns describe something happening now to the writer or someone with them ("my throat is
closing", "he isn't breathing"), not a question about a condition ("what are the symptoms of a
heart attack?"), so educational questions are answered and emergencies get the fixed escalation.
They are measured on careguide's own set of patient-voice emergencies and look-alikes
(``careguide eval safety``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from careguide.guardrails.types import CheckContext, GuardDecision

_NOT = r"(?:can'?t|cannot|cant|can not|couldn'?t|unable to|struggling to|barely|hard to|trouble|difficulty)"
_NOW = r"(?:is|are|am|'m|'s|im|keeps?)"

CATEGORY_PATTERNS: dict[str, tuple[str, ...]] = {
    "self_harm": (
        r"\b(?:kill|hurt|harm|cut(?:ting)?|end)\s+my\s*self\b",
        r"\bkms\b",
        r"\b(?:i'?m|i am|im|i feel|feeling|i've been feeling)\s+(?:so\s+|very\s+|really\s+)?suicidal\b",
        r"\bsuicidal\s+(?:thoughts|feelings|urges)\b",
        r"\bend(?:ing)?\s+(?:my\s+(?:own\s+)?life|it\s+all)\b",
        r"\b(?:don'?t|do not|dont)\s+want\s+to\s+(?:live|be alive|be here|wake up|exist)\b",
        r"\bbetter\s+off\s+(?:if\s+i\s+(?:was|were)\s+|without\s+me|with\s+me\s+)?dead\b",
        r"\bbetter\s+off\s+without\s+me\b",
        r"\boverdose\s+on\s+purpose\b",
        r"\b(?:jump|throw myself)\s+(?:off|from|in front of)\s+(?:the|a)\b",
        r"\bno\s+reason\s+to\s+(?:live|go\s+on|keep\s+going)\b",
        r"\b(?:i|i\s+just)\s+want\s+to\s+die\b",
        r"\b(?:how\s+many|how\s+much).{0,40}\b(?:to\s+die|to\s+kill\s+myself|to\s+end\s+(?:it|my\s+life))\b",
        r"\btake\s+my\s+(?:own\s+)?life\b",
        r"\bwanna\s+(?:die|end\s+it)\b",
        # Indirect language and requests that serve a plan.
        r"\b(?:any|no|what'?s\s+the)\s+point\s+(?:in\s+)?(?:going\s+on|living|being\s+alive|carrying\s+on|"
        r"trying\s+anymore)\b",
        r"\bis\s+life\s+(?:even\s+|really\s+)?worth\s+living\b",
        r"\bbetter\s+off\s+(?:if\s+i\s+(?:wasn'?t|weren'?t|was\s+not|were\s+not)\s+(?:around|here|alive))\b",
        r"\bi\s+(?:just\s+)?want\s+to\s+(?:disappear|vanish|not\s+exist|fall\s+asleep\s+and\s+never)\b",
        r"\b(?:suicide|goodbye)\s+(?:note|letter)\b|\bnote\s+(?:for|to)\s+\w+\s+(?:\w+\s+)?(?:after|when)\s+i'?m\s+gone\b",
        r"\b(?:easiest|quickest|fastest|painless|best|surest)\s+(?:\w+\s+){0,2}(?:way|method)s?\s+(?:for\s+\w+\s+)?"
        r"to\s+(?:kill\s+(?:my|one|your|them)sel(?:f|ves)|die|end\s+(?:it|my\s+life)|commit\s+suicide|overdose)\b",
        r"\b(?:fastest|quickest|surest|fatal|lethal)\s+overdose\b",
        r"\bhow\s+(?:many|much)\s+(?:\w+\s+){0,3}(?:would|will|does\s+it)\s+(?:it\s+)?(?:take\s+)?to\s+(?:die|kill)",
        r"\b(?:pro[-\s]?ana|pro[-\s]?mia|thinspo\w*)\b",
        r"\b(?:purge|throw\s+up|make\s+myself\s+(?:sick|vomit|throw\s+up))\b.{0,40}\bwithout\s+(?:anyone|my|them|people)",
        r"\bhide\s+(?:my\s+|the\s+)?(?:self[-\s]?harm|cuts|scars|cutting|burns)\b",
        # Asking for help to self-harm ("self-harm" as the verb of the request), not to stop or help
        # someone else stop.
        r"\b(?:help\s+me|how\s+(?:do\s+i|can\s+i|should\s+i|to)|teach\s+me(?:\s+how)?\s+to|ways?\s+to|"
        r"tips?\s+(?:to|for|on)|i\s+(?:want|need|'?m\s+going)\s+to|gonna)\s+"
        r"(?:(?!stop|quit|avoid|prevent|resist|not\b|never\b)\w+\s+){0,2}self[-\s]?harm(?:ing)?\b(?!\s+(?:scars?|marks?))",
    ),
    "harm_others": (
        r"\b(?:hits|beats|beating|hitting|punches|kicks|chokes|choked|strangled)\s+(?:me|us|my|his|her|their)\b",
        r"\b(?:will|gonna|going\s+to)\s+kill\s+(?:me|us)\b",
        r"\b(?:i'?m|i\s+am|im)\s+(?:going|gonna)\s+to\s+(?:kill|hurt|stab|shoot)\s+(?:him|her|them|someone|somebody|my)\b",
        r"\b(?:i'?m\s+going\s+to|i'?m\s+gonna|i\s+will)\s+kill\s+(?:him|her|them)\b",
        r"\bi\s+want\s+to\s+(?:hurt|kill|harm)\s+(?:my|him|her|them|someone|somebody|the)\b",
        r"\bthreaten\w*\s+(?:me|us)\b",
    ),
    "overdose_poisoning": (
        r"\b(?:swallowed|drank|ate|has\s+eaten|ingested|took|taken|chewed)\b.{0,50}\b(?:pills?|tablets?|capsules?|"
        r"bleach|detergent|pods?|batter(?:y|ies)|poison|antifreeze|drain\s+cleaner|whole\s+bottle|"
        r"bottle\s+of|rat\s+poison|mushrooms?|berries)\b",
        r"\btoo\s+many\s+(?:of\s+)?(?:my|his|her|their|the)?\s*(?:\w+\s+){0,2}(?:pills?|tablets?|meds|doses?)\b",
        r"\b(?:took|take|taken|injected|gave)\s+(?:double|twice|triple)\b",
        r"\boverdosed\b|\bod'?d\b",
        r"\bsmell\s+(?:gas|smoke)\b.{0,60}\b(?:dizzy|confused|headache|sleepy|faint)",
    ),
    "unconscious_seizure": (
        r"\b(?:unconscious|unresponsive|not\s+responding|won'?t\s+wake|can'?t\s+wake|not\s+waking|"
        r"isn'?t\s+breathing|not\s+breathing|stopped\s+breathing|collapsed|passed\s+out|is\s+limp)\b",
        r"\bseizure\s+(?:that\s+)?(?:won'?t|will\s+not|doesn'?t)\s+stop\b",
        r"\b(?:is|are|'s)\s+(?:having|seizing)\s+(?:a\s+seizure|seizures)?",
        r"\bseizing\b",
    ),
    "breathing": (
        _NOT + r"\s*(?:breathe?|breathing|get\s+(?:any\s+)?air|catch\s+(?:my|his|her|their)\s+breath)\b",
        r"\bgasping\s+for\s+(?:air|breath)\b",
        r"\b(?:lips|face|skin)\s+(?:are\s+|is\s+)?(?:turning\s+)?(?:blue|grey|gray)\b",
        r"\b" + _NOW + r"\s+choking\b",
        r"\bcan'?t\s+(?:finish\s+a\s+sentence|talk\s+or\s+cough)\b",
        r"\binhaler\s+(?:isn'?t|is\s+not|not)\s+(?:working|helping)\b",
    ),
    "anaphylaxis": (
        r"\bthroat\s+(?:is\s+|feels\s+)?(?:closing|swelling|swollen|tight)",
        r"\b(?:tongue|lips?|face|mouth)\s+(?:(?:is|are)\s+)?(?:swelling|swollen|swelled)",
        r"\b(?:swelling|swollen)\s+(?:tongue|throat|lips?|face)\b",
    ),
    "bleeding": (
        r"\bbleeding\b.{0,25}\b(?:won'?t|will\s+not|doesn'?t|does\s+not|isn'?t)\s+stop",
        r"\bcan'?t\s+(?:get\s+(?:it|the\s+bleeding)\s+to\s+)?stop(?:\s+the)?\s+bleeding\b|\bcan'?t\s+get\s+it\s+to\s+stop\b",
        r"\bblood\s+(?:is\s+)?(?:spurting|pouring|gushing|everywhere)\b",
        r"\b(?:vomiting|throwing\s+up|coughing\s+up|puking|spitting\s+up)\s+(?:a\s+lot\s+of\s+|lots\s+of\s+)?blood\b",
        r"\bpregnant\b.{0,30}\bbleeding\b|\bbleeding\s+heavily\b",
    ),
    "stroke": (
        r"\bface\s+(?:is\s+)?droop|\bdroop\w*\s+(?:face|on\s+one\s+side)|\bdrooping\s+on\s+one\s+side\b",
        r"\bslurr\w*\s+(?:speech|words)|\bspeech\s+(?:is\s+)?slurr",
        r"\b"
        + _NOT
        + r"\s+(?:move|lift|feel)\s+(?:my|his|her|their)\s+(?:right|left)?\s*(?:arm|leg|side|face|hand)\b",
        r"\bwords\s+come\s+out\s+wrong\b|\btalking\s+funny\b|\bcan'?t\s+speak\s+properly\b",
        r"\bworst\s+headache\s+of\s+(?:my|his|her|their)\s+life\b",
        r"\bone\s+side\s+of\s+(?:his|her|my|their)\s+(?:body|face)\s+(?:is\s+)?(?:weak|numb|paralyzed)",
        r"\b(?:mouth|face|smile)\s+is\s+(?:crooked|lopsided)\b",
        r"\bcan'?t\s+feel\s+half\b",
    ),
    "cardiac": (
        r"\b(?:crushing|severe|sharp|bad|heavy|squeezing)\s+chest\s+(?:pain|pressure|tightness)",
        r"\bchest\s+(?:pain|pressure|tightness)\b.{0,60}\b(?:arm|jaw|back|sweat\w*|breath|throw\w*\s+up|vomit\w*|"
        r"nause\w*|minutes|hours|now)\b",
        r"\bpain\s+in\s+(?:my|his|her)\s+chest\b.{0,60}\b(?:arm|jaw|back|sweat\w*|breath|throw\w*\s+up|vomit\w*)",
        r"\bclutching\s+(?:his|her|my|their)\s+chest\b",
        r"\belephant\s+(?:sitting|standing)\s+on\b",
        r"\b(?:am|'m|im|is|are|'s)\s+having\s+a\s+(?:heart\s+attack|stroke)\b",
        r"\bthink\s+(?:i'?m|im|i\s+am|he'?s|she'?s|he\s+is|she\s+is|they\s+are|my\s+\w+\s+is)\s+having\s+a\s+"
        r"(?:heart\s+attack|stroke)\b",
    ),
}

_FEVER = (
    r"\b(?:fever\w*|temperature|temp\s+(?:of\s+)?\d+|febrile|10[1-6](?:\.\d)?\s*(?:f|°|degrees)?|"
    r"3[89](?:\.\d)?\s*(?:c|°))\b"
)
_CHILD = r"\b(?:baby|infant|newborn|toddler|child|kid|son|daughter|\d+\s*(?:month|week|year)s?[\s-]*old)\b"

_EDUCATIONAL = re.compile(
    r"^\W*(?:what|which)\s+(?:are|is)\s+(?:the\s+)?(?:\w+\s+)?(?:signs?|symptoms?|causes?|difference|"
    r"warning\s+signs?|treatments?)\b|\bhow\s+(?:is|are)\s+\w+(?:\s+\w+)?\s+(?:treated|diagnosed)\b",
    re.IGNORECASE,
)

# Red-flag combinations: each pair of patterns must both be present (in any order). These read
# symptoms, not alarm words: "a fever with a stiff neck and light hurting the eyes".
COMBINATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "meningitis": (
        (
            _FEVER,
            r"\bstiff\s+neck|\bneck\s+(?:is\s+)?(?:stiff|rigid)|light\s+(?:hurts|hurting|bothers)|"
            r"photophobi|(?:purple|dark)\s+(?:spots|rash)|rash\s+(?:that\s+)?(?:doesn'?t|does\s+not|won'?t)\s+fade",
        ),
        (r"\bstiff\s+neck|\bneck\s+(?:is\s+)?stiff", r"\blight\s+(?:hurts|hurting)|photophobi|confus"),
    ),
    "child_hard_to_wake": (
        (
            _CHILD,
            r"\b(?:hard|difficult|impossible)\s+to\s+(?:wake|rouse|arouse)|\bwon'?t\s+(?:wake|stay\s+awake)|"
            r"\b(?:floppy|limp|lethargic|unresponsive)\b|\bvery\s+(?:sleepy|drowsy)\b",
        ),
    ),
    "sudden_headache": (
        (
            r"\b(?:sudden|suddenly|out\s+of\s+nowhere|thunderclap|came\s+on\s+(?:fast|quickly))\b",
            r"\b(?:worst|severe|excruciating|explosive)\s+headache",
        ),
    ),
    "cardiac": (
        (
            r"\bchest\s+(?:pain|pressure|tightness|hurts)",
            r"\b(?:sweat\w*|clammy|short(?:ness)?\s+of\s+breath|breathless|can'?t\s+breathe|radiat\w*|"
            r"(?:left\s+)?arm|jaw|faint\w*|pass(?:ed|ing)?\s+out)\b",
        ),
    ),
    "breathing": (
        (
            r"\b(?:asthma\w*|wheez\w*|inhaler|nebuli[sz]er|puffer)\b",
            r"\b(?:getting\s+worse|worsening|not\s+(?:helping|working)|isn'?t\s+(?:helping|working)|"
            r"doesn'?t\s+help|can'?t\s+(?:breathe|talk|speak)|struggling\s+to\s+breathe|blue)\b",
        ),
    ),
    "abdominal": (
        (
            r"\b(?:sudden(?:ly)?|severe|excruciating|worst|unbearable|agoni\w+)\b.{0,40}\b(?:belly|abdominal|"
            r"abdomen|stomach|tummy|testic\w*)\s*(?:pain|ache)?",
            r"\b(?:pain|hurts?|ache|agony)\b",
        ),
    ),
    "anaphylaxis": (
        (
            r"\b(?:stung|sting|bee|wasp|peanuts?|nuts?|shellfish|allerg\w*|ate|eating|new\s+(?:medicine|medication|"
            r"antibiotic))\b",
            r"\b(?:lips?|tongue|throat|face|mouth|eyes)\b.{0,25}\b(?:swell\w*|puff\w*|tight\w*|clos\w*|"
            r"blow\w*\s+up)|\b(?:hard|difficult|trouble|struggling)\s+(?:to\s+)?(?:swallow\w*|breath\w*)|"
            r"\bhives\b.{0,40}\b(?:breath\w*|wheez\w*|dizzy|faint)",
        ),
    ),
    "pulmonary_embolism": (
        (
            r"\b(?:sudden(?:ly)?\s+(?:short(?:ness)?\s+of\s+breath|breathless)|coughing\s+(?:up\s+)?blood)\b",
            r"\b(?:chest\s+pain|calf|leg\s+(?:is\s+)?swollen|swollen\s+leg|flight|surgery)\b",
        ),
    ),
}

# Which escalation message each category gets (texts live in configs/guardrails.yaml).
MESSAGE_FOR = {
    "self_harm": "self_harm",
    "harm_others": "harm_others",
    "overdose_poisoning": "poisoning",
}


@dataclass(frozen=True)
class EmergencyTriage:
    """Escalates descriptions of emergencies, self-harm and violence with fixed, reviewed text."""

    messages: dict[str, str]
    name: str = "triage"
    reasons: dict[str, str] = field(default_factory=dict)
    """Why each category needs care now (configs/guardrails.yaml, emergency_reasons)."""

    def __post_init__(self) -> None:
        compiled = {
            category: tuple(re.compile(p, re.IGNORECASE) for p in patterns)
            for category, patterns in CATEGORY_PATTERNS.items()
        }
        object.__setattr__(self, "_compiled", compiled)
        pairs = {
            category: tuple((re.compile(a, re.IGNORECASE), re.compile(b, re.IGNORECASE)) for a, b in combos)
            for category, combos in COMBINATIONS.items()
        }
        object.__setattr__(self, "_pairs", pairs)

    def categories(self, text: str) -> list[str]:
        """Every category whose patterns match, in priority order (self-harm first)."""
        normalised = " ".join(text.replace("’", "'").split())
        compiled: dict[str, tuple[re.Pattern[str], ...]] = getattr(self, "_compiled")  # noqa: B009
        pairs: dict[str, tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]] = getattr(self, "_pairs")  # noqa: B009
        found = [c for c, patterns in compiled.items() if any(p.search(normalised) for p in patterns)]
        if _EDUCATIONAL.search(normalised):
            return found  # "what are the signs of meningitis? fever, stiff neck" is a question
        found += [
            c
            for c, combos in pairs.items()
            if any(a.search(normalised) and b.search(normalised) for a, b in combos)
        ]
        return list(dict.fromkeys(found))

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        found = self.categories(text)
        if not found:
            return GuardDecision(action="allow", redacted=text)
        first = found[0]
        message = self.messages.get(MESSAGE_FOR.get(first, "emergency"), self.messages["emergency"])
        if first not in MESSAGE_FOR and self.reasons.get(first):
            message = f"{self.reasons[first]} {message}"
        return GuardDecision(
            action="escalate",
            redacted=text,
            reasons=tuple(f"possible emergency: {c.replace('_', ' ')}" for c in found),
            checks=(self.name,),
            message=message,
            category="self_harm" if first == "self_harm" else f"emergency.{first}",
        )
