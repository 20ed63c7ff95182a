"""Carbon labels: per-order emission apportionment, footprints, product grades and the tamper-evident ledger."""
