// End-to-end encryption, as the app shell sees it: a hook, kept small. The rest
// (js/e2ee/main.js and what it imports) is a part of the build of its own, outside the
// service worker's shell, fetched when a conversation, the new-group dialog or the
// settings are first opened (its controls: badge, "Encrypt", the group choice, recovery
// keys); it shares the app's modules (api, dom, dialogs), not copies of them. The vendored
// WebAssembly library comes only when an encrypted conversation is opened or something
// is sent in one.

import { toastError } from '../ui/dialogs.js';

const LIBRARY = '/vendor/matrix-sdk-crypto-wasm-18.9.0/index.mjs';

export class E2ee {
  constructor(ctx, session) {
    this.ctx = ctx;
    this.session = session; // {user, device_id}
    // The library's IndexedDB store of this device (it adds '::matrix-sdk-crypto[-meta]').
    this.store = `chinwag-e2ee-${session.user.id}-${session.device_id}`;
    this.bundle = null;
    this.loading = null;
    this.declined = false; // the passphrase was not given: asked again on the next opening
    ctx.state.on('route', () => this.opened(true));
    ctx.state.on('channels', () => this.opened(false));
    for (const id of ['new-group-button', 'settings-button']) {
      document.querySelector(`[data-testid="${id}"]`).addEventListener('click', () => this.load(), { signal: ctx.signal });
    }
  }

  /** The e2ee bundle, its controls mounted (once). */
  load() {
    this.bundle ||= import('./main.js').then((m) => {
      m.mount(this.ctx);
      return m;
    }, (err) => {
      this.bundle = null;
      throw err;
    });
    return this.bundle;
  }

  /** The crypto machine, loading and unlocking it first (asks for the passphrase). */
  ready() {
    this.loading ||= this.load()
      .then((m) => m.start(this.ctx, this.session, LIBRARY, this.store))
      .catch((err) => {
        this.loading = null;
        throw err;
      });
    return this.loading;
  }

  encrypted(channelId) {
    return Boolean(this.ctx.state.channels.get(channelId)?.encrypted);
  }

  /** A conversation is shown: an encrypted one needs the machine. */
  opened(routed) {
    const cid = this.ctx.state.currentChannelId;
    if (cid) this.load().catch(() => {});
    if (!this.encrypted(cid) || this.loading || (this.declined && !routed)) return;
    this.declined = false;
    this.ready().catch((err) => {
      this.declined = true;
      toastError(err);
    });
  }

  /**
   * Key notices (to_device, device_lists, keys_count). While the machine starts they wait
   * for it (its first pull may have missed them); before that they wait on the server.
   */
  frame(f) {
    this.loading?.then((c) => c.frame(f), () => {});
  }

  /** What the model holds of a message to encrypt: no text, no files (memory has them). */
  hold(item) {
    this.ctx.state.decrypted.set(`c:${item.client_msg_id}`, { text: item.text, files: item.attachments });
    return { ...item, text: '', attachments: [], encrypted: {} };
  }

  /** Encrypt and send a pending item of an encrypted channel (see Chat.send). */
  send(item, entry) {
    this.ready().then((c) => c.send(item, entry)).catch((err) => {
      const { state } = this.ctx;
      state.log(item.channel_id).fail(item.client_msg_id, err?.message || String(err));
      state.changed('messages', item.channel_id);
    });
  }

  /** Upload a file of an encrypted channel: encrypted first, an opaque blob to the server. */
  upload(file, name, onProgress) {
    const started = this.ready().then((c) => c.upload(file, name, onProgress));
    return { done: started.then((u) => u.done), cancel: () => started.then((u) => u.cancel(), () => {}) };
  }

  /** The plaintext of an encrypted file (a Blob), for media.js. */
  async open(attachment) {
    return (await this.ready()).open(attachment);
  }

  /** Logged out: this device's keys are of no more use; they are deleted. */
  async forget() {
    (await this.loading?.catch(() => null))?.machine.close();
    localStorage.removeItem(`chinwag.e2ee.${this.session.device_id}`);
    for (const end of ['', '-meta']) indexedDB.deleteDatabase(`${this.store}::matrix-sdk-crypto${end}`);
  }
}
