"""Ops of the op jobs (work that maintains the platform rather than producing an asset)."""
