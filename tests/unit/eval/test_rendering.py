"""The Markdown helpers shared by the eval reports."""

from careguide.eval.rendering import pct
from careguide.eval.safety import Rate


def test_a_rate_reads_as_a_percentage_with_its_counts():
    assert pct({"rate": 0.125, "hits": 3, "total": 24}) == "12.5% (3/24)"
    rate = Rate()
    for hit in (True, False, False):
        rate.add(hit)
    assert pct(rate.to_json()) == "33.3% (1/3)"
    assert pct(Rate().to_json()) == "0.0% (0/0)"  # an empty set reads as none, not an error
