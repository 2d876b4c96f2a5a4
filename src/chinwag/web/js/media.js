// Pictures and files of messages: object URLs for thumbnails and images, fetched with the
// session's token and kept in IndexedDB (thumbnails, and images up to MEDIA_CACHE_BYTES)
// like the messages that show them; downloads saved under the file's name.

import { MEDIA_CACHE_BYTES } from './store.js';

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MAX_URLS = 300;

export const isImage = (a) => IMAGE_TYPES.has(a.content_type);

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

export class Media {
  constructor(api, cache, e2ee = null) {
    this.api = api;
    this.cache = cache;
    this.e2ee = e2ee;
    this.urls = new Map(); // key -> Promise<object URL>, oldest first
  }

  /** An object URL of an image attachment's thumbnail (or the whole image). */
  url(attachment, { full = false } = {}) {
    const key = `${full ? 'file' : 'thumb'}:${attachment.id}`;
    let pending = this.urls.get(key);
    if (pending) {
      this.urls.delete(key); // most recently used goes last
      this.urls.set(key, pending);
      return pending;
    }
    pending = this.blob(attachment, key, !full).then((b) => URL.createObjectURL(b));
    pending.catch(() => this.urls.delete(key));
    this.urls.set(key, pending);
    while (this.urls.size > MAX_URLS) {
      const [oldest, url] = this.urls.entries().next().value;
      this.urls.delete(oldest);
      url.then((u) => URL.revokeObjectURL(u), () => {});
    }
    return pending;
  }

  async blob(attachment, key, thumbnail) {
    // End-to-end encrypted: decrypted by js/e2ee/ (no thumbnail), never cached in the clear.
    if (attachment.file) return this.e2ee.open(attachment);
    const cached = await this.cache?.getMedia(key).catch(() => undefined);
    if (cached) return cached;
    const blob = await this.api.attachment(attachment.id, { thumbnail });
    if (thumbnail || blob.size <= MEDIA_CACHE_BYTES) this.cache?.putMedia(key, blob).catch(() => {});
    return blob;
  }

  /** Save the file under its name (display text only: the browser makes it a safe name). */
  async download(attachment) {
    const blob = await this.blob(attachment, `file:${attachment.id}`, false);
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = attachment.name;
    a.rel = 'noopener';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  dispose() {
    for (const url of this.urls.values()) url.then((u) => URL.revokeObjectURL(u), () => {});
    this.urls.clear();
  }
}
