// The WebSocket: discovery, hello/welcome, heartbeats, reconnect with exponential backoff
// and jitter, and the resend queue of messages not yet acknowledged with `sent`.

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const HELLO_TIMEOUT_MS = 15000;
const RESEND_AFTER_MS = 15000;
const FAILED_GATEWAY_MS = 30000;
const RETRYABLE = new Set(['rate_limited', 'unavailable', 'internal']);

/** Messages sent but not yet acknowledged. Same client_msg_id on every resend. */
export class Outbox {
  constructor(hooks = {}) {
    this.items = new Map();
    this.hooks = hooks; // {put(item), remove(cmid), failed(item, frame)}
  }

  load(items) {
    for (const item of [...items].sort((a, b) => a.seq - b.seq)) {
      this.items.set(item.client_msg_id, { ...item, lastSentAt: 0, notBefore: 0 });
    }
  }

  add(item) {
    const entry = { ...item, lastSentAt: 0, notBefore: 0 };
    this.items.set(item.client_msg_id, entry);
    this.hooks.put?.(stripTransient(entry));
    return entry;
  }

  ack(cmid) {
    if (!this.items.delete(cmid)) return false;
    this.hooks.remove?.(cmid);
    return true;
  }

  /** An `error` frame whose ref is one of ours: retry later, or give up. */
  fail(frame) {
    const item = this.items.get(frame.ref);
    if (!item) return false;
    if (RETRYABLE.has(frame.code)) {
      const wait = frame.retry_after ? frame.retry_after * 1000 : 3000;
      item.notBefore = Date.now() + wait;
      item.lastSentAt = 0;
      return true;
    }
    this.items.delete(frame.ref);
    this.hooks.remove?.(frame.ref);
    this.hooks.failed?.(item, frame);
    return true;
  }

  due(now, all) {
    return [...this.items.values()].filter((i) => i.notBefore <= now
      && (all || !i.lastSentAt || now - i.lastSentAt >= RESEND_AFTER_MS));
  }
}

function stripTransient({ lastSentAt, notBefore, ...rest }) {
  return rest;
}

export function sameOriginWsUrl() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/ws`;
}

export function normalizeWsUrl(raw) {
  try {
    const u = new URL(raw, location.href);
    if (u.protocol === 'http:') u.protocol = 'ws:';
    else if (u.protocol === 'https:') u.protocol = 'wss:';
    if (location.protocol === 'https:' && u.protocol === 'ws:') u.protocol = 'wss:';
    if (['0.0.0.0', '[::]', '::'].includes(u.hostname)) u.hostname = location.hostname;
    return u.protocol === 'ws:' || u.protocol === 'wss:' ? u.href : null;
  } catch {
    return null;
  }
}

export function backoffDelay(attempt) {
  const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 16));
  return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter"
}

export class Connection {
  /**
   * @param {object} o
   * @param {import('./api.js').Api} o.api
   * @param {() => string|null} o.getToken
   * @param {() => number|null} o.getCursor
   * @param {Array} [o.gateways] gateways from login, used for the first connect
   * @param {(frame: object) => void} o.onFrame every server frame, in order
   * @param {(s: {state: string, retryAt: number|null}) => void} o.onState
   * @param {() => void} o.onAuthFailed close code 4001
   * @param {Outbox} o.outbox
   */
  constructor(o) {
    this.o = o;
    this.outbox = o.outbox;
    this.gateways = o.gateways || [];
    this.discover = this.gateways.length === 0;
    this.ws = null;
    this.ready = false;
    this.stopped = true;
    this.attempt = 0;
    this.failed = new Map();
    this.timer = null;
    this.heartbeat = null;
    this.state = { state: 'offline', retryAt: null };
    this.onOnline = () => this.retryNow();
    this.onVisible = () => { if (!document.hidden) this.retryNow(); };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.timer);
    const ws = this.ws;
    this.cleanup();
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    }
    this.setState('offline');
  }

  /** Skip the backoff wait (button, network back, tab visible again). */
  retryNow() {
    if (this.stopped || this.ws || this.connecting) return;
    clearTimeout(this.timer);
    this.attempt = Math.max(0, this.attempt - 1);
    this.connect();
  }

  setState(state, retryAt = null) {
    this.state = { state, retryAt };
    this.o.onState?.(this.state);
  }

  /** Send a frame if the connection is ready; false if it was not sent. */
  send(frame) {
    if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    this.lastSent = Date.now();
    return true;
  }

  /** Queue a message; it goes out now if connected, else after the next welcome. */
  sendMessage(item) {
    const entry = this.outbox.add(item);
    this.transmit(entry);
  }

  transmit(entry) {
    const frame = {
      type: 'send', channel_id: entry.channel_id,
      client_msg_id: entry.client_msg_id, text: entry.text,
    };
    if (Number.isSafeInteger(entry.reply_to)) frame.reply_to = entry.reply_to;
    if (entry.attachments?.length) frame.attachment_ids = entry.attachments.map((a) => a.id);
    if (entry.encrypted) {
      frame.encrypted = entry.encrypted;
      delete frame.text;
    }
    const ok = this.send(frame);
    if (ok) entry.lastSentAt = Date.now();
  }

  flushOutbox(all) {
    for (const entry of this.outbox.due(Date.now(), all)) this.transmit(entry);
  }

  async pickUrl() {
    if (this.discover || this.gateways.length === 0) {
      try {
        const signal = AbortSignal.timeout ? AbortSignal.timeout(5000) : undefined;
        const res = await this.o.api.discovery({ signal });
        if (res && Array.isArray(res.gateways) && res.gateways.length) this.gateways = res.gateways;
      } catch {
        // Keep the last known list; the same origin is the last resort.
      }
    }
    this.discover = true;
    const now = Date.now();
    const urls = this.gateways.map((g) => normalizeWsUrl(g && g.url)).filter(Boolean);
    urls.push(sameOriginWsUrl());
    const usable = urls.find((u) => !((this.failed.get(u) || 0) > now));
    if (usable) return usable;
    this.failed.clear();
    return urls[0];
  }

  async connect() {
    this.timer = null;
    if (this.connecting) return;
    this.connecting = true;
    this.setState('connecting');
    let url;
    try {
      url = await this.pickUrl();
    } finally {
      this.connecting = false;
    }
    if (this.stopped || this.ws) return;
    const token = this.o.getToken();
    if (!token) {
      this.stopped = true;
      this.o.onAuthFailed?.();
      return;
    }
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.failed.set(url, Date.now() + FAILED_GATEWAY_MS);
      this.scheduleReconnect(backoffDelay(this.attempt++));
      return;
    }
    this.ws = ws;
    this.url = url;
    this.welcomed = false;
    this.helloTimer = setTimeout(() => this.abort(ws), HELLO_TIMEOUT_MS);
    ws.onopen = () => {
      const hello = { type: 'hello', token };
      const cursor = this.o.getCursor();
      if (Number.isSafeInteger(cursor)) hello.cursor = cursor;
      ws.send(JSON.stringify(hello));
      this.lastSent = Date.now();
    };
    ws.onmessage = (ev) => this.receive(ws, ev.data);
    ws.onclose = (ev) => this.closed(ws, ev.code);
    ws.onerror = () => { /* a close event follows */ };
  }

  receive(ws, data) {
    if (ws !== this.ws) return;
    this.lastRecv = Date.now();
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== 'string') return;
    if (frame.type === 'welcome') {
      clearTimeout(this.helloTimer);
      this.welcomed = true;
      this.ready = true;
      this.attempt = 0;
      this.failed.delete(this.url);
      this.startHeartbeat(frame.heartbeat_interval);
      this.setState('online');
    } else if (frame.type === 'sent') {
      this.outbox.ack(frame.client_msg_id);
    } else if (frame.type === 'error' && frame.ref) {
      this.outbox.fail(frame);
    }
    try {
      this.o.onFrame(frame);
    } catch (e) {
      console.error('chinwag: failed to handle a frame', frame.type, e);
    }
    if (frame.type === 'welcome') this.flushOutbox(true);
  }

  startHeartbeat(seconds) {
    clearInterval(this.heartbeat);
    const ms = Math.max(1000, (Number(seconds) || 5) * 1000);
    this.pingSentAt = 0;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      const ws = this.ws;
      if (!ws || !this.ready) return;
      // A ping that has gone unanswered for too long: the connection is dead.
      const outstanding = this.pingSentAt > this.lastRecv;
      if (outstanding && now - this.pingSentAt > 2 * ms + 5000) {
        this.abort(ws);
        return;
      }
      // Ping when idle, and also when busy but nothing has come back for a while.
      if (!outstanding && (now - this.lastSent >= ms * 0.8 || now - this.lastRecv >= ms)) {
        if (this.send({ type: 'ping' })) this.pingSentAt = now;
      }
      this.flushOutbox(false);
    }, Math.max(500, ms / 2));
  }

  cleanup() {
    clearTimeout(this.helloTimer);
    clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.ws = null;
    this.ready = false;
  }

  /** Give up on a socket that stopped answering, and reconnect. */
  abort(ws) {
    if (ws !== this.ws) return;
    ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
    try { ws.close(); } catch { /* ignore */ }
    this.closed(ws, 1006);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    const welcomed = this.welcomed;
    this.cleanup();
    if (this.stopped) return;
    if (code === 4001) {
      this.stopped = true;
      this.setState('offline');
      this.o.onAuthFailed?.();
      return;
    }
    // A gateway that failed before welcome, or is going away (1001), is skipped for a while
    // when discovery offers another.
    if (!welcomed || code === 1001) this.failed.set(this.url, Date.now() + FAILED_GATEWAY_MS);
    let delay;
    if (code === 4009) delay = Math.round(Math.random() * 500); // too slow: resync at once
    else if (code === 1001) delay = 200 + Math.round(Math.random() * 1500); // gateway going away
    else if (code === 4008) delay = Math.max(5000, backoffDelay(this.attempt++));
    else delay = backoffDelay(this.attempt++);
    this.discover = true;
    this.scheduleReconnect(delay);
  }

  scheduleReconnect(delay) {
    clearTimeout(this.timer);
    this.setState('offline', Date.now() + delay);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
