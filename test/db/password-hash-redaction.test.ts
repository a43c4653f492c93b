import { describe, expect, test } from 'vitest'
import {
  hideHashValues,
  hidePasswordHashes,
  looksLikePasswordHash,
  scrubPasswordHashes,
} from '../../src/db/password-hash-redaction.js'

const HIDDEN = '[password hash]'
const SCRYPT = '$scrypt$ln=17,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA'
const BCRYPT = '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'
const ARGON = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo'
const HOST = 'my-own-format:0123456789abcdef'

describe('password hashes among bound parameters', () => {
  test('values shaped like scrypt, bcrypt or argon2 hashes are hidden wherever they are bound', () => {
    for (const hash of [SCRYPT, BCRYPT, ARGON]) {
      expect(looksLikePasswordHash(hash)).toBe(true)
      expect(hidePasswordHashes('select $1, $2', ['ada@example.com', hash]).parameters).toEqual([
        'ada@example.com',
        HIDDEN,
      ])
    }
    for (const value of ['ada@example.com', '$100', 'Task about $2b$ hashes', 42, null]) {
      expect(looksLikePasswordHash(value)).toBe(false)
    }
  })

  test('a value of any format bound to password_hash in an INSERT is hidden, row by row', () => {
    const sql =
      'insert into "s"."users" ("id", "email", "password_hash") values ($1, $2, $3), ($4, $5, lower($6)) returning "id"'
    const { parameters, hidden } = hidePasswordHashes(sql, ['u1', 'a@x.io', HOST, 'u2', 'b@x.io', `${HOST}2`])
    expect(parameters).toEqual(['u1', 'a@x.io', HIDDEN, 'u2', 'b@x.io', HIDDEN])
    expect(hidden).toEqual([HOST, `${HOST}2`])
  })

  test('a value assigned to or compared with password_hash is hidden', () => {
    const update = 'update "users" set "password_hash" = $1, "updated_at" = now() where "id" = $2'
    expect(hidePasswordHashes(update, [HOST, 'u1']).parameters).toEqual([HIDDEN, 'u1'])
    expect(hidePasswordHashes('select 1 from users where password_hash = $1', [HOST]).parameters).toEqual([HIDDEN])
  })

  test('a write that names the column in a shape it cannot read hides every text value', () => {
    const sql = 'update users set password_hash = coalesce($1, password_hash) where id = $2'
    expect(hidePasswordHashes(sql, [HOST, 'u1']).parameters).toEqual([HIDDEN, HIDDEN])
  })

  test('statements that only read the column keep their parameters', () => {
    const sql = 'select "id", "password_hash" from "users" where "email" = $1'
    expect(hidePasswordHashes(sql, ['ada@example.com']).parameters).toEqual(['ada@example.com'])
  })

  test('hidden values and hash-shaped text are taken out of any text, such as an error detail', () => {
    const detail = `Failing row contains (u1, a@x.io, ${HOST}, t) and ${BCRYPT}`
    expect(scrubPasswordHashes(detail, [HOST])).toBe(`Failing row contains (u1, a@x.io, ${HIDDEN}, t) and ${HIDDEN}`)
    expect(hideHashValues(['u1', HOST, SCRYPT, 3], [HOST])).toEqual(['u1', HIDDEN, HIDDEN, 3])
  })
})
