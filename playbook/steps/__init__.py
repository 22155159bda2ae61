"""The pilot steps, one subpackage each, in the order a user meets them."""

from playbook.steps.prepared import Pilot

__all__ = ["Pilot"]
