import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import '@mtchat/vue/style.css'
import './style.css'
import App from './App.vue'
import TendersPage from './pages/TendersPage.vue'
import TenderPage from './pages/TenderPage.vue'
import ChatsPage from './pages/ChatsPage.vue'
import AdminPage from './pages/AdminPage.vue'
import WebhooksPage from './pages/WebhooksPage.vue'

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: '/tenders' },
    { path: '/tenders', component: TendersPage },
    { path: '/tenders/:id', component: TenderPage, props: true },
    { path: '/chats', component: ChatsPage },
    { path: '/admin', component: AdminPage },
    { path: '/webhooks', component: WebhooksPage },
  ],
})

createApp(App).use(router).mount('#app')
