import { describe, expect, test } from 'vitest'
import { checkSameAnswer } from '../../bench/peers/peer-check.js'

const task = {
  id: 7,
  userId: 'u1',
  title: 'Pay tax return 17',
  description: null,
  completed: false,
  completedAt: null,
  priority: 3,
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  updatedAt: new Date('2026-01-02T03:04:05.678Z'),
}

describe('npm run bench: a peer must answer every read as the store does', () => {
  test('the same page, task or counts passes, whatever the order of the fields', () => {
    const reordered = Object.fromEntries(Object.entries(task).reverse())
    expect(() => checkSameAnswer('getTask', 'drizzle', task, reordered)).not.toThrow()
    expect(() =>
      checkSameAnswer('getTasks', 'prisma', { items: [task], nextCursor: 'abc' }, { items: [task], next: { id: 7 } }),
    ).not.toThrow()
    expect(() =>
      checkSameAnswer(
        'countTasks',
        'kysely',
        { total: 3, completed: 1, pending: 2 },
        { total: 3, completed: 1, pending: 2 },
      ),
    ).not.toThrow()
  })

  test('another row, a field that differs, a missing next page or other counts stop the run', () => {
    const other = { ...task, id: 8 }
    expect(() =>
      checkSameAnswer('getTasks', 'prisma', { items: [task], nextCursor: null }, { items: [other], next: null }),
    ).toThrow(/prisma answered getTasks differently/)
    expect(() =>
      checkSameAnswer('getTasks', 'prisma', { items: [task], nextCursor: 'abc' }, { items: [task], next: null }),
    ).toThrow(/differently/)
    expect(() =>
      checkSameAnswer('getTask', 'drizzle', task, { ...task, createdAt: new Date('2026-01-02T03:04:05.000Z') }),
    ).toThrow(/differently/)
    expect(() =>
      checkSameAnswer(
        'countTasks',
        'kysely',
        { total: 3, completed: 1, pending: 2 },
        { total: 3, completed: 2, pending: 1 },
      ),
    ).toThrow(/differently/)
  })
})
