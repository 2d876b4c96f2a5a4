// Dialog plumbing (native <dialog>: Escape closes, focus returns to the opener), the
// confirm dialog, toasts, the screen-reader announcer, and the profile editor.

import { friendlyError } from '../api.js';
import { byTestId, fillAvatar, focusFirst, h } from '../dom.js';

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

/**
 * The profile editor (display name, status, avatar). A chosen image is uploaded at once
 * (docs/protocol.md, "Avatars"), and becomes the avatar when the profile is saved.
 */
export function mountProfile(ctx) {
  const dialog = document.getElementById('profile-dialog');
  const form = byTestId('profile-form', dialog);
  const name = byTestId('profile-display-name', dialog);
  const status = byTestId('profile-status-text', dialog);
  const file = byTestId('profile-avatar-file', dialog);
  const preview = byTestId('profile-avatar-preview', dialog);
  const remove = byTestId('profile-avatar-remove', dialog);
  const progress = byTestId('profile-avatar-progress', dialog);
  const error = byTestId('profile-error', dialog);
  const save = byTestId('profile-save', dialog);
  const { signal } = ctx;
  // The avatar to save: undefined leaves it, '' removes it, else an uploaded image's id.
  let avatarId;
  let upload = null; // {handle, local object URL} of the image being (or just) uploaded

  const showAvatar = (user) => {
    fillAvatar(preview, user);
    remove.hidden = !user.avatar_id;
  };
  const dropUpload = () => {
    if (!upload) return;
    upload.handle.cancel();
    URL.revokeObjectURL(upload.url);
    upload = null;
    progress.hidden = true;
  };

  byTestId('profile-button').addEventListener('click', (e) => {
    const me = ctx.state.me;
    name.value = me.display_name || '';
    status.value = me.status_text || '';
    avatarId = undefined;
    dropUpload();
    file.value = '';
    showAvatar(me);
    error.textContent = '';
    openDialog(dialog, e.currentTarget);
  }, { signal });
  dialog.addEventListener('close', dropUpload, { signal });

  file.addEventListener('change', () => {
    const chosen = file.files[0];
    if (!chosen) return;
    dropUpload();
    error.textContent = '';
    progress.value = 0;
    progress.hidden = false;
    const handle = ctx.api.upload(chosen, chosen.name || 'avatar', (sent, total) => {
      progress.value = total ? sent / total : 0;
    });
    const mine = { handle, url: URL.createObjectURL(chosen), done: false };
    upload = mine;
    handle.done.then((attachment) => {
      if (upload !== mine) return;
      mine.done = true;
      progress.hidden = true;
      if (!attachment.width) { // not an image by its bytes: the server would refuse it
        error.textContent = 'Choose a PNG, JPEG, GIF or WebP image.';
        return;
      }
      avatarId = attachment.id;
      const me = ctx.state.me;
      showAvatar({ ...me, avatar_id: attachment.id, avatar_img: { id: attachment.id, url: mine.url } });
    }, (err) => {
      if (upload !== mine || (err && err.name === 'AbortError')) return;
      progress.hidden = true;
      error.textContent = friendlyError(err);
    });
  }, { signal });

  remove.addEventListener('click', () => {
    dropUpload();
    file.value = '';
    avatarId = '';
    showAvatar({ ...ctx.state.me, avatar_id: null });
    file.focus();
  }, { signal });

  byTestId('profile-cancel', dialog).addEventListener('click', () => dialog.close('cancel'),
    { signal });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (upload && !upload.done) {
      error.textContent = 'Wait for the image to finish uploading.';
      return;
    }
    const changes = { display_name: name.value.trim(), status_text: status.value.trim() };
    if (avatarId !== undefined) changes.avatar_id = avatarId;
    save.disabled = true;
    try {
      await ctx.chat.updateProfile(changes);
      dialog.close('saved');
      toast('Profile saved.');
    } catch (err) {
      error.textContent = friendlyError(err);
    } finally {
      save.disabled = false;
    }
  }, { signal });
}
