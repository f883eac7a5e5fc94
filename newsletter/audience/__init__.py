"""The audience layer: subscribers, consent, suppression, tokens, list import/export."""
