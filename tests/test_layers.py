"""Rulebook layers (server/layers.py): a core plus files that add rules, extend lists and
disable rules with a reason; a broken layer is refused alone; the service shows every
layer and reloads each file and the folder. Small hand-written rulebooks, so each build
takes milliseconds."""

import json
import os
import time

import pytest

from helpers import minimal_rule
from server import layers
from server.app import create_app
from server.config import Settings
from server.engine import Checker, RulebookError
from test_cli import run

CORE = {
    "version": "core-1",
    "lists": {"politicians": {"match_case": "initial", "terms": ["Jane Doe"]},
              "scorn": {"terms": ["disgrace"]}},
    "rules": [
        minimal_rule(id="attack.scorn", category="attack", match={"near": {"terms": ["{@politicians}"],
                                                                           "context": ["{@scorn}"]}},
                     examples={"flag": ["Jane Doe is a disgrace"], "pass": ["Jane Doe opened it"]}),
        minimal_rule(id="tone.shouting", category="tone", match={"phrases": ["outrageous"]},
                     examples={"flag": ["outrageous"], "pass": ["fine"]}),
    ],
}
SLOGAN = minimal_rule(id="party_political.local-slogan", category="party_political", severity="block",
                      match={"phrases": ["Testshire First"]},
                      examples={"flag": ["Vote [[Testshire First]]"], "pass": ["Testshire"]})
COUNCIL = {"version": "council-7", "description": "Testshire council",
           "extend_lists": {"politicians": ["Cllr Jane Smith"]},
           "disable": [{"id": "tone.shouting", "reason": "our comms team reviews tone by hand"}],
           "rules": [SLOGAN]}


def folder(tmp_path, **files):
    d = tmp_path / "rules.d"
    d.mkdir(exist_ok=True)
    for name, data in files.items():
        (d / name.replace("_", "-")).write_text(data if isinstance(data, str) else json.dumps(data))
    return d


def ids(text, composed):
    return sorted({f.rule_id for f in Checker(composed.rulebook).check(text).findings})


# -- composing -----------------------------------------------------------------------
def test_a_layer_adds_a_rule_extends_a_list_and_disables_a_rule(tmp_path):
    c = layers.load(str(folder(tmp_path, **{"00_core.json": CORE, "10_council.json": COUNCIL})))
    assert ids("Vote Testshire First", c) == ["party_political.local-slogan"]
    assert ids("Cllr Jane Smith is a disgrace", c) == ["attack.scorn"]  # the extended list, the core rule
    assert ids("Jane Doe is a disgrace", c) == ["attack.scorn"]
    assert ids("outrageous", c) == []  # disabled
    assert c.refused == [] and c.rulebook.version == "core-1+council-7"
    core, council = c.rulebook.layers
    assert core["name"] == "00-core.json" and core["role"] == "core" and len(core["digest"]) == 12
    assert council == {"name": "10-council.json", "role": "layer", "version": "council-7",
                       "digest": council["digest"], "rules_added": ["party_political.local-slogan"],
                       "lists_extended": {"politicians": 1},
                       "disabled": [{"id": "tone.shouting", "reason": "our comms team reviews tone by hand"}]}
    assert c.origin["party_political.local-slogan"] == "10-council.json" and c.origin["attack.scorn"] == "00-core.json"


def test_paths_separated_by_pathsep_are_layers_in_that_order(tmp_path):
    (tmp_path / "core.json").write_text(json.dumps(CORE))
    (tmp_path / "council.json").write_text(json.dumps(COUNCIL))
    spec = os.pathsep.join([str(tmp_path / "core.json"), str(tmp_path / "council.json")])
    assert layers.expand(spec) == [str(tmp_path / "core.json"), str(tmp_path / "council.json")]
    assert [x["name"] for x in layers.load(spec).rulebook.layers] == ["core.json", "council.json"]


def test_one_file_is_the_rulebook_as_before(tmp_path):
    (tmp_path / "rules.json").write_text(json.dumps(CORE))
    c = layers.load(str(tmp_path / "rules.json"))
    assert c.rulebook.version == "core-1" and [x["role"] for x in c.rulebook.layers] == ["core"]


@pytest.mark.parametrize("layer, words", [
    ({"version": "b", "extend_lists": {"politicans": ["X"]}},
     "extend_lists field 'politicans': no list 'politicans' in the layers before (did you mean 'politicians'?)"),
    ({"version": "b", "disable": [{"id": "tone.shoutin", "reason": "r"}]},
     "disable[0] field 'id': no rule 'tone.shoutin' in the layers before (did you mean 'tone.shouting'?)"),
    ({"version": "b", "disable": [{"id": "tone.shouting"}]}, "field 'disable[0]': 'reason' is a required property"),
    ({"version": "b", "disable": [{"id": "tone.shouting", "reason": "  "}]}, "field 'disable[0].reason': '  ' does not match"),
    ({"version": "b", "rules": [dict(SLOGAN, id="tone.shouting")]},
     "rule 'tone.shouting' (rules[0]) field 'id': already used by 00-core.json"),
    ({"version": "b", "lists": {"scorn": {"terms": ["x"]}}},
     "lists field 'scorn': list 'scorn' is already defined by 00-core.json; add terms to it with 'extend_lists'"),
    ({"version": "b", "rules": [dict(SLOGAN, severity="fatal")]},
     "rule 'party_political.local-slogan' (rules[0]) field 'severity': 'fatal' is not one of"),
    ({"version": "b", "rules": [dict(SLOGAN, id="tone.fine"), dict(SLOGAN, id="tone.x", guidance="nope")]},
     "rule 'tone.x' (rules[1]) field 'guidance': unknown guidance 'nope'"),
    ({"version": "b", "overrides": {}}, "layer: Additional properties are not allowed ('overrides' was unexpected)"),
    ("{ not json", "invalid JSON at line 1 column 3"),
])
def test_a_broken_layer_is_refused_alone_with_its_file_rule_and_field(tmp_path, layer, words):
    c = layers.load(str(folder(tmp_path, **{"00_core.json": CORE, "10_council.json": COUNCIL,
                                            "20_broken.json": layer})))
    (err,) = c.refused
    assert err.source.endswith("20-broken.json")
    assert any(words in p for p in err.problems), err.problems
    assert [x["name"] for x in c.rulebook.layers] == ["00-core.json", "10-council.json"]  # the others apply
    assert ids("Vote Testshire First", c) == ["party_political.local-slogan"]


def test_a_broken_layer_keeps_its_last_good_content_when_given(tmp_path):
    d = folder(tmp_path, **{"00_core.json": CORE, "10_council.json": COUNCIL})
    good = layers.read_sources(str(d))
    broken = layers.Source(good[1].path, b'{"version": "council-8", "rules": [{"id": 1}]}')
    c = layers.compose([good[0], broken], last_good={good[1].path: good[1].raw})
    assert len(c.refused) == 1 and c.rulebook.version == "core-1+council-7"
    assert c.used[good[1].path] == good[1].raw


def test_a_broken_core_refuses_the_whole_set(tmp_path):
    core = dict(CORE, rules=CORE["rules"] + [dict(SLOGAN, id="tone.bad", category="gossip")])
    with pytest.raises(RulebookError) as exc:
        layers.load(str(folder(tmp_path, **{"00_core.json": core, "10_council.json": COUNCIL})))
    assert exc.value.source.endswith("00-core.json") and any("gossip" in p for p in exc.value.problems)


# -- the command line --------------------------------------------------------------------
def test_commands_take_rules_repeatable_or_a_folder(tmp_path):
    d = folder(tmp_path, **{"00_core.json": CORE, "10_council.json": COUNCIL})
    by_folder = json.loads(run("check", "Vote Testshire First", "--rules", d).stdout)
    by_files = json.loads(run("check", "Vote Testshire First", "--rules", d / "00-core.json",
                              "--rules", d / "10-council.json").stdout)
    assert by_folder == by_files and by_folder["rulebook"]["version"] == "core-1+council-7"
    assert [f["rule_id"] for f in by_folder["findings"]] == ["party_political.local-slogan"]
    r = run("lint", d)
    assert r.returncode == 0 and "(layer 10-council.json)" in r.stdout  # the layer's rule has no description


def test_a_command_refuses_a_broken_layer_with_exit_2(tmp_path):
    d = folder(tmp_path, **{"00_core.json": CORE, "10_council.json": dict(COUNCIL, extend_lists={"nope": ["x"]})})
    r = run("lint", d)
    assert r.returncode == 2 and "layer refused:" in r.stderr and "10-council.json" in r.stderr
    assert "extend_lists field 'nope'" in r.stderr and "Traceback" not in r.stderr


# -- the service -------------------------------------------------------------------------
@pytest.fixture
def served(tmp_path):
    d = folder(tmp_path, **{"00_core.json": CORE, "10_council.json": COUNCIL})
    app = create_app(Settings(rules=str(d), reload_interval=0.05))
    yield d, app.test_client()
    app.extensions["impartial"].store.close()


def wait_for(predicate, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def rewrite(path, data):
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    st = path.stat()  # a visible change on filesystems with one-second times
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def found(client, text):
    r = client.post("/v1/check", json={"text": text})
    assert r.status_code == 200
    return [f["rule_id"] for f in r.get_json()["findings"]]


def test_rules_and_readyz_show_every_layer(served):
    _, c = served
    rules = c.get("/v1/rules").get_json()
    assert [x["name"] for x in rules["layers"]] == ["00-core.json", "10-council.json"]
    assert rules["layers"][1]["disabled"] == [{"id": "tone.shouting", "reason": "our comms team reviews tone by hand"}]
    assert {r["id"]: r.get("enabled", True) for r in rules["rules"]}["tone.shouting"] is False
    ready = c.get("/readyz").get_json()["rulebook"]
    assert ready["version"] == "core-1+council-7"
    assert [set(x) for x in ready["layers"]] == [{"name", "role", "version", "digest"}] * 2


def test_reload_watches_each_layer_and_the_folder(served):
    d, c = served
    council = d / "10-council.json"
    rewrite(council, dict(COUNCIL, version="council-8", extend_lists={"politicians": ["Cllr Ann Lee"]}))
    wait_for(lambda: c.get("/readyz").get_json()["rulebook"]["version"] == "core-1+council-8", "the edited layer")
    assert found(c, "Cllr Ann Lee is a disgrace") == ["attack.scorn"]

    extra = d / "20-extra.json"
    rewrite(extra, {"version": "x1", "rules": [dict(SLOGAN, id="tone.zorblax", category="tone",
                                                    match={"phrases": ["zorblax"]},
                                                    examples={"flag": ["zorblax"], "pass": ["x"]})]})
    wait_for(lambda: found(c, "a zorblax day") == ["tone.zorblax"], "the added layer file")
    extra.unlink()
    wait_for(lambda: found(c, "a zorblax day") == [], "the removed layer file")


def test_a_broken_layer_is_refused_alone_and_its_last_good_content_serves(served):
    d, c = served
    rewrite(d / "20-extra.json", {"version": "x1", "extend_lists": {"scorn": ["shambles"]}})
    wait_for(lambda: found(c, "Jane Doe is a shambles") == ["attack.scorn"], "the new layer")
    rewrite(d / "10-council.json", dict(COUNCIL, version="council-9", disable=[{"id": "tone.nope", "reason": "r"}]))
    wait_for(lambda: "refused" in c.get("/readyz").get_json(), "the refusal")
    refused = c.get("/v1/rules").get_json()["refused"]
    assert refused["source"] == "10-council.json"
    (layer,) = refused["layers"]
    assert layer["source"] == "10-council.json"
    assert layer["problems"] == ["disable[0] field 'id': no rule 'tone.nope' in the layers before"]
    # The council's last good content and the other layer keep serving.
    assert c.get("/readyz").get_json()["rulebook"]["version"] == "core-1+council-7+x1"
    assert found(c, "Vote Testshire First") == ["party_political.local-slogan"]
    assert found(c, "Jane Doe is a shambles") == ["attack.scorn"]
    rewrite(d / "10-council.json", COUNCIL)
    wait_for(lambda: "refused" not in c.get("/readyz").get_json(), "the fixed layer")


def test_a_core_of_the_wrong_shape_is_named_not_a_crash(tmp_path):
    with pytest.raises(RulebookError) as exc:
        layers.load(str(folder(tmp_path, **{"00_core.json": dict(CORE, lists=[]), "10_council.json": COUNCIL})))
    assert exc.value.source.endswith("00-core.json") and any("'lists'" in p for p in exc.value.problems)


def test_the_layer_in_the_docs_lays_over_the_bundled_rulebook(tmp_path):
    from helpers import ROOT, RULES

    docs = (ROOT / "docs" / "rules.md").read_text()
    section = docs[docs.index("## Layers: your own rules on top of the core"):]
    example = json.loads(section[section.index("```json") + 7:section.index("```", section.index("```json") + 7)])
    example["rules"] = []  # the docs elide the rule's fields
    (tmp_path / "council.json").write_text(json.dumps(example))
    c = layers.load([str(RULES), str(tmp_path / "council.json")])
    assert c.refused == [] and c.rulebook.layers[1]["lists_extended"] == {"politicians": 2, "slogans": 1}
    assert ids("Cllr Jane Smith is a disgrace", c) != []
