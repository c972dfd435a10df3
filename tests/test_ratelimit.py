"""Rate limits per API key (server/ratelimit.py, the limits library), through the real app."""

import pytest

from server.config import ConfigError, Settings

from test_api import assert_conforms


def check(client, key=None):
    headers = {"X-API-Key": key} if key else {}
    return client.post("/v1/check", json={"text": "Gritters are out tonight."}, headers=headers)


def test_over_the_limit_is_a_429_problem_with_retry_after(make_app, tmp_path):
    app = make_app(database_url=f"sqlite:///{tmp_path / 'r.db'}", rate_limit="3/minute",
                   api_keys=("key-one", "key-two"))
    c = app.test_client()
    assert [check(c, "key-one").status_code for _ in range(3)] == [200, 200, 200]
    r = check(c, "key-one")
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    body = r.get_json()
    assert body["status"] == 429 and "3 per 1 minute" in body["detail"] and body["retry_after"] >= 1
    assert_conforms(r, "/v1/check", "post")
    # Per key: another key has its own allowance; every v1 route shares the key's.
    assert check(c, "key-two").status_code == 200
    assert c.get("/v1/rules", headers={"X-API-Key": "key-one"}).status_code == 429
    # Probes are never limited.
    assert all(c.get(p).status_code == 200 for p in ("/healthz", "/readyz", "/openapi.json") for _ in range(5))


def test_callers_without_a_valid_key_are_limited_by_address(make_app, tmp_path):
    app = make_app(database_url=f"sqlite:///{tmp_path / 'r.db'}", rate_limit="2/minute", api_keys=("k",))
    c = app.test_client()
    assert [check(c, "guess").status_code for _ in range(2)] == [401, 401]
    assert check(c, "guess").status_code == 429
    assert check(c, "k").status_code == 200  # the real key is its own bucket
    other = c.post("/v1/check", json={"text": "a"}, headers={"X-API-Key": "guess"},
                   environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 401  # another address: not yet limited


def test_a_service_without_keys_is_not_limited(make_app, tmp_path):
    # Nothing to count by: behind a proxy every officer would share one address.
    c = make_app(database_url=f"sqlite:///{tmp_path / 'r.db'}", rate_limit="2/minute").test_client()
    assert [check(c).status_code for _ in range(5)] == [200] * 5


def test_limits_can_be_turned_off_and_are_validated(make_app, tmp_path):
    c = make_app(database_url=f"sqlite:///{tmp_path / 'r.db'}", rate_limit="").test_client()
    assert all(check(c).status_code == 200 for _ in range(30))
    with pytest.raises(ConfigError, match="IMPARTIAL_RATE_LIMIT"):
        Settings(rate_limit="lots").validate()
    s = Settings.from_env({"IMPARTIAL_RATE_LIMIT": "10/second", "IMPARTIAL_RATE_LIMIT_STORAGE": "memory://",
                           "DATABASE_URL": "postgresql://db/x", "IMPARTIAL_STORE_TEXT_DAYS": "7",
                           "IMPARTIAL_TRUST_IDENTITY_HEADER": "X-Forwarded-User"})
    assert (s.rate_limit, s.database_url, s.store_text_days, s.trust_identity_header) == \
        ("10/second", "postgresql://db/x", 7, "X-Forwarded-User")


def test_worker_memory_storage_counts_and_sweeps_without_threads():
    import threading
    import time

    from server.ratelimit import RateLimits

    limits = RateLimits("2/second")
    threads = threading.active_count()
    for i in range(50):
        limits.enforce(f"k:{i}")
    limits.enforce("k:0")
    from server.problems import Problem

    with pytest.raises(Problem) as over:
        limits.enforce("k:0")
    assert over.value.status == 429 and over.value.headers["Retry-After"] == "1"
    assert threading.active_count() == threads  # limits' memory storage would have started timer threads
    storage = limits.storage
    assert len(storage.storage) == 50
    time.sleep(1.1)  # every window has ended
    storage._next_sweep = 0.0
    limits.enforce("k:new")
    assert len(storage.storage) == 1 and "k:new" in next(iter(storage.storage))  # stale counters swept
