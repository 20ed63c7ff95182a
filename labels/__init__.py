"""Carbon labels: per-order emission apportionment, footprints and scopes, product grades, the
tamper-evident ledger, and the canonical JSON the ledger and the event log hash."""
