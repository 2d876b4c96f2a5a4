// What the user does: open a conversation, page back through history, send, mark read,
// type; friends and channels. Also boot from the cache and refresh after each welcome.

import { PAGE } from './sync.js';

// Older history comes in bigger pages: scrolling far back takes fewer round trips.
const OLDER_PAGE = 100;

const TYPING_EVERY_MS = 2500;

/**
 * Start the requests of a refresh (profile, requests, friends, channels) without waiting:
 * started before the cache is read, they overlap it instead of following it. `early` are
 * the same requests already made by boot.js before this script had arrived.
 */
export function fetchFresh(api, early = null) {
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

export function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

let sendSeq = 0;

export class Chat {
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

  /** Render from the cache at once; returns the outbox to resend. */
  async boot() {
    const st = this.state;
    const [channels, friends, users, outbox, cursor] = await Promise.all([
      this.cache.getMeta('channels').catch(() => null),
      this.cache.getMeta('friends').catch(() => null),
      this.cache.users().catch(() => []),
      this.cache.outbox().catch(() => []),
      this.cache.cursor().catch(() => null),
    ]);
    // The network may have answered first (the requests start before the cache is read):
    // what it said is newer, so the cache only fills what is still missing.
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

  /**
   * What may have changed while we were away: profile, channels, friends, requests, all in
   * parallel. Friends are applied before channels, so direct chats get their names
   * without a request per person. Skipped if one started less than `unlessWithinMs` ago.
   */
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
    // A failed refresh (offline) is not one to skip the next for.
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
      // The list is the whole truth: a channel it shows without a mute is not muted.
      st.putChannel({ muted_until: null, ...ch });
      if (ch.kind === 'direct') for (const uid of ch.members || []) this.sync.ensureUser(uid);
    }
    st.channelsLoaded = true;
    st.changed('channels');
    this.cache.setMeta('channels', [...st.channels.values()]).catch(() => {});
    this.fillPreviews();
  }

  /** Channels with messages we have never seen (a new device): fetch their newest one. */
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

  // ---- conversations ----

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
    // Older pages only once the newest page is in (it may already cover them).
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
    // In an encrypted channel text and files go inside the ciphertext (js/e2ee/): the
    // model and the cache get neither, the plaintext stays in memory.
    const entry = st.log(channelId).addPending(encrypted ? this.e2ee.hold(item) : item);
    st.lastMessage.set(channelId, entry);
    st.changed('messages', channelId);
    st.changed('channels', channelId);
    if (encrypted) this.e2ee.send(item, entry);
    else this.conn.sendMessage(item);
    return item.client_msg_id;
  }

  /** Edit one's own message; the answer (and the `update` frame) carry its new state. */
  async editMessage(channelId, messageId, text) {
    const m = await this.api.editMessage(channelId, messageId, text);
    this.sync.apply(m, { persist: true });
    return m;
  }

  /** Delete a message; every device (this one too) hears of it as an `update`. */
  async deleteMessage(channelId, messageId) {
    await this.api.deleteMessage(channelId, messageId);
  }

  /** Add or take back one's reaction (idempotent). */
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

  /**
   * Make sure a message is in the open conversation's model, loading the page of
   * history around it when it is not (a jump from search or from a reply's quote).
   */
  async loadAround(channelId, messageId) {
    const log = this.state.log(channelId);
    // The model is one run of consecutive ids: page back until the message is in.
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

  /** Forget a message the server refused. */
  dismissFailed(channelId, cmid) {
    this.state.log(channelId).removePending(cmid);
    this.state.changed('messages', channelId);
  }

  /** Resend a refused message as a new one (new client_msg_id). */
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

  // ---- channels ----

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

  // ---- people ----

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
