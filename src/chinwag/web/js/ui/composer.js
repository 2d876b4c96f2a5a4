// The message box: Enter sends, Shift+Enter adds a line, typing notifications (throttled
// in chat.js), a draft per channel, and the length limit.

import { byTestId } from '../dom.js';

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
    chat.send(cid, text);
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
    if (e.key !== 'Enter' || e.isComposing || e.keyCode === 229) return;
    if (e.shiftKey || e.altKey) return; // a new line
    e.preventDefault();
    submit();
  }, { signal });

  input.addEventListener('input', () => {
    resize();
    if (error.textContent && codePoints(input.value) <= MAX_CHARS) error.textContent = '';
    const cid = ctx.conversation?.channelId;
    if (cid && input.value.trim()) chat.typing(cid);
  }, { signal });

  /** Called when the open conversation changes: keep each channel's unsent draft. */
  ctx.composerSwitch = (cid, { focus = false } = {}) => {
    if (current) drafts.set(current, input.value);
    current = cid;
    input.value = (cid && drafts.get(cid)) || '';
    error.textContent = '';
    resize();
    if (cid && focus) input.focus();
  };
}
