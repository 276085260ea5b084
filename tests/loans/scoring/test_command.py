"""manage.py train_credit_model where the training requirements are missing (CI)."""

from __future__ import annotations

import importlib.util

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.skipif(
    importlib.util.find_spec("optbinning") is not None, reason="optbinning is installed"
)
def test_without_optbinning_the_command_says_what_to_install():
    with pytest.raises(CommandError, match=r"pip install -r requirements-train\.txt"):
        call_command("train_credit_model", "--version", "v2")
