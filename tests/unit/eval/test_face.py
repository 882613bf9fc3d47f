"""The eval package's face: every exported name resolves, and importing the package loads none of
its modules (``python -m careguide.eval.safety_train`` must find that module not yet imported)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import careguide.eval as face


def test_every_exported_name_resolves_to_its_module() -> None:
    listed = {name for names in face._FACE.values() for name in names}
    assert listed == set(face.__all__)
    for module, names in face._FACE.items():
        for name in names:
            assert getattr(face, name) is getattr(sys.modules[f"careguide.eval.{module}"], name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        face.no_such_name  # noqa: B018


def test_importing_the_package_loads_none_of_its_modules() -> None:
    code = "import sys, careguide.eval; print([m for m in sys.modules if m.startswith('careguide.eval.')])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
