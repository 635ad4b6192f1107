"""Optional dependencies (core/dependencies.py): a missing one names its install command."""

from __future__ import annotations

import pytest

from core.dependencies import require
from core.errors import MissingDependencyError


def test_missing_optional_dependency_names_the_install_command():
    with pytest.raises(MissingDependencyError) as error:
        require("physiospaces_no_such_module.sub", "physiospaces-no-such-package", purpose="Reading XYZ files")
    assert str(error.value) == (
        "Reading XYZ files needs the optional package 'physiospaces-no-such-package' (module "
        "'physiospaces_no_such_module.sub'), which is not installed; install it with "
        "`pip install physiospaces-no-such-package`."
    )
    assert isinstance(error.value, ImportError)


def test_installed_dependency_is_returned():
    import json

    assert require("json") is json
