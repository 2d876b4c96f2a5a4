// One message in the conversation: its element and how it is updated in place.
// The text is always set as text nodes (never parsed as HTML).

import { appendLinkified, avatar, displayName, fillAvatar, formatTime, fullTime, h, setText } from '../dom.js';
import { formatSize, isImage } from '../media.js';

const COLLAPSE_CHARS = 3000;
const COLLAPSE_LINES = 40;
const NO_FILES = Object.freeze([]);

function isLong(text) {
  if (text.length > COLLAPSE_CHARS) return true;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (++lines > COLLAPSE_LINES) return true;
  }
  return false;
}

/** The element of one message, built once and cloned: far cheaper than building each. */
function template() {
  return h('li', { class: 'msg', dataset: { testid: 'message' } },
    h('span', { class: 'avatar-slot' }),
    h('div', { class: 'bubble' },
      h('div', { class: 'msg-meta' },
        h('span', { class: 'msg-sender', dataset: { testid: 'message-sender' } }),
        h('time', { class: 'msg-time', dataset: { testid: 'message-time' } })),
      h('div', { class: 'msg-files', dataset: { testid: 'message-files' }, hidden: true }),
      h('div', { class: 'msg-text', dataset: { testid: 'message-text' } }),
      h('button', { type: 'button', class: 'show-more', dataset: { testid: 'message-show-more' },
        'aria-expanded': 'false', hidden: true }),
      h('div', { class: 'msg-foot' },
        h('span', { class: 'msg-status', dataset: { testid: 'message-status' } }),
        h('span', { class: 'receipt', dataset: { testid: 'read-receipt' }, hidden: true }),
        h('button', { type: 'button', dataset: { testid: 'message-retry' }, hidden: true }, 'Retry'),
        h('button', { type: 'button', dataset: { testid: 'message-dismiss' }, hidden: true }, 'Dismiss'),
        h('button', { type: 'button', class: 'link msg-report', dataset: { testid: 'message-report' },
          hidden: true }, 'Report'))));
}

let prototype = null;

/**
 * A new message element; `updateMessage` fills it in.
 * @param {object} entry the message
 * @param {object} actions {retry(entry), dismiss(entry)}
 */
export function createMessage(entry, actions) {
  if (!prototype) prototype = template();
  const li = prototype.cloneNode(true);
  const text = li.querySelector('.msg-text');
  const more = li.querySelector('.show-more');
  more.addEventListener('click', () => {
    const expanded = !text.classList.contains('expanded');
    text.classList.toggle('expanded', expanded);
    text.classList.toggle('collapsed', !expanded);
    more.setAttribute('aria-expanded', String(expanded));
    more.textContent = expanded ? 'Show less' : 'Show more';
  });
  li.querySelector('[data-testid="message-retry"]').addEventListener('click', () => actions.retry(li.entry));
  li.querySelector('[data-testid="message-dismiss"]').addEventListener('click', () => actions.dismiss(li.entry));
  li.querySelector('[data-testid="message-report"]').addEventListener('click', () => actions.report(li.entry));
  // A tap on the message shows its actions (there is no hover on a touch screen).
  li.addEventListener('click', (e) => {
    if (!e.target.closest('button, a')) li.classList.toggle('selected');
  });
  li.actions = actions;
  return li;
}

/** Images as thumbnails that open full size; other files as cards with a download. */
function renderFiles(li, attachments) {
  const box = li.querySelector('.msg-files');
  box.replaceChildren();
  box.hidden = !attachments.length;
  const { media, view } = li.actions;
  for (const a of attachments) {
    if (isImage(a)) {
      const img = h('img', { alt: a.name, dataset: { testid: 'attachment-thumbnail' }, decoding: 'async' });
      if (a.width && a.height) {
        const scale = Math.min(1, 320 / Math.max(a.width, a.height));
        img.width = Math.max(1, Math.round(a.width * scale));
        img.height = Math.max(1, Math.round(a.height * scale));
      }
      media.url(a).then((url) => { img.src = url; }, () => { img.alt = `${a.name} (not available)`; });
      box.append(h('button', {
        type: 'button', class: 'file-image', dataset: { testid: 'attachment-image' },
        'aria-label': `Open image ${a.name}`, onclick: () => view(a),
      }, img));
    } else {
      box.append(h('div', { class: 'file-card', dataset: { testid: 'attachment-file' } },
        h('span', { class: 'file-icon', 'aria-hidden': 'true' }, '📄'),
        h('span', { class: 'file-name', dataset: { testid: 'attachment-name' } }, a.name),
        h('span', { class: 'file-size' }, formatSize(a.size)),
        h('button', {
          type: 'button', dataset: { testid: 'attachment-download' },
          'aria-label': `Download ${a.name}`, onclick: () => media.download(a),
        }, 'Download')));
    }
  }
}

export function updateMessage(li, vm, state) {
  const e = vm.entry;
  li.entry = e;
  li.classList.toggle('mine', vm.mine);
  li.classList.toggle('theirs', !vm.mine);
  li.classList.toggle('first', vm.first);
  li.dataset.state = e.state;
  li.dataset.senderId = e.sender_id;
  if (e.message_id !== null && e.message_id !== undefined) li.dataset.messageId = String(e.message_id);
  else delete li.dataset.messageId;
  if (e.client_msg_id) li.dataset.clientMsgId = e.client_msg_id;

  const sender = state.user(e.sender_id);
  const name = vm.mine ? 'You' : displayName(sender);
  const slot = li.querySelector('.avatar-slot');
  slot.hidden = !vm.group; // avatars only tell group members apart
  if (!vm.mine && vm.first && vm.group) {
    if (!slot.firstChild) slot.append(avatar(sender, 'sm'));
    else fillAvatar(slot.firstChild, sender);
  } else if (slot.firstChild) slot.firstChild.remove();

  const senderEl = li.querySelector('.msg-sender');
  // Screen readers always hear who wrote it; sighted users see it once per run.
  senderEl.classList.toggle('sr-only', !(vm.first && vm.group && !vm.mine));
  setText(senderEl, name);
  const time = li.querySelector('time');
  if (time.dateTime !== String(e.created_at)) {
    time.dateTime = String(e.created_at);
    time.title = fullTime(e.created_at);
    setText(time, formatTime(e.created_at));
  }

  // A blocked sender's files are hidden with the text.
  const files = vm.hidden ? NO_FILES : e.attachments || NO_FILES;
  if (li.renderedFiles !== files && files.map((a) => a.id).join() !== li.renderedFileIds) {
    li.renderedFileIds = files.map((a) => a.id).join();
    renderFiles(li, files);
  }
  li.renderedFiles = files;
  const textEl = li.querySelector('.msg-text');
  const shown = vm.hidden ? 'Message from someone you blocked.' : e.text;
  li.classList.toggle('hidden-sender', !!vm.hidden);
  textEl.hidden = !shown && files.length > 0;
  if (li.renderedText !== shown) {
    li.renderedText = shown;
    textEl.replaceChildren();
    if (vm.hidden) textEl.textContent = shown;
    else appendLinkified(textEl, shown);
    const long = isLong(shown);
    textEl.classList.toggle('collapsed', long);
    textEl.classList.remove('expanded');
    const more = li.querySelector('.show-more');
    more.hidden = !long;
    more.textContent = 'Show more';
    more.setAttribute('aria-expanded', 'false');
  }

  const status = li.querySelector('.msg-status');
  let statusText = '';
  if (vm.mine) {
    if (e.state === 'pending') statusText = 'Sending…';
    else if (e.state === 'failed') statusText = `Not sent: ${e.error || 'refused by the server'}`;
    else if (vm.lastOwn && !vm.receipt) statusText = 'Sent';
  }
  setText(status, statusText);
  status.hidden = !statusText;
  const receipt = li.querySelector('.receipt');
  receipt.hidden = !vm.receipt;
  setText(receipt, vm.receipt || '');
  li.querySelector('[data-testid="message-retry"]').hidden = e.state !== 'failed';
  li.querySelector('[data-testid="message-dismiss"]').hidden = e.state !== 'failed';
  const report = li.querySelector('[data-testid="message-report"]');
  report.hidden = vm.mine || vm.hidden || !e.message_id;
  if (!report.hidden) report.setAttribute('aria-label', `Report this message from ${name}`);
}
