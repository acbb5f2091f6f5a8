import type { Locale } from '../core/types'
import { en } from './en'
import { ru, type Dictionary, type MessageKey } from './ru'

export type { Dictionary, MessageKey }
export const dictionaries: Record<Locale, Dictionary> = { ru, en }

export type TranslateParams = Record<string, string | number>
export type Translate = (key: MessageKey, params?: TranslateParams) => string

export interface Translator {
  locale: Locale
  t: Translate
  formatTime(iso: string): string
  formatDay(iso: string): string
}

/**
 * `t(key, {n, name})`: `{x}` placeholders; `a|b|c` variants are plural forms chosen by
 * `Intl.PluralRules` from `params.n` (ru: one|few|many, en: one|other).
 */
export function createTranslator(locale: Locale = 'ru'): Translator {
  const lang: Locale = locale in dictionaries ? locale : 'ru'
  const dict = dictionaries[lang]
  const plural = new Intl.PluralRules(lang)
  const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' })
  const day = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long' })

  const t: Translate = (key, params) => {
    let text = dict[key] ?? ru[key] ?? key
    if (text.includes('|')) {
      const forms = text.split('|')
      const n = Number(params?.n ?? 0)
      const order = lang === 'ru' ? ['one', 'few', 'many'] : ['one', 'other']
      const idx = Math.max(0, order.indexOf(plural.select(n)))
      text = forms[Math.min(idx, forms.length - 1)] ?? forms[forms.length - 1] ?? text
    }
    if (params) text = text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m))
    return text
  }

  const formatDay = (iso: string): string => {
    const d = new Date(iso)
    if (Number.isNaN(d.getTime())) return ''
    const today = new Date()
    const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime()
    const diff = Math.round((startOf(today) - startOf(d)) / 86400000)
    if (diff === 0) return t('date.today')
    if (diff === 1) return t('date.yesterday')
    return day.format(d)
  }

  const formatTime = (iso: string): string => {
    const d = new Date(iso)
    return Number.isNaN(d.getTime()) ? '' : time.format(d)
  }

  return { locale: lang, t, formatTime, formatDay }
}
