// Prisma ORM 7: the client generated from bench/peers/schema.prisma, on its node-postgres driver adapter.
import { PrismaPg } from '@prisma/adapter-pg'
import {
  escapeLike,
  ownershipFailure,
  PAGE_SIZE,
  type PeerClient,
  type PeerOptions,
  type PeerTask,
} from './peer-client.js'
import { loadPrismaClient } from './prisma-client.js'

/** Prisma's error for "the record to update or delete was not found". */
const RECORD_NOT_FOUND = 'P2025'

const isRecordNotFound = (error: unknown) => (error as { code?: unknown })?.code === RECORD_NOT_FOUND

export async function openPrismaPeer(options: PeerOptions): Promise<PeerClient> {
  const PrismaClient = await loadPrismaClient()
  const adapter = new PrismaPg(
    {
      connectionString: options.connectionString,
      max: options.poolMax,
      idleTimeoutMillis: options.idleTimeoutMillis,
      connectionTimeoutMillis: options.connectionTimeoutMillis,
    },
    { schema: options.schema, onPoolError: () => {}, onConnectionError: () => {} },
  )
  const prisma = new PrismaClient({ adapter })
  await prisma.$connect()

  async function ownerOf(taskId: number): Promise<string | undefined> {
    const row = await prisma.task.findUnique({ where: { id: taskId }, select: { userId: true } })
    return row?.userId
  }

  /** Runs an update or delete scoped to the owner; Prisma throws P2025 when the scope matched nothing. */
  async function scoped(taskId: number, write: () => Promise<PeerTask>): Promise<PeerTask> {
    try {
      return await write()
    } catch (error) {
      if (!isRecordNotFound(error)) throw error
      return ownershipFailure(taskId, await ownerOf(taskId))
    }
  }

  return {
    name: 'prisma',
    async getTask(userId, taskId) {
      const task = await prisma.task.findFirst({ where: { id: taskId, userId } })
      return task ?? ownershipFailure(taskId, await ownerOf(taskId))
    },
    async getTasks(userId, query = {}) {
      const { after, search } = query
      const contains = search === undefined ? undefined : escapeLike(search)
      const rows = await prisma.task.findMany({
        where: {
          userId,
          ...(query.completed !== undefined && { completed: query.completed }),
          ...(contains !== undefined && {
            OR: [{ title: { contains, mode: 'insensitive' } }, { description: { contains, mode: 'insensitive' } }],
          }),
        },
        orderBy: [query.sort === 'priority' ? { priority: 'desc' } : { createdAt: 'desc' }, { id: 'desc' }],
        take: PAGE_SIZE + 1,
        // Prisma's cursor pagination: start after the row with this id, wherever the sort puts it
        ...(after && { cursor: { id: after.id }, skip: 1 }),
      })
      if (rows.length <= PAGE_SIZE) return { items: rows, next: null }
      rows.length = PAGE_SIZE
      const last = rows[PAGE_SIZE - 1]!
      return { items: rows, next: { id: last.id, createdAt: last.createdAt } }
    },
    createTask(userId, input) {
      return prisma.task.create({
        data: {
          userId,
          title: input.title.trim(),
          description: input.description ?? null,
          priority: input.priority ?? 3,
        },
      })
    },
    updateTask(userId, taskId, patch) {
      const data = {
        ...(patch.title !== undefined && { title: patch.title.trim() }),
        ...(patch.priority !== undefined && { priority: patch.priority }),
      }
      return scoped(taskId, () => prisma.task.update({ where: { id: taskId, userId }, data }))
    },
    async toggleComplete(userId, taskId) {
      // Prisma's data cannot say `not completed`: read, then update on condition that nobody
      // flipped it meanwhile (optimistic concurrency control), and read again if someone did.
      for (;;) {
        const current = await prisma.task.findFirst({ where: { id: taskId, userId }, select: { completed: true } })
        if (!current) return ownershipFailure(taskId, await ownerOf(taskId))
        try {
          return await prisma.task.update({
            where: { id: taskId, userId, completed: current.completed },
            data: { completed: !current.completed, completedAt: current.completed ? null : new Date() },
          })
        } catch (error) {
          if (!isRecordNotFound(error)) throw error
        }
      }
    },
    deleteTask(userId, taskId) {
      return scoped(taskId, () => prisma.task.delete({ where: { id: taskId, userId } }))
    },
    async countTasks(userId) {
      const groups = await prisma.task.groupBy({ by: ['completed'], where: { userId }, _count: { _all: true } })
      const completed = groups.find((group) => group.completed)?._count._all ?? 0
      const total = groups.reduce((sum, group) => sum + group._count._all, 0)
      return { total, completed, pending: total - completed }
    },
    close: () => prisma.$disconnect(),
  }
}
