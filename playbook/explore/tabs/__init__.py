"""The explorer's tabs that follow the slices, one module each.

Each tab (:class:`~playbook.explore.tabs.base.Tab`) computes its frames for one slice, stacks
the groups' frames into its tables and figure data, and draws them. The *Content library*
tab does not follow the slices: it is :mod:`playbook.explore.content`.
"""
