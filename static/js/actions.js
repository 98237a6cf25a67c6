// What a reader does with a message in a live room (chat.js): the toolbar's "more" menus, the
// reaction picker, edit in place, delete with a confirmation and a few seconds to undo, copy a
// message's link, and on touch screens a tap that shows a message's toolbar.
//
// Everything here improves what the row's links and buttons already do without JavaScript (they
// post the page's #message-actions form or open a page), and every string comes from the page
// (includes/room_tools.html), where it is translated.

import { h } from "./dom.js";

// How long a deletion can be undone before it is sent.
const UNDO_FOR = 5_000;
const TOAST_SHOWN = 4_000;
// Where the toolbar is not shown on hover (chat.css): a tap on a message shows it.
const TAP_TO_SHOW = "(hover: none), (max-width: 40rem)";
// The picker is a sheet at the bottom of small screens (chat.css) and a popover elsewhere.
const SHEET = "(max-width: 40rem)";
const INTERACTIVE = "a, button, summary, input, textarea, select, label, details, video, audio";

/** Lower case without accents, so "reactie" finds "réactie" and "Dank" finds "dank". */
function plain(text) {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

export class MessageActions {
  /** `room` is the LiveRoom (chat.js): its socket, its list and its message box. */
  constructor(room) {
    this.room = room;
    this.root = room.root;
    this.picker = this.root.querySelector("[data-emoji-picker]");
    this.search = this.picker?.querySelector("[data-picker-search]") ?? null;
    this.confirm = this.root.querySelector("dialog[data-confirm-delete]");
    this.toast = this.root.querySelector("[data-toast]");
    this.editTemplate = this.root.querySelector("template[data-edit-form]");
    // the thread panel's own form has another id (chat.js points its rows' buttons at it)
    this.actionForm = this.root.querySelector(`#${room.actionFormId}`);
    this.picking = null; // {id, trigger}
    this.editing = new Map(); // message id -> {form, ref, returnTo}
    this.deleting = null; // {id, li, action, timer}
    this.toastTimer = null;
  }

  /** `outside` holds the signal that ends the listeners outside the room with the room. */
  start(outside) {
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.root.addEventListener("keydown", (event) => this.onKeydown(event));
    // `toggle` does not bubble: listen while it goes down
    this.root.addEventListener("toggle", (event) => this.onToggle(event), true);
    document.addEventListener("click", (event) => this.onDocumentClick(event), outside);
    // a deletion waiting for its undo time goes out when the page goes
    window.addEventListener("pagehide", () => this.commitDelete(true), outside);
    if (this.picker) {
      this.search.addEventListener("input", () => this.filterPicker());
      this.picker.addEventListener("keydown", (event) => this.onPickerKeydown(event));
      this.picker.addEventListener("focusout", (event) => {
        if (!this.picker.contains(event.relatedTarget)) this.closePicker(false);
      });
      this.picker.addEventListener("click", (event) => {
        const button = event.target.closest("[data-emoji]");
        if (button) this.pick(button.dataset.emoji);
      });
    }
  }

  // ---- events -------------------------------------------------------------------------------

  onClick(event) {
    const target = event.target;
    const trigger = target.closest("[data-react-picker]");
    if (trigger) {
      this.openPicker(trigger);
      return;
    }
    const edit = target.closest("[data-edit]");
    if (edit && this.room.isOpen()) {
      event.preventDefault();
      this.startEdit(edit.closest("li[data-id]"), edit);
      return;
    }
    const copy = target.closest("[data-copy-link]");
    if (copy && navigator.clipboard) {
      event.preventDefault();
      this.copyLink(copy);
      return;
    }
    if (target.closest("[data-edit-cancel]")) {
      this.cancelEdit(target.closest("li[data-id]"));
      return;
    }
    // A menu closes when one of its items is chosen.
    const item = target.closest(".wijk-menu__item");
    if (item) item.closest("details").open = false;
    this.onTap(event);
  }

  /** On touch screens a tap on a message shows its toolbar (and hides the one shown before). */
  onTap(event) {
    if (!window.matchMedia(TAP_TO_SHOW).matches) return;
    const li = event.target.closest("li.wijk-message[data-id]");
    if (!li || event.target.closest(INTERACTIVE)) return;
    const active = !li.classList.contains("wijk-message--active");
    for (const other of this.root.querySelectorAll(".wijk-message--active")) {
      other.classList.remove("wijk-message--active");
    }
    li.classList.toggle("wijk-message--active", active);
    // the toolbar of the newest message opens below the list's visible end
    if (active) li.querySelector(".wijk-message__actions")?.scrollIntoView({ block: "nearest" });
  }

  onKeydown(event) {
    if (event.key !== "Escape") return;
    const menu = event.target.closest("details[data-menu][open]");
    if (menu) {
      event.preventDefault();
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  }

  /** One menu open at a time; it opens upwards where the list has no room below it. */
  onToggle(event) {
    const menu = event.target;
    if (!menu.matches?.("details[data-menu]") || !menu.open) return;
    for (const other of this.root.querySelectorAll("details[data-menu][open]")) {
      if (other !== menu) other.open = false;
    }
    const items = menu.querySelector(".wijk-menu__items");
    if (!items) return;
    menu.classList.remove("wijk-menu--up");
    const list = this.room.list.getBoundingClientRect();
    const below = items.getBoundingClientRect();
    const bottom = Math.min(list.bottom, window.innerHeight);
    if (below.bottom > bottom && menu.getBoundingClientRect().top - below.height > list.top) {
      menu.classList.add("wijk-menu--up");
    }
    items.scrollIntoView({ block: "nearest" });
  }

  /** A click elsewhere closes open menus and the picker. */
  onDocumentClick(event) {
    for (const menu of this.root.querySelectorAll("details[data-menu][open]")) {
      if (!menu.contains(event.target)) menu.open = false;
    }
    if (
      this.picking &&
      !this.picker.contains(event.target) &&
      !event.target.closest("[data-react-picker]")
    ) {
      this.closePicker(false);
    }
  }

  // ---- notices ------------------------------------------------------------------------------

  /** A short notice at the bottom of the screen, read out politely, with an optional button. */
  notify(text, button = null, shownFor = TOAST_SHOWN) {
    if (!this.toast) return;
    clearTimeout(this.toastTimer);
    this.toast.replaceChildren();
    if (!text) return;
    this.toast.append(h("div", { class: "wijk-toast" }, h("span", {}, text), button));
    if (shownFor) this.toastTimer = setTimeout(() => this.toast.replaceChildren(), shownFor);
  }

  async copyLink(link) {
    link.closest("details")?.removeAttribute("open");
    const data = this.toast?.dataset ?? {};
    try {
      await navigator.clipboard.writeText(new URL(link.getAttribute("href"), location.href).href);
      this.notify(data.copiedText);
    } catch {
      this.notify(data.copyFailedText);
    }
  }

  // ---- reactions ----------------------------------------------------------------------------

  openPicker(trigger) {
    if (!this.picker) return;
    const li = trigger.closest("li[data-id]");
    if (this.picking?.trigger === trigger) {
      this.closePicker();
      return;
    }
    this.closePicker(false);
    this.picking = { id: Number(li.dataset.id), trigger };
    trigger.setAttribute("aria-expanded", "true");
    this.search.value = "";
    this.filterPicker();
    this.picker.hidden = false;
    this.placePicker(trigger);
    // on a phone the keyboard would cover the sheet: the cursor goes to the first emoji there
    if (window.matchMedia(SHEET).matches) this.visibleEmoji()[0]?.focus();
    else this.search.focus();
  }

  /** Under the button (above it when there is no room below), inside the window. */
  placePicker(trigger) {
    const style = this.picker.style;
    if (window.matchMedia(SHEET).matches) {
      style.top = "";
      style.left = "";
      return;
    }
    const at = trigger.getBoundingClientRect();
    const size = this.picker.getBoundingClientRect();
    const gap = 4;
    let top = at.bottom + gap;
    if (top + size.height > window.innerHeight - gap) top = Math.max(gap, at.top - size.height - gap);
    const left = Math.min(
      Math.max(gap, at.right - size.width),
      window.innerWidth - size.width - gap,
    );
    style.top = `${top}px`;
    style.left = `${left}px`;
  }

  closePicker(returnFocus = true) {
    if (!this.picking) return;
    const { id, trigger } = this.picking;
    this.picking = null;
    this.picker.hidden = true;
    trigger.setAttribute("aria-expanded", "false");
    if (!returnFocus) return;
    // the row may have been replaced meanwhile (a reaction arrived): its button then
    const current = trigger.isConnected
      ? trigger
      : this.room.findMessage(id)?.querySelector("[data-react-picker]");
    current?.focus();
  }

  visibleEmoji() {
    return Array.from(this.picker.querySelectorAll("[data-emoji]:not([hidden])"));
  }

  filterPicker() {
    const query = plain(this.search.value.trim());
    let shown = 0;
    for (const button of this.picker.querySelectorAll("[data-emoji]")) {
      const match = !query || plain(button.dataset.words).includes(query);
      button.hidden = !match;
      if (match) shown += 1;
    }
    this.picker.querySelector("[data-picker-empty]").hidden = shown > 0;
  }

  /** Enter picks the first match; the arrow keys move through the grid; Escape closes. */
  onPickerKeydown(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.closePicker();
      return;
    }
    const buttons = this.visibleEmoji();
    if (event.target === this.search) {
      if (event.key === "Enter" && buttons.length) {
        event.preventDefault();
        this.pick(buttons[0].dataset.emoji);
      } else if (event.key === "ArrowDown" && buttons.length) {
        event.preventDefault();
        buttons[0].focus();
      }
      return;
    }
    const index = buttons.indexOf(event.target);
    if (index < 0) return;
    const columns = buttons.filter((button) => button.offsetTop === buttons[0].offsetTop).length;
    const moves = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      ArrowDown: index + columns,
      ArrowUp: index - columns,
      Home: 0,
      End: buttons.length - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = moves[event.key];
    if (next < 0) this.search.focus();
    else buttons[Math.min(next, buttons.length - 1)].focus();
  }

  pick(emoji) {
    const id = this.picking?.id;
    this.closePicker();
    if (id) this.react(id, emoji);
  }

  react(id, emoji) {
    if (this.room.isOpen()) {
      this.room.send({ type: "react", id, emoji, ref: this.room.nextRef("react") });
      return;
    }
    // no socket: the page's form posts, as the row's 👍 does without JavaScript
    const quick = this.room.findMessage(id)?.querySelector("button[name=emoji]");
    if (!quick || !this.actionForm) return;
    this.actionForm.action = quick.getAttribute("formaction");
    this.actionForm.append(h("input", { type: "hidden", name: "emoji", value: emoji }));
    this.actionForm.submit();
  }

  // ---- delete, with a confirmation and undo -------------------------------------------------

  /** Asks first; true when the question is on the screen (the form must not post). */
  askDelete(button) {
    if (!this.confirm?.showModal) return false;
    const li = button.closest("li[data-id]");
    const action = button.getAttribute("formaction");
    button.closest("details")?.removeAttribute("open");
    this.confirm.returnValue = "";
    this.confirm.addEventListener(
      "close",
      () => {
        if (this.confirm.returnValue === "delete") this.deleteLater(li, action);
        else this.focusMessage(Number(li.dataset.id));
      },
      { once: true },
    );
    this.confirm.showModal();
    return true;
  }

  /** The message goes from the list at once and is deleted when the undo time is over. */
  deleteLater(li, action) {
    this.commitDelete();
    const id = Number(li.dataset.id);
    const current = this.room.findMessage(id) ?? li;
    current.hidden = true;
    this.deleting = { id, li: current, action, timer: setTimeout(() => this.commitDelete(), UNDO_FOR) };
    const data = this.toast?.dataset ?? {};
    const undo = h(
      "button",
      { type: "button", class: "utrecht-button utrecht-button--subtle wijk-toast__action" },
      data.undoText ?? "",
    );
    undo.addEventListener("click", () => this.undoDelete());
    this.notify(data.deletedText, undo, UNDO_FOR);
    this.room.textarea?.focus({ preventScroll: true });
  }

  undoDelete() {
    const deleting = this.deleting;
    if (!deleting) return;
    clearTimeout(deleting.timer);
    this.deleting = null;
    (this.room.findMessage(deleting.id) ?? deleting.li).hidden = false;
    this.notify(this.toast?.dataset.restoredText);
    this.focusMessage(deleting.id);
  }

  /** Sends a deletion now: after its undo time, before another, or when the page goes. */
  commitDelete(leaving = false) {
    const deleting = this.deleting;
    if (!deleting) return;
    clearTimeout(deleting.timer);
    this.deleting = null;
    if (!leaving) this.notify("");
    if (!leaving && this.room.isOpen()) {
      this.room.send({ type: "delete", id: deleting.id, ref: this.room.nextRef("delete") });
      return;
    }
    // the page is going: a beacon, which outlives the page and, unlike a fetch, is not handed
    // to the service worker, which may not get to it before the page is gone
    if (leaving && navigator.sendBeacon?.(deleting.action, new FormData(this.actionForm))) return;
    // the socket is down: the form's own request
    fetch(deleting.action, {
      method: "POST",
      body: new FormData(this.actionForm),
      credentials: "same-origin",
      keepalive: true,
    }).catch(() => (deleting.li.hidden = false));
  }

  focusMessage(id) {
    this.room.findMessage(id)?.querySelector(".wijk-message__time")?.focus();
  }

  // ---- edit in place ------------------------------------------------------------------------

  /** ArrowUp in an empty message box edits the reader's last message, as in Slack. */
  editLast() {
    const mine = this.room.list.querySelectorAll(
      "li[data-id][data-mine]:not(.wijk-message--deleted):not([hidden])",
    );
    const li = mine[mine.length - 1];
    if (!li?.querySelector("[data-edit]")) return false;
    this.startEdit(li, this.room.textarea);
    return true;
  }

  async startEdit(li, returnTo) {
    const id = Number(li.dataset.id);
    const open = this.editing.get(id);
    if (open) {
      open.form.querySelector("textarea").focus();
      return;
    }
    const entry = { form: null, ref: null, returnTo };
    this.editing.set(id, entry);
    let body = null;
    try {
      const response = await fetch(li.querySelector("[data-edit]").href, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) body = (await response.json()).body;
    } catch {
      body = null;
    }
    const current = this.room.findMessage(id);
    if (this.editing.get(id) !== entry || !current) return;
    if (typeof body !== "string") {
      this.editing.delete(id);
      this.notify(this.editTemplate.content.querySelector("[data-edit-error]").dataset.unavailableText);
      return;
    }
    entry.form = this.editTemplate.content.querySelector("form").cloneNode(true);
    const box = entry.form.querySelector("textarea");
    box.value = body;
    box.addEventListener("keydown", (event) => this.onEditKeydown(event, id));
    entry.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveEdit(id);
    });
    this.place(current, entry.form);
    current.scrollIntoView({ block: "nearest" });
    box.focus();
    box.setSelectionRange(body.length, body.length);
  }

  /** Puts the edit form in a row in place of the message's text. */
  place(li, form) {
    li.classList.add("wijk-message--editing");
    const text = li.querySelector(".wijk-message__body");
    text.hidden = true;
    text.after(form);
  }

  onEditKeydown(event, id) {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.cancelEdit(this.room.findMessage(id));
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.saveEdit(id);
    }
  }

  saveEdit(id) {
    const entry = this.editing.get(id);
    if (!entry?.form || entry.ref) return;
    const body = entry.form.querySelector("textarea").value;
    const error = entry.form.querySelector("[data-edit-error]");
    if (!body.trim()) {
      error.textContent = error.dataset.emptyText;
      return;
    }
    error.textContent = "";
    if (!this.room.isOpen()) {
      // no socket: the edit page's own form posts
      const li = this.room.findMessage(id);
      const form = h("form", { method: "post", action: li.querySelector("[data-edit]").href, hidden: true });
      form.append(this.actionForm.querySelector("[name=csrfmiddlewaretoken]").cloneNode());
      form.append(h("textarea", { name: "body" }, body));
      document.body.append(form);
      form.submit();
      return;
    }
    entry.ref = this.room.nextRef("edit");
    entry.form.setAttribute("aria-busy", "true");
    this.room.send({ type: "edit", id, body, ref: entry.ref });
  }

  cancelEdit(li) {
    if (li) this.finishEdit(Number(li.dataset.id));
  }

  /** Takes the form away and gives the cursor back to where editing started. */
  finishEdit(id) {
    const entry = this.editing.get(id);
    if (!entry) return;
    this.editing.delete(id);
    const li = this.room.findMessage(id);
    entry.form?.remove();
    if (li) {
      li.classList.remove("wijk-message--editing");
      const text = li.querySelector(".wijk-message__body");
      if (text) text.hidden = false;
    }
    const back = entry.returnTo?.isConnected ? entry.returnTo : li?.querySelector("[data-edit]");
    (back ?? this.room.textarea)?.focus();
  }

  /** The server stored the edit (its row arrives as message.updated): editing is over. */
  onAck(frame) {
    for (const [id, entry] of this.editing) {
      if (entry.ref && entry.ref === frame.ref) this.finishEdit(id);
    }
  }

  /** Nothing was stored: the form stays with its text and says why. */
  onError(frame) {
    for (const entry of this.editing.values()) {
      if (entry.ref && entry.ref === frame.ref) {
        entry.ref = null;
        entry.form.removeAttribute("aria-busy");
        entry.form.querySelector("[data-edit-error]").textContent = frame.message ?? "";
        return true;
      }
    }
    return false;
  }

  /**
   * A message's row was replaced by a newer one (an edit, a reaction, a deletion): what the
   * reader was doing with it carries over. `focused` had the focus before the old row went;
   * returns the element to give it back to, if any.
   */
  carryOver(old, li, focused) {
    const id = Number(li.dataset.id);
    if (this.deleting?.id === id) {
      li.hidden = true;
      this.deleting.li = li;
    }
    if (old.classList.contains("wijk-message--active")) li.classList.add("wijk-message--active");
    const entry = this.editing.get(id);
    if (!entry?.form) return null;
    if (li.classList.contains("wijk-message--deleted")) {
      this.finishEdit(id);
      return null;
    }
    const box = entry.form.querySelector("textarea");
    const { selectionStart, selectionEnd } = box;
    this.place(li, entry.form);
    if (focused !== box) return null;
    box.setSelectionRange(selectionStart, selectionEnd);
    return box;
  }
}
