// The channel list: one entry per conversation, newest activity first, with unread badges.

import { isImage } from '../media.js';
import { avatar, byTestId, displayName, fillAvatar, formatTime, h, reconcile, setText } from '../dom.js';

/** The other person of a direct channel (their id), or null. */
export function directPeer(state, ch) {
  if (!ch || ch.kind !== 'direct') return null;
  return (ch.members || []).find((id) => id !== state.me.id) || null;
}

export function channelTitle(state, ch) {
  if (!ch) return '';
  if (ch.kind === 'direct') {
    const peer = directPeer(state, ch);
    return peer ? displayName(state.user(peer)) : 'Direct message';
  }
  return ch.name || 'Unnamed group';
}

export function preview(state, m) {
  if (!m) return '';
  const files = m.attachments || [];
  const label = files.length ? (files.every(isImage) ? 'Photo' : 'File') : '';
  // End-to-end encrypted: what this device decrypted, else no more than that it is one.
  const body = m.encrypted ? state.decrypted.get(m.key)?.text || 'Encrypted message' : m.text || label;
  const text = body.length > 140 ? body.slice(0, 140) : body;
  const flat = text.replace(/\s+/g, ' ').trim();
  if (m.sender_id === state.me.id) return `${m.state === 'pending' ? 'Sending: ' : 'You: '}${flat}`;
  const ch = state.channels.get(m.channel_id);
  if (ch?.kind === 'group') return `${displayName(state.user(m.sender_id))}: ${flat}`;
  return flat;
}

export function mountChannelList(ctx) {
  const { state } = ctx;
  const list = byTestId('channel-list');
  const empty = byTestId('channel-list-empty');
  const loading = byTestId('channel-list-loading');
  let ready = false;

  function create(ch) {
    const box = avatar(null, 'md');
    const dot = h('span', { class: 'dot', dataset: { testid: 'presence-dot', status: 'offline' }, hidden: true });
    const link = h('a', { class: 'channel-link', href: `#/c/${encodeURIComponent(ch.id)}` },
      h('span', { class: 'avatar-wrap' }, box, dot),
      h('span', { class: 'channel-main' },
        h('span', { class: 'channel-top' },
          h('span', { class: 'channel-name', dataset: { testid: 'channel-name' } }),
          h('span', { class: 'sr-only channel-online' }),
          h('span', { class: 'tag channel-muted', dataset: { testid: 'channel-muted' }, hidden: true }, 'Muted'),
          h('time', { class: 'channel-time' })),
        h('span', { class: 'channel-bottom' },
          h('span', { class: 'channel-preview', dataset: { testid: 'channel-preview' } }),
          h('span', { class: 'badge', dataset: { testid: 'unread-badge' }, 'aria-hidden': 'true', hidden: true }),
          h('span', { class: 'sr-only channel-unread' }))));
    // Through the router, so that "back" returns to this list rather than adding to history.
    link.addEventListener('click', (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      ctx.navigate(ch.id);
    });
    return h('li', { dataset: { testid: 'channel-item', channelId: ch.id } }, link);
  }

  function update(li, ch) {
    const title = channelTitle(state, ch);
    const unread = state.unread(ch.id);
    const last = state.lastMessage.get(ch.id);
    const current = state.currentChannelId === ch.id;
    li.dataset.unread = String(unread);
    li.dataset.kind = ch.kind;
    const link = li.firstElementChild;
    if (current) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
    setText(li.querySelector('.channel-name'), title);
    const peer = directPeer(state, ch);
    fillAvatar(li.querySelector('.avatar'), peer ? state.user(peer) : { id: ch.id }, title);
    const dot = li.querySelector('.dot');
    dot.hidden = !peer;
    const online = !!peer && state.presence.get(peer)?.status === 'online';
    if (peer) dot.dataset.status = online ? 'online' : 'offline';
    setText(li.querySelector('.channel-online'), online ? ' (online)' : '');
    li.querySelector('.channel-muted').hidden = !ch.muted_until;
    const time = li.querySelector('time');
    setText(time, last ? formatTime(last.created_at) : '');
    const text = preview(state, last)
      || (ch.last_message_id ? '' : ch.kind === 'group' ? `${ch.member_count || ''} members`.trim() : 'No messages yet');
    setText(li.querySelector('.channel-preview'), text);
    const badge = li.querySelector('[data-testid="unread-badge"]');
    badge.hidden = unread === 0;
    setText(badge, unread > 99 ? '99+' : String(unread));
    setText(li.querySelector('.channel-unread'), unread ? `, ${unread} unread` : '');
  }

  function render() {
    const channels = [...state.channels.values()]
      .sort((a, b) => state.activity(b.id) - state.activity(a.id) || (a.id < b.id ? -1 : 1));
    reconcile(list, channels, (c) => c.id, create, update);
    loading.hidden = state.channelsLoaded;
    empty.hidden = !state.channelsLoaded || channels.length > 0;
    if (state.channelsLoaded && !ready) {
      ready = true;
      // For the load-time benchmark (scripts/bench-web.py): the list can be used from now.
      performance.mark('chinwag:list-ready');
    }
  }

  for (const ev of ['channels', 'users', 'presence', 'route', 'messages']) state.on(ev, render);
  render();
}
