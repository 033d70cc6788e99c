"""Reference pages generated from code must match the committed ones."""

from __future__ import annotations

import pytest
from conftest import ROOT

from sim.model import reference as docgen


@pytest.mark.parametrize("name", sorted(docgen.PAGES))
def test_generated_page_is_up_to_date(name):
    committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == docgen.PAGES[name](), (
        f"docs/{name} is stale: run `countysim docs` and commit it")


def test_every_parameter_and_lever_field_is_documented():
    from sim.model.levers import LEVER_TYPES
    from sim.model.levers.base import Lever
    from sim.model.parameters import Parameters

    page = docgen.parameters_page()
    for name, spec in Parameters.specs().items():
        assert f"`{name}`" in page and spec.source and spec.doc
    for cls in LEVER_TYPES.values():
        meanings = docgen.attribute_docs(cls)
        for field in set(cls.model_fields) - set(Lever.model_fields):
            assert field in meanings, f"{cls.__name__}.{field} has no docstring entry"
        assert cls.mechanism and cls.source_area and cls.shows_in
