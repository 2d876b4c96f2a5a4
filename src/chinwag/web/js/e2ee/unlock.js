// The passphrase dialog: chosen on a device's first encrypted conversation, asked again
// when the app starts and needs the keys. Built here, so the shell's markup stays small.

import { h } from '../dom.js';

const MIN_LENGTH = 8;

export function askPassphrase({ known, failed }) {
  return new Promise((resolve, reject) => {
    const input = h('input', { type: 'password', id: 'e2ee-passphrase', autocomplete: known ? 'current-password' : 'new-password',
      minlength: String(MIN_LENGTH), required: true, dataset: { testid: 'e2ee-passphrase' } });
    const error = h('p', { class: 'form-error', role: 'alert', dataset: { testid: 'e2ee-error' } }, failed || '');
    const cancel = h('button', { type: 'button', dataset: { testid: 'e2ee-cancel' } }, 'Not now');
    const form = h('form', { class: 'stack', novalidate: true },
      h('h2', { id: 'e2ee-title' }, known ? 'Unlock encrypted messages' : 'Protect your encryption keys'),
      h('p', {}, known
        ? 'Enter the passphrase you chose for encrypted conversations on this device.'
        : 'Encrypted conversations keep their keys on this device. Choose a passphrase (at least 8 characters) to protect them; you will need it each time the app starts.'),
      h('label', { for: 'e2ee-passphrase' }, 'Passphrase'),
      input, error,
      h('div', { class: 'dialog-buttons' }, cancel,
        h('button', { type: 'submit', class: 'primary', dataset: { testid: 'e2ee-unlock' } }, known ? 'Unlock' : 'Save')));
    const dialog = h('dialog', { 'aria-labelledby': 'e2ee-title', dataset: { testid: 'e2ee-dialog' } }, form);
    document.body.append(dialog);
    let done = false;
    const finish = () => { done = true; dialog.close(); dialog.remove(); };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (input.value.length < MIN_LENGTH) {
        error.textContent = `The passphrase needs at least ${MIN_LENGTH} characters.`;
        input.focus();
        return;
      }
      const value = input.value;
      finish();
      resolve(value);
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      if (done) return;
      dialog.remove();
      reject(new Error('Encrypted messages stay locked until you enter your passphrase.'));
    });
    dialog.showModal();
    input.focus();
  });
}
