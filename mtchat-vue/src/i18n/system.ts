import { parseSystemContent } from '../core/system'
import type { Message } from '../core/types'
import type { Translate } from './index'

const KNOWN = new Set(['joined', 'left', 'added', 'removed', 'created'])

/**
 * Text of a system message in the UI language. Unknown shapes degrade to their plain text
 * (never HTML) or a generic label.
 */
export function systemMessageText(
  message: Pick<Message, 'content'>,
  t: Translate,
  nameOf: (userId: string) => string | null = () => null,
): string {
  const c = parseSystemContent(message.content)
  if (KNOWN.has(c.event)) {
    if (c.event === 'created') return t('system.created')
    const name = c.display_name || (c.user_id ? nameOf(c.user_id) || c.user_id : null) || t('system.someone')
    return t(`system.${c.event}` as 'system.joined', { name })
  }
  const text = typeof c.text === 'string' ? c.text : ''
  return text || t('system.unknown')
}
