// One message in the conversation: its element and how it is updated in place.
// The text is always set as text nodes (never parsed as HTML).

import { appendLinkified, avatar, displayName, fillAvatar, formatTime, fullTime, h, setText } from '../dom.js';
import { formatSize, isImage } from '../media.js';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];
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
        h('time', { class: 'msg-time', dataset: { testid: 'message-time' } }),
        h('span', { class: 'msg-edited', dataset: { testid: 'message-edited' }, hidden: true }, '(edited)')),
      h('button', { type: 'button', class: 'msg-reply', dataset: { testid: 'message-reply' }, hidden: true }),
      h('div', { class: 'msg-files', dataset: { testid: 'message-files' }, hidden: true }),
      h('div', { class: 'msg-text', dataset: { testid: 'message-text' } }),
      h('div', { class: 'msg-reactions', dataset: { testid: 'message-reactions' } }),
      h('div', { class: 'msg-actions', dataset: { testid: 'message-actions' } },
        h('button', { type: 'button', dataset: { testid: 'message-reply-button' } }, 'Reply'),
        h('button', { type: 'button', 'aria-haspopup': 'true', dataset: { testid: 'message-react-button' } }, 'React'),
        h('button', { type: 'button', dataset: { testid: 'message-edit-button' } }, 'Edit'),
        h('button', { type: 'button', dataset: { testid: 'message-delete-button' } }, 'Delete')),
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

/** The edit-in-place form, made the first time a message is edited (most never are). */
function editForm(li) {
  const p = li.parts;
  if (!p.form) {
    p.input = h('textarea', { rows: 2, 'aria-label': 'Edit message', dataset: { testid: 'message-edit-input' } });
    p.form = h('form', { class: 'msg-edit', dataset: { testid: 'message-edit-form' }, hidden: true },
      p.input,
      h('button', { type: 'submit', class: 'primary', dataset: { testid: 'message-edit-save' } }, 'Save'),
      h('button', { type: 'button', dataset: { testid: 'message-edit-cancel' } }, 'Cancel'));
    p.text.after(p.form);
  }
  return p.form;
}

/** The reaction picker, made the first time it is opened. */
function reactionPicker(li) {
  const p = li.parts;
  if (!p.picker) {
    p.picker = h('div', { class: 'reaction-picker', dataset: { testid: 'reaction-picker' }, hidden: true },
      ...REACTIONS.map((emoji) => h('button', {
        type: 'button', 'aria-label': `React with ${emoji}`, dataset: { testid: 'reaction-option', emoji },
      }, emoji)));
    p.toolbar.after(p.picker);
  }
  return p.picker;
}

// The parts of a message element that updates touch, found once per element by their
// place in the template (the same in every clone), never searched for again. The template
// holds only what every message shows: the fewer elements, the less each new one costs to
// make, style, lay out and paint while scrolling (the edit form and the reaction picker
// are made when first used).
const PARTS = {
  slot: '.avatar-slot', bubble: '.bubble', sender: '.msg-sender', time: 'time',
  edited: '.msg-edited', reply: '.msg-reply', files: '.msg-files', text: '.msg-text',
  reactions: '.msg-reactions', toolbar: '.msg-actions',
  edit: '[data-testid="message-edit-button"]', remove: '[data-testid="message-delete-button"]',
  more: '.show-more', status: '.msg-status', receipt: '.receipt',
  retry: '[data-testid="message-retry"]', dismiss: '[data-testid="message-dismiss"]',
  report: '[data-testid="message-report"]',
};

let prototype = null;
let partIndex = null; // part name -> index among the template's descendants

/**
 * A new message element; `updateMessage` fills it in. A clone of one template, with no
 * listeners of its own (`listenToMessages` handles every message's controls), so that
 * scrolling through a long conversation makes elements cheaply.
 * @param {object} entry the message
 * @param {object} actions what the controls do (see `listenToMessages`)
 */
export function createMessage(entry, actions) {
  if (!prototype) {
    prototype = template();
    const all = [...prototype.getElementsByTagName('*')];
    partIndex = Object.fromEntries(Object.entries(PARTS)
      .map(([name, sel]) => [name, all.indexOf(prototype.querySelector(sel))]));
  }
  const li = prototype.cloneNode(true);
  const all = li.getElementsByTagName('*');
  li.parts = Object.fromEntries(Object.entries(partIndex).map(([name, i]) => [name, all[i]]));
  li.actions = actions;
  return li;
}

function closeEdit(li) {
  if (li.parts.form) li.parts.form.hidden = true;
  li.parts.text.hidden = false;
  li.editing = false;
}

/**
 * What the controls of every message in `list` do, from listeners on the list itself.
 * @param {HTMLElement} list the element the messages are in
 * @param {object} actions {retry, dismiss, report, reply, jump, react, edit, remove}(entry...)
 */
export function listenToMessages(list, actions, signal) {
  const messageOf = (e) => {
    const li = e.target.closest('li.msg');
    return li && li.parentElement === list && li.parts ? li : null;
  };
  list.addEventListener('click', (e) => {
    const li = messageOf(e);
    if (!li) return;
    const { parts, entry } = li;
    const button = e.target.closest('button');
    switch (button && li.contains(button) ? button.dataset.testid : null) {
      case 'message-show-more': {
        const expanded = !parts.text.classList.contains('expanded');
        parts.text.classList.toggle('expanded', expanded);
        parts.text.classList.toggle('collapsed', !expanded);
        button.setAttribute('aria-expanded', String(expanded));
        button.textContent = expanded ? 'Show less' : 'Show more';
        break;
      }
      case 'message-retry': actions.retry(entry); break;
      case 'message-dismiss': actions.dismiss(entry); break;
      case 'message-report': actions.report(entry); break;
      case 'message-reply-button': actions.reply(entry); break;
      case 'message-react-button': {
        const picker = reactionPicker(li);
        picker.hidden = !picker.hidden;
        break;
      }
      case 'reaction-option':
        reactionPicker(li).hidden = true;
        actions.react(entry, button.dataset.emoji);
        break;
      case 'reaction': actions.react(entry, button.dataset.emoji); break;
      case 'message-delete-button': actions.remove(entry); break;
      case 'message-reply': actions.jump(entry.channel_id, entry.reply_to); break;
      // Edit in place: the text gives way to a box holding it; Enter saves, Escape cancels.
      case 'message-edit-button':
        li.editing = true;
        editForm(li).hidden = false;
        parts.input.value = entry.text;
        parts.text.hidden = true;
        parts.input.focus();
        break;
      case 'message-edit-cancel': closeEdit(li); break;
      default: break;
    }
    // On touch screens a tap on the message shows its actions (there is no hover).
    if (!e.target.closest('button, a, textarea, form') && parts.bubble.contains(e.target)) {
      li.classList.toggle('actions-open');
    }
    if (!e.target.closest('button, a')) li.classList.toggle('selected');
  }, { signal });
  list.addEventListener('keydown', (e) => {
    const li = messageOf(e);
    if (!li || e.target !== li.parts.input) return;
    if (e.key === 'Escape') { e.preventDefault(); closeEdit(li); }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); li.parts.form.requestSubmit(); }
  }, { signal });
  list.addEventListener('submit', async (e) => {
    const li = messageOf(e);
    if (!li || e.target !== li.parts.form) return;
    e.preventDefault();
    const value = li.parts.input.value;
    if (!value.trim() || value === li.entry.text) { closeEdit(li); return; }
    if (await actions.edit(li.entry, value)) closeEdit(li);
  }, { signal });
}

/** Images as thumbnails that open full size; other files as cards with a download. */
function renderFiles(li, attachments) {
  const box = li.parts.files;
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
  const p = li.parts;
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
  const slot = p.slot;
  slot.hidden = !vm.group; // avatars only tell group members apart
  if (!vm.mine && vm.first && vm.group) {
    if (!slot.firstChild) slot.append(avatar(sender, 'sm'));
    else fillAvatar(slot.firstChild, sender);
  } else if (slot.firstChild) slot.firstChild.remove();

  const senderEl = p.sender;
  // Screen readers always hear who wrote it; sighted users see it once per run.
  senderEl.classList.toggle('sr-only', !(vm.first && vm.group && !vm.mine));
  setText(senderEl, name);
  const time = p.time;
  if (time.dateTime !== String(e.created_at)) {
    time.dateTime = String(e.created_at);
    time.title = fullTime(e.created_at);
    setText(time, formatTime(e.created_at));
  }

  const deleted = Boolean(e.deleted);
  li.dataset.deleted = String(deleted);
  p.edited.hidden = !e.edited_at || deleted;
  const reply = p.reply;
  reply.hidden = !Number.isSafeInteger(e.reply_to) || deleted;
  if (!reply.hidden) {
    const orig = vm.replied;
    let quote = 'Original message';
    if (orig?.deleted) quote = 'Deleted message';
    else if (orig) {
      const said = orig.encrypted ? state.decrypted.get(orig.key)?.text ?? 'Encrypted message' : orig.text;
      quote = `${displayName(state.user(orig.sender_id))}: ${said.slice(0, 120)}`;
    }
    reply.dataset.replyTo = String(e.reply_to);
    setText(reply, `↪ ${quote}`);
  }
  renderReactions(p.reactions, e.reactions || {}, state);
  const stored = e.message_id !== null && e.message_id !== undefined && e.state === 'sent';
  p.toolbar.hidden = !stored || deleted || li.editing;
  p.edit.hidden = !vm.mine;
  p.remove.hidden = !(vm.mine || vm.admin);
  if (deleted && li.editing) {
    li.editing = false;
    p.form.hidden = true;
  }
  if (deleted && p.picker) p.picker.hidden = true;

  // A blocked sender's files are hidden with the text; a deleted message has none.
  const secret = e.encrypted ? state.decrypted.get(e.key) : null;
  const files = vm.hidden || deleted ? NO_FILES : (e.encrypted ? secret?.files : e.attachments) || NO_FILES;
  if (li.renderedFiles !== files && files.map((a) => a.id).join() !== li.renderedFileIds) {
    li.renderedFileIds = files.map((a) => a.id).join();
    renderFiles(li, files);
  }
  li.renderedFiles = files;
  const textEl = p.text;
  // End-to-end encrypted: what was decrypted on this device, or a wait for its key.
  const waiting = Boolean(e.encrypted) && !secret && !deleted && !vm.hidden;
  li.dataset.e2ee = e.encrypted ? (secret ? 'decrypted' : 'waiting') : '';
  textEl.classList.toggle('waiting', waiting);
  const shown = vm.hidden ? 'Message from someone you blocked.'
    : deleted ? 'This message was deleted.'
      : waiting ? 'Encrypted message: cannot decrypt it yet (waiting for its key).'
        : secret ? secret.text : e.text;
  textEl.hidden = Boolean(li.editing) || (!shown && files.length > 0);
  li.classList.toggle('hidden-sender', !!vm.hidden);
  textEl.classList.toggle('deleted', deleted);
  if (li.renderedText !== shown) {
    li.renderedText = shown;
    textEl.replaceChildren();
    if (vm.hidden) textEl.textContent = shown;
    else appendLinkified(textEl, shown);
    const long = isLong(shown);
    textEl.classList.toggle('collapsed', long);
    textEl.classList.remove('expanded');
    const more = p.more;
    more.hidden = !long;
    more.textContent = 'Show more';
    more.setAttribute('aria-expanded', 'false');
  }

  const status = p.status;
  let statusText = '';
  if (vm.mine) {
    if (e.state === 'pending') statusText = 'Sending…';
    else if (e.state === 'failed') statusText = `Not sent: ${e.error || 'refused by the server'}`;
    else if (vm.lastOwn && !vm.receipt) statusText = 'Sent';
  }
  setText(status, statusText);
  status.hidden = !statusText;
  const receipt = p.receipt;
  receipt.hidden = !vm.receipt;
  setText(receipt, vm.receipt || '');
  p.retry.hidden = e.state !== 'failed';
  p.dismiss.hidden = e.state !== 'failed';
  const report = p.report;
  report.hidden = vm.mine || vm.hidden || !e.message_id;
  if (!report.hidden) report.setAttribute('aria-label', `Report this message from ${name}`);
}

function renderReactions(box, reactions, state) {
  const emoji = Object.keys(reactions).filter((k) => reactions[k]?.length);
  const key = JSON.stringify(reactions);
  if (box.rendered === key) return;
  box.rendered = key;
  box.hidden = !emoji.length;
  box.replaceChildren(...emoji.map((k) => {
    const users = reactions[k];
    const mine = users.includes(state.me.id);
    const names = users.map((id) => (id === state.me.id ? 'You' : displayName(state.user(id))));
    return h('button', {
      type: 'button', class: mine ? 'reaction mine' : 'reaction', title: names.join(', '),
      'aria-pressed': String(mine), 'aria-label': `${k} ${users.length}: ${names.join(', ')}`,
      dataset: { testid: 'reaction', emoji: k, count: String(users.length), mine: String(mine) },
    }, `${k} ${users.length}`);
  }));
}
