// The chat list as last shown, kept in localStorage: a warm start renders it straight
// away, before IndexedDB has opened (which alone can take 100 ms on a slow phone). Only
// what the list shows: its channels, each one's newest message cut to a preview, and the
// people those name. Written a second after the list changes; deleted on logging out.

const VERSION = 1;
const SAVE_AFTER_MS = 1000;
const PREVIEW_CHARS = 160;
const key = (userId) => `chinwag.list.${userId}`;

export function loadSnapshot(userId) {
  try {
    const s = JSON.parse(localStorage.getItem(key(userId)) || 'null');
    return s && s.v === VERSION && Array.isArray(s.channels) ? s : null;
  } catch {
    return null;
  }
}

/** Show a snapshot: only into an empty model (anything newer has already come). */
export function applySnapshot(state, snap) {
  if (!snap || state.channelsLoaded) return;
  for (const u of snap.users || []) if (!state.users.has(u.id)) state.putUser(u);
  for (const ch of snap.channels) state.putChannel(ch);
  for (const m of snap.last || []) if (!state.lastMessage.has(m.channel_id)) state.lastMessage.set(m.channel_id, m);
  state.channelsLoaded = true;
  state.changed('channels');
  // Rendered in this task, while the app's script runs: the next frame drawn shows the
  // list, rather than the empty shell, with the list a timer task later.
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
  // Members of groups are not needed to show the list; large ones would only add bytes.
  const channels = [...state.channels.values()].map((ch) => (ch.kind === 'group' ? { ...ch, members: undefined } : ch));
  return { v: VERSION, channels, last, users: [...users.values()] };
}

/** Keep the snapshot current while the session lasts. */
export function trackSnapshot(state, userId, signal) {
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

export function dropSnapshot(userId) {
  try {
    localStorage.removeItem(key(userId));
  } catch { /* nothing to drop */ }
}
