// chinwag service worker: keeps the app shell for offline starts, shows Web Push
// notifications and opens the right conversation when one is clicked.
//
// The shell (index.html, the one script, the one stylesheet, manifest, icons) lives in a
// cache named after this build's VERSION (written by scripts/build-web.py), filled whole
// on install. A new version installs beside the old one and waits: the page offers to
// reload, and only then does it take over and delete the old cache. So a page always runs
// one version's files, never a mix. API calls are never cached here: the app keeps its
// data in IndexedDB.

// build:start
const VERSION = 'e31dfe2ee501';
const SHELL = ["/", "/assets/app-bccf998eae.css", "/assets/boot-c4bc42d6a9.js", "/assets/app-c433b30054.js", "/assets/views-a4383a2788.js", "/manifest.webmanifest", "/icons/icon.svg", "/icons/icon-192.png", "/icons/icon-512.png", "/icons/maskable-512.png"];
// build:end

const PREFIX = 'chinwag-shell-';
const CACHE = `${PREFIX}${VERSION}`;

self.addEventListener('install', (event) => {
  // Hashed assets never change, so the HTTP cache's copies (of the page that just loaded
  // them) are good; everything else is revalidated ('no-cache'), mostly a 304.
  const request = (url) => new Request(url, { cache: url.startsWith('/assets/') ? 'default' : 'no-cache' });
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map(request))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

async function fromShell(key, request) {
  const hit = await caches.match(key, { cacheName: CACHE });
  return hit || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The app lives at "/" (routes are in the hash); other pages (/openapi.json, ...) are
  // the server's.
  if (request.mode === 'navigate') {
    if (url.pathname === '/' || url.pathname === '/index.html') event.respondWith(fromShell('/', request));
    return;
  }
  if (url.pathname !== '/' && SHELL.includes(url.pathname)) {
    event.respondWith(fromShell(url.pathname, request));
  }
});

// ---- notifications ----

function describe(payload) {
  const count = Number(payload.count) || 1;
  const title = payload.sender_name ? String(payload.sender_name) : 'chinwag';
  let body;
  if (typeof payload.text === 'string' && payload.text) {
    body = payload.text.length > 200 ? `${payload.text.slice(0, 200)}…` : payload.text;
    if (count > 1) body = `${body} (+${count - 1} more)`;
  } else if (count === 1 && (payload.media === 'photo' || payload.media === 'file')) {
    body = `sent a ${payload.media}`;
  } else {
    body = count > 1 ? `${count} new messages` : 'New message';
  }
  return { title, body };
}

self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { text: event.data ? event.data.text() : '' };
  }
  const { title, body } = describe(payload || {});
  const channelId = payload && payload.channel_id ? String(payload.channel_id) : null;
  event.waitUntil(self.registration.showNotification(title, {
    body,
    icon: '/icons/icon-192.png',
    tag: channelId ? `channel-${channelId}` : 'chinwag',
    renotify: true,
    data: { channel_id: channelId },
  }));
});

/** Show a conversation: in an open window of the app if there is one, else in a new one. */
async function openConversation(channelId) {
  const url = new URL(channelId ? `/#/c/${encodeURIComponent(channelId)}` : '/', self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin) continue;
    client.postMessage({ type: 'open-channel', channel_id: channelId });
    try {
      await client.focus();
    } catch { /* focusing needs a user gesture in some browsers; the route changed anyway */ }
    return client;
  }
  return self.clients.openWindow(url);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const channelId = event.notification.data && event.notification.data.channel_id;
  event.waitUntil(openConversation(channelId));
});
