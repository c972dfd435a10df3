"""`model`: the learned layer beside the rules (server/learned).

A rule of this kind names a head of the trained model ("political",
"attack", ...). When the head's probability for the post is over the
threshold (the model's own, chosen on held-out data, unless the rule sets
one), the finding underlines the words that weighed most for it, so the
officer sees why: as many spans as the rule's `underline` says, or by the
artifact's own setting (one phrase around one of the weightiest words,
chosen by the artifact's underline chooser; see models/MODEL_CARD.md).
Beside a rule's finding, a head less sure than the rule's `beside_rules`
names its category about the post, without an underline (checker.py).
Under its threshold, a head at least as sure as its `beside_flag` bar names
its category about the post too, but only where another finding already
flags the post: the post is political, and the head says what else it reads
as (an attack that is also a sneer), which changes no verdict.
Terms a maintainer silences contribute nothing. The model is loaded once
per process and its analysis of a post is shared by every model rule
checking it.
"""

from __future__ import annotations

import functools
import re
import weakref
from pathlib import Path

from .base import Hit, Matcher

DEFAULT_MODEL = "models/impartial-model.json.gz"
GENERIC_HEAD = "political"  # "is this political at all?": its category is the likeliest head's
PROJECT = Path(__file__).resolve().parents[3]


# Equal silenced sets as one object, for the process. Heads silencing the same terms share a
# post's analysis through the memo, and the scorer its variants, by a key holding the set: an
# equal set that is another object is compared term by term on every look-up (a few hundred
# terms, each head, each post: a tenth of the heads' screening), the same object at once.
_SILENCED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _interned(silenced: frozenset) -> frozenset:
    got = _SILENCED.get(silenced)
    if got is None:
        _SILENCED[silenced] = got = silenced
    return got


# A post answering the public quotes the question on a "Q:" line, then answers on an "A:"
# line: the question's words are the questioner's, not the account's (the rules read them so
# too), and a resident's "It's ridiculous" is no tone of the account's.
_QUESTION_LINE = re.compile(r"(?m)^[ \t]*Q[ \t]*:[^\n]*")
_ANSWER_LINE = re.compile(r"(?m)^[ \t]*A[ \t]*:")


def own_words(text: str, reply_mentions_end: int = 0, retweets: re.Pattern | None = None) -> str:
    """The text with a Q&A post's question lines, a thread reply's leading @mentions and the
    `retweets` prefixes ("RT @EastmoorCouncil:") blanked: same length, so offsets hold. A reply
    into a thread carries every participant's handle, parties and broadcasters included,
    written by the platform: the model read "@LibDems @BBC @UKLabour Hi - thanks for your
    message" as amplification. A single handle stays: it is the one account the reply speaks
    to ("@Labour4Eastvale Thank you, and thanks for everything your team has done" amplifies
    the party it thanks). The model learnt "RT @" from retweets of party accounts, so it read a
    retweet of the Met Office's snow warning as amplification; `retweets` (_retweet_prefix)
    names the public bodies whose retweets it need not read."""
    if reply_mentions_end and text.count("@", 0, reply_mentions_end) > 1:
        text = " " * reply_mentions_end + text[reply_mentions_end:]
    if retweets is not None and "RT" in text:
        text = retweets.sub(lambda m: " " * len(m.group()), text)
    if "Q" not in text or _ANSWER_LINE.search(text) is None:
        return text
    return _QUESTION_LINE.sub(lambda m: " " * len(m.group()), text)


def _own(post, retweets: re.Pattern | None = None) -> str:
    """own_words of the post, once per post: the whole analysis and the windows read it.
    Filed by the pattern's id, not the pattern: hashing an `re` pattern hashes its compiled
    code (~3 us for the retweets pattern), and each head asks once per post. The memo lives
    for one check, while the matchers holding the pattern do, so the id names it alone."""
    key = ("own-words", id(retweets))
    got = post.memo.get(key)
    if got is None:
        got = post.memo[key] = own_words(post.text, post.reply_mentions_end, retweets)
    return got


def _analysis(post, model, silenced: frozenset, retweets: re.Pattern | None = None):
    key = ("model", model.digest, silenced)
    got = post.memo.get(key)
    if got is None:
        got = post.memo[key] = model.analyse(_own(post, retweets), silenced)
    return got


def _sentence_windows(post, sentences: int) -> list[tuple[int, int]]:
    """(start, end) of each run of `sentences` consecutive sentences, in the original text;
    none for a post of fewer sentences (its whole analysis already read them together)."""
    spans = post.sentence_spans
    if len(spans) <= sentences:
        return []
    runs = [(spans[i][0], spans[i + sentences - 1][1]) for i in range(len(spans) - sentences + 1)]
    return [post.to_original(a, b) for a, b in runs]


def _best_window(post, model, head: str, silenced: frozenset, windows: dict, retweets: re.Pattern | None = None):
    """The window's (start, analysis) whose head scores highest, if one reaches the bar."""
    key = ("model-window", model.digest, silenced, head, windows["sentences"], windows["threshold"])
    if key in post.memo:
        return post.memo[key]
    own, best, best_score = _own(post, retweets), None, windows["threshold"]
    for start, end in _sentence_windows(post, windows["sentences"]):
        got = model.analyse(own[start:end], silenced)
        score = got.scores.get(head, 0.0)
        if score >= best_score:
            best, best_score = (start, got), score
    post.memo[key] = best
    return best


def _figures(p: float) -> dict:
    """What a model finding's message may quote ({value}% sure)."""
    return {"value": round(p * 100), "probability": round(p, 3)}


SILENCES_MODEL = "silences_model"  # a list's exceptions count for nothing to the model
SKIPS_RETWEETS = "model_skips_retweets"  # a list's terms name bodies whose "RT @handle:" it skips


def marked_lists(lists: dict, flag: str) -> list[tuple[str, dict]]:
    """(name, list) of the rulebook's lists marked `flag`: the model reads them itself."""
    return [(name, lst) for name, lst in lists.items() if isinstance(lst, dict) and lst.get(flag)]


def _plain(lists, key: str) -> list[str]:
    """The plain phrases (no {@list} reference) of `key` in each of `lists`."""
    return [t for _, lst in lists for t in lst.get(key, ()) if isinstance(t, str) and "{@" not in t]


def _neutral_senses(ctx) -> list[str]:
    """The exceptions of lists marked `silences_model`: the rulebook's own word that 'labour
    ward' is not a party. The model learnt 'labour' from party posts; a maintainer who adds
    such an exception expects it to silence the model's weight there too. Only marked lists:
    an exception can also just keep a word out of one list's rules ('Liberal Democrat' is
    no pejorative 'liberal'), and silencing the party name there would blind the model."""
    return _plain(marked_lists(ctx.lists, SILENCES_MODEL), "exceptions")


def _retweet_prefix(ctx) -> re.Pattern | None:
    """The "RT @handle:" prefixes the model skips (own_words): a handle holding a term of a
    list marked `model_skips_retweets` and none of its exceptions, compared without case or
    spaces: a public body's account ("@EastmoorCouncil", "@metoffice"), not a party's
    ("@StanmoorLabourCouncillors"). One pattern per rulebook, shared by every head."""
    marked = marked_lists(ctx.lists, SKIPS_RETWEETS)

    def squeezed(key):
        return frozenset("".join(t.lower().split()) for t in _plain(marked, key)) - {""}

    terms = squeezed("terms")
    return _retweet_pattern(terms, squeezed("exceptions")) if terms else None


@functools.cache
def _retweet_pattern(terms: frozenset, exceptions: frozenset) -> re.Pattern:
    def alternation(words):
        return "|".join(map(re.escape, sorted(words, key=lambda w: (-len(w), w))))

    unless = rf"(?!\w*(?:{alternation(exceptions)}))" if exceptions else ""
    return re.compile(rf"(?i)\bRT\s+@{unless}(?=\w*(?:{alternation(terms)}))\w+:?")


class ModelMatcher(Matcher):
    kind = "model"
    always = True
    supplementary = True

    def __init__(self, model, head: str, threshold: float, silenced: frozenset, underline: int | None,
                 beside_rules: float = 0.0, beside_flag: float | None = None, windows: dict | None = None,
                 retweets: re.Pattern | None = None, min_weight: float | None = None):
        self.model = model
        self.min_weight = min_weight
        self.retweets = retweets
        self.windows = windows
        self.head = head
        self.threshold = threshold
        self.beside_rules = beside_rules
        self.beside_flag = beside_flag
        # under this a head finds nothing at all (HeadScreen reads it too)
        self.floor = threshold if beside_flag is None else min(threshold, beside_flag)
        self.silenced = silenced = _interned(frozenset(silenced))
        self.underline = underline
        self.generic = head == GENERIC_HEAD
        # what the post's memo files this matcher's analysis under (_analysis), made once
        self._memo_key = ("model", model.digest, silenced) if model is not None else None

    @classmethod
    def build(cls, spec, ctx, where):
        from server.learned import load_model

        m = spec["model"]
        if "path" in m:
            path = Path(m["path"])
            if not path.is_absolute():
                path = Path(ctx.base_dir) / path
        else:
            # The model the project ships, wherever the rulebook itself lives.
            path = PROJECT / DEFAULT_MODEL
        try:
            model = load_model(str(path))
        except (ValueError, OSError) as exc:
            ctx.problem(f"{where} field 'match.model.path'", f"cannot load the model {str(path)!r}: {exc}")
            return cls(None, m["head"], 1.0, frozenset(), 0)
        if m["head"] not in model.heads:
            ctx.problem(f"{where} field 'match.model.head'",
                        f"the model has no head {m['head']!r}; it has {', '.join(model.heads)}")
            return cls(None, m["head"], 1.0, frozenset(), 0)
        threshold = m.get("threshold", model.threshold(m["head"]))
        silenced = frozenset(" ".join(t.lower().split()) for t in [*m.get("silence", []), *_neutral_senses(ctx)])
        beside_flag = m.get("beside_flag")
        if beside_flag is not None and m["head"] == GENERIC_HEAD:
            # its finding is the flag itself; beside another it would only repeat that the post is political
            ctx.problem(f"{where} field 'match.model.beside_flag'",
                        f"the {GENERIC_HEAD!r} head cannot take beside_flag: only a category head names what else a flagged post reads as")
            beside_flag = None
        windows = m.get("windows")
        if windows is not None and m["head"] != GENERIC_HEAD:
            # a category head's window would name a category without the flag that asks for one
            ctx.problem(f"{where} field 'match.model.windows'",
                        f"only the {GENERIC_HEAD!r} head reads a long post window by window")
            windows = None
        # no `underline`: the artifact's own setting (models/MODEL_CARD.md), chosen for span precision
        return cls(model, m["head"], threshold, silenced, m.get("underline"), m.get("beside_rules", 0.0),
                   beside_flag, windows, _retweet_prefix(ctx), m.get("min_weight"))

    def screen(self):
        return HeadScreen

    def analysis(self, post):
        """The post's analysis under this head's silenced terms, shared by every head that
        silences the same (one look-up after the first: every post runs each head)."""
        return post.memo.get(self._memo_key) or _analysis(post, self.model, self.silenced, self.retweets)

    def find(self, post, hits):
        return self._find(post, words=True)

    def find_unshown(self, post, hits):
        """find(), less the words: a rule already names this head's category, so its card is
        not shown (CheckResult.shown()); it still counts for the verdict and the model's figures.
        Choosing the words is most of a head's cost on the posts that take longest. The generic
        head learns its category as it finds, so it decides here: words only for a category no
        rule that ran before it has named (post.named). A rule that names it later only leaves
        words chosen that shown() hides."""
        return self._find(post, words=None if self.generic else False)

    def _find(self, post, words: bool | None):
        if self.model is None:
            return []
        analysis = self.analysis(post)
        p = analysis.scores.get(self.head, 0.0)
        if p < self.floor:
            # windows are read only where no rule has named anything (reads_windows)
            return self._window_find(post, words is not False) if self.reads_windows(post, p) else []
        conditional = p < self.threshold or self.thin(analysis)
        category = self.model.category(analysis.scores, post.election_period) if self.generic else None
        if words is None:
            words = category not in post.named
        return self._hits(post, analysis, p, category, words, conditional=conditional,
                          tentative=conditional or p < self.beside_rules)

    def _hits(self, post, analysis, p: float, category, words: bool, start: int = 0,
              conditional: bool = False, tentative: bool = False, why: str = ""):
        """The head's finding: its weightiest words in `analysis` (of the text from `start`),
        or, without words, one about the whole post."""
        figures = _figures(p)
        spans = analysis.explain(self.head, self.underline) if words else ()
        if not spans:
            return [Hit(0, len(post.text), figures=figures, scope="post", category=category,
                        conditional=conditional, unshown=not words)]
        return [Hit(start + s, start + e, figures=dict(figures, weight=round(w, 3)), category=category,
                    why=f"model:{self.head}{why}", tentative=tentative, conditional=conditional)
                for s, e, w in spans]

    def thin(self, analysis) -> bool:
        """No word or word pair of the post weighs `min_weight` toward the head: its score is
        many ordinary words leaning a little each way (a writing register the training posts
        tied to breaches: "Found: one very confused cow 🐄 She's safely back in her paddock"),
        not a term that says why, so the finding only stands beside another flag."""
        if self.min_weight is None:
            return False
        return max(analysis.unit_contributions(self.head), default=0.0) < self.min_weight

    def reads_windows(self, post, p: float) -> bool:
        """A long post no rule has flagged yet, whose whole score p is at least min_score:
        its windows may hold the breach the whole dilutes. The rest need no second reading,
        and skip its cost."""
        w = self.windows
        return (w is not None and self.model is not None and not post.named
                and p >= w.get("min_score", 0.0) and len(post.word_starts) >= w["min_words"])

    def _window_find(self, post, words: bool):
        got = _best_window(post, self.model, self.head, self.silenced, self.windows, self.retweets)
        if got is None:
            return []
        start, analysis = got
        category = self.model.category(analysis.scores, post.election_period)
        return self._hits(post, analysis, analysis.scores[self.head], category, words, start, why=":window",
                          conditional=self.thin(analysis))

    def describe(self):
        return {"kind": self.kind, "head": self.head, "threshold": self.threshold,
                "beside_rules": self.beside_rules, "beside_flag": self.beside_flag, "min_weight": self.min_weight,
                "windows": self.windows, "model": self.model.version if self.model else None}


class HeadScreen:
    """The model rules of a rulebook (one per head, ~8 on every post) screened in one call:
    a head under its threshold finds nothing, and most posts have every head under it, so
    the checker calls `find` only for the others (Matcher.screen)."""

    def __init__(self, members: list):
        self.rules = frozenset(ri for ri, _ in members)
        self._heads = list(members)

    def quiet(self, post, among) -> list[int]:
        out = []
        for ri, m in self._heads:
            if ri not in among:
                continue  # not in force on this post: its analysis is not needed
            if m.model is None:
                out.append(ri)
                continue
            analysis = m.analysis(post)
            # find()'s own test, so a score it would pass (a NaN too) is never screened out
            p = analysis.scores.get(m.head, 0.0)
            if p < m.floor and not m.reads_windows(post, p):
                out.append(ri)
        return out
