// Dialog plumbing (native <dialog>: Escape closes, focus returns to the opener), the
// confirm dialog, toasts, the screen-reader announcer, and the profile editor.

import { friendlyError } from '../api.js';
import { byTestId, focusFirst, h, safeUrl } from '../dom.js';

/** Open a modal dialog; focus goes back to whatever had it when the dialog closes. */
export function openDialog(dialog, opener = document.activeElement) {
  if (dialog.open) return;
  dialog.showModal();
  focusFirst(dialog);
  dialog.addEventListener('close', () => {
    // Unless what the dialog did moved the focus on (e.g. to a new conversation's composer).
    const lost = document.activeElement === document.body || dialog.contains(document.activeElement);
    if (lost && opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
  }, { once: true });
}

/** Clicking the backdrop (outside the dialog box) closes it too. */
export function closeOnBackdrop(dialog) {
  dialog.addEventListener('mousedown', (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = e.clientX >= r.left && e.clientX <= r.right
      && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) dialog.close('cancel');
  });
}

/** Ask a yes/no question in the confirm dialog. Resolves true on OK. */
export function confirmDialog(message, okLabel = 'OK') {
  const dialog = document.getElementById('confirm-dialog');
  byTestId('confirm-message', dialog).textContent = message;
  byTestId('confirm-ok', dialog).textContent = okLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    openDialog(dialog);
    byTestId('confirm-cancel', dialog).focus();
  });
}

export function toast(message, kind = 'info', ms = 5000) {
  const box = byTestId('toasts');
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null,
    dataset: { testid: 'toast', kind } }, message);
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.remove(), ms);
}

export function toastError(err, context) {
  toast(friendlyError(err, context), 'error', 7000);
}

let announceTimer = null;
/** Polite screen-reader announcement (new messages, state changes). */
export function announce(text) {
  const region = byTestId('live-announcer');
  const line = h('p', {}, text);
  region.append(line);
  while (region.children.length > 5) region.firstElementChild.remove();
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { region.textContent = ''; }, 15000);
}

/** The profile editor (display name, status, avatar URL). */
export function mountProfile(ctx) {
  const dialog = document.getElementById('profile-dialog');
  const form = byTestId('profile-form', dialog);
  const name = byTestId('profile-display-name', dialog);
  const status = byTestId('profile-status-text', dialog);
  const avatarUrl = byTestId('profile-avatar-url', dialog);
  const error = byTestId('profile-error', dialog);
  const save = byTestId('profile-save', dialog);
  const { signal } = ctx;

  byTestId('profile-button').addEventListener('click', (e) => {
    const me = ctx.state.me;
    name.value = me.display_name || '';
    status.value = me.status_text || '';
    avatarUrl.value = me.avatar_url || '';
    error.textContent = '';
    openDialog(dialog, e.currentTarget);
  }, { signal });

  byTestId('profile-cancel', dialog).addEventListener('click', () => dialog.close('cancel'),
    { signal });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const url = avatarUrl.value.trim();
    if (url && !safeUrl(url)) {
      error.textContent = 'The avatar must be an http:// or https:// image address.';
      avatarUrl.focus();
      return;
    }
    save.disabled = true;
    try {
      await ctx.chat.updateProfile({
        display_name: name.value.trim(),
        status_text: status.value.trim(),
        avatar_url: url,
      });
      dialog.close('saved');
      toast('Profile saved.');
    } catch (err) {
      error.textContent = friendlyError(err);
    } finally {
      save.disabled = false;
    }
  }, { signal });
}
