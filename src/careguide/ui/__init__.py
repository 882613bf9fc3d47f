"""Web app on FastAPI: the Gradio patient chat, the knowledge-base search page and the REST API."""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is first imported

from careguide.ui.app import create_app
from careguide.ui.feedback import FeedbackSink, record_feedback

__all__ = ["FeedbackSink", "create_app", "record_feedback"]
