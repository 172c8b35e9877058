"""Presenters: domain results turned into what pages show (tables, bars, chart HTML)."""
