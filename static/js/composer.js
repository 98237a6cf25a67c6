// The message box of a live room (chat.js): a draft kept per channel, conversation and thread
// for the tab's session (not in case rooms); suggestions while typing: @ names a member of the room (or @kanaal, everyone in a
// channel), ~ links a channel (a list box the box controls: a text box with aria-autocomplete
// and aria-activedescendant, as a textarea may not be a combobox; ↑ and ↓ choose, Enter or Tab
// takes one, Escape closes); and files, chosen, dropped or pasted,
// each uploaded at once with its progress and removable until the message goes.

import { fill, h } from "./dom.js";
import { ListBox, findResults } from "./listbox.js";

// The server's limit (core.files.MAX_FILES).
const MAX_FILES = 5;

const DRAFT_SAVED_AFTER = 300;
const SEARCH_DELAY = 120;
// "@" or "~" at the start or after a space, and what follows it up to the cursor: at most two
// words, so "@Anna Hu" finds Anna Huisarts.
const TOKEN = /(?:^|\s)([@~])([\p{L}\p{N}._'-]*(?: [\p{L}\p{N}._'-]*)?)$/u;

/** The tray's button that takes the file `name` back. */
function removeButton(texts, name) {
  const attributes = {
    type: "button",
    class: "utrecht-button utrecht-button--subtle wijk-tray__remove",
    "aria-label": fill(texts.removeText, { name }),
  };
  return h("button", attributes, "×");
}

export class ComposerTools {
  constructor(room) {
    this.room = room;
    this.form = room.composer;
    this.box = room.textarea;
    this.list = this.form.querySelector("[data-suggestions]");
    // Drafts are kept for channels and conversations only: what is written in a case room
    // about a resident stays out of the browser's storage.
    this.key = room.shared ? `wijk:draft:${room.room}:${room.thread ?? 0}` : null;
    this.suggestions = [];
    this.options = this.list ? new ListBox(this.list, this.box, "wijk-suggestions__option") : null;
    this.token = null; // {sigil, start, end}
    this.asked = 0;
    this.searchTimer = null;
    this.draftTimer = null;
    this.tray = this.form.querySelector("[data-tray]");
    this.picker = this.form.querySelector("input[type=file]");
    this.files = []; // {name, size, id, request, item}
  }

  start() {
    const hint = this.form.querySelector("[data-composer-hint]");
    if (hint) this.box.setAttribute("aria-describedby", hint.id);
    if (this.list) {
      this.box.setAttribute("aria-autocomplete", "list");
      this.box.setAttribute("aria-controls", this.list.id);
      // a click on a suggestion must not take the cursor out of the box first
      this.list.addEventListener("mousedown", (event) => event.preventDefault());
      this.list.addEventListener("click", (event) => {
        const index = this.options.clicked(event);
        if (index !== null) this.take(index);
      });
    }
    this.box.addEventListener("input", () => this.onInput());
    this.box.addEventListener("blur", () => this.close());
    if (!this.box.value) this.box.value = this.draft();
    if (this.tray && this.picker && this.form.dataset.uploadUrl) this.startFiles();
    else if (this.tray && this.picker) {
      this.picker.addEventListener("change", () => this.showChosen());
    }
  }

  /**
   * Without an upload address (case rooms, whose files are stored with their message) the
   * chosen file goes with the form when it is sent: the tray names it and can take it back.
   */
  showChosen() {
    const texts = this.tray.dataset;
    const items = Array.from(this.picker.files, (file) => {
      const remove = removeButton(texts, file.name);
      remove.addEventListener("click", () => {
        this.picker.value = "";
        this.showChosen();
        this.box.focus();
      });
      const name = h("span", { class: "wijk-tray__name" }, file.name);
      const state = h("span", { class: "wijk-tray__state" }, texts.chosenText);
      return h("li", { class: "wijk-tray__file" }, name, state, remove);
    });
    this.tray.replaceChildren(...items);
    this.tray.hidden = items.length === 0;
  }

  // ---- files --------------------------------------------------------------------------------

  startFiles() {
    this.picker.addEventListener("change", () => {
      // without a socket the form posts the files itself, as without this script
      if (!this.room.everOpen) return;
      this.add(Array.from(this.picker.files));
      this.picker.value = ""; // the files go up now, not with the form
    });
    this.box.addEventListener("paste", (event) => {
      const files = Array.from(event.clipboardData?.files ?? []);
      if (!files.length) return;
      event.preventDefault();
      this.add(files);
    });
    const room = this.room.root;
    room.addEventListener("dragover", (event) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      this.form.classList.add("wijk-composer--drop");
      this.form.dataset.dropText = this.tray.dataset.dropText;
    });
    room.addEventListener("dragleave", (event) => {
      if (!room.contains(event.relatedTarget)) this.form.classList.remove("wijk-composer--drop");
    });
    room.addEventListener("drop", (event) => {
      if (!event.dataTransfer?.files.length) return;
      event.preventDefault();
      this.form.classList.remove("wijk-composer--drop");
      this.add(Array.from(event.dataTransfer.files));
      this.box.focus();
    });
  }

  add(files) {
    if (!this.room.everOpen) return;
    const texts = this.tray.dataset;
    for (const file of files) {
      if (this.files.length >= MAX_FILES) {
        this.room.showStatus(fill(texts.tooManyText, { n: MAX_FILES }), "error");
        break;
      }
      this.upload(file);
    }
  }

  /** Uploads one file (XMLHttpRequest: fetch reports no upload progress) and lists it. */
  upload(file) {
    const texts = this.tray.dataset;
    const progress = h("progress", { max: 100, value: 0, "aria-label": file.name });
    const state = h("span", { class: "wijk-tray__state" }, texts.uploadingText);
    const remove = removeButton(texts, file.name);
    const item = h(
      "li",
      { class: "wijk-tray__file" },
      h("span", { class: "wijk-tray__name" }, file.name),
      progress,
      state,
      remove,
    );
    const entry = { name: file.name, id: null, request: new XMLHttpRequest(), item };
    remove.addEventListener("click", () => this.remove(entry));
    this.files.push(entry);
    this.tray.append(item);
    this.tray.hidden = false;

    const request = entry.request;
    request.open("POST", this.form.dataset.uploadUrl);
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", () => {
      if (request.status === 201 && request.response?.id) {
        entry.id = request.response.id;
        entry.url = request.response.url;
        progress.value = 100;
        state.textContent = texts.readyText;
        item.classList.add("wijk-tray__file--ready");
      } else {
        // nginx answers a request over its size limit itself, with a page rather than a reason
        const reason = request.status === 413 ? texts.tooLargeText : texts.failedText;
        this.failed(entry, request.response?.error ?? reason);
      }
    });
    request.addEventListener("error", () => this.failed(entry, texts.failedText));
    const body = new FormData();
    body.set("file", file);
    body.set("csrfmiddlewaretoken", this.form.querySelector("[name=csrfmiddlewaretoken]").value);
    request.send(body);
  }

  failed(entry, reason) {
    entry.failed = true;
    entry.item.classList.add("wijk-tray__file--failed");
    entry.item.querySelector("progress")?.remove();
    entry.item.querySelector(".wijk-tray__state").textContent = reason;
  }

  remove(entry) {
    entry.request.abort();
    if (entry.url) {
      // the server deletes a file that is taken back; one left over is purged later
      const token = this.form.querySelector("[name=csrfmiddlewaretoken]").value;
      fetch(entry.url, {
        method: "DELETE",
        headers: { "X-CSRFToken": token },
        credentials: "same-origin",
      }).catch(() => {});
    }
    entry.item.remove();
    this.files = this.files.filter((other) => other !== entry);
    this.tray.hidden = this.files.length === 0;
    this.box.focus();
  }

  /**
   * The ids of the uploaded files for the message being sent, or null while one is still on
   * its way (the message waits; the reader is told).
   */
  attachments() {
    const live = this.files.filter((entry) => !entry.failed);
    if (live.some((entry) => entry.id === null)) {
      this.room.showStatus(this.tray?.dataset.waitText, "error");
      return null;
    }
    return live.map((entry) => entry.id);
  }

  /** The message takes its files along: the tray starts empty. */
  takeFiles() {
    const taken = this.files.filter((entry) => !entry.failed);
    for (const entry of this.files) entry.item.remove();
    this.files = [];
    if (this.tray) this.tray.hidden = true;
    return taken;
  }

  /** A message that was not stored gives its files back, still uploaded, to send again. */
  restoreFiles(entries) {
    for (const entry of entries ?? []) {
      this.files.push(entry);
      this.tray.append(entry.item);
    }
    if (this.tray) this.tray.hidden = this.files.length === 0;
  }

  // ---- drafts -------------------------------------------------------------------------------

  /** The draft of this room, kept for the tab's session only (sessionStorage). */
  draft() {
    if (!this.key) return "";
    try {
      return sessionStorage.getItem(this.key) ?? "";
    } catch {
      return "";
    }
  }

  saveDraft() {
    clearTimeout(this.draftTimer);
    if (!this.key) return;
    try {
      if (this.box.value.trim()) sessionStorage.setItem(this.key, this.box.value);
      else sessionStorage.removeItem(this.key);
    } catch {
      // storage full or refused: the draft stays in the box only
    }
  }

  clearDraft() {
    clearTimeout(this.draftTimer);
    if (!this.key) return;
    try {
      sessionStorage.removeItem(this.key);
    } catch {
      // nothing was stored
    }
  }

  // ---- suggestions --------------------------------------------------------------------------

  onInput() {
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.saveDraft(), DRAFT_SAVED_AFTER);
    if (!this.list) return;
    const before = this.box.value.slice(0, this.box.selectionStart);
    const match = TOKEN.exec(before);
    if (!match) {
      this.close();
      return;
    }
    const [, sigil, words] = match;
    this.token = { sigil, start: before.length - words.length - 1, end: before.length };
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.search(sigil, words), SEARCH_DELAY);
  }

  async search(sigil, words) {
    this.asked += 1;
    const asked = this.asked;
    const data = this.form.dataset;
    let found = await findResults(sigil === "@" ? data.peopleUrl : data.channelsUrl, words);
    if (asked !== this.asked || !this.token) return;
    // ~ links channels only, not conversations or people
    if (sigil === "~") found = found.filter((result) => result.url && result.kind !== "direct");
    this.suggestions = found.map((result) => ({ ...result, sigil }));
    this.render();
  }

  render() {
    if (!this.suggestions.length) {
      this.close();
      return;
    }
    this.options.show(this.suggestions, (suggestion) => [
      h("span", { class: "wijk-suggestions__name" }, `${suggestion.sigil}${suggestion.name}`),
      suggestion.detail ? h("span", { class: "wijk-muted" }, suggestion.detail) : null,
    ]);
    this.list.hidden = false;
  }

  close() {
    clearTimeout(this.searchTimer);
    this.asked += 1;
    this.token = null;
    this.suggestions = [];
    if (!this.list || this.list.hidden) return;
    this.list.hidden = true;
    this.options.clear();
  }

  /** Keys for the suggestions while they are shown; true when the key was theirs. */
  onKeydown(event) {
    if (!this.suggestions.length || this.list?.hidden) return false;
    if (this.options.move(event.key)) {
      event.preventDefault();
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      this.take(this.options.active);
    } else if (event.key === "Escape") {
      this.close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  /** Puts the suggestion in place of what was typed after @ or ~. */
  take(index) {
    const suggestion = this.suggestions[index];
    const token = this.token;
    if (!suggestion || !token) return;
    const text =
      suggestion.sigil === "@"
        ? `@${suggestion.name} `
        : `[~${suggestion.name}](${new URL(suggestion.url, location.href).pathname}) `;
    const value = this.box.value;
    this.box.value = value.slice(0, token.start) + text + value.slice(token.end);
    const caret = token.start + text.length;
    this.box.setSelectionRange(caret, caret);
    this.close();
    this.box.focus();
    this.saveDraft();
  }
}
