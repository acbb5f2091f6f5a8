// Test host page: mounts <MTChat> from the *built* package with config from the URL query.
import { MTChat, type MTChatConfig } from '@mtchat/vue'
import '@mtchat/vue/style.css'
import { createApp, h, reactive } from 'vue'

const q = new URLSearchParams(location.search)
const get = (k: string): string | undefined => q.get(k) ?? undefined
const mode = get('mode') === 'inline' ? 'inline' : 'full'

const config = reactive<MTChatConfig>({
  baseUrl: get('baseUrl') ?? '',
  token: get('token') ?? '',
  userId: get('userId'),
  locale: get('locale') === 'en' ? 'en' : 'ru',
  theme: get('theme') === 'dark' ? 'dark' : 'light',
  userProfile: { display_name: get('name'), company: get('company') },
})

type Logged = { name: string; payload: unknown }
const w = window as unknown as { __mtchatEvents: Logged[] }
w.__mtchatEvents = []
const log = (name: string) => (payload: unknown) => w.__mtchatEvents.push({ name, payload })

const chat = () =>
  h(MTChat, {
    config,
    mode,
    objectId: get('objectId'),
    objectType: get('objectType'),
    dialogId: get('dialogId'),
    onConnected: log('connected'),
    onDisconnected: log('disconnected'),
    onError: log('error'),
    'onMessage-sent': log('message-sent'),
    'onDialog-selected': log('dialog-selected'),
    'onDialog-joined': log('dialog-joined'),
    'onDialog-left': log('dialog-left'),
  })

createApp({
  render: () =>
    mode === 'inline'
      ? h('div', { class: 'host-inline' }, [
          h('article', { class: 'tender-card' }, [
            h('h1', get('cardTitle') ?? 'Тендер'),
            h('p', 'Перевозка: Москва → Казань, 20 т, тент'),
            h('div', { class: 'chat-slot' }, [chat()]),
          ]),
        ])
      : h('div', { class: 'host-full' }, [chat()]),
}).mount('#app')
