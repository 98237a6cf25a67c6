// Real-time chat client; the page works without it (forms post over HTTP).
//
// The page is rendered by the server; this module keeps it current over one websocket. The
// socket is allowed to drop events: after every (re)connect the client asks for what it missed
// (`sync`), and a send keeps its client id across retries, so the server stores it once.
// Every visible string comes from data attributes in the templates, where it is translated.

import { badges } from "./badges.js";
import { fill, h, intData, newClientId, shortMoment, urlFor } from "./dom.js";
import { Connection } from "./socket.js";

const TYPING_EVERY = 3_000;
const TYPING_SHOWN = 5_000;
const READ_DELAY = 1_000;
const ACK_WAIT = 3_000;
const RECONNECTED_SHOWN = 4_000;
// The server closed the socket because its user may no longer use the channels (protocol.py).
const CLOSE_FORBIDDEN = 4403;
// Closer than this to the end of the list counts as "reading the latest messages".
const NEAR_END = 96;

const ACTION_PATH = /\/(\d+)\/(react|delete)\/$/;

class LiveRoom {
  constructor(root) {
    this.root = root;
    this.room = intData(root, "room");
    this.me = intData(root, "user");
    this.myName = root.dataset.userName ?? "";
    this.thread = intData(root, "thread");
    this.canPost = root.dataset.canPost === "true";
    this.canModerate = root.dataset.canModerate === "true";
    this.urls = {
      permalink: root.dataset.permalinkUrl,
      thread: root.dataset.threadUrl,
      action: root.dataset.actionUrl,
      report: root.dataset.reportUrl,
    };

    this.list = root.querySelector("[data-messages]");
    this.text = this.list.dataset;
    this.typingLine = root.querySelector("[data-typing]");
    this.composer = root.querySelector("[data-composer]");
    this.textarea = this.composer?.querySelector("textarea") ?? null;
    this.status = root.querySelector("[data-status]");

    const lang = document.documentElement.lang || undefined;
    this.plural = new Intl.PluralRules(lang);

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
    this.readSent = 0;
    this.pending = new Map(); // client id -> {body, parent, li, acked}
    this.typists = new Map(); // user id -> {name, timer}

    this.connection = new Connection({
      open: () => this.onOpen(),
      frame: (frame) => this.onFrame(frame),
      state: (state) => this.setConnection(state),
      lost: () => this.onLost(),
      ended: (code) => this.onSignedOut(code),
    });
    this.everOpen = false;
    this.offlineShown = false;
    this.readTimer = null;
    this.statusTimer = null;
    this.lastTyping = 0;
    this.refCount = 0;
    this.syncing = false;
    this.stopped = false;
  }

  start() {
    this.root.classList.add("wijk-room--live");
    this.revealStart();
    this.root.addEventListener("submit", (event) => this.onSubmit(event));
    if (this.textarea) {
      this.textarea.addEventListener("keydown", (event) => this.onKeydown(event));
      this.textarea.addEventListener("input", () => this.onInput());
    }
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.scheduleRead();
    });
    this.connection.start();
  }

  // ---- connection ---------------------------------------------------------------------------

  /** Mirrors the connection on the room element (data-connection) for styles and tests. */
  setConnection(state) {
    this.root.dataset.connection = state;
    if (state === "offline") this.syncing = false;
  }

  isOpen() {
    return this.connection.isOpen();
  }

  send(frame) {
    return this.connection.send(frame);
  }

  nextRef(kind) {
    this.refCount += 1;
    return `${kind}-${this.refCount}`;
  }

  onOpen() {
    if (this.offlineShown) {
      this.offlineShown = false;
      this.showStatus(this.status?.dataset.reconnectedText, "info", RECONNECTED_SHOWN);
    }
    this.everOpen = true;
    this.send({ type: "subscribe", room: this.room, ref: this.nextRef("subscribe") });
    this.sync(this.seen);
    for (const clientId of this.pending.keys()) this.transmit(clientId);
  }

  onLost() {
    if (this.everOpen && !this.offlineShown) {
      this.offlineShown = true;
      this.showStatus(this.status?.dataset.offlineText, "error");
    }
  }

  /** The server closed the socket for good: signed out (4401) or no access any more (4403). */
  onSignedOut(code) {
    this.stop();
    const text = code === CLOSE_FORBIDDEN ? "accessEndedText" : "signedOutText";
    this.showStatus(this.status?.dataset[text], "error");
  }

  stop() {
    this.stopped = true;
    this.connection.stop();
    clearTimeout(this.readTimer);
    for (const typist of this.typists.values()) clearTimeout(typist.timer);
    this.typists.clear();
    this.renderTyping();
  }

  sync(after) {
    const frame = { type: "sync", room: this.room, after, changes_after: this.changes };
    if (this.send({ ...frame, ref: this.nextRef("sync") })) {
      this.syncing = true;
      this.syncAfter = after;
    }
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
    badges.handle(frame);
    // The socket also carries the user's frames for other rooms.
    if ("room" in frame && frame.room !== this.room) return;
    if (frame.type !== "synced" && !this.syncing) this.noteChange(frame.change);
    switch (frame.type) {
      case "subscribed":
        this.setConnection("live");
        this.canPost = Boolean(frame.can_post);
        this.canModerate = Boolean(frame.can_moderate);
        this.readSent = Math.max(this.readSent, frame.last_read_seq ?? 0);
        break;
      case "synced":
        if (typeof frame.last_change === "number") {
          this.changes = Math.max(this.changes, frame.last_change);
        }
        if (frame.more) {
          this.sync(this.syncAfter);
        } else {
          this.syncing = false;
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
        this.onRemoved();
        break;
      default:
        break;
    }
  }

  belongsHere(frame) {
    return this.thread === null ? frame.parent === null : frame.parent === this.thread;
  }

  findMessage(id) {
    return this.root.querySelector(`li.wijk-message[data-id="${Number(id)}"]`);
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
      this.insert(this.renderMessage(frame), Boolean(pending));
    }
    this.scheduleRead();
  }

  onUpdated(frame) {
    const existing = this.findMessage(frame.id);
    if (existing) this.replaceMessage(existing, frame);
  }

  onReaction(frame) {
    const li = this.findMessage(frame.id);
    if (!li || li.classList.contains("wijk-message--deleted")) return;
    li.querySelector(".wijk-reactions")?.remove();
    const reactions = this.renderReactions(frame.reactions ?? {});
    if (reactions) li.querySelector(".wijk-message__body")?.after(reactions);
  }

  onTyping(frame) {
    const user = frame.user;
    if (!user || user.id === this.me || !this.typingLine) return;
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
    pending.li.id = `m-${frame.seq}`;
    pending.li.dataset.id = String(frame.id);
    pending.li.dataset.seq = String(frame.seq);
    setTimeout(() => {
      if (this.pending.get(frame.client_id) === pending && !this.syncing) {
        this.sync(Math.min(this.seen, frame.seq - 1));
      }
    }, ACK_WAIT);
  }

  onError(frame) {
    const pending = frame.ref ? this.pending.get(frame.ref) : undefined;
    if (pending) {
      // Nothing was stored: give the text back so it is not lost.
      this.pending.delete(frame.ref);
      pending.li.remove();
      if (this.textarea) {
        const current = this.textarea.value;
        this.textarea.value = current.trim() ? `${pending.body}\n${current}` : pending.body;
      }
      if (!this.list.querySelector("li.wijk-message")) this.restoreEmpty();
    }
    this.showStatus(frame.message, "error");
  }

  onRemoved() {
    this.stop();
    if (this.composer) {
      for (const control of this.composer.querySelectorAll("textarea, button, input")) {
        control.disabled = true;
      }
    }
    for (const form of this.root.querySelectorAll(".wijk-message form")) form.remove();
    this.showStatus(this.status?.dataset.removedText, "error");
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
    const composer = this.composer?.getBoundingClientRect();
    if (composer && composer.bottom > window.innerHeight) {
      this.composer.scrollIntoView({ block: "end" });
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
  }

  replaceMessage(old, frame) {
    const li = this.renderMessage(frame);
    const reactions = old.querySelector(".wijk-reactions");
    if (reactions && !frame.deleted) li.querySelector(".wijk-message__body")?.after(reactions);
    const hadFocus = old.contains(document.activeElement);
    old.replaceWith(li);
    if (hadFocus) li.querySelector(".wijk-message__time")?.focus();
  }

  /** The same structure as templates/channels_app/includes/message.html. */
  renderMessage(frame) {
    const text = this.text;
    const inThread = this.thread !== null;
    const created = new Date(frame.created_at);
    const meta = h(
      "div",
      { class: "wijk-message__meta" },
      h("span", { class: "wijk-message__author" }, frame.author?.name ?? ""),
      " ",
      h(
        "a",
        {
          class: "wijk-message__time utrecht-link utrecht-link--html-a",
          href: urlFor(this.urls.permalink, frame.seq),
        },
        h(
          "time",
          { datetime: frame.created_at },
          shortMoment(created),
        ),
      ),
    );
    if (frame.edited && !frame.deleted) {
      meta.append(" ", h("span", { class: "wijk-message__edited" }, `(${text.editedText})`));
    }
    if (frame.pinned) {
      meta.append(
        " ",
        h("span", { class: "utrecht-status-badge utrecht-status-badge--neutral" }, text.pinnedText),
      );
    }

    const li = h(
      "li",
      {
        class: frame.deleted ? "wijk-message wijk-message--deleted" : "wijk-message",
        id: `m-${frame.seq}`,
        "data-id": frame.id,
        "data-seq": frame.seq,
        "data-author": frame.author?.id,
      },
      meta,
    );
    if (frame.deleted) {
      li.append(h("p", { class: "wijk-message__body wijk-muted" }, h("em", {}, text.deletedText)));
      return li;
    }

    const body = h("div", { class: "wijk-message__body wijk-prose" });
    body.innerHTML = frame.html ?? ""; // cleaned by the server's one sanitising function
    li.append(body);

    if (!inThread && frame.reply_count > 0) {
      const count = frame.reply_count;
      const form = this.plural.select(count) === "one" ? text.repliesOne : text.repliesOther;
      const link = h(
        "a",
        { class: "utrecht-link utrecht-link--html-a", href: urlFor(this.urls.thread, frame.id) },
        fill(form, { n: count }),
      );
      li.append(h("p", { class: "wijk-message__replies" }, link));
    }
    li.append(this.renderActions(frame, inThread));
    return li;
  }

  renderActions(frame, inThread) {
    const text = this.text;
    const actions = h("div", { class: "wijk-message__actions" });
    if (!inThread && frame.parent === null) {
      actions.append(
        h(
          "a",
          { class: "utrecht-link utrecht-link--html-a", href: urlFor(this.urls.thread, frame.id) },
          text.replyText,
        ),
      );
    }
    const button = (label, ariaLabel) =>
      h(
        "button",
        { type: "submit", class: "utrecht-button utrecht-button--subtle", "aria-label": ariaLabel },
        label,
      );
    if (this.canPost) {
      actions.append(
        this.actionForm(frame.id, "react", [
          h("input", { type: "hidden", name: "emoji", value: "👍" }),
          button("👍", text.reactLabel),
        ]),
      );
    }
    if (frame.author?.id === this.me || this.canModerate) {
      actions.append(this.actionForm(frame.id, "delete", [button(text.deleteText)]));
    }
    if (this.canModerate) {
      const action = frame.pinned ? "unpin" : "pin";
      actions.append(
        this.actionForm(frame.id, action, [button(frame.pinned ? text.unpinText : text.pinText)]),
      );
    }
    if (frame.author?.id !== this.me && this.urls.report) {
      actions.append(
        h(
          "a",
          { class: "utrecht-link utrecht-link--html-a", href: urlFor(this.urls.report, frame.id) },
          text.reportText,
        ),
      );
    }
    return actions;
  }

  actionForm(id, action, controls) {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
    return h(
      "form",
      { method: "post", action: urlFor(this.urls.action, id, action), class: "wijk-inline-form" },
      h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token }),
      ...controls,
    );
  }

  renderReactions(summary) {
    const emojis = Object.keys(summary)
      .filter((emoji) => summary[emoji].length > 0)
      .sort();
    if (emojis.length === 0) return null;
    return h(
      "ul",
      { class: "wijk-reactions", "aria-label": this.text.reactionsLabel },
      ...emojis.map((emoji) => {
        const mine = summary[emoji].includes(this.me);
        return h(
          "li",
          { class: mine ? "wijk-reaction wijk-reaction--mine" : "wijk-reaction" },
          `${emoji} `,
          h("span", {}, String(summary[emoji].length)),
        );
      }),
    );
  }

  renderPending(clientId, body) {
    return h(
      "li",
      {
        class: "wijk-message wijk-message--pending",
        "data-client-id": clientId,
        "data-author": this.me,
      },
      h(
        "div",
        { class: "wijk-message__meta" },
        h("span", { class: "wijk-message__author" }, this.myName),
        " ",
        h("span", { class: "wijk-message__sending" }, this.text.sendingText),
      ),
      // Text only: the server renders the HTML.
      h("div", { class: "wijk-message__body wijk-message__body--plain" }, body),
    );
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
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (this.textarea.value.trim()) this.composer.requestSubmit();
  }

  onInput() {
    if (!this.textarea.value.trim() || !this.isOpen()) return;
    const now = Date.now();
    if (now - this.lastTyping < TYPING_EVERY) return;
    this.lastTyping = now;
    this.send({ type: "typing", room: this.room });
  }

  onSubmit(event) {
    const form = event.target;
    if (form === this.composer) {
      this.onCompose(event);
      return;
    }
    const action = form.closest(".wijk-message") ? form.getAttribute("action") : null;
    const match = action ? ACTION_PATH.exec(action) : null;
    if (!match || !this.isOpen()) return; // pinning, or no socket: the form posts
    event.preventDefault();
    const id = Number(match[1]);
    if (match[2] === "react") {
      const emoji = form.querySelector("input[name=emoji]")?.value;
      this.send({ type: "react", id, emoji, ref: this.nextRef("react") });
    } else {
      this.send({ type: "delete", id, ref: this.nextRef("delete") });
    }
  }

  onCompose(event) {
    if (this.stopped) {
      event.preventDefault();
      return;
    }
    const files = this.composer.querySelector("input[type=file]");
    if (!this.everOpen || (files && files.files.length > 0)) {
      // The socket never came up (a proxy may block it), or files go along: the form posts as
      // it would without this script. A client id makes a repeated post store one message.
      const field = this.composer.querySelector("input[name=client_id]");
      if (field && !field.value) field.value = newClientId();
      return;
    }
    event.preventDefault();
    const body = this.textarea.value;
    if (!body.trim()) return;
    const clientId = newClientId();
    const li = this.renderPending(clientId, body);
    const parent = intData(this.composer, "parent");
    this.pending.set(clientId, { body, parent, li, acked: false });
    this.list.querySelector("[data-empty]")?.remove();
    this.list.append(li);
    this.scrollToEnd();
    this.textarea.value = "";
    this.textarea.focus();
    this.lastTyping = 0;
    if (this.status?.dataset.kind === "error" && !this.offlineShown) this.showStatus("");
    this.transmit(clientId);
  }

  /** Sends a pending message; when the socket is down it goes out again after reconnecting. */
  transmit(clientId) {
    const pending = this.pending.get(clientId);
    if (!pending || pending.acked) return;
    const frame = { type: "send", room: this.room, body: pending.body, client_id: clientId };
    if (pending.parent) frame.parent = pending.parent;
    frame.ref = clientId; // an error frame for this send carries it back
    this.send(frame);
  }

  showStatus(message, kind = "info", clearAfter = 0) {
    if (!this.status) return;
    clearTimeout(this.statusTimer);
    this.status.textContent = message ?? "";
    this.status.dataset.kind = message ? kind : "";
    if (clearAfter) this.statusTimer = setTimeout(() => this.showStatus(""), clearAfter);
  }
}

const root = document.querySelector(".wijk-room[data-room]");
if (root?.querySelector("[data-messages]") && "WebSocket" in window) {
  new LiveRoom(root).start();
}
