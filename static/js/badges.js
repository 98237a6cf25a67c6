// Live badges: the header's unread-notification count, and the unread and mention counts of
// every channel listed on the page. The server renders them; frames from the tab's socket keep
// them current. Every visible string comes from data attributes in the templates.

import { fill, h, intData, shortMoment, urlFor } from "./dom.js";

/** A count from a data attribute: 0 when there is none. */
function countData(element, name) {
  return intData(element, name) ?? 0;
}

/** A status badge that says `text`, as the channel list shows unread and mention counts. */
function statusBadge(kind, className, text) {
  const classes = ["utrecht-status-badge", `utrecht-status-badge--${kind}`, className];
  return h("span", { class: classes.filter(Boolean).join(" ") }, text);
}

/** A badge counter that shows `shown` and gives screen readers the whole `text`, as the
 * sidebar shows its counts (sidebar_item.html). */
function counter(className, shown, text) {
  return h(
    "span",
    { class: `utrecht-badge-counter ${className}` },
    h("span", { "aria-hidden": "true" }, shown),
    h("span", { class: "wijk-visually-hidden" }, text),
  );
}

const FOLLOW_PER_FRAME = 500;

class Badges {
  constructor() {
    this.me = intData(document.body, "user");
    this.plural = new Intl.PluralRules(document.documentElement.lang || undefined);
  }

  get header() {
    return document.querySelector(".wijk-header__notifications[data-notification-count]");
  }

  /** The channel list items of the page, by room. */
  items(room) {
    return document.querySelectorAll(`li.wijk-channel-list__item[data-room="${Number(room)}"]`);
  }

  /** Every room listed on the page: a page socket subscribes to them to follow their counts. */
  rooms() {
    const rooms = new Set();
    for (const li of document.querySelectorAll("li.wijk-channel-list__item[data-room]")) {
      const room = intData(li, "room");
      if (room > 0) rooms.add(room);
    }
    return [...rooms];
  }

  /** The `subscribe` frames that follow `rooms`: a list per frame, as many as the server
   * takes in one (consumers.MAX_SUBSCRIBE_ROOMS), so that a tab that reconnects asks once,
   * not once per room. */
  follow(rooms, ref) {
    const frames = [];
    for (let start = 0; start < rooms.length; start += FOLLOW_PER_FRAME) {
      frames.push({ type: "subscribe", rooms: rooms.slice(start, start + FOLLOW_PER_FRAME), ref });
    }
    return frames;
  }

  handle(frame) {
    switch (frame.type) {
      case "notification":
        this.onNotification(frame);
        break;
      case "subscribed":
        this.update(frame.room, (state) => ({
          lastSeq: frame.last_seq ?? state.lastSeq,
          lastRead: frame.last_read_seq ?? state.lastRead,
          mentions: frame.unread_mentions ?? state.mentions,
        }));
        break;
      case "message.created":
        if (typeof frame.seq !== "number") break;
        this.update(frame.room, (state) => {
          const lastSeq = Math.max(state.lastSeq, frame.seq);
          // storing a message moves its author's read marker to it
          const mine = frame.author?.id === this.me;
          return { ...state, lastSeq, lastRead: mine ? lastSeq : state.lastRead };
        });
        break;
      case "read":
        if (typeof frame.seq !== "number") break;
        this.update(frame.room, (state) => {
          const lastRead = Math.max(state.lastRead, frame.seq);
          return { ...state, lastRead, mentions: lastRead >= state.lastSeq ? 0 : state.mentions };
        });
        break;
      default:
        break;
    }
  }

  onNotification(frame) {
    const link = this.header;
    if (link) {
      const count = countData(link, "notificationCount") + 1;
      link.dataset.notificationCount = String(count);
      link.querySelector(".wijk-notification-badge")?.remove();
      const shown = h(
        "span",
        { class: "utrecht-badge-counter wijk-notification-badge" },
        String(count),
        h("span", { class: "wijk-visually-hidden" }, ` ${link.dataset.unreadText ?? ""}`),
      );
      link.append(" ", shown);
      const status = document.querySelector("[data-notification-status]");
      if (status) status.textContent = fill(status.dataset.newText, { count });
    }
    if (frame.kind === "mention") {
      this.update(frame.room, (state) => ({ ...state, mentions: state.mentions + 1 }));
    }
    this.listNotification(frame);
  }

  /** On the first page of notifications, the new one goes on top, as the server renders it. */
  listNotification(frame) {
    const list = document.querySelector("ul[data-notifications][data-live]");
    const id = Number(frame.id);
    if (!list || !Number.isInteger(id) || id <= 0) return;
    const action = urlFor(list.dataset.openUrl, id, "open");
    if (!action || list.querySelector(`form[action="${action}"]`)) return; // listed already
    const key = `text${String(frame.kind ?? "")
      .split("_")
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join("")}`;
    const text = list.dataset[key];
    if (!text) return;
    const token = document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
    const created = new Date(frame.created_at);
    const time = Number.isNaN(created.getTime())
      ? null
      : h("time", { datetime: frame.created_at }, shortMoment(created));
    const sentence = fill(text, {
      actor: frame.actor ?? "",
      channel: frame.channel || list.dataset.directText,
    });
    const item = h(
      "li",
      { class: "wijk-list__item wijk-notification--unread" },
      h(
        "form",
        { method: "post", action },
        h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token }),
        h(
          "button",
          { type: "submit", class: "utrecht-button utrecht-button--subtle wijk-notification__open" },
          statusBadge("active", "", list.dataset.newText ?? ""),
          " ",
          h("span", { "data-notification-text": true }, sentence),
        ),
      ),
      h("p", { class: "utrecht-paragraph wijk-muted" }, time),
    );
    list.prepend(item);
    list.hidden = false;
    document.querySelector("form[data-mark-all]")?.removeAttribute("hidden");
    document.querySelector("[data-no-notifications]")?.remove();
  }

  /** Applies `change` to the counts of a listed room and renders its badges again. */
  update(room, change) {
    for (const li of this.items(room)) {
      const state = change({
        lastSeq: countData(li, "lastSeq"),
        lastRead: countData(li, "lastReadSeq"),
        mentions: countData(li, "mentions"),
      });
      li.dataset.lastSeq = String(state.lastSeq);
      li.dataset.lastReadSeq = String(state.lastRead);
      li.dataset.mentions = String(state.mentions);
      this.render(li, Math.max(0, state.lastSeq - state.lastRead), state.mentions);
    }
  }

  render(li, unread, mentions) {
    const text = li.closest("[data-unread-one]")?.dataset ?? {};
    // the sidebar shows the numbers only (sidebar_item.html)
    const compact = li.closest("[data-compact-badges]") !== null;
    li.querySelector(".wijk-mention-badge")?.remove();
    li.querySelector(".wijk-unread-badge")?.remove();
    // the room on the screen is being read: its new messages are not counted as unread
    if (li.querySelector("[aria-current=page]")) return;
    const form = (count, one, other) =>
      fill(this.plural.select(count) === "one" ? one : other, { n: count });
    if (mentions > 0) {
      const label = form(mentions, text.mentionsOne, text.mentionsOther);
      li.append(
        compact
          ? counter("wijk-mention-badge", `@${mentions}`, label)
          : statusBadge("danger", "wijk-mention-badge", label),
      );
    }
    if (unread > 0) {
      const label = form(unread, text.unreadOne, text.unreadOther);
      li.append(
        compact
          ? counter("wijk-unread-badge", String(unread), label)
          : statusBadge("active", "wijk-unread-badge", label),
      );
    }
  }
}

export const badges = new Badges();
