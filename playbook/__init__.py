"""Conversion Playbook: from a CRM export to a conversion diagnosis and plan."""

from playbook.exceptions import DataError, PlaybookError, StepFailed

__version__ = "0.1.0"

__all__ = ["DataError", "PlaybookError", "StepFailed", "__version__"]
