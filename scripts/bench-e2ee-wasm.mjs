#!/usr/bin/env node
// What the web client's library (the vendored matrix-sdk-crypto-wasm, run by Node) spends
// per message: two devices in one process, their key exchange done by hand (no server),
// then MESSAGES Megolm messages of TEXT_BYTES characters encrypted by one and decrypted by
// the other. CPU time of this process (process.cpuUsage), median of RUNS.
//
//     node scripts/bench-e2ee-wasm.mjs [MESSAGES] [TEXT_BYTES] [RUNS]
//
// With --group, one device shares a new room key with a group of MEMBERS users of DEVICES
// devices each (its own other devices included), as the web client does before its first
// message: take the device keys of every device (a keys query answer, signatures checked),
// open an Olm session with each from a claimed one-time key, and encrypt the room key to
// each (the to-device requests, whose bytes are counted); then one receiver takes its key.
//
//     node scripts/bench-e2ee-wasm.mjs --group [MEMBERS] [DEVICES] [RUNS]
import * as sdk from "../src/chinwag/web/vendor/matrix-sdk-crypto-wasm-18.9.0/node.mjs";

const GROUP = process.argv[2] === "--group";
const ARGS = process.argv.slice(GROUP ? 3 : 2).map(Number);
const [MESSAGES = 1000, TEXT_BYTES = 200, RUNS = 3] = GROUP ? [] : ARGS;
const [MEMBERS = 100, DEVICES = 3, GROUP_RUNS = 3] = GROUP ? ARGS : [];
const ROOM = "!bench:chinwag";
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; // ms

async function device(name, deviceId = name.toUpperCase()) {
  const m = await sdk.OlmMachine.initialize(new sdk.UserId(`@${name}:chinwag`), new sdk.DeviceId(deviceId));
  let uploaded = null;
  for (const req of await m.outgoingRequests()) {
    if (req.type !== sdk.RequestType.KeysUpload) continue;
    uploaded = JSON.parse(req.body);
    await m.markRequestAsSent(req.id, req.type, JSON.stringify({ one_time_key_counts: { signed_curve25519: 50 } }));
  }
  return { m, name, user: `@${name}:chinwag`, device: deviceId, uploaded };
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

async function groupRun() {
  // Names unique per run: nothing carries over from a run before.
  const tag = Math.random().toString(36).slice(2, 8);
  const members = [];
  for (let u = 0; u < MEMBERS; u++) {
    for (let d = 0; d < DEVICES; d++) members.push(await device(`m${u}${tag}`, `D${d}`));
  }
  const [a, ...others] = members;
  const users = [...new Set(members.map((x) => x.user))];
  const ids = () => users.map((u) => new sdk.UserId(u));
  const t0 = cpu();
  await a.m.updateTrackedUsers(ids());
  for (const req of await a.m.outgoingRequests()) {
    if (req.type !== sdk.RequestType.KeysQuery) continue;
    const device_keys = {};
    for (const x of members) (device_keys[x.user] ??= {})[x.device] = x.uploaded.device_keys;
    await a.m.markRequestAsSent(req.id, req.type, JSON.stringify({ device_keys, failures: {} }));
  }
  const query = cpu() - t0;
  const t1 = cpu();
  const claim = await a.m.getMissingSessions(ids());
  const one_time_keys = {};
  for (const x of others) {
    const [keyId, key] = Object.entries(x.uploaded.one_time_keys)[0];
    (one_time_keys[x.user] ??= {})[x.device] = { [keyId]: key };
  }
  await a.m.markRequestAsSent(claim.id, claim.type, JSON.stringify({ one_time_keys, failures: {} }));
  const sessions = cpu() - t1;
  const t2 = cpu();
  let bytes = 0;
  let sent = 0;
  let mine = null;
  const receiver = others[others.length - 1];
  for (const req of await a.m.shareRoomKey(new sdk.RoomId(ROOM), ids(), new sdk.EncryptionSettings())) {
    bytes += req.body.length;
    const body = JSON.parse(req.body);
    for (const byDevice of Object.values(body.messages)) sent += Object.keys(byDevice).length;
    const content = body.messages[receiver.user]?.[receiver.device];
    if (content) mine = { sender: a.user, type: req.event_type, content };
    await a.m.markRequestAsSent(req.id, req.type, "{}");
  }
  const share = cpu() - t2;
  // The receiver must know the sender's device to take a key from it.
  await learn(receiver, a);
  const t3 = cpu();
  await receiver.m.receiveSyncChanges(JSON.stringify([mine]), new sdk.DeviceLists(), new Map(), new Set());
  const take = cpu() - t3;
  for (const x of members) x.m.free();
  return { query, sessions, share, total: query + sessions + share, take, bytes, sent };
}

await sdk.initAsync();
if (GROUP) {
  const runs = [];
  for (let r = 0; r < GROUP_RUNS; r++) runs.push(await groupRun());
  const median = (k) => runs.map((x) => x[k]).sort((x, y) => x - y)[Math.floor(runs.length / 2)];
  const ms = (k) => +median(k).toFixed(1);
  console.log(JSON.stringify({
    members: MEMBERS, devices_each: DEVICES, runs: GROUP_RUNS, devices_shared_to: median("sent"),
    keys_query_ms: ms("query"), olm_sessions_ms: ms("sessions"), encrypt_room_key_ms: ms("share"),
    key_share_total_ms: ms("total"), to_device_bytes: median("bytes"),
    receiver_takes_key_ms: +median("take").toFixed(2),
    each_run_total_ms: runs.map((x) => Math.round(x.total)),
  }, null, 1));
  process.exit(0);
}
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
