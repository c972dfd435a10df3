"""The check-time regex call: the same matches as `finditer(text, timeout=...)`, and the timeout kept."""

import pytest
import regex

from server.engine.regex_safety import timed_finditer


def test_timed_finditer_gives_what_the_keyword_call_gives():
    pat = regex.compile(r"\b\w+(?=,)|(?i:labour)", regex.V0)
    text = "Vote Labour, they said, and LABOUR came, again."
    got = [m.span() for m in timed_finditer(pat, text, 0.05)]
    assert got == [m.span() for m in pat.finditer(text, timeout=0.05)]
    assert len(got) > 2


def test_timed_finditer_still_times_out():
    slow = regex.compile("(a|aa)+$")  # refused at load; here on purpose
    with pytest.raises(TimeoutError):
        list(timed_finditer(slow, "a" * 5000 + "!", 0.01))
