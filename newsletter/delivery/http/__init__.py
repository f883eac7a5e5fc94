"""HTTP API providers, one module each, on an injected ``httpx.Client``."""
