// A list box that a text box controls (the quick switcher, the message box's suggestions): its
// options are made from a search's results, one of them is active (aria-selected on it,
// aria-activedescendant on the text box), and ↑ and ↓ move round them.

import { h } from "./dom.js";

/** The results the server finds for `query` at `url` (a JSON `results` list), [] on failure. */
export async function findResults(url, query) {
  const address = new URL(url, location.href);
  address.searchParams.set("q", query);
  try {
    const response = await fetch(address, { credentials: "same-origin" });
    if (response.ok) return (await response.json()).results ?? [];
  } catch {
    // no answer: nothing found
  }
  return [];
}

export class ListBox {
  /** `list` is the element with role listbox (and an id), `input` the text box. */
  constructor(list, input, optionClass) {
    this.list = list;
    this.input = input;
    this.optionClass = optionClass;
    this.active = 0;
    this.count = 0;
  }

  /** One option per item, the first active; `parts(item)` gives an option's children. */
  show(items, parts) {
    this.active = 0;
    this.count = items.length;
    const options = items.map((item, index) =>
      h(
        "li",
        {
          class: this.optionClass,
          role: "option",
          id: `${this.list.id}-${index}`,
          "aria-selected": String(index === 0),
          "data-index": index,
        },
        ...parts(item),
      ),
    );
    this.list.replaceChildren(...options);
    this.mark();
  }

  clear() {
    this.count = 0;
    this.list.replaceChildren();
    this.input.removeAttribute("aria-activedescendant");
  }

  mark() {
    for (const option of this.list.children) {
      const selected = Number(option.dataset.index) === this.active;
      option.setAttribute("aria-selected", String(selected));
      if (selected) option.scrollIntoView({ block: "nearest" });
    }
    if (this.count) this.input.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
    else this.input.removeAttribute("aria-activedescendant");
  }

  /** ↑ and ↓ move the active option round the list; true when the key was one of them. */
  move(key) {
    if (key !== "ArrowDown" && key !== "ArrowUp") return false;
    if (this.count) {
      this.active = (this.active + (key === "ArrowDown" ? 1 : -1) + this.count) % this.count;
      this.mark();
    }
    return true;
  }

  /** The index of the option under a click, or null. */
  clicked(event) {
    const option = event.target.closest("[role=option]");
    return option ? Number(option.dataset.index) : null;
  }
}
