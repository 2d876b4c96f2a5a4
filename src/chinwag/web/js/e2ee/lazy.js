// End-to-end encryption, as the app shell sees it: a hook, kept small. The rest is its
// own bundle (js/e2ee/main.js): its controls (badge, "Encrypt", the new-group choice) come
// when the browser is idle after the start; the vendored WebAssembly library only when an
// encrypted conversation is opened or created.

import { toastError } from '../ui/dialogs.js';

// Rewritten by the build to the hashed name of the e2ee bundle.
const BUNDLE = '/assets/e2ee.js';
export const LIBRARY = '/vendor/matrix-sdk-crypto-wasm-18.9.0/index.mjs';
const NOTICES = new Set(['to_device', 'device_lists', 'keys_count']);
// The library's IndexedDB store of one device (it adds these suffixes to the name).
const storeName = (s) => `chinwag-e2ee-${s.user.id}-${s.device_id}`;
const STORE_DBS = ['::matrix-sdk-crypto', '::matrix-sdk-crypto-meta'];

export class E2ee {
  constructor(ctx, session) {
    this.ctx = ctx;
    this.session = session; // {user, device_id}
    this.bundle = null;
    this.loading = null;
    this.crypto = null;
    this.declined = false; // the passphrase was not given: ask again on the next opening
    ctx.state.on('route', () => this.opened(ctx.state.currentChannelId));
    ctx.state.on('channels', () => { if (!this.declined) this.opened(ctx.state.currentChannelId); });
  }

  /** The e2ee bundle, its controls mounted (once). */
  load() {
    if (!this.bundle) {
      this.bundle = import(BUNDLE).then((m) => { m.e2ee.mount(this.ctx); return m.e2ee; });
      this.bundle.catch(() => { this.bundle = null; });
    }
    return this.bundle;
  }

  /** The crypto machine, loading and unlocking it first (asks for the passphrase). */
  ready() {
    if (!this.loading) {
      this.loading = this.load()
        .then((m) => m.start(this.ctx, this.session, LIBRARY, storeName(this.session)))
        .then((crypto) => { this.crypto = crypto; return crypto; })
        .catch((err) => { this.loading = null; throw err; });
    }
    return this.loading;
  }

  /** Upload a file of an encrypted channel: encrypted here, an opaque blob to the server. */
  upload(file, name, onProgress) {
    let inner = null;
    let cancelled = false;
    const done = (async () => {
      const sealed = await (await this.ready()).seal(file);
      if (cancelled) throw new DOMException('cancelled', 'AbortError');
      inner = this.ctx.api.upload(sealed.blob, 'encrypted', onProgress);
      const { id } = await inner.done;
      return { id, name, content_type: file.type || 'application/octet-stream', size: file.size, file: sealed.info };
    })();
    return { done, cancel: () => { cancelled = true; inner?.cancel(); } };
  }

  /** The plaintext of an encrypted file (a Blob), for media.js. */
  async open(attachment) {
    return (await this.ready()).open(attachment);
  }

  /** Logged out: this device's keys are of no more use; they are deleted. */
  async forget() {
    const crypto = await this.loading?.catch(() => null);
    crypto?.machine.close();
    localStorage.removeItem(`chinwag.e2ee.${this.session.device_id}`);
    for (const suffix of STORE_DBS) indexedDB.deleteDatabase(storeName(this.session) + suffix);
  }

  encrypted(channelId) {
    return Boolean(this.ctx.state.channels.get(channelId)?.encrypted);
  }

  /** A conversation was opened: an encrypted one needs the machine. */
  opened(channelId) {
    if (!channelId || !this.encrypted(channelId) || this.loading) return;
    this.declined = false;
    this.ready().catch((err) => { this.declined = true; toastError(err); });
  }

  /**
   * Key notices from the server. While the machine starts they wait for it (its first
   * pull may have missed them); before that they wait on the server.
   */
  frame(f) {
    if (NOTICES.has(f.type) && this.loading) this.loading.then((c) => c.frame(f), () => {});
  }

  /** What the model holds of a message to encrypt: no text, no files (memory has them). */
  hold(item) {
    this.ctx.state.decrypted.set(`c:${item.client_msg_id}`, { text: item.text, files: item.attachments });
    return { ...item, text: '', attachments: [], encrypted: {} };
  }

  /** Encrypt and send a pending item of an encrypted channel (see Chat.send). */
  async send(item, entry) {
    const { state } = this.ctx;
    try {
      const crypto = await this.ready();
      await crypto.send(item, entry);
    } catch (err) {
      state.log(item.channel_id).fail(item.client_msg_id, err?.message || String(err));
      state.changed('messages', item.channel_id);
    }
  }
}
