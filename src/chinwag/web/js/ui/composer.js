// The message box: Enter sends, Shift+Enter adds a line, typing notifications (throttled
// in chat.js), a draft per channel, and the length limit.

import { byTestId, displayName, h, setText } from '../dom.js';

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

  const resize = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, window.innerHeight * 0.4)}px`;
  };

  function submit() {
    const cid = ctx.conversation?.channelId;
    const text = input.value;
    if (!cid || !text.trim()) return;
    const n = codePoints(text);
    if (n > MAX_CHARS) {
      error.textContent = `Messages can be at most ${MAX_CHARS.toLocaleString()} characters; this one has ${n.toLocaleString()}.`;
      return;
    }
    error.textContent = '';
    chat.send(cid, text, { replyTo: replyTo?.message_id ?? null });
    setReply(null);
    mentionList.hidden = true;
    input.value = '';
    drafts.delete(cid);
    resize();
    ctx.conversation.scrollToBottom();
    input.focus();
  }

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
    resize();
    if (cid && focus) input.focus();
  };
}
