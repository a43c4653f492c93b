import { z } from 'zod'

/** Length in Unicode code points, as Postgres counts characters. */
export function codePointLength(text: string): number {
  let length = 0
  for (const _ of text) length++
  return length
}

/**
 * The rule of {@link boundedText} checked by hand, on text already trimmed
 * where the rule trims: what the fast paths ask before they skip zod.
 */
export function isBoundedText(text: string, min: number, max: number): boolean {
  // a UTF-16 length is at least the code points and at most twice them
  if (text.length > 2 * max || text.includes('\u0000') || !text.isWellFormed()) return false
  if (text.length >= 2 * min && text.length <= max) return true
  const points = codePointLength(text)
  return points >= min && points <= max
}

/**
 * A string of `min`–`max` code points (trimmed first when `trim` is set)
 * that Postgres can store exactly: no NUL character (text cannot hold one)
 * and no unpaired surrogate (UTF-8 cannot encode one; the driver would
 * silently replace it).
 */
export function boundedText(min: number, max: number, { trim = false } = {}) {
  const string = z.string({ error: 'must be a string' })
  const base = trim ? string.trim() : string
  return base
    .refine((text) => !text.includes('\u0000'), { message: 'must not contain the NUL character (\\u0000)' })
    .refine((text) => text.isWellFormed(), { message: 'must not contain unpaired UTF-16 surrogates' })
    .refine((text) => codePointLength(text) >= min, {
      message: min === 1 ? 'must not be empty' : `must be at least ${min} characters`,
    })
    .refine((text) => codePointLength(text) <= max, { message: `must be at most ${max} characters` })
}
