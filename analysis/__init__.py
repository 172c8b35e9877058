"""Pure computation for Parlons: text clustering, opinion groups, vote tallies, charts.

Nothing here knows about the web app or the database: functions take plain Python or
NumPy data and return plain data (dataclasses, arrays, Plotly figures).
"""
