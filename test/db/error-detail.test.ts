import { describe, expect, test } from 'vitest'
import { safeMessage, sanitizeError, withoutErrorDetail } from '../../src/db/error-detail.js'
import { DatabaseUnavailableError, ValidationError } from '../../src/index.js'

/** A server error as node-postgres builds it. */
function serverError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { severity: 'ERROR', ...fields })
}

describe('errors copied for a host to see', () => {
  const duplicate = serverError('duplicate key value violates unique constraint "users_email_key"', {
    code: '23505',
    constraint: 'users_email_key',
    table: 'users',
    detail: 'Key (email)=(ada@example.com) already exists.',
    where: 'SQL statement "insert …"',
    params: ['u1', 'ada@example.com', '$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA'],
  })

  test('keep what names the failure and drop the detail, the context and the parameters', () => {
    const copy = withoutErrorDetail(duplicate) as Error & Record<string, unknown>
    expect(copy).toBeInstanceOf(Error)
    expect(copy).toMatchObject({ code: '23505', constraint: 'users_email_key', table: 'users', severity: 'ERROR' })
    for (const field of ['detail', 'where', 'params']) expect(copy).not.toHaveProperty(field)
    expect(copy.message).toBe(duplicate.message)
    expect(copy.stack).not.toContain('ada@example.com')
  })

  test('mask the values a server quotes in data-exception messages, and keep names elsewhere', () => {
    expect(safeMessage(serverError('invalid input syntax for type integer: "4711-ada"', { code: '22P02' }))).toBe(
      'invalid input syntax for type integer: "…"',
    )
    expect(safeMessage(serverError('value "99999999999" is out of range for type integer', { code: '22003' }))).toBe(
      'value "…" is out of range for type integer',
    )
    expect(safeMessage(serverError('relation "tasks" does not exist', { code: '42P01' }))).toBe(
      'relation "tasks" does not exist',
    )
    expect(
      safeMessage(
        serverError('nextval: reached maximum value of sequence "tasks_id_seq" (2147483647)', { code: '2200H' }),
      ),
    ).toContain('"tasks_id_seq"')
  })

  test('keep only the first line of an emulator message that inlines the statement and its values', () => {
    const memory = new Error(
      'insert into "users" (id, email) values ($1, $2) - duplicate key value violates unique constraint "users_pkey"\nDETAIL: Key (email)=(ada@example.com) already exists.\n*️⃣ Failed SQL statement: insert into "users" values (\'u1\', \'ada@example.com\');',
    )
    const copy = withoutErrorDetail(memory) as Error
    expect(copy.message).toMatch(/violates unique constraint "users_pkey"$/)
    expect(`${copy.message}${copy.stack}`).not.toContain('ada@example.com')
  })

  test('follow cause chains and AggregateError members, and keep the package’s own errors as they are', () => {
    const wrapped = new DatabaseUnavailableError('down', { cause: new AggregateError([duplicate], 'all failed') })
    const copy = withoutErrorDetail(wrapped) as DatabaseUnavailableError
    expect(copy).toBeInstanceOf(DatabaseUnavailableError)
    expect(copy.message).toBe('down')
    const members = (copy.cause as AggregateError).errors
    expect(members[0]).toMatchObject({ code: '23505' })
    expect(members[0]).not.toHaveProperty('detail')
    const invalid = new ValidationError([{ path: ['title'], message: 'required' }])
    expect((withoutErrorDetail(invalid) as ValidationError).issues).toEqual(invalid.issues)
  })

  test('when the host opted in, keep the detail but pass every text and parameter list through the scrubbers', () => {
    const copy = sanitizeError(duplicate, {
      disclose: true,
      scrub: (text) => text.replace('ada@example.com', '<email>'),
      scrubParameters: (values) => values.map((value) => (String(value).startsWith('$scrypt$') ? '[hash]' : value)),
    }) as Error & Record<string, unknown>
    expect(copy.detail).toBe('Key (email)=(<email>) already exists.')
    expect(copy.params).toEqual(['u1', '<email>', '[hash]'])
  })
})
