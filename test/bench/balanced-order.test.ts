import { describe, expect, it } from 'vitest'
import { balancedOrder, balancedPeriod } from '../../bench/balanced-order.js'

describe('balancedOrder', () => {
  for (const count of [1, 2, 3, 4, 7, 8]) {
    it(`gives ${count} clients every place and every predecessor equally often`, () => {
      const period = balancedPeriod(count)
      const places = Array.from({ length: count }, () => new Array<number>(count).fill(0))
      const follows = Array.from({ length: count }, () => new Array<number>(count).fill(0))
      for (let index = 0; index < period; index++) {
        const order = balancedOrder(count, index)
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, k) => k))
        for (const [place, client] of order.entries()) places[client]![place]!++
        for (let k = 1; k < count; k++) follows[order[k]!]![order[k - 1]!]!++
      }
      for (const row of places) expect(new Set(row)).toEqual(new Set([period / count]))
      const each = count === 1 ? 0 : period / count
      for (const [client, row] of follows.entries()) {
        for (const [before, times] of row.entries()) expect(times).toBe(client === before ? 0 : each)
      }
    })
  }

  it('repeats after its period', () => {
    expect(balancedOrder(3, 7)).toEqual(balancedOrder(3, 1))
  })
})
