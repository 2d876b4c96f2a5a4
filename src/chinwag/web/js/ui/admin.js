// The page of server admins: find accounts, deactivate and reactivate them, read reports.
// Its button shows only for server admins (the server refuses everyone else anyway).

import { byTestId, displayName, fullTime, h, reconcile, setText } from '../dom.js';
import { openDialog, toast, toastError } from './dialogs.js';

export function mountAdmin(ctx) {
  const { state, api, signal } = ctx;
  const button = byTestId('admin-button');
  const dialog = document.getElementById('admin-dialog');
  const users = byTestId('admin-user-list', dialog);
  const reports = byTestId('admin-report-list', dialog);
  const reportsEmpty = byTestId('admin-reports-empty', dialog);
  let found = [];

  const renderButton = () => { button.hidden = !state.me.is_admin; };
  state.on('me', renderButton);
  renderButton();

  function renderUsers() {
    reconcile(users, found, (u) => u.id, (u) => h('li', { dataset: { testid: 'admin-user', userId: u.id } },
      h('span', { class: 'person-main' },
        h('span', { class: 'person-name' }),
        h('span', { class: 'person-sub' })),
      h('span', { class: 'person-actions' },
        h('button', { type: 'button', class: 'small', dataset: { testid: 'admin-toggle' },
          onclick: (e) => toggle(e.currentTarget, u.id) }))), (li, u) => {
      const name = displayName(u);
      setText(li.querySelector('.person-name'), name);
      const tags = [`@${u.username}`, u.is_admin ? 'admin' : '', u.deactivated ? 'deactivated' : ''];
      setText(li.querySelector('.person-sub'), tags.filter(Boolean).join(' · '));
      li.dataset.deactivated = String(u.deactivated);
      const b = li.querySelector('button');
      setText(b, u.deactivated ? 'Reactivate' : 'Deactivate');
      b.classList.toggle('danger', !u.deactivated);
      b.setAttribute('aria-label', `${b.textContent} ${name}`);
    });
  }

  async function toggle(b, userId) {
    const u = found.find((x) => x.id === userId);
    if (!u) return;
    b.disabled = true;
    try {
      if (u.deactivated) await api.adminReactivate(userId);
      else await api.adminDeactivate(userId);
      found = found.map((x) => (x.id === userId ? { ...x, deactivated: !x.deactivated } : x));
      renderUsers();
      toast(`${displayName(u)} is ${u.deactivated ? 'reactivated' : 'deactivated'}.`);
    } catch (err) {
      toastError(err);
    } finally {
      b.disabled = false;
    }
  }

  async function search(q) {
    ({ users: found = [] } = await api.adminUsers(q));
    renderUsers();
  }

  async function loadReports() {
    const { reports: list = [] } = await api.adminReports();
    reconcile(reports, list, (r) => r.id, (r) => h('li', { dataset: { testid: 'admin-report', reportId: r.id } },
      h('span', { class: 'person-main' },
        h('span', { class: 'person-name' }),
        h('span', { class: 'person-sub', dataset: { testid: 'admin-report-text' } }),
        h('span', { class: 'person-sub', dataset: { testid: 'admin-report-reason' } }))), (li, r) => {
      const sender = state.user(r.sender_id);
      setText(li.querySelector('.person-name'), `${sender ? displayName(sender) : r.sender_id}, ${fullTime(r.created_at)}`);
      setText(li.querySelector('[data-testid="admin-report-text"]'), `“${r.text.slice(0, 500)}”`);
      setText(li.querySelector('[data-testid="admin-report-reason"]'), `Reason: ${r.reason}`);
    });
    reportsEmpty.hidden = list.length > 0;
  }

  button.addEventListener('click', (e) => {
    openDialog(dialog, e.currentTarget);
    loadReports().catch(toastError);
  }, { signal });
  byTestId('admin-close', dialog).addEventListener('click', () => dialog.close('cancel'), { signal });
  byTestId('admin-search-form', dialog).addEventListener('submit', (e) => {
    e.preventDefault();
    search(byTestId('admin-search-input', dialog).value.trim()).catch(toastError);
  }, { signal });
}
