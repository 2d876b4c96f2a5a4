// The message search box: results newest first, each with its words marked; choosing one
// opens its conversation at that message.

import { byTestId, displayName, formatTime, h, setText } from '../dom.js';
import { channelTitle } from './channels.js';
import { friendlyError } from '../api.js';

/** `text` as nodes with every occurrence of each term wrapped in <mark> (never as HTML). */
export function highlighted(text, terms) {
  const lower = text.toLowerCase();
  const marks = [];
  for (const t of terms) {
    const needle = t.toLowerCase();
    if (!needle) continue;
    for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, i + needle.length)) {
      marks.push([i, i + needle.length]);
    }
  }
  marks.sort((a, b) => a[0] - b[0]);
  const out = [];
  let at = 0;
  for (const [start, end] of marks) {
    if (start < at) continue; // overlapping: the first wins
    if (start > at) out.push(document.createTextNode(text.slice(at, start)));
    out.push(h('mark', {}, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}

/** A window of the text around its first match, so long messages show where it is. */
function excerpt(text, terms) {
  const lower = text.toLowerCase();
  let first = -1;
  for (const t of terms) {
    const i = lower.indexOf(t.toLowerCase());
    if (i !== -1 && (first === -1 || i < first)) first = i;
  }
  if (text.length <= 200 || first < 60) return text.slice(0, 200);
  return `…${text.slice(first - 60, first + 140)}`;
}

export function mountSearch(ctx) {
  const { state, chat, signal } = ctx;
  const form = byTestId('message-search-form');
  const input = byTestId('message-search-input');
  const status = byTestId('message-search-status');
  const list = byTestId('message-search-results');
  let asked = 0;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = input.value.trim();
    const n = ++asked;
    list.replaceChildren();
    if (!q) {
      setText(status, '');
      return;
    }
    setText(status, 'Searching…');
    let results;
    try {
      results = await chat.search(q);
    } catch (err) {
      if (n === asked) setText(status, friendlyError(err));
      return;
    }
    if (n !== asked) return;
    const terms = q.split(/\s+/).filter(Boolean);
    setText(status, results.length ? `${results.length} found` : 'No messages found.');
    list.replaceChildren(...results.map((m) => {
      const ch = state.channels.get(m.channel_id);
      const where = ch ? channelTitle(state, ch) : '';
      return h('li', {
        dataset: { testid: 'search-result', channelId: m.channel_id, messageId: String(m.message_id) },
      }, h('button', {
        type: 'button',
        onclick: () => ctx.jumpTo?.(m.channel_id, m.message_id),
      },
      h('span', { class: 'search-where' }, `${displayName(state.user(m.sender_id))} · ${where} · ${formatTime(m.created_at)}`),
      h('span', { class: 'search-text', dataset: { testid: 'search-result-text' } },
        ...highlighted(excerpt(m.text, terms), terms))));
    }));
  }, { signal });
  input.addEventListener('input', () => {
    if (!input.value) {
      asked++;
      list.replaceChildren();
      setText(status, '');
    }
  }, { signal });
}
