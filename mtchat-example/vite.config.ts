import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` proxies the host backend that run.py starts (DEMO_PORT, default 8090);
// `npm run build` → dist/, served by that backend.
const host = `http://127.0.0.1:${process.env.DEMO_PORT ?? '8090'}`

export default defineConfig({
  plugins: [vue()],
  resolve: { dedupe: ['vue'], preserveSymlinks: false },
  server: {
    port: 5173,
    proxy: { '/api': host, '/webhooks': host },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
})
