"""Pictures of pages of the quarterly report (PDF), for docs/screenshots/.

Renders the PDF as `manage.py compute_insights --report` writes it, or takes one given, and
draws the pages asked for as PNG with pypdfium2 (only this script needs it, the platform does
not: `.venv/bin/pip install pypdfium2`). With the demo data loaded (`seed_demo`, then
`compute_insights`):

    .venv/bin/python scripts/report_pages.py --quarter 2026Q3 --out docs/screenshots \
        --page 1:report-page-1 --section activity:report-activity --section reach:report-reach
    .venv/bin/python scripts/report_pages.py --pdf report.pdf --page 2:activity --out /tmp

A page is given by its number (1 is the title page) or by its section's anchor (activity,
collaboration, reach, pulse, case-rooms, targets, note): the page where that section begins.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE = 2  # 144 dpi: sharp on a screen, small enough for the repository


def render_report(quarter: str) -> bytes:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.utils import translation

    from insights.pdf import build_report, render_pdf
    from insights.quarters import Quarter

    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf(build_report(Quarter.parse(quarter)))


def section_pages(data: bytes) -> dict[str, int]:
    """Each section's anchor → the index of the page it begins on (from the PDF's links)."""
    from pypdf import PdfReader
    from pypdf.generic import Destination

    reader = PdfReader(__import__("io").BytesIO(data))
    found = {}
    for name, destination in reader.named_destinations.items():
        if isinstance(destination, Destination):
            found[name] = reader.get_destination_page_number(destination)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--quarter", help="render this quarter's report (2026Q3)")
    source.add_argument("--pdf", type=Path, help="a report already written")
    parser.add_argument("--out", type=Path, required=True, help="directory for the PNG files")
    parser.add_argument(
        "--page", action="append", default=[], metavar="N:NAME", help="page N as NAME.png"
    )
    parser.add_argument(
        "--section",
        action="append",
        default=[],
        metavar="ANCHOR:NAME",
        help="the first page of a section as NAME.png",
    )
    options = parser.parse_args()

    import pypdfium2

    data = options.pdf.read_bytes() if options.pdf else render_report(options.quarter)
    wanted = [(int(n) - 1, name) for n, name in (p.split(":", 1) for p in options.page)]
    if options.section:
        starts = section_pages(data)
        for anchor, name in (s.split(":", 1) for s in options.section):
            if anchor not in starts:
                parser.error(f"no section {anchor!r}; there are: {', '.join(sorted(starts))}")
            wanted.append((starts[anchor], name))
    document = pypdfium2.PdfDocument(data)
    options.out.mkdir(parents=True, exist_ok=True)
    for index, name in wanted:
        image = document[index].render(scale=SCALE).to_pil()
        path = options.out / f"{name}.png"
        image.save(path, optimize=True)
        print(f"page {index + 1} → {path}")


if __name__ == "__main__":
    main()
