"""End-to-end encryption for the Python client, on vodozemac (audited Olm and Megolm).

`CryptoMachine` holds a device's keys and sessions and does the Matrix-compatible work
around the library: canonical-JSON signatures, the Olm to-device envelope, room keys,
the checks on every decrypted payload, and Megolm rotation. It does no I/O.
`E2eeDevice` drives it against a chinwag server through `ApiClient`. `SealedFile` keeps
its state on disk, encrypted under a 32-byte key.
"""

from chinwag.client.e2ee.device import E2eeDevice
from chinwag.client.e2ee.machine import CryptoMachine, DecryptionRefused
from chinwag.client.e2ee.store import SealedFile

__all__ = ["CryptoMachine", "DecryptionRefused", "E2eeDevice", "SealedFile"]
