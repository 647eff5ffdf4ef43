"""Checking the 1Password items the ExternalSecrets refer to, through 1Password Connect."""
