"""Contract suites for careguide's own protocols, in the manner of langchain-tests' standard tests.

Each module holds one mixin per protocol (``CheckContract``, ``CandidateRetrieverContract``,
``EmbedderContract``, ``VectorStoreContract``) whose tests assert what the protocol documents:
shapes, ordering, determinism, empty input and errors, never a particular result. Every backend
gets a small ``Test...`` subclass next to the tests of its package (tests/unit/... for backends
without models, tests/integration/... for the real models and Chroma) that says how to build it
and gives the few example inputs the contract needs.

The suites live under tests/ rather than in the package: careguide is an application, not a
library with third-party backends, and pytest is a development dependency only. A backend added
later (a new guardrail, a new retrieval stage, another embedding runtime or vector store) gets the
whole suite by subclassing one mixin.
"""
