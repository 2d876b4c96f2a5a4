// People: find users by username, friend requests (incoming and outgoing), and the
// friends list with a live presence dot and "last active" time.

import { avatar, byTestId, displayName, fillAvatar, h, reconcile, relativeTime, setText } from '../dom.js';
import { confirmDialog, toast, toastError } from './dialogs.js';

export function presenceText(p) {
  if (p?.status === 'online') return 'Online';
  return p?.last_active_at ? `Last active ${relativeTime(p.last_active_at)}` : 'Offline';
}

export function mountPeople(ctx) {
  const { state, chat, signal } = ctx;
  const results = byTestId('user-search-results');
  const searchStatus = byTestId('user-search-status');
  const incoming = byTestId('friend-requests-incoming');
  const outgoing = byTestId('friend-requests-outgoing');
  const requestsEmpty = byTestId('friend-requests-empty');
  const friends = byTestId('friend-list');
  const friendsEmpty = byTestId('friend-list-empty');
  let found = [];

  /** Run an action from a button: disable it meanwhile, show errors as toasts. */
  async function act(button, fn, context) {
    button.disabled = true;
    try {
      await fn();
    } catch (err) {
      toastError(err, context);
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  }

  async function message(userId, button) {
    await act(button, async () => {
      const id = await chat.startDirect(userId);
      ctx.navigate(id);
    }, { forbidden: 'You can only message friends.' });
  }

  // ---- search ----
  byTestId('user-search-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = byTestId('user-search-input').value.trim();
    if (!q) {
      searchStatus.textContent = 'Type a username to search.';
      return;
    }
    searchStatus.textContent = 'Searching…';
    try {
      found = await chat.searchUsers(q);
      searchStatus.textContent = found.length ? `${found.length} found.` : `No one is called “${q}”.`;
    } catch (err) {
      found = [];
      searchStatus.textContent = ctx.friendly(err);
    }
    renderResults();
  }, { signal });

  function relation(userId) {
    if (userId === state.me.id) return 'me';
    if (state.blocked?.has(userId)) return 'blocked';
    if (state.friends.has(userId)) return 'friend';
    if (state.requests.outgoing.some((r) => r.to_user_id === userId)) return 'outgoing';
    if (state.requests.incoming.some((r) => r.from_user_id === userId)) return 'incoming';
    return 'none';
  }

  function personRow(testid, user) {
    return h('li', { dataset: { testid, userId: user.id } },
      avatar(user, 'md'),
      h('span', { class: 'person-main' },
        h('span', { class: 'person-name', dataset: { testid: 'person-name' } }),
        h('span', { class: 'person-sub' })),
      h('span', { class: 'person-actions' }));
  }

  function fillPerson(li, user, sub) {
    fillAvatar(li.querySelector('.avatar'), state.user(user.id) || user);
    setText(li.querySelector('.person-name'), displayName(user));
    setText(li.querySelector('.person-sub'), sub);
  }

  function renderResults() {
    reconcile(results, found, (u) => u.id, (u) => personRow('user-result', u), (li, u) => {
      const user = state.user(u.id) || u;
      fillPerson(li, user, `@${user.username}`);
      const rel = relation(u.id);
      if (li.dataset.relation === rel) return;
      li.dataset.relation = rel;
      const actions = li.querySelector('.person-actions');
      actions.replaceChildren();
      if (rel === 'me') {
        actions.append(h('span', { class: 'tag' }, 'You'));
        return;
      }
      if (rel === 'blocked') {
        actions.append(h('span', { class: 'tag' }, 'Blocked'),
          h('button', { type: 'button', class: 'small', dataset: { testid: 'user-result-unblock' },
            'aria-label': `Unblock ${displayName(user)}`,
            onclick: (e) => act(e.currentTarget, () => ctx.safety.unblock(u.id)) }, 'Unblock'));
        return;
      }
      if (rel === 'outgoing') actions.append(h('span', { class: 'tag' }, 'Request sent'));
      else if (rel === 'friend') {
        actions.append(h('button', { type: 'button', class: 'small', dataset: { testid: 'user-result-message' },
          onclick: (e) => message(u.id, e.currentTarget) }, 'Message'));
      } else if (rel === 'incoming') {
        const req = state.requests.incoming.find((r) => r.from_user_id === u.id);
        actions.append(h('button', { type: 'button', class: 'small primary', dataset: { testid: 'user-result-accept' },
          onclick: (e) => act(e.currentTarget, () => chat.acceptRequest(req.id)) }, 'Accept request'));
      } else {
        actions.append(h('button', { type: 'button', class: 'small primary', dataset: { testid: 'add-friend-button' },
          'aria-label': `Add ${displayName(user)} as a friend`,
          onclick: (e) => act(e.currentTarget, async () => {
            await chat.sendFriendRequest(u.id);
            toast(`Friend request sent to ${displayName(user)}.`);
          }, { conflict: 'You are already friends, or a request is pending.' }) }, 'Add friend'));
      }
      actions.append(h('button', { type: 'button', class: 'small danger', dataset: { testid: 'user-result-block' },
        'aria-label': `Block ${displayName(user)}`,
        onclick: (e) => act(e.currentTarget, () => ctx.safety.block(u.id)) }, 'Block'));
    });
  }

  // ---- requests ----
  function renderRequests() {
    const { incoming: inc, outgoing: out } = state.requests;
    reconcile(incoming, inc, (r) => r.id, (r) => {
      const li = personRow('friend-request', { id: r.from_user_id });
      li.dataset.direction = 'incoming';
      li.dataset.requestId = r.id;
      const actions = li.querySelector('.person-actions');
      actions.append(
        h('button', { type: 'button', class: 'small primary', dataset: { testid: 'friend-request-accept' },
          onclick: (e) => act(e.currentTarget, async () => {
            await chat.acceptRequest(r.id);
            toast(`You are now friends with ${displayName(state.user(r.from_user_id))}.`);
          }) }, 'Accept'),
        h('button', { type: 'button', class: 'small', dataset: { testid: 'friend-request-decline' },
          onclick: (e) => act(e.currentTarget, () => chat.declineRequest(r.id)) }, 'Decline'));
      return li;
    }, (li, r) => {
      const user = state.user(r.from_user_id) || { id: r.from_user_id };
      fillPerson(li, user, 'wants to be your friend');
      for (const b of li.querySelectorAll('button')) {
        b.setAttribute('aria-label', `${b.textContent} friend request from ${displayName(user)}`);
      }
    });
    reconcile(outgoing, out, (r) => r.id, (r) => {
      const li = personRow('friend-request', { id: r.to_user_id });
      li.dataset.direction = 'outgoing';
      li.dataset.requestId = r.id;
      li.querySelector('.person-actions').append(h('span', { class: 'tag' }, 'Pending'));
      return li;
    }, (li, r) => fillPerson(li, state.user(r.to_user_id) || { id: r.to_user_id }, 'request sent'));
    requestsEmpty.hidden = inc.length + out.length > 0;
  }

  // ---- friends ----
  function renderFriends() {
    const list = [...state.friends.values()].map((f) => ({
      user: state.user(f.user.id) || f.user,
      presence: state.presence.get(f.user.id) || f.presence,
    }));
    list.sort((a, b) => {
      const on = (x) => (x.presence?.status === 'online' ? 0 : 1);
      return on(a) - on(b) || displayName(a.user).localeCompare(displayName(b.user));
    });
    reconcile(friends, list, (f) => f.user.id, (f) => {
      const li = h('li', { dataset: { testid: 'friend-item', userId: f.user.id } },
        h('span', { class: 'avatar-wrap' }, avatar(f.user, 'md'),
          h('span', { class: 'dot', dataset: { testid: 'presence-dot', status: 'offline' } })),
        h('span', { class: 'person-main' },
          h('span', { class: 'person-name', dataset: { testid: 'friend-name' } }),
          h('span', { class: 'person-sub', dataset: { testid: 'friend-status-text' } }),
          h('span', { class: 'person-sub', dataset: { testid: 'friend-last-active' } })),
        h('span', { class: 'person-actions' },
          h('button', { type: 'button', class: 'small primary', dataset: { testid: 'friend-message-button' },
            onclick: (e) => message(f.user.id, e.currentTarget) }, 'Message'),
          h('button', { type: 'button', class: 'small', dataset: { testid: 'friend-remove-button' },
            onclick: async (e) => {
              const button = e.currentTarget;
              const name = displayName(state.user(f.user.id));
              if (!(await confirmDialog(`Remove ${name} from your friends?`, 'Remove'))) return;
              await act(button, () => chat.removeFriend(f.user.id));
            } }, 'Remove'),
          h('button', { type: 'button', class: 'small danger', dataset: { testid: 'friend-block-button' },
            onclick: (e) => act(e.currentTarget, () => ctx.safety.block(f.user.id)) }, 'Block')));
      return li;
    }, (li, f) => {
      const status = f.presence?.status === 'online' ? 'online' : 'offline';
      const name = displayName(f.user);
      li.dataset.status = status;
      fillAvatar(li.querySelector('.avatar'), state.user(f.user.id) || f.user);
      const dot = li.querySelector('.dot');
      dot.dataset.status = status;
      dot.setAttribute('aria-label', status);
      dot.setAttribute('role', 'img');
      setText(li.querySelector('.person-name'), name);
      setText(li.querySelector('[data-testid="friend-status-text"]'), f.user.status_text || '');
      setText(li.querySelector('[data-testid="friend-last-active"]'), presenceText(f.presence));
      li.querySelector('[data-testid="friend-message-button"]').setAttribute('aria-label', `Message ${name}`);
      li.querySelector('[data-testid="friend-remove-button"]').setAttribute('aria-label', `Remove ${name} from friends`);
      li.querySelector('[data-testid="friend-block-button"]').setAttribute('aria-label', `Block ${name}`);
    });
    friendsEmpty.hidden = list.length > 0;
  }

  // Every start shows the chats tab, where this panel is hidden: its lists are brought up
  // to date when the browser is idle (or at once when the tab is shown), not in the same
  // turn as the chat list a person is waiting for.
  const panel = friends.closest('[role="tabpanel"]');
  const due = new Set();
  let idle = 0;
  const runDue = () => {
    cancelIdle(idle);
    idle = 0;
    const fns = [...due];
    due.clear();
    for (const fn of fns) fn();
  };
  const soon = (...fns) => {
    for (const fn of fns) due.add(fn);
    if (!panel || !panel.hidden) runDue();
    else if (!idle) idle = onIdle(runDue);
  };
  const shown = new MutationObserver(() => { if (due.size && !panel.hidden) runDue(); });
  if (panel) shown.observe(panel, { attributes: true, attributeFilter: ['hidden'] });

  state.on('requests', () => soon(renderRequests, renderResults));
  state.on('friends', () => soon(renderFriends, renderResults));
  state.on('presence', () => soon(renderFriends));
  state.on('users', () => soon(renderFriends, renderRequests, renderResults));
  state.on('blocks', () => soon(renderResults));
  const timer = setInterval(() => soon(renderFriends), 30000);
  signal.addEventListener('abort', () => {
    clearInterval(timer);
    cancelIdle(idle);
    shown.disconnect();
  });
  soon(renderRequests, renderFriends);
}

// requestIdleCallback where there is one (not in Safari); a timeout should never wait for
// an idle moment more than a second.
function onIdle(fn) {
  return window.requestIdleCallback ? requestIdleCallback(fn, { timeout: 1000 }) : setTimeout(fn, 200);
}

function cancelIdle(id) {
  if (!id) return;
  if (window.cancelIdleCallback) cancelIdleCallback(id);
  else clearTimeout(id);
}
