import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SERVER_EVENT_TYPES } from '../../src/core/types'

// The server's one-model-per-event protocol module (STYLE habit 4): the SDK must know every type.
const serverEvents = resolve(process.cwd(), '../mtchat-server/src/mtchat/events/realtime.py')

describe('protocol', () => {
  it.skipIf(!existsSync(serverEvents))('knows every WebSocket event type the server defines', () => {
    const source = readFileSync(serverEvents, 'utf8')
    const serverTypes = [...source.matchAll(/type:\s*Literal\["([^"]+)"\]/g)].map((m) => m[1])
    expect(serverTypes.length).toBeGreaterThan(0)
    expect([...SERVER_EVENT_TYPES].sort()).toEqual([...new Set(serverTypes)].sort())
  })
})
