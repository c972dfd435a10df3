"""Personal data: the phone_numbers and identifiers kinds on their own, and the rulebook's personal_data rules."""

import pytest

from server.engine import Checker, parse_rulebook
from server.engine.rulebook import RulebookError

from helpers import book_json, minimal_rule, utf16_slice

# Examples are run by the rulebook tests; these rules are built only to call their matcher.
NO_EXAMPLES = {"flag": ["-"], "pass": ["-"]}


def checker_for(match, lists=None, message="m") -> Checker:
    rule = minimal_rule(category="personal_data", message=message, match=match,
                        examples=NO_EXAMPLES)
    return Checker(parse_rulebook(book_json(rule, lists=lists)))


def found(checker, text):
    r = checker.check(text)
    return [text[f.start:f.end] for f in r.findings if f.rule_id == "test.rule"]


# -- phone_numbers ------------------------------------------------------------

MOBILES = checker_for({"phone_numbers": {
    "regions": ["GB", "IE", "AU", "NZ", "US", "CA"],
    "types": ["mobile", "personal_number", "pager"],
    "ranges": {"+447700900": "mobile"},
    "ignore_after": ["crime reference", "ref", "quote", "log"],
    "ignore_near": ["team", "helpline"],
}})


@pytest.mark.parametrize("text, number", [
    ("Ring Dan on 07700 900461", "07700 900461"),            # Ofcom drama range counts as a mobile
    ("Ring Dan on 07700900461", "07700900461"),
    ("Ring Dan on 07700-900-461", "07700-900-461"),
    ("Ring Dan on +44 7700 900461", "+44 7700 900461"),
    ("Ring Dan on +44 (0)7700 900461", "+44 (0)7700 900461"),
    ("Ring Dan on 07881 330951", "07881 330951"),            # a real-range UK mobile
    ("Text 0412 558 917 tonight", "0412 558 917"),            # Australia
    ("Text 087 555 0142 tonight", "087 555 0142"),            # Ireland, grouped the Irish way
    ("Text +64 21 555 0199 tonight", "+64 21 555 0199"),      # New Zealand, international form
    ("Text +353 86 555 0142 tonight", "+353 86 555 0142"),
])
def test_mobiles_flag_in_every_national_format(text, number):
    assert found(MOBILES, text) == [number]


@pytest.mark.parametrize("text", [
    "Call 101, or 999 in an emergency, or NHS 111",
    "Call Crimestoppers anonymously on 0800 555 111",
    "Crimestoppers: 0800 555111",
    "Call our helpline on 0300 123 4567 or 0345 600 3030",
    "Freephone 0808 800 5000",
    "Call 1-800-232-4636 or 1800 020 080 or 13 22 11",
    "Call the switchboard on 020 7946 0123",                 # a landline: not a mobile type
    "Call 101 quoting crime reference 5221077261",
    "Quote ref 07700 900461 when you write",                 # after a reference word
    "Call the investigation team on 07700 900123",           # an official line
    "Published 2024-05-16; 12,345,678 visitors; £1,200.50",
    "Crime reference 20BE/87487R/21 and CAD 4083/02Jan19",
])
def test_service_numbers_references_and_official_lines_stay_clean(text):
    assert found(MOBILES, text) == []


def test_phone_types_and_regions_are_data():
    landlines = checker_for({"phone_numbers": {"regions": ["GB"], "types": ["fixed_line"]}})
    assert found(landlines, "Office: 0161 496 0123; mobile 07881 330951") == ["0161 496 0123"]
    freephone = checker_for({"phone_numbers": {"regions": ["GB"], "types": ["toll_free"]}})
    assert found(freephone, "Call 0800 555 111") == ["0800 555 111"]
    us_only = checker_for({"phone_numbers": {"regions": ["US"], "types": ["fixed_line_or_mobile"]}})
    assert found(us_only, "Call (202) 456-7890 or 0412 558 917") == ["(202) 456-7890"]
    au = checker_for({"phone_numbers": {"regions": ["AU"], "types": ["mobile"]}})
    assert found(au, "Call 0412 558 917") == ["0412 558 917"]
    assert found(checker_for({"phone_numbers": {"regions": ["GB"], "types": ["mobile"]}}),
                 "Call 0412 558 917") == []


def test_a_number_valid_in_two_regions_takes_the_one_whose_grouping_it_is_written_in():
    ie_first = checker_for({"phone_numbers": {"regions": ["GB", "AU", "IE"], "types": ["mobile"]}})
    # 08x: an Australian landline area code and an Irish mobile prefix; written 3-3-4 it is Irish.
    assert found(ie_first, "Text 087 555 0142") == ["087 555 0142"]
    assert found(ie_first, "Call (08) 7555 0142") == []


def test_a_number_is_classified_once_across_checks_and_per_rules_regions(monkeypatch):
    # A draft is checked again at every pause in typing: the library's ~100 us a number is paid
    # once, and a rule with other regions or ranges still reads the number its own way.
    from server.engine.matchers import phone
    calls = []
    real = phone.PhoneMatcher.classify
    monkeypatch.setattr(phone, "_TYPES", {})
    monkeypatch.setattr(phone.PhoneMatcher, "classify", lambda self, w: calls.append(w) or real(self, w))
    text = "Ring Dan on 07700 900461 or 0412 558 917"
    assert found(MOBILES, text) == ["07700 900461", "0412 558 917"]
    assert found(MOBILES, text + " after six") == ["07700 900461", "0412 558 917"]
    assert calls == ["07700 900461", "0412 558 917"]
    gb_only = checker_for({"phone_numbers": {"regions": ["GB"], "types": ["mobile"]}})
    assert found(gb_only, text) == []  # not the Ofcom range as a mobile, not Australian
    assert calls[2:] == ["07700 900461", "0412 558 917"]


def test_unknown_region_or_type_is_refused_with_its_field():
    rule = minimal_rule(match={"phone_numbers": {"regions": ["XX"], "types": ["mobile"]}},
                        examples=NO_EXAMPLES)
    with pytest.raises(RulebookError) as err:
        parse_rulebook(book_json(rule))
    assert "match.phone_numbers.regions[0]" in str(err.value)
    rule = minimal_rule(match={"phone_numbers": {"types": ["cellphone"]}}, examples=NO_EXAMPLES)
    with pytest.raises(RulebookError) as err:
        parse_rulebook(book_json(rule))
    assert "cellphone" in str(err.value)


# -- identifiers --------------------------------------------------------------

IDS = checker_for({"identifiers": {
    "types": {
        "gb.nhs": {"labels": ["NHS number"]},
        "gb.nino": {"labels": ["NI number"]},
        "gb.utr": {"labels": ["UTR"]},
        "us.ssn": {"labels": ["SSN"]},
        "au.tfn": {"labels": ["TFN"]},
        "ie.pps": {"labels": ["PPSN"]},
        "ca.sin": {"labels": ["SIN"]},
    },
    "ignore_after": ["ref", "call", "on"],
}}, message="This looks like a {identifier}.")


@pytest.mark.parametrize("text, number", [
    ("Patient 943 476 5919 was discharged", "943 476 5919"),       # valid NHS number, spaced as one
    ("Patient 943-476-5919 was discharged", "943-476-5919"),
    ("Her NHS number is 9434765919", "9434765919"),                # unspaced: the label says what it is
    ("NHS number: 123 456 7890", "123 456 7890"),                  # fails the check, but labelled
    ("Number JG 12 34 56 C on file", "JG 12 34 56 C"),
    ("Number JG123456C on file", "JG123456C"),
    ("Record 536-22-1234 updated", "536-22-1234"),                 # SSN shape
    ("SSN 536 22 1234", "536 22 1234"),
    ("Account 123 456 782 linked", "123 456 782"),                 # valid TFN
    ("PPS 1234567T updated", "1234567T"),                          # valid PPS number, no label needed
    ("PPSN 7654321TA updated", "7654321TA"),                       # invalid, labelled
    ("Matched SIN 046 454 286", "046 454 286"),                    # invalid (starts 0), labelled
    ("Her SIN, 046 454 286, is on the form", "046 454 286"),       # labelled, a comma between
    ("Your UTR 19558 39661 is on the letter", "19558 39661"),
])
def test_identifiers_flag_when_valid_and_shaped_or_labelled(text, number):
    assert found(IDS, text) == [number]


@pytest.mark.parametrize("text", [
    "Reference 943 476 5918",            # fails the NHS check and has no label
    "Total 9434765919 visits",           # passes by chance but is neither spaced nor labelled
    "Call 202 456 7890",                 # a phone number after 'call'
    "Ref 536-22-1234",                   # after a reference word
    "Flight BA 12 34 56 departs",        # BA is not an NI prefix... and there is no suffix letter
    "Prefix GB123456A is never allocated",
    "Form 2024-05-16 and 12 345 678",
])
def test_identifiers_stay_clean_when_invalid_unlabelled_or_references(text):
    assert found(IDS, text) == []


def test_identifier_message_names_the_type():
    r = IDS.check("Her NHS number is 9434765919")
    assert r.findings[0].message == "This looks like a NHS number."


def test_identifier_types_are_chosen_by_the_rule():
    only_ssn = checker_for({"identifiers": {"types": {"us.ssn": {}}}})
    assert found(only_ssn, "943 476 5919 and 536-22-1234") == ["536-22-1234"]
    rule = minimal_rule(match={"identifiers": {"types": {"xx.passport": {}}}}, examples=NO_EXAMPLES)
    with pytest.raises(RulebookError):
        parse_rulebook(book_json(rule))


def test_prefilter_skips_posts_with_too_few_digits():
    r = IDS.check("No numbers here at all, just words about NHS numbers.")
    assert r.findings == []
    post = MOBILES.analyse("Call 101")
    assert post.scan.digits == 3


# -- offsets ------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("👩‍👧 Ring Dan on 07700 900461 🎉", "07700 900461"),
    ("🇬🇧🇬🇧 NHS number 943 476 5919", "943 476 5919"),
])
def test_offsets_stay_right_in_utf16_after_emoji(text, expected):
    for checker in (MOBILES, IDS):
        out = checker.check(text).to_json()
        for f in out["findings"]:
            assert utf16_slice(text, f["start"], f["end"]) == f["match"] == expected


# -- the rulebook's personal_data rules ----------------------------------------

CLEAN = [
    "#APPEAL | Can you help us find Evie, 15, from Hastings? Call 101 quoting crime reference 20AB/12345C/24 "
    "or Crimestoppers anonymously on 0800 555 111.",
    "WANTED | Do you know where Lee Marsh, 34, is? He is wanted for burglary.",
    "Jason Bell, 27, of Ashford was jailed for four years at Maidstone Crown Court.",
    "Six offenders arrested in this week's operation have now been charged.",
    "Call our switchboard on 0161 496 0000, 101 for non-emergencies or 999.",
    "Email enquiries@ourcouncil.gov.uk or press@ourcouncil.gov.uk.",
    "Children born between 1 September 2020 and 31 August 2021 can apply for Reception.",
]
FLAGGED = [
    "Well done Amelia, 7, from Year 3 at St Mary's!",
    "We've sorted Mrs Jones's housing benefit claim.",
    "Mr Patel, who has dementia, was helped home.",
    "Happy birthday to Ken, born on 3 March 2015!",
    "Can you return it to Josh? His number is 07700 900555.",
    "Her NHS number is 943 476 5919.",
    "Contact our volunteer at jo.bloggs77@gmail.com",
]


@pytest.mark.parametrize("text, flagged", [(t, False) for t in CLEAN] + [(t, True) for t in FLAGGED])
def test_rulebook_flags_personal_data_but_not_police_practice_or_service_contacts(checker, text, flagged):
    r = checker.check(text)
    assert any(f.category == "personal_data" and f.severity != "info" for f in r.findings) == flagged


@pytest.mark.parametrize("text", [
    "Catalogue: https://team.example.com/admin/show-event-catalog?folder-id=07700900461",
    "See www.example.org/cases/07700-900-461 for the form",
    "See HTTPS://EXAMPLE.ORG/?ref=07700900461 for the form",
    "Forms at northvale.gov.uk/forms?id=07700900461 today",  # a link without scheme, as the platforms count it
])
def test_digits_in_a_web_address_are_no_phone_number(text):
    assert found(MOBILES, text) == []
    assert found(MOBILES, text + " or ring Dan on 07700 900461") == ["07700 900461"]


def test_digits_in_a_web_address_are_no_identifier():
    nhs = checker_for({"identifiers": {"types": {"gb.nhs": {"labels": ["NHS number"]}}}})
    assert found(nhs, "Patient 943 476 5919 was seen") == ["943 476 5919"]
    assert found(nhs, "Read https://example.org/report/9434765919 today") == []
