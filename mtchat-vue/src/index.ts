/**
 * @mtchat/vue — the public surface.
 * Styles ship separately: `import '@mtchat/vue/style.css'`.
 */
import './styles/index.css'

export { default as MTChat } from './components/MTChat.vue'

// Framework-free core (also at '@mtchat/vue/core').
export * from './core/index'

// Vue layer: composables for hosts building their own UI on the same logic.
export { ChatContextKey, useChatContext } from './vue/context'
export type { ChatContext, ChatEvents, ConnectionStatus } from './vue/context'
export { useMTChat } from './vue/useMTChat'
export type { UseMTChatOptions } from './vue/useMTChat'
export { useDialogs, sortDialogs } from './vue/useDialogs'
export type { UseDialogsOptions, UseDialogsReturn } from './vue/useDialogs'
export { useDialog } from './vue/useDialog'
export type { DialogState, DialogTarget, UseDialogReturn } from './vue/useDialog'
export { useMessages } from './vue/useMessages'
export type { MessageStatus, SendOptions, UseMessagesOptions, UseMessagesReturn } from './vue/useMessages'
export { useTyping } from './vue/useTyping'
export type { UseTypingOptions, UseTypingReturn } from './vue/useTyping'
export { useParticipants } from './vue/useParticipants'
export type { UseParticipantsReturn } from './vue/useParticipants'
export { useUploads } from './vue/useUploads'
export type { UploadItem, UseUploadsOptions, UseUploadsReturn } from './vue/useUploads'
export { useDialogActions } from './vue/useDialogActions'
export type { UseDialogActionsReturn } from './vue/useDialogActions'
export { useConnectionBanner } from './vue/useConnectionBanner'
export { useQuotedMessages } from './vue/useQuotedMessages'

export { createTranslator, dictionaries } from './i18n/index'
export type { Dictionary, MessageKey, Translate, Translator } from './i18n/index'
export { systemMessageText } from './i18n/system'
