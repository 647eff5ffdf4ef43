"""Checking the 1Password items the ExternalSecrets refer to, through 1Password Connect.

Owns the Connect gateway (the SDK behind a guard), what the render needs of 1Password, the checks
and the guidance on reaching Connect.
May import: ``wizard.base``, ``wizard.answers``, ``wizard.repo``, ``wizard.render``.
"""
