import { onScopeDispose, shallowRef, watch, type ShallowRef } from 'vue'
import type { ChatContext } from './context'

export interface UseConnectionBannerOptions {
  /** A drop shorter than this (ms) shows nothing: no flicker on a quick reconnect. Default 1000. */
  delay?: number
  /** How long "connection restored" stays, ms. Default 2500. */
  restoredFor?: number
}

/** `'offline'` while the connection is down (after `delay`), `'restored'` briefly after, else `null`. */
export function useConnectionBanner(ctx: ChatContext, options: UseConnectionBannerOptions = {}): ShallowRef<'offline' | 'restored' | null> {
  const banner = shallowRef<'offline' | 'restored' | null>(null)
  let timer: ReturnType<typeof setTimeout> | null = null
  const clear = () => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  watch(
    ctx.status,
    (s) => {
      if (s === 'reconnecting' || s === 'disconnected') {
        if (banner.value === 'offline' || timer) return
        timer = setTimeout(() => {
          timer = null
          banner.value = 'offline'
        }, options.delay ?? 1000)
      } else if (s === 'connected') {
        clear()
        if (banner.value === 'offline') {
          banner.value = 'restored'
          timer = setTimeout(() => {
            timer = null
            banner.value = null
          }, options.restoredFor ?? 2500)
        } else if (banner.value !== 'restored') banner.value = null
      }
    },
    { immediate: true },
  )
  onScopeDispose(clear)
  return banner
}
