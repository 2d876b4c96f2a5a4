// Wiring: session (token in localStorage), cache, model, sync, connection, views, routing.

import { Api, friendlyError } from './api.js';
import { Avatars } from './avatars.js';
import { Chat, fetchFresh } from './chat.js';
import { byTestId, displayName } from './dom.js';
import { disablePush, setTitleCount, showLocalNotification, Sound } from './notify.js';
import { startServiceWorker } from './pwa.js';
import { Router } from './router.js';
import { Connection, Outbox } from './socket.js';
import { ChatState } from './state.js';
import { deleteCache, openCache } from './store.js';
import { applySnapshot, dropSnapshot, loadSnapshot, trackSnapshot } from './snapshot.js';
import { Sync } from './sync.js';
import { hideAuth, mountAuth, showAuth } from './ui/auth.js';
import { channelTitle, mountChannelList } from './ui/channels.js';
import { announce, closeOnBackdrop, mountProfile, toast } from './ui/dialogs.js';
import { mountShell, setView } from './ui/shell.js';
import { showUpdatePrompt } from './ui/update.js';
import { trackViewport } from './viewport.js';
import { E2ee } from './e2ee/lazy.js';

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

/** The requests boot.js made for this session's token, once. */
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
  // On the network while the cache opens and is read; made by boot.js if it could.
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
  // The list first; the other views come with views.js, loaded once the list is shown.
  mountShell(c);
  mountChannelList(c);
  mountProfile(c);
  // Last session's list at once (warm start), then the cache, then the network.
  applySnapshot(state, loadSnapshot(s.user.id));
  trackSnapshot(state, s.user.id, abort.signal);

  // The list and profiles now, from the requests already on their way, while the cache is
  // read and the connection opens (not after its welcome).
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
  // A link to a conversation needs its view at once; otherwise the list goes first.
  const listShown = router.current() ? null : Promise.race([shown(state), refreshed]);
  mountLater(c, listShown).catch(fatal);
  await refreshed;
  startWorkerOnce();
}

/** Resolves once the chat list has been rendered from data (snapshot, cache or server). */
function shown(state) {
  return new Promise((resolve) => {
    if (state.channelsLoaded) resolve();
    state.on('channels', () => { if (state.channelsLoaded) resolve(); });
  });
}

/** The views past the list, once `after` has settled (loading them is one request). */
async function mountLater(c, after) {
  await after;
  const { mountViews } = await loadViews();
  if (ctx !== c) return;
  await mountViews(c, { alive: () => ctx === c, routed: route });
}

const loadViews = () => import('./views.js');

/** A new message from someone else arrived live. */
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

// ---- routing: #/c/<channel id> opens a conversation, #/ the list ----

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

// ---- leaving ----

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

/** The token no longer works (close code 4001 or HTTP 401): back to the login screen. */
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

/** The account is gone: forget everything of it on this device. */
async function accountDeleted(userId) {
  session = null;
  localStorage.removeItem(SESSION_KEY);
  teardown();
  dropSnapshot(userId);
  await deleteCache(userId).catch(() => {});
  showAuth('Your account has been deleted.');
}

// ---- start ----

trackViewport();

// The service worker's install downloads the shell (from the HTTP cache when it can): only
// once the page has what it needs first, so it never competes with the first load.
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

// Logged out: once the form is shown, the rest of the app is fetched (and the service
// worker installed) while the person types, so logging in does not wait for it.
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
