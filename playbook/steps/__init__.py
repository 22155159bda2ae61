"""The pilot steps, one subpackage each, in the order a user meets them."""
