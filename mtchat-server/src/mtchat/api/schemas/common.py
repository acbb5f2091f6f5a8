from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every success: ``{"data": …}``."""

    data: T


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


def json_response(body: BaseModel) -> Response:
    """Serialize an already-built response model once.

    Returning the model itself makes FastAPI dump it, validate the dump against ``response_model`` and
    serialize again: three passes over a page of 50 messages or dialogs on the busiest read paths. The
    route keeps ``response_model`` for the OpenAPI schema.
    """
    return Response(content=body.model_dump_json(), media_type="application/json")


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
