// Small helpers shared by the page scripts: reading numbers from data attributes and filling
// in the translated strings the templates put there.

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
