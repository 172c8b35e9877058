"""Chart builders: pure functions returning ``plotly.graph_objects.Figure``.

Labels arrive already translated; the web layer turns figures into HTML.
"""
