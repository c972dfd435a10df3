"""The check engine on its own: matching semantics, metrics and platform counts."""

import json

import pytest

from server.engine import Checker, RulebookError, parse_rulebook
from server.engine.inflect import phrase_forms
from server.engine.platforms import measure

from helpers import RULES, book_json, minimal_rule


def checker_for(*rules, lists=None) -> Checker:
    return Checker(parse_rulebook(book_json(*rules, lists=lists)))


def problems(raw) -> list[str]:
    with pytest.raises(RulebookError) as info:
        parse_rulebook(raw)
    return info.value.problems


def spans(result, rule_id=None):
    return [result.text[f.start:f.end] for f in result.findings if rule_id in (None, f.rule_id)]


def test_phrases_match_whole_words_in_any_case_with_inflections():
    c = checker_for(minimal_rule())
    assert spans(c.check("Open to abuse by Activist Lawyers.")) == ["Activist Lawyers"]
    assert spans(c.check("activistlawyers and lawyers")) == []


def test_inflections_cover_first_and_last_word():
    forms = phrase_forms("wreck the nhs")
    assert "wrecking the nhs" in forms and "wrecked the nhs" in forms
    assert "activist lawyers" in phrase_forms("activist lawyer")
    # irregular verbs take their own forms, not "geted"
    assert {"got brexit done", "getting brexit done"} <= set(phrase_forms("get brexit done"))
    assert "geted brexit done" not in phrase_forms("get brexit done")


def test_a_hyphenated_word_inflects_at_its_end():
    # "re-elect" written once must catch "see her re-elected", as "reelect" caught "reelected"
    assert {"re-elected", "re-electing", "re-elects"} <= set(phrase_forms("re-elect"))
    assert "sell-offs" in phrase_forms("sell-off")
    assert "re-elect the mayors" in phrase_forms("re-elect the mayor")
    assert phrase_forms("covid-19") == ["covid-19"]
    c = checker_for(minimal_rule(match={"phrases": ["re-elect"]}))
    assert spans(c.check("Proud to see her re-elected in May.")) == ["re-elected"]


def test_a_list_marked_inflect_matches_its_forms_inside_a_rule_that_does_not():
    lists = {"verb_slogans": {"inflect": True, "terms": ["drain the swamp"]},
             "slogans": {"terms": ["finish the job"]}}
    rule = minimal_rule(match={"phrases": ["{@verb_slogans}", "{@slogans}"], "inflect": False},
                        examples={"flag": ["drain the swamp"], "pass": ["x"]})
    c = checker_for(rule, lists=lists)
    assert spans(c.check("We are draining the swamp.")) == ["draining the swamp"]
    assert spans(c.check("We are finishing the job on the bridge.")) == []


def test_list_case_rule_initial_requires_a_capital():
    lists = {"parties": {"match_case": "initial", "terms": ["Labour"]}}
    c = checker_for(minimal_rule(match={"phrases": ["{@parties}"]}, examples={"flag": ["Labour"], "pass": ["x"]}), lists=lists)
    assert spans(c.check("Labour said")) == ["Labour"]
    assert spans(c.check("skilled labour is scarce")) == []


def test_list_exceptions_apply_to_every_rule_using_the_list():
    lists = {"parties": {"terms": ["Labour"], "exceptions": ["labour market"]}}
    c = checker_for(minimal_rule(match={"phrases": ["{@parties}"]}), lists=lists)
    assert spans(c.check("Labour market figures")) == []
    assert spans(c.check("Labour figures")) == ["Labour"]


def test_near_respects_distance_side_and_sentence():
    lists = {"parties": {"terms": ["Labour"]}, "scorn": {"terms": ["desperate"]}}
    rule = minimal_rule(match={"near": {"terms": ["{@parties}"], "context": ["{@scorn}"], "within": 2, "side": "after"}})
    c = checker_for(rule, lists=lists)
    assert spans(c.check("Labour desperate to get votes")) == ["Labour desperate"]
    assert spans(c.check("Labour are so very desperate")) == []  # three words between
    assert spans(c.check("A desperate Labour")) == []  # wrong side
    assert spans(c.check("Labour met. Desperate times")) == []  # another sentence


def test_rule_exceptions_suppress_overlapping_hits():
    rule = minimal_rule(match={"phrases": ["disaster"]}, exceptions=["disaster recovery"])
    c = checker_for(rule)
    assert spans(c.check("Disaster recovery: how to claim")) == []
    assert spans(c.check("An economic disaster")) == ["disaster"]


def test_a_phrase_with_lists_inside_stands_for_every_combination():
    lists = {"harsh": {"terms": ["despicable", "cowardly"]}, "offences": {"terms": ["attack", "crime"], "inflect": True}}
    rule = minimal_rule(match={"phrases": ["despicable", "cowardly"]}, exceptions=["{@harsh} {@offences}"],
                        examples={"flag": ["a despicable man"], "pass": ["a despicable attack"]})
    c = checker_for(rule, lists=lists)
    assert spans(c.check("These cowardly attacks and a despicable crime")) == []
    assert spans(c.check("A cowardly councillor, a despicable crime")) == ["cowardly"]


def test_a_phrase_with_lists_inside_names_a_missing_list_and_caps_its_size():
    (p,) = problems(book_json(minimal_rule(exceptions=["{@harsh} {@nowhere}"]), lists={"harsh": {"terms": ["a"]}}))
    assert "rule 'test.rule'" in p and "exceptions" in p and "unknown list 'nowhere'" in p
    big = {"many": {"terms": [f"w{i}" for i in range(50)]}}
    (p,) = problems(book_json(minimal_rule(exceptions=["{@many} {@many} x"]), lists=big))
    assert "stands for more than 2000 phrases" in p


def test_hashtag_forms_of_phrases():
    c = checker_for(minimal_rule(match={"phrases": ["war on coal"], "hashtags": True}))
    assert spans(c.check("Jobs lost #WarOnCoal")) == ["#WarOnCoal"]


def test_spaced_compounds_also_match_hyphenated():
    c = checker_for(minimal_rule(match={"phrases": ["out of touch", "free-for-all"]}))
    text = "An out-of-touch plan, out of touch, a free-for-all."
    assert spans(c.check(text)) == ["out-of-touch", "out of touch", "free-for-all"]
    # a hyphenated noun's spaced form is another phrase: entry is free for all families
    assert spans(c.check("Entry is free for all families; out-of touch; outoftouch")) == []


def test_case_sensitive_phrases_keep_their_one_spelling():
    rule = minimal_rule(match={"phrases": ["Fine Gael"], "match_case": "exact"})
    c = checker_for(rule)
    # a hyphenated form would be compared as folded, so lower case would pass for "exact"
    assert spans(c.check("Fine Gael, Fine-Gael and fine-gael")) == ["Fine Gael"]


def test_pattern_rules_report_the_chosen_group():
    rule = minimal_rule(match={"patterns": ["call (\\d{5})"], "group": 1})
    c = checker_for(rule)
    assert spans(c.check("please call 12345 now")) == ["12345"]


def test_platform_and_election_gates():
    rule = minimal_rule(platforms=["x"], when={"election_period": True},
                        examples={"flag": [{"text": "activist lawyers", "platform": "x", "election_period": True}], "pass": ["x"]})
    c = checker_for(rule)
    assert spans(c.check("activist lawyers", "x", True)) == ["activist lawyers"]
    assert spans(c.check("activist lawyers", "x", False)) == []
    assert spans(c.check("activist lawyers", "facebook", True)) == []


def test_active_date_range():
    rule = minimal_rule(active={"from": "2000-01-01", "until": "2000-12-31"})
    assert spans(checker_for(rule).check("activist lawyers")) == []


def test_verdict_is_highest_severity(checker):
    assert checker.check("The pool opens at 7am.").verdict == "pass"
    assert checker.check("Vote Labour on Thursday").verdict == "block"


def test_the_project_cases_are_caught(checker):
    cases = {
        "Moribound Miliband talks of a national mission. A mission to economic disaster.": {"attack"},
        "Rules open to abuse by activist lawyers": {"attack"},
        "There will be no hiding place for illegal immigrants with the new #ImmigrationBill": {"loaded_language"},
        "No more giving Wales a good kicking": {"attack"},
        "Labour desperate to get votes wherever they can": {"attack"},
        "Vote Conservative on Thursday": {"party_political"},
    }
    for text, cats in cases.items():
        r = checker.check(text)
        assert cats <= {f.category for f in r.findings if f.severity != "info"}, text


def test_neutral_announcements_pass(checker):
    for text in [
        "The Chancellor announced the Budget today.",
        "The Prime Minister announced a new flood defence fund today.",
        "The council now has 30 Conservative, 20 Labour and 5 Liberal Democrat councillors.",
        "Latest labour market statistics are out. This is a conservative estimate.",
        "Victoria Park has won a Green Flag Award.",
        "Register to vote by 16 April.",
    ]:
        r = checker.check(text)
        assert not r.flagged(), (text, [(f.rule_id, text[f.start:f.end]) for f in r.findings])


def test_personal_data(checker):
    r = checker.check("Call John on 07700 900123 or email jane.doe@gmail.com. NI: JG 12 34 56 C")
    cats = [(f.category, r.text[f.start:f.end]) for f in r.findings]
    assert ("personal_data", "07700 900123") in cats
    assert ("personal_data", "jane.doe@gmail.com") in cats
    assert ("personal_data", "JG 12 34 56 C") in cats
    assert not checker.check("Call our helpline on 0300 123 4567 or email enquiries@example.gov.uk").flagged()


def test_pre_election_rules_only_in_the_election_period(checker):
    text = "Cllr Smith, standing for re-election, welcomed the news"
    assert not any(f.category == "pre_election" for f in checker.check(text).findings)
    assert any(f.category == "pre_election" for f in checker.check(text, election_period=True).findings)


def test_x_counts_urls_as_23_and_cjk_as_2():
    assert measure("see https://example.com/" + "a" * 60, "x").count == 4 + 23
    assert measure("中" * 141, "x").count == 282
    over = measure("中" * 141, "x")
    assert over.count > over.limit and over.overflow_at == 140


def test_x_counts_an_emoji_sequence_as_2():
    assert measure("👩‍👩‍👧", "x").count == 2
    assert measure("🇬🇧", "x").count == 2


def test_bluesky_counts_graphemes():
    assert measure("Cafe\u0301 👩‍👩‍👧 🇬🇧 x", "bluesky").count == 10


def test_mastodon_counts_remote_mentions_by_user_part():
    assert measure("hi @bob@mastodon.social", "mastodon").count == len("hi @bob")


def test_over_limit_finding_covers_the_overflow(checker):
    text = "a" * 280 + "bcd"
    r = checker.check(text, "x")
    (f,) = [f for f in r.findings if f.rule_id == "platform_limit.over-limit"]
    assert text[f.start:f.end] == "bcd" and f.severity == "block" and "3 characters over the X limit" in f.message


def test_readability_metric_and_reading_age_finding(checker):
    plain = checker.check("The pool is closed on Monday. It opens again on Tuesday.")
    assert plain.readability["reading_age"] <= 9
    hard = checker.check("Comprehensive intergenerational sustainability considerations necessitate "
                         "multidisciplinary organisational transformation methodologies notwithstanding institutional implementation complexities.")
    (f,) = [f for f in hard.findings if f.rule_id == "accessibility.reading-age"]
    assert f.severity == "info" and str(hard.readability["reading_age"]) in f.message


def test_a_slow_pattern_is_skipped_not_fatal(monkeypatch):
    import regex

    rule = minimal_rule(match={"patterns": ["x"]})
    c = checker_for(rule)
    c.rules[0].matcher.plans = [(regex.compile("(a|aa)+$"), None)]  # bypass load-time checks on purpose
    c.regex_timeout = 0.01
    r = c.check("a" * 5000 + "!")
    assert r.incomplete == ["test.rule"]
    assert r.to_json()["incomplete"] == ["test.rule"]


class StalledOnce:
    """A pattern whose first run times out (the host paused the worker), then runs as usual."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def finditer(self, *args):
        self.calls += 1
        if self.calls == 1:
            raise TimeoutError("regex timed out")
        return self.real.finditer(*args)


def test_a_pattern_timing_out_once_is_run_again_so_findings_do_not_depend_on_load():
    import regex

    c = checker_for(minimal_rule(match={"patterns": ["x"]}))
    stalled = StalledOnce(regex.compile(r"\bmarks\b"))
    c.rules[0].matcher.plans = [(stalled, None)]
    r = c.check("x marks the spot")
    assert stalled.calls == 2 and r.incomplete == []
    assert [r.text[f.start:f.end] for f in r.findings] == ["marks"] and r.work["regex_retries"] == 1


def test_swap_offers_a_replacement_keeping_a_leading_capital(checker):
    r = checker.check("Activist lawyers again. Read about activist lawyers.")
    found = [(r.text[f.start:f.end], f.replacements) for f in r.findings if f.rule_id == "attack.group-epithet"]
    assert found == [("Activist lawyers", ["Lawyers"]), ("activist lawyers", ["lawyers"])]


def test_swap_keys_must_be_phrases_of_the_rule():
    from server.engine import RulebookError

    with pytest.raises(RulebookError) as info:
        parse_rulebook(book_json(minimal_rule(match={"phrases": ["a b"], "swap": {"c d": "e"}})))
    assert "match.swap" in str(info.value) and "'c d' is not one of the rule's phrases" in str(info.value)


def test_a_model_finding_names_only_a_category_no_rule_names():
    """One card per breach: the learned layer's finding is hidden where a rule already
    names its category, and on a rule's words when its category has a card elsewhere; the
    verdict still reads it."""
    from server.engine.checker import CheckResult
    from server.engine.findings import Finding

    def finding(rule_id, category, start, end, supplementary=False, severity="warn"):
        return Finding(rule_id, category, severity, start, end, "m", {}, supplementary=supplementary)

    text = "Vote Labour: only they will save our brilliant high street from ruin"
    rule = finding("party_political.electoral-call", "party_political", 0, 11)
    same_cat = finding("model.political", "party_political", 41, 52, supplementary=True)
    on_rule = finding("model.attack", "attack", 5, 11, supplementary=True)
    other = finding("model.attack", "attack", 65, 69, supplementary=True, severity="block")
    result = CheckResult(text, "x", [rule, same_cat, on_rule, other], None, {}, None)
    assert result.shown() == [rule, other]
    assert result.verdict == "block" and result.flagged()
    # its only cards on a rule's words: the first that speaks is listed about the post, its
    # words quoted, once (an advisory one of the same head is no card for the category)
    again = finding("model.attack", "attack", 0, 4, supplementary=True)
    hinted = finding("model.attack", "attack", 0, 3, supplementary=True, severity="info")
    listed = CheckResult(text, "x", [rule, again, hinted, on_rule, same_cat], None, {}, None).shown()
    assert [(f.rule_id, f.scope, f.start, f.end) for f in listed] == [
        ("party_political.electoral-call", "span", 0, 11), ("model.attack", "post", 0, 4)]
    assert on_rule.scope == "span"  # the finding the verdict reads is not changed
    advice = finding("tone.advice", "tone", 0, 4, severity="info")
    tone = finding("model.tone", "tone", 20, 30, supplementary=True)
    assert CheckResult(text, "x", [advice, tone], None, {}, None).shown() == [advice, tone]
    # A hint on the model's own words (an info rule, an accessibility note) is no rule
    # speaking for the breach: the model's warning card stays.
    hint = finding("loaded_language.emotive-words", "loaded_language", 48, 52, severity="info")
    long_sentence = finding("accessibility.long-sentence", "accessibility", 0, 69, severity="warn")
    loaded = finding("model.loaded-language", "loaded_language", 41, 52, supplementary=True)
    assert CheckResult(text, "x", [long_sentence, hint, loaded], None, {}, None).shown() == [long_sentence, hint, loaded]


def test_a_tentative_model_finding_beside_a_rule_is_about_the_post():
    """Beside a rule's card, a head under its rule's `beside_rules` bar keeps its card and
    category but underlines nothing (scope "post", its words still quoted); alone, or beside
    only a hint, it underlines its words as before; a sure one always does."""
    from server.engine.checker import CheckResult
    from server.engine.findings import Finding

    def finding(rule_id, category, start, end, supplementary=True, tentative=False, severity="warn"):
        return Finding(rule_id, category, severity, start, end, "m", {},
                       supplementary=supplementary, tentative=tentative)

    text = "Vote Labour on Thursday. The bins are a total disgrace and the streets are filthy."
    rule = finding("party_political.electoral-call", "party_political", 0, 11, supplementary=False)
    hint = finding("loaded_language.emotive-words", "loaded_language", 44, 52, supplementary=False,
                   severity="info")
    unsure = finding("model.loaded-language", "loaded_language", 36, 60, tentative=True)
    sure = finding("model.tone", "tone", 63, 81)
    shown = lambda *fs: CheckResult(text, "x", list(fs), None, {}, None).shown()  # noqa: E731
    beside = shown(rule, unsure, sure)
    assert [(f.rule_id, f.scope, f.start, f.end) for f in beside] == [
        ("party_political.electoral-call", "span", 0, 11), ("model.loaded-language", "post", 36, 60),
        ("model.tone", "span", 63, 81)]
    # two unsure spans of one head: one card about the post
    unsure_too = finding("model.loaded-language", "loaded_language", 63, 70, tentative=True)
    assert [(f.rule_id, f.scope) for f in shown(rule, unsure, unsure_too)] == [
        ("party_political.electoral-call", "span"), ("model.loaded-language", "post")]
    assert unsure.scope == "span"  # the finding the verdict reads is not changed
    assert [f.scope for f in shown(unsure)] == ["span"]
    assert [f.scope for f in shown(hint, unsure)] == ["span", "span"]
    result = CheckResult(text, "x", [rule, unsure], None, {}, None)
    assert result.verdict == "warn" and result.flagged()


def test_model_rules_mark_hits_under_their_bar_as_tentative(checker):
    heads = {r.id: r.matcher for r in checker.rules if r.id.startswith("model.")}
    assert heads["model.political"].beside_rules == 0.0
    bars = {m.beside_rules for rid, m in heads.items() if rid != "model.political"}
    assert bars == {0.9}
    text = "Vote Labour on Thursday. The bins are a total disgrace and the streets are filthy."
    post = checker.analyse(text)
    for m in heads.values():
        p = m.analysis(post).scores.get(m.head, 0.0)
        for hit in m.find(post, None):
            # a conditional hit (under the head's threshold, or thin) is tentative whatever its bar
            assert hit.tentative == (hit.conditional or p < m.beside_rules)
            assert hit.conditional == (p < m.threshold or m.thin(m.analysis(post)))


def test_the_generic_head_underlines_only_where_nothing_else_speaks(checker):
    """The political head guesses its category; where a rule or a category head names
    that category, its card would repeat it (the verdict still reads it); beside others
    of another category, it names its own about the post, once, underlining nothing."""
    from server.engine.checker import CheckResult
    from server.engine.findings import Finding

    def finding(rule_id, category, start, end, supplementary=True, generic=False, severity="warn"):
        return Finding(rule_id, category, severity, start, end, "m", {},
                       supplementary=supplementary, generic=generic)

    text = "Only they will save our brilliant high street from ruin, and the rest will not"
    generic = finding("model.political", "attack", 48, 55, generic=True)
    rule = finding("tone.put-down", "tone", 60, 75, supplementary=False)
    head = finding("model.party-political", "party_political", 0, 9)
    hint = finding("accessibility.long-sentence", "accessibility", 0, 20, supplementary=False)
    shown = lambda *fs: CheckResult(text, "x", list(fs), None, {}, None).shown()  # noqa: E731
    about = lambda fs: [(f.rule_id, f.scope) for f in fs]  # noqa: E731
    assert about(shown(rule, generic)) == [("tone.put-down", "span"), ("model.political", "post")]
    twice = finding("model.political", "attack", 0, 4, generic=True)
    assert about(shown(head, generic, twice)) == [("model.party-political", "span"), ("model.political", "post")]
    same = finding("attack.scorn", "attack", 60, 75, supplementary=False)
    assert shown(same, generic) == [same]
    assert shown(finding("model.attack", "attack", 0, 9), generic)[1:] == []
    assert shown(hint, generic) == [hint, generic]
    assert shown(generic) == [generic]
    assert CheckResult(text, "x", [rule, generic], None, {}, None).flagged()
    heads = {r.id: r.matcher.generic for r in checker.rulebook.rules if r.id.startswith("model.")}
    assert heads.pop("model.political") is True and heads and not any(heads.values())


def test_the_model_does_not_read_a_threads_mentions_as_the_accounts_words(checker):
    """A reply into a thread starts with every participant's handle (the platform's words):
    blanked for the model, offsets kept; one handle is the account the reply speaks to."""
    from server.engine.matchers.model import own_words

    reply = "@resident12 @LibDems @BBC @UKLabour @Conservatives Hi - thanks for your message."
    end = reply.index(" Hi")
    blanked = own_words(reply, end)
    assert len(blanked) == len(reply) and not blanked[:end].strip() and blanked[end:] == reply[end:]
    assert own_words("@UKLabour Thank you!", len("@UKLabour")) == "@UKLabour Thank you!"
    post = f"{reply} You can report anti-social behaviour online or call 101."
    assert not checker.check(post, "x").findings


def test_the_model_does_not_read_a_public_bodys_retweet_prefix(checker):
    """The model learnt "RT @" from retweets of party accounts: a list marked
    model_skips_retweets names public bodies' handle words, and their "RT @handle:" prefix is
    blanked for the model (offsets kept); a handle with one of the list's exceptions (a party's,
    a candidate's) is still read, and the rules read every handle."""
    from server.engine.matchers.model import own_words
    from server.learned.scorer import load_model

    marked = {"public_body_handles": {"model_skips_retweets": True, "terms": ["council", "metoffice"],
                                      "exceptions": ["labour", "4council"]}}
    snow = "RT @metoffice: Yellow warning of snow and ice for the north from 6pm tonight"
    bins = "RT @EastmoorCouncil: Bin collections run as normal on the bank holiday"
    party = "RT @EastmoorLabourCouncil: Bin collections run as normal on the bank holiday"
    candidate = bins.replace("Eastmoor", "Smith4")
    # the bar: what the head gives the two public bodies' retweets read whole; read without
    # their prefix they score under it (the case under test, on the shipped model)
    model = load_model(RULES.parent / "models/impartial-model.json.gz")
    amplification = lambda text: model.score(text)["partisan_amplification"]  # noqa: E731
    bar = min(amplification(snow), amplification(bins))
    blank = lambda text: " " * text.index(":") + text[text.index(":"):]  # noqa: E731
    assert amplification(blank(snow)) < bar and amplification(blank(bins)) < bar

    def head(lists=None):
        rule = minimal_rule(id="model.partisan-amplification", category="partisan_amplification",
                            match={"model": {"head": "partisan_amplification", "threshold": bar}},
                            examples={"flag": ["RT @StanmoorConservatives: another promise kept"],
                                      "pass": ["Bin collections run as normal on the bank holiday"]})
        return checker_for(rule, lists=lists)

    unmarked, skipping = head(), head(marked)
    assert unmarked.check(snow).flagged() and unmarked.check(bins).flagged()
    assert not skipping.check(snow).findings and not skipping.check(bins).findings
    pattern = skipping.rulebook.rules[0].matcher.retweets
    # a party's or a candidate's handle is read whole
    assert own_words(party, 0, pattern) == party and own_words(candidate, 0, pattern) == candidate
    blanked = own_words(f"Thanks! {bins}", 0, pattern)
    assert len(blanked) == len(bins) + 8 and blanked.startswith("Thanks! ") and "@" not in blanked
    assert blanked.endswith(" Bin collections run as normal on the bank holiday")
    assert not checker.check(snow, "x").flagged()


def test_the_model_does_not_read_a_quoted_question_as_the_accounts_words(checker):
    """A Q&A post's "Q:" line is the public's words: blanked for the model (same length, so
    the answer's underlines stay on their words), read as written without an "A:" line."""
    from server.engine.matchers.model import own_words

    qa = "Q: Why won't the useless Tories fix the potholes?! Ridiculous.\nA: Report potholes online."
    blanked = own_words(qa)
    assert len(blanked) == len(qa) and blanked.endswith("\nA: Report potholes online.")
    assert not blanked[:blanked.index("\n")].strip()
    assert own_words("Q: is the pool open?") == "Q: is the pool open?"
    models = lambda text: [f for f in checker.check(text).findings if f.rule_id.startswith("model.")]  # noqa: E731
    question = "Why won't the useless Tories fix the potholes? Vote them out. Shambolic."
    assert models(question)
    answered = models(f"Q: {question}\nA: Report potholes online and we fix them within 28 days.")
    assert not answered


def test_a_swap_keeps_a_sentence_capital_but_not_an_acronyms():
    from server.engine.matchers.phrases import match_case

    assert match_case("Activist lawyers", "lawyers") == "Lawyers"
    assert match_case("activist lawyers", "lawyers") == "lawyers"
    assert match_case("NIMBYs", "residents who objected") == "residents who objected"
    assert match_case("MSM", "the media") == "the media"
    assert match_case("Obamacare", "the Affordable Care Act") == "The Affordable Care Act"
    assert match_case("Obamacare", "the Affordable Care Act", sentence_start=False) == "the Affordable Care Act"


def test_a_swap_is_capitalised_only_where_a_sentence_starts():
    c = checker_for(minimal_rule(match={"phrases": ["activist lawyers"], "swap": {"activist lawyers": "lawyers"}}))
    fixes = lambda text: [f.replacements for f in c.check(text).findings]  # noqa: E731
    assert fixes("Activist lawyers again. Rules open to Activist Lawyers.") == [["Lawyers"], ["lawyers"]]
    assert fixes('He said: "Activist lawyers!"') == [["Lawyers"]]
