"""Web app: Gradio patient chat and clinician workspace on FastAPI (not built yet)."""
