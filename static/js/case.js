// Live case-room conversation over /ws/cases/<id>/; the page works without it (the form posts).
//
// After every (re)connect the client asks for what it missed (`sync`); a send keeps its client
// id across retries, so the server stores it once. The server renders and sanitises message
// HTML; strings shown here come from data attributes in the (translated) template.

import { h, newClientId, shortMoment } from "./dom.js";
import { Connection } from "./socket.js";

// Close codes for good (core/protocol.py), and the data attribute with their text.
const CLOSED_TEXT = {
  4401: "signedOutText", // signed out, or the password changed elsewhere
  4403: "removedText", // no access to this room any more
  4428: "reauthenticateText", // the recent step with the second factor ran out
};
// Why a place in the room ended (privacy.policy), and the data attribute that says so.
const ENDED_TEXT = {
  consent_withdrawn: "endedConsentWithdrawnText",
  room_closed: "endedRoomClosedText",
};

class CaseRoom {
  constructor(root) {
    this.root = root;
    this.room = Number(root.dataset.caseRoom);
    this.seen = Number(root.dataset.lastSeq) || 0;
    this.list = root.querySelector("[data-messages]");
    this.status = root.querySelector("[data-status]");
    this.composer = root.querySelector("[data-composer]");
    this.textarea = this.composer?.querySelector("textarea") ?? null;
    this.pending = new Map(); // client id -> body
    this.stopped = false;
    this.connection = new Connection(
      {
        open: () => this.onOpen(),
        frame: (frame) => this.onFrame(frame),
        state: (state) => this.setConnection(state === "offline" ? "closed" : state),
        lost: () => this.say(this.status?.dataset.offlineText),
        ended: (code) => {
          const text = CLOSED_TEXT[code] ?? "offlineText";
          this.stop(this.status?.dataset[text]);
        },
      },
      `/ws/cases/${this.room}/`,
    );
  }

  start() {
    this.composer?.addEventListener("submit", (event) => this.onSubmit(event));
    this.connection.start();
  }

  /** Mirrors the connection on the room element (data-connection) for styles and tests. */
  setConnection(state) {
    if (!this.stopped) this.root.dataset.connection = state;
  }

  onOpen() {
    this.setConnection("open");
    this.say("");
    this.send({ type: "sync", after: this.seen });
    for (const [clientId, body] of this.pending) this.transmit(clientId, body);
  }

  stop(text) {
    this.connection.stop();
    this.stopped = true;
    this.root.dataset.connection = "removed";
    this.composer?.remove();
    this.say(text);
  }

  say(text) {
    if (this.status) this.status.textContent = text ?? "";
  }

  send(frame) {
    return this.connection.send(frame);
  }

  transmit(clientId, body) {
    this.send({ type: "send", client_id: clientId, body, ref: clientId });
  }

  onSubmit(event) {
    const file = this.composer.querySelector("input[type=file]");
    if (!this.textarea || (file && file.files.length) || !this.connection.isOpen()) {
      return; // files and offline sends go through the ordinary form post
    }
    event.preventDefault();
    const body = this.textarea.value.trim();
    if (!body) return;
    const clientId = newClientId();
    this.pending.set(clientId, body);
    this.transmit(clientId, body);
    this.textarea.value = "";
    this.textarea.focus();
  }

  onFrame(frame) {
    switch (frame.type) {
      case "message.created":
        this.render(frame);
        break;
      case "ack":
        this.pending.delete(frame.client_id);
        break;
      case "synced":
        if (frame.more) this.send({ type: "sync", after: this.seen });
        break;
      case "room.closed":
        this.composer?.remove();
        this.say(this.status?.dataset.closedText);
        break;
      case "membership.removed": {
        const data = this.status?.dataset ?? {};
        this.stop(data[ENDED_TEXT[frame.reason]] ?? data.removedText);
        break;
      }
      case "error":
        this.say(frame.message);
        if (frame.ref) this.pending.delete(frame.ref);
        break;
      default:
        break;
    }
  }

  render(frame) {
    if (frame.seq <= this.seen && this.list.querySelector(`[data-seq="${frame.seq}"]`)) return;
    this.seen = Math.max(this.seen, frame.seq);
    this.list.querySelector("[data-empty]")?.remove();
    const body = h("div", { class: "wijk-case-message__body" });
    // Server-rendered HTML, cleaned by the platform's one sanitiser (core.rendering).
    body.innerHTML = frame.html;
    const when = new Date(frame.created_at);
    const item = h(
      "li",
      { class: "wijk-case-message", id: `m-${frame.seq}`, "data-seq": String(frame.seq) },
      h(
        "p",
        { class: "wijk-case-message__meta" },
        h("strong", {}, frame.author.name),
        " ",
        h("time", { class: "wijk-muted", datetime: frame.created_at }, shortMoment(when)),
      ),
      body,
    );
    if (frame.files?.length) {
      const files = h("ul", { class: "wijk-list" });
      for (const file of frame.files) {
        files.append(h("li", {}, h("a", { class: "utrecht-link utrecht-link--html-a", href: file.url }, file.name)));
      }
      item.append(files);
    }
    const next = Array.from(this.list.querySelectorAll("li[data-seq]")).find(
      (li) => Number(li.dataset.seq) > frame.seq,
    );
    this.list.insertBefore(item, next ?? null);
    this.list.scrollTop = this.list.scrollHeight;
  }
}

for (const root of document.querySelectorAll("[data-case-room]")) new CaseRoom(root).start();
