// One device's OlmMachine (matrix-sdk-crypto) and its I/O through chinwag's routes: key
// upload and queries, one-time key claims, to-device messages, room keys shared before
// each send, and decryption of the messages the conversation shows. The library does no
// I/O itself; every request it wants goes out here. Calls into the machine run one at a
// time (`locked`), as it expects.

const MX = ':chinwag';
const ALGORITHM = 'm.megolm.v1.aes-sha2';
const TO_DEVICE_PAGE = 500;
const BACKUP = 'm.megolm_backup.v1.curve25519-aes-sha2';
// Requests of room keys to back up per run; more wait for the next run.
const BACKUP_ROUNDS = 20;

export const mx = (id) => `@${id}${MX}`;
const unmx = (id) => String(id).slice(1, -MX.length);
const roomOf = (channelId) => `!${channelId}${MX}`;

/** The files a decrypted message names, among the blobs the server says it carries. */
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

export class Crypto {
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

  /** wasm-bindgen takes these by value: each call needs its own. */
  settings() {
    return new this.sdk.DecryptionSettings(this.sdk.TrustRequirement.Untrusted);
  }

  /** Run `fn` after every earlier machine call: the machine takes one at a time. */
  locked(fn) {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  api(method, path, body) {
    return this.ctx.api.request(method, path, body);
  }

  users(ids) {
    // wasm-bindgen takes arrays of ids by value: every call gets ids of its own.
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

  /** Hand to-device events and device-list changes to the machine, then do its requests. */
  async sync(events, lists) {
    const { sdk } = this;
    const changed = lists ? this.users((lists.changed || []).map(unmx)) : [];
    const left = lists ? this.users((lists.left || []).map(unmx)) : [];
    await this.machine.receiveSyncChanges(JSON.stringify(events), new sdk.DeviceLists(changed, left),
      new Map(this.counts), new Set(this.fallback), this.settings());
    await this.flush();
  }

  /** Carry out every request the machine has queued (key upload, queries, to-device). */
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

  /** Every to-device message waiting on the server (those sent while this was not running). */
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

  /** A server notice frame: to_device, device_lists or keys_count. */
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

  /** Encrypt `content` for the channel's members' devices (sharing the room key first). */
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
      // A member who left is not in `members`: the machine then starts a new session.
      const room = new sdk.RoomId(roomOf(channelId));
      for (const req of await machine.shareRoomKey(room, this.users(members), new sdk.EncryptionSettings())) {
        await machine.markRequestAsSent(req.id, req.type, JSON.stringify(await this.toDevice(req)));
      }
      const body = await machine.encryptRoomEvent(new sdk.RoomId(roomOf(channelId)), 'm.room.message', JSON.stringify(content));
      return JSON.parse(body);
    });
  }

  /**
   * Send a pending message of an encrypted channel: text and files (name, type, size,
   * and the key of each blob) go inside the ciphertext; the server gets the blobs' ids.
   */
  async send(item, entry) {
    const content = { msgtype: 'm.text', body: item.text };
    const files = item.attachments || [];
    if (files.length) {
      content.files = files.map((a) => ({ id: a.id, name: a.name, mimetype: a.content_type, size: a.size, file: a.file }));
    }
    const encrypted = await this.encrypt(item.channel_id, content);
    entry.encrypted = encrypted;
    this.ctx.conn.sendMessage({ ...item, text: '', attachments: files.map((a) => ({ id: a.id })), encrypted });
    // A new group session is backed up after the message has gone.
    this.locked(() => this.backUp()).catch((err) => console.warn('chinwag: key backup failed', err));
  }

  // ---- key backup: room keys encrypted to a recovery key only the user holds ----

  /** The server's backup, or null when there is none. */
  async backupInfo() {
    try {
      return await this.api('GET', '/v1/keys/backup');
    } catch (err) {
      if (err.status === 404) return null;
      throw err;
    }
  }

  /**
   * Back up to the server's backup only with its private key in this device's store
   * (created or restored here): a public key the server hands out could be its own.
   */
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

  /** A new backup (the previous one is dropped); returns its recovery key. */
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

  /** Take every room key of the backup with its recovery key; returns how many. */
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
      // This device keeps the key and backs up from now on too.
      await machine.saveBackupDecryptionKey(sdk.BackupDecryptionKey.fromBase64(recoveryKey.trim()), info.version);
      await machine.enableBackupV1(info.auth_data.public_key, info.version);
      this.backupOn = true;
      return result.importedCount;
    });
    this.decryptOpen();
    return imported;
  }

  /** Encrypt a file and upload the blob: {done: Promise<attachment>, cancel()}. */
  upload(file, name, onProgress) {
    let inner = null;
    let cancelled = false;
    const done = (async () => {
      const sealed = await this.seal(file);
      if (cancelled) throw new DOMException('cancelled', 'AbortError');
      // A neutral name: neither the file's name nor its type reaches the server.
      inner = this.ctx.api.upload(sealed.blob, 'encrypted', onProgress);
      const { id } = await inner.done;
      return { id, name, content_type: file.type || 'application/octet-stream', size: file.size, file: sealed.info };
    })();
    return { done, cancel: () => { cancelled = true; inner?.cancel(); } };
  }

  /** Encrypt a file as Matrix does (AES-256-CTR, SHA-256 of the ciphertext). */
  async seal(file) {
    const sealed = this.sdk.Attachment.encrypt(new Uint8Array(await file.arrayBuffer()));
    const blob = new Blob([sealed.encryptedData], { type: 'application/octet-stream' });
    return { blob, info: JSON.parse(sealed.mediaEncryptionInfo) };
  }

  /** Fetch an encrypted file's blob and decrypt it (its hash is checked first). */
  async open(a) {
    const data = new Uint8Array(await (await this.ctx.api.attachment(a.id)).arrayBuffer());
    const plain = this.sdk.Attachment.decrypt(new this.sdk.EncryptedAttachment(data, JSON.stringify(a.file)));
    return new Blob([plain], { type: a.content_type || 'application/octet-stream' });
  }

  /** Decrypt what the open conversation shows and is not decrypted yet. */
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
          // No key yet (it may come in a to-device message later), or refused for good.
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
