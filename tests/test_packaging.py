"""The distribution: one namespace (policykg.*), every subpackage in the wheel, the sample inside."""
from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _source_packages() -> set[str]:
    """Every package folder of the repository, named as installed (policykg.<folder path>)."""
    found = set()
    for name, folder in SETUPTOOLS["package-dir"].items():
        root = REPO / folder
        found.add(name)
        for init in root.rglob("__init__.py"):
            relative = init.parent.relative_to(root)
            if relative.parts:
                found.add(".".join((name, *relative.parts)))
    return found


def test_every_package_folder_is_in_the_wheel():
    # a subpackage missing from the list installs editable but not from a wheel
    assert _source_packages() <= set(SETUPTOOLS["packages"])


def test_nothing_installs_outside_the_policykg_namespace():
    assert all(p.startswith("policykg.") for p in SETUPTOOLS["packages"])
    assert all(p.startswith("policykg.") for p in SETUPTOOLS["package-dir"])
    assert PYPROJECT["project"]["scripts"]["policykg"].startswith("policykg.")


def test_the_sample_is_package_data():
    from policykg.kg import Settings

    sample = Path(Settings.load({}).sample)
    assert sample.name == "data" and (sample / "changning-2022-12-09.txt").is_file()
    patterns = SETUPTOOLS["package-data"]["policykg.data"]
    assert any(Path("changning-2022-12-09.txt").match(p) for p in patterns)


def test_the_wheel_holds_only_the_policykg_namespace_and_the_sample(tmp_path):
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("policykg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"policykg", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "policykg/data/changning-2022-12-09.txt" in names
    assert "policykg/ontology/policykg.ttl" in names and "policykg/web/templates/base.html" in names
