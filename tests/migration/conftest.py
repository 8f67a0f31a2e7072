"""Fixtures for the federation import tests. Original files (R-MIG-9) are kept under a
temporary MEDIA_ROOT for the whole package, never in the project's media folder."""

import pytest
from django.test import override_settings


@pytest.fixture(scope="package", autouse=True)
def _media_in_tmp(tmp_path_factory):
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield
