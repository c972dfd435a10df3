"""Police charge notices as extra negatives (train.CHARGE_NOTICE, --police-charges): half of those
outside the random sample train the model, the other half stay held out, and they never change
the cross-validation folds."""

import pytest

from helpers import ROOT
from server.learned import train as T

SHARED = ROOT.parent / "shared"


def test_charge_notices_are_half_the_matching_posts_by_id():
    posts = [{"id": f"p{i}", "text": t} for i, t in enumerate(
        ["A man has been charged with burglary.", "He was remanded in custody.", "Will appear at court.",
         "Road closed on Mill Lane.", "Appeal for witnesses."] * 40)]
    got = T.charge_notices(posts)
    assert got == T.charge_notices(posts)  # no randomness
    assert all(T.CHARGE_NOTICE.search(p["text"]) for p in got)
    matching = [p for p in posts if T.CHARGE_NOTICE.search(p["text"])]
    assert len(matching) == 120 and 40 < len(got) < 80
    assert not T.CHARGE_NOTICE.search("Appeal for witnesses.")  # 'appeal' is not 'appear'


@pytest.mark.skipif(not (SHARED / "corpus/external/police_uk.jsonl").exists(), reason="needs ../shared")
def test_the_random_sample_is_unchanged_and_the_extra_rows_come_after_it():
    without, rest0 = T.police_split(SHARED, 13, 3000)
    with_, rest = T.police_split(SHARED, 13, 3000, charges=True)
    assert with_[:3000] == without
    extra = with_[3000:]
    assert extra and all(T.CHARGE_NOTICE.search(p["text"]) for p in extra)
    assert {p["id"] for p in extra} | {p["id"] for p in rest} == {p["id"] for p in rest0}
    assert any(T.CHARGE_NOTICE.search(p["text"]) for p in rest)  # the other half is still held out


@pytest.mark.parametrize("group", ["charges", "real"])
def test_always_trained_rows_are_never_held_out_in_cross_validation(group):
    pytest.importorskip("sklearn")
    from test_learned import synthetic_rows

    rows = synthetic_rows()
    n = len(rows)
    for i in range(6):
        rows.add(f"A man has been charged and will appear at court {i}.", group, False, set(), f"c{i}")
    heads = ["political"]
    settings = {"seed": 13, "C": 30.0, "keep": 200, "min_df": 2, "char_n": [3, 4], "length_bins": []}
    oof, owner = T.cross_validate(rows, T.analyse_texts(rows.text, (3, 4), ()), T.head_targets(rows, heads),
                                  heads, settings, 3)
    assert all(owner[i] is None and oof["political"][i] == 0 for i in range(n, n + 6))
    assert all(owner[i] is not None for i in range(n))
