"""Why a post was (or was not) flagged: `impartial explain`.

Reuses what the Checker compiled (its automaton hits per rule slot, each
matcher's own attributes and `pairs`/`find`), so an explanation can never
disagree with a check. Flask-free; the command line prints `to_text(...)`
or the dict as JSON.
"""

from __future__ import annotations

import bisect
import datetime as dt

from .checker import Checker
from .matchers import RuleHits
from .matchers.base import not_overlapping
from .matchers.in_post import _InnerHits
from .rulebook import Rule

MAX_PAIRS = 10  # near: (term, context) pairs explained per rule at most
MAX_SPANS = 200  # near: terms and context phrases considered for them


def _overlaps(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _folded(post, spans) -> list[str]:
    return list(dict.fromkeys(post.lower[s:e] for s, e in spans))


def _rule_hits(checker: Checker, ri: int, hits: dict) -> RuleHits:
    return RuleHits(hits, checker._rule_slots[ri])


# -- what matched ----------------------------------------------------------
def what_matched(matcher, post, rh: RuleHits, span) -> dict:
    """The phrase, pair, pattern or score behind a finding on `span` (original coordinates)."""
    fn = _WHAT.get(matcher.kind)
    try:
        return fn(matcher, post, rh, span) if fn else dict(matcher.describe())
    except TimeoutError:
        return {"kind": matcher.kind, "timeout": True}


def _what_phrases(m, post, rh, span):
    spans = [h for h in rh.kept("phrases") if _overlaps(post.to_original(*h), span)]
    return {"kind": "phrases", "phrases": _folded(post, spans)}


def _near_inputs(m, post, rh):
    terms = list(rh.kept("terms"))
    if m.plans:
        terms += not_overlapping(m.pattern_terms(post), rh.exceptions)
    barriers = sorted(s for s, _ in rh.raw("barriers"))
    return terms, list(rh.kept("context")), barriers


def _what_near(m, post, rh, span):
    terms, context, barriers = _near_inputs(m, post, rh)
    pairs = []
    for t, c in m.pairs(post, terms, context, barriers):
        if _overlaps(post.to_original(*m.output(t, c)), span):
            pairs.append(_pair(post, t, c))
    return {"kind": "near", "pairs": pairs, "within": m.within, "side": m.side}


def _pair(post, t, c) -> dict:
    lo, hi = (c[1], t[0]) if c[1] <= t[0] else (t[1], c[0])
    o_lo, o_hi = post.to_original(lo, hi)
    return {"term": post.lower[t[0]:t[1]], "context": post.lower[c[0]:c[1]],
            "between": post.text[o_lo:o_hi].strip()}


def _pattern_spans(m, post):
    for i, pat in enumerate(m.patterns):
        for mo in pat.finditer(post.text, timeout=post.regex_timeout):
            s, e = mo.span(m.group)
            if e > s:
                yield i, (s, e)


def _what_patterns(m, post, rh, span):
    found = sorted({i for i, sp in _pattern_spans(m, post) if _overlaps(sp, span)})
    return {"kind": "patterns", "patterns": found}


def _model_score(m, post) -> tuple[float, float]:
    p = m.analysis(post).scores.get(m.head, 0.0) if m.model else 0.0
    return round(p, 3), round(m.threshold, 3)


def _what_model(m, post, rh, span):
    p, t = _model_score(m, post)
    out = {"kind": "model", "head": m.head, "probability": p, "threshold": t}
    if m.beside_flag is not None:
        out["beside_flag"] = m.beside_flag
    return out


def _what_post(m, post, rh, span):
    return {"kind": "post", "match": what_matched(m.inner, post, _InnerHits(rh), span),
            "requires": _folded(post, rh.raw("requires")), "excludes": _folded(post, rh.raw("excludes"))}


_WHAT = {"phrases": _what_phrases, "near": _what_near, "patterns": _what_patterns,
         "model": _what_model, "post": _what_post}


# -- why not ----------------------------------------------------------------
def _reason(code: str, detail: str, **extra) -> dict:
    return {"reason": code, "detail": detail, **extra}


def _timed_out() -> list[dict]:
    return [_reason("timeout", "a regular expression of the rule timed out on this post")]


def inactive(rule: Rule, platform: str, election_period: bool, today: dt.date) -> list[dict]:
    """Why the rule is not run at all on this post (empty: it is active)."""
    out = []
    if not rule.enabled:
        out.append(_reason("disabled", "the rule is disabled (\"enabled\": false)"))
    if rule.platforms is not None and platform not in rule.platforms:
        out.append(_reason("platform", f"runs only on {', '.join(sorted(rule.platforms))}, not {platform}"))
    if rule.election_period is not None and rule.election_period != election_period:
        want = "in" if rule.election_period else "outside"
        out.append(_reason("election_period", f"runs only {want} an election period (see --election)"))
    if rule.active_from and today < rule.active_from:
        out.append(_reason("dates", f"active only from {rule.active_from.isoformat()}"))
    if rule.active_until and today > rule.active_until:
        out.append(_reason("dates", f"was active only until {rule.active_until.isoformat()}"))
    return out


def why_not(matcher, post, rh: RuleHits) -> list[dict]:
    """Why an active matcher found nothing in the post."""
    fn = _WHY.get(matcher.kind)
    if fn:
        try:
            return fn(matcher, post, rh)
        except TimeoutError:
            return _timed_out()
    return [_reason("no_match", f"nothing of this {matcher.kind} rule in the post", describe=matcher.describe())]


def _cancelled(post, rh, role: str, what: str) -> list[dict]:
    """No hit of `role`, or every hit cancelled by an exception."""
    raw = rh.raw(role)
    if not raw:
        return [_reason(f"no_{what}", f"no {what} of the rule in the post")]
    if not rh.kept(role):
        return [_reason("exception", f"every {what} found overlaps an exception of the rule",
                        found=_folded(post, raw), exceptions=_folded(post, rh.exceptions))]
    return []


def _why_phrases(m, post, rh):
    return _cancelled(post, rh, "phrases", "phrase")


def _why_near(m, post, rh):
    terms, context, _ = _near_inputs(m, post, rh)
    missing = [] if terms else _cancelled(post, rh, "terms", "term")
    missing += [] if context else _cancelled(post, rh, "context", "context")
    if missing:
        return missing
    spans = sorted(rh.raw("barriers"))
    return [_pair_reason(m, post, t, c, spans) for t, c in _closest_pairs(terms, context)]


def _closest_pairs(terms, context):
    terms, context = sorted(set(terms))[:MAX_SPANS], sorted(set(context))[:MAX_SPANS]
    pairs = sorted(((t, c) for t in terms for c in context if not _overlaps(t, c)),
                   key=lambda tc: min(abs(tc[0][0] - tc[1][1]), abs(tc[1][0] - tc[0][1])))
    return pairs[:MAX_PAIRS]


def _pair_reason(m, post, t, c, barriers) -> dict:
    """Why this term and context phrase do not pair (barriers: spans of the barrier phrases found)."""
    before = c[1] <= t[0]
    pair = _pair(post, t, c)
    if (before and m.side == "after") or (not before and m.side == "before"):
        where = "before" if before else "after"
        return _reason("wrong_side", f"the context comes {where} the term; the rule wants side {m.side!r}", **pair)
    lo, hi = (c[1], t[0]) if before else (t[1], c[0])
    starts = post.word_starts
    between = bisect.bisect_left(starts, hi) - bisect.bisect_left(starts, lo)
    if between > m.within:
        return _reason("too_far", f"{between} words between, the rule allows {m.within}", words=between, **pair)
    bounds = {"sentence": post.sentence_ends, "clause": post.clause_ends}.get(m.boundary, [])
    if any(lo <= b < hi for b in bounds):
        return _reason("boundary", f"a {m.boundary} ends between the term and the context", **pair)
    hit = [(s, e) for s, e in barriers if lo <= s < hi]
    if hit:
        word = post.lower[hit[0][0]:hit[0][1]]
        return _reason("barrier", f"the barrier word {word!r} stands between them", barrier=word, **pair)
    return _reason("pairs", "this pair is within reach (another finding may cover it)", **pair)


def _why_patterns(m, post, rh):
    if not any(True for _ in _pattern_spans(m, post)):
        return [_reason("no_pattern", f"none of the rule's {len(m.patterns)} patterns matches")]
    return []


def _why_model(m, post, rh):
    if m.model is None:
        return [_reason("no_model", "the model could not be loaded")]
    p, t = _model_score(m, post)
    if m.beside_flag is not None and p >= m.beside_flag:
        return [_reason("no_other_flag", f"the {m.head} head scores {p}, under its threshold {t} but over its "
                        f"beside_flag bar {m.beside_flag}: it names its category only where another finding flags the post",
                        head=m.head, probability=p, threshold=t, beside_flag=m.beside_flag)]
    return [_reason("under_threshold", f"the {m.head} head scores {p}, under its threshold {t}",
                    head=m.head, probability=p, threshold=t)]


def _why_post(m, post, rh):
    if m.requires and not rh.raw("requires"):
        return [_reason("requires_missing", "none of the phrases the rule requires ('post.requires') is in the post")]
    inner = _InnerHits(rh)
    if not list(m.inner.find(post, inner)):
        return why_not(m.inner, post, inner)
    return [_reason("excludes_present", "the post has a phrase the rule excludes ('post.excludes')",
                    excludes=_folded(post, rh.raw("excludes")))]


def _why_metric(m, post, rh):
    name, limit = m.spec["name"], m.spec["max"]
    return [_reason("within_limit", f"the post's {name} measure is within the rule's maximum of {limit}")]


_WHY = {"phrases": _why_phrases, "near": _why_near, "patterns": _why_patterns,
        "model": _why_model, "post": _why_post, "metric": _why_metric}


def _after_find(rule: Rule, post, rh: RuleHits) -> list[dict]:
    """The matcher found spans, yet the checker kept none: reply mentions or exceptions."""
    try:
        found = list(rule.matcher.find(post, rh))
    except TimeoutError:
        return _timed_out()
    if not found or all(h.conditional for h in found):
        return why_not(rule.matcher, post, rh)  # conditional: found, then dropped for want of a flag
    if rule.ignore_reply_mentions and all(h.start < post.reply_mentions_end for h in found):
        return [_reason("reply_mentions", "it matched only in the @mentions a reply starts with")]
    if rule.ignore_urls and all(post.in_url(h.start) for h in found):
        return [_reason("url", "it matched only inside web addresses")]
    return [_reason("exception", "every match overlaps an exception of the rule",
                    exceptions=_folded(post, rh.exceptions))]


# -- the whole explanation --------------------------------------------------
def find_rule(checker: Checker, rule_id: str) -> Rule | None:
    return next((r for r in checker.rulebook.rules if r.id == rule_id), None)


def explain(checker: Checker, text: str, platform: str = "generic", election_period: bool = False,
            rule_id: str | None = None, today: dt.date | None = None) -> dict:
    post = checker.analyse(text, platform, election_period)
    hits = checker._phrase_hits(post)
    result = checker.check(text, platform, election_period)
    index = {r.id: i for i, r in enumerate(checker.rules)}
    out = {"verdict": result.verdict, "platform": platform, "election_period": election_period,
           "findings": [_explain_finding(checker, post, hits, index[f.rule_id], f) for f in result.shown()]}
    if result.incomplete:
        out["incomplete"] = result.incomplete  # rules not run to the end (deadline, regex timeout)
    if rule_id is not None:
        out["rule"] = explain_rule(checker, post, hits, rule_id, today or dt.date.today())
        if out["rule"]["fired"]:
            out["rule"]["shown"] = any(f["rule_id"] == rule_id for f in out["findings"])
    return out


def _explain_finding(checker, post, hits, ri: int, f) -> dict:
    rule = checker.rules[ri]
    rh = _rule_hits(checker, ri, hits)
    return {"rule_id": rule.id, "category": f.category, "severity": f.severity, "start": f.start, "end": f.end,
            "words": post.text[f.start:f.end], "matched": what_matched(rule.matcher, post, rh, (f.start, f.end)),
            "exceptions": _folded(post, rh.exceptions)}


def explain_rule(checker: Checker, post, hits: dict, rule_id: str, today: dt.date) -> dict:
    """Whether one rule fired on the post, and if not, why not."""
    rule = find_rule(checker, rule_id)
    if rule is None:
        raise KeyError(rule_id)
    out = {"rule_id": rule_id, "kind": rule.kind, "fired": False}
    reasons = inactive(rule, post.platform, post.election_period, today)
    if reasons:
        return dict(out, reasons=reasons)
    ri = next(i for i, r in enumerate(checker.rules) if r.id == rule_id)
    fired = checker.check(post.text, post.platform, post.election_period, dedupe=False, only=rule_id).findings
    if not fired and getattr(rule.matcher, "beside_flag", None) is not None:
        # a conditional finding stands only beside another rule's flag: alone it is dropped
        everything = checker.check(post.text, post.platform, post.election_period, dedupe=False)
        fired = [f for f in everything.findings if f.rule_id == rule_id]
    if fired:
        return dict(out, fired=True, findings=len(fired))
    return dict(out, reasons=_after_find(rule, post, _rule_hits(checker, ri, hits)))


# -- text -----------------------------------------------------------------
def to_text(report: dict) -> str:
    lines = [f"verdict: {report['verdict']} ({len(report['findings'])} finding"
             f"{'' if len(report['findings']) == 1 else 's'})"]
    for f in report["findings"]:
        lines.append(f"\n{f['rule_id']}  [{f['category']}, {f['severity']}]  \"{f['words']}\"")
        lines += ["  " + line for line in _matched_lines(f["matched"])]
        if f["exceptions"]:
            lines.append("  exceptions in the post: " + ", ".join(repr(x) for x in f["exceptions"]))
    if "rule" in report:
        lines += ["", *_rule_lines(report["rule"])]
    return "\n".join(lines)


def _matched_lines(m: dict) -> list[str]:
    kind = m.get("kind")
    if kind == "phrases":
        return ["phrase: " + ", ".join(repr(p) for p in m["phrases"])]
    if kind == "near":
        return [f"term {p['term']!r} near context {p['context']!r}, between: {p['between']!r}" for p in m["pairs"]]
    if kind == "patterns":
        return ["pattern " + ", ".join(f"#{i}" for i in m["patterns"])]
    if kind == "model":
        if m["probability"] < m["threshold"] and "beside_flag" in m:
            return [f"model head {m['head']}: probability {m['probability']} under threshold {m['threshold']}, "
                    f">= beside_flag {m['beside_flag']}, beside another finding's flag"]
        return [f"model head {m['head']}: probability {m['probability']} >= threshold {m['threshold']}"]
    if kind == "post":
        gate = [f"requires found: {', '.join(map(repr, m['requires']))}"] if m["requires"] else []
        return _matched_lines(m["match"]) + gate
    return [f"{kind}: " + ", ".join(f"{k}={v}" for k, v in m.items() if k != "kind")]


def _rule_lines(r: dict) -> list[str]:
    if r["fired"]:
        hidden = "" if r["shown"] else "; not shown: another rule's finding covers the same words"
        return [f"{r['rule_id']} fired ({r['findings']} finding{'' if r['findings'] == 1 else 's'}{hidden})."]
    return [f"{r['rule_id']} did not fire:"] + [f"  - {x['reason']}: {x['detail']}" + _pair_suffix(x)
                                               for x in r["reasons"]]


def _pair_suffix(x: dict) -> str:
    return f" (term {x['term']!r}, context {x['context']!r})" if "term" in x else ""
