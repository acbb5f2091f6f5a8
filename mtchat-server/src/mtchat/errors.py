"""Public error codes (SPEC §5) as a small exception hierarchy; one handler renders them."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    UNAUTHORIZED = "UNAUTHORIZED"
    INVALID_INPUT = "INVALID_INPUT"
    NOT_PARTICIPANT = "NOT_PARTICIPANT"
    NOT_MESSAGE_AUTHOR = "NOT_MESSAGE_AUTHOR"
    DIALOG_NOT_FOUND = "DIALOG_NOT_FOUND"
    MESSAGE_NOT_FOUND = "MESSAGE_NOT_FOUND"
    ATTACHMENT_NOT_FOUND = "ATTACHMENT_NOT_FOUND"
    PARTICIPANT_NOT_FOUND = "PARTICIPANT_NOT_FOUND"
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    TOO_MANY_ATTACHMENTS = "TOO_MANY_ATTACHMENTS"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class ChatError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class Unauthorized(ChatError):
    status = 401
    code = ErrorCode.UNAUTHORIZED
    default_message = "missing or invalid token"


class InvalidInput(ChatError):
    status = 400
    code = ErrorCode.INVALID_INPUT
    default_message = "invalid input"


class NotParticipant(ChatError):
    status = 403
    code = ErrorCode.NOT_PARTICIPANT
    default_message = "join the dialog first"


class NotMessageAuthor(ChatError):
    status = 403
    code = ErrorCode.NOT_MESSAGE_AUTHOR
    default_message = "only the author may change this message"


class DialogNotFound(ChatError):
    status = 404
    code = ErrorCode.DIALOG_NOT_FOUND
    default_message = "dialog not found"


class MessageNotFound(ChatError):
    status = 404
    code = ErrorCode.MESSAGE_NOT_FOUND
    default_message = "message not found"


class AttachmentNotFound(ChatError):
    status = 404
    code = ErrorCode.ATTACHMENT_NOT_FOUND
    default_message = "attachment not found"


class ParticipantNotFound(ChatError):
    status = 404
    code = ErrorCode.PARTICIPANT_NOT_FOUND
    default_message = "participant not found"


class DeliveryNotFound(ChatError):
    status = 404
    code = ErrorCode.DELIVERY_NOT_FOUND
    default_message = "webhook delivery not found"


class FileTooLarge(ChatError):
    status = 400
    code = ErrorCode.FILE_TOO_LARGE
    default_message = "file too large"


class UnsupportedFileType(ChatError):
    status = 400
    code = ErrorCode.UNSUPPORTED_FILE_TYPE
    default_message = "file type not allowed"


class TooManyAttachments(ChatError):
    status = 400
    code = ErrorCode.TOO_MANY_ATTACHMENTS
    default_message = "too many attachments"


class RateLimited(ChatError):
    status = 429
    code = ErrorCode.RATE_LIMITED
    default_message = "rate limit exceeded"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
