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

  it('renders every system event in both languages', () => {
    const events = ['joined', 'left', 'added', 'removed', 'created']
    const text = (locale: 'ru' | 'en', event: string, extra: object = { display_name: 'Анна' }) =>
      systemMessageText({ content: JSON.stringify({ event, user_id: 'u9', ...extra }) }, createTranslator(locale).t)
    expect(events.map((e) => text('ru', e))).toEqual([
      'Анна теперь в чате',
      'Анна покинул(а) чат',
      'Анна добавлен(а) в чат',
      'Анна удалён(а) из чата',
      'Чат создан',
    ])
    expect(events.map((e) => text('en', e))).toEqual([
      'Анна joined the chat',
      'Анна left the chat',
      'Анна was added to the chat',
      'Анна was removed from the chat',
      'Chat created',
    ])
    // Without a stored name: the participant list's name, then the id.
    expect(systemMessageText({ content: '{"event":"left","user_id":"u9","display_name":null}' }, createTranslator('ru').t, () => 'Борис')).toBe(
      'Борис покинул(а) чат',
    )
    expect(text('en', 'joined', { display_name: null })).toBe('u9 joined the chat')
    // Unknown events and plain text (e.g. a host's system note) degrade to text, never HTML.
    expect(text('en', 'teleported')).toBe('System message')
    expect(systemMessageText({ content: '<p>Груз &lt;b&gt;готов&lt;/b&gt;</p>' }, createTranslator('ru').t)).toBe('Груз <b>готов</b>')
  })
})
