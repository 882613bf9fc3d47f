"""The patient chat (Gradio Blocks), mounted at ``/`` on the FastAPI app.

One session holds a :class:`Conversation`: the redacted messages shown and sent as history, the
last question and answer (for "Explain more simply" and feedback) and the sources of each answer.
Raw text is never stored in it: the patient's message is shown back as the guardrails redacted it.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported

import gradio as gr
from fastapi import FastAPI, Response

from careguide.rag import GuardedAnswer
from careguide.ui.patient import render
from careguide.ui.patient.feedback import MAX_COMMENT_CHARS, RATINGS, record_feedback
from careguide.ui.patient.normalise import clean_text, too_large
from careguide.ui.patient.service import Extract, Failure, Final, Redacted, Services, Token, too_long

log = logging.getLogger("careguide.ui")

DRAFT_INTERVAL_S = 0.15
"""How often the streamed draft is redrawn; every token would flood a slow phone."""
MAX_SOURCE_GROUPS = 10
CONCURRENCY = 16
"""Answers streamed at once per app (the model server queues what it cannot run in parallel)."""
SIMPLER_REQUEST = "Please explain that more simply."
INDEXING_POLL_S = 15
THEME = gr.themes.Default(
    primary_hue="blue",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)


def asset(name: str) -> str:
    return resources.files("careguide.ui").joinpath("assets", name).read_text(encoding="utf-8")


def asset_path(name: str) -> str:
    """A file the page loads from this app (icons): never from elsewhere."""
    return str(resources.files("careguide.ui").joinpath("assets", name))


SCRIPT_PATH = "/careguide-assets/chat.js"


def head() -> str:
    """The chat's own script, from this app: the page loads nothing from elsewhere, and the
    page's Content-Security-Policy allows no inline script that lacks the page's nonce."""
    return f'<script src="{SCRIPT_PATH}"></script>'


def css() -> str:
    return asset("chat.css")


@dataclass
class Conversation:
    """One browser session's chat; every text in it is already redacted."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    messages: list[dict[str, str]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    last_question: str = ""
    last_answer: str = ""
    can_simplify: bool = False
    turn: int = 0
    groups: list[render.SourceGroup] = field(default_factory=list)
    banner: str = ""
    privacy: str = ""

    def say(self, role: str, content: str) -> None:
        self.messages.append({"role": role, "content": content})

    def reply(self, content: str) -> None:
        """Replace the pending assistant bubble (the draft) with ``content``."""
        if self.messages and self.messages[-1]["role"] == "assistant":
            self.messages[-1] = {"role": "assistant", "content": content}
        else:
            self.say("assistant", content)

    def record(self, guarded: GuardedAnswer, question_is_new: bool) -> render.Presented:
        """Keep what the answer changes: history, sources, banner, the privacy notice (once)."""
        self.turn += 1
        shown = render.present(guarded, self.turn)
        self.reply(shown.reply)
        if question_is_new:
            self.history.append(guarded.input.redacted)
            self.last_question = guarded.input.redacted
        self.last_answer = guarded.answer.answer
        self.can_simplify = not guarded.answer.abstained and not guarded.input.blocks_model
        if shown.sources is not None:
            self.groups = [*self.groups, shown.sources][-MAX_SOURCE_GROUPS:]
        if shown.banner:
            self.banner = shown.banner
        if shown.privacy and not self.privacy:
            self.privacy = shown.privacy
        return shown


def new_conversation() -> Conversation:
    """A fresh conversation for each page load (Gradio calls this per session)."""
    return Conversation()


@dataclass
class Widgets:
    """The components a handler updates, in the order of its outputs."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    banner: gr.HTML
    privacy: gr.HTML
    sources: gr.HTML
    simpler: gr.Button
    feedback: gr.Group
    status: gr.HTML
    state: gr.State

    def outputs(self) -> list[Any]:
        return [
            self.chatbot,
            self.question,
            self.banner,
            self.privacy,
            self.sources,
            self.simpler,
            self.feedback,
            self.status,
            self.state,
        ]


def view(conv: Conversation, busy: bool = False, question: Any = None) -> tuple[Any, ...]:
    """Every output of a chat handler, drawn from the conversation."""
    answered = bool(conv.last_answer) and not busy
    return (
        list(conv.messages),
        gr.skip() if question is None else question,
        gr.update(value=conv.banner, visible=bool(conv.banner)),
        gr.update(value=conv.privacy, visible=bool(conv.privacy)),
        render.sources_panel(conv.groups),
        gr.update(interactive=conv.can_simplify and not busy),
        gr.update(visible=answered),
        "",
        conv,
    )


def converse(
    services: Services,
    conv: Conversation,
    message: str,
    history: list[str],
    level: str,
    question_is_new: bool,
) -> Iterator[tuple[Any, ...]]:
    """Stream one answer into the conversation: a new question shown back as the guardrails
    redacted it, the extract from the sources at once (the model's draft is then not drawn: the
    patient reads checked text), then the checked answer."""
    started = False

    def start(redacted: str) -> tuple[Any, ...]:
        nonlocal started
        started = True
        if question_is_new:
            conv.say("user", render.user_html(redacted))
        conv.say("assistant", render.draft_html(""))
        return view(conv, busy=True, question="")

    if not question_is_new:
        yield start("")
    draft = ""
    drawn = time.monotonic()
    extracted = False
    for event in services.stream(message, history, level, conv.id):
        if isinstance(event, Redacted):
            if not started:
                yield start(event.text)
            continue
        if not started and isinstance(event, (Extract, Final)):
            yield start(event.guarded.input.redacted)
        if isinstance(event, Extract):
            answer = event.guarded.answer
            if not answer.abstained:
                text = render.split_notices(event.guarded)[0]
                conv.reply(render.extract_html(text, answer.citations, conv.turn + 1))
                extracted = True
                yield view(conv, busy=True)
        elif isinstance(event, Token):
            draft += event.text
            if extracted or not started:
                continue
            if time.monotonic() - drawn >= DRAFT_INTERVAL_S:
                conv.reply(render.draft_html(draft))
                drawn = time.monotonic()
                yield view(conv, busy=True)
        elif isinstance(event, Final):
            conv.record(event.guarded, question_is_new)
        elif isinstance(event, Failure):
            if started:
                conv.reply(render.message_html(event.message, "error"))
            else:  # the input checks failed: nothing redacted to show back
                conv.say("assistant", render.message_html(event.message, "error"))
    yield view(conv, question=None if started else "")


def ask_handler(services: Callable[[], Services], max_chars: int) -> Callable[..., Iterator[tuple[Any, ...]]]:
    def ask(message: str, level: str, conv: Conversation) -> Iterator[tuple[Any, ...]]:
        """A new question from the text box (Enter or Send)."""
        raw = message or ""
        if too_large(raw):  # refused unread: not even cleaned
            conv.say("user", render.user_html(f"(A message of {len(raw):,} characters)"))
            conv.say("assistant", render.message_html(too_long(raw, max_chars) or "", "info"))
            yield view(conv, question="")
            return
        message = clean_text(raw)
        if not message:
            yield view(conv)
            return
        refusal = too_long(message, max_chars)
        if refusal:  # never redacted, checked or stored: only its size is shown
            conv.say("user", render.user_html(f"(A message of {len(message):,} characters)"))
            conv.say("assistant", render.message_html(refusal, "info"))
            yield view(conv, question="")
            return
        # The message is shown back once the guardrails have redacted it (converse).
        yield from converse(services(), conv, message, list(conv.history), level, question_is_new=True)

    return ask


def simplify_handler(services: Callable[[], Services]) -> Callable[..., Iterator[tuple[Any, ...]]]:
    def simplify(conv: Conversation) -> Iterator[tuple[Any, ...]]:
        """Ask the last question again at the simpler reading level."""
        if not conv.last_question or not conv.can_simplify:
            yield view(conv)
            return
        conv.say("user", render.user_html(SIMPLER_REQUEST))
        earlier = (
            conv.history[:-1] if conv.history and conv.history[-1] == conv.last_question else conv.history
        )
        yield from converse(
            services(), conv, conv.last_question, list(earlier), "simpler", question_is_new=False
        )

    return simplify


def restart() -> tuple[Any, ...]:
    """The chat's clear button starts a new conversation: history, sources and notices go too."""
    return view(new_conversation(), question="")


def feedback_handler(services: Callable[[], Services], rating: int) -> Callable[..., tuple[Any, ...]]:
    def rate(comment: str, conv: Conversation) -> tuple[Any, ...]:
        """Store the patient's rating of the last answer (comment redacted first)."""
        if not conv.last_answer:
            return gr.skip(), '<p role="status">Ask a question first, then rate its answer.</p>'
        app = services()
        try:
            record_feedback(
                app.feedback,
                app.guard,
                conv.id,
                conv.last_question,
                conv.last_answer,
                rating,
                clean_text((comment or "")[: MAX_COMMENT_CHARS * 4]),
            )
        except Exception:
            log.exception("Storing feedback failed")
            return gr.skip(), '<p role="status">Your feedback could not be saved; please try again later.</p>'
        return "", '<p role="status" class="cg-thanks">Thank you, your feedback was saved.</p>'

    return rate


def indexing_handler(services: Callable[[], Services]) -> Callable[[], Any]:
    def show() -> Any:
        """The "still adding sources" notice while the knowledge base is indexed in the background."""
        from careguide.ingest import indexing_notice

        try:
            text = indexing_notice(services().settings)
        except RuntimeError:  # still starting
            text = ""
        return gr.update(value=render.message_html(text, "info") if text else "", visible=bool(text))

    return show


def build_chat(services: Callable[[], Services], emergency_number: str, max_chars: int) -> gr.Blocks:
    """The patient chat; ``services`` gives the components opened by the app's lifespan,
    ``max_chars`` is the question size limit (``rag.max_question_chars``)."""
    demo = gr.Blocks(title="careguide — ask a health question", analytics_enabled=False)
    with demo:
        gr.HTML(render.header_html(emergency_number))
        banner = gr.HTML("", elem_id="cg-banner", visible=False)
        indexing = gr.HTML("", elem_id="cg-indexing", visible=False)
        privacy = gr.HTML("", elem_id="cg-privacy", visible=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="cg-chat",
                    height="55vh",
                    min_height=260,
                    feedback_options=None,
                    buttons=[],
                    latex_delimiters=[],
                    placeholder="Ask about a health condition, a test or a treatment. "
                    "Answers cite the trusted sources they come from.",
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        label="Your question",
                        placeholder="Type your health question",
                        lines=1,
                        max_lines=6,
                        elem_id="cg-question",
                        scale=5,
                        min_width=200,
                        autofocus=True,
                    )
                    send = gr.Button("Send", variant="primary", elem_id="cg-send", scale=1, min_width=80)
                with gr.Row(equal_height=True):
                    level = gr.Radio(
                        choices=[("Standard", "standard"), ("Simpler", "simpler")],
                        value="standard",
                        label="Reading level",
                        elem_id="cg-level",
                        scale=2,
                        min_width=200,
                    )
                    simpler = gr.Button(
                        "Explain more simply", elem_id="cg-simpler", interactive=False, scale=1, min_width=160
                    )
                with gr.Group(visible=False, elem_id="cg-feedback") as feedback:
                    comment = gr.Textbox(
                        label="Was this answer helpful? Add a comment (optional)",
                        lines=1,
                        max_lines=4,
                        elem_id="cg-comment",
                    )
                    with gr.Row():
                        up = gr.Button(
                            "Helpful", icon=asset_path("thumb-up.svg"), elem_id="cg-up", min_width=120
                        )
                        down = gr.Button(
                            "Not helpful", icon=asset_path("thumb-down.svg"), elem_id="cg-down", min_width=120
                        )
                status = gr.HTML("", elem_id="cg-feedback-status")
            with gr.Column(scale=2, min_width=280):
                sources = gr.HTML(render.sources_panel([]), elem_id="cg-sources")
        gr.HTML(render.footer_html())
        state = gr.State(new_conversation)

        widgets = Widgets(chatbot, question, banner, privacy, sources, simpler, feedback, status, state)
        ask = ask_handler(services, max_chars)
        options: dict[str, Any] = {
            "concurrency_limit": CONCURRENCY,
            "concurrency_id": "answer",
            "api_visibility": "private",
            "show_progress": "hidden",
        }
        question.submit(ask, [question, level, state], widgets.outputs(), **options)
        send.click(ask, [question, level, state], widgets.outputs(), **options)
        simpler.click(simplify_handler(services), [state], widgets.outputs(), **options)
        chatbot.clear(restart, None, widgets.outputs(), api_visibility="private")
        show_indexing = indexing_handler(services)
        demo.load(show_indexing, None, indexing, api_visibility="private", show_progress="hidden")
        gr.Timer(INDEXING_POLL_S).tick(
            show_indexing, None, indexing, api_visibility="private", show_progress="hidden"
        )
        for button, rating in ((up, RATINGS["up"]), (down, RATINGS["down"])):
            button.click(
                feedback_handler(services, rating),
                [comment, state],
                [comment, status],
                api_visibility="private",
                concurrency_limit=None,
            )
    return demo


def mount_chat(
    app: FastAPI, services: Callable[[], Services], emergency_number: str, max_chars: int
) -> FastAPI:
    """Mount the chat at ``/`` (routes added to ``app`` before this keep precedence)."""
    demo = build_chat(services, emergency_number, max_chars)

    @app.get(SCRIPT_PATH, include_in_schema=False)
    def chat_script() -> Response:
        return Response(asset("chat.js"), media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    mounted: FastAPI = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        footer_links=[],
        run_history=False,
        theme=THEME,
        css=css(),
        head=head(),
        ssr_mode=False,
        mcp_server=False,
        max_file_size="1mb",  # the chat takes no files; the upload route is refused besides
    )
    return mounted
