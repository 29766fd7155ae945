"""The documentation holds together: every relative link of README.md and docs/*.md reaches a
file and, with an #anchor, a heading of it as GitHub names headings; the README stays a front
door (under 400 lines, one click from every page of docs/ and back); and the code's pointers
("README, Tuning") name a section the README leads to."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from scripts import doc_pages

PROJECT = doc_pages.PROJECT
README_LINES = 400

FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# [text](target) and ![alt](target); a target has no spaces (an optional "title" is not used).
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a sh block is not a heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it (github-slugger): the text as it renders (code
    spans' text, links' text, no emphasis marks), lower-cased, every character but letters,
    digits, marks, `_`, `-` and spaces removed, each space a hyphen."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = LINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("*", "")
    kept = "".join(c for c in text.lower() if c in "_- " or unicodedata.category(c)[0] in "LMN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor on PAGE, repeated ones numbered as GitHub numbers them."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose(page.read_text(encoding="utf-8")):
        if match := HEADING.match(line):
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[tuple[str, str]]:
    """(text, target) of every link on PAGE outside code."""
    found = []
    for line in prose(page.read_text(encoding="utf-8")):
        for match in LINK.finditer(CODE_SPAN.sub("", line)):
            found.append((match.group(1), match.group(2)))
    return found


def relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)


def test_the_slug_is_githubs():
    """Headings of these pages, as GitHub anchors them (github-slugger's own test cases)."""
    assert slug("Chat: Slack and Microsoft Teams") == "chat-slack-and-microsoft-teams"
    assert slug("Where each rule lives, and why") == "where-each-rule-lives-and-why"
    assert slug("Central delivery (opt-in)") == "central-delivery-opt-in"
    assert slug("`api_alerts`, the one custom attribute") == "api_alerts-the-one-custom-attribute"
    assert slug("What `make coverage` prints") == "what-make-coverage-prints"
    assert slug("1. Replay your history") == "1-replay-your-history"
    assert slug("Alpha & Omega") == "alpha--omega"
    assert slug("Data events: S3 ransomware") == "data-events-s3-ransomware"


@pytest.mark.parametrize("page", doc_pages.pages(), ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for text, target in links(page):
        if not relative(target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"[{text}]({target}): no file {file.relative_to(PROJECT)}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"[{text}]({target}): no heading #{anchor} in {file.name}")
    assert not broken, "\n".join(broken)


def _linked_files(page: Path) -> set[Path]:
    return {
        (page.parent / target.partition("#")[0]).resolve()
        for _, target in links(page)
        if relative(target) and target.partition("#")[0]
    }


def test_the_readme_is_a_front_door():
    """Under 400 lines; the two commands and the steps from deploy to first alert on it; the
    configuration reference and every other page of docs/ one click away."""
    readme = doc_pages.README
    text = readme.read_text(encoding="utf-8")
    assert text.count("\n") < README_LINES, f"README.md has {text.count(chr(10))} lines"
    assert {"the-two-commands", "from-deploy-to-first-alert", "documentation"} <= anchors(readme)
    assert "make synth" in text and "make test" in text
    linked = _linked_files(readme)
    assert (doc_pages.DOCS / "configuration.md").resolve() in linked
    missing = [p.name for p in doc_pages.pages()[1:] if p.resolve() not in linked]
    assert not missing, f"README.md's documentation map leads to none of {missing}"


@pytest.mark.parametrize("page", doc_pages.pages()[1:], ids=lambda p: p.name)
def test_every_page_leads_back_to_the_readme(page):
    assert doc_pages.README.resolve() in _linked_files(page)


# "README, Tuning" / README "Alerts": where code, rule files and their messages point a reader.
# Event Ruler's README (models/event_patterns.py) has sections of its own.
POINTER = re.compile(r'README(?:, "?| ")([A-Z][^"),:;.\n]*)')
NOT_OURS = {"JSON Array Matching", "Wildcard matching"}


def test_every_pointer_into_the_readme_names_a_section_it_leads_to():
    """A pointer such as "(README, Tuning)" (in an alarm's description, an error, a rule file)
    names a heading of the README or a link of its documentation map, one click from the text."""
    readme = doc_pages.README
    headings = {
        HEADING.match(line).group(2) for line in prose(readme.read_text()) if HEADING.match(line)
    }
    leads = headings | {text for text, target in links(readme) if relative(target)}
    sources = [
        path
        for pattern in ("*.py", "*.yml", "*.json", "Makefile")
        for path in PROJECT.rglob(pattern)
        if not {".venv", ".git", "cdktf.out", "node_modules"} & set(path.parts)
    ]
    unknown = set()
    for path in sources:
        for name in POINTER.findall(path.read_text(encoding="utf-8", errors="replace")):
            if name.strip() not in leads | NOT_OURS:
                unknown.add(f"{path.relative_to(PROJECT)}: README, {name.strip()}")
    assert not unknown, "\n".join(sorted(unknown))


def test_a_generated_block_has_one_home():
    """A block is found on whichever page holds it; on none, or on two, it is an error naming it."""
    begin, end = doc_pages.marker("figures")
    text = f"# A page\n\n{begin}\nold\n{end}\n\nAfter.\n"
    one, other = PROJECT / "docs" / "one.md", PROJECT / "docs" / "other.md"
    assert doc_pages.page_of("figures", {one: "# One\n", other: text}) == other
    assert (
        doc_pages.filled(text, "figures", "new") == f"# A page\n\n{begin}\nnew\n{end}\n\nAfter.\n"
    )
    with pytest.raises(
        LookupError, match="'figures' must be on exactly one page, found on no page"
    ):
        doc_pages.page_of("figures", {one: "# One\n"})
    with pytest.raises(LookupError, match=re.escape("found on docs/one.md, docs/other.md")):
        doc_pages.page_of("figures", {one: text, other: text})
