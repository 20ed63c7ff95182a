"""Files made from a log for other tools and people: OCEL 2.0 and the HTML report, written by
the rules of :mod:`sim.export.outputs` (never over an input, whole or not at all).
"""
