"""Personal data encrypted at rest: sealed values, their keys, and the keys' rotation.

Citizen IDs, phones and TOTP secrets are stored sealed (AES-256-GCM, :mod:`~registry.pii.sealing`)
under data keys that the master key ``PII_KEY`` wraps (:mod:`~registry.pii.keys`); a keyed
blind index answers equality search. :mod:`~registry.pii.rotation` rotates the master key.
A database dump holds no clear value and no key that opens one.

``configure`` runs once per process (``create_app``, with the app's settings); then
``seal(session, value, field=...)`` and ``unseal(session, sealed, field=...)``.
"""

from registry.pii.keys import (
    HOW_TO_MAKE,
    BadKey,
    Keyring,
    KeyUnavailable,
    MasterKey,
    PiiError,
    configure,
    forget,
    split_keys,
)
from registry.pii.rotation import (
    DataKeyStatus,
    Rotation,
    RotationIncomplete,
    Status,
    rotate,
    status,
)
from registry.pii.sealing import (
    HOUSEHOLD_FIELDS,
    RESPONSE_FIELD,
    TOTP_FIELD,
    SealBroken,
    blind_index,
    blind_index_optional,
    blind_indexes,
    indexer,
    is_sealed,
    keyed_digests,
    seal,
    seal_fields,
    seal_json,
    seal_optional,
    sealer,
    unseal,
    unseal_fields,
    unseal_json,
    unseal_optional,
)

__all__ = [
    "HOUSEHOLD_FIELDS",
    "HOW_TO_MAKE",
    "RESPONSE_FIELD",
    "TOTP_FIELD",
    "BadKey",
    "DataKeyStatus",
    "KeyUnavailable",
    "Keyring",
    "MasterKey",
    "PiiError",
    "Rotation",
    "RotationIncomplete",
    "SealBroken",
    "Status",
    "blind_index",
    "blind_index_optional",
    "blind_indexes",
    "configure",
    "forget",
    "indexer",
    "is_sealed",
    "keyed_digests",
    "rotate",
    "seal",
    "seal_fields",
    "seal_json",
    "seal_optional",
    "sealer",
    "split_keys",
    "status",
    "unseal",
    "unseal_fields",
    "unseal_json",
    "unseal_optional",
]
