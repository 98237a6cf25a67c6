// A websocket kept open (the tab's one socket to /ws/, or a case room's): it reconnects by
// itself with backoff and jitter, pings, gives up on a silent connection, waits for the network
// when the browser is offline, and closes on the way out so the page can enter the back/forward
// cache.
//
// What travels over it is the caller's business: `handlers.open()` runs after every (re)connect
// (subscribe and sync there), `handlers.frame(frame)` for every frame, `handlers.state(name)`
// with "connecting" or "offline", `handlers.lost()` when an open connection drops and a retry
// is scheduled, and `handlers.ended(code)` when the server closed it for good (signed out,
// removed from a case room): then it does not retry. `handlers.ping()` may add fields to every
// ping (the rooms whose newest numbers the pong should carry).

const PING_EVERY = 30_000;
const BACKOFF_FIRST = 1_000;
const BACKOFF_MAX = 30_000;
// No frame for this long (pongs included) means the connection is dead even if the browser
// has not noticed yet.
const SILENCE_LIMIT = 2 * PING_EVERY + 5_000;
// Close codes 4400–4499: the server refused this socket for good (the session ended, the member
// was removed); retrying cannot help. Any other code (4503: the channel layer stopped
// delivering to the socket) reconnects, and the caller syncs in `open`.
const CLOSED_FOR_GOOD = (code) => code >= 4400 && code < 4500;
// Closes that reach every tab of a server process at once: it is stopping (4503, sent to every
// socket when the process gets SIGTERM, config/daphne.py), it stopped or restarted (1012,
// 1013, 1011, or no closing handshake at all: 1006), or the channel layer lost its sockets
// (4503 as well). Coming back after 1 s each, a thousand tabs would reconnect and subscribe within the
// same fraction of a second (docs/BENCHMARKS.md, "Restart of one process"). The first retry
// after such a close waits a random time in this range instead; later retries back off as
// usual.
const SPREAD_CODES = new Set([1006, 1011, 1012, 1013, 4503]);
const SPREAD_FIRST = 500;
const SPREAD_LAST = 8_000;

export class Connection {
  constructor(handlers, path = "/ws/") {
    this.handlers = handlers;
    this.path = path;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.stopped = false;
  }

  start() {
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
    // The browser knows before the socket does: show it at once, and wait for the network
    // instead of retrying into nothing.
    window.addEventListener("offline", () => this.drop());
    window.addEventListener("online", () => this.reconnectNow());
    // Close on the way out: no "connection lost" flash, and the page can enter the back/forward
    // cache; coming back from it reconnects (and the caller syncs in `open`).
    window.addEventListener("pagehide", () => this.suspend());
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.reconnectNow();
    });
    this.connect();
  }

  connect() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}${this.path}`);
    this.socket = socket;
    this.handlers.state?.("connecting");
    socket.addEventListener("open", () => this.onOpen(socket));
    socket.addEventListener("message", (event) => this.onMessage(socket, event));
    socket.addEventListener("close", (event) => this.onClose(socket, event));
  }

  isOpen() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (!this.isOpen()) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  onOpen(socket) {
    if (socket !== this.socket) return;
    this.attempt = 0;
    this.lastHeard = Date.now();
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.ping(), PING_EVERY);
    this.handlers.open?.();
  }

  onMessage(socket, event) {
    if (socket !== this.socket) return;
    this.lastHeard = Date.now();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame && typeof frame.type === "string") this.handlers.frame?.(frame);
  }

  onClose(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    clearInterval(this.pingTimer);
    this.handlers.state?.("offline");
    if (this.stopped) return;
    if (CLOSED_FOR_GOOD(event?.code)) {
      this.stop();
      this.handlers.ended?.(event.code);
      return;
    }
    this.handlers.lost?.();
    this.scheduleReconnect(event?.code);
  }

  scheduleReconnect(code) {
    if (this.stopped || this.retryTimer || !navigator.onLine) return; // "online" reconnects
    const base = Math.min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** this.attempt);
    const spread = this.attempt === 0 && SPREAD_CODES.has(code);
    this.attempt += 1;
    // ±20 % jitter, so that many tabs do not come back at the same moment after an outage
    let delay = Math.min(BACKOFF_MAX, base * (0.8 + Math.random() * 0.4));
    if (spread) delay = SPREAD_FIRST + Math.random() * (SPREAD_LAST - SPREAD_FIRST);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  reconnectNow() {
    if (this.stopped || this.socket) return;
    this.attempt = 0;
    this.connect();
  }

  /** Gives up on a socket that is silent or offline, without waiting for its close event. */
  drop() {
    const socket = this.socket;
    if (!socket) return;
    this.onClose(socket, null);
    socket.close();
  }

  suspend() {
    const socket = this.socket;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    clearInterval(this.pingTimer);
    this.socket = null;
    this.attempt = 0;
    this.handlers.state?.("offline");
    socket?.close(1000);
  }

  stop() {
    this.stopped = true;
    this.suspend();
  }

  ping() {
    if (Date.now() - this.lastHeard > SILENCE_LIMIT) {
      this.drop();
      return;
    }
    this.send({ type: "ping", ...this.handlers.ping?.() });
  }
}
