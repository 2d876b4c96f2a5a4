// chinwag web client: a part loaded when first needed (scripts/build-web.py).
export default (loadModule$, modules) => {
if (!modules["e2ee/machine.js"]) {
// ---- js/e2ee/machine.js
modules["e2ee/machine.js"] = (() => {
const MX = ':chinwag';
const ALGORITHM = 'm.megolm.v1.aes-sha2';
const TO_DEVICE_PAGE = 500;
const BACKUP = 'm.megolm_backup.v1.curve25519-aes-sha2';
const BACKUP_ROUNDS = 20;
const mx = (id) => `@${id}${MX}`;
const unmx = (id) => String(id).slice(1, -MX.length);
const roomOf = (channelId) => `!${channelId}${MX}`;
function filesOf(content, e) {
const carried = new Set((e.attachments || []).map((a) => a.id));
const files = Array.isArray(content.files) ? content.files : [];
return files.filter((f) => f && carried.has(f.id) && f.file && typeof f.file === 'object').map((f) => ({
id: f.id,
name: String(f.name || 'file'),
content_type: String(f.mimetype || 'application/octet-stream'),
size: Number.isSafeInteger(f.size) ? f.size : 0,
file: f.file,
}));
}
class Crypto {
constructor(ctx, sdk, machine, session) {
this.ctx = ctx;
this.sdk = sdk;
this.machine = machine;
this.session = session;
this.queue = Promise.resolve();
this.seq = 0; // the last to-device seq processed
this.counts = new Map();
this.fallback = new Set();
this.trying = new Set(); // entry keys being decrypted
}
settings() {
return new this.sdk.DecryptionSettings(this.sdk.TrustRequirement.Untrusted);
}
locked(fn) {
const run = this.queue.then(fn);
this.queue = run.catch(() => {});
return run;
}
api(method, path, body) {
return this.ctx.api.request(method, path, body);
}
users(ids) {
return ids.map((id) => new this.sdk.UserId(mx(id)));
}
async begin() {
const { state } = this.ctx;
const counts = await this.api('GET', '/v1/keys/counts');
this.takeCounts(counts);
await this.locked(async () => {
const tracked = new Set([state.me.id]);
for (const ch of state.channels.values()) if (ch.encrypted) for (const u of ch.members || []) tracked.add(u);
await this.machine.updateTrackedUsers(this.users([...tracked]));
await this.sync([], null);
await this.resumeBackup();
await this.pull();
await this.backUp();
});
state.on('messages', (keys) => { if (keys.has(state.currentChannelId)) this.decryptOpen(); });
state.on('route', () => this.decryptOpen());
this.decryptOpen();
}
takeCounts(c) {
if (c?.one_time_key_counts) this.counts = new Map(Object.entries(c.one_time_key_counts));
if (Array.isArray(c?.unused_fallback_key_types)) this.fallback = new Set(c.unused_fallback_key_types);
}
async sync(events, lists) {
const { sdk } = this;
const changed = lists ? this.users((lists.changed || []).map(unmx)) : [];
const left = lists ? this.users((lists.left || []).map(unmx)) : [];
await this.machine.receiveSyncChanges(JSON.stringify(events), new sdk.DeviceLists(changed, left),
new Map(this.counts), new Set(this.fallback), this.settings());
await this.flush();
}
async flush() {
const { RequestType } = this.sdk;
for (const req of await this.machine.outgoingRequests()) {
let answer;
if (req.type === RequestType.KeysUpload) {
answer = await this.api('POST', '/v1/keys/upload', JSON.parse(req.body));
this.takeCounts(answer);
} else if (req.type === RequestType.KeysQuery) answer = await this.api('POST', '/v1/keys/query', JSON.parse(req.body));
else if (req.type === RequestType.KeysClaim) answer = await this.api('POST', '/v1/keys/claim', JSON.parse(req.body));
else if (req.type === RequestType.ToDevice) answer = await this.toDevice(req);
else continue; // signatures, room messages, backups: not used here
await this.machine.markRequestAsSent(req.id, req.type, JSON.stringify(answer || {}));
}
}
async toDevice(req) {
const path = `/v1/to-device/${encodeURIComponent(req.event_type)}/${encodeURIComponent(req.txn_id)}`;
return (await this.api('PUT', path, JSON.parse(req.body))) || {};
}
async pull() {
for (;;) {
const { events = [] } = await this.api('GET', `/v1/to-device?after=${this.seq}&limit=${TO_DEVICE_PAGE}`);
if (!events.length) return;
await this.take(events.map((e) => ({ seq: e.seq, sender: e.sender, type: e.type, content: e.content })));
if (events.length < TO_DEVICE_PAGE) return;
}
}
async take(events) {
const fresh = events.filter((e) => e.seq > this.seq);
if (!fresh.length) return;
await this.sync(fresh.map(({ sender, type, content }) => ({ sender, type, content })), null);
this.seq = fresh[fresh.length - 1].seq;
await this.api('POST', '/v1/to-device/ack', { seq: this.seq });
await this.backUp(); // room keys just received
}
frame(f) {
this.locked(async () => {
if (f.type === 'to_device') {
await this.take([{ seq: f.seq, sender: f.sender, type: f.event_type, content: f.content }]);
} else if (f.type === 'device_lists') {
await this.sync([], f);
} else if (f.type === 'keys_count') {
this.takeCounts(f);
await this.sync([], null);
}
}).then(() => {
if (f.type === 'to_device') this.decryptOpen();
}, (err) => console.warn('chinwag: an encryption notice failed', err));
}
encrypt(channelId, content) {
return this.locked(async () => {
const { sdk, machine } = this;
const ch = await this.ctx.api.channel(channelId);
this.ctx.state.putChannel(ch);
const members = ch.members || [];
await machine.updateTrackedUsers(this.users(members));
await this.flush(); // key queries of new members before sessions are claimed
const claim = await machine.getMissingSessions(this.users(members));
if (claim) {
const answer = await this.api('POST', '/v1/keys/claim', JSON.parse(claim.body));
await machine.markRequestAsSent(claim.id, claim.type, JSON.stringify(answer));
}
const room = new sdk.RoomId(roomOf(channelId));
for (const req of await machine.shareRoomKey(room, this.users(members), new sdk.EncryptionSettings())) {
await machine.markRequestAsSent(req.id, req.type, JSON.stringify(await this.toDevice(req)));
}
const body = await machine.encryptRoomEvent(new sdk.RoomId(roomOf(channelId)), 'm.room.message', JSON.stringify(content));
return JSON.parse(body);
});
}
async send(item, entry) {
const content = { msgtype: 'm.text', body: item.text };
const files = item.attachments || [];
if (files.length) {
content.files = files.map((a) => ({ id: a.id, name: a.name, mimetype: a.content_type, size: a.size, file: a.file }));
}
const encrypted = await this.encrypt(item.channel_id, content);
entry.encrypted = encrypted;
this.ctx.conn.sendMessage({ ...item, text: '', attachments: files.map((a) => ({ id: a.id })), encrypted });
this.locked(() => this.backUp()).catch((err) => console.warn('chinwag: key backup failed', err));
}
async backupInfo() {
try {
return await this.api('GET', '/v1/keys/backup');
} catch (err) {
if (err.status === 404) return null;
throw err;
}
}
async resumeBackup() {
const info = await this.backupInfo();
const keys = await this.machine.getBackupKeys();
const key = keys?.decryptionKey;
this.backupOn = Boolean(info && key && keys.backupVersion === info.version
&& key.megolmV1PublicKey.publicKeyBase64 === info.auth_data?.public_key);
if (this.backupOn) await this.machine.enableBackupV1(info.auth_data.public_key, info.version);
}
async backUp() {
if (!this.backupOn) return;
for (let round = 0; round < BACKUP_ROUNDS; round++) {
const req = await this.machine.backupRoomKeys();
if (!req) return;
const body = JSON.parse(req.body);
const answer = await this.api('PUT', '/v1/keys/backup/keys', { version: req.version, rooms: body.rooms || {} });
await this.machine.markRequestAsSent(req.id, req.type, JSON.stringify({ etag: String(answer.count), count: answer.count }));
}
}
createBackup() {
return this.locked(async () => {
const { sdk, machine } = this;
const secret = sdk.BackupDecryptionKey.createRandomKey().toBase64();
const key = sdk.BackupDecryptionKey.fromBase64(secret);
const publicKey = key.megolmV1PublicKey.publicKeyBase64;
const { version } = await this.api('PUT', '/v1/keys/backup', { algorithm: BACKUP, auth_data: { public_key: publicKey } });
await machine.saveBackupDecryptionKey(key, version);
await machine.enableBackupV1(publicKey, version);
this.backupOn = true;
await this.backUp();
return secret;
});
}
async restore(recoveryKey) {
const imported = await this.locked(async () => {
const { sdk, machine } = this;
let key;
try {
key = sdk.BackupDecryptionKey.fromBase64(recoveryKey.trim());
} catch {
throw new Error('That is not a recovery key.');
}
const info = await this.backupInfo();
if (!info) throw new Error('There is no key backup on the server.');
if (info.algorithm !== BACKUP || key.megolmV1PublicKey.publicKeyBase64 !== info.auth_data?.public_key) {
throw new Error('That recovery key does not open this account\u2019s backup.');
}
const { rooms = {} } = await this.api('GET', `/v1/keys/backup/keys?version=${encodeURIComponent(info.version)}`);
const byRoom = new Map();
for (const [roomId, room] of Object.entries(rooms)) {
const sessions = new Map();
for (const [sessionId, entry] of Object.entries(room?.sessions || {})) {
const sd = entry?.session_data;
try {
sessions.set(sessionId, JSON.parse(key.decryptV1(sd.ephemeral, sd.mac, sd.ciphertext)));
} catch { /* not ours to read: skipped */ }
}
if (sessions.size) byRoom.set(new sdk.RoomId(roomId), sessions);
}
const result = await machine.importBackedUpRoomKeys(byRoom, () => {}, info.version);
await machine.saveBackupDecryptionKey(sdk.BackupDecryptionKey.fromBase64(recoveryKey.trim()), info.version);
await machine.enableBackupV1(info.auth_data.public_key, info.version);
this.backupOn = true;
return result.importedCount;
});
this.decryptOpen();
return imported;
}
upload(file, name, onProgress) {
let inner = null;
let cancelled = false;
const done = (async () => {
const sealed = await this.seal(file);
if (cancelled) throw new DOMException('cancelled', 'AbortError');
inner = this.ctx.api.upload(sealed.blob, 'encrypted', onProgress);
const { id } = await inner.done;
return { id, name, content_type: file.type || 'application/octet-stream', size: file.size, file: sealed.info };
})();
return { done, cancel: () => { cancelled = true; inner?.cancel(); } };
}
async seal(file) {
const sealed = this.sdk.Attachment.encrypt(new Uint8Array(await file.arrayBuffer()));
const blob = new Blob([sealed.encryptedData], { type: 'application/octet-stream' });
return { blob, info: JSON.parse(sealed.mediaEncryptionInfo) };
}
async open(a) {
const data = new Uint8Array(await (await this.ctx.api.attachment(a.id)).arrayBuffer());
const plain = this.sdk.Attachment.decrypt(new this.sdk.EncryptedAttachment(data, JSON.stringify(a.file)));
return new Blob([plain], { type: a.content_type || 'application/octet-stream' });
}
decryptOpen() {
const { state } = this.ctx;
const cid = state.currentChannelId;
if (!cid || !state.channels.get(cid)?.encrypted) return;
const todo = state.log(cid).sorted().filter((e) => e.encrypted && !state.decrypted.has(e.key)
&& !this.trying.has(e.key));
if (!todo.length) return;
for (const e of todo) this.trying.add(e.key);
this.locked(async () => {
let any = false;
for (const e of todo) {
try {
const content = await this.decrypt(e);
const text = typeof content.body === 'string' ? content.body : '';
state.decrypted.set(e.key, { text, files: filesOf(content, e) });
any = true;
} catch (err) {
console.warn('chinwag: not decrypted', err?.message || err);
}
}
return any;
}).then((any) => {
for (const e of todo) this.trying.delete(e.key);
if (any) state.changed('messages', cid);
});
}
async decrypt(e) {
if (e.encrypted.algorithm !== ALGORITHM || !Number.isSafeInteger(e.message_id)) throw new Error('Unable to decrypt: not stored yet');
const event = {
type: 'm.room.encrypted',
event_id: `$${e.channel_id}_${e.message_id}`,
sender: mx(e.sender_id),
origin_server_ts: Date.parse(e.created_at),
room_id: roomOf(e.channel_id),
content: e.encrypted,
};
const room = new this.sdk.RoomId(roomOf(e.channel_id));
const decrypted = await this.machine.decryptRoomEvent(JSON.stringify(event), room, this.settings());
const inner = JSON.parse(decrypted.event);
if (inner.room_id && inner.room_id !== roomOf(e.channel_id)) throw new Error('a message of another channel');
return inner.content || {};
}
}
  return { mx, Crypto };
})();
}
if (!modules["e2ee/unlock.js"]) {
// ---- js/e2ee/unlock.js
modules["e2ee/unlock.js"] = (() => {
  const { h } = modules["dom.js"];

const MIN_LENGTH = 8;
function askPassphrase({ known, failed }) {
return new Promise((resolve, reject) => {
const input = h('input', { type: 'password', id: 'e2ee-passphrase', autocomplete: known ? 'current-password' : 'new-password',
minlength: String(MIN_LENGTH), required: true, dataset: { testid: 'e2ee-passphrase' } });
const error = h('p', { class: 'form-error', role: 'alert', dataset: { testid: 'e2ee-error' } }, failed || '');
const cancel = h('button', { type: 'button', dataset: { testid: 'e2ee-cancel' } }, 'Not now');
const form = h('form', { class: 'stack', novalidate: true },
h('h2', { id: 'e2ee-title' }, known ? 'Unlock encrypted messages' : 'Protect your encryption keys'),
h('p', {}, known
? 'Enter the passphrase you chose for encrypted conversations on this device.'
: 'Encrypted conversations keep their keys on this device. Choose a passphrase (at least 8 characters) to protect them; you will need it each time the app starts.'),
h('label', { for: 'e2ee-passphrase' }, 'Passphrase'),
input, error,
h('div', { class: 'dialog-buttons' }, cancel,
h('button', { type: 'submit', class: 'primary', dataset: { testid: 'e2ee-unlock' } }, known ? 'Unlock' : 'Save')));
const dialog = h('dialog', { 'aria-labelledby': 'e2ee-title', dataset: { testid: 'e2ee-dialog' } }, form);
document.body.append(dialog);
let done = false;
const finish = () => { done = true; dialog.close(); dialog.remove(); };
form.addEventListener('submit', (e) => {
e.preventDefault();
if (input.value.length < MIN_LENGTH) {
error.textContent = `The passphrase needs at least ${MIN_LENGTH} characters.`;
input.focus();
return;
}
const value = input.value;
finish();
resolve(value);
});
cancel.addEventListener('click', () => dialog.close());
dialog.addEventListener('close', () => {
if (done) return;
dialog.remove();
reject(new Error('Encrypted messages stay locked until you enter your passphrase.'));
});
dialog.showModal();
input.focus();
});
}
  return { askPassphrase };
})();
}
if (!modules["e2ee/backup.js"]) {
// ---- js/e2ee/backup.js
modules["e2ee/backup.js"] = (() => {
  const { h } = modules["dom.js"];

function modal(title, ...content) {
const dialog = h('dialog', { 'aria-labelledby': 'e2ee-backup-title', dataset: { testid: 'e2ee-backup-dialog' } },
h('div', { class: 'stack' }, h('h2', { id: 'e2ee-backup-title' }, title), ...content));
dialog.addEventListener('close', () => dialog.remove());
document.body.append(dialog);
dialog.showModal();
return dialog;
}
function showRecoveryKey(key) {
const done = h('button', { type: 'button', class: 'primary', dataset: { testid: 'e2ee-recovery-done' } }, 'I have saved it');
const dialog = modal('Your recovery key',
h('p', {}, 'Keep this key somewhere safe, away from this device. With it, a new device can read your encrypted history; without it nobody can, the server included. It is shown only now.'),
h('p', { class: 'recovery-key', dataset: { testid: 'e2ee-recovery-key' } }, key),
h('div', { class: 'dialog-buttons' }, done));
done.addEventListener('click', () => dialog.close());
done.focus();
}
function askRecoveryKey(restore) {
const input = h('input', { id: 'e2ee-recovery-input', autocomplete: 'off', spellcheck: 'false', dataset: { testid: 'e2ee-recovery-input' } });
const error = h('p', { class: 'form-error', role: 'alert', dataset: { testid: 'e2ee-restore-error' } });
const cancel = h('button', { type: 'button' }, 'Cancel');
const form = h('form', { class: 'stack', novalidate: true },
h('label', { for: 'e2ee-recovery-input' }, 'Recovery key'), input, error,
h('div', { class: 'dialog-buttons' }, cancel,
h('button', { type: 'submit', class: 'primary', dataset: { testid: 'e2ee-restore-submit' } }, 'Restore')));
const dialog = modal('Restore encrypted history', form);
cancel.addEventListener('click', () => dialog.close());
form.addEventListener('submit', async (e) => {
e.preventDefault();
error.textContent = '';
try {
const n = await restore(input.value);
dialog.close();
return n;
} catch (err) {
error.textContent = err?.message || String(err);
input.focus();
return null;
}
});
input.focus();
}
  return { showRecoveryKey, askRecoveryKey };
})();
}
if (!modules["e2ee/controls.js"]) {
// ---- js/e2ee/controls.js
modules["e2ee/controls.js"] = (() => {
  const { byTestId, h } = modules["dom.js"];
  const { confirmDialog, toast, toastError } = modules["ui/dialogs.js"];
  const { askRecoveryKey, showRecoveryKey } = modules["e2ee/backup.js"];



function mount(ctx) {
const { state, api, signal } = ctx;
const titles = document.querySelector('.conv-titles');
const badge = h('span', { class: 'e2ee-badge', dataset: { testid: 'encrypted-badge' }, hidden: true,
title: 'Messages here are end-to-end encrypted' }, 'Encrypted');
titles.append(badge);
const button = h('button', { type: 'button', class: 'small', dataset: { testid: 'encrypt-button' }, hidden: true },
'Encrypt');
document.querySelector('.conv-actions').prepend(button);
const render = () => {
const ch = state.channels.get(state.currentChannelId);
badge.hidden = !ch?.encrypted;
button.hidden = !ch || ch.encrypted || !(ch.kind === 'direct' || ch.role === 'owner');
};
state.on('channels', render);
state.on('route', render);
button.addEventListener('click', async () => {
const id = state.currentChannelId;
const ok = await confirmDialog('Encrypt this conversation from now on? This cannot be undone; messages sent before stay readable to the server.', 'Encrypt');
if (!ok) return;
try {
state.putChannel(await api.patch(`/v1/channels/${encodeURIComponent(id)}`, { encrypted: true }));
} catch (err) {
toastError(err);
}
}, { signal });
const error = byTestId('group-error');
error.before(h('label', { class: 'check' },
h('input', { type: 'checkbox', name: 'encrypted', dataset: { testid: 'group-encrypted' } }),
' End-to-end encrypted'));
render();
mountBackup(ctx);
}
function mountBackup(ctx) {
const create = h('button', { type: 'button', dataset: { testid: 'e2ee-backup-button' } }, 'Make a recovery key');
const restore = h('button', { type: 'button', dataset: { testid: 'e2ee-restore-button' } }, 'Restore from a recovery key');
const data = [...document.querySelectorAll('#settings-dialog h3')].find((el) => el.textContent === 'Your data');
data.before(h('h3', { class: 'section-title' }, 'Encrypted messages'),
h('p', { class: 'hint' }, 'A recovery key backs up the keys of your encrypted conversations, so a new device can read their history.'),
h('div', { class: 'row' }, create, restore));
create.addEventListener('click', async () => {
try {
const crypto = await ctx.e2ee.ready();
if (!(await confirmDialog('Make a new recovery key? A key made before stops working.', 'Make key'))) return;
showRecoveryKey(await crypto.createBackup());
} catch (err) {
toastError(err);
}
}, { signal: ctx.signal });
restore.addEventListener('click', async () => {
try {
const crypto = await ctx.e2ee.ready();
askRecoveryKey(async (key) => {
const n = await crypto.restore(key);
toast(`Restored ${n} key${n === 1 ? '' : 's'} of encrypted history.`);
return n;
});
} catch (err) {
toastError(err);
}
}, { signal: ctx.signal });
}
  return { mount };
})();
}
if (!modules["e2ee/main.js"]) {
// ---- js/e2ee/main.js
modules["e2ee/main.js"] = (() => {
  const { Crypto } = modules["e2ee/machine.js"];
  const { askPassphrase } = modules["e2ee/unlock.js"];
  const { mount: mountControls } = modules["e2ee/controls.js"];



const mount = mountControls;
const SET_UP = 'chinwag.e2ee.'; // + device id: this device has a crypto store
async function start(ctx, session, library, store) {
const sdk = await import(library);
await sdk.initAsync();
const device = session.device_id;
const known = localStorage.getItem(SET_UP + device) === '1';
let failed = '';
for (;;) {
const passphrase = await askPassphrase({ known, failed });
try {
const machine = await sdk.OlmMachine.initialize(
new sdk.UserId(`@${session.user.id}:chinwag`), new sdk.DeviceId(device),
store, passphrase);
localStorage.setItem(SET_UP + device, '1');
const crypto = new Crypto(ctx, sdk, machine, session);
await crypto.begin();
return crypto;
} catch (err) {
if (!known) throw err;
console.warn('chinwag: the crypto store did not open', err);
failed = 'That passphrase did not unlock this device\u2019s keys.';
}
}
}
  return { mount, start };
})();
}
};
