"""Touch targets in the browser: the controls on a page smaller than a fingertip (44×44 CSS px).

WCAG 2.5.5 (Target Size, AAA) asks 44×44 px for every pointer target, except a link in a
sentence or block of text (the inline exception). Measured here: every visible link, button,
form field, summary and element with a widget role. A checkbox or radio button counts with its
label, which takes the tap as well. Left out: what is not on the screen (closed menus, visually
hidden text such as skip links before they have focus), links and buttons in running text,
that is, whose nearest block holds text of its own beside them, and scrolling regions made
focusable for the keyboard (a wide table's wrapper), which are read, not tapped.
"""

from __future__ import annotations

MINIMUM = 44  # CSS px

_SCRIPT = """
(minimum) => {
  const CONTROLS = [
    "a[href]", "button", "input:not([type=hidden])", "select", "textarea", "summary",
    "[role=button]", "[role=link]", "[role=tab]", "[role=checkbox]", "[role=radio]",
    "[role=switch]", "[role=menuitem]", "[role=option]", "[tabindex]:not([tabindex='-1'])",
  ].join(",");
  const isBlock = (el) => !getComputedStyle(el).display.startsWith("inline");
  const text = (el) => (el.textContent || "").replace(/\\s+/g, " ").trim();
  // A link (or a control in a paragraph) among text of its own block: the inline exception.
  const inRunningText = (el) => {
    if (!(el.matches("a") || el.closest("p"))) return false;
    if (isBlock(el) || getComputedStyle(el).display === "inline-flex") return false;
    let block = el.parentElement;
    while (block && !isBlock(block)) block = block.parentElement;
    if (!block) return false;
    return text(block).length > text(el).length;
  };
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    const classes = Array.from(el.classList).filter((c) => c.startsWith("wijk-")).slice(0, 2);
    if (!classes.length && el.classList.length) classes.push(el.classList[0]);
    name += classes.map((c) => "." + c).join("");
    if (el.getAttribute("type") && el.matches("input, button")) name += `[type=${el.type}]`;
    if (el.getAttribute("name")) name += `[name=${el.getAttribute("name")}]`;
    const label = (el.getAttribute("aria-label") || text(el)).slice(0, 40);
    if (label) name += ` "${label}"`;
    // where it is: the nearest container with a class of the site's own
    const where = el.parentElement?.closest("[class*='wijk-']");
    const place = where ? Array.from(where.classList).find((c) => c.startsWith("wijk-")) : null;
    return place ? `${name} in .${place}` : name;
  };
  const found = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (el.closest("[inert], [aria-hidden=true]")) continue;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: false })) continue;
    let rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue; // visually hidden
    if (inRunningText(el)) continue;
    // a scrolling box made focusable so that the keyboard can scroll it (a wide table's
    // wrapper): a region to read, not a target to tap
    if (el.matches("div[role=region][tabindex='0']")) continue;
    if (el.matches("input[type=checkbox], input[type=radio]")) {
      for (const label of el.labels) {
        const r = label.getBoundingClientRect();
        const left = Math.min(rect.left, r.left), top = Math.min(rect.top, r.top);
        rect = {
          width: Math.max(rect.right, r.right) - left,
          height: Math.max(rect.bottom, r.bottom) - top,
          left, top, right: Math.max(rect.right, r.right), bottom: Math.max(rect.bottom, r.bottom),
        };
      }
    }
    if (rect.width < minimum - 0.01 || rect.height < minimum - 0.01) {
      found.push(`${describe(el)}: ${Math.round(rect.width)}×${Math.round(rect.height)}`);
    }
  }
  return found;
}
"""


def small_targets(page) -> list[str]:
    """The controls on ``page`` smaller than 44×44 px, one readable line each."""
    return list(page.evaluate(_SCRIPT, MINIMUM))
