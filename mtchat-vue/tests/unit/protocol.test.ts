import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SERVER_EVENT_TYPES } from '../../src/core/types'
import { makeMessage } from '../helpers/fakes'

// The server's one-model-per-event protocol module (STYLE habit 4): the SDK must know every type.
const serverEvents = resolve(process.cwd(), '../mtchat-server/src/mtchat/events/realtime.py')
const serverSchemas = resolve(process.cwd(), '../mtchat-server/src/mtchat/api/schemas/messages.py')

describe('protocol', () => {
  it.skipIf(!existsSync(serverEvents))('knows every WebSocket event type the server defines', () => {
    const source = readFileSync(serverEvents, 'utf8')
    const serverTypes = [...source.matchAll(/type:\s*Literal\["([^"]+)"\]/g)].map((m) => m[1])
    expect(serverTypes.length).toBeGreaterThan(0)
    expect([...SERVER_EVENT_TYPES].sort()).toEqual([...new Set(serverTypes)].sort())
  })

  it.skipIf(!existsSync(serverSchemas))('has every field of the server message (seq included)', () => {
    const source = readFileSync(serverSchemas, 'utf8')
    const body = source.split('class MessageOut(BaseModel):')[1]?.split(/\n(?=\S)/)[0] ?? ''
    const serverFields = [...body.matchAll(/^\s{4}(\w+):/gm)].map((m) => m[1])
    expect(serverFields).toContain('seq')
    // The test factory is typed as `Message`, so its keys are the SDK's (required and optional) fields.
    expect(Object.keys(makeMessage()).sort()).toEqual([...serverFields].sort())
  })
})
