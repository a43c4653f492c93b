import { randomBytes, timingSafeEqual } from 'node:crypto'
import { BCRYPT_COST, type BcryptHash, compareBcrypt, decoyBcryptHash, readBcryptHash } from './bcrypt-hash.js'
import {
  deriveKey,
  isWeaker,
  readScryptHash,
  type ScryptCost,
  type ScryptHash,
  scryptWork,
} from './password-hashing.js'

/** The work every password check does, whatever is stored. */
export interface PasswordWork {
  /** scrypt cost of new hashes: every check does scrypt work of one derivation at this cost. */
  readonly scrypt: ScryptCost
  /** Every check does bcrypt work of one comparison at this cost. */
  readonly bcryptCost: number
}

/** The outcome of checking a password against a stored hash. */
export interface PasswordCheck {
  readonly match: boolean
  /** True when the hash matched and is bcrypt or weaker scrypt, so it should be replaced. */
  readonly needsUpgrade: boolean
}

const DECOY_SALT = randomBytes(16)

/**
 * Checks a password against a stored hash (scrypt, bcrypt `$2a$`/`$2b$`,
 * anything else, or none) doing the same work in every case, so the time
 * it takes does not tell whether the account exists or what it stores.
 *
 * Every check does two fixed amounts of work, one after the other:
 * - scrypt work of one derivation at `work.scrypt`: the real derivation
 *   for a stored scrypt hash, topped up with decoy derivations when that
 *   hash was made at a lower cost, or a decoy derivation alone;
 * - bcrypt work of one comparison at `work.bcryptCost`: the real
 *   comparison for a stored bcrypt hash, topped up likewise when its cost
 *   is lower, or a decoy comparison alone.
 * Both algorithms' running time is linear in their work factor (N·r·p
 * block mixes; 2^cost key expansions), so the top-up is the binary
 * decomposition of what is missing: a hash at 2^k of a 2^n budget is
 * followed by decoys at 2^k, 2^(k+1), …, 2^(n-1), which sum to 2^n.
 * Running both kinds of work for every account costs one bcrypt
 * comparison per check (about 60–100 ms at cost 10 in JavaScript), which
 * is what it takes to make a bcrypt account look like any other.
 *
 * What cannot be evened out: a stored hash above the budget (scrypt
 * stronger than `work.scrypt`, bcrypt above `work.bcryptCost`) takes its
 * own, longer time; so the budget should be at least the highest cost
 * among stored hashes.
 *
 * @example
 * ```ts
 * import { hashPassword, OWASP_SCRYPT_COST } from './password-hashing.js'
 * const storedHash = await hashPassword('correct horse', OWASP_SCRYPT_COST)
 * const { match } = await checkPassword('correct horse', storedHash, { scrypt: OWASP_SCRYPT_COST, bcryptCost: 10 })
 * ```
 */
export async function checkPassword(
  password: string,
  stored: string | null,
  work: PasswordWork,
): Promise<PasswordCheck> {
  const scryptHash = stored === null ? undefined : readScryptHash(stored)
  const bcryptHash = stored === null ? undefined : readBcryptHash(stored)
  const scryptMatch = await scryptWithBudget(password, scryptHash, work.scrypt)
  const bcryptMatch = await bcryptWithBudget(password, bcryptHash, work.bcryptCost)
  if (scryptMatch) return { match: true, needsUpgrade: isWeaker(scryptHash!.cost, work.scrypt) }
  return { match: bcryptMatch, needsUpgrade: bcryptMatch }
}

async function scryptWithBudget(password: string, hash: ScryptHash | undefined, budget: ScryptCost): Promise<boolean> {
  let match = false
  let done = 0
  if (hash) {
    const actual = await deriveKey(password, hash.salt, hash.cost, hash.key.length)
    match = timingSafeEqual(actual, hash.key)
    done = scryptWork(hash.cost)
  }
  // decoys run at the budget's r and p, so the missing work counts in units of N
  const missing = Math.floor((scryptWork(budget) - done) / (budget.r * budget.p))
  for (const logN of powersOfTwoIn(missing, 1)) {
    await deriveKey(password, DECOY_SALT, { logN, r: budget.r, p: budget.p })
  }
  return match
}

async function bcryptWithBudget(password: string, stored: BcryptHash | undefined, budget: number): Promise<boolean> {
  let match = false
  let done = 0
  if (stored) {
    match = await compareBcrypt(password, stored.hash)
    done = 2 ** stored.cost
  }
  for (const decoyCost of powersOfTwoIn(2 ** budget - done, BCRYPT_COST.min)) {
    await compareBcrypt(password, decoyBcryptHash(decoyCost))
  }
  return match
}

/** The exponents of the powers of two that sum to `amount`, lowest first, ignoring those below 2^`minExponent`. */
function powersOfTwoIn(amount: number, minExponent: number): number[] {
  const exponents: number[] = []
  for (let exponent = minExponent; 2 ** exponent <= amount; exponent++) {
    if (Math.floor(amount / 2 ** exponent) % 2 === 1) exponents.push(exponent)
  }
  return exponents
}
