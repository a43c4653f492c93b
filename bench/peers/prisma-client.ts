// Generates the Prisma client for bench/peers/schema.prisma into bench/.cache/prisma (never committed)
// and loads it. The generated code does not exist on a fresh clone, where `tsc` must still pass, so
// the part of its API the Prisma peer uses is declared here by hand.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { PrismaPg } from '@prisma/adapter-pg'
import type { PeerTask } from './peer-client.js'

type TaskWhere = {
  id?: number
  userId?: string
  completed?: boolean
  OR?: Array<Record<string, { contains: string; mode: 'insensitive' }>>
}
type TaskOrder = Partial<Record<'createdAt' | 'priority' | 'id', 'asc' | 'desc'>>
type TaskData = { userId?: string; title?: string; description?: string | null; priority?: number }

interface TaskDelegate {
  findFirst(args: { where: TaskWhere }): Promise<PeerTask | null>
  findFirst<S extends Partial<Record<keyof PeerTask, true>>>(args: {
    where: TaskWhere
    select: S
  }): Promise<Pick<PeerTask, keyof S & keyof PeerTask> | null>
  findUnique(args: { where: { id: number }; select: { userId: true } }): Promise<{ userId: string } | null>
  findMany(args: {
    where: TaskWhere
    orderBy: TaskOrder[]
    take: number
    cursor?: { id: number }
    skip?: number
  }): Promise<PeerTask[]>
  create(args: { data: TaskData & { userId: string; title: string } }): Promise<PeerTask>
  update(args: {
    where: TaskWhere & { id: number }
    data: TaskData & { completed?: boolean; completedAt?: Date | null }
  }): Promise<PeerTask>
  delete(args: { where: TaskWhere & { id: number } }): Promise<PeerTask>
  groupBy(args: {
    by: ['completed']
    where: TaskWhere
    _count: { _all: true }
  }): Promise<Array<{ completed: boolean; _count: { _all: number } }>>
}

/** The generated `PrismaClient`, as far as the benchmark uses it. */
export interface GeneratedPrismaClient {
  readonly task: TaskDelegate
  $connect(): Promise<void>
  $disconnect(): Promise<void>
}

type PrismaClientClass = new (options: { adapter: PrismaPg }) => GeneratedPrismaClient

const SCHEMA = new URL('./schema.prisma', import.meta.url)
const OUTPUT = new URL('../.cache/prisma/', import.meta.url)
const CLIENT = new URL('client.js', OUTPUT)
/** Schema hash and Prisma version the client in OUTPUT was generated from. */
const STAMP = new URL('.generated-from', OUTPUT)
const PRISMA_BIN = new URL('../../node_modules/.bin/prisma', import.meta.url)

function prismaVersion(): string {
  const manifest = new URL('../../node_modules/prisma/package.json', import.meta.url)
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

/**
 * Runs `prisma generate` unless the client on disk was generated from this
 * schema by this Prisma version. `generate` looks for a schema engine it
 * would download when missing, yet needs none to generate: any executable
 * satisfies the check, so it gets the Node binary unless
 * `PRISMA_SCHEMA_ENGINE_BINARY` names another.
 */
export function ensurePrismaClient(log: (message: string) => void = () => {}): void {
  const stamp = `${createHash('sha256').update(readFileSync(SCHEMA)).digest('hex')} prisma ${prismaVersion()}`
  if (existsSync(new URL('client.ts', OUTPUT)) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp) return
  log('Generating the Prisma client for the Prisma peer…')
  execFileSync(fileURLToPath(PRISMA_BIN), ['generate', '--schema', fileURLToPath(SCHEMA)], {
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
      // no update check or usage report over the network
      CHECKPOINT_DISABLE: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  writeFileSync(STAMP, stamp)
}

/** The generated client class; call {@link ensurePrismaClient} first. */
export async function loadPrismaClient(): Promise<PrismaClientClass> {
  const generated = (await import(CLIENT.href)) as { PrismaClient: PrismaClientClass }
  return generated.PrismaClient
}
