import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ReplicationPair, replicationUnavailableReason, startReplicationPair } from '../support/replication.js'

const skip = replicationUnavailableReason()
const because = skip ? `(${skip}) ` : ''
let pair: ReplicationPair

beforeAll(async () => {
  if (skip) return
  pair = await startReplicationPair()
  await pair.primary.query('create table replication_probe (id int primary key)')
}, 60_000)
afterAll(async () => {
  await pair?.dispose()
})

const probeIds = async (node: ReplicationPair['primary']) =>
  ((await node.query('select id from replication_probe order by id')) as { id: number }[]).map((row) => row.id)

test.skipIf(skip !== null)(
  `${because}a row committed on the primary is replayed on the standby, which refuses writes`,
  async () => {
    await pair.primary.query('insert into replication_probe values (1)')
    await pair.waitForReplay()
    expect(await probeIds(pair.standby)).toContain(1)
    await expect(pair.standby.query('insert into replication_probe values (2)')).rejects.toMatchObject({
      code: '25006',
    })
  },
)

test.skipIf(skip !== null)(
  `${because}an apply delay holds a commit back on the standby until it has passed`,
  async () => {
    await pair.setApplyDelay(500)
    try {
      await pair.primary.query('insert into replication_probe values (3)')
      const committed = performance.now()
      expect(await probeIds(pair.standby)).not.toContain(3)
      await pair.waitForReplay()
      expect(performance.now() - committed).toBeGreaterThanOrEqual(400)
      expect(await probeIds(pair.standby)).toContain(3)
    } finally {
      await pair.setApplyDelay(0)
    }
  },
)

test.skipIf(skip !== null)(`${because}a stopped standby catches up once started again`, async () => {
  await pair.stopStandby()
  await pair.primary.query('insert into replication_probe values (4)')
  await pair.startStandby()
  await pair.waitForReplay()
  expect(await probeIds(pair.standby)).toContain(4)
})

test.skipIf(skip !== null)(
  `${because}with synchronous replication a commit is visible on the standby when it returns, and after a crash the promoted standby takes writes`,
  async () => {
    await pair.makeSynchronous()
    await pair.primary.query('insert into replication_probe values (5)')
    expect(await probeIds(pair.standby)).toContain(5)
    await pair.crashPrimary()
    const promoteMs = await pair.promoteStandby()
    expect(promoteMs).toBeLessThan(10_000)
    await pair.standby.query('insert into replication_probe values (6)')
    expect(await probeIds(pair.standby)).toEqual([1, 3, 4, 5, 6])
  },
)
