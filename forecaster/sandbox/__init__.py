"""`forecaster sandbox`: a WHMCS-compatible API server for demos, tests and benchmarks.

The server core (``data``, ``api``, ``faults``, ``server``) uses only the standard library;
``testing`` holds the pytest helpers; the management command is a thin adapter. See README.md.
"""
