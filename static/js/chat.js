// Real-time chat client for every room with a live list ([data-live-room]): channels and
// direct conversations over the tab's socket (/ws/), case rooms over their own
// (/ws/cases/<id>/). The page works without it (forms post over HTTP).
//
// The page is rendered by the server; this module keeps it current over one websocket. The
// socket is allowed to drop events: after every (re)connect the client asks for what it missed
// (`sync`), and a send keeps its client id across retries, so the server stores it once.
// A message's markup comes from the server only: every frame of a message carries its row
// (`rows`, rendered from the same template as the page); this module inserts it and marks the
// reader's own messages (data-mine), which the styles use to show the controls the reader may
// use. Every visible string comes from the templates, where it is translated.

import { MessageActions } from "./actions.js";
import { badges } from "./badges.js";
import { ComposerTools } from "./composer.js";
import { fill, h, intData, newClientId, siteFormat } from "./dom.js";
import { Connection } from "./socket.js";
import { Workspace } from "./workspace.js";

const TYPING_EVERY = 3_000;
const TYPING_SHOWN = 5_000;
const READ_DELAY = 1_000;
const ACK_WAIT = 3_000;
const RECONNECTED_SHOWN = 4_000;
// A sync the server answered with an error is asked again after this, doubling up to the most.
const SYNC_RETRY_FIRST = 1_000;
const SYNC_RETRY_MAX = 30_000;
// Close codes for good (core/protocol.py), and the status element's data attribute that says
// why: signed out (or the password changed elsewhere), no access any more, and (case rooms) the
// recent step with the second factor ran out.
const CLOSED_TEXT = {
  4401: "signedOutText",
  4403: "accessEndedText",
  4428: "reauthenticateText",
};
// Why a place in a case room ended (privacy.policy), and the data attribute that says so.
const ENDED_TEXT = {
  consent_withdrawn: "endedConsentWithdrawnText",
  room_closed: "endedRoomClosedText",
};
// Closer than this to the end of the list counts as "reading the latest messages".
const NEAR_END = 96;

// The styles' breakpoint between a phone and a wider screen (the sidebar beside the room).
const WIDE = "(min-width: 60em)";
// Messages by one author within this time of the one before are shown as one group.
const GROUP_WITHIN = 5 * 60_000;
const DAY_KEY = { year: "numeric", month: "2-digit", day: "2-digit" };
const YEAR = { year: "numeric" };
const DAY_NAME = { weekday: "long", day: "numeric", month: "long" };
const DAY_NAME_YEAR = { ...DAY_NAME, year: "numeric" };
// The reference prefix of the subscriptions that only follow the sidebar's counts.
const FOLLOW = "follow";

const ACTION_PATH = /\/(\d+)\/(react|delete)\/$/;

export class LiveRoom {
  /**
   * `workspace` (workspace.js) owns the tab's socket and switches rooms; a case room, which has
   * a socket of its own (data-socket), has none.
   */
  constructor(root, workspace = null) {
    this.root = root;
    this.workspace = workspace;
    this.room = intData(root, "room");
    this.me = intData(document.body, "user");
    this.thread = intData(root, "thread");
    // A thread opened in the panel next to its channel (workspace.js) shares the page with it:
    // its rows are the same markup as everywhere, so their buttons are pointed at its own form
    // and their ids (the channel's anchors) are left to the channel.
    this.inPanel = root.classList.contains("wijk-thread-panel");
    this.actionFormId = root.dataset.actionForm ?? "message-actions";
    // The tab's socket carries every channel and must be told which to follow; a case room's
    // socket belongs to its room.
    this.shared = workspace !== null;
    this.language = document.documentElement.lang || "nl";

    this.list = root.querySelector("[data-messages]");
    this.text = this.list.dataset;
    this.pendingRow = root.querySelector("template[data-pending-row]");
    this.typingLine = root.querySelector("[data-typing]");
    this.composer = root.querySelector("[data-composer]");
    this.textarea = this.composer?.querySelector("textarea") ?? null;
    this.status = root.querySelector("[data-status]");

    // Highest sequence number this page has seen; the page was rendered complete up to
    // data-last-seq, and messages rendered in the same request may be newer still.
    const rendered = Array.from(this.list.querySelectorAll("li[data-seq]"), (li) =>
      Number(li.dataset.seq),
    );
    this.seen = Math.max(intData(root, "lastSeq") ?? 0, ...rendered);
    // Every change to the room's messages (new, edited, deleted, pinned, reactions) has a
    // number; this is the highest one up to which the page has seen them all. After a
    // reconnect `sync` asks for everything changed since, so edits and deletions made while
    // the socket was down show too.
    this.changes = intData(root, "lastChange") ?? 0;
    this.syncAfter = 0;
    // The reference of the sync waiting for its answer: the thread in the panel has its
    // channel's room number, so only the ref tells whose `synced` or error it is.
    this.syncRef = null;
    this.syncFailures = 0;
    this.syncTimer = null;
    this.readSent = 0;
    this.pending = new Map(); // client id -> {body, parent, li, acked}
    this.typists = new Map(); // user id -> {name, timer}

    this.connection =
      workspace?.connection ??
      new Connection(
        {
          open: () => this.onOpen(),
          frame: (frame) => this.onFrame(frame),
          state: (state) => this.setConnection(state),
          lost: () => this.onLost(),
          ended: (code) => this.onClosed(code),
          ping: () => ({ rooms: [this.room] }),
        },
        root.dataset.socket,
      );
    // Listeners outside the room element end with the room (a switch to another room).
    this.leaving = new AbortController();
    this.observer = new MutationObserver(() => this.decorate());
    this.everOpen = false;
    this.offlineShown = false;
    this.readTimer = null;
    this.statusTimer = null;
    this.lastTyping = 0;
    this.refCount = 0;
    this.syncing = false;
    this.stopped = false;
    this.loadingOlder = false;
    this.actions = new MessageActions(this);
    this.composing = this.textarea ? new ComposerTools(this) : null;
  }

  start() {
    this.root.classList.add("wijk-room--live");
    // messages written here before the room was left, which the server has not acknowledged
    // yet: they are this room's to send again (workspace.js, keepSending)
    for (const [clientId, pending] of this.workspace?.takeBack(this.room, this.thread) ?? []) {
      this.pending.set(clientId, pending);
      this.list.querySelector("[data-empty]")?.remove();
      this.list.append(pending.li);
    }
    for (const li of this.root.querySelectorAll("li[data-id]")) this.prepareRow(li);
    this.decorate();
    this.observer.observe(this.list, { childList: true });
    const outside = { signal: this.leaving.signal };
    if (!this.inPanel) this.fitToWindow(outside);
    this.revealStart();
    this.root.addEventListener("submit", (event) => this.onSubmit(event));
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.list.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.actions.start(outside);
    const skip = this.inPanel ? null : document.querySelector("[data-skip-composer]");
    if (skip) {
      skip.hidden = !this.textarea;
      skip.addEventListener("click", (event) => this.onSkipToComposer(event), outside);
    }
    if (this.textarea) {
      this.composing.start();
      this.textarea.addEventListener("keydown", (event) => this.onKeydown(event));
      this.textarea.addEventListener("input", () => this.onInput());
      this.keepComposerInView(outside);
    }
    document.addEventListener(
      "visibilitychange",
      () => {
        if (document.visibilityState === "visible") this.scheduleRead();
      },
      outside,
    );
    if (!this.shared) {
      // a message not yet stored is lost with the page: the browser asks first (the tab's
      // socket asks for its rooms in workspace.js)
      window.addEventListener("beforeunload", (event) => {
        if (this.unsent()) {
          event.preventDefault();
          event.returnValue = true;
        }
      });
      this.connection.start();
    } else if (this.isOpen()) this.onOpen(true);
  }

  /** Whether a message written here has not been acknowledged by the server yet. */
  unsent() {
    return Array.from(this.pending.values()).some((pending) => !pending.acked);
  }

  /** Another room takes this one's place (workspace.js): the socket stays, the room goes. */
  leave() {
    if (this.seen > this.readSent && !this.stopped) {
      this.send({ type: "read", room: this.room, seq: this.seen });
      this.readSent = this.seen;
    }
    this.actions.commitDelete();
    this.composing?.saveDraft();
    // a message not stored yet goes on being sent on the tab's socket, as it would here
    for (const [clientId, pending] of this.pending) {
      if (pending.acked) continue;
      const draft = this.composing?.key;
      this.workspace.keepSending(clientId, this.sendFrame(clientId), pending, draft);
    }
    this.pending.clear();
    this.stopped = true;
    this.leaving.abort();
    this.observer.disconnect();
    clearTimeout(this.readTimer);
    clearTimeout(this.statusTimer);
    clearTimeout(this.syncTimer);
    for (const typist of this.typists.values()) clearTimeout(typist.timer);
  }

  // ---- connection ---------------------------------------------------------------------------

  /** Mirrors the connection on the room element (data-connection) for styles and tests. */
  setConnection(state) {
    if (this.stopped) return;
    this.root.dataset.connection = state;
    if (state === "offline") {
      this.syncing = false;
      this.syncRef = null;
    }
  }

  isOpen() {
    return this.connection.isOpen();
  }

  send(frame) {
    return this.connection.send(frame);
  }

  nextRef(kind) {
    this.refCount += 1;
    // the panel's answers must not be taken for the channel's on the shared socket
    return `${this.inPanel ? "thread-" : ""}${kind}-${this.refCount}`;
  }

  /** After every (re)connect, and when the room opens on a socket that is open already. */
  onOpen(switched = false) {
    if (this.offlineShown) {
      this.offlineShown = false;
      this.showStatus(this.status?.dataset.reconnectedText, "info", RECONNECTED_SHOWN);
    }
    this.everOpen = true;
    if (switched && this.workspace.followed.has(this.room)) {
      // the socket follows this room already (the sidebar's counts): the page just rendered
      // holds the rights and marked it read, and `sync` brings what happened since
      this.readSent = Math.max(this.readSent, this.seen);
      this.setConnection("live");
    } else if (this.shared) {
      // the room, and the sidebar's rooms for their unread and mention counts (badges.js), in
      // one frame: after a server restart every tab asks at once
      const follows = switched ? [] : badges.rooms().filter((room) => room !== this.room);
      for (const frame of badges.follow([this.room, ...follows], this.nextRef("subscribe"))) {
        this.send(frame);
      }
    }
    this.sync(this.seen);
    for (const clientId of this.pending.keys()) this.transmit(clientId);
  }

  onLost() {
    if (this.everOpen && !this.offlineShown) {
      this.offlineShown = true;
      this.showStatus(this.status?.dataset.offlineText, "error");
    }
  }

  /** The server closed the socket for good (CLOSED_TEXT says why). */
  onClosed(code) {
    this.stop();
    this.disableComposer();
    this.showStatus(this.status?.dataset[CLOSED_TEXT[code] ?? "signedOutText"], "error");
  }

  stop() {
    this.stopped = true;
    this.root.dataset.connection = "ended";
    // the tab's socket serves the other rooms too; it ends only when the server ends it
    if (!this.shared) this.connection.stop();
    clearTimeout(this.readTimer);
    clearTimeout(this.syncTimer);
    for (const typist of this.typists.values()) clearTimeout(typist.timer);
    this.typists.clear();
    this.renderTyping();
  }

  sync(after) {
    clearTimeout(this.syncTimer);
    const ref = this.nextRef("sync");
    const frame = { type: "sync", room: this.room, after, changes_after: this.changes, ref };
    if (this.send(frame)) {
      this.syncing = true;
      this.syncRef = ref;
      this.syncAfter = after;
    }
  }

  /**
   * The server could not answer the sync (an error frame with its ref): gaps count again, and
   * the sync is asked again after a while, longer after each failure in a row.
   */
  retrySync() {
    this.syncing = false;
    this.syncRef = null;
    const delay = Math.min(SYNC_RETRY_MAX, SYNC_RETRY_FIRST * 2 ** this.syncFailures);
    this.syncFailures += 1;
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(
      () => {
        if (!this.stopped && !this.syncing) this.sync(this.syncAfter);
      },
      delay * (0.8 + Math.random() * 0.4),
    );
  }

  /** Follows the room's change numbers; a gap means the socket missed something. */
  noteChange(change) {
    if (typeof change !== "number" || change <= this.changes) return;
    if (change === this.changes + 1) {
      this.changes = change;
    } else if (!this.syncing) {
      this.sync(this.seen);
    }
  }

  // ---- frames from the server ---------------------------------------------------------------

  onFrame(frame) {
    if (this.stopped) return;
    // The socket also carries the user's frames for other rooms.
    if ("room" in frame && frame.room !== this.room) return;
    if (frame.type !== "synced" && !this.syncing) this.noteChange(frame.change);
    switch (frame.type) {
      case "subscribed":
        this.setConnection("live");
        // the styles show the controls these allow (chat.css, [data-needs])
        this.root.dataset.canPost = String(Boolean(frame.can_post));
        if ("can_moderate" in frame) this.root.dataset.canModerate = String(frame.can_moderate);
        this.readSent = Math.max(this.readSent, frame.last_read_seq ?? 0);
        break;
      case "synced":
        // the answer to another live room's sync (the panel's thread, or the channel's)
        if (frame.ref !== this.syncRef) break;
        this.syncFailures = 0;
        if (typeof frame.last_change === "number") {
          this.changes = Math.max(this.changes, frame.last_change);
        }
        if (frame.more) {
          this.sync(this.syncAfter);
        } else {
          this.syncing = false;
          this.syncRef = null;
          this.scheduleRead();
        }
        break;
      case "message.created":
        this.onCreated(frame);
        break;
      case "message.updated":
      case "message.deleted":
        this.onUpdated(frame);
        break;
      case "reaction":
        this.onReaction(frame);
        break;
      case "typing":
        this.onTyping(frame);
        break;
      case "read":
        this.readSent = Math.max(this.readSent, frame.seq ?? 0);
        break;
      case "ack":
        this.onAck(frame);
        break;
      case "error":
        this.onError(frame);
        break;
      case "membership.removed":
        this.onRemoved(frame.reason);
        break;
      case "pong":
        this.onPong(frame.rooms);
        break;
      case "room.closed":
        this.composer?.remove();
        this.composer = null;
        this.showStatus(this.status?.dataset.closedText, "info");
        break;
      default:
        break;
    }
  }

  /**
   * A pong carries the newest numbers of the rooms on the screen (asked for with every ping): a
   * number beyond what this page has seen means a broadcast never arrived (the server's channel
   * layer lost it), so `sync`.
   */
  onPong(rooms) {
    const latest = Array.isArray(rooms) ? rooms.find((entry) => entry?.room === this.room) : null;
    if (!latest || this.syncing) return;
    const missed =
      latest.last_seq > this.seen ||
      (typeof latest.last_change === "number" && latest.last_change > this.changes);
    if (missed) this.sync(this.seen);
  }

  belongsHere(frame) {
    return (frame.parent ?? null) === this.thread;
  }

  findMessage(id) {
    return this.root.querySelector(`li[data-id="${Number(id)}"]`);
  }

  onCreated(frame) {
    if (typeof frame.seq !== "number") return;
    if (frame.seq > this.seen + 1 && !this.syncing) {
      // The channel layer dropped something: fetch the gap from the database.
      this.sync(this.seen);
    }
    this.seen = Math.max(this.seen, frame.seq);
    this.clearTyping(frame.author?.id);
    if (frame.author?.id === this.me) {
      // storing a message moved its author's read marker to it
      this.readSent = Math.max(this.readSent, frame.seq);
    }

    const pending = frame.author?.id === this.me ? this.pending.get(frame.client_id) : undefined;
    if (pending) {
      this.pending.delete(frame.client_id);
      pending.li.remove();
    }
    const existing = this.findMessage(frame.id);
    if (existing) {
      this.replaceMessage(existing, frame);
    } else if (this.belongsHere(frame)) {
      const li = this.rowOf(frame);
      if (li) this.insert(li, Boolean(pending));
    }
    this.scheduleRead();
  }

  onUpdated(frame) {
    const existing = this.findMessage(frame.id);
    if (existing) this.replaceMessage(existing, frame);
  }

  /** A live reaction brings the message's new row; one from `sync` follows the row itself. */
  onReaction(frame) {
    const existing = this.findMessage(frame.id);
    if (existing && frame.rows) this.replaceMessage(existing, frame);
  }

  onTyping(frame) {
    const user = frame.user;
    if (!user || user.id === this.me || !this.typingLine) return;
    // typing in a thread shows in the thread; in the channel, in the channel
    if ((frame.parent ?? null) !== this.thread) return;
    clearTimeout(this.typists.get(user.id)?.timer);
    const timer = setTimeout(() => this.clearTyping(user.id), TYPING_SHOWN);
    this.typists.set(user.id, { name: user.name, timer });
    this.renderTyping();
  }

  clearTyping(userId) {
    const typist = this.typists.get(userId);
    if (!typist) return;
    clearTimeout(typist.timer);
    this.typists.delete(userId);
    this.renderTyping();
  }

  renderTyping() {
    if (!this.typingLine) return;
    const names = Array.from(this.typists.values(), (typist) => typist.name);
    const data = this.typingLine.dataset;
    let text = "";
    if (names.length === 1) text = fill(data.typingText, { name: names[0] });
    else if (names.length > 1) text = data.typingManyText ?? "";
    if (this.typingLine.textContent !== text) this.typingLine.textContent = text;
  }

  onAck(frame) {
    this.actions.onAck(frame);
    if (!frame.client_id) return; // the answer to an edit, delete or reaction
    const pending = this.pending.get(frame.client_id);
    if (!pending) return;
    if (this.findMessage(frame.id)) {
      // message.created came first
      this.pending.delete(frame.client_id);
      pending.li.remove();
      return;
    }
    // Stored: show it as such until message.created brings the rendered version.
    pending.acked = true;
    pending.li.classList.remove("wijk-message--pending");
    pending.li.querySelector(".wijk-message__sending")?.remove();
    if (!this.inPanel) pending.li.id = `m-${frame.seq}`;
    pending.li.dataset.id = String(frame.id);
    pending.li.dataset.seq = String(frame.seq);
    setTimeout(() => {
      if (this.pending.get(frame.client_id) === pending && !this.syncing) {
        this.sync(Math.min(this.seen, frame.seq - 1));
      }
    }, ACK_WAIT);
  }

  onError(frame) {
    // a sidebar room that can no longer be followed (left, removed) keeps its last counts
    if (String(frame.ref ?? "").startsWith(`${FOLLOW}-`)) return;
    if (this.syncRef !== null && frame.ref === this.syncRef) {
      this.retrySync();
      return;
    }
    if (Array.isArray(frame.rooms) && !frame.rooms.includes(this.room)) return;
    // an edit that was not stored says so in its own form
    if (this.actions.onError(frame)) return;
    const pending = frame.ref ? this.pending.get(frame.ref) : undefined;
    if (pending) {
      // Nothing was stored: give the text back so it is not lost.
      this.pending.delete(frame.ref);
      pending.li.remove();
      if (this.textarea) {
        const current = this.textarea.value;
        this.textarea.value = current.trim() ? `${pending.body}\n${current}` : pending.body;
        this.composing.saveDraft();
        this.composing.restoreFiles(pending.files);
      }
      if (!this.list.querySelector("li[data-id], li[data-client-id]")) this.restoreEmpty();
    }
    this.showStatus(frame.message, "error");
  }

  /** Removed from the room, or (case rooms) the place in it ended: nothing more comes. */
  onRemoved(reason) {
    this.stop();
    this.disableComposer();
    for (const button of this.list.querySelectorAll("li[data-id] button[formaction]")) {
      button.remove();
    }
    const data = this.status?.dataset ?? {};
    this.showStatus(data[ENDED_TEXT[reason]] ?? data.removedText, "error");
  }

  disableComposer() {
    for (const control of this.composer?.querySelectorAll("textarea, button, input") ?? []) {
      control.disabled = true;
    }
  }

  // ---- the message list ---------------------------------------------------------------------

  nearEnd() {
    const list = this.list;
    return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_END;
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Shows the newest messages and the composer, or the message a permalink points at. */
  revealStart() {
    const target = /^#m-\d+$/.test(window.location.hash)
      ? this.root.querySelector(window.location.hash)
      : null;
    if (target) {
      target.scrollIntoView({ block: "center" });
      return;
    }
    this.scrollToEnd();
    // where the reader's unread messages begin, if they do not all fit: as in Slack
    const line = this.list.querySelector("[data-new-line]");
    if (line) {
      const above = line.getBoundingClientRect().top - this.list.getBoundingClientRect().top;
      if (above < 0) this.list.scrollTop += above - 8;
    }
    this.showJumps();
    const composer = this.composer?.getBoundingClientRect();
    if (composer && composer.bottom > window.innerHeight) {
      this.composer.scrollIntoView({ block: "end" });
    }
    // Opening a room is for writing in it, as in every chat application; on a phone the
    // keyboard would cover the messages, so there the box waits for a tap.
    if (this.textarea && window.matchMedia(WIDE).matches) this.textarea.focus({ preventScroll: true });
  }

  /**
   * The room's title, its newest messages and the message box fit in the window together, as
   * in every chat application: the styles size the list to what the rest of the room, and the
   * page's title above it (a case room's, with its tabs), leave of the window's height
   * (--wijk-room-chrome-block-size on the room, followed as the box grows or the window
   * changes). Phones size it to the keyboard instead (keepComposerInView).
   */
  fitToWindow(outside) {
    const title = document.querySelector("main h1");
    const measure = () => {
      const above =
        title && !this.root.contains(title)
          ? Math.max(0, this.root.getBoundingClientRect().top - title.getBoundingClientRect().top)
          : 0;
      const chrome = above + this.root.offsetHeight - this.list.offsetHeight;
      this.root.style.setProperty("--wijk-room-chrome-block-size", `${chrome}px`);
    };
    measure();
    const sizes = new ResizeObserver(measure);
    sizes.observe(this.root);
    outside.signal.addEventListener("abort", () => sizes.disconnect());
  }

  /**
   * On a phone the on-screen keyboard takes half the screen. The page follows what is left of
   * it (the visual viewport: --wijk-visual-block-size on the document, and the height of the
   * message box, --wijk-composer-block-size on the room), so that the styles can size the list
   * to fit above the box; while the reader types, the box is kept at the bottom of what they
   * see, and a list that showed its newest messages keeps showing them as it shrinks.
   */
  keepComposerInView(outside) {
    let atEnd = this.nearEnd();
    this.list.addEventListener("scroll", () => (atEnd = this.nearEnd()), { passive: true });
    const sizes = new ResizeObserver(() => {
      this.root.style.setProperty("--wijk-composer-block-size", `${this.composer.offsetHeight}px`);
      if (atEnd) this.scrollToEnd();
    });
    sizes.observe(this.composer);
    sizes.observe(this.list);
    outside.signal.addEventListener("abort", () => sizes.disconnect());
    const viewport = window.visualViewport;
    if (!viewport) return;
    const follow = () => {
      document.documentElement.style.setProperty(
        "--wijk-visual-block-size",
        `${viewport.height}px`,
      );
      if (document.activeElement !== this.textarea) return;
      // once the styles have used the new size
      requestAnimationFrame(() => {
        const box = this.composer.getBoundingClientRect();
        const top = viewport.offsetTop;
        if (box.bottom > top + viewport.height + 1 || box.top < top) {
          this.composer.scrollIntoView({ block: "end" });
        }
      });
    };
    follow();
    viewport.addEventListener("resize", follow, outside);
    this.textarea.addEventListener("focus", follow);
  }

  /** The skip link to the message box puts the cursor in it. */
  onSkipToComposer(event) {
    if (!this.textarea) return;
    event.preventDefault();
    this.textarea.focus();
  }

  /**
   * A line with the day above the first message of each day, and a message by the same author
   * as the one before, within a few minutes, shown as part of its group (name and photo once),
   * as chat applications show them. Runs whenever the list changes; lines that are still right
   * stay, so that screen readers hear only new ones.
   */
  decorate() {
    const today = siteFormat(DAY_KEY).format(new Date());
    const firsts = new Map(); // first message of a day -> the day
    let previous = null;
    for (const li of this.list.querySelectorAll(":scope > li.wijk-message")) {
      const stamp = li.querySelector("time[datetime]")?.getAttribute("datetime");
      const at = stamp ? new Date(stamp) : new Date(); // a message being sent: now
      const day = siteFormat(DAY_KEY).format(at);
      if (day !== previous?.day) firsts.set(li, day);
      const deleted = li.classList.contains("wijk-message--deleted");
      const afterLine = li.previousElementSibling?.matches("[data-new-line]") ?? false;
      const continued =
        previous !== null &&
        !afterLine &&
        previous.day === day &&
        previous.author === li.dataset.author &&
        !previous.deleted &&
        !deleted &&
        at - previous.at < GROUP_WITHIN;
      li.classList.toggle("wijk-message--continued", continued);
      previous = { author: li.dataset.author, at, day, deleted };
    }
    // the day comes above the "new messages" line when both stand over one message
    const newLine = (li) => (li?.matches("[data-new-line]") ? li : null);
    for (const line of this.list.querySelectorAll(":scope > li[data-day]")) {
      let next = line.nextElementSibling;
      next = newLine(next)?.nextElementSibling ?? next;
      if (!next || firsts.get(next) !== line.dataset.day) line.remove();
    }
    for (const [li, day] of firsts) {
      const top = newLine(li.previousElementSibling) ?? li;
      if (top.previousElementSibling?.dataset.day !== day) top.before(this.dayLine(li, day, today));
    }
  }

  dayLine(li, day, today) {
    const stamp = li.querySelector("time[datetime]")?.getAttribute("datetime");
    const at = stamp ? new Date(stamp) : new Date();
    const dayAfter = siteFormat(DAY_KEY).format(new Date(at.getTime() + 86_400_000));
    let text = "";
    if (day === today) text = this.text.todayText ?? "";
    else if (dayAfter === today) text = this.text.yesterdayText ?? "";
    if (!text) {
      const thisYear = siteFormat(YEAR).format(at) === siteFormat(YEAR).format(new Date());
      text = siteFormat(thisYear ? DAY_NAME : DAY_NAME_YEAR).format(at);
    }
    return h("li", { class: "wijk-day-line", "data-day": day }, h("span", {}, text));
  }

  // ---- older messages and the jumps ---------------------------------------------------------

  onClick(event) {
    const older = event.target.closest("[data-older]");
    if (older) {
      event.preventDefault();
      this.loadOlder();
      return;
    }
    const unread = event.target.closest("[data-jump-unread]");
    if (unread) {
      const line = this.list.querySelector("[data-new-line]");
      if (line) {
        event.preventDefault();
        line.scrollIntoView({ block: "start" });
      } else if (this.workspace) {
        event.preventDefault();
        this.workspace.open(unread.href);
      }
      return;
    }
    if (event.target.closest("[data-jump-present]")) {
      this.scrollToEnd();
      this.textarea?.focus({ preventScroll: true });
    }
  }

  onScroll() {
    this.showJumps();
    // close to the top: the older messages come in above, as in every chat application
    if (this.list.scrollTop < NEAR_END && this.root.querySelector("[data-older]")) this.loadOlder();
  }

  /** "First unread" while the line is above the messages on the screen; "newest" away from the end. */
  showJumps() {
    const present = this.root.querySelector("[data-jump-present]");
    if (present) present.hidden = this.nearEnd();
    const unread = this.root.querySelector("[data-jump-unread]");
    if (!unread) return;
    const line = this.list.querySelector("[data-new-line]");
    unread.hidden =
      line !== null &&
      line.getBoundingClientRect().bottom > this.list.getBoundingClientRect().top;
  }

  /**
   * The page of messages before the first one shown, from the same address as the "older
   * messages" link (the room without the page around it), put above without moving what the
   * reader is looking at.
   */
  async loadOlder() {
    const link = this.root.querySelector("[data-older]");
    if (!link || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const root = this.workspace
        ? await this.workspace.fetchRoom(link.href)
        : await pageRoom(link.href);
      if (!root || this.stopped) return;
      const rows = Array.from(root.querySelectorAll("[data-messages] > li[data-id]")).filter(
        (li) => !this.findMessage(li.dataset.id),
      );
      for (const li of rows) this.prepareRow(li);
      // the first message the reader can see stays where it is on the screen
      const listTop = this.list.getBoundingClientRect().top;
      const anchor =
        Array.from(this.list.querySelectorAll(":scope > li.wijk-message")).find(
          (li) => li.getBoundingClientRect().bottom > listTop,
        ) ?? null;
      const before = anchor?.getBoundingClientRect().top ?? 0;
      // older messages are not news: screen readers hear only new ones
      this.list.setAttribute("aria-live", "off");
      this.list.prepend(...rows);
      this.decorate();
      if (anchor) this.list.scrollTop += anchor.getBoundingClientRect().top - before;
      requestAnimationFrame(() => this.list.setAttribute("aria-live", "polite"));
      const next = root.querySelector("[data-older]");
      if (next) {
        link.href = next.getAttribute("href");
      } else {
        // the first message is on the screen: the link's line says so, in the same place, so
        // that nothing above the list moves
        const line = link.closest("p");
        line?.classList.add("wijk-muted");
        line?.replaceChildren(line.dataset.startText ?? "");
      }
    } finally {
      this.loadingOlder = false;
    }
  }

  restoreEmpty() {
    if (this.list.querySelector("[data-empty]") || !this.text.emptyText) return;
    const attributes = { class: "wijk-messages-list__empty wijk-muted", "data-empty": true };
    this.list.append(h("li", attributes, this.text.emptyText));
  }

  /** Inserts a stored message in sequence order, above messages still being sent. */
  insert(li, mine = false) {
    const follow = mine || this.nearEnd();
    this.list.querySelector("[data-empty]")?.remove();
    const seq = Number(li.dataset.seq);
    let before = null;
    for (const item of this.list.children) {
      if (item.classList.contains("wijk-message--pending") || Number(item.dataset.seq) > seq) {
        before = item;
        break;
      }
    }
    this.list.insertBefore(li, before);
    if (follow) this.scrollToEnd();
    this.showJumps();
  }

  replaceMessage(old, frame) {
    const li = this.rowOf(frame);
    if (!li) return;
    const focused = document.activeElement;
    const hadFocus = old.contains(focused);
    // a row that grows at the end (a first reply's count, a reaction) stays in view
    const follow = this.nearEnd();
    old.replaceWith(li);
    if (follow) this.scrollToEnd();
    const carried = this.actions.carryOver(old, li, focused);
    if (carried) carried.focus();
    else if (hadFocus) {
      (sameControl(li, focused) ?? li.querySelector(".wijk-message__time, a"))?.focus();
    }
  }

  /** The message's row as the server rendered it for the page's language. */
  rowOf(frame) {
    const html = frame.rows?.[this.language] ?? Object.values(frame.rows ?? {})[0];
    if (!html) return null;
    const template = document.createElement("template");
    template.innerHTML = html; // rendered and sanitised by the server (core.engine.rows)
    const li = template.content.querySelector("li");
    if (li) this.prepareRow(li);
    return li;
  }

  /** What differs per reader: their own messages and reactions. */
  prepareRow(li) {
    if (this.inPanel) {
      li.removeAttribute("id");
      for (const button of li.querySelectorAll("[form]")) {
        button.setAttribute("form", this.actionFormId);
      }
    }
    const me = String(this.me);
    li.toggleAttribute("data-mine", li.dataset.author === me);
    const canPost = this.root.dataset.canPost === "true";
    for (const reaction of li.querySelectorAll("[data-users]")) {
      const mine = reaction.dataset.users.split(" ").includes(me);
      reaction.classList.toggle("wijk-reaction--mine", mine);
      // a reaction is a button that adds the reader's own, or takes it back
      reaction.setAttribute("aria-pressed", String(mine));
      reaction.disabled = !canPost;
    }
  }

  /** The page's row for a message still being sent (its own template), with the text. */
  renderPending(clientId, body) {
    const li = this.pendingRow.content.querySelector("li").cloneNode(true);
    li.dataset.clientId = clientId;
    li.dataset.author = String(this.me);
    // Text only: the server renders the HTML.
    li.querySelector("[data-body]").textContent = body;
    return li;
  }

  // ---- read marker --------------------------------------------------------------------------

  scheduleRead() {
    if (this.seen <= this.readSent || document.visibilityState !== "visible") return;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      if (this.seen > this.readSent && document.visibilityState === "visible") {
        if (this.send({ type: "read", room: this.room, seq: this.seen })) this.readSent = this.seen;
      }
    }, READ_DELAY);
  }

  // ---- composer and message actions ---------------------------------------------------------

  onKeydown(event) {
    if (this.composing.onKeydown(event)) return;
    const plainKey = !(event.shiftKey || event.altKey || event.ctrlKey || event.metaKey);
    if (event.key === "ArrowUp" && plainKey && !this.textarea.value) {
      if (this.actions.editLast()) event.preventDefault();
      return;
    }
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (this.textarea.value.trim() || this.composing.files.length) this.composer.requestSubmit();
  }

  onInput() {
    if (!this.typingLine || !this.textarea.value.trim() || !this.isOpen()) return;
    const now = Date.now();
    if (now - this.lastTyping < TYPING_EVERY) return;
    this.lastTyping = now;
    const frame = { type: "typing", room: this.room };
    if (this.thread) frame.parent = this.thread;
    this.send(frame);
  }

  onSubmit(event) {
    if (event.target === this.composer) {
      this.onCompose(event);
      return;
    }
    // A message's buttons submit the page's one form (#message-actions) to their formaction.
    const button = event.submitter;
    const action = button?.closest("li[data-id]") ? button.getAttribute("formaction") : null;
    const match = action ? ACTION_PATH.exec(action) : null;
    if (!match) return; // pinning: the form posts
    // a deletion is asked first, and sent once the few seconds to undo it are over
    if (match[2] === "delete" && this.actions.askDelete(button)) {
      event.preventDefault();
      return;
    }
    if (!this.isOpen()) return; // no socket: the form posts
    event.preventDefault();
    const id = Number(match[1]);
    if (match[2] === "react") this.actions.react(id, button.value);
    else this.send({ type: "delete", id, ref: this.nextRef("delete") });
  }

  onCompose(event) {
    if (this.stopped) {
      event.preventDefault();
      return;
    }
    const files = this.composer.querySelector("input[type=file]");
    if (!this.everOpen || !this.pendingRow || (files && files.files.length > 0)) {
      // The socket never came up (a proxy may block it), or files go along: the form posts as
      // it would without this script. A client id makes a repeated post store one message.
      const field = this.composer.querySelector("input[name=client_id]");
      if (field && !field.value) field.value = newClientId();
      return;
    }
    event.preventDefault();
    const body = this.textarea.value;
    const attachments = this.composing.attachments();
    if (attachments === null || (!body.trim() && !attachments.length)) return;
    const clientId = newClientId();
    const li = this.renderPending(clientId, body);
    const parent = intData(this.composer, "parent");
    const taken = this.composing.takeFiles();
    this.pending.set(clientId, { body, parent, attachments, files: taken, li, acked: false });
    this.list.querySelector("[data-empty]")?.remove();
    this.list.append(li);
    this.scrollToEnd();
    this.textarea.value = "";
    this.composing.clearDraft();
    this.textarea.focus();
    this.lastTyping = 0;
    if (this.status?.dataset.kind === "error" && !this.offlineShown) this.showStatus("");
    this.transmit(clientId);
  }

  /** Sends a pending message; when the socket is down it goes out again after reconnecting. */
  transmit(clientId) {
    const pending = this.pending.get(clientId);
    if (!pending || pending.acked) return;
    this.send(this.sendFrame(clientId));
  }

  /** The `send` frame of a pending message: the same, with the same client id, every time. */
  sendFrame(clientId) {
    const pending = this.pending.get(clientId);
    const frame = { type: "send", room: this.room, body: pending.body, client_id: clientId };
    if (pending.parent) frame.parent = pending.parent;
    if (pending.attachments?.length) frame.attachments = pending.attachments;
    frame.ref = clientId; // an error frame for this send carries it back
    return frame;
  }

  showStatus(message, kind = "info", clearAfter = 0) {
    if (!this.status) return;
    clearTimeout(this.statusTimer);
    this.status.textContent = message ?? "";
    this.status.dataset.kind = message ? kind : "";
    if (clearAfter) this.statusTimer = setTimeout(() => this.showStatus(""), clearAfter);
  }
}

/** The live room of the page at `url` (a case room's older messages), or null. */
async function pageRoom(url) {
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return null;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    return page.querySelector("[data-live-room]");
  } catch {
    return null;
  }
}

/** The control in a message's new row that does what `old` did in the row it replaces. */
function sameControl(li, old) {
  const href = old.getAttribute("href");
  if (old.matches("a") && href) {
    const links = Array.from(li.querySelectorAll("a[href]"));
    return (
      links.find((a) => a.getAttribute("href") === href && a.className === old.className) ?? null
    );
  }
  const action = old.getAttribute("formaction");
  if (!action) return null;
  const buttons = Array.from(li.querySelectorAll("button[formaction]"));
  return (
    buttons.find((b) => b.getAttribute("formaction") === action && b.value === old.value) ?? null
  );
}

/** The sidebar folds away on small screens (the styles' breakpoint) and is open on wide ones. */
function foldSidebar() {
  const fold = document.querySelector("[data-sidebar-fold]");
  if (!fold) return;
  const wide = window.matchMedia(WIDE);
  const apply = () => {
    fold.open = wide.matches;
  };
  apply();
  wide.addEventListener("change", apply);
}

foldSidebar();

const root = document.querySelector("[data-live-room]");
if (root?.querySelector("[data-messages]") && "WebSocket" in window) {
  if (root.dataset.socket) new LiveRoom(root).start();
  else new Workspace((room, workspace) => new LiveRoom(room, workspace)).start(root);
}
