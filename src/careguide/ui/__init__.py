"""Web app on FastAPI: the Gradio patient chat, the knowledge-base search page and the REST API."""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is first imported

from careguide.ui.app import create_app
from careguide.ui.patient.feedback import FeedbackSink, open_feedback_sink, record_feedback
from careguide.ui.startup import StartupError, check_startup
from careguide.ui.workspace.auth import SecretError

__all__ = [
    "FeedbackSink",
    "SecretError",
    "StartupError",
    "check_startup",
    "create_app",
    "open_feedback_sink",
    "record_feedback",
]
