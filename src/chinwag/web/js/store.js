// IndexedDB cache, one database per user id: the device cursor, recent messages per
// channel, the outbox of unacknowledged sends, and small snapshots (channels, friends,
// users) so that a reload renders at once, before the network answers.

const DB_VERSION = 2;
// Thumbnails, and images up to this size, are kept with the messages that show them.
export const MEDIA_CACHE_BYTES = 4 << 20;
const MAX_ID = Number.MAX_SAFE_INTEGER;
export const RECENT_PER_CHANNEL = 200;

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

export function toRecord(m) {
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

/**
 * The cache of one user, usable at once: the database opens in the background (creating
 * it takes hundreds of milliseconds on a slow phone) and every call waits for it. Without
 * IndexedDB, or if it fails to open, the calls answer as an empty cache would.
 */
export function openCache(userId) {
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

export async function deleteCache(userId) {
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

  /**
   * One transaction: messages, then the cursor (never moved backwards), users, outbox
   * changes. The cursor is stored only together with the messages it covers.
   */
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

  /** The newest `limit` cached messages of a channel, ascending. */
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

  /** The last cached message of each channel. */
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

  /** Keep only the newest `keep` messages of a channel. */
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

  /** Forget cached messages below `messageId` (they no longer join up with newer ones). */
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
