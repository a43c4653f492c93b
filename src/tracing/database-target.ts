/** Where a database made by `createDatabase` connects, as far as its connection string says. */
export interface DatabaseTarget {
  readonly database?: string
  readonly serverAddress?: string
  readonly serverPort?: number
}

/**
 * The first host, its port and the database a connection string names,
 * read without throwing: a string it cannot read gives what it could.
 *
 * @example
 * ```ts
 * targetOfConnectionString('postgres://app@db.internal:6543/tasks')
 * // { database: 'tasks', serverAddress: 'db.internal', serverPort: 6543 }
 * ```
 */
export function targetOfConnectionString(connectionString: string): DatabaseTarget {
  const match = /^[a-z]+:\/\/(?:[^@/?]*@)?(\[[^\]]*\]|[^:/?,]*)(?::(\d+))?[^/?]*(?:\/([^?#]*))?/i.exec(connectionString)
  if (!match) return {}
  const [, host, port, path] = match
  const serverAddress = host ? decode(host.replace(/^\[|\]$/g, '')) : undefined
  const database = path ? decode(path) : undefined
  return {
    ...(serverAddress && { serverAddress }),
    ...(serverAddress && { serverPort: port ? Number(port) : 5432 }),
    ...(database && { database }),
  }
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
