/** A tiny typed event emitter (no dependency, no `vue`). `on` returns the unsubscribe function. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>()

  on<K extends keyof Events>(type: K, handler: (payload: Events[K]) => void): () => void {
    let set = this.handlers.get(type)
    if (!set) {
      set = new Set()
      this.handlers.set(type, set)
    }
    set.add(handler as (payload: never) => void)
    return () => this.off(type, handler)
  }

  off<K extends keyof Events>(type: K, handler: (payload: Events[K]) => void): void {
    this.handlers.get(type)?.delete(handler as (payload: never) => void)
  }

  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const set = this.handlers.get(type)
    if (!set) return
    for (const handler of [...set]) {
      try {
        ;(handler as (p: Events[K]) => void)(payload)
      } catch (err) {
        // One faulty listener must not break delivery to the others.
        console.error('[mtchat] listener failed', err)
      }
    }
  }

  clear(): void {
    this.handlers.clear()
  }
}
