"""When a device starts a new group session: after 100 messages, after a week, and when a
device that had the session is gone (no server needed)."""

from __future__ import annotations

from chinwag.client.e2ee.machine import (
    ROTATE_MESSAGES,
    ROTATE_SECONDS,
    CryptoMachine,
    DeviceInfo,
    mxid,
)


def _devices(*machines: CryptoMachine) -> list[DeviceInfo]:
    sender = machines[0]
    directory = {
        "device_keys": {mxid(m.user_id): {m.device_id: m.device_keys()} for m in machines[1:]}
    }
    assert sender.track(directory) == []
    return [sender.devices[m.user_id][m.device_id] for m in machines[1:]]


def test_rotation_rules() -> None:
    a, b, c = CryptoMachine("a", "A"), CryptoMachine("b", "B"), CryptoMachine("c", "C")
    both = _devices(a, b, c)
    assert a.rotation_due("ch", both, 0.0)  # no session yet
    out = a.new_group_session("ch", 0.0)
    out.shared_with.update(d.curve25519 for d in both)
    assert not a.rotation_due("ch", both, 10.0)
    # A device joining is no reason: it gets the current session from its index on.
    newcomer = _devices(a, CryptoMachine("d", "D"))
    assert not a.rotation_due("ch", both + newcomer, 10.0)
    # Someone gone who had it: rotate.
    assert a.rotation_due("ch", both[:1], 10.0)
    # A week old: rotate.
    assert a.rotation_due("ch", both, ROTATE_SECONDS)
    # 100 messages: rotate.
    for _ in range(ROTATE_MESSAGES - 1):
        a.megolm_encrypt("ch", {"body": "x"})
    assert not a.rotation_due("ch", both, 10.0)
    a.megolm_encrypt("ch", {"body": "x"})
    assert a.rotation_due("ch", both, 10.0)
    first = out.session.session_id
    assert a.new_group_session("ch", 20.0).session.session_id != first
