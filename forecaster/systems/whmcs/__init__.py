"""The apiWHMCS accounting-system type: client, form, help page (registered in registration.py)."""
