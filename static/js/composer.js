// The message box of a live room (chat.js): a draft kept per room and thread for the tab's
// session, and suggestions while typing: @ names a member of the room (or @kanaal, everyone in
// a channel), ~ links a channel. The suggestions are a list box the box controls (ARIA 1.2
// combobox pattern): ↑ and ↓ choose, Enter or Tab takes one, Escape closes.

import { h } from "./dom.js";

const DRAFT_SAVED_AFTER = 300;
const SEARCH_DELAY = 120;
// "@" or "~" at the start or after a space, and what follows it up to the cursor: at most two
// words, so "@Anna Hu" finds Anna Huisarts.
const TOKEN = /(?:^|\s)([@~])([\p{L}\p{N}._'-]*(?: [\p{L}\p{N}._'-]*)?)$/u;

export class ComposerTools {
  constructor(room) {
    this.room = room;
    this.form = room.composer;
    this.box = room.textarea;
    this.list = this.form.querySelector("[data-suggestions]");
    this.key = `wijk:draft:${room.room}:${room.thread ?? 0}`;
    this.suggestions = [];
    this.active = 0;
    this.token = null; // {sigil, start, end}
    this.asked = 0;
    this.searchTimer = null;
    this.draftTimer = null;
  }

  start() {
    const hint = this.form.querySelector("[data-composer-hint]");
    if (hint) this.box.setAttribute("aria-describedby", hint.id);
    if (this.list) {
      this.box.setAttribute("aria-autocomplete", "list");
      this.box.setAttribute("aria-controls", this.list.id);
      this.box.setAttribute("aria-expanded", "false");
      // a click on a suggestion must not take the cursor out of the box first
      this.list.addEventListener("mousedown", (event) => event.preventDefault());
      this.list.addEventListener("click", (event) => {
        const option = event.target.closest("[role=option]");
        if (option) this.take(Number(option.dataset.index));
      });
    }
    this.box.addEventListener("input", () => this.onInput());
    this.box.addEventListener("blur", () => this.close());
    if (!this.box.value) this.box.value = this.draft();
  }

  // ---- drafts -------------------------------------------------------------------------------

  /** The draft of this room, kept for the tab's session only (sessionStorage). */
  draft() {
    try {
      return sessionStorage.getItem(this.key) ?? "";
    } catch {
      return "";
    }
  }

  saveDraft() {
    clearTimeout(this.draftTimer);
    try {
      if (this.box.value.trim()) sessionStorage.setItem(this.key, this.box.value);
      else sessionStorage.removeItem(this.key);
    } catch {
      // storage full or refused: the draft stays in the box only
    }
  }

  clearDraft() {
    clearTimeout(this.draftTimer);
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
    const url = new URL(sigil === "@" ? data.peopleUrl : data.channelsUrl, location.href);
    url.searchParams.set("q", words);
    let found = [];
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) found = (await response.json()).results ?? [];
    } catch {
      found = [];
    }
    if (asked !== this.asked || !this.token) return;
    // ~ links channels only, not conversations or people
    if (sigil === "~") found = found.filter((result) => result.url && result.kind !== "direct");
    this.suggestions = found.map((result) => ({ ...result, sigil }));
    this.active = 0;
    this.render();
  }

  render() {
    if (!this.suggestions.length) {
      this.close();
      return;
    }
    const options = this.suggestions.map((suggestion, index) =>
      h(
        "li",
        {
          class: "wijk-suggestions__option",
          role: "option",
          id: `${this.list.id}-${index}`,
          "aria-selected": String(index === this.active),
          "data-index": index,
        },
        h("span", { class: "wijk-suggestions__name" }, `${suggestion.sigil}${suggestion.name}`),
        suggestion.detail ? h("span", { class: "wijk-muted" }, suggestion.detail) : null,
      ),
    );
    this.list.replaceChildren(...options);
    this.list.hidden = false;
    this.box.setAttribute("aria-expanded", "true");
    this.mark();
  }

  mark() {
    for (const option of this.list.children) {
      option.setAttribute("aria-selected", String(Number(option.dataset.index) === this.active));
    }
    this.box.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
  }

  close() {
    clearTimeout(this.searchTimer);
    this.asked += 1;
    this.token = null;
    this.suggestions = [];
    if (!this.list || this.list.hidden) return;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.box.setAttribute("aria-expanded", "false");
    this.box.removeAttribute("aria-activedescendant");
  }

  /** Keys for the suggestions while they are shown; true when the key was theirs. */
  onKeydown(event) {
    if (!this.suggestions.length || this.list?.hidden) return false;
    const count = this.suggestions.length;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        this.active = (this.active + (event.key === "ArrowDown" ? 1 : -1) + count) % count;
        this.mark();
        break;
      case "Enter":
      case "Tab":
        if (event.shiftKey) return false;
        this.take(this.active);
        break;
      case "Escape":
        this.close();
        break;
      default:
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
