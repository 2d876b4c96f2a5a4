#!/usr/bin/env node
// What the web client's library (the vendored matrix-sdk-crypto-wasm, run by Node) spends
// per message: two devices in one process, their key exchange done by hand (no server),
// then MESSAGES Megolm messages of TEXT_BYTES characters encrypted by one and decrypted by
// the other. CPU time of this process (process.cpuUsage), median of RUNS.
//
//     node scripts/bench-e2ee-wasm.mjs [MESSAGES] [TEXT_BYTES] [RUNS]
import * as sdk from "../src/chinwag/web/vendor/matrix-sdk-crypto-wasm-18.9.0/node.mjs";

const [MESSAGES = 1000, TEXT_BYTES = 200, RUNS = 3] = process.argv.slice(2).map(Number);
const ROOM = "!bench:chinwag";
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; // ms

async function device(name) {
  const m = await sdk.OlmMachine.initialize(new sdk.UserId(`@${name}:chinwag`), new sdk.DeviceId(name.toUpperCase()));
  let uploaded = null;
  for (const req of await m.outgoingRequests()) {
    if (req.type !== sdk.RequestType.KeysUpload) continue;
    uploaded = JSON.parse(req.body);
    await m.markRequestAsSent(req.id, req.type, JSON.stringify({ one_time_key_counts: { signed_curve25519: 50 } }));
  }
  return { m, name, user: `@${name}:chinwag`, device: name.toUpperCase(), uploaded };
}

async function learn(a, b) {
  // a queries b's device keys, as the server would answer.
  await a.m.updateTrackedUsers([new sdk.UserId(b.user)]);
  for (const req of await a.m.outgoingRequests()) {
    if (req.type !== sdk.RequestType.KeysQuery) continue;
    const answer = { device_keys: { [b.user]: { [b.device]: b.uploaded.device_keys } }, failures: {} };
    await a.m.markRequestAsSent(req.id, req.type, JSON.stringify(answer));
  }
}

async function run() {
  const a = await device(`a${Math.random().toString(36).slice(2, 8)}`);
  const b = await device(`b${Math.random().toString(36).slice(2, 8)}`);
  await learn(a, b);
  await learn(b, a);
  const claim = await a.m.getMissingSessions([new sdk.UserId(b.user)]);
  const [keyId, key] = Object.entries(b.uploaded.one_time_keys)[0];
  await a.m.markRequestAsSent(claim.id, claim.type, JSON.stringify({ one_time_keys: { [b.user]: { [b.device]: { [keyId]: key } } }, failures: {} }));
  const room = () => new sdk.RoomId(ROOM);
  // As the web client's send: share (a no-op unless the session is new or due to rotate,
  // every 100 messages), then encrypt. Rotated keys reach b before its messages.
  const shareTo = async () => {
    const events = [];
    for (const req of await a.m.shareRoomKey(room(), [new sdk.UserId(b.user)], new sdk.EncryptionSettings())) {
      const body = JSON.parse(req.body);
      events.push({ sender: a.user, type: req.event_type, content: body.messages[b.user][b.device] });
      await a.m.markRequestAsSent(req.id, req.type, "{}");
    }
    return events;
  };
  const t0 = cpu();
  const first = await shareTo();
  const share = cpu() - t0;
  const keys = [first];
  const text = "x".repeat(TEXT_BYTES);
  const bodies = [];
  const t1 = cpu();
  for (let i = 0; i < MESSAGES; i++) {
    if (i) keys.push(await shareTo());
    bodies.push(await a.m.encryptRoomEvent(room(), "m.room.message", JSON.stringify({ msgtype: "m.text", body: text })));
  }
  const send = (cpu() - t1) / MESSAGES;
  const delivered = keys.flat();
  const settings = () => new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted);
  await b.m.receiveSyncChanges(JSON.stringify(delivered), new sdk.DeviceLists(), new Map(), new Set());
  const t2 = cpu();
  for (let i = 0; i < MESSAGES; i++) {
    const event = { type: "m.room.encrypted", event_id: `$${i}`, sender: a.user, origin_server_ts: i, room_id: ROOM, content: JSON.parse(bodies[i]) };
    await b.m.decryptRoomEvent(JSON.stringify(event), room(), settings());
  }
  const receive = (cpu() - t2) / MESSAGES;
  return { share, send, receive, bytes: bodies[0].length };
}

await sdk.initAsync();
const runs = [];
for (let r = 0; r < RUNS; r++) runs.push(await run());
const median = (k) => runs.map((x) => x[k]).sort((x, y) => x - y)[Math.floor(runs.length / 2)];
console.log(JSON.stringify({
  messages: MESSAGES, text_bytes: TEXT_BYTES, runs: RUNS,
  key_share_to_one_device_ms: +median("share").toFixed(2),
  send_us_per_message: Math.round(median("send") * 1000),
  receive_us_per_message: Math.round(median("receive") * 1000),
  encrypted_body_bytes: median("bytes"),
  each_run: runs.map((x) => ({ send_us: Math.round(x.send * 1000), receive_us: Math.round(x.receive * 1000) })),
}, null, 1));
