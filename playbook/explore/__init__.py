"""Interactive exploration: the ipywidgets explorer and the Voila dashboard."""
