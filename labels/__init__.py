"""Carbon labels: per-order emission apportionment, labels and the ledger (not yet built)."""
