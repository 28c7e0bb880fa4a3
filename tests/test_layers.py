"""The architecture contracts of .importlinter hold: kg's layers, ingest alone, web on kg's public API."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"


def _contracts() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    prefix = "importlinter:contract:"
    return [s[len(prefix):] for s in parser.sections() if s.startswith(prefix)]


def _lint(*args: str) -> subprocess.CompletedProcess:
    command = shutil.which("lint-imports")
    if command is None:  # the test extra installs it; say how, do not skip silently
        pytest.fail("lint-imports is not installed: pip install -e '.[test]'")
    return subprocess.run([command, "--no-cache", "--no-logo", *args, str(CONFIG)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_contracts_cover_layers_ingest_and_web():
    assert {"kg-layers", "ingest-alone", "kg-no-web", "web-public-kg"} <= set(_contracts())


@pytest.mark.parametrize("contract", _contracts())
def test_contract_is_kept(contract):
    done = _lint("--contract", contract)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_a_lower_layer_importing_the_root_breaks_the_layers_contract(tmp_path):
    """The layers contract is live: the same layers with the store put above the root fail."""
    text = CONFIG.read_text(encoding="utf-8")
    moved = text.replace("    store : remote\n", "").replace(
        "    child\n", "    child\n    store : remote\n", 1)
    assert moved != text
    config = tmp_path / "moved.ini"
    config.write_text(moved, encoding="utf-8")
    command = shutil.which("lint-imports") or sys.exit("lint-imports missing")
    done = subprocess.run([command, "--no-cache", "--no-logo", "--contract", "kg-layers",
                           str(config)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode != 0 and "BROKEN" in done.stdout


@pytest.mark.parametrize("package", ["policykg.ingest", "policykg.kg"])
def test_lazy_names_resolve_and_none_is_also_a_submodule(package):
    import importlib
    import pkgutil

    module = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
    lazy = module._LAZY
    assert not set(lazy) & submodules  # importing such a submodule would replace the name
    assert set(lazy) <= set(module.__all__) and set(lazy) <= set(dir(module))
    for name, where in lazy.items():
        assert getattr(module, name) is getattr(importlib.import_module(f"{package}.{where}"),
                                                name)


def test_the_command_line_and_serve_start_without_the_store_libraries():
    # the parent process of `policykg serve` (granian) holds only what this import loads
    code = ("import sys, policykg.web.cli, policykg.web.serve; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'rdflib', 'pyoxigraph', 'numpy', 'flask', 'jieba'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip()
    assert out == "[]"
