import type { QueryResult } from 'kysely'
import { expect, test } from 'vitest'
import type { DirectQuery } from '../../src/db/direct-query.js'
import { ANY_USER } from '../../src/db/read-tokens.js'
import { type ReadConsistency, ReplicaRouter, WAL_POSITION_QUERY } from '../../src/db/replica-router.js'

/** A primary and one replica in memory: WAL positions as plain numbers, reads answering where they ran. */
function fakeCluster(consistency: ReadConsistency = 'read-your-writes', settings: { maxReplicaLagMs?: number } = {}) {
  const state = {
    primary: 0x100,
    replayed: 0x100,
    replicaDown: false,
    replicaReads: 0,
    primaryReads: 0,
    positionReads: 0,
    replicaAnswerMs: 0,
  }
  const lsn = (position: number) => `0/${position.toString(16).toUpperCase()}`
  const answer = <Row>(rows: unknown[]) => Promise.resolve({ rows } as QueryResult<Row>)
  const primary: DirectQuery = (sql) => {
    if (sql === 'fails') return Promise.reject(new Error('Connection terminated unexpectedly'))
    if (sql === WAL_POSITION_QUERY) {
      state.positionReads++
      return answer([{ lsn: lsn(state.primary) }])
    }
    if (sql.startsWith('insert')) {
      state.primary += 0x10
      return answer([])
    }
    state.primaryReads++
    return answer([{ node: 'primary' }])
  }
  const replica: DirectQuery = (sql) => {
    if (state.replicaDown)
      return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    if (sql.includes('pg_last_wal_replay_lsn')) return answer([{ lsn: lsn(state.replayed) }])
    state.replicaReads++
    const rows = [{ node: 'replica' }]
    if (state.replicaAnswerMs === 0) return answer(rows)
    return new Promise((resolve) => setTimeout(resolve, state.replicaAnswerMs)).then(() => answer(rows))
  }
  const router = new ReplicaRouter({
    primary,
    primaryLabel: 'primary:5432',
    replicas: [{ label: 'replica:5432', query: replica }],
    consistency,
    replicaWaitMs: 20,
    maxReplicaLagMs: settings.maxReplicaLagMs ?? 5_000,
  })
  const read = async (key: string | typeof ANY_USER = 'alice') =>
    (await router.read<{ node: string }>(key, 'select', [])).rows[0]!.node
  const write = (user = 'alice') => router.write([user], 'insert', [])
  // the shared WAL-position reading starts a couple of milliseconds after a write
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20))
  return { state, router, read, write, settle }
}

test('a read right after a write goes to the primary, and to the replica once it has replayed the write', async () => {
  const { state, read, write, settle } = fakeCluster()
  await write()
  expect(await read()).toBe('primary')
  await settle()
  // the replica is behind the write: the read waits replicaWaitMs, then the primary answers
  expect(await read()).toBe('primary')
  state.replayed = state.primary
  await new Promise((resolve) => setTimeout(resolve, 110))
  expect(await read()).toBe('replica')
})

test("another user's reads are not held back by alice's write", async () => {
  const { read, write, settle } = fakeCluster()
  await write('alice')
  await settle()
  await new Promise((resolve) => setTimeout(resolve, 110))
  expect(await read('bob')).toBe('replica')
})

test('reads that may show any user wait for every write through the database', async () => {
  const { state, read, write, settle } = fakeCluster()
  await write('alice')
  await settle()
  expect(await read(ANY_USER)).toBe('primary')
  state.replayed = state.primary
  await new Promise((resolve) => setTimeout(resolve, 110))
  expect(await read(ANY_USER)).toBe('replica')
})

test('a replica that fails is passed over without an error, and tried again a second later', async () => {
  const { state, read } = fakeCluster()
  state.replicaDown = true
  expect(await read('bob')).toBe('primary')
  state.replicaDown = false
  expect(await read('bob')).toBe('primary')
  await new Promise((resolve) => setTimeout(resolve, 1_050))
  expect(await read('bob')).toBe('replica')
})

test('with eventual consistency a read after a write may go to a replica that has not replayed it', async () => {
  const { read, write, settle } = fakeCluster('eventual')
  await write()
  await settle()
  expect(await read()).toBe('replica')
})

test('with eventual consistency a replica behind by more than maxReplicaLagMs is passed over', async () => {
  const { read, write, settle } = fakeCluster('eventual', { maxReplicaLagMs: 50 })
  await write()
  await settle()
  await new Promise((resolve) => setTimeout(resolve, 160))
  expect(await read('bob')).toBe('primary')
})

test('with primary consistency the replica is never used', async () => {
  const { state, read } = fakeCluster('primary')
  expect(await read('bob')).toBe('primary')
  expect(state.replicaReads).toBe(0)
})

test('a write that fails keeps its user on the primary until a later write has a position', async () => {
  const { state, router, read, write, settle } = fakeCluster()
  await expect(router.write(['alice'], 'fails', [])).rejects.toThrow('Connection terminated')
  await settle()
  await new Promise((resolve) => setTimeout(resolve, 110))
  // the replica has everything, but the failed write may have committed after it: the primary answers
  expect(await read()).toBe('primary')
  await write()
  await settle()
  state.replayed = state.primary
  await new Promise((resolve) => setTimeout(resolve, 110))
  expect(await read()).toBe('replica')
})

test('checkHealth nodes: the primary as reported, the replica with its lag', async () => {
  const { router, state } = fakeCluster()
  expect(await router.health(true)).toEqual([
    { role: 'primary', host: 'primary:5432', ok: true },
    { role: 'replica', host: 'replica:5432', ok: true, lagMs: 0 },
  ])
  state.replicaDown = true
  expect((await router.health(true))[1]).toEqual({ role: 'replica', host: 'replica:5432', ok: false })
})

test('a read the primary served makes later reads that may show any user wait for what it saw', async () => {
  const { state, read, settle } = fakeCluster()
  // a write made elsewhere (another process): nothing here knows its position
  state.primary += 0x10
  state.replicaDown = true
  expect(await read(ANY_USER)).toBe('primary')
  await settle()
  state.replicaDown = false
  await new Promise((resolve) => setTimeout(resolve, 1_050))
  // the replica has not replayed what that read showed: it would be an older view
  expect(await read(ANY_USER)).toBe('primary')
  expect(await read('bob')).toBe('replica')
  state.replayed = state.primary
  await new Promise((resolve) => setTimeout(resolve, 110))
  expect(await read(ANY_USER)).toBe('replica')
})

test('a read the primary served reads its WAL position afterwards, except with eventual consistency', async () => {
  for (const [consistency, positionReads] of [
    ['read-your-writes', 1],
    ['eventual', 0],
  ] as const) {
    const { state, read, settle } = fakeCluster(consistency)
    state.replicaDown = true
    expect(await read()).toBe('primary')
    await settle()
    expect(state.positionReads, consistency).toBe(positionReads)
  }
})

test('maxReplicaLagMs: 0 still lets a replica serve a read that takes it under a second', async () => {
  const { state, read } = fakeCluster('read-your-writes', { maxReplicaLagMs: 0 })
  state.replicaAnswerMs = 30
  expect(await read('bob')).toBe('replica')
  expect(state.primaryReads).toBe(0)
})
