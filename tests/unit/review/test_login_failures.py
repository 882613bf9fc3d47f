"""Login throttling shared through the review database: two processes (two engines on one real
SQLite file) count the same failures."""

from __future__ import annotations

import pytest

from careguide.review import open_review_store
from careguide.review.login_failures import DatabaseFailures
from careguide.ui.workspace.auth import Throttle
from tests.unit.review.conftest import sqlite_url


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_failures_in_one_process_slow_sign_in_in_the_other(tmp_path) -> None:
    url = sqlite_url(tmp_path / "review.db")
    clock = Clock()
    with open_review_store(url) as first, open_review_store(url) as second:
        one = Throttle(
            limit=3, clock=clock, base_wait_s=30, max_wait_s=100, log=DatabaseFailures(first.engine)
        )
        two = Throttle(
            limit=3, clock=clock, base_wait_s=30, max_wait_s=100, log=DatabaseFailures(second.engine)
        )
        bob_here, here = "user:bob@1.2.3.4", "address:1.2.3.4"
        one.failed(bob_here, here)
        two.failed(bob_here, here)
        assert one.wait_s(bob_here) == two.wait_s(bob_here) == 0
        one.failed(bob_here, here)  # the third failure, counted across both processes
        assert two.wait_s(bob_here) == pytest.approx(30)
        assert two.wait_s("user:bob@5.6.7.8") == 0
        assert two.wait_s("user:carol@1.2.3.4", here) > 0
        clock.now += 30
        two.failed(bob_here)
        assert one.wait_s(bob_here) == pytest.approx(60)
        clock.now += 901  # the window has passed: old failures no longer count
        assert one.wait_s(bob_here, here) == 0


def test_clear_and_success_forget_keys_everywhere(tmp_path) -> None:
    url = sqlite_url(tmp_path / "review.db")
    clock = Clock()
    with open_review_store(url) as first, open_review_store(url) as second:
        one = Throttle(limit=1, clock=clock, log=DatabaseFailures(first.engine))
        two = Throttle(limit=1, clock=clock, log=DatabaseFailures(second.engine))
        for key in ("user:bob@1.2.3.4", "user:bob@5.6.7.8", "user:bobby@1.2.3.4", "address:1.2.3.4"):
            one.failed(key)
            one.failed(key)
        assert two.clear("user:bob@") == 2  # not bobby: the prefix ends at the '@'
        assert two.wait_s("user:bob@1.2.3.4") == 0 and one.wait_s("user:bobby@1.2.3.4") > 0
        assert two.clear("user:b%") == 0  # LIKE wildcards in a prefix are taken literally
        one.succeeded("address:1.2.3.4")
        assert two.wait_s("address:1.2.3.4") == 0


def test_old_failures_are_deleted_when_new_ones_are_recorded(tmp_path) -> None:
    with open_review_store(sqlite_url(tmp_path / "review.db")) as store:
        log = DatabaseFailures(store.engine, keep_s=100)
        log.add(["address:a"], 1_000.0)
        log.add(["address:b"], 1_200.0)
        assert log.times(["address:a", "address:b"], 0) == {"address:b": [1_200.0]}
