"""Faces of careguide for other frameworks, each behind an optional extra.

``careguide.integrations.langchain`` (extra ``langchain``): the hybrid retriever as a LangChain
``BaseRetriever`` and the guarded Assistant as a ``Runnable``. Nothing else in careguide imports
these modules, so the core installs and runs without any of those frameworks.
"""
