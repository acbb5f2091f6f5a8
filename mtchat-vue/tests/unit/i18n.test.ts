import { describe, expect, it } from 'vitest'
import { parseSystemContent } from '../../src/core/system'
import { createTranslator, dictionaries } from '../../src/i18n'
import { systemMessageText } from '../../src/i18n/system'

describe('i18n', () => {
  it('has the same keys in every locale', () => {
    expect(Object.keys(dictionaries.en).sort()).toEqual(Object.keys(dictionaries.ru).sort())
  })

  it('defaults to Russian and picks Russian plural forms', () => {
    const { t, locale } = createTranslator()
    expect(locale).toBe('ru')
    expect([1, 2, 5, 11, 21, 22].map((n) => t('chat.participants', { n }))).toEqual([
      '1 участник',
      '2 участника',
      '5 участников',
      '11 участников',
      '21 участник',
      '22 участника',
    ])
  })

  it('uses English plurals and placeholders', () => {
    const { t } = createTranslator('en')
    expect(t('chat.participants', { n: 1 })).toBe('1 participant')
    expect(t('chat.participants', { n: 3 })).toBe('3 participants')
    expect(t('typing.one', { name: 'Bob' })).toBe('Bob is typing…')
  })

  it('parses structured system content leniently', () => {
    expect(parseSystemContent('{"event":"added","user_id":"u2"}')).toMatchObject({ event: 'added', user_id: 'u2' })
    expect(parseSystemContent({ event: 'removed', display_name: 'Eve' })).toMatchObject({ event: 'removed', display_name: 'Eve' })
    expect(parseSystemContent('{broken')).toMatchObject({ event: 'unknown' })
    expect(parseSystemContent('<p>Dialog &amp; co</p>')).toMatchObject({ event: 'unknown', text: 'Dialog & co' })
    const t = createTranslator('en').t
    expect(systemMessageText({ content: '{"event":"added","user_id":"u2"}' }, t, () => 'Bob')).toBe('Bob was added to the chat')
    expect(systemMessageText({ content: '{"event":"removed"}' }, t)).toBe('A participant was removed from the chat')
  })
})
