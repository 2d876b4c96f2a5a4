// Avatars are uploaded images (docs/protocol.md, "Avatars"), read with the session's token
// like any attachment: each known user's avatar thumbnail is fetched once (kept in
// IndexedDB with the other thumbnails) and its object URL put on the user in the state
// as `avatar_img: {id, url}`, which the avatar views show (dom.js, fillAvatar). The page
// never loads an image from another origin: the CSP allows none.

import { Media } from './media.js';

export class Avatars {
  constructor(state, api, cache, signal) {
    this.state = state;
    this.media = new Media(api, cache);
    this.failed = new Set(); // avatar ids that could not be read: not asked for again
    this.loading = new Set();
    const look = (keys) => this.look(keys);
    state.on('users', look);
    state.on('me', () => this.look(new Set([state.me.id])));
    signal.addEventListener('abort', () => {
      this.disposed = true;
      this.media.dispose();
    });
    this.look(new Set(['*']));
  }

  look(keys) {
    const all = keys.has('*');
    for (const user of all ? this.state.users.values() : [...keys].map((id) => this.state.user(id))) {
      const id = user?.avatar_id;
      if (!id || user.avatar_img?.id === id || this.failed.has(id) || this.loading.has(id)) continue;
      this.loading.add(id);
      this.media.url({ id }).finally(() => this.loading.delete(id)).then((url) => {
        const now = this.state.user(user.id);
        // Changed again meanwhile, or logged out: the newer change has its own fetch.
        if (this.disposed || now?.avatar_id !== id) return;
        this.state.putUser({ id: user.id, avatar_img: { id, url } });
      }, () => this.failed.add(id));
    }
  }
}
