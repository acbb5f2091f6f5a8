/** Public error codes of the wire format (SPEC §5), plus client-side ones. */
export type MTChatErrorCode =
  | 'UNAUTHORIZED'
  | 'INVALID_INPUT'
  | 'NOT_PARTICIPANT'
  | 'NOT_MESSAGE_AUTHOR'
  | 'DIALOG_NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'ATTACHMENT_NOT_FOUND'
  | 'PARTICIPANT_NOT_FOUND'
  | 'FILE_TOO_LARGE'
  | 'UNSUPPORTED_FILE_TYPE'
  | 'TOO_MANY_ATTACHMENTS'
  | 'RATE_LIMITED'
  | 'INTERNAL_ERROR'
  | 'NETWORK_ERROR'
  | 'UPLOAD_FAILED'
  | (string & {})

/** Any failure of the API client: HTTP error bodies, network failures and upload failures. */
export class MTChatError extends Error {
  override readonly name = 'MTChatError'

  constructor(
    readonly code: MTChatErrorCode,
    message: string,
    /** HTTP status, 0 for network failures. */
    readonly status = 0,
    /** Seconds from `Retry-After` on 429. */
    readonly retryAfter: number | null = null,
  ) {
    super(message)
  }

  get isNotFound(): boolean {
    return this.status === 404
  }
}

export function toMTChatError(err: unknown): MTChatError {
  if (err instanceof MTChatError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new MTChatError('NETWORK_ERROR', message, 0)
}
