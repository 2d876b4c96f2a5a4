// The open conversation: header, message list (only the part near the viewport is in the
// page; history on scroll up or pull; read marking of visible messages), typing indicator
// and read receipts.

import { byTestId, displayName, fillAvatar, setText } from '../dom.js';
import { channelTitle, directPeer } from './channels.js';
import { closeOnBackdrop, confirmDialog, openDialog, toast, toastError } from './dialogs.js';
import { Media } from '../media.js';
import { createMessage, listenToMessages, updateMessage } from './messages.js';
import { presenceText } from './people.js';
import { attachPull } from './pull.js';
import { VirtualList } from './virtual-list.js';

const NEAR_BOTTOM_PX = 120;
const LOAD_OLDER_PX = 300;
const RUN_GAP_MS = 5 * 60 * 1000;

export function mountConversation(ctx) {
  const { state, chat, signal } = ctx;
  const root = byTestId('conversation');
  const empty = byTestId('conversation-empty');
  const conv = root.querySelector('.conv');
  const scroller = byTestId('message-list');
  const ol = scroller.querySelector('ol');
  const historyStatus = byTestId('history-status');
  const loadOlderButton = byTestId('load-older');
  const jump = byTestId('jump-to-latest');
  const typingEl = byTestId('typing-indicator');
  const titleEl = byTestId('conversation-title');
  const subtitleEl = byTestId('conversation-subtitle');
  const membersButton = byTestId('members-button');
  const leaveButton = byTestId('leave-group-button');
  let channelId = null;
  const visible = new Set();
  let readTimer = null;

  const media = new Media(chat.api, chat.cache, ctx.e2ee);
  signal.addEventListener('abort', () => media.dispose());
  const viewer = byTestId('media-viewer');
  const viewerImage = byTestId('media-viewer-image');
  let viewing = null;
  closeOnBackdrop(viewer);
  byTestId('media-viewer-close').addEventListener('click', () => viewer.close(), { signal });
  byTestId('media-viewer-download').addEventListener('click', () => {
    if (viewing) media.download(viewing).catch(toastError);
  }, { signal });

  /** An image at full size, in the viewer dialog. */
  function viewImage(a) {
    viewing = a;
    viewerImage.removeAttribute('src');
    viewerImage.alt = a.name;
    setText(byTestId('media-viewer-name'), a.name);
    openDialog(viewer);
    media.url(a, { full: true }).then((url) => {
      if (viewing === a) viewerImage.src = url;
    }, toastError);
  }

  const actions = {
    retry: (e) => chat.retryFailed(e.channel_id, e.client_msg_id),
    dismiss: (e) => chat.dismissFailed(e.channel_id, e.client_msg_id),
    report: (e) => ctx.safety.report(e),
    reply: (e) => ctx.composerReply?.(e),
    jump: (cid, id) => jumpTo(cid, id),
    react: (e, emoji) => chat.toggleReaction(e.channel_id, e.message_id, emoji).catch(toastError),
    async edit(e, text) {
      try {
        await chat.editMessage(e.channel_id, e.message_id, text);
        return true;
      } catch (err) {
        toastError(err);
        return false;
      }
    },
    async remove(e) {
      if (!(await confirmDialog('Delete this message for everyone?', 'Delete'))) return;
      try {
        await chat.deleteMessage(e.channel_id, e.message_id);
      } catch (err) {
        toastError(err);
      }
    },
    media,
    view: viewImage,
  };

  /** Open a conversation at one message (from search or a reply's quote) and mark it. */
  async function jumpTo(cid, messageId) {
    if (!Number.isSafeInteger(messageId)) return;
    if (cid !== channelId) {
      ctx.navigate(cid);
      await show(cid);
    }
    let found = false;
    try {
      found = await chat.loadAround(cid, messageId);
    } catch (err) {
      toastError(err);
    }
    if (cid !== channelId) return;
    renderMessages();
    const el = found ? messages.scrollToKey(`m:${messageId}`) : null;
    if (!el) {
      toast('That message is no longer in the history.', 'error');
      return;
    }
    for (const old of ol.querySelectorAll('.msg.highlight')) old.classList.remove('highlight');
    el.classList.add('highlight');
    el.dataset.jumped = 'true';
    setTimeout(() => { el.classList.remove('highlight'); }, 2500);
  }
  ctx.jumpTo = jumpTo;

  // Messages of others that scroll into view are marked read.
  const observer = new IntersectionObserver((entries) => {
    for (const en of entries) {
      const id = Number(en.target.dataset.messageId);
      if (en.isIntersecting) visible.add(id);
      else visible.delete(id);
    }
    scheduleRead();
  }, { root: scroller, threshold: 0 });
  signal.addEventListener('abort', () => {
    observer.disconnect();
    messages.dispose();
  });

  function scheduleRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(markVisibleRead, 150);
  }

  function markVisibleRead() {
    if (!channelId || document.visibilityState !== 'visible' || !visible.size) return;
    chat.markRead(channelId, Math.max(...visible));
  }
  document.addEventListener('visibilitychange', scheduleRead, { signal });
  window.addEventListener('focus', scheduleRead, { signal });

  listenToMessages(ol, actions, signal);
  const messages = new VirtualList({
    scroller,
    list: ol,
    key: (e) => e.key,
    create: (e) => createMessage(e, actions),
    update: (li, e, i) => {
      updateMessage(li, vmAt(i), state);
      if (e.sender_id !== state.me.id && li.dataset.messageId && !li.observed) {
        li.observed = true;
        observer.observe(li);
      }
    },
    removed: (li) => {
      observer.unobserve(li);
      visible.delete(Number(li.dataset.messageId));
    },
    estimate: 56,
    // Screen readers hear "n of N" once the start of the conversation is loaded.
    setSize: (items) => (state.log(channelId).moreBefore() ? -1 : items.length),
  });

  const scrollToBottom = () => {
    messages.scrollToBottom();
    jump.hidden = true;
  };
  ctx.conversation = { scrollToBottom, get channelId() { return channelId; } };

  // What every message's rendering needs to know about its neighbours, computed once per
  // change of the conversation (not per message).
  let view = { entries: [], me: null, group: false, lastOwnKey: null, receiptKey: null, receipt: null };

  function computeView(entries, ch) {
    const me = state.me.id;
    const group = ch?.kind === 'group';
    const reads = state.reads.get(channelId);
    let maxRead = 0;
    if (reads) for (const v of reads.values()) maxRead = Math.max(maxRead, v);
    let receiptKey = null;
    let lastOwnKey = null;
    let target = 0;
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e.sender_id !== me) continue;
      if (!lastOwnKey) lastOwnKey = e.key;
      if (maxRead && e.message_id && e.message_id <= maxRead) {
        receiptKey = e.key;
        target = e.message_id;
        break;
      }
    }
    let receipt = null;
    if (receiptKey) {
      const readers = [...reads.entries()].filter(([, id]) => id >= target).map(([uid]) => uid);
      if (!group) receipt = 'Seen';
      else {
        const names = readers.slice(0, 3).map((uid) => displayName(state.user(uid)));
        const more = readers.length > 3 ? ` +${readers.length - 3}` : '';
        receipt = `Seen by ${names.join(', ')}${more}`;
      }
    }
    const admin = group && (ch?.role === 'owner' || ch?.role === 'admin');
    return { entries, me, group, lastOwnKey, receiptKey, receipt, admin };
  }

  function vmAt(i) {
    const e = view.entries[i];
    const prev = view.entries[i - 1];
    const replied = Number.isSafeInteger(e.reply_to)
      ? state.log(e.channel_id).byId.get(e.reply_to) : null;
    const gap = prev ? Date.parse(e.created_at) - Date.parse(prev.created_at) : Infinity;
    return {
      entry: e,
      mine: e.sender_id === view.me,
      group: view.group,
      first: !prev || prev.sender_id !== e.sender_id || !(gap < RUN_GAP_MS),
      lastOwn: e.key === view.lastOwnKey,
      // The blocker's client hides what a blocked user writes (in groups they stay members).
      hidden: e.sender_id !== view.me && !!state.blocked?.has(e.sender_id),
      replied,
      admin: view.admin,
      receipt: e.key === view.receiptKey ? view.receipt : null,
    };
  }

  let newestKey = null;

  function renderMessages({ forceBottom = false } = {}) {
    if (!channelId) return;
    const log = state.log(channelId);
    const entries = log.sorted();
    const following = forceBottom || messages.atEnd();
    view = computeView(entries, state.channels.get(channelId));
    messages.setItems(entries, { toBottom: forceBottom });
    const newest = entries[entries.length - 1];
    if (newest && newestKey && newest.key !== newestKey && !following
        && newest.sender_id !== state.me.id) {
      jump.hidden = false;
    }
    if (following) jump.hidden = true;
    newestKey = newest ? newest.key : null;
    renderHistoryStatus(log, entries.length);
    if (log.moreBefore() && scroller.scrollHeight <= scroller.clientHeight + LOAD_OLDER_PX) {
      loadOlder();
    }
    scheduleRead();
  }

  function renderHistoryStatus(log, count) {
    loadOlderButton.hidden = !(log.moreBefore() && !log.loadingBefore);
    let text = '';
    if (log.loadingBefore) text = 'Loading older messages…';
    else if (log.moreBefore()) text = '';
    else if (count) text = 'This is the start of the conversation.';
    else text = log.fetchedLatest ? 'No messages yet. Say hello!' : 'Loading messages…';
    setText(historyStatus, text);
  }

  function loadOlder() {
    const cid = channelId;
    const log = state.log(cid);
    if (log.loadingBefore || !log.latestDone || !log.moreBefore()) return;
    chat.loadOlder(cid).catch((err) => {
      if (cid === channelId) toastError(err);
    });
  }

  // On touch screens older messages come with a pull at the top; elsewhere by scrolling up.
  const touch = window.matchMedia('(pointer: coarse)');
  scroller.addEventListener('scroll', () => {
    // One render a frame, shared with the list's own (a window left partial).
    if (channelId) messages.schedule();
    if (scroller.scrollTop < LOAD_OLDER_PX && !touch.matches) loadOlder();
    if (messages.atBottom(NEAR_BOTTOM_PX)) jump.hidden = true;
  }, { signal, passive: true });
  attachPull(scroller, byTestId('pull-indicator'), {
    enabled: () => {
      const log = channelId && state.log(channelId);
      return !!log && log.moreBefore() && !log.loadingBefore;
    },
    onPull: loadOlder,
    signal,
  });
  loadOlderButton.addEventListener('click', loadOlder, { signal });
  jump.addEventListener('click', () => {
    scrollToBottom();
    byTestId('composer-input').focus();
  }, { signal });

  function renderHeader() {
    if (!channelId) return;
    const ch = state.channels.get(channelId);
    if (!ch) return;
    const title = channelTitle(state, ch);
    setText(titleEl, title);
    const peer = directPeer(state, ch);
    fillAvatar(root.querySelector('.conv-avatar'), peer ? state.user(peer) : { id: ch.id }, title);
    if (ch.kind === 'direct') {
      const u = state.user(peer);
      const p = state.presence.get(peer);
      subtitleEl.dataset.status = p?.status === 'online' ? 'online' : 'offline';
      setText(subtitleEl, [presenceText(p), u?.status_text].filter(Boolean).join(' · '));
    } else {
      const members = ch.members || [];
      const online = members.filter((id) => id !== state.me.id
        && state.presence.get(id)?.status === 'online').length;
      const count = ch.member_count || members.length;
      setText(subtitleEl, `${count} member${count === 1 ? '' : 's'}${online ? `, ${online} online` : ''}`);
      delete subtitleEl.dataset.status;
    }
    membersButton.hidden = ch.kind !== 'group';
    leaveButton.hidden = ch.kind !== 'group';
  }

  function renderTyping() {
    if (!channelId) return;
    const ids = state.typingUsers(channelId);
    const names = ids.map((id) => displayName(state.user(id)));
    let text = '';
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = 'Several people are typing…';
    typingEl.hidden = !text;
    typingEl.dataset.userIds = ids.join(',');
    setText(typingEl, text);
  }

  leaveButton.addEventListener('click', async () => {
    const cid = channelId;
    const ch = state.channels.get(cid);
    if (!ch) return;
    const name = channelTitle(state, ch);
    if (!(await confirmDialog(`Leave “${name}”? You will stop getting its messages.`, 'Leave'))) return;
    try {
      await chat.leave(cid);
      toast(`You left ${name}.`);
      ctx.navigate(null);
    } catch (err) {
      toastError(err);
    }
  }, { signal });

  /** Show a conversation (or none). Called by the router. */
  async function show(cid) {
    if (cid === channelId) return;
    channelId = cid;
    state.currentChannelId = cid;
    visible.clear();
    observer.disconnect();
    messages.reset();
    newestKey = null;
    jump.hidden = true;
    empty.hidden = !!cid;
    conv.hidden = !cid;
    state.changed('route');
    if (!cid) return;
    renderHeader();
    renderTyping();
    renderMessages({ forceBottom: true });
    try {
      await chat.openChannel(cid);
    } catch (err) {
      if (cid !== channelId) return;
      if (err.code === 'forbidden' || err.code === 'not_found') {
        toast('That conversation is not available.', 'error');
        ctx.navigate(null);
      } else if (err.code !== 'network') toastError(err); // offline: the banner says so
    }
    if (cid === channelId) renderMessages({ forceBottom: !newestKey });
  }
  ctx.showConversation = show;

  state.on('messages', (keys) => { if (keys.has(channelId)) renderMessages(); });
  state.on('reads', (keys) => { if (keys.has(channelId)) renderMessages(); });
  state.on('typing', (keys) => { if (keys.has(channelId)) renderTyping(); });
  state.on('users', () => { renderHeader(); renderTyping(); if (channelId) renderMessages(); });
  state.on('channels', renderHeader);
  state.on('blocks', () => { if (channelId) renderMessages(); });
  state.on('presence', renderHeader);
}
