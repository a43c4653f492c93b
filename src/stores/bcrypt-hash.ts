/** The bcrypt cost most stored hashes have (bcrypt's and bcryptjs's own default). */
export const DEFAULT_BCRYPT_COST = 10

/** bcrypt's own bounds are 4–31; above 16 (seconds per check in JavaScript) a stored hash is refused. */
export const BCRYPT_COST = { min: 4, max: 16 } as const

// $2y$ is PHP's name for the same algorithm as $2b$; bcryptjs reads all three, and rejects $2x$.
const BCRYPT_FORMAT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/
// 22 salt and 31 hash characters of bcrypt's alphabet: what the password is compared against is irrelevant
const DECOY_BODY = 'tVGhmXbMeVTJ8yaJ0c5wA.9sVuCpd1q1Kd3D2n9oXMOyE9lZBG2Vy'

/** A stored bcrypt hash and its cost. */
export interface BcryptHash {
  readonly hash: string
  readonly cost: number
}

/** Parses a stored bcrypt hash; undefined when it is not one this package verifies. */
export function readBcryptHash(stored: string): BcryptHash | undefined {
  const match = BCRYPT_FORMAT.exec(stored)
  if (!match) return undefined
  const cost = Number(match[1])
  return cost >= BCRYPT_COST.min && cost <= BCRYPT_COST.max ? { hash: stored, cost } : undefined
}

/** A well-formed bcrypt hash of `cost` that no password is expected to match: comparing with it costs what a real one does. */
export function decoyBcryptHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$${DECOY_BODY}`
}

/** Compares a password with a bcrypt hash (loads bcryptjs on first use). */
export async function compareBcrypt(password: string, hash: string): Promise<boolean> {
  const { default: bcrypt } = await import('bcryptjs')
  return bcrypt.compare(password, hash)
}
