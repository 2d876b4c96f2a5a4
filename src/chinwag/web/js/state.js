// The in-memory model the views render from. Changes are announced as coalesced events
// ('channels', 'messages', 'users', 'friends', 'requests', 'typing', 'reads', 'me',
// 'connection'); each event's detail is the Set of keys (e.g. channel ids) that changed.

let localSeq = 0;

/** What of a message can change after it is stored (edits, deletes, reactions; a
 * deleted message loses its attachments). */
export function stateOf(m) {
  return {
    text: m.text,
    attachments: m.attachments || [],
    reply_to: m.reply_to ?? null,
    edited_at: m.edited_at ?? null,
    deleted: Boolean(m.deleted),
    reactions: m.reactions || {},
    mentions: m.mentions || [],
    // An end-to-end encrypted body (the text is then empty; clients decrypt it).
    encrypted: m.encrypted ?? null,
  };
}

/**
 * A copy older than what is known: a page of history fetched before a change that an
 * `update` frame has already brought, answered late. A delete is final and an edit only
 * moves `edited_at` forward, so such a copy must not bring the old text back (to the
 * view or the cache).
 */
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

/** One channel's messages: confirmed ones by message_id, then our pending ones. */
export class ChannelLog {
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

  /**
   * Add a stored message, or take a known one's current state (edited, deleted,
   * reactions) unless it is older than what is known. Returns 'new', 'confirmed' (was
   * our pending one), 'updated' or 'dup'.
   */
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
    // Pages of history come before what is known (or after it): sorted() joins them on
    // rather than sorting thousands of messages again.
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

  /** A `sent` acknowledgement. Returns the entry, or null when it is not ours/known. */
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

  /** Forget confirmed messages below `id` (they do not join up with the newer ones). */
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

  /** message_ids are gapless from 1, so anything above 1 has older history. */
  moreBefore() {
    const oldest = this.oldestId();
    return !this.noMoreBefore && oldest !== null && oldest > 1;
  }

  oldestId() {
    // The sorted list is kept until the next change: no pass over 10,000 ids per call.
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

export class ChatState extends EventTarget {
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

  /**
   * Note a change; listeners hear about it at most once per ~16 ms, with all keys changed.
   * A change after a quiet spell goes out in the next task (the chat list at start, one
   * new message), not 16 ms later; a burst of frames is still heard about in one go.
   */
  changed(type, key = '*') {
    if (this.disposed) return;
    if (!this.pendingEvents.has(type)) this.pendingEvents.set(type, new Set());
    this.pendingEvents.get(type).add(key);
    if (!this.flushTimer) {
      const wait = Math.max(0, 16 - (performance.now() - this.flushedAt));
      this.flushTimer = setTimeout(() => this.flush(), wait);
    }
  }

  /** After logout: no more events reach the (shared) DOM. */
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

  /** Time of the newest activity in a channel, for sorting the channel list. */
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

  /** Members of a channel other than me (empty for a large group without a list). */
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
