"""careguide: a self-hostable patient-education assistant with cited, plain-language answers."""

__version__ = "0.1.0"
