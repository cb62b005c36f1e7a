"""Every picture the docs show exists in the repository (the field app's page once pointed at
screenshots that were never committed). scripts/docs-screenshots refreshes them from the
browser tests' output."""

import re

from tests.stack import ROOT


def test_every_image_the_docs_show_is_in_the_repository():
    missing, shown = [], 0
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8")):
            shown += 1
            if not (doc.parent / target).resolve().is_file():
                missing.append(f"{doc.relative_to(ROOT)}: {target}")
    assert shown >= 15
    assert missing == []
