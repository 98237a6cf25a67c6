// Small helpers shared by the page scripts: reading numbers from data attributes, filling in
// the translated strings the templates put there, making URLs, elements, client ids and times.

/** Substitutes Python-style `%(name)s` placeholders, as in the translated strings. */
export function fill(template, values) {
  return (template ?? "").replace(/%\((\w+)\)s/g, (match, key) =>
    key in values ? String(values[key]) : match,
  );
}

/** The whole number in `element.dataset[name]`, or null. */
export function intData(element, name) {
  const value = Number.parseInt(element?.dataset[name] ?? "", 10);
  return Number.isNaN(value) ? null : value;
}

/**
 * Puts an id (and an action) into a URL the server reversed with 0 in their place, such as
 * /channels/5/m/0/ or /channels/5/messages/0/react/.
 */
export function urlFor(template, id, action) {
  if (!template) return null;
  return template.replace(/\/0\/(?:[\w-]+\/)?$/, action ? `/${id}/${action}/` : `/${id}/`);
}

/** Creates an element with attributes and children (strings become text, never HTML). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

/** A version 4 UUID; crypto.randomUUID only exists in secure contexts. */
export function newClientId() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  const part = (start, end) => hex.slice(start, end);
  return `${part(0, 8)}-${part(8, 12)}-${part(12, 16)}-${part(16, 20)}-${part(20)}`;
}

const formats = new Map();

/** An Intl.DateTimeFormat in the page's language and the site's time zone (the `<html>`
 * element's data-time-zone), made once per set of options. */
export function siteFormat(options) {
  const lang = document.documentElement.lang || undefined;
  const timeZone = document.documentElement.dataset.timeZone || undefined;
  const key = `${lang} ${timeZone} ${JSON.stringify(options)}`;
  if (!formats.has(key)) {
    let format;
    try {
      format = new Intl.DateTimeFormat(lang, { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(lang, options); // a zone this browser does not know
    }
    formats.set(key, format);
  }
  return formats.get(key);
}

const MOMENT = { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

/**
 * "5 mrt., 14:07": day, month and 24-hour time in the site's time zone, as the server writes
 * them with Django's "j N, H:i" (the month's abbreviation from the `<html>` element's
 * data-months, which the server fills); "" for an invalid date.
 */
export function shortMoment(moment) {
  if (Number.isNaN(moment.getTime())) return "";
  const part = Object.fromEntries(
    siteFormat(MOMENT)
      .formatToParts(moment)
      .map((p) => [p.type, p.value]),
  );
  const months = (document.documentElement.dataset.months ?? "").split(",");
  const month = months[Number(part.month) - 1] ?? part.month;
  return `${part.day} ${month}, ${part.hour}:${part.minute}`;
}
