// Small DOM helpers. Every piece of user-supplied text goes through textContent or
// createTextNode; nothing in this client assigns innerHTML.

/**
 * Build an element: h('button', {class: 'x', dataset: {testid: 'y'}, onclick}, 'text', child)
 * Attributes whose value is null, undefined or false are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Keyed list update: reuse the element of each key, create missing ones, drop the rest,
 * and move nodes only when out of place (so focus and scroll survive re-renders).
 */
export function reconcile(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const el of Array.from(container.children)) {
    if (el.dataset.key !== undefined) existing.set(el.dataset.key, el);
  }
  let prev = null;
  for (const item of items) {
    const key = String(keyOf(item));
    let el = existing.get(key);
    if (el) existing.delete(key);
    else {
      el = create(item);
      el.dataset.key = key;
    }
    if (update) update(el, item);
    const want = prev ? prev.nextSibling : container.firstChild;
    if (want !== el) container.insertBefore(el, want);
    prev = el;
  }
  for (const el of existing.values()) el.remove();
}

/** Only http(s) URLs are used as link targets or image sources. */
export function safeUrl(raw) {
  if (!raw || typeof raw !== 'string') return null;
  try {
    const url = new URL(raw, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}]/g;

/** Append `text` to `el` as text nodes, with http(s) URLs turned into safe links. */
export function appendLinkified(el, text) {
  let last = 0;
  // Linkifying a huge message is pointless and slow; keep it plain.
  if (text.length <= 20000) {
    for (const match of text.matchAll(URL_RE)) {
      const href = safeUrl(match[0]);
      if (!href) continue;
      if (match.index > last) el.append(document.createTextNode(text.slice(last, match.index)));
      const a = document.createElement('a');
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      a.textContent = match[0];
      el.append(a);
      last = match.index + match[0].length;
    }
  }
  if (last < text.length) el.append(document.createTextNode(text.slice(last)));
}

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = parts.slice(0, 2).map((p) => Array.from(p)[0] || '');
  return (letters.join('') || '?').toUpperCase();
}

/** An avatar: the user's uploaded image once it is loaded (avatars.js), else their initials. */
export function avatar(user, size = 'md') {
  const name = displayName(user);
  const box = h('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true' });
  fillAvatar(box, user, name);
  return box;
}

export function fillAvatar(box, user, name = displayName(user)) {
  // An object URL of the avatar's thumbnail, put there by avatars.js; never a URL from
  // elsewhere (the CSP would refuse it anyway).
  const img = user?.avatar_img;
  const src = img && user.avatar_id && img.id === user.avatar_id ? img.url : '';
  if (box.dataset.src === (src || '') && box.dataset.name === name) return;
  box.dataset.src = src || '';
  box.dataset.name = name;
  clear(box);
  box.style.setProperty('--hue', String(hue(user?.id || name)));
  if (src) {
    const picture = h('img', { alt: '', src, dataset: { testid: 'avatar-image' } });
    picture.addEventListener('error', () => {
      picture.remove();
      box.textContent = initials(name);
    });
    box.append(picture);
  } else box.textContent = initials(name);
}

function hue(s) {
  let x = 0;
  for (const ch of String(s)) x = (x * 31 + ch.codePointAt(0)) % 360;
  return x;
}

export function displayName(user) {
  if (!user) return 'Unknown';
  // A deleted account keeps its id and nothing else (username and name are empty).
  if (user.created_at && !user.username) return 'Deleted user';
  return user.display_name || user.username || 'Unknown';
}

export function parseTime(value) {
  if (value === null || value === undefined || value === '') return null;
  const t = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

// Making an Intl formatter costs far more than using one (toLocaleTimeString makes one
// per call): these are made once, on first use, and never change.
const formats = {};
function format(name, options) {
  if (!formats[name]) formats[name] = new Intl.DateTimeFormat(undefined, options);
  return formats[name];
}

export function formatTime(value) {
  const t = parseTime(value);
  if (t === null) return '';
  const d = new Date(t);
  const now = new Date();
  const time = format('time', { hour: '2-digit', minute: '2-digit' }).format(d);
  if (d.toDateString() === now.toDateString()) return time;
  const date = d.getFullYear() === now.getFullYear()
    ? format('day', { month: 'short', day: 'numeric' }).format(d)
    : format('date', { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
  return `${date}, ${time}`;
}

export function fullTime(value) {
  const t = parseTime(value);
  return t === null ? '' : format('full', { dateStyle: 'short', timeStyle: 'medium' }).format(t);
}

export function relativeTime(value, now = Date.now()) {
  const t = parseTime(value);
  if (t === null) return 'a while ago';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 24) return `${hrs} h ago`;
  const days = Math.round(hrs / 24);
  if (days < 7) return `${days} d ago`;
  return new Date(t).toLocaleDateString();
}

/** Focus trap-free helper: give focus to the first focusable control inside `root`. */
export function focusFirst(root) {
  const el = root.querySelector('[autofocus], input:not([type=hidden]), textarea, select, button');
  if (el) el.focus();
}
