"""Shared fixtures: real pages cut from the seeds and the genuine evaluation pages (see fixtures/README.md)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from trafilatura.utils import load_html

from detector.clean import clean_text, clean_tree
from detector.types import Cleaned

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
PAGES = FIXTURES / "pages"


def seed_text(prefix: str) -> str:
    """The text of the seed page whose file name starts with ``prefix`` ("000", "001", "002", "004")."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def page_bytes(name: str) -> bytes:
    """Raw bytes of a genuine HTML fixture page, by file-name prefix."""
    (path,) = PAGES.glob(f"{name}*")
    return gzip.decompress(path.read_bytes())


def clean_page_fixture(name: str) -> Cleaned:
    return clean_tree(load_html(page_bytes(name)))


@pytest.fixture(scope="session")
def seeds() -> dict[str, Cleaned]:
    return {p: clean_text(seed_text(p)) for p in ("000", "001", "002", "004")}


@pytest.fixture(scope="session")
def genuine_pages() -> dict[str, Cleaned]:
    return {
        p.name.split(".")[0]: clean_tree(load_html(gzip.decompress(p.read_bytes()))) for p in sorted(PAGES.glob("*.gz"))
    }
