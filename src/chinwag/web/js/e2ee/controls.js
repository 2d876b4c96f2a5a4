// The controls of end-to-end encryption, mounted when the e2ee bundle loads: the
// "Encrypted" badge and the "Encrypt" button of the conversation header, and the choice
// in the new-group dialog (the shell's markup stays as it was).

import { byTestId, h } from '../dom.js';
import { confirmDialog, toastError } from '../ui/dialogs.js';

/** The badge and the "turn encryption on" button of the conversation header. */
export function mount(ctx) {
  const { state, api, signal } = ctx;
  const titles = document.querySelector('.conv-titles');
  const badge = h('span', { class: 'e2ee-badge', dataset: { testid: 'encrypted-badge' }, hidden: true,
    title: 'Messages here are end-to-end encrypted' }, 'Encrypted');
  titles.append(badge);
  const button = h('button', { type: 'button', class: 'small', dataset: { testid: 'encrypt-button' }, hidden: true },
    'Encrypt');
  document.querySelector('.conv-actions').prepend(button);
  const render = () => {
    const ch = state.channels.get(state.currentChannelId);
    badge.hidden = !ch?.encrypted;
    // A group's owner, or either person of a direct chat, may turn it on (never off).
    button.hidden = !ch || ch.encrypted || !(ch.kind === 'direct' || ch.role === 'owner');
  };
  state.on('channels', render);
  state.on('route', render);
  button.addEventListener('click', async () => {
    const id = state.currentChannelId;
    const ok = await confirmDialog('Encrypt this conversation from now on? This cannot be undone; messages sent before stay readable to the server.', 'Encrypt');
    if (!ok) return;
    try {
      state.putChannel(await api.patch(`/v1/channels/${encodeURIComponent(id)}`, { encrypted: true }));
    } catch (err) {
      toastError(err);
    }
  }, { signal });
  const error = byTestId('group-error');
  error.before(h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'encrypted', dataset: { testid: 'group-encrypted' } }),
    ' End-to-end encrypted'));
  render();
}
