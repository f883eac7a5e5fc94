"""The web layer: the Starlette app for sign-up, confirm, unsubscribe, preferences, webhooks."""
