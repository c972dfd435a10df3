"""`phone_numbers`: phone numbers parsed by `phonenumbers` (libphonenumber's metadata).

A cheap regex finds runs of digits that could be a phone number (7 to 15
digits, with the spaces, dots, dashes and brackets people write); each run is
parsed in the rule's regions, in order, and kept only if the library says it
is a valid number of one of the rule's `types` ("mobile", "fixed_line",
"toll_free", ...). So 101, 999, Crimestoppers' 0800 555 111, 0300 and 0345
numbers and 1-800 numbers never read as a private mobile, while 07700 900123,
0412 558 903 and +353 87 123 4567 do, however they are spaced.

A number valid in several regions (021 123 4567 is a Cork landline and a New
Zealand mobile) takes the region whose own way of grouping the digits matches
how it is written, else the first region listed. `ranges` names number
ranges the library calls invalid but that should count as a type (Ofcom's
drama numbers, 07700 900xxx, which the corpus and real drafts use for
invented private mobiles). `ignore_after` skips a number that follows one of
those words (a crime reference, not a phone); `ignore_near` skips a number
with one of those words shortly before it ("the investigation team on ...").

Everything the library needs is built once per rule at load; a post with
fewer than 7 digits costs one count.
"""

from __future__ import annotations

import regex

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from .base import Hit, Matcher
from .wordlists import AFTER_TAIL, words_regex

TYPES = {name.lower(): value for name, value in vars(PhoneNumberType).items()
         if name.isupper() and isinstance(value, int)}

# A run of digits that could be a number as people write it: +44 (0)7700 900123,
# (202) 456-7890, 0412.558.903. Not part of a word, a reference (20BE/123/21),
# an amount (£1,200.50) or a version.
_CANDIDATE = regex.compile(
    r"(?<![\w+£$€#/@.,:-])(?<![\w.,]-)"
    r"(?:\+\d{1,3}[ \u00a0.-]?)?(?:\(0?\d{0,5}\)[ \u00a0.-]?)?"
    r"\d(?:[ \u00a0.-]?\d){5,13}"
    r"(?![\w/@]|[.,:-]\d)"
)
_DIGIT_RUNS = regex.compile(r"\d+")
MIN_DIGITS = 7
# Each candidate's type by (regions, ranges, as written), kept across posts: the library takes
# ~100 us a number, and a draft is checked again at every pause in typing with the same
# numbers in it (a team's switchboard, Crimestoppers). Bounded; cleared when full.
_TYPES: dict = {}
_TYPES_MAX = 4096



class PhoneMatcher(Matcher):
    kind = "phone_numbers"
    always = True
    exceptions_after = True

    def __init__(self, regions, types, ranges, ignore_after, ignore_near, window):
        self.regions = regions
        # Regions where a national number starts with a trunk prefix (0 in GB, IE,
        # AU, NZ): a run of digits without it is not written as a phone number there.
        # (North America's optional 1 is not required.)
        self.trunk = {r: "0" if phonenumbers.PhoneMetadata.metadata_for_region(r).national_prefix == "0" else ""
                      for r in regions}
        # How many digits a number of the region can have as written (with its trunk 0,
        # or North America's optional 1): a date or a count of another length is never parsed.
        self.codes = {r: phonenumbers.country_code_for_region(r) for r in regions}
        self.lengths = {}
        for r in regions:
            meta = phonenumbers.PhoneMetadata.metadata_for_region(r)
            ok = set(meta.general_desc.possible_length)
            if self.trunk[r]:
                ok = {n + 1 for n in ok}
            elif meta.national_prefix:
                ok |= {n + len(meta.national_prefix) for n in ok}
            self.lengths[r] = frozenset(ok)
        self.types = types
        self.ranges = ranges  # [(e164 prefix, type)]
        self.ignore_after = ignore_after
        self.ignore_near = ignore_near
        self.window = window

    @classmethod
    def build(cls, spec, ctx, where):
        opts = spec["phone_numbers"]
        base = f"{where} field 'match.phone_numbers"
        regions = []
        supported = phonenumbers.SUPPORTED_REGIONS
        for i, r in enumerate(opts.get("regions", ["GB"])):
            if r.upper() not in supported:
                ctx.problem(f"{base}.regions[{i}]'", f"unknown region {r!r} (use ISO 3166 codes such as GB, US, AU)")
            else:
                regions.append(r.upper())
        types = set()
        for i, t in enumerate(opts.get("types", ["mobile"])):
            if t not in TYPES:
                ctx.problem(f"{base}.types[{i}]'", f"unknown number type {t!r}; one of {', '.join(sorted(TYPES))}")
            else:
                types.add(TYPES[t])
        ranges = []
        for prefix, t in opts.get("ranges", {}).items():
            if t not in TYPES:
                ctx.problem(f"{base}.ranges'", f"unknown number type {t!r} for {prefix!r}")
            else:
                ranges.append(("+" + prefix.lstrip("+").replace(" ", ""), TYPES[t]))
        after = words_regex(ctx, opts.get("ignore_after"), f"{base}.ignore_after'", AFTER_TAIL)
        window = int(opts.get("within", 40))
        near = words_regex(ctx, opts.get("ignore_near"), f"{base}.ignore_near'")
        return cls(tuple(regions), frozenset(types), tuple(ranges), after, near, window)

    def list_references(self):
        return []

    # -- classification -------------------------------------------------------
    def classify(self, written: str) -> int | None:
        """The number type of one candidate as written, or None when it is no number."""
        groups = [len(g) for g in _DIGIT_RUNS.findall(written)]
        digits = sum(groups)
        if written.startswith("+"):
            try:
                n = phonenumbers.parse(written, None)
            except phonenumbers.NumberParseException:
                return None
            return self._type(n)
        lead = written.lstrip("(")
        nsn_all = "".join(_DIGIT_RUNS.findall(written))
        valid, possible = [], []  # numbers the library calls valid / only possible, in the rule's order
        seen = set()
        for region in self.regions:
            trunk = self.trunk[region]
            if (trunk and not lead.startswith(trunk)) or digits not in self.lengths[region]:
                continue
            # A national number is its digits less the trunk prefix: building it
            # directly costs a few microseconds where parse() costs about 90.
            nsn = nsn_all[1:] if trunk or (len(nsn_all) == 11 and nsn_all[0] == "1") else nsn_all
            code = self.codes[region]
            if (code, nsn) in seen or (code == 1 and nsn[:1] in "01"):
                continue  # US and Canada share +1: one check covers both
            seen.add((code, nsn))
            n = phonenumbers.PhoneNumber(country_code=code, national_number=int(nsn))
            (valid if phonenumbers.is_valid_number(n) else possible).append(n)
        if not valid:
            return self._range_type(possible)
        if len(valid) > 1 and len(groups) > 1:
            # Valid in several regions: the one whose own grouping it is written in.
            for n in valid:
                national = phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL)
                if [len(g) for g in _DIGIT_RUNS.findall(national)] == groups:
                    return phonenumbers.number_type(n)
        return phonenumbers.number_type(valid[0])

    def _range_type(self, numbers) -> int | None:
        """The type the rule's `ranges` give a number the library calls invalid."""
        for n in numbers if self.ranges else ():
            e164 = phonenumbers.format_number(n, PhoneNumberFormat.E164)
            for prefix, t in self.ranges:
                if e164.startswith(prefix) and phonenumbers.is_possible_number(n):
                    return t
        return None

    def _type(self, n) -> int | None:
        if phonenumbers.is_valid_number(n):
            return phonenumbers.number_type(n)
        return self._range_type([n])

    def find(self, post, hits):
        if post.scan.digits < MIN_DIGITS:
            return []
        text = post.text
        # Several rules read the same numbers (mobiles warn, landlines inform): the
        # candidates are found once per post, each one's type once (_type_of).
        candidates = post.memo.get("phone-candidates")
        if candidates is None:
            candidates = [(m.start(), m.end(), m.group()) for m in _CANDIDATE.finditer(text)]
            post.memo["phone-candidates"] = candidates
        out = []
        for s, e, written in candidates:
            if post.in_url(s):
                continue
            before = text[max(0, s - self.window):s]
            if self.ignore_after is not None and self.ignore_after.search(before):
                continue
            t = self._type_of(written)
            if t is None or t not in self.types:
                continue
            if self.ignore_near is not None:
                # Only words in the same sentence count.
                clause = regex.split(r"[.!?\n]\s", before)[-1]
                if self.ignore_near.search(clause):
                    continue
            out.append(Hit(s, e, why=f"phone:{t}"))
        return out

    def _type_of(self, written: str) -> int | None:
        key = (self.regions, self.ranges, written)
        t = _TYPES.get(key, -1)
        if t == -1:
            t = self.classify(written)
            if len(_TYPES) >= _TYPES_MAX:
                _TYPES.clear()
            _TYPES[key] = t
        return t

    def describe(self):
        return {"kind": self.kind, "regions": list(self.regions)}
