// Groups: the "new group" dialog and the members dialog (add and remove members).

import { friendlyError } from '../api.js';
import { avatar, byTestId, displayName, fillAvatar, h, reconcile, setText } from '../dom.js';
import { presenceText } from './people.js';
import { confirmDialog, openDialog, toast } from './dialogs.js';

const NOT_ALLOWED = { forbidden: 'Only the group owner or an admin can do that.' };

export function mountGroups(ctx) {
  const { state, chat, signal } = ctx;

  // ---- new group ----
  const groupDialog = document.getElementById('group-dialog');
  const groupForm = byTestId('group-create-form', groupDialog);
  const nameInput = byTestId('group-name-input', groupDialog);
  const options = byTestId('group-member-options', groupDialog);
  const noFriends = byTestId('group-no-friends', groupDialog);
  const groupError = byTestId('group-error', groupDialog);
  const createButton = byTestId('group-create-submit', groupDialog);

  byTestId('new-group-button').addEventListener('click', (e) => {
    nameInput.value = '';
    groupError.textContent = '';
    const friends = [...state.friends.values()]
      .map((f) => state.user(f.user.id) || f.user)
      .sort((a, b) => displayName(a).localeCompare(displayName(b)));
    options.replaceChildren(...friends.map((u) => {
      const id = `group-opt-${u.id}`;
      return h('li', { dataset: { testid: 'group-member-option', userId: u.id } },
        h('label', { for: id },
          h('input', { type: 'checkbox', id, value: u.id,
            dataset: { testid: 'group-member-checkbox', userId: u.id } }),
          avatar(u, 'sm'), displayName(u)));
    }));
    noFriends.hidden = friends.length > 0;
    openDialog(groupDialog, e.currentTarget);
  }, { signal });

  byTestId('group-cancel', groupDialog).addEventListener('click', () => groupDialog.close('cancel'),
    { signal });

  groupForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = nameInput.value.trim();
    if (!name) {
      groupError.textContent = 'Give the group a name.';
      nameInput.focus();
      return;
    }
    const ids = [...options.querySelectorAll('input:checked')].map((i) => i.value);
    createButton.disabled = true;
    groupError.textContent = '';
    try {
      const encrypted = groupForm.elements.encrypted?.checked === true;
      const id = await chat.createGroup(name, ids, { encrypted });
      groupDialog.close('created');
      toast(`Group “${name}” created.`);
      ctx.navigate(id);
    } catch (err) {
      groupError.textContent = friendlyError(err, { forbidden: 'You can only add friends to a group.' });
    } finally {
      createButton.disabled = false;
    }
  }, { signal });

  // ---- members ----
  const membersDialog = document.getElementById('members-dialog');
  const list = byTestId('member-list', membersDialog);
  const addForm = byTestId('member-add-form', membersDialog);
  const select = byTestId('member-add-select', membersDialog);
  const addButton = byTestId('member-add-button', membersDialog);
  const membersError = byTestId('members-error', membersDialog);
  let channelId = null;

  function renderMembers() {
    if (!membersDialog.open || !channelId) return;
    const ch = state.channels.get(channelId);
    if (!ch) {
      membersDialog.close();
      return;
    }
    const members = ch.members || [];
    setText(document.getElementById('members-title'), `Members of ${ch.name || 'the group'} (${ch.member_count || members.length})`);
    reconcile(list, members, (id) => id, (id) => h('li', { dataset: { testid: 'member-item', userId: id } },
      avatar(state.user(id), 'sm'),
      h('span', { class: 'person-main' },
        h('span', { class: 'person-name' }),
        h('span', { class: 'person-sub' })),
      id === state.me.id ? h('span', { class: 'tag' }, 'You')
        : h('button', { type: 'button', class: 'small danger', dataset: { testid: 'member-remove-button', userId: id },
          onclick: (ev) => remove(id, ev.currentTarget) }, 'Remove')),
    (li, id) => {
      const u = state.user(id) || { id };
      fillAvatar(li.querySelector('.avatar'), u);
      setText(li.querySelector('.person-name'), displayName(u));
      setText(li.querySelector('.person-sub'), id === state.me.id ? '' : presenceText(state.presence.get(id)));
      li.querySelector('button')?.setAttribute('aria-label', `Remove ${displayName(u)} from the group`);
    });
    if (!ch.members) setText(membersError, 'This group is too large to list its members here.');
    const candidates = [...state.friends.keys()].filter((id) => !members.includes(id));
    const chosen = select.value;
    select.replaceChildren(
      h('option', { value: '' }, candidates.length ? 'Choose a friend to add…' : 'No friends left to add'),
      ...candidates.map((id) => h('option', { value: id }, displayName(state.user(id)))));
    if (candidates.includes(chosen)) select.value = chosen;
    select.disabled = addButton.disabled = candidates.length === 0;
  }

  async function remove(userId, button) {
    const name = displayName(state.user(userId));
    if (!(await confirmDialog(`Remove ${name} from the group?`, 'Remove'))) return;
    button.disabled = true;
    membersError.textContent = '';
    try {
      await chat.removeMember(channelId, userId);
      toast(`${name} was removed.`);
    } catch (err) {
      membersError.textContent = friendlyError(err, NOT_ALLOWED);
      if (button.isConnected) button.disabled = false;
    }
  }

  byTestId('members-button').addEventListener('click', (e) => {
    channelId = ctx.conversation?.channelId;
    if (!channelId) return;
    membersError.textContent = '';
    list.replaceChildren();
    openDialog(membersDialog, e.currentTarget);
    renderMembers();
    const ch = state.channels.get(channelId);
    if (ch) chat.loadMembers(ch);
  }, { signal });

  addForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const userId = select.value;
    if (!userId) {
      membersError.textContent = 'Choose a friend to add.';
      return;
    }
    addButton.disabled = true;
    membersError.textContent = '';
    try {
      await chat.addMember(channelId, userId);
      toast(`${displayName(state.user(userId))} was added.`);
    } catch (err) {
      membersError.textContent = friendlyError(err, NOT_ALLOWED);
    } finally {
      addButton.disabled = false;
      renderMembers();
    }
  }, { signal });

  byTestId('members-close', membersDialog).addEventListener('click', () => membersDialog.close(),
    { signal });

  for (const ev of ['channels', 'users', 'presence', 'friends']) state.on(ev, renderMembers);
}
