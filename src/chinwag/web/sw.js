// chinwag service worker: shows Web Push notifications and opens the app on click.
// Push payload (JSON): {channel_id, sender_name, count, text?}.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function describe(payload) {
  const count = Number(payload.count) || 1;
  const title = payload.sender_name ? String(payload.sender_name) : 'chinwag';
  let body;
  if (typeof payload.text === 'string' && payload.text) {
    body = payload.text.length > 200 ? `${payload.text.slice(0, 200)}…` : payload.text;
    if (count > 1) body = `${body} (+${count - 1} more)`;
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
    tag: channelId ? `channel-${channelId}` : 'chinwag',
    renotify: true,
    data: { channel_id: channelId },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const channelId = event.notification.data && event.notification.data.channel_id;
  const url = new URL(channelId ? `/#/c/${encodeURIComponent(channelId)}` : '/', self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin !== self.location.origin) continue;
      await client.focus();
      client.postMessage({ type: 'open-channel', channel_id: channelId });
      return;
    }
    await self.clients.openWindow(url);
  })());
});
