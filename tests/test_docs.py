"""The README documents what the code does: settings, commands, the test command."""
from __future__ import annotations

import re
from pathlib import Path

from policykg.kg import SETTINGS
from policykg.web.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for setting in SETTINGS:
        assert f"`POLICYKG_{setting.name.upper()}`" in README, setting.name


def test_every_cli_command_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"policykg {name}" in README, name


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"^\s*(pip install torch.*pytest.*)$", README, flags=re.M)
    assert commands, "README names no test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[0].strip() in ci


def test_readme_is_short_and_its_links_resolve():
    assert len(README) < 12_000, len(README)
    for target in re.findall(r"\]\(([^)#]+)\)|src=\"([^\"]+)\"", README):
        path = next(t for t in target if t)
        if not path.startswith("http"):
            assert (ROOT / path).exists(), path
