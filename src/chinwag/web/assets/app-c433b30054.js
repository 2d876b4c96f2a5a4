// chinwag web client: js/ bundled by scripts/build-web.py. Do not edit; rebuild.
const modules = {};
const parts$ = {"e2ee/main.js": ["/assets/e2ee-0dccea56f8.js"], "views.js": ["/assets/views-a4383a2788.js"]};
const loading$ = {};
function loadModule$(name) {
if (modules[name]) return Promise.resolve(modules[name]);
if (!loading$[name]) {
loading$[name] = Promise.all(parts$[name].map((url) => import(url))).then((parts) => {
for (const part of parts) part.default(loadModule$, modules);
return modules[name];
}, (err) => {
delete loading$[name];
throw err;
});
}
return loading$[name];
}

// ---- js/api.js
modules["api.js"] = (() => {
class ApiError extends Error {
constructor(status, code, message, retryAfter = null) {
super(message || code);
this.status = status;
this.code = code;
this.retryAfter = retryAfter;
}
}
const FRIENDLY = {
invalid_request: 'That request was not accepted. Please check what you entered.',
unauthorized: 'Your session has ended. Please log in again.',
forbidden: 'You are not allowed to do that.',
not_found: 'That could not be found. It may have been removed.',
conflict: 'That already exists.',
too_large: 'That is too large to send.',
rate_limited: 'You are doing that too often. Please wait a moment and try again.',
unavailable: 'The service is briefly unavailable. Please try again in a moment.',
internal: 'Something went wrong on the server. Please try again.',
network: 'Cannot reach the server. Check your connection and try again.',
};
function friendlyError(err, context = {}) {
if (!err) return FRIENDLY.internal;
const code = err.code || 'internal';
if (context[code]) return context[code];
if (code === 'invalid_request' && err.message && err.message !== code) {
const text = err.message.charAt(0).toUpperCase() + err.message.slice(1);
return /[.!?]$/.test(text) ? text : `${text}.`;
}
if (code === 'rate_limited' && err.retryAfter) {
return `You are doing that too often. Try again in ${Math.ceil(err.retryAfter)} s.`;
}
return FRIENDLY[code] || err.message || FRIENDLY.internal;
}
const enc = encodeURIComponent;
class Api {
constructor({ getToken, onUnauthorized }) {
this.getToken = getToken;
this.onUnauthorized = onUnauthorized;
}
async request(method, path, body, { auth = true, signal, ownCheck = false } = {}) {
const headers = { Accept: 'application/json' };
const token = auth ? this.getToken() : null;
if (token) headers.Authorization = `Bearer ${token}`;
if (body !== undefined) headers['Content-Type'] = 'application/json';
const res = fetch(path, {
method,
headers,
body: body === undefined ? undefined : JSON.stringify(body),
cache: 'no-store',
signal,
});
return this.adopt(res, token, ownCheck);
}
async adopt(pending, token, ownCheck = false) {
let res;
try {
res = await pending;
} catch (e) {
if (e && e.name === 'AbortError') throw e;
throw new ApiError(0, 'network', FRIENDLY.network);
}
if (res.status === 204) return null;
let data = null;
const text = await res.text().catch(() => '');
if (text) {
try {
data = JSON.parse(text);
} catch {
data = null;
}
}
if (!res.ok) {
const e = data && data.error ? data.error : {};
const retry = Number(res.headers.get('Retry-After')) || null;
const code = e.code || codeForStatus(res.status);
const err = new ApiError(res.status, code, e.message || FRIENDLY[code], retry);
if (res.status === 401 && token && !ownCheck && this.onUnauthorized) this.onUnauthorized(err);
throw err;
}
return data;
}
get(path, opts) { return this.request('GET', path, undefined, opts); }
post(path, body = {}, opts) { return this.request('POST', path, body, opts); }
patch(path, body, opts) { return this.request('PATCH', path, body, opts); }
del(path, opts) { return this.request('DELETE', path, undefined, opts); }
signup(username, password, displayName) {
const body = { username, password };
if (displayName) body.display_name = displayName;
return this.post('/v1/users', body, { auth: false });
}
login(username, password, deviceName) {
return this.post('/v1/sessions', { username, password, device_name: deviceName },
{ auth: false });
}
logout() { return this.del('/v1/sessions/current'); }
me() { return this.get('/v1/me'); }
updateMe(changes) { return this.patch('/v1/me', changes); }
user(id) { return this.get(`/v1/users/${enc(id)}`); }
findUsers(username) { return this.get(`/v1/users?username=${enc(username)}`); }
sendFriendRequest(userId) { return this.post('/v1/friends/requests', { user_id: userId }); }
friendRequests() { return this.get('/v1/friends/requests'); }
acceptRequest(id) { return this.post(`/v1/friends/requests/${enc(id)}/accept`); }
declineRequest(id) { return this.post(`/v1/friends/requests/${enc(id)}/decline`); }
friends() { return this.get('/v1/friends'); }
removeFriend(userId) { return this.del(`/v1/friends/${enc(userId)}`); }
openDirect(userId) { return this.post('/v1/channels', { kind: 'direct', user_id: userId }); }
createGroup(name, memberIds, encrypted = false) {
const body = { kind: 'group', name, member_ids: memberIds };
if (encrypted) body.encrypted = true;
return this.post('/v1/channels', body);
}
channels() { return this.get('/v1/channels'); }
channel(id) { return this.get(`/v1/channels/${enc(id)}`); }
addMember(channelId, userId) {
return this.post(`/v1/channels/${enc(channelId)}/members`, { user_id: userId });
}
removeMember(channelId, userId) {
return this.del(`/v1/channels/${enc(channelId)}/members/${enc(userId)}`);
}
messages(channelId, { before, after, limit } = {}) {
const q = new URLSearchParams();
if (before !== undefined && before !== null) q.set('before', String(before));
if (after !== undefined && after !== null) q.set('after', String(after));
if (limit) q.set('limit', String(limit));
const qs = q.toString();
return this.get(`/v1/channels/${enc(channelId)}/messages${qs ? `?${qs}` : ''}`);
}
editMessage(channelId, messageId, text) {
return this.patch(`/v1/channels/${enc(channelId)}/messages/${messageId}`, { text });
}
deleteMessage(channelId, messageId) {
return this.del(`/v1/channels/${enc(channelId)}/messages/${messageId}`);
}
react(channelId, messageId, emoji, add) {
const path = `/v1/channels/${enc(channelId)}/messages/${messageId}/reactions/${enc(emoji)}`;
return add ? this.request('PUT', path) : this.del(path);
}
search(q, { channelId, limit } = {}) {
let path = `/v1/search?q=${enc(q)}`;
if (channelId) path += `&channel_id=${enc(channelId)}`;
if (limit) path += `&limit=${limit}`;
return this.get(path);
}
presence(userIds) {
return this.get(`/v1/presence?user_ids=${userIds.map(enc).join(',')}`);
}
sessions() { return this.get('/v1/sessions'); }
logoutDevice(deviceId) { return this.del(`/v1/sessions/${enc(deviceId)}`); }
blocks() { return this.get('/v1/blocks'); }
block(userId) { return this.request('PUT', `/v1/blocks/${enc(userId)}`); }
unblock(userId) { return this.del(`/v1/blocks/${enc(userId)}`); }
mute(channelId, until) {
return this.request('PUT', `/v1/channels/${enc(channelId)}/mute`, until ? { until } : {});
}
unmute(channelId) { return this.del(`/v1/channels/${enc(channelId)}/mute`); }
report(channelId, messageId, reason) {
return this.post('/v1/reports', { channel_id: channelId, message_id: messageId, reason });
}
exportData() { return this.get('/v1/me/export'); }
deleteAccount(password) {
return this.request('DELETE', '/v1/me', { password }, { ownCheck: true });
}
adminUsers(username) { return this.get(`/v1/admin/users?username=${enc(username)}`); }
adminDeactivate(userId) { return this.post(`/v1/admin/users/${enc(userId)}/deactivate`); }
adminReactivate(userId) { return this.post(`/v1/admin/users/${enc(userId)}/reactivate`); }
adminReports() { return this.get('/v1/admin/reports'); }
upload(file, name, onProgress) {
const xhr = new XMLHttpRequest();
const done = new Promise((resolve, reject) => {
xhr.open('POST', `/v1/uploads?filename=${enc(name)}`);
const token = this.getToken();
if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total || file.size);
xhr.onload = () => {
let data = null;
try { data = JSON.parse(xhr.responseText); } catch { data = null; }
if (xhr.status === 201 && data) return resolve(data);
const e = data && data.error ? data.error : {};
const code = e.code || codeForStatus(xhr.status);
reject(new ApiError(xhr.status, code, e.message || FRIENDLY[code]));
};
xhr.onerror = () => reject(new ApiError(0, 'network', FRIENDLY.network));
xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
xhr.send(file);
});
return { done, cancel: () => xhr.abort() };
}
async attachment(id, { thumbnail = false } = {}) {
const token = this.getToken();
const path = `/v1/attachments/${enc(id)}${thumbnail ? '/thumbnail' : ''}`;
let res;
try {
res = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
} catch {
throw new ApiError(0, 'network', FRIENDLY.network);
}
if (!res.ok) throw new ApiError(res.status, codeForStatus(res.status), FRIENDLY[codeForStatus(res.status)]);
return res.blob();
}
discovery(opts) { return this.get('/v1/discovery', opts); }
vapidKey() { return this.get('/v1/push/vapid-public-key'); }
addPushSubscription(body) { return this.post('/v1/push/subscriptions', body); }
removePushSubscription(id) { return this.del(`/v1/push/subscriptions/${enc(id)}`); }
}
function codeForStatus(status) {
return {
400: 'invalid_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found',
409: 'conflict', 413: 'too_large', 429: 'rate_limited', 503: 'unavailable',
}[status] || (status >= 500 ? 'internal' : 'invalid_request');
}
  return { ApiError, friendlyError, Api };
})();

// ---- js/store.js
modules["store.js"] = (() => {
const DB_VERSION = 2;
const MEDIA_CACHE_BYTES = 4 << 20;
const MAX_ID = Number.MAX_SAFE_INTEGER;
const RECENT_PER_CHANNEL = 200;
const dbName = (userId) => `chinwag-user-${userId}`;
function request(r) {
return new Promise((resolve, reject) => {
r.onsuccess = () => resolve(r.result);
r.onerror = () => reject(r.error);
});
}
function finished(tx) {
return new Promise((resolve, reject) => {
tx.oncomplete = () => resolve();
tx.onerror = () => reject(tx.error);
tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
});
}
const channelRange = (cid, from = 0, to = MAX_ID, openTo = false) =>
IDBKeyRange.bound([cid, from], [cid, to], false, openTo);
function toRecord(m) {
return {
channel_id: m.channel_id,
message_id: m.message_id,
sender_id: m.sender_id,
text: m.text,
created_at: m.created_at,
client_msg_id: m.client_msg_id ?? null,
reply_to: m.reply_to ?? null,
edited_at: m.edited_at ?? null,
deleted: Boolean(m.deleted),
reactions: m.reactions || {},
mentions: m.mentions || [],
attachments: m.attachments || [],
};
}
function openCache(userId) {
if (typeof indexedDB === 'undefined') return new Cache(Promise.resolve(null));
const db = new Promise((resolve, reject) => {
const r = indexedDB.open(dbName(userId), DB_VERSION);
r.onupgradeneeded = () => {
const d = r.result;
const made = d.objectStoreNames;
if (!made.contains('meta')) d.createObjectStore('meta');
if (!made.contains('messages')) {
d.createObjectStore('messages', { keyPath: ['channel_id', 'message_id'] });
}
if (!made.contains('outbox')) d.createObjectStore('outbox', { keyPath: 'client_msg_id' });
if (!made.contains('users')) d.createObjectStore('users', { keyPath: 'id' });
if (!made.contains('media')) d.createObjectStore('media'); // Blobs by "thumb:ID" / "file:ID"
};
r.onsuccess = () => resolve(r.result);
r.onerror = () => reject(r.error);
}).then((d) => {
d.onversionchange = () => d.close();
return d;
}, (e) => {
console.warn('chinwag: IndexedDB unavailable, running without a cache', e);
return null;
});
return new Cache(db);
}
async function deleteCache(userId) {
if (typeof indexedDB === 'undefined') return;
await new Promise((resolve) => {
const r = indexedDB.deleteDatabase(dbName(userId));
r.onsuccess = r.onerror = r.onblocked = () => resolve();
});
}
class Cache {
constructor(db) {
this.ready = db; // Promise<IDBDatabase|null>
}
close() {
this.ready.then((db) => db?.close());
}
async getMeta(key) {
const db = await this.ready;
if (!db) return undefined;
const tx = db.transaction('meta');
return request(tx.objectStore('meta').get(key));
}
async setMeta(key, value) {
const db = await this.ready;
if (!db) return undefined;
const tx = db.transaction('meta', 'readwrite');
tx.objectStore('meta').put(value, key);
return finished(tx);
}
cursor() {
return this.getMeta('cursor');
}
async write({ messages = [], cursor = null, users = [], outboxPut = [], outboxDelete = [] }) {
const db = await this.ready;
if (!db) return undefined;
const tx = db.transaction(['messages', 'meta', 'users', 'outbox'], 'readwrite');
const ms = tx.objectStore('messages');
for (const m of messages) ms.put(toRecord(m));
if (Number.isSafeInteger(cursor)) {
const meta = tx.objectStore('meta');
const r = meta.get('cursor');
r.onsuccess = () => {
if (!Number.isSafeInteger(r.result) || r.result < cursor) meta.put(cursor, 'cursor');
};
}
const us = tx.objectStore('users');
for (const u of users) us.put(u);
const ob = tx.objectStore('outbox');
for (const item of outboxPut) ob.put(item);
for (const cmid of outboxDelete) ob.delete(cmid);
return finished(tx);
}
async recent(channelId, limit = RECENT_PER_CHANNEL) {
const db = await this.ready;
if (!db) return [];
const tx = db.transaction('messages');
const out = [];
await new Promise((resolve, reject) => {
const r = tx.objectStore('messages').openCursor(channelRange(channelId), 'prev');
r.onsuccess = () => {
const c = r.result;
if (!c || out.length >= limit) return resolve();
out.push(c.value);
c.continue();
};
r.onerror = () => reject(r.error);
});
return out.reverse();
}
async lastOf(channelIds) {
const result = new Map();
const db = await this.ready;
if (!db || !channelIds.length) return result;
const tx = db.transaction('messages');
const store = tx.objectStore('messages');
for (const cid of channelIds) {
const r = store.openCursor(channelRange(cid), 'prev');
r.onsuccess = () => { if (r.result) result.set(cid, r.result.value); };
}
await finished(tx);
return result;
}
async trim(channelId, keep = RECENT_PER_CHANNEL) {
const db = await this.ready;
if (!db) return undefined;
const tx = db.transaction('messages', 'readwrite');
const store = tx.objectStore('messages');
const r = store.openCursor(channelRange(channelId), 'prev');
let skipped = false;
r.onsuccess = () => {
const c = r.result;
if (!c) return;
if (!skipped) {
skipped = true;
c.advance(keep);
return;
}
store.delete(channelRange(channelId, 0, c.value.message_id));
};
return finished(tx);
}
async dropBefore(channelId, messageId) {
const db = await this.ready;
if (!db) return undefined;
const tx = db.transaction('messages', 'readwrite');
tx.objectStore('messages').delete(channelRange(channelId, 0, messageId, true));
return finished(tx);
}
async dropChannel(channelId) {
const db = await this.ready;
if (!db) return undefined;
const tx = db.transaction('messages', 'readwrite');
tx.objectStore('messages').delete(channelRange(channelId));
return finished(tx);
}
async outbox() {
const db = await this.ready;
if (!db) return [];
const tx = db.transaction('outbox');
return request(tx.objectStore('outbox').getAll());
}
async getMedia(key) {
const db = await this.ready;
if (!db) return undefined;
return request(db.transaction('media').objectStore('media').get(key));
}
async putMedia(key, blob) {
const db = await this.ready;
if (!db) return undefined;
const tx = db.transaction('media', 'readwrite');
tx.objectStore('media').put(blob, key);
return finished(tx);
}
async users() {
const db = await this.ready;
if (!db) return [];
const tx = db.transaction('users');
return request(tx.objectStore('users').getAll());
}
}
  return { MEDIA_CACHE_BYTES, RECENT_PER_CHANNEL, toRecord, openCache, deleteCache };
})();

// ---- js/media.js
modules["media.js"] = (() => {
  const { MEDIA_CACHE_BYTES } = modules["store.js"];

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MAX_URLS = 300;
const isImage = (a) => IMAGE_TYPES.has(a.content_type);
function formatSize(bytes) {
if (bytes < 1024) return `${bytes} B`;
const units = ['KB', 'MB', 'GB'];
let n = bytes / 1024;
let i = 0;
while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}
class Media {
constructor(api, cache, e2ee = null) {
this.api = api;
this.cache = cache;
this.e2ee = e2ee;
this.urls = new Map(); // key -> Promise<object URL>, oldest first
}
url(attachment, { full = false } = {}) {
const key = `${full ? 'file' : 'thumb'}:${attachment.id}`;
let pending = this.urls.get(key);
if (pending) {
this.urls.delete(key); // most recently used goes last
this.urls.set(key, pending);
return pending;
}
pending = this.blob(attachment, key, !full).then((b) => URL.createObjectURL(b));
pending.catch(() => this.urls.delete(key));
this.urls.set(key, pending);
while (this.urls.size > MAX_URLS) {
const [oldest, url] = this.urls.entries().next().value;
this.urls.delete(oldest);
url.then((u) => URL.revokeObjectURL(u), () => {});
}
return pending;
}
async blob(attachment, key, thumbnail) {
if (attachment.file) return this.e2ee.open(attachment);
const cached = await this.cache?.getMedia(key).catch(() => undefined);
if (cached) return cached;
const blob = await this.api.attachment(attachment.id, { thumbnail });
if (thumbnail || blob.size <= MEDIA_CACHE_BYTES) this.cache?.putMedia(key, blob).catch(() => {});
return blob;
}
async download(attachment) {
const blob = await this.blob(attachment, `file:${attachment.id}`, false);
const url = URL.createObjectURL(blob);
const a = document.createElement('a');
a.href = url;
a.download = attachment.name;
a.rel = 'noopener';
document.body.append(a);
a.click();
a.remove();
setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
dispose() {
for (const url of this.urls.values()) url.then((u) => URL.revokeObjectURL(u), () => {});
this.urls.clear();
}
}
  return { isImage, formatSize, Media };
})();

// ---- js/avatars.js
modules["avatars.js"] = (() => {
  const { Media } = modules["media.js"];

class Avatars {
constructor(state, api, cache, signal) {
this.state = state;
this.media = new Media(api, cache);
this.failed = new Set(); // avatar ids that could not be read: not asked for again
this.loading = new Set();
const look = (keys) => this.look(keys);
state.on('users', look);
state.on('me', () => this.look(new Set([state.me.id])));
signal.addEventListener('abort', () => {
this.disposed = true;
this.media.dispose();
});
this.look(new Set(['*']));
}
look(keys) {
const all = keys.has('*');
for (const user of all ? this.state.users.values() : [...keys].map((id) => this.state.user(id))) {
const id = user?.avatar_id;
if (!id || user.avatar_img?.id === id || this.failed.has(id) || this.loading.has(id)) continue;
this.loading.add(id);
this.media.url({ id }).finally(() => this.loading.delete(id)).then((url) => {
const now = this.state.user(user.id);
if (this.disposed || now?.avatar_id !== id) return;
this.state.putUser({ id: user.id, avatar_img: { id, url } });
}, () => this.failed.add(id));
}
}
}
  return { Avatars };
})();

// ---- js/sync.js
modules["sync.js"] = (() => {
const TYPING_SHOW_MS = 3500;
const FLUSH_MS = 50;
const TRIM_EVERY = 40;
const PAGE = 50;
class Sync {
constructor({ state, cache, api, hooks }) {
this.state = state;
this.cache = cache;
this.api = api;
this.hooks = hooks;
this.cursor = null;
this.replaying = false;
this.batch = emptyBatch();
this.flushTimer = null;
this.writes = Promise.resolve();
this.trimCount = new Map();
this.catchingUp = new Map();
this.userFetches = new Map();
this.channelFetches = new Map();
}
persist(part) {
const b = this.batch;
if (part.messages) b.messages.push(...part.messages);
if (Number.isSafeInteger(part.cursor)) b.cursor = Math.max(b.cursor ?? 0, part.cursor);
if (part.users) b.users.push(...part.users);
if (part.outboxPut) b.outboxPut.push(...part.outboxPut);
if (part.outboxDelete) b.outboxDelete.push(...part.outboxDelete);
if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
}
flush() {
clearTimeout(this.flushTimer);
this.flushTimer = null;
const b = this.batch;
this.batch = emptyBatch();
const trims = [];
for (const m of b.messages) {
const n = (this.trimCount.get(m.channel_id) || 0) + 1;
this.trimCount.set(m.channel_id, n);
if (n === TRIM_EVERY) {
this.trimCount.set(m.channel_id, 0);
trims.push(m.channel_id);
}
}
this.writes = this.writes
.then(() => this.cache.write(b))
.then(() => Promise.all(trims.map((cid) => this.cache.trim(cid))))
.catch((e) => console.warn('chinwag: cache write failed', e));
return this.writes;
}
handle(f) {
switch (f.type) {
case 'welcome': return this.onWelcome(f);
case 'message': return this.onMessage(f);
case 'update': return this.onUpdate(f);
case 'synced': return this.onSynced(f);
case 'reset': return this.onReset(f);
case 'sent': return this.onSent(f);
case 'presence': return this.state.setPresence(f);
case 'typing': return this.onTyping(f);
case 'read': return this.onRead(f);
case 'channel': return this.onChannel(f);
case 'friend': return this.onFriend(f);
case 'error': return f.ref ? undefined : this.hooks.error?.(f);
case 'to_device': case 'device_lists': case 'keys_count': return this.hooks.e2ee?.(f);
default: return undefined;
}
}
onWelcome(f) {
if (this.cursor === null || this.cursor === undefined) {
this.cursor = f.cursor;
this.persist({ cursor: f.cursor });
this.replaying = false;
} else if (Number.isSafeInteger(f.cursor) && f.cursor < this.cursor) {
this.cursor = f.cursor;
this.cache.setMeta('cursor', f.cursor).catch(() => {});
this.replaying = false;
this.refetchRecent();
} else {
this.replaying = true; // `message` frames of the replay, then `synced`
clearTimeout(this.replayTimer);
this.replayTimer = setTimeout(() => { this.replaying = false; }, 15000);
}
for (const g of f.large_groups || []) this.catchUp(g.channel_id, g.last_message_id);
this.state.changed('sync');
this.hooks.connected?.();
}
onUpdate(f) {
const m = f.message;
if (!m || typeof m.channel_id !== 'string' || !Number.isSafeInteger(m.message_id)) return;
const log = this.state.log(m.channel_id);
const result = log.add(m, this.state.me.id);
if (result === 'new') log.dirty();
this.persist({ messages: [m] });
if (result !== 'dup') {
const last = this.state.lastMessage.get(m.channel_id);
if (last && last.message_id === m.message_id) this.state.changed('channels', m.channel_id);
this.state.changed('messages', m.channel_id);
}
if (Number.isSafeInteger(f.cursor) && (this.cursor === null || f.cursor > this.cursor)) {
this.cursor = f.cursor;
this.persist({ cursor: f.cursor });
}
}
onMessage(f) {
const m = f.message;
if (!m || typeof m.channel_id !== 'string' || !Number.isSafeInteger(m.message_id)) return;
const known = this.known(m.channel_id);
this.apply(m, { live: !this.replaying, persist: true });
if (f.cursor === null || f.cursor === undefined) {
if (known > 0 && m.message_id > known + 1) this.catchUp(m.channel_id, m.message_id - 1);
} else if (this.cursor === null || f.cursor > this.cursor) {
this.cursor = f.cursor;
this.persist({ cursor: f.cursor }); // stored after (and with) the message itself
}
}
onSynced(f) {
this.replaying = false;
clearTimeout(this.replayTimer);
if (Number.isSafeInteger(f.cursor) && (this.cursor === null || f.cursor > this.cursor)) {
this.cursor = f.cursor;
this.persist({ cursor: f.cursor });
}
this.state.changed('sync');
}
async onReset(f) {
this.replaying = false;
await this.refetchRecent();
if (Number.isSafeInteger(f.cursor) && (this.cursor === null || f.cursor > this.cursor)) {
this.cursor = f.cursor;
this.persist({ cursor: f.cursor });
}
}
async refetchRecent() {
let channels = [];
try {
channels = (await this.api.channels()).channels || [];
} catch {
return;
}
for (const ch of channels) this.state.putChannel(ch);
const queue = [...channels];
const worker = async () => {
while (queue.length) {
const ch = queue.shift();
try {
const page = await this.api.messages(ch.id, { limit: PAGE });
await this.mergeLatest(ch.id, page.messages || []);
} catch { /* the channel view fetches again when opened */ }
}
};
await Promise.all([worker(), worker(), worker(), worker()]);
}
async mergeLatest(channelId, messages) {
const log = this.state.log(channelId);
log.fetchedLatest = true;
log.latestDone = true;
if (!messages.length) {
this.state.changed('messages', channelId);
return;
}
const first = messages[0].message_id;
const known = this.known(channelId);
if (known > 0 && first > known + 1) {
log.dropBefore(first);
await this.flush();
await this.writes;
await this.cache.dropBefore(channelId, first).catch(() => {});
}
for (const m of messages) this.apply(m, { live: false, persist: true });
this.state.changed('messages', channelId);
}
async catchUp(channelId, target) {
if (this.catchingUp.has(channelId)) {
const c = this.catchingUp.get(channelId);
c.target = Math.max(c.target, target);
return;
}
const job = { target };
this.catchingUp.set(channelId, job);
try {
for (let pages = 0; pages < 20; pages++) {
const after = this.known(channelId);
if (after >= job.target) break;
if (after === 0) {
const page = await this.api.messages(channelId, { limit: PAGE });
await this.mergeLatest(channelId, page.messages || []);
break;
}
const page = await this.api.messages(channelId, { after, limit: 200 });
const msgs = page.messages || [];
for (const m of msgs) this.apply(m, { live: false, persist: true });
if (!msgs.length) break;
}
if (this.known(channelId) < job.target) {
const page = await this.api.messages(channelId, { limit: PAGE });
await this.mergeLatest(channelId, page.messages || []);
}
} catch {
} finally {
this.catchingUp.delete(channelId);
}
}
known(channelId) {
const log = this.state.logs.get(channelId);
return Math.max(log ? log.newestId() : 0, this.state.lastMessage.get(channelId)?.message_id || 0);
}
apply(m, { live = false, persist = false } = {}) {
const st = this.state;
const log = st.log(m.channel_id);
const result = log.add(m, st.me.id);
if (result === 'dup') return result;
if (result === 'updated') {
if (persist) this.persist({ messages: [m] });
st.changed('messages', m.channel_id);
return result;
}
const ch = st.channels.get(m.channel_id);
if (ch) st.putChannel({ id: m.channel_id, last_message_id: m.message_id });
else this.fetchChannel(m.channel_id);
const last = st.lastMessage.get(m.channel_id);
if (!last || last.message_id < m.message_id) {
st.lastMessage.set(m.channel_id, log.byId.get(m.message_id));
st.changed('channels', m.channel_id);
}
if (persist) this.persist({ messages: [m] });
const typing = st.typing.get(m.channel_id);
if (typing && typing.delete(m.sender_id)) st.changed('typing', m.channel_id);
this.ensureUser(m.sender_id);
st.changed('messages', m.channel_id);
if (m.sender_id === st.me.id) this.hooks.ownMessage?.(m);
else if (result === 'new' && live) this.hooks.incoming?.(m);
return result;
}
onSent(f) {
const st = this.state;
const log = st.log(f.channel_id);
const entry = log.confirm(f);
if (!entry) return;
this.persist({ messages: [entry] });
if (st.channels.has(f.channel_id)) {
st.putChannel({ id: f.channel_id, last_message_id: f.message_id });
}
const last = st.lastMessage.get(f.channel_id);
if (!last || (last.message_id ?? 0) < f.message_id) st.lastMessage.set(f.channel_id, entry);
st.changed('messages', f.channel_id);
st.changed('channels', f.channel_id);
this.hooks.ownMessage?.(entry);
}
onTyping(f) {
const st = this.state;
if (!f.channel_id || f.user_id === st.me.id) return;
if (!st.typing.has(f.channel_id)) st.typing.set(f.channel_id, new Map());
st.typing.get(f.channel_id).set(f.user_id, Date.now() + TYPING_SHOW_MS);
this.ensureUser(f.user_id);
st.changed('typing', f.channel_id);
setTimeout(() => st.changed('typing', f.channel_id), TYPING_SHOW_MS + 50);
}
onRead(f) {
const st = this.state;
if (!f.channel_id || !Number.isSafeInteger(f.message_id)) return;
if (f.user_id === st.me.id) {
if (st.channels.has(f.channel_id)) {
st.putChannel({ id: f.channel_id, last_read_message_id: f.message_id });
}
return;
}
if (!st.reads.has(f.channel_id)) st.reads.set(f.channel_id, new Map());
const reads = st.reads.get(f.channel_id);
if ((reads.get(f.user_id) || 0) < f.message_id) reads.set(f.user_id, f.message_id);
this.cache.setMeta(`reads:${f.channel_id}`, Object.fromEntries(reads)).catch(() => {});
this.ensureUser(f.user_id);
st.changed('reads', f.channel_id);
}
onChannel(f) {
const st = this.state;
const ch = f.channel;
if (!ch || !ch.id) return;
const gone = f.event === 'member_removed'
&& (f.user_id === st.me.id || (Array.isArray(ch.members) && !ch.members.includes(st.me.id)));
if (gone) {
st.removeChannel(ch.id);
this.hooks.removedFromChannel?.(ch.id);
return;
}
if (f.event === 'member_removed' && !Array.isArray(ch.members)) {
this.fetchChannel(ch.id, true);
return;
}
st.putChannel(ch);
for (const id of ch.members || []) this.ensureUser(id);
}
onFriend(f) {
const st = this.state;
if (f.user) st.putUser(f.user);
if (f.event === 'removed' && f.user) {
st.friends.delete(f.user.id);
st.changed('friends');
}
this.hooks.friendEvent?.(f);
}
fetchChannel(id, removalCheck = false) {
if (this.channelFetches.has(id)) return this.channelFetches.get(id);
const p = this.api.channel(id)
.then((ch) => {
this.state.putChannel(ch);
for (const uid of ch.members || []) this.ensureUser(uid);
})
.catch((e) => {
if (removalCheck && (e.code === 'forbidden' || e.code === 'not_found')) {
this.state.removeChannel(id);
this.hooks.removedFromChannel?.(id);
}
})
.finally(() => this.channelFetches.delete(id));
this.channelFetches.set(id, p);
return p;
}
ensureUser(id) {
if (!id || this.state.users.has(id) || this.userFetches.has(id)) return;
const p = this.api.user(id)
.then((u) => {
this.state.putUser(u);
this.persist({ users: [u] });
})
.catch(() => {})
.finally(() => setTimeout(() => this.userFetches.delete(id), 30000));
this.userFetches.set(id, p);
}
}
function emptyBatch() {
return { messages: [], cursor: null, users: [], outboxPut: [], outboxDelete: [] };
}
  return { PAGE, Sync };
})();

// ---- js/chat.js
modules["chat.js"] = (() => {
  const { PAGE } = modules["sync.js"];

const OLDER_PAGE = 100;
const TYPING_EVERY_MS = 2500;
function fetchFresh(api, early = null) {
const f = early
? {
me: api.adopt(early.me, early.token),
requests: api.adopt(early.requests, early.token),
friends: api.adopt(early.friends, early.token),
channels: api.adopt(early.channels, early.token),
}
: { me: api.me(), requests: api.friendRequests(), friends: api.friends(), channels: api.channels() };
for (const p of Object.values(f)) p.catch(() => { /* handled where applied */ });
return f;
}
function newId() {
if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
const b = crypto.getRandomValues(new Uint8Array(16));
b[6] = (b[6] & 0x0f) | 0x40;
b[8] = (b[8] & 0x3f) | 0x80;
const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
let sendSeq = 0;
class Chat {
constructor({ state, cache, api, sync }) {
this.state = state;
this.cache = cache;
this.api = api;
this.sync = sync;
this.conn = null; // set by app.js once the connection exists
this.e2ee = null; // set by app.js
this.unsentReads = new Map();
this.lastTyping = new Map();
this.refreshing = null;
this.refreshedAt = 0;
this.booted = new Promise((resolve) => { this.bootDone = resolve; });
}
async boot() {
const st = this.state;
const [channels, friends, users, outbox, cursor] = await Promise.all([
this.cache.getMeta('channels').catch(() => null),
this.cache.getMeta('friends').catch(() => null),
this.cache.users().catch(() => []),
this.cache.outbox().catch(() => []),
this.cache.cursor().catch(() => null),
]);
for (const u of users || []) if (!st.users.has(u.id)) st.putUser(u);
if (!st.friendsLoaded) this.setFriends(friends || []);
if (channels && !st.channelsLoaded) {
for (const ch of channels) st.putChannel(ch);
st.channelsLoaded = true;
st.changed('channels');
}
const last = await this.cache.lastOf([...st.channels.keys()]).catch(() => new Map());
for (const [cid, m] of last) {
const known = st.lastMessage.get(cid);
if (known && (known.message_id ?? Infinity) >= m.message_id) continue;
st.lastMessage.set(cid, m);
st.changed('channels', cid);
}
this.bootDone();
for (const item of outbox || []) {
st.log(item.channel_id).addPending(item);
st.changed('messages', item.channel_id);
}
this.sync.cursor = Number.isSafeInteger(cursor) ? cursor : null;
return outbox || [];
}
async refresh({ unlessWithinMs = 0, fetched = null } = {}) {
this.flushReads();
const now = Date.now();
if (unlessWithinMs && this.refreshing && now - this.refreshedAt < unlessWithinMs) {
return this.refreshing;
}
this.refreshedAt = now;
const f = fetched || fetchFresh(this.api);
const friends = f.friends.then((r) => this.applyFriends(r));
this.refreshing = Promise.allSettled([
f.me.then((me) => this.state.putUser(me)),
f.requests.then((r) => this.applyRequests(r)),
friends,
friends.catch(() => {}).then(() => f.channels).then((r) => this.applyChannels(r)),
]);
const results = await this.refreshing;
if (results.some((r) => r.status === 'rejected')) this.refreshing = null;
return results;
}
async refreshMe() {
const me = await this.api.me();
this.state.putUser(me);
return me;
}
async refreshChannels() {
this.applyChannels(await this.api.channels());
}
applyChannels({ channels = [] }) {
const st = this.state;
const ids = new Set(channels.map((c) => c.id));
for (const id of [...st.channels.keys()]) if (!ids.has(id)) st.removeChannel(id);
for (const ch of channels) {
st.putChannel({ muted_until: null, ...ch });
if (ch.kind === 'direct') for (const uid of ch.members || []) this.sync.ensureUser(uid);
}
st.channelsLoaded = true;
st.changed('channels');
this.cache.setMeta('channels', [...st.channels.values()]).catch(() => {});
this.fillPreviews();
}
async fillPreviews() {
await this.booted; // the cache may have them
const st = this.state;
const missing = [...st.channels.values()]
.filter((ch) => ch.last_message_id > 0 && !st.lastMessage.has(ch.id))
.slice(0, 40);
const worker = async () => {
while (missing.length) {
const ch = missing.shift();
try {
const { messages = [] } = await this.api.messages(ch.id, { limit: 1 });
for (const m of messages) this.sync.apply(m, { live: false, persist: true });
} catch { /* the preview stays empty */ }
}
};
await Promise.all([worker(), worker(), worker()]);
}
setFriends(list) {
const st = this.state;
st.friends = new Map();
for (const f of list) {
if (!f.user) continue;
st.putUser(f.user);
st.friends.set(f.user.id, { user: f.user, presence: f.presence || null });
if (f.presence) st.setPresence(f.presence);
}
st.changed('friends');
}
async refreshFriends() {
this.applyFriends(await this.api.friends());
}
applyFriends({ friends = [] }) {
this.setFriends(friends);
this.state.friendsLoaded = true;
this.cache.setMeta('friends', friends).catch(() => {});
}
async refreshRequests() {
this.applyRequests(await this.api.friendRequests());
}
applyRequests(r) {
this.state.requests = { incoming: r.incoming || [], outgoing: r.outgoing || [] };
for (const q of this.state.requests.incoming) this.sync.ensureUser(q.from_user_id);
for (const q of this.state.requests.outgoing) this.sync.ensureUser(q.to_user_id);
this.state.changed('requests');
}
async openChannel(channelId) {
const st = this.state;
const log = st.log(channelId);
if (!log.loadedFromCache) {
log.loadedFromCache = true;
const [cached, reads] = await Promise.all([
this.cache.recent(channelId).catch(() => []),
this.cache.getMeta(`reads:${channelId}`).catch(() => null),
]);
for (const m of cached) this.sync.apply(m, { live: false, persist: false });
if (reads && typeof reads === 'object') {
if (!st.reads.has(channelId)) st.reads.set(channelId, new Map());
const map = st.reads.get(channelId);
for (const [uid, id] of Object.entries(reads)) {
if (Number.isSafeInteger(id) && (map.get(uid) || 0) < id) map.set(uid, id);
}
st.changed('reads', channelId);
}
st.changed('messages', channelId);
}
const ch = st.channels.get(channelId);
if (ch?.kind === 'group') this.loadMembers(ch);
else for (const uid of ch?.members || []) this.sync.ensureUser(uid);
if (!log.fetchedLatest) {
log.fetchedLatest = true;
try {
const page = await this.api.messages(channelId, { limit: PAGE });
await this.sync.mergeLatest(channelId, page.messages || []);
} catch (e) {
log.fetchedLatest = false;
throw e;
}
}
}
async loadMembers(ch) {
const ids = (ch.members || []).slice(0, 200);
for (const id of ids) this.sync.ensureUser(id);
const others = ids.filter((id) => id !== this.state.me.id && !this.state.friends.has(id));
if (!others.length) return;
try {
const { presence = [] } = await this.api.presence(others.slice(0, 100));
for (const p of presence) this.state.setPresence(p);
} catch { /* presence of non-friends is a nicety */ }
}
async loadOlder(channelId) {
const log = this.state.log(channelId);
if (log.loadingBefore || !log.latestDone || !log.moreBefore()) return;
log.loadingBefore = true;
this.state.changed('messages', channelId);
try {
const page = await this.api.messages(channelId, { before: log.oldestId(), limit: PAGE });
const msgs = page.messages || [];
if (!msgs.length) log.noMoreBefore = true;
for (const m of msgs) this.sync.apply(m, { live: false, persist: false });
} finally {
log.loadingBefore = false;
this.state.changed('messages', channelId);
}
}
send(channelId, text, { replyTo = null, attachments = [] } = {}) {
const st = this.state;
const encrypted = st.channels.get(channelId)?.encrypted;
const item = {
client_msg_id: newId(),
channel_id: channelId,
sender_id: st.me.id,
text,
reply_to: Number.isSafeInteger(replyTo) ? replyTo : null,
attachments,
created_at: new Date().toISOString(),
seq: Date.now() * 1000 + (++sendSeq % 1000),
};
const entry = st.log(channelId).addPending(encrypted ? this.e2ee.hold(item) : item);
st.lastMessage.set(channelId, entry);
st.changed('messages', channelId);
st.changed('channels', channelId);
if (encrypted) this.e2ee.send(item, entry);
else this.conn.sendMessage(item);
return item.client_msg_id;
}
async editMessage(channelId, messageId, text) {
const m = await this.api.editMessage(channelId, messageId, text);
this.sync.apply(m, { persist: true });
return m;
}
async deleteMessage(channelId, messageId) {
await this.api.deleteMessage(channelId, messageId);
}
async toggleReaction(channelId, messageId, emoji) {
const entry = this.state.log(channelId).byId.get(messageId);
const mine = Boolean(entry?.reactions?.[emoji]?.includes(this.state.me.id));
await this.api.react(channelId, messageId, emoji, !mine);
}
async search(q, opts) {
const { results } = await this.api.search(q, opts);
for (const m of results) this.sync.ensureUser(m.sender_id);
return results;
}
async loadAround(channelId, messageId) {
const log = this.state.log(channelId);
for (let pages = 0; pages < 40 && !log.byId.has(messageId); pages++) {
if (!log.latestDone || log.loadingBefore) {
await new Promise((resolve) => setTimeout(resolve, 100));
continue;
}
if (!log.moreBefore()) break;
await this.loadOlder(channelId);
}
return log.byId.has(messageId);
}
dismissFailed(channelId, cmid) {
this.state.log(channelId).removePending(cmid);
this.state.changed('messages', channelId);
}
retryFailed(channelId, cmid) {
const entry = this.state.log(channelId).pending.get(cmid);
if (!entry) return;
this.dismissFailed(channelId, cmid);
const held = this.state.decrypted.get(entry.key); // an encrypted channel's
this.send(channelId, held ? held.text : entry.text, {
replyTo: entry.reply_to ?? null, attachments: (held ? held.files : entry.attachments) || [],
});
}
markRead(channelId, messageId) {
const ch = this.state.channels.get(channelId);
if (!ch || !Number.isSafeInteger(messageId) || messageId <= (ch.last_read_message_id || 0)) {
return;
}
this.state.putChannel({ id: channelId, last_read_message_id: messageId });
const frame = { type: 'read', channel_id: channelId, message_id: messageId };
if (!this.conn?.send(frame)) this.unsentReads.set(channelId, messageId);
else this.unsentReads.delete(channelId);
}
flushReads() {
for (const [cid, id] of this.unsentReads) {
if (this.conn.send({ type: 'read', channel_id: cid, message_id: id })) {
this.unsentReads.delete(cid);
}
}
}
typing(channelId) {
const now = Date.now();
if (now - (this.lastTyping.get(channelId) || 0) < TYPING_EVERY_MS) return;
if (this.conn?.send({ type: 'typing', channel_id: channelId })) {
this.lastTyping.set(channelId, now);
}
}
async startDirect(userId) {
const ch = await this.api.openDirect(userId);
this.state.putChannel(ch);
return ch.id;
}
async createGroup(name, memberIds, { encrypted = false } = {}) {
const ch = await this.api.createGroup(name, memberIds, encrypted);
this.state.putChannel(ch);
return ch.id;
}
async addMember(channelId, userId) {
await this.api.addMember(channelId, userId);
await this.sync.fetchChannel(channelId);
}
async removeMember(channelId, userId) {
await this.api.removeMember(channelId, userId);
await this.sync.fetchChannel(channelId);
}
async leave(channelId) {
await this.api.removeMember(channelId, this.state.me.id);
this.state.removeChannel(channelId);
this.state.logs.delete(channelId);
this.cache.dropChannel(channelId).catch(() => {});
}
async searchUsers(username) {
const { users = [] } = await this.api.findUsers(username);
for (const u of users) this.state.putUser(u);
return users;
}
async sendFriendRequest(userId) {
await this.api.sendFriendRequest(userId);
await this.refreshRequests();
}
async acceptRequest(id) {
const res = await this.api.acceptRequest(id);
if (res?.friend) this.state.putUser(res.friend);
await Promise.allSettled([this.refreshRequests(), this.refreshFriends()]);
}
async declineRequest(id) {
await this.api.declineRequest(id);
await this.refreshRequests();
}
async removeFriend(userId) {
await this.api.removeFriend(userId);
await this.refreshFriends();
}
async updateProfile(changes) {
const me = await this.api.updateMe(changes);
this.state.putUser(me);
return me;
}
}
  return { fetchFresh, newId, Chat };
})();

// ---- js/dom.js
modules["dom.js"] = (() => {
function h(tag, attrs = {}, ...children) {
const el = document.createElement(tag);
for (const [name, value] of Object.entries(attrs || {})) {
if (value === null || value === undefined || value === false) continue;
if (name === 'dataset') Object.assign(el.dataset, value);
else if (name === 'class') el.className = value;
else if (name === 'text') el.textContent = value;
else if (name.startsWith('on') && typeof value === 'function') {
el.addEventListener(name.slice(2), value);
} else if (name in el && typeof value !== 'string') el[name] = value;
else el.setAttribute(name, value === true ? '' : String(value));
}
append(el, children);
return el;
}
function append(el, children) {
for (const child of children) {
if (child === null || child === undefined || child === false) continue;
if (Array.isArray(child)) append(el, child);
else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
}
}
const $ = (sel, root = document) => root.querySelector(sel);
const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);
function clear(el) {
while (el.firstChild) el.firstChild.remove();
}
function setText(el, text) {
if (el.textContent !== text) el.textContent = text;
}
function reconcile(container, items, keyOf, create, update) {
const existing = new Map();
for (const el of Array.from(container.children)) {
if (el.dataset.key !== undefined) existing.set(el.dataset.key, el);
}
let prev = null;
for (const item of items) {
const key = String(keyOf(item));
let el = existing.get(key);
if (el) existing.delete(key);
else {
el = create(item);
el.dataset.key = key;
}
if (update) update(el, item);
const want = prev ? prev.nextSibling : container.firstChild;
if (want !== el) container.insertBefore(el, want);
prev = el;
}
for (const el of existing.values()) el.remove();
}
function safeUrl(raw) {
if (!raw || typeof raw !== 'string') return null;
try {
const url = new URL(raw, location.href);
return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
} catch {
return null;
}
}
const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}]/g;
function appendLinkified(el, text) {
let last = 0;
if (text.length <= 20000) {
for (const match of text.matchAll(URL_RE)) {
const href = safeUrl(match[0]);
if (!href) continue;
if (match.index > last) el.append(document.createTextNode(text.slice(last, match.index)));
const a = document.createElement('a');
a.href = href;
a.target = '_blank';
a.rel = 'noopener noreferrer nofollow';
a.textContent = match[0];
el.append(a);
last = match.index + match[0].length;
}
}
if (last < text.length) el.append(document.createTextNode(text.slice(last)));
}
function initials(name) {
const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
const letters = parts.slice(0, 2).map((p) => Array.from(p)[0] || '');
return (letters.join('') || '?').toUpperCase();
}
function avatar(user, size = 'md') {
const name = displayName(user);
const box = h('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true' });
fillAvatar(box, user, name);
return box;
}
function fillAvatar(box, user, name = displayName(user)) {
const img = user?.avatar_img;
const src = img && user.avatar_id && img.id === user.avatar_id ? img.url : '';
if (box.dataset.src === (src || '') && box.dataset.name === name) return;
box.dataset.src = src || '';
box.dataset.name = name;
clear(box);
box.style.setProperty('--hue', String(hue(user?.id || name)));
if (src) {
const picture = h('img', { alt: '', src, dataset: { testid: 'avatar-image' } });
picture.addEventListener('error', () => {
picture.remove();
box.textContent = initials(name);
});
box.append(picture);
} else box.textContent = initials(name);
}
function hue(s) {
let x = 0;
for (const ch of String(s)) x = (x * 31 + ch.codePointAt(0)) % 360;
return x;
}
function displayName(user) {
if (!user) return 'Unknown';
if (user.created_at && !user.username) return 'Deleted user';
return user.display_name || user.username || 'Unknown';
}
function parseTime(value) {
if (value === null || value === undefined || value === '') return null;
const t = typeof value === 'number' ? value : Date.parse(value);
return Number.isFinite(t) ? t : null;
}
const formats = {};
function format(name, options) {
if (!formats[name]) formats[name] = new Intl.DateTimeFormat(undefined, options);
return formats[name];
}
function formatTime(value) {
const t = parseTime(value);
if (t === null) return '';
const d = new Date(t);
const now = new Date();
const time = format('time', { hour: '2-digit', minute: '2-digit' }).format(d);
if (d.toDateString() === now.toDateString()) return time;
const date = d.getFullYear() === now.getFullYear()
? format('day', { month: 'short', day: 'numeric' }).format(d)
: format('date', { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
return `${date}, ${time}`;
}
function fullTime(value) {
const t = parseTime(value);
return t === null ? '' : format('full', { dateStyle: 'short', timeStyle: 'medium' }).format(t);
}
function relativeTime(value, now = Date.now()) {
const t = parseTime(value);
if (t === null) return 'a while ago';
const s = Math.max(0, Math.round((now - t) / 1000));
if (s < 60) return 'just now';
const m = Math.round(s / 60);
if (m < 60) return `${m} min ago`;
const hrs = Math.round(m / 60);
if (hrs < 24) return `${hrs} h ago`;
const days = Math.round(hrs / 24);
if (days < 7) return `${days} d ago`;
return new Date(t).toLocaleDateString();
}
function focusFirst(root) {
const el = root.querySelector('[autofocus], input:not([type=hidden]), textarea, select, button');
if (el) el.focus();
}
  return { h, $, byTestId, clear, setText, reconcile, safeUrl, appendLinkified, initials, avatar, fillAvatar, displayName, parseTime, formatTime, fullTime, relativeTime, focusFirst };
})();

// ---- js/notify.js
modules["notify.js"] = (() => {
const MUTED_KEY = 'chinwag.muted';
const pushKey = (userId) => `chinwag.push.${userId}`;
const BASE_TITLE = 'chinwag';
class Sound {
constructor() {
this.ctx = null;
this.muted = localStorage.getItem(MUTED_KEY) === '1';
this.lastBeep = 0;
const unlock = () => {
this.context();
window.removeEventListener('pointerdown', unlock);
window.removeEventListener('keydown', unlock);
};
window.addEventListener('pointerdown', unlock);
window.addEventListener('keydown', unlock);
}
context() {
const Ctx = window.AudioContext || window.webkitAudioContext;
if (!Ctx) return null;
if (!this.ctx) {
try {
this.ctx = new Ctx();
} catch {
return null;
}
}
if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
return this.ctx;
}
setMuted(muted) {
this.muted = muted;
localStorage.setItem(MUTED_KEY, muted ? '1' : '0');
}
beep() {
const now = Date.now();
if (this.muted || now - this.lastBeep < 800) return;
this.lastBeep = now;
const ctx = this.ctx;
if (!ctx || ctx.state !== 'running') return;
const t = ctx.currentTime;
const osc = ctx.createOscillator();
const gain = ctx.createGain();
osc.type = 'sine';
osc.frequency.setValueAtTime(880, t);
osc.frequency.setValueAtTime(1320, t + 0.09);
gain.gain.setValueAtTime(0.0001, t);
gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
osc.connect(gain).connect(ctx.destination);
osc.start(t);
osc.stop(t + 0.3);
}
}
function setTitleCount(count) {
const title = count > 0 ? `(${count > 999 ? '999+' : count}) ${BASE_TITLE}` : BASE_TITLE;
if (document.title !== title) document.title = title;
}
function pushSupported() {
return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
&& window.isSecureContext;
}
function notificationsGranted() {
return 'Notification' in window && Notification.permission === 'granted';
}
async function showLocalNotification({ title, body, channelId }) {
if (!notificationsGranted() || !('serviceWorker' in navigator)) return;
try {
const reg = await navigator.serviceWorker.getRegistration();
if (!reg) return;
await reg.showNotification(title, {
body, tag: `channel-${channelId}`, renotify: true, data: { channel_id: channelId },
});
} catch { /* notifications are best effort */ }
}
function base64UrlToBytes(s) {
const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
const raw = atob(b64);
return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}
function bytesToBase64Url(buf) {
const bytes = new Uint8Array(buf);
let s = '';
for (const b of bytes) s += String.fromCharCode(b);
return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
async function enablePush(api, userId) {
if (!pushSupported()) {
throw new Error('This browser cannot receive push notifications here'
+ (window.isSecureContext ? '.' : ' (the page must be served over HTTPS).'));
}
const permission = await Notification.requestPermission();
if (permission !== 'granted') {
throw new Error('Notifications are blocked. Allow them in the browser settings to enable.');
}
try {
return await subscribe(api, userId);
} catch (e) {
if (e && e.code && typeof e.code === 'string') throw e; // an ApiError: shown as such
throw new Error(`Could not turn on notifications: ${e?.message || e}`);
}
}
async function subscribe(api, userId) {
const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
await withTimeout(navigator.serviceWorker.ready, 10000, 'The notification worker did not start.');
const { key } = await api.vapidKey();
const applicationServerKey = base64UrlToBytes(key);
let sub = await reg.pushManager.getSubscription();
if (sub && !sameKey(sub, applicationServerKey)) {
await sub.unsubscribe();
sub = null;
}
if (!sub) {
sub = await withTimeout(
reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }),
20000, 'The browser\'s push service did not answer. Try again later.');
}
const json = sub.toJSON();
const keys = json.keys || {
p256dh: bytesToBase64Url(sub.getKey('p256dh')),
auth: bytesToBase64Url(sub.getKey('auth')),
};
const res = await api.addPushSubscription({
kind: 'webpush', endpoint: sub.endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth },
});
if (res && res.id) localStorage.setItem(pushKey(userId), String(res.id));
return 'Notifications are on for this browser.';
}
function withTimeout(promise, ms, message) {
let timer;
const timeout = new Promise((_, reject) => {
timer = setTimeout(() => reject(new Error(message)), ms);
});
return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
function sameKey(sub, key) {
const current = sub.options && sub.options.applicationServerKey;
if (!current) return true;
const a = new Uint8Array(current);
return a.length === key.length && a.every((x, i) => x === key[i]);
}
function pushEnabled(userId) {
return notificationsGranted() && !!localStorage.getItem(pushKey(userId));
}
async function disablePush(api, userId) {
const id = localStorage.getItem(pushKey(userId));
localStorage.removeItem(pushKey(userId));
if (id) await api.removePushSubscription(id).catch(() => {});
try {
const reg = await navigator.serviceWorker?.getRegistration();
const sub = await reg?.pushManager?.getSubscription();
if (sub) await sub.unsubscribe();
} catch { /* nothing to undo */ }
}
  return { Sound, setTitleCount, pushSupported, notificationsGranted, showLocalNotification, enablePush, pushEnabled, disablePush };
})();

// ---- js/pwa.js
modules["pwa.js"] = (() => {
const CHECK_EVERY_MS = 60 * 60 * 1000;
const RELOAD_ANYWAY_MS = 3000;
async function startServiceWorker({ onUpdateReady }) {
if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
const sw = navigator.serviceWorker;
let applying = false;
sw.addEventListener('controllerchange', () => {
if (applying) location.reload();
});
let reg;
try {
reg = await sw.register('/sw.js', { scope: '/' });
} catch (e) {
console.warn('chinwag: no service worker, so no offline start', e);
return null;
}
if (!reg) return null; // registration refused without an error (service workers blocked)
const apply = () => {
applying = true;
const waiting = reg.waiting;
if (!waiting) {
location.reload(); // it has taken over already
return;
}
waiting.postMessage({ type: 'skip-waiting' });
setTimeout(() => location.reload(), RELOAD_ANYWAY_MS);
};
let announced = null;
const watch = (worker) => {
if (!worker) return;
const check = () => {
if (worker.state === 'installed' && sw.controller && announced !== worker) {
announced = worker;
onUpdateReady(apply);
}
};
worker.addEventListener('statechange', check);
check();
};
watch(reg.waiting);
watch(reg.installing);
reg.addEventListener('updatefound', () => watch(reg.installing));
const update = () => reg.update().catch(() => { /* offline: next time */ });
document.addEventListener('visibilitychange', () => { if (!document.hidden) update(); });
setInterval(update, CHECK_EVERY_MS);
return reg;
}
  return { startServiceWorker };
})();

// ---- js/router.js
modules["router.js"] = (() => {
function channelFromHash(hash = location.hash) {
const m = hash.match(/^#\/c\/(.+)$/);
if (!m) return null;
try {
return decodeURIComponent(m[1]);
} catch {
return null;
}
}
const hashOf = (channelId) => (channelId ? `#/c/${encodeURIComponent(channelId)}` : '#/');
class Router {
constructor(onRoute) {
this.onRoute = onRoute;
const changed = () => this.onRoute(channelFromHash());
window.addEventListener('popstate', changed);
window.addEventListener('hashchange', changed);
}
current() {
return channelFromHash();
}
go(channelId) {
const hash = hashOf(channelId);
if (location.hash === hash) {
this.onRoute(channelId);
return;
}
if (!channelId && history.state?.overList) {
history.back(); // the entry below is the list we came from
return;
}
const fromList = !channelFromHash();
history.pushState({ overList: !!channelId && fromList }, '', hash);
this.onRoute(channelId);
}
clear() {
if (location.hash) history.replaceState(null, '', location.pathname + location.search);
}
}
  return { channelFromHash, Router };
})();

// ---- js/socket.js
modules["socket.js"] = (() => {
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const HELLO_TIMEOUT_MS = 15000;
const RESEND_AFTER_MS = 15000;
const FAILED_GATEWAY_MS = 30000;
const RETRYABLE = new Set(['rate_limited', 'unavailable', 'internal']);
class Outbox {
constructor(hooks = {}) {
this.items = new Map();
this.hooks = hooks; // {put(item), remove(cmid), failed(item, frame)}
}
load(items) {
for (const item of [...items].sort((a, b) => a.seq - b.seq)) {
this.items.set(item.client_msg_id, { ...item, lastSentAt: 0, notBefore: 0 });
}
}
add(item) {
const entry = { ...item, lastSentAt: 0, notBefore: 0 };
this.items.set(item.client_msg_id, entry);
this.hooks.put?.(stripTransient(entry));
return entry;
}
ack(cmid) {
if (!this.items.delete(cmid)) return false;
this.hooks.remove?.(cmid);
return true;
}
fail(frame) {
const item = this.items.get(frame.ref);
if (!item) return false;
if (RETRYABLE.has(frame.code)) {
const wait = frame.retry_after ? frame.retry_after * 1000 : 3000;
item.notBefore = Date.now() + wait;
item.lastSentAt = 0;
return true;
}
this.items.delete(frame.ref);
this.hooks.remove?.(frame.ref);
this.hooks.failed?.(item, frame);
return true;
}
due(now, all) {
return [...this.items.values()].filter((i) => i.notBefore <= now
&& (all || !i.lastSentAt || now - i.lastSentAt >= RESEND_AFTER_MS));
}
}
function stripTransient({ lastSentAt, notBefore, ...rest }) {
return rest;
}
function sameOriginWsUrl() {
return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/ws`;
}
function normalizeWsUrl(raw) {
try {
const u = new URL(raw, location.href);
if (u.protocol === 'http:') u.protocol = 'ws:';
else if (u.protocol === 'https:') u.protocol = 'wss:';
if (location.protocol === 'https:' && u.protocol === 'ws:') u.protocol = 'wss:';
if (['0.0.0.0', '[::]', '::'].includes(u.hostname)) u.hostname = location.hostname;
return u.protocol === 'ws:' || u.protocol === 'wss:' ? u.href : null;
} catch {
return null;
}
}
function backoffDelay(attempt) {
const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 16));
return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter"
}
class Connection {
constructor(o) {
this.o = o;
this.outbox = o.outbox;
this.gateways = o.gateways || [];
this.discover = this.gateways.length === 0;
this.ws = null;
this.ready = false;
this.stopped = true;
this.attempt = 0;
this.failed = new Map();
this.timer = null;
this.heartbeat = null;
this.state = { state: 'offline', retryAt: null };
this.onOnline = () => this.retryNow();
this.onVisible = () => { if (!document.hidden) this.retryNow(); };
}
start() {
if (!this.stopped) return;
this.stopped = false;
window.addEventListener('online', this.onOnline);
document.addEventListener('visibilitychange', this.onVisible);
this.connect();
}
stop() {
this.stopped = true;
window.removeEventListener('online', this.onOnline);
document.removeEventListener('visibilitychange', this.onVisible);
clearTimeout(this.timer);
const ws = this.ws;
this.cleanup();
if (ws) {
ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
try { ws.close(1000, 'bye'); } catch { /* already closed */ }
}
this.setState('offline');
}
retryNow() {
if (this.stopped || this.ws || this.connecting) return;
clearTimeout(this.timer);
this.attempt = Math.max(0, this.attempt - 1);
this.connect();
}
setState(state, retryAt = null) {
this.state = { state, retryAt };
this.o.onState?.(this.state);
}
send(frame) {
if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
this.ws.send(JSON.stringify(frame));
this.lastSent = Date.now();
return true;
}
sendMessage(item) {
const entry = this.outbox.add(item);
this.transmit(entry);
}
transmit(entry) {
const frame = {
type: 'send', channel_id: entry.channel_id,
client_msg_id: entry.client_msg_id, text: entry.text,
};
if (Number.isSafeInteger(entry.reply_to)) frame.reply_to = entry.reply_to;
if (entry.attachments?.length) frame.attachment_ids = entry.attachments.map((a) => a.id);
if (entry.encrypted) {
frame.encrypted = entry.encrypted;
delete frame.text;
}
const ok = this.send(frame);
if (ok) entry.lastSentAt = Date.now();
}
flushOutbox(all) {
for (const entry of this.outbox.due(Date.now(), all)) this.transmit(entry);
}
async pickUrl() {
if (this.discover || this.gateways.length === 0) {
try {
const signal = AbortSignal.timeout ? AbortSignal.timeout(5000) : undefined;
const res = await this.o.api.discovery({ signal });
if (res && Array.isArray(res.gateways) && res.gateways.length) this.gateways = res.gateways;
} catch {
}
}
this.discover = true;
const now = Date.now();
const urls = this.gateways.map((g) => normalizeWsUrl(g && g.url)).filter(Boolean);
urls.push(sameOriginWsUrl());
const usable = urls.find((u) => !((this.failed.get(u) || 0) > now));
if (usable) return usable;
this.failed.clear();
return urls[0];
}
async connect() {
this.timer = null;
if (this.connecting) return;
this.connecting = true;
this.setState('connecting');
let url;
try {
url = await this.pickUrl();
} finally {
this.connecting = false;
}
if (this.stopped || this.ws) return;
const token = this.o.getToken();
if (!token) {
this.stopped = true;
this.o.onAuthFailed?.();
return;
}
let ws;
try {
ws = new WebSocket(url);
} catch {
this.failed.set(url, Date.now() + FAILED_GATEWAY_MS);
this.scheduleReconnect(backoffDelay(this.attempt++));
return;
}
this.ws = ws;
this.url = url;
this.welcomed = false;
this.helloTimer = setTimeout(() => this.abort(ws), HELLO_TIMEOUT_MS);
ws.onopen = () => {
const hello = { type: 'hello', token };
const cursor = this.o.getCursor();
if (Number.isSafeInteger(cursor)) hello.cursor = cursor;
ws.send(JSON.stringify(hello));
this.lastSent = Date.now();
};
ws.onmessage = (ev) => this.receive(ws, ev.data);
ws.onclose = (ev) => this.closed(ws, ev.code);
ws.onerror = () => { /* a close event follows */ };
}
receive(ws, data) {
if (ws !== this.ws) return;
this.lastRecv = Date.now();
let frame;
try {
frame = JSON.parse(data);
} catch {
return;
}
if (!frame || typeof frame.type !== 'string') return;
if (frame.type === 'welcome') {
clearTimeout(this.helloTimer);
this.welcomed = true;
this.ready = true;
this.attempt = 0;
this.failed.delete(this.url);
this.startHeartbeat(frame.heartbeat_interval);
this.setState('online');
} else if (frame.type === 'sent') {
this.outbox.ack(frame.client_msg_id);
} else if (frame.type === 'error' && frame.ref) {
this.outbox.fail(frame);
}
try {
this.o.onFrame(frame);
} catch (e) {
console.error('chinwag: failed to handle a frame', frame.type, e);
}
if (frame.type === 'welcome') this.flushOutbox(true);
}
startHeartbeat(seconds) {
clearInterval(this.heartbeat);
const ms = Math.max(1000, (Number(seconds) || 5) * 1000);
this.pingSentAt = 0;
this.heartbeat = setInterval(() => {
const now = Date.now();
const ws = this.ws;
if (!ws || !this.ready) return;
const outstanding = this.pingSentAt > this.lastRecv;
if (outstanding && now - this.pingSentAt > 2 * ms + 5000) {
this.abort(ws);
return;
}
if (!outstanding && (now - this.lastSent >= ms * 0.8 || now - this.lastRecv >= ms)) {
if (this.send({ type: 'ping' })) this.pingSentAt = now;
}
this.flushOutbox(false);
}, Math.max(500, ms / 2));
}
cleanup() {
clearTimeout(this.helloTimer);
clearInterval(this.heartbeat);
this.heartbeat = null;
this.ws = null;
this.ready = false;
}
abort(ws) {
if (ws !== this.ws) return;
ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
try { ws.close(); } catch { /* ignore */ }
this.closed(ws, 1006);
}
closed(ws, code) {
if (ws !== this.ws) return;
const welcomed = this.welcomed;
this.cleanup();
if (this.stopped) return;
if (code === 4001) {
this.stopped = true;
this.setState('offline');
this.o.onAuthFailed?.();
return;
}
if (!welcomed || code === 1001) this.failed.set(this.url, Date.now() + FAILED_GATEWAY_MS);
let delay;
if (code === 4009) delay = Math.round(Math.random() * 500); // too slow: resync at once
else if (code === 1001) delay = 200 + Math.round(Math.random() * 1500); // gateway going away
else if (code === 4008) delay = Math.max(5000, backoffDelay(this.attempt++));
else delay = backoffDelay(this.attempt++);
this.discover = true;
this.scheduleReconnect(delay);
}
scheduleReconnect(delay) {
clearTimeout(this.timer);
this.setState('offline', Date.now() + delay);
this.timer = setTimeout(() => this.connect(), delay);
}
}
  return { Outbox, sameOriginWsUrl, normalizeWsUrl, backoffDelay, Connection };
})();

// ---- js/state.js
modules["state.js"] = (() => {
let localSeq = 0;
function stateOf(m) {
return {
text: m.text,
attachments: m.attachments || [],
reply_to: m.reply_to ?? null,
edited_at: m.edited_at ?? null,
deleted: Boolean(m.deleted),
reactions: m.reactions || {},
mentions: m.mentions || [],
encrypted: m.encrypted ?? null,
};
}
function staleCopy(known, m) {
if (known.deleted) return !m.deleted;
if (m.deleted || !known.edited_at) return false;
return !m.edited_at || Date.parse(m.edited_at) < Date.parse(known.edited_at);
}
function changedState(known, m) {
const now = stateOf(m);
return known.text !== now.text || known.edited_at !== now.edited_at
|| Boolean(known.deleted) !== now.deleted || known.reply_to !== now.reply_to
|| JSON.stringify(known.reactions || {}) !== JSON.stringify(now.reactions)
|| (known.attachments || []).map((a) => a.id).join() !== now.attachments.map((a) => a.id).join();
}
class ChannelLog {
constructor(channelId) {
this.channelId = channelId;
this.byId = new Map();
this.pending = new Map(); // client_msg_id -> entry without a message_id yet
this.loadedFromCache = false;
this.fetchedLatest = false; // the newest page was requested
this.latestDone = false; // ... and merged
this.noMoreBefore = false; // the server had nothing older
this.loadingBefore = false;
this.sortedCache = null;
this.added = null; // messages added since the list was last sorted
}
dirty() {
this.sortedCache = null;
this.added = null;
}
add(m, meId) {
const known = this.byId.get(m.message_id);
if (known) {
if (!changedState(known, m) || staleCopy(known, m)) return 'dup';
Object.assign(known, stateOf(m));
this.dirty();
return 'updated';
}
const mine = m.sender_id === meId && m.client_msg_id;
const pending = mine ? this.pending.get(m.client_msg_id) : null;
if (pending) {
this.pending.delete(m.client_msg_id);
Object.assign(pending, {
message_id: m.message_id, created_at: m.created_at, state: 'sent', ...stateOf(m),
attachments: m.attachments || pending.attachments || [],
});
this.byId.set(m.message_id, pending);
this.dirty();
return 'confirmed';
}
const entry = {
key: `m:${m.message_id}`,
channel_id: m.channel_id,
message_id: m.message_id,
sender_id: m.sender_id,
text: m.text,
attachments: m.attachments || [],
created_at: m.created_at,
client_msg_id: m.client_msg_id ?? null,
state: 'sent',
...stateOf(m),
};
this.byId.set(m.message_id, entry);
if (this.sortedCache) (this.added ||= []).push(entry);
return 'new';
}
addPending(item) {
const entry = {
key: `c:${item.client_msg_id}`,
channel_id: item.channel_id,
message_id: null,
sender_id: item.sender_id,
text: item.text,
attachments: item.attachments || [],
created_at: item.created_at,
client_msg_id: item.client_msg_id,
reply_to: item.reply_to ?? null,
edited_at: null,
deleted: false,
reactions: {},
mentions: [],
encrypted: item.encrypted ?? null,
state: 'pending',
seq: item.seq ?? ++localSeq,
};
this.pending.set(item.client_msg_id, entry);
this.dirty();
return entry;
}
confirm(frame) {
const entry = this.pending.get(frame.client_msg_id);
if (!entry) return null;
this.pending.delete(frame.client_msg_id);
if (this.byId.has(frame.message_id)) {
this.dirty();
return this.byId.get(frame.message_id);
}
Object.assign(entry, { message_id: frame.message_id, created_at: frame.created_at || entry.created_at, state: 'sent' });
this.byId.set(frame.message_id, entry);
this.dirty();
return entry;
}
fail(cmid, error) {
const entry = this.pending.get(cmid);
if (!entry) return null;
entry.state = 'failed';
entry.error = error;
this.dirty();
return entry;
}
removePending(cmid) {
if (this.pending.delete(cmid)) this.dirty();
}
dropBefore(id) {
for (const key of [...this.byId.keys()]) if (key < id) this.byId.delete(key);
this.dirty();
}
sorted() {
if (this.sortedCache && this.added) {
const added = this.added.sort((a, b) => a.message_id - b.message_id);
const all = this.sortedCache;
const head = all[0];
const tail = all[all.length - 1];
if (head && head.message_id !== null && added[added.length - 1].message_id < head.message_id) {
this.sortedCache = added.concat(all);
} else if (!this.pending.size && (!tail || added[0].message_id > tail.message_id)) {
this.sortedCache = all.concat(added);
} else this.sortedCache = null;
this.added = null;
}
if (!this.sortedCache) {
const confirmed = [...this.byId.values()].sort((a, b) => a.message_id - b.message_id);
const pending = [...this.pending.values()].sort((a, b) => a.seq - b.seq);
this.sortedCache = confirmed.concat(pending);
}
return this.sortedCache;
}
moreBefore() {
const oldest = this.oldestId();
return !this.noMoreBefore && oldest !== null && oldest > 1;
}
oldestId() {
const first = this.byId.size ? this.sorted()[0] : null;
return first ? first.message_id : null;
}
newestId() {
let max = 0;
for (const id of this.byId.keys()) if (id > max) max = id;
return max;
}
last() {
const all = this.sorted();
return all.length ? all[all.length - 1] : null;
}
}
class ChatState extends EventTarget {
constructor(me) {
super();
this.me = me;
this.users = new Map([[me.id, me]]);
this.friends = new Map(); // user id -> {user, presence}
this.presence = new Map(); // user id -> Presence
this.requests = { incoming: [], outgoing: [] };
this.channels = new Map(); // id -> Channel (+ last_read_message_id)
this.channelsLoaded = false; // from the cache or the server: an empty list means none
this.friendsLoaded = false; // from the server
this.logs = new Map();
this.lastMessage = new Map(); // channel id -> newest known message (list preview)
this.typing = new Map(); // channel id -> Map(user id -> expiry ms)
this.reads = new Map(); // channel id -> Map(user id -> message_id), other members
this.decrypted = new Map(); // message key -> {text, content}, in memory only
this.connection = { state: 'connecting', retryAt: null };
this.currentChannelId = null;
this.pendingEvents = new Map();
this.flushTimer = null;
this.flushedAt = -Infinity;
}
changed(type, key = '*') {
if (this.disposed) return;
if (!this.pendingEvents.has(type)) this.pendingEvents.set(type, new Set());
this.pendingEvents.get(type).add(key);
if (!this.flushTimer) {
const wait = Math.max(0, 16 - (performance.now() - this.flushedAt));
this.flushTimer = setTimeout(() => this.flush(), wait);
}
}
dispose() {
this.disposed = true;
clearTimeout(this.flushTimer);
this.pendingEvents.clear();
}
flush() {
clearTimeout(this.flushTimer);
this.flushTimer = null;
this.flushedAt = performance.now();
if (this.disposed) return;
const events = this.pendingEvents;
this.pendingEvents = new Map();
for (const [type, keys] of events) this.dispatchEvent(new CustomEvent(type, { detail: keys }));
}
on(type, fn) {
this.addEventListener(type, (e) => fn(e.detail));
}
log(channelId) {
let log = this.logs.get(channelId);
if (!log) {
log = new ChannelLog(channelId);
this.logs.set(channelId, log);
}
return log;
}
user(id) {
return this.users.get(id) || null;
}
putUser(user) {
if (!user || !user.id) return;
this.users.set(user.id, { ...this.users.get(user.id), ...user });
if (user.id === this.me.id) {
this.me = { ...this.me, ...user };
this.changed('me');
}
this.changed('users', user.id);
}
putChannel(ch) {
const old = this.channels.get(ch.id) || {};
const merged = { ...old, ...ch };
merged.last_message_id = Math.max(old.last_message_id || 0, ch.last_message_id || 0);
merged.last_read_message_id = Math.max(
old.last_read_message_id || 0, ch.last_read_message_id || 0);
if (!ch.members && old.members) merged.members = old.members;
this.channels.set(ch.id, merged);
this.changed('channels', ch.id);
return merged;
}
removeChannel(id) {
if (this.channels.delete(id)) this.changed('channels', id);
}
unread(channelId) {
const ch = this.channels.get(channelId);
if (!ch) return 0;
return Math.max(0, (ch.last_message_id || 0) - (ch.last_read_message_id || 0));
}
totalUnread() {
let n = 0;
for (const id of this.channels.keys()) n += this.unread(id);
return n;
}
activity(channelId) {
const m = this.lastMessage.get(channelId);
const t = Date.parse(m?.created_at ?? this.channels.get(channelId)?.created_at ?? '');
return Number.isFinite(t) ? t : 0;
}
setPresence(p) {
if (!p || !p.user_id) return;
this.presence.set(p.user_id, { ...this.presence.get(p.user_id), ...p });
const f = this.friends.get(p.user_id);
if (f) f.presence = this.presence.get(p.user_id);
this.changed('presence', p.user_id);
}
others(channelId) {
const ch = this.channels.get(channelId);
return (ch?.members || []).filter((id) => id !== this.me.id);
}
typingUsers(channelId, now = Date.now()) {
const map = this.typing.get(channelId);
if (!map) return [];
return [...map.entries()].filter(([, exp]) => exp > now).map(([uid]) => uid);
}
}
  return { stateOf, ChannelLog, ChatState };
})();

// ---- js/snapshot.js
modules["snapshot.js"] = (() => {
const VERSION = 1;
const SAVE_AFTER_MS = 1000;
const PREVIEW_CHARS = 160;
const key = (userId) => `chinwag.list.${userId}`;
function loadSnapshot(userId) {
try {
const s = JSON.parse(localStorage.getItem(key(userId)) || 'null');
return s && s.v === VERSION && Array.isArray(s.channels) ? s : null;
} catch {
return null;
}
}
function applySnapshot(state, snap) {
if (!snap || state.channelsLoaded) return;
for (const u of snap.users || []) if (!state.users.has(u.id)) state.putUser(u);
for (const ch of snap.channels) state.putChannel(ch);
for (const m of snap.last || []) if (!state.lastMessage.has(m.channel_id)) state.lastMessage.set(m.channel_id, m);
state.channelsLoaded = true;
state.changed('channels');
state.flush();
}
function take(state) {
const users = new Map();
const keep = (id) => {
const u = state.users.get(id);
if (u && !users.has(id)) {
users.set(id, {
id, username: u.username, display_name: u.display_name, avatar_url: u.avatar_url, avatar_id: u.avatar_id,
});
}
};
const last = [];
for (const ch of state.channels.values()) {
if (ch.kind === 'direct') for (const id of ch.members || []) keep(id);
const m = state.lastMessage.get(ch.id);
if (!m) continue;
keep(m.sender_id);
last.push({
channel_id: m.channel_id, message_id: m.message_id, sender_id: m.sender_id,
text: m.text.slice(0, PREVIEW_CHARS), created_at: m.created_at, state: m.state,
});
}
const channels = [...state.channels.values()].map((ch) => (ch.kind === 'group' ? { ...ch, members: undefined } : ch));
return { v: VERSION, channels, last, users: [...users.values()] };
}
function trackSnapshot(state, userId, signal) {
let timer = null;
const save = () => {
clearTimeout(timer);
timer = null;
if (!state.channelsLoaded || signal.aborted) return;
try {
localStorage.setItem(key(userId), JSON.stringify(take(state)));
} catch { /* full or unavailable: the next start reads IndexedDB instead */ }
};
state.on('channels', () => { if (!timer) timer = setTimeout(save, SAVE_AFTER_MS); });
window.addEventListener('pagehide', () => { if (timer) save(); }, { signal });
signal.addEventListener('abort', () => clearTimeout(timer));
}
function dropSnapshot(userId) {
try {
localStorage.removeItem(key(userId));
} catch { /* nothing to drop */ }
}
  return { loadSnapshot, applySnapshot, trackSnapshot, dropSnapshot };
})();

// ---- js/ui/auth.js
modules["ui/auth.js"] = (() => {
  const { friendlyError } = modules["api.js"];
  const { byTestId } = modules["dom.js"];


const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;
function deviceName() {
const ua = navigator.userAgent;
const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox'
: /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS'
: /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows'
: /Linux/.test(ua) ? 'Linux' : 'web';
return `${browser} on ${os}`;
}
function mountAuth({ api, onLoggedIn }) {
const loginForm = byTestId('login-form');
const signupForm = byTestId('signup-form');
const loginError = byTestId('login-error');
const signupError = byTestId('signup-error');
const show = (which) => {
loginForm.hidden = which !== 'login';
signupForm.hidden = which !== 'signup';
loginError.textContent = '';
signupError.textContent = '';
(which === 'login' ? byTestId('login-username') : byTestId('signup-username')).focus();
};
byTestId('show-signup').addEventListener('click', () => show('signup'));
byTestId('show-login').addEventListener('click', () => show('login'));
async function login(username, password, errorEl, button) {
const res = await api.login(username, password, deviceName());
if (!res || !res.token || !res.user) throw new Error('Unexpected answer from the server.');
errorEl.textContent = '';
button.disabled = false;
onLoggedIn({ token: res.token, device_id: res.device_id, user: res.user,
gateways: res.gateways || [] });
}
loginForm.addEventListener('submit', async (e) => {
e.preventDefault();
performance.mark('chinwag:login-submit'); // for scripts/bench-web.py
const username = byTestId('login-username').value.trim();
const password = byTestId('login-password').value;
const button = byTestId('login-submit');
if (!username || !password) {
loginError.textContent = 'Enter your username and password.';
return;
}
button.disabled = true;
loginError.textContent = '';
try {
await login(username, password, loginError, button);
byTestId('login-password').value = '';
} catch (err) {
loginError.textContent = friendlyError(err, {
unauthorized: 'Wrong username or password.',
invalid_request: 'Wrong username or password.',
conflict: 'Wrong username or password.',
not_found: 'Wrong username or password.',
});
} finally {
button.disabled = false;
}
});
signupForm.addEventListener('submit', async (e) => {
e.preventDefault();
const username = byTestId('signup-username').value.trim();
const displayName = byTestId('signup-display-name').value.trim();
const password = byTestId('signup-password').value;
const button = byTestId('signup-submit');
if (!USERNAME_RE.test(username)) {
signupError.textContent = 'Usernames are 3 to 32 characters: letters, digits, _ . or -.';
byTestId('signup-username').focus();
return;
}
if (password.length < 8) {
signupError.textContent = 'The password needs at least 8 characters.';
byTestId('signup-password').focus();
return;
}
button.disabled = true;
signupError.textContent = '';
try {
await api.signup(username, password, displayName || undefined);
} catch (err) {
signupError.textContent = friendlyError(err, {
conflict: 'That username is taken. Please pick another one.',
});
button.disabled = false;
return;
}
try {
await login(username, password, signupError, button);
byTestId('signup-password').value = '';
} catch (err) {
signupError.textContent = `Your account was created, but logging in failed: ${friendlyError(err)}`;
} finally {
button.disabled = false;
}
});
}
function showAuth(message = '') {
document.getElementById('boot').hidden = true;
document.getElementById('main-view').hidden = true;
document.getElementById('auth-view').hidden = false;
byTestId('signup-form').hidden = true;
byTestId('login-form').hidden = false;
byTestId('login-error').textContent = message;
byTestId('login-username').focus();
performance.mark('chinwag:login-ready'); // for scripts/bench-web.py
}
function hideAuth() {
document.getElementById('boot').hidden = true;
document.getElementById('auth-view').hidden = true;
document.getElementById('main-view').hidden = false;
}
  return { deviceName, mountAuth, showAuth, hideAuth };
})();

// ---- js/ui/channels.js
modules["ui/channels.js"] = (() => {
  const { isImage } = modules["media.js"];
  const { avatar, byTestId, displayName, fillAvatar, formatTime, h, reconcile, setText } = modules["dom.js"];


function directPeer(state, ch) {
if (!ch || ch.kind !== 'direct') return null;
return (ch.members || []).find((id) => id !== state.me.id) || null;
}
function channelTitle(state, ch) {
if (!ch) return '';
if (ch.kind === 'direct') {
const peer = directPeer(state, ch);
return peer ? displayName(state.user(peer)) : 'Direct message';
}
return ch.name || 'Unnamed group';
}
function preview(state, m) {
if (!m) return '';
const files = m.attachments || [];
const label = files.length ? (files.every(isImage) ? 'Photo' : 'File') : '';
const body = m.encrypted ? state.decrypted.get(m.key)?.text || 'Encrypted message' : m.text || label;
const text = body.length > 140 ? body.slice(0, 140) : body;
const flat = text.replace(/\s+/g, ' ').trim();
if (m.sender_id === state.me.id) return `${m.state === 'pending' ? 'Sending: ' : 'You: '}${flat}`;
const ch = state.channels.get(m.channel_id);
if (ch?.kind === 'group') return `${displayName(state.user(m.sender_id))}: ${flat}`;
return flat;
}
function mountChannelList(ctx) {
const { state } = ctx;
const list = byTestId('channel-list');
const empty = byTestId('channel-list-empty');
const loading = byTestId('channel-list-loading');
let ready = false;
function create(ch) {
const box = avatar(null, 'md');
const dot = h('span', { class: 'dot', dataset: { testid: 'presence-dot', status: 'offline' }, hidden: true });
const link = h('a', { class: 'channel-link', href: `#/c/${encodeURIComponent(ch.id)}` },
h('span', { class: 'avatar-wrap' }, box, dot),
h('span', { class: 'channel-main' },
h('span', { class: 'channel-top' },
h('span', { class: 'channel-name', dataset: { testid: 'channel-name' } }),
h('span', { class: 'sr-only channel-online' }),
h('span', { class: 'tag channel-muted', dataset: { testid: 'channel-muted' }, hidden: true }, 'Muted'),
h('time', { class: 'channel-time' })),
h('span', { class: 'channel-bottom' },
h('span', { class: 'channel-preview', dataset: { testid: 'channel-preview' } }),
h('span', { class: 'badge', dataset: { testid: 'unread-badge' }, 'aria-hidden': 'true', hidden: true }),
h('span', { class: 'sr-only channel-unread' }))));
link.addEventListener('click', (e) => {
if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
e.preventDefault();
ctx.navigate(ch.id);
});
return h('li', { dataset: { testid: 'channel-item', channelId: ch.id } }, link);
}
function update(li, ch) {
const title = channelTitle(state, ch);
const unread = state.unread(ch.id);
const last = state.lastMessage.get(ch.id);
const current = state.currentChannelId === ch.id;
li.dataset.unread = String(unread);
li.dataset.kind = ch.kind;
const link = li.firstElementChild;
if (current) link.setAttribute('aria-current', 'true');
else link.removeAttribute('aria-current');
setText(li.querySelector('.channel-name'), title);
const peer = directPeer(state, ch);
fillAvatar(li.querySelector('.avatar'), peer ? state.user(peer) : { id: ch.id }, title);
const dot = li.querySelector('.dot');
dot.hidden = !peer;
const online = !!peer && state.presence.get(peer)?.status === 'online';
if (peer) dot.dataset.status = online ? 'online' : 'offline';
setText(li.querySelector('.channel-online'), online ? ' (online)' : '');
li.querySelector('.channel-muted').hidden = !ch.muted_until;
const time = li.querySelector('time');
setText(time, last ? formatTime(last.created_at) : '');
const text = preview(state, last)
|| (ch.last_message_id ? '' : ch.kind === 'group' ? `${ch.member_count || ''} members`.trim() : 'No messages yet');
setText(li.querySelector('.channel-preview'), text);
const badge = li.querySelector('[data-testid="unread-badge"]');
badge.hidden = unread === 0;
setText(badge, unread > 99 ? '99+' : String(unread));
setText(li.querySelector('.channel-unread'), unread ? `, ${unread} unread` : '');
}
function render() {
const channels = [...state.channels.values()]
.sort((a, b) => state.activity(b.id) - state.activity(a.id) || (a.id < b.id ? -1 : 1));
reconcile(list, channels, (c) => c.id, create, update);
loading.hidden = state.channelsLoaded;
empty.hidden = !state.channelsLoaded || channels.length > 0;
if (state.channelsLoaded && !ready) {
ready = true;
performance.mark('chinwag:list-ready');
}
}
for (const ev of ['channels', 'users', 'presence', 'route', 'messages']) state.on(ev, render);
render();
}
  return { directPeer, channelTitle, preview, mountChannelList };
})();

// ---- js/ui/dialogs.js
modules["ui/dialogs.js"] = (() => {
  const { friendlyError } = modules["api.js"];
  const { byTestId, fillAvatar, focusFirst, h } = modules["dom.js"];


function openDialog(dialog, opener = document.activeElement) {
if (dialog.open) return;
dialog.showModal();
focusFirst(dialog);
dialog.addEventListener('close', () => {
const lost = document.activeElement === document.body || dialog.contains(document.activeElement);
if (lost && opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
}, { once: true });
}
function closeOnBackdrop(dialog) {
dialog.addEventListener('mousedown', (e) => {
if (e.target !== dialog) return;
const r = dialog.getBoundingClientRect();
const inside = e.clientX >= r.left && e.clientX <= r.right
&& e.clientY >= r.top && e.clientY <= r.bottom;
if (!inside) dialog.close('cancel');
});
}
function confirmDialog(message, okLabel = 'OK') {
const dialog = document.getElementById('confirm-dialog');
byTestId('confirm-message', dialog).textContent = message;
byTestId('confirm-ok', dialog).textContent = okLabel;
dialog.returnValue = '';
return new Promise((resolve) => {
dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
openDialog(dialog);
byTestId('confirm-cancel', dialog).focus();
});
}
function toast(message, kind = 'info', ms = 5000) {
const box = byTestId('toasts');
const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null,
dataset: { testid: 'toast', kind } }, message);
box.append(el);
while (box.children.length > 3) box.firstElementChild.remove();
setTimeout(() => el.remove(), ms);
}
function toastError(err, context) {
toast(friendlyError(err, context), 'error', 7000);
}
let announceTimer = null;
function announce(text) {
const region = byTestId('live-announcer');
const line = h('p', {}, text);
region.append(line);
while (region.children.length > 5) region.firstElementChild.remove();
clearTimeout(announceTimer);
announceTimer = setTimeout(() => { region.textContent = ''; }, 15000);
}
function mountProfile(ctx) {
const dialog = document.getElementById('profile-dialog');
const form = byTestId('profile-form', dialog);
const name = byTestId('profile-display-name', dialog);
const status = byTestId('profile-status-text', dialog);
const file = byTestId('profile-avatar-file', dialog);
const preview = byTestId('profile-avatar-preview', dialog);
const remove = byTestId('profile-avatar-remove', dialog);
const progress = byTestId('profile-avatar-progress', dialog);
const error = byTestId('profile-error', dialog);
const save = byTestId('profile-save', dialog);
const { signal } = ctx;
let avatarId;
let upload = null; // {handle, local object URL} of the image being (or just) uploaded
const showAvatar = (user) => {
fillAvatar(preview, user);
remove.hidden = !user.avatar_id;
};
const dropUpload = () => {
if (!upload) return;
upload.handle.cancel();
URL.revokeObjectURL(upload.url);
upload = null;
progress.hidden = true;
};
byTestId('profile-button').addEventListener('click', (e) => {
const me = ctx.state.me;
name.value = me.display_name || '';
status.value = me.status_text || '';
avatarId = undefined;
dropUpload();
file.value = '';
showAvatar(me);
error.textContent = '';
openDialog(dialog, e.currentTarget);
}, { signal });
dialog.addEventListener('close', dropUpload, { signal });
file.addEventListener('change', () => {
const chosen = file.files[0];
if (!chosen) return;
dropUpload();
error.textContent = '';
progress.value = 0;
progress.hidden = false;
const handle = ctx.api.upload(chosen, chosen.name || 'avatar', (sent, total) => {
progress.value = total ? sent / total : 0;
});
const mine = { handle, url: URL.createObjectURL(chosen), done: false };
upload = mine;
handle.done.then((attachment) => {
if (upload !== mine) return;
mine.done = true;
progress.hidden = true;
if (!attachment.width) { // not an image by its bytes: the server would refuse it
error.textContent = 'Choose a PNG, JPEG, GIF or WebP image.';
return;
}
avatarId = attachment.id;
const me = ctx.state.me;
showAvatar({ ...me, avatar_id: attachment.id, avatar_img: { id: attachment.id, url: mine.url } });
}, (err) => {
if (upload !== mine || (err && err.name === 'AbortError')) return;
progress.hidden = true;
error.textContent = friendlyError(err);
});
}, { signal });
remove.addEventListener('click', () => {
dropUpload();
file.value = '';
avatarId = '';
showAvatar({ ...ctx.state.me, avatar_id: null });
file.focus();
}, { signal });
byTestId('profile-cancel', dialog).addEventListener('click', () => dialog.close('cancel'),
{ signal });
form.addEventListener('submit', async (e) => {
e.preventDefault();
error.textContent = '';
if (upload && !upload.done) {
error.textContent = 'Wait for the image to finish uploading.';
return;
}
const changes = { display_name: name.value.trim(), status_text: status.value.trim() };
if (avatarId !== undefined) changes.avatar_id = avatarId;
save.disabled = true;
try {
await ctx.chat.updateProfile(changes);
dialog.close('saved');
toast('Profile saved.');
} catch (err) {
error.textContent = friendlyError(err);
} finally {
save.disabled = false;
}
}, { signal });
}
  return { openDialog, closeOnBackdrop, confirmDialog, toast, toastError, announce, mountProfile };
})();

// ---- js/ui/shell.js
modules["ui/shell.js"] = (() => {
  const { byTestId, fillAvatar, displayName, setText } = modules["dom.js"];
  const { enablePush, pushEnabled, setTitleCount } = modules["notify.js"];
  const { toast } = modules["ui/dialogs.js"];



function mountShell(ctx) {
const { state, signal } = ctx;
const conn = byTestId('connection-state');
const connText = conn.querySelector('.conn-text');
const sound = byTestId('sound-toggle');
const notif = byTestId('enable-notifications');
const tabs = [byTestId('tab-chats'), byTestId('tab-friends')];
let countdown = null;
const offlineBanner = byTestId('offline-banner');
let failed = false;
function renderConnection() {
const { state: s, retryAt } = state.connection;
conn.dataset.state = s;
if (s === 'online') failed = false;
else if (s === 'offline') failed = true;
offlineBanner.hidden = s === 'online' || !(failed || navigator.onLine === false);
clearInterval(countdown);
countdown = null;
if (s === 'online') {
setText(connText, 'Online');
conn.title = 'Connected';
} else if (s === 'connecting') {
setText(connText, 'Connecting…');
conn.title = 'Connecting to the server';
} else {
const tick = () => {
const secs = retryAt ? Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) : 0;
setText(connText, secs > 0 ? `Offline · retry in ${secs}s` : 'Offline');
};
tick();
if (retryAt) countdown = setInterval(tick, 1000);
conn.title = 'Offline. Click to reconnect now.';
}
}
state.on('connection', renderConnection);
window.addEventListener('offline', renderConnection, { signal });
window.addEventListener('online', renderConnection, { signal });
conn.addEventListener('click', () => ctx.conn?.retryNow(), { signal });
signal.addEventListener('abort', () => clearInterval(countdown));
renderConnection();
const renderSound = () => {
sound.setAttribute('aria-pressed', String(!ctx.sound.muted));
sound.textContent = ctx.sound.muted ? 'Sound off' : 'Sound on';
};
sound.addEventListener('click', () => {
ctx.sound.setMuted(!ctx.sound.muted);
renderSound();
if (!ctx.sound.muted) {
ctx.sound.context();
ctx.sound.beep();
}
}, { signal });
renderSound();
const renderNotif = () => {
const on = pushEnabled(state.me.id);
notif.textContent = on ? 'Notifications on' : 'Enable notifications';
notif.dataset.enabled = String(on);
};
notif.addEventListener('click', async () => {
notif.disabled = true;
try {
toast(await enablePush(ctx.api, state.me.id));
} catch (err) {
toast(err && err.code ? ctx.friendly(err) : (err?.message || String(err)), 'error', 8000);
} finally {
notif.disabled = false;
renderNotif();
}
}, { signal });
if (window.requestIdleCallback) requestIdleCallback(renderNotif, { timeout: 1000 });
else setTimeout(renderNotif, 200);
const profileButton = byTestId('profile-button');
const renderMe = () => {
setText(byTestId('profile-name'), displayName(state.me));
fillAvatar(profileButton.querySelector('.avatar'), state.me);
};
state.on('me', renderMe);
renderMe();
byTestId('logout-button').addEventListener('click', () => ctx.logout(), { signal });
const select = (tab, focus = false) => {
for (const t of tabs) {
const on = t === tab;
t.setAttribute('aria-selected', String(on));
t.tabIndex = on ? 0 : -1;
document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
}
if (focus) tab.focus();
};
ctx.selectTab = (name) => select(name === 'friends' ? tabs[1] : tabs[0]);
for (const [i, tab] of tabs.entries()) {
tab.addEventListener('click', () => select(tab), { signal });
tab.addEventListener('keydown', (e) => {
if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
e.preventDefault();
select(tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length], true);
}
}, { signal });
}
select(tabs[0]);
const totalBadge = byTestId('total-unread-badge');
const renderUnread = () => {
const total = state.totalUnread();
totalBadge.hidden = total === 0;
setText(totalBadge, String(total));
totalBadge.setAttribute('aria-label', `${total} unread`);
setTitleCount(total);
};
state.on('channels', renderUnread);
renderUnread();
const reqBadge = byTestId('requests-badge');
const renderRequests = () => {
const n = state.requests.incoming.length;
reqBadge.hidden = n === 0;
setText(reqBadge, String(n));
reqBadge.setAttribute('aria-label', `${n} friend requests`);
};
state.on('requests', renderRequests);
renderRequests();
}
function setView(view) {
document.querySelector('.layout').dataset.view = view;
}
  return { mountShell, setView };
})();

// ---- js/ui/update.js
modules["ui/update.js"] = (() => {
  const { byTestId } = modules["dom.js"];

function showUpdatePrompt(apply) {
const bar = byTestId('update-banner');
const button = byTestId('update-reload');
button.onclick = () => {
button.disabled = true;
apply();
};
bar.hidden = false;
}
  return { showUpdatePrompt };
})();

// ---- js/viewport.js
modules["viewport.js"] = (() => {
function trackViewport() {
const vv = window.visualViewport;
if (!vv) return;
const root = document.documentElement;
let frame = 0;
const apply = () => {
frame = 0;
root.style.setProperty('--app-height', `${Math.round(vv.height * vv.scale)}px`);
};
const schedule = () => { if (!frame) frame = requestAnimationFrame(apply); };
vv.addEventListener('resize', schedule);
apply();
}
  return { trackViewport };
})();

// ---- js/e2ee/lazy.js
modules["e2ee/lazy.js"] = (() => {
  const { toastError } = modules["ui/dialogs.js"];

const LIBRARY = '/vendor/matrix-sdk-crypto-wasm-18.9.0/index.mjs';
class E2ee {
constructor(ctx, session) {
this.ctx = ctx;
this.session = session; // {user, device_id}
this.store = `chinwag-e2ee-${session.user.id}-${session.device_id}`;
this.bundle = null;
this.loading = null;
this.declined = false; // the passphrase was not given: asked again on the next opening
ctx.state.on('route', () => this.opened(true));
ctx.state.on('channels', () => this.opened(false));
for (const id of ['new-group-button', 'settings-button']) {
document.querySelector(`[data-testid="${id}"]`).addEventListener('click', () => this.load(), { signal: ctx.signal });
}
}
load() {
this.bundle ||= loadModule$("e2ee/main.js").then((m) => {
m.mount(this.ctx);
return m;
}, (err) => {
this.bundle = null;
throw err;
});
return this.bundle;
}
ready() {
this.loading ||= this.load()
.then((m) => m.start(this.ctx, this.session, LIBRARY, this.store))
.catch((err) => {
this.loading = null;
throw err;
});
return this.loading;
}
encrypted(channelId) {
return Boolean(this.ctx.state.channels.get(channelId)?.encrypted);
}
opened(routed) {
const cid = this.ctx.state.currentChannelId;
if (cid) this.load().catch(() => {});
if (!this.encrypted(cid) || this.loading || (this.declined && !routed)) return;
this.declined = false;
this.ready().catch((err) => {
this.declined = true;
toastError(err);
});
}
frame(f) {
this.loading?.then((c) => c.frame(f), () => {});
}
hold(item) {
this.ctx.state.decrypted.set(`c:${item.client_msg_id}`, { text: item.text, files: item.attachments });
return { ...item, text: '', attachments: [], encrypted: {} };
}
send(item, entry) {
this.ready().then((c) => c.send(item, entry)).catch((err) => {
const { state } = this.ctx;
state.log(item.channel_id).fail(item.client_msg_id, err?.message || String(err));
state.changed('messages', item.channel_id);
});
}
upload(file, name, onProgress) {
const started = this.ready().then((c) => c.upload(file, name, onProgress));
return { done: started.then((u) => u.done), cancel: () => started.then((u) => u.cancel(), () => {}) };
}
async open(attachment) {
return (await this.ready()).open(attachment);
}
async forget() {
(await this.loading?.catch(() => null))?.machine.close();
localStorage.removeItem(`chinwag.e2ee.${this.session.device_id}`);
for (const end of ['', '-meta']) indexedDB.deleteDatabase(`${this.store}::matrix-sdk-crypto${end}`);
}
}
  return { E2ee };
})();

// ---- js/app.js
modules["app.js"] = (() => {
  const { Api, friendlyError } = modules["api.js"];
  const { Avatars } = modules["avatars.js"];
  const { Chat, fetchFresh } = modules["chat.js"];
  const { byTestId, displayName } = modules["dom.js"];
  const { disablePush, setTitleCount, showLocalNotification, Sound } = modules["notify.js"];
  const { startServiceWorker } = modules["pwa.js"];
  const { Router } = modules["router.js"];
  const { Connection, Outbox } = modules["socket.js"];
  const { ChatState } = modules["state.js"];
  const { deleteCache, openCache } = modules["store.js"];
  const { applySnapshot, dropSnapshot, loadSnapshot, trackSnapshot } = modules["snapshot.js"];
  const { Sync } = modules["sync.js"];
  const { hideAuth, mountAuth, showAuth } = modules["ui/auth.js"];
  const { channelTitle, mountChannelList } = modules["ui/channels.js"];
  const { announce, closeOnBackdrop, mountProfile, toast } = modules["ui/dialogs.js"];
  const { mountShell, setView } = modules["ui/shell.js"];
  const { showUpdatePrompt } = modules["ui/update.js"];
  const { trackViewport } = modules["viewport.js"];
  const { E2ee } = modules["e2ee/lazy.js"];



















const SESSION_KEY = 'chinwag.session';
const SESSION_ENDED = 'Your session has ended. Please log in again.';
let session = null; // {token, device_id, user}
let ctx = null;
let loggingOut = false;
const sound = new Sound();
const narrow = window.matchMedia('(max-width: 720px)');
const api = new Api({
getToken: () => session?.token || null,
onUnauthorized: () => { if (!loggingOut) endSession(SESSION_ENDED); },
});
function loadSession() {
try {
const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
return s && typeof s.token === 'string' && s.user && s.user.id ? s : null;
} catch {
return null;
}
}
function takeEarlyRequests(token) {
const early = window.chinwagEarly;
delete window.chinwagEarly;
return early && early.token === token ? early : null;
}
async function startSession(s, { gateways = [] } = {}) {
session = { token: s.token, device_id: s.device_id, user: s.user };
localStorage.setItem(SESSION_KEY, JSON.stringify(session));
const mine = session;
hideAuth();
const fetched = fetchFresh(api, takeEarlyRequests(s.token));
const cache = openCache(s.user.id);
const abort = new AbortController();
const state = new ChatState(s.user);
const c = {
api, state, cache, sound, abort, signal: abort.signal, friendly: friendlyError,
navigate, logout,
accountDeleted: () => accountDeleted(s.user.id),
};
ctx = c;
const sync = new Sync({
state, cache, api,
hooks: {
connected: () => {
c.chat.refresh({ unlessWithinMs: 3000 });
const open = c.conversation?.channelId;
if (open) c.chat.openChannel(open).catch(() => { /* shown when opened again */ });
},
incoming: (m) => onIncoming(c, m),
ownMessage: (m) => c.chat.markRead(m.channel_id, m.message_id),
removedFromChannel: (id) => {
if (c.conversation?.channelId === id) {
toast('You are no longer a member of that conversation.');
navigate(null);
}
},
friendEvent: (f) => onFriendEvent(c, f),
e2ee: (f) => c.e2ee.frame(f),
error: (f) => { if (f.code !== 'rate_limited') toast(friendlyError(f), 'error'); },
},
});
const chat = new Chat({ state, cache, api, sync });
c.sync = sync;
c.chat = chat;
c.avatars = new Avatars(state, api, cache, abort.signal);
c.e2ee = new E2ee(c, session);
chat.e2ee = c.e2ee;
state.on('me', () => {
if (session === mine) {
session.user = state.me;
localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}
});
mountShell(c);
mountChannelList(c);
mountProfile(c);
applySnapshot(state, loadSnapshot(s.user.id));
trackSnapshot(state, s.user.id, abort.signal);
const refreshed = chat.refresh({ fetched });
const pending = await chat.boot();
if (ctx !== c) return;
const outbox = new Outbox({
put: (item) => sync.persist({ outboxPut: [item] }),
remove: (cmid) => sync.persist({ outboxDelete: [cmid] }),
failed: (item, frame) => {
state.log(item.channel_id).fail(item.client_msg_id, friendlyError(frame));
state.changed('messages', item.channel_id);
},
});
outbox.load(pending);
const conn = new Connection({
api,
outbox,
gateways,
getToken: () => session?.token || null,
getCursor: () => sync.cursor,
onFrame: (f) => sync.handle(f),
onState: (st) => {
state.connection = st;
state.changed('connection');
},
onAuthFailed: () => endSession(SESSION_ENDED),
});
c.conn = conn;
chat.conn = conn;
conn.start();
const listShown = router.current() ? null : Promise.race([shown(state), refreshed]);
mountLater(c, listShown).catch(fatal);
await refreshed;
startWorkerOnce();
}
function shown(state) {
return new Promise((resolve) => {
if (state.channelsLoaded) resolve();
state.on('channels', () => { if (state.channelsLoaded) resolve(); });
});
}
async function mountLater(c, after) {
await after;
const { mountViews } = await loadViews();
if (ctx !== c) return;
await mountViews(c, { alive: () => ctx === c, routed: route });
}
const loadViews = () => loadModule$("views.js");
function onIncoming(c, m) {
const st = c.state;
const sender = displayName(st.user(m.sender_id));
const ch = st.channels.get(m.channel_id);
const viewing = c.conversation?.channelId === m.channel_id && document.visibilityState === 'visible';
const snippet = m.text.length > 200 ? `${m.text.slice(0, 200)}…` : m.text;
if (viewing) {
announce(`${sender}: ${snippet}`);
return;
}
sound.beep();
const where = ch?.kind === 'group' ? ` in ${channelTitle(st, ch)}` : '';
announce(`New message from ${sender}${where}`);
if (document.visibilityState !== 'visible') {
showLocalNotification({ title: `${sender}${where}`, body: snippet.slice(0, 140), channelId: m.channel_id });
}
}
function onFriendEvent(c, f) {
const name = displayName(f.user);
if (f.event === 'request') {
c.chat.refreshRequests().catch(() => {});
toast(`${name} sent you a friend request.`);
sound.beep();
} else if (f.event === 'accepted') {
Promise.allSettled([c.chat.refreshRequests(), c.chat.refreshFriends()]);
toast(`${name} accepted your friend request.`);
} else if (f.event === 'removed') {
Promise.allSettled([c.chat.refreshRequests(), c.chat.refreshFriends()]);
}
}
const router = new Router(() => route());
function navigate(channelId) {
router.go(channelId);
}
function route() {
if (!ctx || !ctx.showConversation) return;
const previous = ctx.conversation?.channelId;
const cid = router.current();
setView(cid ? 'chat' : 'list');
ctx.showConversation(cid); // first: the composer can only take focus once shown
ctx.composerSwitch(cid, { focus: !!cid && !narrow.matches });
if (!cid && previous && narrow.matches) {
const link = document.querySelector(`[data-testid="channel-item"][data-channel-id="${CSS.escape(previous)}"] a`);
link?.focus();
}
}
byTestId('back-button').addEventListener('click', () => navigate(null));
navigator.serviceWorker?.addEventListener('message', (e) => {
if (e.data?.type === 'open-channel' && e.data.channel_id) navigate(e.data.channel_id);
});
window.addEventListener('pagehide', () => ctx?.sync?.flush());
function teardown() {
const c = ctx;
ctx = null;
if (!c) return;
c.conn?.stop();
c.abort.abort();
c.state.dispose();
c.sync?.flush();
c.sync?.writes.finally(() => c.cache.close());
for (const d of document.querySelectorAll('dialog[open]')) d.close();
for (const id of ['channel-list', 'friend-list', 'friend-requests-incoming',
'friend-requests-outgoing', 'user-search-results', 'device-list', 'blocked-list',
'admin-user-list', 'admin-report-list', 'message-search-results']) {
byTestId(id).replaceChildren();
}
byTestId('message-search-input').value = '';
byTestId('message-search-status').textContent = '';
document.querySelector('.message-items').replaceChildren();
byTestId('user-search-input').value = '';
byTestId('user-search-status').textContent = '';
byTestId('composer-input').value = '';
byTestId('conversation-empty').hidden = false;
document.querySelector('.conv').hidden = true;
setTitleCount(0);
router.clear();
}
function endSession(message) {
if (!session) return;
session = null;
localStorage.removeItem(SESSION_KEY);
teardown();
showAuth(message);
}
async function logout() {
const s = session;
if (!s || loggingOut) return;
loggingOut = true;
const userId = s.user.id;
try {
ctx?.conn?.stop();
await disablePush(api, userId);
await api.logout().catch(() => {});
} finally {
loggingOut = false;
session = null;
localStorage.removeItem(SESSION_KEY);
const e2ee = ctx?.e2ee;
teardown();
dropSnapshot(userId);
await e2ee?.forget().catch(() => {});
await deleteCache(userId);
showAuth('');
toast('You have logged out.');
}
}
async function accountDeleted(userId) {
session = null;
localStorage.removeItem(SESSION_KEY);
teardown();
dropSnapshot(userId);
await deleteCache(userId).catch(() => {});
showAuth('Your account has been deleted.');
}
trackViewport();
let workerStarted = false;
function startWorkerOnce() {
if (workerStarted) return;
workerStarted = true;
startServiceWorker({ onUpdateReady: showUpdatePrompt });
}
for (const d of document.querySelectorAll('dialog')) closeOnBackdrop(d);
mountAuth({
api,
onLoggedIn: (s) => startSession(s, { gateways: s.gateways }).catch(fatal),
});
function fatal(err) {
console.error(err);
toast(`Something went wrong: ${err?.message || err}`, 'error', 10000);
}
function whileLoggedOut() {
startWorkerOnce();
loadViews().catch(() => { /* loaded again after logging in */ });
}
const saved = loadSession();
if (saved) startSession(saved).catch(fatal);
else {
showAuth();
if (document.readyState === 'complete') whileLoggedOut();
else window.addEventListener('load', whileLoggedOut, { once: true });
}
  return {  };
})();
