// The controls of end-to-end encryption, mounted when the e2ee bundle loads: the
// "Encrypted" badge and the "Encrypt" button of the conversation header, and the choice
// in the new-group dialog (the shell's markup stays as it was).

import { byTestId, h } from '../dom.js';
import { confirmDialog, toast, toastError } from '../ui/dialogs.js';
import { askRecoveryKey, showRecoveryKey } from './backup.js';

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
  mountBackup(ctx);
}

/** Settings: make a recovery key (a new backup), or restore history with one. */
function mountBackup(ctx) {
  const create = h('button', { type: 'button', dataset: { testid: 'e2ee-backup-button' } }, 'Make a recovery key');
  const restore = h('button', { type: 'button', dataset: { testid: 'e2ee-restore-button' } }, 'Restore from a recovery key');
  const data = [...document.querySelectorAll('#settings-dialog h3')].find((el) => el.textContent === 'Your data');
  data.before(h('h3', { class: 'section-title' }, 'Encrypted messages'),
    h('p', { class: 'hint' }, 'A recovery key backs up the keys of your encrypted conversations, so a new device can read their history.'),
    h('div', { class: 'row' }, create, restore));
  create.addEventListener('click', async () => {
    try {
      const crypto = await ctx.e2ee.ready();
      if (!(await confirmDialog('Make a new recovery key? A key made before stops working.', 'Make key'))) return;
      showRecoveryKey(await crypto.createBackup());
    } catch (err) {
      toastError(err);
    }
  }, { signal: ctx.signal });
  restore.addEventListener('click', async () => {
    try {
      const crypto = await ctx.e2ee.ready();
      askRecoveryKey(async (key) => {
        const n = await crypto.restore(key);
        toast(`Restored ${n} key${n === 1 ? '' : 's'} of encrypted history.`);
        return n;
      });
    } catch (err) {
      toastError(err);
    }
  }, { signal: ctx.signal });
}
