// The direct-message picker: a search over the list of people, which stays a list of check
// boxes (and works as one without this script). Chosen people stay in view while searching;
// Enter in the search box chooses the one person found instead of sending the form.

function plain(text) {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

function start(picker) {
  const field = picker.querySelector("[data-people-search-field]");
  const search = picker.querySelector("[data-people-search]");
  const options = Array.from(picker.querySelectorAll("[data-people-option]"));
  const empty = picker.querySelector("[data-people-empty]");
  if (!field || !search) return;
  field.hidden = false;

  const filter = () => {
    const words = plain(search.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const option of options) {
      const text = plain(option.textContent);
      const checked = option.querySelector("input").checked;
      const match = checked || words.every((word) => text.includes(word));
      option.hidden = !match;
      if (match) shown += 1;
    }
    empty.hidden = shown > 0;
  };
  search.addEventListener("input", filter);
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const found = options.filter(
      (option) => !option.hidden && !option.querySelector("input").checked,
    );
    if (found.length === 1) {
      found[0].querySelector("input").checked = true;
      search.value = "";
      filter();
    }
  });
  filter();
}

for (const picker of document.querySelectorAll("[data-people-picker]")) start(picker);
