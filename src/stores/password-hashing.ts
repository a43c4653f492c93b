import { randomBytes, type ScryptOptions, scrypt } from 'node:crypto'

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

/** A stored scrypt hash, parsed. */
export interface ScryptHash {
  readonly cost: ScryptCost
  readonly salt: Buffer
  readonly key: Buffer
}

const KEY_LENGTH = 32
const SALT_LENGTH = 16
// A shorter key would match too easily: an empty one matches every password.
const MIN_STORED_KEY_LENGTH = 16
const SCRYPT_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

/**
 * The work of one derivation at `cost`, in the units scrypt's running time
 * grows by: N·r·p block mixes.
 */
export function scryptWork(cost: ScryptCost): number {
  return 2 ** cost.logN * cost.r * cost.p
}

/** Derives a key of `length` bytes from a password with scrypt at `cost`. */
export function deriveKey(password: string, salt: Buffer, cost: ScryptCost, length = KEY_LENGTH): Promise<Buffer> {
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
  const key = await deriveKey(password, salt, cost)
  return `$scrypt$ln=${cost.logN},r=${cost.r},p=${cost.p}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`
}

/**
 * Parses a stored scrypt hash; undefined when it is not one this package
 * can verify safely (another format, a key too short to mean anything, or
 * parameters that would let a planted hash exhaust memory or CPU).
 */
export function readScryptHash(stored: string): ScryptHash | undefined {
  const match = SCRYPT_FORMAT.exec(stored)
  if (!match) return undefined
  const [, logN, r, p, salt, key] = match
  const cost = { logN: Number(logN), r: Number(r), p: Number(p) }
  if (cost.logN < 1 || cost.logN > 20 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) return undefined
  const parsed = { cost, salt: Buffer.from(salt!, 'base64'), key: Buffer.from(key!, 'base64') }
  return parsed.key.length >= MIN_STORED_KEY_LENGTH ? parsed : undefined
}

/** Whether a hash made at `stored` cost should be replaced by one at `current` cost. */
export function isWeaker(stored: ScryptCost, current: ScryptCost): boolean {
  return stored.logN < current.logN || stored.r < current.r || stored.p < current.p
}
