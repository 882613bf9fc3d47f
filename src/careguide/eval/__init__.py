"""Offline evaluation suites (retrieval first) with JSON and Markdown reports under reports/."""
