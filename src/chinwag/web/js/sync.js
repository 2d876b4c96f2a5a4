// Applies server frames to the model and the cache: messages (deduplicated by
// (channel_id, message_id)), the device cursor, replay/synced, reset, large groups,
// acknowledgements, presence, typing, read receipts, channel and friend events.

const TYPING_SHOW_MS = 3500;
const FLUSH_MS = 50;
const TRIM_EVERY = 40;
export const PAGE = 50;

export class Sync {
  /**
   * @param {object} o
   * @param {import('./state.js').ChatState} o.state
   * @param {object} o.cache from store.js
   * @param {import('./api.js').Api} o.api
   * @param {object} o.hooks {incoming(m), connected(), removedFromChannel(id), friendRequest(user), error(frame)}
   */
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

  // ---- persistence (batched; one IndexedDB transaction per batch) ----

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

  // ---- frames ----

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
      // A new device: history comes over HTTP; the live stream continues from here.
      this.cursor = f.cursor;
      this.persist({ cursor: f.cursor });
      this.replaying = false;
    } else if (Number.isSafeInteger(f.cursor) && f.cursor < this.cursor) {
      // The server's inbox is behind ours (restored or reset): start again from its head.
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

  /**
   * A change to a message (edited, deleted, reaction): its whole current state, in
   * cursor order like a message, so the model and the cache (IndexedDB) take it and a
   * deleted text never stays behind.
   */
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
      // Large group: no inbox entry. A jump in message_id means we missed some.
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

  /** Fetch every channel's recent history over HTTP (after `reset`). */
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

  /** Merge the newest page of a channel; drop cached messages it does not join up with. */
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

  /** Fetch a (large group) channel's messages after the last one we know, up to `target`. */
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
      // Try again on the next welcome or message.
    } finally {
      this.catchingUp.delete(channelId);
    }
  }

  /** Highest message_id we hold for a channel (memory or cache). */
  known(channelId) {
    const log = this.state.logs.get(channelId);
    return Math.max(log ? log.newestId() : 0, this.state.lastMessage.get(channelId)?.message_id || 0);
  }

  /** Apply one stored message to the model (and the cache when `persist`). */
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
      // Read on another of my devices: the unread count follows.
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

  // ---- lookups ----

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

  /** Make sure a user's profile is known; fetched once, cached in IndexedDB. */
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
