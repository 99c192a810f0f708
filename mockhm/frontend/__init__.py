"""The mock oned front-end: oned's XML-RPC API over the model, beside the Hook Manager.

:class:`FrontEnd` is the Python API; ``mockhm serve`` starts one by default and the pytest
plugin's ``oned`` fixture gives each test its own.
"""

from mockhm.frontend.frontend import (
    AUTH_ENV,
    DEFAULT_AUTH,
    DEFAULT_URL,
    XMLRPC_ENV,
    ExposedFrontEndWarning,
    FrontEnd,
)

__all__ = ["AUTH_ENV", "DEFAULT_AUTH", "DEFAULT_URL", "XMLRPC_ENV", "ExposedFrontEndWarning", "FrontEnd"]
