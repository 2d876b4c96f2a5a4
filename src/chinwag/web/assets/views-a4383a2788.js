// chinwag web client: a part loaded when first needed (scripts/build-web.py).
export default (loadModule$, modules) => {
if (!modules["ui/admin.js"]) {
// ---- js/ui/admin.js
modules["ui/admin.js"] = (() => {
  const { byTestId, displayName, fullTime, h, reconcile, setText } = modules["dom.js"];
  const { openDialog, toast, toastError } = modules["ui/dialogs.js"];


function mountAdmin(ctx) {
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
  return { mountAdmin };
})();
}
if (!modules["ui/composer.js"]) {
// ---- js/ui/composer.js
modules["ui/composer.js"] = (() => {
  const { byTestId, displayName, h, setText } = modules["dom.js"];
  const { friendlyError } = modules["api.js"];
  const { formatSize } = modules["media.js"];



const MAX_FILES = 10;
const MAX_CHARS = 100000;
function codePoints(text) {
let n = 0;
for (let i = 0; i < text.length; i++) {
const c = text.charCodeAt(i);
if (c < 0xd800 || c > 0xdbff) n++;
}
return n;
}
function mountComposer(ctx) {
const { chat, signal } = ctx;
const form = byTestId('composer');
const input = byTestId('composer-input');
const error = byTestId('composer-error');
const drafts = new Map();
let current = null;
const replyBar = byTestId('composer-reply');
const replyText = byTestId('composer-reply-text');
const mentionList = byTestId('mention-list');
let replyTo = null; // the entry being answered
let options = []; // users offered for the @name before the caret
let chosen = 0;
function setReply(entry) {
replyTo = entry && Number.isSafeInteger(entry.message_id) ? entry : null;
replyBar.hidden = !replyTo;
if (replyTo) {
const who = replyTo.sender_id === ctx.state.me.id ? 'yourself' : displayName(ctx.state.user(replyTo.sender_id));
setText(replyText, `Replying to ${who}: ${replyTo.text.slice(0, 80)}`);
input.focus();
}
}
ctx.composerReply = setReply;
byTestId('composer-reply-cancel').addEventListener('click', () => setReply(null), { signal });
function mentionAtCaret() {
const before = input.value.slice(0, input.selectionStart);
const m = /(^|[^\w.@-])@([A-Za-z0-9_.-]{0,32})$/.exec(before);
return m ? { start: before.length - m[2].length - 1, prefix: m[2].toLowerCase() } : null;
}
function renderMentions() {
const at = mentionAtCaret();
const ch = ctx.state.channels.get(current);
options = [];
if (at && ch) {
for (const id of ch.members || []) {
const u = ctx.state.user(id);
if (id === ctx.state.me.id || !u?.username) continue;
if (u.username.toLowerCase().startsWith(at.prefix)) options.push(u);
if (options.length === 8) break;
}
}
chosen = Math.min(chosen, Math.max(options.length - 1, 0));
mentionList.hidden = !options.length;
mentionList.replaceChildren(...options.map((u, i) => h('li', {
role: 'option', 'aria-selected': String(i === chosen),
dataset: { testid: 'mention-option', username: u.username },
onmousedown: (e) => { e.preventDefault(); insertMention(u); },
}, `@${u.username}`, u.display_name ? ` · ${u.display_name}` : '')));
}
function insertMention(u) {
const at = mentionAtCaret();
if (!at) return;
const caret = input.selectionStart;
input.value = `${input.value.slice(0, at.start)}@${u.username} ${input.value.slice(caret)}`;
const pos = at.start + u.username.length + 2;
input.setSelectionRange(pos, pos);
options = [];
mentionList.hidden = true;
input.focus();
}
const tray = byTestId('upload-tray');
const picker = byTestId('composer-file');
const uploads = new Map(); // channel id -> [upload]
const mine = () => uploads.get(current) || [];
function renderTray() {
const list = mine();
tray.hidden = !list.length;
tray.replaceChildren(...list.map((u) => u.el));
}
function addFiles(files) {
const cid = ctx.conversation?.channelId;
if (!cid || !files.length) return;
const list = uploads.get(cid) || [];
if (list.length + files.length > MAX_FILES) {
error.textContent = `A message can carry at most ${MAX_FILES} files.`;
return;
}
error.textContent = '';
for (const file of files) list.push(startUpload(cid, file));
uploads.set(cid, list);
renderTray();
}
function startUpload(cid, file) {
const name = file.name || `pasted.${(file.type.split('/')[1] || 'bin').replace(/[^a-z0-9]/g, '')}`;
const bar = h('progress', { max: 1, value: 0, dataset: { testid: 'upload-progress' } });
const status = h('span', { class: 'upload-status', dataset: { testid: 'upload-status' } }, 'Uploading…');
const u = { name, attachment: null, failed: false };
const cancel = h('button', {
type: 'button', class: 'link', dataset: { testid: 'upload-cancel' },
'aria-label': `Remove ${name}`,
onclick: () => {
u.handle.cancel();
uploads.set(cid, (uploads.get(cid) || []).filter((x) => x !== u));
renderTray();
},
}, '✕');
u.el = h('li', { class: 'upload', dataset: { testid: 'upload' } },
h('span', { class: 'file-name' }, name),
h('span', { class: 'file-size' }, formatSize(file.size)),
bar, status, cancel);
const uploader = ctx.e2ee.encrypted(cid) ? ctx.e2ee : chat.api;
u.handle = uploader.upload(file, name, (sent, total) => { bar.value = total ? sent / total : 0; });
u.handle.done.then((attachment) => {
u.attachment = attachment;
bar.value = 1;
setText(status, 'Ready');
u.el.dataset.state = 'done';
}, (e) => {
if (e && e.name === 'AbortError') return;
u.failed = true;
u.el.dataset.state = 'failed';
setText(status, friendlyError(e));
});
return u;
}
const resize = () => {
input.style.height = 'auto';
input.style.height = `${Math.min(input.scrollHeight + 2, window.innerHeight * 0.4)}px`;
};
function submit() {
const cid = ctx.conversation?.channelId;
const text = input.value;
const files = uploads.get(cid) || [];
if (!cid || (!text.trim() && !files.length)) return;
if (files.some((u) => !u.attachment && !u.failed)) {
error.textContent = 'Wait for the files to finish uploading.';
return;
}
if (files.some((u) => u.failed)) {
error.textContent = 'Remove the files that could not be uploaded first.';
return;
}
const n = codePoints(text);
if (n > MAX_CHARS) {
error.textContent = `Messages can be at most ${MAX_CHARS.toLocaleString()} characters; this one has ${n.toLocaleString()}.`;
return;
}
error.textContent = '';
chat.send(cid, text, {
replyTo: replyTo?.message_id ?? null,
attachments: files.map((u) => u.attachment),
});
setReply(null);
mentionList.hidden = true;
uploads.delete(cid);
renderTray();
input.value = '';
drafts.delete(cid);
resize();
ctx.conversation.scrollToBottom();
input.focus();
}
byTestId('composer-attach').addEventListener('click', () => picker.click(), { signal });
picker.addEventListener('change', () => {
addFiles([...picker.files]);
picker.value = '';
}, { signal });
input.addEventListener('paste', (e) => {
const files = [...(e.clipboardData?.files || [])];
if (!files.length) return;
e.preventDefault();
addFiles(files);
}, { signal });
const dropZone = byTestId('conversation');
dropZone.addEventListener('dragover', (e) => {
if (!e.dataTransfer?.types.includes('Files')) return;
e.preventDefault();
dropZone.classList.add('dropping');
}, { signal });
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dropping'), { signal });
dropZone.addEventListener('drop', (e) => {
dropZone.classList.remove('dropping');
const files = [...(e.dataTransfer?.files || [])];
if (!files.length) return;
e.preventDefault();
addFiles(files);
}, { signal });
form.addEventListener('submit', (e) => {
e.preventDefault();
submit();
}, { signal });
input.addEventListener('keydown', (e) => {
if (!mentionList.hidden && options.length) {
if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
e.preventDefault();
chosen = (chosen + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length;
renderMentions();
return;
}
if (e.key === 'Enter' || e.key === 'Tab') {
e.preventDefault();
insertMention(options[chosen]);
return;
}
if (e.key === 'Escape') {
e.preventDefault();
mentionList.hidden = true;
return;
}
}
if (e.key === 'Escape' && replyTo) {
setReply(null);
return;
}
if (e.key !== 'Enter' || e.isComposing || e.keyCode === 229) return;
if (e.shiftKey || e.altKey) return; // a new line
e.preventDefault();
submit();
}, { signal });
input.addEventListener('input', () => {
resize();
renderMentions();
if (error.textContent && codePoints(input.value) <= MAX_CHARS) error.textContent = '';
const cid = ctx.conversation?.channelId;
if (cid && input.value.trim()) chat.typing(cid);
}, { signal });
ctx.composerSwitch = (cid, { focus = false } = {}) => {
if (current) drafts.set(current, input.value);
current = cid;
setReply(null);
mentionList.hidden = true;
input.value = (cid && drafts.get(cid)) || '';
error.textContent = '';
renderTray();
resize();
if (cid && focus) input.focus();
};
}
  return { MAX_FILES, MAX_CHARS, mountComposer };
})();
}
if (!modules["ui/messages.js"]) {
// ---- js/ui/messages.js
modules["ui/messages.js"] = (() => {
  const { appendLinkified, avatar, displayName, fillAvatar, formatTime, fullTime, h, setText } = modules["dom.js"];
  const { formatSize, isImage } = modules["media.js"];


const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];
const COLLAPSE_CHARS = 3000;
const COLLAPSE_LINES = 40;
const NO_FILES = Object.freeze([]);
function isLong(text) {
if (text.length > COLLAPSE_CHARS) return true;
let lines = 1;
for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
if (++lines > COLLAPSE_LINES) return true;
}
return false;
}
function template() {
return h('li', { class: 'msg', dataset: { testid: 'message' } },
h('span', { class: 'avatar-slot' }),
h('div', { class: 'bubble' },
h('div', { class: 'msg-meta' },
h('span', { class: 'msg-sender', dataset: { testid: 'message-sender' } }),
h('time', { class: 'msg-time', dataset: { testid: 'message-time' } }),
h('span', { class: 'msg-edited', dataset: { testid: 'message-edited' }, hidden: true }, '(edited)')),
h('button', { type: 'button', class: 'msg-reply', dataset: { testid: 'message-reply' }, hidden: true }),
h('div', { class: 'msg-files', dataset: { testid: 'message-files' }, hidden: true }),
h('div', { class: 'msg-text', dataset: { testid: 'message-text' } }),
h('div', { class: 'msg-reactions', dataset: { testid: 'message-reactions' } }),
h('div', { class: 'msg-actions', dataset: { testid: 'message-actions' } },
h('button', { type: 'button', dataset: { testid: 'message-reply-button' } }, 'Reply'),
h('button', { type: 'button', 'aria-haspopup': 'true', dataset: { testid: 'message-react-button' } }, 'React'),
h('button', { type: 'button', dataset: { testid: 'message-edit-button' } }, 'Edit'),
h('button', { type: 'button', dataset: { testid: 'message-delete-button' } }, 'Delete')),
h('button', { type: 'button', class: 'show-more', dataset: { testid: 'message-show-more' },
'aria-expanded': 'false', hidden: true }),
h('div', { class: 'msg-foot' },
h('span', { class: 'msg-status', dataset: { testid: 'message-status' } }),
h('span', { class: 'receipt', dataset: { testid: 'read-receipt' }, hidden: true }),
h('button', { type: 'button', dataset: { testid: 'message-retry' }, hidden: true }, 'Retry'),
h('button', { type: 'button', dataset: { testid: 'message-dismiss' }, hidden: true }, 'Dismiss'),
h('button', { type: 'button', class: 'link msg-report', dataset: { testid: 'message-report' },
hidden: true }, 'Report'))));
}
function editForm(li) {
const p = li.parts;
if (!p.form) {
p.input = h('textarea', { rows: 2, 'aria-label': 'Edit message', dataset: { testid: 'message-edit-input' } });
p.form = h('form', { class: 'msg-edit', dataset: { testid: 'message-edit-form' }, hidden: true },
p.input,
h('button', { type: 'submit', class: 'primary', dataset: { testid: 'message-edit-save' } }, 'Save'),
h('button', { type: 'button', dataset: { testid: 'message-edit-cancel' } }, 'Cancel'));
p.text.after(p.form);
}
return p.form;
}
function reactionPicker(li) {
const p = li.parts;
if (!p.picker) {
p.picker = h('div', { class: 'reaction-picker', dataset: { testid: 'reaction-picker' }, hidden: true },
...REACTIONS.map((emoji) => h('button', {
type: 'button', 'aria-label': `React with ${emoji}`, dataset: { testid: 'reaction-option', emoji },
}, emoji)));
p.toolbar.after(p.picker);
}
return p.picker;
}
const PARTS = {
slot: '.avatar-slot', bubble: '.bubble', sender: '.msg-sender', time: 'time',
edited: '.msg-edited', reply: '.msg-reply', files: '.msg-files', text: '.msg-text',
reactions: '.msg-reactions', toolbar: '.msg-actions',
edit: '[data-testid="message-edit-button"]', remove: '[data-testid="message-delete-button"]',
more: '.show-more', status: '.msg-status', receipt: '.receipt',
retry: '[data-testid="message-retry"]', dismiss: '[data-testid="message-dismiss"]',
report: '[data-testid="message-report"]',
};
let prototype = null;
let partIndex = null; // part name -> index among the template's descendants
function createMessage(entry, actions) {
if (!prototype) {
prototype = template();
const all = [...prototype.getElementsByTagName('*')];
partIndex = Object.fromEntries(Object.entries(PARTS)
.map(([name, sel]) => [name, all.indexOf(prototype.querySelector(sel))]));
}
const li = prototype.cloneNode(true);
const all = li.getElementsByTagName('*');
li.parts = Object.fromEntries(Object.entries(partIndex).map(([name, i]) => [name, all[i]]));
li.actions = actions;
return li;
}
function closeEdit(li) {
if (li.parts.form) li.parts.form.hidden = true;
li.parts.text.hidden = false;
li.editing = false;
}
function listenToMessages(list, actions, signal) {
const messageOf = (e) => {
const li = e.target.closest('li.msg');
return li && li.parentElement === list && li.parts ? li : null;
};
list.addEventListener('click', (e) => {
const li = messageOf(e);
if (!li) return;
const { parts, entry } = li;
const button = e.target.closest('button');
switch (button && li.contains(button) ? button.dataset.testid : null) {
case 'message-show-more': {
const expanded = !parts.text.classList.contains('expanded');
parts.text.classList.toggle('expanded', expanded);
parts.text.classList.toggle('collapsed', !expanded);
button.setAttribute('aria-expanded', String(expanded));
button.textContent = expanded ? 'Show less' : 'Show more';
break;
}
case 'message-retry': actions.retry(entry); break;
case 'message-dismiss': actions.dismiss(entry); break;
case 'message-report': actions.report(entry); break;
case 'message-reply-button': actions.reply(entry); break;
case 'message-react-button': {
const picker = reactionPicker(li);
picker.hidden = !picker.hidden;
break;
}
case 'reaction-option':
reactionPicker(li).hidden = true;
actions.react(entry, button.dataset.emoji);
break;
case 'reaction': actions.react(entry, button.dataset.emoji); break;
case 'message-delete-button': actions.remove(entry); break;
case 'message-reply': actions.jump(entry.channel_id, entry.reply_to); break;
case 'message-edit-button':
li.editing = true;
editForm(li).hidden = false;
parts.input.value = entry.text;
parts.text.hidden = true;
parts.input.focus();
break;
case 'message-edit-cancel': closeEdit(li); break;
default: break;
}
if (!e.target.closest('button, a, textarea, form') && parts.bubble.contains(e.target)) {
li.classList.toggle('actions-open');
}
if (!e.target.closest('button, a')) li.classList.toggle('selected');
}, { signal });
list.addEventListener('keydown', (e) => {
const li = messageOf(e);
if (!li || e.target !== li.parts.input) return;
if (e.key === 'Escape') { e.preventDefault(); closeEdit(li); }
if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); li.parts.form.requestSubmit(); }
}, { signal });
list.addEventListener('submit', async (e) => {
const li = messageOf(e);
if (!li || e.target !== li.parts.form) return;
e.preventDefault();
const value = li.parts.input.value;
if (!value.trim() || value === li.entry.text) { closeEdit(li); return; }
if (await actions.edit(li.entry, value)) closeEdit(li);
}, { signal });
}
function renderFiles(li, attachments) {
const box = li.parts.files;
box.replaceChildren();
box.hidden = !attachments.length;
const { media, view } = li.actions;
for (const a of attachments) {
if (isImage(a)) {
const img = h('img', { alt: a.name, dataset: { testid: 'attachment-thumbnail' }, decoding: 'async' });
if (a.width && a.height) {
const scale = Math.min(1, 320 / Math.max(a.width, a.height));
img.width = Math.max(1, Math.round(a.width * scale));
img.height = Math.max(1, Math.round(a.height * scale));
}
media.url(a).then((url) => { img.src = url; }, () => { img.alt = `${a.name} (not available)`; });
box.append(h('button', {
type: 'button', class: 'file-image', dataset: { testid: 'attachment-image' },
'aria-label': `Open image ${a.name}`, onclick: () => view(a),
}, img));
} else {
box.append(h('div', { class: 'file-card', dataset: { testid: 'attachment-file' } },
h('span', { class: 'file-icon', 'aria-hidden': 'true' }, '📄'),
h('span', { class: 'file-name', dataset: { testid: 'attachment-name' } }, a.name),
h('span', { class: 'file-size' }, formatSize(a.size)),
h('button', {
type: 'button', dataset: { testid: 'attachment-download' },
'aria-label': `Download ${a.name}`, onclick: () => media.download(a),
}, 'Download')));
}
}
}
function updateMessage(li, vm, state) {
const e = vm.entry;
const p = li.parts;
li.entry = e;
li.classList.toggle('mine', vm.mine);
li.classList.toggle('theirs', !vm.mine);
li.classList.toggle('first', vm.first);
li.dataset.state = e.state;
li.dataset.senderId = e.sender_id;
if (e.message_id !== null && e.message_id !== undefined) li.dataset.messageId = String(e.message_id);
else delete li.dataset.messageId;
if (e.client_msg_id) li.dataset.clientMsgId = e.client_msg_id;
const sender = state.user(e.sender_id);
const name = vm.mine ? 'You' : displayName(sender);
const slot = p.slot;
slot.hidden = !vm.group; // avatars only tell group members apart
if (!vm.mine && vm.first && vm.group) {
if (!slot.firstChild) slot.append(avatar(sender, 'sm'));
else fillAvatar(slot.firstChild, sender);
} else if (slot.firstChild) slot.firstChild.remove();
const senderEl = p.sender;
senderEl.classList.toggle('sr-only', !(vm.first && vm.group && !vm.mine));
setText(senderEl, name);
const time = p.time;
if (time.dateTime !== String(e.created_at)) {
time.dateTime = String(e.created_at);
time.title = fullTime(e.created_at);
setText(time, formatTime(e.created_at));
}
const deleted = Boolean(e.deleted);
li.dataset.deleted = String(deleted);
p.edited.hidden = !e.edited_at || deleted;
const reply = p.reply;
reply.hidden = !Number.isSafeInteger(e.reply_to) || deleted;
if (!reply.hidden) {
const orig = vm.replied;
let quote = 'Original message';
if (orig?.deleted) quote = 'Deleted message';
else if (orig) {
const said = orig.encrypted ? state.decrypted.get(orig.key)?.text ?? 'Encrypted message' : orig.text;
quote = `${displayName(state.user(orig.sender_id))}: ${said.slice(0, 120)}`;
}
reply.dataset.replyTo = String(e.reply_to);
setText(reply, `↪ ${quote}`);
}
renderReactions(p.reactions, e.reactions || {}, state);
const stored = e.message_id !== null && e.message_id !== undefined && e.state === 'sent';
p.toolbar.hidden = !stored || deleted || li.editing;
p.edit.hidden = !vm.mine;
p.remove.hidden = !(vm.mine || vm.admin);
if (deleted && li.editing) {
li.editing = false;
p.form.hidden = true;
}
if (deleted && p.picker) p.picker.hidden = true;
const secret = e.encrypted ? state.decrypted.get(e.key) : null;
const files = vm.hidden || deleted ? NO_FILES : (e.encrypted ? secret?.files : e.attachments) || NO_FILES;
if (li.renderedFiles !== files && files.map((a) => a.id).join() !== li.renderedFileIds) {
li.renderedFileIds = files.map((a) => a.id).join();
renderFiles(li, files);
}
li.renderedFiles = files;
const textEl = p.text;
const waiting = Boolean(e.encrypted) && !secret && !deleted && !vm.hidden;
li.dataset.e2ee = e.encrypted ? (secret ? 'decrypted' : 'waiting') : '';
textEl.classList.toggle('waiting', waiting);
const shown = vm.hidden ? 'Message from someone you blocked.'
: deleted ? 'This message was deleted.'
: waiting ? 'Encrypted message: cannot decrypt it yet (waiting for its key).'
: secret ? secret.text : e.text;
textEl.hidden = Boolean(li.editing) || (!shown && files.length > 0);
li.classList.toggle('hidden-sender', !!vm.hidden);
textEl.classList.toggle('deleted', deleted);
if (li.renderedText !== shown) {
li.renderedText = shown;
textEl.replaceChildren();
if (vm.hidden) textEl.textContent = shown;
else appendLinkified(textEl, shown);
const long = isLong(shown);
textEl.classList.toggle('collapsed', long);
textEl.classList.remove('expanded');
const more = p.more;
more.hidden = !long;
more.textContent = 'Show more';
more.setAttribute('aria-expanded', 'false');
}
const status = p.status;
let statusText = '';
if (vm.mine) {
if (e.state === 'pending') statusText = 'Sending…';
else if (e.state === 'failed') statusText = `Not sent: ${e.error || 'refused by the server'}`;
else if (vm.lastOwn && !vm.receipt) statusText = 'Sent';
}
setText(status, statusText);
status.hidden = !statusText;
const receipt = p.receipt;
receipt.hidden = !vm.receipt;
setText(receipt, vm.receipt || '');
p.retry.hidden = e.state !== 'failed';
p.dismiss.hidden = e.state !== 'failed';
const report = p.report;
report.hidden = vm.mine || vm.hidden || !e.message_id;
if (!report.hidden) report.setAttribute('aria-label', `Report this message from ${name}`);
}
function renderReactions(box, reactions, state) {
const emoji = Object.keys(reactions).filter((k) => reactions[k]?.length);
const key = JSON.stringify(reactions);
if (box.rendered === key) return;
box.rendered = key;
box.hidden = !emoji.length;
box.replaceChildren(...emoji.map((k) => {
const users = reactions[k];
const mine = users.includes(state.me.id);
const names = users.map((id) => (id === state.me.id ? 'You' : displayName(state.user(id))));
return h('button', {
type: 'button', class: mine ? 'reaction mine' : 'reaction', title: names.join(', '),
'aria-pressed': String(mine), 'aria-label': `${k} ${users.length}: ${names.join(', ')}`,
dataset: { testid: 'reaction', emoji: k, count: String(users.length), mine: String(mine) },
}, `${k} ${users.length}`);
}));
}
  return { REACTIONS, createMessage, listenToMessages, updateMessage };
})();
}
if (!modules["ui/people.js"]) {
// ---- js/ui/people.js
modules["ui/people.js"] = (() => {
  const { avatar, byTestId, displayName, fillAvatar, h, reconcile, relativeTime, setText } = modules["dom.js"];
  const { confirmDialog, toast, toastError } = modules["ui/dialogs.js"];


function presenceText(p) {
if (p?.status === 'online') return 'Online';
return p?.last_active_at ? `Last active ${relativeTime(p.last_active_at)}` : 'Offline';
}
function mountPeople(ctx) {
const { state, chat, signal } = ctx;
const results = byTestId('user-search-results');
const searchStatus = byTestId('user-search-status');
const incoming = byTestId('friend-requests-incoming');
const outgoing = byTestId('friend-requests-outgoing');
const requestsEmpty = byTestId('friend-requests-empty');
const friends = byTestId('friend-list');
const friendsEmpty = byTestId('friend-list-empty');
let found = [];
async function act(button, fn, context) {
button.disabled = true;
try {
await fn();
} catch (err) {
toastError(err, context);
} finally {
if (button.isConnected) button.disabled = false;
}
}
async function message(userId, button) {
await act(button, async () => {
const id = await chat.startDirect(userId);
ctx.navigate(id);
}, { forbidden: 'You can only message friends.' });
}
byTestId('user-search-form').addEventListener('submit', async (e) => {
e.preventDefault();
const q = byTestId('user-search-input').value.trim();
if (!q) {
searchStatus.textContent = 'Type a username to search.';
return;
}
searchStatus.textContent = 'Searching…';
try {
found = await chat.searchUsers(q);
searchStatus.textContent = found.length ? `${found.length} found.` : `No one is called “${q}”.`;
} catch (err) {
found = [];
searchStatus.textContent = ctx.friendly(err);
}
renderResults();
}, { signal });
function relation(userId) {
if (userId === state.me.id) return 'me';
if (state.blocked?.has(userId)) return 'blocked';
if (state.friends.has(userId)) return 'friend';
if (state.requests.outgoing.some((r) => r.to_user_id === userId)) return 'outgoing';
if (state.requests.incoming.some((r) => r.from_user_id === userId)) return 'incoming';
return 'none';
}
function personRow(testid, user) {
return h('li', { dataset: { testid, userId: user.id } },
avatar(user, 'md'),
h('span', { class: 'person-main' },
h('span', { class: 'person-name', dataset: { testid: 'person-name' } }),
h('span', { class: 'person-sub' })),
h('span', { class: 'person-actions' }));
}
function fillPerson(li, user, sub) {
fillAvatar(li.querySelector('.avatar'), state.user(user.id) || user);
setText(li.querySelector('.person-name'), displayName(user));
setText(li.querySelector('.person-sub'), sub);
}
function renderResults() {
reconcile(results, found, (u) => u.id, (u) => personRow('user-result', u), (li, u) => {
const user = state.user(u.id) || u;
fillPerson(li, user, `@${user.username}`);
const rel = relation(u.id);
if (li.dataset.relation === rel) return;
li.dataset.relation = rel;
const actions = li.querySelector('.person-actions');
actions.replaceChildren();
if (rel === 'me') {
actions.append(h('span', { class: 'tag' }, 'You'));
return;
}
if (rel === 'blocked') {
actions.append(h('span', { class: 'tag' }, 'Blocked'),
h('button', { type: 'button', class: 'small', dataset: { testid: 'user-result-unblock' },
'aria-label': `Unblock ${displayName(user)}`,
onclick: (e) => act(e.currentTarget, () => ctx.safety.unblock(u.id)) }, 'Unblock'));
return;
}
if (rel === 'outgoing') actions.append(h('span', { class: 'tag' }, 'Request sent'));
else if (rel === 'friend') {
actions.append(h('button', { type: 'button', class: 'small', dataset: { testid: 'user-result-message' },
onclick: (e) => message(u.id, e.currentTarget) }, 'Message'));
} else if (rel === 'incoming') {
const req = state.requests.incoming.find((r) => r.from_user_id === u.id);
actions.append(h('button', { type: 'button', class: 'small primary', dataset: { testid: 'user-result-accept' },
onclick: (e) => act(e.currentTarget, () => chat.acceptRequest(req.id)) }, 'Accept request'));
} else {
actions.append(h('button', { type: 'button', class: 'small primary', dataset: { testid: 'add-friend-button' },
'aria-label': `Add ${displayName(user)} as a friend`,
onclick: (e) => act(e.currentTarget, async () => {
await chat.sendFriendRequest(u.id);
toast(`Friend request sent to ${displayName(user)}.`);
}, { conflict: 'You are already friends, or a request is pending.' }) }, 'Add friend'));
}
actions.append(h('button', { type: 'button', class: 'small danger', dataset: { testid: 'user-result-block' },
'aria-label': `Block ${displayName(user)}`,
onclick: (e) => act(e.currentTarget, () => ctx.safety.block(u.id)) }, 'Block'));
});
}
function renderRequests() {
const { incoming: inc, outgoing: out } = state.requests;
reconcile(incoming, inc, (r) => r.id, (r) => {
const li = personRow('friend-request', { id: r.from_user_id });
li.dataset.direction = 'incoming';
li.dataset.requestId = r.id;
const actions = li.querySelector('.person-actions');
actions.append(
h('button', { type: 'button', class: 'small primary', dataset: { testid: 'friend-request-accept' },
onclick: (e) => act(e.currentTarget, async () => {
await chat.acceptRequest(r.id);
toast(`You are now friends with ${displayName(state.user(r.from_user_id))}.`);
}) }, 'Accept'),
h('button', { type: 'button', class: 'small', dataset: { testid: 'friend-request-decline' },
onclick: (e) => act(e.currentTarget, () => chat.declineRequest(r.id)) }, 'Decline'));
return li;
}, (li, r) => {
const user = state.user(r.from_user_id) || { id: r.from_user_id };
fillPerson(li, user, 'wants to be your friend');
for (const b of li.querySelectorAll('button')) {
b.setAttribute('aria-label', `${b.textContent} friend request from ${displayName(user)}`);
}
});
reconcile(outgoing, out, (r) => r.id, (r) => {
const li = personRow('friend-request', { id: r.to_user_id });
li.dataset.direction = 'outgoing';
li.dataset.requestId = r.id;
li.querySelector('.person-actions').append(h('span', { class: 'tag' }, 'Pending'));
return li;
}, (li, r) => fillPerson(li, state.user(r.to_user_id) || { id: r.to_user_id }, 'request sent'));
requestsEmpty.hidden = inc.length + out.length > 0;
}
function renderFriends() {
const list = [...state.friends.values()].map((f) => ({
user: state.user(f.user.id) || f.user,
presence: state.presence.get(f.user.id) || f.presence,
}));
list.sort((a, b) => {
const on = (x) => (x.presence?.status === 'online' ? 0 : 1);
return on(a) - on(b) || displayName(a.user).localeCompare(displayName(b.user));
});
reconcile(friends, list, (f) => f.user.id, (f) => {
const li = h('li', { dataset: { testid: 'friend-item', userId: f.user.id } },
h('span', { class: 'avatar-wrap' }, avatar(f.user, 'md'),
h('span', { class: 'dot', dataset: { testid: 'presence-dot', status: 'offline' } })),
h('span', { class: 'person-main' },
h('span', { class: 'person-name', dataset: { testid: 'friend-name' } }),
h('span', { class: 'person-sub', dataset: { testid: 'friend-status-text' } }),
h('span', { class: 'person-sub', dataset: { testid: 'friend-last-active' } })),
h('span', { class: 'person-actions' },
h('button', { type: 'button', class: 'small primary', dataset: { testid: 'friend-message-button' },
onclick: (e) => message(f.user.id, e.currentTarget) }, 'Message'),
h('button', { type: 'button', class: 'small', dataset: { testid: 'friend-remove-button' },
onclick: async (e) => {
const button = e.currentTarget;
const name = displayName(state.user(f.user.id));
if (!(await confirmDialog(`Remove ${name} from your friends?`, 'Remove'))) return;
await act(button, () => chat.removeFriend(f.user.id));
} }, 'Remove'),
h('button', { type: 'button', class: 'small danger', dataset: { testid: 'friend-block-button' },
onclick: (e) => act(e.currentTarget, () => ctx.safety.block(f.user.id)) }, 'Block')));
return li;
}, (li, f) => {
const status = f.presence?.status === 'online' ? 'online' : 'offline';
const name = displayName(f.user);
li.dataset.status = status;
fillAvatar(li.querySelector('.avatar'), state.user(f.user.id) || f.user);
const dot = li.querySelector('.dot');
dot.dataset.status = status;
dot.setAttribute('aria-label', status);
dot.setAttribute('role', 'img');
setText(li.querySelector('.person-name'), name);
setText(li.querySelector('[data-testid="friend-status-text"]'), f.user.status_text || '');
setText(li.querySelector('[data-testid="friend-last-active"]'), presenceText(f.presence));
li.querySelector('[data-testid="friend-message-button"]').setAttribute('aria-label', `Message ${name}`);
li.querySelector('[data-testid="friend-remove-button"]').setAttribute('aria-label', `Remove ${name} from friends`);
li.querySelector('[data-testid="friend-block-button"]').setAttribute('aria-label', `Block ${name}`);
});
friendsEmpty.hidden = list.length > 0;
}
const panel = friends.closest('[role="tabpanel"]');
const due = new Set();
let idle = 0;
const runDue = () => {
cancelIdle(idle);
idle = 0;
const fns = [...due];
due.clear();
for (const fn of fns) fn();
};
const soon = (...fns) => {
for (const fn of fns) due.add(fn);
if (!panel || !panel.hidden) runDue();
else if (!idle) idle = onIdle(runDue);
};
const shown = new MutationObserver(() => { if (due.size && !panel.hidden) runDue(); });
if (panel) shown.observe(panel, { attributes: true, attributeFilter: ['hidden'] });
state.on('requests', () => soon(renderRequests, renderResults));
state.on('friends', () => soon(renderFriends, renderResults));
state.on('presence', () => soon(renderFriends));
state.on('users', () => soon(renderFriends, renderRequests, renderResults));
state.on('blocks', () => soon(renderResults));
const timer = setInterval(() => soon(renderFriends), 30000);
signal.addEventListener('abort', () => {
clearInterval(timer);
cancelIdle(idle);
shown.disconnect();
});
soon(renderRequests, renderFriends);
}
function onIdle(fn) {
return window.requestIdleCallback ? requestIdleCallback(fn, { timeout: 1000 }) : setTimeout(fn, 200);
}
function cancelIdle(id) {
if (!id) return;
if (window.cancelIdleCallback) cancelIdleCallback(id);
else clearTimeout(id);
}
  return { presenceText, mountPeople };
})();
}
if (!modules["ui/pull.js"]) {
// ---- js/ui/pull.js
modules["ui/pull.js"] = (() => {
const THRESHOLD_PX = 64;
function attachPull(scroller, indicator, { enabled, onPull, signal }) {
let startY = null;
let pulled = 0;
const show = (px) => {
indicator.hidden = false;
indicator.style.setProperty('--pull', `${px}px`);
indicator.textContent = px >= THRESHOLD_PX ? 'Release to load older messages' : 'Pull to load older messages';
};
const hide = () => {
indicator.hidden = true;
indicator.style.setProperty('--pull', '0px');
};
scroller.addEventListener('touchstart', (e) => {
startY = enabled() && scroller.scrollTop <= 0 && e.touches.length === 1 ? e.touches[0].clientY : null;
pulled = 0;
}, { passive: true, signal });
scroller.addEventListener('touchmove', (e) => {
if (startY === null) return;
pulled = Math.max(0, (e.touches[0].clientY - startY) / 2); // resistance: half the finger's way
if (pulled > 0 && scroller.scrollTop <= 0) {
if (e.cancelable) e.preventDefault(); // the pull, not a bounce of the page
show(Math.min(pulled, THRESHOLD_PX * 1.5));
}
}, { passive: false, signal });
const finish = (release) => {
if (startY === null) return;
startY = null;
hide();
if (release && pulled >= THRESHOLD_PX) onPull();
};
scroller.addEventListener('touchend', () => finish(true), { signal });
scroller.addEventListener('touchcancel', () => finish(false), { signal });
}
  return { attachPull };
})();
}
if (!modules["ui/virtual-list.js"]) {
// ---- js/ui/virtual-list.js
modules["ui/virtual-list.js"] = (() => {
class VirtualList {
constructor(o) {
this.o = o;
this.items = [];
this.keys = [];
this.heights = new Map(); // key -> measured px
this.nodes = new Map(); // key -> element in the page
this.version = 0; // bumped by setItems: every rendered element is updated once more
this.start = 0;
this.end = 0;
this.listTop = 0; // the list's offset in the scroller, read before the last render
this.anchorIndex = -1; // the index of the last render's anchor item
this.following = true; // at the newest item: stay there when the viewport changes
this.partial = false; // the last render left part of its window for the next frame
this.frame = 0; // that next frame
this.size = 0; // aria-setsize of the items
this.stale = 0; // the offsets from this index on need computing again
this.pinned = null; // the element holding the focus, kept while outside the window
this.height = 0; // the scroller's height when the resize observer last ran
this.resizes = new ResizeObserver(() => {
const h = o.scroller.clientHeight;
if (h === this.height) return;
this.height = h;
this.render({ toBottom: this.following && this.keys.length > 0 });
});
this.resizes.observe(o.scroller);
this.stop = new AbortController();
o.scroller.addEventListener('scroll', () => this.noteFollowing(),
{ passive: true, signal: this.stop.signal });
}
setItems(items, { toBottom = false } = {}) {
const follow = toBottom || this.atEnd();
this.items = items;
this.keys = items.map(this.o.key);
this.tops = null;
this.size = this.o.setSize ? this.o.setSize(items) : items.length;
this.version++;
this.render({ toBottom: follow });
}
noteFollowing() {
if (this.o.scroller.clientHeight === this.height) this.following = this.atEnd();
}
atBottom(slack = 120) {
const s = this.o.scroller;
return s.scrollHeight - s.scrollTop - s.clientHeight < slack;
}
atEnd(slack = 120) {
return this.end > 0 && this.end === this.keys.length && this.atBottom(slack);
}
scrollToBottom() {
const s = this.o.scroller;
this.render({ toBottom: true });
s.scrollTop = s.scrollHeight;
}
scrollToKey(key) {
const i = this.keys.indexOf(key);
if (i < 0) return null;
const { scroller, list } = this.o;
const place = () => {
const tops = this.offsets();
scroller.scrollTop = Math.max(0, list.offsetTop + tops[i] - scroller.clientHeight / 3);
};
place();
this.render();
const el = this.nodes.get(key);
if (el) scroller.scrollTop = Math.max(0, el.offsetTop - scroller.clientHeight / 3);
this.render();
return this.nodes.get(key) || null;
}
offsets() {
let tops = this.tops;
let from = this.stale;
if (!tops) {
tops = new Float64Array(this.keys.length + 1);
from = 0;
}
const est = this.o.estimate ?? 64;
for (let i = from; i < this.keys.length; i++) {
tops[i + 1] = tops[i] + (this.heights.get(this.keys[i]) ?? est);
}
this.tops = tops;
this.stale = this.keys.length;
return tops;
}
measured(i, h) {
const key = this.keys[i];
if (this.heights.get(key) === h) return false;
this.heights.set(key, h);
this.stale = Math.min(this.stale, i);
return true;
}
anchor() {
const s = this.o.scroller;
for (const el of this.o.list.children) {
if (el !== this.pinned && el.offsetTop + el.offsetHeight > s.scrollTop) {
return { key: el.dataset.key, delta: el.offsetTop - s.scrollTop };
}
}
return null;
}
schedule() {
if (this.frame) return;
this.frame = requestAnimationFrame(() => {
this.frame = 0;
this.render({ scrolled: true });
});
}
render({ toBottom = false, scrolled = false } = {}) {
const { scroller, list } = this.o;
const stick = toBottom;
this.listTop = list.offsetTop;
if (scrolled && !stick && this.covers()) {
this.noteFollowing();
return;
}
const deadline = stick ? Infinity : performance.now() + (this.o.budgetMs ?? 4);
const anchor = stick ? null : this.anchor();
const passes = scrolled && !stick ? 1 : 3;
for (let pass = 0; pass < passes; pass++) {
const changed = this.renderWindow(stick, anchor, deadline, !scrolled);
if (changed && passes === 1) this.partial = true;
if (stick) scroller.scrollTop = scroller.scrollHeight;
else if (anchor && this.anchorIndex >= 0) {
const want = this.listTop + this.offsets()[this.anchorIndex] - anchor.delta;
if (Math.abs(scroller.scrollTop - want) >= 1) scroller.scrollTop = want;
}
if (!changed || pass + 1 === passes || this.covers()) break;
}
if (!scrolled) this.noteFollowing();
if (this.partial) this.schedule();
}
covers() {
const { scroller, overscan = 800 } = this.o;
const tops = this.offsets();
const viewTop = scroller.scrollTop - this.listTop;
const above = this.start === 0 || tops[this.start] <= viewTop - overscan / 2;
const below = this.end === this.keys.length
|| tops[this.end] >= viewTop + scroller.clientHeight + overscan / 2;
return above && below;
}
renderWindow(stick, anchor, deadline = Infinity, wholeView = true) {
const { scroller, list, overscan = 800 } = this.o;
const n = this.keys.length;
const tops = this.offsets();
const { listTop } = this;
this.anchorIndex = -1;
let viewTop = scroller.scrollTop - listTop;
if (stick) viewTop = tops[n] - scroller.clientHeight;
else if (anchor) {
const i = this.keys.indexOf(anchor.key);
this.anchorIndex = i;
if (i >= 0) viewTop = tops[i] - anchor.delta;
}
const from = viewTop - overscan;
const to = viewTop + scroller.clientHeight + overscan;
let start = upperBound(tops, from) - 1;
start = Math.max(0, Math.min(start, n));
let end = start;
while (end < n && tops[end] < to) end++;
this.partial = false;
if (deadline !== Infinity) [start, end] = this.grow(start, end, viewTop, deadline, wholeView);
this.start = start;
this.end = end;
const wanted = new Set(this.keys.slice(start, end));
const pin = this.focusedItem();
const pinAt = pin && !wanted.has(pin.dataset.key) ? this.keys.indexOf(pin.dataset.key) : -1;
for (const [key, el] of this.nodes) {
if (!wanted.has(key) && !(pinAt >= 0 && el === pin)) {
el.remove();
this.nodes.delete(key);
this.o.removed?.(el);
}
}
if (this.pinned && this.pinned !== (pinAt >= 0 ? pin : null)) {
this.pinned.classList.remove('pinned');
this.pinned.style.top = '';
}
this.pinned = pinAt >= 0 ? pin : null;
let prev = null;
if (this.pinned && pinAt < start) {
if (list.firstChild !== pin) list.insertBefore(pin, list.firstChild);
prev = pin;
}
for (let i = start; i < end; i++) {
const el = this.element(i);
const want = prev ? prev.nextSibling : list.firstChild;
if (want !== el) list.insertBefore(el, want);
prev = el;
}
if (this.pinned) {
if (pinAt >= end && list.lastChild !== pin) list.append(pin);
pin.classList.add('pinned');
pin.style.top = `${listTop + tops[pinAt]}px`;
if (pin.renderedIndex !== pinAt || pin.renderedVersion !== this.version) this.element(pinAt);
}
list.style.paddingTop = `${tops[start]}px`;
list.style.paddingBottom = `${tops[n] - tops[end]}px`;
let changed = false;
for (let i = start; i < end; i++) {
if (this.measured(i, this.nodes.get(this.keys[i]).getBoundingClientRect().height)) {
changed = true;
}
}
if (changed) {
const fixed = this.offsets();
list.style.paddingTop = `${fixed[start]}px`;
list.style.paddingBottom = `${fixed[n] - fixed[end]}px`;
}
return changed;
}
element(i) {
const key = this.keys[i];
const item = this.items[i];
let el = this.nodes.get(key);
if (!el) {
el = this.o.create(item);
el.dataset.key = key;
this.nodes.set(key, el);
}
if (el.renderedItem !== item || el.renderedVersion !== this.version || el.renderedIndex !== i) {
el.renderedItem = item;
el.renderedVersion = this.version;
el.renderedIndex = i;
this.o.update(el, item, i);
el.setAttribute('aria-posinset', String(i + 1));
el.setAttribute('aria-setsize', String(this.size));
}
return el;
}
focusedItem() {
let el = document.activeElement;
while (el && el.parentElement !== this.o.list) el = el.parentElement;
return el && this.nodes.get(el.dataset.key) === el ? el : null;
}
grow(start, end, viewTop, deadline, wholeView) {
const tops = this.offsets();
const n = this.keys.length;
let first = Math.max(0, Math.min(upperBound(tops, viewTop) - 1, n));
let last = first;
while (last < n && tops[last] < viewTop + this.o.scroller.clientHeight) last++;
first = Math.max(first, start);
last = Math.min(Math.max(last, first), end);
const has = (i) => this.nodes.has(this.keys[i]);
let lo = first;
while (lo < last && !has(lo)) lo++;
if (lo === last) lo = first;
let hi = lo;
while (hi < end && has(hi)) hi++;
while (lo > start && has(lo - 1)) lo--;
let made = 0;
const early = () => made > 0 && performance.now() > deadline;
const make = (i) => { this.element(i); made++; };
while (hi < last && (wholeView || !early())) make(hi++);
while (lo > first && (wholeView || !early())) make(--lo);
while (hi < end && !early()) make(hi++);
while (lo > start && !early()) make(--lo);
this.partial = lo > start || hi < end;
return [lo, hi];
}
dispose() {
this.resizes.disconnect();
this.stop.abort();
cancelAnimationFrame(this.frame);
}
reset() {
this.following = true;
cancelAnimationFrame(this.frame);
this.frame = 0;
this.partial = false;
for (const el of this.nodes.values()) this.o.removed?.(el);
this.nodes.clear();
this.heights.clear();
this.tops = null;
this.pinned = null;
this.items = [];
this.keys = [];
this.start = this.end = 0;
this.o.list.replaceChildren();
this.o.list.style.paddingTop = this.o.list.style.paddingBottom = '0px';
}
}
function upperBound(values, x) {
let lo = 0;
let hi = values.length;
while (lo < hi) {
const mid = (lo + hi) >> 1;
if (values[mid] <= x) lo = mid + 1;
else hi = mid;
}
return lo;
}
  return { VirtualList };
})();
}
if (!modules["ui/conversation.js"]) {
// ---- js/ui/conversation.js
modules["ui/conversation.js"] = (() => {
  const { byTestId, displayName, fillAvatar, setText } = modules["dom.js"];
  const { channelTitle, directPeer } = modules["ui/channels.js"];
  const { closeOnBackdrop, confirmDialog, openDialog, toast, toastError } = modules["ui/dialogs.js"];
  const { Media } = modules["media.js"];
  const { createMessage, listenToMessages, updateMessage } = modules["ui/messages.js"];
  const { presenceText } = modules["ui/people.js"];
  const { attachPull } = modules["ui/pull.js"];
  const { VirtualList } = modules["ui/virtual-list.js"];








const NEAR_BOTTOM_PX = 120;
const LOAD_OLDER_PX = 300;
const RUN_GAP_MS = 5 * 60 * 1000;
function mountConversation(ctx) {
const { state, chat, signal } = ctx;
const root = byTestId('conversation');
const empty = byTestId('conversation-empty');
const conv = root.querySelector('.conv');
const scroller = byTestId('message-list');
const ol = scroller.querySelector('ol');
const historyStatus = byTestId('history-status');
const loadOlderButton = byTestId('load-older');
const jump = byTestId('jump-to-latest');
const typingEl = byTestId('typing-indicator');
const titleEl = byTestId('conversation-title');
const subtitleEl = byTestId('conversation-subtitle');
const membersButton = byTestId('members-button');
const leaveButton = byTestId('leave-group-button');
let channelId = null;
const visible = new Set();
let readTimer = null;
const media = new Media(chat.api, chat.cache, ctx.e2ee);
signal.addEventListener('abort', () => media.dispose());
const viewer = byTestId('media-viewer');
const viewerImage = byTestId('media-viewer-image');
let viewing = null;
closeOnBackdrop(viewer);
byTestId('media-viewer-close').addEventListener('click', () => viewer.close(), { signal });
byTestId('media-viewer-download').addEventListener('click', () => {
if (viewing) media.download(viewing).catch(toastError);
}, { signal });
function viewImage(a) {
viewing = a;
viewerImage.removeAttribute('src');
viewerImage.alt = a.name;
setText(byTestId('media-viewer-name'), a.name);
openDialog(viewer);
media.url(a, { full: true }).then((url) => {
if (viewing === a) viewerImage.src = url;
}, toastError);
}
const actions = {
retry: (e) => chat.retryFailed(e.channel_id, e.client_msg_id),
dismiss: (e) => chat.dismissFailed(e.channel_id, e.client_msg_id),
report: (e) => ctx.safety.report(e),
reply: (e) => ctx.composerReply?.(e),
jump: (cid, id) => jumpTo(cid, id),
react: (e, emoji) => chat.toggleReaction(e.channel_id, e.message_id, emoji).catch(toastError),
async edit(e, text) {
try {
await chat.editMessage(e.channel_id, e.message_id, text);
return true;
} catch (err) {
toastError(err);
return false;
}
},
async remove(e) {
if (!(await confirmDialog('Delete this message for everyone?', 'Delete'))) return;
try {
await chat.deleteMessage(e.channel_id, e.message_id);
} catch (err) {
toastError(err);
}
},
media,
view: viewImage,
};
async function jumpTo(cid, messageId) {
if (!Number.isSafeInteger(messageId)) return;
if (cid !== channelId) {
ctx.navigate(cid);
await show(cid);
}
let found = false;
try {
found = await chat.loadAround(cid, messageId);
} catch (err) {
toastError(err);
}
if (cid !== channelId) return;
renderMessages();
const el = found ? messages.scrollToKey(`m:${messageId}`) : null;
if (!el) {
toast('That message is no longer in the history.', 'error');
return;
}
for (const old of ol.querySelectorAll('.msg.highlight')) old.classList.remove('highlight');
el.classList.add('highlight');
el.dataset.jumped = 'true';
setTimeout(() => { el.classList.remove('highlight'); }, 2500);
}
ctx.jumpTo = jumpTo;
const observer = new IntersectionObserver((entries) => {
for (const en of entries) {
const id = Number(en.target.dataset.messageId);
if (en.isIntersecting) visible.add(id);
else visible.delete(id);
}
scheduleRead();
}, { root: scroller, threshold: 0 });
signal.addEventListener('abort', () => {
observer.disconnect();
messages.dispose();
});
function scheduleRead() {
clearTimeout(readTimer);
readTimer = setTimeout(markVisibleRead, 150);
}
function markVisibleRead() {
if (!channelId || document.visibilityState !== 'visible' || !visible.size) return;
chat.markRead(channelId, Math.max(...visible));
}
document.addEventListener('visibilitychange', scheduleRead, { signal });
window.addEventListener('focus', scheduleRead, { signal });
listenToMessages(ol, actions, signal);
const messages = new VirtualList({
scroller,
list: ol,
key: (e) => e.key,
create: (e) => createMessage(e, actions),
update: (li, e, i) => {
updateMessage(li, vmAt(i), state);
if (e.sender_id !== state.me.id && li.dataset.messageId && !li.observed) {
li.observed = true;
observer.observe(li);
}
},
removed: (li) => {
observer.unobserve(li);
visible.delete(Number(li.dataset.messageId));
},
estimate: 56,
setSize: (items) => (state.log(channelId).moreBefore() ? -1 : items.length),
});
const scrollToBottom = () => {
messages.scrollToBottom();
jump.hidden = true;
};
ctx.conversation = { scrollToBottom, get channelId() { return channelId; } };
let view = { entries: [], me: null, group: false, lastOwnKey: null, receiptKey: null, receipt: null };
function computeView(entries, ch) {
const me = state.me.id;
const group = ch?.kind === 'group';
const reads = state.reads.get(channelId);
let maxRead = 0;
if (reads) for (const v of reads.values()) maxRead = Math.max(maxRead, v);
let receiptKey = null;
let lastOwnKey = null;
let target = 0;
for (let i = entries.length - 1; i >= 0; i--) {
const e = entries[i];
if (e.sender_id !== me) continue;
if (!lastOwnKey) lastOwnKey = e.key;
if (maxRead && e.message_id && e.message_id <= maxRead) {
receiptKey = e.key;
target = e.message_id;
break;
}
}
let receipt = null;
if (receiptKey) {
const readers = [...reads.entries()].filter(([, id]) => id >= target).map(([uid]) => uid);
if (!group) receipt = 'Seen';
else {
const names = readers.slice(0, 3).map((uid) => displayName(state.user(uid)));
const more = readers.length > 3 ? ` +${readers.length - 3}` : '';
receipt = `Seen by ${names.join(', ')}${more}`;
}
}
const admin = group && (ch?.role === 'owner' || ch?.role === 'admin');
return { entries, me, group, lastOwnKey, receiptKey, receipt, admin };
}
function vmAt(i) {
const e = view.entries[i];
const prev = view.entries[i - 1];
const replied = Number.isSafeInteger(e.reply_to)
? state.log(e.channel_id).byId.get(e.reply_to) : null;
const gap = prev ? Date.parse(e.created_at) - Date.parse(prev.created_at) : Infinity;
return {
entry: e,
mine: e.sender_id === view.me,
group: view.group,
first: !prev || prev.sender_id !== e.sender_id || !(gap < RUN_GAP_MS),
lastOwn: e.key === view.lastOwnKey,
hidden: e.sender_id !== view.me && !!state.blocked?.has(e.sender_id),
replied,
admin: view.admin,
receipt: e.key === view.receiptKey ? view.receipt : null,
};
}
let newestKey = null;
function renderMessages({ forceBottom = false } = {}) {
if (!channelId) return;
const log = state.log(channelId);
const entries = log.sorted();
const following = forceBottom || messages.atEnd();
view = computeView(entries, state.channels.get(channelId));
messages.setItems(entries, { toBottom: forceBottom });
const newest = entries[entries.length - 1];
if (newest && newestKey && newest.key !== newestKey && !following
&& newest.sender_id !== state.me.id) {
jump.hidden = false;
}
if (following) jump.hidden = true;
newestKey = newest ? newest.key : null;
renderHistoryStatus(log, entries.length);
if (log.moreBefore() && scroller.scrollHeight <= scroller.clientHeight + LOAD_OLDER_PX) {
loadOlder();
}
scheduleRead();
}
function renderHistoryStatus(log, count) {
loadOlderButton.hidden = !(log.moreBefore() && !log.loadingBefore);
let text = '';
if (log.loadingBefore) text = 'Loading older messages…';
else if (log.moreBefore()) text = '';
else if (count) text = 'This is the start of the conversation.';
else text = log.fetchedLatest ? 'No messages yet. Say hello!' : 'Loading messages…';
setText(historyStatus, text);
}
function loadOlder() {
const cid = channelId;
const log = state.log(cid);
if (log.loadingBefore || !log.latestDone || !log.moreBefore()) return;
chat.loadOlder(cid).catch((err) => {
if (cid === channelId) toastError(err);
});
}
const touch = window.matchMedia('(pointer: coarse)');
scroller.addEventListener('scroll', () => {
if (channelId) messages.schedule();
if (scroller.scrollTop < LOAD_OLDER_PX && !touch.matches) loadOlder();
if (messages.atBottom(NEAR_BOTTOM_PX)) jump.hidden = true;
}, { signal, passive: true });
attachPull(scroller, byTestId('pull-indicator'), {
enabled: () => {
const log = channelId && state.log(channelId);
return !!log && log.moreBefore() && !log.loadingBefore;
},
onPull: loadOlder,
signal,
});
loadOlderButton.addEventListener('click', loadOlder, { signal });
jump.addEventListener('click', () => {
scrollToBottom();
byTestId('composer-input').focus();
}, { signal });
function renderHeader() {
if (!channelId) return;
const ch = state.channels.get(channelId);
if (!ch) return;
const title = channelTitle(state, ch);
setText(titleEl, title);
const peer = directPeer(state, ch);
fillAvatar(root.querySelector('.conv-avatar'), peer ? state.user(peer) : { id: ch.id }, title);
if (ch.kind === 'direct') {
const u = state.user(peer);
const p = state.presence.get(peer);
subtitleEl.dataset.status = p?.status === 'online' ? 'online' : 'offline';
setText(subtitleEl, [presenceText(p), u?.status_text].filter(Boolean).join(' · '));
} else {
const members = ch.members || [];
const online = members.filter((id) => id !== state.me.id
&& state.presence.get(id)?.status === 'online').length;
const count = ch.member_count || members.length;
setText(subtitleEl, `${count} member${count === 1 ? '' : 's'}${online ? `, ${online} online` : ''}`);
delete subtitleEl.dataset.status;
}
membersButton.hidden = ch.kind !== 'group';
leaveButton.hidden = ch.kind !== 'group';
}
function renderTyping() {
if (!channelId) return;
const ids = state.typingUsers(channelId);
const names = ids.map((id) => displayName(state.user(id)));
let text = '';
if (names.length === 1) text = `${names[0]} is typing…`;
else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
else if (names.length > 2) text = 'Several people are typing…';
typingEl.hidden = !text;
typingEl.dataset.userIds = ids.join(',');
setText(typingEl, text);
}
leaveButton.addEventListener('click', async () => {
const cid = channelId;
const ch = state.channels.get(cid);
if (!ch) return;
const name = channelTitle(state, ch);
if (!(await confirmDialog(`Leave “${name}”? You will stop getting its messages.`, 'Leave'))) return;
try {
await chat.leave(cid);
toast(`You left ${name}.`);
ctx.navigate(null);
} catch (err) {
toastError(err);
}
}, { signal });
async function show(cid) {
if (cid === channelId) return;
channelId = cid;
state.currentChannelId = cid;
visible.clear();
observer.disconnect();
messages.reset();
newestKey = null;
jump.hidden = true;
empty.hidden = !!cid;
conv.hidden = !cid;
state.changed('route');
if (!cid) return;
renderHeader();
renderTyping();
renderMessages({ forceBottom: true });
try {
await chat.openChannel(cid);
} catch (err) {
if (cid !== channelId) return;
if (err.code === 'forbidden' || err.code === 'not_found') {
toast('That conversation is not available.', 'error');
ctx.navigate(null);
} else if (err.code !== 'network') toastError(err); // offline: the banner says so
}
if (cid === channelId) renderMessages({ forceBottom: !newestKey });
}
ctx.showConversation = show;
state.on('messages', (keys) => { if (keys.has(channelId)) renderMessages(); });
state.on('reads', (keys) => { if (keys.has(channelId)) renderMessages(); });
state.on('typing', (keys) => { if (keys.has(channelId)) renderTyping(); });
state.on('users', () => { renderHeader(); renderTyping(); if (channelId) renderMessages(); });
state.on('channels', renderHeader);
state.on('blocks', () => { if (channelId) renderMessages(); });
state.on('presence', renderHeader);
}
  return { mountConversation };
})();
}
if (!modules["ui/groups.js"]) {
// ---- js/ui/groups.js
modules["ui/groups.js"] = (() => {
  const { friendlyError } = modules["api.js"];
  const { avatar, byTestId, displayName, fillAvatar, h, reconcile, setText } = modules["dom.js"];
  const { presenceText } = modules["ui/people.js"];
  const { confirmDialog, openDialog, toast } = modules["ui/dialogs.js"];




const NOT_ALLOWED = { forbidden: 'Only the group owner or an admin can do that.' };
function mountGroups(ctx) {
const { state, chat, signal } = ctx;
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
  return { mountGroups };
})();
}
if (!modules["ui/later-dialogs.js"]) {
// ---- js/ui/later-dialogs.js
modules["ui/later-dialogs.js"] = (() => {
  const { closeOnBackdrop } = modules["ui/dialogs.js"];

const MARKUP = [
'<dialog id="media-viewer" class="media-viewer" data-testid="media-viewer" aria-labelledby="media-viewer-name">',
'<div class="stack">',
'<p id="media-viewer-name" class="media-name" data-testid="media-viewer-name"></p>',
'<img data-testid="media-viewer-image" alt="">',
'<div class="row">',
'<button type="button" data-testid="media-viewer-download">Download</button>',
'<button type="button" class="primary" data-testid="media-viewer-close">Close</button>',
'</div>',
'</div>',
'</dialog>',
'<dialog id="group-dialog" data-testid="group-dialog" aria-labelledby="group-title">',
'<form class="stack" data-testid="group-create-form" novalidate>',
'<h2 id="group-title">New group</h2>',
'<label for="group-name-input">Group name</label>',
'<input id="group-name-input" maxlength="100" required data-testid="group-name-input">',
'<fieldset>',
'<legend>Members</legend>',
'<ul class="checklist" data-testid="group-member-options"></ul>',
'<p class="empty" data-testid="group-no-friends" hidden>Add friends first to invite them.</p>',
'</fieldset>',
'<p class="form-error" role="alert" data-testid="group-error"></p>',
'<div class="dialog-buttons">',
'<button type="button" data-testid="group-cancel">Cancel</button>',
'<button type="submit" class="primary" data-testid="group-create-submit">Create group</button>',
'</div>',
'</form>',
'</dialog>',
'<dialog id="members-dialog" data-testid="members-dialog" aria-labelledby="members-title">',
'<div class="stack">',
'<h2 id="members-title">Members</h2>',
'<ul class="people" data-testid="member-list" aria-label="Members"></ul>',
'<form class="row" data-testid="member-add-form" novalidate>',
'<label for="member-add-select" class="sr-only">Friend to add</label>',
'<select id="member-add-select" data-testid="member-add-select"></select>',
'<button type="submit" data-testid="member-add-button">Add</button>',
'</form>',
'<p class="form-error" role="alert" data-testid="members-error"></p>',
'<div class="dialog-buttons">',
'<button type="button" data-testid="members-close">Close</button>',
'</div>',
'</div>',
'</dialog>',
'<dialog id="confirm-dialog" data-testid="confirm-dialog" aria-labelledby="confirm-message">',
'<form method="dialog" class="stack">',
'<p id="confirm-message" data-testid="confirm-message"></p>',
'<div class="dialog-buttons">',
'<button value="cancel" data-testid="confirm-cancel">Cancel</button>',
'<button value="ok" class="primary danger" data-testid="confirm-ok">OK</button>',
'</div>',
'</form>',
'</dialog>',
'<dialog id="report-dialog" data-testid="report-dialog" aria-labelledby="report-title">',
'<form class="stack" data-testid="report-form" novalidate>',
'<h2 id="report-title">Report a message</h2>',
'<blockquote class="report-quote" data-testid="report-quote"></blockquote>',
'<label for="report-reason">What is wrong with it? The server\'s admins will see this.</label>',
'<textarea id="report-reason" rows="3" maxlength="1000" required data-testid="report-reason"></textarea>',
'<p class="form-error" role="alert" data-testid="report-error"></p>',
'<div class="dialog-buttons">',
'<button type="button" data-testid="report-cancel">Cancel</button>',
'<button type="submit" class="primary" data-testid="report-submit">Report</button>',
'</div>',
'</form>',
'</dialog>',
'<dialog id="settings-dialog" data-testid="settings-dialog" aria-labelledby="settings-title">',
'<div class="stack">',
'<h2 id="settings-title">Settings</h2>',
'<h3 class="section-title">Logged-in devices</h3>',
'<ul class="people" data-testid="device-list" aria-label="Logged-in devices"></ul>',
'<h3 class="section-title">Blocked people</h3>',
'<ul class="people" data-testid="blocked-list" aria-label="Blocked people"></ul>',
'<p class="empty" data-testid="blocked-empty">You have not blocked anyone.</p>',
'<h3 class="section-title">Your data</h3>',
'<div class="row">',
'<button type="button" data-testid="export-button">Download my data</button>',
'</div>',
'<form class="stack danger-zone" data-testid="delete-account-form" novalidate>',
'<h3 class="section-title">Delete my account</h3>',
'<p id="delete-account-hint" class="hint">Your profile, friends, blocks and memberships are erased',
'and every device is logged out. Your messages stay, shown from a deleted user.</p>',
'<label for="delete-account-password">Your password</label>',
'<input id="delete-account-password" type="password" autocomplete="current-password"',
'aria-describedby="delete-account-hint" data-testid="delete-account-password">',
'<p class="form-error" role="alert" data-testid="delete-account-error"></p>',
'<button type="submit" class="danger" data-testid="delete-account-submit">Delete my account</button>',
'</form>',
'<div class="dialog-buttons">',
'<button type="button" data-testid="settings-close">Close</button>',
'</div>',
'</div>',
'</dialog>',
'<dialog id="admin-dialog" data-testid="admin-dialog" aria-labelledby="admin-title">',
'<div class="stack">',
'<h2 id="admin-title">Server admin</h2>',
'<form class="search" data-testid="admin-search-form" role="search">',
'<label for="admin-search-input">Find accounts by username</label>',
'<div class="row">',
'<input id="admin-search-input" type="search" autocapitalize="none" spellcheck="false"',
'autocomplete="off" data-testid="admin-search-input">',
'<button type="submit" data-testid="admin-search-button">Search</button>',
'</div>',
'</form>',
'<ul class="people" data-testid="admin-user-list" aria-label="Accounts"></ul>',
'<h3 class="section-title">Reports</h3>',
'<ul class="people reports" data-testid="admin-report-list" aria-label="Reports"></ul>',
'<p class="empty" data-testid="admin-reports-empty">No reports.</p>',
'<div class="dialog-buttons">',
'<button type="button" data-testid="admin-close">Close</button>',
'</div>',
'</div>',
'</dialog>',
].join('\n');
function addDialogs() {
if (document.getElementById('settings-dialog')) return;
const parsed = new DOMParser().parseFromString(MARKUP, 'text/html');
const before = document.querySelector('[data-testid="toasts"]');
for (const node of [...parsed.body.children]) {
const d = document.body.insertBefore(document.adoptNode(node), before);
closeOnBackdrop(d);
}
}
  return { addDialogs };
})();
}
if (!modules["ui/safety.js"]) {
// ---- js/ui/safety.js
modules["ui/safety.js"] = (() => {
  const { friendlyError } = modules["api.js"];
  const { byTestId, displayName, fullTime, h, reconcile, setText } = modules["dom.js"];
  const { confirmDialog, openDialog, toast, toastError } = modules["ui/dialogs.js"];



function mountSafety(ctx) {
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
  return { mountSafety };
})();
}
if (!modules["ui/search.js"]) {
// ---- js/ui/search.js
modules["ui/search.js"] = (() => {
  const { byTestId, displayName, formatTime, h, setText } = modules["dom.js"];
  const { channelTitle } = modules["ui/channels.js"];
  const { friendlyError } = modules["api.js"];



function highlighted(text, terms) {
const lower = text.toLowerCase();
const marks = [];
for (const t of terms) {
const needle = t.toLowerCase();
if (!needle) continue;
for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, i + needle.length)) {
marks.push([i, i + needle.length]);
}
}
marks.sort((a, b) => a[0] - b[0]);
const out = [];
let at = 0;
for (const [start, end] of marks) {
if (start < at) continue; // overlapping: the first wins
if (start > at) out.push(document.createTextNode(text.slice(at, start)));
out.push(h('mark', {}, text.slice(start, end)));
at = end;
}
if (at < text.length) out.push(document.createTextNode(text.slice(at)));
return out;
}
function excerpt(text, terms) {
const lower = text.toLowerCase();
let first = -1;
for (const t of terms) {
const i = lower.indexOf(t.toLowerCase());
if (i !== -1 && (first === -1 || i < first)) first = i;
}
if (text.length <= 200 || first < 60) return text.slice(0, 200);
return `…${text.slice(first - 60, first + 140)}`;
}
function mountSearch(ctx) {
const { state, chat, signal } = ctx;
const form = byTestId('message-search-form');
const input = byTestId('message-search-input');
const status = byTestId('message-search-status');
const list = byTestId('message-search-results');
let asked = 0;
form.addEventListener('submit', async (e) => {
e.preventDefault();
const q = input.value.trim();
const n = ++asked;
list.replaceChildren();
if (!q) {
setText(status, '');
return;
}
setText(status, 'Searching…');
let results;
try {
results = await chat.search(q);
} catch (err) {
if (n === asked) setText(status, friendlyError(err));
return;
}
if (n !== asked) return;
const terms = q.split(/\s+/).filter(Boolean);
setText(status, results.length ? `${results.length} found` : 'No messages found.');
list.replaceChildren(...results.map((m) => {
const ch = state.channels.get(m.channel_id);
const where = ch ? channelTitle(state, ch) : '';
return h('li', {
dataset: { testid: 'search-result', channelId: m.channel_id, messageId: String(m.message_id) },
}, h('button', {
type: 'button',
onclick: () => ctx.jumpTo?.(m.channel_id, m.message_id),
},
h('span', { class: 'search-where' }, `${displayName(state.user(m.sender_id))} · ${where} · ${formatTime(m.created_at)}`),
h('span', { class: 'search-text', dataset: { testid: 'search-result-text' } },
...highlighted(excerpt(m.text, terms), terms))));
}));
}, { signal });
input.addEventListener('input', () => {
if (!input.value) {
asked++;
list.replaceChildren();
setText(status, '');
}
}, { signal });
}
  return { highlighted, mountSearch };
})();
}
if (!modules["views.js"]) {
// ---- js/views.js
modules["views.js"] = (() => {
  const { mountAdmin } = modules["ui/admin.js"];
  const { mountComposer } = modules["ui/composer.js"];
  const { mountConversation } = modules["ui/conversation.js"];
  const { mountGroups } = modules["ui/groups.js"];
  const { addDialogs } = modules["ui/later-dialogs.js"];
  const { mountPeople } = modules["ui/people.js"];
  const { mountSafety } = modules["ui/safety.js"];
  const { mountSearch } = modules["ui/search.js"];








const nextTask = () => new Promise((resolve) => { setTimeout(resolve, 0); });
async function mountViews(ctx, { alive, routed }) {
addDialogs();
mountConversation(ctx);
mountComposer(ctx);
routed();
for (const mount of [mountPeople, mountSafety, mountSearch, mountGroups, mountAdmin]) {
await nextTask();
if (!alive()) return;
mount(ctx);
}
}
  return { mountViews };
})();
}
};
