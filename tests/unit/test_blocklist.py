"""A socket's blocks: loaded at hello, changed by events, which may race the load."""

from __future__ import annotations

from chinwag.events import BlockChanged
from chinwag.gateway.blocklist import BlockList


def test_holds_back_everyone_until_loaded_then_only_blocks_either_way() -> None:
    blocks = BlockList()
    assert blocks.hides("u2")
    blocks.loaded(["u2"], ["u3"])
    assert blocks.hides("u2") and blocks.hides("u3") and not blocks.hides("u4")


def test_events_while_loading_are_applied_after_the_load() -> None:
    blocks = BlockList()
    # Unblocked and blocked again while the load was under way; u3's unblock also.
    blocks.apply("u1", BlockChanged("u1", "u2", False))
    blocks.apply("u1", BlockChanged("u1", "u2", True))
    blocks.apply("u1", BlockChanged("u3", "u1", False))
    blocks.apply("u1", BlockChanged("u5", "u6", True))  # not about this user
    blocks.loaded([], ["u3"])  # read before u3's unblock committed
    assert blocks.hides("u2") and not blocks.hides("u3") and not blocks.hides("u5")


def test_a_block_each_way_lifts_only_when_both_are_gone() -> None:
    blocks = BlockList()
    blocks.loaded(["u2"], ["u2"])
    blocks.apply("u1", BlockChanged("u1", "u2", False))
    assert blocks.hides("u2")
    blocks.apply("u1", BlockChanged("u2", "u1", False))
    assert not blocks.hides("u2")
    blocks.apply("u1", BlockChanged("u2", "u1", True))
    assert blocks.hides("u2")
