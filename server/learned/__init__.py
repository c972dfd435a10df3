"""The learned layer: a TF-IDF logistic regression per head, trained offline with
scikit-learn (``make train``) and scored here without it.

API (the engine uses exactly this)::

    from server.learned import load_model
    m = load_model("models/impartial-model.json.gz")  # cached per process and file version;
                                                     # ValueError with a clear message on a bad file
    m.version, m.digest, m.heads       # heads: ["political", "party_political", "attack", ...]
    m.threshold(head) -> float         # chosen on cross-validated predictions for an FPR target
    m.head_context                     # {"pre_election": {"election_period": True}}: apply only then
    m.score(text, silenced=frozenset()) -> {head: probability}
    m.explain(text, head, k=None, silenced=frozenset()) -> [(start, end, weight), ...]  # k: the artifact's
    m.analyse(text, silenced=frozenset()) -> Analysis  # .scores, .explain(head, k)
    m.flagged(text, silenced, election_period=False) -> {head: p}  # heads in force over threshold
    m.category(scores, election_period=False) -> str  # category head to name a political finding

Features are computed once per text: ``score`` and ``explain`` both go through
``analyse``, which keeps the last analysis, so ``score(t)`` then ``explain(t, h)`` pays for the
features once; explanation positions are computed only when ``explain`` is called.

``explain`` spans are code points of the original ``text`` (end exclusive): the words (and
emoji-or-punctuation-only chunks) whose features added most to the head's logit, word-bigram
weight split between its two words and character n-gram weight split over the words it
overlaps; adjacent chosen words are merged into one span with their weights summed. Best first.

``silenced``: words or word pairs ("campaign", "fantasy economics"), matched on folded words.
Every feature occurrence overlapping an occurrence of a silenced term (its unigrams, the
bigrams that touch it, the character n-grams that overlap it) contributes nothing; the L2 norm is
left as it was, so silencing removes exactly that term's contribution to the logit.
"""

from .scorer import Analysis, Model, load_model

__all__ = ["Analysis", "Model", "load_model"]
