import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ConfigError, MigrationError } from '../../src/index.js'
import { createEmbeddedDatabase } from '../../src/testing/index.js'
import { ask, type LineChild, startTsxChild } from '../support/child-process.js'

let dataDir: string
let children: LineChild[] = []

beforeEach(async () => {
  dataDir = join(await mkdtemp(join(tmpdir(), 'taskstore-embedded-lock-')), 'data')
})
afterEach(async () => {
  for (const child of children) child.kill()
  await Promise.all(children.map((child) => child.exited))
  children = []
  await rm(join(dataDir, '..'), { recursive: true, force: true })
})

/** Starts a process that opens embedded databases when told to; returns it with its pid. */
async function holder(): Promise<{ child: LineChild; pid: number }> {
  const child = startTsxChild('test/support/embedded-holder.ts', [])
  children.push(child)
  const { ready } = await child.next()
  return { child, pid: ready }
}

async function kill(child: LineChild): Promise<void> {
  child.kill()
  await child.exited
}

// Each test starts PGlite in several processes: on two busy cores that takes a while.
describe('createEmbeddedDatabase with a dataDir', { timeout: 180_000 }, () => {
  test('a second process opening the folder gets a ConfigError naming the folder and the holder; no data is lost', async () => {
    const [first, second] = await Promise.all([holder(), holder()])
    expect(await ask(first.child, `open ${dataDir}`)).toEqual({ opened: true })
    expect(await ask(first.child, 'write a@example.com')).toEqual({ written: 'a@example.com' })

    const refused = await ask(second.child, `open ${dataDir}`)
    expect(refused).toMatchObject({ opened: false, code: 'config' })
    expect(refused.message).toContain(dataDir)
    expect(refused.message).toContain(`process ${first.pid}`)

    expect(await ask(first.child, 'write b@example.com')).toEqual({ written: 'b@example.com' })
    expect(await ask(first.child, 'read')).toEqual({ emails: ['a@example.com', 'b@example.com'] })
    expect(await ask(first.child, 'close')).toEqual({ closed: true })
    expect(await ask(second.child, `open ${dataDir}`)).toEqual({ opened: true })
    expect(await ask(second.child, 'read')).toEqual({ emails: ['a@example.com', 'b@example.com'] })
  })

  test('after the holder is killed with SIGKILL the next open takes over, with every write it had committed', async () => {
    const killed = await holder()
    expect(await ask(killed.child, `open ${dataDir}`)).toEqual({ opened: true })
    const sent = Array.from({ length: 40 }, (_, index) => `u${String(index).padStart(2, '0')}@example.com`)
    for (const email of sent) killed.child.send(`write ${email}`)
    const committed: string[] = []
    while (committed.length < 12) committed.push((await killed.child.next()).written)
    await kill(killed.child)

    const next = await holder()
    expect(await ask(next.child, `open ${dataDir}`)).toEqual({ opened: true })
    const { emails } = await ask(next.child, 'read')
    expect(emails).toEqual(expect.arrayContaining(committed))
    expect(sent).toEqual(expect.arrayContaining(emails))
  })

  test('processes racing to open a folder whose holder was killed: exactly one opens it', async () => {
    const killed = await holder()
    expect(await ask(killed.child, `open ${dataDir}`)).toEqual({ opened: true })
    expect(await ask(killed.child, 'write a@example.com')).toEqual({ written: 'a@example.com' })
    await kill(killed.child)

    const racers = await Promise.all([holder(), holder(), holder()])
    for (const racer of racers) racer.child.send(`open ${dataDir}`)
    const results = await Promise.all(racers.map((racer) => racer.child.next()))
    const winners = racers.filter((_, index) => results[index].opened)
    expect(winners, JSON.stringify(results)).toHaveLength(1)
    for (const result of results.filter((outcome) => !outcome.opened)) {
      expect(result).toMatchObject({ code: 'config' })
      expect(result.message).toContain(`process ${winners[0]!.pid}`)
    }
    expect(await ask(winners[0]!.child, 'read')).toEqual({ emails: ['a@example.com'] })
  })

  test('in one process, a second open is a ConfigError; after destroy() the folder opens again', async () => {
    const db = await createEmbeddedDatabase({ dataDir })
    await db.insertInto('users').values({ id: 'u1', email: 'a@example.com' }).execute()
    const error = await createEmbeddedDatabase({ dataDir }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toContain(dataDir)
    expect((error as Error).message).toContain(String(process.pid))
    await db.destroy()

    const reopened = await createEmbeddedDatabase({ dataDir })
    try {
      expect(await reopened.selectFrom('users').select('email').execute()).toEqual([{ email: 'a@example.com' }])
    } finally {
      await reopened.destroy()
    }
  })

  test('a migration that fails after the folder was opened releases it', async () => {
    const db = await createEmbeddedDatabase({ dataDir })
    await sql`create schema clash`.execute(db)
    await sql`create table clash.users (x integer)`.execute(db)
    await db.destroy()

    await expect(createEmbeddedDatabase({ dataDir, schema: 'clash' })).rejects.toBeInstanceOf(MigrationError)
    const reopened = await createEmbeddedDatabase({ dataDir })
    await reopened.destroy()
  })
})
