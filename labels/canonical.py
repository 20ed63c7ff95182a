"""Canonical JSON: the one text form of a value that is hashed or compared byte for byte.

Sorted keys, no spaces, UTF-8 as is, no NaN or infinity. The ledger's digests, a scenario's
hash (``runs.scenario_hash``) and the event log's ``data`` column are this text; they hold
only while the three are byte-identical, so there is one encoder, here (in labels, the lowest
package that needs it: the optimizer never hashes, and sim imports labels).
"""

from __future__ import annotations

import json
from typing import Any

#: Built once: json.dumps with these options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON text (TypeError / ValueError for what JSON cannot hold)."""
    return _ENCODER.encode(value)
