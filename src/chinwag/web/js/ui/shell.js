// The frame around the views: connection state, sound and notification toggles, the
// profile button, log out, sidebar tabs, badges and the document title.

import { byTestId, fillAvatar, displayName, setText } from '../dom.js';
import { enablePush, pushEnabled, setTitleCount } from '../notify.js';
import { toast } from './dialogs.js';

export function mountShell(ctx) {
  const { state, signal } = ctx;
  const conn = byTestId('connection-state');
  const connText = conn.querySelector('.conn-text');
  const sound = byTestId('sound-toggle');
  const notif = byTestId('enable-notifications');
  const tabs = [byTestId('tab-chats'), byTestId('tab-friends')];
  let countdown = null;

  // ---- connection state, and the offline banner once a connection has failed ----
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

  // ---- sound ----
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

  // ---- notifications ----
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
  // Reading the permission is a synchronous question to the browser, slow on a busy
  // phone: asked once the first screen is drawn.
  if (window.requestIdleCallback) requestIdleCallback(renderNotif, { timeout: 1000 });
  else setTimeout(renderNotif, 200);

  // ---- me ----
  const profileButton = byTestId('profile-button');
  const renderMe = () => {
    setText(byTestId('profile-name'), displayName(state.me));
    fillAvatar(profileButton.querySelector('.avatar'), state.me);
  };
  state.on('me', renderMe);
  renderMe();

  byTestId('logout-button').addEventListener('click', () => ctx.logout(), { signal });

  // ---- tabs (arrow keys move between them, as in the ARIA tabs pattern) ----
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

  // ---- badges and title ----
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

/** On phones the list and the conversation are separate views. */
export function setView(view) {
  document.querySelector('.layout').dataset.view = view;
}
