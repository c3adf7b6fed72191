"""X-Road clients of EHIS and Kutseregister (wire format: ``contracts/xroad.md``).

No database access here: the clients return plain dataclasses (``app.xroad.types``) and raise
typed errors (``app.xroad.errors``); the jobs decide what to store.

    with EhisClient.from_config() as ehis:
        for record in ehis.kutseoppe_lopetajad(130219, alates, kuni):
            ...
"""
from app.xroad.ehis import EhisClient, GraduateStream
from app.xroad.errors import (
    BusinessError,
    MalformedResponse,
    PageError,
    RegisterError,
    SoapFault,
    TransportError,
    XRoadError,
)
from app.xroad.kutseregister import KutseregisterClient
from app.xroad.settings import XRoadIdentifier, XRoadSettings

__all__ = [
    "BusinessError", "EhisClient", "GraduateStream", "KutseregisterClient", "MalformedResponse",
    "PageError", "RegisterError", "SoapFault", "TransportError", "XRoadError", "XRoadIdentifier",
    "XRoadSettings",
]
