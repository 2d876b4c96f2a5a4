// Attention: a WebAudio beep, the "(3) chinwag" title badge, local notifications while the
// tab is hidden, and Web Push registration (service worker + VAPID subscription).

const MUTED_KEY = 'chinwag.muted';
const pushKey = (userId) => `chinwag.push.${userId}`;
const BASE_TITLE = 'chinwag';

export class Sound {
  constructor() {
    this.ctx = null;
    this.muted = localStorage.getItem(MUTED_KEY) === '1';
    this.lastBeep = 0;
    // Browsers only let audio start after a user gesture: unlock on the first one.
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

export function setTitleCount(count) {
  const title = count > 0 ? `(${count > 999 ? '999+' : count}) ${BASE_TITLE}` : BASE_TITLE;
  if (document.title !== title) document.title = title;
}

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
    && window.isSecureContext;
}

export function notificationsGranted() {
  return 'Notification' in window && Notification.permission === 'granted';
}

/** Show a notification for a message while this tab is hidden (the server does not push
 * to users who have a device online). */
export async function showLocalNotification({ title, body, channelId }) {
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

/**
 * "Enable notifications": permission, service worker, VAPID subscription, and its
 * registration with the server. Resolves to a sentence to show; throws with one on failure.
 */
export async function enablePush(api, userId) {
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

export function pushEnabled(userId) {
  return notificationsGranted() && !!localStorage.getItem(pushKey(userId));
}

/** On logout: stop pushes to this browser for this account. */
export async function disablePush(api, userId) {
  const id = localStorage.getItem(pushKey(userId));
  localStorage.removeItem(pushKey(userId));
  if (id) await api.removePushSubscription(id).catch(() => {});
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    const sub = await reg?.pushManager?.getSubscription();
    if (sub) await sub.unsubscribe();
  } catch { /* nothing to undo */ }
}
