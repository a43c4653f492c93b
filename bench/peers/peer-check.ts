// A peer that answered a read differently from the store would be measured doing something else.

/** A read's answer reduced to what every client must agree on: ids in order, or fields, or counts. */
function normalize(answer: unknown): string {
  const value = answer as Record<string, unknown>
  if (Array.isArray(value.items)) {
    const more = value.nextCursor !== undefined ? value.nextCursor !== null : value.next !== null
    return `page ${(value.items as Array<{ id: number }>).map((task) => task.id).join(',')}${more ? ' +more' : ''}`
  }
  if ('total' in value) return `counts ${value.total}/${value.completed}/${value.pending}`
  const fields = Object.entries(value).sort(([a], [b]) => a.localeCompare(b))
  return `task ${JSON.stringify(Object.fromEntries(fields))}`
}

/** Throws when a peer's answer to a read differs from the store's. */
export function checkSameAnswer(op: string, peer: string, store: unknown, answer: unknown): void {
  const expected = normalize(store)
  const got = normalize(answer)
  if (expected !== got) {
    throw new Error(`${peer} answered ${op} differently from taskstore:\n  taskstore: ${expected}\n  ${peer}: ${got}`)
  }
}
