// A chinwag device on matrix-sdk-crypto-wasm (the library the web client uses), driven
// line by line from stdin so a test can interleave it with Python devices. Commands:
//   publish                 upload this device's keys; prints {"ok": "publish"}
//   read                    take pending to-device messages, decrypt the channel's history;
//                           prints {"read": [[sender, body or null], ...]}
//   send TEXT               share the room key with every member device, send TEXT;
//                           prints {"sent": message_id}
// Environment: BASE (http URL), TOKEN, USER_ID, DEVICE_ID, CHANNEL, MEMBERS (user ids,
// comma-separated).
// The library as vendored for the web client (pinned, committed): nothing is downloaded.
import * as sdk from "../../../src/chinwag/web/vendor/matrix-sdk-crypto-wasm-18.9.0/node.mjs";
import readline from "node:readline";

const env = process.env;
const mx = (id) => `@${id}:chinwag`;
const room = new sdk.RoomId(`!${env.CHANNEL}:chinwag`);
const members = env.MEMBERS.split(",");

async function api(method, path, body) {
  const response = await fetch(env.BASE + path, {
    method,
    headers: { Authorization: `Bearer ${env.TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function flush(machine) {
  // Carry every request the machine wants out through chinwag's routes.
  for (const req of await machine.outgoingRequests()) {
    let answer = {};
    if (req.type === sdk.RequestType.KeysUpload) answer = await api("POST", "/v1/keys/upload", req.body);
    else if (req.type === sdk.RequestType.KeysQuery) answer = await api("POST", "/v1/keys/query", req.body);
    else if (req.type === sdk.RequestType.KeysClaim) answer = await api("POST", "/v1/keys/claim", req.body);
    else if (req.type === sdk.RequestType.ToDevice) answer = await toDevice(req);
    else continue;
    await machine.markRequestAsSent(req.id, req.type, JSON.stringify(answer));
  }
}

async function toDevice(req) {
  const path = `/v1/to-device/${encodeURIComponent(req.event_type)}/${encodeURIComponent(req.txn_id)}`;
  return api("PUT", path, req.body);
}

async function sync(machine) {
  const page = await api("GET", "/v1/to-device?after=0");
  const events = page.events.map((e) => ({ sender: e.sender, type: e.type, content: e.content }));
  const counts = await api("GET", "/v1/keys/counts");
  await machine.receiveSyncChanges(
    JSON.stringify(events),
    new sdk.DeviceLists(members.map((m) => new sdk.UserId(mx(m))), []),
    new Map(Object.entries(counts.one_time_key_counts)),
    new Set(counts.unused_fallback_key_types),
  );
  if (events.length) await api("POST", "/v1/to-device/ack", { seq: page.events.at(-1).seq });
  await flush(machine);
}

async function read(machine) {
  await sync(machine);
  const { messages } = await api("GET", `/v1/channels/${env.CHANNEL}/messages`);
  const settings = new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted);
  const out = [];
  for (const m of messages) {
    if (!m.encrypted) continue;
    const event = {
      type: "m.room.encrypted",
      event_id: `$${env.CHANNEL}_${m.message_id}`,
      sender: mx(m.sender_id),
      origin_server_ts: Date.parse(m.created_at),
      room_id: room.toString(),
      content: m.encrypted,
    };
    try {
      const decrypted = await machine.decryptRoomEvent(JSON.stringify(event), room, settings);
      out.push([m.sender_id, JSON.parse(decrypted.event).content.body]);
    } catch (err) {
      out.push([m.sender_id, null]);
    }
  }
  return out;
}

async function send(machine, text) {
  // wasm-bindgen takes arrays of ids by value: every call gets ids of its own.
  const users = () => members.map((m) => new sdk.UserId(mx(m)));
  await machine.updateTrackedUsers(users());
  await sync(machine);
  const claim = await machine.getMissingSessions(users());
  if (claim) {
    const answer = await api("POST", "/v1/keys/claim", claim.body);
    await machine.markRequestAsSent(claim.id, claim.type, JSON.stringify(answer));
  }
  for (const req of await machine.shareRoomKey(room, users(), new sdk.EncryptionSettings())) {
    await machine.markRequestAsSent(req.id, req.type, JSON.stringify(await toDevice(req)));
  }
  const content = await machine.encryptRoomEvent(room, "m.room.message", JSON.stringify({ msgtype: "m.text", body: text }));
  const sent = await api("POST", `/v1/channels/${env.CHANNEL}/messages`, {
    client_msg_id: `node-${Date.now()}`,
    encrypted: JSON.parse(content),
  });
  return sent.message_id;
}

await sdk.initAsync();
const machine = await sdk.OlmMachine.initialize(new sdk.UserId(mx(env.USER_ID)), new sdk.DeviceId(env.DEVICE_ID));
const say = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [command, ...rest] = line.split(" ");
  try {
    if (command === "publish") {
      await flush(machine);
      say({ ok: "publish" });
    } else if (command === "read") say({ read: await read(machine) });
    else if (command === "send") say({ sent: await send(machine, rest.join(" ")) });
  } catch (err) {
    say({ error: String(err && err.stack ? err.stack : err) });
  }
}
