import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

/** scrypt cost parameters. */
export interface ScryptCost {
  /** log2 of N, the CPU/memory cost. OWASP: 17. */
  readonly logN: number
  /** Block size. OWASP: 8. */
  readonly r: number
  /** Parallelism. OWASP: 1. */
  readonly p: number
}

/** OWASP's recommended scrypt parameters (N=2^17, r=8, p=1): about 0.5 s and 128 MiB per hash. */
export const OWASP_SCRYPT_COST: ScryptCost = { logN: 17, r: 8, p: 1 }

const KEY_LENGTH = 32
const SALT_LENGTH = 16
const SCRYPT_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/
const BCRYPT_FORMAT = /^\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}$/

function derive(password: string, salt: Buffer, cost: ScryptCost, length: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** cost.logN,
    r: cost.r,
    p: cost.p,
    // scrypt needs 128·N·r bytes; Node's 32 MiB default rejects OWASP's cost
    maxmem: 256 * 2 ** cost.logN * cost.r,
  }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/**
 * Hashes a password with scrypt and a fresh 16-byte salt, in a PHC-style
 * string that records the parameters: `$scrypt$ln=17,r=8,p=1$<salt>$<key>`.
 */
export async function hashPassword(password: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(SALT_LENGTH)
  const key = await derive(password, salt, cost, KEY_LENGTH)
  return `$scrypt$ln=${cost.logN},r=${cost.r},p=${cost.p}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`
}

/** The outcome of checking a password against a stored hash. */
export interface PasswordCheck {
  readonly match: boolean
  /** True when the hash is bcrypt or weaker than `cost`, so it should be replaced. */
  readonly needsUpgrade: boolean
}

/**
 * Checks a password against a stored scrypt or bcrypt (`$2a$`/`$2b$`) hash
 * in constant time. Unknown formats never match.
 */
export async function checkPassword(password: string, stored: string, cost: ScryptCost): Promise<PasswordCheck> {
  const scryptMatch = SCRYPT_FORMAT.exec(stored)
  if (scryptMatch) {
    const [, logN, r, p, salt, key] = scryptMatch
    const storedCost = { logN: Number(logN), r: Number(r), p: Number(p) }
    // refuse parameters that would let a planted hash exhaust memory or CPU
    if (storedCost.logN < 1 || storedCost.logN > 20 || storedCost.r > 32 || storedCost.p > 16) {
      return { match: false, needsUpgrade: false }
    }
    const expected = Buffer.from(key!, 'base64')
    const actual = await derive(password, Buffer.from(salt!, 'base64'), storedCost, expected.length)
    const match = expected.length === actual.length && timingSafeEqual(expected, actual)
    const weaker = storedCost.logN < cost.logN || storedCost.r < cost.r || storedCost.p < cost.p
    return { match, needsUpgrade: match && weaker }
  }
  if (BCRYPT_FORMAT.test(stored)) {
    const { default: bcrypt } = await import('bcryptjs')
    const match = await bcrypt.compare(password, stored)
    return { match, needsUpgrade: match }
  }
  return { match: false, needsUpgrade: false }
}
