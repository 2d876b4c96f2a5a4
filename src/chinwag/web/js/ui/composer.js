// The message box: Enter sends, Shift+Enter adds a line, typing notifications (throttled
// in chat.js), a draft per channel, and the length limit. Files (attach button, drag and
// drop onto the conversation, paste) upload at once, each with a progress bar and a
// cancel button; the message carries those that finished.

import { byTestId, displayName, h, setText } from '../dom.js';
import { friendlyError } from '../api.js';
import { formatSize } from '../media.js';

export const MAX_FILES = 10;

export const MAX_CHARS = 100000;

function codePoints(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

export function mountComposer(ctx) {
  const { chat, signal } = ctx;
  const form = byTestId('composer');
  const input = byTestId('composer-input');
  const error = byTestId('composer-error');
  const drafts = new Map();
  let current = null;
  const replyBar = byTestId('composer-reply');
  const replyText = byTestId('composer-reply-text');
  const mentionList = byTestId('mention-list');
  let replyTo = null; // the entry being answered
  let options = []; // users offered for the @name before the caret
  let chosen = 0;

  function setReply(entry) {
    replyTo = entry && Number.isSafeInteger(entry.message_id) ? entry : null;
    replyBar.hidden = !replyTo;
    if (replyTo) {
      const who = replyTo.sender_id === ctx.state.me.id ? 'yourself' : displayName(ctx.state.user(replyTo.sender_id));
      setText(replyText, `Replying to ${who}: ${replyTo.text.slice(0, 80)}`);
      input.focus();
    }
  }
  ctx.composerReply = setReply;
  byTestId('composer-reply-cancel').addEventListener('click', () => setReply(null), { signal });

  // Mention completion: "@" and the start of a member's username offers the members.
  function mentionAtCaret() {
    const before = input.value.slice(0, input.selectionStart);
    const m = /(^|[^\w.@-])@([A-Za-z0-9_.-]{0,32})$/.exec(before);
    return m ? { start: before.length - m[2].length - 1, prefix: m[2].toLowerCase() } : null;
  }

  function renderMentions() {
    const at = mentionAtCaret();
    const ch = ctx.state.channels.get(current);
    options = [];
    if (at && ch) {
      for (const id of ch.members || []) {
        const u = ctx.state.user(id);
        if (id === ctx.state.me.id || !u?.username) continue;
        if (u.username.toLowerCase().startsWith(at.prefix)) options.push(u);
        if (options.length === 8) break;
      }
    }
    chosen = Math.min(chosen, Math.max(options.length - 1, 0));
    mentionList.hidden = !options.length;
    mentionList.replaceChildren(...options.map((u, i) => h('li', {
      role: 'option', 'aria-selected': String(i === chosen),
      dataset: { testid: 'mention-option', username: u.username },
      onmousedown: (e) => { e.preventDefault(); insertMention(u); },
    }, `@${u.username}`, u.display_name ? ` · ${u.display_name}` : '')));
  }

  function insertMention(u) {
    const at = mentionAtCaret();
    if (!at) return;
    const caret = input.selectionStart;
    input.value = `${input.value.slice(0, at.start)}@${u.username} ${input.value.slice(caret)}`;
    const pos = at.start + u.username.length + 2;
    input.setSelectionRange(pos, pos);
    options = [];
    mentionList.hidden = true;
    input.focus();
  }

  const tray = byTestId('upload-tray');
  const picker = byTestId('composer-file');
  const uploads = new Map(); // channel id -> [upload]

  const mine = () => uploads.get(current) || [];

  function renderTray() {
    const list = mine();
    tray.hidden = !list.length;
    tray.replaceChildren(...list.map((u) => u.el));
  }

  function addFiles(files) {
    const cid = ctx.conversation?.channelId;
    if (!cid || !files.length) return;
    const list = uploads.get(cid) || [];
    if (list.length + files.length > MAX_FILES) {
      error.textContent = `A message can carry at most ${MAX_FILES} files.`;
      return;
    }
    error.textContent = '';
    for (const file of files) list.push(startUpload(cid, file));
    uploads.set(cid, list);
    renderTray();
  }

  function startUpload(cid, file) {
    const name = file.name || `pasted.${(file.type.split('/')[1] || 'bin').replace(/[^a-z0-9]/g, '')}`;
    const bar = h('progress', { max: 1, value: 0, dataset: { testid: 'upload-progress' } });
    const status = h('span', { class: 'upload-status', dataset: { testid: 'upload-status' } }, 'Uploading…');
    const u = { name, attachment: null, failed: false };
    const cancel = h('button', {
      type: 'button', class: 'link', dataset: { testid: 'upload-cancel' },
      'aria-label': `Remove ${name}`,
      onclick: () => {
        u.handle.cancel();
        uploads.set(cid, (uploads.get(cid) || []).filter((x) => x !== u));
        renderTray();
      },
    }, '✕');
    u.el = h('li', { class: 'upload', dataset: { testid: 'upload' } },
      h('span', { class: 'file-name' }, name),
      h('span', { class: 'file-size' }, formatSize(file.size)),
      bar, status, cancel);
    const uploader = ctx.e2ee.encrypted(cid) ? ctx.e2ee : chat.api;
    u.handle = uploader.upload(file, name, (sent, total) => { bar.value = total ? sent / total : 0; });
    u.handle.done.then((attachment) => {
      u.attachment = attachment;
      bar.value = 1;
      setText(status, 'Ready');
      u.el.dataset.state = 'done';
    }, (e) => {
      if (e && e.name === 'AbortError') return;
      u.failed = true;
      u.el.dataset.state = 'failed';
      setText(status, friendlyError(e));
    });
    return u;
  }

  const resize = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, window.innerHeight * 0.4)}px`;
  };

  function submit() {
    const cid = ctx.conversation?.channelId;
    const text = input.value;
    const files = uploads.get(cid) || [];
    if (!cid || (!text.trim() && !files.length)) return;
    if (files.some((u) => !u.attachment && !u.failed)) {
      error.textContent = 'Wait for the files to finish uploading.';
      return;
    }
    if (files.some((u) => u.failed)) {
      error.textContent = 'Remove the files that could not be uploaded first.';
      return;
    }
    const n = codePoints(text);
    if (n > MAX_CHARS) {
      error.textContent = `Messages can be at most ${MAX_CHARS.toLocaleString()} characters; this one has ${n.toLocaleString()}.`;
      return;
    }
    error.textContent = '';
    chat.send(cid, text, {
      replyTo: replyTo?.message_id ?? null,
      attachments: files.map((u) => u.attachment),
    });
    setReply(null);
    mentionList.hidden = true;
    uploads.delete(cid);
    renderTray();
    input.value = '';
    drafts.delete(cid);
    resize();
    ctx.conversation.scrollToBottom();
    input.focus();
  }

  byTestId('composer-attach').addEventListener('click', () => picker.click(), { signal });
  picker.addEventListener('change', () => {
    addFiles([...picker.files]);
    picker.value = '';
  }, { signal });
  input.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (!files.length) return;
    e.preventDefault();
    addFiles(files);
  }, { signal });
  const dropZone = byTestId('conversation');
  dropZone.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    dropZone.classList.add('dropping');
  }, { signal });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dropping'), { signal });
  dropZone.addEventListener('drop', (e) => {
    dropZone.classList.remove('dropping');
    const files = [...(e.dataTransfer?.files || [])];
    if (!files.length) return;
    e.preventDefault();
    addFiles(files);
  }, { signal });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  }, { signal });

  input.addEventListener('keydown', (e) => {
    if (!mentionList.hidden && options.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        chosen = (chosen + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length;
        renderMentions();
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        insertMention(options[chosen]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        mentionList.hidden = true;
        return;
      }
    }
    if (e.key === 'Escape' && replyTo) {
      setReply(null);
      return;
    }
    if (e.key !== 'Enter' || e.isComposing || e.keyCode === 229) return;
    if (e.shiftKey || e.altKey) return; // a new line
    e.preventDefault();
    submit();
  }, { signal });

  input.addEventListener('input', () => {
    resize();
    renderMentions();
    if (error.textContent && codePoints(input.value) <= MAX_CHARS) error.textContent = '';
    const cid = ctx.conversation?.channelId;
    if (cid && input.value.trim()) chat.typing(cid);
  }, { signal });

  /** Called when the open conversation changes: keep each channel's unsent draft. */
  ctx.composerSwitch = (cid, { focus = false } = {}) => {
    if (current) drafts.set(current, input.value);
    current = cid;
    setReply(null);
    mentionList.hidden = true;
    input.value = (cid && drafts.get(cid)) || '';
    error.textContent = '';
    renderTray();
    resize();
    if (cid && focus) input.focus();
  };
}
