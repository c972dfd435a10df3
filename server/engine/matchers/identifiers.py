"""`identifiers`: personal identifiers checked by their check digits (`python-stdnum`).

Each type has a shape (how the number is written, with or without spaces or
dashes) and a validator: the NHS number's mod-11 check, the SIN's Luhn, the
TFN's and PPS number's weighted checks, the UTR's check digit, the SSN's
area/group/serial ranges, and the NI number's allocation rules (it has no
check digit; HMRC's prefix rules are what there is). A candidate flags when

- it is valid and written the way that type is written ("943 476 5919",
  "078-05-1121", any NI or PPS number, whose letters make the shape plain), or
- it is valid and one of the type's `labels` stands right before it, or
- one of the type's labels stands right before it, valid or not: "NHS number
  123 456 7890" is an NHS number to the reader whatever its check digit says.

So a random ten-digit reference that fails the NHS check is not an NHS
number, and one that passes by chance is not either unless it is spaced like
one or labelled. `ignore_after` skips candidates right after words such as
"ref", "call" or "tel" (a crime reference or a phone number), unless labelled.

The rule chooses the types and their labels (the first label names the type
in the message through `{identifier}`); validators and shapes live here.
"""

from __future__ import annotations

import regex
from stdnum.au import tfn
from stdnum.ca import sin
from stdnum.gb import nhs, utr
from stdnum.ie import pps
from stdnum.us import ssn

from ..regex_safety import timed_finditer
from .base import Hit, Matcher
from .wordlists import AFTER_TAIL, words_regex

_NINO_BAD_FIRST = set("DFIQUV")
_NINO_BAD_SECOND = set("DFIOQUV")
_NINO_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _nino_valid(compact: str) -> bool:
    """HMRC's allocation rules for a National Insurance number (no check digit exists)."""
    compact = compact.upper()
    if len(compact) != 9 or not (compact[:2].isalpha() and compact[2:8].isdigit() and compact[8] in "ABCD"):
        return False
    a, b = compact[0], compact[1]
    return a not in _NINO_BAD_FIRST and b not in _NINO_BAD_SECOND and compact[:2] not in _NINO_BAD_PREFIX


_EDGE_L = r"(?<![\w+(/.,£$#@-])"
_EDGE_R = r"(?![\w/@]|[.,:-]\d)"

# type -> (shape, written-as-that-type shape (None: the shape suffices), validator, fewest digits)
TYPES = {
    "gb.nhs": (r"\d{3}[ -]?\d{3}[ -]?\d{4}", r"\d{3}([ -])\d{3}\1\d{4}", nhs.is_valid, 10),
    "gb.nino": (r"(?-i:[A-Z]{2}) ?\d{2} ?\d{2} ?\d{2} ?(?-i:[A-D])", None, _nino_valid, 6),
    "gb.utr": (r"\d{5} ?\d{5}(?-i:K)?", r"\d{5} \d{5}K?", utr.is_valid, 10),
    "us.ssn": (r"\d{3}[ -]?\d{2}[ -]?\d{4}", r"\d{3}-\d{2}-\d{4}", ssn.is_valid, 9),
    "au.tfn": (r"\d{3} ?\d{3} ?\d{2,3}", r"\d{3} \d{3} \d{3}", tfn.is_valid, 8),
    "ie.pps": (r"\d{7} ?(?-i:[A-W][A-IW]?)", None, pps.is_valid, 7),
    "ca.sin": (r"\d{3}[ -]?\d{3}[ -]?\d{3}", r"\d{3}([ -])\d{3}\1\d{3}", sin.is_valid, 9),
}
_SEPARATORS = regex.compile(r"[ -]")



# What may stand between a label and its number: "NHS number: ", "SIN is ", "PPSN (", "SIN, ".
_LABEL_GAP = r"\s*(?:(?:number|no\.?|num|is|was|of|:|,|#|\(|-)\s*){0,3}$"


_MAX_FOUND = 64


class _Type:
    __slots__ = ("name", "display", "shape", "written", "valid", "digits", "label")

    def __init__(self, name, display, label):
        shape, written, valid, digits = TYPES[name]
        self.name = name
        self.display = display
        self.shape = regex.compile(_EDGE_L + "(?i:" + shape + ")" + _EDGE_R)
        self.written = regex.compile(written) if written else None
        self.valid = valid
        self.digits = digits
        self.label = label


class IdentifierMatcher(Matcher):
    kind = "identifiers"
    always = True
    exceptions_after = True

    def __init__(self, types, ignore_after, min_digits):
        self.types = types
        self.ignore_after = ignore_after
        self.min_digits = min_digits

    @classmethod
    def build(cls, spec, ctx, where):
        opts = spec["identifiers"]
        base = f"{where} field 'match.identifiers"
        types = []
        for name, conf in opts["types"].items():
            if name not in TYPES:
                ctx.problem(f"{base}.types'", f"unknown identifier type {name!r}; one of {', '.join(TYPES)}")
                continue
            labels = conf.get("labels", [])
            label = words_regex(ctx, labels, f"{base}.types.{name}.labels'", _LABEL_GAP, r"[\s.]*")
            first = ctx.expand(labels[:1], f"{base}.types.{name}.labels'", False, "any")
            display = first[0].text if first else name
            types.append(_Type(name, display, label))
        ignore = words_regex(ctx, opts.get("ignore_after"), f"{base}.ignore_after'", AFTER_TAIL)
        min_digits = min((t.digits for t in types), default=0)
        return cls(tuple(types), ignore, min_digits)

    def find(self, post, hits):
        if post.scan.digits < self.min_digits:
            return []
        text = post.text
        taken: list[tuple[int, int]] = []
        out = []
        for t in self.types:
            if post.scan.digits < t.digits:
                continue
            for m in timed_finditer(t.shape, text, post.regex_timeout):
                s, e = m.span()
                if len(out) >= _MAX_FOUND:
                    break  # the checker caps findings per rule anyway; keep the overlap test bounded
                if any(s < te and ts < e for ts, te in taken) or post.in_url(s):
                    continue
                before = text[max(0, s - 40):s]
                labelled = t.label is not None and t.label.search(before) is not None
                if not labelled:
                    if self.ignore_after is not None and self.ignore_after.search(before):
                        continue
                    written = m.group()
                    if t.written is not None and not t.written.fullmatch(written):
                        continue
                    if not t.valid(_SEPARATORS.sub("", written)):
                        continue
                taken.append((s, e))
                out.append(Hit(s, e, figures={"identifier": t.display}, why=t.name))
        out.sort(key=lambda h: h.start)
        return out

    def describe(self):
        return {"kind": self.kind, "types": [t.name for t in self.types]}
