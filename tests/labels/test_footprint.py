"""labels/footprint.py: the parts add up, and the record written to the log has every field."""

from __future__ import annotations

from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st

from labels.footprint import Footprint

kg = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)


@given(kg, kg, kg, kg, kg, kg, st.booleans())
def test_the_record_is_every_field_and_the_total(last_mile, trunk, packaging, production, linehaul, handling, with_production):
    f = Footprint(1, last_mile, trunk, packaging, production, "wtw", with_production, linehaul, handling)
    assert f.to_dict() == {**asdict(f), "total": f.total}  # a new field cannot be left out of the log
    assert f.chain == f.transport + f.handling
    assert f.total == f.chain + packaging + (production if with_production else 0.0)
