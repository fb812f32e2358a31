"""The repository's docs stand on their own: a person who clones it has every page they cite.

The team's working notes live outside the repository; what the product relies on from them
is restated in docs/ (requirements.md, aws-rules.md, event.md, moto.md). So nothing tracked
may cite those notes, every relative link in the docs must reach a file of the repository
(and a heading of it, when the link names one), and docs/requirements.md must list, under
each requirement, exactly the checks the registry traces to it.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from ir_vpc_guard.checks.registry import CATALOGUE  # the package registers every check
from tests.conftest import ROOT

# Files a clone does not have (the team's notes, outside the repository).
OUTSIDE_NOTES = (
    "SEED_REQUIREMENTS.md",
    "AWS_SEMANTICS.md",
    "DESIGN.md",
    "MOTO_NOTES.md",
    "WORKLOADS.md",
    "CLOUDTRAIL_EVENT.md",
    "STYLE.md",
    "../shared/",
    "/work/shared",
)
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()
IGNORED_DIRS = {".git", ".venv", ".tools", ".aws-sam", "__pycache__", ".mypy_cache"}

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?\s*$", re.M)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
EXTERNAL = ("http://", "https://", "mailto:")


def repo_files() -> set[str]:
    """Tracked and new (not ignored) files, as a clone plus this change would have them."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # no git here: walk the tree instead
        listed = [
            p.relative_to(ROOT).as_posix()
            for p in ROOT.rglob("*")
            if p.is_file() and not IGNORED_DIRS & set(p.relative_to(ROOT).parts)
        ]
    return {name for name in listed if (ROOT / name).is_file()}


def prose(markdown: str) -> str:
    """The text without code blocks and code spans, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", markdown))


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found: set[str] = set()
    counts: dict[str, int] = defaultdict(int)
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug if counts[slug] == 0 else f"{slug}-{counts[slug]}")
        counts[slug] += 1
    return found


def links(markdown: str) -> list[str]:
    text = prose(markdown)
    return INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)


DOC_PAGES = sorted(["README.md", *(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md"))])


def test_no_file_cites_notes_outside_the_repository() -> None:
    citing = {
        f"{name}:{number}: {needle}"
        for name in sorted(repo_files() - {THIS_FILE})
        for number, line in enumerate(_text(ROOT / name).splitlines(), start=1)
        for needle in OUTSIDE_NOTES
        if needle in line
    }
    assert not citing, "cite the page in docs/ that restates it:\n" + "\n".join(sorted(citing))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # a binary file cites nothing
        return ""


@pytest.mark.parametrize("page", DOC_PAGES)
def test_every_relative_link_reaches_a_file_of_the_repository(page: str) -> None:
    files = repo_files()
    folders = {parent.as_posix() for name in files for parent in Path(name).parents}
    source = ROOT / page
    broken = []
    for target in links(source.read_text()):
        if target.startswith(EXTERNAL):
            continue
        path, _, anchor = target.partition("#")
        resolved = (source.parent / path).resolve() if path else source
        try:
            name = resolved.relative_to(ROOT).as_posix()
        except ValueError:
            broken.append(f"{target} (outside the repository)")
            continue
        if name not in files and name not in folders:
            broken.append(f"{target} (no such file in the repository)")
        elif anchor and name.endswith(".md") and anchor not in anchors(resolved.read_text()):
            broken.append(f"{target} (no heading #{anchor} in {name})")
    assert not broken, f"{page}: " + "; ".join(broken)


def test_requirements_page_lists_each_requirements_checks_as_the_registry_does() -> None:
    page = (ROOT / "docs" / "requirements.md").read_text()
    listed: dict[str, set[str]] = {}
    for section in re.split(r"^### ", page, flags=re.M)[1:]:
        requirement = section.split(":", 1)[0]
        checks = re.search(r"^- Checks:(.*?)(?:\n\s*\n|\n- |\Z)", section, re.M | re.S)
        assert checks, f"{requirement} names no checks"
        listed[requirement] = set(re.findall(r"`([A-Z0-9_]+)`", checks.group(1)))
    registered: dict[str, set[str]] = defaultdict(set)
    for check in CATALOGUE.values():
        registered[check.requirement].add(check.check_id)
    assert listed == dict(registered)
