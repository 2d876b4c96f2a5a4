// HTTP API client (docs/protocol.md, "HTTP API"). Same origin; bearer token auth.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const FRIENDLY = {
  invalid_request: 'That request was not accepted. Please check what you entered.',
  unauthorized: 'Your session has ended. Please log in again.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'That could not be found. It may have been removed.',
  conflict: 'That already exists.',
  too_large: 'That is too large to send.',
  rate_limited: 'You are doing that too often. Please wait a moment and try again.',
  unavailable: 'The service is briefly unavailable. Please try again in a moment.',
  internal: 'Something went wrong on the server. Please try again.',
  network: 'Cannot reach the server. Check your connection and try again.',
};

/**
 * A message fit to show a person. `context` lets a caller override per code, e.g.
 * {unauthorized: 'Wrong username or password.'}.
 */
export function friendlyError(err, context = {}) {
  if (!err) return FRIENDLY.internal;
  const code = err.code || 'internal';
  if (context[code]) return context[code];
  if (code === 'invalid_request' && err.message && err.message !== code) {
    const text = err.message.charAt(0).toUpperCase() + err.message.slice(1);
    return /[.!?]$/.test(text) ? text : `${text}.`;
  }
  if (code === 'rate_limited' && err.retryAfter) {
    return `You are doing that too often. Try again in ${Math.ceil(err.retryAfter)} s.`;
  }
  return FRIENDLY[code] || err.message || FRIENDLY.internal;
}

const enc = encodeURIComponent;

export class Api {
  /**
   * @param {{getToken: () => string|null, onUnauthorized: () => void}} opts
   */
  constructor({ getToken, onUnauthorized }) {
    this.getToken = getToken;
    this.onUnauthorized = onUnauthorized;
  }

  /** `ownCheck`: a 401 answers a check of the caller's password, not an ended session. */
  async request(method, path, body, { auth = true, signal, ownCheck = false } = {}) {
    const headers = { Accept: 'application/json' };
    const token = auth ? this.getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal,
    });
    return this.adopt(res, token, ownCheck);
  }

  /** The answer to a request already made (by boot.js, or request()), as request() gives it. */
  async adopt(pending, token, ownCheck = false) {
    let res;
    try {
      res = await pending;
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', FRIENDLY.network);
    }
    if (res.status === 204) return null;
    let data = null;
    const text = await res.text().catch(() => '');
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const e = data && data.error ? data.error : {};
      const retry = Number(res.headers.get('Retry-After')) || null;
      const code = e.code || codeForStatus(res.status);
      const err = new ApiError(res.status, code, e.message || FRIENDLY[code], retry);
      if (res.status === 401 && token && !ownCheck && this.onUnauthorized) this.onUnauthorized(err);
      throw err;
    }
    return data;
  }

  get(path, opts) { return this.request('GET', path, undefined, opts); }
  post(path, body = {}, opts) { return this.request('POST', path, body, opts); }
  patch(path, body, opts) { return this.request('PATCH', path, body, opts); }
  del(path, opts) { return this.request('DELETE', path, undefined, opts); }

  // Accounts and sessions.
  signup(username, password, displayName) {
    const body = { username, password };
    if (displayName) body.display_name = displayName;
    return this.post('/v1/users', body, { auth: false });
  }
  login(username, password, deviceName) {
    return this.post('/v1/sessions', { username, password, device_name: deviceName },
      { auth: false });
  }
  logout() { return this.del('/v1/sessions/current'); }
  me() { return this.get('/v1/me'); }
  updateMe(changes) { return this.patch('/v1/me', changes); }
  user(id) { return this.get(`/v1/users/${enc(id)}`); }
  findUsers(username) { return this.get(`/v1/users?username=${enc(username)}`); }

  // Friends.
  sendFriendRequest(userId) { return this.post('/v1/friends/requests', { user_id: userId }); }
  friendRequests() { return this.get('/v1/friends/requests'); }
  acceptRequest(id) { return this.post(`/v1/friends/requests/${enc(id)}/accept`); }
  declineRequest(id) { return this.post(`/v1/friends/requests/${enc(id)}/decline`); }
  friends() { return this.get('/v1/friends'); }
  removeFriend(userId) { return this.del(`/v1/friends/${enc(userId)}`); }

  // Channels and messages.
  openDirect(userId) { return this.post('/v1/channels', { kind: 'direct', user_id: userId }); }
  createGroup(name, memberIds, encrypted = false) {
    const body = { kind: 'group', name, member_ids: memberIds };
    if (encrypted) body.encrypted = true;
    return this.post('/v1/channels', body);
  }
  channels() { return this.get('/v1/channels'); }
  channel(id) { return this.get(`/v1/channels/${enc(id)}`); }
  addMember(channelId, userId) {
    return this.post(`/v1/channels/${enc(channelId)}/members`, { user_id: userId });
  }
  removeMember(channelId, userId) {
    return this.del(`/v1/channels/${enc(channelId)}/members/${enc(userId)}`);
  }
  messages(channelId, { before, after, limit } = {}) {
    const q = new URLSearchParams();
    if (before !== undefined && before !== null) q.set('before', String(before));
    if (after !== undefined && after !== null) q.set('after', String(after));
    if (limit) q.set('limit', String(limit));
    const qs = q.toString();
    return this.get(`/v1/channels/${enc(channelId)}/messages${qs ? `?${qs}` : ''}`);
  }
  editMessage(channelId, messageId, text) {
    return this.patch(`/v1/channels/${enc(channelId)}/messages/${messageId}`, { text });
  }
  deleteMessage(channelId, messageId) {
    return this.del(`/v1/channels/${enc(channelId)}/messages/${messageId}`);
  }
  react(channelId, messageId, emoji, add) {
    const path = `/v1/channels/${enc(channelId)}/messages/${messageId}/reactions/${enc(emoji)}`;
    return add ? this.request('PUT', path) : this.del(path);
  }
  search(q, { channelId, limit } = {}) {
    let path = `/v1/search?q=${enc(q)}`;
    if (channelId) path += `&channel_id=${enc(channelId)}`;
    if (limit) path += `&limit=${limit}`;
    return this.get(path);
  }
  presence(userIds) {
    return this.get(`/v1/presence?user_ids=${userIds.map(enc).join(',')}`);
  }

  // Safety and accounts.
  sessions() { return this.get('/v1/sessions'); }
  logoutDevice(deviceId) { return this.del(`/v1/sessions/${enc(deviceId)}`); }
  blocks() { return this.get('/v1/blocks'); }
  block(userId) { return this.request('PUT', `/v1/blocks/${enc(userId)}`); }
  unblock(userId) { return this.del(`/v1/blocks/${enc(userId)}`); }
  mute(channelId, until) {
    return this.request('PUT', `/v1/channels/${enc(channelId)}/mute`, until ? { until } : {});
  }
  unmute(channelId) { return this.del(`/v1/channels/${enc(channelId)}/mute`); }
  report(channelId, messageId, reason) {
    return this.post('/v1/reports', { channel_id: channelId, message_id: messageId, reason });
  }
  exportData() { return this.get('/v1/me/export'); }
  deleteAccount(password) {
    return this.request('DELETE', '/v1/me', { password }, { ownCheck: true });
  }
  adminUsers(username) { return this.get(`/v1/admin/users?username=${enc(username)}`); }
  adminDeactivate(userId) { return this.post(`/v1/admin/users/${enc(userId)}/deactivate`); }
  adminReactivate(userId) { return this.post(`/v1/admin/users/${enc(userId)}/reactivate`); }
  adminReports() { return this.get('/v1/admin/reports'); }

  // Files (docs/protocol.md, "Attachments").
  /**
   * Upload a File or Blob, streamed by the browser (never read into memory here).
   * Returns {done: Promise<Attachment>, cancel()}; `onProgress(sent, total)` as it goes.
   */
  upload(file, name, onProgress) {
    const xhr = new XMLHttpRequest();
    const done = new Promise((resolve, reject) => {
      xhr.open('POST', `/v1/uploads?filename=${enc(name)}`);
      const token = this.getToken();
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total || file.size);
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch { data = null; }
        if (xhr.status === 201 && data) return resolve(data);
        const e = data && data.error ? data.error : {};
        const code = e.code || codeForStatus(xhr.status);
        reject(new ApiError(xhr.status, code, e.message || FRIENDLY[code]));
      };
      xhr.onerror = () => reject(new ApiError(0, 'network', FRIENDLY.network));
      xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
      xhr.send(file);
    });
    return { done, cancel: () => xhr.abort() };
  }

  /** An attachment's bytes (or its thumbnail's) as a Blob. */
  async attachment(id, { thumbnail = false } = {}) {
    const token = this.getToken();
    const path = `/v1/attachments/${enc(id)}${thumbnail ? '/thumbnail' : ''}`;
    let res;
    try {
      res = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    } catch {
      throw new ApiError(0, 'network', FRIENDLY.network);
    }
    if (!res.ok) throw new ApiError(res.status, codeForStatus(res.status), FRIENDLY[codeForStatus(res.status)]);
    return res.blob();
  }

  // Discovery and push.
  discovery(opts) { return this.get('/v1/discovery', opts); }
  vapidKey() { return this.get('/v1/push/vapid-public-key'); }
  addPushSubscription(body) { return this.post('/v1/push/subscriptions', body); }
  removePushSubscription(id) { return this.del(`/v1/push/subscriptions/${enc(id)}`); }
}

function codeForStatus(status) {
  return {
    400: 'invalid_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found',
    409: 'conflict', 413: 'too_large', 429: 'rate_limited', 503: 'unavailable',
  }[status] || (status >= 500 ? 'internal' : 'invalid_request');
}
