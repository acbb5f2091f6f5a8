// `npm run e2e`: build the package and the host page, then run the scenarios with node's test
// runner, one file at a time (each file starts its own `mtchat serve`).
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { E2E_DIR, PKG_DIR } from './lib/stack.mjs'

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: PKG_DIR, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

if (process.env.MTCHAT_E2E_MOCK) console.warn('\n*** MTCHAT_E2E_MOCK is set: running against the in-memory MOCK server, not `mtchat serve` ***\n')

if (!process.env.E2E_SKIP_BUILD) {
  run('npx', ['vite', 'build', '--logLevel', 'warn'])
  run('npx', ['vite', 'build', '--config', 'e2e/vite.config.ts'])
}

const only = process.argv.slice(2)
const files = (only.length ? only : readdirSync(join(E2E_DIR, 'tests')).filter((f) => f.endsWith('.test.mjs')).sort())
  .map((f) => (f.includes('/') ? f : join(E2E_DIR, 'tests', f)))
run(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files])
