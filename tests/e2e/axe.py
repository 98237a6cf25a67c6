"""axe-core in the browser: the WCAG 2.1 AA problems on a page that a user would hit hardest."""

from __future__ import annotations

AXE = "/static/vendor/axe-core/axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:
    """Serious and critical WCAG 2.1 AA violations on ``page``, one readable line each."""
    page.add_script_tag(url=AXE)
    # A control fading in (the message toolbar under the pointer) has a colour between its two
    # states; axe must see what the user sees once it has settled.
    page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter(a => a.effect.getComputedTiming().endTime !== Infinity)
            .map(a => a.finished.catch(() => null)))"""
    )
    result = page.evaluate(
        """async (rules) => (await axe.run(document, {runOnly: rules})).violations
            .filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.help} at `
                 + v.nodes.map(n => n.target.join(' ')).join(', '))""",
        RULES,
    )
    return list(result)
