// Routes in the hash: `#/c/<channel id>` is a conversation, `#/` (or nothing) the list.
// Opening a conversation from the list pushes a history entry marked `overList`, so the
// in-app back button and the phone's back gesture both return to that same list entry
// instead of stacking list, chat, list, chat...

export function channelFromHash(hash = location.hash) {
  const m = hash.match(/^#\/c\/(.+)$/);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

const hashOf = (channelId) => (channelId ? `#/c/${encodeURIComponent(channelId)}` : '#/');

export class Router {
  /** @param {(channelId: string|null) => void} onRoute called on every change of route */
  constructor(onRoute) {
    this.onRoute = onRoute;
    const changed = () => this.onRoute(channelFromHash());
    // Back/forward fire popstate; typing a hash in the address bar fires hashchange too.
    window.addEventListener('popstate', changed);
    window.addEventListener('hashchange', changed);
  }

  current() {
    return channelFromHash();
  }

  /** Show a conversation (or the list, for null). */
  go(channelId) {
    const hash = hashOf(channelId);
    if (location.hash === hash) {
      this.onRoute(channelId);
      return;
    }
    if (!channelId && history.state?.overList) {
      history.back(); // the entry below is the list we came from
      return;
    }
    const fromList = !channelFromHash();
    history.pushState({ overList: !!channelId && fromList }, '', hash);
    this.onRoute(channelId);
  }

  /** Leave the route without a history entry (logging out). */
  clear() {
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  }
}
