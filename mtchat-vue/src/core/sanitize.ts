import DOMPurify from 'dompurify'

/** Same allow-list as the server (SPEC §5.3); the SDK sanitizes again before rendering. */
const ALLOWED_TAGS = ['p', 'br', 'strong', 'em', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre', 'span']
const ALLOWED_ATTR = ['href', 'data-mention', 'target', 'rel']
const ALLOWED_URI = /^(?:https?:|mailto:)/i

type Purifier = ReturnType<typeof DOMPurify>
let purifier: Purifier | null = null

function getPurifier(): Purifier {
  if (purifier) return purifier
  // A private instance: our hooks must not change the host page's DOMPurify.
  const p = DOMPurify(window)
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      // Only absolute http(s)/mailto links (SPEC §5.3); DOMPurify's URI check is broader.
      const href = node.getAttribute('href') ?? ''
      if (!ALLOWED_URI.test(href.trim())) node.removeAttribute('href')
      node.setAttribute('target', '_blank')
      node.setAttribute('rel', 'noopener noreferrer nofollow')
    }
    if (node.tagName !== 'SPAN') node.removeAttribute('data-mention')
  })
  purifier = p
  return p
}

/** Sanitize message HTML for rendering with `v-html`. */
export function sanitizeHtml(html: string): string {
  const p = getPurifier()
  // Fail closed: without a working DOM, DOMPurify would return its input unchanged.
  if (!p.isSupported) return escapeHtml(html)
  return p.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    RETURN_TRUSTED_TYPE: false,
  }) as string
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
