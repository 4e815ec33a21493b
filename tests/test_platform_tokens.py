"""Refreshed tokens are stored back for the pipeline's user only, and a crash mid-write keeps the old pair."""

from __future__ import annotations

import datetime as dt
import stat

from platform_sync.tokens import ShopTokens, TokenStore


def test_a_refreshed_pair_is_read_back_and_readable_by_its_owner_only(tmp_path):
    store = TokenStore(tmp_path / "tokens")
    expires = dt.datetime(2026, 12, 10, tzinfo=dt.timezone.utc)
    store.save("douyin", "dy01", ShopTokens("access-2", "refresh-2", expires))
    assert store.load("douyin", "dy01") == ShopTokens("access-2", "refresh-2", expires)
    path = tmp_path / "tokens" / "douyin" / "dy01.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "tokens").stat().st_mode) == 0o700


def test_a_write_that_never_finished_leaves_the_previous_pair(tmp_path):
    store = TokenStore(tmp_path)
    store.save("pdd", "pdd01", ShopTokens("access-1", "refresh-1"))
    (tmp_path / "pdd" / "pdd01.json.partial").write_text('{"access_tok')  # killed mid-write
    assert store.load("pdd", "pdd01") == ShopTokens("access-1", "refresh-1")
    store.save("pdd", "pdd01", ShopTokens("access-2", "refresh-2"))
    assert store.load("pdd", "pdd01").access_token == "access-2"


def test_tokens_never_show_in_a_repr():
    assert "secret-token" not in repr(ShopTokens("secret-token", "secret-refresh"))


def test_a_shop_without_a_stored_pair_has_none(tmp_path):
    assert TokenStore(tmp_path).load("taobao", "tb01") is None
