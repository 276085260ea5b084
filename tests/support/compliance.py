"""Shared helpers of the compliance screening tests (fixture files and the full lists)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apps.compliance import services
from apps.compliance.importers import checksum_of
from apps.compliance.models import ListVersion, Source

DATA = Path(__file__).parents[1] / "data" / "compliance"
OFAC_SMALL = DATA / "ofac_small"
UN_SAMPLE = DATA / "un_sample.xml"
PEP_SAMPLE = DATA / "pep_sample.csv"  # synthetic, in the Portal da Transparência layout
FULL = services.SHIPPED


def copy_ofac(tmp_path: Path, src: Path = OFAC_SMALL) -> Path:
    folder = tmp_path / "ofac"
    folder.mkdir(exist_ok=True)
    for name in ("sdn.csv", "alt.csv", "add.csv"):
        shutil.copyfile(src / name, folder / name)
        (folder / name).chmod(0o644)
    return folder


def fresh_start() -> None:
    """Inside a test's transaction: no active version (rolled back afterwards)."""
    ListVersion.objects.filter(is_active=True).update(is_active=False)


def ensure_full_lists() -> None:
    """The shipped OFAC and UN lists active, imported once and committed (a flush by a
    transactional test makes the next module import them again)."""
    for source, path in FULL.items():
        paths = (
            [path / n for n in ("sdn.csv", "alt.csv", "add.csv")] if source == "ofac" else [path]
        )
        active = ListVersion.objects.filter(source=source, is_active=True).first()
        if active is None or active.checksum != checksum_of(paths):
            services.import_list(source=source, path=path)
    ListVersion.objects.filter(is_active=True).exclude(source__in=[Source.OFAC, Source.UN]).update(
        is_active=False
    )


@pytest.fixture(scope="module")
def full_lists(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_full_lists()
    yield
