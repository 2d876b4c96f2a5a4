// The key backup's dialogs: the recovery key shown once when a backup is made, and asked
// for to restore history on a new device.

import { h } from '../dom.js';

function modal(title, ...content) {
  const dialog = h('dialog', { 'aria-labelledby': 'e2ee-backup-title', dataset: { testid: 'e2ee-backup-dialog' } },
    h('div', { class: 'stack' }, h('h2', { id: 'e2ee-backup-title' }, title), ...content));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Show a new recovery key until the user says it is kept. */
export function showRecoveryKey(key) {
  const done = h('button', { type: 'button', class: 'primary', dataset: { testid: 'e2ee-recovery-done' } }, 'I have saved it');
  const dialog = modal('Your recovery key',
    h('p', {}, 'Keep this key somewhere safe, away from this device. With it, a new device can read your encrypted history; without it nobody can, the server included. It is shown only now.'),
    h('p', { class: 'recovery-key', dataset: { testid: 'e2ee-recovery-key' } }, key),
    h('div', { class: 'dialog-buttons' }, done));
  done.addEventListener('click', () => dialog.close());
  done.focus();
}

/** Ask for the recovery key; `restore(key)` resolves to a count, or throws to ask again. */
export function askRecoveryKey(restore) {
  const input = h('input', { id: 'e2ee-recovery-input', autocomplete: 'off', spellcheck: 'false', dataset: { testid: 'e2ee-recovery-input' } });
  const error = h('p', { class: 'form-error', role: 'alert', dataset: { testid: 'e2ee-restore-error' } });
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', { class: 'stack', novalidate: true },
    h('label', { for: 'e2ee-recovery-input' }, 'Recovery key'), input, error,
    h('div', { class: 'dialog-buttons' }, cancel,
      h('button', { type: 'submit', class: 'primary', dataset: { testid: 'e2ee-restore-submit' } }, 'Restore')));
  const dialog = modal('Restore encrypted history', form);
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const n = await restore(input.value);
      dialog.close();
      return n;
    } catch (err) {
      error.textContent = err?.message || String(err);
      input.focus();
      return null;
    }
  });
  input.focus();
}
