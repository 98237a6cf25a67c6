// The chat workspace of a tab: one socket to /ws/ for every channel and direct conversation,
// the sidebar's counts (badges.js), and switching rooms without loading the page.
//
// A room is opened by asking its own address for the room alone (the X-Wijk-Fragment header;
// the server renders the same template as for the page) and putting it in place of the one on
// the screen; the address bar follows (history API), so every room keeps its own address that
// works on reload, in another tab and without JavaScript. The socket stays open: it already
// follows every room in the sidebar, so a switch costs one request and a `sync`.
//
// A thread opens the same way in a panel next to its channel (X-Wijk-Fragment: thread), as a
// second live room on the same socket, and so do a room's details (members, pinned messages,
// files: X-Wijk-Fragment: info); the address bar shows the panel's own address while it is
// open, which loads it as a page.

import { badges } from "./badges.js";
import { fill, h, intData } from "./dom.js";
import { ListBox, findResults } from "./listbox.js";
import { Connection } from "./socket.js";

const FRAGMENT = "X-Wijk-Fragment";
const WIDE = "(min-width: 60em)";
// How long typing may pause before the switcher asks the server.
const SEARCH_DELAY = 120;
const EDITABLE = "input, textarea, select, [contenteditable]";
// A channel's or conversation's own address (channels_app/urls.py: "<pk>/"), and a thread's.
const ROOM_ADDRESS = /^\/channels\/\d+\/$/;
const PANEL_ADDRESSES = {
  thread: /^\/channels\/(\d+)\/threads\/\d+\/$/,
  info: /^\/channels\/(\d+)\/info\/$/,
};

export class Workspace {
  /** `makeRoom(root, workspace)` makes the live room (chat.js) for a room element. */
  constructor(makeRoom) {
    this.makeRoom = makeRoom;
    this.room = null;
    this.side = null; // the panel next to the room: a thread or the room's details
    this.panel = null; // the thread in it, a live room too
    this.opener = null; // what opened the panel, which has the focus back when it closes
    this.opening = 0; // the latest switch; an earlier answer that arrives later is dropped
    this.follows = 0;
    // The rooms this socket follows (answered `subscribed`): opening one of them needs no new
    // subscription, only a `sync`. A new socket follows nothing until it subscribes again.
    this.followed = new Set();
    // Messages of a room that was left (or a thread closed) before the server acknowledged
    // them: they go out again after every reconnect until it does, as if the room were still
    // on the screen, and go back into the room's list if it is opened again meanwhile.
    this.outbox = new Map(); // client id -> {frame, pending, draft}
    this.connection = new Connection({
      open: () => {
        this.followed.clear();
        this.room?.onOpen();
        this.panel?.onOpen(true);
        for (const { frame } of this.outbox.values()) this.connection.send(frame);
      },
      frame: (frame) => {
        this.settle(frame);
        if (frame.type === "subscribed") this.followed.add(frame.room);
        if (frame.type === "membership.removed") this.followed.delete(frame.room);
        badges.handle(frame);
        if (frame.kind === "direct" && frame.type === "notification" && !badges.items(frame.room).length) {
          // a conversation someone started with this person: it joins the sidebar
          this.refreshSidebar();
        }
        for (const room of this.live()) room.onFrame(frame);
      },
      state: (state) => this.live().forEach((room) => room.setConnection(state)),
      lost: () => this.live().forEach((room) => room.onLost()),
      ended: (code) => this.live().forEach((room) => room.onClosed(code)),
      // every ping asks for the newest numbers of the rooms on the screen (chat.js, onPong)
      ping: () => ({ rooms: [...new Set(this.live().map((room) => room.room))] }),
    });
  }

  /** The live rooms on the screen: the room, and the thread in the panel if one is open. */
  live() {
    return [this.room, this.panel].filter(Boolean);
  }

  start(root) {
    this.room = this.makeRoom(root, this);
    this.room.start();
    this.connection.start();
    history.replaceState({ room: true }, "");
    // a message not yet stored is lost with the page: the browser asks first
    window.addEventListener("beforeunload", (event) => {
      if (this.outbox.size || this.live().some((room) => room.unsent())) {
        event.preventDefault();
        event.returnValue = true;
      }
    });
    this.shown = this.address(location.href);
    document.addEventListener("click", (event) => this.onClick(event));
    document.addEventListener("keydown", (event) => this.onKeydown(event));
    document.addEventListener("submit", (event) => this.onFavourite(event));
    this.switcher = new Switcher(this);
    this.shortcuts = document.querySelector("dialog[data-shortcuts]");
    for (const control of document.querySelectorAll(".wijk-sidebar [data-live-only]")) {
      control.hidden = false;
    }
    window.addEventListener("popstate", (event) => {
      if (!event.state?.room) return;
      const address = this.address(location.href);
      const kind = event.state.panel ? this.panelKind(address) : null;
      if (kind) {
        this.openPanel(location.href, kind, false);
        return;
      }
      if (this.side) this.closePanel(false);
      if (address !== this.shown) this.open(location.href, false);
    });
  }

  /** A room's address without the part after #: what the server is asked for. */
  address(url) {
    const parsed = new URL(url, location.href);
    return `${parsed.pathname}${parsed.search}`;
  }

  /**
   * The sidebar's rooms, and links to a room in messages (~channel), open in place; with a
   * modifier key the browser does what it does.
   */
  onClick(event) {
    if (event.target.closest?.("[data-open-switcher]")) this.switcher.open();
    if (event.target.closest?.("[data-open-shortcuts]")) this.shortcuts?.showModal();
    if (event.target.closest?.("[data-close-panel]")) {
      this.closePanel();
      return;
    }
    if (this.onPanelLink(event)) return;
    const link = event.target.closest?.("a.wijk-sidebar__link[href], .wijk-message__body a[href]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    const target = new URL(link.href, location.href);
    if (target.origin !== location.origin || !ROOM_ADDRESS.test(target.pathname)) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    this.open(link.href);
  }

  /**
   * Ctrl+K (⌘K) opens the quick switcher, ? the shortcuts overview (outside text fields), and
   * Alt+↑ and Alt+↓ the room above or below the current one in the sidebar.
   */
  onKeydown(event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
      event.preventDefault();
      this.switcher.open();
      return;
    }
    if (event.key === "?" && !event.target.closest?.(EDITABLE) && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      this.shortcuts?.showModal();
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    const links = Array.from(document.querySelectorAll("a.wijk-sidebar__link[href]"));
    if (!links.length) return;
    event.preventDefault();
    const current = links.findIndex((link) => link.getAttribute("aria-current") === "page");
    const step = event.key === "ArrowUp" ? -1 : 1;
    const next = current < 0 ? 0 : (current + step + links.length) % links.length;
    this.open(links[next].href);
  }

  /** The star in a room's header: saved without leaving the room; the sidebar follows. */
  async onFavourite(event) {
    const form = event.target.closest?.("form[data-favourite]");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button[aria-pressed]");
    const field = form.querySelector("input[name=favourite]");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch {
      response = null;
    }
    if (!response?.ok) {
      form.submit(); // the page says what went wrong
      return;
    }
    const { favourite } = await response.json();
    button.setAttribute("aria-pressed", String(favourite));
    field.value = favourite ? "0" : "1";
    this.refreshSidebar();
  }

  /**
   * The room at `url` alone (or, `kind` "thread" or "info", the panel), as the server
   * renders it, or null (then the page loads).
   */
  async fetchRoom(url, kind = "room") {
    let response;
    try {
      response = await fetch(url, { headers: { [FRAGMENT]: kind }, credentials: "same-origin" });
    } catch {
      return null;
    }
    if (!response.ok || response.headers.get(FRAGMENT) !== kind) return null;
    const template = document.createElement("template");
    template.innerHTML = await response.text(); // rendered by the server from its templates
    const root = template.content.querySelector("[data-live-room], [data-side-panel]");
    if (root) root.dataset.address = this.address(response.url);
    return root;
  }

  /**
   * Opens the room at `url` in place of the one on the screen (messages still being sent there
   * go on being sent: keepSending); anything the server does not answer with a room (a closed
   * room's page, a sign-in) loads as a page.
   */
  async open(url, push = true) {
    this.opening += 1;
    const opening = this.opening;
    const root = await this.fetchRoom(url);
    if (opening !== this.opening) return;
    if (!root) {
      location.assign(url);
      return;
    }
    const hash = new URL(url, location.href).hash;
    const previous = this.room;
    if (this.side) this.closePanel(false, false);
    previous?.leave();
    previous.root.replaceWith(root);
    if (push) history.pushState({ room: true }, "", `${root.dataset.address}${hash}`);
    this.shown = root.dataset.address;
    document.title = root.dataset.pageTitle ?? document.title;
    this.markCurrent(intData(root, "room"), previous);
    this.room = this.makeRoom(root, this);
    this.room.start();
    if (!window.matchMedia(WIDE).matches) {
      // on a phone the sidebar folds away and the room's name is read out
      const fold = document.querySelector("[data-sidebar-fold]");
      if (fold) fold.open = false;
      const heading = root.querySelector("h1");
      heading?.setAttribute("tabindex", "-1");
      heading?.focus();
    }
  }

  /**
   * What `address` opens in the side panel of the room on the screen: "thread" for one of its
   * threads, "info" for its details; null for anything else (and on a thread's own page).
   */
  panelKind(address) {
    if (!this.room || this.room.thread) return null;
    const path = new URL(address, location.href).pathname;
    for (const [kind, pattern] of Object.entries(PANEL_ADDRESSES)) {
      const match = pattern.exec(path);
      if (match && Number(match[1]) === this.room.room) return kind;
    }
    return null;
  }

  /**
   * "Reply", "n replies", the members and the pinned messages open in the panel; with a
   * modifier key, as a page.
   */
  onPanelLink(event) {
    const link = event.target.closest?.(".wijk-room:not(.wijk-side-panel) a[href]");
    if (!link || event.defaultPrevented || event.button !== 0) return false;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
    const target = new URL(link.href, location.href);
    const kind = target.origin === location.origin ? this.panelKind(target.href) : null;
    if (!kind) return false;
    event.preventDefault();
    this.opener = link;
    this.openPanel(target.href, kind);
    return true;
  }

  /**
   * Opens the thread or details at `url` in the panel next to the room, in place of what is
   * shown there (replies still being sent in the panel go on being sent: keepSending).
   */
  async openPanel(url, kind, push = true) {
    const address = this.address(url);
    const hash = new URL(url, location.href).hash;
    if (this.side?.dataset.address === address) {
      this.focusPanel(hash);
      return;
    }
    this.opening += 1;
    const opening = this.opening;
    const root = await this.fetchRoom(url, kind);
    if (opening !== this.opening) return;
    if (!root) {
      location.assign(url);
      return;
    }
    if (this.side) this.closePanel(false, false);
    this.room.root.after(root);
    this.side = root;
    if (push) history.pushState({ room: true, panel: kind }, "", `${root.dataset.address}${hash}`);
    if (kind === "thread") {
      this.panel = this.makeRoom(root, this);
      this.panel.start();
    }
    this.focusPanel(hash);
  }

  /**
   * The section the address names (the details' pinned messages), or on a wide screen the
   * reply box; elsewhere the panel's title.
   */
  focusPanel(hash = "") {
    const root = this.side;
    if (!root) return;
    const section = /^#[\w-]+$/.test(hash) ? root.querySelector(`[id$="${hash.slice(1)}"]`) : null;
    if (section) {
      section.setAttribute("tabindex", "-1");
      section.focus();
    } else if (window.matchMedia(WIDE).matches && this.panel?.textarea) {
      this.panel.textarea.focus({ preventScroll: true });
    } else {
      root.querySelector("h2[tabindex]")?.focus({ preventScroll: true });
    }
  }

  /** Closes the panel; the room's address comes back, and the focus where it was. */
  closePanel(push = true, refocus = true) {
    const side = this.side;
    if (!side) return;
    const thread = this.panel?.thread;
    this.panel?.leave();
    this.panel = null;
    this.side = null;
    side.remove();
    if (push) history.pushState({ room: true }, "", this.shown);
    if (!refocus) return;
    // the row that opened it may have been rendered again meanwhile (its reply count)
    const row = thread ? this.room?.findMessage(thread) : null;
    const opener = this.opener?.isConnected
      ? this.opener
      : row?.querySelector(".wijk-message__replies a, a[href*='/threads/']");
    (opener ?? this.room?.textarea)?.focus();
  }

  /**
   * The sidebar's lists again from the server, when a room was added; the new rooms are
   * followed for their counts from then on.
   */
  async refreshSidebar() {
    const nav = document.querySelector("nav.wijk-sidebar[data-sidebar-url]");
    if (!nav) return;
    let response;
    try {
      response = await fetch(nav.dataset.sidebarUrl, {
        headers: { [FRAGMENT]: "sidebar" },
        credentials: "same-origin",
      });
    } catch {
      return;
    }
    if (!response.ok || response.headers.get(FRAGMENT) !== "sidebar") return;
    const template = document.createElement("template");
    template.innerHTML = await response.text(); // rendered by the server from its templates
    const before = new Set(badges.rooms());
    const lists = nav.querySelector("[data-sidebar-lists]");
    const fresh = template.content.querySelector("[data-sidebar-lists]");
    if (!lists || !fresh) return;
    lists.replaceWith(fresh);
    if (this.room) this.markCurrent(this.room.room, null);
    const added = badges.rooms().filter((room) => !before.has(room));
    if (!added.length || !this.connection.isOpen()) return;
    this.follows += 1;
    // the reference marks it as following only (chat.js ignores its errors)
    for (const frame of badges.follow(added, `follow-new-${this.follows}`)) {
      this.connection.send(frame);
    }
  }

  /**
   * A message of a room that is being left, which the server has not acknowledged yet: it is
   * sent again after every reconnect (with its client id, so it is stored once) until the
   * server acknowledges or refuses it. `draft` is its room's draft key (composer.js).
   */
  keepSending(clientId, frame, pending, draft) {
    // an open socket has it already: the room sent it on this socket
    this.outbox.set(clientId, { frame, pending, draft });
  }

  /** The outbox's messages of the room (and thread) being opened again, now its own. */
  takeBack(room, thread) {
    const taken = [];
    for (const [clientId, sent] of this.outbox) {
      if (sent.frame.room === room && (sent.frame.parent ?? null) === thread) {
        taken.push([clientId, sent.pending]);
        this.outbox.delete(clientId);
      }
    }
    return taken;
  }

  /**
   * The server's answer to a message in the outbox: stored (`ack`), or refused (an error with
   * its client id), when its text goes back into its room's draft, so that nothing written is
   * lost; the room on the screen shows the error.
   */
  settle(frame) {
    const clientId = frame.type === "ack" ? frame.client_id : frame.type === "error" && frame.ref;
    const sent = clientId ? this.outbox.get(clientId) : undefined;
    if (!sent) return;
    this.outbox.delete(clientId);
    if (frame.type !== "error" || !sent.draft) return;
    try {
      const draft = sessionStorage.getItem(sent.draft)?.trim();
      const body = sent.pending.body;
      sessionStorage.setItem(sent.draft, draft ? `${body}\n${draft}` : body);
    } catch {
      // storage full or refused
    }
  }

  /** The sidebar marks the room on the screen, which counts nothing unread. */
  markCurrent(room, previous) {
    for (const link of document.querySelectorAll("a.wijk-sidebar__link[aria-current]")) {
      link.removeAttribute("aria-current");
    }
    for (const link of document.querySelectorAll(
      `li.wijk-sidebar__item[data-room="${room}"] a.wijk-sidebar__link`,
    )) {
      link.setAttribute("aria-current", "page");
    }
    // the server marked the room read when it rendered it
    badges.update(room, (state) => ({ ...state, lastRead: state.lastSeq, mentions: 0 }));
    if (previous && previous.room !== room) {
      badges.update(previous.room, (state) => ({
        lastSeq: Math.max(state.lastSeq, previous.seen),
        lastRead: Math.max(state.lastRead, previous.readSent),
        mentions: state.mentions,
      }));
    }
  }
}

/**
 * The quick switcher (Ctrl+K): a combobox over the person's rooms, open channels and people,
 * as the server finds them (channels_app.views.switcher). A room opens in place; a person
 * without a conversation yet gets one.
 */
class Switcher {
  constructor(workspace) {
    this.workspace = workspace;
    this.dialog = document.querySelector("dialog[data-switcher]");
    if (!this.dialog) return;
    this.input = this.dialog.querySelector("[data-switcher-input]");
    this.list = this.dialog.querySelector("[data-switcher-results]");
    this.options = new ListBox(this.list, this.input, "wijk-switcher__option");
    this.empty = this.dialog.querySelector("[data-switcher-empty]");
    this.results = [];
    this.asked = 0;
    this.timer = null;
    this.input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.search(), SEARCH_DELAY);
    });
    this.input.addEventListener("keydown", (event) => this.onKeydown(event));
    this.list.addEventListener("click", (event) => {
      const index = this.options.clicked(event);
      if (index !== null) this.choose(index);
    });
  }

  open() {
    if (!this.dialog || this.dialog.open) return;
    this.input.value = "";
    this.dialog.showModal();
    this.input.focus();
    this.search();
  }

  async search() {
    this.asked += 1;
    const asked = this.asked;
    const results = await findResults(this.dialog.dataset.url, this.input.value.trim());
    if (asked !== this.asked) return; // a later search answers instead
    this.results = results;
    this.render();
  }

  render() {
    const data = this.dialog.dataset;
    this.options.show(this.results, (result) => {
      const kind = data[`kind${result.kind.charAt(0).toUpperCase()}${result.kind.slice(1)}`];
      const details = [result.detail, kind].filter(Boolean).join(" · ");
      const unread = result.unread ? fill(data.unreadText, { n: result.unread }) : "";
      return [
        h("span", { class: "wijk-switcher__name" }, result.name),
        h("span", { class: "wijk-switcher__detail" }, [details, unread].filter(Boolean).join(" · ")),
      ];
    });
    this.empty.hidden = this.results.length > 0;
  }

  onKeydown(event) {
    if (this.options.move(event.key)) {
      event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.results.length) this.choose(this.options.active);
    }
  }

  /** The conversation could not be started (the person is no longer there): say so. */
  notFound() {
    this.dialog.showModal();
    this.results = [];
    this.render();
  }

  async choose(index) {
    const result = this.results[index];
    if (!result) return;
    this.dialog.close();
    if (result.url) {
      this.workspace.open(result.url);
      return;
    }
    // a person: the conversation is made (or found) by the server, then opened
    const token = document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
    const body = new FormData();
    body.set("csrfmiddlewaretoken", token);
    try {
      const response = await fetch(result.start, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const room = response.ok ? (await response.json()).url : null;
      if (room) this.workspace.open(room);
      else this.notFound();
    } catch {
      this.notFound();
    }
  }
}
