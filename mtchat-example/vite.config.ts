import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` proxies the host backend (run.py starts it on 8090); `npm run build` → dist/, served by it.
export default defineConfig({
  plugins: [vue()],
  resolve: { dedupe: ['vue'], preserveSymlinks: false },
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:8090', '/webhooks': 'http://127.0.0.1:8090' },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
})
