import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// Library build: ESM only, dependencies stay external so the host's bundler dedupes them.
const external = (id: string): boolean =>
  id === 'vue' || id === 'dompurify' || id.startsWith('@tiptap/') || id.startsWith('prosemirror')

export default defineConfig({
  plugins: [vue()],
  build: {
    target: 'es2022',
    sourcemap: true,
    emptyOutDir: true,
    lib: {
      entry: {
        index: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
        core: fileURLToPath(new URL('./src/core/index.ts', import.meta.url)),
      },
      formats: ['es'],
      cssFileName: 'style',
    },
    rollupOptions: { external },
  },
})
