"""Property tests: for any text, every span lands on exactly its match in
UTF-16 (what the browser counts), and no request body yields a 500."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import utf16_slice

# Words the rulebook reacts to, mixed with arbitrary Unicode (astral characters,
# combining marks, ZWJ sequences, CRLF) so findings are common, not rare.
TRIGGERS = ["Labour", "activist lawyers", "Vote Labour", "Tories", "🎉", "👩‍👩‍👧", "🇬🇧", "e\u0301", "\r\n",
            "Moribound Miliband", "07700 900123", "#VoteLabour", "desperate", "Sinn Fe\u0301in", "\u00ad", "ﬁ"]
pieces = st.one_of(st.sampled_from(TRIGGERS), st.text(min_size=1, max_size=6))
posts = st.lists(pieces, max_size=25).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=posts, platform=st.sampled_from(["x", "bluesky", "mastodon", "generic"]))
def test_every_span_is_exact_in_utf16(checker, text, platform):
    body = checker.check(text, platform).to_json()
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    for f in body["findings"]:
        assert 0 <= f["start"] <= f["end"] <= units
        assert utf16_slice(text, f["start"], f["end"]) == f["match"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"text": json_values}, optional={"platform": json_values, "context": json_values}).map(lambda v: json.dumps(v).encode()),
    st.text(max_size=40).map(lambda t: json.dumps({"text": t}, ensure_ascii=True).replace("\\ud8", "\\udb").encode()),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, ctype=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain"]))
def test_no_request_body_causes_a_server_error(client, body, ctype):
    r = client.post("/v1/check", data=body, content_type=ctype)
    assert r.status_code in (200, 400, 413, 415)
    if r.status_code != 200:
        assert r.mimetype == "application/problem+json" and r.get_json()["detail"]
