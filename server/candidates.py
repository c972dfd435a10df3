"""Candidate rulebooks for the playground: compiled on request, kept by digest.

A maintainer pastes or uploads a rulebook that is not live yet and compares its
findings with the live one's. Compiling one is CPU work on untrusted input, so
it is bounded the way the store bounds the live file (server/store.py):

- a size limit, checked before anything is parsed;
- nesting and number limits before the loader's own json.loads sees the bytes
  (a 5,000-digit number or 100,000 nested arrays would raise something the
  loader does not turn into a RulebookError: a 500 otherwise);
- no model file named by path (the loader would open any path on this machine);
- one compile at a time per process, in a thread waited for at most `timeout`
  seconds; a compile that is still running refuses the next with 503;
- compiled candidates kept in a small LRU by the SHA-256 of their bytes, so a
  check names its candidate by digest and a worker compiles each one once.

The problems a refused candidate gets are the rulebook loader's own, the ones
`impartial lint` prints, each also split into rule, field and message.
Nothing here logs a candidate's content or the posts checked against it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

from . import safejson
from .engine import Checker, RulebookError, parse_rulebook
from .engine.examples import run_all
from .layers import Source, combine, compose
from .lint import ADVICE, ERROR, lint
from .lint import summary as lint_summary

log = logging.getLogger(__name__)

MAX_BYTES = 4_000_000  # rules.json is about 1 MB (2026-12); a department's whole set fits several times
MAX_DEPTH = 32  # rules.json nests 8 deep
COMPILE_TIMEOUT = 30.0  # seconds; rules.json compiles in about 2 s on one core
CACHE_SIZE = 4  # a compiled rules.json holds about 6 MB (its automaton and lists); the model is shared
EXAMPLE_FAILURES_SHOWN = 50
LINT_PROBLEMS_SHOWN = 300
LAYER_NAME = "candidate-layer.json"  # what the layer's problems and lint's origins call it

# Where a loader problem is: a rule, a list, a layer's section, or the rulebook; then maybe a field.
_WHERE = re.compile(r"^(?:rule '(?P<rule>[^']*)' \(rules\[(?P<index>\d+)\]\)|rules\[(?P<bare>\d+)\]"
                    r"|list '(?P<list>[^']*)'|(?P<section>disable\[\d+\]|extend_lists|lists|guidance)|rulebook)?"
                    r"(?: ?field '(?P<field>[^']*)'(?P<item>(?:\[\d+\])*))?: (?P<message>.*)$", re.S)


class CandidateRefused(Exception):
    """The candidate cannot be compiled: status, one-line detail, and every problem."""

    def __init__(self, status: int, detail: str, problems: list[str] | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problems = problems or []
        self.extra = extra

    def again(self) -> "CandidateRefused":
        """A fresh copy to raise (re-raising one instance would pile up its tracebacks)."""
        return CandidateRefused(self.status, self.detail, list(self.problems), **self.extra)


@dataclass(frozen=True)
class Candidate:
    digest: str
    checker: Checker
    examples: int
    failures: tuple[str, ...]
    lint: tuple = ()  # server/lint.py's LintProblems: errors and advice, as `impartial lint` prints them

    def summary(self) -> dict:
        book = self.checker.rulebook
        levels = Counter(p.level for p in self.lint)
        return {
            "digest": self.digest,
            "version": book.version,
            "description": book.description,
            "rules": len(book.rules),
            "examples": {"total": self.examples, "failed": len(self.failures),
                         "failures": list(self.failures[:EXAMPLE_FAILURES_SHOWN])},
            "lint": {"errors": levels[ERROR], "advice": levels[ADVICE], "summary": lint_summary(list(self.lint)),
                     # errors first: they are what a release would fail on
                     "problems": [p.to_json() for p in sorted(self.lint, key=lambda p: p.level != ERROR)
                                  ][:LINT_PROBLEMS_SHOWN]},
        }


def structured(problem: str) -> dict:
    """A loader problem line as {rule, index, list, field, message} (what is known), and the line itself."""
    out: dict = {"problem": problem}
    m = _WHERE.match(problem)
    if not m:
        return out
    if m["rule"] is not None:
        out["rule"] = m["rule"]
    index = m["index"] or m["bare"]
    if index is not None:
        out["index"] = int(index)
    if m["list"] is not None:
        out["list"] = m["list"]
    if m["section"] is not None:
        out["section"] = m["section"]  # a layer's: disable[2], extend_lists...
    if m["field"] is not None:
        out["field"] = m["field"] + m["item"]  # the loader writes an entry as 'match.phrases'[2]
    out["message"] = m["message"]
    return out


def preflight(raw: bytes) -> None:
    """Refuse what the loader cannot refuse by itself; leave ordinary JSON errors to it (lint's words)."""
    if safejson.nesting_over(raw, MAX_DEPTH):
        raise CandidateRefused(422, f"the rulebook nests arrays and objects more than {MAX_DEPTH} deep",
                               [f"rulebook: nests arrays and objects more than {MAX_DEPTH} deep"])
    try:
        data = safejson.loads(raw.decode("utf-8"), what="the rulebook")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # parse_rulebook reports these exactly as lint does
    except safejson.BadNumber as exc:
        raise CandidateRefused(422, str(exc), [f"rulebook: {exc}"]) from None
    except RecursionError:
        raise CandidateRefused(422, "the rulebook nests too deep", ["rulebook: nests too deep"]) from None
    problems = []
    rules = data.get("rules") if isinstance(data, dict) else None
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        match = rule.get("match") if isinstance(rule, dict) else None
        model = match.get("model") if isinstance(match, dict) else None
        if isinstance(model, dict) and "path" in model:
            rid = rule.get("id")
            head = f"rule {rid!r} (rules[{i}])" if isinstance(rid, str) else f"rules[{i}]"
            problems.append(f"{head} field 'match.model.path': a candidate rulebook cannot name a model file "
                            "(the service would open it); leave 'path' out to use the model the service ships")
    if problems:
        raise CandidateRefused(422, _headline(problems), problems)


def _headline(problems: list[str]) -> str:
    n = len(problems)
    return f"the candidate rulebook has {n} problem{'s' if n != 1 else ''}; the first: {problems[0]}"


def compile_candidate(raw: bytes, digest: str, regex_timeout: float, base: list[Source] | None = None) -> Candidate:
    """Load, build, run every example and the lint checks, as `impartial lint` does. Raises RulebookError.

    base: the live set's files (core, layers) when the candidate is a layer to lay on top of them."""
    if base is None:
        book = parse_rulebook(raw, source="candidate")
        data, origin = json.loads(raw), {}  # preflight() parsed these bytes safely already
    else:
        composed = compose(list(base) + [Source(LAYER_NAME, raw)])
        if composed.refused:
            raise combine(composed.refused)
        book, data, origin = composed.rulebook, composed.data, composed.origin
    checker = Checker(book, regex_timeout=regex_timeout)
    failures = run_all(checker)
    total = sum(len(r.flag_examples) + len(r.pass_examples) for r in checker.rules)
    try:
        problems = lint(data, checker, origin=origin)
    except Exception as exc:  # advice must not cost the maintainer the comparison
        log.error("candidate lint failed: %s", type(exc).__name__)
        problems = []
    return Candidate(digest, checker, total, tuple(str(f) for f in failures), tuple(problems))


class Candidates:
    """The compiled candidates of this process (an LRU by digest)."""

    def __init__(self, max_bytes: int = MAX_BYTES, timeout: float = COMPILE_TIMEOUT, size: int = CACHE_SIZE,
                 regex_timeout: float = 0.05):
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.size = size
        self.regex_timeout = regex_timeout
        self._cache: OrderedDict[str, Candidate] = OrderedDict()
        self._refused: OrderedDict[str, CandidateRefused] = OrderedDict()
        self._lock = threading.Lock()  # guards the two dicts; never held while compiling
        self._compiling: threading.Thread | None = None

    @staticmethod
    def digest_of(raw: bytes, base: list[Source] | None = None) -> str:
        """A whole rulebook: the SHA-256 of its bytes. A layer: of the files it lies on and its bytes."""
        if base is None:
            return hashlib.sha256(raw).hexdigest()
        return hashlib.sha256(b"layer\n" + "\n".join(s.sha256 for s in base).encode() + b"\n" + raw).hexdigest()

    def get(self, digest: str) -> Candidate | None:
        with self._lock:
            found = self._cache.get(digest)
            if found is not None:
                self._cache.move_to_end(digest)
            return found

    def compile(self, raw: bytes, base: list[Source] | None = None) -> Candidate:
        """The compiled candidate for these bytes (a layer over `base` when given), or CandidateRefused."""
        if len(raw) > self.max_bytes:
            raise CandidateRefused(413, f"the rulebook is {len(raw)} bytes; the limit is {self.max_bytes}",
                                   limit=self.max_bytes)
        digest = self.digest_of(raw, base)
        with self._lock:
            if digest in self._cache:
                self._cache.move_to_end(digest)
                return self._cache[digest]
            if digest in self._refused:
                raise self._refused[digest].again()  # the same bytes were refused: the same answer, no work
            busy = self._compiling is not None and self._compiling.is_alive()
            if busy:
                raise CandidateRefused(503, "another candidate rulebook is still compiling on this worker; "
                                            "try again in a few seconds", retry_after=5)
            outcome: list = []
            thread = threading.Thread(target=self._run, args=(raw, digest, outcome, base), name="candidate-compile",
                                      daemon=True)
            self._compiling = thread
            thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            # Threads cannot be stopped: it runs on, and refuses other compiles until it ends; its result is dropped.
            raise CandidateRefused(503, f"compiling the candidate took over {self.timeout:g} s and was abandoned; "
                                        "try again when the service is less busy, or with fewer or simpler rules",
                                   retry_after=max(1, math.ceil(self.timeout)))
        if not outcome:  # only if the thread died of something no except clause takes
            raise CandidateRefused(422, "loading failed", ["rulebook: loading failed"])
        result = outcome[0]
        if isinstance(result, Candidate):
            with self._lock:
                self._cache[digest] = result
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
            return result
        with self._lock:
            self._refused[digest] = result
            while len(self._refused) > self.size * 4:
                self._refused.popitem(last=False)
        raise result

    def _run(self, raw: bytes, digest: str, outcome: list, base: list[Source] | None) -> None:
        try:
            preflight(raw)
            outcome.append(compile_candidate(raw, digest, self.regex_timeout, base))
        except CandidateRefused as exc:
            outcome.append(exc)
        except RulebookError as exc:
            outcome.append(CandidateRefused(422, _headline(exc.problems), list(exc.problems)))
        except Exception as exc:  # a loader bug must give the maintainer an answer, not a 500
            log.error("candidate compile failed: %s", type(exc).__name__)
            outcome.append(CandidateRefused(422, f"loading failed: {type(exc).__name__}",
                                            [f"rulebook: loading failed: {type(exc).__name__}"]))
