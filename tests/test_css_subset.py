"""The pages load static/vendor/utrecht/components.css, the rules of the NL Design System
components they use, written by scripts/css_subset.py from the vendored library; a component
used without running the script again (``make css``) would be unstyled."""

from __future__ import annotations

from pathlib import Path

from scripts import css_subset

LIBRARY = css_subset.LIBRARY.read_text(encoding="utf-8")

#: ``utrecht-…`` classes the templates name that the library has no rule for: modifiers that
#: follow Utrecht's markup (site.css styles the numeric cells); anything else is a typo
UNSTYLED = {
    "utrecht-form-field--text",
    "utrecht-form-field--textarea",
    "utrecht-table__cell--numeric",
    "utrecht-table__header-cell--numeric",
}


def test_the_stylesheet_is_what_the_script_writes_from_the_templates_and_scripts():
    assert css_subset.SUBSET.read_text(encoding="utf-8") == css_subset.build(), (
        "static/vendor/utrecht/components.css is out of date: run make css"
    )


def test_every_utrecht_class_the_pages_use_has_its_rules_in_the_stylesheet():
    used = css_subset.used_classes()
    assert "utrecht-pagination__page-link--current" in used
    assert "utrecht-heading-" in used  # channels_app/includes/info.html: heading-{{ level }}
    subset = css_subset.SUBSET.read_text(encoding="utf-8")
    assert css_subset.missing(used, subset, LIBRARY) == []
    assert {f"utrecht-heading-{level}" for level in range(1, 7)} <= css_subset.library_classes(
        subset
    )


def test_the_pages_name_no_utrecht_class_the_library_does_not_have():
    library = css_subset.library_classes(LIBRARY)
    named = {name for name in css_subset.used_classes() if not name.endswith(("-", "_"))}
    assert sorted(named - library - UNSTYLED) == []


def test_a_component_new_to_the_templates_is_missing_until_the_script_runs(tmp_path: Path):
    template = tmp_path / "templates" / "new.html"
    template.parent.mkdir()
    template.write_text(
        '<nav class="utrecht-breadcrumb-nav"><a class="utrecht-breadcrumb-nav__link" href="/">'
        "Home</a></nav>"
    )
    used = css_subset.used_classes(tmp_path)
    assert used == {"utrecht-breadcrumb-nav", "utrecht-breadcrumb-nav__link"}
    current = css_subset.SUBSET.read_text(encoding="utf-8")
    assert css_subset.missing(used, current, LIBRARY) == [
        "utrecht-breadcrumb-nav",
        "utrecht-breadcrumb-nav__link",
    ]
    rewritten = css_subset.subset(LIBRARY, used)
    assert css_subset.missing(used, rewritten, LIBRARY) == []
    # and nothing of the components it does not use
    assert ".utrecht-button" not in rewritten
    assert ".utrecht-breadcrumb-nav__link" in rewritten


def test_a_selector_is_kept_only_when_every_component_it_needs_is_used():
    library = """
    .utrecht-a, .utrecht-b { color: red; }
    .utrecht-a .utrecht-b { color: blue; }
    .utrecht-a:not(.utrecht-b) { color: green; }
    :where(.utrecht-b) .utrecht-a__x--y { color: gray; }
    :where(.utrecht-b) :focus-visible { outline: 0; }
    @media (forced-colors: active) { .utrecht-a { border: 1px solid; } .utrecht-b { border: 0; } }
    @media print { .utrecht-b { display: none; } }
    @keyframes utrecht-a-fade { from { opacity: 0; } }
    @keyframes utrecht-b-fade { from { opacity: 0; } }
    .utrecht-a--fading { animation: utrecht-a-fade 1s; }
    """
    kept = css_subset.subset(library, {"utrecht-a"})
    assert ".utrecht-a {" in kept  # from the list, without its unused neighbour
    assert ".utrecht-a .utrecht-b" not in kept
    assert ".utrecht-a:not(.utrecht-b)" in kept
    assert ":where(.utrecht-b) .utrecht-a__x--y" in kept
    assert ":focus-visible" not in kept
    assert "@media (forced-colors: active) {\n.utrecht-a { border: 1px solid; }\n}" in kept
    assert "@media print" not in kept
    assert "@keyframes utrecht-a-fade" in kept
    assert "utrecht-b-fade" not in kept
