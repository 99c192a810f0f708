"""The mock oned front-end: oned's XML-RPC API over the model, beside the Hook Manager."""
