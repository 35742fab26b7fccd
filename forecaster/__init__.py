"""Commitment Forecaster: revenue from WHMCS installations, in the company's currency."""

__version__ = "0.1.0"
