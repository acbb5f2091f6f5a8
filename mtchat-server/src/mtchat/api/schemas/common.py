from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every success: ``{"data": …}``."""

    data: T


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "INVALID_INPUT and upload limit errors"},
    401: {"model": ErrorBody, "description": "UNAUTHORIZED"},
    403: {"model": ErrorBody, "description": "NOT_PARTICIPANT / NOT_MESSAGE_AUTHOR"},
    404: {"model": ErrorBody, "description": "not found or not visible to this caller"},
    429: {"model": ErrorBody, "description": "RATE_LIMITED"},
}
