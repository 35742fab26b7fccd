"""Framework-light helpers: environment, money, encryption, outbound HTTP."""
