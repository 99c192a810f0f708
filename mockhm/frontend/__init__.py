"""The mock oned front-end: oned's XML-RPC API over the model (:mod:`mockhm.oned`), beside the
Hook Manager (:mod:`mockhm.hookmanager`), on one shared state.

``frontend.FrontEnd`` joins them (re-exported as ``mockhm.FrontEnd``); ``rpcserver`` is the
HTTP/XML-RPC shell with xmlrpc-c's manners; ``clock`` runs the model's driver steps.  May import:
wire, schemas, traffic, oned, hookmanager.
"""
