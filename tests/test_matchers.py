"""Each kind of match on its own, the analysed Post, and the bounds on a check."""

import json

import pytest

from server.engine import Checker, load_rulebook, parse_rulebook
from server.engine.examples import run_all
from server.engine.explain import explain
from server.engine.matchers import KINDS
from server.engine.post import Post
from server.learned.scorer import load_model

from helpers import RULES, book_json, minimal_rule


def checker_for(*rules, lists=None, **kw) -> Checker:
    return Checker(parse_rulebook(book_json(*rules, lists=lists)), **kw)


def found(result, rule_id="test.rule"):
    return [result.text[f.start:f.end] for f in result.findings if f.rule_id == rule_id]


def test_every_kind_is_registered_with_its_schema():
    schema = json.loads((RULES.parent / "server" / "rules.schema.json").read_text())
    assert set(KINDS) <= set(schema["$defs"]["match"]["properties"])


def test_post_computes_what_is_asked_once_and_lazily():
    post = Post("Labour, said the council. Then more.")
    assert "word_starts" not in post.__dict__
    assert post.word_starts == [0, 8, 13, 17, 26, 31]
    assert post.word_starts is post.word_starts
    assert post.sentence_ends == [24, 35]
    assert post.clause_ends == [6, 24, 35]


def test_phrases_kind_offers_its_swap():
    rule = minimal_rule(match={"phrases": ["activist lawyer"], "swap": {"activist lawyer": "lawyer"}})
    r = checker_for(rule).check("Activist lawyer")
    assert [f.replacements for f in r.findings] == [["Lawyer"]]


def test_a_swap_reaches_the_hyphenated_form_the_phrase_also_matches():
    # written once, spaced: the automaton also matches "ambulance-chasing lawyers", and the
    # officer must be offered the same replacement there
    rule = minimal_rule(match={"phrases": ["ambulance chasing", "nanny state"],
                               "swap": {"ambulance chasing": "personal injury", "nanny state": "regulation"}})
    r = checker_for(rule).check("No more ambulance-chasing firms, no more nanny-state rules.")
    assert [(r.text[f.start:f.end], f.replacements) for f in r.findings] == [
        ("ambulance-chasing", ["personal injury"]), ("nanny-state", ["regulation"])]


def test_near_same_clause_stops_at_a_comma():
    lists = {"parties": {"terms": ["Labour"]}, "scorn": {"terms": ["shameful"]}}
    rule = minimal_rule(match={"near": {"terms": ["{@parties}"], "context": ["{@scorn}"], "within": 6,
                                        "same_clause": True}})
    c = checker_for(rule, lists=lists)
    assert found(c.check("Labour's plan is shameful")) == ["Labour's plan is shameful"]
    assert found(c.check("Labour met residents, a shameful day for the weather")) == []


def test_near_picks_the_nearest_context_on_either_side():
    lists = {"t": {"terms": ["council"]}, "c": {"terms": ["bad"]}}
    rule = minimal_rule(match={"near": {"terms": ["{@t}"], "context": ["{@c}"], "within": 3}})
    c = checker_for(rule, lists=lists)
    assert found(c.check("bad a b council c bad")) == ["council c bad"]


def test_patterns_kind_applies_exceptions_to_the_spans_found():
    rule = minimal_rule(match={"patterns": [r"(?i)\bkick\w*"]}, exceptions=["kick off"])
    c = checker_for(rule)
    assert found(c.check("Kick off at 3. Kicking them out.")) == ["Kicking"]


def test_metric_kind_reads_the_post():
    rule = minimal_rule(match={"metric": {"name": "hashtags", "max": 1}}, message="{value} hashtags")
    r = checker_for(rule).check("#a #b #c")
    assert found(r) == ["#b #c"] and r.findings[0].message == "3 hashtags"


def test_guidance_is_defined_once_and_referenced_by_id():
    data = json.loads(book_json(minimal_rule(guidance="code.x")))
    data["guidance"] = {"code.x": {"source": "Code", "clause": "Be fair.", "url": "https://example.gov.uk/code"}}
    book = parse_rulebook(json.dumps(data))
    assert book.rules[0].guidance == {"source": "Code", "clause": "Be fair.", "url": "https://example.gov.uk/code"}


def test_an_unknown_guidance_id_is_a_problem_naming_the_rule():
    from server.engine import RulebookError

    with pytest.raises(RulebookError) as info:
        parse_rulebook(book_json(minimal_rule(guidance="nowhere")))
    assert "rule 'test.rule'" in str(info.value) and "unknown guidance 'nowhere'" in str(info.value)


def test_a_match_with_two_kinds_is_refused_with_the_kinds_named():
    from server.engine import RulebookError

    with pytest.raises(RulebookError) as info:
        parse_rulebook(book_json(minimal_rule(match={"phrases": ["a"], "patterns": ["b"]})))
    assert "needs exactly one of" in str(info.value) and "found phrases, patterns" in str(info.value)


def test_an_example_can_assert_the_fix():
    good = minimal_rule(match={"phrases": ["activist lawyer"], "swap": {"activist lawyer": "lawyer"}},
                        examples={"flag": [{"text": "the [[activist lawyers]]", "fix": "lawyers"}], "pass": ["x"]})
    assert run_all(checker_for(good)) == []
    wrong = dict(good, examples={"flag": [{"text": "the [[activist lawyers]]", "fix": "attorneys"}], "pass": ["x"]})
    failures = run_all(checker_for(wrong))
    assert len(failures) == 1 and "expected the fix 'attorneys'" in failures[0].problem


def test_examples_run_against_their_own_rule_alone():
    a = minimal_rule(id="test.a", match={"phrases": ["lawyer"]}, examples={"flag": ["[[lawyer]]"], "pass": ["x"]})
    b = minimal_rule(id="test.b", match={"phrases": ["activist lawyer"]},
                     examples={"flag": ["[[activist lawyer]]"], "pass": ["lawyer"]})
    c = checker_for(a, b)
    assert c.check("activist lawyer", only="test.a").findings[0].rule_id == "test.a"
    assert {f.rule_id for f in c.check("activist lawyer", only="test.b").findings} == {"test.b"}
    assert run_all(c) == []


# -- bounds ---------------------------------------------------------------

@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook(RULES)


def _adversarial(rule, repeats: int) -> str:
    """A post that repeats one term and one context phrase of a near rule."""
    # A rule whose terms are only patterns (capitalised names) gets a name.
    near = getattr(rule.matcher, "inner", rule.matcher)  # a near rule inside a post gate
    term = near.terms[0].text if near.terms else "Jane Smith"
    context = near.context[0].text
    return (f"{context} {term} " * repeats).strip()


def test_near_rules_do_work_linear_in_the_post(rulebook):
    near = [r for r in rulebook.rules if r.kind == "near"]
    assert near
    checker = Checker(rulebook, deadline=60, max_per_rule=10**6, max_findings=10**6)
    for rule in near:
        work = []
        sizes = (100, 400, 1600)
        for n in sizes:
            r = checker.check(_adversarial(rule, n), election_period=True, dedupe=False, only=rule.id)
            work.append(r.work.get("near_pairs", 0) / n)
        # Pairs examined per repeat stay flat as the post grows sixteenfold.
        assert work[2] <= 1.1 * work[1] + 1 and work[1] <= 1.1 * work[0] + 1, (rule.id, work)


def test_every_rule_together_does_work_linear_in_the_post(rulebook):
    checker = Checker(rulebook, deadline=60, max_per_rule=10**6, max_findings=10**6)
    near = [r for r in rulebook.rules if r.kind == "near"]
    unit = " ".join(_adversarial(r, 1) for r in near) + " "
    works = []
    for n in (5, 20, 80):
        r = checker.check(unit * n, election_period=True, dedupe=False)
        works.append((r.work["near_pairs"] + r.work["findings"] + r.work["phrase_hits"]) / n)
    assert works[2] <= 1.1 * works[1] and works[1] <= 1.1 * works[0], works


def test_findings_are_capped_per_rule_and_per_post_and_the_response_says_so(rulebook):
    checker = Checker(rulebook, max_per_rule=5, max_findings=12)
    rule = next(r for r in rulebook.rules if r.id == "party_political.electoral-call")
    r = checker.check(_adversarial(rule, 400))
    mine = [f for f in r.findings if f.rule_id == rule.id]
    assert len(mine) <= 5 and len(r.findings) <= 12
    assert rule.id in r.to_json()["capped"]


def test_rules_past_the_deadline_are_named_incomplete(rulebook):
    r = Checker(rulebook, deadline=0).check("Vote Labour! Call 07700 900123.")
    assert r.findings == [] or all(f.category in ("platform_limit", "accessibility") for f in r.findings)
    assert "party_political.electoral-call" in r.to_json()["incomplete"]


def test_near_barriers_cancel_a_pair_they_stand_between():
    lists = {"actors": {"terms": ["the Government"]}, "neg": {"terms": ["violent", "failed"]}}
    rule = minimal_rule(match={"near": {"terms": ["{@actors}"], "context": ["{@neg}"], "within": 4,
                                        "barriers": ["tackle"]}})
    c = checker_for(rule, lists=lists)
    assert found(c.check("The Government will tackle violent crime")) == []
    assert found(c.check("The Government has failed us")) == ["The Government has failed"]


def test_a_list_can_draw_its_terms_from_a_lexicon_less_its_exclusions():
    lists = {"negative": {"lexicon": {"name": "vader", "max_valence": -2.0}, "exclude": ["crime"]}}
    rule = minimal_rule(match={"phrases": ["{@negative}"], "inflect": False})
    c = checker_for(rule, lists=lists)
    assert found(c.check("a pathetic, incompetent crime")) == ["pathetic", "incompetent"]
    assert found(c.check("a good plan")) == []


def test_an_unknown_lexicon_is_a_problem_naming_the_list():
    from server.engine import RulebookError

    lists = {"negative": {"lexicon": {"name": "vader", "max_valence": -2.0}}}
    data = json.loads(book_json(minimal_rule(match={"phrases": ["{@negative}"]}), lists=lists))
    data["lists"]["negative"]["lexicon"]["name"] = "nowhere"
    with pytest.raises(RulebookError) as info:
        parse_rulebook(json.dumps(data))
    assert "list 'negative'" in str(info.value) and "lexicon" in str(info.value)


def test_a_rule_may_ignore_the_mentions_a_reply_starts_with():
    rule = minimal_rule(match={"phrases": ["@party"]}, ignore_reply_mentions=True)
    c = checker_for(rule)
    assert found(c.check("@party @bbc Thanks, we have passed this on.")) == []
    assert found(c.check("Thanks @party for the support")) == ["@party"]
    assert found(checker_for(minimal_rule(match={"phrases": ["@party"]})).check("@party hi")) == ["@party"]


def test_a_rule_may_ignore_hits_inside_web_addresses():
    rule = minimal_rule(match={"phrases": ["garbage"]}, ignore_urls=True)
    c = checker_for(rule)
    assert found(c.check("Collection days are at ottawa.ca/garbage from Monday.")) == []
    assert found(c.check("See https://example.gov/garbage-day, not this garbage.")) == ["garbage"]
    assert found(checker_for(minimal_rule(match={"phrases": ["garbage"]})).check("ottawa.ca/garbage")) == ["garbage"]
    why = explain(c, "Collection days are at ottawa.ca/garbage", rule_id=rule["id"])["rule"]
    assert not why["fired"] and [r["reason"] for r in why["reasons"]] == ["url"]


# -- the model kind -----------------------------------------------------------

def _model_rule(**model):
    return minimal_rule(id="model.test", category="attack", message="{value}% sure",
                        match={"model": dict({"head": "attack"}, **model)},
                        examples={"flag": ["Only an idiot would believe Labour's lies."], "pass": ["Bins on Tuesday."]})


ATTACK = "Cllr Jones clearly hasn't bothered to read the report. Embarrassing."


def test_the_model_kind_underlines_the_words_that_weighed_most():
    r = checker_for(_model_rule()).check(ATTACK)
    assert r.findings and all(f.rule_id == "model.test" for f in r.findings)
    assert all(0 <= f.start < f.end <= len(ATTACK) for f in r.findings)
    assert r.findings[0].message.endswith("% sure") and "{value}" not in r.findings[0].message


def test_a_rule_threshold_overrides_the_models_and_silenced_terms_count_for_nothing():
    assert checker_for(_model_rule(threshold=0.999999)).check(ATTACK).findings == []
    plain = checker_for(_model_rule(threshold=0.0)).check(ATTACK)
    model = load_model(RULES.parent / "models/impartial-model.json.gz")
    # the weightiest word itself, not the phrase an underline widens it to
    (s, e, _), = model.analyse(ATTACK).explain("attack", 1, 0.0, 0)
    top = ATTACK[s:e].lower()
    silenced = checker_for(_model_rule(threshold=0.0, silence=[top])).check(ATTACK)
    assert silenced.findings[0].message != plain.findings[0].message or len(silenced.findings) != len(plain.findings)
    words = [ATTACK[s:e].lower() for s, e, _ in model.analyse(ATTACK, frozenset([top])).explain("attack", 3, 0.0, 0)]
    assert words and top not in words



def test_a_lists_exceptions_silence_the_model_there_too():
    """'labour ward' is declared neutral by the party list: the model's weight on
    'labour' counts for nothing in it, and only there."""
    text = "Labour ward visiting hours have changed."
    lists = {"parties": {"terms": ["Labour"], "exceptions": ["labour ward"], "silences_model": True}}
    # the probability to three places: on this post the head is well under 1% either way
    rule = dict(_model_rule(head="political", threshold=0.0), message="{probability}")
    with_list = checker_for(rule, lists=lists).check(text).findings
    without = checker_for(rule).check(text).findings
    assert with_list[0].message != without[0].message  # the probability dropped
    lists["parties"]["silences_model"] = False  # an exception for that list's own rules only
    assert checker_for(rule, lists=lists).check(text).findings[0].message == without[0].message
    assert all(text[f.start:f.end].lower() != "labour ward" for f in with_list)

def test_the_political_head_names_a_category():
    rule = _model_rule(head="political", threshold=0.5)  # the finding, not the model's threshold, is under test
    r = checker_for(rule).check(ATTACK)
    from server.engine.findings import ADVISORY_CATEGORIES, CATEGORIES

    assert r.findings and r.findings[0].category in set(CATEGORIES) - ADVISORY_CATEGORIES


def test_an_unknown_head_or_model_file_is_a_problem_naming_the_rule():
    from server.engine import RulebookError

    for bad, words in (({"head": "nowhere"}, "has no head 'nowhere'"), ({"head": "attack", "path": "no/such.json.gz"}, "cannot load the model")):
        with pytest.raises(RulebookError) as info:
            parse_rulebook(book_json(minimal_rule(match={"model": bad})))
        assert "rule 'test.rule'" in str(info.value) and words in str(info.value)


def test_beside_rules_out_of_range_is_a_problem_naming_the_rule_and_field():
    from server.engine import RulebookError

    for bad in (1.5, -0.1, "0.9"):
        with pytest.raises(RulebookError) as info:
            parse_rulebook(book_json(minimal_rule(match={"model": {"head": "attack", "beside_rules": bad}})))
        assert "test.rule" in str(info.value) and "beside_rules" in str(info.value)


def _beside_flag_book(**model):
    vote = minimal_rule(id="party.vote", category="party_political", match={"phrases": ["vote labour"]},
                        examples={"flag": ["[[Vote Labour]]"], "pass": ["Labour Day"]})
    # a threshold no post reaches: the head's every finding is conditional
    return checker_for(vote, _model_rule(threshold=0.999999, **model))


def test_beside_flag_names_the_heads_category_only_beside_another_flag():
    """Under its threshold, a head over its beside_flag bar adds its category to a post that
    something else flags (a card about the post, its words quoted, never underlined), and
    alone it flags nothing."""
    c = _beside_flag_book(beside_flag=0.0)
    alone = c.check(ATTACK)
    assert alone.findings == [] and not alone.flagged() and alone.verdict == "pass"
    text = "Vote Labour on Thursday. " + ATTACK
    r = c.check(text)
    heads = [f for f in r.findings if f.rule_id == "model.test"]
    assert heads and all(f.conditional and f.category == "attack" for f in heads)
    shown = {f.rule_id: f for f in r.shown()}
    assert shown["party.vote"].scope == "span" and text[shown["party.vote"].start:shown["party.vote"].end] == "Vote Labour"
    card = shown["model.test"]
    assert card.scope == "post" and card.start > len("Vote Labour on Thursday.")  # its words quoted, from the attack
    assert r.flagged() and r.verdict == "warn"
    # a bar over the head's score: nothing beside the flag either
    assert [f.rule_id for f in _beside_flag_book(beside_flag=0.999999).check(text).findings] == ["party.vote"]
    # without beside_flag the head stays silent under its threshold, as before
    assert [f.rule_id for f in _beside_flag_book().check(text).findings] == ["party.vote"]


def test_a_conditional_card_is_listed_even_where_no_rule_speaks():
    """Beside the model's own flag (the generic head or another head), a conditional head is
    still only a card about the post, and the flagging head keeps its underline."""
    generic = dict(_model_rule(head="political", threshold=0.0), id="model.generic")
    c = checker_for(generic, _model_rule(threshold=0.999999, beside_flag=0.0))
    r = c.check(ATTACK)
    shown = {f.rule_id: f for f in r.shown()}
    assert shown["model.generic"].scope == "span"
    # one card per category: the conditional head's only where the generic head names another
    if shown["model.generic"].category == "attack":
        assert "model.test" not in shown
    else:
        assert shown["model.test"].scope == "post"
    # beside another head's flag of another category, the conditional card is listed too
    tone = dict(generic, id="model.tone-test", category="tone", match={"model": {"head": "tone", "threshold": 0.0}})
    r = checker_for(tone, _model_rule(threshold=0.999999, beside_flag=0.0)).check(ATTACK)
    assert sorted((f.rule_id, f.category, f.scope) for f in r.shown()) == [
        ("model.test", "attack", "post"), ("model.tone-test", "tone", "span")]


def test_min_weight_leaves_a_finding_without_a_weighty_word_only_beside_another_flag():
    """A head whose score rests on no word or word pair weighing min_weight (many ordinary
    words leaning a little each way) flags nothing alone; beside another flag it still names
    its category. A bar under the post's weightiest word changes nothing."""
    model = load_model(RULES.parent / "models/impartial-model.json.gz")
    top = max(model.analyse(ATTACK).unit_contributions("attack"))
    assert top > 0.5  # the case under test, on the shipped model
    over = _model_rule(threshold=0.0, min_weight=top + 0.01)
    under = _model_rule(threshold=0.0, min_weight=top - 0.01)
    alone = checker_for(over).check(ATTACK)
    assert all(f.conditional for f in alone.findings) and not alone.flagged() and alone.verdict == "pass"
    kept = checker_for(under).check(ATTACK)
    assert kept.flagged() and not any(f.conditional for f in kept.findings)
    plain = checker_for(_model_rule(threshold=0.0)).check(ATTACK)
    assert [(f.start, f.end) for f in kept.findings] == [(f.start, f.end) for f in plain.findings]
    vote = minimal_rule(id="party.vote", category="party_political", match={"phrases": ["vote labour"]},
                        examples={"flag": ["[[Vote Labour]]"], "pass": ["Labour Day"]})
    beside = checker_for(vote, over).check("Vote Labour on Thursday. " + ATTACK)
    assert beside.flagged()
    assert any(f.rule_id == "model.test" and f.conditional and f.category == "attack" for f in beside.findings)


def test_min_weight_under_zero_or_not_a_number_is_a_problem_naming_the_rule():
    from server.engine import RulebookError

    for bad in (-0.5, "1"):
        with pytest.raises(RulebookError) as info:
            parse_rulebook(book_json(minimal_rule(match={"model": {"head": "attack", "min_weight": bad}})))
        assert "test.rule" in str(info.value) and "min_weight" in str(info.value)


def test_beside_flag_on_the_political_head_or_out_of_range_is_a_problem_naming_the_rule():
    from server.engine import RulebookError

    for bad, words in (({"head": "political", "beside_flag": 0.5}, "cannot take beside_flag"),
                       ({"head": "attack", "beside_flag": 1.5}, "beside_flag"),
                       ({"head": "attack", "beside_flag": "0.5"}, "beside_flag")):
        with pytest.raises(RulebookError) as info:
            parse_rulebook(book_json(minimal_rule(match={"model": bad})))
        assert "test.rule" in str(info.value) and words in str(info.value)


def test_a_dot_before_the_first_mention_makes_it_public_not_a_reply():
    rule = minimal_rule(match={"phrases": ["@party"]}, ignore_reply_mentions=True)
    assert found(checker_for(rule).check(".@party is wrong again")) == ["@party"]


def _voice(passes=("It is NOT open.",), **gate):
    """A with_breach rule: a word in capitals, kept only beside another finding's breach."""
    return minimal_rule(id="tone.voice", category="tone", severity="warn",
                        match={"post": {"with_breach": True, "match": {"patterns": ["\\b[A-Z]{3,}\\b"]}, **gate}},
                        examples={"flag": ["The scoundrel did [[NOT]] pay."], "pass": list(passes)})


def _with_breach_book(**gate):
    scorn = minimal_rule(id="attack.scorn", category="attack", severity="warn", match={"phrases": ["scoundrel"]},
                         examples={"flag": ["a [[scoundrel]]"], "pass": ["a friend"]})
    hint = minimal_rule(id="tone.sigh", category="tone", severity="info", match={"phrases": ["sigh"]},
                        examples={"flag": ["[[sigh]]"], "pass": ["a friend"]})
    return checker_for(scorn, hint, _voice(("It is NOT open.", "sigh, NOT open"), **gate))


def test_with_breach_keeps_a_hit_only_beside_another_rules_breach():
    c = _with_breach_book()
    voice = lambda text: [text[f.start:f.end] for f in c.check(text).findings if f.rule_id == "tone.voice"]  # noqa: E731
    assert voice("It is NOT open.") == []
    assert voice("sigh, it is NOT open.") == []  # an info hint is no breach
    assert voice("The scoundrel did NOT pay.") == ["NOT"]
    assert c.check("The scoundrel did NOT pay.").verdict == "warn"
    # Its own examples run beside the rest of the rulebook: alone it could never flag.
    assert run_all(c) == []
    only = c.check("The scoundrel did NOT pay.", dedupe=False, only="tone.voice")
    assert [f.rule_id for f in only.findings] == ["tone.voice"]


def test_with_breach_runs_beside_the_models_flag_but_not_a_conditional_card():
    """The model's flag is a breach like a rule's: the with_breach rule names what the flagged
    post also reads as. A conditional card flags nothing, so alone it lets nothing run."""
    voice = _voice()
    text = ATTACK + " NOT good enough."
    flagged = checker_for(_model_rule(), voice).check(text)
    assert any(f.rule_id == "model.test" and not f.conditional for f in flagged.findings)
    assert [text[f.start:f.end] for f in flagged.findings if f.rule_id == "tone.voice"] == ["NOT"]
    card_only = checker_for(_model_rule(threshold=0.999999, beside_flag=0.0), voice).check(text)
    assert card_only.findings == [] and card_only.verdict == "pass"


def test_with_breach_drops_a_hit_inside_a_finding_of_its_own_category():
    """Beside a breach it adds its category; inside a finding of that category it would only
    underline the same words twice ('Labour' in 'Vote Labour')."""
    shout = minimal_rule(id="tone.shout", category="tone", severity="warn", match={"phrases": ["STOP IT NOW"]},
                         examples={"flag": ["[[STOP IT NOW]]"], "pass": ["stop"]})
    scorn = minimal_rule(id="attack.scorn", category="attack", severity="warn", match={"phrases": ["scoundrel"]},
                         examples={"flag": ["a [[scoundrel]]"], "pass": ["a friend"]})
    c = checker_for(scorn, shout, _voice())
    voice_hits = lambda text: [text[f.start:f.end] for f in c.check(text).findings if f.rule_id == "tone.voice"]  # noqa: E731
    assert voice_hits("STOP IT NOW, you scoundrel. It is NOT fair.") == ["NOT"]
    assert voice_hits("The scoundrel did NOT pay.") == ["NOT"]


def test_with_breach_is_described_and_must_be_a_boolean():
    from server.engine import RulebookError

    c = _with_breach_book()
    assert c.rules[2].matcher.describe()["with_breach"] is True
    with pytest.raises(RulebookError) as info:
        parse_rulebook(book_json(minimal_rule(match={"post": {"with_breach": "yes", "match": {"phrases": ["x"]}}})))
    assert "test.rule" in str(info.value) and "with_breach" in str(info.value)


def test_raised_voice_in_the_shipped_rulebook_over_http(client):
    """Capitals that are advice alone (a bin notice) become a tone finding beside an attack."""
    def tone(text):
        body = client.post("/v1/check", json={"text": text}).get_json()
        return [(f["rule_id"], f["severity"], f["match"]) for f in body["findings"] if f["category"] == "tone"]

    assert tone("Food waste does NOT go in the black bin.") == [("tone.shouting", "info", "NOT")]
    assert ("tone.raised-voice", "warn", "AGAINST") in tone("The useless Tories voted AGAINST free school meals.")
    assert tone("Who's ready for the open day?!") == [("tone.exclamations", "info", "?!")]
    assert ("tone.raised-voice", "warn", "?!") in tone("Vote Labour on Thursday. Are we really expected to wait?!")


def test_sneer_quotes_and_nudging_emoji_name_tone_only_beside_a_breach_over_http(client):
    """A quoted word and a wink are how officers write to friends; beside an attack they jab."""
    def tone(text):
        body = client.post("/v1/check", json={"text": text}).get_json()
        return body["verdict"], [(f["rule_id"], f["match"]) for f in body["findings"] if f["category"] == "tone"]

    assert tone("Residents told us the new park is 'brilliant' 🙂") == ("pass", [])
    verdict, found = tone("The useless opposition calls our budget 'reckless'. Balanced again 😉")
    assert verdict == "warn"
    assert ("tone.quoted-jab", "'reckless'") in found and ("tone.pointed-emoji", "😉") in found


def test_a_card_beside_the_models_flag_leaves_the_models_words_underlined_over_http(client):
    """The head's flag is the post's reason: a with_breach card it lets run (a wink) names its
    own category but does not turn the head's underline into a card about the post."""
    text = "Proud to stand with working families today. We're not going anywhere! 😉"
    body = client.post("/v1/check", json={"text": text}).get_json()
    seen = {f["rule_id"]: f["scope"] for f in body["findings"]}
    assert seen.get("tone.pointed-emoji") == "span"
    # whichever head flags it (the model of 2026-12-03: political; since: partisan amplification)
    heads = [r for r in seen if r.startswith("model.")]
    assert heads and all(seen[r] == "span" for r in heads)


def test_a_conditional_card_never_sets_the_verdict():
    """A block-severity head under its threshold names its category beside a warn flag, but the
    post stays a warn: the card says what else the post reads as, not how bad it is."""
    vote = minimal_rule(id="party.vote", category="party_political", match={"phrases": ["vote labour"]},
                        examples={"flag": ["[[Vote Labour]]"], "pass": ["Labour Day"]})
    head = dict(_model_rule(threshold=0.999999, beside_flag=0.0), severity="block")
    r = checker_for(vote, head).check("Vote Labour on Thursday. " + ATTACK)
    assert any(f.conditional and f.severity == "block" for f in r.findings)
    assert r.verdict == "warn"


# A long post whose one partisan sentence sits among service news (model windows).
_LONG = ("Our library service had a busy year: 210,000 visitors across eleven branches. 📚 "
         "We lent 480,000 books and ran 1,300 children's sessions in Ceredigion and Môn. "
         "The mobile library now stops in 38 villages every fortnight. "
         "Only the Tories can be trusted to keep these doors open, so back them in May. "
         "Thank you to our staff and volunteers for everything they do. "
         "Opening hours for every branch are on our website, with details of the home service.")


def _windows_rule(**windows):
    # a whole-post threshold no post reaches: only a window can flag
    return dict(_model_rule(head="political", threshold=0.999999,
                            windows=dict({"min_words": 20, "sentences": 2, "threshold": 0.0}, **windows)),
                id="model.windows")


def test_a_long_post_is_read_window_by_window_and_the_best_window_underlined():
    """Under its whole-post threshold, the political head scores each run of two sentences
    and underlines words of the best one, at offsets of the original text (an emoji and
    accented words before it)."""
    from server.engine.matchers.model import _sentence_windows, own_words
    from server.engine.post import Post

    c = checker_for(_windows_rule())
    model = c.rulebook.rules[0].matcher.model
    windows = _sentence_windows(Post(_LONG), 2)
    assert len(windows) == 5 and all(_LONG[a:b].strip() for a, b in windows)
    best = max(windows, key=lambda w: model.score(own_words(_LONG)[w[0]:w[1]])["political"])
    r = c.check(_LONG)
    spans = [f for f in r.findings if f.rule_id == "model.windows"]
    assert spans and r.flagged()
    assert all(best[0] <= f.start < f.end <= best[1] and f.scope == "span" for f in spans)
    # a bar no window reaches, a post under min_words, or a whole score under min_score: nothing
    assert not checker_for(_windows_rule(threshold=0.999999)).check(_LONG).findings
    assert not checker_for(_windows_rule(min_words=500)).check(_LONG).findings
    assert not checker_for(_windows_rule(min_score=0.999999)).check(_LONG).findings


def test_a_post_a_rule_already_flags_is_not_read_again_window_by_window():
    vote = minimal_rule(id="party.vote", category="party_political", match={"phrases": ["back them in may"]},
                        examples={"flag": ["[[back them in May]]"], "pass": ["May Day"]})
    r = checker_for(vote, _windows_rule()).check(_LONG)
    assert [f.rule_id for f in r.findings] == ["party.vote"]


def test_windows_on_a_category_head_or_malformed_are_problems_naming_the_rule():
    from server.engine import RulebookError

    good = {"min_words": 60, "sentences": 2, "threshold": 0.99}
    for bad, words in (({"head": "attack", "windows": good}, "only the 'political' head"),
                       ({"head": "political", "windows": dict(good, sentences=0)}, "windows"),
                       ({"head": "political", "windows": {"min_words": 60}}, "windows")):
        with pytest.raises(RulebookError) as info:
            parse_rulebook(book_json(minimal_rule(match={"model": bad})))
        assert "test.rule" in str(info.value) and words in str(info.value)
