"""Loading and validating rules.json into Rule objects.

Validation happens in two passes: the JSON Schema (shape, types, enums) and
then what a schema cannot say (unique ids, list references, regexes that
compile and cannot backtrack catastrophically, well-formed examples). Every
problem names the rule and the field, and all problems are reported at once,
so a maintainer fixes the file in one go.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from math import prod
from importlib import resources
from pathlib import Path

import regex

from .alternation import factored, factored_behind, term_tokens
from .compile_cache import CACHE
from .inflect import compound_forms, hashtag_form, phrase_forms
from .lexicons import lexicon_terms
from .matchers import KINDS, Matcher
from .matchers.patterns import FRAGMENT_REF, LIST_REF
from .text import FoldedText

# {@name}: a shared list, as a whole phrase entry or inside a pattern (one regex, in patterns.py).
_LIST_REF = LIST_REF
# A phrase with lists inside stands for every combination; past this it is a mistake.
MAX_COMBINATIONS = 2000
_MARKER = re.compile(r"\[\[(.*?)\]\]", re.S)


class RulebookError(ValueError):
    """A rulebook that must not be served. `problems` lists every reason."""

    def __init__(self, problems: list[str], source: str = "rules.json"):
        self.problems = problems
        self.source = source
        head = f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase to look for, as written and as folded for matching."""

    text: str
    folded: str
    match_case: str = "any"  # any | initial | exact


@dataclass(frozen=True, slots=True)
class Example:
    text: str  # without [[ ]] markers
    spans: tuple[tuple[int, int], ...]  # expected spans (code points), may be empty
    platform: str = "generic"
    election_period: bool = False
    fix: str | None = None  # a replacement the finding must offer


@dataclass(slots=True)
class Rule:
    id: str
    category: str
    severity: str
    message: str
    guidance: dict
    suggestions: list[str]
    matcher: Matcher
    exceptions: tuple[Phrase, ...] = ()
    platforms: frozenset | None = None
    active_from: dt.date | None = None
    active_until: dt.date | None = None
    election_period: bool | None = None
    enabled: bool = True
    description: str = ""
    ignore_reply_mentions: bool = False
    ignore_urls: bool = False
    flag_examples: tuple[Example, ...] = ()
    pass_examples: tuple[Example, ...] = ()

    @property
    def kind(self) -> str:
        return self.matcher.kind

    def applies(self, platform: str, election_period: bool, today: dt.date) -> bool:
        if not self.enabled:
            return False
        if self.platforms is not None and platform not in self.platforms:
            return False
        if self.election_period is not None and self.election_period != election_period:
            return False
        if self.active_from and today < self.active_from:
            return False
        if self.active_until and today > self.active_until:
            return False
        return True

    def public(self) -> dict:
        """What GET /v1/rules shows: enough to explain a finding, no internals."""
        out = {
            "id": self.id,
            "category": self.category,
            "severity": self.severity,
            "message": self.message,
            "guidance": self.guidance,
            "suggestions": self.suggestions,
            "kind": self.kind,
        }
        if self.platforms is not None:
            out["platforms"] = sorted(self.platforms)
        if self.election_period is not None:
            out["election_period"] = self.election_period
        if not self.enabled:
            out["enabled"] = False
        if self.active_from or self.active_until:
            out["active"] = {
                k: v.isoformat() for k, v in (("from", self.active_from), ("until", self.active_until)) if v
            }
        return out


@dataclass(slots=True)
class Rulebook:
    version: str
    rules: list[Rule]
    digest: str
    source: str = "rules.json"
    description: str = ""
    # Each file the rulebook was composed from (server/layers.py): name, version, digest, what it changed.
    layers: tuple = ()


@cache
def rulebook_schema() -> dict:
    return json.loads(resources.files("server").joinpath("rules.schema.json").read_text("utf-8"))


def load_rulebook(path: str | Path) -> Rulebook:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulebookError([f"cannot read the file: {exc.strerror or exc}"], str(path)) from None
    return parse_rulebook(raw, source=str(path))


def parse_rulebook(raw: bytes | str, source: str = "rules.json") -> Rulebook:
    data = decode_json(raw, source)
    text = raw if isinstance(raw, str) else raw.decode("utf-8")
    return build_rulebook(data, source, hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])


def decode_json(raw: bytes | str, source: str = "rules.json"):
    """The JSON value of a rulebook (or layer) file; RulebookError when it is not UTF-8 JSON."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RulebookError([f"not UTF-8 at byte {exc.start}"], source) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RulebookError([f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"], source) from None


def build_rulebook(data, source: str, digest: str) -> Rulebook:
    """Validate decoded rulebook data (schema, then what a schema cannot say) into a Rulebook."""
    problems, bad_rules = _schema_problems(data)
    if problems and bad_rules is None:
        raise RulebookError(problems, source)
    # Schema errors confined to some rules: still check the others, so the
    # maintainer sees every problem in one go.
    builder = _Builder(data, skip=bad_rules or set(), base_dir=_base_dir(source))
    try:
        rules = builder.build()
    finally:
        CACHE.save()  # the patterns compiled, even beside a problem elsewhere
    problems += builder.problems
    if problems:
        raise RulebookError(problems, source)
    return Rulebook(
        version=data["version"], rules=rules, digest=digest, source=source,
        description=data.get("description", ""),
    )


def list_terms(data: dict, name: str) -> list[str]:
    """A list's terms as the loader reads them (its own plus its lexicon's, less
    `exclude`), without expanding references: for `impartial lint`."""
    return _Builder(data).list_terms(name) or []


def _base_dir(source: str) -> str:
    """Where a rule's relative paths (a model file) start: beside the rulebook
    file, or the project folder for a rulebook given as text."""
    path = Path(source)
    if path.is_file():
        return str(path.resolve().parent)
    return str(Path(__file__).resolve().parents[2])


def excluding(words: list[str], exclude: list[str]) -> list[str]:
    """Words less the excluded ones; "murder*" excludes every word that starts so."""
    folded = [" ".join(FoldedText(t).folded.split()) for t in exclude]
    exact = {t for t in folded if not t.endswith("*")}
    prefixes = tuple(t[:-1] for t in folded if t.endswith("*"))
    return [w for w in words if w not in exact and not (prefixes and w.startswith(prefixes))]


def _where(data: dict, path) -> str:
    """Human form of a JSON path, naming the rule by id when inside one."""
    parts = list(path)
    if len(parts) >= 2 and parts[0] == "rules" and isinstance(parts[1], int):
        rules = data.get("rules") or []
        rid = rules[parts[1]].get("id") if parts[1] < len(rules) and isinstance(rules[parts[1]], dict) else None
        head = f"rule {rid!r} (rules[{parts[1]}])" if isinstance(rid, str) else f"rules[{parts[1]}]"
        rest = parts[2:]
    elif len(parts) >= 2 and parts[0] in ("lists", "fragments"):
        head = f"{parts[0][:-1]} {parts[1]!r}"
        rest = parts[2:]
    else:
        head = "rulebook"
        rest = parts
    if rest:
        field_path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
        return f"{head} field {field_path!r}"
    return head


def _schema_problems(data) -> tuple[list[str], set | None]:
    """Problems, and the indexes of the rules they are in (None: not confined to rules)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(rulebook_schema())
    problems = []
    bad_rules: set | None = set()
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            if bad_rules is not None:
                bad_rules.add(path[1])
        else:
            bad_rules = None
        # oneOf failures on "match" are unreadable; say what is wrong instead.
        msg = err.message
        problems.append(f"{_where(data, err.absolute_path)}: {msg}")
    return problems, bad_rules


class _Builder:
    """Turns validated JSON into Rule objects, collecting semantic problems."""

    def __init__(self, data: dict, skip: set = frozenset(), base_dir: str = "."):
        self.base_dir = base_dir
        self.data = data
        self.skip = skip
        self.lists: dict = data.get("lists", {})
        self.fragments: dict = data.get("fragments", {})
        self.problems: list[str] = []
        self._list_regex: dict = {}
        self._check_fragments()

    def _check_fragments(self) -> None:
        """A fragment is plain pattern text: one naming another would need an order of
        expansion, and a maintainer reads a fragment on its own."""
        for name, frag in self.fragments.items():
            if FRAGMENT_REF.search(frag.get("pattern", "")):
                self.problem(f"fragment {name!r} field 'pattern'", "a fragment cannot name another fragment")

    def problem(self, where: str, msg: str) -> None:
        line = f"{where}: {msg}"
        if line not in self.problems:  # a list used by many rules is reported once
            self.problems.append(line)

    # -- lists ---------------------------------------------------------------
    def expand(self, entries, where: str, inflect: bool, match_case: str,
               _seen: tuple = (), hashtags: bool = False) -> list[Phrase]:
        """Phrases for a phrase list, with @list references expanded."""
        out: list[Phrase] = []
        for i, entry in enumerate(entries):
            ref = _LIST_REF.fullmatch(entry)
            if ref:
                name = ref.group(1)
                if name not in self.lists:
                    self.problem(f"{where}[{i}]", f"unknown list {entry!r}")
                    continue
                if name in _seen:
                    self.problem(f"{where}[{i}]", f"list {entry!r} refers to itself")
                    continue
                lst = self.lists[name]
                out += self.expand(
                    self.list_terms(name), f"list {name!r} field 'terms'",
                    lst.get("inflect", False), lst.get("match_case", "any"), _seen + (name,), hashtags,
                )
                continue
            if _LIST_REF.search(entry):
                out += self.expand(self.combine(entry, f"{where}[{i}]", _seen), f"{where}[{i}]", inflect,
                                   match_case, _seen, hashtags)
                continue
            written = " ".join(entry.split())
            folded = " ".join(FoldedText(written).folded.split())
            if not folded:
                self.problem(f"{where}[{i}]", f"phrase {entry!r} is empty once folded")
                continue
            forms = phrase_forms(folded) if inflect else [folded]
            for form in forms:
                out.append(Phrase(written if form == folded else form, form, match_case))
            if match_case != "exact":
                # case-sensitive phrases are compared as written, so they keep their one spelling
                out += [Phrase(c, c, match_case) for form in forms for c in compound_forms(form)]
            if hashtags and " " in folded:
                # "war on coal" is also written #WarOnCoal.
                compact = hashtag_form(folded)
                out.append(Phrase(compact, compact, "any"))
        return out

    def combine(self, entry: str, where: str, _seen: tuple) -> list[str]:
        """A phrase with lists inside it ("{@harsh_words} {@offences}") as every phrase it
        stands for, so that one entry says "a word of this list before a word of that one"."""
        choices = []
        for name in _LIST_REF.findall(entry):
            if name not in self.lists or name in _seen:
                self.problem(where, f"unknown list {name!r}" if name not in self.lists
                             else f"list {name!r} refers to itself")
                return []
            inflect = self.lists[name].get("inflect", False)
            choices.append([p.text for p in self.expand(self.list_terms(name), f"list {name!r} field 'terms'",
                                                        inflect, "any", _seen + (name,))])
        if prod(len(c) for c in choices) > MAX_COMBINATIONS:
            self.problem(where, f"phrase {entry!r} stands for more than {MAX_COMBINATIONS} phrases; "
                                "split it or shorten its lists")
            return []
        pieces = _LIST_REF.split(entry)[::2]
        return ["".join(p + w for p, w in zip(pieces, words + ("",))) for words in product(*choices)]

    def list_exceptions(self, entries, _seen: tuple = ()) -> list:
        """Exceptions inherited from every list a rule refers to."""
        out = []
        for entry in entries:
            ref = _LIST_REF.fullmatch(entry)
            if ref and ref.group(1) in self.lists and ref.group(1) not in _seen:
                lst = self.lists[ref.group(1)]
                out += lst.get("exceptions", [])
                out += self.list_exceptions(lst.get("terms", []), _seen + (ref.group(1),))
        return out

    def list_terms(self, name: str) -> list[str] | None:
        """A list's terms: its own, plus its lexicon's words less `exclude`."""
        lst = self.lists.get(name)
        if lst is None:
            return None
        terms = list(lst.get("terms", []))
        if "lexicon" in lst:
            try:
                terms += excluding(lexicon_terms(lst["lexicon"]), lst.get("exclude", []))
            except (ValueError, ImportError, OSError) as exc:
                self.problem(f"list {name!r} field 'lexicon'", str(exc))
        if not terms:
            self.problem(f"list {name!r}", "has no terms: give 'terms' or a 'lexicon'")
        return terms

    def list_regex(self, name: str, fast: bool = False, behind: bool = False) -> str | None:
        """The list as one alternation, longest terms first. `fast`: the same alternation
        factored on shared first characters (alternation.py), what patterns run; the plain
        one is what the prefilter and the safety check read. `behind` (with `fast`): for a
        place inside a lookbehind, factored on shared last characters instead."""
        if name not in self.lists:
            return None
        key = (name, fast, behind)
        got = self._list_regex.get(key)
        if got is None:
            terms = [p.text for p in self.expand(["{@" + name + "}"], f"list {name!r}", False, "any")]
            spelt = {r"[\s_-]?".join(regex.escape(w) for w in t.split(" ")): t for t in terms}
            # Ties keep the list's order (the dict's), not a set's: the same rulebook must give
            # the same source in every process, or the compile cache (compile_cache.py) misses.
            alts = sorted(spelt, key=len, reverse=True)
            tokens = [term_tokens(spelt[a]) for a in alts]
            if fast and None not in tokens and all("".join(t) == a for t, a in zip(tokens, alts)):
                got = "(?:" + (factored_behind(tokens) if behind else factored(tokens)) + ")"
            else:
                got = "(?:" + "|".join(alts) + ")"
            self._list_regex[key] = got
        return got

    # -- rules ---------------------------------------------------------------
    def build(self) -> list[Rule]:
        rules = []
        seen: dict[str, int] = {}
        for index, spec in enumerate(self.data["rules"]):
            if index in self.skip:
                continue
            rid = spec["id"]
            where = f"rule {rid!r} (rules[{index}])"
            if rid in seen:
                self.problem(where, f"duplicate id; first used at rules[{seen[rid]}]")
                continue
            seen[rid] = index
            rule = self.build_rule(spec, where)
            if rule is not None:
                rules.append(rule)
        return rules

    def build_rule(self, spec: dict, where: str) -> Rule | None:
        m = spec["match"]
        kinds = [k for k in KINDS if k in m]
        if len(kinds) != 1:
            self.problem(f"{where} field 'match'",
                         f"needs exactly one of {', '.join(KINDS)}; found {', '.join(kinds) or 'none'}")
            return None
        matcher = KINDS[kinds[0]].build(m, self, where)
        rule = Rule(
            id=spec["id"], category=spec["category"], severity=spec["severity"],
            message=spec["message"], guidance=self.guidance(spec["guidance"], where),
            suggestions=list(spec.get("suggestions", [])), matcher=matcher,
            enabled=spec.get("enabled", True), description=spec.get("description", ""),
            ignore_reply_mentions=spec.get("ignore_reply_mentions", False),
            ignore_urls=spec.get("ignore_urls", False),
        )
        exc = list(spec.get("exceptions", [])) + self.list_exceptions(matcher.list_references())
        rule.exceptions = tuple(self.expand(exc, f"{where} field 'exceptions'", False, "any"))
        if "platforms" in spec:
            rule.platforms = frozenset(spec["platforms"])
        if "when" in spec and "election_period" in spec["when"]:
            rule.election_period = spec["when"]["election_period"]
        self.dates(rule, spec.get("active", {}), where)
        ex = spec["examples"]
        rule.flag_examples = tuple(self.examples(ex["flag"], f"{where} field 'examples.flag'", rule))
        rule.pass_examples = tuple(self.examples(ex["pass"], f"{where} field 'examples.pass'", rule))
        return rule

    def guidance(self, ref, where: str) -> dict:
        """A rule's guidance: inline, or the id of an entry in the top-level `guidance`."""
        if isinstance(ref, str):
            entry = self.data.get("guidance", {}).get(ref)
            if entry is None:
                self.problem(f"{where} field 'guidance'", f"unknown guidance {ref!r}; define it under the top-level 'guidance'")
                return {"source": ref, "clause": ""}
            ref = entry
        return {k: ref[k] for k in ("source", "clause", "url") if k in ref}

    def dates(self, rule: Rule, active: dict, where: str) -> None:
        for key in ("from", "until"):
            if key in active:
                try:
                    setattr(rule, f"active_{key}", dt.date.fromisoformat(active[key]))
                except ValueError:
                    self.problem(f"{where} field 'active.{key}'", f"{active[key]!r} is not a date")
        if rule.active_from and rule.active_until and rule.active_from > rule.active_until:
            self.problem(f"{where} field 'active'", "'from' is after 'until'")

    def examples(self, items, where: str, rule: Rule) -> list[Example]:
        out = []
        default_platform = sorted(rule.platforms)[0] if rule.platforms else "generic"
        default_election = bool(rule.election_period)
        for i, item in enumerate(items):
            if isinstance(item, str):
                item = {"text": item}
            marked = item["text"]
            if marked.count("[[") != marked.count("]]"):
                self.problem(f"{where}[{i}]", "unbalanced [[ ]] markers")
                continue
            spans, plain, last = [], [], 0
            for mo in _MARKER.finditer(marked):
                plain.append(marked[last:mo.start()])
                start = sum(len(p) for p in plain)
                plain.append(mo.group(1))
                spans.append((start, start + len(mo.group(1))))
                last = mo.end()
            plain.append(marked[last:])
            out.append(Example(
                text="".join(plain), spans=tuple(spans),
                platform=item.get("platform", default_platform),
                election_period=item.get("election_period", default_election),
                fix=item.get("fix"),
            ))
            if item.get("fix") is not None and not spans:
                self.problem(f"{where}[{i}]", "'fix' needs the [[span]] it replaces")
        return out
