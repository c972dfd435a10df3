"""Plural and verb forms of English words, for phrase matching.

A rule maintainer writes "activist lawyer" once and it also catches
"activist lawyers"; "wreck the NHS" also catches "wrecking the NHS".
Over-generation is harmless (nobody writes "kickses"), so the rules are
simple suffix rules, not a dictionary.
"""

from __future__ import annotations

_VOWELS = set("aeiou")
_IRREGULAR = {
    "man": ["men"], "woman": ["women"], "child": ["children"], "person": ["people"],
    "give": ["gave", "given", "giving", "gives"], "take": ["took", "taken", "taking", "takes"],
    "run": ["ran", "running", "runs"], "make": ["made", "making", "makes"],
    "lie": ["lied", "lies", "lying"], "steal": ["stole", "stolen", "steals", "stealing"],
    "sell": ["sold", "selling", "sells"], "break": ["broke", "broken", "breaking", "breaks"],
    "betray": ["betrayed", "betraying", "betrays"], "get": ["got", "gotten", "getting", "gets"],
}


def word_forms(word: str) -> list[str]:
    """The word itself plus its likely inflections (lower case in, lower case out)."""
    forms = [word]
    head, hyphen, last = word.rpartition("-")
    if hyphen and head and last.isalpha():
        # a hyphenated word inflects at its end: "re-elect" -> "re-elected", "sell-off" -> "sell-offs"
        return [head + hyphen + form for form in word_forms(last)]
    if not word.isalpha() or len(word) < 3:
        return forms
    if word in _IRREGULAR:
        return forms + _IRREGULAR[word]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        forms.append(word + "es")
    elif word.endswith("y") and word[-2] not in _VOWELS:
        forms += [word[:-1] + "ies", word[:-1] + "ied"]
    else:
        forms.append(word + "s")
    if word.endswith("e"):
        forms += [word + "d", word[:-1] + "ing"]
    elif word.endswith("ing") or word.endswith("ed"):
        pass
    else:
        forms += [word + "ed", word + "ing"]
        # Short consonant-vowel-consonant words double the last letter: stop -> stopped.
        if (len(word) <= 4 and word[-1] not in _VOWELS and word[-1] not in "wxy"
                and word[-2] in _VOWELS and word[-3] not in _VOWELS):
            forms += [word + word[-1] + "ed", word + word[-1] + "ing"]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        forms.append(word[:-1])  # "lawyers" written as the phrase still catches "lawyer"
    return forms


def phrase_forms(phrase: str) -> list[str]:
    """Forms of a phrase with its first or its last word inflected (not both)."""
    words = phrase.split(" ")
    out = {phrase}
    for form in word_forms(words[-1]):
        out.add(" ".join(words[:-1] + [form]))
    if len(words) > 1:
        for form in word_forms(words[0]):
            out.add(" ".join([form] + words[1:]))
    return sorted(out)


def compound_forms(phrase: str) -> list[str]:
    """A spaced compound's hyphenated form: "out of touch" also as "out-of-touch", the form
    before a noun ("an out-of-touch government"). Only whole-word joins of two to four
    letter-only words. Not the other way: a hyphenated noun's spaced form is often a verb
    or a plain phrase of its own ("free-for-all" / "free for all families", "sell-out" /
    "tickets sell out"), so a maintainer writes that form where it is meant. This is the
    automaton's side of what alternation.SEP does for a list inside a pattern ("[\\s_-]?"
    between its words), for the form writers use."""
    words = phrase.split(" ")
    if 2 <= len(words) <= 4 and all(w.isalpha() for w in words):
        return ["-".join(words)]
    return []


def hashtag_form(phrase: str) -> str:
    """A multi-word phrase as it is written as a hashtag: "war on coal" -> "#waroncoal"."""
    return "#" + "".join(ch for ch in phrase if ch.isalnum())
