import type { Message, SystemContent } from './types'

/**
 * Parse the structured content of a system message. The server sends JSON (as a string, or
 * already an object); anything else is tolerated and reported as `{event: 'unknown', text}`.
 */
export function parseSystemContent(content: unknown): SystemContent {
  let value: unknown = content
  if (typeof content === 'string') {
    const trimmed = content.trim()
    if (trimmed.startsWith('{')) {
      try {
        value = JSON.parse(trimmed)
      } catch {
        value = null
      }
    } else {
      return { event: 'unknown', text: stripTags(trimmed) }
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>
    const event = typeof obj.event === 'string' ? obj.event : typeof obj.type === 'string' ? obj.type : 'unknown'
    return {
      ...obj,
      event,
      user_id: typeof obj.user_id === 'string' ? obj.user_id : null,
      display_name: typeof obj.display_name === 'string' ? obj.display_name : null,
    }
  }
  return { event: 'unknown', text: typeof content === 'string' ? stripTags(content) : '' }
}

export function isSystemMessage(message: Pick<Message, 'message_type'>): boolean {
  return message.message_type === 'system'
}

/** Text of an HTML fragment without a DOM (for previews and fallbacks; never rendered as HTML). */
export function stripTags(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<\/(p|li|blockquote|pre)>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
}
