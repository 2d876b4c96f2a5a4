"""The web client's model of a channel never takes a copy of a message that is older
than what it knows: a page of history answered after an `update` frame (a delete, an
edit) must not bring the old text back to the view or the cache (IndexedDB)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STATE_JS = Path(__file__).resolve().parents[2] / "src" / "chinwag" / "web" / "js" / "state.js"

# Each step adds a copy of a message to one ChannelLog and reports what add() said and
# the state the log then holds.
SCRIPT = """
import { ChannelLog } from %s;
const log = new ChannelLog('c1');
const base = { channel_id: 'c1', sender_id: 'u2', created_at: '2026-12-07T08:00:00.000Z',
  text: 'hello', edited_at: null, deleted: false, reactions: {} };
const steps = JSON.parse(process.argv[1]);
const out = steps.map((s) => {
  const said = log.add({ ...base, ...s }, 'u1');
  const m = log.byId.get(s.message_id);
  return [said, m.text, m.deleted, m.edited_at, m.reactions];
});
console.log(JSON.stringify(out));
"""

T1 = "2026-12-07T08:01:00.000Z"
T2 = "2026-12-07T08:02:00.000Z"


def _run(steps: list[dict[str, Any]]) -> list[list[Any]]:
    if shutil.which("node") is None:
        if os.environ.get("CHINWAG_REQUIRE_SERVICES") == "1":
            raise RuntimeError("node is not installed")
        pytest.skip("node is not installed")
    script = SCRIPT % json.dumps(STATE_JS.as_uri())
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(steps)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: list[list[Any]] = json.loads(done.stdout)
    return result


def test_a_copy_fetched_before_a_delete_does_not_undelete() -> None:
    out = _run(
        [
            {"message_id": 5},
            {"message_id": 5, "text": "", "deleted": True},
            {"message_id": 5},  # the page of history, answered late
        ]
    )
    assert [o[0] for o in out] == ["new", "updated", "dup"]
    assert out[-1][1:3] == ["", True]


def test_a_copy_from_before_an_edit_does_not_bring_the_old_text_back() -> None:
    out = _run(
        [
            {"message_id": 6, "text": "v1", "edited_at": T1},
            {"message_id": 6, "text": "v2", "edited_at": T2},
            {"message_id": 6, "text": "v1", "edited_at": T1},  # older edit
            {"message_id": 6, "text": "hello"},  # from before any edit
        ]
    )
    assert [o[0] for o in out] == ["new", "updated", "dup", "dup"]
    assert out[-1][1] == "v2" and out[-1][3] == T2


def test_newer_states_are_still_taken() -> None:
    out = _run(
        [
            {"message_id": 7},
            {"message_id": 7, "reactions": {"x": ["u1"]}},  # a reaction: same edit
            {"message_id": 7, "text": "v2", "edited_at": T2, "reactions": {"x": ["u1"]}},
            {"message_id": 7, "text": "", "deleted": True, "edited_at": T2},
        ]
    )
    assert [o[0] for o in out] == ["new", "updated", "updated", "updated"]
    assert out[1][4] == {"x": ["u1"]}
    assert out[-1][1:3] == ["", True]
