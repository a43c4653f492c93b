/** An integer number within `min`…`max`, as the schemas' `int().min().max()` accept. */
export function isIntegerIn(
  value: unknown,
  { min, max }: { readonly min: number; readonly max: number },
): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/**
 * An object the fast paths read by hand: a plain one (or one without a
 * prototype). Anything else, arrays and class instances among them, goes
 * to zod.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
