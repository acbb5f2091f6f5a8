"""MTChat: an embeddable, object-bound chat service."""

__version__ = "0.1.0"
