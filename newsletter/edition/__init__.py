"""The edition layer: view model, templates, MJML, personalization, compliance, archive."""
