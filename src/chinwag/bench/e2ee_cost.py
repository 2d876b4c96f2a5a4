"""`chinwag bench e2ee`: what end-to-end encryption costs a Python client (vodozemac).

A group of `--members` users with `--devices` devices each. One device starts a group
session and shares its key with every other device, as `E2eeDevice.share_key` does:
verify each device's signed keys, open an Olm session from each one's signed one-time
key, and encrypt the room key to each (the to-device body it would PUT). Reported: the
CPU time and bytes of that share, what one receiving device spends taking its key, and
the CPU per message to encrypt (sender) and to decrypt with every check (each
receiver), for `--text-bytes` of text. Client CPU only (`time.process_time`), median of
`--runs` runs; no server is involved.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from chinwag.client.e2ee.machine import CryptoMachine, DeviceInfo, mxid


def _group(members: int, devices: int) -> list[CryptoMachine]:
    return [CryptoMachine(f"u{u}", f"d{u}_{d}") for u in range(members) for d in range(devices)]


def _directory(machines: list[CryptoMachine]) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for m in machines:
        out.setdefault(mxid(m.user_id), {})[m.device_id] = m.device_keys()
    return {"device_keys": out}


def one_run(members: int, devices: int, text_bytes: int, messages: int) -> dict[str, float]:
    machines = _group(members, devices)
    sender, receivers = machines[0], machines[1:]
    directory = _directory(machines)
    claimed = {m.device_id: m.one_time_keys(0, 1) for m in receivers}
    for m in receivers:
        m.mark_published()
        m.track(directory)

    start = time.process_time()
    sender.track(directory)
    targets: list[DeviceInfo] = [sender.devices[m.user_id][m.device_id] for m in receivers]
    for d in targets:
        sender.start_olm(d, claimed[d.device_id])
    sender.new_group_session("c1", 0.0)
    key = sender.room_key("c1")
    # The PUT /v1/to-device body, as sent.
    bodies: dict[str, dict[str, Any]] = {mxid(d.user_id): {} for d in targets}
    for d in targets:
        bodies[mxid(d.user_id)][d.device_id] = sender.olm_encrypt(d, "m.room_key", key)
    share_cpu = time.process_time() - start
    share_bytes = len(json.dumps({"messages": bodies}, separators=(",", ":")))

    receiver = receivers[-1]
    content = bodies[mxid(receiver.user_id)][receiver.device_id]
    start = time.process_time()
    kind, room_key = receiver.olm_decrypt(mxid(sender.user_id), content)
    assert kind == "m.room_key" and receiver.accept_room_key(
        mxid(sender.user_id), sender.curve25519, room_key
    )
    take_cpu = time.process_time() - start

    text = "x" * text_bytes
    start = time.process_time()
    sent = [sender.megolm_encrypt("c1", {"body": text}) for _ in range(messages)]
    send_cpu = (time.process_time() - start) / messages
    start = time.process_time()
    for i, body in enumerate(sent):
        receiver.megolm_decrypt("c1", i + 1, sender.user_id, body)
    receive_cpu = (time.process_time() - start) / messages
    return {
        "share_cpu_ms": share_cpu * 1e3,
        "share_bytes": float(share_bytes),
        "take_key_cpu_ms": take_cpu * 1e3,
        "send_cpu_us": send_cpu * 1e6,
        "receive_cpu_us": receive_cpu * 1e6,
        "message_bytes": float(len(json.dumps(sent[0], separators=(",", ":")))),
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="chinwag bench e2ee", description=__doc__)
    p.add_argument("--members", type=int, default=100)
    p.add_argument("--devices", type=int, default=3, help="devices per member")
    p.add_argument("--text-bytes", type=int, default=200)
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    ns = p.parse_args(argv)
    runs = [one_run(ns.members, ns.devices, ns.text_bytes, ns.messages) for _ in range(ns.runs)]
    summary = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    summary["recipients"] = float(ns.members * ns.devices - 1)
    print(json.dumps({"config": vars(ns), "median": summary, "runs": runs}, indent=2))
    return 0
