// Safety and one's account: blocking people, muting the open conversation, reporting a
// message, and the settings dialog (devices, blocked people, export, deleting the account).

import { friendlyError } from '../api.js';
import { byTestId, displayName, fullTime, h, reconcile, setText } from '../dom.js';
import { confirmDialog, openDialog, toast, toastError } from './dialogs.js';

export function mountSafety(ctx) {
  const { state, api, signal } = ctx;
  state.blocked = new Set();

  async function loadBlocks() {
    const { users = [] } = await api.blocks();
    for (const u of users) state.putUser(u);
    state.blocked = new Set(users.map((u) => u.id));
    state.changed('blocks');
  }

  async function block(userId) {
    const name = displayName(state.user(userId));
    const ok = await confirmDialog(
      `Block ${name}? You stop being friends, neither of you sees the other online, and `
      + 'they cannot message you or ask to be your friend. Their messages in groups are hidden.',
      'Block');
    if (!ok) return false;
    await api.block(userId);
    state.blocked.add(userId);
    state.changed('blocks');
    toast(`You blocked ${name}.`);
    ctx.chat.refreshFriends?.().catch(() => {});
    return true;
  }

  async function unblock(userId) {
    await api.unblock(userId);
    state.blocked.delete(userId);
    state.changed('blocks');
    toast(`You unblocked ${displayName(state.user(userId))}.`);
  }

  ctx.safety = { block, unblock, report: (entry) => openReport(entry) };
  loadBlocks().catch(() => { /* shown as not blocked until the next start */ });

  // ---- mute the open conversation ----
  const muteButton = byTestId('mute-button');
  function renderMute() {
    const ch = state.channels.get(ctx.conversation?.channelId);
    const muted = !!ch?.muted_until;
    muteButton.setAttribute('aria-pressed', String(muted));
    setText(muteButton, muted ? 'Muted' : 'Mute');
    muteButton.title = muted
      ? 'No notifications from this conversation, except when you are @mentioned. Press to unmute.'
      : 'Stop notifications from this conversation (except @mentions)';
  }
  muteButton.addEventListener('click', async () => {
    const cid = ctx.conversation?.channelId;
    const ch = state.channels.get(cid);
    if (!ch) return;
    muteButton.disabled = true;
    try {
      if (ch.muted_until) {
        await api.unmute(cid);
        state.putChannel({ id: cid, muted_until: null });
        toast('Notifications are back on for this conversation.');
      } else {
        await api.mute(cid);
        state.putChannel({ id: cid, muted_until: '9999-12-31T23:59:59.000Z' });
        toast('Muted: no notifications, except when you are @mentioned.');
      }
    } catch (err) {
      toastError(err);
    } finally {
      muteButton.disabled = false;
    }
  }, { signal });
  state.on('channels', renderMute);
  state.on('route', renderMute);

  // ---- report a message ----
  const reportDialog = document.getElementById('report-dialog');
  const reason = byTestId('report-reason', reportDialog);
  const reportError = byTestId('report-error', reportDialog);
  let reporting = null;
  function openReport(entry) {
    reporting = entry;
    setText(byTestId('report-quote', reportDialog),
      `${displayName(state.user(entry.sender_id))}: ${entry.text.slice(0, 500)}`);
    reason.value = '';
    reportError.textContent = '';
    openDialog(reportDialog);
    reason.focus();
  }
  byTestId('report-cancel', reportDialog).addEventListener('click', () => reportDialog.close('cancel'), { signal });
  byTestId('report-form', reportDialog).addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = reason.value.trim();
    if (!text) {
      reportError.textContent = 'Please say what is wrong with this message.';
      reason.focus();
      return;
    }
    const submit = byTestId('report-submit', reportDialog);
    submit.disabled = true;
    try {
      await api.report(reporting.channel_id, reporting.message_id, text);
      reportDialog.close('sent');
      toast('Thank you. The server\u2019s admins will look at it.');
    } catch (err) {
      reportError.textContent = friendlyError(err);
    } finally {
      submit.disabled = false;
    }
  }, { signal });

  // ---- settings: devices, blocked people, export, delete ----
  const settings = document.getElementById('settings-dialog');
  const devices = byTestId('device-list', settings);
  const blockedList = byTestId('blocked-list', settings);
  const blockedEmpty = byTestId('blocked-empty', settings);

  async function renderDevices() {
    const { sessions = [] } = await api.sessions();
    reconcile(devices, sessions, (d) => d.device_id, (d) => h('li', { dataset: { testid: 'device-item', deviceId: d.device_id } },
      h('span', { class: 'person-main' },
        h('span', { class: 'person-name', dataset: { testid: 'device-name' } }),
        h('span', { class: 'person-sub' })),
      h('span', { class: 'person-actions' })), (li, d) => {
      setText(li.querySelector('.person-name'), d.device_name || 'Unnamed device');
      const seen = d.last_active_at ? `, last active ${fullTime(d.last_active_at)}` : '';
      setText(li.querySelector('.person-sub'), `Logged in ${fullTime(d.created_at)}${seen}`);
      const actions = li.querySelector('.person-actions');
      if (actions.dataset.done) return;
      actions.dataset.done = '1';
      if (d.current) actions.append(h('span', { class: 'tag' }, 'This device'));
      else {
        actions.append(h('button', { type: 'button', class: 'small', dataset: { testid: 'device-logout' },
          'aria-label': `Log out ${d.device_name || 'this device'}`,
          onclick: async (e) => {
            e.currentTarget.disabled = true;
            try {
              await api.logoutDevice(d.device_id);
              toast(`${d.device_name || 'The device'} is logged out.`);
              await renderDevices();
            } catch (err) {
              toastError(err);
            }
          } }, 'Log out'));
      }
    });
  }

  function renderBlocked() {
    const users = [...state.blocked].map((id) => state.user(id) || { id });
    reconcile(blockedList, users, (u) => u.id, (u) => h('li', { dataset: { testid: 'blocked-item', userId: u.id } },
      h('span', { class: 'person-main' }, h('span', { class: 'person-name' })),
      h('span', { class: 'person-actions' },
        h('button', { type: 'button', class: 'small', dataset: { testid: 'unblock-button' },
          onclick: (e) => { e.currentTarget.disabled = true; unblock(u.id).catch(toastError); } },
        'Unblock'))), (li, u) => {
      const name = displayName(state.user(u.id) || u);
      setText(li.querySelector('.person-name'), name);
      li.querySelector('button').setAttribute('aria-label', `Unblock ${name}`);
    });
    blockedEmpty.hidden = users.length > 0;
  }
  state.on('blocks', renderBlocked);
  state.on('users', renderBlocked);

  byTestId('settings-button').addEventListener('click', (e) => {
    byTestId('delete-account-password', settings).value = '';
    byTestId('delete-account-error', settings).textContent = '';
    renderBlocked();
    openDialog(settings, e.currentTarget);
    renderDevices().catch(toastError);
  }, { signal });
  byTestId('settings-close', settings).addEventListener('click', () => settings.close('cancel'), { signal });

  byTestId('export-button', settings).addEventListener('click', async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    try {
      const data = await api.exportData();
      const blob = new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' });
      const link = h('a', { href: URL.createObjectURL(blob), download: 'chinwag-export.json', hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      toast('Your data is downloading.');
    } catch (err) {
      toastError(err);
    } finally {
      button.disabled = false;
    }
  }, { signal });

  byTestId('delete-account-form', settings).addEventListener('submit', async (e) => {
    e.preventDefault();
    const password = byTestId('delete-account-password', settings);
    const error = byTestId('delete-account-error', settings);
    error.textContent = '';
    if (!password.value) {
      error.textContent = 'Enter your password to delete your account.';
      password.focus();
      return;
    }
    if (!(await confirmDialog('Delete your account for good? This cannot be undone.', 'Delete'))) return;
    try {
      await api.deleteAccount(password.value);
    } catch (err) {
      error.textContent = friendlyError(err, { unauthorized: 'That password is not right.' });
      return;
    }
    settings.close('deleted');
    ctx.accountDeleted();
  }, { signal });
}
