// jsdom has no layout: ProseMirror's scroll-into-view asks for rects that jsdom does not implement.
const emptyRect = (): DOMRect => ({ x: 0, y: 0, width: 0, height: 0, top: 0, left: 0, right: 0, bottom: 0, toJSON: () => ({}) }) as DOMRect
const emptyList = (): DOMRectList => Object.assign([], { item: () => null }) as unknown as DOMRectList

for (const proto of [Range.prototype, Text.prototype as unknown as Range]) {
  if (!('getClientRects' in proto) || typeof proto.getClientRects !== 'function') proto.getClientRects = emptyList
  if (!('getBoundingClientRect' in proto) || typeof proto.getBoundingClientRect !== 'function') proto.getBoundingClientRect = emptyRect
}
if (typeof document.elementFromPoint !== 'function') document.elementFromPoint = () => null
