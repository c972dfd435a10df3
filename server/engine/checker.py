"""The Checker: one compiled rulebook, checking one post at a time.

Compile once: every phrase of every rule (whatever its kind of match, and its
exceptions) goes into a single Aho-Corasick automaton over folded text, so a
check is one pass over the post whatever the size of the rulebook. Each
automaton entry knows which (rule, role) slots it feeds.

Per check: analyse the post -> one automaton pass -> the rules that saw a
phrase, plus those that always run -> each rule's matcher -> findings.
A check is bounded: findings per rule and per post are capped, and rules not
reached before the deadline are named in `incomplete`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace


from .compile_cache import CACHE
from .findings import ADVISORY_CATEGORIES, SEVERITY_RANK, Finding, beside_a_flag, flags, speaks
from .graphemes import whole_clusters
from .matchers import RuleHits
from .matchers.base import not_overlapping
from .matchers.patterns import share_scans
from .phrase_hits import PhraseHits
from .platforms import PLATFORMS, Length
from .post import Post
from .prefilter import PrefilterIndex, automaton
from .rulebook import Rule, Rulebook
from .text import Utf16Offsets

log = logging.getLogger(__name__)

MAX_PER_RULE = 20
MAX_FINDINGS = 100


class _Fmt(dict):
    def __missing__(self, key):
        return "{" + key + "}"


@dataclass(slots=True)
class CheckResult:
    text: str
    platform: str
    findings: list[Finding]
    length: Length
    readability: dict
    rulebook: Rulebook
    incomplete: list[str] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)  # rules whose findings were cut
    work: dict = field(default_factory=dict)
    # shown() once per check: the response and the counters both read it
    _shown: list | None = field(default=None, repr=False, compare=False)

    @property
    def verdict(self) -> str:
        # a conditional card (match.model.beside_flag) says what else a flagged post reads as:
        # it never sets how bad the post is
        worst = max((SEVERITY_RANK[f.severity] for f in self.findings if not f.conditional), default=0)
        return ("pass", "warn", "block")[worst]

    def flagged(self, categories_advisory: frozenset = ADVISORY_CATEGORIES) -> bool:
        """At least one warn/block finding in a non-advisory category."""
        return any(f.severity != "info" and f.category not in categories_advisory for f in self.findings)

    def shown(self) -> list[Finding]:
        """What the officer sees. A learned-layer finding only of a category no rule names,
        so one breach does not carry two cards: underlined where no rule speaks on its words
        (beside a rule's card, only when its head is sure: match.model.beside_rules), else
        listed about the post (scope "post", its words quoted), once per category. Beside a
        speaking finding other than its own, the generic head is never underlined and names
        only a category nothing else names. So every category that counts has a card (make eval
        checks it); the verdict reads all findings."""
        if self._shown is None:
            self._shown = self._visible()
        return self._shown

    def _visible(self) -> list[Finding]:
        if not any(f.supplementary for f in self.findings):
            return self.findings
        # Only a rule finding that counts speaks for a breach: an advisory hint (info, or
        # accessibility on the same words) must not hide the model's warning card.
        speaking = [f for f in self.findings if _rule_speaks(f)]
        named = {f.category for f in speaking}
        # A with_breach rule's card names its category but leaves the model's words underlined:
        # beside the model's flag alone it was found because of that flag, and says less of why.
        leading = [f for f in speaking if not f.beside_breach]
        # The generic head's words were chosen less well (span precision, make eval): beside
        # others it names only a category nothing else does, and is listed, not underlined.
        # (A conditional head's card is not one of them: it only names what else the post reads as.)
        others = {f.category for f in self.findings
                  if not f.generic and not f.conditional and not f.beside_breach and speaks(f)}
        extra = [f for f in self.findings if f.supplementary and f.category not in (others if f.generic else named)]
        # Listed, not underlined: the generic head beside others, and beside a rule's card a
        # head less sure than its rule's bar (match.model.beside_rules): its words, chosen
        # beside a rule's, were a reviewer's about half the time on posts it never saw.
        # A conditional head's card is always listed: it is less sure than its head's threshold.
        free = [f for f in extra if not (f.generic and others or f.tentative and leading or f.conditional)]
        # Cards by finding: those free of a rule's words as they are (a no-span hit is
        # already about the post), then once per category still unnamed, about the post.
        card = {id(f): f for f in not_overlapping(free, [(f.start, f.end) for f in leading],
                                                  key=lambda f: (f.start, f.end))}
        listed = {f.category for f in card.values() if speaks(f)}
        for f in extra:
            if speaks(f) and f.category not in listed:
                listed.add(f.category)
                card[id(f)] = replace(f, scope="post")
        return [card.get(id(f), f) for f in self.findings if not f.supplementary or id(f) in card]

    def to_json(self) -> dict:
        utf16 = Utf16Offsets(self.text)
        out = {
            "verdict": self.verdict,
            "findings": [f.to_json(self.text, utf16) for f in self.shown()],
            "metrics": {
                "length": self.length.to_json(),
                "readability": self.readability,
            },
            "rulebook": {"version": self.rulebook.version, "rules": len(self.rulebook.rules),
                         "digest": self.rulebook.digest},
        }
        if self.incomplete:
            out["incomplete"] = self.incomplete
        if self.capped:
            out["capped"] = self.capped
        return out


class Checker:
    def __init__(self, rulebook: Rulebook, regex_timeout: float = 0.05, deadline: float = 0.5,
                 max_per_rule: int = MAX_PER_RULE, max_findings: int = MAX_FINDINGS,
                 every_word: bool = False):
        self.rulebook = rulebook
        # Choose a learned head's words even where its card is not shown (make eval's figures
        # of the model alone read them); the response is the same either way.
        self.every_word = every_word
        self.rules = [r for r in rulebook.rules if r.enabled]
        self.regex_timeout = regex_timeout
        self.deadline = deadline
        self.max_per_rule = max_per_rule
        self.max_findings = max_findings
        self._active_cache: dict = {}
        self._day, self._day_ends = None, float("-inf")
        self._compile()
        CACHE.save()  # the next process (a worker, the CLI) parses only what changed

    # -- compile --------------------------------------------------------------
    def _compile(self) -> None:
        keys: dict[str, int] = {}
        targets: list[list] = []
        self._slot_rule: list[int] = []
        self._rule_slots: list[dict] = []
        for ri, rule in enumerate(self.rules):
            roles = dict(rule.matcher.phrase_sets())
            roles["exceptions"] = rule.exceptions
            slots = {}
            for role, phrases in roles.items():
                if not phrases:
                    continue
                slot = slots[role] = len(self._slot_rule)
                self._slot_rule.append(ri)
                for p in phrases:
                    k = keys.get(p.folded)
                    if k is None:
                        k = keys[p.folded] = len(targets)
                        targets.append([])
                    entry = (slot, p.match_case, p.text)
                    if entry not in targets[k]:
                        targets[k].append(entry)
            self._rule_slots.append(slots)
        self._keys = list(keys)
        self._targets = [tuple(t) for t in targets]
        self._always = frozenset(ri for ri, r in enumerate(self.rules) if r.matcher.always)
        self._later = frozenset(ri for ri, r in enumerate(self.rules) if r.matcher.with_breach)
        sources = [(r.matcher, s) for r in self.rules for s in r.matcher.regex_sources()]
        examples = [ex.text for r in self.rules for ex in r.flag_examples + r.pass_examples]
        self._prefilter_index = PrefilterIndex([s for _, s in sources], sample=examples)
        by_matcher: dict[int, list] = defaultdict(list)
        for (m, _), pf in zip(sources, self._prefilter_index.prefilters):
            by_matcher[id(m)].append(pf)
        for r in self.rules:
            if id(r.matcher) in by_matcher:
                r.matcher.attach_prefilters(by_matcher[id(r.matcher)])
        share_scans(index for r in self.rules for index in _plan_indexes(r.matcher))
        self._compile_gates()
        self._compile_automaton()
        self.phrase_count = len(self._keys)
        # Per rule what _run reads of it, looked up once here rather than once per rule per post.
        # A learned head's card of a category a rule already names is not shown (shown()): such
        # a head then runs its find_unshown, and the checker notes what rules name as they run.
        # The generic head always runs it: its category is known only once it has scored.
        self._plan = [(rule, rule.matcher.find, slots, rule.matcher.find_unshown,
                       rule.matcher.generic) for rule, slots in zip(self.rules, self._rule_slots)]

    def _compile_automaton(self) -> None:
        """One automaton for the phrases and the prefilters' literals: an ASCII post is
        folded by lower() alone, as the prefilters read it, so one pass serves both."""
        literals = self._prefilter_index.literals
        position = {k: i for i, k in enumerate(self._keys)}
        extra = [lit for lit in literals if lit not in position]
        position.update((lit, len(self._keys) + i) for i, lit in enumerate(extra))
        self._literal_of = [-1] * len(position)  # automaton index -> literal index
        for i, lit in enumerate(literals):
            self._literal_of[position[lit]] = i
        everything = self._keys + extra
        self._automaton = automaton(everything)
        self._hits = PhraseHits(self._keys, self._targets, self._literal_of, everything, len(literals))

    def _compile_gates(self) -> None:
        """Rules that cannot match a post none of whose prefilters admit it (Matcher.gate)."""
        self._opened_by: dict[int, int] = {}  # prefilter id -> rule index
        gated = set()
        for ri, rule in enumerate(self.rules):
            ids = rule.matcher.gate()
            if ids is None:
                continue
            gated.add(ri)
            for i in ids:
                self._opened_by[i] = ri
        self._gated: frozenset = frozenset(gated)
        # Slots that must each have a hit (Matcher.needs); -1 for a role with no phrases,
        # which no post can hit.
        self._needs = {ri: frozenset(self._rule_slots[ri].get(role, -1) for role in needs)
                       for ri, rule in enumerate(self.rules) if (needs := rule.matcher.needs())}
        n_prefilters = len(self._prefilter_index.prefilters)
        self._rule_of_prefilter = [self._opened_by.get(i, -1) for i in range(n_prefilters)]
        # Families of rules screened in one call per post (Matcher.screen).
        families: dict[type, list] = defaultdict(list)
        for ri, rule in enumerate(self.rules):
            if (screen := rule.matcher.screen()) is not None:
                families[screen].append((ri, rule.matcher))
        self._screens = [screen(members) for screen, members in families.items()]
        # Rules with neither phrase slots nor exceptions all read the same empty hits.
        self._no_hits = RuleHits({}, {})

    def _active(self, platform: str, election_period: bool) -> tuple[frozenset, frozenset, frozenset]:
        """The rules that apply, and of those the ones that run on every post without a gate
        and behind one (Matcher.gate)."""
        today = self._today()
        key = (platform, election_period, today)
        got = self._active_cache.get(key)
        if got is None:
            if len(self._active_cache) > 64:
                self._active_cache.clear()
            active = frozenset(ri for ri, r in enumerate(self.rules) if r.applies(platform, election_period, today))
            always = self._always & active
            got = self._active_cache[key] = (active, always - self._gated, always & self._gated)
        return got

    def _today(self) -> dt.date:
        """dt.date.today(), asked of the clock again only once the day has ended (ten times
        cheaper per check)."""
        if time.time() >= self._day_ends:
            today = dt.date.today()
            self._day = today
            # local midnight, as date.today() reads the local date; never later than the day's end
            self._day_ends = dt.datetime.combine(today + dt.timedelta(days=1), dt.time()).timestamp()
        return self._day

    # -- check ----------------------------------------------------------------
    def analyse(self, text: str, platform: str = "generic", election_period: bool = False) -> Post:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        post = Post(text, platform, election_period, self._prefilter_index)
        post.regex_timeout = self.regex_timeout
        return post

    def check(self, text: str, platform: str = "generic", election_period: bool = False,
              dedupe: bool = True, only: str | None = None) -> CheckResult:
        """Check one post. `dedupe=False` keeps every rule's finding even where
        several rules flag the same span; `only` runs one rule by id (the
        example runner needs both)."""
        result = self._check(text, platform, election_period, dedupe, only, self.every_word)
        if not self.every_word and _words_needed(result):
            # rare (the cap cut in, or a head outranked the rule naming its category): the
            # response must be what choosing every head's words gives
            result = self._check(text, platform, election_period, dedupe, only, True)
        return result

    def _check(self, text, platform, election_period, dedupe, only, every_word) -> CheckResult:
        post = self.analyse(text, platform, election_period)
        hits = self._phrase_hits(post)
        # A rule whose findings need another finding's breach runs alone only beside the others.
        run = None if only is not None and any(self.rules[ri].id == only for ri in self._later) else only
        findings, incomplete, capped = self._run(post, hits, run, every_word)
        findings = whole_clusters(text, findings)
        if run != only:
            findings = [f for f in findings if f.rule_id == only]
        findings = _dedupe(findings) if dedupe else sorted(findings, key=lambda f: (f.start, -f.end))
        if len(findings) > self.max_findings:
            # a conditional card stands only beside another flag: the cut may have left it alone
            findings = beside_a_flag(findings[:self.max_findings])
            capped.append("*")
        return CheckResult(text, platform, findings, post.length, post.readability, self.rulebook,
                           incomplete, capped, dict(post.work))

    def _candidates(self, hits: dict, post: Post, only: str | None) -> list[int]:
        active, open_always, gated_always = self._active(post.platform, post.election_period)
        # Set operations in C throughout: this runs on every post, over ~10 hit slots and
        # ~20 admitted prefilters.
        hit = active.intersection(map(self._slot_rule.__getitem__, hits))
        needs = self._needs
        needy = needs.keys() & hit
        if needy:
            keys = hits.keys()
            hit = hit.difference([ri for ri in needy if not keys >= needs[ri]])
        found = open_always | hit
        for screen in self._screens:
            if not screen.rules.isdisjoint(found):
                found = found.difference(screen.quiet(post, found))
        if gated_always or not hit.isdisjoint(self._gated):
            # A gated rule runs only if a prefilter of its own admits the post and its pattern
            # can match there (-1: no rule's).
            opened = set(map(self._rule_of_prefilter.__getitem__, post.scan.runnable))
            found -= self._gated
            # the few opened rules read against each set, not a union of ~130 made per post
            found |= opened.intersection(gated_always) | opened.intersection(hit)
        chosen = sorted(found)
        if only is not None:
            chosen = [ri for ri in chosen if self.rules[ri].id == only]
        return chosen

    def _run(self, post: Post, hits: dict, only: str | None, every_word: bool = True):
        findings: list[Finding] = []
        incomplete: list[str] = []
        capped: list[str] = []
        chosen = self._candidates(hits, post, only)
        # Rules that need another finding's breach (match.post.with_breach) run last, and only
        # once one speaks: on most posts nothing does, and they cost nothing.
        later = self._later.intersection(chosen) if self._later else None
        if later:
            chosen = [ri for ri in chosen if ri not in later]
        stop_at = time.perf_counter() + self.deadline
        self._run_rules(post, hits, chosen, stop_at, findings, incomplete, capped, every_word)
        # Any finding that flags the post lets them run, the model's too: such a rule only names
        # what a flagged post also reads as, so beside the model's flag alone it is as right as the flag.
        if later and any(map(flags, findings)):
            before = len(findings)
            self._run_rules(post, hits, sorted(later), stop_at, findings, incomplete, capped, every_word)
            findings[before:] = _not_nested(findings[before:], findings[:before])
        return beside_a_flag(findings), incomplete, capped

    def _run_rules(self, post: Post, hits: dict, chosen: list, stop_at: float,
                   findings: list, incomplete: list, capped: list, every_word: bool = True) -> None:
        plan, no_hits = self._plan, self._no_hits
        regex_timeout, max_per_rule, clock = self.regex_timeout, self.max_per_rule, time.perf_counter
        for ri in chosen:
            rule, find, slots, unshown, generic = plan[ri]
            remaining = stop_at - clock()
            if remaining <= 0:
                incomplete.append(rule.id)
                continue
            if remaining < regex_timeout:  # the time left only shrinks: once set, set each time
                post.regex_timeout = remaining
            rule_hits = RuleHits(hits, slots) if slots else no_hits
            if unshown is not None and not every_word and (generic or rule.category in post.named):
                find = unshown
            try:
                try:
                    # Most rules find nothing: tested before any list is made or method called.
                    found = find(post, rule_hits)
                except TimeoutError:
                    # Once more: a pattern past the rulebook's safety checks runs in microseconds, so
                    # a first timeout is most often the host pausing the worker, and a post's
                    # findings must not depend on the load. A truly slow one times out again.
                    post.work["regex_retries"] += 1
                    found = find(post, rule_hits)
                if not found:
                    continue
                found = self._kept(rule, post, rule_hits, list(found))
            except TimeoutError:
                # Never the whole check for one slow pattern; say which rule.
                log.warning("rule %s: regex timed out", rule.id)
                incomplete.append(rule.id)
                continue
            if not found:
                continue
            if len(found) > max_per_rule:
                found = found[:max_per_rule]
                capped.append(rule.id)
            new = [self._finding(rule, h) for h in found]
            findings += new
            if not rule.matcher.supplementary:
                post.named.update(f.category for f in new if speaks(f))

    def _kept(self, rule: Rule, post: Post, rule_hits: RuleHits, found: list) -> list:
        """The rule's hits (at least one) less those on the reply's @mentions, in web addresses
        or on its exceptions."""
        post.work["findings"] += len(found)
        if rule.ignore_reply_mentions and post.reply_mentions_end:
            found = [h for h in found if h.start >= post.reply_mentions_end or h.unshown]
        if rule.ignore_urls and found and post.url_spans:
            found = [h for h in found if h.unshown or not post.in_url(h.start)]
        if found and rule.matcher.exceptions_after and rule_hits.exceptions:
            exc = [post.to_original(s, e) for s, e in rule_hits.exceptions]
            found = not_overlapping(found, exc, key=lambda h: (h.start, h.end))
        return found

    def _phrase_hits(self, post: Post) -> dict[int, list[tuple[int, int]]]:
        if self._automaton is None:
            return {}
        if self._hits.fast is not None:
            return self._hits.find_fast(post)
        matches = self._automaton.find_matches_as_indexes(post.folded.folded, overlapping=True)
        return self._hits.find(post, matches)

    @staticmethod
    def _finding(rule: Rule, hit) -> Finding:
        message = rule.message.format_map(_Fmt(hit.figures)) if hit.figures else rule.message
        f = Finding(rule.id, hit.category or rule.category, rule.severity, hit.start, hit.end, message,
                    rule.guidance, rule.suggestions, hit.scope)
        if hit.replacements:
            f.replacements = list(hit.replacements)
        f.supplementary = rule.matcher.supplementary
        f.generic = rule.matcher.generic
        f.tentative = hit.tentative
        f.conditional = hit.conditional
        f.beside_breach = rule.matcher.with_breach
        f.unshown = hit.unshown
        return f


def _words_needed(result: CheckResult) -> bool:
    """A head that skipped its words (Matcher.find_unshown) whose card the response may show:
    the cap cut in, or no rule's finding left names its category."""
    unshown = [f for f in result.findings if f.unshown]
    if not unshown:
        return False
    if result.capped:
        return True
    named = {f.category for f in result.findings if _rule_speaks(f)}
    return any(f.category not in named for f in unshown)


def _plan_indexes(matcher):
    """The PlanIndex of a matcher that runs patterns, and of the matcher it wraps (`post`)."""
    while matcher is not None:
        if getattr(matcher, "_plan_index", None) is not None:
            yield matcher._plan_index
        matcher = getattr(matcher, "inner", None)


def _rule_speaks(f: Finding) -> bool:
    """A rule's finding (not the model's) that counts for a breach: what with_breach rules'
    findings may not nest in, and what the model's cards give way to."""
    return not f.supplementary and speaks(f)


def _not_nested(added: list[Finding], found: list[Finding]) -> list[Finding]:
    """A with_breach rule's findings less those inside another rule's finding of their own
    category: such a rule adds its category beside a breach, and inside one of that category
    it would only underline the same words twice ('Labour' in 'Vote Labour'). The model's
    findings do not count here: they underline a whole clause, and a card for the rule's own
    words inside it still says which words read that way."""
    spans = [(f.start, f.end, f.category) for f in found if _rule_speaks(f)]
    return [f for f in added if not any(c == f.category and s <= f.start and f.end <= e for s, e, c in spans)]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Per span, the most severe finding of each category that speaks for a breach, ordered
    by position: two categories on the same words are two breaches (an attack written as a
    shout), and the card for those words names both. An advisory hint keeps a span only
    where nothing speaks there, one hint per span, as before."""
    best: dict[tuple[int, int, str | None], Finding] = {}
    spoken: set[tuple[int, int]] = set()
    for f in findings:
        spoke = speaks(f)
        if spoke and not f.supplementary:  # a model card may be listed, not underlined: the hint stays
            spoken.add((f.start, f.end))
        key = (f.start, f.end, f.category if spoke else None)
        old = best.get(key)
        # More severe wins; as severe, a rule's finding wins over the model's (shown() would
        # drop the model's card of a category a rule names, and with it the rule's words).
        rank, old_rank = SEVERITY_RANK[f.severity], old and SEVERITY_RANK[old.severity]
        if old is None or rank > old_rank or rank == old_rank and old.supplementary and not f.supplementary:
            best[key] = f
    kept = [f for (s, e, cat), f in best.items() if cat is not None or (s, e) not in spoken]
    return sorted(kept, key=lambda f: (f.start, -f.end, -SEVERITY_RANK[f.severity]))
