"""API keys from `impartial keys`, IMPARTIAL_API_KEYS and a trusted proxy header, through the real app."""

import json
import time

import pytest
from sqlalchemy import select

from server.cli import main
from server.db import api_keys

from test_events import presend, send


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def check(client, key=None, header="Authorization"):
    headers = {}
    if key is not None:
        headers[header] = f"Bearer {key}" if header == "Authorization" else key
    return client.post("/v1/check", json={"text": "Gritters are out tonight."}, headers=headers)


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'keys.db'}"


def test_create_use_list_and_revoke(make_app, db_url, capsys):
    code, key, err = cli(capsys, "keys", "create", "--label", "Press office", "--database-url", db_url)
    key = key.strip()
    assert code == 0 and key.startswith("imp_") and len(key) >= 40 and "shown once" in err
    app = make_app(database_url=db_url, key_cache_seconds=0.3)
    c = app.test_client()
    assert check(c, key).status_code == 200
    assert check(c, key, header="X-API-Key").status_code == 200
    # The event records the key's label, never the key.
    assert send(c, [presend("key-event-01")], headers={"X-API-Key": key}).status_code == 202
    code, out, _ = cli(capsys, "keys", "list", "--json", "--database-url", db_url)
    listed = json.loads(out)
    assert listed == [{"id": 1, "prefix": key[:12], "label": "Press office", "admin": False,
                       "created_at": listed[0]["created_at"], "revoked_at": None}]
    with app.extensions["impartial"].db.begin() as conn:
        stored = conn.execute(select(api_keys.c.key_hash)).scalar_one()
    assert key not in stored and len(stored) == 64  # only the sha256
    code, out, _ = cli(capsys, "keys", "revoke", "1", "--database-url", db_url)
    assert code == 0 and "within" in out
    # Revocation reaches the running service within key_cache_seconds.
    deadline = time.monotonic() + 10
    while check(c, key).status_code == 200:
        assert time.monotonic() < deadline, "the revoked key kept working"
        time.sleep(0.1)
    r = check(c, key)
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert cli(capsys, "keys", "revoke", "1", "--database-url", db_url)[0] == 1
    assert json.loads(cli(capsys, "keys", "list", "--json", "--database-url", db_url)[1])[0]["revoked_at"]


def test_wrong_and_missing_keys_once_a_key_exists(make_app, url, capsys):
    app = make_app(database_url=url, key_cache_seconds=0)
    c = app.test_client()
    assert check(c).status_code == 200  # no key anywhere: open (with the start-up warning)
    cli(capsys, "keys", "create", "--label", "Press office", "--database-url", url)
    for key in (None, "", "imp_" + "x" * 43, "wrong", "imp_" + "é" * 10, "imp_" + "a" * 500):
        r = check(c, key)
        assert r.status_code == 401, key
        assert "API key is required" in r.get_json()["detail"]
    for path, method in (("/v1/rules", "get"), ("/v1/stats", "get"), ("/v1/feedback", "post"),
                         ("/v1/events", "post")):
        assert getattr(c, method)(path, json={}).status_code == 401, path
    for open_path in ("/healthz", "/readyz", "/openapi.json"):
        assert c.get(open_path).status_code == 200


def test_admin_only_endpoints(make_app, url, capsys):
    app = make_app(database_url=url)
    c = app.test_client()
    officer = cli(capsys, "keys", "create", "--label", "Press office", "--database-url", url)[1].strip()
    admin = cli(capsys, "keys", "create", "--label", "Head of comms", "--admin", "--database-url", url)[1].strip()
    assert c.get("/v1/events/summary", headers={"X-API-Key": officer}).status_code == 403
    assert c.get("/v1/events/summary").status_code == 401
    assert c.get("/v1/events/summary", headers={"X-API-Key": admin}).status_code == 200
    assert check(c, admin).status_code == 200  # an admin key is a key too
    out = cli(capsys, "keys", "list", "--database-url", url)[1]
    assert "Head of comms" in out and "yes" in out and admin not in out and officer not in out


def test_environment_keys_keep_working_beside_database_keys(make_app, url, capsys):
    app = make_app(database_url=url, api_keys=("env-key-1", "env-key-2"), admin_keys=("env-admin",))
    c = app.test_client()
    db_key = cli(capsys, "keys", "create", "--label", "Web team", "--database-url", url)[1].strip()
    for key in ("env-key-1", "env-key-2", db_key, "env-admin"):
        assert check(c, key).status_code == 200, key
    assert check(c, "env-key-3").status_code == 401
    assert c.get("/v1/events/summary", headers={"X-API-Key": "env-key-1"}).status_code == 403
    assert c.get("/v1/events/summary", headers={"X-API-Key": "env-admin"}).status_code == 200
    send(c, [presend("env-event-01")], headers={"X-API-Key": "env-key-2"})
    summary = c.get("/v1/events/summary", headers={"X-API-Key": "env-admin"}).get_json()
    assert summary["presend_after_warning"][0]["source"] == "IMPARTIAL_API_KEYS #2"


def test_identity_header_only_when_trusted(make_app, url, capsys):
    cli(capsys, "keys", "create", "--label", "Press office", "--database-url", url)
    untrusting = make_app(database_url=url).test_client()
    assert untrusting.post("/v1/check", json={"text": "a"}, headers={"X-Forwarded-User": "jo"}).status_code == 401
    app = make_app(database_url=url, trust_identity_header="X-Forwarded-User")
    c = app.test_client()
    assert c.post("/v1/check", json={"text": "a"}, headers={"X-Forwarded-User": "jo.bloggs"}).status_code == 200
    assert c.post("/v1/check", json={"text": "a"}, headers={"X-Forwarded-User": " "}).status_code == 401
    send(c, [presend("hdr-event-01")], headers={"X-Forwarded-User": "jo.bloggs"})
    admin = cli(capsys, "keys", "create", "--label", "Admin", "--admin", "--database-url", url)[1].strip()
    # A vouched identity is not an admin: admin endpoints need an admin key.
    assert c.get("/v1/events/summary", headers={"X-Forwarded-User": "jo.bloggs"}).status_code == 403
    summary = c.get("/v1/events/summary", headers={"X-API-Key": admin}).get_json()
    assert summary["presend_after_warning"][0]["source"] == "jo.bloggs"


def test_verified_keys_are_cached_and_survive_a_database_outage(make_app, url, capsys):
    from server.db import Database
    from server.keys import STALE_GRACE, key_hash

    key = cli(capsys, "keys", "create", "--label", "Press office", "--database-url", url)[1].strip()
    app = make_app(database_url=url, key_cache_seconds=60)
    c = app.test_client()
    assert check(c, key).status_code == 200
    ring = app.extensions["impartial"].keys
    real, ring.db = ring.db, Database("postgresql://nobody@127.0.0.1:9/none")  # unreachable from now on
    assert check(c, key).status_code == 200  # from the cache
    expires, identity = ring._cache[key_hash(key)]
    ring._cache[key_hash(key)] = (time.monotonic() - 1, identity)  # expired, but verified recently
    assert check(c, key).status_code == 200
    ring._cache[key_hash(key)] = (time.monotonic() - STALE_GRACE, identity)  # too long ago
    r = check(c, key)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5" and r.mimetype == "application/problem+json"
    r = check(c, "imp_" + "z" * 43)  # never verified: cannot be checked now
    assert r.status_code == 503
    ring.db = real
    assert check(c, "imp_" + "z" * 43).status_code == 401
    assert check(c, key).status_code == 200


def test_keys_create_needs_a_label(capsys, url):
    assert cli(capsys, "keys", "create", "--label", "  ", "--database-url", url)[0] == 2


def test_cors_preflight_needs_no_key(make_app, url, capsys):
    cli(capsys, "keys", "create", "--label", "Press office", "--database-url", url)
    c = make_app(database_url=url, cors_origins=("chrome-extension://abcdefghijklmnop",)).test_client()
    r = c.options("/v1/check", headers={"Origin": "chrome-extension://abcdefghijklmnop",
                                        "Access-Control-Request-Method": "POST",
                                        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "chrome-extension://abcdefghijklmnop"
    assert check(c).status_code == 401  # the request itself still needs the key
