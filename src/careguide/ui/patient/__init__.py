"""The patient side of the web app: the Gradio chat (``chat``, its HTML in ``render``), the search
page (``search``), the REST API (``api``), patients' feedback (``feedback``), request text cleaning
(``normalise``) and what the chat and the API share (``service``). ``careguide.ui.app`` mounts
them beside the clinician workspace."""
