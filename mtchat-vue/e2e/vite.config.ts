import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The e2e host page is built against the package artefact in ../dist (run `npm run build` first),
// so the tests exercise what a host installs, not the sources.
const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url))

export default defineConfig({
  root: fileURLToPath(new URL('./app', import.meta.url)),
  base: './',
  resolve: {
    alias: [
      { find: /^@mtchat\/vue\/style\.css$/, replacement: dist('style.css') },
      { find: /^@mtchat\/vue$/, replacement: dist('index.js') },
    ],
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
  logLevel: 'warn',
})
